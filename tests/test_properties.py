"""Invariants of an extraction on random valid catalogs (hypothesis): random shapes, sparse
counts, totals from a handful of mutations to millions."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from unfoldnmf import extract_signatures, load_config
from unfoldnmf.io.channels import CHANNELS

#: Exposures must add up to a sample's total within this fraction when the fit is good (the refit
#: ends with a Poisson fit, whose exposures conserve each sample's total at convergence).
TOTAL_TOLERANCE = 0.01
#: A fit is good when the reconstruction's cosine similarity to the sample reaches this.
GOOD_FIT = 0.99


@pytest.fixture(scope="module", autouse=True)
def quiet_and_one_thread():
    logger, threads = logging.getLogger("unfoldnmf"), torch.get_num_threads()
    level = logger.level
    logger.setLevel(logging.ERROR)
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
    logger.setLevel(level)


@st.composite
def catalogs(draw) -> pd.DataFrame:
    """A catalog drawn from 1-3 random sparse signatures with log-uniform sample totals (1 to 1e6)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    samples, k = draw(st.integers(1, 8)), draw(st.integers(1, 3))
    sparsity = draw(st.floats(0.05, 1.0))  # Dirichlet concentration: small values make sparse signatures
    low, high = sorted(draw(st.tuples(st.floats(0, 6), st.floats(0, 6))))
    signatures = rng.dirichlet(np.full(96, sparsity), size=k).T
    mix = rng.dirichlet(np.ones(k), size=samples).T
    totals = 10 ** rng.uniform(low, high, size=samples)
    counts = rng.poisson(signatures @ (mix * totals)).astype(float)
    if not counts.any():
        counts[rng.integers(96), rng.integers(samples)] = 1
    return pd.DataFrame(counts, index=pd.Index(CHANNELS, name="MutationType"),
                        columns=[f"s{j}" for j in range(samples)])


def _extract(catalog: pd.DataFrame):
    config = load_config(None, [{"extraction": {"replicates": 2, "k_max": 3}, "solver": {"max_iter": 200}}])
    return extract_signatures(catalog, config, progress=False)


@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow], phases=[Phase.explicit, Phase.generate])
@given(catalog=catalogs(), data=st.data())
def test_extraction_invariants(catalog, data):
    result = _extract(catalog)
    signatures, exposures = result.signatures.to_numpy(), result.exposures.to_numpy()

    # Signatures are distributions; exposures are finite, non-negative, zero for empty samples.
    assert np.isfinite(signatures).all() and (signatures >= 0).all()
    np.testing.assert_allclose(signatures.sum(axis=0), 1.0, atol=1e-5)
    assert np.isfinite(exposures).all() and (exposures >= 0).all()
    totals = catalog.sum().to_numpy()
    assert (exposures[totals == 0] == 0).all()

    # Where the signatures reconstruct a sample well, its exposures account for its mutations.
    counts = catalog.to_numpy()
    fitted = signatures @ exposures.T
    norms = np.linalg.norm(fitted, axis=0) * np.linalg.norm(counts, axis=0)
    cosine = np.divide((fitted * counts).sum(axis=0), norms, out=np.zeros_like(totals), where=norms > 0)
    good = cosine >= GOOD_FIT
    error = np.abs(exposures.sum(axis=1) - totals)[good] / totals[good]
    assert (error <= TOTAL_TOLERANCE).all(), f"exposure sums off by {error.max():.1%} on well-fitted samples"

    # Reordering channels and samples permutes the output and changes nothing else.
    rows = data.draw(st.permutations(range(96)))
    columns = data.draw(st.permutations(range(catalog.shape[1])))
    shuffled = _extract(catalog.iloc[rows, columns])
    pd.testing.assert_frame_equal(shuffled.signatures, result.signatures)
    pd.testing.assert_frame_equal(shuffled.exposures.loc[result.exposures.index], result.exposures)
    assert shuffled.selection.k == result.selection.k
