import numpy as np
from scipy.optimize import nnls

from unfoldnmf.exposures.active_set import active_set_nnls
from unfoldnmf.reference.cosmic import cosmic_signatures


def _samples(signatures, depths, rng):
    mixes = rng.dirichlet(np.ones(signatures.shape[1]) * 0.1, len(depths)).T
    spectra = signatures @ mixes
    return np.stack([rng.multinomial(d, s / s.sum()) for d, s in zip(depths, spectra.T)], axis=1).astype(float)


def test_matches_scipy_on_every_allowed_subset_cold_and_warm():
    signatures = cosmic_signatures().to_numpy()
    rng = np.random.default_rng(0)
    counts = _samples(signatures, [0, 30, 100, 2000, 50000, 100000] * 5, rng)
    allowed = rng.random((counts.shape[1], signatures.shape[1])) < 0.7
    expected = np.zeros(allowed.shape)
    for j in range(counts.shape[1]):
        columns = np.flatnonzero(allowed[j])
        expected[j, columns] = nnls(signatures[:, columns], counts[:, j])[0]
    cold = active_set_nnls(signatures, counts, allowed)
    np.testing.assert_allclose(cold, expected, rtol=1e-6, atol=1e-6)
    assert (cold[~allowed] == 0).all() and ((cold > 0) == (expected > 0)).all()
    fewer = allowed.copy()
    fewer[np.arange(len(fewer)), np.where(cold > 0, cold, np.inf).argmin(axis=1)] = False
    warm = active_set_nnls(signatures, counts, fewer, np.where(fewer, cold, 0.0))
    np.testing.assert_allclose(warm, active_set_nnls(signatures, counts, fewer), rtol=1e-6, atol=1e-6)


def test_float32_inputs_are_solved_in_float64():
    signatures = cosmic_signatures().to_numpy()
    counts = _samples(signatures, [500, 20000], np.random.default_rng(1))
    allowed = np.ones((2, signatures.shape[1]), dtype=bool)
    single = active_set_nnls(signatures.astype(np.float32), counts.astype(np.float32), allowed)
    assert single.dtype == np.float64
    np.testing.assert_allclose(single, active_set_nnls(signatures, counts, allowed), rtol=1e-4, atol=1e-3)


def test_samples_that_run_out_of_steps_are_solved_by_scipy(monkeypatch):
    from unfoldnmf.exposures import active_set

    signatures = cosmic_signatures().to_numpy()
    counts = _samples(signatures, [300, 5000, 80000], np.random.default_rng(2))
    allowed = np.ones((3, signatures.shape[1]), dtype=bool)
    full = active_set_nnls(signatures, counts, allowed)
    monkeypatch.setattr(active_set, "STEPS_PER_SIGNATURE", 0)  # one step: every sample falls back
    np.testing.assert_allclose(active_set_nnls(signatures, counts, allowed), full, rtol=1e-6, atol=1e-6)
