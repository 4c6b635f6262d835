"""Trustworthy runs (issue 13): K selection edge cases, resume that reuses, interruption, the lock."""

from __future__ import annotations

import json
import os
import socket
import time

import numpy as np
import pandas as pd
import pytest
import torch

from unfoldnmf.config import ExtractionConfig
from unfoldnmf.extraction import scan
from unfoldnmf.extraction.consensus import _centroids, silhouette_by_cluster
from unfoldnmf.extraction.selection import scan_exhausted, select_k
from unfoldnmf.io.lock import LOCK_NAME, STALE_AFTER, OutputLock
from unfoldnmf.io.writing import to_text
from unfoldnmf.network.supervised import predict_exposures
from unfoldnmf.network.unfolded import UnfoldedNMF

from .conftest import FAST
from .test_cli import run


def test_one_replicate_leaves_stability_unknown_and_says_so(tmp_path, catalog_file):
    out = tmp_path / "out"
    result = run("train", catalog_file, "-o", out, *FAST, "--set", "extraction.replicates=1", "--log-file",
                 tmp_path / "log")
    assert result.exit_code == 0, result.output
    selection = (out / "selection.tsv").read_text().splitlines()
    header = selection[0].split("\t")
    stability = [row.split("\t")[header.index("stability_mean")] for row in selection[1:]]
    assert stability and all(value == "" for value in stability)  # unknown, not a perfect 1
    assert "stability is unknown for K=2" in (tmp_path / "log").read_text()


def test_k1_has_no_silhouette_and_passes_on_the_deviance_alone():
    rng = np.random.default_rng(0)
    unrelated = rng.dirichlet(np.ones(96), size=10).T  # ten unrelated spectra: no reproducible signature
    assert np.isnan(silhouette_by_cluster(unrelated, np.zeros(10, dtype=int), 1)).all()
    selection = select_k([1, 2, 3], [np.nan, 0.2, 0.1], [np.nan, 0.1, 0.0], [9000.0, 5000.0, 4990.0], n_samples=50,
                         extraction=ExtractionConfig(min_gain=4.0, min_stability=0.6))
    assert selection.k == 1 and "stability unknown" in selection.reason


N_SAMPLES = 2000


def _deviances(gains: list[float], start: float = 2.5e5) -> list[float]:
    """Deviances whose steps from K = 1 have these gains (in noise units: the dispersion stays 1 here)."""
    deviance = [start]
    for gain in gains:
        deviance.append(deviance[-1] - gain * (96 + N_SAMPLES))
    return deviance


def test_a_run_of_modest_gains_passes_where_each_step_alone_fails():
    """Many similar signatures each add 2-3x the noise: together they pass; a lone noise spike does not."""
    gains = [40.0, 20.0, 2.6, 2.5, 2.6, 2.3, 2.4, 1.0, 1.2, 0.9, 1.1]  # K 2 .. 12
    ks, flat = list(range(1, 13)), [0.9] * 12
    runs = ExtractionConfig(run_gain=2.2, run_length=4)
    selection = select_k(ks, flat, flat, _deviances(gains), N_SAMPLES, runs)
    assert selection.k == 5  # the runs from K 4 and 5 average 2.5 and 2.45; the run from K 6 only 2.05
    assert "on average" in selection.reason and selection.table["run_gain"].notna().sum() == 8
    assert select_k(ks, flat, flat, _deviances(gains), N_SAMPLES, ExtractionConfig(run_gain=None)).k == 3
    spike = [40.0, 20.0, 2.9, 0.8, 1.0, 1.2, 0.9, 1.1]  # K 2 .. 9
    assert select_k(ks[:9], flat[:9], flat[:9], _deviances(spike), N_SAMPLES, runs).k == 3


def test_a_run_gain_of_zero_is_a_threshold_and_only_null_turns_the_run_test_off():
    gains = [40.0, 20.0, 1.0, 1.1, 0.9, 1.2, 1.0]  # K 2 .. 8: single steps fail from K 4, every run gains
    ks, flat = list(range(1, 9)), [0.9] * 8
    zero, off = ExtractionConfig(run_gain=0.0), ExtractionConfig(run_gain=None)
    assert select_k(ks, flat, flat, _deviances(gains), N_SAMPLES, off).k == 3
    chosen = select_k(ks, flat, flat, _deviances(gains), N_SAMPLES, zero)
    assert chosen.k == 5 and "0.0x on average" in chosen.reason  # the last K whose 4-step run was tried
    assert not scan_exhausted(ks[:5], _deviances(gains)[:5], N_SAMPLES, ExtractionConfig(k_max=20, run_gain=0.0))


def test_the_scan_goes_on_until_a_failed_step_is_decided():
    extraction, deviance = ExtractionConfig(k_max=20, run_gain=2.2), _deviances([40.0, 20.0, 1.0, 1.1, 0.9, 1.2, 1.0])
    exhausted = [k for k in range(2, 9) if scan_exhausted(list(range(1, k + 1)), deviance[:k], N_SAMPLES, extraction)]
    assert exhausted[0] == 7  # K 4 fails alone; the run from it (K 4-7) is complete at K 7
    assert scan_exhausted([1, 2, 3, 4], deviance[:4], N_SAMPLES, ExtractionConfig(k_max=5, run_gain=2.2))
    assert scan_exhausted([1, 2, 3, 4], deviance[:4], N_SAMPLES, ExtractionConfig(k_max=20, run_gain=None))


def test_scan_computes_nothing_the_rule_cannot_choose(tmp_path, catalog_file, solved_k):
    result = run("train", catalog_file, "-o", tmp_path / "out", *FAST, "--k-max", "6",
                 "--set", "extraction.held_out_z=null", "--set", "extraction.sparse_gain=null")
    assert result.exit_code == 0, result.output
    chosen = json.loads((tmp_path / "out" / "run.json").read_text())["k_selected"]
    assert chosen == 3 and solved_k == [1, 2, 3, 4]  # K=4 fails the deviance test; K=5, 6 are never solved
    assert "sparse_deviance" not in pd.read_csv(tmp_path / "out" / "selection.tsv", sep="\t")


def test_held_out_test_scans_past_the_rule_and_keeps_its_k_when_more_fit_noise(tmp_path, catalog_file, solved_k):
    result = run("train", catalog_file, "-o", tmp_path / "out", *FAST, "--k-max", "6")
    assert result.exit_code == 0, result.output
    chosen = json.loads((tmp_path / "out" / "run.json").read_text())["k_selected"]
    table = pd.read_csv(tmp_path / "out" / "selection.tsv", sep="\t").set_index("K")
    assert chosen == 3 and solved_k == [1, 2, 3, 4, 5, 6]  # the deviance rule stops at K 4; the held-out test goes on
    assert table.loc[[4, 5, 6], "held_out_z"].lt(0).all() and table.loc[[1, 2, 3], "held_out_z"].isna().all()


def test_held_out_test_moves_k_past_a_rule_that_stopped_short_and_scans_patience_k_beyond(tmp_path, catalog_file,
                                                                                          solved_k):
    strict = ["--set", "extraction.min_gain=1000", "--set", "extraction.run_gain=null"]  # the rule stops at K 1
    result = run("train", catalog_file, "-o", tmp_path / "out", *FAST, "--k-max", "9", *strict)
    assert result.exit_code == 0, result.output
    info = json.loads((tmp_path / "out" / "run.json").read_text())
    assert info["k_selected"] == 3 and "predicts hidden counts better than K=1" in info["selection_reason"]
    assert solved_k == list(range(1, 7))  # held_out_patience (3) K past the best, K 3; K 7-9 never solved


def test_consensus_of_unused_signatures_is_finite(monkeypatch):
    zero = np.zeros((2, 96, 1))
    assert np.isfinite(_centroids(zero, np.zeros((2, 1), dtype=int), 1)).all()


def test_replicates_are_judged_on_the_catalog_itself_not_on_their_resampled_copies(cohort, monkeypatch):
    """The consensus starts from the replicate that fits the catalog best, so the objectives it is
    given are each replicate's fit measured on the catalog (per mutation), not on its own resampled copy."""
    from unfoldnmf.config import load_config
    from unfoldnmf.extraction import replicates
    from unfoldnmf.nmf.measures import kl_divergence

    seen = {}
    real_consensus, real_run_mu = replicates.consensus, replicates.run_mu

    def capture_fit(*args, **kwargs):
        result = real_run_mu(*args, **kwargs)
        seen.setdefault("fit", result)  # the first call solves the replicates
        return result

    def capture_consensus(replicate_w, objectives):
        seen["objectives"] = objectives
        return real_consensus(replicate_w, objectives)
    monkeypatch.setattr(replicates, "run_mu", capture_fit)
    monkeypatch.setattr(replicates, "consensus", capture_consensus)
    config = load_config(None, [{"dtype": "float64", "extraction": {"replicates": 3}, "solver": {"max_iter": 100}}])
    counts = cohort.catalog.to_numpy().copy()
    replicates.extract_k(counts, np.ones(counts.shape[1]), 3, config, torch.device("cpu"), torch.float64)
    fit = seen["fit"]
    on_catalog = kl_divergence(torch.tensor(counts).unsqueeze(0), fit.W @ fit.H).numpy() / counts.sum()
    np.testing.assert_allclose(seen["objectives"], on_catalog, rtol=1e-9)
    # the resampled copies' own fits differ
    assert not np.allclose(fit.objective.numpy() / counts.sum(), on_catalog, rtol=1e-3)


def test_replicates_of_a_larger_catalog_solve_subsets_and_every_sample_gets_exposures(cohort, true_signatures,
                                                                                      monkeypatch):
    from unfoldnmf.config import load_config
    from unfoldnmf.extraction import replicates

    solved = []
    real_run_mu = replicates.run_mu

    def capture(X, *args, **kwargs):
        solved.append(X.clone())
        return real_run_mu(X, *args, **kwargs)
    monkeypatch.setattr(replicates, "run_mu", capture)
    config = load_config(None, [{"extraction": {"replicates": 4, "max_samples": 30, "resample": "none"}}])
    counts = cohort.catalog.to_numpy().copy()
    solution = replicates.extract_k(counts, np.ones(60), 3, config, torch.device("cpu"), torch.float32)
    assert solved[0].shape == (4, 96, 30)
    subsets = []
    for copy in solved[0].double().numpy():  # which samples each replicate solved
        matches = (copy[:, :, None] == counts[:, None, :]).all(axis=0)
        assert (matches.sum(axis=1) >= 1).all()
        subsets.append(frozenset(int(np.argmax(row)) for row in matches))
    assert all(len(subset) == 30 for subset in subsets) and len(set(subsets)) == 4
    assert solution.exposures.shape == (3, 60) and (solution.exposures.sum(axis=0) > 0).all()
    truth = true_signatures.to_numpy()
    found = solution.signatures / np.linalg.norm(solution.signatures, axis=0)
    cosines = (truth / np.linalg.norm(truth, axis=0)).T @ found
    assert cosines.max(axis=1).min() > 0.95


def test_raising_k_max_reuses_every_finished_k(tmp_path, catalog_file, solved_k):
    out = tmp_path / "out"
    assert run("train", catalog_file, "-o", out, *FAST, "--k-max", "2").exit_code == 0
    assert solved_k == [1, 2]
    result = run("train", catalog_file, "-o", out, *FAST, "--k-max", "4", "--set", "extraction.min_gain=5",
                 "--resume", "--log-file", tmp_path / "log")
    assert result.exit_code == 0, result.output
    assert solved_k[2:] == [3, 4]  # K=1, 2 came from their checkpoints
    assert "K=1 reused from checkpoint" in (tmp_path / "log").read_text()
    refused = run("train", catalog_file, "-o", out, *FAST, "--seed", "7", "--resume")
    assert refused.exit_code == 2 and "seed was 0 for the finished K values and is now 7" in refused.output


def test_interrupted_train_says_what_was_kept_and_how_to_resume(tmp_path, catalog_file, monkeypatch):
    original = scan.extract_k

    def interrupted(counts, scale, k, *args, **kwargs):
        if k == 2:
            raise KeyboardInterrupt
        return original(counts, scale, k, *args, **kwargs)
    monkeypatch.setattr(scan, "extract_k", interrupted)
    out = tmp_path / "out"
    result = run("train", catalog_file, "-o", out, *FAST)
    assert result.exit_code == 130
    assert f"interrupted; the K values finished so far are kept in {out}/checkpoints" in result.output
    assert "--resume" in result.output and (out / "checkpoints" / "K1.npz").exists() and not (out / LOCK_NAME).exists()


def _foreign_lock(directory, age, **fields):
    lock = directory / LOCK_NAME
    lock.write_text(json.dumps({"host": "node-elsewhere", "pid": 1, "started": "then", **fields}))
    os.utime(lock, (time.time() - age, time.time() - age))
    return lock


def test_an_unreadable_lock_ages_like_any_other(tmp_path):
    lock = tmp_path / LOCK_NAME
    lock.write_text("{ half a record")
    os.utime(lock, (time.time() - STALE_AFTER - 60,) * 2)
    with OutputLock(tmp_path):
        assert json.loads(lock.read_text())["pid"] == os.getpid()


def test_a_requeued_slurm_job_takes_its_own_lock_over(tmp_path, monkeypatch):
    _foreign_lock(tmp_path, age=5, slurm_job="4242")
    monkeypatch.setenv("SLURM_JOB_ID", "4243")
    with pytest.raises(Exception, match="in use by another run"):
        OutputLock(tmp_path).acquire()
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    with OutputLock(tmp_path):
        assert json.loads((tmp_path / LOCK_NAME).read_text())["slurm_job"] == "4242"


def test_a_lock_taken_fresh_since_it_was_judged_stale_is_never_removed(tmp_path, monkeypatch):
    """Two runs judge the same lock stale; the other one takes it over first: this one must back off."""
    lock = _foreign_lock(tmp_path, age=STALE_AFTER + 60)
    fresh = {"host": socket.gethostname(), "pid": os.getpid(), "started": "just now"}
    real_rename = os.rename

    def other_run_first(source, target):
        theirs = tmp_path / "their.tmp"
        theirs.write_text(json.dumps(fresh))  # the other run's new lock, written before it removed the stale one
        lock.unlink()
        os.link(theirs, lock)
        theirs.unlink()
        real_rename(source, target)
    monkeypatch.setattr("unfoldnmf.io.lock.os.rename", other_run_first)
    with pytest.raises(Exception, match="in use by another run"):
        OutputLock(tmp_path).acquire()
    assert json.loads(lock.read_text()) == fresh


def test_supervised_refusals_and_the_callers_network_stays_put(tmp_path, catalog_file, true_signatures):
    sigs = tmp_path / "sigs.tsv"
    sigs.write_text(to_text(true_signatures, "MutationType", "%.8g"))
    refused = run("train", catalog_file, "-o", tmp_path / "a", "--mode", "supervised", "--signatures", sigs, "--k", "3")
    assert refused.exit_code == 2 and "--k/--k-min/--k-max/--resume are for denovo" in refused.output
    refused = run("fit", catalog_file, "--model", tmp_path / "m.pt", "--method", "nnls", "-o", tmp_path / "b")
    assert refused.exit_code == 2 and "--method/--min-deviance-gain" in refused.output
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / LOCK_NAME).write_text(json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "started": "now"}))
    refused = run("train", catalog_file, "-o", locked, "--mode", "supervised", "--signatures", sigs, "--force")
    assert refused.exit_code == 2 and "in use by another run" in refused.output
    network = UnfoldedNMF.from_signatures(torch.tensor(true_signatures.to_numpy()), "kl", layers=2)
    predict_exposures(network, true_signatures * 100, list(true_signatures.columns), torch.device("cpu"), torch.float32)
    assert network.log_W.dtype == torch.float64


def test_supervised_training_under_torchrun_leaves_the_output_directory_to_rank_0(tmp_path, catalog_file,
                                                                                   true_signatures, monkeypatch):
    from unfoldnmf import run as commands
    from unfoldnmf.config import load_config
    from unfoldnmf.hpc import distributed

    sigs, out = tmp_path / "sigs.tsv", tmp_path / "out"
    sigs.write_text(to_text(true_signatures, "MutationType", "%.8g"))
    monkeypatch.setattr(distributed, "current", lambda: distributed.Ranks(rank=1, world_size=2))
    config = load_config(None, [{"mode": "supervised", "network": {"epochs": 0, "layers": 2}}])
    assert commands.train(catalog_file, out, config, signatures=sigs, progress=False) is None
    assert not out.exists()  # no lock, no model.pt: rank 0 claims and writes


def test_takeover_takes_a_lock_whose_owner_looks_alive(tmp_path, catalog_file):
    out = tmp_path / "out"
    out.mkdir()
    _foreign_lock(out, age=5)  # fresh, from another host: refused without --takeover
    refused = run("train", catalog_file, "-o", out, *FAST, "--k", "2", "--resume")
    assert refused.exit_code == 2 and "in use by another run" in refused.output
    taken = run("train", catalog_file, "-o", out, *FAST, "--k", "2", "--resume", "--takeover", "--log-file",
                tmp_path / "log")
    assert taken.exit_code == 0, taken.output
    assert "taking over the lock" in (tmp_path / "log").read_text() and not (out / LOCK_NAME).exists()


def _result(out) -> dict:
    """What a user compares between two runs: every table, and the K chosen."""
    tables = {str(p.relative_to(out)): p.read_text() for p in sorted(out.rglob("*.tsv"))}
    return {**tables, "k_selected": json.loads((out / "run.json").read_text())["k_selected"]}


@pytest.mark.parametrize("first", [["--k-min", "4"], ["--k-max", "2"], "deleted K2", "deleted K1"],
                         ids=["K 4-6 first", "K 1-2 first", "K2 deleted", "K1 deleted"])
def test_resume_solves_every_missing_k_before_it_stops_or_chooses(tmp_path, catalog_file, first):
    full = [*FAST, "--k-max", "6", "--set", "extraction.sparse_gain=null"]
    fresh, out = tmp_path / "fresh", tmp_path / "out"
    assert run("train", catalog_file, "-o", fresh, *full).exit_code == 0
    if isinstance(first, list):
        assert run("train", catalog_file, "-o", out, *full, *first).exit_code == 0
    else:  # a damaged checkpoint deleted, as the error message advises
        assert run("train", catalog_file, "-o", out, *full).exit_code == 0
        (out / "checkpoints" / f"K{first[-1]}.npz").unlink()
    result = run("train", catalog_file, "-o", out, *full, "--resume")
    assert result.exit_code == 0, result.output
    assert _result(out) == _result(fresh)
