"""Prediction speed of the supervised network (issue 12's goal: 10⁵ samples/s), network alone and
gated (``fit --model``: the network, then the gate's Poisson fit).

A network is trained as ``train CATALOG --mode supervised --signatures COSMIC`` trains it, on one
SynSig cohort drawn at 2 000 mutations (``bench_refit.cohort``), and, for comparison, the same network
on all the reference signatures (the design before 2026-12-03: trained on the same first-pass cohort,
the other signatures' exposures zero). Both then predict the cohort's samples drawn at 100, 2 000
and 50 000 mutations, tiled to ``--samples`` columns; best of ``--repeats`` wall-clock runs.

    python scripts/bench_network_speed.py [--dataset syn.pancreas] [--samples 10000] [--dtype float32]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from unfoldnmf.config import load_config  # noqa: E402
from unfoldnmf.exposures.learned import first_pass_cohort, gated_predictions, model_gate  # noqa: E402
from unfoldnmf.network.supervised import predict_exposures, train_supervised  # noqa: E402
from unfoldnmf.reference.cosmic import cosmic_signatures  # noqa: E402
from bench_refit import cohort  # noqa: E402
from markdown_tables import markdown_table  # noqa: E402


def best_rate(task, samples: int, repeats: int) -> float:
    """Samples per second of the fastest of ``repeats`` runs of ``task``."""
    fastest = np.inf
    for _ in range(repeats):
        tick = time.perf_counter()
        task()
        fastest = min(fastest, time.perf_counter() - tick)
    return samples / fastest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/synsig")
    parser.add_argument("--dataset", default="syn.pancreas")
    parser.add_argument("--samples", type=int, default=10000, help="columns predicted per run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--markdown", action="store_true",
                        help="also print the table(s) as Markdown with a provenance caption (docs/benchmarks.md)")
    args = parser.parse_args()
    config = load_config(None, [{"device": args.device, "dtype": args.dtype}])
    device, dtype = torch.device(args.device), getattr(torch, args.dtype)
    reference = cosmic_signatures()
    folder = args.data / f"{args.dataset}.sp"
    training, _ = cohort(folder, 2000, 10 ** 6, 0)
    drawn = pd.concat([cohort(folder, depth, 10 ** 6, 1)[0] for depth in (100, 2000, 50000)], axis=1)
    tiles = -(-args.samples // drawn.shape[1])
    catalog = pd.concat([drawn] * tiles, axis=1).iloc[:, :args.samples]
    catalog.columns = [f"s{i}" for i in range(catalog.shape[1])]
    cohort_signatures, table, truth, _ = first_pass_cohort(reference, training, config)
    variants = {"cohort's signatures (default)": (cohort_signatures, truth),
                "all reference signatures": (reference, truth.reindex(columns=reference.columns, fill_value=0.0))}
    print(f"{args.dataset}: trained on {training.shape[1]} samples at 2 000 mutations; {catalog.shape[1]} samples "
          f"predicted, {args.dtype} on {args.device}, {torch.get_num_threads()} threads, best of {args.repeats}\n")
    print(f"{'network':<32} {'K':>3} {'best epoch':>10} {'network spl/s':>14} {'gated spl/s':>12}")
    rows = []
    for name, (signatures, exposures) in variants.items():
        fit = train_supervised(signatures, config, table, exposures)
        gate = model_gate(signatures.to_numpy(), asdict(config.network))
        counts = catalog.loc[signatures.index]
        names = list(signatures.columns)
        alone = best_rate(lambda: predict_exposures(fit.network, counts, names, device, dtype), catalog.shape[1],
                          args.repeats)
        gated = best_rate(lambda: gated_predictions(fit.network, counts, names, device, dtype, gate), catalog.shape[1],
                          args.repeats)
        print(f"{name:<32} {signatures.shape[1]:>3} {fit.info['best_epoch']:>10} {alone:>14.0f} {gated:>12.0f}")
        rows.append({"network": name, "signatures": signatures.shape[1], "best epoch": fit.info["best_epoch"],
                     "network alone, samples / s": round(alone), "gated, samples / s": round(gated)})
    if args.markdown:
        print(markdown_table(pd.DataFrame(rows), f"{args.dataset}: exposure prediction, {catalog.shape[1]} samples, "
                                                 f"{args.dtype} on {args.device}, best of {args.repeats}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
