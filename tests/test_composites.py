"""Cohort composites: a signature in fixed proportion to another across the cohort is part of it."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from unfoldnmf.cli import cli
from unfoldnmf.config import RefitConfig
from unfoldnmf.exposures.composites import find_composites, folded_signatures
from unfoldnmf.exposures.fit import fit_cohort
from unfoldnmf.io.writing import to_text
from unfoldnmf.reference.cosmic import cosmic_signatures

NAMES = ["SBS1", "SBS2", "SBS3", "SBS5", "SBS13", "SBS18", "SBS40a"]


def _exposures(part_ratio: np.ndarray, samples: int = 60) -> np.ndarray:
    """Exposures (3 × samples) of an anchor (log-normal), a part at ``part_ratio`` × it, another signature."""
    rng = np.random.default_rng(0)
    anchor = rng.lognormal(8, 1, samples)
    return np.stack([anchor, part_ratio * anchor, rng.lognormal(7, 1, samples)])


def test_a_part_in_fixed_proportion_to_its_anchor_is_found_and_an_independent_one_is_not():
    rng = np.random.default_rng(1)
    fixed = _exposures(0.3 * np.exp(rng.normal(0, 0.05, 60)))
    [composite] = find_composites(fixed, RefitConfig())
    assert (composite.anchor, composite.part, composite.carriers) == (0, 1, 60)
    assert composite.ratio == pytest.approx(0.3, rel=0.05)
    assert find_composites(_exposures(0.3 * np.exp(rng.normal(0, 1.0, 60))), RefitConfig()) == []  # APOBEC-like
    assert find_composites(fixed, RefitConfig(composite_share=0.0)) == []
    assert find_composites(_exposures(np.full(60, 0.9)), RefitConfig()) == []  # a partner as large: not a part


def test_a_part_missing_from_too_many_of_the_anchors_samples_is_not_folded():
    ratio = np.full(60, 0.3)
    ratio[:30] = 0.0  # half the anchor's samples lack it
    assert find_composites(_exposures(ratio), RefitConfig()) == []
    assert len(find_composites(_exposures(ratio), RefitConfig(composite_share=0.5))) == 1


def test_folded_signatures_mix_the_part_into_the_anchor():
    reference = cosmic_signatures(["SBS40a", "SBS3", "SBS1"]).to_numpy()
    [composite] = find_composites(_exposures(np.full(60, 0.5)), RefitConfig())
    folded = folded_signatures(reference, [composite])
    np.testing.assert_allclose(folded[:, 0], (reference[:, 0] + 0.5 * reference[:, 1]) / 1.5)
    np.testing.assert_array_equal(folded[:, 1:], reference[:, 1:])


def _drifted_cohort(samples: int = 60, depth: int = 50000, seed: int = 0,
                    real_sbs3: float = 0.33) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Samples of SBS5 and a drifted SBS40a (its cohort version holds 0.3 × SBS3-like mass); a quarter
    of them also carry a true SBS3 at ``real_sbs3`` of the sample."""
    reference = cosmic_signatures(NAMES)
    rng = np.random.default_rng(seed)
    drifted = reference["SBS40a"] + 0.3 * reference["SBS3"]
    drifted /= drifted.sum()
    share40 = rng.uniform(0.4, 0.7, samples)
    hrd = np.arange(samples) % 4 == 0
    share3 = np.where(hrd, real_sbs3, 0.0)
    mixes = (np.outer(drifted, share40 * (1 - share3)) + np.outer(reference["SBS5"], (1 - share40) * (1 - share3))
             + np.outer(reference["SBS3"], share3))
    counts = np.stack([rng.multinomial(depth, mixes[:, j] / mixes[:, j].sum()) for j in range(samples)], axis=1)
    catalog = pd.DataFrame(counts, index=reference.index, columns=[f"S{j}" for j in range(samples)])
    return catalog, pd.DataFrame({"SBS3": share3 * depth}, index=catalog.columns)


def test_fit_cohort_folds_the_drift_and_keeps_sbs3_only_where_it_is_real():
    catalog, truth = _drifted_cohort()
    reference = cosmic_signatures(NAMES)
    plain = fit_cohort(catalog, reference, RefitConfig(composite_share=0.0))
    hrd = truth["SBS3"] > 0
    assert (plain.exposures.loc[~hrd, "SBS3"] > 0).mean() > 0.8  # without composites: SBS3 fills the drift
    cohort = fit_cohort(catalog, reference)
    assert [c["signature"] + "+" + c["part"] for c in cohort.composite_facts()] == ["SBS40a+SBS3"]
    assert (cohort.exposures.loc[~hrd, "SBS3"] == 0).mean() > 0.9
    assert (cohort.exposures.loc[hrd, "SBS3"] > 0).all()
    error = (cohort.exposures.loc[hrd, "SBS3"] - truth.loc[hrd, "SBS3"]).abs() / truth.loc[hrd, "SBS3"]
    assert error.median() < 0.2
    np.testing.assert_allclose(cohort.signatures.sum(axis=0), 1.0)
    assert not np.allclose(cohort.signatures["SBS40a"], reference["SBS40a"])
    np.testing.assert_array_equal(cohort.signatures.drop(columns="SBS40a"), reference.drop(columns="SBS40a"))


def test_at_a_few_thousand_mutations_the_ratios_come_from_the_fit_on_every_signature():
    catalog, _ = _drifted_cohort(depth=2000, real_sbs3=0.0)
    reference = cosmic_signatures(NAMES)
    plain = fit_cohort(catalog, reference, RefitConfig(composite_share=0.0)).exposures
    assert 0 < (plain["SBS3"] > 0).mean() < 0.5  # the sparse refit keeps the false SBS3 where the noise favours it
    assert find_composites(plain.to_numpy().T, RefitConfig()) == []  # so its own ratios hide the proportion
    cohort = fit_cohort(catalog, reference)
    assert [c["signature"] + "+" + c["part"] for c in cohort.composite_facts()] == ["SBS40a+SBS3"]
    assert 0.2 < cohort.composites[0].ratio < 0.4
    assert (cohort.exposures["SBS3"] == 0).all()


def test_fit_reports_its_composites_and_writes_the_signatures_it_fitted(tmp_path):
    catalog, _ = _drifted_cohort(samples=40)
    path = tmp_path / "catalog.tsv"
    path.write_text(to_text(catalog, "MutationType", "%d"))
    out = tmp_path / "fit"
    result = CliRunner().invoke(cli, ["fit", str(path), "--cosmic", ",".join(NAMES), "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    [fact] = json.loads((out / "run.json").read_text())["composites"]
    assert (fact["signature"], fact["part"]) == ("SBS40a", "SBS3") and 0.2 < fact["ratio"] < 0.4
    written = pd.read_csv(out / "signatures.tsv", sep="\t", index_col=0)
    assert not np.allclose(written["SBS40a"], cosmic_signatures(["SBS40a"])["SBS40a"], atol=1e-6)


def test_the_bootstrap_refits_copies_among_the_fits_own_candidates(monkeypatch):
    """The composite refit and the bootstrap copies both use the candidates found on the given signatures,
    not candidates found anew on the folded ones."""
    from unfoldnmf.exposures import bootstrap, fit as fit_module

    catalog, _ = _drifted_cohort(samples=40)
    reference = cosmic_signatures(NAMES)
    cohort = fit_cohort(catalog, reference)
    assert cohort.composites and cohort.candidates is not None
    assert fit_cohort(catalog, reference, RefitConfig(method="nnls")).candidates is None
    searched = []
    monkeypatch.setattr(bootstrap, "cohort_candidates", lambda *args: searched.append(args) or cohort.candidates)
    fit_module.bootstrap_signatures(catalog, cohort.signatures, cohort.exposures, replicates=2,
                                    candidates=cohort.candidates)
    assert searched == []
    fit_module.bootstrap_signatures(catalog, cohort.signatures, cohort.exposures, replicates=2)
    assert len(searched) == 1
