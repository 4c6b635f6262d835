"""DBS-78 and ID-83 catalogs through every command, as SBS-96 ones go (issue 15)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from unfoldnmf.io.channels import DBS_CHANNELS, ID_CHANNELS
from unfoldnmf.io.tables import read_catalog

from .test_cli import run

FAST = ["--set", "extraction.replicates=3", "--set", "solver.max_iter=300", "--k-max", "4", "--quiet", "--no-plots"]


@pytest.mark.parametrize("names, channels", [("DBS2,DBS4,DBS11", DBS_CHANNELS), ("ID1,ID2,ID8", ID_CHANNELS)])
def test_simulate_fit_and_train_on_doublet_and_indel_catalogs(tmp_path, names, channels):
    sim = tmp_path / "sim"
    assert run("simulate", "--cosmic", names, "--samples", "80", "--seed", "2", "--median-total", "2000",
               "-o", sim).exit_code == 0
    catalog = read_catalog(sim / "catalog.tsv")
    assert list(catalog.index) == list(channels)
    fitted = tmp_path / "fit"
    result = run("fit", sim / "catalog.tsv", "--cosmic", "-o", fitted, "--quiet")  # all COSMIC signatures of the kind
    assert result.exit_code == 0, result.output
    found = pd.read_csv(fitted / "exposures.tsv", sep="\t", index_col=0)
    truth = pd.read_csv(sim / "exposures.tsv", sep="\t", index_col=0)
    error = (found[truth.columns] - truth).abs().sum(axis=1) + found.drop(columns=truth.columns).sum(axis=1)
    assert (error / catalog.sum()).mean() < 0.15
    out = tmp_path / "train"
    result = run("train", sim / "catalog.tsv", "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    signatures = pd.read_csv(out / "signatures.tsv", sep="\t", index_col=0)
    prefix = "DBS78" if channels is DBS_CHANNELS else "ID83"
    assert list(signatures.index) == list(channels) and all(c.startswith(prefix) for c in signatures.columns)
    assignment = pd.read_csv(out / "assignment.tsv", sep="\t")
    assert assignment.Reference.str.contains(names.split(",")[0][:2]).all()
    assert json.loads((out / "run.json").read_text())["k_selected"] == 3


def test_signatures_of_another_kind_are_refused(tmp_path, catalog_file):
    result = run("fit", catalog_file, "--cosmic", "DBS1,DBS2", "-o", tmp_path / "x")
    assert result.exit_code == 2 and "DBS-78 signatures but the catalog has SBS-96 channels" in result.output
    dbs = tmp_path / "dbs.tsv"
    dbs.write_text("MutationType\tDBS1\n" + "".join(f"{c}\t{1 / 78}\n" for c in DBS_CHANNELS))
    result = run("fit", catalog_file, "--signatures", dbs, "-o", tmp_path / "y")
    assert result.exit_code == 2 and "--signatures has DBS-78 channels but the catalog has SBS-96" in result.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_doublet_and_indel_signatures_are_drawn(tmp_path):
    pytest.importorskip("matplotlib")
    for names in ("DBS1,DBS2", "ID1,ID2"):
        sim = tmp_path / names[:2]
        assert run("simulate", "--cosmic", names, "--samples", "3", "-o", sim).exit_code == 0
        picture = tmp_path / f"{names[:2]}.png"
        result = run("plot", sim / "signatures.tsv", "-o", picture)
        assert result.exit_code == 0, result.output
        assert picture.read_bytes()[:4] == b"\x89PNG"


def test_genome_build_and_exome_pick_the_matching_cosmic_table(tmp_path, catalog_file):
    from unfoldnmf.config import CosmicConfig
    from unfoldnmf.reference.cosmic import cosmic_signatures

    genome = cosmic_signatures(["SBS1"])
    exome38 = cosmic_signatures(["SBS1"], choice=CosmicConfig(genome_build="GRCh38", exome=True))
    assert not np.allclose(genome.to_numpy(), exome38.to_numpy())  # the tables differ by the trinucleotide frequencies
    out = tmp_path / "fit"
    result = run("fit", catalog_file, "--cosmic", "SBS1,SBS5", "--genome-build", "GRCh38", "--exome", "-o", out,
                 "--quiet")
    assert result.exit_code == 0, result.output
    used = pd.read_csv(out / "signatures.tsv", sep="\t", index_col=0)
    np.testing.assert_allclose(used["SBS1"].to_numpy(), exome38["SBS1"].to_numpy(), rtol=1e-6, atol=1e-8)
    assert json.loads((out / "run.json").read_text())["config"]["cosmic"] == {"genome_build": "GRCh38", "exome": True}
    named = run("assign", out / "signatures.tsv", "--genome-build", "GRCh38", "--exome", "-o", "-")
    assert named.exit_code == 0 and "SBS1:1.000" in named.output
