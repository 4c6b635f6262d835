"""Per-sample uncertainty of refitted exposures: a bootstrap over each sample's mutations.

Each replicate counts every mutation of a sample a Poisson(1) number of times (so the total varies,
as between sequencing runs) and refits the copy with the same method, as a sample of the original
cohort (its candidates, :func:`unfoldnmf.exposures.refit.cohort_candidates`; the shallow-sample rule
goes by the copy's own total, so near its limit copies may differ in rule and the interval widens).
The interval of an exposure is the central ``confidence`` share of its replicates (percentile
bootstrap); for the sparse refit it is widened to hold the same share of the
replicates' fits without the selection as well (the Poisson fit on every candidate,
:func:`unselected_exposures`): dropping a signature moves its mutations to its neighbours, a bias
the copies share with the estimate, and the union covers it. The presence of an exposure is the
share of the sparse refit's replicates that gave the signature any mutations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..config import RefitConfig
from ..errors import InputError
from ..io.tables import holds_counts
from .active_set import active_set_nnls
from .refit import cohort_candidates, poisson_polish, refit_exposures


@dataclass
class BootstrapIntervals:
    """Bootstrap intervals of exposures (K × N, in mutations) and the share of replicates keeping each."""

    lower: np.ndarray
    upper: np.ndarray
    presence: np.ndarray


def resample_mutations(rng: np.random.Generator, counts: np.ndarray) -> np.ndarray:
    """A copy of ``counts`` (96 × N) with each mutation counted a Poisson(1) number of times."""
    return rng.poisson(counts).astype(float)


def unselected_exposures(signatures: np.ndarray, counts: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Exposures (K × N) of ``counts`` (96 × N) by the Poisson fit on all ``candidates`` (indices of
    the columns of ``signatures``, 96 × K), none dropped: the sparse refit without its selection."""
    exposures = np.zeros((signatures.shape[1], counts.shape[1]))
    if len(candidates):
        chosen = signatures[:, candidates]
        start = active_set_nnls(chosen, counts, np.ones((counts.shape[1], len(candidates)), dtype=bool))
        exposures[candidates] = poisson_polish(chosen, counts, start.T)
    return exposures


def bootstrap_exposures(signatures: np.ndarray, counts: np.ndarray, refit: RefitConfig, replicates: int,
                        confidence: float = 0.95, seed: int = 0, progress: bool = False,
                        background: np.ndarray | None = None,
                        candidates: np.ndarray | None = None) -> BootstrapIntervals:
    """Intervals of the exposures of ``counts`` (96 × N, mutation counts) on ``signatures`` (96 × K)
    from ``replicates`` resampled copies refitted with ``refit`` (and ``background``, see
    :func:`unfoldnmf.exposures.refit.sparse_exposures`); the same ``seed`` gives the same intervals.
    With the sparse method each interval also holds the ``confidence`` share of the copies' fits on
    every candidate (:func:`unselected_exposures`). ``candidates`` are the cohort's (indices of
    ``signatures``; None: :func:`unfoldnmf.exposures.refit.cohort_candidates` of ``counts``)."""
    if not holds_counts(counts):
        raise InputError("--bootstrap resamples mutations: the catalog must hold whole counts, not proportions")
    rng = np.random.default_rng(seed)
    if refit.method == "nnls":
        candidates = None
    elif candidates is None:
        candidates = cohort_candidates(signatures, counts, refit, background)
    draws = np.empty((replicates, signatures.shape[1], counts.shape[1]))
    unselected = np.empty_like(draws) if candidates is not None else None
    for replicate in tqdm(range(replicates), desc="bootstrap", unit="replicate", disable=None if progress else True,
                          leave=False):
        copy = resample_mutations(rng, counts)
        draws[replicate] = refit_exposures(signatures, copy, refit, candidates=candidates, background=background)
        if unselected is not None:
            unselected[replicate] = unselected_exposures(signatures, copy, candidates)
    tail = (1.0 - confidence) / 2
    lower, upper = np.quantile(draws, [tail, 1.0 - tail], axis=0)
    if unselected is not None:
        free_lower, free_upper = np.quantile(unselected, [tail, 1.0 - tail], axis=0)
        lower, upper = np.minimum(lower, free_lower), np.maximum(upper, free_upper)
    return BootstrapIntervals(lower=lower, upper=upper, presence=(draws > 0).mean(axis=0))


def intervals_table(exposures: pd.DataFrame, intervals: BootstrapIntervals) -> pd.DataFrame:
    """Long table indexed by ``Samples``, columns ``Signature, Exposure, Lower, Upper, Presence``, for
    the pairs that have mutations in the fit or in any sparse replicate (the others have Presence 0
    and Lower 0; their Upper may be positive, from the fits without the selection), in the order of
    ``exposures`` (samples × K)."""
    samples, signatures = exposures.index, exposures.columns
    sample_index, signature_index = np.nonzero((exposures.to_numpy() > 0) | (intervals.presence.T > 0))
    return pd.DataFrame({
        "Samples": samples[sample_index],
        "Signature": signatures[signature_index],
        "Exposure": exposures.to_numpy()[sample_index, signature_index],
        "Lower": intervals.lower.T[sample_index, signature_index],
        "Upper": intervals.upper.T[sample_index, signature_index],
        "Presence": intervals.presence.T[sample_index, signature_index],
    }).set_index("Samples")
