"""Writing an extraction to its output directory, and the provenance record ``run.json``."""

from __future__ import annotations

import platform
import sys
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .._version import __version__
from ..config import Config
from ..errors import OutputError
from ..io.writing import exposures_text, quality_text, signatures_text, write_atomic, write_json
from ..timing import timed
from .html import Decomposition, write_report

if TYPE_CHECKING:
    from ..extraction.scan import Extraction

#: What COSMIC assignment adds to an output directory (see :func:`unfoldnmf.run.assignment_tables`).
ASSIGNMENT_TABLES = ("assignment.tsv", "signatures_cosmic.tsv", "exposures_cosmic.tsv")
#: The tables at the top of an output directory; ``run.json``, written after them, marks them complete.
#: Catalogs that ``train --fasta`` counted from mutation calls, written beside the results.
COUNTED_TABLES = ("catalog_SBS96.tsv", "catalog_DBS78.tsv", "catalog_ID83.tsv")
RESULT_TABLES = ("signatures.tsv", "exposures.tsv", "fit_quality.tsv", "selection.tsv", "report.html",
                 *ASSIGNMENT_TABLES, *COUNTED_TABLES)


def own_folders(directory: Path) -> list[Path]:
    """The folders a train run writes in: ``directory`` itself, ``checkpoints/``, ``plots/`` and ``solutions/K<k>/``."""
    directory = Path(directory)
    return [directory, directory / "checkpoints", directory / "plots",
            *(folder for folder in directory.glob("solutions/K*") if folder.name[1:].isdigit())]


def provenance(config: Config, info: dict, inputs: dict[str, str]) -> dict:
    """What ``run.json`` records: inputs, the config used, versions and the run's facts."""
    return {
        "unfoldnmf_version": __version__,
        "torch_version": version("torch"),  # without importing it: fit does not need torch
        "python_version": platform.python_version(),
        "command": " ".join(sys.argv),
        "inputs": inputs,
        "seed": config.seed,
        "config": config.to_dict(),
        **info,
    }


def selection_text(table: pd.DataFrame) -> str:
    """``selection.tsv``: one row per K with stability, deviance, gain, run gain, the tests' flags, the
    held-out test's figures and the selected flag."""
    return table.to_csv(sep="\t", index=False, float_format="%.6g", lineterminator="\n")


def write_extraction(extraction: Extraction, directory: Path, config: Config, inputs: dict[str, str],
                     extra: dict[str, str] | None = None, annotations: dict[str, str] | None = None,
                     catalog: pd.DataFrame | None = None, decomposition: Decomposition | None = None) -> None:
    """Write every table of an extraction and the ``extra`` files (name -> text, e.g. from
    :func:`unfoldnmf.run.assignment_tables`), then the plots and ``report.html`` (``output.plots``; see
    :func:`write_report` for ``annotations``, ``catalog`` and ``decomposition``); ``run.json`` goes
    last and marks the result complete.

    An older ``run.json`` is removed first and so are the solutions of K values this run did not
    try, so the folder never shows two runs' tables under one completion mark. If a write fails
    (disk full, permissions), every result table is removed again, the checkpoints stay for
    ``--resume``, and :class:`OutputError` names the file.
    """
    directory = Path(directory)
    (directory / "run.json").unlink(missing_ok=True)
    try:
        stages = extraction.info.setdefault("seconds_by_stage", {})
        with timed(stages, "writing tables"):
            remove_stale_solutions(directory, keep=set(extraction.solutions))
            for name, text in (extra or {}).items():
                write_atomic(directory / name, text)
            for k, (signatures, exposures) in extraction.solutions.items():
                folder = directory / "solutions" / f"K{k}"
                folder.mkdir(parents=True, exist_ok=True)
                write_atomic(folder / "signatures.tsv", signatures_text(signatures))
                write_atomic(folder / "exposures.tsv", exposures_text(exposures))
            write_atomic(directory / "selection.tsv", selection_text(extraction.selection.table))
            write_atomic(directory / "signatures.tsv", signatures_text(extraction.signatures))
            write_atomic(directory / "exposures.tsv", exposures_text(extraction.exposures))
            if extraction.quality is not None:
                write_atomic(directory / "fit_quality.tsv", quality_text(extraction.quality))
        record = provenance(config, extraction.info, inputs)
        if config.output.plots:
            with timed(stages, "plots and report"):  # the report shows the stages before this one
                write_report(extraction, directory, record, annotations, catalog, decomposition)
        write_json(directory / "run.json", record)
    except OSError as exc:
        remove_results(directory)
        raise OutputError(
            f"cannot write {exc.filename or directory}: {exc.strerror or exc}; no result table was left in "
            f"{directory} (finished K values stay in its checkpoints/: fix the cause and rerun with --resume)"
        ) from None


def remove_results(directory: Path) -> None:
    """Delete the result tables this package writes in ``directory``; checkpoints and other files stay."""
    for name in (*RESULT_TABLES, "run.json"):
        (Path(directory) / name).unlink(missing_ok=True)
    remove_stale_solutions(directory, keep=set())


def remove_stale_solutions(directory: Path, keep: set[int]) -> None:
    """Delete ``solutions/K<k>/`` tables for every K not in ``keep`` (left by an earlier run)."""
    for folder in (Path(directory) / "solutions").glob("K*"):
        if folder.is_dir() and folder.name[1:].isdigit() and int(folder.name[1:]) not in keep:
            for name in ("signatures.tsv", "exposures.tsv"):
                (folder / name).unlink(missing_ok=True)
            if not any(folder.iterdir()):
                folder.rmdir()
