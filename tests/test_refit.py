"""The default refit on the whole COSMIC reference: sparse, calibrated to misfit, cohort-aware; exclusions and fit
quality."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from unfoldnmf.cli import cli
from unfoldnmf.config import RefitConfig
from unfoldnmf.exposures import refit as refit_module
from unfoldnmf.exposures.fit import fit_signatures
from unfoldnmf.exposures.quality import fit_quality
from unfoldnmf.io.writing import to_text
from unfoldnmf.reference.classes import SIGNATURE_CLASSES
from unfoldnmf.reference.cosmic import cosmic_signatures, exclude_signatures


def _drifted_sample(depth: int, seed: int) -> pd.DataFrame:
    """SBS1 + SBS5 at ``depth`` mutations whose spectrum is distorted by ±20 % per channel (another
    signature version, say): no mix of COSMIC signatures fits it exactly."""
    rng = np.random.default_rng(seed)
    reference = cosmic_signatures()
    spectrum = (0.3 * reference["SBS1"] + 0.7 * reference["SBS5"]) * rng.uniform(0.8, 1.2, 96)
    counts = rng.multinomial(depth, spectrum / spectrum.sum())
    return pd.DataFrame({f"s{seed}": counts.astype(float)}, index=reference.index)


def test_misfit_at_high_depth_is_not_explained_by_extra_signatures():
    reference = cosmic_signatures()
    catalog = pd.concat([_drifted_sample(50000, seed) for seed in range(5)], axis=1)
    alone = RefitConfig(cohort_preselect=False)  # each sample on its own: the dispersion scaling at work
    calibrated = fit_signatures(catalog, reference, alone)
    fixed = fit_signatures(catalog, reference, RefitConfig(cohort_preselect=False, scale_by_dispersion=False))
    assert (calibrated > 0).sum(axis=1).max() <= 3
    assert (fixed > 0).sum(axis=1).mean() > 2 * (calibrated > 0).sum(axis=1).mean()
    assert calibrated[["SBS1", "SBS5"]].sum(axis=1).div(catalog.sum()).min() > 0.95


def test_absent_signatures_get_exact_zeros_and_totals_are_kept(cohort):
    reference = cosmic_signatures()
    found = fit_signatures(cohort.catalog, reference)
    absent = [c for c in reference.columns if c not in ("SBS1", "SBS5", "SBS13")]
    given = (found[absent] > 0).sum(axis=1)
    assert given.mean() < 0.2  # mutations on signatures the cohort lacks, per sample
    assert np.allclose(found.sum(axis=1), cohort.catalog.sum(), rtol=0.01)


def test_cohort_preselect_cuts_false_signatures_at_low_depth(true_signatures):
    from unfoldnmf.reference.simulate import simulate_cohort

    small = simulate_cohort(true_signatures, samples=60, seed=5, median_total=100, total_spread=0.1)
    reference = cosmic_signatures()
    absent = [c for c in reference.columns if c not in true_signatures.columns]
    with_cohort = fit_signatures(small.catalog, reference, RefitConfig(borrow="cohort"))
    alone = fit_signatures(small.catalog, reference, RefitConfig(borrow="cohort", cohort_preselect=False))
    assert (with_cohort[absent] > 0).to_numpy().sum() < (alone[absent] > 0).to_numpy().sum()


def test_fit_quality_of_an_exact_reconstruction(true_signatures):
    exposures = pd.DataFrame([[100.0, 50.0, 0.0]], index=["a"], columns=true_signatures.columns)
    catalog = pd.DataFrame({"a": true_signatures.to_numpy() @ exposures.to_numpy()[0]}, index=true_signatures.index)
    quality = fit_quality(catalog, true_signatures, exposures)
    assert list(quality.columns) == ["Mutations", "Signatures", "Unassigned", "Cosine", "L1", "Deviance"]
    row = quality.loc["a"]
    assert row.Mutations == pytest.approx(150) and row.Signatures == 2 and row.Unassigned == pytest.approx(0)
    assert (row.Cosine == pytest.approx(1) and row.L1 == pytest.approx(0, abs=1e-9)
            and row.Deviance == pytest.approx(0, abs=1e-6))


def test_fit_excludes_artefacts_and_named_signatures_and_writes_fit_quality(tmp_path, cohort):
    path = tmp_path / "catalog.tsv"
    path.write_text(to_text(cohort.catalog, "MutationType", "%g"))
    out = tmp_path / "fit"
    result = CliRunner().invoke(cli, ["fit", str(path), "--cosmic", "--exclude-artefacts", "--exclude", "SBS3",
                                      "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    exposures = pd.read_csv(out / "exposures.tsv", sep="\t", index_col=0)
    assert (not set(SIGNATURE_CLASSES["artefact"]) & set(exposures.columns) and "SBS3" not in exposures.columns
            and "SBS1" in exposures.columns)
    quality = pd.read_csv(out / "fit_quality.tsv", sep="\t", index_col=0)
    assert list(quality.index) == list(cohort.catalog.columns) and (quality.Cosine > 0.9).all()


def test_fit_excludes_whole_aetiology_classes(catalog_file, tmp_path):
    out = tmp_path / "fit"
    result = CliRunner().invoke(cli, ["fit", str(catalog_file), "--cosmic", "--exclude-class", "treatment, UV",
                                      "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    fitted = set(pd.read_csv(out / "signatures.tsv", sep="\t", index_col=0).columns)
    assert not {"SBS31", "SBS32", "SBS7a", "SBS38"} & fitted and {"SBS1", "SBS5", "SBS13", "SBS27"} <= fitted
    assert len(fitted) == 86 - 9 - 5


def test_fit_reports_samples_without_mutations_as_train_does(tmp_path, cohort):
    path, out = tmp_path / "catalog.tsv", tmp_path / "fit"
    path.write_text(to_text(cohort.catalog.assign(Z=0.0), "MutationType", "%g"))
    result = CliRunner().invoke(cli, ["fit", str(path), "--cosmic", "SBS1,SBS5,SBS13", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 sample(s) have no mutations and get zero exposures: Z" in result.stderr
    assert json.loads((out / "run.json").read_text())["samples_without_mutations"] == ["Z"]
    assert (pd.read_csv(out / "exposures.tsv", sep="\t", index_col=0).loc["Z"] == 0).all()


def test_a_class_leaves_out_only_the_members_of_the_tables_kind():
    doublets = cosmic_signatures(["DBS1", "DBS2", "DBS4"])
    assert list(exclude_signatures(doublets, classes=["tobacco"]).columns) == ["DBS1", "DBS4"]


def test_a_class_with_no_member_in_the_table_is_reported(catalog_file, tmp_path, true_signatures):
    own = tmp_path / "own.tsv"
    own.write_text(to_text(true_signatures.set_axis(["A", "B", "C"], axis=1), "MutationType", "%.6g"))
    result = CliRunner().invoke(cli, ["fit", str(catalog_file), "--signatures", str(own), "--exclude-class", "uv",
                                      "-o", str(tmp_path / "fit")])
    assert result.exit_code == 0 and "--exclude-class uv: none of its signatures" in result.output


def test_an_unknown_class_is_refused_in_one_line(catalog_file, tmp_path):
    result = CliRunner().invoke(cli, ["fit", str(catalog_file), "--cosmic", "--exclude-class", "smoking",
                                      "-o", str(tmp_path / "x")])
    assert result.exit_code == 2 and "unknown class smoking" in result.output and "tobacco" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "x").exists()


def test_excluding_an_unknown_signature_is_refused(tmp_path, cohort):
    path = tmp_path / "catalog.tsv"
    path.write_text(to_text(cohort.catalog, "MutationType", "%g"))
    result = CliRunner().invoke(cli, ["fit", str(path), "--cosmic", "--exclude", "SBS999", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2 and "SBS999" in result.output and not (tmp_path / "x").exists()


def test_fit_background_option_reaches_the_refit_and_its_record(tmp_path):
    reference = cosmic_signatures(["SBS1", "SBS5", "SBS2", "SBS13"])
    mix = reference.to_numpy() @ np.array([30.0, 450.0, 450.0, 525.0])  # deep: the background rule applies
    counts = np.random.default_rng(7).poisson(mix)[:, None].astype(float)
    path = tmp_path / "catalog.tsv"
    path.write_text(to_text(pd.DataFrame(counts, index=reference.index, columns=["s"]), "MutationType", "%g"))
    found = {}
    for choice in ("SBS1,SBS5", "none"):
        out = tmp_path / choice.replace(",", "_")
        result = CliRunner().invoke(cli, ["fit", str(path), "--cosmic", "SBS1,SBS5,SBS2,SBS13", "--background", choice,
                                          "-o", str(out)])
        assert result.exit_code == 0, result.output
        found[choice] = pd.read_csv(out / "exposures.tsv", sep="\t", index_col=0).loc["s"]
        recorded = json.loads((out / "run.json").read_text())["config"]["refit"]["background"]
        assert recorded == ([] if choice == "none" else ["SBS1", "SBS5"])
    expected = fit_signatures(pd.DataFrame(counts, index=reference.index, columns=["s"]), reference).loc["s"]
    # table: whole mutations
    np.testing.assert_allclose(found["SBS1,SBS5"], expected[found["SBS1,SBS5"].index], atol=0.5)
    assert found["SBS1,SBS5"]["SBS1"] > 0 and found["none"].get("SBS1", 0) == 0
    repeated = CliRunner().invoke(cli, ["fit", str(path), "--cosmic", "--background", "SBS1,SBS1", "-o",
                                        str(tmp_path / "r")])
    assert repeated.exit_code == 2 and "given twice" in repeated.output and not (tmp_path / "r").exists()


def test_simulate_writes_its_signatures_and_run_record_and_assign_streams(tmp_path):
    out = tmp_path / "sim"
    result = CliRunner().invoke(cli, ["simulate", "--cosmic", "SBS1,SBS5", "--samples", "5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"catalog.tsv", "exposures.tsv", "signatures.tsv", "run.json"}
    streamed = CliRunner().invoke(cli, ["assign", str(out / "signatures.tsv"), "-o", "-"])
    assert (streamed.exit_code == 0 and streamed.output.startswith("Signature\tReference")
            and not (tmp_path / "-").exists())


def test_evaluate_refuses_half_an_exposure_pair(tmp_path):
    sigs = tmp_path / "s.tsv"
    sigs.write_text(to_text(cosmic_signatures(["SBS1"]), "MutationType", "%g"))
    result = CliRunner().invoke(cli, ["evaluate", "--truth", str(sigs), "--extracted", str(sigs),
                                      "--truth-exposures", str(sigs)])
    assert result.exit_code == 2 and "--exposures" in result.output


def _eliminate_one_sample(signatures, x, gain, background=None, background_gain=0.0):
    """The rule written plainly, one sample and one scipy NNLS per trial on every signature not yet
    dropped, the least significant (Wald) signature tried first: the reference for the batched code.
    Signatures in ``background`` are tested only once the others are settled, and a signature that
    comes back while a background one goes sends the sample back to testing the others."""
    from scipy.optimize import nnls

    from unfoldnmf.nmf.scores import poisson_deviance

    background = np.zeros(signatures.shape[1], dtype=bool) if background is None else background
    if not x.any():
        return np.zeros(signatures.shape[1])
    allowed = np.ones(signatures.shape[1], dtype=bool)
    weights, _ = nnls(signatures, x)
    deviance = poisson_deviance(x, signatures @ weights)
    on_background = False
    while (weights > 0).sum() > 1:
        testable = (weights > 0) & (background == on_background)
        if not testable.any():
            if on_background:
                break
            on_background = True
            continue
        used = np.flatnonzero(weights > 0)
        fitted = np.maximum(signatures @ weights, 0.5)
        fisher = signatures[:, used].T @ (signatures[:, used] / fitted[:, None])
        wald = np.full(len(weights), np.inf)
        wald[used] = weights[used] ** 2 / np.diag(np.linalg.pinv(fisher))
        drop = int(np.argmin(np.where(testable, wald, np.inf)))
        trial = allowed.copy()
        trial[drop] = False
        trial_weights = np.zeros_like(weights)
        trial_weights[trial] = nnls(signatures[:, trial], x)[0]
        trial_deviance = poisson_deviance(x, signatures @ trial_weights)
        phase_gain = background_gain if on_background else gain
        if trial_deviance - deviance >= phase_gain * max(1.0, deviance / (96 - (weights > 0).sum())):
            if on_background:
                break
            on_background = True
            continue
        if ((trial_weights > 0) & (weights == 0) & ~background).any():
            on_background = False
        allowed, weights, deviance = trial, trial_weights, trial_deviance
    return weights


def test_batched_elimination_matches_the_plain_rule_and_chunks_do_not_matter(monkeypatch):
    from unfoldnmf.exposures import refit

    reference = cosmic_signatures()
    catalog = pd.concat([_drifted_sample(depth, seed) for seed, depth in enumerate((50, 300, 2000, 20000, 0, 5000))],
                        axis=1)
    counts, signatures = catalog.to_numpy(), reference.to_numpy()
    config = RefitConfig()
    together = refit.sparse_exposures(signatures, counts, config)
    plain = np.stack([_eliminate_one_sample(signatures, counts[:, j], config.min_deviance_gain)
                      for j in range(counts.shape[1])], axis=1)
    monkeypatch.setattr(refit, "ELIMINATION_CHUNK", 4)
    chunked = refit.sparse_exposures(signatures, counts, config)
    np.testing.assert_allclose(together, plain, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(together, chunked, rtol=1e-8, atol=1e-8)
    assert (together[:, 4] == 0).all() and ((together > 0).sum(axis=0)[[0, 1, 2, 3, 5]] >= 1).all()


def test_a_signature_back_in_while_the_background_goes_is_tested_too():
    reference = cosmic_signatures()
    rng = np.random.default_rng(0)
    counts = np.stack([rng.multinomial(1000, reference["SBS5"].to_numpy()) for _ in range(40)], axis=1).astype(float)
    background = reference.columns.isin(["SBS1", "SBS5"])
    config = RefitConfig(cohort_preselect=False)
    batched = refit_module.sparse_exposures(reference.to_numpy(), counts, config, background)
    plain = np.stack([_eliminate_one_sample(reference.to_numpy(), counts[:, j], config.min_deviance_gain, background,
                                            config.background_deviance_gain) for j in range(counts.shape[1])], axis=1)
    np.testing.assert_allclose(batched, plain, rtol=1e-7, atol=1e-7)
    # pure SBS5: no signature besides the background, not even one that came back
    assert (batched[~background] == 0).all()


def test_background_signatures_are_tested_last_with_their_own_gain():
    reference = cosmic_signatures()
    rng = np.random.default_rng(7)
    shares = pd.Series({"SBS1": 0.05, "SBS5": 0.3, "SBS2": 0.3, "SBS13": 0.35})
    spectra = (reference[shares.index] @ shares).to_numpy()[:, None] * rng.uniform(0.8, 1.2, (96, 6))
    counts = np.stack([rng.multinomial(depth, spectrum / spectrum.sum())
                       for depth, spectrum in zip((300, 2000, 5000, 20000, 50000, 100000), spectra.T)],
                      axis=1).astype(float)
    signatures = reference.to_numpy()
    background = reference.columns.isin(["SBS1", "SBS5"])
    config = RefitConfig(background_deviance_gain=4.0)
    batched = refit_module.sparse_exposures(signatures, counts, config, background)
    plain = np.stack([_eliminate_one_sample(signatures, counts[:, j], config.min_deviance_gain, background, 4.0)
                      for j in range(counts.shape[1])], axis=1)
    np.testing.assert_allclose(batched, plain, rtol=1e-7, atol=1e-7)
    without = refit_module.sparse_exposures(signatures, counts, config)
    lost = (without[background] == 0).sum() - (batched[background] == 0).sum()
    assert lost > 0  # SBS1, a minor share beside APOBEC, is kept more often


def test_fit_keeps_a_small_background_share_the_default_gain_would_drop():
    reference = cosmic_signatures(["SBS1", "SBS5", "SBS7a"])
    mix = reference.to_numpy() @ np.array([30.0, 150.0, 1820.0])
    catalog = pd.DataFrame(np.random.default_rng(3).poisson(mix)[:, None].astype(float), index=reference.index,
                           columns=["s"])
    with_background = fit_signatures(catalog, reference, RefitConfig(cohort_preselect=False))
    without = fit_signatures(catalog, reference, RefitConfig(cohort_preselect=False, background=[]))
    assert (with_background.loc["s"] > 0).all() and (without.loc["s", ["SBS1", "SBS5"]] == 0).any()


def test_a_forward_step_asks_what_keeps_a_signature_unless_it_comes_from_outside_the_cohorts_set():
    """SBS18 at 6 % of 2 000 mutations beside SBS5, SBS2 and SBS13 lowers the deviance by 25–50 times the
    over-dispersion: borrowing from neighbours, a forward step reconsiders a signature the sample's own
    elimination dropped and takes it at ``min_deviance_gain`` (25); borrowing from the cohort, the step
    offers signatures from outside the cohort's set and asks ``addition_deviance_gain`` (50)."""
    signatures = cosmic_signatures(["SBS5", "SBS2", "SBS13", "SBS18"]).to_numpy()
    counts = np.random.default_rng(0).poisson(signatures @ np.array([1200.0, 400, 300, 120]))[:, None].astype(float)
    without = np.vstack([refit_module.nnls_exposures(signatures[:, :3], counts), [[0.0]]])
    full = refit_module.nnls_exposures(signatures, counts)
    gain = refit_module.poisson_deviance(counts, signatures @ without) - refit_module.poisson_deviance(
        counts, signatures @ full)
    scale = refit_module.dispersion(np.atleast_1d(refit_module.poisson_deviance(counts, signatures @ full)), 96,
                                    (full > 0).sum(axis=0))
    assert RefitConfig().min_deviance_gain < gain / scale < RefitConfig().addition_deviance_gain
    joinable = np.array([False, False, False, True])
    neighbours = refit_module.add_signatures(signatures, counts, without, joinable, RefitConfig())
    cohort = refit_module.add_signatures(signatures, counts, without, joinable, RefitConfig(borrow="cohort"))
    assert neighbours[3, 0] > 0 and cohort[3, 0] == 0


def test_a_deep_sample_gains_a_signature_its_cohort_lacks_and_a_shallow_one_only_through_the_gate():
    """SBS4 in two samples of 102: not among the pooled cohort's candidates; the deep one (10 000
    mutations) chooses among its own signatures, or else gains it in a forward step; the shallow one (60)
    lacks the evidence for that, and gets it from the share gate on the signatures of the sample it
    resembles (the deep one carries SBS4: 30 %)."""
    reference = cosmic_signatures()
    rng = np.random.default_rng(11)
    drift = rng.uniform(0.8, 1.2, 96)  # the cohort's spectra fit no mix exactly: the pooled refit is over-dispersed
    common = (reference[["SBS1", "SBS5", "SBS13"]] @ np.array([0.2, 0.5, 0.3])).to_numpy() * drift
    rare = (reference[["SBS1", "SBS5", "SBS13", "SBS4"]] @ np.array([0.15, 0.35, 0.2, 0.3])).to_numpy() * drift
    spectra = [common] * 100 + [rare, rare]
    depths = [2000] * 100 + [10000, 60]
    catalog = pd.DataFrame(np.stack([rng.multinomial(d, p / p.sum()) for d, p in zip(depths, spectra)],
                                    axis=1).astype(float),
                           index=reference.index)
    counts, signatures = catalog.to_numpy(), reference.to_numpy()
    config = RefitConfig()
    tobacco = reference.columns.get_loc("SBS4")
    assert tobacco not in refit_module.cohort_candidates(signatures, counts, config, _background_of(reference))
    sparse = refit_module.refit_exposures(signatures, counts, RefitConfig(shallow_gate=0.0),
                                          background=_background_of(reference))
    assert sparse[tobacco, 100] > 0.2 * 10000 and sparse[tobacco, 101] == 0
    exposures = refit_module.refit_exposures(signatures, counts, config, background=_background_of(reference))
    assert exposures[tobacco, 100] > 0.2 * 10000 and exposures[tobacco, 101] > 0.1 * 60
    own = refit_module.sparse_exposures(signatures, counts[:, [100]], config, _background_of(reference))
    assert own[tobacco, 0] > 0.2 * 10000  # borrowing from neighbours, its own elimination keeps SBS4
    cohort = RefitConfig(borrow="cohort", shallow_gate=0.0)
    stepped = refit_module.refit_exposures(signatures, counts, cohort, background=_background_of(reference))
    assert stepped[tobacco, 100] > 0.2 * 10000  # borrowing from the cohort, a forward step gives it
    no_steps = dataclasses.replace(cohort, addition_deviance_gain=1e12)
    without = refit_module.refit_exposures(signatures, counts, no_steps, background=_background_of(reference))
    assert without[tobacco, 100] == 0


def _background_of(reference):
    return reference.columns.isin(RefitConfig().background)


def _flat_heavy_cohort(seed: int, depths: np.ndarray) -> tuple[pd.DataFrame, list[str], np.ndarray]:
    """Samples where two flat signatures (SBS40a, SBS3) carry 70 % of the mutations: (catalog at
    ``depths``, the signatures' names, the true shares, samples × 4)."""
    reference = cosmic_signatures()
    names = ["SBS40a", "SBS3", "SBS2", "SBS13"]
    rng = np.random.default_rng(seed)
    truth = np.stack([np.r_[0.4, 0.3, rng.dirichlet(np.ones(2)) * 0.3] for _ in depths])
    spectra = reference[names].to_numpy() @ truth.T
    counts = np.stack([rng.multinomial(d, p / p.sum()) for d, p in zip(depths, spectra.T)], axis=1).astype(float)
    return pd.DataFrame(counts, index=reference.index), names, truth


@pytest.mark.parametrize("borrow", ["neighbours", "cohort"])
def test_the_shallow_gate_keeps_flat_signatures_in_shallow_samples(borrow):
    """At 100 mutations the likelihood-ratio test drops the flat signatures of most samples; the
    share gate on the signatures of the samples a sample resembles (or of the whole cohort) keeps them in
    more samples and comes closer to the truth (mean TAE 0.19, or 0.16, against 0.44); borrowing from the
    cohort also gives no signature the cohort lacks, where each sample's own sparse refit on the whole
    reference gives a few."""
    reference = cosmic_signatures()
    catalog, names, truth = _flat_heavy_cohort(5, np.full(200, 100))
    results = {}
    for label, refit in (("gate", RefitConfig(borrow=borrow)), ("sparse", RefitConfig(borrow=borrow, shallow_gate=0))):
        found = fit_signatures(catalog, reference, refit)
        if borrow == "cohort":
            assert set(found.columns[found.gt(0).any()]) <= set(names)
        tae = np.abs(found[names].to_numpy() / 100 - truth).sum(axis=1).mean() / 2
        results[label] = ((found[["SBS40a", "SBS3"]] > 0).to_numpy().mean(), tae)
    assert results["gate"][0] > results["sparse"][0] and results["gate"][1] < results["sparse"][1] - 0.1


def test_a_shallow_sample_keeps_a_borrowed_signature_only_at_the_borrowed_share():
    """Forty breast-like samples at 500 mutations, their spectra drifted from the reference as real ones are;
    half carry SBS3 at 40 %. The samples without it resemble some that carry it, and a flat signature borrowed
    from those takes a few per cent of a drifted spectrum; under ``refit.shallow_borrowed_share`` (10 %) it is
    dropped, while the samples that carry SBS3 keep it."""
    reference = cosmic_signatures()
    names = ["SBS1", "SBS5", "SBS2", "SBS13", "SBS3"]
    rng = np.random.default_rng(0)
    truth = np.zeros((40, 5))
    truth[:, :4] = rng.dirichlet(np.ones(4), 40)
    truth[:20] *= 0.6
    truth[:20, 4] = 0.4
    spectra = (reference[names].to_numpy() @ truth.T) * rng.lognormal(0.0, 0.4, (96, 40))
    counts = np.stack([rng.multinomial(500, p / p.sum()) for p in spectra.T], axis=1).astype(float)
    catalog = pd.DataFrame(counts, index=reference.index)
    default = RefitConfig().shallow_borrowed_share
    carriers = {share: fit_signatures(catalog, reference, RefitConfig(shallow_borrowed_share=share))["SBS3"] > 0
                for share in (0.0, default)}
    assert carriers[0.0].iloc[20:].any() and not carriers[default].iloc[20:].any()
    assert carriers[default].iloc[:20].sum() >= 18


def test_the_shallow_gate_leaves_deep_samples_alone():
    """Half the samples at 100 mutations, half at 1 500: only the shallow ones change, and in those
    every exposure kept has at least 1 / √100 of the sample's mutations before the Poisson fit."""
    reference = cosmic_signatures()
    depths = np.where(np.arange(60) % 2 == 0, 100, 1500)
    catalog, _, _ = _flat_heavy_cohort(8, depths)
    W, counts = reference.to_numpy(), catalog.to_numpy()
    with_it = refit_module.refit_exposures(W, counts, RefitConfig())
    without = refit_module.refit_exposures(W, counts, RefitConfig(shallow_gate=0.0))
    deep = depths >= RefitConfig().shallow_depth
    np.testing.assert_allclose(with_it[:, deep], without[:, deep], rtol=1e-12)
    assert np.array_equal(with_it[:, deep] > 0, without[:, deep] > 0)
    assert not np.array_equal(with_it[:, ~deep] > 0, without[:, ~deep] > 0)
    assert (with_it[:, ~deep] > 0).sum() > (without[:, ~deep] > 0).sum()


def test_the_share_gate_keeps_each_samples_largest_exposure():
    """Shares under share / √mutations (and under the floor) go, the largest stays, an empty sample
    keeps nothing."""
    exposures = np.array([[50.0, 3.0, 0.0], [40.0, 2.0, 0.0], [9.0, 1.0, 0.0]])
    keep = refit_module.share_gate(exposures, np.array([99.0, 6.0, 0.0]), share=1.0, floor=0.01)
    np.testing.assert_array_equal(keep, [[True, True, False], [True, False, False], [False, False, False]])


def test_a_capped_hypermutated_sample_changes_no_other_samples_signature_set():
    """A refit of a catalog with a capped hypermutated sample (as extraction scales it down): the scaled-down
    sample's fractional counts must not turn the shallow step off for the others, whose rules come from their
    own counts; a caller may also pass the rule of the uncapped counts."""
    from unfoldnmf.extraction.replicates import cap_totals, hypermutation_cap

    reference = cosmic_signatures()
    depths = np.where(np.arange(40) % 2 == 0, 100, 1500)
    catalog, names, _ = _flat_heavy_cohort(8, depths)
    rng = np.random.default_rng(1)
    hyper = rng.multinomial(200_000, reference[names].to_numpy() @ np.array([0.4, 0.3, 0.15, 0.15])).astype(float)
    with_hyper = np.column_stack([catalog.to_numpy(), hyper])
    capped, scale = cap_totals(with_hyper, hypermutation_cap(with_hyper.sum(axis=0), None))
    assert scale[-1] < 1 and scale[:-1].min() == 1
    W = reference[names].to_numpy()
    alone = refit_module.refit_exposures(W, catalog.to_numpy(), RefitConfig())
    beside = refit_module.refit_exposures(W, capped, RefitConfig())
    np.testing.assert_array_equal(beside[:, :-1] > 0, alone > 0)
    told = refit_module.shallow_samples(with_hyper, RefitConfig())  # the rule of the uncapped counts
    np.testing.assert_array_equal(told, np.r_[depths < 1000, False])
    given = refit_module.refit_exposures(W, capped, RefitConfig(), shallow=told)
    np.testing.assert_array_equal(given[:, :-1] > 0, alone > 0)
