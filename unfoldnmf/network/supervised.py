"""Supervised training: learn an unfolded network that maps catalogs to their known exposures.

The network starts as L multiplicative-update iterations on the given signatures
(:meth:`UnfoldedNMF.from_signatures`) and is trained with Adam to minimise each sample's relative L1
exposure error Σ_k |ĥ_k − h_k| / total mutations plus ``network.likelihood_weight`` times the KL
divergence (half the Poisson deviance) of the catalog from W·ĥ per mutation. The second term needs
no labels: it keeps the network a good fit to any catalog, where the first alone would also learn
the exposure distribution of the training cohort (measured: a network trained on the relative L1
of a simulated cohort alone fits real-like cohorts worse than the untrained one). Without true
exposures it trains on a cohort simulated from the signatures (:func:`unfoldnmf.reference.simulate.simulate_cohort`).
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from ..config import Config
from ..errors import InputError
from ..hpc.device import generator, resolve_device, resolve_dtype
from ..nmf.measures import kl_divergence
from ..reference.simulate import simulate_cohort
from .unfolded import UnfoldedNMF

log = logging.getLogger("unfoldnmf")


@dataclass
class SupervisedFit:
    """A trained network and the facts of its training."""

    network: UnfoldedNMF
    signatures: pd.DataFrame  #: 96 × K, the signatures the network was built from
    info: dict = field(default_factory=dict)  #: samples, epochs, losses, seconds


def relative_l1(H: torch.Tensor, H_true: torch.Tensor, totals: torch.Tensor) -> torch.Tensor:
    """Per-sample exposure error Σ_k |H − H_true| / total mutations (samples without mutations count 1): shape (N,)."""
    return (H - H_true).abs().sum(dim=-2) / totals.clamp_min(1.0)


#: Adam step on the learned start's map, relative to the mean size of its entries and ``learning_rate``.
START_MAP_STEP = 0.04


def training_loss(network: UnfoldedNMF, W: torch.Tensor, X: torch.Tensor, H_true: torch.Tensor,
                  totals: torch.Tensor, likelihood_weight: float) -> torch.Tensor:
    """Mean relative L1 exposure error of the samples X (96 × n) plus ``likelihood_weight`` × the KL
    divergence of X from W·ĥ per mutation."""
    H = network(X)
    loss = relative_l1(H, H_true, totals).mean()
    if likelihood_weight:
        loss = loss + likelihood_weight * kl_divergence(X, W @ H) / totals.sum().clamp_min(1.0)
    return loss


def optimiser(network: UnfoldedNMF, learning_rate: float) -> torch.optim.Adam:
    """Adam with step ``learning_rate`` on the log-weights (a relative change), ``learning_rate``
    times max(1, initial value) on learnable penalties (in mutations) and :data:`START_MAP_STEP` ×
    ``learning_rate`` × mean |P| on the learned start's map P."""
    groups = [{"params": [p for name, p in network.named_parameters() if name.startswith("log_")], "lr": learning_rate}]
    if network.start == "learned":
        scale = float(network.start_map.detach().abs().mean())
        groups.append({"params": [network.start_map], "lr": START_MAP_STEP * learning_rate * scale})
    if network.learn_penalties:
        for penalty in (network.l1, network.l2):
            groups.append({"params": [penalty], "lr": learning_rate * max(1.0, float(penalty.detach().mean()))})
    return torch.optim.Adam(groups)


def training_cohort(signatures: pd.DataFrame, config: Config, catalog: pd.DataFrame | None,
                    exposures: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The (catalog 96 × N, exposures N × K) pairs to learn from, and where they came from."""
    if exposures is not None:
        if catalog is None:
            raise InputError("supervised training: true exposures were given without the catalog they belong to")
        return catalog, exposures.loc[catalog.columns, signatures.columns], "given exposures"
    cohort = simulate_cohort(signatures, config.network.simulated_samples, seed=config.seed)
    return cohort.catalog, cohort.exposures, f"simulated cohort of {config.network.simulated_samples} samples"


#: Share of the training samples held out to pick the best epoch (when there are at least 10 samples).
VALIDATION_SHARE = 0.1


def train_supervised(signatures: pd.DataFrame, config: Config | None = None, catalog: pd.DataFrame | None = None,
                     exposures: pd.DataFrame | None = None, progress: bool = False) -> SupervisedFit:
    """Train an unfolded network on ``signatures`` (96 × K).

    With ``exposures`` (samples × K, true exposures of ``catalog``'s samples) it learns from that
    catalog; otherwise from a simulated cohort (a catalog without exposures is not used here: to learn
    from its first-pass refit, as ``train CATALOG --mode supervised`` does, call
    :func:`unfoldnmf.exposures.learned.train_on_catalog`). The network's objective and penalties come from
    ``config.solver``, its depth and schedule from ``config.network``. A random
    :data:`VALIDATION_SHARE` of the samples is held out, and the weights of the epoch (the untrained
    network counting as epoch 0) with the lowest held-out error are kept.
    """
    config = config or Config()
    net_cfg, solver = config.network, config.solver
    device, dtype = resolve_device(config.device), resolve_dtype(config.dtype)
    started = time.perf_counter()
    train_catalog, train_exposures, source = training_cohort(signatures, config, catalog, exposures)
    X = torch.tensor(train_catalog.loc[signatures.index].to_numpy(), dtype=dtype, device=device)
    H_true = torch.tensor(train_exposures.to_numpy().T, dtype=dtype, device=device)
    totals = X.sum(dim=0)
    order = torch.randperm(X.shape[1], generator=generator(config.seed, -1)).to(device)
    held_out = order[: int(VALIDATION_SHARE * X.shape[1])] if X.shape[1] >= 10 else order
    fitted = order[len(held_out):] if X.shape[1] >= 10 else order
    W = torch.tensor(signatures.to_numpy(), dtype=dtype, device=device)
    network = UnfoldedNMF.from_signatures(W, solver.objective, net_cfg.layers, net_cfg.tied, solver.l1, solver.l2,
                                          net_cfg.learn_penalties, net_cfg.start, net_cfg.prune_share)

    def loss(samples: torch.Tensor) -> torch.Tensor:
        return training_loss(network, W, X[:, samples], H_true[:, samples], totals[samples], net_cfg.likelihood_weight)

    def held_out_error() -> float:
        with torch.no_grad():
            return float(loss(held_out))

    errors = [held_out_error()]
    best_state = copy.deepcopy(network.state_dict())
    adam = optimiser(network, net_cfg.learning_rate)
    bar = tqdm(range(net_cfg.epochs), desc="epochs", unit="epoch", disable=None if progress else True, leave=False)
    for epoch in bar:
        shuffled = fitted[torch.randperm(len(fitted), generator=generator(config.seed, epoch)).to(device)]
        for step, first in enumerate(range(0, len(shuffled), net_cfg.batch_size)):
            network.descend(adam, loss(shuffled[first:first + net_cfg.batch_size]),
                            f"supervised training, epoch {epoch + 1}, step {step + 1}")
        errors.append(held_out_error())
        if errors[-1] < min(errors[:-1]):
            best_state = copy.deepcopy(network.state_dict())
        bar.set_postfix(held_out=f"{errors[-1]:.4f}")
    bar.close()
    network.load_state_dict(best_state)
    best_epoch = errors.index(min(errors))
    info = {
        "training_data": source,
        "training_samples": len(fitted),
        "held_out_samples": len(held_out),
        "device": str(device),
        "held_out_loss_untrained": round(errors[0], 6),
        "held_out_loss": round(errors[best_epoch], 6),
        "best_epoch": best_epoch,
        "seconds_training": round(time.perf_counter() - started, 3),
    }
    log.info("supervised network: held-out loss %.4f at epoch %d (untrained %.4f)",
             errors[best_epoch], best_epoch, errors[0])
    if net_cfg.epochs and best_epoch == 0:
        log.warning("supervised network: no epoch of %d improved the held-out loss; the network saved is the "
                    "untrained one (%d multiplicative-update layers)", net_cfg.epochs, net_cfg.layers)
    return SupervisedFit(network=network, signatures=signatures, info=info)


#: Samples per forward pass in :func:`predict_exposures`: memory stays bounded for any cohort size.
PREDICT_CHUNK = 32768


def predict_exposures(network: UnfoldedNMF, catalog: pd.DataFrame, signature_names: list[str],
                      device: torch.device, dtype: torch.dtype) -> pd.DataFrame:
    """Exposures (samples × K, in mutations) of every column of ``catalog`` (96 × N), by forward
    passes over chunks of :data:`PREDICT_CHUNK` samples (on a copy of ``network`` moved to
    ``device`` and ``dtype``: the caller's network stays where it is)."""
    network = copy.deepcopy(network).to(device, dtype)
    counts = np.ascontiguousarray(catalog.to_numpy())  # a pandas table is often column-major: a strided X is slower
    exposures = np.empty((counts.shape[1], len(signature_names)))
    with torch.no_grad():
        for start in range(0, counts.shape[1], PREDICT_CHUNK):
            X = torch.tensor(counts[:, start:start + PREDICT_CHUNK], dtype=dtype, device=device)
            exposures[start:start + X.shape[1]] = network(X).cpu().double().numpy().T
    return pd.DataFrame(exposures, index=pd.Index(catalog.columns, name="Samples"), columns=signature_names)
