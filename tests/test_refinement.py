"""Sparse refinement of the chosen signatures: blurred NMF signatures come back sharp."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unfoldnmf.config import Config, load_config
from unfoldnmf.errors import InputError
from unfoldnmf.extraction.refinement import refine_signatures
from unfoldnmf.extraction.sparse_stage import sparse_fit
from unfoldnmf.reference.cosmic import cosmic_signatures
from unfoldnmf.reference.simulate import simulate_cohort


def _cosines(found: np.ndarray, truth: np.ndarray) -> np.ndarray:
    return (found * truth).sum(axis=0) / np.linalg.norm(found, axis=0) / np.linalg.norm(truth, axis=0)


@pytest.fixture(scope="module")
def flat_cohort():
    """SBS5 (flat) with SBS1, SBS13 and SBS18, two or three per sample, and the truth."""
    truth = cosmic_signatures(["SBS1", "SBS5", "SBS13", "SBS18"])
    return truth, simulate_cohort(truth, samples=150, seed=4, median_total=2000)


def test_refinement_unblurs_signatures_that_took_shares_of_each_other(flat_cohort):
    truth, cohort = flat_cohort
    W = truth.to_numpy()
    blurred = W.copy()
    blurred[:, 1] = 0.85 * W[:, 1] + 0.10 * W[:, 2] + 0.05 * W[:, 3]  # SBS5 with some SBS13 and SBS18
    blurred[:, 3] = 0.9 * W[:, 3] + 0.1 * W[:, 1]
    before = _cosines(blurred, W)
    refined = refine_signatures(blurred, cohort.catalog.to_numpy(), Config(), torch.device("cpu"))
    after = _cosines(refined, W)
    assert np.allclose(refined.sum(axis=0), 1.0)
    assert before[1] < 0.99 and after[1] > 0.995 and after[3] > before[3]
    assert (after > 0.99).all()


def test_no_rounds_keep_the_nmf_solution_and_negative_gains_are_refused(flat_cohort):
    truth, cohort = flat_cohort
    config = load_config(None, [{"extraction": {"refine_gains": []}}])
    kept = refine_signatures(truth.to_numpy(), cohort.catalog.to_numpy(), config, torch.device("cpu"))
    assert np.array_equal(kept, truth.to_numpy())
    with pytest.raises(InputError, match="extraction.refine_gains must be non-negative"):
        load_config(None, [{"extraction": {"refine_gains": [25, -1]}}])
    with pytest.raises(InputError, match="extraction.refine_gains is 'x'"):
        load_config(None, [{"extraction": {"refine_gains": "x"}}])
    with pytest.raises(InputError, match=r"extraction.refine_gains\[1\] is 'x' \(str\); expected float"):
        load_config(None, [{"extraction": {"refine_gains": [25, "x"]}}])


def test_each_round_uses_its_own_gain_not_the_refits(flat_cohort):
    """The rounds' gains decide the result; ``refit.min_deviance_gain`` (``fit``'s rule) does not."""
    truth, cohort = flat_cohort
    blurred = 0.8 * truth.to_numpy() + 0.2 * truth.to_numpy().mean(axis=1, keepdims=True)

    def refine(overrides):
        return refine_signatures(blurred, cohort.catalog.to_numpy(), load_config(None, overrides), torch.device("cpu"))

    default = refine([])
    assert np.array_equal(default, refine([{"refit": {"min_deviance_gain": 100.0}}]))
    assert np.array_equal(default, refine([{"extraction": {"refine_gains": [25, 12.0]}}]))
    assert not np.allclose(default, refine([{"extraction": {"refine_gains": [25, 25]}}]))


def test_a_signature_no_sample_keeps_is_left_as_it_was(flat_cohort):
    """Four true signatures plus SBS4, which no sample has: refinement must not zero SBS4 out."""
    truth, cohort = flat_cohort
    with_unused = np.column_stack([truth.to_numpy(), cosmic_signatures(["SBS4"]).to_numpy()])
    refined = refine_signatures(with_unused, cohort.catalog.to_numpy(), Config(), torch.device("cpu"))
    assert np.allclose(refined.sum(axis=0), 1.0) and np.array_equal(refined[:, 4], with_unused[:, 4])


def test_signature_updates_do_not_depend_on_the_refits_shallow_step():
    """In a cohort of shallow samples (400 mutations), the refinement and the sparse stage give the same
    signatures with the shallow step on or off: it serves the exposures a user reads, not the signatures."""
    truth = cosmic_signatures(["SBS1", "SBS5", "SBS13", "SBS18"])
    cohort = simulate_cohort(truth, samples=60, seed=2, median_total=400).catalog.to_numpy()
    assert (cohort.sum(axis=0) < Config().refit.shallow_depth).mean() > 0.8
    blurred = 0.8 * truth.to_numpy() + 0.2 * truth.to_numpy().mean(axis=1, keepdims=True)
    results = []
    for gate in (1.0, 0.0):
        config = load_config(None, [{"refit": {"shallow_gate": gate}}])
        refined = refine_signatures(blurred, cohort, config, torch.device("cpu"))
        results.append((refined, sparse_fit(blurred, cohort, config, torch.device("cpu")).deviance))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    assert results[0][1] == results[1][1]
