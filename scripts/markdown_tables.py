"""Benchmark tables as Markdown, with a caption that says how to regenerate them.

Every figure on docs/benchmarks.md is pasted from a script's ``--markdown`` output, never
edited by hand: the caption names the command, the date, the commit, the machine and the versions,
so a reader can rerun it and a maintainer can tell whether a table is current.
"""

from __future__ import annotations

import datetime
import os
import platform
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pandas as pd

REPOSITORY = Path(__file__).resolve().parents[1]


def provenance() -> str:
    """One line: the command as run, today's date, the commit (with ``+changes`` when the tree is dirty),
    the machine (CPU cores, GPU none here) and the versions of Python, torch, numpy and unfoldnmf."""
    command = "python " + " ".join(shlex.quote(part) for part in [_relative(sys.argv[0]), *sys.argv[1:]])
    return (f"`{command}` · {datetime.date.today().isoformat()} · commit {_commit()} · "
            f"{platform.machine()}, {os.cpu_count()} cores · {_versions()}")


def markdown_table(table: pd.DataFrame, title: str, digits: int = 3) -> str:
    """``table`` as a Markdown table under a bold ``title``, followed by the :func:`provenance` caption."""
    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:.{digits}f}" if abs(value) < 100 else f"{value:.0f}"
        return str(value)
    header = "| " + " | ".join(str(c) for c in table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join([f"**{title}**", "", header, rule, *rows, "", f"<sub>{provenance()}</sub>", ""])


def print_table(title: str, header: list[str], rows: list[list], digits: int, markdown: bool) -> None:
    """Print one result table: :func:`markdown_table` with its caption when ``markdown``, else a plain
    Markdown table under the title (no caption)."""
    if markdown:
        print()
        print(markdown_table(pd.DataFrame(rows, columns=header), title, digits))
        return
    print(f"\n{title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in row) + " |")


def _relative(script: str) -> str:
    path = Path(script).resolve()
    return str(path.relative_to(REPOSITORY)) if path.is_relative_to(REPOSITORY) else script


def _commit() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPOSITORY, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def _versions() -> str:
    names = ("torch", "numpy", "unfoldnmf")
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join([f"Python {platform.python_version()}", *found])
