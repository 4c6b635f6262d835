"""Faults a batch job meets: an unwritable folder, a full disk, a SIGKILL, numerically hard data.

Each must end in a clear message or a correct result: never a traceback, a half-written table,
a mix of two runs' tables, or a NaN in an output.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from unfoldnmf.cli import cli
from unfoldnmf.config import ExtractionConfig
from unfoldnmf.io.writing import to_text
from unfoldnmf.reference.cosmic import cosmic_signatures
from unfoldnmf.reference.simulate import simulate_cohort

FAST = ["--set", "extraction.replicates=3", "--set", "solver.max_iter=150", "--k-max", "3", "--quiet"]
RESULTS = ("signatures.tsv", "exposures.tsv", "selection.tsv", "run.json")


@pytest.fixture(scope="module")
def catalog() -> pd.DataFrame:
    sigs = cosmic_signatures(["SBS1", "SBS5", "SBS13"])
    return simulate_cohort(sigs, samples=20, seed=4, median_total=800, prefix="T").catalog


@pytest.fixture(scope="module")
def reference(tmp_path_factory, catalog):
    """The catalog file and the output of one uninterrupted run."""
    root = tmp_path_factory.mktemp("faults")
    (root / "catalog.tsv").write_text(to_text(catalog, "MutationType", "%g"))
    assert _invoke("train", root / "catalog.tsv", "-o", root / "reference", *FAST).exit_code == 0
    return root


def _invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _tables(out: Path) -> dict[str, str]:
    """Every result table of an output folder (run.json holds timings, so only its K is kept)."""
    tables = {str(p.relative_to(out)): p.read_text() for p in sorted(out.rglob("*.tsv"))}
    tables["k_selected"] = json.loads((out / "run.json").read_text())["k_selected"]
    return tables


def _one_error_line(result, *fragments: str) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("unfoldnmf: error: "), result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def _no_results_left(out: Path) -> None:
    assert not [name for name in RESULTS if (out / name).exists()]
    assert not list(out.glob("solutions/*/*.tsv"))


def test_output_folder_that_cannot_be_created(tmp_path, reference):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = _invoke("train", reference / "catalog.tsv", "-o", blocker / "out", *FAST)
    assert result.exit_code == 2
    _one_error_line(result, f"{blocker / 'out'}: cannot write to output directory")
    assert blocker.read_text() == "not a folder"


@pytest.mark.skipif(os.geteuid() == 0, reason="permission bits do not bind root")
def test_read_only_output_folder(tmp_path, reference):
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o555)
    try:
        result = _invoke("train", reference / "catalog.tsv", "-o", folder / "out", *FAST)
        assert result.exit_code == 2
        _one_error_line(result, "cannot write to output directory", "Permission denied")
    finally:
        folder.chmod(0o755)


class _FullDisk:
    """Makes every write to a temporary file for ``target`` write half its data, then fail with ENOSPC."""

    def __init__(self, monkeypatch, target: str):
        self.target, self.failing = target, set()
        real_open, real_fdopen = os.open, os.fdopen

        def open_file(path, flags, mode=0o777, **kwargs):
            fd = real_open(path, flags, mode, **kwargs)
            if Path(path).name.startswith(f".{target}."):
                self.failing.add(fd)
            return fd

        def fdopen(fd, *args, **kwargs):
            handle = real_fdopen(fd, *args, **kwargs)
            return _Failing(handle) if fd in self.failing else handle

        monkeypatch.setattr(os, "open", open_file)
        monkeypatch.setattr(os, "fdopen", fdopen)


class _Failing:
    def __init__(self, handle):
        self.handle = handle

    def write(self, data):
        self.handle.write(data[: len(data) // 2])
        self.handle.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self.handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()


@pytest.mark.parametrize("target", ["K2.npz", "signatures.tsv", "selection.tsv", "run.json"])
def test_disk_full_leaves_no_table_and_resume_finishes(tmp_path, monkeypatch, reference, target):
    out = tmp_path / "out"
    # A complete earlier result in the folder: after the failure none of its tables may remain,
    # or a pipeline would read them as this run's.
    assert _invoke("train", reference / "catalog.tsv", "-o", out, *FAST, "--k-max", "2").exit_code == 0
    _FullDisk(monkeypatch, target)
    result = _invoke("train", reference / "catalog.tsv", "-o", out, *FAST, "--force")
    assert result.exit_code == 1
    line = _one_error_line(result, target, "No space left on device")
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")], "a temporary file was left behind"
    if target == "K2.npz":  # failed before any table was written: the earlier complete result stands whole
        assert json.loads((out / "run.json").read_text())["k_values"] == [1, 2]
        assert sorted(p.name for p in (out / "solutions").iterdir()) == ["K1", "K2"]
    else:
        assert "--resume" in line
        _no_results_left(out)
    monkeypatch.undo()  # space freed
    assert _invoke("train", reference / "catalog.tsv", "-o", out, *FAST, "--resume").exit_code == 0
    assert _tables(out) == _tables(reference / "reference")


def test_force_removes_solutions_of_an_older_wider_run(tmp_path, reference):
    out = tmp_path / "out"
    assert _invoke("train", reference / "catalog.tsv", "-o", out, *FAST).exit_code == 0
    assert _invoke("train", reference / "catalog.tsv", "-o", out, *FAST, "--k-max", "2", "--force").exit_code == 0
    assert sorted(p.name for p in (out / "solutions").iterdir()) == ["K1", "K2"]


def test_sigkill_then_resume_gives_the_same_tables(tmp_path, reference):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "unfoldnmf", "train", str(reference / "catalog.tsv"), "-o", str(out), *FAST]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not (out / "checkpoints" / "K1.npz").exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL, stderr.decode()
    assert (out / "checkpoints" / "K1.npz").exists() and not (out / "run.json").exists()
    result = _invoke("train", reference / "catalog.tsv", "-o", out, *FAST, "--resume")
    assert result.exit_code == 0, result.output
    assert _tables(out) == _tables(reference / "reference")


def _hard(catalog: pd.DataFrame, case: str) -> pd.DataFrame:
    hard = catalog.copy()
    if case == "one sample 1000x the others":
        hard["T1"] *= 1000
    elif case == "near-duplicate samples":
        for j in range(2, 8):
            hard[f"T{j}"] = hard["T1"] + (np.arange(96) == j)
    elif case == "identical samples":
        hard.loc[:, :] = np.repeat(hard[["T1"]].to_numpy(), hard.shape[1], axis=1)
    elif case == "huge totals":
        hard *= 1e7
    elif case == "one channel only":
        hard.loc[:, :] = 0.0
        hard.iloc[7] = np.arange(1, hard.shape[1] + 1)
    elif case == "a single mutation per sample":
        hard.loc[:, :] = 0.0
        for j in range(hard.shape[1]):
            hard.iloc[(5 * j) % 96, j] = 1
    return hard


@pytest.mark.parametrize("case, extra", [
    ("one sample 1000x the others", []),
    ("K larger than the data supports", ["--k", "12"]),
    ("near-duplicate samples", []),
    ("identical samples", []),
    ("huge totals", []),
    ("one channel only", []),
    ("a single mutation per sample", []),
])
def test_numerical_trouble_never_reaches_an_output(tmp_path, catalog, case, extra):
    path = tmp_path / "hard.tsv"
    hard = _hard(catalog, case)
    path.write_text(to_text(hard, "MutationType", "%.17g"))
    out = tmp_path / "out"
    result = _invoke("train", path, "-o", out, *FAST, *extra)
    assert result.exit_code == 0, result.output
    for table in out.rglob("*.tsv"):
        frame = pd.read_csv(table, sep="\t", index_col=0)
        if table.name == "selection.tsv":  # empty by design: the first K's gain, the runs past the last K tried,
            runs = frame.pop("run_gain")  # the held-out test up to the deviance rule's K, the sparse stage below its K
            complete = len(runs) - (ExtractionConfig().run_length - 1)
            assert runs.iloc[1:complete].notna().all(), f"NaN in {table.relative_to(out)}"
            tested = frame.pop("held_out_saved").notna().to_numpy()
            assert (frame.pop("held_out_z").notna().to_numpy() == tested).all()
            assert (np.diff(tested.astype(int)) >= 0).all()  # from some K on
            if "sparse_deviance" in frame:  # the sparse stage from its first K on (not with a fixed K)
                refitted = frame.pop("sparse_deviance").notna().to_numpy()
                compared = frame.pop("sparse_held_out_z").notna().to_numpy()  # ... and above it
                assert (np.diff(refitted.astype(int)) >= 0).all() and (compared <= refitted).all()
            frame = frame.iloc[1:]
        values = frame.select_dtypes("number").to_numpy()
        assert not np.isnan(values).any(), f"NaN in {table.relative_to(out)}"
    json.loads((out / "run.json").read_text(), parse_constant=lambda name: pytest.fail(f"{name} in run.json"))
    signatures = pd.read_csv(out / "signatures.tsv", sep="\t", index_col=0)
    exposures = pd.read_csv(out / "exposures.tsv", sep="\t", index_col=0)
    assert np.isfinite(signatures.to_numpy()).all() and np.isfinite(exposures.to_numpy()).all()
    np.testing.assert_allclose(signatures.sum(), 1.0, atol=1e-6)
    totals = hard.sum().to_numpy()
    assert (exposures.to_numpy() >= 0).all() and (exposures.sum(axis=1).to_numpy()[totals > 0] > 0).all()


class _Planted:
    """Unpickling this would create the file ``path``: proof that a pickle was executed."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


@pytest.mark.parametrize("case", ["another seed", "truncated checkpoint", "crafted pickle in a checkpoint"])
def test_resume_refuses_checkpoints_it_cannot_trust(tmp_path, reference, case):
    out = tmp_path / "out"
    assert _invoke("train", reference / "catalog.tsv", "-o", out, *FAST).exit_code == 0
    before = _tables(out)
    checkpoint, extra = out / "checkpoints" / "K2.npz", []
    if case == "another seed":
        extra, fragment = ["--seed", "7"], "seed was 0 for the finished K values and is now 7"
        checkpoint = out / "checkpoints" / "K1.npz"  # the first one read
    elif case == "truncated checkpoint":
        checkpoint.write_bytes(checkpoint.read_bytes()[:300])
        fragment = "checkpoint is damaged"
    else:
        with open(checkpoint, "wb") as handle:
            np.savez(handle, settings="{}", catalog=np.array([_Planted(str(tmp_path / "executed"))], dtype=object))
        fragment = "checkpoint is damaged"
    result = _invoke("train", reference / "catalog.tsv", "-o", out, *FAST, *extra, "--resume")
    assert result.exit_code == 2
    _one_error_line(result, str(checkpoint), fragment)
    assert not (tmp_path / "executed").exists()
    assert _tables(out) == before


@pytest.mark.parametrize("flag", ["--resume", "--force"])
def test_only_the_tools_own_temporary_files_are_removed(tmp_path, reference, flag):
    out = tmp_path / "out"
    assert _invoke("train", reference / "catalog.tsv", "-o", out, *FAST, "--k-max", "2").exit_code == 0
    own = [out / ".signatures.tsv.unfoldnmf-0123abcd.tmp", out / "checkpoints" / ".K3.npz.unfoldnmf-89abcdef.tmp",
           out / "solutions" / "K1" / ".exposures.tsv.unfoldnmf-00ff00ff.tmp"]
    users = [out / ".notes.txt.tmp", out / "drafts" / "deep" / ".draft.md.swp.tmp", out / "checkpoints" / ".mine.tmp",
             out / "drafts" / ".x.unfoldnmf-0123abcd.tmp"]  # the last one in a folder the tool never writes in
    for path in own + users:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("half")
    assert _invoke("train", reference / "catalog.tsv", "-o", out, *FAST, flag).exit_code == 0
    assert not [path for path in own if path.exists()]
    assert all(path.read_text() == "half" for path in users)


@pytest.mark.parametrize("command", ["simulate", "fit"])
def test_every_command_removes_its_own_temporary_files_and_only_those(tmp_path, command):
    out = tmp_path / "out"
    assert _invoke("simulate", "--cosmic", "SBS1,SBS5", "--samples", "12", "-o", out).exit_code == 0
    own, users = out / ".exposures.tsv.unfoldnmf-0123abcd.tmp", [out / ".notes.txt.tmp", out / "notes.txt"]
    for path in (own, *users):
        path.write_text("half")
    args = (["simulate", "--cosmic", "SBS1,SBS5", "--samples", "12"] if command == "simulate" else
            ["fit", out / "catalog.tsv", "--cosmic", "SBS1,SBS5"])
    result = _invoke(*args, "-o", out, "--force")
    assert result.exit_code == 0, result.output
    assert not own.exists() and all(path.read_text() == "half" for path in users)


def _files(out: Path) -> set[str]:
    return {str(path.relative_to(out)) for path in out.rglob("*") if path.is_file()}


def test_force_removes_every_file_of_the_previous_run_and_nothing_else(tmp_path, reference):
    out = tmp_path / "out"
    assert _invoke("train", reference / "catalog.tsv", "-o", out, *FAST, "--k", "3").exit_code == 0
    written = json.loads((out / "run.json").read_text())["files"]
    assert {"report.html", "assignment.tsv", "exposures_cosmic.tsv", "solutions/K3/signatures.tsv",
            "checkpoints/K3.npz"} <= set(written) and set(written) | {"run.json"} == _files(out)
    (out / "notes.txt").write_text("mine")
    (out / "plots" / "mine.png").write_text("mine too")
    result = _invoke("train", reference / "catalog.tsv", "-o", out, *FAST, "--k", "2", "--force", "--no-plots",
                     "--set", "assignment.enabled=false")
    assert result.exit_code == 0, result.output
    assert _files(out) == {"run.json", "notes.txt", "plots/mine.png", "signatures.tsv", "exposures.tsv",
                           "fit_quality.tsv", "selection.tsv", "solutions/K2/signatures.tsv",
                           "solutions/K2/exposures.tsv", "checkpoints/K2.npz"}
    assert not (out / "solutions" / "K3").exists()


def test_a_fit_over_an_earlier_fit_leaves_none_of_its_tables(tmp_path, reference):
    out, sigs = tmp_path / "fit", tmp_path / "sigs.tsv"
    sigs.write_text(to_text(cosmic_signatures(["SBS1", "SBS5", "SBS13"]), "MutationType", "%.8g"))
    catalog = reference / "catalog.tsv"
    assert _invoke("fit", catalog, "--signatures", sigs, "--bootstrap", "3", "-o", out, "-q").exit_code == 0
    assert "exposures_bootstrap.tsv" in _files(out)
    assert _invoke("fit", catalog, "--signatures", sigs, "-o", out, "--force", "-q").exit_code == 0
    assert _files(out) == {"exposures.tsv", "fit_quality.tsv", "signatures.tsv", "run.json"}
    model = tmp_path / "net"
    assert _invoke("train", catalog, "-o", model, "--mode", "supervised", "--signatures", sigs, "--set",
                   "network.layers=2", "--set", "network.epochs=1", "-q").exit_code == 0
    assert _invoke("fit", catalog, "--model", model / "model.pt", "-o", out, "--force", "-q").exit_code == 0
    assert _files(out) == {"exposures.tsv", "run.json"}


def test_without_a_run_json_force_removes_the_commands_own_names_and_keeps_the_inputs(tmp_path, reference):
    """A run killed before run.json leaves no list: its files are known by the names the command writes."""
    out = tmp_path / "out"
    assert _invoke("simulate", "--cosmic", "SBS1,SBS5", "--samples", "12", "-o", out).exit_code == 0
    (out / "run.json").unlink()  # killed before its end
    for name in ("solutions/K7/signatures.tsv", "plots/selection.png", "checkpoints/K7.npz", "report.html",
                 "solutions/K7/mine.tsv", "solutions/notes.txt"):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text("old")
    result = _invoke("train", out / "catalog.tsv", "-o", out, *FAST, "--k", "2", "--force", "--no-plots",
                     "--set", "assignment.enabled=false")
    assert result.exit_code == 0, result.output
    assert {"catalog.tsv", "solutions/K7/mine.tsv", "solutions/notes.txt"} <= _files(out)  # the input, the user's
    assert not {"solutions/K7/signatures.tsv", "plots/selection.png", "checkpoints/K7.npz", "report.html"} & _files(out)
    assert (out / "signatures.tsv").read_text() != "old"
    simulated = _invoke("simulate", "--cosmic", "SBS1,SBS5", "--samples", "12", "-o", out, "--force")
    assert simulated.exit_code == 0  # run.json lists train's files: all go, the catalog it read is rewritten
    assert _files(out) == {"catalog.tsv", "exposures.tsv", "signatures.tsv", "run.json", "solutions/K7/mine.tsv",
                           "solutions/notes.txt"}
