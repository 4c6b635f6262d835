"""Check COSMIC assignment on real signatures (issue 5) and measure the novelty threshold.

1. Every signature of a ../shared/data/synsig/*.sp ground truth, assigned against COSMIC v3.4,
   must come back as itself alone with cosine >= 0.99 (SBS40, split into SBS40a-c in v3.4,
   excepted; SBS22 is SBS22a in v3.4).
2. Every 50/50 mix of two of them must come back as exactly those two.
3. Threshold: the cosine reached for (a) noisy copies of known signatures, as an extraction
   returns them (Poisson noise on a 96-channel signature of `--noise-mutations` mutations),
   and (b) "novel" signatures: each known one with itself removed from the reference.

    python scripts/check_assign.py [--data ../shared/data/synsig] [--markdown]

``--markdown`` also prints the findings as one table with its provenance caption (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from unfoldnmf.config import AssignmentConfig  # noqa: E402
from unfoldnmf.io.tables import read_signatures  # noqa: E402
from unfoldnmf.reference.assign import assign_signatures  # noqa: E402
from unfoldnmf.reference.cosmic import cosmic_signatures  # noqa: E402

from markdown_tables import markdown_table  # noqa: E402  (scripts/markdown_tables.py)

RENAMED = {"SBS22": "SBS22a"}
EXCEPTED = {"SBS40"}


def truth_signatures(data: Path) -> pd.DataFrame:
    columns = {}
    for path in sorted(data.glob("*.sp/ground.truth.syn.sigs.csv")):
        table = read_signatures(path)
        for name in table.columns:
            columns[name] = table[name]
    return pd.DataFrame(columns)


def mixes(assignment) -> dict[str, set[str]]:
    w = assignment.weights
    return {name: set(w.index[w[name] > 0]) for name in w.columns}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/synsig")
    parser.add_argument("--noise-mutations", type=int, nargs="+", default=[500, 2000, 10000])
    parser.add_argument("--markdown", action="store_true", help="also print the findings as a Markdown table")
    args = parser.parse_args()
    reference = cosmic_signatures()
    truth = truth_signatures(args.data)
    failures = 0
    findings = []  # (check, result) rows of the --markdown table

    result = assign_signatures(truth, reference)
    print(f"1. {truth.shape[1]} ground-truth signatures assigned to COSMIC v3.4")
    for name, members in mixes(result).items():
        expected = {RENAMED.get(name, name)}
        ok = name in EXCEPTED or (members == expected and result.cosine[name] >= 0.99)
        failures += not ok
        mark = "ok" if ok else ("excepted" if name in EXCEPTED else "FAIL")
        print(f"   {name:<7} -> {result.table().set_index('Signature').loc[name, 'Reference']:<40} "
              f"cos {result.cosine[name]:.4f}  {mark}")
    names = [n for n in truth.columns if n not in EXCEPTED]
    findings.append(("ground-truth signatures assigned to themselves alone, cosine ≥ 0.99 (SBS40 excepted)",
                     f"{len(names) - failures}/{len(names)}; lowest cosine {result.cosine[names].min():.3f}"))

    pairs = list(itertools.combinations(names, 2))
    mixed = pd.DataFrame({f"{a}+{b}": 0.5 * truth[a] + 0.5 * truth[b] for a, b in pairs})
    result = assign_signatures(mixed, reference)
    wrong = [(label, sorted(members), result.cosine[label]) for label, members in mixes(result).items()
             if members != {RENAMED.get(n, n) for n in label.split("+")}]
    failures += len(wrong)
    print(f"2. 50/50 mixes: {len(pairs) - len(wrong)}/{len(pairs)} come back as the two")
    findings.append(("50/50 mixes of two come back as exactly those two", f"{len(pairs) - len(wrong)}/{len(pairs)}"))
    for label, members, cosine in wrong:
        print(f"   FAIL {label} -> {members} cos {cosine:.4f}")

    rng = np.random.default_rng(0)
    print("3. cosine of the assigned mix (min / 5th percentile / median)")
    for mutations in args.noise_mutations:
        noisy = pd.DataFrame({n: rng.poisson(truth[n] * mutations) + 0.0 for n in names}, index=truth.index)
        noisy = noisy / noisy.sum()
        noisy_result = assign_signatures(noisy, reference)
        cos = noisy_result.cosine
        alone = sum(members == {RENAMED.get(n, n)} for n, members in mixes(noisy_result).items())
        print(f"   known + noise ({mutations:>5} mutations): {cos.min():.3f} / {cos.quantile(0.05):.3f} / "
              f"{cos.median():.3f}; {alone}/{len(names)} assigned to themselves alone, "
              f"{int(noisy_result.novel.sum())} called novel")
        findings.append((f"known signature + Poisson noise of {mutations} mutations: cosine min / 5th pct / median; "
                         "assigned to itself alone; called novel",
                         f"{cos.min():.3f} / {cos.quantile(0.05):.3f} / {cos.median():.3f}; {alone}/{len(names)}; "
                         f"{int(noisy_result.novel.sum())}"))
    loo = []
    for n in names:
        own = RENAMED.get(n, n)
        loo.append(assign_signatures(truth[[n]], reference.drop(columns=own)).cosine[n])
    loo = pd.Series(loo, index=names).sort_values(ascending=False)
    print(f"   novel (own signature removed): {int((loo < AssignmentConfig.min_cosine).sum())}/{len(loo)} "
          f"called novel; max {loo.max():.3f} / 95th percentile {loo.quantile(0.95):.3f} / "
          f"median {loo.median():.3f}")
    print("   highest: " + ", ".join(f"{n} {c:.3f}" for n, c in loo.head(8).items()))
    findings.append((f"own signature removed from the reference: called novel (cosine < {AssignmentConfig.min_cosine})",
                     f"{int((loo < AssignmentConfig.min_cosine).sum())}/{len(loo)}; max cosine {loo.max():.3f}"))
    if args.markdown:
        print()
        print(markdown_table(pd.DataFrame(findings, columns=["check", "result"]),
                             f"Assignment to COSMIC v3.4 of the {truth.shape[1]} SynSig ground-truth signatures"))
    print("FAILED" if failures else "PASSED", f"({failures} failure(s))")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
