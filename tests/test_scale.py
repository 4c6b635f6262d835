"""Batch jobs as an HPC user runs them: torchrun across processes, locks, SIGKILL and --resume, logs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from unfoldnmf.cli import cli
from unfoldnmf.hpc.distributed import Ranks, replicate_block, share
from unfoldnmf.io.lock import LOCK_NAME, STALE_AFTER
from unfoldnmf.io.writing import to_text
from unfoldnmf.reference.simulate import simulate_cohort

from .conftest import FAST

ROOT = Path(__file__).resolve().parent.parent
TABLES = ["signatures.tsv", "exposures.tsv", "selection.tsv"]


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def tables(directory: Path) -> list[str]:
    return [(directory / name).read_text() for name in TABLES]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def test_share_gives_every_k_to_exactly_one_rank_and_balances_the_work():
    k_values = list(range(1, 26))
    parts = [share(k_values, Ranks(rank, 4)) for rank in range(4)]
    assert sorted(k for part in parts for k in part) == k_values
    loads = [sum(part) for part in parts]
    assert max(loads) - min(loads) <= 2
    assert share([3, 5], Ranks(0, 1)) == [3, 5] and share([7], Ranks(1, 2)) == []


def two_process_train(catalog: Path, out: Path, options: list[str]) -> list[str]:
    """The command line of a 2-process CPU (gloo) ``train`` under torchrun."""
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
            "-m", "unfoldnmf", "train", str(catalog), "-o", str(out), "--device", "cpu", *options]


def test_two_process_gloo_run_equals_single_process(tmp_path, catalog_file):
    single, double = tmp_path / "single", tmp_path / "double"
    small = [*FAST, "--k-max", "5", "--set", "solver.max_iter=100"]  # the rule's K 3, the held-out test to K 5
    assert run("train", catalog_file, "-o", single, *small).exit_code == 0
    command = two_process_train(catalog_file, double, small)
    done = subprocess.run(command, capture_output=True, text=True, env=env(), timeout=300)
    assert done.returncode == 0, done.stderr
    assert tables(double) == tables(single)
    assert sorted(p.name for p in (double / "checkpoints").iterdir()) == [f"K{k}.npz" for k in range(1, 6)]
    assert not (double / LOCK_NAME).exists()

    (double / "checkpoints" / "K2.npz").write_bytes(b"damaged")  # K2 is rank 1's: rank 0 must not wait forever
    done = subprocess.run([*command, "--resume"], capture_output=True, text=True, env=env(), timeout=300)
    assert done.returncode != 0 and "K2.npz: checkpoint is damaged" in done.stderr


def test_two_processes_split_the_replicates_of_a_fixed_k_and_match_one_process(tmp_path, true_signatures):
    """1 500 samples: one process solving 8 replicates cuts them into two blocks of samples, and a process
    solving its 4 must cut them the same way (in one block its sums over samples would round differently)."""
    catalog = tmp_path / "catalog.tsv"
    cohort = simulate_cohort(true_signatures, samples=1500, seed=3, median_total=200, prefix="S")
    catalog.write_text(to_text(cohort.catalog, "MutationType", "%g"))
    single, double = tmp_path / "single", tmp_path / "double"
    fixed = [*FAST, "--k", "3", "--set", "solver.max_iter=150", "--set", "extraction.replicates=8"]
    assert run("train", catalog, "-o", single, *fixed).exit_code == 0
    command = two_process_train(catalog, double, fixed)
    done = subprocess.run(command, capture_output=True, text=True, env=env(), timeout=300)
    assert done.returncode == 0, done.stderr
    assert tables(double) == tables(single)


def test_replicate_blocks_cover_every_replicate_once():
    blocks = [replicate_block(10, Ranks(rank, 4)) for rank in range(4)]
    assert [i for block in blocks for i in block] == list(range(10))
    assert max(map(len, blocks)) - min(map(len, blocks)) <= 1


def test_sigkill_mid_run_then_resume_gives_the_uninterrupted_result(tmp_path, catalog_file):
    slow = ["--set", "solver.tol=0", "--set", "solver.max_iter=400", "--set", "extraction.replicates=4", "--k-max", "4"]
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    command = [sys.executable, "-m", "unfoldnmf", "train", str(catalog_file), *slow, "--quiet", "-o"]
    subprocess.run([*command, str(reference)], env=env(), check=True, timeout=300)
    job = subprocess.Popen([*command, str(killed)], env=env())
    first = killed / "checkpoints" / "K1.npz"
    deadline = time.time() + 120
    while not first.exists() and job.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    job.send_signal(signal.SIGKILL)
    job.wait()
    assert first.exists() and not (killed / "checkpoints" / "K4.npz").exists(), "the run was not killed mid-way"
    assert json.loads((killed / LOCK_NAME).read_text())["pid"] == job.pid  # a stale lock is left behind
    unfinished = killed / "checkpoints" / ".K4.npz.unfoldnmf-0123abcd.tmp"  # an atomic write cut short
    unfinished.write_bytes(b"PK\x03\x04 half an npz")

    resumed = subprocess.run([*command, str(killed), "--resume", "--log-file", str(tmp_path / "log")], env=env(),
                             timeout=300)
    assert resumed.returncode == 0
    assert "stale lock" in (tmp_path / "log").read_text()
    assert tables(killed) == tables(reference)
    assert not list(killed.rglob("*.tmp")) and not (killed / LOCK_NAME).exists()


def test_a_second_run_on_a_locked_directory_is_refused_with_the_owner(tmp_path, catalog_file):
    out = tmp_path / "out"
    out.mkdir()
    owner = {"host": socket.gethostname(), "pid": os.getpid(), "started": "now"}
    (out / LOCK_NAME).write_text(json.dumps(owner))
    result = run("train", catalog_file, "-o", out, *FAST, "--resume")
    assert result.exit_code == 2
    assert f"in use by another run (pid {os.getpid()} on host {socket.gethostname()}" in result.output
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]


@pytest.mark.parametrize("age, refused", [(0, True), (STALE_AFTER + 60, False)])
def test_a_lock_from_another_host_is_stale_once_its_heartbeat_stops(tmp_path, catalog_file, age, refused):
    out = tmp_path / "out"
    out.mkdir()
    lock = out / LOCK_NAME
    lock.write_text(json.dumps({"host": "node-that-died", "pid": 1, "started": "then"}))
    os.utime(lock, (time.time() - age, time.time() - age))
    log_file = tmp_path / "run.log"
    result = run("train", catalog_file, "-o", out, *FAST, "--k", "2", "--force", "--log-file", log_file)
    assert (result.exit_code == 2) == refused, result.output
    assert "node-that-died" in (result.output if refused else log_file.read_text())
    assert lock.exists() == refused


def test_quiet_with_log_file_keeps_stderr_clean_and_logs_the_run(tmp_path, catalog_file):
    log_file = tmp_path / "run.log"
    result = run("train", catalog_file, "-o", tmp_path / "out", *FAST, "--k", "2", "--log-file", log_file)
    assert result.exit_code == 0 and result.output == ""
    text = log_file.read_text()
    assert "K=2 done in" in text and "K=2 chosen; tables written to" in text


@pytest.mark.parametrize("method", ["sparse", "nnls"])
def test_more_processes_than_samples_finish_on_every_rank(tmp_path, cohort, method):
    """3 samples, 4 processes: a rank's share of the per-sample refit is empty, and that is fine."""
    catalog = tmp_path / "three.tsv"
    catalog.write_text(to_text(cohort.catalog.iloc[:, :3], "MutationType", "%g"))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=4", "-m", "unfoldnmf",
               "train", str(catalog), "-o", str(out), "--device", "cpu", "--k-max", "2", "--set",
               "extraction.replicates=2", "--set", "solver.max_iter=50", "--set", f"refit.method={method}", "--quiet",
               "--no-plots"]
    done = subprocess.run(command, capture_output=True, text=True, env=env(), timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(pd.read_csv(out / "exposures.tsv", sep="\t", index_col=0)) == 3


@pytest.mark.parametrize("path, target, calls, options", [
    ("K values shared", "unfoldnmf.extraction.scan:extract_k", 1, ["--k-max", "3"]),
    ("replicates split, mid-K", "unfoldnmf.nmf.solver:em_step_kl", 15, ["--k", "3"]),
    ("per-sample refit split", "unfoldnmf.exposures.refit:sparse_exposures", 1, ["--k", "2"]),
])
def test_a_failure_on_one_rank_ends_the_run_on_every_rank_with_its_error(tmp_path, catalog_file, path, target,
                                                                         calls, options):
    """Rank 1 runs out of memory; rank 0 must not wait for it forever, nor be killed by torchrun:
    it stops by itself with rank 1's error, and writes nothing."""
    out, reports = tmp_path / "out", tmp_path / "reports"
    reports.mkdir()
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               str(ROOT / "tests" / "inject_failure.py"), target, "1", str(calls), str(reports), "--",
               "train", str(catalog_file), "-o", str(out), "--device", "cpu", "--set", "extraction.replicates=4",
               "--set", "solver.max_iter=150", "--set", "solver.tol=0", "--quiet", "--no-plots", *options]
    done = subprocess.run(command, capture_output=True, text=True, env=env(), timeout=300)
    assert done.returncode != 0
    finished = {p.name: p.read_text().splitlines() for p in reports.iterdir()}
    assert sorted(finished) == ["rank0.txt", "rank1.txt"], done.stderr[-2000:]
    code, message = finished["rank0.txt"]
    assert code == "1" and message == "unfoldnmf: error: rank 1: MemoryError: injected", (path, message)
    assert finished["rank1.txt"] == finished["rank0.txt"]
    assert not (out / "exposures.tsv").exists() and not (out / LOCK_NAME).exists()
