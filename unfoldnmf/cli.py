"""The ``unfoldnmf`` command line: a thin shell over the Python API."""

from __future__ import annotations

import json
import logging
import os
import sys
from importlib import resources

import click

from . import __version__, distributed
from .config import load_config, parse_override
from .errors import InputError, UnfoldNMFError
from .evaluate import score_exposures, score_signatures
from .tables import read_exposures, read_signatures
from .train import train as run_train


class _Group(click.Group):
    """Turns this package's errors into one line on stderr and their exit code, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UnfoldNMFError as exc:
            click.echo(f"unfoldnmf: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"unfoldnmf: error: {where}{exc.strerror or exc}", err=True)
            ctx.exit(1)


def _configure_logging(quiet: bool, log_file: str | None = None, rank: int = 0) -> None:
    """Messages to stderr (errors only with ``quiet`` and on ranks other than 0), and every
    message, time-stamped, to ``log_file`` when given."""
    logger = logging.getLogger("unfoldnmf")
    logger.handlers.clear()
    prefix = f"unfoldnmf[rank {rank}]" if rank else "unfoldnmf"
    handler = logging.StreamHandler(sys.stderr)
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


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="unfoldnmf")
def cli() -> None:
    """Extract mutational signatures from SBS-96 catalogs with unfolded NMF."""


@cli.command()
@click.argument("catalog", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, allow_dash=True),
              help="Output directory, or - to stream the exposures table to stdout.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="YAML config (default: embedded).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override one config key, e.g. extraction.replicates=30.")
@click.option("--k", type=click.IntRange(min=1), help="Fix the number of signatures.")
@click.option("--k-min", type=click.IntRange(min=1), help="Smallest K to try.")
@click.option("--k-max", type=click.IntRange(min=1), help="Largest K to try.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="Where to compute.")
@click.option("--seed", type=int, help="Random seed; the same seed gives the same result.")
@click.option("--force", is_flag=True, help="Overwrite an existing output directory.")
@click.option("--resume", is_flag=True, help="Reuse the K values an interrupted run finished.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr; no progress bars.")
@click.option("--log-file", type=click.Path(dir_okay=False), help="Also append every message, time-stamped, to this file.")
def train(catalog, output, config_file, overrides, k, k_min, k_max, device, seed, force, resume, quiet, log_file):
    """Extract signatures and exposures from CATALOG (SigProfiler or SynSig layout, - for stdin).

    Under torchrun (e.g. torchrun --nproc_per_node=4 -m unfoldnmf train ...) the K values are
    shared among the processes and rank 0 writes the same outputs as a single process would.
    """
    _configure_logging(quiet, log_file, int(os.environ.get("RANK", "0") or 0))
    flags = {"extraction": {key: value for key, value in (("k", k), ("k_min", k_min), ("k_max", k_max)) if value is not None}}
    flags.update({key: value for key, value in (("device", device), ("seed", seed)) if value is not None})
    config = load_config(config_file, [parse_override(text) for text in overrides] + [flags])
    distributed.init(config.device)
    try:
        result = run_train(catalog, output, config, force=force, resume=resume, progress=not quiet)
    finally:
        distributed.finish()
    if output != "-":
        logging.getLogger("unfoldnmf").info("K=%d chosen; tables written to %s", result.selection.k, output)


@cli.command()
@click.option("--truth", required=True, type=click.Path(dir_okay=False), help="True signatures table.")
@click.option("--extracted", required=True, type=click.Path(dir_okay=False), help="Extracted signatures table.")
@click.option("--truth-exposures", type=click.Path(dir_okay=False), help="True exposures (either orientation).")
@click.option("--exposures", type=click.Path(dir_okay=False), help="Extracted exposures (exposures.tsv).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def evaluate(truth, extracted, truth_exposures, exposures, as_json):
    """Score extracted signatures against the truth (TP, FP, FN, PPV, TPR, F1, composite)."""
    true_sigs, found_sigs = read_signatures(truth), read_signatures(extracted)
    score = score_signatures(true_sigs, found_sigs)
    if truth_exposures and exposures:
        found_expo = _read_exposure_file(exposures, list(found_sigs.columns))
        true_expo = read_exposures(truth_exposures, list(true_sigs.columns), list(found_expo.index))
        score = score_exposures(score, true_expo, found_expo)
    if as_json:
        click.echo(json.dumps(score.to_dict(), indent=2))
        return
    rows = [("TP", score.tp), ("FP", score.fp), ("FN", score.fn), ("PPV", f"{score.ppv:.3f}"),
            ("TPR", f"{score.tpr:.3f}"), ("F1", f"{score.f1:.3f}"), ("mean cosine", f"{score.mean_cosine:.3f}"),
            ("composite", f"{score.composite:.3f}")]
    if score.exposure_pearson is not None:
        rows += [("exposure Pearson r", f"{score.exposure_pearson:.3f}"), ("exposure MAE/total", f"{score.exposure_mae:.4f}")]
    for name, value in rows:
        click.echo(f"{name:<20}{value}")
    for true_name, found_name, cosine in score.matches:
        click.echo(f"  {true_name:<10} = {found_name:<10} cosine {cosine:.3f}")


def _read_exposure_file(path: str, signatures: list[str]):
    from .tables import read_text, _split_rows  # noqa: PLC0415

    text, name = read_text(path)
    rows = _split_rows(text, name)
    samples = [row[0].strip() for row in rows[1:]]
    return read_exposures(path, signatures, samples)


@cli.command()
def example() -> None:
    """Print the bundled example catalog (SigProfiler layout) to stdout."""
    sys.stdout.write(resources.files("unfoldnmf").joinpath("data/example_catalog.tsv").read_text(encoding="utf-8"))


def main() -> None:
    """Entry point of the ``unfoldnmf`` console script."""
    cli(prog_name="unfoldnmf")
