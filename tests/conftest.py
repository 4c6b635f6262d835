"""Shared fixtures: small simulated cohorts written in the layouts users have."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from unfoldnmf.extraction import scan
from unfoldnmf.io.writing import to_text
from unfoldnmf.reference.cosmic import cosmic_signatures
from unfoldnmf.reference.simulate import simulate_cohort

#: A fast config for end-to-end runs: few replicates and iterations, no plots (test_plots.py draws them).
FAST = ["--set", "extraction.replicates=4", "--set", "solver.max_iter=300", "--k-max", "4", "--quiet", "--no-plots"]


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """The tests' tiny tensors run faster on one thread than on a thread pool (far faster on a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def true_signatures() -> pd.DataFrame:
    return cosmic_signatures(["SBS1", "SBS5", "SBS13"])


@pytest.fixture(scope="session")
def cohort(true_signatures):
    return simulate_cohort(true_signatures, samples=60, seed=3, median_total=3000, prefix="S")


@pytest.fixture()
def catalog_file(tmp_path, cohort):
    path = tmp_path / "catalog.tsv"
    path.write_text(to_text(cohort.catalog, "MutationType", "%g"))
    return path


def synsig_text(catalog: pd.DataFrame) -> str:
    """The PCAWG/SynSig CSV layout: 'Mutation type' (C>A) and 'Trinucleotide' (ACA) columns."""
    lines = ["Mutation type,Trinucleotide," + ",".join(catalog.columns)]
    for label, row in catalog.iterrows():
        sub, tri = label[2:5], label[0] + label[2] + label[6]
        lines.append(f"{sub},{tri}," + ",".join(f"{v:g}" for v in row))
    return "\n".join(lines) + "\n"


@pytest.fixture()
def solved_k(monkeypatch):
    """The K values extract_k actually computed, in order."""
    computed = []
    original = scan.extract_k

    def counting(counts, scale, k, *args, **kwargs):
        computed.append(k)
        return original(counts, scale, k, *args, **kwargs)
    monkeypatch.setattr(scan, "extract_k", counting)
    return computed
