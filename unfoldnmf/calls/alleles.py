"""A call's alleles in their minimal form, and the ALT alleles that are not bases.

A record split from a multi-allelic one keeps the REF of all its alleles (``GCA`` for ``GCA → G,GA,ACA``);
trimmed, ``GCA>GA`` is the 1-bp deletion ``GC>G`` and ``GCA>ACA`` the SNV ``G>A``.
"""

from __future__ import annotations

#: Skip reasons of the ALT alleles that are not bases.
SYMBOLIC, BREAKEND, SPANNING, NOT_BASES = ("symbolic alleles (<DEL>, <INS>, <*> …)", "breakend alleles",
                                           "'*' alleles (a deletion spanning the site)",
                                           "alleles with characters other than ACGTN")
_BASES = frozenset("ACGTN")


def minimal(position: int, ref: str, alt: str) -> tuple[int, str, str]:
    """``ref`` > ``alt`` at ``position`` without the bases they share: the common suffix, then the
    common prefix (``position`` moves past it), each side keeping at least one base, so an indel
    keeps its VCF anchor base. Alleles with an empty side (MAF's ``-``) are already minimal."""
    shared = min(len(ref), len(alt)) - 1
    end = 0
    while end < shared and ref[-1 - end] == alt[-1 - end]:
        end += 1
    if end:
        ref, alt, shared = ref[:-end], alt[:-end], shared - end
    start = 0
    while start < shared and ref[start] == alt[start]:
        start += 1
    return position + start, ref[start:], alt[start:]


def unusable(alt: str) -> str | None:
    """Why the VCF ALT allele ``alt`` (upper case) cannot be counted, or None when it is bases."""
    if alt.startswith("<"):
        return SYMBOLIC
    if "[" in alt or "]" in alt or alt.startswith(".") or alt.endswith("."):
        return BREAKEND
    if alt == "*":
        return SPANNING
    return None if _BASES.issuperset(alt) else NOT_BASES
