#!/usr/bin/env bash
# A separate venv holding SigProfilerExtractor 1.4.1 for scripts/bench_many_signatures.py (never our dependency).
# torch is pinned to the CPU wheel first, so that SigProfilerExtractor does not pull a CUDA build.
#   bash scripts/spe/setup.sh [VENV]   (default /work/spe_venv)
set -euo pipefail
venv="${1:-/work/spe_venv}"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet torch==2.13.0
"$venv/bin/pip" install --quiet SigProfilerExtractor==1.4.1
echo "python scripts/bench_many_signatures.py --spe-python $venv/bin/python"
