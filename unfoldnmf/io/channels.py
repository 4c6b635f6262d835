"""Channel sets: the 96 SBS channels (canonical labels, order, parsing of the spellings in use) and
the 78 DBS channels, with the strand orientation that maps a mutation onto each."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

SUBSTITUTIONS = ("C>A", "C>G", "C>T", "T>A", "T>C", "T>G")
BASES = "ACGT"

#: SigProfiler's order: substitution type, then 5' base, then 3' base (A[C>A]A, A[C>A]C, ...).
CHANNELS: tuple[str, ...] = tuple(
    f"{five}[{sub}]{three}" for sub in SUBSTITUTIONS for five in BASES for three in BASES
)
CHANNEL_INDEX = {label: i for i, label in enumerate(CHANNELS)}

_BRACKET = re.compile(r"^([ACGT])\[([CT])>([ACGT])\]([ACGT])$")


def canonical_label(label: str) -> str | None:
    """Return the canonical spelling of a channel label such as ``A[C>T]G``, or None if it is not one.

    Case and surrounding or inner white space are forgiven (``a[c>t]g``, ``A[C > T]G``).
    """
    text = re.sub(r"\s+", "", str(label)).upper()
    match = _BRACKET.match(text)
    if match is None:
        return None
    canonical = f"{match[1]}[{match[2]}>{match[3]}]{match[4]}"
    return canonical if canonical in CHANNEL_INDEX else None


def label_from_type_and_context(substitution: str, trinucleotide: str) -> str | None:
    """Build a channel label from the PCAWG/SynSig pair (``C>A``, ``ACA``) -> ``A[C>A]A``."""
    sub = re.sub(r"\s+", "", str(substitution)).upper()
    tri = re.sub(r"\s+", "", str(trinucleotide)).upper()
    if len(tri) != 3 or len(sub) != 3 or sub[1] != ">" or tri[1] != sub[0]:
        return None
    return canonical_label(f"{tri[0]}[{sub}]{tri[2]}")


_COMPLEMENT = str.maketrans("ACGT", "TGCA")


def reverse_complement(sequence: str) -> str:
    """The other strand of ``sequence`` (upper-case ACGT), read 5' to 3'."""
    return sequence.translate(_COMPLEMENT)[::-1]


def sbs_channel(context: str, alt: str) -> str | None:
    """SBS-96 label of the substitution of the middle base of ``context`` (3 bases, reference strand)
    by ``alt``, written from the pyrimidine (C or T) of the pair: a G or A reference is reverse-
    complemented with its flanks. None when the context holds a base other than ACGT."""
    if context[1] in "GA":
        context, alt = reverse_complement(context), reverse_complement(alt)
    label = f"{context[0]}[{context[1]}>{alt}]{context[2]}"
    return label if label in CHANNEL_INDEX else None


#: COSMIC's 78 doublet-base substitution channels, in SigProfiler's order (COSMIC v3.4 DBS tables).
DBS_CHANNELS: tuple[str, ...] = tuple("""
AC>CA AC>CG AC>CT AC>GA AC>GG AC>GT AC>TA AC>TG AC>TT AT>CA AT>CC AT>CG AT>GA AT>GC AT>TA CC>AA CC>AG CC>AT
CC>GA CC>GG CC>GT CC>TA CC>TG CC>TT CG>AT CG>GC CG>GT CG>TA CG>TC CG>TT CT>AA CT>AC CT>AG CT>GA CT>GC CT>GG
CT>TA CT>TC CT>TG GC>AA GC>AG GC>AT GC>CA GC>CG GC>TA TA>AT TA>CG TA>CT TA>GC TA>GG TA>GT TC>AA TC>AG TC>AT
TC>CA TC>CG TC>CT TC>GA TC>GG TC>GT TG>AA TG>AC TG>AT TG>CA TG>CC TG>CT TG>GA TG>GC TG>GT TT>AA TT>AC TT>AG
TT>CA TT>CC TT>CG TT>GA TT>GC TT>GG""".split())
DBS_INDEX = {label: i for i, label in enumerate(DBS_CHANNELS)}


def dbs_channel(ref: str, alt: str) -> str | None:
    """DBS-78 label of the doublet ``ref`` > ``alt`` (2 bases each, both changed), on whichever strand
    COSMIC names it; None for bases other than ACGT or a doublet that is not one."""
    for label in (f"{ref}>{alt}", f"{reverse_complement(ref)}>{reverse_complement(alt)}"):
        if label in DBS_INDEX:
            return label
    return None


#: COSMIC's 83 small insertion and deletion channels, in SigProfiler's order (COSMIC v3.4 ID table):
#: ``length:Del|Ins:base|R|M:count`` (length 5 meaning 5 or more; see :mod:`unfoldnmf.calls.indels`).
ID_CHANNELS: tuple[str, ...] = tuple(
    [f"1:{kind}:{base}:{count}" for kind in ("Del", "Ins") for base in "CT" for count in range(6)]
    + [f"{length}:{kind}:R:{count}" for kind in ("Del", "Ins") for length in range(2, 6) for count in range(6)]
    + [f"{length}:Del:M:{homology}" for length in range(2, 6) for homology in range(1, length if length < 5 else 6)]
)
ID_INDEX = {label: i for i, label in enumerate(ID_CHANNELS)}


def _plain_label(index: dict[str, int]) -> Callable[[str], "str | None"]:
    """The parser of labels that only vary in case and white space (``ac>ca``, ``1:del:c:0``)."""
    upper = {key.upper(): key for key in index}

    def canonical(label: str) -> str | None:
        return upper.get(re.sub(r"\s+", "", str(label)).upper())
    return canonical


@dataclass(frozen=True)
class ChannelSet:
    """One kind of catalog: its name (``SBS96``, also the prefix of de novo signature names), a
    readable title, the channel labels in SigProfiler's order and the parser of their spellings."""

    name: str
    title: str
    labels: tuple[str, ...]
    canonical: Callable[[str], "str | None"]

    @cached_property
    def index(self) -> dict[str, int]:
        """Label -> row."""
        return {label: i for i, label in enumerate(self.labels)}


SBS96 = ChannelSet("SBS96", "SBS-96", CHANNELS, canonical_label)
DBS78 = ChannelSet("DBS78", "DBS-78", DBS_CHANNELS, _plain_label(DBS_INDEX))
ID83 = ChannelSet("ID83", "ID-83", ID_CHANNELS, _plain_label(ID_INDEX))
CHANNEL_SETS = (SBS96, DBS78, ID83)


def channel_set_of(label: str) -> ChannelSet | None:
    """The channel set a channel label belongs to, or None when it is none of them."""
    return next((channels for channels in CHANNEL_SETS if channels.canonical(label) is not None), None)


def channel_set_of_table(table) -> ChannelSet:
    """The channel set of a table read by :mod:`unfoldnmf.io.tables` (its rows are canonical labels)."""
    found = channel_set_of(str(table.index[0]))
    if found is None or list(table.index) != list(found.labels):
        raise ValueError("not a table of a known channel set in canonical order")
    return found
