"""The held-out test of the K choice (issue 18): hidden entries, their deviance, and the choice it makes."""

from __future__ import annotations

import numpy as np
import pytest

from unfoldnmf.config import ExtractionConfig
from unfoldnmf.extraction.held_out import (FOLDS, HELD_OUT_SHARE, held_out_deviance, held_out_gain,
                                           held_out_masks)
from unfoldnmf.extraction.selection import gains_from, held_out_choice, select_k
from unfoldnmf.reference.cosmic import cosmic_signatures
from unfoldnmf.reference.simulate import simulate_cohort


@pytest.fixture(scope="module")
def four_signature_cohort():
    signatures = cosmic_signatures(["SBS1", "SBS2", "SBS7a", "SBS17b"])
    cohort = simulate_cohort(signatures, samples=120, seed=5, median_total=2000)
    return signatures.to_numpy(), cohort.catalog.to_numpy(dtype=float)


def test_masks_hide_a_tenth_of_the_entries_the_same_way_for_every_k():
    masks = held_out_masks((96, 200), seed=1)
    assert masks.shape == (FOLDS, 96, 200) and set(np.unique(masks)) == {0.0, 1.0}
    assert abs((1 - masks).mean() - HELD_OUT_SHARE) < 0.01
    assert np.array_equal(masks, held_out_masks((96, 200), seed=1)) and not np.array_equal(masks[0], masks[1])


def test_the_true_signatures_predict_hidden_counts_better_than_fewer_or_one_fitting_noise(four_signature_cohort):
    signatures, counts = four_signature_cohort
    masks = held_out_masks(counts.shape, seed=0)
    true = held_out_deviance(counts, signatures, masks)
    merged = np.column_stack([signatures[:, :2], signatures[:, 2:].mean(axis=1)])  # SBS7a and SBS17b as one
    noise = np.column_stack([signatures, np.random.default_rng(0).dirichlet(np.ones(96))])
    assert true.shape == (counts.shape[1],) and (true >= 0).all()
    saved, z = held_out_gain(held_out_deviance(counts, merged, masks), true)
    assert saved > 0 and z > 3  # the fourth signature is real
    saved, z = held_out_gain(true, held_out_deviance(counts, noise, masks))
    assert saved < 0 and z < 3  # a fifth one fits noise: worse on the hidden entries


def test_gain_trims_the_extreme_samples_and_scales_by_its_standard_error():
    rng = np.random.default_rng(0)
    reference = rng.normal(100, 5, 500)
    candidate = reference - 1 + rng.normal(0, 1, 500)
    candidate[0] += 5000  # one sample in a poor optimum
    saved, z = held_out_gain(reference, candidate)
    assert saved == pytest.approx(480, rel=0.1) and z > 10
    assert held_out_gain(reference, reference) == (0.0, 0.0)


def test_choice_takes_the_stable_k_that_saves_most_past_the_threshold():
    extraction = ExtractionConfig(held_out_z=3.0)
    saved = np.array([np.nan, np.nan, 100.0, 400.0, 900.0, 300.0])
    z = np.array([np.nan, np.nan, 4.0, 2.0, 5.0, 6.0])
    stable = np.array([True] * 6)
    gains = np.array([np.nan, np.nan, 2.0, 2.0, 2.0, 2.0])
    assert held_out_choice(saved, z, stable, gains, 1, extraction) == 4  # K index 3 is under 3 SE, 5 saves less
    stable[4] = False
    assert held_out_choice(saved, z, stable, gains, 1, extraction) == 5
    assert held_out_choice(saved, z, stable, gains, 1, ExtractionConfig(held_out_z=None)) == 1
    assert held_out_choice(saved, -z, stable, gains, 1, extraction) == 1
    gains[5] = 0.5  # its deviance falls by less than noise would
    assert held_out_choice(saved, z, stable, gains, 1, extraction) == 2


def test_a_k_saving_less_than_noise_is_not_taken_however_small_the_standard_error():
    """A noise-free catalog: the held-out standard error is tiny, so a saving of a few counts has a large z;
    the larger K's deviance falls by far less than a noise signature's, and the rule's K stays."""
    deviance = [400000.0, 700.0, 650.0, 600.0]  # K 1-4, 500 samples: noise unit 596
    held_out = {2: np.full(500, 3.0), 3: np.full(500, 2.99) + np.linspace(-0.001, 0.001, 500),
                4: np.full(500, 2.98) + np.linspace(-0.001, 0.001, 500)}
    flat = [0.9] * 4
    assert gains_from([1, 2, 3, 4], deviance, 1, 500)[2] == pytest.approx(50 / 596)
    selection = select_k([1, 2, 3, 4], flat, flat, deviance, 500, ExtractionConfig(), held_out=held_out)
    assert selection.table.set_index("K").loc[4, "held_out_z"] > 3
    assert selection.k == 2 and "0.08x noise per added signature: not taken" in selection.reason


def test_selection_reports_the_held_out_test_and_why():
    deviance = [5000.0, 3000.0, 2300.0, 2000.0, 1995.0]  # K 1-5: the rule stops at K 3
    held_out = {3: np.full(100, 30.0), 4: np.full(100, 28.0) + np.linspace(-0.5, 0.5, 100), 5: np.full(100, 31.0)}
    flat = [0.9] * 5
    selection = select_k([1, 2, 3, 4, 5], flat, flat, deviance, 100, ExtractionConfig(), held_out=held_out)
    assert selection.k == 4 and "predicts hidden counts better than K=3" in selection.reason
    table = selection.table.set_index("K")
    assert table.loc[[1, 2, 3], "held_out_z"].isna().all() and table.loc[5, "held_out_z"] < 0
    assert select_k([1, 2, 3, 4, 5], flat, flat, deviance, 100, ExtractionConfig()).k == 3
