"""ID-83 classes of small insertions and deletions, as COSMIC defines them.

An indel is the sequence ``inserted`` or ``deleted`` between reference positions (0-based) ``left``
(the last base before it) and the next. Its repeat count is the number of copies of that sequence
that the reference already holds right beside it, on either side (left-normalised calls have them
only on the right); it is capped at 5 ("5+"), and so is the length.

* 1 bp: ``1:Del|Ins:C|T:count``, the base written as its pyrimidine (G as C, A as T): the
  homopolymer beside it, so ``1:Del:C:0`` is a lone C deleted and ``1:Ins:T:5`` a T added to 5+ Ts.
* 2–5+ bp: ``length:Del|Ins:R:count``; a deletion without any copy beside it whose first bases
  repeat right after it, or whose last bases repeat right before it (microhomology, as left by
  end-joining repair), is ``length:Del:M:homology length`` instead (1 to length − 1, at most 5).
"""

from __future__ import annotations

from typing import Callable

#: Repeat counts and lengths at and above this share a class.
CAP = 5


def _copies_right(sequence: str, unit: str) -> int:
    count = 0
    while sequence.startswith(unit, count * len(unit)) and count < CAP:
        count += 1
    return count


def _copies_left(sequence: str, unit: str) -> int:
    count = 0
    while count < CAP and len(sequence) >= (count + 1) * len(unit) and \
            sequence[len(sequence) - (count + 1) * len(unit):len(sequence) - count * len(unit)] == unit:
        count += 1
    return count


def indel_channel(kind: str, unit: str, before: str, after: str) -> str | None:
    """ID-83 label of deleting or inserting (``kind`` ``Del``/``Ins``) the bases ``unit`` between
    the reference sequences ``before`` and ``after`` (at least 6 × len(unit) bases each, read on the
    reference strand, the deleted bases in neither; N beyond a contig's ends matches nothing); None
    when ``unit`` holds bases other than ACGT."""
    if not unit or not set(unit) <= set("ACGT"):
        return None
    count = min(_copies_right(after, unit) + _copies_left(before, unit), CAP)
    if len(unit) == 1:
        base = unit if unit in "CT" else {"G": "C", "A": "T"}[unit]
        return f"1:{kind}:{base}:{count}"
    length = min(len(unit), CAP)
    if kind == "Del" and count == 0:
        homology = max((m for m in range(1, len(unit))
                        if unit[:m] == after[:m] or unit[-m:] == before[len(before) - m:]), default=0)
        if homology:
            return f"{length}:Del:M:{min(homology, CAP)}"
    return f"{length}:{kind}:R:{count}"


def classify_indel(bases: Callable[[int, int], str], left: int, deleted: str, inserted: str) -> str | None:
    """ID-83 label of an indel after the 0-based reference position ``left``: ``deleted`` bases
    (which the reference holds at left + 1 …) or ``inserted`` ones (exactly one of them non-empty);
    ``bases(start, end)`` reads the reference [start, end)."""
    unit = deleted or inserted
    span = (CAP + 1) * len(unit)
    before = bases(left + 1 - span, left + 1)
    after = bases(left + 1 + len(deleted), left + 1 + len(deleted) + span)
    return indel_channel("Del" if deleted else "Ins", unit, before, after)
