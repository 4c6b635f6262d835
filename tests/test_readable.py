"""Results people can read and a terminal that stays clean (issue 16): whole-mutation exposures,
no float dust in signatures, help that teaches, log lines that do not overwrite progress bars."""

from __future__ import annotations

import fcntl
import logging
import os
import pty
import select
import struct
import subprocess
import sys
import termios

import numpy as np
import pandas as pd
import pytest

from unfoldnmf.io.writing import signatures_text, to_text, whole_mutations

from .test_cli import run


def test_whole_mutations_keep_each_samples_total_and_zeros():
    exposures = pd.DataFrame([[10.4, 20.4, 0.2, 0.0], [0.5, 0.5, 0.0, 99.0], [1 / 3, 1 / 3, 1 / 3, 0.0]],
                             columns=list("ABCD"))
    rounded = whole_mutations(exposures)
    assert rounded.dtypes.eq(np.int64).all()
    assert rounded.sum(axis=1).tolist() == [31, 100, 1]
    assert (rounded.to_numpy()[exposures.to_numpy() == 0] == 0).all()
    assert (np.abs(rounded.to_numpy() - exposures.to_numpy()) < 1).all()


def test_fit_writes_whole_mutations_for_counts_and_decimals_for_proportions(tmp_path, cohort):
    counts = tmp_path / "counts.tsv"
    counts.write_text(to_text(cohort.catalog, "MutationType", "%g"))
    assert run("fit", counts, "--cosmic", "SBS1,SBS5,SBS13", "-o", tmp_path / "a", "--quiet").exit_code == 0
    table = pd.read_csv(tmp_path / "a" / "exposures.tsv", sep="\t", index_col=0)
    assert table.dtypes.eq(np.int64).all()
    quality = pd.read_csv(tmp_path / "a" / "fit_quality.tsv", sep="\t", index_col=0)
    assert (table.sum(axis=1) + quality.Unassigned).tolist() == cohort.catalog.sum(axis=0).astype(int).tolist()
    assert quality.Signatures.tolist() == (table > 0).sum(axis=1).tolist()  # counts agree with the table
    shares = tmp_path / "shares.tsv"
    shares.write_text(to_text(cohort.catalog / cohort.catalog.sum(), "MutationType", "%.10g"))
    assert run("fit", shares, "--cosmic", "SBS1,SBS5,SBS13", "-o", tmp_path / "b", "--quiet").exit_code == 0
    assert pd.read_csv(tmp_path / "b" / "exposures.tsv", sep="\t", index_col=0).dtypes.eq(float).all()


def test_signature_tables_print_float_dust_as_zero():
    signatures = pd.DataFrame({"S1": [1.4e-45, 0.5, 0.5 - 1.4e-45]}, index=["a", "b", "c"])
    assert signatures_text(signatures).splitlines()[1] == "a\t0"


def test_help_lists_commands_in_the_order_of_use_and_every_command_shows_examples():
    overview = run("--help").output
    listed = [line.split()[0] for line in overview.split("Commands:")[1].strip().splitlines()]
    assert listed == ["example", "catalog", "train", "fit", "assign", "attribute", "plot", "simulate", "evaluate"]
    assert "..." not in overview.split("Commands:")[1]  # no summary cut off
    for command in listed:
        text = run(command, "--help").output
        assert "Examples:\n    unfoldnmf " in text, command
    assert "default 1-25" in run("train", "--help").output


def test_resume_is_suggested_only_where_it_exists(tmp_path, catalog_file):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "something").write_text("x")
    fit = run("fit", catalog_file, "--cosmic", "SBS1", "-o", taken)
    assert fit.exit_code == 2 and "--force" in fit.output and "--resume" not in fit.output
    train = run("train", catalog_file, "-o", taken, "--quiet")
    assert train.exit_code == 2 and "--resume" in train.output


def test_log_lines_never_overwrite_the_progress_bar_on_a_terminal(tmp_path, catalog_file):
    """On a pseudo-terminal, every log line starts at the left edge: tqdm clears the bar first."""
    parent, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a terminal 120 columns wide
    command = [sys.executable, "-m", "unfoldnmf", "train", str(catalog_file), "-o", str(tmp_path / "out"), "--k-max",
               "3", "--set", "extraction.replicates=3", "--set", "solver.max_iter=200", "--no-plots"]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=child,
                               env=os.environ)
    os.close(child)
    screen = b""
    while True:
        ready, _, _ = select.select([parent], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(parent, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    os.close(parent)
    assert process.wait(timeout=120) == 0
    text = screen.decode("utf-8", "replace")
    assert "K values done" in text  # a bar was drawn
    starts = [i for i in range(len(text)) if text.startswith("unfoldnmf: INFO", i)]
    assert starts and all(i == 0 or text[i - 1] in "\r\n" for i in starts), text


def test_a_catalog_with_samples_as_rows_is_read_transposed_with_a_notice(tmp_path, cohort):
    from unfoldnmf.io.tables import read_catalog

    path = tmp_path / "rows.tsv"
    path.write_text(to_text(cohort.catalog.T, "Samples", "%g"))
    notices, logger = [], logging.getLogger("unfoldnmf")
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: notices.append(record.getMessage())
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.INFO
    try:
        catalog = read_catalog(path)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert catalog.equals(cohort.catalog.rename_axis("MutationType")) and any("read transposed" in n for n in notices)
    broken = tmp_path / "broken.tsv"
    broken.write_text(path.read_text().replace("\t12\t", "\tx\t", 1))
    result = run("fit", broken, "--cosmic", "SBS1", "-o", "-")
    assert result.exit_code == 2 and "is not a number" in result.output and "read transposed" in result.output


def test_plot_tells_the_table_kind_from_its_content(tmp_path, catalog_file):
    pytest.importorskip("matplotlib")
    from unfoldnmf.io.tables import table_kind

    out = tmp_path / "out"
    assert run("train", catalog_file, "-o", out, "--k-max", "2", "--set", "extraction.replicates=2",
               "--quiet").exit_code == 0
    kinds = {path.name: table_kind(path) for path in (catalog_file, out / "signatures.tsv", out / "exposures.tsv",
                                                      out / "selection.tsv")}
    assert kinds == {"catalog.tsv": "catalog", "signatures.tsv": "signatures", "exposures.tsv": "exposures",
                     "selection.tsv": "selection"}
    for path in (catalog_file, out / "selection.tsv"):  # K = 1's stability is empty in selection.tsv
        picture = tmp_path / f"{path.stem}.png"
        result = run("plot", path, "-o", picture)
        assert result.exit_code == 0, result.output
        assert picture.read_bytes()[:4] == b"\x89PNG"


def test_every_command_line_in_the_docs_names_real_commands_and_options():
    """The examples of the README and of the docs cannot go stale silently: each `unfoldnmf ...` line in
    their code blocks names an existing command and only options that command has."""
    import re
    import shlex
    from pathlib import Path

    from unfoldnmf.cli import cli

    root = Path(__file__).resolve().parents[1]
    checked = 0
    for page in [root / "README.md", *sorted((root / "docs").rglob("*.md"))]:
        blocks = re.findall(r"```bash\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)
        lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
        where = page.relative_to(root)
        for line in lines:
            for part in re.split(r"&&|\|", line):
                words = shlex.split(part.replace("…", "").replace("...", ""))
                if not words or words[0] != "unfoldnmf" or len(words) < 2 or words[1].startswith("-"):
                    continue
                command = cli.commands.get(words[1])
                assert command is not None, f"{where}: unknown command in {part.strip()!r}"
                known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
                for word in words[2:]:
                    if word.startswith("-") and word != "-":
                        assert word.split("=")[0] in known | {"-h", "--help"}, \
                            f"{where}: {words[1]} has no option {word} ({part.strip()!r})"
                checked += 1
    assert checked >= 20
