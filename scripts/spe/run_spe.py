"""Driver for SigProfilerExtractor, run by the Python of its own venv (never imported by unfoldnmf).

    SPE_PYTHON run_spe.py CATALOG OUTDIR K_MIN K_MAX REPLICATES

Extracts SBS-96 signatures from CATALOG (SigProfiler matrix) with ``sigProfilerExtractor`` at its defaults
except the K range, the number of NMF replicates (its default is 100) and no decomposition plots, on two CPU
processes, and prints the path of its suggested solution's de novo signatures. The tool's own
messages go to stderr so that stdout holds only that path (read by ``scripts/bench_many_signatures.py``).
"""

import contextlib
import sys
from pathlib import Path

from SigProfilerExtractor import sigpro


def main() -> int:
    catalog, output = sys.argv[1], Path(sys.argv[2])
    k_min, k_max, replicates = (int(value) for value in sys.argv[3:6])
    with contextlib.redirect_stdout(sys.stderr):
        sigpro.sigProfilerExtractor("matrix", str(output), catalog, minimum_signatures=k_min,
                                    maximum_signatures=k_max, nmf_replicates=replicates, cpu=2,
                                    make_decomposition_plots=False)
    print(output / "SBS96" / "Suggested_Solution" / "SBS96_De-Novo_Solution" / "Signatures"
          / "SBS96_De-Novo_Signatures.txt")
    return 0


if __name__ == "__main__":  # SigProfilerExtractor starts worker processes that import this file
    sys.exit(main())
