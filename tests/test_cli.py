"""The command line as a user runs it: train end to end, outputs, refusals and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
from click.testing import CliRunner

from unfoldnmf.cli import cli
from unfoldnmf.io.tables import read_signatures
from unfoldnmf.reference.scoring import score_signatures

from .conftest import FAST


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def test_train_writes_sigprofiler_tables(tmp_path, catalog_file, cohort, true_signatures):
    out = tmp_path / "out"
    result = run("train", catalog_file, "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    signatures = pd.read_csv(out / "signatures.tsv", sep="\t", index_col=0)
    exposures = pd.read_csv(out / "exposures.tsv", sep="\t", index_col=0)
    assert signatures.index.name == "MutationType" and exposures.index.name == "Samples"
    assert list(signatures.columns) == list(exposures.columns) and signatures.columns[0] == "SBS96A"
    np.testing.assert_allclose(signatures.sum(axis=0), 1.0, atol=1e-6)
    assert list(exposures.index) == list(cohort.catalog.columns)
    assert (exposures.to_numpy() >= 0).all()
    totals = cohort.catalog.sum(axis=0).to_numpy()
    assert np.median(np.abs(exposures.sum(axis=1).to_numpy() - totals) / totals) < 0.05
    score = score_signatures(true_signatures, read_signatures(out / "signatures.tsv"))
    assert score.tp == 3 and score.fp == 0
    run_info = json.loads((out / "run.json").read_text())
    assert run_info["k_selected"] == 3 and run_info["config"]["extraction"]["replicates"] == 4
    stages = run_info["seconds_by_stage"]
    assert list(stages) == ["read catalog", "K scan", "held-out test", "sparse stage", "refinement", "refit",
                            "tables and fit quality", "assignment", "writing tables"]  # --no-plots: no report
    assert all(seconds >= 0 for seconds in stages.values()) and stages["K scan"] > 0
    selection = pd.read_csv(out / "selection.tsv", sep="\t")
    assert list(selection["K"]) == [1, 2, 3, 4] and selection["selected"].sum() == 1
    for k in range(1, 5):
        assert (out / "solutions" / f"K{k}" / "signatures.tsv").exists()


def test_same_seed_same_result_and_shuffled_channels_change_nothing(tmp_path, catalog_file, cohort):
    shuffled = tmp_path / "shuffled.tsv"
    shuffled.write_text(cohort.catalog.sample(frac=1, random_state=5).to_csv(sep="\t", index_label="MutationType"))
    outputs = []
    for name, source in (("a", catalog_file), ("b", catalog_file), ("c", shuffled)):
        assert run("train", source, "-o", tmp_path / name, *FAST, "--k", "3").exit_code == 0
        outputs.append((tmp_path / name / "signatures.tsv").read_text()
                       + (tmp_path / name / "exposures.tsv").read_text())
    assert outputs[0] == outputs[1] == outputs[2]


def test_existing_output_is_refused_without_force(tmp_path, catalog_file):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    result = run("train", catalog_file, "-o", out, *FAST, "--k", "2")
    assert result.exit_code == 2
    assert "exists and is not empty" in result.output and "--force" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert run("train", catalog_file, "-o", out, *FAST, "--k", "2", "--force").exit_code == 0
    assert (out / "signatures.tsv").exists()


def test_resume_reuses_finished_k_values(tmp_path, catalog_file):
    out = tmp_path / "out"
    assert run("train", catalog_file, "-o", out, *FAST).exit_code == 0
    first = (out / "signatures.tsv").read_text()
    (out / "signatures.tsv").unlink()
    (out / "checkpoints" / "K4.npz").unlink()
    assert run("train", catalog_file, "-o", out, *FAST, "--resume").exit_code == 0
    assert (out / "signatures.tsv").read_text() == first


def test_resume_ignores_max_samples_unless_it_draws_subsets(tmp_path, catalog_file):
    out = tmp_path / "out"
    assert run("train", catalog_file, "-o", out, *FAST).exit_code == 0  # 60 samples: no subsets
    larger = run("train", catalog_file, "-o", out, *FAST, "--set", "extraction.max_samples=100", "--resume")
    assert larger.exit_code == 0, larger.output
    subsets = run("train", catalog_file, "-o", out, *FAST, "--set", "extraction.max_samples=30", "--resume")
    assert subsets.exit_code == 2
    assert "extraction.max_samples was null for the finished K values and is now 30" in subsets.output


def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("MutationType\tS1\nA[C>U]A\t3\n")
    out = tmp_path / "out"
    result = run("train", bad, "-o", out, *FAST)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("unfoldnmf: error:") and "A[C>U]A" in lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()


def test_config_errors_name_the_key(tmp_path, catalog_file):
    result = run("train", catalog_file, "-o", tmp_path / "o", "--set", "extraction.replicate=3")
    assert result.exit_code == 2 and "did you mean 'extraction.replicates'" in result.output
    result = run("train", catalog_file, "-o", tmp_path / "o", "--k-min", "5", "--k-max", "2")
    assert result.exit_code == 2 and "reversed" in result.output


def test_stdout_streaming_and_module_entry_point(tmp_path, catalog_file):
    result = run("train", catalog_file, "-o", "-", *FAST, "--k", "3")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "Samples\tSBS96A\tSBS96B\tSBS96C"
    done = subprocess.run([sys.executable, "-m", "unfoldnmf", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "train" in done.stdout


def test_bundled_example_reads(tmp_path):
    result = run("example")
    assert result.exit_code == 0 and result.stdout.startswith("MutationType\ttumour1")
    path = tmp_path / "example.tsv"
    path.write_text(result.stdout)
    from unfoldnmf import read_catalog

    assert read_catalog(path).shape == (96, 200)


def test_evaluate_scores_a_perfect_extraction(tmp_path, true_signatures):
    path = tmp_path / "sigs.tsv"
    path.write_text(true_signatures.to_csv(sep="\t", index_label="MutationType"))
    result = run("evaluate", "--truth", path, "--extracted", path, "--json")
    assert result.exit_code == 0
    score = json.loads(result.output)
    assert score["tp"] == 3 and score["fp"] == 0 and abs(score["composite"] - 3.0) < 1e-9
