"""``train``: from a catalog file to an output directory of tables, in one call."""

from __future__ import annotations

import sys
from pathlib import Path

from . import distributed
from .config import Config
from .lock import OutputLock
from .output import exposures_text, prepare_output_dir
from .pipeline import Extraction, extract_signatures
from .results import write_extraction
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

    ``output`` ``-`` streams the exposures table to standard output and writes nothing else.
    An existing non-empty output directory is refused unless ``force`` (start afresh, overwrite)
    or ``resume`` (reuse the K values an interrupted run finished). The directory is locked for
    the run (see :class:`OutputLock`); under torchrun only rank 0 writes.
    """
    config = config or Config()
    table = read_catalog(catalog)
    main = distributed.current().is_main
    if str(output) == "-":
        extraction = extract_signatures(table, config, progress=progress)
        if main:
            sys.stdout.write(exposures_text(extraction.exposures))
        return extraction
    lock = OutputLock(output)
    directory = distributed.main_first(lambda: _claim(output, lock, force, resume))
    try:
        extraction = extract_signatures(table, config, checkpoint_dir=directory / "checkpoints", progress=progress)
        if main:
            write_extraction(extraction, directory, config, inputs={"catalog": str(catalog)})
    finally:
        lock.release()
    return extraction


def _claim(output: str | Path, lock: OutputLock, force: bool, resume: bool) -> Path:
    """Check, create and lock the output directory; clear what a fresh start or a resume must not see."""
    if Path(output).is_dir():
        lock.check()
    directory = prepare_output_dir(output, force=force, resume=resume)
    lock.acquire()
    try:
        for partial in directory.rglob(".*.tmp"):  # left by a killed run's unfinished atomic writes
            partial.unlink()
        if force and not resume:
            for stale in (directory / "checkpoints").glob("K*.npz"):
                stale.unlink()
    except BaseException:
        lock.release()
        raise
    return directory
