"""Sparse refinement of the chosen signatures: fit them again with the exposures each sample has.

The NMF solution of a K gives every sample some of every signature (dense exposures), so a flat
signature such as SBS5 can take a share of the others' mutations and they of it, and the de novo
signatures come out blurred (cosine 0.97 to SBS5 on the example catalog, where the refit on
them then needs 3.3 signatures per sample against 2.4 true ones). Each round here refits the
exposures sparsely (:func:`unfoldnmf.exposures.refit.refit_exposures`: a sample keeps only the
signatures it needs), then runs the KL multiplicative updates on signatures and exposures together
from there; the updates keep a zero exposure at zero, so each signature is fitted to the samples
that have it (on the example: cosine 0.9995, exposure error 0.075 → 0.026).

Each round has its own deviance gain (``extraction.refine_gains``, 25 then 12). The first, as strict as
``fit``, separates the blurred signatures. A strict rule also drops a signature where it is small and
gives those mutations to its neighbours, so every round pulls a flat signature towards them
(syn.3.5.40.abst, noisy: SBS5 at cosine 0.983 → 0.967 over two rounds at 25); the second round, at a
lighter gain, pulls less (0.974 with 12).

The refinement assumes that each sample carries few of the signatures. Where most samples carry most of
them (dense exposures), the sparse refit drops signatures that are present, and the signature update
pushes their mutations into their neighbours. So the refined signatures replace the NMF ones only when
they predict held-out entries of the catalog better (:func:`refinement_check`: exposures alone fitted to
the seen entries, signatures fixed; a positive held-out z). Measured at the true K (``scripts/extraction_cohorts.py``'
shapes): 20 signatures, 600 samples, sparse exposures: z 15.2 (composite 2.692 → 2.898); dense and uneven:
z 5.4 and 7.3 (2.271 → 2.386, 2.683 → 2.673); dense and even: z 0.1 (2.076 → 1.960, kept: a miss). On
twelve dense cohorts of 6–8 signatures and 120–150 samples the check kept the NMF solution where the
refinement cost 0.27, 0.27 and 0.35, missed one loss of 0.65 (z 0.33) and one gain of 0.32 (z −1.09).

The rounds run in float64 whatever the extraction's dtype: near the optimum the signature update's
sums over samples move similar signatures apart by less than float32 rounding, and the rotation
stalls (syn.2.7a.7b.abst, noisy: SBS7a at cosine 0.901 in float32, 0.972 in float64).
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np
import torch

from ..config import Config
from ..exposures.refit import refit_exposures
from ..nmf.solver import run_mu
from .held_out import MIN_SAMPLES, held_out_deviance, held_out_gain, held_out_masks

#: Smallest start of an exposure the sparse refit kept (multiplicative updates cannot grow a zero).
EXPOSURE_FLOOR = 1e-3


def refine_signatures(signatures: np.ndarray, counts: np.ndarray, config: Config, device: torch.device,
                      per_sample: Callable | None = None, shallow: np.ndarray | None = None) -> np.ndarray:
    """Sparse refinement of ``signatures`` (96 × K, columns summing to 1) on ``counts`` (96 × N, as
    extracted: hypermutated samples capped), one round per gain of ``config.extraction.refine_gains``;
    returns the refined signatures, columns summing to 1. A signature the sparse refit gives to no
    sample is kept as it was. ``per_sample`` splits the sparse refit's per-sample part and ``shallow``
    names its shallow samples, told from the uncapped counts (see :func:`refit_exposures`)."""
    options = {"shallow": shallow} if per_sample is None else {"per_sample": per_sample, "shallow": shallow}
    dtype = torch.float64
    data = torch.tensor(counts, dtype=dtype, device=device).unsqueeze(0)
    for gain in config.extraction.refine_gains:
        refit = dataclasses.replace(config.refit, min_deviance_gain=gain)
        exposures = refit_exposures(signatures, counts, refit, **options)
        unused = ~(exposures > 0).any(axis=1)  # no sample keeps it: the updates would zero it, so it stays
        start = np.where(exposures > 0, np.maximum(exposures, EXPOSURE_FLOOR), 0.0)
        fit = run_mu(data, torch.as_tensor(signatures, dtype=dtype, device=device).unsqueeze(0),
                     torch.as_tensor(start, dtype=dtype, device=device).unsqueeze(0), **config.solver.run_options())
        refined = fit.W[0].double().cpu().numpy()
        refined[:, unused] = signatures[:, unused]
        signatures = refined / refined.sum(axis=0, keepdims=True)
    return signatures


@dataclasses.dataclass
class RefinementCheck:
    """Whether the refined signatures replace the NMF ones, and why."""

    keep_refined: bool
    z: float | None  #: held-out z of the refined signatures against the NMF ones (None: not tested)
    reason: str


def refinement_check(nmf: np.ndarray, refined: np.ndarray, counts: np.ndarray, config: Config,
                     device: torch.device) -> RefinementCheck:
    """Keep ``refined`` (the sparse refinement of the ``nmf`` signatures, 96 × K) only when, with the
    exposures alone fitted to the seen entries of ``counts`` (the held-out masks of ``config.seed``), they
    predict the hidden entries better than ``nmf`` (positive held-out z). Not tested (refined kept) when the
    held-out test is off (``extraction.held_out_z`` null) or the catalog has fewer than :data:`MIN_SAMPLES`
    samples."""
    if not config.extraction.refine_gains:
        return RefinementCheck(False, None, "no sparse refinement (extraction.refine_gains is empty)")
    if config.extraction.held_out_z is None or counts.shape[1] < MIN_SAMPLES:
        return RefinementCheck(True, None, "signatures refined on sparse exposures (not tested on held-out counts)")
    masks = held_out_masks(counts.shape, config.seed)
    before, after = (held_out_deviance(counts, w, masks, device, fit_signatures=False) for w in (nmf, refined))
    z = held_out_gain(before, after)[1]
    if z > 0:
        return RefinementCheck(True, z, f"signatures refined on sparse exposures: they predict hidden counts better "
                                        f"than the NMF solution ({z:.1f} standard errors)")
    return RefinementCheck(False, z, f"NMF signatures kept: refined on sparse exposures they predict hidden counts "
                                     f"worse ({z:.1f} standard errors); the samples probably carry most of the "
                                     f"signatures")
