"""Where each command is orchestrated: from input files to an output directory (or standard output).

``train`` (de novo extraction or a supervised network), ``fit`` (exposures on known signatures or
from a network), ``assign`` (name signatures after a reference) and ``simulate``. Each reads and
validates its inputs once, refuses what it cannot use before anything is written, and writes every
file atomically. The command line (:mod:`unfoldnmf.cli`) is a thin shell over these functions.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._version import __version__
from .calls.counting import Catalogs, Mutation, count_catalogs
from .calls.samples import SampleNaming
from .config import Config, CosmicConfig
from .errors import InputError
from .exposures.attribution import Attribution
from .exposures.fit import bootstrap_signatures, exposures_from_model, fit_cohort
from .exposures.quality import fit_quality
from .io.channels import ChannelSet, channel_set_of_table
from .io.lock import OutputLock
from .io.tables import check_catalog, read_catalog, read_exposures, read_signatures, samples_without_mutations
from .io.writing import (
    FILES,
    atomic_file,
    check_output_dir,
    counted,
    exposures_text,
    prepare_output_dir,
    quality_text,
    remove_previous_run,
    signatures_text,
    to_text,
    write_atomic,
    write_json,
)
from .reference.assign import Assignment, assign_signatures
from .reference.cosmic import cosmic_signatures, exclude_signatures, names_channel_set, reference_signatures
from .reference.simulate import EXPOSURE_MODELS, Cohort, simulate_cohort
from .report.output_dir import TRAIN_OUTPUTS, provenance, write_extraction
from .timing import timed

if TYPE_CHECKING:  # torch: imported where a command needs it, so that fit starts fast
    from .extraction.scan import Extraction
    from .network.supervised import SupervisedFit

log = logging.getLogger("unfoldnmf")

#: ``output`` that streams the main table to standard output instead of writing a directory.
STDOUT = "-"


def train(
    catalog: str | Path | None,
    output: str | Path,
    config: Config | None = None,
    force: bool = False,
    resume: bool = False,
    progress: bool = True,
    signatures: str | Path | None = None,
    exposures: str | Path | None = None,
    fasta: str | Path | None = None,
    channels: str | None = None,
    takeover: bool = False,
    naming: SampleNaming | None = None,
) -> Extraction | SupervisedFit | None:
    """Run ``config.mode`` on the catalog file ``catalog`` and write the results to ``output``.
    With ``fasta``, ``catalog`` is a VCF or MAF file of mutation calls: they are counted first
    (:func:`unfoldnmf.calls.counting.count_catalogs`), the ``channels`` table (SBS96, DBS78 or ID83;
    SBS96 when None; refused without ``fasta``) is extracted, and all three tables are written beside
    the results as ``catalog_<set>.tsv``; ``naming`` names the calls' samples as in :func:`catalog`
    (refused without ``fasta``: a catalog table's samples are its columns).

    ``denovo``: extract signatures de novo (:func:`unfoldnmf.extraction.scan.scan_catalog`).
    ``supervised``: train an unfolded network on the ``signatures`` file, learning from the catalog's
    true ``exposures`` file if given, else from the catalog's first-pass refit redrawn across depths
    (:func:`unfoldnmf.exposures.learned.first_pass_cohort`), else from a simulated cohort; writes ``model.pt``,
    ``exposures.tsv`` (the network's exposures of the catalog, when one is given) and ``run.json``.
    Unless ``config.assignment.enabled`` is false, the chosen signatures are also assigned to the
    reference set (:mod:`unfoldnmf.reference.assign`) and written under reference names.
    ``output`` ``-`` streams the exposures table to standard output and writes nothing else.
    An existing non-empty output directory is refused unless ``force`` (start afresh, overwrite)
    or ``resume`` (reuse the K values an interrupted run finished). The directory is locked for
    the run (see :class:`OutputLock`; ``takeover`` takes a lock whose owner only looks alive);
    under torchrun only rank 0 takes the lock and writes (in supervised mode it alone trains; the others
    return None).
    """
    from .extraction.scan import check_extraction, scan_catalog  # noqa: PLC0415
    from .hpc import distributed  # noqa: PLC0415

    config = config or Config()
    if channels is not None and fasta is None:
        raise InputError(f"--channels {channels} chooses among the tables counted from mutation calls (with --fasta); "
                         f"CATALOG is a table of one kind already")
    if naming is not None and fasta is None:
        raise InputError("--sample/--name-from/--samples name the samples counted from mutation calls (with --fasta); "
                         "CATALOG is a table whose samples are its columns")
    if config.mode == "supervised":
        if fasta is not None:
            raise InputError("--fasta counts mutation calls for denovo extraction; "
                             "supervised training reads a catalog table")
        return _train_supervised(catalog, output, config, force, progress, signatures, exposures, takeover)
    if signatures is not None or exposures is not None:
        raise InputError("--signatures/--exposures are for --mode supervised; denovo mode extracts signatures de novo")
    if catalog is None:
        raise InputError("train: missing CATALOG (de novo extraction needs a catalog; - reads standard input)")
    name = "<stdin>" if str(catalog) == STDOUT else str(catalog)
    reading: dict[str, float] = {}
    with timed(reading, "read catalog"):
        table, counted_tables = _catalog_or_calls(catalog, fasta, channels, progress, naming)
        check_extraction(table, config, name)  # refused before anything is written
    main = distributed.current().is_main
    if str(output) == STDOUT:
        extraction = scan_catalog(table, config, progress=progress)
        if main:
            sys.stdout.write(exposures_text(extraction.exposures))
        return extraction
    reference = (same_channels(reference_signatures(config.assignment.reference, channel_set_of_table(table),
                                                    config.cosmic), table, "the assignment reference")
                 if config.assignment.enabled else None)
    lock = OutputLock(output, takeover)
    directory = distributed.main_first(lambda: _claim(output, lock, force, resume, resumable=True))
    try:
        extraction = scan_catalog(table, config, checkpoint_dir=directory / "checkpoints", progress=progress)
        stages = extraction.info["seconds_by_stage"] = {**reading, **extraction.info["seconds_by_stage"]}
        if main:
            inputs, extra, labels, decomposition = {"catalog": str(catalog)}, dict(counted_tables), None, None
            if fasta is not None:
                inputs.update(calls=inputs.pop("catalog"), fasta=str(fasta), channels=channels or "SBS96")
            if reference is not None:
                inputs["reference"] = config.assignment.reference or "COSMIC v3.4 (packaged; see config.cosmic)"
                with timed(stages, "assignment"):
                    assigned, assignment = assignment_tables(extraction, table, reference, config)
                extra.update(assigned)
                labels = assignment.labels()
                decomposition = (assignment.mixes(reference, table.index), assignment.mix_labels())
            write_extraction(extraction, directory, config, inputs=inputs, extra=extra, annotations=labels,
                             catalog=table, decomposition=decomposition)
    finally:
        lock.release()
    return extraction


def _catalog_or_calls(catalog: str | Path, fasta: str | Path | None, channels: str | None, progress: bool,
                      naming: SampleNaming | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """The catalog to extract from: the table file ``catalog``, or with ``fasta`` the ``channels``
    table counted from the calls in ``catalog`` (samples named by ``naming``), with every counted
    table's text by file name."""
    if fasta is None:
        return read_catalog(catalog), {}
    channels = channels or "SBS96"
    counted = count_catalogs([catalog], fasta, progress=progress, naming=naming)
    tables = {"SBS96": counted.sbs96, "DBS78": counted.dbs78, "ID83": counted.id83}
    if channels not in tables:
        raise InputError(f"--channels {channels}: expected SBS96, DBS78 or ID83")
    if tables[channels].to_numpy().sum() == 0:
        raise InputError(f"{catalog}: no {channels} mutations were counted; nothing to extract")
    texts = {f"catalog_{key}.tsv": to_text(table, "MutationType", "%d") for key, table in tables.items()}
    return check_catalog(tables[channels].astype(float), str(catalog)), texts


def assignment_tables(extraction: Extraction, catalog: pd.DataFrame, reference: pd.DataFrame,
                      config: Config) -> tuple[dict[str, str], Assignment]:
    """Files ``assignment.tsv`` (chosen signatures as reference mixes), ``signatures_cosmic.tsv`` (the
    reference signatures used plus novel de novo ones) and ``exposures_cosmic.tsv`` (the catalog
    refitted on those), as name -> text; and the assignment itself (plot labels, reference mixes)."""
    assignment = _assign(extraction.signatures, reference, config)
    cohort = fit_cohort(catalog, assignment.named_signatures(extraction.signatures, reference),
                        config.refit.of_cohort_signatures())
    _log_composites(cohort.composite_facts())
    files = {
        "assignment.tsv": assignment_text(assignment),
        "signatures_cosmic.tsv": signatures_text(cohort.signatures),
        "exposures_cosmic.tsv": exposures_text(counted(catalog, cohort.exposures)),
    }
    return files, assignment


def _log_composites(facts: list[dict]) -> None:
    for fact in facts:
        log.info("cohort composite: %s carries %.3g × %s in %d samples (folded into its signature)",
                 fact["signature"], fact["ratio"], fact["part"], fact["samples"])


def _assign(signatures: pd.DataFrame, reference: pd.DataFrame, config: Config) -> Assignment:
    options = config.assignment
    return assign_signatures(signatures, reference, options.min_cosine, options.min_gain, options.max_signatures)


def assignment_text(assignment: Assignment) -> str:
    """``assignment.tsv``: Signature, Reference, Cosine, Novel."""
    return assignment.table().to_csv(sep="\t", index=False, lineterminator="\n")


def _claim(output: str | Path, lock: OutputLock, force: bool, resume: bool, resumable: bool = False) -> Path:
    """Check, create and lock the output directory; clear what a fresh start or a resume must not see."""
    if Path(output).is_dir():
        lock.check()
    directory = prepare_output_dir(output, force=force, resume=resume, resumable=resumable)
    lock.acquire()
    try:
        if force and not resume:
            for stale in (directory / "checkpoints").glob("K*.npz"):
                stale.unlink()
    except BaseException:
        lock.release()
        raise
    return directory


def _train_supervised(catalog, output, config, force, progress, signatures, exposures,
                      takeover) -> SupervisedFit | None:
    """Train the network of ``train --mode supervised``; under torchrun, rank 0 alone (the others return None
    once the inputs are checked)."""
    from .hpc import distributed  # noqa: PLC0415
    from .network.model_file import save_model  # noqa: PLC0415

    if signatures is None:
        raise InputError("--mode supervised needs --signatures SIGS (the signatures the network fits)")
    if catalog is None and (exposures is not None or str(output) == STDOUT):
        raise InputError("--mode supervised: --exposures and -o - need CATALOG (the samples those exposures belong "
                         "to, or whose exposures to print)")
    table = read_catalog(catalog) if catalog is not None else None
    sigs = read_signatures(signatures)
    if table is not None:
        same_channels(sigs, table, f"--signatures {signatures}")
    truth = read_exposures(exposures, list(sigs.columns), list(table.columns)) if exposures is not None else None
    if not distributed.current().is_main:  # training is not split among processes: rank 0 trains and writes
        return None
    if str(output) == STDOUT:
        fit = _trained_network(sigs, config, table, truth, progress)
        sys.stdout.write(exposures_text(_network_exposures(fit, table, config)))
        return fit
    lock = OutputLock(output, takeover)
    directory = _claim(output, lock, force, resume=False)
    try:
        fit = _trained_network(sigs, config, table, truth, progress)
        inputs = {"catalog": None if catalog is None else str(catalog), "signatures": str(signatures),
                  "exposures": str(exposures) if exposures else None}
        remove_previous_run(directory, TRAIN_OUTPUTS, inputs=[path for path in inputs.values() if path])
        save_model(directory / "model.pt", fit.network, list(fit.signatures.index), list(fit.signatures.columns),
                   config.to_dict(), fit.info, fit.signatures.to_numpy(dtype=float))
        files = ["model.pt"]
        if table is not None:
            write_atomic(directory / "exposures.tsv", exposures_text(_network_exposures(fit, table, config)))
            files.append("exposures.tsv")
        write_json(directory / "run.json",
                   {**provenance(config, {"mode": "supervised", **fit.info}, inputs), FILES: files})
    finally:
        lock.release()
    return fit


def _trained_network(signatures: pd.DataFrame, config: Config, catalog: pd.DataFrame | None,
                     truth: pd.DataFrame | None, progress: bool) -> SupervisedFit:
    """A network trained on the true exposures, else on the catalog's first-pass refit, else on simulation."""
    from .exposures.learned import train_on_catalog  # noqa: PLC0415
    from .network.supervised import train_supervised  # noqa: PLC0415

    if catalog is not None and truth is None:
        return train_on_catalog(signatures, catalog, config, progress)
    return train_supervised(signatures, config, catalog, truth, progress=progress)


def _network_exposures(fit: SupervisedFit, catalog: pd.DataFrame, config: Config) -> pd.DataFrame:
    from .hpc.device import resolve_device, resolve_dtype  # noqa: PLC0415
    from .exposures.learned import gated_predictions, model_gate, table_signatures  # noqa: PLC0415

    gate = model_gate(fit.signatures.to_numpy(dtype=float), asdict(config.network))
    names = list(fit.signatures.columns)
    return counted(catalog, gated_predictions(fit.network, catalog.loc[fit.signatures.index], names,
                                              resolve_device(config.device), resolve_dtype(config.dtype), gate,
                                              table_signatures(names, fit.info)))


def catalog(calls: list[str | Path], fasta: str | Path, output: str | Path, all_filters: bool = False,
            force: bool = False, progress: bool = False, naming: SampleNaming | None = None) -> Catalogs:
    """Count the VCF/MAF files ``calls``, their samples named by ``naming``, against the genome ``fasta``
    (:func:`unfoldnmf.calls.counting.count_catalogs`) and write ``SBS96.tsv``, ``DBS78.tsv``, ``ID83.tsv``
    (SigProfiler layout, integer counts) and ``run.json`` (with what was counted and skipped) to ``output``."""
    if str(output) == STDOUT:
        raise InputError("catalog writes SBS96.tsv, DBS78.tsv and ID83.tsv: give -o DIRECTORY, not -")
    if not calls:
        raise InputError("catalog: give at least one VCF or MAF file")
    check_output_dir(output, force)  # refused before any counting
    counted_calls = count_catalogs(calls, fasta, all_filters, progress, naming=naming)
    files = {f"{name}.tsv": to_text(getattr(counted_calls, name.lower()), "MutationType", "%d")
             for name in ("SBS96", "DBS78", "ID83")}
    _write_files(prepare_output_dir(output, force=force), files,
                 {"unfoldnmf_version": __version__, "command": " ".join(sys.argv), "fasta": str(fasta),
                  "all_filters": all_filters, **counted_calls.summary}, [*calls, fasta])
    return counted_calls


def attribute(calls: list[str | Path], fasta: str | Path, signatures: str | Path, exposures: str | Path,
              output: str | Path, all_filters: bool = False, force: bool = False, progress: bool = False,
              naming: SampleNaming | None = None) -> dict:
    """For every mutation of the VCF/MAF files ``calls`` of the signatures' kind (SBS-96, DBS-78 or
    ID-83), samples named by ``naming`` as in :func:`catalog`, the probability that each signature made it,
    from the samples' ``exposures``
    (:class:`unfoldnmf.exposures.attribution.Attribution`); written, streamed, to
    ``output``/``attributions.tsv`` (one row per mutation: sample, position, alleles, channel, one
    column per signature, the most likely one) with ``run.json``. Returns the summary."""
    sigs = read_signatures(signatures)
    kind = channel_set_of_table(sigs)
    model = Attribution(sigs, read_exposures(exposures, list(sigs.columns)))
    check_output_dir(output, force)  # refused before any counting
    created = not Path(output).exists()
    directory = prepare_output_dir(output, force=force)
    remove_previous_run(directory, ("attributions.tsv",), inputs=[*calls, fasta, signatures, exposures])
    try:
        return _write_attributions(calls, fasta, signatures, exposures, directory, kind, model, all_filters, progress,
                                   naming)
    except BaseException:
        if created and not any(directory.iterdir()):
            directory.rmdir()  # nothing half-written, not even an empty folder
        raise


def _write_attributions(calls, fasta, signatures, exposures, directory: Path, kind: ChannelSet, model: Attribution,
                        all_filters: bool, progress: bool, naming: SampleNaming | None = None) -> dict:
    missing: dict[str, int] = {}
    written = 0
    with atomic_file(directory / "attributions.tsv") as handle:
        handle.write("\t".join(["Samples", "Chromosome", "Position", "REF", "ALT", "MutationType", *model.names,
                                "MostLikely"]) + "\n")

        def write(mutation: Mutation) -> None:
            nonlocal written
            if mutation.kind != kind.name:
                return
            if not model.knows(mutation.sample):
                missing[mutation.sample] = missing.get(mutation.sample, 0) + 1
                return
            chances = model.probabilities(mutation.sample, mutation.label)
            likely = model.names[int(np.argmax(chances))] if chances.any() else ""
            handle.write("\t".join([mutation.sample, mutation.contig, str(mutation.position), mutation.ref,
                                    mutation.alt, mutation.label, *(f"{p:.4g}" for p in chances), likely]) + "\n")
            written += 1
        counted = count_catalogs(calls, fasta, all_filters, progress, on_mutation=write, naming=naming)
        if not written:
            raise InputError(f"{exposures}: none of the {kind.title} mutations counted belongs to a sample with "
                             f"exposures there (samples in the calls: {', '.join(list(missing)[:5]) or 'none'})")
    if missing:
        log.warning("%d sample(s) of the calls have no exposures and were left out: %s", len(missing),
                    ", ".join(list(missing)[:5]))
    summary = {"mutations_attributed": written, "kind": kind.title, "samples_without_exposures": missing,
               **counted.summary}
    write_json(directory / "run.json", {"unfoldnmf_version": __version__, "command": " ".join(sys.argv),
                                        "fasta": str(fasta), "signatures": str(signatures),
                                        "exposures": str(exposures), **summary, FILES: ["attributions.tsv"]})
    return summary


def signature_source(signatures: str | Path | None = None, cosmic: list[str] | None = None,
                     exclude: list[str] | None = None, exclude_classes: list[str] | None = None,
                     channels: ChannelSet | None = None, choice: CosmicConfig | None = None) -> pd.DataFrame:
    """The signatures a user named: a table file, or COSMIC v3.4 ``cosmic`` names ([] for all of
    them, of the channel set ``channels``, else of the set the names belong to; the genome build and
    normalisation of ``choice``), less the ``exclude`` names and the members of the aetiology
    classes ``exclude_classes`` (e.g. ``["artefact", "treatment"]``)."""
    if (signatures is None) == (cosmic is None):
        raise InputError("give exactly one source of signatures: --signatures FILE or --cosmic [NAMES]")
    table = (read_signatures(signatures) if signatures is not None
             else cosmic_signatures(cosmic or None, channels, choice))
    return exclude_signatures(table, exclude, exclude_classes)


def same_channels(signatures: pd.DataFrame, catalog: pd.DataFrame, what: str) -> pd.DataFrame:
    """``signatures``, refused unless they have the channels of ``catalog`` (e.g. DBS-78 signatures
    for an SBS-96 catalog)."""
    if list(signatures.index) != list(catalog.index):
        ours, theirs = channel_set_of_table(catalog).title, channel_set_of_table(signatures).title
        raise InputError(f"{what} has {theirs} channels but the catalog has {ours} channels; give signatures "
                         f"of the catalog's kind")
    return signatures


def fit(
    catalog: str | Path,
    output: str | Path,
    config: Config | None = None,
    signatures: str | Path | None = None,
    cosmic: list[str] | None = None,
    model: str | Path | None = None,
    force: bool = False,
    exclude: list[str] | None = None,
    exclude_classes: list[str] | None = None,
    bootstrap: int = 0,
    confidence: float = 0.95,
    progress: bool = False,
) -> pd.DataFrame:
    """Exposures (samples × signatures) of the samples of the catalog file on known signatures (a
    table file, or COSMIC ``cosmic`` names, [] for all) with the ``config.refit`` method, or from a
    trained ``model``; ``exclude`` names and the members of the aetiology classes ``exclude_classes``
    (e.g. ``["artefact"]``) are left out. Writes ``exposures.tsv``, ``fit_quality.tsv`` (per-sample goodness of fit),
    ``signatures.tsv`` and ``run.json`` to ``output`` (``exposures.tsv`` and ``run.json`` for a
    model), or streams the exposures table for ``-``. ``bootstrap`` > 0 also writes
    ``exposures_bootstrap.tsv``: ``confidence`` intervals from that many resampled copies of each sample."""
    config = config or Config()
    if sum(source is not None for source in (signatures, cosmic, model)) != 1:
        raise InputError("give exactly one source: --signatures FILE, --cosmic [NAMES] or --model model.pt")
    if model is not None and (exclude or exclude_classes or bootstrap):
        raise InputError("--exclude/--exclude-class/--bootstrap apply to --signatures/--cosmic; a model fits the "
                         "signatures it was trained on in one pass")
    if bootstrap and str(output) == STDOUT:
        raise InputError("--bootstrap writes exposures_bootstrap.tsv beside exposures.tsv: give -o DIRECTORY, not -")
    if not 0 < confidence < 1:
        raise InputError(f"--confidence {confidence:g}: must lie strictly between 0 and 1")
    table = read_catalog(catalog)
    inputs, empty = {"catalog": str(catalog)}, samples_without_mutations(table)
    if model is not None:
        exposures, info = exposures_from_model(table, model, config)
        exposures = counted(table, exposures)
        inputs["model"] = str(model)
    else:
        if cosmic is not None and cosmic and names_channel_set(cosmic) != channel_set_of_table(table):
            raise InputError(f"--cosmic {','.join(cosmic)}: these are {names_channel_set(cosmic).title} signatures but "
                             f"the catalog has {channel_set_of_table(table).title} channels")
        sigs = same_channels(signature_source(signatures, cosmic, exclude, exclude_classes, channel_set_of_table(table),
                                              config.cosmic),
                             table, "--signatures" if signatures is not None else "--cosmic")
        started = time.perf_counter()
        cohort = fit_cohort(table, sigs, config.refit)
        exposures, sigs = counted(table, cohort.exposures), cohort.signatures
        info = {"source": "signatures", "signatures": list(sigs.columns), "samples": int(table.shape[1]),
                "composites": cohort.composite_facts(), "seconds_fit": round(time.perf_counter() - started, 3)}
        _log_composites(info["composites"])
        inputs["signatures"] = (str(signatures) if signatures is not None
                                else "COSMIC v3.4 (packaged; see config.cosmic)")
        if bootstrap:
            started = time.perf_counter()
            intervals = bootstrap_signatures(table, sigs, exposures, config.refit, bootstrap, confidence, config.seed,
                                             progress, cohort.candidates)
            info.update(bootstrap_replicates=bootstrap, confidence=confidence,
                        seconds_bootstrap=round(time.perf_counter() - started, 3))
    info["samples_without_mutations"] = empty
    if str(output) == STDOUT:
        sys.stdout.write(exposures_text(exposures))
        return exposures
    files = {"exposures.tsv": exposures_text(exposures)}
    if model is None:
        files["fit_quality.tsv"] = quality_text(fit_quality(table, sigs, exposures))
        files["signatures.tsv"] = signatures_text(sigs)
        if bootstrap:
            files["exposures_bootstrap.tsv"] = to_text(intervals, "Samples", "%.6g")
    _write_files(prepare_output_dir(output, force=force), files, provenance(config, info, inputs), inputs.values(),
                 FIT_OUTPUTS)
    return exposures


#: Every name ``fit`` writes besides ``run.json``: what a new run removes where no ``run.json`` lists the
#: previous run's files.
FIT_OUTPUTS = ("exposures.tsv", "fit_quality.tsv", "signatures.tsv", "exposures_bootstrap.tsv")


def _write_files(directory: Path, files: dict[str, str], record: dict, inputs, outputs: tuple[str, ...] = ()) -> None:
    """Replace the previous run's files in ``directory`` (:func:`remove_previous_run`, by the names of ``files``
    and ``outputs``, any other names the command may write; the ``inputs`` stay) by ``files`` (name -> text),
    then ``run.json``: ``record`` and the list of those files."""
    remove_previous_run(directory, (*files, *outputs), inputs=[path for path in inputs if path and path != STDOUT])
    for name, text in files.items():
        write_atomic(directory / name, text)
    write_json(directory / "run.json", {**record, FILES: list(files)})


def assign(signatures: str | Path, output: str | Path, config: Config | None = None,
           reference: str | Path | None = None, force: bool = False) -> Assignment:
    """Explain each signature of the table file ``signatures`` as a sparse mix of ``reference``
    signatures (COSMIC v3.4 when None); writes ``assignment.tsv`` to ``output`` (``-``: standard output)."""
    config = config or Config()
    table = read_signatures(signatures)
    assignment = _assign(table, same_channels(reference_signatures(reference, channel_set_of_table(table),
                                                                   config.cosmic), table, "the reference"), config)
    text = assignment_text(assignment)
    if str(output) == STDOUT:
        sys.stdout.write(text)
    else:
        write_atomic(prepare_output_dir(output, force=force) / "assignment.tsv", text)
    return assignment


def simulate(output: str | Path, signatures: pd.DataFrame, samples: int, seed: int = 0,
             exposure_model: str | Path = "sparse", force: bool = False, **options) -> Cohort:
    """Simulate a cohort from ``signatures`` (:func:`unfoldnmf.reference.simulate.simulate_cohort`;
    ``options`` are its keyword arguments) and write ``catalog.tsv``, ``exposures.tsv`` (the truth),
    ``signatures.tsv`` (what it was drawn from) and ``run.json`` to ``output``.
    ``exposure_model`` ``sparse``, ``dense`` or the path of an exposures table to draw rows from."""
    table = None if exposure_model in EXPOSURE_MODELS else exposure_model
    if table is not None:
        if exposure_model != STDOUT and not Path(exposure_model).is_file():
            raise InputError(f"--exposure-model {exposure_model}: "
                             "neither sparse, dense nor an existing exposures table")
        exposure_model = read_exposures(exposure_model, list(signatures.columns))
    model_name = exposure_model if isinstance(exposure_model, str) else "table"
    cohort = simulate_cohort(signatures, samples, seed, exposure_model=exposure_model, **options)
    files = {"catalog.tsv": to_text(cohort.catalog, "MutationType", "%d"),
             "exposures.tsv": exposures_text(cohort.exposures), "signatures.tsv": signatures_text(signatures)}
    _write_files(prepare_output_dir(output, force=force), files,
                 {"unfoldnmf_version": __version__, "command": " ".join(sys.argv), "samples": samples, "seed": seed,
                  "exposure_model": model_name, "signatures": list(signatures.columns), **options}, [table])
    return cohort
