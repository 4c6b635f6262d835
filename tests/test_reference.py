"""Reference signatures: COSMIC assignment, fitting new samples, simulation (package data only)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from unfoldnmf.config import RefitConfig
from unfoldnmf.exposures.fit import fit_cosmic, fit_signatures
from unfoldnmf.exposures.refit import refit_exposures
from unfoldnmf.io.tables import read_catalog, read_exposures, read_signatures
from unfoldnmf.reference.assign import assign_signatures
from unfoldnmf.reference.cosmic import cosmic_signatures
from unfoldnmf.reference.simulate import simulate_cohort

from .conftest import FAST
from .test_cli import run


@pytest.fixture(scope="module")
def cosmic():
    return cosmic_signatures()


def mix_of(assignment, name):
    column = assignment.weights[name]
    return {ref: round(float(weight), 2) for ref, weight in column[column > 0].items()}


def test_known_signatures_and_mixes_come_back_as_themselves(cosmic):
    names = ["SBS1", "SBS2", "SBS5", "SBS13", "SBS40b"]
    probes = cosmic[names].copy()
    probes["mix"] = 0.5 * cosmic["SBS2"] + 0.5 * cosmic["SBS5"]
    probes["noisy"] = np.random.default_rng(0).poisson(cosmic["SBS13"] * 1000) / 1000.0
    probes["noisy"] /= probes["noisy"].sum()
    result = assign_signatures(probes, cosmic)
    for name in names:
        assert mix_of(result, name) == {name: 1.0} and result.cosine[name] > 0.999
    assert mix_of(result, "mix") == {"SBS2": 0.5, "SBS5": 0.5}
    assert set(mix_of(result, "noisy")) == {"SBS13"} and not result.novel.any()


def test_unexplained_signature_is_novel_and_keeps_its_name(cosmic):
    probes = pd.DataFrame({"SBS96A": cosmic["SBS1"], "SBS96B": np.random.default_rng(1).dirichlet(np.ones(96) * 0.3)},
                          index=cosmic.index)
    result = assign_signatures(probes, cosmic)
    assert list(result.novel) == [False, True]
    assert (result.weights > 0).sum().max() <= 4
    named = result.named_signatures(probes, cosmic)
    assert list(named.columns) == ["SBS1", "SBS96B"]
    table = result.table()
    assert list(table.columns) == ["Signature", "Reference", "Cosine", "Novel"]
    assert table.loc[0, "Reference"] == "SBS1:1.000"


def test_sparse_refit_gives_fewer_spurious_mutations_than_nnls(true_signatures, cosmic):
    cohort = simulate_cohort(true_signatures, samples=40, seed=4, median_total=2000)
    panel = cosmic[["SBS1", "SBS5", "SBS13", "SBS2", "SBS18", "SBS40a"]]
    truth = cohort.exposures.reindex(columns=panel.columns, fill_value=0.0).to_numpy()
    spurious = {}
    for method in ("nnls", "sparse"):
        found = fit_signatures(cohort.catalog, panel, RefitConfig(method=method)).to_numpy()
        spurious[method] = found[truth == 0].sum() / found.sum()
        assert np.median(np.abs(found.sum(axis=1) - cohort.catalog.sum().to_numpy())
                         / cohort.catalog.sum().to_numpy()) < 0.05
    assert spurious["sparse"] < spurious["nnls"]
    cosmic_fit = fit_cosmic(cohort.catalog, ["SBS1", "SBS5", "SBS13"])
    assert (list(cosmic_fit.columns) == ["SBS1", "SBS5", "SBS13"]
            and list(cosmic_fit.index) == list(cohort.catalog.columns))


def test_simulate_then_fit_on_the_command_line(tmp_path):
    out = tmp_path / "sim"
    result = run("simulate", "--cosmic", "SBS1,SBS5,SBS13", "--samples", "30", "--seed", "2", "-o", out)
    assert result.exit_code == 0, result.output
    again = run("simulate", "--cosmic", "SBS1,SBS5,SBS13", "--samples", "30", "--seed", "2", "-o", tmp_path / "again")
    assert (again.exit_code == 0
            and (out / "catalog.tsv").read_text() == (tmp_path / "again" / "catalog.tsv").read_text())
    catalog = read_catalog(out / "catalog.tsv")
    truth = read_exposures(out / "exposures.tsv", ["SBS1", "SBS5", "SBS13"], list(catalog.columns))
    assert catalog.shape == (96, 30) and np.allclose(catalog, catalog.round())
    assert ((truth > 0).sum(axis=1) < 3).mean() > 0.3  # a few signatures per sample, not all of them

    dense = run("simulate", "--cosmic", "SBS1,SBS5,SBS13", "--samples", "30", "--exposure-model", "dense",
                "-o", tmp_path / "dense")
    assert dense.exit_code == 0 and (read_exposures(tmp_path / "dense" / "exposures.tsv") > 0).all().all()
    like = run("simulate", "--cosmic", "SBS1,SBS5,SBS13", "--samples", "50", "--exposure-model", out / "exposures.tsv",
               "-o", tmp_path / "like")
    assert like.exit_code == 0, like.output
    drawn = read_exposures(tmp_path / "like" / "exposures.tsv").round(3)
    assert set(map(tuple, drawn.to_numpy())) <= set(map(tuple, truth.round(3).to_numpy()))  # rows of the table

    sigs = tmp_path / "sigs.tsv"
    sigs.write_text(cosmic_signatures(["SBS1", "SBS5", "SBS13"]).to_csv(sep="\t", index_label="MutationType"))
    for source in (["--signatures", sigs], ["--cosmic", "SBS1,SBS5,SBS13"]):
        result = run("fit", out / "catalog.tsv", *source, "-o", "-")
        assert result.exit_code == 0, result.output
        found = pd.read_csv(pd.io.common.StringIO(result.stdout), sep="\t", index_col=0)
        assert list(found.columns) == ["SBS1", "SBS5", "SBS13"]
        assert np.corrcoef(found.to_numpy().ravel(), truth.to_numpy().ravel())[0, 1] > 0.95
    assert run("fit", out / "catalog.tsv", "--cosmic", "-o", tmp_path / "all").exit_code == 0
    assert read_signatures(tmp_path / "all" / "signatures.tsv").shape == (96, 86)


@pytest.mark.parametrize("args, message", [
    (["fit", "CAT", "-o", "OUT"], "exactly one source"),
    (["fit", "CAT", "--cosmic", "SBS1", "--signatures", "CAT", "-o", "OUT"], "exactly one source"),
    (["fit", "CAT", "--cosmic", "SBS1,SBS999", "-o", "OUT"], "SBS999"),
    (["simulate", "--cosmic", "SBS1,SBS1", "--samples", "3", "-o", "OUT"], "given twice"),
    (["simulate", "--cosmic", "SBS1", "--samples", "3", "--exposure-model", "sparce", "-o", "OUT"], "neither sparse"),
    (["simulate", "--cosmic", "SBS1,SBS13", "--samples", "3", "--exposure-model", "CAT", "-o", "OUT"], "SBS13"),
    (["assign", "CAT", "-o", "OUT"], "sums to"),
])
def test_bad_fit_simulate_assign_input_is_one_line_exit_2(tmp_path, catalog_file, args, message):
    out = tmp_path / "out"
    result = run(*[catalog_file if a == "CAT" else out if a == "OUT" else a for a in args])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and message in lines[0], result.output
    assert not out.exists()


def test_assign_command_and_train_write_cosmic_tables(tmp_path, catalog_file, true_signatures):
    sigs = tmp_path / "sigs.tsv"
    sigs.write_text(true_signatures.to_csv(sep="\t", index_label="MutationType"))
    result = run("assign", sigs, "-o", tmp_path / "assigned")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "assigned" / "assignment.tsv", sep="\t")
    assert list(table["Reference"]) == ["SBS1:1.000", "SBS5:1.000", "SBS13:1.000"] and not table["Novel"].any()

    out = tmp_path / "train"
    assert run("train", catalog_file, "-o", out, *FAST, "--k", "3", "--set", "extraction.replicates=2").exit_code == 0
    assignment = pd.read_csv(out / "assignment.tsv", sep="\t")
    assert list(assignment["Signature"]) == ["SBS96A", "SBS96B", "SBS96C"]
    named = read_signatures(out / "signatures_cosmic.tsv")
    assert set(named.columns) == {"SBS1", "SBS5", "SBS13"}
    exposures = pd.read_csv(out / "exposures_cosmic.tsv", sep="\t", index_col=0)
    assert list(exposures.columns) == list(named.columns) and exposures.index.name == "Samples"


def test_refit_split_by_samples_equals_the_whole_refit(cohort, true_signatures):
    counts, W = cohort.catalog.to_numpy(dtype=float), true_signatures.to_numpy()

    def halves(task, data):  # what two processes of distributed.by_columns compute
        middle = data.shape[1] // 2
        return np.concatenate([task(data[:, :middle]), task(data[:, middle:])], axis=1)

    for method in ("sparse", "nnls"):
        whole = refit_exposures(W, counts, RefitConfig(method=method))
        assert np.array_equal(refit_exposures(W, counts, RefitConfig(method=method), per_sample=halves), whole)
