"""Benchmark of the unfolded-NMF engine (issue 3), on the SynSig datasets in ../shared/data/synsig/.

    nice -n 10 python3 scripts/bench_unfolding.py [--datasets syn.pancreas.sp ...] [--items 1 2 3]

1. Supervised: held-out (80/20 split) exposure error of the trained L-layer KL network (default
   architecture: learned start, pruning) vs L KL-MU iterations (flat start) vs converged NNLS and KL-MU
   (2 000 iterations), L in {5, 10, 20}, on the clean and the Poisson-resampled catalog (seed 0);
   fitting time per 1 000 samples, timed on the held-out catalog tiled to 20 000 samples; the network's best
   epoch (0: no epoch improved the held-out loss of the untrained network, which is then the one kept).
2. Unsupervised, oracle K: signature recovery (BENCHMARK.md) and final KL per sample of the unfolded
   trainer vs batched classic KL-MU (best of R replicates) given the same wall time.
3. Batched speed: R = 100 replicates of KL-NMF (K = true K, 1 000 iterations) as one batch vs the same
   updates one replicate at a time (a subset of replicates, extrapolated to R).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from unfoldnmf.config import load_config
from unfoldnmf.exposures.refit import nnls_exposures
from unfoldnmf.hpc.device import generator
from unfoldnmf.io.tables import read_catalog, read_exposures, read_signatures
from unfoldnmf.network.supervised import relative_l1, train_supervised
from unfoldnmf.network.unfolded import UnfoldedNMF
from unfoldnmf.network.unsupervised import train_unsupervised
from unfoldnmf.nmf.measures import kl_divergence
from unfoldnmf.nmf.solver import random_init, run_mu
from unfoldnmf.reference.scoring import score_signatures

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "synsig"


def load(name: str):
    folder = DATA / name
    catalog = read_catalog(folder / "ground.truth.syn.catalog.csv")
    signatures = read_signatures(folder / "ground.truth.syn.sigs.csv")
    exposures = read_exposures(folder / "ground.truth.syn.exposures.csv", list(signatures.columns),
                               list(catalog.columns))
    rng = np.random.default_rng(0)
    noisy = pd.DataFrame(rng.poisson(catalog.to_numpy()).astype(float), index=catalog.index, columns=catalog.columns)
    return catalog, noisy, signatures, exposures


def timed(function, repeats: int = 1):
    """The function's result and its fastest wall time over ``repeats`` calls (seconds)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return result, best


def scores(H: np.ndarray, truth: np.ndarray, totals: np.ndarray) -> tuple[float, float]:
    """Mean relative L1 per sample and Pearson r over all (signature, sample) pairs; H and truth are K × N."""
    rel = float(relative_l1(torch.tensor(H), torch.tensor(truth), torch.tensor(totals)).mean())
    return rel, float(np.corrcoef(H.ravel(), truth.ravel())[0, 1])


def item_supervised(name: str, layers: list[int], epochs: int) -> None:
    catalog, noisy, signatures, exposures = load(name)
    n = catalog.shape[1]
    order = np.random.default_rng(1).permutation(n)
    train, test = order[: int(0.8 * n)], order[int(0.8 * n):]
    W = torch.tensor(signatures.to_numpy())
    for label, table in (("clean", catalog), ("noisy", noisy)):
        X = table.iloc[:, test].to_numpy()
        truth = exposures.iloc[test].to_numpy().T
        totals = X.sum(axis=0)
        Xt = torch.tensor(X, dtype=torch.float32)
        tiles = -(-20000 // X.shape[1])
        X_big = np.tile(X, tiles)
        Xt_big = torch.tensor(X_big, dtype=torch.float32)
        per_k, per_k_big = 1000 / X.shape[1], 1000 / X_big.shape[1]
        rows = []
        H = nnls_exposures(signatures.to_numpy(), X)
        _, seconds = timed(lambda: nnls_exposures(signatures.to_numpy(), X_big))
        rows.append(("NNLS (scipy, converged)", "-", *scores(H, truth, totals), seconds * per_k_big, "-", "-"))
        H0 = UnfoldedNMF.from_signatures(W, "kl", 1).initial_exposures(torch.tensor(X))
        mu, seconds = timed(lambda: run_mu(torch.tensor(X), W[None], H0[None], "kl", max_iter=2000, tol=0,
                                           check_every=2000, update_w=False))
        rows.append(("KL-MU 2000 it", "-", *scores(mu.H[0].numpy(), truth, totals), seconds * per_k, "-", "-"))
        for L in layers:
            untrained = UnfoldedNMF.from_signatures(W.float(), "kl", L)
            with torch.no_grad():
                H = untrained(Xt)
                _, seconds = timed(lambda: untrained(Xt_big), 3)
            rows.append((f"KL-MU {L} it (flat start)", L, *scores(H.double().numpy(), truth, totals),
                         seconds * per_k_big, "-", "-"))
            config = load_config(None, [{"seed": 0, "device": "cpu", "network": {"layers": L, "epochs": epochs}}])
            fit = train_supervised(signatures, config, table.iloc[:, train], exposures.iloc[train])
            network = fit.network.float()
            with torch.no_grad():
                H = network(Xt)
                _, seconds = timed(lambda: network(Xt_big), 3)
            rows.append((f"unfolded KL net, {L} layers", L, *scores(H.double().numpy(), truth, totals),
                         seconds * per_k_big, f"{fit.info['seconds_training']:.0f}", fit.info["best_epoch"]))
        emit(f"1. Supervised, {name}, {label} catalog: {len(train)} training / {len(test)} held-out samples, "
             f"K={signatures.shape[1]}, {epochs} epochs",
             ["method", "L", "mean rel. L1", "Pearson r", "fit s / 1000 samples", "training s", "best epoch"],
             [list(row) for row in rows], digits=4)


def best_of_mu(X: torch.Tensor, k: int, replicates: int, seconds: float, seed: int):
    """Batched KL-MU from random starts, run in chunks until ``seconds`` pass; the replicate of lowest KL."""
    W, H = random_init(X, replicates, k, generator(seed, k))
    start, iterations = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        fit = run_mu(X, W, H, "kl", max_iter=25, tol=0, check_every=25)
        W, H, iterations = fit.W, fit.H, iterations + 25
    kl = kl_divergence(X, W @ H)
    best = int(torch.argmin(kl))
    return W[best], float(kl[best]) / X.shape[1], iterations


def item_unsupervised(name: str, seconds: float) -> None:
    _, noisy, signatures, _ = load(name)
    X = torch.tensor(noisy.to_numpy())
    k = signatures.shape[1]
    rows = []
    for layers in (5, 10):
        config = load_config(None, [{"seed": 0, "device": "cpu", "dtype": "float64",
                                     "network": {"layers": layers, "epochs": 10**6}}])
        fit = train_unsupervised(X, k, config, seconds=seconds)
        found = pd.DataFrame(fit.W.numpy(), index=signatures.index, columns=[f"S{i}" for i in range(k)])
        s = score_signatures(signatures, found)
        rows.append([f"unfolded trainer, {layers} layers", s.tp, s.fp, s.fn, f"{s.composite:.3f}",
                     f"{fit.objective:.2f}", f"{fit.rounds} rounds"])
    for replicates in (1, 10):
        W, kl, iterations = best_of_mu(X, k, replicates, seconds, seed=0)
        found = pd.DataFrame(W.numpy(), index=signatures.index, columns=[f"S{i}" for i in range(k)])
        s = score_signatures(signatures, found)
        rows.append([f"classic KL-MU, best of {replicates}", s.tp, s.fp, s.fn, f"{s.composite:.3f}", f"{kl:.2f}",
                     f"{iterations} iterations"])
    emit(f"2. Unsupervised, {name}, noisy catalog, oracle K={k}, {seconds:.0f} s wall time each (float64, CPU)",
         ["method", "TP", "FP", "FN", "composite", "KL per sample", "rounds / iterations"], rows)


def item_batched(name: str, replicates: int, iterations: int, single: int) -> None:
    catalog, _, signatures, _ = load(name)
    X = torch.tensor(catalog.to_numpy(), dtype=torch.float32)
    k = signatures.shape[1]
    W, H = random_init(X, replicates, k, generator(0, k))
    start, cpu = time.perf_counter(), time.process_time()
    batched = run_mu(X, W, H, "kl", max_iter=iterations, tol=0, check_every=iterations)
    seconds_batched, cpu_batched = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    for r in range(single):
        one = run_mu(X, W[r:r + 1], H[r:r + 1], "kl", max_iter=iterations, tol=0, check_every=iterations)
        assert torch.allclose(one.W[0], batched.W[r], rtol=1e-3, atol=1e-6)
    seconds_single = (time.perf_counter() - start) * replicates / single
    cpu_single = (time.process_time() - cpu) * replicates / single
    emit(f"3. Batched speed, {name}, K={k}, N={X.shape[1]}, {iterations} KL-MU iterations, float32, "
         f"{torch.get_num_threads()} CPU threads",
         ["run", f"wall s for R={replicates}", f"CPU s for R={replicates}", "replicate-iterations / wall s"],
         [["batched (one tensor program)", f"{seconds_batched:.1f}", f"{cpu_batched:.1f}",
           f"{replicates * iterations / seconds_batched:.0f}"],
          [f"one replicate at a time ({single} measured, x{replicates / single:.0f})", f"{seconds_single:.1f}",
           f"{cpu_single:.1f}", f"{replicates * iterations / seconds_single:.0f}"]])
    print(f"ratio: {seconds_single / seconds_batched:.1f}x wall, {cpu_single / cpu_batched:.1f}x CPU time")


#: --markdown: tables go through markdown_tables.markdown_table, with their provenance caption
MARKDOWN = False


def emit(title: str, header: list[str], rows: list[list], digits: int = 3) -> None:
    """Print one result table (as Markdown with a provenance caption with ``--markdown``)."""
    from markdown_tables import print_table  # noqa: PLC0415  (scripts/markdown_tables.py)
    print_table(title, header, rows, digits, MARKDOWN)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["syn.pancreas.sp"])
    parser.add_argument("--items", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--layers", nargs="+", type=int, default=[5, 10, 20])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=15.0, help="wall time per method in item 2")
    parser.add_argument("--replicates", type=int, default=100)
    parser.add_argument("--iterations", type=int, default=1000, help="KL-MU iterations in item 3")
    parser.add_argument("--single", type=int, default=5, help="replicates timed one at a time in item 3")
    parser.add_argument("--markdown", action="store_true",
                        help="print the tables through markdown_tables.markdown_table, with a provenance caption")
    args = parser.parse_args()
    global MARKDOWN
    MARKDOWN = args.markdown
    for name in args.datasets:
        if 1 in args.items:
            item_supervised(name, args.layers, args.epochs)
        if 2 in args.items:
            item_unsupervised(name, args.seconds)
        if 3 in args.items:
            item_batched(name, args.replicates, args.iterations, args.single)


if __name__ == "__main__":
    main()
