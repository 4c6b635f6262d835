"""The sparse stage of the K choice: larger K compared on the sparse refit of their refined signatures."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from unfoldnmf.config import Config, ExtractionConfig
from unfoldnmf.extraction import scan
from unfoldnmf.extraction.selection import noise_unit, select_k
from unfoldnmf.extraction.sparse_stage import SparseFit, held_out_z_from, sparse_choice, sparse_fit
from unfoldnmf.reference.cosmic import cosmic_signatures

from .conftest import FAST
from .test_cli import run

N_SAMPLES = 100


def test_the_noise_unit_is_n_plus_96_times_the_over_dispersion_of_the_nmf_fit():
    dof = 96 * N_SAMPLES - (96 + N_SAMPLES) * 5
    assert noise_unit(0.5 * dof, 5, N_SAMPLES) == 196 and noise_unit(2 * dof, 5, N_SAMPLES) == pytest.approx(392)


def fits_of(deviance: dict[int, float], held_out: dict[int, np.ndarray] | None = None) -> dict[int, SparseFit]:
    """Sparse-stage fits with these sparse deviances and held-out deviances (no signatures)."""
    return {k: SparseFit(np.empty(0), value, (held_out or {}).get(k)) for k, value in deviance.items()}


def held_out_shifted(shifts: dict[int, float]) -> dict[int, np.ndarray]:
    """Per-sample held-out deviances of N_SAMPLES samples: those of a K above the first are the first K's plus
    ``shifts[K]``, give or take up to 1 (evenly spread: the held-out z is -``shifts[K]`` × 17 or so)."""
    base = np.random.default_rng(1).gamma(50, 2, N_SAMPLES)
    spread = np.linspace(-1, 1, N_SAMPLES)
    return {k: base + (shift + spread if k > min(shifts) else 0) for k, shift in shifts.items()}


def test_sparse_choice_takes_the_penalised_minimum_among_stable_k():
    # K 6 saves 5 units, K 7 one more half unit, K 8 loses
    deviance = fits_of({5: 9000.0, 6: 9000.0 - 5 * 196, 7: 9000.0 - 5.5 * 196, 8: 9000.0 - 5.2 * 196})
    k_values, stable = [4, 5, 6, 7, 8], np.ones(5, dtype=bool)
    extraction = ExtractionConfig(sparse_gain=2.0)
    assert sparse_choice(k_values, deviance, stable, 5, 196, extraction) == 6
    assert sparse_choice(k_values, deviance, np.array([1, 1, 0, 1, 1], dtype=bool), 5, 196, extraction) == 7
    assert sparse_choice(k_values, deviance, stable, 5, 196, ExtractionConfig(sparse_gain=6.0)) == 5
    assert sparse_choice(k_values, deviance, stable, 5, 3 * 196, extraction) == 5  # over-dispersed: 5 units are noise
    assert sparse_choice(k_values, deviance, stable, 5, 196, ExtractionConfig(sparse_gain=None)) == 5


def test_the_sparse_stage_refuses_a_k_that_predicts_hidden_counts_worse():
    deviance = {5: 9000.0, 6: 9000.0 - 5 * 196, 7: 9000.0 - 5.5 * 196}
    k_values, stable, extraction = [5, 6, 7], np.ones(3, dtype=bool), ExtractionConfig(sparse_gain=2.0)
    # K 6 predicts hidden counts far worse than K 5 (z about -17), K 7 a little worse (z about -0.9)
    fits = fits_of(deviance, held_out_shifted({5: 0.0, 6: 1.0, 7: 0.05}))
    z = held_out_z_from(fits, 5)
    assert z[6] < -3 < z[7] < 0 and 5 not in z
    assert sparse_choice(k_values, fits, stable, 5, 196, extraction) == 7
    assert sparse_choice(k_values, fits, stable, 5, 196, extraction, guarded=False) == 6
    assert sparse_choice(k_values, fits, stable, 5, 196, ExtractionConfig(sparse_gain=2.0, held_out_z=None)) == 6
    # both worse: the stage stays; no held-out deviances (no test): no guard
    worse = fits_of(deviance, held_out_shifted({5: 0.0, 6: 1.0, 7: 1.0}))
    assert sparse_choice(k_values, worse, stable, 5, 196, extraction) == 5
    assert sparse_choice(k_values, fits_of(deviance), stable, 5, 196, extraction) == 6


def test_the_sparse_refit_tells_true_signatures_from_a_merged_pair():
    rng = np.random.default_rng(0)
    reference = cosmic_signatures(["SBS1", "SBS5", "SBS13"]).to_numpy().copy()
    carriers = rng.random((3, 80)) < 0.5
    carriers[1] = True
    exposures = carriers * rng.lognormal(6, 0.7, (3, 80))
    counts = rng.poisson(reference @ exposures).astype(float)
    merged = np.stack([reference[:, 0] + reference[:, 2], reference[:, 1]], axis=1)
    merged /= merged.sum(axis=0)
    true = sparse_fit(reference, counts, Config(), torch.device("cpu"))
    np.testing.assert_allclose(true.signatures.sum(axis=0), 1.0)
    merged_fit = sparse_fit(merged, counts, Config(), torch.device("cpu"))
    assert true.deviance < merged_fit.deviance - 10 * (80 + 96)


def test_selection_reports_the_sparse_stage_and_its_column():
    deviance = [5000.0, 3000.0, 2300.0, 2290.0, 2285.0]  # K 1-5: the rule stops at K 3
    sparse = fits_of({3: 9000.0, 4: 9000.0 - 5 * 196, 5: 9000.0 - 5.2 * 196})
    flat = [0.9] * 5
    extraction = ExtractionConfig(sparse_gain=2.0, held_out_z=None)
    selection = select_k([1, 2, 3, 4, 5], flat, flat, deviance, N_SAMPLES, extraction, sparse=sparse)
    assert selection.k == 4 and "K=4 then fits the catalog on sparse exposures better" in selection.reason
    table = selection.table.set_index("K")
    assert table.loc[[1, 2], "sparse_deviance"].isna().all() and table.loc[4, "sparse_deviance"] == sparse[4].deviance
    assert table["held_out_saved"].isna().all() and table["held_out_z"].isna().all()  # no held-out test here
    assert table["sparse_held_out_z"].isna().all()
    assert "sparse_deviance" not in select_k([1, 2, 3, 4, 5], flat, flat, deviance, N_SAMPLES, extraction).table


def test_selection_says_which_k_the_held_out_guard_refused():
    deviance = [5000.0, 3000.0, 2300.0, 2290.0, 2285.0]  # K 1-5: the rule stops at K 3
    held_out = held_out_shifted({3: 0.0, 4: 1.0, 5: 1.0})  # and the held-out test keeps it
    sparse = fits_of({3: 9000.0, 4: 9000.0 - 5 * 196, 5: 9000.0 - 5.2 * 196}, held_out)
    flat = [0.9] * 5
    selection = select_k([1, 2, 3, 4, 5], flat, flat, deviance, N_SAMPLES, ExtractionConfig(sparse_gain=2.0),
                         held_out=held_out, sparse=sparse)
    assert selection.k == 3 and "the sparse stage refuses K=4 (5.0x per added signature)" in selection.reason
    table = selection.table.set_index("K")
    assert table.loc[[1, 2, 3], "sparse_held_out_z"].isna().all()
    assert (table.loc[[4, 5], "sparse_held_out_z"] < -3).all()
    np.testing.assert_allclose(table.loc[[4, 5], "sparse_held_out_z"], table.loc[[4, 5], "held_out_z"])


@pytest.mark.parametrize("strict", [False, True])
def test_train_with_the_sparse_stage(tmp_path, catalog_file, solved_k, strict):
    # strict: the deviance rule stops at K 1 and the held-out test is off; the sparse stage finds the 3 signatures.
    # Else the defaults, where the stage is on.
    rule = ["--set", "extraction.min_gain=1000", "--set", "extraction.run_gain=null",
            "--set", "extraction.held_out_z=null"] if strict else []
    result = run("train", catalog_file, "-o", tmp_path / "out", *FAST, "--k-max", "9", *rule)
    assert result.exit_code == 0, result.output
    info = json.loads((tmp_path / "out" / "run.json").read_text())
    table = pd.read_csv(tmp_path / "out" / "selection.tsv", sep="\t").set_index("K")
    assert info["k_selected"] == 3
    assert table["sparse_deviance"].notna().to_numpy().tolist() == [k >= (1 if strict else 3) for k in table.index]
    # strict: sparse_patience (3) K past the stage's best; else the deviance rule's run test had solved K 4-7
    assert max(solved_k) == (6 if strict else 7)
    if strict:
        assert "K=3 then fits the catalog on sparse exposures better" in info["selection_reason"]
    else:  # every K above the stage's first is compared with it on hidden counts too
        assert table["sparse_held_out_z"].notna().to_numpy().tolist() == [k > 3 for k in table.index]


def test_at_the_top_of_the_range_the_stage_fits_no_held_out_deviance(tmp_path, catalog_file, monkeypatch):
    fitted = []
    original = scan.held_out_deviance

    def counting(*args, **kwargs):
        fitted.append(1)
        return original(*args, **kwargs)
    monkeypatch.setattr(scan, "held_out_deviance", counting)
    result = run("train", catalog_file, "-o", tmp_path / "out", *FAST, "--k-max", "3")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "out" / "selection.tsv", sep="\t").set_index("K")
    assert table.index.max() == 3 and table["selected"].idxmax() == 3 and table.loc[3, "sparse_deviance"] > 0
    assert fitted == []  # no larger K to guard against, and the held-out test had none to try
