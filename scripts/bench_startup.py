"""Start-up cost of the command line (issue 16): what a job array of many small calls pays per call.

Times `unfoldnmf --help`, `unfoldnmf --version` and a small `fit` (the bundled example catalog on
three COSMIC signatures) as fresh processes, the median of --repeats runs each.

    python scripts/bench_startup.py [--repeats 5] [--markdown]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from markdown_tables import markdown_table

COMMANDS = {
    "unfoldnmf --help": ["--help"],
    "unfoldnmf --version": ["--version"],
    "unfoldnmf fit example --cosmic SBS1,SBS5,SBS13 -o -": ["fit", "{example}", "--cosmic", "SBS1,SBS5,SBS13", "-o",
                                                            "-"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--markdown", action="store_true",
                        help="also print the table as Markdown with its provenance caption (docs/benchmarks.md)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        example = Path(folder) / "example.tsv"
        example.write_text(subprocess.run([sys.executable, "-m", "unfoldnmf", "example"], check=True,
                                          capture_output=True, text=True).stdout)
        print(f"{'command':<56} {'median s':>8} {'min s':>6}")
        for label, arguments in COMMANDS.items():
            command = [sys.executable, "-m", "unfoldnmf", *(a.format(example=example) for a in arguments)]
            times = []
            for _ in range(args.repeats):
                tick = time.perf_counter()
                subprocess.run(command, check=True, capture_output=True)
                times.append(time.perf_counter() - tick)
            print(f"{label:<56} {statistics.median(times):>8.2f} {min(times):>6.2f}")
            rows.append({"command": f"`{label}`", "median s": statistics.median(times), "min s": min(times)})
    if args.markdown:
        print(markdown_table(pd.DataFrame(rows), f"Start-up, fresh processes, median of {args.repeats}", digits=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
