"""From mutation calls to SBS-96, DBS-78 and ID-83 catalogs, streaming: memory does not grow with the calls.

Rules: a single-base substitution is written from the pyrimidine of the pair (a G or A reference is
reverse-complemented with its flanks). Substitutions at adjacent positions in one sample form one
doublet (DBS-78, on the strand COSMIC names it), not two SBS; in a run of three or more adjacent
substitutions each one is an SBS with its reference context and none is a doublet, as
SigProfilerMatrixGenerator 1.4 counts them (the summary says how many runs there were). A
multi-base record of three or more bases, or whose bases are not all changed, is counted in
neither table (reported in the summary). Insertions and deletions go to
ID-83 (:mod:`unfoldnmf.calls.indels`); an indel that is not a plain insertion or deletion (a complex
substitution of several bases by others) is skipped. Calls whose REF disagrees with
the FASTA are skipped with a warning; when more than :data:`MAX_REF_MISMATCH` of them do, the FASTA is
probably another genome build and the run stops. Calls on contigs the FASTA lacks, in a context
with bases other than ACGT and symbolic alleles are counted in the summary and skipped. Each sample's
calls must come sorted by position within a contig, as VCF and sorted MAF files are.
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
from .reading import Call, CallFile

log = logging.getLogger("unfoldnmf")

#: Share of checked calls whose REF may disagree with the FASTA before the run stops (wrong build?).
MAX_REF_MISMATCH = 0.05
#: Calls checked before that share is judged.
MIN_REF_CHECKS = 20
#: Per-call REF warnings shown before the rest are only counted.
SHOWN_WARNINGS = 5


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

    def sample(self, name: str) -> None:
        for channels in CHANNEL_SETS:
            self.counts[channels.name].setdefault(name, np.zeros(len(channels.labels), dtype=np.int64))

    def add(self, call: Call) -> None:
        self.sample(call.sample)
        contig = self.genome.contig(call.contig)
        if contig is None:
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
        if last is not None and last.contig == call.contig:
            if call.position < last.position:
                raise InputError(f"{call.where}: {call.contig}:{call.position} comes after {last.contig}:"
                                 f"{last.position} for sample {call.sample}: calls must be sorted by position "
                                 f"(e.g. bcftools sort, or sort the MAF by sample, chromosome and position)")
            if call.position == last.position + 1:
                run.append((call, context))
                return
        self._close_run(call.sample)
        self.runs[call.sample] = [(call, context)]

    def _close_run(self, sample: str) -> None:
        run = self.runs.pop(sample, None)
        if not run:
            return
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


def count_catalogs(calls: list[str | Path], fasta: str | Path, all_filters: bool = False,
                   progress: bool = False, on_mutation: Callable[[Mutation], None] | None = None) -> Catalogs:
    """SBS-96, DBS-78 and ID-83 catalogs of the samples in the VCF/MAF files ``calls`` (see the module's rules),
    with the reference genome ``fasta``; only PASS calls unless ``all_filters``; ``progress`` shows a
    bar of the calls read per file. ``on_mutation`` is called with every mutation counted, as it is."""
    genome = Genome(fasta)
    counter = _Counter(genome, on_mutation)
    records, skipped = 0, Counter()
    try:
        for path in calls:
            source = CallFile(path, all_filters)
            for name in source.samples:
                counter.sample(name)
            for call in tqdm(source, desc=source.path.name, unit=" calls", unit_scale=True, leave=False,
                             disable=None if progress else True):
                counter.add(call)
            counter.finish()
            for name in source.samples:  # a MAF names its samples as it is read
                counter.sample(name)
            records += source.records
            skipped.update(source.skipped)
    finally:
        genome.close()
    if counter.checked >= MIN_REF_CHECKS and counter.mismatched > MAX_REF_MISMATCH * counter.checked:
        raise InputError(f"{fasta}: REF disagrees with the FASTA for {counter.mismatched} of {counter.checked} calls "
                         f"({counter.mismatched / counter.checked:.0%}): is it the genome build the calls were made on "
                         f"(e.g. GRCh37 vs GRCh38)?")
    samples = list(counter.counts[SBS96.name])

    def table(channels: ChannelSet) -> pd.DataFrame:
        counts = counter.counts[channels.name]
        values = (np.stack([counts[s] for s in samples], axis=1) if samples
                  else np.zeros((len(channels.labels), 0), np.int64))
        return pd.DataFrame(values, index=pd.Index(channels.labels, name="MutationType"), columns=samples)

    sbs, dbs, ids = table(SBS96), table(DBS78), table(ID83)
    summary = {"files": [str(p) for p in calls], "samples": len(samples), "records": records,
               "sbs_counted": int(sbs.to_numpy().sum()), "dbs_counted": int(dbs.to_numpy().sum()),
               "id_counted": int(ids.to_numpy().sum()),
               "runs_of_3_or_more_adjacent_substitutions_counted_as_sbs": counter.runs_of_three_or_more,
               "skipped": dict(sorted((skipped + counter.tally).items()))}
    return Catalogs(sbs96=sbs, dbs78=dbs, id83=ids, summary=summary)
