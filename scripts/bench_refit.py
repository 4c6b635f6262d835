"""Exposure accuracy and speed of the refits on the SynSig datasets with their true signatures (issue 5).

Methods: plain NNLS, the sparse refit, and the supervised unfolded network (default architecture)
trained on a cohort simulated from the dataset's signatures only — never on these catalogs — and
the same network untrained (``network.epochs=0``: pseudo-inverse start, 10 KL-MU layers, pruning).
For every dataset (clean catalog and a Poisson-noised copy, seed 0) and every method:
  L1     mean over samples of sum_k |estimated - true| / sum_k true (relative L1 error)
  r      Pearson r over all (sample, signature) exposures
  false  mutations given to signatures absent from the sample / all mutations given
  spl/s  samples fitted per second (wall clock, this process; the network's training time is reported apart)

    nice -n 10 python scripts/bench_refit.py [--data ../shared/data/synsig] [--gains 6 3.84 10]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from unfoldnmf.config import RefitConfig, load_config  # noqa: E402
from unfoldnmf.fit import fit_signatures  # noqa: E402
from unfoldnmf.supervised import predict_exposures, train_supervised  # noqa: E402
from unfoldnmf.tables import read_catalog, read_exposures, read_signatures  # noqa: E402



def scores(truth: np.ndarray, found: np.ndarray) -> dict[str, float]:
    """Accuracy of ``found`` against ``truth`` (both samples × signatures)."""
    totals = truth.sum(axis=1)
    keep = totals > 0
    l1 = np.abs(found - truth).sum(axis=1)[keep] / totals[keep]
    return {
        "L1": float(l1.mean()),
        "r": float(np.corrcoef(truth.ravel(), found.ravel())[0, 1]),
        "false": float(found[truth == 0].sum() / max(found.sum(), 1e-12)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/synsig")
    parser.add_argument("--gains", type=float, nargs="+", default=[RefitConfig.min_deviance_gain],
                        help="refit.min_deviance_gain values of the sparse refit to measure")
    args = parser.parse_args()
    methods = {"nnls": RefitConfig(method="nnls")}
    methods.update({f"sparse (gain {g:g})": RefitConfig(method="sparse", min_deviance_gain=g) for g in args.gains})
    print(f"CPU threads available: {len(os.sched_getaffinity(0))}")
    rows = []
    for folder in sorted(args.data.glob("*.sp")):
        catalog = read_catalog(folder / "ground.truth.syn.catalog.csv")
        signatures = read_signatures(folder / "ground.truth.syn.sigs.csv")
        exposure_file = folder / "ground.truth.syn.exposures.csv"
        known = set(pd.read_csv(exposure_file, index_col=0, nrows=0).columns)
        with_truth = [s for s in catalog.columns if s in known]
        catalog = catalog[with_truth]  # syn.hyper.low.sa.secondary adds pseudo-samples without exposures
        truth = read_exposures(exposure_file, list(signatures.columns), with_truth)
        noisy = pd.DataFrame(np.random.default_rng(0).poisson(catalog.to_numpy()).astype(float),
                             index=catalog.index, columns=catalog.columns)
        tick = time.perf_counter()
        networks = {"network (simulation-trained)": train_supervised(signatures, load_config(None, [{"device": "cpu"}])).network}
        print(f"  {folder.name} network trained on simulation in {time.perf_counter() - tick:.1f} s", file=sys.stderr)
        networks["network (untrained)"] = train_supervised(signatures, load_config(None, [{"device": "cpu", "network": {"epochs": 0}}])).network
        for noise, table in (("clean", catalog), ("poisson", noisy)):
            for method, refit in [*methods.items(), *((name, None) for name in networks)]:
                tick = time.perf_counter()
                if refit is None:
                    found = predict_exposures(networks[method], table.loc[signatures.index], list(signatures.columns),
                                              torch.device("cpu"), torch.float32)
                else:
                    found = fit_signatures(table, signatures, refit)
                seconds = time.perf_counter() - tick
                rows.append({"dataset": folder.name.removesuffix(".sp"), "noise": noise, "method": method,
                             "samples": table.shape[1], "K": signatures.shape[1],
                             **scores(truth.to_numpy(), found.to_numpy()), "spl/s": table.shape[1] / seconds})
                print(f"  {rows[-1]['dataset']} {noise} {method}: done in {seconds:.1f} s", file=sys.stderr)
    result = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    for noise in ("clean", "poisson"):
        part = result[result.noise == noise].drop(columns="noise")
        print(f"\n## {noise} catalogs\n")
        print(part.to_markdown(index=False, floatfmt=".3f") if _has_tabulate() else part.to_string(index=False))
        summary = part.groupby("method")[["L1", "r", "false", "spl/s"]].mean()
        print("\nmean over datasets:\n")
        print(summary.to_markdown(floatfmt=".3f") if _has_tabulate() else summary.to_string())
    return 0


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
