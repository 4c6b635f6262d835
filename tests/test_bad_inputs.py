"""Every bad input a user can give, through the real command line.

Each case either is accepted (exit 0, complete tables, and a notice where the input was mended)
or is refused with exactly one line ``unfoldnmf: error: ...`` naming the file, line, column or key,
exit code 2, no traceback, and no output directory.
"""

from __future__ import annotations

import gzip
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from unfoldnmf.cli import cli
from unfoldnmf.io.writing import to_text
from unfoldnmf.reference.cosmic import cosmic_signatures
from unfoldnmf.reference.simulate import simulate_cohort

FAST_YAML = "extraction:\n  replicates: 2\n  k_max: 2\nsolver:\n  max_iter: 60\n"


@pytest.fixture(scope="module")
def catalog() -> pd.DataFrame:
    sigs = cosmic_signatures(["SBS1", "SBS5"])
    return simulate_cohort(sigs, samples=6, seed=1, median_total=500, prefix="S").catalog


def _text(catalog: pd.DataFrame) -> str:
    return to_text(catalog, "MutationType", "%g")


def _edit(catalog, change) -> str:
    lines = _text(catalog).splitlines()
    return "\n".join(change(lines)) + "\n"


def _cell(row: int, column: int, value: str):
    def change(lines):
        cells = lines[row].split("\t")
        cells[column] = value
        lines[row] = "\t".join(cells)
        return lines
    return change


def _respell(lines):
    return [lines[0]] + [" " + line.split("\t", 1)[0].lower().replace(">", " > ") + "\t" + line.split("\t", 1)[1]
                         for line in lines[1:]]


#: Catalog files: id -> (file name, content from the clean catalog).
CATALOGS = {
    "empty file": ("c.tsv", lambda c: ""),
    "header only": ("c.tsv", lambda c: _text(c).splitlines()[0] + "\n"),
    "binary garbage": ("c.tsv", lambda c: bytes(range(256)) * 8),
    "delimiter mix": ("c.tsv", lambda c: _edit(c, lambda L: L[:5] + [L[5].replace("\t", ",")] + L[6:])),
    "95 channels": ("c.tsv", lambda c: _edit(c, lambda L: L[:-1])),
    "97 channels": ("c.tsv", lambda c: _edit(c, lambda L: L + [L[1]])),
    "unknown label": ("c.tsv", lambda c: _edit(c, lambda L: [L[0], L[1].replace("A[C>A]A", "A[C>U]A")] + L[2:])),
    "duplicated label": ("c.tsv", lambda c: _edit(c, lambda L: [L[0], L[1], L[1]] + L[3:])),
    "labels in other case and spaced": ("c.tsv", lambda c: _edit(c, _respell)),
    "duplicated sample names": ("c.tsv", lambda c: _edit(c, lambda L: [L[0].replace("S2", "S1")] + L[1:])),
    "non-numeric cell": ("c.tsv", lambda c: _edit(c, _cell(3, 2, "abc"))),
    "empty cell": ("c.tsv", lambda c: _edit(c, _cell(3, 2, ""))),
    "NaN count": ("c.tsv", lambda c: _edit(c, _cell(3, 2, "NaN"))),
    "inf count": ("c.tsv", lambda c: _edit(c, _cell(3, 2, "inf"))),
    "negative count": ("c.tsv", lambda c: _edit(c, _cell(3, 2, "-4"))),
    "huge count": ("c.tsv", lambda c: _edit(c, _cell(3, 2, "1e308"))),
    "all-zero sample": ("c.tsv", lambda c: _text(c.assign(S3=0.0))),
    "all-zero catalog": ("c.tsv", lambda c: _text(c * 0)),
    "one sample": ("c.tsv", lambda c: _text(c[["S1"]])),
    "sample column of strings": ("c.tsv", lambda c: to_text(c.assign(S3="x"), "MutationType", "%s")),
    "proportions, not counts": ("c.tsv", lambda c: to_text(c / c.sum(), "MutationType", "%.6f")),
    "UTF-8 BOM": ("c.tsv", lambda c: b"\xef\xbb\xbf" + _text(c).encode()),
    "Windows line ends": ("c.tsv", lambda c: _text(c).replace("\n", "\r\n").encode()),
    "gzip named .tsv": ("c.tsv", lambda c: gzip.compress(_text(c).encode())),
    "plain text named .gz": ("c.tsv.gz", lambda c: _text(c)),
    "truncated gzip": ("c.tsv.gz", lambda c: gzip.compress(_text(c).encode())[:200]),
    "not UTF-8": ("c.tsv", lambda c: _text(c).replace("S1", "S\xe9").encode("latin-1")),
}

# Outcomes: ("error", what the line must name) or
# ("accept", notice on stderr or None, same tables as the clean catalog?)
CATALOG_CASES = [
    ("empty file", ("error", "file is empty")),
    ("header only", ("error", "header only")),
    ("binary garbage", ("error", "binary data")),
    ("delimiter mix", ("error", "line 6: 1 fields where the header has 7")),
    ("95 channels", ("error", "95 channel rows, expected 96 SBS channels; missing T[T>G]T")),
    ("97 channels", ("error", "line 98: channel A[C>A]A appears twice")),
    ("unknown label", ("error", "line 2: unknown channel label 'A[C>U]A'")),
    ("duplicated label", ("error", "line 3: channel A[C>A]A appears twice (also line 2)")),
    ("labels in other case and spaced", ("accept", "channel labels normalised", True)),
    ("duplicated sample names", ("error", "duplicate sample name 'S1'")),
    ("non-numeric cell", ("error", "line 4, column 'S2': 'abc' is not a number")),
    ("empty cell", ("error", "line 4, column 'S2': '' is not a number")),
    ("NaN count", ("error", "line 4, column 'S2': value NaN is not finite")),
    ("inf count", ("error", "line 4, column 'S2': value inf is not finite")),
    ("negative count", ("error", "sample 'S2', channel A[C>A]G: negative count -4")),
    ("huge count", ("error", "sample 'S2', channel A[C>A]G: count 1e+308 is implausibly large")),
    ("all-zero sample", ("accept", "1 sample(s) have no mutations and get zero exposures: S3", False)),
    ("all-zero catalog", ("error", "every count is zero")),
    ("one sample", ("accept", "K above the number of samples (1) skipped", False)),
    ("sample column of strings", ("error", "line 2, column 'S3': 'x' is not a number")),
    ("proportions, not counts", ("error", "proportions, not mutation counts")),
    ("UTF-8 BOM", ("accept", None, True)),
    ("Windows line ends", ("accept", None, True)),
    ("gzip named .tsv", ("accept", "gzip-compressed content", True)),
    ("plain text named .gz", ("accept", "content is not gzip; read as plain text", True)),
    ("truncated gzip", ("error", "gzip data is corrupt or truncated")),
    ("not UTF-8", ("error", "not UTF-8 text")),
]

#: Config faults: id -> (YAML added to the fast config or None, extra command-line arguments, outcome).
CONFIG_CASES = [
    ("unknown key", "extraction:\n  replicatez: 3\n", [],
     ("error", "unknown key 'extraction.replicatez'; did you mean 'extraction.replicates'?")),
    ("unknown top-level key", "seeed: 3\n", [], ("error", "unknown key 'seeed'")),
    ("wrong type", "extraction:\n  replicates: three\n", [],
     ("error", "extraction.replicates is 'three' (str); expected int")),
    ("float for int", "extraction:\n  replicates: 2.5\n", [],
     ("error", "extraction.replicates is 2.5 (float); expected int")),
    ("section not a mapping", "extraction: 3\n", [], ("error", "config: extraction must be a mapping")),
    ("section replaced by --set", None, ["--set", "extraction=3"], ("error", "config: extraction must be a mapping")),
    ("K range reversed", "extraction:\n  k_min: 5\n  k_max: 2\n", [],
     ("error", "extraction.k_max must be >= k_min (5); the K range is reversed")),
    ("K range above the samples", "extraction:\n  k_min: 8\n  k_max: 10\n", [],
     ("error", "extraction.k_min is 8, more than the 6 sample(s)")),
    ("fixed K above the samples", None, ["--k", "9"], ("error", "extraction.k is 9, more than the 6 sample(s)")),
    ("K range reaching past the samples", "extraction:\n  k_max: 10\n", [],
     ("accept", "K above the number of samples (6) skipped", False)),
    ("negative replicates", "extraction:\n  replicates: -3\n", [],
     ("error", "extraction.replicates must be at least 1")),
    ("unknown device in config", "device: tpu\n", [],
     ("error", "config: device is 'tpu'; expected one of auto, cpu, cuda")),
    ("unknown device flag", None, ["--device", "tpu"], ("error", "Invalid value for '--device'")),
    ("infinite tolerance", "solver:\n  tol: .inf\n", [], ("error", "solver.tol is inf; expected a finite number")),
    ("NaN penalty", "solver:\n  l1: .nan\n", [], ("error", "solver.l1 is nan; expected a finite number")),
    ("seed out of range", None, ["--seed", str(10**30)], ("error", "config: seed must lie in [0, 2^63)")),
    ("override without =", None, ["--set", "extraction.replicates"],
     ("error", "--set 'extraction.replicates': expected key=value")),
    ("config not a mapping", "- 1\n- 2\n", [], ("error", "a config must be a mapping")),
    ("config not YAML", "extraction: [1,\n", [], ("error", "line 2 not valid YAML")),
    ("proportions with resampling off", None, ["--set", "extraction.resample=none"], ("accept", None, False)),
]


def _invoke(args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _assert_refused(result, fragment: str, out, where: str | None) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("unfoldnmf: error: ")]
    assert len(errors) == 1 and errors[0] == lines[-1], result.stderr
    assert all(line.startswith(("unfoldnmf: WARNING: ", "unfoldnmf: INFO: ")) for line in lines[:-1]), result.stderr
    assert fragment in errors[0], errors[0]
    if where:
        assert where in errors[0]
    assert "Traceback" not in result.output and result.stdout == ""
    assert not out.exists()


def _assert_accepted(result, notice: str | None, out) -> tuple[pd.DataFrame, pd.DataFrame]:
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "error" not in result.stderr
    if notice:
        assert notice in result.stderr
    assert (out / "run.json").exists()
    signatures = pd.read_csv(out / "signatures.tsv", sep="\t", index_col=0)
    exposures = pd.read_csv(out / "exposures.tsv", sep="\t", index_col=0)
    np.testing.assert_allclose(signatures.sum(), 1.0, atol=1e-6)
    assert np.isfinite(exposures.to_numpy()).all() and (exposures.to_numpy() >= 0).all()
    return signatures, exposures


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, catalog):
    """The fast config, the clean catalog and the tables a clean run writes."""
    root = tmp_path_factory.mktemp("bad_inputs")
    (root / "fast.yaml").write_text(FAST_YAML)
    (root / "clean.tsv").write_text(_text(catalog))
    result = _invoke(["train", root / "clean.tsv", "-o", root / "clean", "--config", root / "fast.yaml"])
    assert result.exit_code == 0, result.output
    return root


def _tables(out) -> str:
    return (out / "signatures.tsv").read_text() + (out / "exposures.tsv").read_text()


@pytest.mark.parametrize("case, outcome", CATALOG_CASES, ids=[c[0] for c in CATALOG_CASES])
def test_bad_catalog(tmp_path, workspace, catalog, case, outcome):
    name, make = CATALOGS[case]
    path = tmp_path / name
    content = make(catalog)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    out = tmp_path / "out"
    result = _invoke(["train", path, "-o", out, "--config", workspace / "fast.yaml"])
    if outcome[0] == "error":
        _assert_refused(result, outcome[1], out, where=str(path))
        return
    _, exposures = _assert_accepted(result, outcome[1], out)
    if outcome[2]:
        assert _tables(out) == _tables(workspace / "clean")
    if case == "all-zero sample":
        assert (exposures.loc["S3"] == 0).all() and (exposures.drop(index="S3").sum(axis=1) > 0).all()
    if case == "one sample":
        assert list(exposures.index) == ["S1"] and exposures.shape[1] == 1


@pytest.mark.parametrize("case, yaml_text, args, outcome", CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_bad_config(tmp_path, workspace, catalog, case, yaml_text, args, outcome):
    config = tmp_path / "config.yaml"
    config.write_text(FAST_YAML if yaml_text is None else _merged(yaml_text))
    source = workspace / "clean.tsv"
    if case == "proportions with resampling off":
        source = tmp_path / "proportions.tsv"
        source.write_text(to_text(catalog / catalog.sum(), "MutationType", "%.6f"))
    out = tmp_path / "out"
    result = _invoke(["train", source, "-o", out, "--config", config, *args])
    if outcome[0] == "error":
        _assert_refused(result, outcome[1], out, where=None)
    else:
        _assert_accepted(result, outcome[1], out)


def _merged(yaml_text: str) -> str:
    """The fast config with ``yaml_text``'s keys on top (a malformed text is kept as it is)."""
    import yaml

    try:
        extra = yaml.safe_load(yaml_text)
    except yaml.YAMLError:
        return yaml_text
    if not isinstance(extra, dict):
        return yaml_text
    merged = yaml.safe_load(FAST_YAML)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return yaml.safe_dump(merged)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present; --device cuda is then valid")
def test_cuda_without_gpu(tmp_path, workspace):
    out = tmp_path / "out"
    result = _invoke(["train", workspace / "clean.tsv", "-o", out, "--config", workspace / "fast.yaml", "--device",
                      "cuda"])
    _assert_refused(result, "--device cuda: no CUDA GPU is available", out, where=None)


@pytest.mark.parametrize("case", ["missing catalog", "catalog is a folder", "output is a file", "missing config",
                                  "empty stdin", "evaluate: not a distribution"])
def test_bad_paths(tmp_path, workspace, case):
    out = tmp_path / "out"
    args = ["train", workspace / "clean.tsv", "-o", out, "--config", workspace / "fast.yaml"]
    stdin = None
    if case == "missing catalog":
        args[1], fragment = tmp_path / "nope.tsv", "nope.tsv: no such file"
    elif case == "catalog is a folder":
        args[1], fragment = tmp_path, "Invalid value for '[CATALOG]'"
    elif case == "output is a file":
        out.write_text("precious")
        args[3], fragment, out = out, "Invalid value for '-o' / '--output'", tmp_path / "never"
    elif case == "missing config":
        args[5], fragment = tmp_path / "nope.yaml", "nope.yaml: no such config file"
    elif case == "empty stdin":
        args[1], stdin, fragment = "-", "", "<stdin>: file is empty"
    else:
        bad = tmp_path / "sigs.tsv"
        bad.write_text((workspace / "clean.tsv").read_text())
        args, fragment = ["evaluate", "--truth", bad, "--extracted", bad], "sums to"
    result = CliRunner().invoke(cli, [str(a) for a in args], input=stdin)
    _assert_refused(result, fragment, out, where=None)
    if case == "output is a file":
        assert (tmp_path / "out").read_text() == "precious"


def test_refusal_from_a_real_process(tmp_path, workspace):
    """The installed entry point, as a batch job runs it: one line on stderr, exit code 2."""
    bad = tmp_path / "garbage.tsv"
    bad.write_bytes(bytes(range(256)) * 8)
    done = subprocess.run([sys.executable, "-m", "unfoldnmf", "train", str(bad), "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == f"unfoldnmf: error: {bad}: binary data, not a text table"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ["evaluate: truth of another kind", "supervised: signatures of another kind",
                                  "evaluate: header-only exposures", "plot: header-only exposures",
                                  "supervised: header-only exposures", "attribute: header-only exposures",
                                  "simulate: header-only exposure model", "train: --channels without --fasta"])
def test_inputs_that_do_not_fit_together_are_refused_in_one_line(tmp_path, workspace, case):
    sbs, dbs, header_only = tmp_path / "sbs.tsv", tmp_path / "dbs.tsv", tmp_path / "exposures.tsv"
    sbs.write_text(to_text(cosmic_signatures(["SBS1", "SBS5"]), "MutationType", "%.8g"))
    dbs.write_text(to_text(cosmic_signatures(["DBS2", "DBS4"]), "MutationType", "%.8g"))
    header_only.write_text("Samples\tSBS1\tSBS5\n")
    out, catalog = tmp_path / "out", workspace / "clean.tsv"
    args, fragment = {
        "evaluate: truth of another kind": (["evaluate", "--truth", sbs, "--extracted", dbs],
                                            f"{dbs}: DBS-78 signatures, but the truth {sbs} holds SBS-96"),
        "supervised: signatures of another kind": (["train", catalog, "-o", out, "--mode", "supervised",
                                                    "--signatures", dbs], f"--signatures {dbs} has DBS-78 channels"),
        "evaluate: header-only exposures": (["evaluate", "--truth", sbs, "--extracted", sbs, "--truth-exposures",
                                             header_only, "--exposures", header_only], "header only"),
        "plot: header-only exposures": (["plot", header_only, "--kind", "exposures", "-o", out / "x.png"],
                                        "header only"),
        "supervised: header-only exposures": (["train", catalog, "-o", out, "--mode", "supervised", "--signatures",
                                               sbs, "--exposures", header_only], "header only"),
        "attribute: header-only exposures": (["attribute", tmp_path / "calls.vcf", "--fasta", tmp_path / "g.fa",
                                              "--signatures", sbs, "--exposures", header_only, "-o", out],
                                             "header only"),
        "simulate: header-only exposure model": (["simulate", "--signatures", sbs, "--samples", "3",
                                                  "--exposure-model", header_only, "-o", out], "header only"),
        "train: --channels without --fasta": (["train", catalog, "-o", out, "--channels", "DBS78"],
                                              "--channels DBS78 chooses among the tables counted from mutation calls"),
    }[case]
    where = f"{header_only}: header only" if "header-only" in case else None
    _assert_refused(_invoke(args), fragment, out, where=where)
