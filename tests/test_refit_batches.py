"""The refit on batches unlike one tumour type: a pan-cancer batch, a sample among others of another kind, a
cohort of one."""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from unfoldnmf.cli import cli
from unfoldnmf.config import RefitConfig
from unfoldnmf.exposures.fit import fit_signatures
from unfoldnmf.io.tables import read_exposures
from unfoldnmf.io.writing import to_text
from unfoldnmf.reference.cosmic import cosmic_signatures

REFERENCE = cosmic_signatures()
UV = ["SBS7a", "SBS7b", "SBS7c", "SBS7d"]
KINDS = {"melanoma": {"SBS7a": 0.55, "SBS7b": 0.3, "SBS5": 0.15},
         "breast": {"SBS2": 0.3, "SBS13": 0.3, "SBS1": 0.1, "SBS5": 0.2, "SBS3": 0.1},
         "lung": {"SBS4": 0.6, "SBS5": 0.3, "SBS1": 0.1}}


def tumours(kind: str, depths: list[int], rng: np.random.Generator) -> pd.DataFrame:
    """One tumour of ``kind`` per depth, its shares varied around the kind's (Dirichlet, concentration 20)."""
    names, shares = list(KINDS[kind]), np.array(list(KINDS[kind].values()))
    columns = {}
    for i, depth in enumerate(depths):
        mix = REFERENCE[names].to_numpy() @ rng.dirichlet(20 * shares)
        columns[f"{kind}{i}@{depth}"] = rng.multinomial(depth, mix / mix.sum()).astype(float)
    return pd.DataFrame(columns, index=REFERENCE.index)


def given(exposures: pd.DataFrame, sample: str) -> set[str]:
    row = exposures.loc[sample]
    return set(row[row > 0].index)


def test_a_breast_like_sample_at_100_mutations_among_melanomas_gets_no_uv_signature():
    """Borrowing from the whole batch gives it ultraviolet light at least once in three batches; borrowing from
    the samples it resembles never does."""
    borrowed_from_all = set()
    for seed in range(3):
        rng = np.random.default_rng(seed)
        batch = pd.concat([tumours("melanoma", [100] * 10 + [2000] * 10 + [20000] * 10, rng),
                           tumours("breast", [100], rng)], axis=1)
        assert not given(fit_signatures(batch, REFERENCE), "breast0@100") & set(UV), seed
        borrowed_from_all |= given(fit_signatures(batch, REFERENCE, RefitConfig(borrow="cohort")), "breast0@100")
    assert borrowed_from_all & set(UV)


def test_a_deep_sample_gets_the_same_signatures_alone_and_in_a_mixed_batch():
    rng = np.random.default_rng(5)
    batch = pd.concat([tumours(kind, [100, 500, 2000, 2000, 10000, 50000] * 3, rng) for kind in KINDS], axis=1)
    fitted = fit_signatures(batch, REFERENCE)
    deep = [sample for sample in batch.columns if batch[sample].sum() >= 2000]
    for sample in deep:
        assert given(fitted, sample) == given(fit_signatures(batch[[sample]], REFERENCE), sample), sample


@pytest.mark.parametrize("depth", [100, 2000, 50000])
def test_a_cohort_of_one_is_fitted_at_every_depth(tmp_path, depth):
    catalog = tumours("lung", [depth], np.random.default_rng(depth))
    path = tmp_path / "one.tsv"
    path.write_text(to_text(catalog, "MutationType", "%d"))
    result = CliRunner().invoke(cli, ["fit", str(path), "--cosmic", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    exposures = read_exposures(tmp_path / "out" / "exposures.tsv")
    assert exposures.shape[0] == 1
    quality = pd.read_csv(tmp_path / "out" / "fit_quality.tsv", sep="\t", index_col=0)
    assert exposures.to_numpy().sum() + quality["Unassigned"].sum() == pytest.approx(depth, rel=1e-3)
    assert exposures.to_numpy().sum() > 0.95 * depth
    assert "SBS4" in given(exposures, exposures.index[0])
    assert exposures.loc[:, "SBS4"].iloc[0] > 0.4 * depth
