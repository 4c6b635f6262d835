"""fit --bootstrap: intervals that cover the true exposures at about the stated rate, reproducible, refused where
meaningless."""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from unfoldnmf.cli import cli
from unfoldnmf.config import RefitConfig
from unfoldnmf.errors import InputError
from unfoldnmf.exposures.bootstrap import bootstrap_exposures
from unfoldnmf.exposures.refit import refit_exposures
from unfoldnmf.io.writing import to_text
from unfoldnmf.reference.cosmic import cosmic_signatures
from unfoldnmf.reference.simulate import simulate_cohort


@pytest.fixture(scope="module")
def deep_cohort():
    signatures = cosmic_signatures(["SBS1", "SBS2", "SBS5", "SBS13", "SBS18", "SBS40a"])
    cohort = simulate_cohort(signatures, 100, seed=3, median_total=2000, total_spread=0.5, signatures_per_sample=3)
    return signatures.to_numpy(), cohort.catalog.to_numpy(), cohort.exposures.to_numpy().T


def _coverage(intervals, truth, mask):
    return ((intervals.lower[mask] <= truth[mask] + 1e-9) & (truth[mask] <= intervals.upper[mask] + 1e-9)).mean()


def test_95_percent_intervals_cover_the_true_exposures(deep_cohort):
    """Measured (SBS1 and SBS5 as background, as in fit): sparse 0.97 / 0.95 / 0.92 for signatures with
    < 5 % / 5–20 % / ≥ 20 % of a sample, 0.93 overall (percentile intervals of the sparse copies alone:
    0.56 / 0.81 / 0.88), NNLS 0.93 overall."""
    W, X, H = deep_cohort
    share = H / H.sum(axis=0)
    sparse = bootstrap_exposures(W, X, RefitConfig(), replicates=100, seed=1, background=np.isin(np.arange(6), [0, 2]))
    assert _coverage(sparse, H, H > 0) > 0.92 and _coverage(sparse, H, share >= 0.2) > 0.9
    assert _coverage(sparse, H, H == 0) == 1.0 and sparse.presence[H == 0].mean() < 0.05
    nnls = bootstrap_exposures(W, X, RefitConfig(method="nnls"), replicates=100, seed=1)
    assert 0.88 < _coverage(nnls, H, H > 0) < 0.99
    narrower = bootstrap_exposures(W, X, RefitConfig(method="nnls"), replicates=100, confidence=0.5, seed=1)
    assert _coverage(narrower, H, H > 0) < 0.7


def test_same_seed_same_intervals_and_the_point_estimate_lies_inside(deep_cohort):
    W, X, _ = deep_cohort
    X = X[:, :10]
    first, again = (bootstrap_exposures(W, X, RefitConfig(), replicates=20, seed=7) for _ in range(2))
    assert np.array_equal(first.lower, again.lower) and np.array_equal(first.upper, again.upper)
    estimate = refit_exposures(W, X, RefitConfig())
    assert (first.lower <= estimate + 1e-6).mean() > 0.95 and (estimate <= first.upper + 1e-6).mean() > 0.95


def test_proportions_cannot_be_resampled(deep_cohort):
    W, X, _ = deep_cohort
    with pytest.raises(InputError, match="whole counts"):
        bootstrap_exposures(W, X / X.sum(axis=0), RefitConfig(), replicates=5)


def test_fit_bootstrap_writes_a_long_interval_table(tmp_path, cohort):
    path = tmp_path / "catalog.tsv"
    path.write_text(to_text(cohort.catalog, "MutationType", "%g"))
    out = tmp_path / "fit"
    result = CliRunner().invoke(cli, ["fit", str(path), "--cosmic", "SBS1,SBS5,SBS13,SBS2", "--bootstrap", "20",
                                      "--seed", "1", "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "exposures_bootstrap.tsv", sep="\t", index_col=0)
    assert list(table.columns) == ["Signature", "Exposure", "Lower", "Upper", "Presence"]
    exposures = pd.read_csv(out / "exposures.tsv", sep="\t", index_col=0)
    kept = exposures.stack()
    assert set(kept[kept > 0].index) <= set(zip(table.index, table.Signature))
    assert (table.Lower <= table.Upper).all() and table.Presence.between(0, 1).all()
    for args, message in ((["-o", "-"], "give -o DIRECTORY"),
                          (["--model", str(path), "-o", str(tmp_path / "m")], "--bootstrap")):
        source = [] if "--model" in args else ["--cosmic"]
        refused = CliRunner().invoke(cli, ["fit", str(path), *source, "--bootstrap", "5", *args])
        assert refused.exit_code == 2 and message in refused.output


def test_copies_are_refitted_with_the_point_fits_background():
    from unfoldnmf.exposures.fit import bootstrap_signatures, fit_signatures

    reference = cosmic_signatures(["SBS1", "SBS5", "SBS2", "SBS13"])
    mix = reference.to_numpy() @ np.array([15.0, 90.0, 90.0, 105.0])
    catalog = pd.DataFrame(np.random.default_rng(7).poisson(mix)[:, None].astype(float), index=reference.index,
                           columns=["s"])
    presence = {}
    for background in (["SBS1", "SBS5"], []):
        refit = RefitConfig(background=background)
        table = bootstrap_signatures(catalog, reference, fit_signatures(catalog, reference, refit), refit,
                                     replicates=40)
        presence[len(background)] = table.set_index("Signature").Presence.get("SBS1", 0.0)
    assert presence[2] > presence[0]  # SBS1 is background in the copies too, not only in the point fit
