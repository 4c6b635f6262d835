"""unfoldnmf catalog on files shaped like the ones somatic pipelines write: Mutect2, Strelka2, MuSE,
VarScan2, the PCAWG consensus VCFs, GDC and cBioPortal MAFs. Every cell of the three tables, the
samples' names and the skip counts are checked; the matched normal is never a sample."""

from __future__ import annotations

import gzip
import json
import random

import pandas as pd
import pytest

from .test_calls import genome, run  # noqa: F401  (genome: the fixture, CHR1 on chr1 and 100 Ts on chr2)

pysam = pytest.importorskip("pysam")

#: One tumour's somatic calls on that genome (contig without "chr", 1-based position, REF, ALT).
SOMATIC = [("1", 7, "C", "T"), ("1", 15, "G", "A"), ("1", 22, "C", "T"), ("1", 23, "C", "T"), ("1", 29, "G", "A"),
           ("1", 30, "G", "A"), ("1", 36, "A", "C"), ("1", 37, "C", "A"), ("1", 38, "A", "C"), ("1", 45, "C", "T"),
           ("2", 10, "T", "TA"), ("2", 20, "TT", "T")]
#: What they count: 7 and 15 are A[C>T]G (15 on the other strand), 22-23 and 29-30 doublets, 36-38 a run of
#: three SBS, 45 A[C>T]A; an A inserted among Ts, a T deleted from a run of them.
SBS = {"A[C>T]G": 2, "G[T>G]A": 1, "A[C>A]A": 1, "A[T>G]G": 1, "A[C>T]A": 1}
DBS = {"CC>TT": 2}
IDS = {"1:Ins:T:0": 1, "1:Del:T:5": 1}
#: A call only the matched normal carries (germline): never counted.
GERMLINE = ("1", 20, "T", "C")


def _expected(**samples: tuple[dict, dict, dict]) -> dict:
    """{table: {sample: cells}} from sample=(SBS cells, DBS cells, ID cells)."""
    return {table: {name: cells[i] for name, cells in samples.items()}
            for i, table in enumerate(("SBS96", "DBS78", "ID83"))}


def check_counts(out, expected: dict, skipped: dict) -> dict:
    """Every cell of SBS96/DBS78/ID83.tsv in ``out`` against ``expected`` ({table: {sample: {label:
    count}}}, all other cells 0, the samples in that order) and run.json's skip counts; run.json."""
    for table, samples in expected.items():
        counted = pd.read_csv(out / f"{table}.tsv", sep="\t", index_col=0)
        want = pd.DataFrame(0, index=counted.index, columns=list(samples), dtype="int64")
        for sample, cells in samples.items():
            assert set(cells) <= set(counted.index), cells
            for label, count in cells.items():
                want.loc[label, sample] = count
        pd.testing.assert_frame_equal(counted, want, obj=table)
    info = json.loads((out / "run.json").read_text())
    assert info["skipped"] == skipped
    return info


def _meta(kind: str, ids: str, number: str = "1", kind_of: str = "String") -> list[str]:
    return [f'##{kind}=<ID={name},Number={number},Type={kind_of},Description="{name}">' for name in ids.split()]


def write_vcf(path, header: list[str], columns: list[str], rows: list[list], chr_prefix: str = "chr"):
    """A VCF with ``header`` lines (after fileformat and contigs), sample ``columns`` and ``rows``
    (CHROM without prefix, POS, REF, ALT, FILTER, INFO, then FORMAT and the samples' fields)."""
    lines = ["##fileformat=VCFv4.2", *header, f"##contig=<ID={chr_prefix}1,length=104>",
             f"##contig=<ID={chr_prefix}2,length=100>",
             "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", *(["FORMAT"] if columns else []),
                        *columns])]
    for contig, position, ref, alt, status, info, *samples in rows:
        lines.append("\t".join([chr_prefix + contig, str(position), ".", ref, alt, ".", status, info, *samples]))
    path.write_text("\n".join(lines) + "\n")
    return path


def bgzip(path):
    pysam.tabix_compress(str(path), str(path) + ".gz")
    path.unlink()
    return path.with_name(path.name + ".gz")


def mutect2(path, tumour="TCGA-AB-2802-03A", normal="TCGA-AB-2802-11A"):
    """Mutect2 (GATK 4): GT:AD:AF:DP per sample, the normal named by ##normal_sample; the multi-allelic
    site as one record with GT 0/1/2."""
    header = ['##GATKCommandLine=<ID=Mutect2,CommandLine="Mutect2 -R genome.fa -I t.bam -I n.bam",Version="4.2.6.1">',
              *_meta("FILTER", "weak_evidence germline"), *_meta("FORMAT", "GT"),
              *_meta("FORMAT", "AD", "R", "Integer"),
              *_meta("FORMAT", "AF", "A", "Float"), *_meta("FORMAT", "DP", "1", "Integer"),
              *_meta("INFO", "TLOD", "A", "Float"), *_meta("INFO", "DP", "1", "Integer"),
              f"##normal_sample={normal}", "##source=Mutect2", f"##tumor_sample={tumour}"]
    rows = []
    for contig, position, ref, alt in sorted(SOMATIC + [GERMLINE, ("1", 45, "C", "T,A"), ("1", 53, "C", "T")],
                                             key=lambda c: (c[0], c[1])):
        if (contig, position, alt) == ("1", 45, "T"):
            continue  # written as the multi-allelic record
        multi = "," in alt
        status = "weak_evidence" if position == 53 else "germline" if (contig, position) == GERMLINE[:2] else "PASS"
        tumour_gt = "0/1/2:12,6,5:0.26,0.22:23" if multi else "0/0:30,0:0.01:30" if status == "germline" \
            else "0/1:20,8:0.3:28"
        normal_gt = "0/0:30,0,0:0.01,0.01:30" if multi else "0/1:15,15:0.5:30" if status == "germline" \
            else "0/0:30,0:0.01:30"
        rows.append([contig, position, ref, alt, status, "DP=58;TLOD=" + ",".join(["25.1"] * len(alt.split(","))),
                     "GT:AD:AF:DP", normal_gt, tumour_gt])
    return write_vcf(path, header, [normal, tumour], rows)


def test_mutect2_counts_the_tumour_and_leaves_out_the_normal_its_header_names(tmp_path, genome):
    vcf = mutect2(tmp_path / "TCGA-AB-2802.vcf")
    result = run("catalog", vcf, "--fasta", genome, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "column TCGA-AB-2802-11A is the matched normal (its header's ##normal_sample): left out" in result.output
    sbs = dict(SBS, **{"A[C>A]A": 2})  # the multi-allelic site adds A[C>A]A
    info = check_counts(tmp_path / "out", _expected(**{"TCGA-AB-2802-03A": (sbs, DBS, IDS)}),
                        {"filtered (not PASS)": 2})
    assert info["matched_normals_left_out"] == [f"{vcf}: TCGA-AB-2802-11A"]
    picked = run("catalog", vcf, "--fasta", genome, "-o", tmp_path / "both", "--sample", "TCGA-AB-2802-11A",
                 "--sample", "TCGA-AB-2802-03A", "--all-filters")
    assert picked.exit_code == 0, picked.output
    check_counts(tmp_path / "both", _expected(**{"TCGA-AB-2802-11A": ({"T[T>C]T": 1}, {}, {}),
                                                 "TCGA-AB-2802-03A": (dict(sbs, **{"G[C>T]A": 1}), DBS, IDS)}), {})
    unknown = run("catalog", vcf, "--fasta", genome, "-o", tmp_path / "none", "--sample", "TUMOR")
    assert unknown.exit_code == 2 and "--sample TUMOR: no such sample column" in unknown.output
    assert not (tmp_path / "none").exists()


def strelka2_snvs(path, calls=SOMATIC):
    """Strelka2's somatic.snvs.vcf: NORMAL and TUMOR columns, no GT (FORMAT DP:FDP:SDP:SUBDP:AU:CU:GU:TU)."""
    header = ["##source=strelka", "##source_version=2.9.10", "##content=strelka somatic snv calls",
              "##priorSomaticSnvRate=0.0001", *_meta("FILTER", "LowEVS LowDepth"),
              *_meta("INFO", "QSS TQSS", "1", "Integer"), *_meta("INFO", "NT SGT"),
              *_meta("INFO", "SOMATIC", "0", "Flag"),
              *_meta("INFO", "SomaticEVS", "1", "Float"), *_meta("FORMAT", "DP FDP SDP SUBDP", "1", "Integer"),
              *_meta("FORMAT", "AU CU GU TU", "2", "Integer")]
    rows = []
    for contig, position, ref, alt in calls:
        if len(ref) != len(alt):
            continue
        depth = {base: "0,0" for base in "ACGT"}
        normal = dict(depth, **{ref: "30,31"})
        tumour = dict(depth, **{ref: "20,21", alt: "9,9"})
        rows.append([contig, position, ref, alt, "PASS", "SOMATIC;QSS=60;TQSS=1;NT=ref;SGT=CC->CT;SomaticEVS=14.9",
                     "DP:FDP:SDP:SUBDP:AU:CU:GU:TU", "31:0:0:0:" + ":".join(normal[b] for b in "ACGT"),
                     "30:1:0:0:" + ":".join(tumour[b] for b in "ACGT")])
    rows.append(["1", 53, "C", "T", "LowEVS", "SOMATIC;QSS=3;TQSS=2;NT=ref;SGT=CC->CT;SomaticEVS=1.2",
                 "DP:FDP:SDP:SUBDP:AU:CU:GU:TU", "31:0:0:0:0,0:31,31:0,0:0,0", "30:0:0:0:0,0:28,28:0,0:2,2"])
    return write_vcf(path, header, ["NORMAL", "TUMOR"], sorted(rows, key=lambda r: (r[0], r[1])))


def strelka2_indels(path, calls=SOMATIC):
    """Strelka2's somatic.indels.vcf: FORMAT DP:DP2:TAR:TIR:TOR:DP50:FDP50:SUBDP50:BCN50."""
    header = ["##source=strelka", "##source_version=2.9.10", "##content=strelka somatic indel calls",
              "##priorSomaticIndelRate=1e-06", *_meta("FILTER", "LowEVS LowDepth"),
              *_meta("INFO", "QSI TQSI RC IC IHP", "1", "Integer"), *_meta("INFO", "NT SGT RU"),
              *_meta("INFO", "SOMATIC", "0", "Flag"), *_meta("INFO", "SomaticEVS", "1", "Float"),
              *_meta("FORMAT", "DP DP2", "1", "Integer"), *_meta("FORMAT", "TAR TIR TOR", "2", "Integer"),
              *_meta("FORMAT", "DP50 FDP50 SUBDP50 BCN50", "1", "Float")]
    rows = [[contig, position, ref, alt, "PASS", "SOMATIC;QSI=40;TQSI=1;NT=ref;SGT=ref->het;RU=A;RC=0;IC=1;IHP=9;"
             "SomaticEVS=12.1", "DP:DP2:TAR:TIR:TOR:DP50:FDP50:SUBDP50:BCN50",
             "32:32:30,30:0,0:2,2:31.5:0.2:0:0.05", "35:35:22,22:11,11:2,2:34.1:0.4:0:0.06"]
            for contig, position, ref, alt in calls if len(ref) != len(alt)]
    return write_vcf(path, header, ["NORMAL", "TUMOR"], rows)


def test_strelka2_one_tumours_snv_and_indel_files_go_to_one_sample(tmp_path, genome):
    snvs = bgzip(strelka2_snvs(tmp_path / "P1.somatic.snvs.vcf"))
    indels = bgzip(strelka2_indels(tmp_path / "P1.somatic.indels.vcf"))
    refused = run("catalog", snvs, indels, "--fasta", genome, "-o", tmp_path / "refused")
    assert refused.exit_code == 2 and f"{snvs} and {indels} both give sample TUMOR" in refused.output
    assert "--name-from file" in refused.output and not (tmp_path / "refused").exists()
    by_file = run("catalog", snvs, indels, "--fasta", genome, "-o", tmp_path / "by_file", "--name-from", "file")
    assert by_file.exit_code == 0, by_file.output
    assert "column NORMAL is the matched normal (named NORMAL): left out" in by_file.output
    info = check_counts(tmp_path / "by_file", _expected(P1=(SBS, DBS, IDS)), {"filtered (not PASS)": 1})
    assert info["matched_normals_left_out"] == [f"{snvs}: NORMAL", f"{indels}: NORMAL"]
    table = tmp_path / "samples.tsv"
    table.write_text(f"file\tcolumn\tsample\n{snvs}\tTUMOR\tpatient-1\n{indels}\tTUMOR\tpatient-1\n")
    mapped = run("catalog", snvs, indels, "--fasta", genome, "-o", tmp_path / "mapped", "--samples", table)
    assert mapped.exit_code == 0, mapped.output
    check_counts(tmp_path / "mapped", _expected(**{"patient-1": (SBS, DBS, IDS)}), {"filtered (not PASS)": 1})


def test_muse_counts_its_tumor_column(tmp_path, genome):
    """MuSE: TUMOR then NORMAL, with GT (GT:DP:AD:BQ:SS); tiers other than PASS are filtered."""
    header = ['##MuSE_version="v1.0rc"', "##reference=file:///ref/genome.fa", *_meta("FILTER", "Tier1 Tier2 Tier3"),
              *_meta("FORMAT", "GT"), *_meta("FORMAT", "DP SS", "1", "Integer"),
              *_meta("FORMAT", "AD BQ", "R", "Integer")]
    rows = [[c, p, r, a, "PASS", ".", "GT:DP:AD:BQ:SS", "0/1:40:30,10:36,35:2", "0/0:33:33,0:35,.:0"]
            for c, p, r, a in SOMATIC if len(r) == len(a)]  # MuSE calls SNVs only
    rows.append(["1", 53, "C", "T", "Tier3", ".", "GT:DP:AD:BQ:SS", "0/1:40:37,3:36,30:2", "0/0:30:30,0:35,.:0"])
    vcf = write_vcf(tmp_path / "MuSE.vcf", header, ["TUMOR", "NORMAL"], rows)
    result = run("catalog", vcf, "--fasta", genome, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    check_counts(tmp_path / "out", _expected(TUMOR=(SBS, DBS, {})), {"filtered (not PASS)": 1})


def test_varscan2_counts_only_somatic_calls(tmp_path, genome):
    """VarScan2 somatic: every variant with its status in INFO SS (2 somatic, 1 germline, 3 LOH)."""
    header = ["##source=VarScan2", *_meta("INFO", "DP SSC GPV SPV", "1", "Integer"),
              *_meta("INFO", "SOMATIC", "0", "Flag"),
              *_meta("INFO", "SS"), *_meta("FORMAT", "GT"), *_meta("FORMAT", "GQ DP RD AD", "1", "Integer"),
              *_meta("FORMAT", "FREQ"), *_meta("FORMAT", "DP4", "4", "Integer"), *_meta("FILTER", "str10 indelError")]
    fields = "GT:GQ:DP:RD:AD:FREQ:DP4"
    rows = [[c, p, r, a, "PASS", "DP=70;SOMATIC;SS=2;SSC=40;GPV=1;SPV=1", fields,
             "0/0:.:35:35:0:0%:20,15,0,0", "0/1:.:35:25:10:28.57%:12,13,5,5"] for c, p, r, a in SOMATIC]
    rows += [["1", 20, "T", "C", "PASS", "DP=60;SS=1;SSC=0;GPV=1;SPV=1", fields,  # germline: both carry it
              "0/1:.:30:15:15:50%:8,7,8,7", "0/1:.:30:14:16:53%:7,7,8,8"],
             ["1", 53, "C", "T", "PASS", "DP=60;SS=3;SSC=20;GPV=1;SPV=1", fields,  # LOH
              "0/1:.:30:15:15:50%:8,7,8,7", "1/1:.:30:0:30:100%:0,0,15,15"]]
    vcf = write_vcf(tmp_path / "varscan.vcf", header, ["NORMAL", "TUMOR"], sorted(rows, key=lambda r: (r[0], r[1])),
                    chr_prefix="")
    result = run("catalog", vcf, "--fasta", genome, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    check_counts(tmp_path / "out", _expected(TUMOR=(SBS, DBS, IDS)), {"not somatic (VarScan2 SS is not 2)": 2})


def pcawg(folder, aliquot="0009b464-b376-4fbc-8a56-da538269a02f"):
    """The PCAWG consensus VCFs of one aliquot: no sample columns, SNVs/MNVs and indels in two files
    (a doublet as one 2-base record)."""
    header = [*_meta("INFO", "Callers"), *_meta("INFO", "NumCallers t_alt_count t_ref_count", "1", "Integer"),
              *_meta("INFO", "VAF", "1", "Float"), *_meta("FILTER", "LOWSUPPORT OXOGFAIL")]
    snvs, indels = [], []
    for contig, position, ref, alt in SOMATIC:
        row = [contig, position, ref, alt, "PASS", "Callers=broad,dkfz,muse,sanger;NumCallers=4;VAF=0.3"]
        if (contig, position) in (("1", 22), ("1", 29)):  # the doublets as MNV records
            row[2:4] = [ref * 2, alt * 2]
        if (contig, position) not in (("1", 23), ("1", 30)):
            (snvs if len(ref) == len(alt) else indels).append(row)
    snvs.append(["1", 53, "C", "T", "OXOGFAIL", "Callers=sanger;NumCallers=1;VAF=0.04"])
    stem = f"{aliquot}.consensus.20160830.somatic"
    return (bgzip(write_vcf(folder / f"{stem}.snv_mnv.vcf", header, [], snvs, chr_prefix="")),
            bgzip(write_vcf(folder / f"{stem}.indel.vcf", header, [], indels, chr_prefix="")))


def test_pcawg_consensus_files_are_named_after_their_aliquot(tmp_path, genome):
    snvs, indels = pcawg(tmp_path)
    refused = run("catalog", snvs, indels, "--fasta", genome, "-o", tmp_path / "refused")
    assert refused.exit_code == 2
    assert "both give sample 0009b464-b376-4fbc-8a56-da538269a02f, named after" in refused.output
    assert not (tmp_path / "refused").exists()
    result = run("catalog", snvs, indels, "--fasta", genome, "-o", tmp_path / "out", "--name-from", "file")
    assert result.exit_code == 0, result.output
    check_counts(tmp_path / "out", _expected(**{"0009b464-b376-4fbc-8a56-da538269a02f": (SBS, DBS, IDS)}),
                 {"filtered (not PASS)": 1})
    alone = run("catalog", snvs, "--fasta", genome, "-o", tmp_path / "alone")
    assert alone.exit_code == 0, alone.output
    check_counts(tmp_path / "alone", _expected(**{"0009b464-b376-4fbc-8a56-da538269a02f": (SBS, DBS, {})}),
                 {"filtered (not PASS)": 1})


GDC_COLUMNS = ("Hugo_Symbol\tEntrez_Gene_Id\tCenter\tNCBI_Build\tChromosome\tStart_Position\tEnd_Position\tStrand\t"
               "Variant_Classification\tVariant_Type\tReference_Allele\tTumor_Seq_Allele1\tTumor_Seq_Allele2\t"
               "dbSNP_RS\tTumor_Sample_Barcode\tMatched_Norm_Sample_Barcode\tt_depth\tt_ref_count\tt_alt_count\tFILTER")


def maf_rows(sample, calls=SOMATIC, chr_prefix="chr"):
    """MAF rows of ``calls`` for ``sample``: '-' on an indel's empty side, Tumor_Seq_Allele1 = REF."""
    rows = []
    for contig, position, ref, alt in calls:
        if len(ref) == len(alt):
            start, maf_ref, maf_alt, kind = position, ref, alt, "SNP"
        elif len(ref) < len(alt):  # the anchor is the base before the insertion: MAF's Start_Position
            start, maf_ref, maf_alt, kind = position, "-", alt[1:], "INS"
        else:
            start, maf_ref, maf_alt, kind = position + 1, ref[1:], "-", "DEL"
        end = start + max(len(maf_ref), 1) - 1
        rows.append(f"GENE\t0\tbroad.mit.edu\tGRCh38\t{chr_prefix}{contig}\t{start}\t{end}\t+\tMissense_Mutation\t"
                    f"{kind}\t{maf_ref}\t{maf_ref}\t{maf_alt}\tnovel\t{sample}\t{sample}-N\t40\t30\t10\tPASS")
    return rows


def test_gdc_maf_gzipped_in_any_order(tmp_path, genome):
    """A GDC MAF (#version lines, gzip) of two tumours, rows shuffled: each tumour counted as if sorted."""
    rows = maf_rows("TCGA-A1-A0SB-01A") + maf_rows("TCGA-A1-A0SD-01A", SOMATIC[:6])
    rows.append(maf_rows("TCGA-A1-A0SB-01A", [("1", 53, "C", "T")])[0].replace("PASS", "common_in_gnomad"))
    random.Random(4).shuffle(rows)
    path = tmp_path / "TCGA-BRCA.masked.maf.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("#version gdc-1.0.0\n#filedate 20220101\n#annotation.spec gdc-1.0.1-public\n")
        handle.write("\n".join([GDC_COLUMNS, *rows]) + "\n")
    result = run("catalog", path, "--fasta", genome, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    expected = {"TCGA-A1-A0SB-01A": (SBS, DBS, IDS), "TCGA-A1-A0SD-01A": ({"A[C>T]G": 2}, DBS, {})}
    order = dict.fromkeys(row.split("\t")[14] for row in rows)  # the samples as the file names them
    check_counts(tmp_path / "out", _expected(**{sample: expected[sample] for sample in order}),
                 {"filtered (not PASS)": 1})


def test_cbioportal_data_mutations_with_the_alternative_allele_in_either_column(tmp_path, genome):
    """cBioPortal's data_mutations.txt: #version line, no FILTER, chromosomes without 'chr', rows in
    any order; some rows carry the ALT as Tumor_Seq_Allele1 with Allele2 = REF."""
    columns = GDC_COLUMNS.rsplit("\tFILTER", 1)[0]
    rows = [row.rsplit("\t", 1)[0] for row in maf_rows("P-0001-T01", chr_prefix="")]
    for index in (0, 4):  # swap the alleles: Allele1 the ALT, Allele2 the REF
        fields = rows[index].split("\t")
        fields[11], fields[12] = fields[12], fields[10]
        rows[index] = "\t".join(fields)
    rows.reverse()
    path = tmp_path / "data_mutations.txt"
    path.write_text("\n".join(["#version 2.4", columns, *rows]) + "\n")
    result = run("catalog", path, "--fasta", genome, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    check_counts(tmp_path / "out", _expected(**{"P-0001-T01": (SBS, DBS, IDS)}), {})


def test_attribute_names_a_two_file_tumour_as_catalog_does(tmp_path, genome):
    """attribute takes catalog's naming options: Strelka2's SNV and indel files of P1 are P1's calls."""
    from unfoldnmf.io.channels import CHANNELS

    snvs = bgzip(strelka2_snvs(tmp_path / "P1.somatic.snvs.vcf"))
    indels = bgzip(strelka2_indels(tmp_path / "P1.somatic.indels.vcf"))
    signatures = pd.DataFrame(1.0 / len(CHANNELS), index=pd.Index(CHANNELS, name="MutationType"), columns=["A"])
    signatures["B"] = [1.0 / 16 if "C>T" in label else 0.0 for label in CHANNELS]
    (tmp_path / "sigs.tsv").write_text(signatures.to_csv(sep="\t"))
    (tmp_path / "expo.tsv").write_text("Samples\tA\tB\nP1\t10\t30\n")
    given = ["--fasta", genome, "--signatures", tmp_path / "sigs.tsv", "--exposures", tmp_path / "expo.tsv"]
    refused = run("attribute", snvs, indels, *given, "-o", tmp_path / "refused")
    assert refused.exit_code == 2 and "--name-from file" in refused.output and not (tmp_path / "refused").exists()
    result = run("attribute", snvs, indels, *given, "-o", tmp_path / "attr", "--name-from", "file")
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(tmp_path / "attr" / "attributions.tsv", sep="\t")
    assert set(rows.Samples) == {"P1"} and rows.MutationType.value_counts().to_dict() == SBS
    assert set(rows.loc[rows.MutationType.str.contains("C>T"), "MostLikely"]) == {"B"}
    table = tmp_path / "samples.tsv"
    table.write_text(f"file\tcolumn\tsample\n{snvs}\tTUMOR\tP1\n{indels}\tTUMOR\tP1\n")
    mapped = run("attribute", snvs, indels, *given, "-o", tmp_path / "mapped", "--samples", table)
    assert mapped.exit_code == 0, mapped.output
    assert len(pd.read_csv(tmp_path / "mapped" / "attributions.tsv", sep="\t")) == len(rows)


def test_train_from_calls_names_the_sample_after_the_file(tmp_path, genome):
    """train CALLS --fasta takes catalog's naming options; with a catalog table they are refused."""
    snvs = bgzip(strelka2_snvs(tmp_path / "P1.somatic.snvs.vcf"))
    out = tmp_path / "out"
    cheap = ["--k", "1", "--set", "extraction.replicates=2", "--set", "solver.max_iter=50",
             "--set", "assignment.enabled=false", "--no-plots", "--quiet"]
    result = run("train", snvs, "--fasta", genome, "--name-from", "file", "-o", out, *cheap)
    assert result.exit_code == 0, result.output
    counted = pd.read_csv(out / "catalog_SBS96.tsv", sep="\t", index_col=0)
    assert list(counted.columns) == ["P1"]
    assert counted["P1"][counted["P1"] > 0].to_dict() == SBS
    assert list(pd.read_csv(out / "exposures.tsv", sep="\t", index_col=0).index) == ["P1"]
    refused = run("train", out / "catalog_SBS96.tsv", "--name-from", "file", "-o", tmp_path / "none", *cheap)
    assert refused.exit_code == 2 and not (tmp_path / "none").exists()
    assert "--name-from" in refused.output and "--fasta" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
