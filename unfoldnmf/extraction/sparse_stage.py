"""The sparse stage of the K choice: K values above the chosen one, compared on sparse exposures.

In cohorts of 30–40 signatures the NMF deviance stops asking for more signatures early: dense
exposures let a mix of the signatures found stand in for a missing flat one (SBS5), so the true 40
signatures fit a simulated cohort no better than NMF's 31 or 32. Real exposures are sparse, and there
they differ: refitted by the sparse refit, the true 40 left half the deviance of the NMF solutions at
30–34. Each K's NMF solution is refined as the chosen one is (:mod:`unfoldnmf.extraction.refinement`)
and refitted by the sparse refit; the stage takes the K above the rule's choice that minimises that
deviance plus ``extraction.sparse_gain`` × (N + 96) × the NMF fit's over-dispersion per signature,
among the stable ones (the sparse refit's own deviance per degree of freedom measures its bias, not the
noise). On seven of the 8 noisy SynSig catalogs its curve bends at the K the deviance rule chooses,
and steps past it change the deviance by −3.2 to 3.3 × N + 96; on syn.many.types and
syn.3.5.40.rcc.and.ovary it takes one K more, a false positive, so the stage is off by default.
"""

from __future__ import annotations

import numpy as np
import torch

from ..config import Config, ExtractionConfig
from ..exposures.refit import refit_exposures
from ..hpc import distributed
from ..nmf.scores import poisson_deviance
from .refinement import refine_signatures


def sparse_fit(signatures: np.ndarray, capped: np.ndarray, config: Config,
               device: torch.device) -> tuple[np.ndarray, float]:
    """(refined ``signatures``, the Poisson deviance of ``capped`` refitted on them by the sparse refit)."""
    refined = refine_signatures(signatures, capped, config, device, per_sample=distributed.by_columns)
    exposures = refit_exposures(refined, capped, config.refit, per_sample=distributed.by_columns)
    return refined, float(np.sum(poisson_deviance(capped, refined @ exposures)))


def sparse_choice(k_values: list[int], deviance: dict[int, float], stable: np.ndarray, k_from: int, unit: float,
                  extraction: ExtractionConfig) -> int:
    """The K of ``k_values`` (ascending; ``stable`` per K) from ``k_from`` on, among those with a sparse
    ``deviance``, that minimises it plus ``extraction.sparse_gain`` × ``unit``
    (:func:`unfoldnmf.extraction.selection.noise_unit` of ``k_from``) per signature; ``k_from`` when the stage
    is off."""
    if extraction.sparse_gain is None or k_from not in deviance:
        return k_from
    eligible = [k for k, ok in zip(k_values, stable) if k >= k_from and k in deviance and (ok or k == k_from)]
    return min(eligible, key=lambda k: (deviance[k] + extraction.sparse_gain * unit * k, k))
