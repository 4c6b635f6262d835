"""Mutation calls from VCF (plain or bgzipped, read by pysam) and MAF files, one call at a time.

A call is one alternative allele in one sample. VCF: one catalog sample per sample column that
carries the allele (its GT names it; without GT, every sample column), or the file's name when the
VCF has no sample columns; multi-allelic records are split. MAF: ``Tumor_Sample_Barcode``,
``Chromosome``, ``Start_Position`` (1-based), ``Reference_Allele``, ``Tumor_Seq_Allele2`` (``-`` for
the missing side of an indel). Only PASS calls are kept unless ``all_filters`` (``.`` counts as PASS).
"""

from __future__ import annotations

import gzip
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import InputError
from .genome import import_pysam

MAF_COLUMNS = ("Tumor_Sample_Barcode", "Chromosome", "Start_Position", "Reference_Allele", "Tumor_Seq_Allele2")


@dataclass(frozen=True)
class Call:
    """One alternative allele in one sample; ``position`` is 1-based, of the first REF base."""

    sample: str
    contig: str
    position: int
    ref: str
    alt: str
    where: str  #: file and line or record, for messages


def _sample_name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".bgz", ".vcf", ".maf", ".txt", ".tsv"):
        name = name.removesuffix(suffix)
    return name


def _opener(path: Path):
    """gzip.open for gzip (or bgzip) content, else open."""
    with open(path, "rb") as handle:
        return gzip.open if handle.read(2) == b"\x1f\x8b" else open


def _is_vcf(path: Path) -> bool:
    opener = _opener(path)
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
            return handle.readline().startswith("##fileformat=VCF")
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None


class CallFile:
    """The calls of one VCF or MAF file: ``samples`` (every sample the file names, in order) and
    the calls, streamed; ``skipped`` counts what was read and left out, by reason."""

    def __init__(self, path: str | Path, all_filters: bool = False):
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"{self.path}: no such file")
        self.all_filters = all_filters
        self.skipped: Counter[str] = Counter()
        self.records = 0
        self.format = "VCF" if _is_vcf(self.path) else "MAF"
        self.samples = self._vcf_samples() if self.format == "VCF" else []

    def _vcf_samples(self) -> list[str]:
        pysam = import_pysam()
        pysam.set_verbosity(0)  # htslib's own messages would bypass ours
        try:
            with pysam.VariantFile(str(self.path)) as vcf:
                return list(vcf.header.samples) or [_sample_name(self.path)]
        except (OSError, ValueError) as exc:
            raise InputError(f"{self.path}: not a readable VCF ({exc})") from None

    def __iter__(self) -> Iterator[Call]:
        return self._vcf_calls() if self.format == "VCF" else self._maf_calls()

    def _passes(self, filters: list[str]) -> bool:
        if self.all_filters or filters in ([], ["PASS"], ["."]):
            return True
        self.skipped["filtered (not PASS)"] += 1
        return False

    def _vcf_calls(self) -> Iterator[Call]:
        pysam = import_pysam()
        with pysam.VariantFile(str(self.path)) as vcf:
            named = list(vcf.header.samples)
            records = iter(vcf)
            while True:
                try:
                    record = next(records)
                except StopIteration:
                    return
                except (OSError, ValueError) as exc:
                    raise InputError(f"{self.path}: record {self.records + 1}: malformed VCF line ({exc})") from None
                self.records += 1
                if not self._passes(list(record.filter.keys())):
                    continue
                where = f"{self.path}: record {self.records} ({record.contig}:{record.pos})"
                genotyped = bool(named) and "GT" in record.format
                for index, alt in enumerate(record.alts or (), start=1):
                    if not alt or alt[0] in "<*" or "[" in alt or "]" in alt or not set(alt) <= set("ACGTNacgtn"):
                        self.skipped["symbolic or breakend alleles"] += 1
                        continue
                    carriers = ([s for s in named if index in (record.samples[s]["GT"] or ())] if genotyped
                                else named or self.samples)
                    for sample in carriers:
                        yield Call(sample, record.contig, record.pos, record.ref.upper(), alt.upper(), where)

    def _maf_calls(self) -> Iterator[Call]:
        opener = _opener(self.path)
        seen: dict[str, None] = {}
        with opener(self.path, "rt", encoding="utf-8", errors="replace") as handle:
            header, columns = None, {}
            for number, line in enumerate(handle, start=1):
                if line.startswith("#") or not line.strip():
                    continue
                fields = line.rstrip("\r\n").split("\t")
                if header is None:
                    header = fields
                    missing = [c for c in MAF_COLUMNS if c not in header]
                    if missing:
                        raise InputError(f"{self.path}: line {number}: not a VCF, and as a MAF it lacks the "
                                         f"column(s) {', '.join(missing)}")
                    columns = {name: header.index(name) for name in (*MAF_COLUMNS, "FILTER") if name in header}
                    continue
                if len(fields) != len(header):
                    raise InputError(f"{self.path}: line {number}: {len(fields)} fields "
                                     f"where the header has {len(header)}")
                self.records += 1
                sample = fields[columns["Tumor_Sample_Barcode"]]
                if not sample:
                    raise InputError(f"{self.path}: line {number}: empty Tumor_Sample_Barcode")
                seen.setdefault(sample)
                if "FILTER" in columns and not self._passes(fields[columns["FILTER"]].split(";")):
                    continue
                try:
                    position = int(fields[columns["Start_Position"]])
                except ValueError:
                    raise InputError(f"{self.path}: line {number}: Start_Position "
                                     f"'{fields[columns['Start_Position']]}' is not a whole number") from None
                ref = fields[columns["Reference_Allele"]].upper().replace("-", "")
                alt = fields[columns["Tumor_Seq_Allele2"]].upper().replace("-", "")
                if not set(ref + alt) <= set("ACGTN") or ref == alt:
                    raise InputError(f"{self.path}: line {number}: alleles '{ref or '-'}' > '{alt or '-'}' "
                                     "are not a mutation")
                yield Call(sample, fields[columns["Chromosome"]], position, ref, alt, f"{self.path}: line {number}")
        self.samples = list(seen)
