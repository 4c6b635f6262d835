"""Plots and the report: panel counts, labels, files that open, and train's plots/report.html."""

from __future__ import annotations

import base64
import dataclasses
import importlib.util
import json
import logging
import re
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from unfoldnmf.cli import cli
from unfoldnmf.config import ExtractionConfig
from unfoldnmf.extraction.scan import Extraction
from unfoldnmf.extraction.selection import select_k
from unfoldnmf.extraction.sparse_stage import SparseFit
from unfoldnmf.io.channels import CHANNELS, ID83, SUBSTITUTIONS
from unfoldnmf.io.writing import exposures_text, signatures_text
from unfoldnmf.report.html import report_html, write_report
from unfoldnmf.report.output_dir import selection_text

needs_matplotlib = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="matplotlib not installed")
PNG = b"\x89PNG\r\n\x1a\n"
TRINUCLEOTIDES = [c[0] + c[2] + c[6] for c in CHANNELS]


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def extraction(true_signatures, cohort) -> Extraction:
    """An Extraction built from the simulation's truth, without running NMF."""
    names = ["SBS96A", "SBS96B", "SBS96C"]
    signatures = true_signatures.set_axis(names, axis=1)
    exposures = cohort.exposures.set_axis(names, axis=1)
    exposures.index.name = "Samples"
    selection = select_k([1, 2, 3, 4], [1.0, 0.99, 0.97, 0.6], [1.0, 0.98, 0.95, -0.2],
                         [90000.0, 30000.0, 9000.0, 8900.0], n_samples=len(exposures),
                         extraction=ExtractionConfig(min_gain=3.0, min_stability=0.0))
    info = {"samples": len(exposures), "samples_without_mutations": [], "hypermutation_cap": 15000.0,
            "samples_capped": 0, "device": "cpu", "seconds_per_k": {1: 0.5, 2: 0.7, 3: 0.9, 4: 1.1},
            "seconds_total": 3.4}
    return Extraction(signatures=signatures, exposures=exposures, selection=selection, solutions={}, info=info)


@needs_matplotlib
def test_signature_plot_has_one_labelled_panel_per_signature(tmp_path, extraction):
    from unfoldnmf.report.figures import SUBSTITUTION_COLOURS, save_figure, signature_figure

    figure = signature_figure(extraction.signatures, {"SBS96A": "SBS1 (0.99)"})
    assert len(figure.axes) == 3
    assert [ax.get_title(loc="left") for ax in figure.axes] == ["SBS96A  \u2014  SBS1 (0.99)", "SBS96B", "SBS96C"]
    assert [t.get_text() for t in figure.axes[-1].get_xticklabels()] == TRINUCLEOTIDES
    assert all(len(ax.get_xticklabels()) == 0 for ax in figure.axes[:-1])
    for ax in figure.axes:
        assert [t.get_text() for t in ax.texts] == list(SUBSTITUTIONS)
        heights = ax.collections[0].get_paths()
        assert len(heights) == 96
    bars = figure.axes[0].collections[0].get_facecolors()
    assert (np.allclose(bars[0][:3], _rgb(SUBSTITUTION_COLOURS["C>A"]))
            and np.allclose(bars[95][:3], _rgb(SUBSTITUTION_COLOURS["T>G"])))
    path = tmp_path / "sigs.png"
    save_figure(figure, path)
    assert path.read_bytes().startswith(PNG) and path.stat().st_size > 20_000


@needs_matplotlib
@pytest.mark.parametrize("name, first, last", [("DBS78", "AC", "TT"), ("ID83", "1:Del:C", "5:Del:M")])
def test_doublet_and_indel_plots_use_cosmic_colours_by_class(name, first, last):
    from unfoldnmf.io.channels import CHANNEL_SETS
    from unfoldnmf.report.figures import DOUBLET_COLOURS, INDEL_COLOURS, signature_figure

    channels = next(c for c in CHANNEL_SETS if c.name == name)
    palette = DOUBLET_COLOURS if name == "DBS78" else INDEL_COLOURS
    signatures = pd.DataFrame(1.0 / len(channels.labels), index=list(channels.labels), columns=[f"{name}A"])
    bars = signature_figure(signatures).axes[0].collections[0].get_facecolors()
    assert len(bars) == len(channels.labels)
    assert np.allclose(bars[0][:3], _rgb(palette[first])) and np.allclose(bars[-1][:3], _rgb(palette[last]))
    assert len({tuple(bar) for bar in bars}) == len(palette)  # one colour per class, every class drawn


@needs_matplotlib
def test_many_signatures_use_two_columns_each_with_labels():
    from unfoldnmf.reference.cosmic import cosmic_signatures
    from unfoldnmf.report.figures import signature_figure

    figure = signature_figure(cosmic_signatures().iloc[:, :13])
    assert len(figure.axes) == 13
    labelled = [ax for ax in figure.axes if ax.get_xticklabels()]
    assert len(labelled) == 2 and [t.get_text() for t in labelled[1].get_xticklabels()] == TRINUCLEOTIDES
    assert figure.axes[12].get_title(loc="left") == cosmic_signatures().columns[12]


@needs_matplotlib
def test_exposure_plot_ranks_samples_and_bins_large_cohorts(tmp_path, extraction):
    from unfoldnmf.report.figures import exposure_figure, save_figure

    figure = exposure_figure(extraction.exposures)
    top, bottom = figure.axes
    ranked = extraction.exposures.sum(axis=1).sort_values(ascending=False, kind="stable").index
    assert [t.get_text() for t in bottom.get_xticklabels()] == list(ranked)
    assert [t.get_text() for t in top.get_legend().get_texts()] == ["SBS96A", "SBS96B", "SBS96C"]
    assert top.get_ylabel() == "mutations" and bottom.get_ylim() == (0, 1)
    save_figure(figure, tmp_path / "expo.svg")
    assert (tmp_path / "expo.svg").read_text().lstrip().startswith("<?xml")

    rng = np.random.default_rng(0)
    many = pd.DataFrame(rng.gamma(1.0, 500.0, size=(1000, 3)), columns=["A", "B", "C"],
                        index=[f"s{i}" for i in range(1000)])
    figure = exposure_figure(many, max_bars=200)
    top, bottom = figure.axes
    assert "1000 samples" in top.get_title(loc="left") and "200 bins of 5 samples" in top.get_title(loc="left")
    assert len(bottom.get_xticklabels()) == 0 and len(top.collections[0].get_paths()) == 200
    heights = np.array([p.vertices[:, 1].max() for p in top.collections[-1].get_paths()])
    assert np.all(np.diff(heights) <= 1e-9)  # bins ranked by mean total, largest first


@needs_matplotlib
def test_selection_plot_marks_the_chosen_k(tmp_path, extraction):
    from unfoldnmf.report.figures import save_figure, selection_figure

    figure = selection_figure(extraction.selection.table)
    top, bottom = figure.axes
    assert top.get_title(loc="left") == "Choice of K: chosen K = 3"
    assert [t.get_text() for t in top.get_legend().get_texts()] == ["mean stability", "minimum stability"]
    assert "deviance" in bottom.get_ylabel()
    for ax in (top, bottom):
        assert any(list(line.get_xdata()) == [3, 3] for line in ax.get_lines())
    save_figure(figure, tmp_path / "k.pdf")
    assert (tmp_path / "k.pdf").read_bytes().startswith(b"%PDF")


def test_report_is_self_contained_with_tables_and_images(extraction):
    record = {"unfoldnmf_version": "0.1.0", "command": "unfoldnmf train c.tsv -o out", "inputs": {"catalog": "c.tsv"},
              "config": {"seed": 0, "extraction": {"k_min": 1, "k_max": 4, "replicates": 4},
                         "refit": {"method": "sparse"}}}
    images = {name: PNG + name.encode() for name in ("signatures", "exposures", "selection")}
    page = report_html(extraction, record, images, {"SBS96A": "SBS1 (0.99)"})
    embedded = re.findall(r'<img id="plot-(\w+)"[^>]* src="data:image/png;base64,([^"]+)"', page)
    assert {name: base64.b64decode(data) for name, data in embedded} == images
    assert "http" not in page.replace("unfoldnmf[plot]", "")
    assert "K = 3: K grows while" in page and "SBS1 (0.99)" in page and "c.tsv" in page and "not assigned" in page
    assert page.count('<tr class="chosen">') == 1 and "Timings" in page and "3.4 s on cpu (K=1 0.5 s," in page
    assert page.index("Inputs") < page.index("Settings") < page.index("Number of signatures") < page.index("Exposures")


@pytest.mark.parametrize("held_out_z", [3.0, None])
def test_report_explains_the_sparse_stage_columns(extraction, held_out_z):
    fits = {k: SparseFit(np.empty(0), deviance) for k, deviance in {3: 9000.0, 4: 8950.0}.items()}
    selection = select_k([1, 2, 3, 4], [1.0, 0.99, 0.97, 0.6], [1.0, 0.98, 0.95, -0.2],
                         [90000.0, 30000.0, 9000.0, 8900.0], n_samples=len(extraction.exposures),
                         extraction=ExtractionConfig(min_gain=3.0, min_stability=0.0), sparse=fits)
    record = {"config": {"extraction": {"sparse_gain": 2.0, "held_out_z": held_out_z}}}
    page = report_html(dataclasses.replace(extraction, selection=selection), record, {}, {})
    assert "sparse_deviance: deviance of the catalog refitted sparsely" in page
    assert ("sparse_held_out_z: held_out_z against" in page) == (held_out_z is not None) and "-None" not in page


def test_missing_matplotlib_is_one_line_and_train_keeps_the_report(tmp_path, extraction, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    sigs = tmp_path / "sigs.tsv"
    sigs.write_text(signatures_text(extraction.signatures))
    result = run("plot", sigs, "-o", tmp_path / "x.png")
    assert result.exit_code == 1 and not (tmp_path / "x.png").exists()
    assert result.output.strip() == ("unfoldnmf: error: plotting needs matplotlib, which is not installed; "
                                     "install it with: pip install 'unfoldnmf[plot]'")
    notices = []
    handler = logging.Handler()
    handler.emit = lambda record: notices.append(record.getMessage())
    logger = logging.getLogger("unfoldnmf")
    monkeypatch.setattr(logger, "level", logging.INFO)
    logger.addHandler(handler)
    (tmp_path / "out").mkdir()
    try:
        write_report(extraction, tmp_path / "out", {})
    finally:
        logger.removeHandler(handler)
    page = (tmp_path / "out" / "report.html").read_text()
    assert "No plots: matplotlib is not installed" in page and "<img" not in page and "SBS96C" in page
    assert not (tmp_path / "out" / "plots").exists()
    assert any("plots skipped" in notice for notice in notices)


@needs_matplotlib
def test_plot_command_draws_each_table_and_refuses_bad_requests(tmp_path, extraction):
    (tmp_path / "s.tsv").write_text(signatures_text(extraction.signatures))
    (tmp_path / "e.tsv").write_text(exposures_text(extraction.exposures))
    (tmp_path / "k.tsv").write_text(selection_text(extraction.selection.table))
    assert run("plot", tmp_path / "s.tsv", "-o", tmp_path / "s.png", "--label", "SBS96B=SBS5 (0.95)").exit_code == 0
    assert run("plot", tmp_path / "e.tsv", "-o", tmp_path / "e.png", "--kind", "exposures").exit_code == 0
    assert run("plot", tmp_path / "k.tsv", "-o", tmp_path / "k.svg", "--kind", "selection").exit_code == 0
    for name in ("s.png", "e.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG) and (tmp_path / name).stat().st_size > 10_000
    for table, figure, options, message in [
        ("s.tsv", "x.jpg", [], "unknown plot format '.jpg'"),
        ("s.tsv", "x.png", ["--kind", "selection"], "not a selection table"),
        ("s.tsv", "x.png", ["--label", "SBS96Z=x"], "unknown signature(s) SBS96Z"),
        ("e.tsv", "x.png", ["--kind", "signatures"], "does not hold channel labels"),
    ]:
        result = run("plot", tmp_path / table, "-o", tmp_path / figure, *options)
        assert result.exit_code == 2 and message in result.output and len(result.output.strip().splitlines()) == 1
        assert not (tmp_path / "x.png").exists() and not (tmp_path / "x.jpg").exists()


@needs_matplotlib
def test_reconstruction_plot_shows_the_worst_fitted_samples_against_w_times_h(tmp_path, extraction, cohort):
    (tmp_path / "c.tsv").write_text(cohort.catalog.to_csv(sep="\t"))
    (tmp_path / "s.tsv").write_text(signatures_text(extraction.signatures))
    exposures = extraction.exposures.copy()
    exposures.iloc[5] = exposures.iloc[5][::-1].to_numpy()  # sample 5's exposures swapped round: the worst fit
    (tmp_path / "e.tsv").write_text(exposures_text(exposures))
    result = run("plot", tmp_path / "c.tsv", "--signatures", tmp_path / "s.tsv", "--exposures", tmp_path / "e.tsv",
                 "-o", tmp_path / "r.png")
    assert result.exit_code == 0, result.output
    from unfoldnmf.exposures.quality import fit_quality
    from unfoldnmf.report.figures import reconstruction_figure

    figure = reconstruction_figure(cohort.catalog, extraction.signatures, exposures)
    quality = fit_quality(cohort.catalog, extraction.signatures, exposures).sort_values("Cosine")
    titles = [ax.get_title(loc="left") for ax in figure.axes]
    assert len(titles) == 10 and titles[0].startswith(f"{exposures.index[5]}  \u2014  ")
    assert [t.split("  ")[0] for t in titles] == list(quality.index[:10])
    assert f"cosine {quality['Cosine'].iloc[0]:.3f}" in titles[0]
    rebuilt = extraction.signatures.to_numpy() @ exposures.iloc[5].to_numpy()
    assert np.allclose(figure.axes[0].lines[0].get_ydata(), rebuilt)
    for options, message in [(["--signatures", tmp_path / "s.tsv"], "--signatures and --exposures go together"),
                             (["--reference", tmp_path / "s.tsv"], "--reference is for --kind decomposition")]:
        refused = run("plot", tmp_path / "c.tsv", *options, "-o", tmp_path / "x.png")
        assert refused.exit_code == 2 and message in refused.output and not (tmp_path / "x.png").exists()


@needs_matplotlib
def test_decomposition_plot_draws_each_signature_beside_its_reference_mix(tmp_path, extraction):
    mixed = extraction.signatures.copy()
    mixed["SBS96B"] = 0.6 * mixed["SBS96A"] + 0.4 * mixed["SBS96C"]  # SBS1 and SBS13 mixed
    (tmp_path / "s.tsv").write_text(signatures_text(mixed))
    assert run("plot", tmp_path / "s.tsv", "--kind", "decomposition", "-o", tmp_path / "d.png").exit_code == 0
    from unfoldnmf.cli import _decomposition

    figure = _decomposition(mixed, None)
    titles = [ax.get_title(loc="left") for ax in figure.axes]
    assert titles == ["SBS96A  \u2014  1.00 SBS1 (cosine 1.00)", "SBS96B  \u2014  0.60 SBS1 + 0.40 SBS13 (cosine 1.00)",
                      "SBS96C  \u2014  1.00 SBS13 (cosine 1.00)"]
    assert np.allclose(figure.axes[1].lines[0].get_ydata(), 100 * mixed["SBS96B"].to_numpy())
    ids = pd.DataFrame(np.eye(83)[:, :2] * 0.5 + 0.5 / 83, index=pd.Index(list(ID83.labels), name="MutationType"))
    (tmp_path / "id.tsv").write_text(ids.set_axis(["ID83A", "ID83B"], axis=1).to_csv(sep="\t"))
    refused = run("plot", tmp_path / "s.tsv", "--kind", "decomposition", "--reference", tmp_path / "id.tsv", "-o",
                  tmp_path / "x.png")
    assert refused.exit_code == 2 and "--reference has ID-83 channels but the signatures have SBS-96" in refused.output


@needs_matplotlib
def test_train_writes_plots_and_report_unless_told_not_to(tmp_path, catalog_file):
    fast = ["--set", "extraction.replicates=2", "--set", "solver.max_iter=100", "--quiet"]
    out = tmp_path / "out"
    assert run("train", catalog_file, "-o", out, *fast, "--k", "3").exit_code == 0
    assert sorted(p.name for p in (out / "plots").iterdir()) == [
        "decomposition.png", "exposures.png", "reconstruction.png", "selection.png", "signatures.png"]
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 5 and "K = 3" in page
    assert json.loads((out / "run.json").read_text())["config"]["output"] == {"plots": True}
    bare = tmp_path / "bare"
    assert run("train", catalog_file, "-o", bare, *fast, "--k", "1", "--no-plots").exit_code == 0
    assert not (bare / "plots").exists() and not (bare / "report.html").exists() and (bare / "run.json").exists()


def _rgb(hex_colour: str) -> list[float]:
    return [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
