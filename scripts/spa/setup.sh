#!/usr/bin/env bash
# A separate venv holding SigProfilerAssignment 1.1.5 for scripts/bench_refit.py (never our dependency).
#   bash scripts/spa/setup.sh [VENV]   (default /work/spa_venv)
set -euo pipefail
venv="${1:-/work/spa_venv}"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet SigProfilerAssignment==1.1.5
echo "python scripts/bench_refit.py --spa-python $venv/bin/python"
