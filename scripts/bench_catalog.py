"""Speed and memory of `unfoldnmf catalog` on large synthetic VCFs (issues 15, 46).

Writes a random genome (one contig) and sorted single-sample VCFs of N records (90 % SNVs, some of
them adjacent, 10 % small indels), then runs the real command on each in a fresh process and
prints records/s and the child's peak resident memory. Memory should not grow with N for a VCF
(streamed); with --maf the same calls are also counted from a MAF with its rows shuffled (read
whole and sorted in memory), and the two catalogs must be equal.

    python scripts/bench_catalog.py                      # 10^5 and 10^6 records
    python scripts/bench_catalog.py --records 200000 2000000
    python scripts/bench_catalog.py --records 1000000 --maf [--markdown]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from markdown_tables import markdown_table


def write_inputs(folder: Path, records: int, seed: int = 0) -> tuple[Path, Path]:
    """A genome with room for ``records`` calls and a sorted VCF of them (REF taken from the genome)."""
    rng = np.random.default_rng(seed)
    length = max(records * 20, 10_000)
    genome = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, size=length, dtype=np.uint8)].tobytes().decode()
    fasta = folder / "genome.fa"
    with open(fasta, "w") as handle:
        handle.write(">chr1\n")
        for start in range(0, length, 60):
            handle.write(genome[start:start + 60] + "\n")
    positions = np.unique(rng.integers(100, length - 100, size=2 * records))[:records]  # sorted, distinct
    alternatives = {"A": "CGT", "C": "AGT", "G": "ACT", "T": "ACG"}
    vcf = folder / f"calls_{records}.vcf"
    with open(vcf, "w") as handle:
        handle.write("##fileformat=VCFv4.2\n##contig=<ID=chr1>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        kinds = rng.random(records)
        for position, kind in zip(positions.tolist(), kinds.tolist()):
            ref = genome[position - 1]
            if kind < 0.05:  # a deletion of 1-3 bases
                size = 1 + int(kind * 60) % 3
                deleted = genome[position - 1:position + size]
                handle.write(f"chr1\t{position}\t.\t{deleted}\t{ref}\t.\tPASS\t.\n")
            elif kind < 0.10:
                handle.write(f"chr1\t{position}\t.\t{ref}\t{ref}A\t.\tPASS\t.\n")
            else:
                handle.write(f"chr1\t{position}\t.\t{ref}\t{alternatives[ref][int(kind * 1000) % 3]}\t.\tPASS\t.\n")
    return fasta, vcf


def write_shuffled_maf(vcf: Path, samples: int = 1, block: int = 1000, seed: int = 0) -> Path:
    """The calls of ``vcf`` (as ``write_inputs`` writes them) as a MAF with the rows in random order:
    one sample named as the VCF's is (its file's stem), or blocks of ``block`` consecutive calls to
    each of ``samples`` samples in turn (``<stem>_1`` …)."""
    rows = []
    stem = vcf.name.split(".")[0]
    for index, line in enumerate(line for line in vcf.read_text().splitlines() if not line.startswith("#")):
        sample = stem if samples == 1 else f"{stem}_{index // block % samples + 1}"
        contig, position, _, ref, alt = line.split("\t")[:5]
        start = int(position)
        if len(ref) > len(alt):  # VCF deletion: its anchor base first; MAF starts at the first deleted base
            start, ref, alt = start + 1, ref[1:], "-"
        elif len(alt) > len(ref):  # insertion: MAF keeps the base before it as Start_Position
            ref, alt = "-", alt[1:]
        rows.append(f"{sample}\t{contig}\t{start}\t{ref}\t{alt}")
    np.random.default_rng(seed).shuffle(rows)
    maf = vcf.with_suffix(".maf")
    maf.write_text("Tumor_Sample_Barcode\tChromosome\tStart_Position\tReference_Allele\tTumor_Seq_Allele2\n"
                   + "\n".join(rows) + "\n")
    return maf


#: Runs the command line in a fresh process and prints that process's own peak memory (KB).
CHILD = """
import resource, sys
from unfoldnmf.cli import cli
try:
    cli(sys.argv[1:], standalone_mode=False)
finally:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--maf", action="store_true", help="also count the calls from a MAF with shuffled rows")
    parser.add_argument("--write", metavar="FOLDER", help=argparse.SUPPRESS)  # used by the script itself
    parser.add_argument("--markdown", action="store_true",
                        help="also print the table(s) as Markdown with a provenance caption (docs/benchmarks.md)")
    args = parser.parse_args()
    if args.write:
        _, vcf = write_inputs(Path(args.write), args.records[0])
        if args.maf:
            write_shuffled_maf(vcf)
        return 0
    rows = []
    print(f"{'input':>13} {'records':>10} {'seconds':>8} {'records/s':>10} {'peak MB':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for records in args.records:
            # Written by another process: a child inherits (and, on Linux, reports) its parent's peak memory.
            subprocess.run([sys.executable, __file__, "--write", folder, "--records", str(records),
                            *(["--maf"] if args.maf else [])], check=True)
            fasta, vcf = Path(folder) / "genome.fa", Path(folder) / f"calls_{records}.vcf"
            inputs = {"sorted VCF": vcf, "shuffled MAF": vcf.with_suffix(".maf")} if args.maf else {"sorted VCF": vcf}
            for label, calls in inputs.items():
                out = Path(folder) / f"out_{records}_{calls.suffix[1:]}"
                arguments = ["catalog", str(calls), "--fasta", str(fasta), "-o", str(out), "--quiet"]
                tick = time.perf_counter()
                done = subprocess.run([sys.executable, "-c", CHILD, *arguments], check=True, capture_output=True,
                                      text=True)
                seconds = time.perf_counter() - tick
                peak_kb = int(done.stdout.strip().splitlines()[-1])
                print(f"{label:>13} {records:>10} {seconds:>8.1f} {records / seconds:>10.0f} {peak_kb / 1024:>8.0f}")
                rows.append({"input": label, "records": records, "seconds": round(seconds, 1),
                             "records / s": round(records / seconds), "peak MB": round(peak_kb / 1024)})
            if args.maf:
                for table in ("SBS96", "DBS78", "ID83"):
                    texts = {(Path(folder) / f"out_{records}_{kind}" / f"{table}.tsv").read_text()
                             for kind in ("vcf", "maf")}
                    assert len(texts) == 1, f"{table}: the shuffled MAF counts differently from the VCF"
    if args.markdown:
        print(markdown_table(pd.DataFrame(rows), "`catalog` speed and peak memory", digits=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
