"""Simulated cohorts with known exposures: a few signatures per sample, heavy-tailed totals, Poisson counts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError

#: Built-in exposure models; a table of exposures (samples × signatures) is the third kind.
EXPOSURE_MODELS = ("sparse", "dense")


@dataclass
class Cohort:
    """A simulated catalog and the exposures it was drawn from."""

    catalog: pd.DataFrame  #: 96 × samples, integer counts
    exposures: pd.DataFrame  #: samples × signatures, expected mutations per signature


def _sparse_mixes(rng: np.random.Generator, prevalence: np.ndarray, samples: int,
                  signatures_per_sample: float) -> np.ndarray:
    """Each sample carries 1 + Poisson(mean − 1) signatures (at most K), chosen with probabilities
    ``prevalence`` (K,), mixed Dirichlet(1): (samples, K) rows summing to 1."""
    k = len(prevalence)
    mixes = np.zeros((samples, k))
    for i in range(samples):
        active_count = min(k, 1 + rng.poisson(max(signatures_per_sample - 1, 0)))
        active = rng.choice(k, size=active_count, replace=False, p=prevalence)
        mixes[i, active] = rng.dirichlet(np.ones(active_count))
    return mixes


def _template_exposures(rng: np.random.Generator, template: pd.DataFrame, samples: int) -> np.ndarray:
    """Exposures (samples, K) copied from rows of ``template`` (samples × K) drawn at random."""
    rows = template.to_numpy(dtype=float)
    rows = rows[rows.sum(axis=1) > 0]
    if not len(rows):
        raise InputError("exposure model table: every sample has zero exposure; nothing to draw from")
    return rows[rng.integers(len(rows), size=samples)]


def simulate_cohort(
    signatures: pd.DataFrame,
    samples: int,
    seed: int = 0,
    median_total: float = 3000.0,
    total_spread: float = 1.0,
    signatures_per_sample: float = 2.5,
    prefix: str = "sample",
    exposure_model: str | pd.DataFrame = "sparse",
) -> Cohort:
    """Draw ``samples`` tumours from ``signatures`` (96 × K); counts are Poisson around W·h.

    ``exposure_model``: ``sparse`` (default, realistic) gives each sample 1 + Poisson(
    ``signatures_per_sample`` − 1) signatures with a Dirichlet(1) mix; ``dense`` mixes all K with
    Dirichlet(1); both draw totals log-normal (median ``median_total``, log-sd ``total_spread``). A
    table (samples × the signatures' names, e.g. a real cohort's ``exposures.tsv``) instead gives
    each simulated sample the exposures of one of its rows, drawn at random.
    """
    rng = np.random.default_rng(seed)
    k = signatures.shape[1]
    if isinstance(exposure_model, pd.DataFrame):
        exposures = _template_exposures(rng, exposure_model[signatures.columns], samples)
    elif exposure_model == "sparse":
        prevalence = rng.dirichlet(np.full(k, 2.0))
        totals = rng.lognormal(np.log(median_total), total_spread, size=samples)
        exposures = _sparse_mixes(rng, prevalence, samples, signatures_per_sample) * totals[:, None]
    elif exposure_model == "dense":
        totals = rng.lognormal(np.log(median_total), total_spread, size=samples)
        exposures = rng.dirichlet(np.ones(k), size=samples) * totals[:, None]
    else:
        raise ValueError(f"exposure_model must be one of {EXPOSURE_MODELS} or a table, not {exposure_model!r}")
    counts = rng.poisson(signatures.to_numpy() @ exposures.T).astype(float)
    names = [f"{prefix}{i + 1}" for i in range(samples)]
    catalog = pd.DataFrame(counts, index=signatures.index, columns=names)
    table = pd.DataFrame(exposures, index=pd.Index(names, name="Samples"), columns=signatures.columns)
    return Cohort(catalog=catalog, exposures=table)
