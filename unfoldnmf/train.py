"""``train``: from a catalog file to an output directory, de novo (unsupervised) or supervised."""

from __future__ import annotations

import sys
from pathlib import Path

from . import distributed
from .config import Config
from .device import resolve_device, resolve_dtype
from .errors import InputError
from .lock import OutputLock
from .model_file import save_model
from .output import exposures_text, prepare_output_dir, write_atomic, write_json
from .pipeline import Extraction, check_inputs, extract_signatures
from .reference import reference_signatures
from .results import assignment_tables, provenance, write_extraction
from .supervised import SupervisedFit, predict_exposures, train_supervised
from .tables import read_catalog, read_exposures, read_signatures


def train(
    catalog: str | Path,
    output: str | Path,
    config: Config | None = None,
    force: bool = False,
    resume: bool = False,
    progress: bool = True,
    signatures: str | Path | None = None,
    exposures: str | Path | None = None,
) -> Extraction | SupervisedFit:
    """Run ``config.mode`` on the catalog file ``catalog`` and write the results to ``output``.

    ``unsupervised``: extract signatures de novo (:func:`extract_signatures`). ``supervised``: train
    an unfolded network on the ``signatures`` file, learning from the catalog's true ``exposures``
    file if given, else from a simulated cohort; writes ``model.pt``, ``exposures.tsv`` (the
    network's exposures of the catalog) and ``run.json``.
    Unless ``config.assignment.enabled`` is false, the chosen signatures are also assigned to the
    reference set (:mod:`unfoldnmf.assign`) and written under reference names.
    ``output`` ``-`` streams the exposures table to standard output and writes nothing else.
    An existing non-empty output directory is refused unless ``force`` (start afresh, overwrite)
    or ``resume`` (reuse the K values an interrupted run finished). The directory is locked for
    the run (see :class:`OutputLock`); under torchrun only rank 0 writes.
    """
    config = config or Config()
    if config.mode == "supervised":
        return _train_supervised(catalog, output, config, force, progress, signatures, exposures)
    if signatures is not None or exposures is not None:
        raise InputError("--signatures/--exposures are for --mode supervised; unsupervised mode extracts signatures de novo")
    name = "<stdin>" if str(catalog) == "-" else str(catalog)
    table = check_inputs(read_catalog(catalog), config, name)  # refused before anything is written
    main = distributed.current().is_main
    if str(output) == "-":
        extraction = extract_signatures(table, config, progress=progress)
        if main:
            sys.stdout.write(exposures_text(extraction.exposures))
        return extraction
    reference = reference_signatures(config.assignment.reference) if config.assignment.enabled else None
    lock = OutputLock(output)
    directory = distributed.main_first(lambda: _claim(output, lock, force, resume))
    try:
        extraction = extract_signatures(table, config, checkpoint_dir=directory / "checkpoints", progress=progress)
        if main:
            inputs, extra, labels = {"catalog": str(catalog)}, None, None
            if reference is not None:
                inputs["reference"] = config.assignment.reference or "COSMIC v3.4 SBS GRCh37 (packaged)"
                extra, labels = assignment_tables(extraction, table, reference, config)
            write_extraction(extraction, directory, config, inputs=inputs, extra=extra, annotations=labels)
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


def _train_supervised(catalog, output, config, force, progress, signatures, exposures) -> SupervisedFit:
    if signatures is None:
        raise InputError("--mode supervised needs --signatures SIGS (the signatures the network fits)")
    table = read_catalog(catalog)
    sigs = read_signatures(signatures)
    truth = read_exposures(exposures, list(sigs.columns), list(table.columns)) if exposures is not None else None
    directory = None if str(output) == "-" else prepare_output_dir(output, force=force)
    fit = train_supervised(sigs, config, table, truth, progress=progress)
    predicted = predict_exposures(fit.network, table, list(sigs.columns), resolve_device(config.device),
                                  resolve_dtype(config.dtype))
    if directory is None:
        sys.stdout.write(exposures_text(predicted))
        return fit
    inputs = {"catalog": str(catalog), "signatures": str(signatures), "exposures": str(exposures) if exposures else None}
    save_model(directory / "model.pt", fit.network, list(table.index), list(sigs.columns), config.to_dict(), fit.info)
    write_atomic(directory / "exposures.tsv", exposures_text(predicted))
    write_json(directory / "run.json", provenance(config, {"mode": "supervised", **fit.info}, inputs))
    return fit
