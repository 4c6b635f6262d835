"""Exposures for known signatures: plain NNLS and a sparse refit that drops signatures a sample lacks."""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from scipy.optimize import nnls

from ..config import RefitConfig
from ..nmf.measures import poisson_deviance
from ..nmf.solver import run_mu

#: Iteration cap of the Poisson polish (:func:`poisson_polish`); it starts from NNLS and converges fast.
POLISH_ITERATIONS = 500


def nnls_exposures(signatures: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Non-negative least squares exposures (K × N) of each sample column of ``counts`` (96 × N)."""
    return np.stack([nnls(signatures, counts[:, j])[0] for j in range(counts.shape[1])], axis=1)


def dispersion(deviance: float, channels: int, signatures: int) -> float:
    """Over-dispersion of a fit: its deviance per residual degree of freedom, at least 1 (Poisson)."""
    return max(1.0, deviance / max(channels - signatures, 1))


def sparse_sample_exposures(signatures: np.ndarray, x: np.ndarray, min_deviance_gain: float,
                            scale_by_dispersion: bool = True) -> np.ndarray:
    """Backward elimination for one sample: starting from NNLS on all signatures (96 × K), repeatedly
    drop the signature with the smallest exposure while refitting without it raises the Poisson
    deviance of the fit to ``x`` (96,) by less than ``min_deviance_gain`` (a likelihood-ratio test:
    3.84 is the 5 % level of one degree of freedom), times the fit's over-dispersion
    (:func:`dispersion`) when ``scale_by_dispersion``: a spectrum that no mix of the signatures fits
    exactly (another signature version, an artefact) is not explained with extra signatures, however
    many mutations it has. Returns exposures (K,) in mutations."""
    channels, k = signatures.shape
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
        scale = dispersion(deviance, channels, len(active)) if scale_by_dispersion else 1.0
        if trial_deviance - deviance >= min_deviance_gain * scale:
            break
        active, weights, deviance = trial[trial_weights > 0], trial_weights[trial_weights > 0], trial_deviance
    exposures[active] = weights
    return exposures


def sparse_exposures(signatures: np.ndarray, counts: np.ndarray, refit: RefitConfig) -> np.ndarray:
    """Sparse non-negative exposures (K × N): :func:`sparse_sample_exposures` for every sample."""
    return np.stack([sparse_sample_exposures(signatures, counts[:, j], refit.min_deviance_gain, refit.scale_by_dispersion)
                     for j in range(counts.shape[1])], axis=1)


def cohort_signatures(signatures: np.ndarray, counts: np.ndarray, refit: RefitConfig) -> np.ndarray:
    """Indices of the signatures the cohort as a whole needs: the sparse refit of the pooled catalog
    (all samples' counts added up), where signatures of a few samples still leave a clear trace."""
    pooled = sparse_sample_exposures(signatures, counts.sum(axis=1), refit.min_deviance_gain, refit.scale_by_dispersion)
    return np.flatnonzero(pooled > 0)


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


def candidate_signatures(signatures: np.ndarray, counts: np.ndarray, refit: RefitConfig) -> np.ndarray:
    """Indices of the signatures the sparse refit may give to a sample of ``counts``: those the cohort
    needs (:func:`cohort_signatures`) with ``refit.cohort_preselect``, else all of them."""
    return cohort_signatures(signatures, counts, refit) if refit.cohort_preselect else np.arange(signatures.shape[1])


def refit_exposures(signatures: np.ndarray, counts: np.ndarray, refit: RefitConfig,
                    per_sample: Callable[[Callable[[np.ndarray], np.ndarray], np.ndarray], np.ndarray] = _whole,
                    candidates: np.ndarray | None = None) -> np.ndarray:
    """Exposures (K × N) by the configured method: ``sparse`` (backward elimination among the
    signatures the cohort needs, then the Poisson fit on the signatures kept) or ``nnls`` (plain
    non-negative least squares).

    ``per_sample(task, counts)`` runs the per-sample part over the sample columns, e.g. split among
    processes (:func:`unfoldnmf.hpc.distributed.by_columns`); the cohort's signatures and the Poisson
    fit always see every sample at once, so the result does not depend on the split. ``candidates``
    (indices) replaces :func:`candidate_signatures`, e.g. to refit resampled copies of a cohort on
    the original cohort's candidates."""
    if refit.method == "nnls":
        return per_sample(lambda part: nnls_exposures(signatures, part), counts)
    chosen = candidate_signatures(signatures, counts, refit) if candidates is None else candidates
    exposures = np.zeros((signatures.shape[1], counts.shape[1]))
    if len(chosen):
        support = per_sample(lambda part: sparse_exposures(signatures[:, chosen], part, refit), counts)
        exposures[chosen] = poisson_polish(signatures[:, chosen], counts, support)
    return exposures
