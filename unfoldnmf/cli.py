"""The ``unfoldnmf`` command line: a thin shell over the Python API."""

from __future__ import annotations

import json
import logging
import sys
from importlib import resources

import click

from . import __version__
from .config import load_config, parse_override
from .errors import UnfoldNMFError
from .evaluate import score_exposures, score_signatures
from .tables import read_exposures, read_signatures
from .fit import fit as run_fit
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


def _configure_logging(quiet: bool) -> None:
    logger = logging.getLogger("unfoldnmf")
    logger.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("unfoldnmf: %(levelname)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.ERROR if quiet else logging.INFO)
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
@click.option("--mode", type=click.Choice(["unsupervised", "supervised"]),
              help="unsupervised: extract de novo; supervised: train a network on --signatures.")
@click.option("--signatures", type=click.Path(dir_okay=False), help="Supervised: the signatures (96 × K) to fit.")
@click.option("--exposures", type=click.Path(dir_okay=False),
              help="Supervised: true exposures of CATALOG (samples × signatures or transposed); else a simulated cohort.")
@click.option("--k", type=click.IntRange(min=1), help="Fix the number of signatures.")
@click.option("--k-min", type=click.IntRange(min=1), help="Smallest K to try.")
@click.option("--k-max", type=click.IntRange(min=1), help="Largest K to try.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="Where to compute.")
@click.option("--seed", type=int, help="Random seed; the same seed gives the same result.")
@click.option("--force", is_flag=True, help="Overwrite an existing output directory.")
@click.option("--resume", is_flag=True, help="Reuse the K values an interrupted run finished.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr; no progress bars.")
def train(catalog, output, config_file, overrides, mode, signatures, exposures, k, k_min, k_max, device, seed, force,
          resume, quiet):
    """Extract signatures and exposures from CATALOG (SigProfiler or SynSig layout, - for stdin),
    or with --mode supervised train a network that fits --signatures (writes model.pt)."""
    _configure_logging(quiet)
    flags = {"extraction": {key: value for key, value in (("k", k), ("k_min", k_min), ("k_max", k_max)) if value is not None}}
    flags.update({key: value for key, value in (("device", device), ("seed", seed), ("mode", mode)) if value is not None})
    config = load_config(config_file, [parse_override(text) for text in overrides] + [flags])
    result = run_train(catalog, output, config, force=force, resume=resume, progress=not quiet,
                       signatures=signatures, exposures=exposures)
    if output != "-" and config.mode == "unsupervised":
        logging.getLogger("unfoldnmf").info("K=%d chosen; tables written to %s", result.selection.k, output)
    elif output != "-":
        logging.getLogger("unfoldnmf").info("network trained; model.pt and exposures.tsv written to %s", output)


@cli.command()
@click.argument("catalog", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, allow_dash=True),
              help="Output directory, or - to stream the exposures table to stdout.")
@click.option("--model", type=click.Path(dir_okay=False), help="A model.pt written by train --mode supervised.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="YAML config (default: embedded).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override one config key, e.g. dtype=float64.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="Where to compute.")
@click.option("--force", is_flag=True, help="Overwrite an existing output directory.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
def fit(catalog, output, model, config_file, overrides, device, force, quiet):
    """Fit exposures of CATALOG's samples to known signatures: with --model, one pass of a trained network."""
    _configure_logging(quiet)
    if model is None:
        raise click.UsageError("give the signatures to fit: --model MODEL.pt")
    flags = {"device": device} if device is not None else {}
    config = load_config(config_file, [parse_override(text) for text in overrides] + [flags])
    run_fit(catalog, output, model, config, force=force)
    if output != "-":
        logging.getLogger("unfoldnmf").info("exposures written to %s", output)


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
