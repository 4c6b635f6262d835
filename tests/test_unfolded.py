"""The unfolded network: untrained it is exactly MU, trained it fits exposures better, it fails loudly."""

from __future__ import annotations

import logging

import pytest
import torch

from unfoldnmf.config import load_config
from unfoldnmf.errors import NumericalError
from unfoldnmf.exposures.refit import nnls_exposures
from unfoldnmf.network.supervised import relative_l1, train_supervised, training_loss
from unfoldnmf.network.unfolded import UnfoldedNMF
from unfoldnmf.network.unsupervised import train_unsupervised
from unfoldnmf.nmf.solver import run_mu
from unfoldnmf.reference.cosmic import cosmic_signatures
from unfoldnmf.reference.simulate import simulate_cohort


@pytest.mark.parametrize("objective", ["kl", "frobenius"])
@pytest.mark.parametrize("tied", [False, True])
def test_untrained_network_equals_mu_iterations_in_float64(cohort, true_signatures, objective, tied):
    X = torch.tensor(cohort.catalog.to_numpy(), dtype=torch.float64)
    W = torch.tensor(true_signatures.to_numpy(), dtype=torch.float64)
    network = UnfoldedNMF.from_signatures(W, objective, layers=7, tied=tied, l1=2.0, l2=0.01)
    H0 = network.initial_exposures(X)
    mu = run_mu(X, W[None], H0[None], objective, max_iter=7, tol=0, check_every=7, l1=2.0, l2=0.01, update_w=False)
    with torch.no_grad():
        H = network(X)
    torch.testing.assert_close(H, mu.H[0], rtol=1e-12, atol=1e-9)
    torch.testing.assert_close(H0, X.sum(0, keepdim=True).expand(3, -1) / 3)


def _config(**network):
    return load_config(None, [{"dtype": "float64", "network": {"layers": 3, "epochs": 8, "batch_size": 64,
                                                               "simulated_samples": 200, **network}}])


def test_supervised_training_beats_untrained_network_on_held_out_samples(true_signatures):
    held_out = simulate_cohort(true_signatures, 150, seed=11)
    X = torch.tensor(held_out.catalog.to_numpy())
    truth = torch.tensor(held_out.exposures.to_numpy().T)
    fit = train_supervised(true_signatures, _config(start="flat", prune_share=0.0))
    untrained = UnfoldedNMF.from_signatures(torch.tensor(true_signatures.to_numpy()), "kl", layers=3)
    with torch.no_grad():
        trained_error = relative_l1(fit.network(X), truth, X.sum(0)).mean()
        untrained_error = relative_l1(untrained(X), truth, X.sum(0)).mean()
    assert trained_error < 0.9 * untrained_error
    assert fit.info["best_epoch"] > 0
    assert fit.info["held_out_loss"] < fit.info["held_out_loss_untrained"]


def test_default_network_beats_nnls_on_false_assignments_at_equal_error():
    signatures = cosmic_signatures(["SBS1", "SBS2", "SBS5", "SBS13", "SBS18", "SBS40a"])
    held_out = simulate_cohort(signatures, 300, seed=12)
    X = torch.tensor(held_out.catalog.to_numpy())
    truth = held_out.exposures.to_numpy().T
    fit = train_supervised(signatures, load_config(None, [{"dtype": "float64", "network": {"epochs": 5}}]))
    with torch.no_grad():
        network = fit.network(X).numpy()
    nnls = nnls_exposures(signatures.to_numpy(), X.numpy())

    def l1_and_false(H):
        l1 = relative_l1(torch.tensor(H), torch.tensor(truth), X.sum(0)).mean()
        return float(l1), H[truth == 0].sum() / H.sum()

    (network_l1, network_false), (nnls_l1, nnls_false) = l1_and_false(network), l1_and_false(nnls)
    assert network_l1 <= nnls_l1 and network_false < 0.8 * nnls_false
    assert (network == 0).mean() > 0.3  # pruning leaves true zeros, not small amounts


def test_same_seed_same_network(true_signatures):
    first, second = (train_supervised(true_signatures, _config(epochs=2, tied=True)) for _ in range(2))
    for a, b in zip(first.network.parameters(), second.network.parameters()):
        assert torch.equal(a, b)


def test_nan_input_stops_with_a_clear_error(true_signatures):
    network = UnfoldedNMF.from_signatures(torch.tensor(true_signatures.to_numpy()), "kl", layers=3)
    X = torch.ones(96, 2, dtype=torch.float64)
    X[0, 0] = float("inf")
    with pytest.raises(NumericalError, match="NaN/inf"):
        network(X)


@pytest.mark.parametrize("objective", ["kl", "frobenius"])
def test_unsupervised_trainer_lowers_the_objective(cohort, objective):
    X = torch.tensor(cohort.catalog.to_numpy())
    config = load_config(None, [{"dtype": "float64", "solver": {"objective": objective},
                                 "network": {"layers": 3, "epochs": 1}}])
    short = train_unsupervised(X, 3, config, network_steps=2)
    config.network.epochs = 6
    longer = train_unsupervised(X, 3, config, network_steps=2)
    assert longer.objective < short.objective
    torch.testing.assert_close(longer.W.sum(0), torch.ones(3, dtype=torch.float64))
    assert (longer.H >= 0).all() and longer.rounds == 6


def test_training_that_never_improves_says_so():
    """86 COSMIC signatures, a tiny simulated cohort and 2 epochs: the untrained network stays best."""
    messages: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: messages.append(record.getMessage())
    logger = logging.getLogger("unfoldnmf")
    logger.addHandler(handler)
    try:
        config = load_config(None, [{"device": "cpu", "network": {"epochs": 2, "simulated_samples": 300}}])
        fit = train_supervised(cosmic_signatures(), config)
    finally:
        logger.removeHandler(handler)
    assert fit.info["best_epoch"] == 0
    assert any("no epoch of 2 improved" in message for message in messages)


def test_float32_gradients_stay_finite_where_a_zero_in_w_empties_a_channel():
    """A signature's exact zero plus a pruned exposure leave W·H = 0 in a channel with mutations; the
    layer guard keeps the float32 gradient of X ⊘ WH finite (it overflowed to inf, then NaN)."""
    W = torch.full((96, 2), 1 / 95, dtype=torch.float32)
    W[0, 0] = 0.0  # channel 0 belongs to the second signature only, which the prune removes
    W[1:, 1] = 0.0
    W[1, 1] = 94 / 95
    X = torch.zeros(96, 1)
    X[0, 0], X[2:, 0] = 1.0, 10.0
    network = UnfoldedNMF.from_signatures(W, "kl", layers=5, prune_share=0.05)
    loss = training_loss(network, W, X, torch.tensor([[940.0], [1.0]]), X.sum(0), likelihood_weight=1000.0)
    loss.backward()
    assert torch.isfinite(loss)
    assert all(torch.isfinite(p.grad).all() for p in network.parameters() if p.grad is not None)
