"""``train``: from a catalog file to an output directory of tables, in one call."""

from __future__ import annotations

import sys
from pathlib import Path

from .config import Config
from .output import exposures_text, prepare_output_dir
from .pipeline import Extraction, check_inputs, extract_signatures
from .reference import reference_signatures
from .results import assignment_tables, write_extraction
from .tables import read_catalog


def train(
    catalog: str | Path,
    output: str | Path,
    config: Config | None = None,
    force: bool = False,
    resume: bool = False,
    progress: bool = True,
) -> Extraction:
    """Extract signatures from the catalog file ``catalog`` and write the result tables to ``output``.

    Unless ``config.assignment.enabled`` is false, the chosen signatures are also assigned to the
    reference set (:mod:`unfoldnmf.assign`) and written under reference names.
    ``output`` ``-`` streams the exposures table to standard output and writes nothing else.
    An existing non-empty output directory is refused unless ``force`` (start afresh, overwrite)
    or ``resume`` (reuse the K values an interrupted run finished).
    """
    config = config or Config()
    name = "<stdin>" if str(catalog) == "-" else str(catalog)
    table = check_inputs(read_catalog(catalog), config, name)  # refused before anything is written
    if str(output) == "-":
        extraction = extract_signatures(table, config, progress=progress)
        sys.stdout.write(exposures_text(extraction.exposures))
        return extraction
    reference = reference_signatures(config.assignment.reference) if config.assignment.enabled else None
    directory = prepare_output_dir(output, force=force, resume=resume)
    checkpoints = directory / "checkpoints"
    if force and not resume and checkpoints.exists():
        for stale in checkpoints.glob("K*.npz"):
            stale.unlink()
    extraction = extract_signatures(table, config, checkpoint_dir=checkpoints, progress=progress)
    inputs, extra, labels = {"catalog": str(catalog)}, None, None
    if reference is not None:
        inputs["reference"] = config.assignment.reference or "COSMIC v3.4 SBS GRCh37 (packaged)"
        extra, labels = assignment_tables(extraction, table, reference, config)
    write_extraction(extraction, directory, config, inputs=inputs, extra=extra, annotations=labels)
    return extraction
