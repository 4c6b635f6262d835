"""model.pt and the supervised command line: round trip, refusals of foreign or damaged files, exit codes."""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pandas as pd
import pytest
import torch

from unfoldnmf.errors import InputError
from unfoldnmf.io.channels import CHANNELS
from unfoldnmf.io.tables import read_exposures
from unfoldnmf.io.writing import to_text
from unfoldnmf.network.model_file import load_model, save_model
from unfoldnmf.exposures.learned import Gate
from unfoldnmf.reference.cosmic import cosmic_signatures
from unfoldnmf.network.unfolded import UnfoldedNMF

from .test_cli import run

pytestmark = pytest.mark.filterwarnings("ignore:Detected pickle protocol")

SUPERVISED = ["--mode", "supervised", "--set", "network.layers=3", "--set", "network.epochs=3",
              "--set", "network.simulated_samples=200", "--quiet"]


@pytest.fixture()
def network(true_signatures):
    return UnfoldedNMF.from_signatures(torch.tensor(true_signatures.to_numpy()), "frobenius", layers=4, l1=1.0)


def test_model_round_trip_gives_the_same_exposures(tmp_path, network, cohort):
    save_model(tmp_path / "model.pt", network, CHANNELS, ["SBS1", "SBS5", "SBS13"], {"seed": 0})
    loaded = load_model(tmp_path / "model.pt", CHANNELS, ["SBS1", "SBS5", "SBS13"])
    X = torch.tensor(cohort.catalog.to_numpy())
    with torch.no_grad():
        torch.testing.assert_close(loaded.network(X), network(X))
    assert loaded.metadata["architecture"]["layers"] == 4 and loaded.signatures == ["SBS1", "SBS5", "SBS13"]


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


@pytest.mark.parametrize("damage, message", [
    ("channels", "other channels"), ("k", "expected K=2"), ("truncated", "not a readable"),
    ("pickle", "not a readable"), ("shapes", "do not match"), ("foreign", "not an unfoldnmf model"),
])
def test_foreign_or_damaged_models_are_refused(tmp_path, network, damage, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "model.pt"
    channels = list(reversed(CHANNELS)) if damage == "channels" else CHANNELS
    save_model(path, network, channels, ["SBS1", "SBS5", "SBS13"], {})
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:300])
    elif damage == "pickle":
        path.write_bytes(pickle.dumps({"format": "unfoldnmf-model/1", "x": _Exploit()}))
    elif damage in ("shapes", "foreign"):
        payload = torch.load(path, weights_only=True)
        payload["weights"]["log_B"] = torch.zeros(4, 2, 2)
        torch.save(payload if damage == "shapes" else {"weights": payload["weights"]}, path)
    expected = ["SBS1", "SBS5"] if damage == "k" else None
    with pytest.raises(InputError, match=message):
        load_model(path, CHANNELS, expected)
    assert not (tmp_path / "pwned").exists()


def test_supervised_train_then_fit_on_the_command_line(tmp_path, catalog_file, cohort, true_signatures):
    sigs = tmp_path / "sigs.tsv"
    sigs.write_text(to_text(true_signatures, "MutationType", "%.8g"))
    truth = tmp_path / "truth.csv"
    truth.write_text(cohort.exposures.T.to_csv())  # SynSig orientation: signatures × samples
    out = tmp_path / "out"
    result = run("train", catalog_file, "-o", out, "--signatures", sigs, "--exposures", truth, *SUPERVISED)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"model.pt", "exposures.tsv", "run.json"}
    assert json.loads((out / "run.json").read_text())["training_data"] == "given exposures"
    fitted = tmp_path / "fitted"
    assert run("fit", catalog_file, "--model", out / "model.pt", "-o", fitted, "--quiet").exit_code == 0
    exposures = pd.read_csv(fitted / "exposures.tsv", sep="\t", index_col=0)
    assert exposures.equals(pd.read_csv(out / "exposures.tsv", sep="\t", index_col=0))
    totals = cohort.catalog.sum(axis=0).to_numpy()
    error = np.abs(exposures.to_numpy() - cohort.exposures.to_numpy()).sum(axis=1) / totals
    assert np.mean(error) < 0.15


def test_supervised_refusals_exit_2_and_write_nothing(tmp_path, catalog_file):
    out = tmp_path / "out"
    result = run("train", catalog_file, "-o", out, "--mode", "supervised", "--quiet")
    assert result.exit_code == 2 and "--signatures" in result.output and not out.exists()
    crafted = tmp_path / "model.pt"
    crafted.write_bytes(pickle.dumps(_Exploit()))
    result = run("fit", catalog_file, "--model", crafted, "-o", out)
    assert result.exit_code == 2 and "not a readable unfoldnmf model" in result.output and not out.exists()


def test_supervised_training_needs_no_catalog_and_fit_uses_the_models_dtype(tmp_path, catalog_file, true_signatures):
    sigs = tmp_path / "sigs.tsv"
    sigs.write_text(to_text(true_signatures, "MutationType", "%.8g"))
    out = tmp_path / "out"
    result = run("train", "-o", out, "--signatures", sigs, *SUPERVISED, "--set", "dtype=float64")
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"model.pt", "run.json"}
    assert json.loads((out / "run.json").read_text())["training_data"].startswith("simulated cohort")
    fitted = tmp_path / "fitted"
    assert run("fit", catalog_file, "--model", out / "model.pt", "-o", fitted, "--quiet").exit_code == 0
    assert json.loads((fitted / "run.json").read_text())["dtype"] == "float64"  # the default config says float32
    result = run("train", "-o", tmp_path / "none", "--quiet")
    assert result.exit_code == 2 and "missing CATALOG" in result.output


def test_train_on_a_catalog_alone_learns_its_first_pass_refit_and_fit_gates(tmp_path, catalog_file, cohort):
    reference = cosmic_signatures(["SBS1", "SBS2", "SBS5", "SBS13", "SBS4", "SBS7a"])  # 3 the cohort lacks
    sigs = tmp_path / "sigs.tsv"
    sigs.write_text(to_text(reference, "MutationType", "%.8g"))
    out = tmp_path / "out"
    result = run("train", catalog_file, "-o", out, "--signatures", sigs, *SUPERVISED, "--set", "network.redraws=1")
    assert result.exit_code == 0, result.output
    facts = json.loads((out / "run.json").read_text())
    assert facts["training_data"].startswith(
        "first-pass refit of the catalog (60 samples, 3 signatures) redrawn at 7 depths")
    assert facts["training_samples"] + facts["held_out_samples"] == 60 * 7
    assert load_model(out / "model.pt", CHANNELS).signatures == ["SBS1", "SBS5", "SBS13"]  # the cohort's, not all 6
    fitted = tmp_path / "fitted"
    assert run("fit", catalog_file, "--model", out / "model.pt", "-o", fitted, "--quiet").exit_code == 0
    exposures = pd.read_csv(fitted / "exposures.tsv", sep="\t", index_col=0)
    assert exposures.equals(pd.read_csv(out / "exposures.tsv", sep="\t", index_col=0))
    assert list(exposures.columns) == list(reference.columns)  # every signature given, as `fit --signatures` lists
    assert (exposures[["SBS2", "SBS4", "SBS7a"]] == 0).all().all()  # exact zeros where the cohort has none
    read_exposures(fitted / "exposures.tsv", list(reference.columns))  # `attribute --signatures SIGS` reads it
    assert json.loads((fitted / "run.json").read_text())["gate"] == {"share": 1.0, "floor": 0.01}
    np.testing.assert_allclose(exposures.sum(axis=1), cohort.catalog.sum(axis=0), rtol=1e-3)


def test_the_gate_zeroes_small_shares_by_depth_and_keeps_the_largest():
    reference = cosmic_signatures(["SBS1", "SBS5", "SBS13"]).to_numpy()
    gate = Gate(reference, share=1.0, floor=0.01)
    counts = np.stack([np.random.default_rng(0).multinomial(n, reference @ [0.2, 0.75, 0.05]) for n in (100, 10000)],
                      axis=1)
    raw = np.array([[0.2, 0.2], [0.75, 0.75], [0.05, 0.05]]) * counts.sum(axis=0)
    gated = gate.apply(raw, counts.astype(float))
    assert gated[2, 0] == 0 and gated[2, 1] > 0  # 5 % is under 1/sqrt(100) = 10 %, over 1/sqrt(10 000) = 1 %
    assert (gated[1] > 0).all()
    np.testing.assert_allclose(gated.sum(axis=0), counts.sum(axis=0), rtol=1e-6)
    assert (Gate(reference, share=100.0, floor=0.01).apply(raw, counts.astype(float))[[0, 2]] == 0).all()
