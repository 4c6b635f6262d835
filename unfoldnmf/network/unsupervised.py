"""Unsupervised training: learn signatures W and an unfolded network jointly from catalogs alone.

Alternation, as in Nasser, Eldar & Sharan: (1) with W fixed, Adam steps on the network so that its
exposures H = net(X) minimise the penalised objective D(X ‖ W·H) (+ λ1ΣH + ½λ2ΣH²); (2) with
H = net(X) fixed, multiplicative updates of W (:mod:`unfoldnmf.nmf.updates`). W starts from a random
non-negative matrix, the network from L MU iterations on it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from ..config import Config
from ..errors import NumericalError
from ..hpc.device import generator, resolve_device, resolve_dtype
from ..nmf.measures import objective_value
from ..nmf.solver import random_init
from ..nmf.updates import normalise_columns, update_w_frobenius, update_w_kl
from .supervised import optimiser
from .unfolded import UnfoldedNMF


@dataclass
class UnsupervisedFit:
    """Signatures, exposures and the network learned from a catalog."""

    W: torch.Tensor  #: (96, K), columns sum to 1
    H: torch.Tensor  #: (K, N), exposures in mutations (the network's output, rescaled with W)
    network: UnfoldedNMF
    objective: float  #: final penalised objective per sample
    rounds: int
    seconds: float


def train_unsupervised(X: torch.Tensor, k: int, config: Config | None = None, network_steps: int = 5,
                       w_steps: int = 5, seconds: float | None = None) -> UnsupervisedFit:
    """Learn W (96 × K) and the network from the catalog X (96 × N, counts) for ``config.network.epochs``
    rounds, or until ``seconds`` of wall time have passed, of ``network_steps`` Adam steps (full batch)
    then ``w_steps`` multiplicative W updates. Objective and penalties from ``config.solver``."""
    config = config or Config()
    solver, net_cfg = config.solver, config.network
    device, dtype = resolve_device(config.device), resolve_dtype(config.dtype)
    X = X.to(device, dtype)
    started = time.perf_counter()
    W, _ = random_init(X, 1, k, generator(config.seed, k))
    W = W[0]
    network = UnfoldedNMF.from_signatures(W, solver.objective, net_cfg.layers, net_cfg.tied,
                                          solver.l1, solver.l2, net_cfg.learn_penalties)
    adam = optimiser(network, net_cfg.learning_rate)
    step_w = update_w_kl if solver.objective == "kl" else update_w_frobenius
    samples = X.shape[1]
    rounds = 0
    while rounds < net_cfg.epochs and (seconds is None or time.perf_counter() - started < seconds):
        for step in range(network_steps):
            loss = objective_value(X, W, network(X), solver.objective, solver.l1, solver.l2) / samples
            network.descend(adam, loss, f"unsupervised training, round {rounds + 1}, network step {step + 1}")
        with torch.no_grad():
            H = network(X)
            for _ in range(w_steps):
                W = step_w(X, W, H)
        rounds += 1
    with torch.no_grad():
        H = network(X)
        final = objective_value(X, W, H, solver.objective, solver.l1, solver.l2) / samples
        if not torch.isfinite(final):
            raise NumericalError(f"unsupervised training: objective is NaN/inf after round {rounds}")
        W_out, H_out = normalise_columns(W, H)
    return UnsupervisedFit(W=W_out, H=H_out, network=network, objective=float(final), rounds=rounds,
                           seconds=round(time.perf_counter() - started, 3))
