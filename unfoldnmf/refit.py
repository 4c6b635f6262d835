"""Exposures for known signatures: plain NNLS and a sparse refit that drops signatures a sample lacks."""

from __future__ import annotations

import numpy as np
from scipy.optimize import nnls


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / norm) if norm > 0 else 0.0


def nnls_exposures(signatures: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Non-negative least squares exposures (K × N) of each sample column of ``counts`` (96 × N)."""
    return np.stack([nnls(signatures, counts[:, j])[0] for j in range(counts.shape[1])], axis=1)


def sparse_sample_exposures(signatures: np.ndarray, x: np.ndarray, min_cosine_gain: float) -> np.ndarray:
    """Backward elimination for one sample: starting from NNLS on all signatures, repeatedly drop the
    signature with the smallest exposure while the reconstruction's cosine similarity to ``x`` stays
    within ``min_cosine_gain`` of the full fit's. Returns exposures (K,)."""
    k = signatures.shape[1]
    exposures = np.zeros(k)
    if not x.any():
        return exposures
    active = np.arange(k)
    weights, _ = nnls(signatures, x)
    best = _cosine(x, signatures @ weights)
    active, weights = active[weights > 0], weights[weights > 0]
    while len(active) > 1:
        drop = int(np.argmin(weights))
        trial = np.delete(active, drop)
        trial_weights, _ = nnls(signatures[:, trial], x)
        if best - _cosine(x, signatures[:, trial] @ trial_weights) >= min_cosine_gain:
            break
        active, weights = trial[trial_weights > 0], trial_weights[trial_weights > 0]
    exposures[active] = weights
    return exposures


def sparse_exposures(signatures: np.ndarray, counts: np.ndarray, min_cosine_gain: float = 0.01) -> np.ndarray:
    """Sparse non-negative exposures (K × N): :func:`sparse_sample_exposures` for every sample."""
    return np.stack(
        [sparse_sample_exposures(signatures, counts[:, j], min_cosine_gain) for j in range(counts.shape[1])], axis=1
    )


def refit_exposures(signatures: np.ndarray, counts: np.ndarray, method: str, min_cosine_gain: float) -> np.ndarray:
    """Exposures by the configured method, ``sparse`` or ``nnls``."""
    if method == "nnls":
        return nnls_exposures(signatures, counts)
    return sparse_exposures(signatures, counts, min_cosine_gain)
