"""The sparse stage of the K choice: K values above the chosen one, compared on sparse exposures.

In cohorts of 30–40 signatures the NMF deviance stops asking for more signatures early: dense
exposures let a mix of the signatures found stand in for a missing flat one (SBS5), so the true 40
signatures fit a simulated cohort no better than NMF's 31 or 32. Real exposures are sparse, and there
they differ: refitted by the sparse refit, the true 40 left half the deviance of the NMF solutions at
30–34. Each K's NMF solution is refined as the chosen one is (:mod:`unfoldnmf.extraction.refinement`)
and refitted by the sparse refit; the stage takes the K above the rule's choice that minimises that
deviance plus ``extraction.sparse_gain`` × (N + 96) × the NMF fit's over-dispersion per signature,
among the stable ones (the sparse refit's own deviance per degree of freedom measures its bias, not the
noise) that the held-out test does not put more than ``extraction.held_out_z`` standard errors worse than
the stage's starting K at predicting hidden counts (:mod:`unfoldnmf.extraction.held_out`). That guard
keeps the stage off noise: on the noisy syn.many.types and syn.3.5.40.rcc.and.ovary the sparse refit
alone takes one K more (false positives, at held-out z −13.2 and −5.0), while on the 40-signature seed 5
its K 38 (z −1.1) finds SBS5, SBS6 and SBS94, which K 30 missed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..config import Config, ExtractionConfig
from ..exposures.refit import refit_exposures
from ..hpc import distributed
from ..nmf.scores import poisson_deviance
from .held_out import held_out_gain
from .refinement import refine_signatures


@dataclass
class SparseFit:
    """One K's figures in the sparse stage."""

    signatures: np.ndarray  #: the K's refined signatures
    deviance: float  #: Poisson deviance of the catalog refitted on them by the sparse refit
    held_out: np.ndarray | None = None  #: the K's per-sample held-out deviance (None: no held-out test)


def sparse_fit(signatures: np.ndarray, capped: np.ndarray, config: Config, device: torch.device,
               held_out: np.ndarray | None = None) -> SparseFit:
    """``signatures`` refined, and the Poisson deviance of ``capped`` refitted on them by the sparse refit
    (with ``held_out``, the K's per-sample held-out deviance, carried along for the guard)."""
    refined = refine_signatures(signatures, capped, config, device, per_sample=distributed.by_columns)
    exposures = refit_exposures(refined, capped, config.refit.of_signature_updates(),
                                per_sample=distributed.by_columns)
    return SparseFit(refined, float(np.sum(poisson_deviance(capped, refined @ exposures))), held_out)


def held_out_z_from(fits: dict[int, SparseFit], k_from: int) -> dict[int, float]:
    """K -> the held-out z of each K above ``k_from`` against ``k_from``
    (:func:`unfoldnmf.extraction.held_out.held_out_gain`; positive: it predicts hidden counts better), for the
    K values whose held-out deviance ``fits`` hold."""
    if k_from not in fits or fits[k_from].held_out is None:
        return {}
    return {k: held_out_gain(fits[k_from].held_out, fit.held_out)[1]
            for k, fit in fits.items() if k > k_from and fit.held_out is not None}


def sparse_choice(k_values: list[int], fits: dict[int, SparseFit], stable: np.ndarray, k_from: int, unit: float,
                  extraction: ExtractionConfig, guarded: bool = True) -> int:
    """The K of ``k_values`` (ascending; ``stable`` per K) from ``k_from`` on, among those in ``fits``, that
    minimises the sparse deviance plus ``extraction.sparse_gain`` × ``unit``
    (:func:`unfoldnmf.extraction.selection.noise_unit` of ``k_from``) per signature; when ``guarded``, a K whose
    held-out z against ``k_from`` (:func:`held_out_z_from`) is below −``extraction.held_out_z`` is out.
    ``k_from`` when the stage is off."""
    if extraction.sparse_gain is None or k_from not in fits:
        return k_from
    guard = extraction.held_out_z if guarded else None
    worse = {k for k, z in held_out_z_from(fits, k_from).items() if guard is not None and z < -guard}
    eligible = [k for k, ok in zip(k_values, stable) if k >= k_from and k in fits and (ok or k == k_from)
                and k not in worse]
    return min(eligible, key=lambda k: (fits[k].deviance + extraction.sparse_gain * unit * k, k))
