"""Whatever sequence of runs a user or a scheduler makes in one output directory (interrupted,
resumed, re-ranged, forced, a damaged checkpoint deleted as the error advises), the run that ends it
leaves the tables of one fresh run, and no file of the others (hypothesis)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unfoldnmf.cli import cli
from unfoldnmf.extraction import scan
from unfoldnmf.io.writing import to_text
from unfoldnmf.reference.cosmic import cosmic_signatures
from unfoldnmf.reference.simulate import simulate_cohort

K_TOP = 5
#: Cut-down runs (about half a second each on one thread); the K range is given per run.
QUICK = ["--set", "extraction.replicates=2", "--set", "solver.max_iter=100", "--set", "assignment.enabled=false",
         "--no-plots", "--quiet"]


def _train(catalog: Path, out: Path, k_min: int, k_max: int, *flags: str):
    return CliRunner().invoke(cli, ["train", str(catalog), "-o", str(out), *QUICK, "--k-min", str(k_min),
                                    "--k-max", str(k_max), *flags])


def _ending(out: Path) -> dict:
    """Every file but the checkpoints (which runs share), the tables' content, and the K chosen."""
    files = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.parent.name != "checkpoints"}
    tables = {name: (out / name).read_text() for name in files if name.endswith(".tsv")}
    return {"files": files, **tables, "k_selected": json.loads((out / "run.json").read_text())["k_selected"]}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """The catalog, and what one fresh run over K 1-5 ends with."""
    root = tmp_path_factory.mktemp("sequences")
    catalog = simulate_cohort(cosmic_signatures(["SBS1", "SBS5", "SBS13"]), samples=20, seed=4, median_total=800,
                              prefix="T").catalog
    (root / "catalog.tsv").write_text(to_text(catalog, "MutationType", "%g"))
    assert _train(root / "catalog.tsv", root / "fresh", 1, K_TOP).exit_code == 0
    return root, _ending(root / "fresh")


def _interrupted_at(call: int):
    """``extract_k`` that is interrupted (Ctrl-C, a scheduler's kill) at its ``call``-th call."""
    calls, original = [0], scan.extract_k

    def extract_k(*args, **kwargs):
        calls[0] += 1
        if calls[0] == call:
            raise KeyboardInterrupt
        return original(*args, **kwargs)
    return extract_k


k_ranges = st.tuples(st.integers(1, K_TOP), st.integers(1, K_TOP)).map(sorted)
flags = st.sampled_from(["--resume", "--force"])
steps = st.one_of(
    st.tuples(st.just("run"), k_ranges, flags),
    st.tuples(st.just("interrupted run"), k_ranges, flags, st.integers(1, 3)),
    st.tuples(st.just("checkpoint deleted"), st.integers(1, K_TOP)),
    st.tuples(st.just("checkpoint damaged"), st.integers(1, K_TOP)),
)


@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(sequence=st.lists(steps, min_size=1, max_size=4), ending=st.sampled_from(["--resume", "--resume", "--force"]))
def test_any_sequence_of_runs_ends_with_the_tables_of_one_fresh_run(workspace, sequence, ending):
    root, fresh = workspace
    catalog, out = root / "catalog.tsv", Path(tempfile.mkdtemp(dir=root)) / "out"
    for step in sequence:
        if step[0] == "run":
            assert _train(catalog, out, *step[1], step[2]).exit_code == 0
        elif step[0] == "interrupted run":
            with mock.patch.object(scan, "extract_k", _interrupted_at(step[3])):
                assert _train(catalog, out, *step[1], step[2]).exit_code in (0, 130)  # 0: nothing left to solve
        else:
            checkpoint = out / "checkpoints" / f"K{step[1]}.npz"
            if not checkpoint.exists():
                continue
            if step[0] == "checkpoint deleted":
                checkpoint.unlink()
                continue
            checkpoint.write_bytes(checkpoint.read_bytes()[:300])
            result = _train(catalog, out, 1, K_TOP, "--resume")
            if result.exit_code == 2:  # the damaged K was reached: delete it, as the message advises
                assert f"{checkpoint}: checkpoint is damaged; delete it" in result.output
                checkpoint.unlink()
            else:
                assert result.exit_code == 0, result.output
    result = _train(catalog, out, 1, K_TOP, ending)
    assert result.exit_code == 0, result.output
    assert _ending(out) == fresh
