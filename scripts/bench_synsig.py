"""Accuracy and cost of the default `unfoldnmf train` on the SynSig benchmark datasets.

Runs the real command (`python -m unfoldnmf train`) on each dataset in ../shared/data/synsig, on the
published (noise-free) catalog and on a Poisson-resampled copy (fixed seed), and scores the result
exactly as ../shared/BENCHMARK.md. Prints one row per run: true K, chosen K, TP, FP, FN, composite,
the composite of the chosen K's NMF solution before the sparse refinement (``solutions/K*/``),
the largest K computed, and wall time, CPU time and peak memory of the train process.
With ``--baseline REV`` every run is repeated with the code of git revision REV (checked out in a
temporary worktree), row beside row, so that before and after are measured on the same machine
in the same hour.

    python scripts/bench_synsig.py                       # all datasets, noisy and clean, K 1..30
    python scripts/bench_synsig.py --oracle              # K fixed to the truth
    python scripts/bench_synsig.py --data syn.pancreas.sp --noise noisy --set extraction.replicates=10
    python scripts/bench_synsig.py --noise noisy --baseline 25d64f4
    python scripts/bench_synsig.py --noise noisy --markdown  # the table of docs/benchmarks.md
    python scripts/bench_synsig.py --data syn.pancreas.sp --stages   # each stage off, and KL-NMF at the true K
    python scripts/bench_synsig.py --seeds 0 1 2 3 4     # does the chosen K depend on the seed?
    python scripts/bench_synsig.py --data syn.many.types.sp --timing   # seconds per stage, from run.json

``--stages`` also runs each stage of the K choice and the refinement switched off, and plain KL-NMF given the
true K (no refinement), beside the defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from baseline import worktree  # scripts/baseline.py

from markdown_tables import markdown_table  # scripts/markdown_tables.py

from unfoldnmf.io.tables import read_catalog, read_signatures
from unfoldnmf.io.writing import to_text
from unfoldnmf.reference.scoring import Score, score_signatures

ROOT = Path(__file__).resolve().parent.parent
SYNSIG = ROOT.parent / "shared" / "data" / "synsig"
#: The stages switched off by ``--stages``, one run each.
STAGES_OFF = {"no held-out test": ["extraction.held_out_z=null"], "no sparse stage": ["extraction.sparse_gain=null"],
              "no refinement": ["extraction.refine_gains=[]"],
              "no density check": ["extraction.sparse_density=null"]}


def noisy_copy(catalog_path: Path, folder: Path, seed: int = 0) -> Path:
    """Write a Poisson-resampled copy of a catalog (each count replaced by a Poisson draw with that mean)."""
    catalog = read_catalog(catalog_path)
    noisy = catalog.copy()
    noisy[:] = np.random.default_rng(seed).poisson(catalog.to_numpy())
    path = folder / "noisy_catalog.tsv"
    path.write_text(to_text(noisy.astype(int), "MutationType", "%d"))
    return path


def major_signatures(folder: Path) -> set[str]:
    """True signatures that carry at least 5 % of the dataset's mutations (exposures: signatures × samples)."""
    table = pd.read_csv(folder / "ground.truth.syn.exposures.csv", index_col=0)
    share = table.sum(axis=1) / table.to_numpy().sum()
    return set(share.index[share >= 0.05])


def run_train(catalog: Path, out: Path, extra: list[str], code: Path | None = None) -> tuple[float, float, float, int]:
    """Run `python -m unfoldnmf train` with the package of ``code`` (default: this checkout), started in
    the output's parent folder so that no other checkout is found first; return (wall seconds, CPU
    seconds, peak RSS in MB, exit code)."""
    command = [sys.executable, "-m", "unfoldnmf", "train", str(catalog), "-o", str(out), "--quiet", *extra]
    env = {**os.environ, "PYTHONPATH": str(code or ROOT)}
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=out.parent)
    _, status, usage = os.wait4(process.pid, 0)
    return (time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
            os.waitstatus_to_exitcode(status))


class TrainFailed(Exception):
    """``train`` exited with a non-zero status (the exception's argument)."""


def train_and_score(catalog: Path, out: Path, extra: list[str], truth: pd.DataFrame,
                    code: Path | None = None) -> tuple[Score, pd.DataFrame, float, float, float]:
    """Run :func:`run_train` and score its signatures against ``truth``: (score, extracted signatures,
    wall seconds, CPU seconds, peak RSS in MB); :class:`TrainFailed` when train fails."""
    wall, cpu, peak, status = run_train(catalog, out, extra, code)
    if status != 0:
        raise TrainFailed(status)
    found = read_signatures(out / "signatures.tsv")
    return score_signatures(truth, found), found, wall, cpu, peak


def k_range(k_values: list[int]) -> str:
    """The K values a run solved, as ``first–last`` (or the one value)."""
    return f"{min(k_values)}–{max(k_values)}" if len(k_values) > 1 else str(k_values[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", nargs="*", help="dataset folder names (default: all)")
    parser.add_argument("--noise", choices=["both", "noisy", "clean"], default="both")
    parser.add_argument("--oracle", action="store_true", help="give the true K")
    parser.add_argument("--k-max", type=int, default=30)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="train's --seed, one run each")
    parser.add_argument("--stages", action="store_true",
                        help="also run each stage switched off, and KL-NMF given the true K")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--baseline", metavar="REV", help="also run the code of this git revision, beside each run")
    parser.add_argument("--timing", action="store_true",
                        help="also print each run's seconds per stage (run.json's seconds_by_stage)")
    parser.add_argument("--markdown", action="store_true",
                        help="also print the table(s) as Markdown with a provenance caption (docs/benchmarks.md)")
    args = parser.parse_args()

    names = args.data or sorted(p.name for p in SYNSIG.iterdir() if p.is_dir())
    print(f"{'dataset':<38}{'noise':<7}{'code':<9}{'trueK':>6}{'K':>4}{'TP':>4}{'FP':>4}{'FN':>4}{'composite':>11}"
          f"{'NMF only':>10}{'max K':>7}{'wall s':>9}{'CPU s':>9}{'peak MB':>9}  missed (>=5% of mutations)")
    composites: dict[tuple[str, str], list[float]] = {}
    unrefined: dict[tuple[str, str], list[float]] = {}
    chosen: dict[tuple[str, str], list[int]] = {}  # K chosen per run, by dataset and noise
    rows, timings = [], []
    with tempfile.TemporaryDirectory() as tmp, worktree(args.baseline) as baseline:
        codes = {"current": None, **({args.baseline: baseline} if baseline else {})}
        for name in names:
            folder = SYNSIG / name
            truth = read_signatures(folder / "ground.truth.syn.sigs.csv")
            major = major_signatures(folder)
            for noise in (["noisy", "clean"] if args.noise == "both" else [args.noise]):
                work = Path(tmp) / f"{name}.{noise}"
                work.mkdir()
                catalog = folder / "ground.truth.syn.catalog.csv"
                if noise == "noisy":
                    catalog = noisy_copy(catalog, work)
                overrides = [f"--set={o}" for o in args.overrides]
                k_true = ["--k", str(truth.shape[1])]
                scan = [*overrides, *(k_true if args.oracle else ["--k-min", "1", "--k-max", str(args.k_max)])]
                runs = {(f", seed {seed}" if args.seeds != [0] else ""): [*scan, "--seed", str(seed)]
                        for seed in args.seeds}
                seed_runs = set(runs)
                if args.stages:
                    runs |= {f", {stage}": [*scan, *(f"--set={o}" for o in sets)] for stage, sets in STAGES_OFF.items()}
                    runs[", KL-NMF at true K"] = [*overrides, *k_true, "--set=extraction.refine_gains=[]"]
                for (label, code), (run, extra) in ((c, r) for c in codes.items() for r in runs.items()):
                    out = work / f"out.{label}{run.replace(', ', '.').replace(' ', '_')}"
                    label += run
                    try:
                        score, found, wall, cpu, peak = train_and_score(catalog, out, extra, truth, code)
                    except TrainFailed as failed:
                        print(f"{name:<38}{noise:<7}{label:<9} train failed with exit code {failed}")
                        continue
                    nmf = score_signatures(truth, read_signatures(out / "solutions" / f"K{found.shape[1]}" /
                                                                  "signatures.tsv")).composite
                    info = json.loads((out / "run.json").read_text())
                    max_k = max(info["k_values"])
                    composites.setdefault((noise, label), []).append(score.composite)
                    if run in seed_runs and code is None:
                        chosen.setdefault((name, noise), []).append(found.shape[1])
                    unrefined.setdefault((noise, label), []).append(nmf)
                    print(f"{name:<38}{noise:<7}{label:<9}{truth.shape[1]:>6}{found.shape[1]:>4}"
                          f"{score.tp:>4}{score.fp:>4}{score.fn:>4}{score.composite:>11.3f}{nmf:>10.3f}"
                          f"{max_k:>7}{wall:>9.1f}{cpu:>9.1f}{peak:>9.0f}  "
                          f"{','.join(sorted(major - {m[0] for m in score.matches})) or '-'}", flush=True)
                    rows.append({"dataset": name, "noise": noise, "code": label, "true K": truth.shape[1],
                                 "K chosen": found.shape[1], "TP / FP / FN": f"{score.tp} / {score.fp} / {score.fn}",
                                 "composite (NMF only)": f"{score.composite:.3f} ({nmf:.3f})",
                                 "wall s": round(wall)})
                    timings.append({"dataset": name, "noise": noise, "run": label, "K solved": k_range(info["k_values"]),
                                    **{stage: round(seconds) for stage, seconds in info["seconds_by_stage"].items()},
                                    "total (wall)": round(wall)})
    if len(args.seeds) > 1:
        for (name, noise), ks in chosen.items():
            print(f"{name} {noise}: K {' / '.join(map(str, ks))} at seeds {' / '.join(map(str, args.seeds))}")
    for (noise, label), values in composites.items():
        print(f"{noise} {label}: mean composite {np.mean(values):.3f}, worst {np.min(values):.3f} over {len(values)} "
              f"datasets (NMF solution before the sparse refinement: mean {np.mean(unrefined[noise, label]):.3f}, "
              f"worst {np.min(unrefined[noise, label]):.3f})")
    if args.markdown and rows:
        table = pd.DataFrame(rows)
        if table["code"].nunique() == 1:  # one run per dataset: no label needed
            table = table.drop(columns="code")
        table = table.rename(columns={"code": "run"})
        print(markdown_table(table, "SynSig extraction" + (" (true K given)" if args.oracle else "")))
    if args.timing and timings:
        table = pd.DataFrame(timings).fillna("–")
        if table["run"].nunique() == 1:
            table = table.drop(columns="run")
        print(table.to_string(index=False))
        if args.markdown:
            print(markdown_table(table, "Seconds per stage (run.json's seconds_by_stage)"))


if __name__ == "__main__":
    main()
