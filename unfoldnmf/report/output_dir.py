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
from ..io.writing import (FILES, exposures_text, quality_text, remove_files, remove_previous_run, signatures_text,
                          write_atomic, write_json)
from ..timing import timed
from .html import FIGURES, Decomposition, write_report

if TYPE_CHECKING:
    from ..extraction.scan import Extraction

#: What COSMIC assignment adds to an output directory (see :func:`unfoldnmf.run.assignment_tables`).
ASSIGNMENT_TABLES = ("assignment.tsv", "signatures_cosmic.tsv", "exposures_cosmic.tsv")
#: Catalogs that ``train --fasta`` counted from mutation calls, written beside the results.
COUNTED_TABLES = ("catalog_SBS96.tsv", "catalog_DBS78.tsv", "catalog_ID83.tsv")
#: The finished K values (:class:`unfoldnmf.extraction.checkpoints.CheckpointStore`), as a glob pattern.
CHECKPOINTS = "checkpoints/K*.npz"
#: Every name ``train`` writes besides ``run.json`` (de novo or supervised), as glob patterns: what a new run
#: removes where no ``run.json`` lists the previous run's files (:func:`unfoldnmf.io.writing.previous_run_files`).
TRAIN_OUTPUTS = ("signatures.tsv", "exposures.tsv", "fit_quality.tsv", "selection.tsv", "report.html", "model.pt",
                 *ASSIGNMENT_TABLES, *COUNTED_TABLES, "solutions/K*/signatures.tsv", "solutions/K*/exposures.tsv",
                 *(f"plots/{name}.png" for name in FIGURES), CHECKPOINTS)


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
    last, lists every file of the run (the checkpoints included) and marks the result complete.

    The previous run's files are removed first, ``run.json`` first of all (:func:`remove_previous_run`;
    its checkpoints stay: this run has checked and reused them, or ``--force`` has removed them), so the
    folder never shows two runs' files under one completion mark. If a write fails (disk full,
    permissions), every table this run wrote is removed again, the checkpoints stay for ``--resume``,
    and :class:`OutputError` names the file.
    """
    directory = Path(directory)
    remove_previous_run(directory, TRAIN_OUTPUTS, spare=(CHECKPOINTS,), inputs=[p for p in inputs.values() if p])
    written: list[Path] = []

    def write(path: Path, text: str) -> None:
        write_atomic(path, text)
        written.append(path)
    try:
        stages = extraction.info.setdefault("seconds_by_stage", {})
        with timed(stages, "writing tables"):
            for name, text in (extra or {}).items():
                write(directory / name, text)
            for k, (signatures, exposures) in extraction.solutions.items():
                folder = directory / "solutions" / f"K{k}"
                folder.mkdir(parents=True, exist_ok=True)
                write(folder / "signatures.tsv", signatures_text(signatures))
                write(folder / "exposures.tsv", exposures_text(exposures))
            write(directory / "selection.tsv", selection_text(extraction.selection.table))
            write(directory / "signatures.tsv", signatures_text(extraction.signatures))
            write(directory / "exposures.tsv", exposures_text(extraction.exposures))
            if extraction.quality is not None:
                write(directory / "fit_quality.tsv", quality_text(extraction.quality))
        record = provenance(config, extraction.info, inputs)
        if config.output.plots:
            with timed(stages, "plots and report"):  # the report shows the stages before this one
                written += write_report(extraction, directory, record, annotations, catalog, decomposition)
        files = [*written, *sorted(directory.glob(CHECKPOINTS))]
        names = [path.relative_to(directory).as_posix() for path in files]
        write_json(directory / "run.json", {**record, FILES: names})
    except OSError as exc:
        remove_files(directory, written)
        raise OutputError(
            f"cannot write {exc.filename or directory}: {exc.strerror or exc}; no result table was left in "
            f"{directory} (finished K values stay in its checkpoints/: fix the cause and rerun with --resume)"
        ) from None
