"""The reference genome: a FASTA file (plain or bgzip-compressed) read through pysam's index.

Contig names are matched across the usual spellings (``chr1``/``1``, ``chrM``/``MT``/``M``), so calls
and genome need not agree on a naming convention.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError

#: Mitochondrial contig spellings, all treated as one.
MITOCHONDRIAL = ("chrM", "chrMT", "MT", "M")


def import_pysam():
    """pysam, or an InputError that says how to install it (it is an optional extra)."""
    try:
        import pysam
    except ImportError:
        raise InputError("reading mutation calls needs pysam: pip install 'unfoldnmf[calls]'") from None
    return pysam


def _spellings(name: str) -> list[str]:
    bare = name[3:] if name.lower().startswith("chr") else name
    if bare.upper() in ("M", "MT"):
        return list(MITOCHONDRIAL)
    return [name, bare, f"chr{bare}"]


class Genome:
    """Sequence access to a FASTA file, indexed on first use (``.fai``, and ``.gzi`` for bgzip)."""

    def __init__(self, path: str | Path):
        pysam = import_pysam()
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"{self.path}: no such FASTA file")
        with open(self.path, "rb") as handle:
            head = handle.read(18)
        if head[:2] == b"\x1f\x8b" and head[12:14] != b"BC":  # gzip without the BGZF block marker
            raise InputError(f"{self.path}: gzip-compressed but not with bgzip, so it cannot be indexed; "
                             f"recompress it with 'bgzip' (htslib) or decompress it")
        try:
            self._fasta = pysam.FastaFile(str(self.path))
        except (OSError, ValueError) as exc:
            raise InputError(f"{self.path}: cannot open or index as FASTA ({exc})") from None
        self._lengths = dict(zip(self._fasta.references, self._fasta.lengths))
        self._resolved: dict[str, str | None] = {}

    @property
    def names(self) -> list[str]:
        """The FASTA's contig names, in its order."""
        return list(self._lengths)

    def contig(self, name: str) -> str | None:
        """The FASTA's name for the calls' contig ``name``, or None when the genome has no such contig."""
        if name not in self._resolved:
            self._resolved[name] = next((s for s in _spellings(name) if s in self._lengths), None)
        return self._resolved[name]

    def bases(self, contig: str, start: int, end: int) -> str:
        """Upper-case bases [start, end) (0-based) of the FASTA contig ``contig``; positions outside
        it read as N."""
        length = self._lengths[contig]
        left, right = max(start, 0), min(end, length)
        inner = self._fasta.fetch(contig, left, right).upper() if right > left else ""
        return "N" * (left - start) + inner + "N" * (end - max(right, start, left))

    def close(self) -> None:
        self._fasta.close()
