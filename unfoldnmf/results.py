"""Writing an extraction to its output directory, and the provenance record ``run.json``."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import pandas as pd
import torch

from . import __version__
from .assign import assign_signatures
from .config import Config
from .fit import fit_signatures
from .output import exposures_text, signatures_text, write_atomic, write_json
from .pipeline import Extraction


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


def assignment_tables(extraction: Extraction, catalog: pd.DataFrame, reference: pd.DataFrame, config: Config) -> dict[str, str]:
    """``assignment.tsv`` (chosen signatures as reference mixes), ``signatures_cosmic.tsv`` (the reference
    signatures used plus novel de novo ones) and ``exposures_cosmic.tsv`` (the catalog refitted on those)."""
    options = config.assignment
    assignment = assign_signatures(extraction.signatures, reference, options.min_cosine, options.min_gain, options.max_signatures)
    named = assignment.named_signatures(extraction.signatures, reference)
    return {
        "assignment.tsv": assignment.table().to_csv(sep="\t", index=False, lineterminator="\n"),
        "signatures_cosmic.tsv": signatures_text(named),
        "exposures_cosmic.tsv": exposures_text(fit_signatures(catalog, named, config.refit)),
    }


def write_extraction(extraction: Extraction, directory: Path, config: Config, inputs: dict[str, str],
                     extra: dict[str, str] | None = None) -> None:
    """Write every table of an extraction and the ``extra`` files (name -> text); ``run.json`` goes
    last and marks the result complete."""
    directory = Path(directory)
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
    write_json(directory / "run.json", provenance(config, extraction.info, inputs))
