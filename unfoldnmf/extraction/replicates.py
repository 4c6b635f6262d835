"""De novo extraction for one K: resampled replicates, batched NMF, consensus and refinement."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..config import Config
from ..hpc import distributed
from ..hpc.device import generator
from ..nmf.measures import kl_divergence, objective_value
from ..nmf.solver import random_init, run_mu
from .consensus import consensus

#: Hypermutated samples are scaled down to this many mutations when no cap is configured,
#: or to a multiple of the median total when that is larger (see :func:`hypermutation_cap`).
MIN_CAP = 9600.0
MEDIAN_MULTIPLE = 5.0
#: Smallest weight a consensus signature starts its refinement with (see :func:`extract_k`).
SIGNATURE_FLOOR = 1e-9


@dataclass
class KSolution:
    """The consensus solution for one K."""

    k: int
    signatures: np.ndarray  #: (96, K), columns sum to 1
    exposures: np.ndarray  #: (K, N) in mutations of the original (uncapped) catalog
    stability: np.ndarray  #: (K,) silhouette of each consensus signature
    deviance: float  #: Poisson deviance of the refined fit to the capped catalog

    @property
    def mean_stability(self) -> float:
        return float(self.stability.mean())

    @property
    def min_stability(self) -> float:
        return float(self.stability.min())


def hypermutation_cap(totals: np.ndarray, configured: float | None) -> float:
    """The mutation count above which a sample is scaled down before extraction."""
    if configured is not None:
        return float(configured)
    return max(MIN_CAP, MEDIAN_MULTIPLE * float(np.median(totals)))


def cap_totals(counts: np.ndarray, cap: float) -> tuple[np.ndarray, np.ndarray]:
    """Scale samples whose total exceeds ``cap`` down to ``cap``; returns (capped counts, scale ≤ 1)."""
    totals = counts.sum(axis=0)
    scale = np.minimum(1.0, cap / np.maximum(totals, 1e-300))
    return counts * scale, scale


def resample(counts: torch.Tensor, method: str, gen: torch.Generator) -> torch.Tensor:
    """A bootstrap copy of a catalog: Poisson draws, or multinomial draws keeping each total."""
    if method == "none":
        return counts.clone()
    if method == "poisson":
        return torch.poisson(counts, generator=gen)
    totals = counts.sum(dim=0).round().long()
    copy = torch.zeros_like(counts)
    for j in range(counts.shape[1]):
        draws = torch.multinomial(counts[:, j], int(totals[j]), replacement=True, generator=gen)
        copy[:, j] = torch.bincount(draws, minlength=counts.shape[0]).to(counts.dtype)
    return copy


def sample_subset(samples: int, size: int, gen: torch.Generator) -> torch.Tensor | slice:
    """The samples one replicate solves: all of them (no random draw), or ``size`` drawn without replacement."""
    if size >= samples:
        return slice(None)
    return torch.randperm(samples, generator=gen)[:size].sort().values


def extract_k(counts: np.ndarray, scale: np.ndarray, k: int, config: Config, device: torch.device, dtype: torch.dtype,
              split_replicates: bool = False) -> KSolution:
    """Extract K signatures from a capped catalog (96 × N) with resampled, batched replicates.

    With ``split_replicates`` every process of a torchrun solves its block of the replicates, and
    all of them get the consensus of the whole set."""
    ext, solver = config.extraction, config.solver
    replicates = distributed.replicate_block(ext.replicates) if split_replicates else range(ext.replicates)
    base = torch.as_tensor(counts, dtype=torch.float64)
    size = base.shape[1] if ext.max_samples is None else min(base.shape[1], ext.max_samples)
    # R × 96 × size, no float64 copy
    X = torch.empty((len(replicates), base.shape[0], size), dtype=dtype, device=device)
    reference = torch.empty_like(X)  # each replicate's samples as they are, to judge its fit on
    starts_w, starts_h = [], []
    for index, replicate in enumerate(replicates):
        gen = generator(config.seed, k, replicate)
        rates = base[:, sample_subset(base.shape[1], size, gen)]
        reference[index] = rates
        X[index] = resample(rates, ext.resample, gen)
        w0, h0 = random_init(rates, 1, k, gen)
        starts_w.append(w0)
        starts_h.append(h0.to(dtype))
    fit = run_mu(X, torch.cat(starts_w).to(device, dtype), torch.cat(starts_h).to(device, dtype),
                 **solver.run_options(), agree=distributed.agree if split_replicates else None,
                 block_replicates=ext.replicates)
    replicate_w = fit.W.double().cpu().numpy()
    # Each replicate was fitted to its own resampled catalog: judge them all on the catalog itself,
    # per mutation (replicates of a subsampled catalog each see their own samples).
    objectives = objective_value(reference, fit.W, fit.H, solver.objective, solver.l1, solver.l2,
                                 ext.replicates).double()
    objectives = (objectives / reference.sum(dim=(-2, -1), dtype=torch.float64).clamp_min(1.0)).cpu().numpy()
    if split_replicates:
        replicate_w, objectives = distributed.concatenate(replicate_w), distributed.concatenate(objectives)
    agreed = consensus(replicate_w, objectives)

    data = torch.as_tensor(counts, dtype=dtype, device=device).unsqueeze(0)
    # Multiplicative updates cannot revive an exact zero: a channel every resampled copy missed would
    # stay impossible and samples with mutations only there would get no exposure at all.
    W = torch.as_tensor(np.maximum(agreed.signatures, SIGNATURE_FLOOR), dtype=dtype, device=device).unsqueeze(0)
    _, h0 = random_init(data[0], 1, k, generator(config.seed, k, -1))
    exposures = run_mu(data, W, h0.to(device, dtype), **solver.run_options(), update_w=False)
    refined = run_mu(data, W, exposures.H, **solver.run_options())
    deviance = 2 * float(kl_divergence(data.double(), (refined.W @ refined.H).double())[0])
    H = refined.H[0].double().cpu().numpy() / scale[None, :]
    return KSolution(
        k=k,
        signatures=refined.W[0].double().cpu().numpy(),
        exposures=H,
        stability=agreed.stability,
        deviance=deviance,
    )
