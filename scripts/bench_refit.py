"""Refit benchmark: exposures of known signatures at 100, 2 000 and 50 000 mutations per sample,
fitted against the whole bundled COSMIC v3.4 reference, scored as in ../shared/BENCHMARK.md.

Protocol (after Medo et al., Nat Commun 2024, on data we have): the true exposure vectors of the
SynSig cohorts (PCAWG-derived signature weights, up to ``--samples`` per cohort) are rescaled to
each depth; a signature expected to give fewer than 10 mutations is set to zero and the rest
rescaled; counts are drawn multinomially from the mix of the cohort's true signatures (their
SigProfiler versions, so SBS22/SBS40 drift from v3.4 as in real use). Every method fits all 86
COSMIC v3.4 SBS signatures. A true SBS22 is matched by SBS22a/b, a true SBS40 by SBS40a/b/c (their
estimates are summed before scoring, and they are no false positives there).

Per sample: TAE = Σ|estimated − true| / (2 · mutations); FP = signatures with any mutations that the
sample lacks; FN = present signatures given none; FP weight = share of mutations on FP signatures.
F1 of presence over all samples. spl/s: samples fitted per second (wall clock, 2 cores shared).
Each cohort is fitted by a call of its own, as a user fits a cohort (the cohort preselection sees
one cohort); ``--pooled`` fits all cohorts of a depth in one call (the protocol before 2026-12-03).

Methods: plain NNLS (the baseline), the sparse refit with a fixed deviance gain of 6 and neither
dispersion scaling nor cohort step (the rule's settings before 2026-11-28), the default
refit (``fit --cosmic``) with and without its background signatures (SBS1, SBS5), without the share gate
of shallow samples (the sparse refit at every depth) and without the cohort composites, the unfolded network trained
as a user trains it (``train CATALOG --mode supervised --signatures COSMIC`` with default settings on each
cohort's catalog, then ``fit --model``; its samples/s include the training) and the same network untrained
(``network.epochs=0``: its MU layers on the cohort's signatures and the gate), and SigProfilerAssignment when
``--spa-python`` names the Python of a venv holding it (``--spa-driver``: its driver, by default
``scripts/spa/run_spa.py``).

    bash scripts/spa/setup.sh /work/spa_venv     # once: SigProfilerAssignment in a venv of its own
    python scripts/bench_refit.py --datasets test [--breakdown] [--spa-python /work/spa_venv/bin/python]

``--datasets tune`` are the SynSig cohorts the defaults were tuned on; ``test`` the others (held out);
``tissue`` eight tumour types simulated from COSMIC v3.4 with signature drift (scripts/tissue_cohorts.py).
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from unfoldnmf.config import RefitConfig, load_config  # noqa: E402
from unfoldnmf.exposures.fit import fit_signatures  # noqa: E402
from unfoldnmf.io.tables import read_exposures, read_signatures  # noqa: E402
from unfoldnmf.io.writing import to_text  # noqa: E402
from unfoldnmf.exposures.learned import gated_predictions, model_gate, train_on_catalog  # noqa: E402
from unfoldnmf.reference.cosmic import cosmic_signatures  # noqa: E402
from tissue_cohorts import TUMOUR_TYPES, tissue_mix  # noqa: E402

DEPTHS = (100, 2000, 50000)
MIN_EXPECTED = 10
SUCCESSORS = {"SBS22": ["SBS22a", "SBS22b"], "SBS40": ["SBS40a", "SBS40b", "SBS40c"]}
TUNE = ("syn.2.7a.7b.abst", "syn.3.5.40.abst", "syn.hyper.low.sa.primary", "syn.pancreas")
TEST = ("syn.2.7a.7b.bladder.and.melanoma", "syn.3.5.40.rcc.and.ovary", "syn.hyper.low.sa.secondary", "syn.many.types")


def at_depth(signatures: pd.DataFrame, weights: pd.DataFrame, depth: int,
             rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(catalog 96 × samples, true exposures samples × signatures) of exposure ``weights`` (samples ×
    the columns of ``signatures``) rescaled to ``depth`` mutations: a signature expected to give fewer
    than ``MIN_EXPECTED`` is set to zero (the largest always stays) and the rest rescaled; counts are
    drawn multinomially."""
    expected = weights.to_numpy() / weights.to_numpy().sum(axis=1, keepdims=True) * depth
    expected[(expected < MIN_EXPECTED) & (expected < expected.max(axis=1, keepdims=True))] = 0
    expected = expected / expected.sum(axis=1, keepdims=True) * depth
    mix = signatures[weights.columns].to_numpy() @ (expected / depth).T
    counts = np.stack([rng.multinomial(depth, column / column.sum()) for column in mix.T], axis=1)
    return (pd.DataFrame(counts.astype(float), index=signatures.index, columns=weights.index),
            pd.DataFrame(expected, index=weights.index, columns=weights.columns))


def cohort(folder: Path, depth: int, samples: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(catalog 96 × n, true exposures n × true signatures) of one SynSig cohort drawn at ``depth``."""
    signatures = read_signatures(folder / "ground.truth.syn.sigs.csv")
    truth = read_exposures(folder / "ground.truth.syn.exposures.csv", list(signatures.columns))
    truth = truth[truth.sum(axis=1) > 0]
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(truth), size=min(samples, len(truth)), replace=False))
    weights = pd.DataFrame(truth.to_numpy()[chosen], index=[f"{folder.name}:{i}" for i in truth.index[chosen]],
                           columns=signatures.columns)
    return at_depth(signatures, weights, depth, rng)


def tissue_cohort(reference: pd.DataFrame, tumour_type: str, depth: int, samples: int,
                  seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same of one simulated tumour type (scripts/tissue_cohorts.py); the same exposure shares at every depth."""
    signatures, weights = tissue_mix(reference, tumour_type, samples, seed)
    return at_depth(signatures, weights, depth,
                    np.random.default_rng([seed, list(TUMOUR_TYPES).index(tumour_type), depth]))


def mapped_estimates(truth: pd.DataFrame, found: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(estimates under the truth's signature names, v3.4 successors summed; estimates of the other
    reference signatures), both with the truth's sample order."""
    groups = {name: [r for r in SUCCESSORS.get(name, [name]) if r in found.columns] for name in truth.columns}
    mapped = pd.DataFrame({name: found[refs].sum(axis=1) for name, refs in groups.items()}, index=found.index)
    claimed = {r for refs in groups.values() for r in refs}
    others = found[[c for c in found.columns if c not in claimed]]
    return mapped.loc[truth.index], others.loc[truth.index]


def score(truth: pd.DataFrame, found: pd.DataFrame) -> dict[str, float]:
    """Per-sample TAE, FP, FN, FP weight (means) and presence F1, truth mapped to v3.4 successors."""
    mapped, others = mapped_estimates(truth, found)
    t, e, extra = truth.to_numpy(), mapped.to_numpy(), others.to_numpy()
    depth = t.sum(axis=1)
    tae = (np.abs(e - t).sum(axis=1) + extra.sum(axis=1)) / (2 * depth)
    fp = ((e > 0) & (t == 0)).sum(axis=1) + (extra > 0).sum(axis=1)
    fn = ((e == 0) & (t > 0)).sum(axis=1)
    tp = ((e > 0) & (t > 0)).sum(axis=1)
    fp_weight = (np.where(t == 0, e, 0).sum(axis=1) + extra.sum(axis=1)) / depth
    precision = tp.sum() / max(tp.sum() + fp.sum(), 1)
    recall = tp.sum() / max(tp.sum() + fn.sum(), 1)
    return {"TAE": tae.mean(), "FP": fp.mean(), "FN": fn.mean(),
            "F1": 2 * precision * recall / max(precision + recall, 1e-12),
            "FP weight": fp_weight.mean()}


def breakdown(truth: pd.DataFrame, found: pd.DataFrame, most: int = 6) -> str:
    """The signatures most often false (given mutations where absent) and missed, with sample counts."""
    mapped, others = mapped_estimates(truth, found)
    false = pd.concat([((mapped > 0) & (truth == 0)).sum(), (others > 0).sum()])
    missed = ((mapped == 0) & (truth > 0)).sum()

    def top(counts: pd.Series) -> str:
        counts = counts[counts > 0].sort_values(ascending=False).head(most)
        return ", ".join(f"{name} {count}" for name, count in counts.items()) or "none"
    return f"false: {top(false)}; missed: {top(missed)}"


def spa_runner(python: str, driver: str):
    """Fit with SigProfilerAssignment through its driver, one process per call."""
    def run(catalog: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "catalog.tsv"
            path.write_text(to_text(catalog.astype(int), "MutationType", "%d"))
            done = subprocess.run([python, driver, str(path), str(Path(folder) / "out")], capture_output=True,
                                  text=True)
            if done.returncode:
                raise RuntimeError(f"SigProfilerAssignment failed: {done.stderr.strip()}")
            table = pd.read_csv(done.stdout.strip(), sep="\t", index_col=0)
        table.index = table.index.astype(str)
        return table.reindex(index=catalog.columns, columns=reference.columns, fill_value=0.0)
    return run


def network_runner(epochs: int | None = None):
    """Train the default network on each cohort's own catalog as ``train CATALOG --mode supervised
    --signatures REF`` does (its first-pass refit redrawn across depths), then predict as ``fit
    --model`` does (gate and Poisson fit included); training and prediction times go to stderr.
    ``epochs`` replaces ``network.epochs`` (0: the untrained network, the classic method it starts as)."""
    import torch  # noqa: PLC0415

    config = load_config(None, [{"device": "cpu"}, {} if epochs is None else {"network": {"epochs": epochs}}])
    dtype = getattr(torch, config.dtype)

    def run(catalog: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
        counts = catalog.loc[reference.index]
        tick = time.perf_counter()
        fit = train_on_catalog(reference, counts, config)
        trained = time.perf_counter()
        gate = model_gate(fit.signatures.to_numpy(), asdict(config.network))
        found = gated_predictions(fit.network, counts, list(fit.signatures.columns), torch.device("cpu"), dtype, gate,
                                  list(reference.columns))
        print(f"    network: {fit.signatures.shape[1]} signatures, trained in {trained - tick:.1f} s "
              f"(best epoch {fit.info['best_epoch']}, held-out loss "
              f"{fit.info['held_out_loss']:.3f}, untrained {fit.info['held_out_loss_untrained']:.3f}); predicted "
              f"{counts.shape[1] / (time.perf_counter() - trained):.0f} samples/s", file=sys.stderr)
        return found
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/synsig")
    parser.add_argument("--datasets", choices=["tune", "test", "all", "tissue"], default="test")
    parser.add_argument("--samples", type=int, default=100, help="samples per cohort")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--depths", type=int, nargs="+", default=list(DEPTHS), help="mutations per sample")
    parser.add_argument("--grid", action="store_true",
                        help="also the refit settings around the default, background gains included (how it was tuned)")
    parser.add_argument("--network", action="store_true",
                        help="also the supervised network (trains first) and the same network untrained")
    parser.add_argument("--pooled", action="store_true", help="fit all cohorts of a depth in one call")
    parser.add_argument("--digits", type=int, default=3, help="decimals of the scores in the table")
    parser.add_argument("--breakdown", action="store_true", help="also the signatures most often false and missed")
    parser.add_argument("--spa-python", help="python of a venv with SigProfilerAssignment")
    parser.add_argument("--spa-driver", default=str(Path(__file__).resolve().parent / "spa" / "run_spa.py"),
                        help="its driver script (CATALOG OUTDIR -> prints the activities table's path)")
    args = parser.parse_args()
    names = {"tune": TUNE, "test": TEST, "all": TUNE + TEST, "tissue": tuple(TUMOUR_TYPES)}[args.datasets]
    reference = cosmic_signatures()
    methods = {
        "NNLS": lambda c, r: fit_signatures(c, r, RefitConfig(method="nnls")),
        "fixed gain 6, no dispersion, no cohort step": lambda c, r: fit_signatures(
            c, r, RefitConfig(min_deviance_gain=6.0, scale_by_dispersion=False, cohort_preselect=False,
                              shallow_gate=0.0, composite_share=0.0)),
        "unfoldnmf fit (default)": lambda c, r: fit_signatures(c, r),
        "default without background": lambda c, r: fit_signatures(c, r, RefitConfig(background=[])),
        "default without the shallow gate": lambda c, r: fit_signatures(c, r, RefitConfig(shallow_gate=0.0)),
        "default without composites": lambda c, r: fit_signatures(c, r, RefitConfig(composite_share=0.0)),
    }
    if args.grid:
        for gain in (0.0, 2.0, 8.0, 10.0, 16.0, 25.0):
            refit = RefitConfig(background_deviance_gain=gain)
            methods[f"background gain {gain:g}"] = lambda c, r, refit=refit: fit_signatures(c, r, refit)
        for gain in (25.0, 100.0, 200.0, float("inf")):
            refit = RefitConfig(addition_deviance_gain=gain)
            methods[f"addition gain {gain:g}"] = lambda c, r, refit=refit: fit_signatures(c, r, refit)
        for gain in (3.0, 6.0, 10.0, 16.0, 25.0):
            for dispersion in (True, False):
                for preselect in (True, False):
                    refit = RefitConfig(min_deviance_gain=gain, scale_by_dispersion=dispersion,
                                        cohort_preselect=preselect)
                    methods[f"gain {gain:g}, dispersion {dispersion:d}, cohort {preselect:d}"] = (
                        lambda c, r, refit=refit: fit_signatures(c, r, refit))
    if args.network:
        methods["unfolded network (train CATALOG, fit --model)"] = network_runner()
        methods["untrained network (network.epochs=0)"] = network_runner(epochs=0)
    if args.spa_python:
        methods["SigProfilerAssignment"] = spa_runner(args.spa_python, args.spa_driver)
    rows, notes = [], []
    for depth in args.depths:
        cohorts = [tissue_cohort(reference, name, depth, args.samples, args.seed) if args.datasets == "tissue"
                   else cohort(args.data / f"{name}.sp", depth, args.samples, args.seed) for name in names]
        catalog = pd.concat([c for c, _ in cohorts], axis=1)
        truth = pd.concat([t for _, t in cohorts]).fillna(0.0)
        for method, run in methods.items():
            tick = time.perf_counter()
            found = run(catalog, reference) if args.pooled else pd.concat([run(c, reference) for c, _ in cohorts])
            seconds = time.perf_counter() - tick
            rows.append({"mutations": depth, "method": method, **score(truth, found),
                         "spl/s": catalog.shape[1] / seconds})
            print(f"  {depth} {method}: {seconds:.1f} s", file=sys.stderr)
            if args.breakdown:
                notes.append(f"{depth} {method}: {breakdown(truth, found)}")
    table = pd.DataFrame(rows)
    print(f"\n{len(names)} cohorts ({args.datasets}: {', '.join(names)}), "
          f"{args.samples} samples each, seed {args.seed}\n")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.{args.digits}f}" if abs(v) < 100 else f"{v:.0f}"))
    if notes:
        print("\nSamples with each false / missed signature (most frequent first):\n" + "\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
