"""Mutations the reference cannot explain stay unassigned instead of inflating the nearest signatures."""

import numpy as np
import pandas as pd
import pytest

from unfoldnmf.config import RefitConfig
from unfoldnmf.exposures.fit import fit_signatures
from unfoldnmf.exposures.quality import fit_quality
from unfoldnmf.exposures.unexplained import unexplained_excess
from unfoldnmf.reference.cosmic import cosmic_signatures


def _cohort(depth: int, unknown_share: float, samples: int = 8, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(catalog, true exposures on the reference) of SBS1/SBS5/SBS13 samples with ``unknown_share`` of their
    mutations from SBS17b, a signature the returned reference lacks."""
    rng = np.random.default_rng(seed)
    full = cosmic_signatures()
    shares = rng.dirichlet(np.ones(3), size=samples) * (1 - unknown_share)
    mix = full[["SBS1", "SBS5", "SBS13"]].to_numpy() @ shares.T + unknown_share * full[["SBS17b"]].to_numpy()
    counts = np.stack([rng.multinomial(depth, column / column.sum()) for column in mix.T], axis=1)
    names = [f"s{i}" for i in range(samples)]
    truth = pd.DataFrame(shares * depth, index=names, columns=["SBS1", "SBS5", "SBS13"])
    return pd.DataFrame(counts.astype(float), index=full.index, columns=names), truth


def _error(found: pd.DataFrame, truth: pd.DataFrame, depth: int) -> float:
    """Mean share of each sample's mutations on the wrong signatures (TAE)."""
    wrong = (found.drop(columns=truth.columns).sum(axis=1) + (found[truth.columns] - truth).abs().sum(axis=1))
    return float((wrong / (2 * depth)).mean())


@pytest.mark.parametrize("depth", [2000, 50000])
def test_an_unknown_process_is_left_unassigned_and_the_known_exposures_improve(depth):
    catalog, truth = _cohort(depth, unknown_share=0.25)
    reference = cosmic_signatures().drop(columns=["SBS17b"])
    kept = fit_signatures(catalog, reference)
    assigned_all = fit_signatures(catalog, reference, RefitConfig(unexplained_z=0.0))
    unassigned = 1 - kept.sum(axis=1) / depth
    assert 0.1 < unassigned.mean() < 0.3
    assert np.allclose(assigned_all.sum(axis=1), depth, rtol=1e-3)
    assert _error(kept, truth, depth) < 0.8 * _error(assigned_all, truth, depth)


@pytest.mark.parametrize("depth", [100, 2000, 50000])
def test_samples_of_reference_signatures_keep_nearly_every_mutation(depth):
    catalog, _ = _cohort(depth, unknown_share=0.0)
    found = fit_signatures(catalog, cosmic_signatures())
    assert (found.sum(axis=1) / depth).min() > 0.98


def test_fit_quality_reports_the_unassigned_mutations():
    catalog, _ = _cohort(2000, unknown_share=0.25)
    reference = cosmic_signatures().drop(columns=["SBS17b"])
    found = fit_signatures(catalog, reference)
    quality = fit_quality(catalog, reference, found)
    assert np.allclose(quality["Unassigned"], catalog.sum() - found.sum(axis=1))
    assert (quality["Unassigned"] > 100).all()


def test_the_excess_is_what_lies_beyond_the_noise_allowance():
    fitted = np.array([[100.0], [0.0]])
    counts = np.array([[200.0], [0.0]])
    allowance = 3 * np.sqrt(100 + 1 + 20.0 ** 2)  # 67 mutations
    assert np.allclose(unexplained_excess(counts, fitted, 3.0, 0.2), [[100 - allowance], [0.0]])
    assert np.allclose(unexplained_excess(counts - 40, fitted, 3.0, 0.2), 0.0)


def test_train_refits_its_own_signatures_with_every_mutation_assigned():
    assert RefitConfig().of_cohort_signatures().unexplained_z == 0
    assert RefitConfig().of_signature_updates().unexplained_z == 0


def test_an_unknown_process_is_not_explained_with_extra_signatures_at_depth():
    """SBS17b's T>G peaks, left out of the reference, are unassigned misfit, not a reason to give every sample
    SBS28 and SBS17a (what scaling the gains by the explained counts' smaller over-dispersion did)."""
    catalog, truth = _cohort(50000, unknown_share=0.25)
    found = fit_signatures(catalog, cosmic_signatures().drop(columns=["SBS17b"]))
    false = (found.drop(columns=truth.columns) > 0).sum(axis=1)
    assert false.mean() < 0.25
    assert (1 - found.sum(axis=1) / 50000).mean() > 0.1
