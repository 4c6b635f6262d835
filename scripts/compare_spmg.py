"""`unfoldnmf catalog` beside SigProfilerMatrixGenerator on the same calls: counts and speed (issues 15, 46).

SigProfilerMatrixGenerator (SPMG) needs its own install of a reference genome; this script installs
the synthetic genome of ``bench_catalog.py`` into it as a custom genome (SPMG keeps a checksum table
of the genomes it knows, to which the driver adds this one), counts the same calls with both tools,
each in a fresh process, and prints per table the totals, the cells that differ and the wall time.
SPMG runs from a separate venv (never our dependency):

    python scripts/compare_spmg.py --spmg-python /path/to/venv/bin/python [--records 100000] [--case CASE]

Cases (``--case``), all from bench_catalog.py's synthetic calls:

* ``vcf`` (default): the sorted single-sample VCF.
* ``shuffled-maf``: the same calls as a MAF of 4 samples (blocks of 1000 consecutive calls each),
  rows in random order, in the standard MAF column layout (SPMG reads columns by position).
* ``multi-allelic``: the VCF with a second ALT added to every 20th SNV (``C → T,A``) and to every
  deletion of 2+ bases an ALT that trimming turns into an SNV after the anchor (``ACG → A,ATG``);
  it is counted beside the same alleles written one per record, trimmed (``split``). Our two
  catalogs must be equal; SPMG reads ALT as one allele (from its code), so its catalogs of the two
  files show what it leaves out or miscounts of multi-allelic records. Two SNVs at one position
  (the split file's) are two SBS and no doublet here, which the column "SPMG, by those rules" does
  not model, so it is left out.

Measured (docs/benchmarks.md, "Counting mutation calls"): the MAF's ID-83 totals agree but its 1-bp insertions
land in other homopolymer classes in SPMG, which moves every MAF indel's Start_Position back one
base, while a MAF insertion's Start_Position is already the base before it (GDC's convention, and
ours: our MAF and VCF catalogs are equal).

Expected differences, by design (docs/commands/catalog.md): SPMG also counts both bases of a
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
from bench_catalog import write_inputs, write_shuffled_maf  # noqa: E402
from markdown_tables import markdown_table  # noqa: E402

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


TABLES = ("DBS78", "SBS96", "ID83")  # SBS96 after DBS78: its expected count needs the doublets
#: The standard MAF columns up to Tumor_Sample_Barcode, the positions SPMG reads them at.
MAF_COLUMNS = ("Hugo_Symbol", "Entrez_Gene_Id", "Center", "NCBI_Build", "Chromosome", "Start_Position", "End_Position",
               "Strand", "Variant_Classification", "Variant_Type", "Reference_Allele", "Tumor_Seq_Allele1",
               "Tumor_Seq_Allele2", "dbSNP_RS", "dbSNP_Val_Status", "Tumor_Sample_Barcode")


def spmg_fasta(folder: Path, fasta: Path) -> Path:
    """The genome as SPMG's custom install wants it: one gzipped FASTA per chromosome, named by its number."""
    fasta_folder = folder / "spmg_fasta"
    fasta_folder.mkdir()
    sequence = "".join(line.strip() for line in fasta.read_text().splitlines()[1:])
    with gzip.open(fasta_folder / f"Homo_sapiens.{GENOME}.dna.chromosome.1.fa.gz", "wt") as handle:
        handle.write(">1\n" + "\n".join(sequence[i:i + 60] for i in range(0, len(sequence), 60)) + "\n")
    return fasta_folder


def shuffled_maf(vcf: Path, samples: int = 4) -> Path:
    """``vcf``'s calls as a MAF of ``samples`` samples (bench_catalog's), rows shuffled, in the standard
    column layout."""
    short = write_shuffled_maf(vcf, samples)  # Tumor_Sample_Barcode, Chromosome, Start_Position, REF, Allele2
    lines = ["\t".join(MAF_COLUMNS)]
    for row in short.read_text().splitlines()[1:]:
        sample, contig, start, ref, alt = row.split("\t")
        end = int(start) + max(len(ref.strip("-")), 1) - 1
        kind = "INS" if ref == "-" else "DEL" if alt == "-" else "SNP"
        lines.append("\t".join(["G", "0", ".", "GRCh38", contig, start, str(end), "+", "Missense_Mutation", kind, ref,
                                ref, alt, "novel", "", sample]))
    maf = vcf.with_name("cohort.maf")
    maf.write_text("\n".join(lines) + "\n")
    return maf


def multi_allelic(vcf: Path) -> tuple[Path, Path]:
    """``vcf`` with second ALT alleles added (see the module's cases), and the same alleles one per
    record, trimmed to their minimal form."""
    multi, split = [], []
    snvs = 0
    for line in vcf.read_text().splitlines():
        if line.startswith("#"):
            multi.append(line)
            split.append(line)
            continue
        fields = line.split("\t")
        position, ref, alt = int(fields[1]), fields[3], fields[4]
        extra = []
        if len(ref) == len(alt) == 1:
            snvs += 1
            if snvs % 20 == 0:
                extra = [next(base for base in "ACGT" if base not in (ref, alt))]
        elif len(ref) >= 3:
            extra = [ref[0] + next(base for base in "ACGT" if base != ref[1]) + ref[2:]]
        multi.append("\t".join([*fields[:4], ",".join([alt, *extra]), *fields[5:]]))
        trimmed = [(position, ref, alt)] + [(position + 1, ref[1], allele[1]) if len(ref) >= 3
                                             else (position, ref, allele) for allele in extra]
        split += ["\t".join([fields[0], str(at), ".", r, a, *fields[5:]]) for at, r, a in sorted(trimmed)]
    paths = vcf.with_name("multi.vcf"), vcf.with_name("split.vcf")
    for path, lines in zip(paths, (multi, split)):
        path.write_text("\n".join(lines) + "\n")
    return paths


def snv_positions(calls: Path) -> dict[str, list[int]]:
    """Each sample's SNV positions, sorted (a VCF is one sample)."""
    found: dict[str, list[int]] = {}
    for line in calls.read_text().splitlines():
        fields = line.split("\t")
        if calls.suffix == ".vcf" and not line.startswith("#") and len(fields[3]) == 1 and len(fields[4]) == 1:
            found.setdefault("sample", []).append(int(fields[1]))
        elif calls.suffix == ".maf" and fields[0] != "Hugo_Symbol" and len(fields[10]) == len(fields[12]) == 1 \
                and "-" not in (fields[10], fields[12]):
            found.setdefault(fields[15], []).append(int(fields[5]))
    return {sample: sorted(positions) for sample, positions in found.items()}


def doublets_in_clusters(positions: list[int], gap: int = 5) -> int:
    """Runs of exactly two adjacent SNVs (of one sample, at sorted ``positions``) that lie in a
    cluster of three or more SNVs each at most ``gap`` bases from the next."""
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


def count_spmg(python: str, folder: Path, fasta_folder: Path, calls: Path) -> tuple[dict[str, pd.DataFrame], float]:
    """SPMG's tables of ``calls`` (samples named as ours name them) and its seconds."""
    inputs = folder / f"spmg_{calls.stem}"
    inputs.mkdir()
    (inputs / ("sample.vcf" if calls.suffix == ".vcf" else calls.name)).write_text(calls.read_text())
    (folder / "empty.txt").write_text("")
    done = subprocess.run([python, "-c", DRIVER, GENOME, str(fasta_folder), str(inputs), str(folder / "empty.txt")],
                          input="yes\n" * 10, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"SigProfilerMatrixGenerator failed on {calls.name} (exit {done.returncode}):\n"
                           f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    tables = {table: pd.read_csv(inputs / f"spmg_{table}.tsv", sep="\t", index_col=0) for table in TABLES}
    if calls.suffix == ".vcf":
        tables = {table: frame.set_axis(["sample"], axis=1) for table, frame in tables.items()}
    return tables, float(done.stdout.strip().splitlines()[-1])


def count_ours(folder: Path, fasta: Path, calls: Path) -> tuple[dict[str, pd.DataFrame], float]:
    """Our tables of ``calls`` (a VCF's one sample named ``sample``) and the whole command's seconds."""
    out = folder / f"ours_{calls.stem}"
    tick = time.perf_counter()
    subprocess.run([sys.executable, "-m", "unfoldnmf", "catalog", str(calls), "--fasta", str(fasta), "-o", str(out),
                    "--quiet"], check=True)
    seconds = time.perf_counter() - tick
    tables = {table: pd.read_csv(out / f"{table}.tsv", sep="\t", index_col=0) for table in TABLES}
    if calls.suffix == ".vcf":
        tables = {table: frame.set_axis(["sample"], axis=1) for table, frame in tables.items()}
    return tables, seconds


def compare(ours: dict[str, pd.DataFrame], theirs: dict[str, pd.DataFrame], clustered: int | None,
            names: tuple[str, str] = ("unfoldnmf", "SPMG")) -> pd.DataFrame:
    """Per table, both sides' totals and the cells (channel × sample) that differ; with ``clustered``
    (doublets in SNV clusters) the count SPMG should give by the documented rules."""
    rows, totals = [], {}
    for table in TABLES:
        left = ours[table]
        right = theirs[table].reindex(index=left.index, columns=left.columns, fill_value=0)
        totals[table] = int(left.to_numpy().sum())
        by_channel = (left - right).sum(axis=1)
        most = by_channel.abs().nlargest(3)
        row = {"table": table, names[0]: totals[table], names[1]: int(right.to_numpy().sum()),
               "cells differing": int((left != right).to_numpy().sum()),
               "largest |difference|": int((left - right).abs().to_numpy().max()),
               "channels differing most (all samples)": ", ".join(f"{label} {by_channel[label]:+d}"
                                                                  for label in most.index if most[label]) or "-"}
        if clustered is not None:
            row["SPMG, by those rules"] = {"SBS96": totals[table] + 2 * totals["DBS78"], "ID83": totals[table],
                                           "DBS78": totals[table] - clustered}[table]
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spmg-python", required=True, help="python of a venv with SigProfilerMatrixGenerator")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--case", choices=["vcf", "shuffled-maf", "multi-allelic"], default="vcf")
    parser.add_argument("--markdown", action="store_true",
                        help="print the tables as Markdown with a provenance caption (docs/benchmarks.md)")
    args = parser.parse_args()

    def show(table: pd.DataFrame, title: str) -> None:
        print(markdown_table(table, title) if args.markdown else f"\n{title}:\n{table.to_string(index=False)}")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        fasta, vcf = write_inputs(folder, args.records)
        fasta_folder = spmg_fasta(folder, fasta)
        inputs = {"vcf": [vcf], "shuffled-maf": [shuffled_maf(vcf)], "multi-allelic": list(multi_allelic(vcf))}
        counted = {}
        try:
            for calls in inputs[args.case]:
                clustered = (None if args.case == "multi-allelic"  # the rule needs one SNV per position
                             else sum(map(doublets_in_clusters, snv_positions(calls).values())))
                counted[calls.name] = (count_ours(folder, fasta, calls),
                                       count_spmg(args.spmg_python, folder, fasta_folder, calls), clustered)
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 1
    print(f"{args.records} records of bench_catalog.py's synthetic calls, case {args.case}")
    for name, ((ours, our_seconds), (theirs, spmg_seconds), clustered) in counted.items():
        show(compare(ours, theirs, clustered), f"{name}: unfoldnmf catalog beside SigProfilerMatrixGenerator")
        print(f"wall time: unfoldnmf catalog {our_seconds:.1f} s (whole command, fresh process); "
              f"SigProfilerMatrixGenerator {spmg_seconds:.1f} s (matrix generation only, genome installed beforehand)")
    if args.case == "multi-allelic":
        (ours_multi, _), (spmg_multi, _), _ = counted["multi.vcf"]
        (ours_split, _), (spmg_split, _), _ = counted["split.vcf"]
        print("\nthe multi-allelic records against the same alleles one per record, trimmed (ours must agree):")
        show(compare(ours_multi, ours_split, None, ("unfoldnmf multi", "unfoldnmf split")), "unfoldnmf: multi / split")
        show(compare(spmg_multi, spmg_split, None, ("SPMG multi", "SPMG split")), "SPMG: multi / split")
    return 0


if __name__ == "__main__":
    sys.exit(main())
