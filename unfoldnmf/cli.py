"""The ``unfoldnmf`` command line: a thin shell over :mod:`unfoldnmf.run` and the Python API.

Options that several commands take are declared once (``_shared`` below). Heavy modules (torch,
pandas) are imported inside the commands, so ``unfoldnmf --help`` answers at once.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from importlib import resources

import click

from ._version import __version__
from .config import AssignmentConfig, RefitConfig, load_config, parse_override
from .errors import InputError, UnfoldNMFError
from .reference.classes import SIGNATURE_CLASSES, parse_classes


class _Group(click.Group):
    """Lists the commands in the order a user meets them, and turns this package's errors into one
    line on stderr and their exit code, never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        listed = super().list_commands(ctx)
        return ([name for name in COMMAND_ORDER if name in listed]
                + [name for name in listed if name not in COMMAND_ORDER])

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UnfoldNMFError as exc:
            click.echo(f"unfoldnmf: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except click.UsageError as exc:
            click.echo(f"unfoldnmf: error: {exc.format_message()} "
                       f"(see unfoldnmf {ctx.invoked_subcommand or ''} --help)", err=True)
            ctx.exit(exc.exit_code)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"unfoldnmf: error: {where}{exc.strerror or exc}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo(f"unfoldnmf: interrupted; {ctx.meta.get(INTERRUPT_NOTE, 'no output was half-written')}",
                       err=True)
            ctx.exit(130)


#: ``unfoldnmf --help`` lists the commands in this order: try, extract, fit, name, look, check.
COMMAND_ORDER = ("example", "catalog", "train", "fit", "assign", "attribute", "plot", "simulate", "evaluate")


def _examples(*lines: str) -> str:
    """A command's help epilog: its examples, kept verbatim by click (``\b``)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


#: ``ctx.meta`` key of what a command tells the user when it is interrupted (what was kept, how to go on).
INTERRUPT_NOTE = "unfoldnmf.interrupt_note"
PLOT_KINDS = ("signatures", "catalog", "exposures", "selection", "reconstruction", "decomposition")


class _BarAwareHandler(logging.Handler):
    """Writes messages to stderr through ``tqdm.write``, which clears a progress bar shown there
    and redraws it below the message (a plain stream handler would write over the bar)."""

    def emit(self, record: logging.LogRecord) -> None:
        from tqdm import tqdm

        try:
            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


def _configure_logging(quiet: bool, log_file: str | None = None, rank: int = 0) -> None:
    """Messages to stderr (errors only with ``quiet`` and on ranks other than 0), and every
    message, time-stamped, to ``log_file`` when given."""
    logger = logging.getLogger("unfoldnmf")
    logger.handlers.clear()
    prefix = f"unfoldnmf[rank {rank}]" if rank else "unfoldnmf"
    handler = _BarAwareHandler()
    handler.setFormatter(logging.Formatter(f"{prefix}: %(levelname)s: %(message)s"))
    handler.setLevel(logging.ERROR if quiet or rank else logging.INFO)
    logger.addHandler(handler)
    if log_file:
        try:
            to_file = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"--log-file {log_file}: cannot write ({exc.strerror or exc})") from None
        to_file.setFormatter(logging.Formatter(f"%(asctime)s {prefix}: %(levelname)s: %(message)s"))
        logger.addHandler(to_file)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _options(*decorators):
    """One decorator applying ``decorators`` in the order they are listed."""
    def apply(function):
        for decorator in reversed(decorators):
            function = decorator(function)
        return function
    return apply


class _shared:
    """Options declared once and used by several commands."""

    force = click.option("--force", is_flag=True, help="Write into a non-empty output directory, replacing the "
                         "previous run's files (those its run.json lists); other files stay.")
    quiet = click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr; no progress bars.")
    config = _options(
        click.option("--config", "config_file", type=click.Path(dir_okay=False),
                     help="YAML config (default: embedded)."),
        click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                     help="Override one config key, e.g. extraction.replicates=30."),
        click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="Where to compute."),
    )

    cosmic = _options(
        click.option("--genome-build", type=click.Choice(["GRCh37", "GRCh38"]),
                     help="COSMIC v3.4 tables for this build (default GRCh37; SBS-96 and DBS-78)."),
        click.option("--exome", is_flag=True, default=None,
                     help="Exome-normalised COSMIC tables, for whole-exome catalogs."),
    )

    calls = _options(
        click.argument("calls", nargs=-1, required=True, type=click.Path(dir_okay=False)),
        click.option("--fasta", required=True, type=click.Path(dir_okay=False),
                     help="Reference genome the calls were made on (plain or bgzip FASTA; indexed on first use)."),
        click.option("--all-filters", is_flag=True, help="Keep calls that failed a filter (default: PASS only)."),
    )

    #: How the samples of mutation calls are named (:class:`unfoldnmf.calls.samples.SampleNaming`; see _naming).
    naming = _options(
        click.option("--sample", "picked", multiple=True, metavar="NAME",
                     help="Count only this VCF sample column or MAF Tumor_Sample_Barcode (repeatable; a normal too)."),
        click.option("--name-from", type=click.Choice(["sample", "file"]),
                     help="Name samples after their column, or after their file (its name up to the first dot; one "
                          "tumour's files, e.g. P1.snvs.vcf.gz and P1.indels.vcf.gz, then share a sample).  "
                          "[default: sample]"),
        click.option("--samples", "table", type=click.Path(dir_okay=False),
                     help="Tab-separated file, column, sample rows (column . for a VCF without sample columns): the "
                          "sample each listed column is counted under."),
    )

    @staticmethod
    def output(what: str):
        return click.option("-o", "--output", required=True, type=click.Path(file_okay=False, allow_dash=True),
                            help=f"Output directory ({what}), or - to stream the main table to stdout.")


def _naming(picked: tuple[str, ...], name_from: str | None, table: str | None):
    """The :class:`~unfoldnmf.calls.samples.SampleNaming` of ``_shared.naming``'s options, or None when
    none was given (so that a command reading a catalog table can refuse them)."""
    if not picked and name_from is None and table is None:
        return None
    from .calls.samples import SampleNaming

    return SampleNaming(picked=tuple(picked), from_file=name_from == "file", table=table)


def _cosmic_choice(genome_build: str | None, exome: bool | None) -> dict:
    """The ``cosmic`` config section from --genome-build/--exome (unset flags left out)."""
    return {key: value for key, value in (("genome_build", genome_build), ("exome", exome)) if value is not None}


def _config(config_file: str | None, overrides: tuple[str, ...], flags: dict):
    """The run's config: defaults, then ``--config``, then ``--set``, then the command's own flags
    (unset ones dropped: an empty section would replace a malformed one from the file and hide its error)."""
    flags = {key: value for key, value in flags.items() if value is not None and value != {}}
    return load_config(config_file, [parse_override(text) for text in overrides] + [flags])


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="unfoldnmf")
def cli() -> None:
    """Mutational signatures from SBS-96, DBS-78 and ID-83 catalogs (or VCF/MAF calls) with unfolded NMF."""


@cli.command(short_help="Count VCF/MAF calls into SBS-96, DBS-78 and ID-83 catalogs.", epilog=_examples(
    "unfoldnmf catalog tumour1.vcf.gz tumour2.vcf.gz --fasta GRCh38.fa -o catalogs",
    "unfoldnmf catalog cohort.maf --fasta hg19.fa.gz -o catalogs && unfoldnmf train catalogs/SBS96.tsv -o out",
    "unfoldnmf catalog P1.snvs.vcf.gz P1.indels.vcf.gz --name-from file --fasta GRCh38.fa -o catalogs  # sample P1"))
@_shared.calls
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Output directory (SBS96.tsv, DBS78.tsv, ID83.tsv, run.json).")
@_shared.naming
@_shared.force
@_shared.quiet
def catalog(calls, fasta, output, all_filters, picked, name_from, table, force, quiet):
    """Count the substitutions, doublets and small indels of CALLS (VCF, plain or bgzipped, single-
    or multi-sample; or MAF) per sample into SBS96.tsv, DBS78.tsv and ID83.tsv in the SigProfiler
    layout, with the genome FASTA the calls were made on. Two adjacent substitutions in a sample form
    one doublet; in a run of three or more, each is an SBS (as SigProfilerMatrixGenerator counts them).
    A matched normal (named NORMAL, or by the header's ##normal_sample) is left out; two files giving
    a caller's generic name (TUMOR) are refused until --name-from file or --samples names them."""
    _configure_logging(quiet)
    from . import run

    counted = run.catalog(list(calls), fasta, output, all_filters=all_filters, force=force, progress=not quiet,
                          naming=_naming(picked, name_from, table))
    summary = counted.summary
    skipped = "; ".join(f"{reason}: {n}" for reason, n in summary["skipped"].items()) or "nothing"
    logging.getLogger("unfoldnmf").info("%d samples: %d SBS, %d DBS and %d ID counted from %d records (skipped: %s); "
                                        "SBS96.tsv, DBS78.tsv, ID83.tsv and run.json written to %s", summary["samples"],
                                        summary["sbs_counted"], summary["dbs_counted"], summary["id_counted"],
                                        summary["records"], skipped, output)


@cli.command(short_help="Which signature made each mutation: per-mutation probabilities.", epilog=_examples(
    "unfoldnmf attribute calls.vcf.gz --fasta GRCh38.fa --signatures out/signatures.tsv "
    "--exposures out/exposures.tsv -o attr",
    "unfoldnmf attribute cohort.maf --fasta hg19.fa --signatures fit/signatures.tsv "
    "--exposures fit/exposures.tsv -o attr",
    "unfoldnmf attribute P1.snvs.vcf.gz P1.indels.vcf.gz --name-from file --fasta GRCh38.fa "
    "--signatures sigs.tsv --exposures expo.tsv -o attr  # sample P1"))
@_shared.calls
@click.option("--signatures", required=True, type=click.Path(dir_okay=False),
              help="Signatures (SBS-96, DBS-78 or ID-83; mutations of that kind are attributed).")
@click.option("--exposures", required=True, type=click.Path(dir_okay=False),
              help="The samples' exposures to those signatures (e.g. fit's or train's exposures.tsv).")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Output directory (attributions.tsv, run.json).")
@_shared.naming
@_shared.force
@_shared.quiet
def attribute(calls, fasta, signatures, exposures, output, all_filters, picked, name_from, table, force, quiet):
    """For every mutation in CALLS, the probability that each signature made it: the sample's exposure
    to the signature times the signature's probability of the mutation's channel, normalised over the
    signatures. One row per mutation in attributions.tsv, with the most likely signature. Samples are
    named as catalog names them (--sample, --name-from, --samples), to match the exposures' samples."""
    _configure_logging(quiet)
    from . import run

    summary = run.attribute(list(calls), fasta, signatures, exposures, output, all_filters=all_filters, force=force,
                            progress=not quiet, naming=_naming(picked, name_from, table))
    logging.getLogger("unfoldnmf").info("%d %s mutations attributed; attributions.tsv and run.json written to %s",
                                        summary["mutations_attributed"], summary["kind"], output)


@cli.command(short_help="Extract signatures from a catalog (or train a network).", epilog=_examples(
    "unfoldnmf train catalog.tsv -o out                # K chosen from 1-25; "
    "signatures.tsv, exposures.tsv, report.html",
    "unfoldnmf train catalog.tsv -o out --k 8 --seed 1  # a fixed K",
    "unfoldnmf train calls.maf --fasta GRCh38.fa -o out   # count the calls, then extract",
    "unfoldnmf train -o net --mode supervised --signatures sigs.tsv   # model.pt for fit --model"))
@click.argument("catalog", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@_shared.output("signatures.tsv, exposures.tsv, report.html, ...")
@_shared.config
@click.option("--mode", type=click.Choice(["denovo", "supervised"]),
              help="denovo: extract signatures from CATALOG; supervised: train a network on --signatures.")
@click.option("--signatures", type=click.Path(dir_okay=False), help="Supervised: the signatures (channels × K) to fit.")
@click.option("--exposures", type=click.Path(dir_okay=False),
              help="Supervised: true exposures of CATALOG (samples × signatures or transposed); else CATALOG's "
                   "first-pass refit, redrawn across depths (no CATALOG: a simulated cohort).")
@click.option("--fasta", type=click.Path(dir_okay=False),
              help="CATALOG is mutation calls (VCF/MAF): count them against this genome first (see catalog).")
@click.option("--channels", type=click.Choice(["SBS96", "DBS78", "ID83"]),
              help="With --fasta: which counted table to extract signatures from (default SBS96).")
@_shared.naming
@_shared.cosmic
@click.option("--k", type=click.IntRange(min=1), help="Fix the number of signatures.")
@click.option("--k-min", type=click.IntRange(min=1), help="Smallest K to try.")
@click.option("--k-max", type=click.IntRange(min=1), help="Largest K to try.")
@click.option("--seed", type=int,
              help="Random seed; the same seed gives the same result on the same device and CPU threads.")
@_shared.force
@click.option("--resume", is_flag=True, help="Reuse the K values an interrupted run finished.")
@click.option("--takeover", is_flag=True,
              help="Take the output directory's lock even if its owner looks alive (make sure that run is dead).")
@click.option("--no-plots", is_flag=True, help="Write no plots and no report.html (sets output.plots=false).")
@_shared.quiet
@click.option("--log-file", type=click.Path(dir_okay=False),
              help="Also append every message, time-stamped, to this file.")
def train(catalog, output, config_file, overrides, device, mode, signatures, exposures, fasta, channels, picked,
          name_from, table, genome_build, exome, k, k_min, k_max, seed, force, resume, takeover, no_plots, quiet,
          log_file):
    """Extract signatures and exposures from CATALOG (SigProfiler or SynSig layout, - for stdin),
    trying K from --k-min to --k-max (default 1-25) and choosing one; writes signatures.tsv,
    exposures.tsv, fit_quality.tsv, selection.tsv, solutions/, report.html, plots/, the tables under
    COSMIC names and run.json. With --fasta, CATALOG is mutation calls, counted (their samples named by
    --sample, --name-from, --samples) as catalog counts them.
    With --mode supervised, train a network that fits --signatures instead (writes model.pt; CATALOG is
    then optional: without --exposures the network learns from CATALOG's first-pass refit and holds
    only the signatures that refit uses, or from a simulated cohort when there is no CATALOG).

    Under torchrun (e.g. torchrun --nproc_per_node=4 -m unfoldnmf train ...) the K values are
    shared among the processes and rank 0 writes the same outputs as a single process would.
    """
    _configure_logging(quiet, log_file, int(os.environ.get("RANK", "0") or 0))
    from . import run
    from .hpc import distributed

    extraction = {key: value for key, value in (("k", k), ("k_min", k_min), ("k_max", k_max)) if value is not None}
    config = _config(config_file, overrides, {"device": device, "seed": seed, "mode": mode, "extraction": extraction,
                                              "output": {"plots": False} if no_plots else None,
                                              "cosmic": _cosmic_choice(genome_build, exome)})
    if config.mode == "supervised" and (extraction or resume):
        raise InputError("--k/--k-min/--k-max/--resume are for denovo extraction; supervised training fits the "
                         "signatures given with --signatures")
    if config.mode == "denovo" and output != run.STDOUT:
        click.get_current_context().meta[INTERRUPT_NOTE] = (
            f"the K values finished so far are kept in {output}/checkpoints; run the same command with --resume "
            f"to reuse them")
    distributed.init(config.device)
    try:
        result = run.train(catalog, output, config, force=force, resume=resume, progress=not quiet,
                           signatures=signatures, exposures=exposures, fasta=fasta, channels=channels,
                           takeover=takeover, naming=_naming(picked, name_from, table))
    finally:
        distributed.finish()
    if output != run.STDOUT and config.mode == "denovo":
        logging.getLogger("unfoldnmf").info("K=%d chosen; tables written to %s", result.selection.k, output)
    elif output != run.STDOUT:
        written = "model.pt and exposures.tsv" if catalog is not None else "model.pt"
        logging.getLogger("unfoldnmf").info("network trained; %s written to %s", written, output)


@cli.command(short_help="Exposures of samples on known signatures (COSMIC or yours).", epilog=_examples(
    "unfoldnmf fit catalog.tsv --cosmic -o out                      # all 86 COSMIC v3.4 SBS signatures",
    "unfoldnmf fit catalog.tsv --cosmic SBS1,SBS5,SBS13 -o - > exposures.tsv",
    "unfoldnmf fit catalog.tsv --signatures sigs.tsv --bootstrap 100 -o out   # with 95 % intervals"))
@click.argument("catalog", type=click.Path(dir_okay=False, allow_dash=True))
@_shared.output("exposures.tsv, fit_quality.tsv, signatures.tsv; exposures.tsv, run.json for --model")
@click.option("--signatures", type=click.Path(dir_okay=False),
              help="Signature table to fit (channels × K, of the catalog's kind).")
@click.option("--cosmic", is_flag=False, flag_value="all", metavar="[NAMES]",
              help="Fit COSMIC v3.4 signatures: a comma-separated list (SBS1,SBS5) or, alone, all of them.")
@click.option("--model", type=click.Path(dir_okay=False),
              help="A model.pt written by train --mode supervised (one network pass, then its gate: exact zeros "
                   "and a Poisson fit on the signatures kept).")
@click.option("--exclude", metavar="NAMES", help="Leave out these signatures, e.g. SBS27,SBS43.")
@click.option("--exclude-class", "exclude_classes", metavar="CLASSES",
              help="Leave out COSMIC's signatures of these aetiologies, e.g. treatment,artefact (classes: "
                   f"{', '.join(SIGNATURE_CLASSES)}).")
@click.option("--exclude-artefacts", is_flag=True,
              help="Leave out COSMIC's possible sequencing artefacts (SBS27, SBS43, "
                   "SBS45-60, SBS95, DBS14); the same as --exclude-class artefact.")
@click.option("--method", type=click.Choice(["sparse", "nnls"]), help=f"sparse (default: {RefitConfig.method}): drop "
              "signatures that do not improve the fit (samples under refit.shallow_depth mutations: keep the "
              "shares over refit.shallow_gate / sqrt(mutations) of a Poisson fit on their own signatures and "
              "those of their counts pooled with the samples they resemble, a borrowed one only over "
              "refit.shallow_borrowed_share); "
              "nnls: plain NNLS.")
@click.option("--min-deviance-gain", type=click.FloatRange(min=0),
              help=f"Sparse refit: Poisson deviance, times the fit's over-dispersion, a signature must save to stay, "
                   f"or, borrowing from neighbours, to join in a forward step "
                   f"(default {RefitConfig.min_deviance_gain:g}).")
@click.option("--background", metavar="NAMES|none",
              help="Sparse refit: background signatures, tested last and dropped only if that costs less than "
                   "refit.background_deviance_gain times the over-dispersion; none: no background (default "
                   f"{','.join(RefitConfig().background)}; names not among the fitted signatures are ignored).")
@_shared.cosmic
@click.option("--bootstrap", type=click.IntRange(min=0), default=0, metavar="N",
              help="Also write exposures_bootstrap.tsv: intervals from N resampled copies of each sample (e.g. 100), "
                   "each refitted with and without the sparse refit's selection.")
@click.option("--confidence", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95,
              show_default=True, help="Coverage of the --bootstrap intervals.")
@click.option("--seed", type=int, help="Random seed of --bootstrap; the same seed gives the same intervals.")
@_shared.config
@_shared.force
@_shared.quiet
def fit(catalog, output, signatures, cosmic, model, exclude, exclude_classes, exclude_artefacts, method,
        min_deviance_gain, background, genome_build, exome, bootstrap, confidence, seed, config_file, overrides, device,
        force, quiet):
    """Exposures of the samples of CATALOG on known signatures (sparse refit) or from a trained network."""
    _configure_logging(quiet)
    from . import run
    from .reference.cosmic import parse_names

    if background is not None:
        background = [] if background.strip().lower() == "none" else parse_names(background)
    refit = {key: value for key, value in (("method", method), ("min_deviance_gain", min_deviance_gain),
                                           ("background", background)) if value is not None}
    if model is not None and refit:
        raise InputError("--method/--min-deviance-gain/--background choose the refit of --signatures/--cosmic; "
                         "a model computes exposures with its own network")
    config = _config(config_file, overrides, {"device": device, "seed": seed, "refit": refit,
                                              "cosmic": _cosmic_choice(genome_build, exome)})
    names = None if cosmic is None else [] if cosmic == "all" else parse_names(cosmic)
    run.fit(catalog, output, config, signatures=signatures, cosmic=names, model=model, force=force,
            exclude=parse_names(exclude) if exclude else None,
            exclude_classes=[*(parse_classes(exclude_classes) if exclude_classes else []),
                             *(["artefact"] if exclude_artefacts else [])] or None,
            bootstrap=bootstrap, confidence=confidence, progress=not quiet)


@cli.command(short_help="Name signatures after COSMIC (or another reference).", epilog=_examples(
    "unfoldnmf assign out/signatures.tsv -o -",
    "unfoldnmf assign sigs.tsv --genome-build GRCh38 --exome -o named",
    "unfoldnmf assign sigs.tsv --reference my_reference.tsv -o named"))
@click.argument("signatures", type=click.Path(dir_okay=False, allow_dash=True))
@_shared.output("assignment.tsv")
@click.option("--reference", type=click.Path(dir_okay=False),
              help="Reference signature table (default: the packaged COSMIC v3.4 set of the signatures' kind).")
@_shared.cosmic
@click.option("--min-cosine", type=click.FloatRange(0, 1), default=AssignmentConfig.min_cosine, show_default=True,
              help="Below this cosine a signature is reported as novel.")
@click.option("--min-gain", type=click.FloatRange(0, 1, max_open=True), default=AssignmentConfig.min_gain,
              show_default=True, help="Cosine gain a reference signature must bring to join a mix.")
@click.option("--max-signatures", type=click.IntRange(min=1), default=AssignmentConfig.max_signatures,
              show_default=True, help="Most reference signatures in one mix.")
@_shared.force
def assign(signatures, output, reference, genome_build, exome, min_cosine, min_gain, max_signatures, force):
    """Explain each signature of SIGNATURES as a sparse mix of reference signatures, or flag it novel."""
    from . import run

    config = _config(None, (), {"assignment": {"min_cosine": min_cosine, "min_gain": min_gain,
                                               "max_signatures": max_signatures},
                                "cosmic": _cosmic_choice(genome_build, exome)})
    assignment = run.assign(signatures, output, config, reference, force=force)
    if output != run.STDOUT:
        click.echo(run.assignment_text(assignment), nl=False)


@cli.command(short_help="Score extracted signatures (and exposures) against the truth.", epilog=_examples(
    "unfoldnmf evaluate --truth sim/signatures.tsv --extracted out/signatures.tsv",
    "unfoldnmf evaluate --truth sim/signatures.tsv --extracted out/signatures.tsv --truth-exposures sim/exposures.tsv "
    "--exposures out/exposures.tsv --json"))
@click.option("--truth", required=True, type=click.Path(dir_okay=False), help="True signatures table.")
@click.option("--extracted", required=True, type=click.Path(dir_okay=False), help="Extracted signatures table.")
@click.option("--truth-exposures", type=click.Path(dir_okay=False), help="True exposures (either orientation).")
@click.option("--exposures", type=click.Path(dir_okay=False), help="Extracted exposures (exposures.tsv).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def evaluate(truth, extracted, truth_exposures, exposures, as_json):
    """Score extracted signatures against the truth (TP, FP, FN, PPV, TPR, F1, composite)."""
    from .io.channels import channel_set_of_table
    from .io.tables import read_exposures, read_signatures
    from .reference.scoring import score_exposures, score_signatures

    if (truth_exposures is None) != (exposures is None):
        raise InputError("--truth-exposures and --exposures go together: give both to score exposures, or neither")
    true_sigs, found_sigs = read_signatures(truth), read_signatures(extracted)
    if list(true_sigs.index) != list(found_sigs.index):
        raise InputError(f"{extracted}: {channel_set_of_table(found_sigs).title} signatures, but the truth {truth} "
                         f"holds {channel_set_of_table(true_sigs).title} signatures; compare signatures of one kind")
    score = score_signatures(true_sigs, found_sigs)
    if truth_exposures and exposures:
        found_expo = read_exposures(exposures, list(found_sigs.columns))
        true_expo = read_exposures(truth_exposures, list(true_sigs.columns), list(found_expo.index))
        score = score_exposures(score, true_expo, found_expo)
    if as_json:
        click.echo(json.dumps(score.to_dict(), indent=2))
        return
    rows = [("TP", score.tp), ("FP", score.fp), ("FN", score.fn), ("PPV", f"{score.ppv:.3f}"),
            ("TPR", f"{score.tpr:.3f}"), ("F1", f"{score.f1:.3f}"), ("mean cosine", f"{score.mean_cosine:.3f}"),
            ("composite", f"{score.composite:.3f}")]
    if score.exposure_pearson is not None:
        rows += [("exposure Pearson r", f"{score.exposure_pearson:.3f}"),
                 ("exposure MAE/total", f"{score.exposure_mae:.4f}")]
    for name, value in rows:
        click.echo(f"{name:<20}{value}")
    for true_name, found_name, cosine in score.matches:
        click.echo(f"  {true_name:<10} = {found_name:<10} cosine {cosine:.3f}")


@cli.command(short_help="Draw signatures, a catalog, exposures, fits or the choice of K.", epilog=_examples(
    "unfoldnmf plot out/signatures.tsv -o signatures.png",
    "unfoldnmf plot catalog.tsv -o profiles.pdf        # the first 20 samples' mutation profiles",
    "unfoldnmf plot catalog.tsv --signatures out/signatures.tsv --exposures out/exposures.tsv -o fits.png",
    "unfoldnmf plot out/signatures.tsv --kind decomposition -o cosmic.png"))
@click.argument("table", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Figure file: .png, .pdf or .svg.")
@click.option("--kind", type=click.Choice(PLOT_KINDS),
              help="What to draw (default: told from TABLE's content; reconstruction with --signatures/--exposures).")
@click.option("--signatures", "signature_file", type=click.Path(dir_okay=False),
              help="With a catalog TABLE and --exposures: draw its worst-fitted samples against W·h.")
@click.option("--exposures", "exposure_file", type=click.Path(dir_okay=False),
              help="Exposures of the catalog's samples on --signatures.")
@click.option("--reference", type=click.Path(dir_okay=False),
              help="For --kind decomposition: reference signatures (default: packaged COSMIC v3.4 of TABLE's kind).")
@click.option("--label", "labels", multiple=True, metavar="NAME=TEXT",
              help="Extra title text for one signature, e.g. SBS96A='SBS1 (0.98)'.")
def plot(table, output, kind, signature_file, exposure_file, reference, labels):
    """Draw TABLE to a PNG, PDF or SVG file: signature panels, a catalog's per-sample profiles (its
    first 20 samples), stacked exposures or the choice of K, as the table's content says; a
    catalog's reconstruction (the 10 samples --signatures and --exposures explain worst, observed
    against reconstructed); or signatures beside the reference mixes that explain them
    (--kind decomposition)."""
    from .io.tables import read_catalog, read_exposures, read_selection, read_signatures, table_kind
    from .report.figures import (
        catalog_figure,
        exposure_figure,
        plot_format,
        require_matplotlib,
        save_figure,
        selection_figure,
        signature_figure,
    )

    plot_format(output)
    require_matplotlib()
    kind = kind or ("reconstruction" if signature_file or exposure_file else table_kind(table))
    paired = bool(signature_file and exposure_file)
    if (kind == "reconstruction" and not paired) or (kind != "reconstruction" and (signature_file or exposure_file)):
        raise InputError("--signatures and --exposures go together, with a catalog TABLE, for --kind reconstruction")
    if reference is not None and kind != "decomposition":
        raise InputError("--reference is for --kind decomposition")
    if kind == "catalog":
        catalog = read_catalog(table)
        if catalog.shape[1] > 20:
            logging.getLogger("unfoldnmf").info("%s: %d samples; the first 20 are drawn", table, catalog.shape[1])
        figure = catalog_figure(catalog)
    elif kind == "reconstruction":
        figure = _reconstruction(read_catalog(table), read_signatures(signature_file), exposure_file)
    elif kind in ("signatures", "decomposition"):
        try:
            signatures = read_signatures(table)
        except InputError as exc:
            raise InputError(f"{exc} (to plot exposures.tsv or selection.tsv, add --kind)") from None
        figure = (signature_figure(signatures, dict(_split_label(text) for text in labels)) if kind == "signatures"
                  else _decomposition(signatures, reference))
    elif kind == "exposures":
        figure = exposure_figure(read_exposures(table))
    else:
        figure = selection_figure(read_selection(table))
    save_figure(figure, output)


def _reconstruction(catalog, signatures, exposure_file):
    """The reconstruction figure of a catalog's samples, refusing tables that do not belong together."""
    from .io.tables import read_exposures
    from .report.figures import reconstruction_figure
    from .run import same_channels

    signatures = same_channels(signatures, catalog, "--signatures")
    exposures = read_exposures(exposure_file, list(signatures.columns))
    missing = [str(s) for s in exposures.index if s not in set(map(str, catalog.columns))]
    if missing:
        raise InputError(f"{exposure_file}: sample(s) {', '.join(missing[:5])} are not in the catalog")
    catalog = catalog.set_axis([str(c) for c in catalog.columns], axis=1)
    return reconstruction_figure(catalog, signatures, exposures.set_axis([str(s) for s in exposures.index]))


def _decomposition(signatures, reference_file):
    """Each signature beside its mix of reference signatures (packaged COSMIC v3.4 by default)."""
    from .io.channels import channel_set_of_table
    from .reference.assign import assign_signatures
    from .reference.cosmic import reference_signatures
    from .report.figures import decomposition_figure
    channels = channel_set_of_table(signatures)
    reference = reference_signatures(reference_file, channels)
    if list(reference.index) != list(signatures.index):
        raise InputError(f"--reference has {channel_set_of_table(reference).title} channels but the signatures have "
                         f"{channels.title} channels")
    assignment = assign_signatures(signatures, reference)
    return decomposition_figure(signatures, assignment.mixes(reference, signatures.index), assignment.mix_labels())


def _split_label(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise InputError(f"--label {text!r}: expected NAME=TEXT, e.g. SBS96A='SBS1 (0.98)'")
    name, label = text.split("=", 1)
    return name.strip(), label.strip()


@cli.command(short_help="Simulate a catalog with known signatures and exposures.", epilog=_examples(
    "unfoldnmf simulate --cosmic SBS1,SBS5,SBS13 --samples 200 --seed 1 -o sim",
    "unfoldnmf simulate --signatures out/signatures.tsv --exposure-model out/exposures.tsv --samples 500 -o like_mine"))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Output directory (catalog.tsv, exposures.tsv, signatures.tsv, run.json).")
@click.option("--signatures", type=click.Path(dir_okay=False), help="Signature table to draw from (channels × K).")
@click.option("--cosmic", metavar="NAMES", help="Draw from these COSMIC v3.4 signatures, e.g. SBS1,SBS5,SBS13.")
@click.option("--samples", required=True, type=click.IntRange(min=1), help="Number of samples.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Random seed; the same seed gives the same cohort.")
@click.option("--median-total", type=click.FloatRange(min=1), default=3000.0, show_default=True,
              help="Median mutations per sample (totals are log-normal).")
@click.option("--total-spread", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Log-scale standard deviation of the totals.")
@click.option("--signatures-per-sample", type=click.FloatRange(min=1), default=2.5, show_default=True,
              help="Mean number of signatures each sample carries.")
@click.option("--exposure-model", default="sparse", show_default=True, metavar="sparse|dense|TABLE",
              help="sparse: a few signatures per sample; dense: all of them; TABLE: an exposures table "
                   "(samples × signatures, e.g. a real cohort's exposures.tsv) whose rows are drawn at random "
                   "(the total options are then unused).")
@_shared.force
def simulate(output, signatures, cosmic, samples, seed, median_total, total_spread, signatures_per_sample,
             exposure_model, force):
    """Simulate a catalog with known exposures: few signatures per sample, heavy-tailed totals, Poisson counts."""
    from . import run
    from .reference.cosmic import parse_names

    _configure_logging(False)
    sigs = run.signature_source(signatures, None if cosmic is None else parse_names(cosmic))
    run.simulate(output, sigs, samples, seed, exposure_model, force=force, median_total=median_total,
                 total_spread=total_spread, signatures_per_sample=signatures_per_sample)
    logging.getLogger("unfoldnmf").info("%d samples simulated; catalog.tsv, exposures.tsv, signatures.tsv and run.json "
                                        "written to %s", samples, output)


@cli.command(short_help="Print a small example catalog to try the other commands on.", epilog=_examples(
    "unfoldnmf example > catalog.tsv && unfoldnmf train catalog.tsv -o out"))
def example() -> None:
    """Print the bundled example catalog (SigProfiler layout) to stdout."""
    sys.stdout.write(resources.files("unfoldnmf").joinpath("data/example_catalog.tsv").read_text(encoding="utf-8"))


def main() -> None:
    """Entry point of the ``unfoldnmf`` console script."""
    cli(prog_name="unfoldnmf")
