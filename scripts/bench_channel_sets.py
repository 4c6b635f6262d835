"""De novo extraction on DBS-78 and ID-83 catalogs simulated from the COSMIC v3.4 references (issue 15).

For each channel set, simulates a cohort with `unfoldnmf simulate` (few signatures per sample,
log-normal totals, Poisson counts) at a realistic depth for that kind of mutation, runs the default
`unfoldnmf train` (K chosen from 1 to --k-max) and scores the signatures found against the ones
drawn from, exactly as ../shared/BENCHMARK.md (one-to-one matches at cosine ≥ 0.9; composite =
PPV + TPR + mean cosine of the matches; see unfoldnmf.reference.scoring).

    python scripts/bench_channel_sets.py [--markdown]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from unfoldnmf.io.tables import read_signatures
from unfoldnmf.reference.scoring import score_signatures

from markdown_tables import markdown_table

#: channel set -> (COSMIC signatures drawn from, median mutations per sample)
COHORTS = {
    "DBS78": ("DBS1,DBS2,DBS4,DBS6,DBS9,DBS11", 150),
    "ID83": ("ID1,ID2,ID3,ID5,ID6,ID8,ID9", 600),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--k-max", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", action="store_true",
                        help="also print the table as Markdown with its provenance caption (docs/benchmarks.md)")
    args = parser.parse_args()
    rows = []
    print(f"{'set':<6} {'true K':>6} {'K':>3} {'TP':>3} {'FP':>3} {'FN':>3} {'composite':>9} {'wall s':>7}")
    with tempfile.TemporaryDirectory() as folder:
        for name, (signatures, median) in COHORTS.items():
            sim, out = Path(folder) / f"{name}_sim", Path(folder) / f"{name}_out"
            subprocess.run([sys.executable, "-m", "unfoldnmf", "simulate", "--cosmic", signatures, "--samples",
                            str(args.samples), "--median-total", str(median), "--seed", str(args.seed), "-o", str(sim)],
                           check=True, capture_output=True)
            tick = time.perf_counter()
            subprocess.run([sys.executable, "-m", "unfoldnmf", "train", str(sim / "catalog.tsv"), "-o", str(out),
                            "--k-max", str(args.k_max), "--seed", str(args.seed), "--quiet", "--no-plots"], check=True)
            seconds = time.perf_counter() - tick
            score = score_signatures(read_signatures(sim / "signatures.tsv"), read_signatures(out / "signatures.tsv"))
            found = read_signatures(out / "signatures.tsv").shape[1]
            print(f"{name:<6} {len(signatures.split(',')):>6} {found:>3} {score.tp:>3} {score.fp:>3} {score.fn:>3} "
                  f"{score.composite:>9.3f} {seconds:>7.0f}")
            rows.append({"channels": name, "signatures": signatures.replace(",", ", "),
                         "median mutations per sample": median, "K chosen": found,
                         "TP / FP / FN": f"{score.tp} / {score.fp} / {score.fn}", "composite": score.composite,
                         "wall s": round(seconds)})
    if args.markdown:
        print(markdown_table(pd.DataFrame(rows), f"De novo DBS-78 and ID-83 extraction, {args.samples} simulated "
                                                 f"samples each"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
