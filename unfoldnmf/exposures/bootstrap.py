"""Per-sample uncertainty of refitted exposures: a bootstrap over each sample's mutations.

Each replicate counts every mutation of a sample a Poisson(1) number of times (so the total varies,
as between sequencing runs) and refits the copy with the same method, on the candidate signatures
of the original cohort. The interval of an exposure is the central ``confidence`` share of its
replicates (percentile bootstrap); its presence is the share of replicates that gave the signature
any mutations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..config import RefitConfig
from ..errors import InputError
from ..io.tables import holds_counts
from .refit import candidate_signatures, refit_exposures


@dataclass
class BootstrapIntervals:
    """Percentile intervals of exposures (K × N, in mutations) and the share of replicates keeping each."""

    lower: np.ndarray
    upper: np.ndarray
    presence: np.ndarray


def resample_mutations(rng: np.random.Generator, counts: np.ndarray) -> np.ndarray:
    """A copy of ``counts`` (96 × N) with each mutation counted a Poisson(1) number of times."""
    return rng.poisson(counts).astype(float)


def bootstrap_exposures(signatures: np.ndarray, counts: np.ndarray, refit: RefitConfig, replicates: int,
                        confidence: float = 0.95, seed: int = 0, progress: bool = False,
                        background: np.ndarray | None = None) -> BootstrapIntervals:
    """Intervals of the exposures of ``counts`` (96 × N, mutation counts) on ``signatures`` (96 × K)
    from ``replicates`` resampled copies refitted with ``refit`` (and ``background``, see
    :func:`unfoldnmf.exposures.refit.sparse_exposures`); the same ``seed`` gives the same intervals."""
    if not holds_counts(counts):
        raise InputError("--bootstrap resamples mutations: the catalog must hold whole counts, not proportions")
    rng = np.random.default_rng(seed)
    candidates = None if refit.method == "nnls" else candidate_signatures(signatures, counts, refit, background)
    draws = np.empty((replicates, signatures.shape[1], counts.shape[1]))
    for replicate in tqdm(range(replicates), desc="bootstrap", unit="replicate", disable=None if progress else True,
                          leave=False):
        draws[replicate] = refit_exposures(signatures, resample_mutations(rng, counts), refit, candidates=candidates,
                                           background=background)
    tail = (1.0 - confidence) / 2
    lower, upper = np.quantile(draws, [tail, 1.0 - tail], axis=0)
    return BootstrapIntervals(lower=lower, upper=upper, presence=(draws > 0).mean(axis=0))


def intervals_table(exposures: pd.DataFrame, intervals: BootstrapIntervals) -> pd.DataFrame:
    """Long table indexed by ``Samples``, columns ``Signature, Exposure, Lower, Upper, Presence``, for
    the pairs that have mutations in the fit or in any replicate (the others are 0 throughout), in
    the order of ``exposures`` (samples × K)."""
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
