"""Refit benchmark: exposures of known signatures, fitted against the whole bundled COSMIC v3.4
reference, in the shapes of data users bring, scored as in ../shared/BENCHMARK.md; one table per scenario.

Scenarios (``--scenario``, several at once; ``scripts/refit_scenarios.py`` builds them):

- ``synsig-tune`` / ``synsig-test``: SynSig cohorts (PCAWG-derived weights of their SigProfiler
  signatures, so SBS22/SBS40 drift from v3.4), up to ``--samples`` each, one call per cohort; the
  refit defaults were tuned on ``synsig-tune``;
- ``homogeneous``: eight tumour types simulated from COSMIC v3.4 with drift (``tissue_cohorts.py``),
  one call per type (the shared-step thresholds were checked on it);
- ``withheld``: the draws of ``homogeneous`` fitted without four signatures five of the types carry
  (``refit_scenarios.WITHHELD``); with ``synsig-tune`` and ``homogeneous`` it chose ``refit.unexplained_z`` and
  ``refit.unexplained_tolerance``;
- ``pan-cancer``, ``small``, ``unknown-shared``, ``unknown-private``, ``exome``, ``real``: held out, none
  tuned a setting (see ``refit_scenarios.py``). ``real`` thins the genomes of ``--real`` (default:
  the 21 breast cancer genomes shipped with SigProfilerAssignment, found through ``--spa-python``).

Per sample with m mutations: TAE = Σ|estimated − true| / (2m); FP = signatures with any mutations that
the sample lacks; FN = present signatures given none; FP weight = share of mutations on FP signatures;
F1 of presence over all samples; spl/s: samples fitted per second over the scenario (wall clock, 2
cores shared). A true SBS22 is matched by SBS22a/b, a true SBS40 by SBS40a/b/c (estimates summed).

Methods: plain NNLS, ``fit`` with its defaults (``unfoldnmf fit --cosmic``), the same borrowing from the
whole call (``refit.borrow: cohort``: every sample chooses among the call's signatures, every shallow one among
all the call's samples use), the same assigning every mutation (``refit.unexplained_z: 0``), the same with every sample
fitted in a call of its own (pan-cancer and small: a sample's fit must not get worse in a batch), the
unfolded network with ``--network`` (``train CATALOG --mode supervised --signatures COSMIC`` on each
call's catalog, then ``fit --model``; its samples/s include the training), and SigProfilerAssignment
with ``--spa-python`` (its ``cosmic_fit`` fits each sample on its own, so it runs once per scenario on
all the scenario's samples; not on ``withheld``, whose reduced reference its driver does not take). With
``--set refit.KEY=VALUE`` (repeatable), also ``fit`` with those settings, beside the defaults on the same draws
and in the summary table: how a changed default's before and after are measured in one run.

    bash scripts/spa/setup.sh /work/spa_venv     # once: SigProfilerAssignment in a venv of its own
    python scripts/bench_refit.py --scenario pan-cancer small --spa-python /work/spa_venv/bin/python
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

from unfoldnmf.config import CosmicConfig, RefitConfig, load_config, parse_override  # noqa: E402
from unfoldnmf.errors import InputError  # noqa: E402
from unfoldnmf.exposures.fit import fit_signatures  # noqa: E402
from unfoldnmf.io.tables import read_exposures, read_signatures  # noqa: E402
from unfoldnmf.io.writing import to_text  # noqa: E402
from unfoldnmf.exposures.learned import gated_predictions, model_gate, train_on_catalog  # noqa: E402
from unfoldnmf.reference.cosmic import cosmic_signatures  # noqa: E402
from markdown_tables import markdown_table  # noqa: E402
from refit_scenarios import (WITHHELD, Call, at_depth, homogeneous, merged, pan_cancer, small, thinned,  # noqa: E402
                             with_unknown, withheld)

DEPTHS = (100, 2000, 50000)
EXOME_DEPTHS = (20, 200, 1000)
REAL_DEPTHS = (100, 500, 1000)
SCENARIOS = ("synsig-tune", "synsig-test", "homogeneous", "withheld", "pan-cancer", "small", "unknown-shared",
             "unknown-private", "exome", "real")
SUCCESSORS = {"SBS22": ["SBS22a", "SBS22b"], "SBS40": ["SBS40a", "SBS40b", "SBS40c"]}
TUNE = ("syn.2.7a.7b.abst", "syn.3.5.40.abst", "syn.hyper.low.sa.primary", "syn.pancreas")
TEST = ("syn.2.7a.7b.bladder.and.melanoma", "syn.3.5.40.rcc.and.ovary", "syn.hyper.low.sa.secondary", "syn.many.types")


def cohort(folder: Path, depth: int, samples: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(catalog 96 × n, true exposures n × true signatures) of one SynSig cohort drawn at ``depth``."""
    signatures = read_signatures(folder / "ground.truth.syn.sigs.csv")
    truth = read_exposures(folder / "ground.truth.syn.exposures.csv", list(signatures.columns))
    truth = truth[truth.sum(axis=1) > 0]
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(truth), size=min(samples, len(truth)), replace=False))
    weights = pd.DataFrame(truth.to_numpy()[chosen], index=[f"{folder.name}:{i}" for i in truth.index[chosen]],
                           columns=signatures.columns)
    call = at_depth(signatures, weights, depth, rng)
    return call.catalog, call.truth




def mapped_estimates(truth: pd.DataFrame, found: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(estimates under the truth's signature names, v3.4 successors summed; estimates of the other
    reference signatures), both with the truth's sample order."""
    groups = {name: [r for r in SUCCESSORS.get(name, [name]) if r in found.columns] for name in truth.columns}
    mapped = pd.DataFrame({name: found[refs].sum(axis=1) for name, refs in groups.items()}, index=found.index)
    claimed = {r for refs in groups.values() for r in refs}
    others = found[[c for c in found.columns if c not in claimed]]
    return mapped.loc[truth.index], others.loc[truth.index]


def score(truth: pd.DataFrame, found: pd.DataFrame, mutations: pd.Series) -> dict[str, float]:
    """Per-sample TAE, FP, FN, FP weight (means) and presence F1, truth mapped to v3.4 successors;
    ``mutations``: each sample's count (more than its truth's sum where an unknown process adds some)."""
    mapped, others = mapped_estimates(truth, found)
    t, e, extra = truth.to_numpy(), mapped.to_numpy(), others.to_numpy()
    depth = mutations.loc[truth.index].to_numpy()
    tae = (np.abs(e - t).sum(axis=1) + extra.sum(axis=1)) / (2 * depth)
    fp = ((e > 0) & (t == 0)).sum(axis=1) + (extra > 0).sum(axis=1)
    fn = ((e == 0) & (t > 0)).sum(axis=1)
    tp = ((e > 0) & (t > 0)).sum(axis=1)
    fp_weight = (np.where(t == 0, e, 0).sum(axis=1) + extra.sum(axis=1)) / depth
    precision = tp.sum() / max(tp.sum() + fp.sum(), 1)
    recall = tp.sum() / max(tp.sum() + fn.sum(), 1)
    return {"TAE": tae.mean(), "FP": fp.mean(), "FN": fn.mean(),
            "F1": 2 * precision * recall / max(precision + recall, 1e-12), "FP weight": fp_weight.mean()}


def breakdown(truth: pd.DataFrame, found: pd.DataFrame, most: int = 6) -> str:
    """The signatures most often false (given mutations where absent) and missed, with sample counts."""
    mapped, others = mapped_estimates(truth, found)
    false = pd.concat([((mapped > 0) & (truth == 0)).sum(), (others > 0).sum()])
    missed = ((mapped == 0) & (truth > 0)).sum()

    def top(counts: pd.Series) -> str:
        counts = counts[counts > 0].sort_values(ascending=False).head(most)
        return ", ".join(f"{name} {count}" for name, count in counts.items()) or "none"
    return f"false: {top(false)}; missed: {top(missed)}"


def spa_fit(python: str, driver: str, catalog: pd.DataFrame, reference: pd.DataFrame, exome: bool) -> pd.DataFrame:
    """SigProfilerAssignment's ``cosmic_fit`` of ``catalog`` through its driver, in a process of its own."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "catalog.tsv"
        path.write_text(to_text(catalog.round().astype(int), "MutationType", "%d"))
        done = subprocess.run([python, driver, str(path), str(Path(folder) / "out"), *(["--exome"] if exome else [])],
                              capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"SigProfilerAssignment failed: {done.stderr.strip()[-2000:]}")
        table = pd.read_csv(done.stdout.strip().splitlines()[-1], sep="\t", index_col=0)
    table.index = table.index.astype(str)
    return table.reindex(index=catalog.columns, columns=reference.columns, fill_value=0.0)


def network_runner(epochs: int | None = None):
    """Train the default network on each call's catalog as ``train CATALOG --mode supervised
    --signatures REF`` does, then predict as ``fit --model`` does (gate and Poisson fit included).
    ``epochs`` replaces ``network.epochs`` (0: the untrained network, the classic method it starts as)."""
    import torch  # noqa: PLC0415

    config = load_config(None, [{"device": "cpu"}, {} if epochs is None else {"network": {"epochs": epochs}}])
    dtype = getattr(torch, config.dtype)

    def run(catalog: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
        counts = catalog.loc[reference.index]
        fit = train_on_catalog(reference, counts, config)
        gate = model_gate(fit.signatures.to_numpy(), asdict(config.network))
        print(f"    network: {fit.signatures.shape[1]} signatures, best epoch {fit.info['best_epoch']}",
              file=sys.stderr)
        return gated_predictions(fit.network, counts, list(fit.signatures.columns), torch.device("cpu"), dtype, gate,
                                 list(reference.columns))
    return run


def each_alone(catalog: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """``fit`` with every sample of ``catalog`` in a call of its own."""
    return pd.concat([fit_signatures(catalog[[sample]], reference) for sample in catalog.columns])


def real_genomes(args: argparse.Namespace) -> pd.DataFrame:
    """The real catalog of ``--real``, else SigProfilerAssignment's example genomes (needs ``--spa-python``)."""
    path = args.real
    if path is None:
        if not args.spa_python:
            raise SystemExit("error: scenario real needs --real TABLE or --spa-python (its example genomes)")
        done = subprocess.run([args.spa_python, "-c", "import SigProfilerAssignment, os; print(os.path.join("
                               "os.path.dirname(SigProfilerAssignment.__file__), 'data', 'Samples.txt'))"],
                              capture_output=True, text=True, check=True)
        path = Path(done.stdout.strip())
    table = pd.read_csv(path, sep="\t", index_col=0)
    table.index = table.index.astype(str)
    return table


def consensus_shares(full: pd.DataFrame, reference: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    """Each real genome's exposure shares (samples × signatures) on which the full catalog's fits agree:
    the signatures both ``fit`` and SigProfilerAssignment give it (``fit`` alone without ``--spa-python``),
    at their mean share, renormalised. Neither tool's own answer is the truth; their agreement is the
    nearest thing to it a real genome has."""
    fits = [fit_signatures(full, reference)]
    if args.spa_python:
        fits.append(spa_fit(args.spa_python, args.spa_driver, full, reference, exome=False))
    else:
        print("warning: real genomes scored against fit's own full-catalog fit (no --spa-python)", file=sys.stderr)
    shares = [f.div(f.sum(axis=1), axis=0) for f in fits]
    agreed = np.logical_and.reduce([s > 0 for s in shares])
    mean = sum(shares) / len(shares) * agreed
    return mean.div(mean.sum(axis=1), axis=0).loc[:, lambda t: (t > 0).any()]


def scenario_calls(name: str, args: argparse.Namespace, reference: pd.DataFrame) -> list[Call]:
    """The calls of scenario ``name`` (see the module docstring)."""
    depths = args.depths
    if name.startswith("synsig"):
        names = TUNE if name == "synsig-tune" else TEST
        calls = []
        for depth in depths:
            for folder in names:
                catalog, truth = cohort(args.data / f"{folder}.sp", depth, args.samples, args.seed)
                calls.append(Call(catalog, truth, pd.Series(depth, index=catalog.columns)))
        return calls
    if name == "homogeneous":
        return homogeneous(reference, depths, args.samples, args.seed)
    if name == "withheld":
        return withheld(reference, depths, args.samples, args.seed)
    if name == "pan-cancer":
        return pan_cancer(reference, depths, args.samples // 4, args.seed)
    if name == "small":
        return small(reference, depths, args.samples // 4, args.seed)
    if name.startswith("unknown"):
        return with_unknown(reference, depths, args.samples // 2, args.seed, shared=name == "unknown-shared")
    if name == "exome":
        return pan_cancer(reference, list(EXOME_DEPTHS), args.samples // 4, args.seed)
    full = real_genomes(args).loc[reference.index]
    return thinned(full, consensus_shares(full, reference, args), list(REAL_DEPTHS), args.replicates, args.seed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", nargs="+", choices=SCENARIOS, default=["pan-cancer"])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/synsig")
    parser.add_argument("--real", type=Path, help="real catalog (SigProfiler matrix) for the real scenario")
    parser.add_argument("--samples", type=int, default=100,
                        help="samples per cohort (pan-cancer, small, exome: a quarter per type and depth; unknown: "
                             "half)")
    parser.add_argument("--replicates", type=int, default=3, help="draws of each real genome per depth")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--depths", type=int, nargs="+", default=list(DEPTHS), help="mutations per sample")
    parser.add_argument("--network", action="store_true", help="also the supervised network, trained on each call")
    parser.add_argument("--breakdown", action="store_true", help="also the signatures most often false and missed")
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown with their provenance")
    parser.add_argument("--spa-python", help="python of a venv with SigProfilerAssignment")
    parser.add_argument("--spa-driver", default=str(Path(__file__).resolve().parent / "spa" / "run_spa.py"),
                        help="its driver script (CATALOG OUTDIR [--exome] -> prints the activities table's path)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="refit.KEY=VALUE",
                        help="also fit with this setting (repeatable: all together), beside the defaults")
    args = parser.parse_args()
    variant = variant_fit(args.overrides)
    summary = []
    for name in args.scenario:
        exome = name == "exome"
        reference = cosmic_signatures(choice=CosmicConfig(exome=exome))
        calls = scenario_calls(name, args, reference)
        if name == "withheld":
            reference = reference.drop(columns=list(WITHHELD))
        batch = merged(calls)
        methods = {"NNLS": lambda c, r: fit_signatures(c, r, RefitConfig(method="nnls")),
                   "unfoldnmf fit": fit_signatures,
                   "fit borrowing from the whole call": lambda c, r: fit_signatures(
                       c, r, RefitConfig(borrow="cohort")),
                   "fit assigning every mutation": lambda c, r: fit_signatures(c, r, RefitConfig(unexplained_z=0.0))}
        if name in ("pan-cancer", "small", "exome"):
            methods["unfoldnmf fit, each sample alone"] = each_alone
        if variant:
            methods.update(variant)
        if args.network:
            methods["unfolded network"] = network_runner()
        rows, notes = [], []
        for method, run in methods.items():
            tick = time.perf_counter()
            found = pd.concat([run(call.catalog, reference) for call in calls])
            rows += scored_rows(method, batch, found, time.perf_counter() - tick, args.breakdown, notes)
        if args.spa_python and name != "withheld":  # its driver fits the whole reference, withheld ones too
            tick = time.perf_counter()
            found = spa_fit(args.spa_python, args.spa_driver, batch.catalog, reference, exome)
            rows += scored_rows("SigProfilerAssignment", batch, found, time.perf_counter() - tick, args.breakdown,
                                notes)
        table = pd.DataFrame(rows).sort_values(["mutations"], kind="stable")
        summary.append(table.assign(scenario=name))
        title = (f"{name}: {batch.catalog.shape[1]} samples in {len(calls)} call{'s' * (len(calls) > 1)}, "
                 f"seed {args.seed}")
        print(markdown_table(table, title) if args.markdown else f"\n{title}\n\n" + table.to_string(
            index=False, float_format=lambda v: f"{v:.3f}" if abs(v) < 100 else f"{v:.0f}"))
        if notes:
            print("\nSamples with each false / missed signature (most frequent first):\n" + "\n".join(notes))
        sys.stdout.flush()
    if len(summary) > 1:
        print(summary_table(pd.concat(summary), args.markdown, {name: name for name in variant}))
    return 0


def variant_fit(overrides: list[str]) -> dict:
    """``fit`` with the refit settings ``overrides`` (``refit.KEY=VALUE`` each), as one named method; none
    without overrides."""
    if not overrides:
        return {}
    outside = [text for text in overrides if not text.startswith("refit.")]
    if outside:
        sys.exit(f"--set {outside[0]}: only refit.KEY=VALUE settings change fit")
    try:
        config = load_config(None, [parse_override(text) for text in overrides])
    except InputError as error:
        sys.exit(str(error))
    return {"fit with " + ", ".join(overrides): lambda c, r: fit_signatures(c, r, config.refit)}


#: The summary table's columns (method: label): ``fit``'s, then any ``--set`` variant's, then the others'.
FIT_COLUMNS = {"unfoldnmf fit": "fit", "fit assigning every mutation": "fit, all assigned"}
OTHER_COLUMNS = {"unfolded network": "network", "SigProfilerAssignment": "SPA"}


def summary_table(rows: pd.DataFrame, markdown: bool, extra: dict[str, str]) -> str:
    """One row per scenario and depth: TAE (false signatures per sample) of ``fit``, of ``fit`` assigning every
    mutation, of the ``extra`` methods (name: column label), of the network and of SPA (an empty cell: not run on
    that scenario)."""
    labels = {**FIT_COLUMNS, **extra, **OTHER_COLUMNS}
    rows = rows[rows["method"].isin(list(labels))]
    cells = rows.assign(value=[f"{t:.3f} ({f:.2f})" for t, f in zip(rows["TAE"], rows["FP"])])
    table = cells.pivot_table(index=["scenario", "mutations"], columns="method", values="value", aggfunc="first",
                              sort=False).reset_index().fillna("")
    order = {name: i for i, name in enumerate(dict.fromkeys(rows["scenario"]))}
    table = table.sort_values(["scenario", "mutations"], key=lambda c: c.map(order) if c.name == "scenario" else c)
    table = table[["scenario", "mutations", *[m for m in labels if m in table.columns]]]
    table.columns = ["scenario", "mutations", *[f"{labels[m]} TAE (FP)" for m in table.columns[2:]]]
    title = "Refit by scenario: TAE (false signatures per sample)"
    return markdown_table(table, title) if markdown else f"\n{title}\n\n{table.to_string(index=False)}"


def scored_rows(method: str, batch: Call, found: pd.DataFrame, seconds: float, detail: bool,
                notes: list[str]) -> list[dict]:
    """One row per nominal depth of ``batch`` for ``method``'s exposures ``found``."""
    rows = []
    mutations = batch.catalog.sum()
    for depth, samples in batch.depth.groupby(batch.depth).groups.items():
        truth = batch.truth.loc[samples].loc[:, lambda t: (t > 0).any()]
        rows.append({"mutations": int(depth), "method": method, **score(truth, found.loc[samples], mutations),
                     "spl/s": batch.catalog.shape[1] / seconds})
        if detail:
            notes.append(f"{depth} {method}: {breakdown(truth, found.loc[samples])}")
    print(f"  {method}: {seconds:.1f} s", file=sys.stderr)
    return rows


if __name__ == "__main__":
    sys.exit(main())
