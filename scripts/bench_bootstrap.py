"""Coverage of `fit --bootstrap` intervals on simulated cohorts: how often the 95 % interval holds the
true exposure, by the signature's share of the sample, for the default sparse refit and for NNLS.

Each cohort: 100 samples of 6 COSMIC v3.4 signatures (SBS1, SBS2, SBS5, SBS13, SBS18, SBS40a), 3 per
sample, log-normal totals around the median given; 100 copies, seed 1, SBS1 and SBS5 as background
(as `fit --bootstrap`; tests/test_bootstrap.py's cohort is the first row).

    python scripts/bench_bootstrap.py [--replicates 100] [--markdown]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from unfoldnmf.config import RefitConfig
from unfoldnmf.exposures.bootstrap import bootstrap_exposures
from unfoldnmf.reference.cosmic import cosmic_signatures
from unfoldnmf.reference.simulate import simulate_cohort

from markdown_tables import markdown_table

SIGNATURES = ["SBS1", "SBS2", "SBS5", "SBS13", "SBS18", "SBS40a"]
COHORTS = ((3, 2000), (4, 2000), (5, 500), (6, 20000), (7, 2000), (8, 100))  #: (seed, median mutations)


def coverage(lower: np.ndarray, upper: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float:
    """Share of the exposures under ``mask`` whose interval holds the truth."""
    return float(((lower[mask] <= truth[mask] + 1e-9) & (truth[mask] <= upper[mask] + 1e-9)).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicates", type=int, default=100)
    parser.add_argument("--markdown", action="store_true",
                        help="also print the table as Markdown with its provenance caption (docs/benchmarks.md)")
    args = parser.parse_args()
    signatures = cosmic_signatures(SIGNATURES)
    rows = []
    for seed, median in COHORTS:
        cohort = simulate_cohort(signatures, 100, seed=seed, median_total=median, total_spread=0.5,
                                 signatures_per_sample=3)
        W, X, H = signatures.to_numpy(), cohort.catalog.to_numpy(), cohort.exposures.to_numpy().T
        share = H / H.sum(axis=0)
        classes = {"< 5 %": (H > 0) & (share < 0.05), "5-20 %": (share >= 0.05) & (share < 0.2),
                   ">= 20 %": share >= 0.2, "present": H > 0, "absent": H == 0}
        for method in ("sparse", "nnls"):
            tick = time.perf_counter()
            refit = RefitConfig(method=method)
            intervals = bootstrap_exposures(W, X, refit, replicates=args.replicates, seed=1,
                                            background=signatures.columns.isin(refit.background))
            seconds = time.perf_counter() - tick
            rows.append({"seed": seed, "median mutations": median, "method": method,
                         **{name: coverage(intervals.lower, intervals.upper, H, mask)
                            for name, mask in classes.items()},
                         "presence if absent": intervals.presence[H == 0].mean(),
                         "width": (intervals.upper - intervals.lower)[H > 0].mean(), "s": seconds})
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}" if abs(v) < 10 else f"{v:.0f}"))
    if args.markdown:
        print(markdown_table(table, f"Bootstrap coverage of {args.replicates} copies per sample", digits=2))


if __name__ == "__main__":
    main()
