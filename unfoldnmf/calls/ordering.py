"""The calls of a run's files in the order counting needs: each sample's by contig and position.

A VCF whose samples no other file names is streamed as it is read: memory does not grow with it, and
it must be sorted (by position within each contig, as callers and ``bcftools sort`` write them).
MAF files, and files that share a sample (one tumour's SNV and indel VCFs, a file given twice), are
read whole and sorted in memory, one group of files sharing samples at a time; MAF rows may come in
any order.
"""

from __future__ import annotations

from collections import Counter
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .reading import Call, CallFile
from .samples import SampleNames, SampleNaming


class OrderedCalls:
    """The files ``paths``, their columns named by ``naming``: ``samples`` (every catalog sample, in
    the order the files name them) and :meth:`groups` (their calls)."""

    def __init__(self, paths: list[str | Path], naming: SampleNaming, all_filters: bool = False):
        self.files = [CallFile(path, all_filters) for path in paths]
        self.names = SampleNames(naming, [file.path for file in self.files])
        self._read: dict[int, list[Call]] = {}  #: the MAF files' calls, read first: they name their samples as read
        for index, file in enumerate(self.files):
            file.name_samples(partial(self.names.name, file.path, normals=file.normals))
            if file.format == "MAF":
                self._read[index] = list(file.calls())
        self.names.check()
        named = [[sample for sample in file.samples.values() if sample is not None] for file in self.files]
        self.samples = list(dict.fromkeys(sample for samples in named for sample in samples))
        self._groups = _sharing(named)

    def groups(self, contig_key: Callable[[str], str]) -> Iterator[tuple[str, Iterable[Call]]]:
        """(label, calls) per group of files sharing samples, each sample's calls sorted by
        (``contig_key(contig)``, position) or, for a lone VCF, streamed in the file's order."""
        for group in self._groups:
            files = [self.files[index] for index in group]
            if len(files) == 1 and files[0].format == "VCF":
                yield files[0].path.name, files[0].calls()
                continue
            calls = [call for index in group for call in
                     (self._read.pop(index) if index in self._read else self.files[index].calls(streamed=False))]
            calls.sort(key=lambda c: (c.sample, contig_key(c.contig), c.position, c.ref, c.alt))
            yield ", ".join(file.path.name for file in files), calls

    @property
    def records(self) -> int:
        return sum(file.records for file in self.files)

    @property
    def skipped(self) -> Counter[str]:
        return sum((file.skipped for file in self.files), Counter())


def _sharing(named: list[list[str]]) -> list[list[int]]:
    """The files (indices into ``named``, each file's samples) in groups that share no sample with
    each other, in the order of their first file."""
    group_of: list[int] = list(range(len(named)))

    def root(index: int) -> int:
        while group_of[index] != index:
            index = group_of[index]
        return index

    first: dict[str, int] = {}
    for index, samples in enumerate(named):
        for sample in samples:
            other = first.setdefault(sample, index)
            group_of[root(index)] = root(other)
    groups: dict[int, list[int]] = {}
    for index in range(len(named)):
        groups.setdefault(root(index), []).append(index)
    return sorted(groups.values())
