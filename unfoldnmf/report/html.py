"""The one-page ``report.html`` of a run (images embedded as base64) and the PNG plots behind it."""

from __future__ import annotations

import base64
import html
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import MissingDependencyError
from ..io.writing import write_atomic

if TYPE_CHECKING:
    from ..extraction.scan import Extraction

log = logging.getLogger("unfoldnmf")

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1150px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } \
h2 { font-size: 1.25em; border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .92em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
tr.chosen td { background: #fdecea; font-weight: bold; }
img { max-width: 100%; border: 1px solid #eee; margin: .5em 0; }
.note { color: #666; font-size: .92em; } code { background: #f4f4f4; padding: 0 .2em; }
"""


#: Each de novo signature's reference mix (channels × K) and its label, for the decomposition plot.
Decomposition = tuple[pd.DataFrame, dict[str, str]]
#: The plots :func:`render_figures` may draw, each written as ``plots/<name>.png``.
FIGURES = ("signatures", "exposures", "selection", "reconstruction", "decomposition")


def render_figures(extraction: Extraction, annotations: dict[str, str] | None = None,
                   catalog: pd.DataFrame | None = None, decomposition: Decomposition | None = None) -> dict[str, bytes]:
    """PNG bytes of the plots: ``signatures``, ``exposures`` and ``selection``; with the ``catalog``,
    ``reconstruction`` (the samples explained worst, observed against reconstructed); with a
    ``decomposition``, ``decomposition`` (each signature beside its reference mix).

    Raises :class:`MissingDependencyError` when matplotlib is not installed.
    """
    from .figures import (  # noqa: PLC0415
        decomposition_figure,
        exposure_figure,
        figure_bytes,
        reconstruction_figure,
        selection_figure,
        signature_figure,
    )

    images = {
        "signatures": figure_bytes(signature_figure(extraction.signatures, annotations)),
        "exposures": figure_bytes(exposure_figure(extraction.exposures)),
        "selection": figure_bytes(selection_figure(extraction.selection.table)),
    }
    if catalog is not None:
        images["reconstruction"] = figure_bytes(reconstruction_figure(catalog, extraction.signatures,
                                                                      extraction.exposures, quality=extraction.quality))
    if decomposition is not None:
        images["decomposition"] = figure_bytes(decomposition_figure(extraction.signatures, *decomposition))
    return images


def write_report(extraction: Extraction, directory: str | Path, record: dict,
                 annotations: dict[str, str] | None = None, catalog: pd.DataFrame | None = None,
                 decomposition: Decomposition | None = None) -> list[Path]:
    """Write ``plots/*.png`` and ``report.html`` into ``directory``; returns the files written.

    ``record`` is the run's provenance (what ``run.json`` holds); ``annotations`` maps signature
    names to their reference assignment, e.g. ``"SBS1 (0.98)"``; ``catalog`` and ``decomposition``
    add the reconstruction and decomposition plots (:func:`render_figures`). Without matplotlib the
    plots are skipped with a warning and the report holds the tables only.
    """
    directory = Path(directory)
    try:
        images = render_figures(extraction, annotations, catalog, decomposition)
    except MissingDependencyError as exc:
        log.warning("%s; plots skipped, report.html has tables only", exc)
        images = {}
    written = [directory / "plots" / f"{name}.png" for name in images]
    if images:
        (directory / "plots").mkdir(exist_ok=True)
        for path, png in zip(written, images.values()):
            write_atomic(path, png)
    write_atomic(directory / "report.html", report_html(extraction, record, images, annotations))
    return [*written, directory / "report.html"]


def report_html(extraction: Extraction, record: dict, images: dict[str, bytes],
                annotations: dict[str, str] | None = None) -> str:
    """The self-contained report page: inputs, settings, choice of K, signatures, exposures, timings."""
    info, config = extraction.info, record.get("config", {})
    annotations = annotations or {}
    missing_plots = "" if images else _p("No plots: matplotlib is not installed "
                                         "(<code>pip install 'unfoldnmf[plot]'</code>).", raw=True)
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>unfoldnmf report: K = {extraction.selection.k}</title><style>{_STYLE}</style></head><body>",
        f"<h1>unfoldnmf report: {extraction.signatures.shape[1]} signatures"
        f"{' in ' + html.escape(str(record['inputs']['catalog'])) if 'catalog' in record.get('inputs', {}) else ''}"
        "</h1>",
        _p(f"unfoldnmf {record.get('unfoldnmf_version', '?')}, torch {record.get('torch_version', '?')}, "
           f"Python {record.get('python_version', '?')}. Command: {record.get('command', '')}"),
        missing_plots,
        "<h2>Inputs</h2>", _table(pd.DataFrame(_inputs(extraction, record), columns=["", ""]), header=False),
        "<h2>Settings</h2>", _p(_settings_line(config)),
        "<details><summary>Full configuration</summary>",
        _table(pd.DataFrame(_flatten(config), columns=["key", "value"])), "</details>",
        "<h2>Number of signatures</h2>",
        _p(f"K = {extraction.selection.k}: {extraction.selection.reason}."),
        _image(images, "selection", "Stability and reconstruction error against K"),
        _selection_table(extraction.selection.table, config),
        "<h2>Signatures</h2>",
        _table(_signature_summary(extraction.signatures, annotations)),
        _image(images, "signatures", "Signature profiles"),
        _p("Each signature (bars) beside the mix of reference signatures that explains it (black marks).")
        if "decomposition" in images else "",
        _image(images, "decomposition", "Signatures beside their reference mixes"),
        "<h2>Exposures</h2>",
        _p(_exposure_line(extraction.exposures, config)),
        _table(_exposure_summary(extraction.exposures)),
        _image(images, "exposures", "Exposures per sample"),
        _p("The samples the exposures explain worst: observed mutations (bars) against the reconstruction "
           "(black marks); fit_quality.tsv has every sample.") if "reconstruction" in images else "",
        _image(images, "reconstruction", "Observed against reconstructed profiles"),
        "<h2>Timings</h2>", _timings(info),
        "</body></html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


def _p(text: str, raw: bool = False) -> str:
    return f'<p class="note">{text if raw else html.escape(text)}</p>'


def _image(images: dict[str, bytes], name: str, alt: str) -> str:
    if name not in images:
        return ""
    data = base64.b64encode(images[name]).decode("ascii")
    return f'<img id="plot-{name}" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _table(frame: pd.DataFrame, header: bool = True, highlight: np.ndarray | None = None) -> str:
    rows = []
    if header:
        rows.append("<tr>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns) + "</tr>")
    for i, values in enumerate(frame.itertuples(index=False)):
        cls = ' class="chosen"' if highlight is not None and highlight[i] else ""
        rows.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(_format(v))}</td>" for v in values) + "</tr>")
    return "<table>\n" + "\n".join(rows) + "\n</table>"


def _format(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return "–" if np.isnan(value) else "∞"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    return str(value)


def _inputs(extraction: Extraction, record: dict) -> list[tuple[str, str]]:
    info = extraction.info
    empty = info.get("samples_without_mutations", [])
    rows = [(f"input {key}", str(value)) for key, value in record.get("inputs", {}).items()]
    rows += [
        ("samples", str(info.get("samples", len(extraction.exposures)))),
        ("samples without mutations",
         f"{len(empty)}" + (f" ({', '.join(empty[:5])}{', …' if len(empty) > 5 else ''})" if empty else "")),
        ("mutations attributed", f"{extraction.exposures.to_numpy().sum():,.0f}"),
    ]
    if "hypermutation_cap" in info:
        rows.append(("hypermutation cap", f"{info['hypermutation_cap']:,.0f} mutations "
                                          f"({info.get('samples_capped', 0)} sample(s) scaled down for extraction)"))
    return rows


def _settings_line(config: dict) -> str:
    ext, solver, refit = config.get("extraction", {}), config.get("solver", {}), config.get("refit", {})
    k_range = f"K = {ext['k']} (fixed)" if ext.get("k") else f"K tried {ext.get('k_min')}–{ext.get('k_max')}"
    return (f"{k_range}; {ext.get('replicates')} {ext.get('resample')} bootstrap replicates per K; "
            f"{solver.get('objective')} NMF, up to {solver.get('max_iter')} iterations; "
            f"refit {refit.get('method')}; seed {config.get('seed')}, device {config.get('device')}, "
            f"{config.get('dtype')}.")


def _flatten(config: dict, prefix: str = "") -> list[tuple[str, str]]:
    rows = []
    for key, value in config.items():
        if isinstance(value, dict):
            rows += _flatten(value, f"{prefix}{key}.")
        else:
            rows.append((f"{prefix}{key}", "null" if value is None else str(value)))
    return rows


def _selection_table(table: pd.DataFrame, config: dict) -> str:
    shown = table.rename(columns={"stability_mean": "mean stability", "stability_min": "minimum stability"})
    for column in ("mean stability", "minimum stability"):
        shown[column] = ["–" if np.isnan(value) else f"{value:.3f}" for value in shown[column]]
    ext = config.get("extraction", {})
    runs = f" or run_gain >= {ext['run_gain']}" if ext.get("run_gain") is not None else ""
    legend = _p(f"stability: silhouette of the consensus signatures across bootstrap replicates (1 = every replicate "
                f"found them); gain: deviance drop from K-1 to K over what a signature fitting noise would give; "
                f"run_gain: mean gain of the {ext.get('run_length', '?')} steps from K on; "
                f"significant: gain >= {ext.get('min_gain', '?')}{runs}; stable: mean stability >= "
                f"{ext.get('min_stability', '?')} (–: unknown, for K = 1 or one replicate); held_out_saved, "
                f"held_out_z: how much lower the deviance of hidden catalog entries is than with the deviance "
                f"rule's K, in all and in standard errors (a stable K with held_out_z >= "
                f"{ext.get('held_out_z', '?')} replaces the rule's)"
                + (_sparse_legend(ext) if "sparse_deviance" in table else "") + ".")
    return _table(shown, highlight=table["selected"].to_numpy(dtype=bool)) + "\n" + legend


def _sparse_legend(ext: dict) -> str:
    guard = (f"; sparse_held_out_z: held_out_z against the K the sparse stage starts from (a K below "
             f"-{ext['held_out_z']} is refused)" if ext.get("held_out_z") is not None else "")
    return ("; sparse_deviance: deviance of the catalog refitted sparsely on the K's refined signatures (a stable "
            f"larger K wins where it saves {ext.get('sparse_gain')} times what noise would per signature){guard}")


def _signature_summary(signatures: pd.DataFrame, annotations: dict[str, str]) -> pd.DataFrame:
    rows = []
    for name in signatures.columns:
        profile = signatures[name]
        top = profile.sort_values(ascending=False, kind="stable").head(3)
        rows.append((name, annotations.get(name) or "not assigned",
                     ", ".join(f"{channel} {100 * share:.0f}%" for channel, share in top.items())))
    return pd.DataFrame(rows, columns=["signature", "reference (cosine)", "top channels"])


def _exposure_line(exposures: pd.DataFrame, config: dict) -> str:
    totals = exposures.to_numpy(dtype=float).sum(axis=1)
    spread = (f"; mutations per sample: median {np.median(totals):,.0f}, range {totals.min():,.0f}–{totals.max():,.0f}"
              if len(totals) else "")
    return (f"{len(totals)} samples{spread}. Exposures are the mutations the refit "
            f"({config.get('refit', {}).get('method', '?')}) attributes to each signature.")


def _exposure_summary(exposures: pd.DataFrame) -> pd.DataFrame:
    values = exposures.to_numpy(dtype=float)
    total = max(values.sum(), 1e-300)
    rows = []
    for j, name in enumerate(exposures.columns):
        column = values[:, j]
        active = column[column > 0]
        rows.append((name, f"{len(active)} ({100 * len(active) / max(len(column), 1):.0f}%)",
                     f"{column.sum():,.0f}", f"{100 * column.sum() / total:.1f}%",
                     f"{np.median(active):,.0f}" if len(active) else "–"))
    return pd.DataFrame(rows, columns=["signature", "samples with exposure", "mutations", "share of all",
                                       "median in samples with exposure"])


def _timings(info: dict) -> str:
    per_k = ", ".join(f"K={k} {seconds:.1f} s" for k, seconds in info.get("seconds_per_k", {}).items())
    stages = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in info.get("seconds_by_stage", {}).items())
    return _p(f"Extraction took {info.get('seconds_total', float('nan')):.1f} s on {info.get('device', '?')}"
              + (f" ({per_k})." if per_k else ".") + (f" Stages: {stages}." if stages else ""))
