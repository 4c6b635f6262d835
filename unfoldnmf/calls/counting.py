"""From mutation calls to SBS-96, DBS-78 and ID-83 catalogs.

Rules: a single-base substitution is written from the pyrimidine of the pair (a G or A reference is
reverse-complemented with its flanks). Substitutions at adjacent positions in one sample form one
doublet (DBS-78, on the strand COSMIC names it), not two SBS; in a run of three or more adjacent
substitutions each one is an SBS with its reference context and none is a doublet, as
SigProfilerMatrixGenerator 1.4 counts them (the summary says how many runs there were). Two
substitutions at one position (two ALT alleles) are two SBS and split a run there. A
multi-base record of three or more bases, or whose bases are not all changed, is counted in
neither table (reported in the summary). Insertions and deletions go to
ID-83 (:mod:`unfoldnmf.calls.indels`); an indel that is not a plain insertion or deletion (a complex
substitution of several bases by others) is skipped. A call seen twice for one sample is counted
once. Calls whose REF disagrees with the FASTA are skipped with a warning; when more than
:data:`MAX_REF_MISMATCH` of them do, the FASTA is probably another genome build and the run stops.
Calls on contigs the FASTA lacks are counted in the summary and skipped, unless most are
(:data:`MAX_ABSENT_CONTIG`): then the calls and the FASTA name their contigs differently, or are of
different genomes, and the run stops. Calls in a context with bases other than ACGT are skipped.
Which calls go to which sample, and in which order they are read: :mod:`unfoldnmf.calls.ordering`.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..errors import InputError
from ..io.channels import CHANNEL_SETS, DBS78, ID83, SBS96, ChannelSet, dbs_channel, sbs_channel
from .genome import Genome
from .indels import classify_indel
from .ordering import OrderedCalls
from .reading import Call
from .samples import SampleNaming

log = logging.getLogger("unfoldnmf")

#: Share of checked calls whose REF may disagree with the FASTA before the run stops (wrong build?).
MAX_REF_MISMATCH = 0.05
#: Calls checked before that share is judged.
MIN_REF_CHECKS = 20
#: Per-call REF warnings shown before the rest are only counted.
SHOWN_WARNINGS = 5
#: Share of calls that may lie on contigs the FASTA lacks, once MIN_REF_CHECKS calls are counted (all of fewer).
MAX_ABSENT_CONTIG = 0.5
#: Contig names shown when the calls' and the FASTA's do not match.
SHOWN_CONTIGS = 4
#: Skip reason of a call seen before for the same sample.
DUPLICATE = "duplicate calls (seen before for the same sample)"


@dataclass(frozen=True)
class Mutation:
    """One counted mutation: where, which sample, and its channel (``kind`` SBS96, DBS78 or ID83)."""

    sample: str
    contig: str
    position: int  #: 1-based, of the first REF base as the call gave it (a doublet's first base)
    ref: str
    alt: str
    kind: str
    label: str


@dataclass
class Catalogs:
    """SBS-96, DBS-78 and ID-83 count tables (channels × samples, every sample in each) and what was skipped."""

    sbs96: pd.DataFrame
    dbs78: pd.DataFrame
    id83: pd.DataFrame
    summary: dict = field(default_factory=dict)


class _Counter:
    def __init__(self, genome: Genome, on_mutation: Callable[[Mutation], None] | None = None):
        self.genome = genome
        self.on_mutation = on_mutation
        self.counts: dict[str, dict[str, np.ndarray]] = {channels.name: {} for channels in CHANNEL_SETS}
        self.runs: dict[str, list[tuple[Call, str]]] = {}  #: per sample, adjacent SNVs with their 3-base contexts
        self.tally: Counter[str] = Counter()  #: calls skipped, by reason
        self.runs_of_three_or_more = 0
        self.checked = self.mismatched = 0
        self.considered = 0  #: distinct calls met
        self.absent: Counter[str] = Counter()  #: calls on contigs the FASTA lacks, by contig
        self.site: dict[str, tuple] = {}  #: per sample, the (contig, position) last met and the alleles seen there

    def sample(self, name: str) -> None:
        for channels in CHANNEL_SETS:
            self.counts[channels.name].setdefault(name, np.zeros(len(channels.labels), dtype=np.int64))

    def add(self, call: Call) -> None:
        """Count ``call``; each sample's calls come sorted by contig and position."""
        contig = self.genome.contig(call.contig)
        site, alleles = (contig or call.contig, call.position), (call.ref, call.alt)
        seen = self.site.get(call.sample)
        if seen is None or seen[0] != site:
            self.site[call.sample] = (site, {alleles})
        elif alleles in seen[1]:
            self.tally[DUPLICATE] += 1
            return
        else:
            seen[1].add(alleles)
        self.considered += 1
        if contig is None:
            self.absent[call.contig] += 1
            self.tally["on contigs absent from the FASTA"] += 1
            return
        if len(call.ref) != len(call.alt):
            self._count_indel(call, contig)
            return
        if len(call.ref) == 1:
            context = self._checked_bases(call, contig, flank=1)  # read once: the REF check and the SBS context
            if context is not None:
                self._extend_run(call, context)
        elif self._checked_bases(call, contig) is None:
            return
        elif len(call.ref) == 2 and all(r != a for r, a in zip(call.ref, call.alt)):
            self._count_doublet(call, call.ref, call.alt)
        else:
            self.tally["multi-base substitutions (3+ bases, or not all changed)"] += 1

    def _count_indel(self, call: Call, contig: str) -> None:
        ref, alt, start = call.ref, call.alt, call.position - 1  # 0-based position of REF's first base
        if ref and alt and (ref.startswith(alt) or alt.startswith(ref)):  # VCF: a shared first base
            left, deleted, inserted = start + min(len(ref), len(alt)) - 1, ref[len(alt):], alt[len(ref):]
        elif not ref or not alt:  # MAF: '-' on the empty side; an insertion's position is the base before it
            left, deleted, inserted = (start if not ref else start - 1), ref, alt
        else:
            self.tally["complex indels (bases replaced by others)"] += 1
            return
        if ref and self._checked_bases(call, contig) is None:
            return
        label = classify_indel(lambda a, b: self.genome.bases(contig, a, b), left, deleted, inserted)
        self._count(call, ref, alt, ID83, label)

    def _checked_bases(self, call: Call, contig: str, flank: int = 0) -> str | None:
        """The reference bases under ``call`` with ``flank`` bases either side, or None (counted and
        warned) when its REF disagrees with them."""
        start = call.position - 1 - flank
        bases = self.genome.bases(contig, start, call.position - 1 + len(call.ref) + flank)
        genome_ref = bases[flank:len(bases) - flank]
        self.checked += 1
        if genome_ref == call.ref:
            return bases
        self.mismatched += 1
        self.tally["REF differs from the FASTA"] += 1
        if self.mismatched <= SHOWN_WARNINGS:
            log.warning("%s: REF %s, but the FASTA has %s there; call skipped%s", call.where, call.ref, genome_ref,
                        "" if self.mismatched < SHOWN_WARNINGS else " (further such warnings are only counted)")
        return None

    def _extend_run(self, call: Call, context: str) -> None:
        run = self.runs.get(call.sample)
        last = run[-1][0] if run else None
        if last is not None and last.contig == call.contig and last.position <= call.position <= last.position + 1:
            run.append((call, context))
            return
        self._close_run(call.sample)
        self.runs[call.sample] = [(call, context)]

    def _close_run(self, sample: str) -> None:
        """Count a run of substitutions at consecutive positions; a position with several (two ALT
        alleles at one site) splits it: each of those is an SBS, in no doublet whatever their order."""
        run = self.runs.pop(sample, None)
        if not run:
            return
        if len(run) == 1:  # most calls: an isolated SNV
            self._count_segment(run)
            return
        shared = {first.position for (first, _), (second, _) in zip(run, run[1:]) if first.position == second.position}
        segment: list[tuple[Call, str]] = []
        for call, context in run:
            if call.position in shared:
                self._count_segment(segment)
                segment = []
                self._count(call, call.ref, call.alt, SBS96, sbs_channel(context, call.alt))
            else:
                segment.append((call, context))
        self._count_segment(segment)

    def _count_segment(self, run: list[tuple[Call, str]]) -> None:
        """Two substitutions at adjacent positions are a doublet; one, or three or more, are SBS."""
        if len(run) == 2:
            (first, _), (second, _) = run
            self._count_doublet(first, first.ref + second.ref, first.alt + second.alt)
            return
        self.runs_of_three_or_more += len(run) >= 3
        for call, context in run:
            self._count(call, call.ref, call.alt, SBS96, sbs_channel(context, call.alt))

    def _count_doublet(self, first: Call, ref: str, alt: str) -> None:
        self._count(first, ref, alt, DBS78, dbs_channel(ref, alt))

    def _count(self, call: Call, ref: str, alt: str, channels: ChannelSet, label: str | None) -> None:
        if label is None:
            self.tally["context with bases other than ACGT"] += 1
            return
        self.counts[channels.name][call.sample][channels.index[label]] += 1
        if self.on_mutation is not None:
            self.on_mutation(Mutation(call.sample, call.contig, call.position, ref, alt, channels.name, label))

    def finish(self) -> None:
        for sample in list(self.runs):
            self._close_run(sample)
        self.site.clear()

    def check(self, fasta: str | Path) -> None:
        """Stop when the calls do not fit the FASTA: too many REF mismatches (another build?) or
        most calls on contigs it lacks (another naming or genome?)."""
        if self.checked >= MIN_REF_CHECKS and self.mismatched > MAX_REF_MISMATCH * self.checked:
            raise InputError(f"{fasta}: REF disagrees with the FASTA for {self.mismatched} of {self.checked} calls "
                             f"({self.mismatched / self.checked:.0%}): is it the genome build the calls were made on "
                             f"(e.g. GRCh37 vs GRCh38)?")
        absent = sum(self.absent.values())
        if absent and (absent > MAX_ABSENT_CONTIG * self.considered if self.considered >= MIN_REF_CHECKS
                       else absent == self.considered):
            theirs = [name for name, _ in self.absent.most_common(SHOWN_CONTIGS)]
            ours = self.genome.names[:SHOWN_CONTIGS]
            refseq = any(name.startswith(("NC_", "NT_", "NW_")) for name in theirs + ours)
            cause = ("RefSeq accession names (NC_000001.11) on one side only: use a FASTA that names contigs as the "
                     "calls do, or rename the calls' contigs (bcftools annotate --rename-chrs)" if refseq else
                     "the calls were made on another genome (species or assembly), or name their contigs another way")
            raise InputError(f"{fasta}: {absent} of {self.considered} calls are on contigs the FASTA lacks (calls: "
                             f"{', '.join(theirs)}; FASTA: {', '.join(ours)}): {cause}")


def count_catalogs(calls: list[str | Path], fasta: str | Path, all_filters: bool = False,
                   progress: bool = False, on_mutation: Callable[[Mutation], None] | None = None,
                   naming: SampleNaming | None = None) -> Catalogs:
    """SBS-96, DBS-78 and ID-83 catalogs of the samples in the VCF/MAF files ``calls`` (see the module's rules),
    with the reference genome ``fasta``; only PASS calls unless ``all_filters``; columns counted and
    named by ``naming`` (:mod:`unfoldnmf.calls.samples`); ``progress`` shows a bar of the calls read
    per file. ``on_mutation`` is called with every mutation counted, as it is."""
    genome = Genome(fasta)
    counter = _Counter(genome, on_mutation)
    try:
        ordered = OrderedCalls(calls, naming or SampleNaming(), all_filters)
        if not ordered.samples:
            raise InputError(f"{', '.join(map(str, calls))}: no sample to count (no MAF rows, or only a matched "
                             f"normal, which is left out: --sample picks columns)")
        for name in ordered.samples:
            counter.sample(name)
        for label, group in ordered.groups(lambda name: genome.contig(name) or name):
            for call in tqdm(group, desc=label, unit=" calls", unit_scale=True, leave=False,
                             disable=None if progress else True):
                counter.add(call)
            counter.finish()
        counter.check(fasta)
    finally:
        genome.close()

    def table(channels: ChannelSet) -> pd.DataFrame:
        counts = counter.counts[channels.name]
        values = np.stack([counts[s] for s in ordered.samples], axis=1)
        return pd.DataFrame(values, index=pd.Index(channels.labels, name="MutationType"), columns=ordered.samples)

    sbs, dbs, ids = table(SBS96), table(DBS78), table(ID83)
    summary = {"calls": [str(p) for p in calls], "samples": len(ordered.samples), "records": ordered.records,
               "sbs_counted": int(sbs.to_numpy().sum()), "dbs_counted": int(dbs.to_numpy().sum()),
               "id_counted": int(ids.to_numpy().sum()),
               "runs_of_3_or_more_adjacent_substitutions_counted_as_sbs": counter.runs_of_three_or_more,
               "skipped": dict(sorted((ordered.skipped + counter.tally).items())),
               "matched_normals_left_out": ordered.names.left_out}
    return Catalogs(sbs96=sbs, dbs78=dbs, id83=ids, summary=summary)
