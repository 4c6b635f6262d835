"""Wall time and peak memory of ``unfoldnmf train`` as the cohort and K grow, and the 2-process speed-up.

    nice -n 10 python3 scripts/bench_scale.py                 # default grid: ~3.5 min of CPU (idle 2-core box)
    nice -n 10 python3 scripts/bench_scale.py --sizes 1000 10000 100000 --ks 5 10 20 40 --replicates 20
    python3 scripts/bench_scale.py --defaults --sizes 100000 --ks 10 --sections sizes   # default settings, K = 10
    python3 scripts/bench_scale.py --defaults --sizes 10000 --ks 10 --sections sizes --baseline 25d64f4

Every run is the real command line in a fresh process (``python -m unfoldnmf train``, or
``torchrun`` for the 2-process rows); peak memory is that process's maximum resident set size
(``wait4``; for torchrun, the largest of its processes). Solver iterations are fixed
(``solver.tol=0``) so that times compare; replicates and iterations are cut from the defaults to keep
the run short, and the table says which; ``--defaults`` runs the default settings instead. The
sample-growth rows break the time down by stage (``seconds_by_stage`` of ``run.json``); with
``--baseline REV`` each is repeated with the code of git revision REV (a temporary worktree).
Cohorts are simulated from five COSMIC signatures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from baseline import worktree  # noqa: E402  (scripts/baseline.py)
from markdown_tables import print_table  # noqa: E402  (scripts/markdown_tables.py)

from unfoldnmf.io.writing import to_text  # noqa: E402
from unfoldnmf.reference.cosmic import cosmic_signatures  # noqa: E402
from unfoldnmf.reference.simulate import simulate_cohort  # noqa: E402

#: The stages ``run.json`` times (``seconds_by_stage``), in the order a run goes through them.
STAGES = ("read catalog", "K scan", "held-out test", "refinement", "refit", "tables and fit quality", "assignment",
          "writing tables", "plots and report")
SECTIONS = ("sizes", "ks", "speedup")


def catalog(folder: Path, samples: int) -> Path:
    """A simulated catalog of ``samples`` samples (cached in ``folder``)."""
    path = folder / f"catalog_{samples}.tsv"
    if not path.exists():
        cohort = simulate_cohort(cosmic_signatures(["SBS1", "SBS2", "SBS5", "SBS13", "SBS18"]), samples=samples,
                                 seed=1, median_total=2000, prefix="s")
        path.write_text(to_text(cohort.catalog.astype(int), "MutationType", "%d"))
    return path


def measure(command: list[str], threads: int, code: Path = ROOT) -> dict:
    """Run ``command`` with the package of ``code`` (started outside any checkout, so that PYTHONPATH
    decides which); its wall time (s), CPU time (s) and peak resident memory (GB)."""
    env = {**os.environ, "PYTHONPATH": str(code), "OMP_NUM_THREADS": str(threads)}
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               cwd=tempfile.gettempdir())
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{process.stderr.read().decode()}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_gb": usage.ru_maxrss / 1024**2}


def train(path: Path, out: Path, options: list[str], processes: int = 1, threads: int = 1, code: Path = ROOT) -> dict:
    """One measured ``train`` run, with the seconds spent extracting (all K), in the refit and per stage."""
    args = ["-m", "unfoldnmf", "train", str(path), "-o", str(out), "--force", "--quiet", "--device", "cpu", *options]
    if processes == 1:
        command = [sys.executable, *args]
    else:
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}",
                   *args]
    row = measure(command, threads, code)
    info = json.loads((out / "run.json").read_text())
    row["extract"] = sum(info["seconds_per_k"].values())
    row["total_in_api"] = info["seconds_total"]
    row["stages"] = info.get("seconds_by_stage", {})
    return row


#: --markdown: tables are printed through markdown_tables.markdown_table, with their provenance caption
MARKDOWN = False


def table(title: str, header: list[str], rows: list[list]) -> None:
    print_table(title, header, rows, 1, MARKDOWN)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000], help="sample counts N")
    parser.add_argument("--ks", type=int, nargs="+", default=[5, 10, 20, 40],
                        help="fixed K values (at N = --k-samples)")
    parser.add_argument("--k-samples", type=int, default=1000, help="N of the K-growth rows")
    parser.add_argument("--replicates", type=int, default=2, help="extraction.replicates (default config: 10)")
    parser.add_argument("--iterations", type=int, default=50,
                        help="solver.max_iter, with tol=0 (default config: 2000, tol 1e-6)")
    parser.add_argument("--speedup-k-max", type=int, default=8, help="K range 1..this for the process speed-up")
    parser.add_argument("--threads", type=int, default=1, help="OMP threads per process")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "unfoldnmf_bench_scale")
    parser.add_argument("--defaults", action="store_true", help="default replicates, iterations and tolerance")
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS), help="tables to print")
    parser.add_argument("--baseline", metavar="REV", help="repeat the sample-growth rows with this git revision's code")
    parser.add_argument("--markdown", action="store_true",
                        help="also print the table(s) as Markdown with a provenance caption (docs/benchmarks.md)")
    args = parser.parse_args()
    global MARKDOWN
    MARKDOWN = args.markdown
    args.data = args.data.resolve()
    args.data.mkdir(parents=True, exist_ok=True)
    fixed = [] if args.defaults else ["--set", f"extraction.replicates={args.replicates}", "--set",
                                      f"solver.max_iter={args.iterations}", "--set", "solver.tol=0"]
    settings = ("default settings" if args.defaults
                else f"replicates={args.replicates}, solver.max_iter={args.iterations} (tol=0)")
    print(f"{settings}, OMP threads={args.threads}, {os.cpu_count()} cores; "
          f"load average at start {os.getloadavg()[0]:.1f}")
    header = ["N", "K", "wall s", "CPU s", "extract s", "refit+select s", "peak RSS GB"]

    if "sizes" in args.sections:
        rows = []
        with worktree(args.baseline) as baseline:
            codes = {"current": ROOT, **({args.baseline: baseline} if baseline else {})}
            for samples in args.sizes:
                path = catalog(args.data, samples)
                for label, code in codes.items():
                    r = train(path, args.data / "out", [*fixed, "--k", str(args.ks[0])], threads=args.threads,
                              code=code)
                    rows.append([samples, args.ks[0], label, r["wall"], r["cpu"], f"{r['rss_gb']:.2f}",
                                 *[r["stages"].get(stage, "–") for stage in STAGES]])
                    print(rows[-1], flush=True)
        table("Growth with the number of samples N (seconds per stage from run.json; – : not recorded by that code)",
              ["N", "K", "code", "wall s", "CPU s", "peak RSS GB", *STAGES], rows)
    if "ks" in args.sections:
        rows = []
        path = catalog(args.data, args.k_samples)
        for k in args.ks:
            r = train(path, args.data / "out", [*fixed, "--k", str(k)], threads=args.threads)
            rows.append([args.k_samples, k, r["wall"], r["cpu"], r["extract"], r["total_in_api"] - r["extract"],
                         f"{r['rss_gb']:.2f}"])
            print(rows[-1], flush=True)
        table("Growth with K", header, rows)
    if "speedup" in args.sections:
        path = catalog(args.data, args.k_samples)
        span = ["--k-min", "1", "--k-max", str(args.speedup_k_max)]
        speedup(args, path, [*fixed, *span], "2 processes (K values shared)",
                f"K = 1..{args.speedup_k_max}, N = {args.k_samples}")
        replicates, iterations = max(args.replicates, 4), 6 * args.iterations
        split = ["--k", str(args.ks[-1]), "--set", f"extraction.replicates={replicates}", "--set",
                 f"solver.max_iter={iterations}"]
        speedup(args, path, [*fixed, *split], "2 processes (replicates split)",
                f"K = {args.ks[-1]} fixed, {replicates} replicates x {iterations} iterations, N = {args.k_samples}")


def speedup(args: argparse.Namespace, path: Path, options: list[str], label: str, title: str) -> None:
    """Time ``train`` with ``options`` in 1 and in 2 processes; print the table and whether the tables agree."""
    single = train(path, args.data / "one", options, threads=args.threads)
    double = train(path, args.data / "two", options, processes=2, threads=args.threads)
    same = all((args.data / "one" / f).read_text() == (args.data / "two" / f).read_text()
               for f in ("signatures.tsv", "exposures.tsv", "selection.tsv"))
    rows = [[name, r["wall"], r["cpu"], r["extract"], f"{single['wall'] / r['wall']:.2f}"]
            for name, r in (("1 process", single), (label, double))]
    table(f"{title}: processes (tables identical: {same})",
          ["run", "wall s", "CPU s (launcher + ranks)", "extract s (sum over K)", "speed-up"], rows)


if __name__ == "__main__":
    main()
