"""Exposures for known signatures: plain NNLS and a sparse refit that drops signatures a sample lacks."""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from scipy.optimize import nnls

from .nmf import run_mu

#: Iteration cap of the Poisson polish (:func:`poisson_polish`); it starts from NNLS and converges fast.
POLISH_ITERATIONS = 500


def poisson_deviance(x: np.ndarray, mean: np.ndarray) -> float:
    """Poisson deviance 2 Σ [x log(x / mean) − x + mean] of counts ``x`` (96,) against ``mean`` (96,)."""
    mean = np.maximum(mean, 1e-12)
    ratio = np.where(x > 0, x * np.log(np.where(x > 0, x, 1.0) / mean), 0.0)
    return float(2.0 * np.sum(ratio - x + mean))


def nnls_exposures(signatures: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Non-negative least squares exposures (K × N) of each sample column of ``counts`` (96 × N)."""
    return np.stack([nnls(signatures, counts[:, j])[0] for j in range(counts.shape[1])], axis=1)


def sparse_sample_exposures(signatures: np.ndarray, x: np.ndarray, min_deviance_gain: float) -> np.ndarray:
    """Backward elimination for one sample: starting from NNLS on all signatures (96 × K), repeatedly
    drop the signature with the smallest exposure while refitting without it raises the Poisson
    deviance of the fit to ``x`` (96,) by less than ``min_deviance_gain`` (a likelihood-ratio test:
    3.84 is the 5 % level of one degree of freedom). Returns exposures (K,) in mutations."""
    k = signatures.shape[1]
    exposures = np.zeros(k)
    if not x.any():
        return exposures
    weights, _ = nnls(signatures, x)
    active, weights = np.flatnonzero(weights > 0), weights[weights > 0]
    deviance = poisson_deviance(x, signatures[:, active] @ weights)
    while len(active) > 1:
        trial = np.delete(active, int(np.argmin(weights)))
        trial_weights, _ = nnls(signatures[:, trial], x)
        trial_deviance = poisson_deviance(x, signatures[:, trial] @ trial_weights)
        if trial_deviance - deviance >= min_deviance_gain:
            break
        active, weights, deviance = trial[trial_weights > 0], trial_weights[trial_weights > 0], trial_deviance
    exposures[active] = weights
    return exposures


def sparse_exposures(signatures: np.ndarray, counts: np.ndarray, min_deviance_gain: float = 6.0) -> np.ndarray:
    """Sparse non-negative exposures (K × N): :func:`sparse_sample_exposures` for every sample."""
    return np.stack(
        [sparse_sample_exposures(signatures, counts[:, j], min_deviance_gain) for j in range(counts.shape[1])], axis=1
    )


def poisson_polish(signatures: np.ndarray, counts: np.ndarray, exposures: np.ndarray) -> np.ndarray:
    """Move least-squares exposures (K × N) to the Poisson maximum-likelihood fit on the same support.

    Multiplicative KL updates keep zero exposures at zero, so the signatures a sample was given stay
    the only ones; at convergence each sample's exposures add up to its mutation count."""
    W, X, H = (torch.tensor(np.ascontiguousarray(a), dtype=torch.float64).unsqueeze(0)
               for a in (signatures, counts, exposures))
    H = torch.where(H > 0, H.clamp_min(1e-3), H)
    fit = run_mu(X, W, H, objective="kl", max_iter=POLISH_ITERATIONS, tol=1e-9, update_w=False)
    return fit.H[0].numpy()


def _whole(task: Callable[[np.ndarray], np.ndarray], counts: np.ndarray) -> np.ndarray:
    return task(counts)


def refit_exposures(signatures: np.ndarray, counts: np.ndarray, method: str, min_deviance_gain: float,
                    per_sample: Callable[[Callable[[np.ndarray], np.ndarray], np.ndarray], np.ndarray] = _whole) -> np.ndarray:
    """Exposures by the configured method: ``sparse`` (backward elimination, then the Poisson fit on
    the signatures kept) or ``nnls`` (plain non-negative least squares).

    ``per_sample(task, counts)`` runs the per-sample part over the sample columns, e.g. split among
    processes (:func:`unfoldnmf.distributed.by_columns`); the Poisson fit always sees every sample at
    once, so where it stops, and hence the result, does not depend on the split."""
    if method == "nnls":
        return per_sample(lambda part: nnls_exposures(signatures, part), counts)
    support = per_sample(lambda part: sparse_exposures(signatures, part, min_deviance_gain), counts)
    return poisson_polish(signatures, counts, support)
