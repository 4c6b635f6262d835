"""unfoldnmf catalog on cohorts of files as they come: names that collide, a file given twice, calls
found in two files, rows in any order, multi-allelic records, contigs the FASTA lacks."""

from __future__ import annotations

import random

import pytest

from .test_calls import _vcf, genome, run  # noqa: F401  (genome: the fixture)
from .test_callers import DBS, IDS, SBS, SOMATIC, _expected, check_counts, maf_rows

pysam = pytest.importorskip("pysam")

DUPLICATE = "duplicate calls (seen before for the same sample)"
MAF_HEADER = "Tumor_Sample_Barcode\tChromosome\tStart_Position\tReference_Allele\tTumor_Seq_Allele2"


def _plain(path, calls=SOMATIC):
    """A VCF without sample columns holding ``calls``."""
    return _vcf(path, [(contig, position, ref, alt, "PASS") for contig, position, ref, alt in calls], samples=())


def _maf(path, rows):
    path.write_text("\n".join([MAF_HEADER, *rows]) + "\n")
    return path


def _short_rows(sample, calls):
    """MAF rows with only the required columns (from test_callers' rows: sample, chromosome, start, REF, ALT)."""
    return ["\t".join(row.split("\t")[i] for i in (14, 4, 5, 10, 12)) for row in maf_rows(sample, calls)]


def test_a_maf_in_any_order_counts_as_the_sorted_one(tmp_path, genome):
    rows = _short_rows("S1", SOMATIC) + _short_rows("S2", SOMATIC[:6]) + _short_rows("S3", SOMATIC[6:])
    shuffled = rows[:]
    random.Random(1).shuffle(shuffled)
    assert shuffled != rows
    first = {row.split("\t")[0]: None for row in shuffled}
    _maf(tmp_path / "shuffled.maf", shuffled)
    result = run("catalog", tmp_path / "shuffled.maf", "--fasta", genome, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    expected = {"S1": (SBS, DBS, IDS), "S2": ({"A[C>T]G": 2}, DBS, {}),
                "S3": ({"G[T>G]A": 1, "A[C>A]A": 1, "A[T>G]G": 1, "A[C>T]A": 1}, {}, IDS)}
    check_counts(tmp_path / "out", _expected(**{sample: expected[sample] for sample in first}), {})


def test_an_unsorted_vcf_is_refused_with_how_to_sort_it(tmp_path, genome):
    calls = [(c, p, r, a, "PASS") for c, p, r, a in SOMATIC]
    for name, rows in (("back", [calls[1], calls[0], *calls[2:]]), ("contig again", [calls[-1], *calls[:-1]])):
        vcf = _vcf(tmp_path / f"{name}.vcf", rows, samples=())
        result = run("catalog", vcf, "--fasta", genome, "-o", tmp_path / name)
        assert result.exit_code == 2 and "bcftools sort" in result.output and f"{vcf}: record" in result.output
        assert not (tmp_path / name).exists()
    assert "record 12: 2 again after 1" in result.output  # chr2, then chr1, then chr2 again


def test_files_named_alike_are_refused_until_named(tmp_path, genome):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = _plain(tmp_path / "a" / "tumour.vcf"), _plain(tmp_path / "b" / "tumour.vcf", SOMATIC[:6])
    refused = run("catalog", first, second, "--fasta", genome, "-o", tmp_path / "out")
    assert refused.exit_code == 2 and f"{first} and {second} both give sample tumour" in refused.output
    by_file = run("catalog", first, second, "--fasta", genome, "-o", tmp_path / "out", "--name-from", "file")
    assert by_file.exit_code == 2 and f"{first} and {second} have the same file name" in by_file.output
    assert not (tmp_path / "out").exists()
    table = tmp_path / "samples.tsv"
    table.write_text(f"# file, column, sample\n{first}\t.\tpatient-A\n{second}\t.\tpatient-B\n")
    named = run("catalog", first, second, "--fasta", genome, "-o", tmp_path / "out", "--samples", table)
    assert named.exit_code == 0, named.output
    check_counts(tmp_path / "out", _expected(**{"patient-A": (SBS, DBS, IDS),
                                                "patient-B": ({"A[C>T]G": 2}, DBS, {})}), {})


@pytest.mark.parametrize("option, rows, message", [
    ("--samples", "elsewhere.vcf\t.\tX\n", "line 1: elsewhere.vcf is not one of the calls files"),
    ("--samples", "{vcf}\tTUMOR\tX\n", "no such column: {vcf} column TUMOR"),
    ("--samples", "{vcf}\ttumour\n", "line 1: expected 3 tab-separated fields"),
    ("--name-from", None, "names one sample per file, but it has several (tumour, other)"),
])
def test_naming_mistakes_are_refused(tmp_path, genome, option, rows, message):
    vcf = _vcf(tmp_path / "calls.vcf", [(c, p, r, a, "PASS", "0/1", "0/1") for c, p, r, a in SOMATIC])
    value = "file"
    if rows is not None:
        value = tmp_path / "samples.tsv"
        value.write_text(rows.format(vcf=vcf))
    result = run("catalog", vcf, "--fasta", genome, "-o", tmp_path / "out", option, value)
    assert result.exit_code == 2 and message.format(vcf=vcf.resolve()) in result.output, result.output
    assert not (tmp_path / "out").exists()


def test_a_file_given_twice_counts_each_call_once(tmp_path, genome):
    vcf = _plain(tmp_path / "P3.vcf")
    result = run("catalog", vcf, vcf, "--fasta", genome, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    info = check_counts(tmp_path / "out", _expected(P3=(SBS, DBS, IDS)), {DUPLICATE: len(SOMATIC)})
    assert info["records"] == 2 * len(SOMATIC)


def test_calls_found_in_two_files_of_one_tumour_count_once(tmp_path, genome):
    """SNV and indel files that overlap (the insertion in both), and two MAFs of a cohort that share a
    tumour (its calls at 29-30 in both): each call is counted once and the rest merged."""
    snvs = _plain(tmp_path / "P4.snvs.vcf", [c for c in SOMATIC if len(c[2]) == len(c[3])] + [SOMATIC[-2]])
    indels = _plain(tmp_path / "P4.indels.vcf", [c for c in SOMATIC if len(c[2]) != len(c[3])])
    result = run("catalog", snvs, indels, "--fasta", genome, "-o", tmp_path / "vcf", "--name-from", "file")
    assert result.exit_code == 0, result.output
    check_counts(tmp_path / "vcf", _expected(P4=(SBS, DBS, IDS)), {DUPLICATE: 1})
    first = _maf(tmp_path / "part1.maf", _short_rows("S1", SOMATIC[:6]) + _short_rows("S2", SOMATIC[:2]))
    second = _maf(tmp_path / "part2.maf", _short_rows("S1", SOMATIC[4:]))
    result = run("catalog", first, second, "--fasta", genome, "-o", tmp_path / "maf")
    assert result.exit_code == 0, result.output
    assert f"sample S1: calls from {first}, {second}" in result.output
    check_counts(tmp_path / "maf", _expected(S1=(SBS, DBS, IDS), S2=({"A[C>T]G": 2}, {}, {})), {DUPLICATE: 2})


#: chr1 52-54 is GCA between Ts; 36-38 is ACA; 21-24 TCCT.
MULTI_ALLELIC = [("1", 7, "C", "C[2:20["), ("1", 22, "C", "T,A"), ("1", 23, "C", "T"), ("1", 36, "ACA", "ACC"),
                 ("1", 37, "C", "G"),
                 ("1", 52, "GCA", "G,GA,ACA,<DEL>,*")]


@pytest.mark.parametrize("split", [False, True], ids=["one record", "split into records"])
def test_multi_allelic_records_are_split_and_trimmed(tmp_path, genome, split):
    """GCA>G deletes CA, GCA>GA deletes C, GCA>ACA is the SNV G>A (G[C>T]A on the C strand); ACA>ACC
    at 36 is A>C at 38, after the next record's C>G at 37: the two form a doublet; symbolic, '*' and
    breakend alleles are skipped. C>T and C>A at 22 are two SBS, and neither forms a doublet with 23,
    whichever comes first."""
    records = [(c, p, r, alt) for c, p, r, alts in MULTI_ALLELIC
               for alt in (alts.split(",")[::-1] if split else [alts])]
    vcf = _plain(tmp_path / "multi.vcf", records)
    result = run("catalog", vcf, "--fasta", genome, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    sbs = {"G[C>T]A": 1, "T[C>T]C": 1, "T[C>A]C": 1, "C[C>T]T": 1}
    check_counts(tmp_path / "out", _expected(multi=(sbs, {"TG>GC": 1}, {"2:Del:R:0": 1, "1:Del:C:0": 1})),
                 {"breakend alleles": 1, "symbolic alleles (<DEL>, <INS>, <*> …)": 1,
                  "'*' alleles (a deletion spanning the site)": 1})


def test_calls_on_contigs_the_fasta_lacks(tmp_path, genome):
    """A few are a counted skip; most (over half of 20 or more, or all of fewer) stop the run with
    both sides' contig names and the likely cause."""
    refseq = _vcf(tmp_path / "refseq.vcf", [({"1": "NC_000001.11", "2": "NC_000002.12"}[c], p, r, a, "PASS")
                                            for c, p, r, a in SOMATIC], samples=(), contigs=("NC_000001.11",
                                                                                            "NC_000002.12"))
    result = run("catalog", refseq, "--fasta", genome, "-o", tmp_path / "refseq")
    assert result.exit_code == 2 and not (tmp_path / "refseq").exists()
    assert ("12 of 12 calls are on contigs the FASTA lacks (calls: NC_000001.11, NC_000002.12; FASTA: chr1, chr2): "
            "RefSeq accession names") in result.output
    for absent, stops in ((8, False), (13, True)):
        calls = SOMATIC + [("7", position, "A", "G") for position in range(1, absent + 1)]
        vcf = _vcf(tmp_path / f"absent{absent}.vcf", [(*call, "PASS") for call in calls], samples=(),
                   contigs=("1", "2", "7"))
        result = run("catalog", vcf, "--fasta", genome, "-o", tmp_path / f"out{absent}")
        if stops:
            assert result.exit_code == 2 and f"{absent} of {len(calls)} calls are on contigs" in result.output
            assert "another genome" in result.output and not (tmp_path / f"out{absent}").exists()
        else:
            assert result.exit_code == 0, result.output
            check_counts(tmp_path / f"out{absent}", _expected(**{f"absent{absent}": (SBS, DBS, IDS)}),
                         {"on contigs absent from the FASTA": absent})


def test_a_vcf_of_the_normal_alone_is_refused(tmp_path, genome):
    vcf = _vcf(tmp_path / "normal.vcf", [(c, p, r, a, "PASS", "0/1") for c, p, r, a in SOMATIC], samples=("NORMAL",))
    result = run("catalog", vcf, "--fasta", genome, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "no sample to count" in result.output and not (tmp_path / "out").exists()
    picked = run("catalog", vcf, "--fasta", genome, "-o", tmp_path / "out", "--sample", "NORMAL")
    assert picked.exit_code == 0, picked.output
    check_counts(tmp_path / "out", _expected(NORMAL=(SBS, DBS, IDS)), {})
