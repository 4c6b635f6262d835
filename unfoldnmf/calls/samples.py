"""Which sample columns of the calls files are counted, and the catalog sample each one's calls go to.

A column is a VCF sample column, a MAF ``Tumor_Sample_Barcode``, or ``.`` for a VCF without sample
columns. By default a column is counted under its own name (``.`` under its file's stem, the file
name up to its first dot), except a VCF's matched normal: the column its header names
(``##normal_sample=``) or a column named ``NORMAL``, left out with a notice. ``--sample`` counts
only the columns it names (a normal too); ``--name-from file`` names each file's one counted column
after the file's stem; ``--samples TABLE`` (file, column, sample) names the columns it lists.

A name is taken to mean one tumour wherever it comes from, so two files giving the same name are
merged (and their repeated calls counted once), except a name a caller gives every tumour's column
(``TUMOR``, ``TUMOUR``, ``NORMAL``) or one taken from a file's stem by default: two files giving such
a name is an error that names both, until ``--name-from file`` or ``--samples`` says what they are.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

log = logging.getLogger("unfoldnmf")

#: Column names callers give every tumour (or normal): they do not tell two patients apart.
GENERIC = frozenset({"TUMOR", "TUMOUR", "NORMAL"})
#: The column of a VCF without sample columns.
NO_COLUMN = "."


@dataclass(frozen=True)
class SampleNaming:
    """The user's choices: ``picked`` columns only (``--sample``), names from file stems
    (``--name-from file``), or a ``table`` file of (file, column, sample) rows (``--samples``)."""

    picked: tuple[str, ...] = ()
    from_file: bool = False
    table: str | Path | None = None


def stem(path: Path) -> str:
    """The file name up to its first dot: ``patient1`` for ``patient1.snvs.vcf.gz``."""
    return path.name.split(".", 1)[0] or path.name


def _read_table(table: Path, paths: list[Path]) -> dict[tuple[Path, str], str]:
    """(resolved file, column) -> sample from the tab-separated ``table``; files are resolved from the
    current directory and must be among ``paths``."""
    if not table.is_file():
        raise InputError(f"{table}: no such --samples table")
    known = {path.resolve() for path in paths}
    mapping: dict[tuple[Path, str], str] = {}
    for number, line in enumerate(table.read_text(encoding="utf-8").splitlines(), start=1):
        fields = [field.strip() for field in line.split("\t")]
        if line.startswith("#") or not line.strip() or [f.lower() for f in fields] == ["file", "column", "sample"]:
            continue
        if len(fields) != 3 or not all(fields):
            raise InputError(f"{table}: line {number}: expected 3 tab-separated fields (file, column, sample), "
                             f"found {line!r}")
        key = (Path(fields[0]).resolve(), fields[1])
        if key[0] not in known:
            raise InputError(f"{table}: line {number}: {fields[0]} is not one of the calls files")
        if key in mapping:
            raise InputError(f"{table}: line {number}: {fields[0]} column {fields[1]} is named twice")
        mapping[key] = fields[2]
    return mapping


class SampleNames:
    """The catalog sample of each (file, column), by the rules above; ``left_out`` lists the normals
    left out, and :meth:`check` refuses choices that matched nothing."""

    def __init__(self, naming: SampleNaming, paths: list[Path]):
        self.naming = naming
        self.table = _read_table(Path(naming.table), paths) if naming.table is not None else {}
        self.left_out: list[str] = []
        self._used: set[tuple[Path, str]] = set()  #: --samples rows that matched a column
        self._picked: set[str] = set()  #: --sample names that matched a column
        #: sample -> resolved file -> (path, column, whether the name is ambiguous)
        self._sources: dict[str, dict[Path, tuple[Path, str, bool]]] = {}
        self._by_file: dict[Path, str] = {}  #: with --name-from file: each file's counted column

    def name(self, path: Path, column: str, normals: frozenset[str] = frozenset()) -> str | None:
        """The sample ``column`` of the file ``path`` is counted under, or None when it is left out
        (``normals``: the columns the file's header names as the matched normal)."""
        resolved = path.resolve()
        if (resolved, column) in self.table:
            self._used.add((resolved, column))
            return self._register(self.table[resolved, column], path, column, ambiguous=False)
        if self.naming.picked:
            if column not in self.naming.picked:
                return None
            self._picked.add(column)
        elif column in normals or column.upper() == "NORMAL":
            why = "its header's ##normal_sample" if column in normals else "named NORMAL"
            self.left_out.append(f"{path}: {column}")
            log.info("%s: column %s is the matched normal (%s): left out (--sample picks columns)", path, column, why)
            return None
        if self.naming.from_file:
            first = self._by_file.setdefault(resolved, column)
            if first != column:
                raise InputError(f"{path}: --name-from file names one sample per file, but it has several "
                                 f"({first}, {column}): pick one with --sample or name them with --samples")
            twin = next((other for other, _, _ in self._sources.get(stem(path), {}).values()
                         if other.name == path.name and other.resolve() != resolved), None)
            if twin is not None:
                raise InputError(f"{twin} and {path} have the same file name: --name-from file cannot tell "
                                 f"their tumours apart; name them with --samples TABLE (file, column, sample)")
            return self._register(stem(path), path, column, ambiguous=False)
        if column == NO_COLUMN:
            return self._register(stem(path), path, column, ambiguous=True)
        return self._register(column, path, column, ambiguous=column.upper() in GENERIC)

    def _register(self, sample: str, path: Path, column: str, ambiguous: bool) -> str:
        sources = self._sources.setdefault(sample, {})
        resolved = path.resolve()
        if sources and resolved not in sources:
            other, other_column, other_ambiguous = next(iter(sources.values()))
            if ambiguous or other_ambiguous:
                how = ("named after both files' stem" if NO_COLUMN in (column, other_column)
                       else f"a column name callers give every tumour ({other_column}, {column})")
                raise InputError(f"{other} and {path} both give sample {sample}, {how}: name their samples with "
                                 f"--name-from file (sample = file name up to its first dot; one tumour's files "
                                 f"share it) or --samples TABLE (file, column, sample)")
        sources.setdefault(resolved, (path, column, ambiguous))
        return sample

    def check(self) -> None:
        """Refuse --sample names and --samples rows that matched no column; note the samples whose
        calls come from several files."""
        unmatched = [name for name in self.naming.picked if name not in self._picked]
        if unmatched:
            raise InputError(f"--sample {', '.join(unmatched)}: no such sample column or Tumor_Sample_Barcode "
                             f"in the calls")
        rows = [f"{path} column {column}" for path, column in self.table if (path, column) not in self._used]
        if rows:
            raise InputError(f"{self.naming.table}: no such column: {'; '.join(rows[:5])}")
        for sample, sources in self._sources.items():
            if len(sources) > 1:
                log.info("sample %s: calls from %s (a call found twice is counted once)", sample,
                         ", ".join(str(path) for path, _, _ in sources.values()))
