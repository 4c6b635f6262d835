"""Supervised training: learn an unfolded network that maps catalogs to their known exposures.

The network starts as L multiplicative-update iterations on the given signatures
(:meth:`UnfoldedNMF.from_signatures`) and is trained with Adam to minimise each sample's relative L1
exposure error Σ_k |ĥ_k − h_k| / total mutations. Without true exposures it trains on a cohort
simulated from the signatures (:func:`unfoldnmf.simulate.simulate_cohort`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import pandas as pd
import torch
from tqdm import tqdm

from .config import Config
from .device import generator, resolve_device, resolve_dtype
from .errors import InputError
from .simulate import simulate_cohort
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


def optimiser(network: UnfoldedNMF, learning_rate: float) -> torch.optim.Adam:
    """Adam with step ``learning_rate`` on the log-weights (a relative change) and ``learning_rate``
    times max(1, initial value) on learnable penalties (in mutations)."""
    groups = [{"params": [p for name, p in network.named_parameters() if name.startswith("log_")], "lr": learning_rate}]
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


def train_supervised(signatures: pd.DataFrame, config: Config | None = None, catalog: pd.DataFrame | None = None,
                     exposures: pd.DataFrame | None = None, progress: bool = False) -> SupervisedFit:
    """Train an unfolded network on ``signatures`` (96 × K).

    With ``exposures`` (samples × K, true exposures of ``catalog``'s samples) it learns from that
    catalog; otherwise from a simulated cohort. The network's objective and penalties come from
    ``config.solver``, its depth and schedule from ``config.network``.
    """
    config = config or Config()
    net_cfg, solver = config.network, config.solver
    device, dtype = resolve_device(config.device), resolve_dtype(config.dtype)
    started = time.perf_counter()
    train_catalog, train_exposures, source = training_cohort(signatures, config, catalog, exposures)
    X = torch.tensor(train_catalog.loc[signatures.index].to_numpy(), dtype=dtype, device=device)
    H_true = torch.tensor(train_exposures.to_numpy().T, dtype=dtype, device=device)
    totals = X.sum(dim=0)
    W = torch.tensor(signatures.to_numpy(), dtype=dtype, device=device)
    network = UnfoldedNMF.from_signatures(W, solver.objective, net_cfg.layers, net_cfg.tied,
                                          solver.l1, solver.l2, net_cfg.learn_penalties)
    with torch.no_grad():
        initial = float(relative_l1(network(X), H_true, totals).mean())
    adam = optimiser(network, net_cfg.learning_rate)
    samples = X.shape[1]
    losses = []
    bar = tqdm(range(net_cfg.epochs), desc="epochs", unit="epoch", disable=None if progress else True, leave=False)
    for epoch in bar:
        order = torch.randperm(samples, generator=generator(config.seed, epoch)).to(device)
        total = 0.0
        for step, start in enumerate(range(0, samples, net_cfg.batch_size)):
            batch = order[start:start + net_cfg.batch_size]
            loss = relative_l1(network(X[:, batch]), H_true[:, batch], totals[batch]).mean()
            network.descend(adam, loss, f"supervised training, epoch {epoch + 1}, step {step + 1}")
            total += float(loss.detach()) * len(batch)
        losses.append(total / samples)
        bar.set_postfix(loss=f"{losses[-1]:.4f}")
    bar.close()
    info = {
        "training_data": source,
        "training_samples": samples,
        "device": str(device),
        "relative_l1_untrained": round(initial, 6),
        "relative_l1_final_epoch": round(losses[-1], 6),
        "seconds_training": round(time.perf_counter() - started, 3),
    }
    log.info("supervised network: training relative L1 %.4f (untrained %.4f)", losses[-1], initial)
    return SupervisedFit(network=network, signatures=signatures, info=info)


def predict_exposures(network: UnfoldedNMF, catalog: pd.DataFrame, signature_names: list[str],
                      device: torch.device, dtype: torch.dtype) -> pd.DataFrame:
    """One forward pass: exposures (samples × K, in mutations) of every column of ``catalog`` (96 × N)."""
    network = network.to(device, dtype)
    X = torch.tensor(catalog.to_numpy(), dtype=dtype, device=device)
    with torch.no_grad():
        H = network(X)
    table = pd.DataFrame(H.cpu().numpy().T, index=pd.Index(catalog.columns, name="Samples"), columns=signature_names)
    return table
