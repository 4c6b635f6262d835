"""The 96 SBS channels: canonical labels, their order, and parsing of the label spellings in use."""

from __future__ import annotations

import re

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
