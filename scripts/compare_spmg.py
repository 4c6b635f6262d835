"""`unfoldnmf catalog` beside SigProfilerMatrixGenerator on the same calls: counts and speed (issue 15).

SigProfilerMatrixGenerator (SPMG) needs its own install of a reference genome; this script installs
the synthetic genome of ``bench_catalog.py`` into it as a custom genome (SPMG keeps a checksum table
of the genomes it knows, to which the driver adds this one), counts the same VCF with both tools,
each in a fresh process, and prints per table the totals, the cells that differ and the wall time.
SPMG runs from a separate venv (never our dependency):

    python scripts/compare_spmg.py --spmg-python /path/to/venv/bin/python [--records 100000]

Expected differences, by design (README, "From mutation calls"): SPMG also counts both bases of a
doublet as SBS (2 more SBS per doublet), and it calls a doublet a multi-nucleotide substitution, in
neither table, when it lies in a cluster of three or more SNVs each within 5 bp of the next (SPMG
1.4.0's code), where we keep it a doublet. The column "SPMG, by those rules" applies both to our
counts; when it equals the SPMG column, these are the only differences.
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_catalog import write_inputs  # noqa: E402

GENOME = "unfoldnmf_synthetic"

#: Run with SPMG's Python: install the custom genome, register its checksums, count the VCF folder.
DRIVER = """
import hashlib, io, shutil, sys, time
from contextlib import redirect_stdout
from SigProfilerMatrixGenerator import install
from SigProfilerMatrixGenerator.scripts import ref_install, reference_genome_manager
from SigProfilerMatrixGenerator.scripts import SigProfilerMatrixGeneratorFunc as generator
genome, fasta_folder, vcf_folder, empty = sys.argv[1:5]
installed = ref_install.reference_dir().path / "references" / "chromosomes"
for part in installed.iterdir():  # an earlier run's genome of this name: SPMG would reuse its files
    shutil.rmtree(part / genome, ignore_errors=True)
with redirect_stdout(io.StringIO()):
    install.install(genome, custom=True, fastaPath=fasta_folder, transcriptPath=empty, exomePath=empty)
tsb = ref_install.reference_dir().get_tsb_dir() / genome
reference_genome_manager.CHECKSUMS[genome] = {
    path.stem: hashlib.md5(path.read_bytes()).hexdigest() for path in tsb.glob("*.txt") \
if "proportions" not in path.name}
tick = time.perf_counter()
with redirect_stdout(io.StringIO()):
    matrices = generator.SigProfilerMatrixGeneratorFunc("compare", genome, vcf_folder, plot=False, exome=False)
print(time.perf_counter() - tick)
for key, name in (("96", "SBS96"), ("DINUC", "DBS78"), ("ID", "ID83")):
    matrices[key].to_csv(f"{vcf_folder}/spmg_{name}.tsv", sep="\\t")
"""


def spmg_inputs(folder: Path, fasta: Path, vcf: Path) -> tuple[Path, Path]:
    """The genome as SPMG's custom install wants it (one gzipped FASTA per chromosome, named by its
    number) and a folder holding only the VCF."""
    fasta_folder, vcf_folder = folder / "spmg_fasta", folder / "spmg_vcf"
    fasta_folder.mkdir()
    vcf_folder.mkdir()
    sequence = "".join(line.strip() for line in fasta.read_text().splitlines()[1:])
    with gzip.open(fasta_folder / f"Homo_sapiens.{GENOME}.dna.chromosome.1.fa.gz", "wt") as handle:
        handle.write(">1\n" + "\n".join(sequence[i:i + 60] for i in range(0, len(sequence), 60)) + "\n")
    (vcf_folder / "sample.vcf").write_text(vcf.read_text())
    return fasta_folder, vcf_folder


def doublets_in_clusters(vcf: Path, gap: int = 5) -> int:
    """Runs of exactly two adjacent SNVs that lie in a cluster of three or more SNVs each at most
    ``gap`` bases from the next (one sample, one contig, sorted, as ``write_inputs`` writes them)."""
    positions = [int(fields[1]) for fields in (line.split("\t") for line in vcf.read_text().splitlines())
                 if not fields[0].startswith("#") and len(fields[3]) == len(fields[4]) == 1]
    found, start = 0, 0
    for end in range(1, len(positions) + 1):
        if end == len(positions) or positions[end] - positions[end - 1] > gap:
            cluster = positions[start:end]
            if len(cluster) >= 3:
                run = 1
                for i in range(1, len(cluster) + 1):
                    if i < len(cluster) and cluster[i] == cluster[i - 1] + 1:
                        run += 1
                        continue
                    found += run == 2
                    run = 1
            start = end
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spmg-python", required=True, help="python of a venv with SigProfilerMatrixGenerator")
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        fasta, vcf = write_inputs(folder, args.records)
        fasta_folder, vcf_folder = spmg_inputs(folder, fasta, vcf)
        (folder / "empty.txt").write_text("")
        done = subprocess.run([args.spmg_python, "-c", DRIVER, GENOME, str(fasta_folder), str(vcf_folder),
                               str(folder / "empty.txt")], input="yes\n" * 10, capture_output=True, text=True)
        if done.returncode:
            print(f"SigProfilerMatrixGenerator failed (exit {done.returncode}):\n"
                  f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}", file=sys.stderr)
            return 1
        spmg_seconds = float(done.stdout.strip().splitlines()[-1])
        tick = time.perf_counter()
        subprocess.run([sys.executable, "-m", "unfoldnmf", "catalog", str(vcf), "--fasta", str(fasta), "-o",
                        str(folder / "ours"), "--quiet"], check=True)
        our_seconds = time.perf_counter() - tick
        rows, totals = [], {}
        for table in ("DBS78", "SBS96", "ID83"):  # SBS96 after DBS78: its expected count needs the doublets
            ours = pd.read_csv(folder / "ours" / f"{table}.tsv", sep="\t", index_col=0).iloc[:, 0]
            theirs = pd.read_csv(vcf_folder / f"spmg_{table}.tsv", sep="\t", index_col=0).iloc[:, 0]
            theirs = theirs.reindex(ours.index, fill_value=0)
            totals[table] = int(ours.sum())
            by_rules = {"SBS96": totals[table] + 2 * totals["DBS78"], "ID83": totals[table],
                        "DBS78": totals[table] - doublets_in_clusters(vcf)}
            rows.append({"table": table, "unfoldnmf": int(ours.sum()), "SPMG": int(theirs.sum()),
                         "cells differing": int((ours != theirs).sum()),
                         "largest |difference|": int((ours - theirs).abs().max()),
                         "SPMG, by those rules": by_rules[table]})
    print(f"{args.records} VCF records (bench_catalog.py's synthetic genome and calls)\n")
    print(pd.DataFrame(rows).to_string(index=False))
    print(f"\nwall time: unfoldnmf catalog {our_seconds:.1f} s (whole command, fresh process); "
          f"SigProfilerMatrixGenerator {spmg_seconds:.1f} s (matrix generation only, genome installed beforehand)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
