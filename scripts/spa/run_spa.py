"""Driver for SigProfilerAssignment, run by the Python of its own venv (never imported by unfoldnmf).

    SPA_PYTHON run_spa.py CATALOG OUTDIR [--exome]

Fits CATALOG (SigProfiler matrix, SBS-96) with ``cosmic_fit`` at its defaults on COSMIC v3.4 GRCh37
(SBS1/SBS5 background on, no plots; ``--exome``: the exome-normalised table) and prints the path of its activities table. The tool's own
messages go to stderr so that stdout holds only that path (read by ``scripts/bench_refit.py``).
"""

import contextlib
import sys
from pathlib import Path

from SigProfilerAssignment import Analyzer


def main() -> int:
    catalog, output, exome = sys.argv[1], Path(sys.argv[2]), "--exome" in sys.argv[3:]
    with contextlib.redirect_stdout(sys.stderr):
        Analyzer.cosmic_fit(catalog, str(output), input_type="matrix", context_type="96", genome_build="GRCh37",
                            cosmic_version=3.4, exome=exome, make_plots=False, export_probabilities=False, verbose=False)
    print(output / "Assignment_Solution" / "Activities" / "Assignment_Solution_Activities.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
