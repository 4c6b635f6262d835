"""Writing an extraction to its output directory, and the provenance record ``run.json``."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import pandas as pd
import torch

from . import __version__
from .config import Config
from .output import exposures_text, signatures_text, write_atomic, write_json
from .pipeline import Extraction
from .report import write_report


def provenance(config: Config, info: dict, inputs: dict[str, str]) -> dict:
    """What ``run.json`` records: inputs, the config used, versions and the run's facts."""
    return {
        "unfoldnmf_version": __version__,
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "command": " ".join(sys.argv),
        "inputs": inputs,
        "seed": config.seed,
        "config": config.to_dict(),
        **info,
    }


def selection_text(table: pd.DataFrame) -> str:
    """``selection.tsv``: one row per K with stability, deviance, gain and the selected flag."""
    return table.to_csv(sep="\t", index=False, float_format="%.6g", lineterminator="\n")


def write_extraction(extraction: Extraction, directory: Path, config: Config, inputs: dict[str, str],
                     annotations: dict[str, str] | None = None) -> None:
    """Write every table of an extraction, then the plots and ``report.html`` (``output.plots``).

    ``annotations`` (signature name -> e.g. ``"SBS1 (0.98)"``) label the signatures in the
    plots and report. ``run.json`` goes last and marks the result complete.
    """
    directory = Path(directory)
    for k, (signatures, exposures) in extraction.solutions.items():
        folder = directory / "solutions" / f"K{k}"
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / "signatures.tsv", signatures_text(signatures))
        write_atomic(folder / "exposures.tsv", exposures_text(exposures))
    write_atomic(directory / "selection.tsv", selection_text(extraction.selection.table))
    write_atomic(directory / "signatures.tsv", signatures_text(extraction.signatures))
    write_atomic(directory / "exposures.tsv", exposures_text(extraction.exposures))
    record = provenance(config, extraction.info, inputs)
    if config.output.plots:
        write_report(extraction, directory, record, annotations)
    write_json(directory / "run.json", record)
