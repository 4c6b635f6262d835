"""Mutation calls from VCF (plain or bgzipped, read by pysam) and MAF files, one call at a time.

A call is one alternative allele in one sample, its alleles trimmed to their minimal form
(:mod:`unfoldnmf.calls.alleles`). VCF: multi-allelic records are split; a sample column carries the
alleles its GT names (``0/0`` and ``./.`` none), or without GT every allele (a somatic caller's
columns); a record with VarScan2's ``SS`` field counts only when it is somatic (``SS=2``). MAF:
``Tumor_Sample_Barcode``, ``Chromosome``, ``Start_Position`` (1-based), ``Reference_Allele`` and of
``Tumor_Seq_Allele2`` and ``Tumor_Seq_Allele1`` the first that differs from it (``-`` for an indel's
empty side). Only PASS calls are kept unless ``all_filters`` (``.`` counts as PASS). Which column
is counted under which sample is decided by :mod:`unfoldnmf.calls.samples`.
"""

from __future__ import annotations

import gzip
import heapq
from collections import Counter
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

from ..errors import InputError
from .alleles import minimal, unusable
from .genome import import_pysam
from .samples import NO_COLUMN

MAF_COLUMNS = ("Tumor_Sample_Barcode", "Chromosome", "Start_Position", "Reference_Allele", "Tumor_Seq_Allele2")
#: Single-base ALT alleles, read without further checks.
_BASES = frozenset("ACGT")

Naming = Callable[[str], "str | None"]  #: a file's column -> its catalog sample, or None (left out)


class Call(NamedTuple):
    """One alternative allele in one sample; ``position`` is 1-based, of the first REF base."""

    sample: str
    contig: str
    position: int
    ref: str
    alt: str
    source: str  #: the file and "record" or "line", for messages
    number: int  #: the record's or line's number

    @property
    def where(self) -> str:
        return f"{self.source} {self.number} ({self.contig}:{self.position})"


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
    """One VCF or MAF file: ``columns`` (a VCF's sample columns, ``.`` when it has none; none for a
    MAF), ``normals`` (the columns its header names as the matched normal), ``samples`` (column ->
    catalog sample, None when left out; a MAF's barcodes as they are read, see :meth:`name_samples`) and its
    calls (:meth:`calls`); ``records`` counts what was read and ``skipped`` what was left out, by reason."""

    def __init__(self, path: str | Path, all_filters: bool = False):
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"{self.path}: no such file")
        self.all_filters = all_filters
        self.skipped: Counter[str] = Counter()
        self.records = 0
        self.format = "VCF" if _is_vcf(self.path) else "MAF"
        self.columns: list[str] = []
        self.normals: frozenset[str] = frozenset()
        self.samples: dict[str, str | None] = {}
        self._name: Naming = lambda column: None  # until name_samples
        if self.format == "VCF":
            self._read_vcf_header()

    def _read_vcf_header(self) -> None:
        pysam = import_pysam()
        pysam.set_verbosity(0)  # htslib's own messages would bypass ours
        try:
            with pysam.VariantFile(str(self.path)) as vcf:
                self.columns = list(vcf.header.samples) or [NO_COLUMN]
                self.normals = frozenset(str(r.value) for r in vcf.header.records if r.key == "normal_sample")
        except (OSError, ValueError) as exc:
            raise InputError(f"{self.path}: not a readable VCF ({exc})") from None

    def name_samples(self, name: Naming) -> None:
        """Count each column under ``name(column)`` (None: left out): a VCF's now, a MAF's as they are read."""
        self._name = name
        self.samples = {column: name(column) for column in self.columns}

    def calls(self, streamed: bool = True) -> Iterator[Call]:
        """The calls of the counted columns, under their samples' names. A VCF's come sorted by
        position within each contig; ``streamed`` refuses a VCF whose records are not sorted so."""
        return self._vcf_calls(streamed) if self.format == "VCF" else self._maf_calls()

    def _passes(self, filters: list[str]) -> bool:
        if self.all_filters or filters in ([], ["PASS"], ["."]):
            return True
        self.skipped["filtered (not PASS)"] += 1
        return False

    def _vcf_calls(self, streamed: bool) -> Iterator[Call]:
        pysam = import_pysam()
        with pysam.VariantFile(str(self.path)) as vcf:
            counted = [(index, sample) for index, column in enumerate(self.columns)
                       if (sample := self.samples.get(column)) is not None]
            if not counted:
                return
            everyone = [sample for _, sample in counted]  # the carriers of every allele without GT
            source = f"{self.path}: record"
            somatic_status = "SS" in vcf.header.info  # VarScan2: 2 is somatic (1 germline, 3 LOH)
            moved: list[tuple[int, int, Call]] = []  # calls that trimming moved past their record's POS
            contig, position, finished = None, 0, set()
            records = iter(vcf)
            while True:
                try:
                    record = next(records)
                except StopIteration:
                    break
                except (OSError, ValueError) as exc:
                    raise InputError(f"{self.path}: record {self.records + 1}: malformed VCF line ({exc})") from None
                self.records += 1
                if record.contig != contig:
                    while moved:
                        yield heapq.heappop(moved)[2]
                    if record.contig in finished and streamed:
                        self._unsorted(f"{record.contig} again after {contig}")
                    finished.add(contig)
                    contig = record.contig
                elif record.pos < position and streamed:
                    self._unsorted(f"{contig}:{record.pos} after {contig}:{position}")
                position = record.pos
                while moved and moved[0][0] < position:
                    yield heapq.heappop(moved)[2]
                if not self._passes(list(record.filter.keys())):
                    continue
                if somatic_status and str(record.info.get("SS")) != "2":
                    self.skipped["not somatic (VarScan2 SS is not 2)"] += 1
                    continue
                ref, genotyped = record.ref.upper(), "GT" in record.format
                for allele, alt in enumerate(record.alts or (), start=1):
                    alt = alt.upper()
                    if alt not in _BASES and (reason := unusable(alt)) is not None:
                        self.skipped[reason] += 1
                        continue
                    carriers = [sample for index, sample in counted
                                if allele in (record.samples[index]["GT"] or ())] if genotyped else everyone
                    at, trimmed_ref, trimmed_alt = (minimal(position, ref, alt) if len(ref) > 1 and len(alt) > 1
                                                    else (position, ref, alt))
                    for sample in carriers:
                        call = Call(sample, contig, at, trimmed_ref, trimmed_alt, source, self.records)
                        if at == position:
                            yield call
                        else:
                            heapq.heappush(moved, (at, len(moved), call))
            while moved:
                yield heapq.heappop(moved)[2]

    def _unsorted(self, what: str) -> None:
        raise InputError(f"{self.path}: record {self.records}: {what}: a VCF is streamed, so it must be sorted by "
                         f"position within each contig (bcftools sort); a MAF may be in any order")

    def _maf_calls(self) -> Iterator[Call]:
        opener = _opener(self.path)
        source = f"{self.path}: line"
        contigs: dict[str, str] = {}  # one string per contig name: a MAF's calls are held in memory
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
                    columns = {column: header.index(column) for column in (*MAF_COLUMNS, "Tumor_Seq_Allele1", "FILTER")
                               if column in header}
                    continue
                if len(fields) != len(header):
                    raise InputError(f"{self.path}: line {number}: {len(fields)} fields "
                                     f"where the header has {len(header)}")
                self.records += 1
                barcode = fields[columns["Tumor_Sample_Barcode"]]
                if not barcode:
                    raise InputError(f"{self.path}: line {number}: empty Tumor_Sample_Barcode")
                if barcode not in self.samples:
                    self.samples[barcode] = self._name(barcode)
                sample = self.samples[barcode]
                if sample is None or "FILTER" in columns and not self._passes(fields[columns["FILTER"]].split(";")):
                    continue
                try:
                    position = int(fields[columns["Start_Position"]])
                except ValueError:
                    raise InputError(f"{self.path}: line {number}: Start_Position "
                                     f"'{fields[columns['Start_Position']]}' is not a whole number") from None
                ref, alt = self._maf_alleles(fields, columns)
                if not set(ref + alt) <= set("ACGTN") or ref == alt:
                    raise InputError(f"{self.path}: line {number}: alleles '{ref or '-'}' > '{alt or '-'}' "
                                     "are not a mutation")
                position, ref, alt = minimal(position, ref, alt)
                contig = contigs.setdefault(fields[columns["Chromosome"]], fields[columns["Chromosome"]])
                yield Call(sample, contig, position, ref, alt, source, number)

    @staticmethod
    def _maf_alleles(fields: list[str], columns: dict[str, int]) -> tuple[str, str]:
        """REF and the tumour allele that differs from it (``Tumor_Seq_Allele2``, else ``Tumor_Seq_Allele1``)."""
        ref = fields[columns["Reference_Allele"]].upper().replace("-", "")
        alt = fields[columns["Tumor_Seq_Allele2"]].upper().replace("-", "")
        if alt == ref and "Tumor_Seq_Allele1" in columns:
            alt = fields[columns["Tumor_Seq_Allele1"]].upper().replace("-", "")
        return ref, alt
