"""unfoldnmf catalog: VCF/MAF calls + FASTA -> SBS-96 and DBS-78 tables, by the rules users rely on."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from unfoldnmf.io.channels import CHANNELS, DBS_CHANNELS

from .test_cli import run

pysam = pytest.importorskip("pysam")

#: Designed so that each call's context is known: 1-based positions in the comments.
CHR1 = ("TTTTT" "ACG" "TTTTT" "CGT" "TTTTT" "CC" "TTTTT" "GG" "TTTTT" "ACA" "TTTTT" "ACA" "TTTTT" "GCA" + "T" * 50)
#        1-5    6-8   9-13   14-16  17-21  22-23 24-28 29-30  31-35  36-38  39-43  44-46  47-51  52-54
CALLS = [  # contig, position, REF, ALT, FILTER, tumour GT, another sample's GT
    ("1", 7, "C", "T", "PASS", "0/1", "0/0"),     # A[C>T]G
    ("1", 15, "G", "A", "PASS", "0/1", "0/0"),    # G>A in CGT: the other strand is ACG, so A[C>T]G again
    ("1", 20, "T", "C", "PASS", "0/0", "0/1"),    # the other sample's only call: T[T>C]T
    ("1", 22, "C", "T", "PASS", "0/1", "0/0"),    # 22-23: one doublet CC>TT
    ("1", 23, "C", "T", "PASS", "0/1", "0/0"),
    ("1", 29, "G", "A", "PASS", "0/1", "0/0"),    # 29-30: GG>AA, named CC>TT on the other strand
    ("1", 30, "G", "A", "PASS", "0/1", "0/0"),
    ("1", 36, "A", "C", "PASS", "0/1", "0/0"),    # 36-38: a run of three: three SBS, G[T>G]A, A[C>A]A, A[T>G]G
    ("1", 37, "C", "A", "PASS", "0/1", "0/0"),
    ("1", 38, "A", "C", "PASS", "0/1", "0/0"),
    ("1", 45, "C", "T,A", "PASS", "1/2", "0/0"),  # multi-allelic: A[C>T]A and A[C>A]A
    ("1", 53, "C", "T", "LowQual", "0/1", "0/0"),  # filtered
    ("2", 10, "T", "TA", "PASS", "0/1", "0/0"),   # an insertion of A where there is none: 1:Ins:T:0
    ("9", 5, "A", "G", "PASS", "0/1", "0/0"),     # a contig the FASTA lacks
]


@pytest.fixture()
def genome(tmp_path):
    path = tmp_path / "genome.fa"
    path.write_text(f">chr1\n{CHR1}\n>chr2\n{'T' * 100}\n")
    return path


def _vcf(path, calls, samples=("tumour", "other"), contigs=("1", "2", "9")):
    lines = ["##fileformat=VCFv4.2", '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             '##FILTER=<ID=LowQual,Description="low quality">', *(f"##contig=<ID={name}>" for name in contigs),
             "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO",
                        *(["FORMAT", *samples] if samples else [])])]
    for contig, position, ref, alt, status, *genotypes in calls:
        fields = [contig, str(position), ".", ref, alt, ".", status, "."]
        lines.append("\t".join(fields + (["GT", *genotypes[:len(samples)]] if samples else [])))
    path.write_text("\n".join(lines) + "\n")
    return path


def _tables(out):
    sbs = pd.read_csv(out / "SBS96.tsv", sep="\t", index_col=0)
    dbs = pd.read_csv(out / "DBS78.tsv", sep="\t", index_col=0)
    return sbs, dbs


def _expected_tumour(sbs, dbs):
    counted = sbs["tumour"][sbs["tumour"] > 0].to_dict()
    assert counted == {"A[C>T]G": 2, "A[C>A]A": 2, "A[C>T]A": 1, "G[T>G]A": 1, "A[T>G]G": 1}
    assert dbs["tumour"][dbs["tumour"] > 0].to_dict() == {"CC>TT": 2}


def test_vcf_calls_are_counted_by_the_rules(tmp_path, genome):
    vcf = _vcf(tmp_path / "calls.vcf", CALLS)
    out = tmp_path / "out"
    result = run("catalog", vcf, "--fasta", genome, "-o", out)
    assert result.exit_code == 0, result.output
    sbs, dbs = _tables(out)
    assert list(sbs.index) == list(CHANNELS) and list(dbs.index) == list(DBS_CHANNELS)
    assert list(sbs.columns) == ["tumour", "other"] and list(dbs.columns) == ["tumour", "other"]
    _expected_tumour(sbs, dbs)
    assert sbs["other"][sbs["other"] > 0].to_dict() == {"T[T>C]T": 1} and dbs["other"].sum() == 0
    info = json.loads((out / "run.json").read_text())
    assert info["skipped"] == {"filtered (not PASS)": 1, "on contigs absent from the FASTA": 1}
    assert info["runs_of_3_or_more_adjacent_substitutions_counted_as_sbs"] == 1
    assert info["calls"] == [str(vcf)] and set(info["files"]) >= {"SBS96.tsv", "DBS78.tsv", "ID83.tsv"}
    ids = pd.read_csv(out / "ID83.tsv", sep="\t", index_col=0)
    assert ids["tumour"][ids["tumour"] > 0].to_dict() == {"1:Ins:T:0": 1}  # an A added among Ts: its pyrimidine is T
    kept = run("catalog", vcf, "--fasta", genome, "-o", tmp_path / "all", "--all-filters")
    assert kept.exit_code == 0 and _tables(tmp_path / "all")[0].loc["G[C>T]A", "tumour"] == 1


def test_bgzipped_vcf_without_samples_and_a_maf_give_the_same_counts(tmp_path, genome):
    plain = _vcf(tmp_path / "tumour.vcf", [c for c in CALLS if c[5] != "0/0"], samples=())
    pysam.tabix_compress(str(plain), str(tmp_path / "tumour.vcf.gz"))
    result = run("catalog", tmp_path / "tumour.vcf.gz", "--fasta", genome, "-o", tmp_path / "gz")
    assert result.exit_code == 0, result.output
    _expected_tumour(*_tables(tmp_path / "gz"))  # named after the file: no sample columns
    maf = ["#version 2.4", "Hugo_Symbol\tTumor_Sample_Barcode\tChromosome\tStart_Position\tReference_Allele\t"
           "Tumor_Seq_Allele2\tFILTER"]
    for contig, position, ref, alts, status, tumour, _ in CALLS:
        for index, alt in enumerate(alts.split(","), start=1):
            if str(index) in tumour:
                maf.append(f"G\ttumour\tchr{contig}\t{position}\t{ref}\t{alt}\t{status}")
    (tmp_path / "cohort.maf").write_text("\n".join(maf) + "\n")
    result = run("catalog", tmp_path / "cohort.maf", "--fasta", genome, "-o", tmp_path / "maf")
    assert result.exit_code == 0, result.output
    _expected_tumour(*_tables(tmp_path / "maf"))


def test_a_wrong_genome_build_stops_the_run_and_writes_nothing(tmp_path, genome):
    # the FASTA has T/A/C there
    wrong = [("1", position, "G", "A", "PASS", "0/1", "0/0") for position in range(1, 40, 2)]
    vcf = _vcf(tmp_path / "calls.vcf", wrong)
    result = run("catalog", vcf, "--fasta", genome, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "genome build" in result.output and not (tmp_path / "out").exists()
    one_off = _vcf(tmp_path / "one.vcf", [("1", 3, "G", "A", "PASS", "0/1", "0/0")] + CALLS[:2] + CALLS[3:])
    result = run("catalog", one_off, "--fasta", genome, "-o", tmp_path / "ok")
    assert result.exit_code == 0 and "REF G, but the FASTA has T there" in result.output
    assert json.loads((tmp_path / "ok" / "run.json").read_text())["skipped"]["REF differs from the FASTA"] == 1


@pytest.mark.parametrize("damage, message", [
    ("unsorted", "must be sorted by position"),
    ("maf without columns", "lacks the column(s) Tumor_Seq_Allele2"),
    ("maf bad position", "line 3: Start_Position 'x12' is not a whole number"),
    ("missing fasta", "no such FASTA file"),
])
def test_bad_calls_name_the_file_and_line(tmp_path, genome, damage, message):
    path, fasta = tmp_path / "calls.vcf", genome
    if damage == "unsorted":
        _vcf(path, [CALLS[1], CALLS[0]])
    elif damage.startswith("maf"):
        path = tmp_path / "calls.maf"
        header = "Tumor_Sample_Barcode\tChromosome\tStart_Position\tReference_Allele"
        row = "t\t1\tx12\tC" if "position" in damage else "t\t1\t7\tC"
        if "position" in damage:
            header += "\tTumor_Seq_Allele2"
            row += "\tT"
        path.write_text(f"#version 2.4\n{header}\n{row}\n")
    else:
        _vcf(path, CALLS[:1])
        fasta = tmp_path / "absent.fa"
    result = run("catalog", path, "--fasta", fasta, "-o", tmp_path / "out")
    assert (result.exit_code == 2 and message in result.output
            and str(path if damage != "missing fasta" else fasta) in result.output)
    assert not (tmp_path / "out").exists()


CHR3 = "GAGAGAGAGA" "CCCC" "TGATGA" "GGGGGG" "ACG" "ATTTTT" "CCCCCC" "ACGTC" "ACGTATTTTT"
#        1-10        11-14  15-20    21-26    27-29 30-35   36-41    42-46   47-56


@pytest.mark.parametrize("vcf_call, maf_call, label", [
    (("3", 10, "AC", "A"), (11, "C", "-"), "1:Del:C:3"),          # one C of CCCC: 3 more beside it
    (("3", 12, "C", "CC"), (12, "-", "C"), "1:Ins:C:4"),          # a C added to CCCC
    (("3", 2, "AGA", "A"), (3, "GA", "-"), "2:Del:R:4"),          # one GA of five: 1 copy left of it, 3 right
    (("3", 14, "CTGA", "C"), (15, "TGA", "-"), "3:Del:R:1"),      # TGA followed by another TGA
    (("3", 26, "GACG", "G"), (27, "ACG", "-"), "3:Del:M:1"),      # ACG then ATTTTT: its first base recurs
    (("3", 41, "CACGTC", "C"), (42, "ACGTC", "-"), "5:Del:M:4"),  # ACGTC then ACGTA: its first 4 recur
    (("3", 35, "T", "TGG"), (35, "-", "GG"), "2:Ins:R:0"),
])
def test_indels_fall_in_their_id83_class_from_vcf_and_maf_alike(tmp_path, vcf_call, maf_call, label):
    fasta = tmp_path / "genome.fa"
    fasta.write_text(f">chr3\n{CHR3}\n")
    contig, position, ref, alt = vcf_call
    vcf = _vcf(tmp_path / "one.vcf", [(contig, position, ref, alt, "PASS", "0/1", "0/0")])
    start, maf_ref, maf_alt = maf_call
    maf = tmp_path / "one.maf"
    maf.write_text("Tumor_Sample_Barcode\tChromosome\tStart_Position\tReference_Allele\tTumor_Seq_Allele2\n"
                   f"tumour\t3\t{start}\t{maf_ref}\t{maf_alt}\n")
    for source in (vcf, maf):
        out = tmp_path / source.suffix[1:]
        result = run("catalog", source, "--fasta", fasta, "-o", out)
        assert result.exit_code == 0, result.output
        ids = pd.read_csv(out / "ID83.tsv", sep="\t", index_col=0)["tumour"]
        assert ids[ids > 0].to_dict() == {label: 1}, source.suffix


def test_every_sbs_and_dbs_channel_on_either_strand_lands_in_its_cell(tmp_path):
    """Each of the 96 SBS and 78 DBS channels once as labelled and once on the other strand: every
    cell of both tables must read 2, whatever the strand the call was made on."""
    from unfoldnmf.io.channels import reverse_complement

    spacer, sequence, calls = "TTTT", "TTTT", []
    for label in CHANNELS:
        context, alt = label[0] + label[2] + label[6], label[4]
        for ref_context, ref_alt in ((context, alt), (reverse_complement(context), reverse_complement(alt))):
            calls.append((len(sequence) + 2, ref_context[1], ref_alt))  # 1-based position of the middle base
            sequence += ref_context + spacer
    doublets = []
    for label in DBS_CHANNELS:
        ref, alt = label.split(">")
        for ref2, alt2 in ((ref, alt), (reverse_complement(ref), reverse_complement(alt))):
            doublets.append((len(sequence) + 1, ref2, alt2))
            sequence += ref2 + spacer
    fasta = tmp_path / "genome.fa"
    fasta.write_text(f">chr1\n{sequence}\n")
    rows = [("1", p, r, a, "PASS", "0/1", "0/0") for p, r, a in calls]
    for position, ref, alt in doublets:  # as two adjacent SNVs, the way callers report them
        rows += [("1", position, ref[0], alt[0], "PASS", "0/1", "0/0"),
                 ("1", position + 1, ref[1], alt[1], "PASS", "0/1", "0/0")]
    vcf = _vcf(tmp_path / "all.vcf", sorted(rows, key=lambda row: row[1]))
    result = run("catalog", vcf, "--fasta", fasta, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    sbs, dbs = _tables(tmp_path / "out")
    assert (sbs["tumour"] == 2).all() and (dbs["tumour"] == 2).all()
    assert (sbs["other"] == 0).all() and (dbs["other"] == 0).all()


def test_train_counts_calls_then_extracts_in_one_command(tmp_path):
    """A MAF written from a simulated catalog, mutation by mutation: train --fasta must count it back
    exactly (catalog_SBS96.tsv) and extract from it."""
    from unfoldnmf.reference.cosmic import cosmic_signatures
    from unfoldnmf.reference.simulate import simulate_cohort

    catalog = simulate_cohort(cosmic_signatures(["SBS1", "SBS2", "SBS13"]), 24, seed=5, median_total=150,
                              total_spread=0.3).catalog.astype(int)
    copies = int(catalog.to_numpy().max(axis=1).max())
    sequence, sites = "TTTT", {}
    for label in CHANNELS:  # `copies` separate sites of each trinucleotide context
        context = label[0] + label[2] + label[6]
        sites[label] = []
        for _ in range(copies):
            sites[label].append(len(sequence) + 2)
            sequence += context + "TTTT"
    (tmp_path / "genome.fa").write_text(f">chr1\n{sequence}\n")
    lines = ["Tumor_Sample_Barcode\tChromosome\tStart_Position\tReference_Allele\tTumor_Seq_Allele2"]
    for sample in catalog.columns:
        calls = [(site, label) for label in CHANNELS for site in sites[label][:catalog.loc[label, sample]]]
        lines += [f"{sample}\tchr1\t{site}\t{label[2]}\t{label[4]}" for site, label in sorted(calls)]
    (tmp_path / "calls.maf").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    result = run("train", tmp_path / "calls.maf", "--fasta", tmp_path / "genome.fa", "-o", out, "--k", "3",
                 "--set", "extraction.replicates=3", "--set", "solver.max_iter=200", "--quiet", "--no-plots")
    assert result.exit_code == 0, result.output
    counted = pd.read_csv(out / "catalog_SBS96.tsv", sep="\t", index_col=0)
    assert counted.equals(catalog.rename_axis("MutationType"))
    assert ({"catalog_DBS78.tsv", "catalog_ID83.tsv", "signatures.tsv", "exposures.tsv"}
            <= {p.name for p in out.iterdir()})
    assert json.loads((out / "run.json").read_text())["inputs"]["calls"] == str(tmp_path / "calls.maf")


def test_attribute_gives_each_mutation_its_signature_probabilities(tmp_path, genome):
    """Signature A holds every C>T channel, B every T>C one: a C>T mutation is A's for sure, and a
    channel both share splits by the sample's exposures."""
    signatures = pd.DataFrame(0.0, index=pd.Index(CHANNELS, name="MutationType"), columns=["A", "B"])
    signatures.loc[[c for c in CHANNELS if "C>T" in c], "A"] = 1.0
    signatures.loc[[c for c in CHANNELS if "T>C" in c], "B"] = 1.0
    signatures.loc["A[C>A]A", ["A", "B"]] = 1.0  # shared
    signatures = signatures / signatures.sum()
    (tmp_path / "sigs.tsv").write_text(signatures.to_csv(sep="\t"))
    (tmp_path / "expo.tsv").write_text("Samples\tA\tB\ntumour\t30\t10\nother\t0\t5\n")
    vcf = _vcf(tmp_path / "calls.vcf", CALLS)
    out = tmp_path / "attr"
    result = run("attribute", vcf, "--fasta", genome, "--signatures", tmp_path / "sigs.tsv", "--exposures",
                 tmp_path / "expo.tsv", "-o", out)
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(out / "attributions.tsv", sep="\t")
    assert len(rows) == 8  # the SBS: 2 × A[C>T]G, T[T>C]T (other), A[C>T]A, A[C>A]A and the run of three
    by_channel = rows.set_index(["Samples", "MutationType"])
    assert (by_channel.loc[("tumour", "A[C>T]A"), "A"] == 1
            and by_channel.loc[("other", "T[T>C]T"), "MostLikely"] == "B")
    shared = by_channel.loc[("tumour", "A[C>A]A")]  # two mutations: position 37 (in the run) and 45
    a_weight, b_weight = 30 * signatures.loc["A[C>A]A", "A"], 10 * signatures.loc["A[C>A]A", "B"]
    assert len(shared) == 2 and shared.A.to_numpy() == pytest.approx(a_weight / (a_weight + b_weight), rel=1e-3)
    (tmp_path / "other.tsv").write_text("Samples\tA\tB\nsomeone\t1\t1\n")
    refused = run("attribute", vcf, "--fasta", genome, "--signatures", tmp_path / "sigs.tsv", "--exposures",
                  tmp_path / "other.tsv", "-o", tmp_path / "none")
    assert refused.exit_code == 2 and "none of the SBS-96 mutations" in refused.output
    assert not (tmp_path / "none").exists()


def _id83_cases():
    """(sequence segment, 0-based offset of the VCF anchor base in it, REF, ALT) making each ID-83
    class once: runs and repeats between flanks that cannot extend them or share bases with them."""
    units = {2: "AC", 3: "ACG", 4: "ACGG", 5: "ACGGC"}  # no T inside: T flanks never repeat or match them
    cases = {}
    for base, flank in (("C", "AAAA"), ("T", "GGGG")):
        for count in range(6):
            run_length = count + 1
            segment = flank + base * run_length + flank  # delete one base of the run: `count` stay beside it
            anchor = len(flank) - 1
            cases[f"1:Del:{base}:{count}"] = (segment, anchor, flank[-1] + base, flank[-1])
            segment = flank + base * count + flank  # insert one more: `count` already there
            cases[f"1:Ins:{base}:{count}"] = (segment, anchor, flank[-1], flank[-1] + base)
    for length, unit in units.items():
        for count in range(6):
            segment = "TTTT" + unit * (count + 1) + "TTTT"
            cases[f"{length}:Del:R:{count}"] = (segment, 3, "T" + unit, "T")
            segment = "TTTT" + unit * count + "TTTT"
            cases[f"{length}:Ins:R:{count}"] = (segment, 3, "T", "T" + unit)
        for homology in range(1, length if length < 5 else 5):
            segment = "TTTT" + unit + unit[:homology] + "TTTT"  # its first bases recur right after it
            cases[f"{length}:Del:M:{homology}"] = (segment, 3, "T" + unit, "T")
    cases["5:Del:M:5"] = ("TTTT" + "ACGGCA" + "ACGGCG" + "TTTT", 3, "TACGGCA", "T")  # 6 bp deleted, 5 recur
    return cases


def test_every_id83_class_lands_in_its_cell(tmp_path):
    from unfoldnmf.io.channels import ID_CHANNELS

    cases = _id83_cases()
    assert sorted(cases) == sorted(ID_CHANNELS)
    sequence, rows = "TTTTTTTTTT", []
    for label in ID_CHANNELS:
        segment, anchor, ref, alt = cases[label]
        assert segment[anchor:anchor + len(ref)] == ref, label
        rows.append(("1", len(sequence) + anchor + 1, ref, alt, "PASS", "0/1", "0/0"))
        sequence += segment + "TTTTTTTTTT"
    fasta = tmp_path / "genome.fa"
    fasta.write_text(f">chr1\n{sequence}\n")
    result = run("catalog", _vcf(tmp_path / "ids.vcf", rows), "--fasta", fasta, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    ids = pd.read_csv(tmp_path / "out" / "ID83.tsv", sep="\t", index_col=0)["tumour"]
    wrong = ids[ids != 1]
    assert wrong.empty, wrong.to_dict()
