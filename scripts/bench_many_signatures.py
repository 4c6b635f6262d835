"""De novo extraction on cohorts with many signatures (issue 18): 20–40 signatures, rare and similar ones.

Each cohort is simulated from the bundled COSMIC v3.4 SBS-96 reference (GRCh37, the possible
sequencing artefacts left out), harder than the shared SynSig sets:
- K signatures drawn at random (seeded), among them ``--similar-pairs`` pairs whose cosine lies in
  0.8–0.9; no two chosen signatures closer than 0.9 (the scoring's TP threshold);
- prevalence: SBS1 and SBS5 (clock-like) in 90 % of samples; ``--rare`` signatures in 2–10 % of
  samples; the others in 10–40 %;
- each sample carries the signatures its prevalences draw (at least one), with log-normal weights
  (log-sd 1: uneven, as real exposures are) and a log-normal total (median ``--median-total``,
  log-sd 0.8); counts are Poisson around W·h.
Every cohort is run through the real command (``python -m unfoldnmf train``, K from 1 to ``--k-max``)
and scored exactly as ../shared/BENCHMARK.md: K chosen, TP / FP / FN, composite, and the true
signatures carrying ≥ 2 % of the cohort's mutations that no extracted signature matches.

    python scripts/bench_many_signatures.py                        # K 20, 30, 40; seeds 1, 2
    python scripts/bench_many_signatures.py --ks 30 --seeds 1 --oracle   # and the true K given
    python scripts/bench_many_signatures.py --set extraction.min_gain=2 --baseline HEAD~3
    python scripts/bench_many_signatures.py --generator dense --ks 20 --seeds 1 --stages   # held out: another shape
    python scripts/bench_many_signatures.py --ks 40 30 20 --seeds 1 2 3 4 5 6 7 8 --markdown   # docs/benchmarks.md
    python scripts/bench_many_signatures.py --generator dense --ks 20 --seeds 1 --oracle --spe-python PY   # beside SPE

With ``--spe-python`` (a venv made by ``scripts/spe/setup.sh``) SigProfilerExtractor 1.4.1 runs on each cohort
too, at its defaults but for the K range (the true K, or within ``--spe-margin`` of it: its own K scan at 100
replicates per K takes hours on 2 cores) and ``--spe-replicates`` NMF replicates; its random seeds are its own.

``--generator`` picks the cohorts' shape: ``sparse`` (this file's, the one the defaults were tuned on), or
``dense`` and ``mixed`` (``extraction_cohorts.py``; not tuned on). ``--stages`` also runs each stage of the K
choice and the refinement switched off, and plain KL-NMF given the true K (no refinement), beside the defaults.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from baseline import worktree  # scripts/baseline.py
from bench_synsig import STAGES_OFF, TrainFailed, train_and_score  # scripts/bench_synsig.py
from extraction_cohorts import CLOCK_LIKE, choose_signatures, dense, mixed  # scripts/extraction_cohorts.py
from markdown_tables import markdown_table  # scripts/markdown_tables.py

from unfoldnmf.io.tables import read_signatures
from unfoldnmf.io.writing import to_text
from unfoldnmf.reference.classes import SIGNATURE_CLASSES
from unfoldnmf.reference.cosmic import cosmic_signatures
from unfoldnmf.reference.scoring import Score, score_signatures

RARE = (0.02, 0.10)  #: share of samples carrying a rare signature
COMMON = (0.10, 0.40)  #: share of samples carrying any other signature
MAJOR_SHARE = 0.02  #: a true signature with this share of the mutations must be found


def simulate(k: int, samples: int, similar_pairs: int, rare: int, median_total: float,
             seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """(catalog 96 × samples of Poisson counts, true signatures 96 × K, each one's share of the
    mutations) of one cohort."""
    rng = np.random.default_rng([seed, k])
    reference = cosmic_signatures()
    reference = reference.drop(columns=[name for name in SIGNATURE_CLASSES["artefact"] if name in reference.columns])
    names = choose_signatures(reference, k, similar_pairs, rng)
    signatures = reference[names]
    others = [name for name in names if name not in CLOCK_LIKE]
    rare_names = set(rng.choice(others, size=min(rare, len(others)), replace=False))
    prevalence = np.array([0.9 if name in CLOCK_LIKE else rng.uniform(*(RARE if name in rare_names else COMMON))
                           for name in names])
    present = rng.random((samples, k)) < prevalence
    empty = ~present.any(axis=1)
    present[empty, rng.integers(k, size=int(empty.sum()))] = True
    weights = present * rng.lognormal(0.0, 1.0, size=(samples, k))
    totals = rng.lognormal(np.log(median_total), 0.8, size=samples)
    exposures = weights / weights.sum(axis=1, keepdims=True) * totals[:, None]
    counts = rng.poisson(signatures.to_numpy() @ exposures.T)
    catalog = pd.DataFrame(counts, index=signatures.index, columns=[f"s{i + 1}" for i in range(samples)])
    shares = pd.Series(exposures.sum(axis=0) / exposures.sum(), index=names)
    return catalog, signatures, shares


def row(k: int, seed: int, code: str, given: str, found: pd.DataFrame, score: Score, major: set[str],
        wall: float) -> dict:
    """One cohort's result as a table row: K chosen, TP / FP / FN, composite, the major signatures missed."""
    missed = sorted(major - {match[0] for match in score.matches})
    return {"true K": k, "seed": seed, "code": code, "K given": given, "K chosen": found.shape[1],
            "TP / FP / FN": f"{score.tp} / {score.fp} / {score.fn}", "composite": score.composite,
            f"missed (≥ {MAJOR_SHARE:.0%})": ", ".join(missed) or "–", "wall s": round(wall)}


def markdown_row(values: dict) -> str:
    """The progress line of one row (composite to three decimals)."""
    cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in values.values()]
    return "| " + " | ".join(cells) + " |"


def spe_signatures(args: argparse.Namespace, catalog: Path, output: Path,
                   k_values: range) -> tuple[pd.DataFrame, float]:
    """SigProfilerExtractor's suggested signatures for ``catalog`` over ``k_values`` (through its driver, in a
    process of its own) and the wall seconds it took."""
    start = time.perf_counter()
    done = subprocess.run([args.spe_python, args.spe_driver, str(catalog), str(output), str(k_values[0]),
                           str(k_values[-1]), str(args.spe_replicates)], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"SigProfilerExtractor failed: {done.stderr.strip()[-2000:]}")
    return read_signatures(done.stdout.strip().splitlines()[-1]), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ks", type=int, nargs="+", default=[20, 30, 40], help="true numbers of signatures")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--samples", type=int, default=600)
    parser.add_argument("--similar-pairs", type=int, default=3)
    parser.add_argument("--rare", type=int, default=5, help="signatures present in only 2-10 %% of samples")
    parser.add_argument("--median-total", type=float, default=3000.0)
    parser.add_argument("--k-max", type=int, default=45)
    parser.add_argument("--oracle", action="store_true", help="also run with the true K given")
    parser.add_argument("--generator", choices=["sparse", "dense", "mixed"], default="sparse",
                        help="the cohorts' shape (mixed: eight tumour types; --ks is then ignored)")
    parser.add_argument("--stages", action="store_true",
                        help="also run each stage switched off, and KL-NMF given the true K")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--baseline", metavar="REV", help="also run the code of this git revision, beside each run")
    parser.add_argument("--spe-python", help="python of a venv with SigProfilerExtractor (scripts/spe/setup.sh): "
                             "also run it on each cohort")
    parser.add_argument("--spe-driver", default=str(Path(__file__).resolve().parent / "spe" / "run_spe.py"),
                        help="its driver script (CATALOG OUTDIR K_MIN K_MAX REPLICATES -> prints the signatures' path)")
    parser.add_argument("--spe-margin", type=int, default=0,
                        help="SigProfilerExtractor tries K within this many of the true K (its K scan is slow)")
    parser.add_argument("--spe-replicates", type=int, default=10, help="its NMF replicates per K (its default: 100)")
    parser.add_argument("--markdown", action="store_true",
                        help="also print the table(s) as Markdown with a provenance caption (docs/benchmarks.md)")
    args = parser.parse_args()

    print(f"| true K | seed | code | K given | K chosen | TP / FP / FN | composite | missed (≥ {MAJOR_SHARE:.0%} of "
          f"mutations) | wall s |\n|---|---|---|---|---|---|---|---|---|", flush=True)
    composites: dict[str, list[float]] = {}
    rows = []
    with tempfile.TemporaryDirectory() as tmp, worktree(args.baseline) as baseline:
        codes = {"current": None, **({args.baseline: baseline} if baseline else {})}
        for k in args.ks if args.generator != "mixed" else [0]:
            for seed in args.seeds:
                work = Path(tmp) / f"K{k}.seed{seed}"
                work.mkdir()
                if args.generator == "sparse":
                    catalog, truth, shares = simulate(k, args.samples, args.similar_pairs, args.rare,
                                                      args.median_total, seed)
                elif args.generator == "dense":
                    catalog, truth, shares = dense(k, args.samples, args.median_total, seed)
                else:
                    catalog, truth, shares = mixed(args.samples, args.median_total, seed)
                k = truth.shape[1]
                path = work / "catalog.tsv"
                path.write_text(to_text(catalog, "MutationType", "%d"))
                major = set(shares.index[shares >= MAJOR_SHARE])
                scan = ["--k-min", "1", "--k-max", str(args.k_max)]
                runs = [("auto", scan)]
                runs += [(str(k), ["--k", str(k)])] if args.oracle else []
                if args.stages:
                    runs += [(f"auto, {name}", [*scan, *(f"--set={o}" for o in sets)])
                             for name, sets in STAGES_OFF.items()]
                    runs += [(f"{k}, KL-NMF", ["--k", str(k), "--set=extraction.refine_gains=[]"])]
                if args.spe_python:
                    k_values = range(max(1, k - args.spe_margin), k + args.spe_margin + 1)
                    given = (f"{k_values[0]}–{k_values[-1]}" if len(k_values) > 1 else str(k)) + \
                        f", SigProfilerExtractor ({args.spe_replicates} replicates)"
                    found, wall = spe_signatures(args, path, work / "out.spe", k_values)
                    score = score_signatures(truth, found)
                    rows.append(row(k, seed, "SigProfilerExtractor", given, found, score, major, wall))
                    composites.setdefault(f"K {given}", []).append(score.composite)
                    print(markdown_row(rows[-1]), flush=True)
                for given, options in runs:
                    for label, code in codes.items():
                        out = work / f"out.{label}.{given}"
                        extra = [*options, "--no-plots", *(f"--set={o}" for o in args.overrides)]
                        try:
                            score, found, wall, _, _ = train_and_score(path, out, extra, truth, code)
                        except TrainFailed as failed:
                            print(f"| {k} | {seed} | {label} | {given} | train failed ({failed}) | | | | |")
                            continue
                        composites.setdefault(f"{label}, K {given}", []).append(score.composite)
                        rows.append(row(k, seed, label, given, found, score, major, wall))
                        print(markdown_row(rows[-1]), flush=True)
    for name, values in composites.items():
        print(f"{name}: mean composite {np.mean(values):.3f}, worst {np.min(values):.3f} over {len(values)} cohorts")
    if args.markdown and rows:
        table = pd.DataFrame(rows).sort_values(["true K", "seed"], kind="stable")
        table = table.drop(columns=[c for c, keep in (("code", args.baseline),
                                                      ("K given", args.oracle or args.stages or args.spe_python))
                                    if not keep])
        print(markdown_table(table, f"Cohorts of {', '.join(map(str, sorted(set(table['true K']))))} signatures, "
                                    f"{args.generator} generator"))


if __name__ == "__main__":
    main()
