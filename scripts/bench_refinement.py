"""How far the sparse refinement's rounds pull a flat signature, for several lists of round gains.

Cohorts of three flat, similar signatures (SBS3, SBS5, SBS40a; SBS5 small in every sample, as in
syn.3.5.40.abst), Poisson counts; the refinement starts from the true signatures with SBS5 blurred
(0.8 SBS5 + 0.1 SBS3 + 0.1 SBS40a), as an NMF solution gives it. Prints, per seed, each signature's
cosine to the truth after the refinement with each list of gains (``extraction.refine_gains``):

    python scripts/bench_refinement.py [--seeds 1 2 3 4 5 6] [--gains 25,25 25,12 25,12,12 25,25,25] [--markdown]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import torch

from unfoldnmf.config import load_config
from unfoldnmf.extraction.refinement import refine_signatures
from unfoldnmf.nmf.scores import cosine_matrix
from unfoldnmf.reference.cosmic import cosmic_signatures

from markdown_tables import markdown_table

NAMES = ["SBS3", "SBS5", "SBS40a"]
#: median weight of each signature in a sample before normalising (SBS5 about a tenth of the mutations)
WEIGHTS = np.array([1.0, 0.2, 1.0])


def flat_cohort(signatures: np.ndarray, samples: int, median_total: float, seed: int) -> np.ndarray:
    """Counts (96 × samples) of the three signatures, every sample carrying all three."""
    rng = np.random.default_rng(seed)
    weights = WEIGHTS * rng.lognormal(0.0, 0.7, size=(samples, len(NAMES)))
    totals = rng.lognormal(np.log(median_total), 0.4, size=samples)
    exposures = weights / weights.sum(axis=1, keepdims=True) * totals[:, None]
    return rng.poisson(signatures @ exposures.T).astype(float)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6])
    parser.add_argument("--gains", nargs="+", default=["25,25", "25,12", "25,12,12", "25,25,25"],
                        help="comma-separated gains, one list per column")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--median-total", type=float, default=8000.0)
    parser.add_argument("--markdown", action="store_true",
                        help="also print the table as Markdown with its provenance caption (docs/benchmarks.md)")
    args = parser.parse_args()

    truth = cosmic_signatures(NAMES).to_numpy()
    start = truth.copy()
    start[:, 1] = 0.8 * truth[:, 1] + 0.1 * truth[:, 0] + 0.1 * truth[:, 2]
    lists = [[float(g) for g in text.split(",")] for text in args.gains]
    print("cosine to the truth after refinement: " + " / ".join(NAMES))
    print("| seed | " + " | ".join(f"gains {text}" for text in args.gains) + " |")
    print("|---|" + "---|" * len(lists))
    sums = np.zeros((len(lists), len(NAMES)))
    rows = []
    for seed in args.seeds:
        counts = flat_cohort(truth, args.samples, args.median_total, seed)
        cells = []
        for index, gains in enumerate(lists):
            config = load_config(None, [{"extraction": {"refine_gains": gains}}])
            refined = refine_signatures(start, counts, config, torch.device("cpu"))
            cosines = np.diag(cosine_matrix(refined, truth))
            sums[index] += cosines
            cells.append(" / ".join(f"{c:.4f}" for c in cosines))
        print(f"| {seed} | " + " | ".join(cells) + " |", flush=True)
        rows.append([seed, *cells])
    means = [" / ".join(f"{c:.4f}" for c in row / len(args.seeds)) for row in sums]
    print("| mean | " + " | ".join(means) + " |")
    if args.markdown:
        table = pd.DataFrame([*rows, ["mean", *means]], columns=["seed", *(f"gains {text}" for text in args.gains)])
        print(markdown_table(table, "Cosine to the truth after refinement: " + " / ".join(NAMES)))


if __name__ == "__main__":
    main()
