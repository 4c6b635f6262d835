"""Batched multiplicative-update NMF: objectives fall, batches equal single runs, penalties act."""

from __future__ import annotations

import pytest
import torch

from unfoldnmf.hpc.device import generator
from unfoldnmf.nmf.measures import objective_value
from unfoldnmf.nmf.solver import random_init, run_mu


@pytest.fixture()
def problem(cohort):
    return torch.tensor(cohort.catalog.to_numpy(), dtype=torch.float64)


@pytest.mark.parametrize("objective", ["kl", "frobenius"])
def test_objective_decreases_and_signatures_are_distributions(problem, objective):
    W, H = random_init(problem, 3, 3, generator(0))
    start = objective_value(problem, W, H, objective)
    fit = run_mu(problem, W, H, objective=objective, max_iter=200, tol=0)
    assert (fit.objective < start).all()
    torch.testing.assert_close(fit.W.sum(dim=1), torch.ones(3, 3, dtype=torch.float64))
    assert (fit.W >= 0).all() and (fit.H >= 0).all()


def test_batched_replicates_equal_separate_runs(problem):
    W, H = random_init(problem, 4, 3, generator(1))
    batched = run_mu(problem, W, H, max_iter=100, tol=0)
    for r in range(4):
        single = run_mu(problem, W[r:r + 1], H[r:r + 1], max_iter=100, tol=0)
        torch.testing.assert_close(single.W[0], batched.W[r])


def test_l1_penalty_makes_exposures_sparser(problem):
    W, H = random_init(problem, 1, 3, generator(2))
    plain = run_mu(problem, W, H, max_iter=300, tol=0, update_w=False)
    sparse = run_mu(problem, W, H, max_iter=300, tol=0, update_w=False, l1=50.0)
    assert (sparse.H < 1).sum() > (plain.H < 1).sum()


def test_em_step_never_increases_kl(problem):
    from unfoldnmf.nmf.measures import kl_divergence
    from unfoldnmf.nmf.updates import em_step_kl, normalise_columns

    W, H = normalise_columns(*random_init(problem, 2, 3, generator(4)))
    previous = kl_divergence(problem, W @ H)
    for _ in range(50):
        W, H = em_step_kl(problem, W, H)
        current = kl_divergence(problem, W @ H)
        assert (current <= previous * (1 + 1e-12)).all()
        previous = current


def test_exposures_stay_above_the_subnormal_floats_and_zeros_stay_zero(problem):
    W, H = random_init(problem.float(), 1, 3, generator(7))
    H[0, 0, :5] = 0.0
    H[0, 1, 5:10] = 1e-37  # near float32's smallest normal number: the updates would shrink it further
    fit = run_mu(problem.float(), W, H, max_iter=200, tol=0, update_w=False)
    assert (fit.H[0, 0, :5] == 0).all()
    positive = fit.H[fit.H > 0]
    assert positive.min() >= torch.finfo(torch.float32).tiny  # none subnormal


def test_extrapolated_updates_reach_a_lower_objective_in_the_same_iterations(problem):
    W, H = random_init(problem, 3, 4, generator(5))
    plain = run_mu(problem, W, H, max_iter=300, tol=0)
    shorter = run_mu(problem, W, H, max_iter=150, tol=0, accelerate=True)
    faster = run_mu(problem, W, H, max_iter=300, tol=0, accelerate=True)
    assert (faster.objective < plain.objective).all()
    assert (faster.objective <= shorter.objective).all()  # a block that raised the objective was undone
    torch.testing.assert_close(faster.objective, objective_value(problem, faster.W, faster.H, "kl"))
    torch.testing.assert_close(faster.W.sum(dim=1), torch.ones(3, 4, dtype=torch.float64))


def test_extrapolated_replicates_equal_separate_runs_and_zeros_stay_zero(problem):
    W, H = random_init(problem, 3, 3, generator(6))
    H[:, 0, :5] = 0.0  # e.g. the sparse refinement's support: a signature a sample lacks
    batched = run_mu(problem, W, H, max_iter=100, tol=0, update_w=False, accelerate=True)
    assert (batched.H[:, 0, :5] == 0).all() and (batched.H[:, 1:, :5] > 0).all()
    for r in range(3):
        single = run_mu(problem, W[r:r + 1], H[r:r + 1], max_iter=100, tol=0, update_w=False, accelerate=True)
        torch.testing.assert_close(single.H[0], batched.H[r])


@pytest.mark.parametrize("l2",
                         [0.0, 0.3, torch.tensor(0.0, dtype=torch.float64), torch.tensor(0.2, dtype=torch.float64)])
def test_kl_exposure_step_without_autograd_gives_the_bits_of_the_recorded_one(problem, l2):
    from unfoldnmf.nmf.updates import update_h_kl

    X = problem.contiguous()  # as every caller passes it (a strided X changes the rounding of the recorded step)
    W, H = random_init(X, 2, 3, generator(9))
    with torch.no_grad():
        in_place = update_h_kl(X, W, H, 0.1, l2)
    recorded = update_h_kl(X, W.clone().requires_grad_(True), H, 0.1, l2)
    assert recorded.requires_grad and torch.equal(in_place, recorded.detach())
    assert not H.isnan().any() and in_place.data_ptr() != H.data_ptr()


def test_kernels_taken_a_block_of_samples_at_a_time_equal_the_whole_catalog_formulas(problem, monkeypatch):
    from unfoldnmf.nmf import blocks
    from unfoldnmf.nmf.measures import kl_divergence
    from unfoldnmf.nmf.updates import em_step_kl, update_h_kl, update_w_kl

    W, H = random_init(problem, 2, 3, generator(8))
    ratio = problem / (W @ H + 1e-30)
    whole_h = H * (W.transpose(-2, -1) @ ratio) / W.sum(dim=-2).unsqueeze(-1)
    whole_w = W * (ratio @ H.transpose(-2, -1))
    monkeypatch.setattr(blocks, "BLOCK_ELEMENTS", 2 * 96 * 7)  # blocks of 7 samples, the last one shorter
    assert len(blocks.sample_blocks(problem.shape[1], 2 * 96)) > 5
    torch.testing.assert_close(update_h_kl(problem, W, H), whole_h)
    torch.testing.assert_close(update_w_kl(problem, W, H), whole_w / H.sum(dim=-1).unsqueeze(-2))
    W_next, H_next = em_step_kl(problem, W, H)
    torch.testing.assert_close(H_next, H * (W.transpose(-2, -1) @ ratio))
    torch.testing.assert_close(W_next, whole_w / whole_w.sum(dim=-2, keepdim=True))
    torch.testing.assert_close(objective_value(problem, W, H, "kl"), kl_divergence(problem, W @ H))
