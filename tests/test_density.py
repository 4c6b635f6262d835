"""Exposure density: the sparse stage and the refinement act only where samples carry few signatures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from unfoldnmf import extract_signatures
from unfoldnmf.config import load_config
from unfoldnmf.errors import InputError
from unfoldnmf.extraction.density import exposure_density, sparse_decision
from unfoldnmf.reference.cosmic import cosmic_signatures
from unfoldnmf.reference.scoring import score_signatures
from unfoldnmf.reference.simulate import simulate_cohort

#: Eight signatures, SBS10a and SBS10d among them (the extraction benchmark's dense generator, seed 1).
DENSE_NAMES = ["SBS1", "SBS5", "SBS6", "SBS15", "SBS10a", "SBS10d", "SBS19", "SBS23"]


def dense_cohort(samples: int = 150, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(catalog, truth): every signature in about 90 % of the samples with even log-normal weights,
    Poisson counts around a median of 3 000 mutations."""
    rng = np.random.default_rng(seed)
    truth = cosmic_signatures(DENSE_NAMES)
    k = len(DENSE_NAMES)
    weights = (rng.random((samples, k)) < 0.9) * rng.lognormal(0.0, 0.5, (samples, k)) * rng.lognormal(0.0, 0.5, k)
    weights[weights.sum(axis=1) == 0, 0] = 1.0
    totals = rng.lognormal(np.log(3000), 0.8, samples)
    exposures = weights / weights.sum(axis=1, keepdims=True) * totals[:, None]
    counts = rng.poisson(truth.to_numpy() @ exposures.T)
    return pd.DataFrame(counts, index=truth.index, columns=[f"s{i}" for i in range(samples)]), truth


def test_density_runs_from_one_over_k_to_one():
    signatures = cosmic_signatures(["SBS2", "SBS4", "SBS7a", "SBS13"]).to_numpy()
    one_each = signatures * 1000.0  # four samples, one signature each
    assert exposure_density(signatures, one_each) == pytest.approx(0.25, abs=0.02)
    even = signatures @ np.full((4, 3), 500.0)
    assert exposure_density(signatures, even) == pytest.approx(1.0, abs=0.02)


def test_a_sparse_cohort_is_below_the_limit_and_a_dense_one_above():
    sparse_truth = cosmic_signatures(["SBS1", "SBS2", "SBS4", "SBS7a", "SBS13", "SBS17b", "SBS18", "SBS40a"])
    sparse = simulate_cohort(sparse_truth, samples=150, seed=3, median_total=3000).catalog.to_numpy()
    dense, dense_truth = dense_cohort()
    extraction = load_config(None).extraction
    assert exposure_density(sparse_truth.to_numpy(), sparse) < extraction.sparse_density
    assert exposure_density(dense_truth.to_numpy(), dense.to_numpy()) > extraction.sparse_density

    def applies(density, k, extraction):
        return sparse_decision(density, k, extraction)[0]

    assert applies(0.5, 8, extraction) and not applies(0.7, 8, extraction)
    assert applies(0.7, 3, extraction)  # 2.1 signatures per sample: few, whatever the density
    assert applies(0.99, 8, load_config(None, [{"extraction": {"sparse_density": None}}]).extraction)


def test_refinement_never_lowers_a_dense_cohort_below_its_nmf_solution():
    """On this cohort the sparse refinement lowers the composite from 2.97 to 2.71 (``sparse_density: null``);
    the density keeps the NMF solution instead."""
    catalog, truth = dense_cohort()
    result = extract_signatures(catalog, load_config(None, [{"extraction": {"k": 8}}]), progress=False)
    nmf = score_signatures(truth, result.solutions[8][0])
    final = score_signatures(truth, result.signatures)
    assert final.composite >= nmf.composite - 1e-9
    assert "exposures are dense" in result.selection.reason and result.info["exposure_density"] > 0.6


def test_the_limit_must_be_a_share():
    for bad in (0, 1.5, -0.1):
        with pytest.raises(InputError, match=r"extraction.sparse_density must lie in \(0, 1\]"):
            load_config(None, [{"extraction": {"sparse_density": bad}}])
