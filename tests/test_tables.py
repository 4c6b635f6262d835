"""Reading catalogs and signature tables: every layout, channel order, and every bad input refused."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from unfoldnmf.errors import InputError
from unfoldnmf.io.channels import CHANNELS, canonical_label
from unfoldnmf.io.tables import read_catalog, read_exposures, read_signatures
from unfoldnmf.io.writing import to_text

from .conftest import synsig_text


def test_channel_order_is_sigprofilers():
    assert CHANNELS[:3] == ("A[C>A]A", "A[C>A]C", "A[C>A]G")
    assert CHANNELS[16] == "A[C>G]A" and CHANNELS[-1] == "T[T>G]T" and len(set(CHANNELS)) == 96


def test_labels_forgive_case_and_spaces_only():
    assert canonical_label(" a[c>t]g ") == "A[C>T]G"
    assert canonical_label("A[C>U]A") is None and canonical_label("A[G>T]A") is None


@pytest.mark.parametrize("layout", ["tsv", "csv", "synsig", "gz", "gz-named-tsv", "crlf-bom", "header-variant"])
def test_layouts_read_identically(tmp_path, cohort, layout):
    catalog = cohort.catalog
    text = to_text(catalog, "MutationType", "%g")
    path = tmp_path / "c.tsv"
    if layout == "csv":
        path = tmp_path / "c.csv"
        text = text.replace("\t", ",")
    elif layout == "synsig":
        path, text = tmp_path / "c.csv", synsig_text(catalog)
    elif layout == "header-variant":
        text = text.replace("MutationType", "Mutation Types", 1)
    if layout == "gz":
        path = tmp_path / "c.tsv.gz"
        path.write_bytes(gzip.compress(text.encode()))
    elif layout == "gz-named-tsv":
        path.write_bytes(gzip.compress(text.encode()))
    elif layout == "crlf-bom":
        path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    else:
        path.write_text(text)
    pd.testing.assert_frame_equal(read_catalog(path), catalog.rename_axis("MutationType"), check_dtype=False)


def test_shuffled_rows_come_back_in_canonical_order(tmp_path, cohort):
    shuffled = cohort.catalog.sample(frac=1, random_state=1)
    path = tmp_path / "c.tsv"
    path.write_text(to_text(shuffled, "MutationType", "%g"))
    table = read_catalog(path)
    assert list(table.index) == list(CHANNELS)
    np.testing.assert_array_equal(table.to_numpy(), cohort.catalog.loc[list(CHANNELS)].to_numpy())


def _catalog_text(cohort, edit):
    lines = to_text(cohort.catalog.iloc[:, :3], "MutationType", "%g").splitlines()
    return "\n".join(edit(lines)) + "\n"


def _set_cell(lines, row, col, value):
    cells = lines[row].split("\t")
    cells[col] = value
    lines[row] = "\t".join(cells)
    return lines


BAD_CATALOGS = {
    "empty": (lambda lines: [], "empty"),
    "header only": (lambda lines: lines[:1], "header only"),
    "95 channels": (lambda lines: lines[:-1], "95 channel rows"),
    "unknown label": (lambda lines: _set_cell(lines, 5, 0, "A[C>U]A"), "line 6: unknown channel label 'A[C>U]A'"),
    "duplicate label": (lambda lines: _set_cell(lines, 5, 0, lines[4].split("\t")[0]), "appears twice"),
    "97 channels": (lambda lines: lines + [lines[3]], "appears twice"),
    "non-numeric": (lambda lines: _set_cell(lines, 3, 2, "abc"), "line 4, column 'S2': 'abc' is not a number"),
    "nan": (lambda lines: _set_cell(lines, 3, 1, "nan"), "not finite"),
    "inf": (lambda lines: _set_cell(lines, 3, 1, "inf"), "not finite"),
    "negative": (lambda lines: _set_cell(lines, 3, 1, "-4"), "negative count"),
    "huge": (lambda lines: _set_cell(lines, 3, 1, "1e308"), "implausibly large"),
    "duplicate sample": (lambda lines: [lines[0].replace("S2", "S1")] + lines[1:], "duplicate sample name 'S1'"),
    "no samples": (lambda lines: [line.split("\t")[0] + "\tx" if i == 0 else line.split("\t")[0] + "\t1"
                                  for i, line in enumerate(lines)][:1] + [line.split("\t")[0] for line in lines[1:]],
                   "fields where the header has"),
    "mixed delimiters": (lambda lines: lines[:2] + [lines[2].replace("\t", ",")] + lines[3:], "line 3"),
    "no label column": (lambda lines: [line.split("\t", 1)[1] for line in lines], "does not hold channel labels"),
}


@pytest.mark.parametrize("case", list(BAD_CATALOGS))
def test_bad_catalogs_are_refused_with_the_place_named(tmp_path, cohort, case):
    edit, message = BAD_CATALOGS[case]
    path = tmp_path / "bad.tsv"
    path.write_text(_catalog_text(cohort, edit))
    with pytest.raises(InputError) as caught:
        read_catalog(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_binary_and_zero_catalogs_are_refused(tmp_path, cohort):
    binary = tmp_path / "x.tsv"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match="binary"):
        read_catalog(binary)
    zero = tmp_path / "zero.tsv"
    zero.write_text(to_text(cohort.catalog.iloc[:, :2] * 0, "MutationType", "%g"))
    with pytest.raises(InputError, match="every count is zero"):
        read_catalog(zero)
    with pytest.raises(InputError, match="no such file"):
        read_catalog(tmp_path / "missing.tsv")


def test_signature_columns_must_be_distributions(tmp_path, true_signatures):
    good = tmp_path / "sigs.tsv"
    good.write_text(to_text(true_signatures, "Type", "%.8g"))
    table = read_signatures(good)
    np.testing.assert_allclose(table.sum(axis=0), 1.0)
    bad = tmp_path / "bad.tsv"
    bad.write_text(to_text(true_signatures * 3, "Type", "%.8g"))
    with pytest.raises(InputError, match="signature 'SBS1' sums to 3"):
        read_signatures(bad)


def test_exposures_in_either_orientation(tmp_path, cohort):
    exposures = cohort.exposures
    rows = tmp_path / "rows.tsv"
    rows.write_text(to_text(exposures, "Samples", "%.6f"))
    transposed = tmp_path / "cols.csv"
    transposed.write_text(exposures.T.to_csv())
    sigs, samples = list(exposures.columns), list(exposures.index)
    a = read_exposures(rows, sigs, samples)
    b = read_exposures(transposed, sigs, samples)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-6)
