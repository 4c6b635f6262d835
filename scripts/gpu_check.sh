#!/usr/bin/env bash
# GPU timing of a default `train` (issue 14): the whole command on CUDA, its tables kept for scoring.
#
#   bash scripts/gpu_check.sh CATALOG OUTDIR
#
# Run where a CUDA torch sees the GPU, from the repository root (PYTHONPATH is set to it). For the
# README's figure CATALOG was the noisy syn.many.types copy that scripts/bench_synsig.py writes
# (noisy_copy, seed 0); score OUTDIR/signatures.tsv here with `unfoldnmf evaluate`.
set -u
catalog=$1 out=$2
nvidia-smi -L
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
python3 -c "import torch; print(torch.__version__, torch.cuda.is_available(), torch.cuda.get_device_name(0))"
start=$(date +%s.%N)
python3 -m unfoldnmf train "$catalog" -o "$out/run" --device cuda --no-plots --quiet --log-file "$out/train.log"
code=$?
end=$(date +%s.%N)
python3 -c "print('train on cuda: exit $code, %.1f s' % ($end - $start))" | tee "$out/time.txt"
cp "$out/run/signatures.tsv" "$out/run/run.json" "$out/run/selection.tsv" "$out/" 2>/dev/null
rm -rf "$out/run"
