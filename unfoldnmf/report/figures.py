"""Figures: signature panels (SBS-96, DBS-78, ID-83), stacked exposure bars and the choice-of-K plot.

matplotlib is an optional extra (``pip install 'unfoldnmf[plot]'``); it is imported only when a
figure is made, and its absence raises :class:`MissingDependencyError` with that hint. Figures are
built as standalone ``matplotlib.figure.Figure`` objects (no pyplot, no global state) and written
with :func:`save_figure` (PNG, PDF or SVG by the file's suffix, atomically).
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, MissingDependencyError
from ..io.channels import SBS96, SUBSTITUTIONS, ChannelSet, channel_set_of_table
from ..io.writing import write_atomic

#: The six substitution colours every signature paper and tool uses (COSMIC's palette).
SUBSTITUTION_COLOURS = {
    "C>A": "#1EBFF0", "C>G": "#050708", "C>T": "#E62725",
    "T>A": "#CBCACB", "T>C": "#A1CF64", "T>G": "#EDC8C5",
}
#: DBS-78 colours by reference doublet, and ID-83 colours by indel class (size:type:base or kind),
#: as COSMIC's signature pages and SigProfilerPlotting draw them.
DOUBLET_COLOURS = {
    "AC": "#03BCEE", "AT": "#0266CA", "CC": "#A1CE63", "CG": "#016601", "CT": "#FF9898",
    "GC": "#E22925", "TA": "#FEB065", "TC": "#FD8000", "TG": "#CB98FD", "TT": "#4C0299",
}
INDEL_COLOURS = {
    "1:Del:C": "#FDBE6F", "1:Del:T": "#FF8002", "1:Ins:C": "#B0DD8B", "1:Ins:T": "#36A12E",
    "2:Del:R": "#FDCAB5", "3:Del:R": "#FC8A6A", "4:Del:R": "#F14432", "5:Del:R": "#BC191A",
    "2:Ins:R": "#D0E1F2", "3:Ins:R": "#94C4DF", "4:Ins:R": "#4A98C9", "5:Ins:R": "#1764AB",
    "2:Del:M": "#E2E2EF", "3:Del:M": "#B6B6D8", "4:Del:M": "#8683BD", "5:Del:M": "#62409B",
}
FORMATS = ("png", "pdf", "svg")
#: Above this many samples the exposure plot shows bins of consecutive ranked samples.
MAX_EXPOSURE_BARS = 200
#: Up to this many bars, each is labelled with its sample name.
MAX_SAMPLE_LABELS = 60
#: Signatures per column of the signature figure before a second column is used.
PANELS_PER_COLUMN = 10


def require_matplotlib():
    """matplotlib's ``Figure`` class, or :class:`MissingDependencyError` saying how to install it."""
    try:
        from matplotlib.figure import Figure  # noqa: PLC0415
    except ImportError:
        raise MissingDependencyError(
            "plotting needs matplotlib, which is not installed; install it with: pip install 'unfoldnmf[plot]'"
        ) from None
    return Figure


def plot_format(path: str | Path) -> str:
    """The output format named by a file's suffix: png, pdf or svg."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise InputError(f"{path}: unknown plot format '.{suffix}'; name the file .png, .pdf or .svg")
    return suffix


def figure_bytes(figure, fmt: str = "png", dpi: int = 110) -> bytes:
    """Render ``figure`` to bytes in ``fmt`` (png, pdf or svg), trimmed to what is drawn."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=dpi, metadata=_metadata(fmt), bbox_inches="tight", pad_inches=0.15)
    return buffer.getvalue()


def _metadata(fmt: str) -> dict:
    """No creation dates, so the same figure gives the same file."""
    return {"png": {"Software": None}, "pdf": {"CreationDate": None}, "svg": {"Date": None}}[fmt]


def save_figure(figure, path: str | Path, dpi: int = 110) -> None:
    """Write ``figure`` to ``path`` atomically, in the format its suffix names."""
    write_atomic(Path(path), figure_bytes(figure, plot_format(path), dpi))


def signature_colours(k: int) -> list:
    """K distinct colours for signatures in stacked plots (tab10, tab20, then 60 from tab20 b/c)."""
    from matplotlib import colormaps  # noqa: PLC0415

    names = ["tab10"] if k <= 10 else ["tab20"] if k <= 20 else ["tab20", "tab20b", "tab20c"]
    palette = [colour for name in names for colour in colormaps[name].colors]
    return [palette[i % len(palette)] for i in range(k)]


def _channel_style(channels: ChannelSet) -> tuple[list, list[str], int]:
    """Bar colours, tick labels and tick font size of a channel set, in COSMIC's colours: SBS-96
    by substitution, DBS-78 by reference doublet and ID-83 by indel class."""
    labels = channels.labels
    if channels is SBS96:
        return [SUBSTITUTION_COLOURS[c[2:5]] for c in labels], [c[0] + c[2] + c[6] for c in labels], 6
    if channels.name == "DBS78":
        colours = [DOUBLET_COLOURS[c.split(">")[0]] for c in labels]
    else:
        colours = [INDEL_COLOURS[c.rsplit(":", 1)[0]] for c in labels]
    return colours, list(labels), 5


def signature_figure(signatures: pd.DataFrame, annotations: dict[str, str] | None = None, counts: bool = False,
                     overlay: pd.DataFrame | None = None, overlay_label: str = ""):
    """One panel per signature: one bar per channel (percent of mutations), SBS-96 coloured by
    substitution type (DBS-78 by reference doublet, ID-83 by indel class).

    ``signatures`` is channels × K in a channel set's order; ``annotations`` maps a signature
    name to extra title text, e.g. its COSMIC assignment ``"SBS1 (0.98)"``. With ``counts`` the
    columns are a catalog's samples, drawn as numbers of mutations. ``overlay`` (same shape, e.g.
    a reconstruction) is drawn over the bars as black marks, named ``overlay_label`` in a legend on
    the first panel. Up to 10 signatures sit in one column, more in two; trinucleotide labels are
    on the bottom panel of each column.
    """
    figure_class = require_matplotlib()
    annotations = annotations or {}
    names = [str(name) for name in signatures.columns]
    unknown = [name for name in annotations if name not in names]
    if unknown:
        raise InputError(f"annotation for unknown signature(s) {', '.join(unknown)}; signatures are {', '.join(names)}")
    channels = channel_set_of_table(signatures)
    scale = 1 if counts else 100
    values = signatures.to_numpy(dtype=float) * scale
    marks = None if overlay is None else overlay.loc[signatures.index, signatures.columns].to_numpy(dtype=float) * scale
    width = len(channels.labels)
    columns = 1 if len(names) <= PANELS_PER_COLUMN else 2
    rows = max(1, math.ceil(len(names) / columns))
    height = 1.4 + 1.75 * rows
    figure = figure_class(figsize=(11 * columns, height))
    grid = figure.add_gridspec(rows, columns, left=0.06 / columns, right=1 - 0.015 / columns,
                               top=1 - 0.55 / height, bottom=0.5 / height,
                               hspace=0.62, wspace=0.09)
    colours, ticks, tick_size = _channel_style(channels)
    for i, name in enumerate(names):
        column, row = divmod(i, rows)
        ax = figure.add_subplot(grid[row, column])
        _bars(ax, np.arange(width), values[:, i], 0.0, 0.72, colours)
        if marks is not None:
            ax.plot(np.arange(width), marks[:, i], "_", color="black", markersize=4, markeredgewidth=1.2,
                    label=overlay_label)
            if i == 0 and overlay_label:
                ax.legend(loc="upper right", fontsize=7, frameon=False, handletextpad=0.2)
        title = f"{name}  \u2014  {annotations[name]}" if annotations.get(name) else name
        ax.set_title(title, loc="left", fontsize=10, fontweight="bold", pad=17)
        if channels is SBS96:
            _substitution_strip(ax, ax.get_position().height * height)
        ax.set_xlim(-0.6, width - 0.4)
        top = values[:, i].max() if marks is None else max(values[:, i].max(), marks[:, i].max())
        ax.set_ylim(0, max(top * 1.08, 1e-9))
        kind = channels.title.split("-")[0]
        ax.set_ylabel(f"{kind} mutations" if counts else f"% of {kind}", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)
        if row == rows - 1 or i == len(names) - 1:
            ax.set_xticks(np.arange(width), ticks, rotation=90, fontsize=tick_size, family="monospace")
            ax.tick_params(axis="x", length=0, pad=2)
        else:
            ax.set_xticks([])
    return figure


def catalog_figure(catalog: pd.DataFrame, most: int = 2 * PANELS_PER_COLUMN):
    """The mutational profiles of a catalog's first ``most`` samples: one panel per sample, its
    mutation counts per channel, titled with its total."""
    shown = catalog.iloc[:, :most]
    totals = {str(name): f"{int(round(total)):,} mutations" for name, total in shown.sum(axis=0).items()}
    return signature_figure(shown.set_axis([str(c) for c in shown.columns], axis=1), totals, counts=True)


def reconstruction_figure(catalog: pd.DataFrame, signatures: pd.DataFrame, exposures: pd.DataFrame,
                          most: int = PANELS_PER_COLUMN, quality: pd.DataFrame | None = None):
    """Observed against reconstructed profiles of the ``most`` samples the exposures explain worst
    (lowest cosine of W·h to the catalog column first): bars are the catalog's counts, black marks
    the reconstruction; titles give the total and the cosine. ``catalog`` is channels × samples,
    ``signatures`` channels × K, ``exposures`` samples × K; ``quality`` is their
    :func:`~unfoldnmf.exposures.quality.fit_quality` table when already computed."""
    from ..exposures.quality import fit_quality  # noqa: PLC0415

    quality = (fit_quality(catalog, signatures, exposures) if quality is None else quality).copy()
    quality.index = quality.index.astype(str)
    worst = list(quality.sort_values("Cosine", kind="stable").index[:most])
    observed = catalog.loc[signatures.index].set_axis([str(c) for c in catalog.columns], axis=1)[worst]
    rebuilt = pd.DataFrame(signatures.to_numpy(dtype=float) @ exposures.to_numpy(dtype=float).T,
                           index=signatures.index, columns=[str(s) for s in exposures.index])[worst]
    titles = {name: f"{int(round(quality.at[name, 'Mutations'])):,} mutations, cosine {quality.at[name, 'Cosine']:.3f}"
              for name in worst}
    return signature_figure(observed, titles, counts=True, overlay=rebuilt, overlay_label="reconstructed")


def decomposition_figure(signatures: pd.DataFrame, mixes: pd.DataFrame, labels: dict[str, str]):
    """Each signature (bars) beside the mix of reference signatures that explains it (black marks);
    ``mixes`` is channels × K like ``signatures``, ``labels`` the title text of each, e.g.
    ``"0.62 SBS1 + 0.38 SBS5 (cosine 0.97)"``."""
    return signature_figure(signatures, labels, overlay=mixes, overlay_label="reference mix")


def _bars(ax, x: np.ndarray, heights: np.ndarray, bottoms, width: float, colours, label: str | None = None):
    """Bars as one PolyCollection: much faster than ``ax.bar``'s one patch per bar."""
    from matplotlib.collections import PolyCollection  # noqa: PLC0415

    left, right = x - width / 2, x + width / 2
    low = np.broadcast_to(np.asarray(bottoms, dtype=float), heights.shape)
    high = low + heights
    corners = np.stack([np.stack([left, low], 1), np.stack([left, high], 1),
                        np.stack([right, high], 1), np.stack([right, low], 1)], axis=1)
    bars = PolyCollection(corners, facecolors=colours, edgecolors="none", linewidths=0, label=label)
    ax.add_collection(bars)
    return bars


def _substitution_strip(ax, axes_height: float) -> None:
    """Six coloured boxes, 0.19 inch high, above a panel ``axes_height`` inches high, naming the substitutions."""
    from matplotlib.patches import Rectangle  # noqa: PLC0415
    from matplotlib.transforms import blended_transform_factory  # noqa: PLC0415

    transform = blended_transform_factory(ax.transData, ax.transAxes)
    for j, substitution in enumerate(SUBSTITUTIONS):
        colour = SUBSTITUTION_COLOURS[substitution]
        low, high = 1 + 0.02 / axes_height, 0.19 / axes_height
        ax.add_patch(Rectangle((16 * j - 0.5, low), 16, high, transform=transform, color=colour, clip_on=False))
        ink = "white" if substitution in ("C>G", "C>T") else "black"
        ax.text(16 * j + 7.5, low + high / 2, substitution, transform=transform, ha="center", va="center",
                fontsize=7, fontweight="bold", color=ink)


def exposure_figure(exposures: pd.DataFrame, max_bars: int = MAX_EXPOSURE_BARS):
    """Stacked exposures per sample: mutations (top) and fractions (bottom).

    ``exposures`` is samples × K in mutations. Samples are ranked by total mutations, most first.
    With more than ``max_bars`` samples, consecutive ranked samples are pooled into ``max_bars``
    bins: the top panel shows the bin's mean per sample, the bottom its pooled composition.
    """
    figure_class = require_matplotlib()
    values = exposures.to_numpy(dtype=float)
    totals = values.sum(axis=1)
    order = np.argsort(-totals, kind="stable")
    values, labels = values[order], [str(exposures.index[i]) for i in order]
    n = len(labels)
    binned = n > max_bars
    if binned:
        groups = np.array_split(np.arange(n), max_bars)
        values = np.stack([values[g].mean(axis=0) for g in groups])
    totals = values.sum(axis=1, keepdims=True)
    fractions = np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)

    k = values.shape[1]
    figure = figure_class(figsize=(13, 7.2 if len(values) <= MAX_SAMPLE_LABELS else 6.4))
    top, bottom = figure.subplots(2, 1, sharex=True)
    x = np.arange(len(values))
    width = 0.85 if len(values) <= MAX_SAMPLE_LABELS else 1.0
    colours = signature_colours(k)
    for ax, data in ((top, values), (bottom, fractions)):
        base = np.zeros(len(values))
        for j in range(k):
            _bars(ax, x, data[:, j], base, width, colours[j], label=str(exposures.columns[j]))
            base += data[:, j]
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlim(-0.6, len(values) - 0.4)
    top.set_ylabel("mean mutations per sample" if binned else "mutations")
    bottom.set_ylabel("fraction of mutations")
    top.set_ylim(0, max(values.sum(axis=1).max() * 1.03, 1e-9))
    bottom.set_ylim(0, 1)
    if binned:
        sizes = sorted({len(g) for g in groups})
        size = "-".join(str(s) for s in (sizes[0], sizes[-1])) if len(sizes) > 1 else str(sizes[0])
        top.set_title(f"Exposures of {n} samples, ranked by total mutations, in {len(values)} bins of {size} samples",
                      loc="left", fontsize=10)
        bottom.set_xlabel("samples, ranked by total mutations (bins)")
    else:
        top.set_title(f"Exposures of {n} samples, ranked by total mutations", loc="left", fontsize=10)
    if len(values) <= MAX_SAMPLE_LABELS:
        bottom.set_xticks(x)
        bottom.set_xticklabels(labels, rotation=90, fontsize=7)
    else:
        bottom.set_xticks([])
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
               ncols=1 if k <= 20 else 2, title="signature", title_fontsize=8)
    figure.subplots_adjust(left=0.07, right=0.86 if k <= 20 else 0.78, top=0.94,
                           bottom=0.13 if len(values) <= MAX_SAMPLE_LABELS else 0.07, hspace=0.12)
    return figure


def selection_figure(table: pd.DataFrame):
    """Stability (mean and minimum) and Poisson deviance against K, the chosen K marked.

    ``table`` is :attr:`Selection.table`: columns K, stability_mean, stability_min, deviance and
    selected (one row True).
    """
    figure_class = require_matplotlib()
    k = table["K"].to_numpy()
    chosen = table.loc[table["selected"].astype(bool), "K"]
    figure = figure_class(figsize=(7.5, 6))
    top, bottom = figure.subplots(2, 1, sharex=True)
    top.plot(k, table["stability_mean"], "o-", color="#1f77b4", label="mean stability")
    top.plot(k, table["stability_min"], "s--", color="#ff7f0e", label="minimum stability")
    top.set_ylabel("stability (silhouette)")
    low = np.nanmin(table[["stability_mean", "stability_min"]].to_numpy(dtype=float), initial=0.0)
    top.set_ylim(min(0.0, low) - 0.05, 1.05)
    bottom.plot(k, table["deviance"], "o-", color="#444444", label="Poisson deviance")
    deviance = table["deviance"].to_numpy(dtype=float)
    if len(deviance) > 1 and np.nanmin(deviance) > 0 and np.nanmax(deviance) / np.nanmin(deviance) > 20:
        bottom.set_yscale("log")
    bottom.set_ylabel("reconstruction error\n(Poisson deviance)")
    bottom.set_xlabel("number of signatures K")
    if len(k) <= 30:
        bottom.set_xticks(k)
    for ax in (top, bottom):
        ax.grid(color="#e5e5e5", linewidth=0.6)
        ax.spines[["top", "right"]].set_visible(False)
        for value in chosen:
            ax.axvline(value, color="#d62728", linestyle=":", linewidth=1.5)
    for value in chosen:
        row = table[table["K"] == value].iloc[0]
        top.plot([value], [row["stability_min"]], "*", color="#d62728", markersize=15, zorder=5)
        bottom.plot([value], [row["deviance"]], "*", color="#d62728", markersize=15, zorder=5)
    label = f"chosen K = {int(chosen.iloc[0])}" if len(chosen) else "no K chosen"
    top.set_title(f"Choice of K: {label}", loc="left", fontsize=11)
    top.legend(fontsize=8, frameon=False, loc="best")
    figure.subplots_adjust(left=0.15, right=0.97, top=0.93, bottom=0.1, hspace=0.1)
    return figure
