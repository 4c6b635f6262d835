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

#: Smallest start of an exposure the sparse refit kept (multiplicative updates cannot grow a zero).
EXPOSURE_FLOOR = 1e-3


def refine_signatures(signatures: np.ndarray, counts: np.ndarray, config: Config, device: torch.device,
                      per_sample: Callable | None = None) -> np.ndarray:
    """Sparse refinement of ``signatures`` (96 × K, columns summing to 1) on ``counts`` (96 × N, as
    extracted: hypermutated samples capped), one round per gain of ``config.extraction.refine_gains``;
    returns the refined signatures, columns summing to 1. A signature the sparse refit gives to no
    sample is kept as it was. The sparse refit is :meth:`RefitConfig.of_signature_updates`; ``per_sample``
    splits its per-sample part (see :func:`refit_exposures`)."""
    options = {} if per_sample is None else {"per_sample": per_sample}
    dtype = torch.float64
    data = torch.tensor(counts, dtype=dtype, device=device).unsqueeze(0)
    for gain in config.extraction.refine_gains:
        refit = dataclasses.replace(config.refit.of_signature_updates(), min_deviance_gain=gain)
        exposures = refit_exposures(signatures, counts, refit, **options)
        unused = ~(exposures > 0).any(axis=1)  # no sample keeps it: the updates would zero it, so it stays
        start = np.where(exposures > 0, np.maximum(exposures, EXPOSURE_FLOOR), 0.0)
        fit = run_mu(data, torch.as_tensor(signatures, dtype=dtype, device=device).unsqueeze(0),
                     torch.as_tensor(start, dtype=dtype, device=device).unsqueeze(0), **config.solver.run_options())
        refined = fit.W[0].double().cpu().numpy()
        refined[:, unused] = signatures[:, unused]
        signatures = refined / refined.sum(axis=0, keepdims=True)
    return signatures
