"""Simulated cohorts with known exposures: a few signatures per sample, heavy-tailed totals, Poisson counts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Cohort:
    """A simulated catalog and the exposures it was drawn from."""

    catalog: pd.DataFrame  #: 96 × samples, integer counts
    exposures: pd.DataFrame  #: samples × signatures, expected mutations per signature


def simulate_cohort(
    signatures: pd.DataFrame,
    samples: int,
    seed: int = 0,
    median_total: float = 3000.0,
    total_spread: float = 1.0,
    signatures_per_sample: float = 2.5,
    prefix: str = "sample",
) -> Cohort:
    """Draw ``samples`` tumours from ``signatures`` (96 × K).

    Each sample carries 1 + Poisson(``signatures_per_sample`` − 1) signatures (at most K), chosen
    with probabilities proportional to a random prevalence per signature; its total is log-normal
    (median ``median_total``, log-sd ``total_spread``); its mix is Dirichlet(1); counts are Poisson.
    """
    rng = np.random.default_rng(seed)
    k = signatures.shape[1]
    prevalence = rng.dirichlet(np.full(k, 2.0))
    exposures = np.zeros((samples, k))
    totals = rng.lognormal(np.log(median_total), total_spread, size=samples)
    for i in range(samples):
        active_count = min(k, 1 + rng.poisson(max(signatures_per_sample - 1, 0)))
        active = rng.choice(k, size=active_count, replace=False, p=prevalence)
        exposures[i, active] = rng.dirichlet(np.ones(active_count)) * totals[i]
    expected = signatures.to_numpy() @ exposures.T
    counts = rng.poisson(expected).astype(float)
    names = [f"{prefix}{i + 1}" for i in range(samples)]
    catalog = pd.DataFrame(counts, index=signatures.index, columns=names)
    table = pd.DataFrame(exposures, index=pd.Index(names, name="Samples"), columns=signatures.columns)
    return Cohort(catalog=catalog, exposures=table)
