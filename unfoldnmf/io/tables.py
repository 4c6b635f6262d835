"""Reading catalog, signature and exposure tables into labelled pandas DataFrames.

Every check on user files happens here, once, so that the numerical code below never meets a bad
value. Faults raise :class:`InputError` with the file, the line or column, and what is wrong.
"""

from __future__ import annotations

import csv
import gzip
import logging
import sys
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .channels import SBS96, ChannelSet, channel_set_of, label_from_type_and_context

log = logging.getLogger("unfoldnmf")

#: Headers accepted for the channel-label column (compared lower-case, without spaces or '_').
LABEL_HEADERS = {"mutationtype", "mutationtypes", "type", "types", "substitution", "channel"}
#: Counts above this are refused: no tumour carries 10^12 substitutions, and float32 work would overflow.
MAX_COUNT = 1e12
#: How far a signature column's sum may stray from 1 before the table is refused.
SIGNATURE_SUM_TOLERANCE = 0.02


def _squash(text: str) -> str:
    return "".join(str(text).split()).replace("_", "").lower()


def read_text(path: str | Path) -> tuple[str, str]:
    """Return (text, display name) of a file, ``-`` for standard input; gzip is detected by content."""
    name = "<stdin>" if str(path) == "-" else str(path)
    try:
        raw = sys.stdin.buffer.read() if name == "<stdin>" else Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, not a table") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error):
            raise InputError(f"{name}: gzip data is corrupt or truncated") from None
        if not name.endswith(".gz"):
            log.info("%s: gzip-compressed content; decompressed", name)
    elif name.endswith(".gz"):
        log.warning("%s: name ends in .gz but the content is not gzip; read as plain text", name)
    if b"\x00" in raw:
        raise InputError(f"{name}: binary data, not a text table")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (byte {exc.start}); is this a table?") from None
    return text, name


def _split_rows(text: str, name: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise InputError(f"{name}: file is empty")
    header = lines[0]
    delimiter = "\t" if "\t" in header else "," if "," in header else None
    if delimiter is None:
        raise InputError(f"{name}: line 1: no tab or comma separates the columns")
    rows = list(csv.reader(lines, delimiter=delimiter))
    width = len(rows[0])
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != width:
            raise InputError(
                f"{name}: line {number}: {len(row)} fields where the header has {width} "
                f"(mixed delimiters or a ragged row?)"
            )
    return rows


def _parse_numbers(rows: list[list[str]], first: int, columns: list[str], name: str) -> np.ndarray:
    cells = [row[first:] for row in rows[1:]]
    try:
        values = np.array(cells, dtype=np.float64)
    except ValueError:
        for r, row in enumerate(cells):
            for c, cell in enumerate(row):
                try:
                    float(cell)
                except ValueError:
                    raise InputError(
                        f"{name}: line {r + 2}, column '{columns[c]}': '{cell}' is not a number"
                    ) from None
        raise
    bad = ~np.isfinite(values)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputError(f"{name}: line {r + 2}, column '{columns[c]}': value {cells[r][c]} is not finite")
    return values


def _check_names(columns: list[str], name: str, what: str) -> None:
    seen: dict[str, int] = {}
    for position, column in enumerate(columns, start=1):
        if not column.strip():
            raise InputError(f"{name}: line 1: {what} column {position} has no name")
        if column in seen:
            raise InputError(f"{name}: line 1: duplicate {what} name '{column}' "
                             f"(columns {seen[column]} and {position})")
        seen[column] = position


def _read_channel_table(path: str | Path, what: str) -> pd.DataFrame:
    """Read a 96-channel table (channels × columns) in any accepted layout, rows in canonical order;
    a table with the channels across its first line (one row per sample or signature) is read
    transposed, with a notice."""
    text, name = read_text(path)
    rows = _split_rows(text, name)
    if (len(rows[0]) > 1 and channel_set_of(rows[0][1].strip()) is not None
            and channel_set_of(rows[0][0].strip()) is None):
        log.info("%s: channels run across the first line (one row per %s); read transposed", name, what)
        try:
            return _channel_rows([list(column) for column in zip(*rows)], name, what)
        except InputError as exc:
            raise InputError(f"{exc} (lines and columns of the table read transposed)") from None
    return _channel_rows(rows, name, what)


def _channel_rows(rows: list[list[str]], name: str, what: str) -> pd.DataFrame:
    header = [cell.strip() for cell in rows[0]]
    if len(rows) == 1:
        raise InputError(f"{name}: header only, no channel rows")
    synsig = len(header) >= 2 and [_squash(h) for h in header[:2]] == ["mutationtype", "trinucleotide"]
    first = 2 if synsig else 1
    channels = SBS96 if synsig else channel_set_of(rows[1][0])
    if channels is None:
        if _squash(header[0]) in LABEL_HEADERS:
            raise InputError(f"{name}: line 2: unknown channel label '{rows[1][0].strip()}' (expected SBS-96 like "
                             f"A[C>A]A, DBS-78 like AC>CA or ID-83 like 1:Del:C:0)")
        raise InputError(
            f"{name}: line 1: first column '{header[0]}' does not hold channel labels; expected "
            f"'MutationType' with labels like A[C>A]A (SBS-96), AC>CA (DBS-78) or 1:Del:C:0 (ID-83), or "
            f"'Mutation type','Trinucleotide' columns"
        )
    columns = header[first:]
    if not columns:
        raise InputError(f"{name}: no {what} columns after the channel labels")
    _check_names(columns, name, what)

    labels, seen, respelled = [], {}, False
    for number, row in enumerate(rows[1:], start=2):
        raw = f"{row[0]} {row[1]}" if synsig else row[0]
        label = label_from_type_and_context(row[0], row[1]) if synsig else channels.canonical(row[0])
        if label is None:
            raise InputError(f"{name}: line {number}: unknown channel label '{raw.strip()}' "
                             f"in a {channels.title} table")
        if label in seen:
            raise InputError(f"{name}: line {number}: channel {label} appears twice (also line {seen[label]})")
        respelled |= not synsig and row[0] != label
        seen[label] = number
        labels.append(label)
    if len(labels) != len(channels.labels):
        missing = [c for c in channels.labels if c not in seen]
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        kind = channels.title.split("-")[0]
        raise InputError(f"{name}: {len(labels)} channel rows, expected {len(channels.labels)} {kind} channels; "
                         f"missing {shown}")
    if respelled:
        log.warning("%s: channel labels normalised to the canonical spelling (e.g. A[C>A]A)", name)

    values = _parse_numbers(rows, first, columns, name)
    return _in_channel_order(values, labels, channels, columns)


def _in_channel_order(values: np.ndarray, labels: list[str], channels: ChannelSet, columns) -> pd.DataFrame:
    order = np.argsort([channels.index[label] for label in labels])
    return pd.DataFrame(values[order], index=pd.Index(channels.labels, name="MutationType"), columns=columns)


def read_catalog(path: str | Path) -> pd.DataFrame:
    """Read an SBS-96, DBS-78 or ID-83 catalog: a DataFrame of channels (canonical order) × samples,
    float64 counts."""
    name = "<stdin>" if str(path) == "-" else str(path)
    catalog = check_catalog(_read_channel_table(path, "sample"), name)
    if not holds_counts(catalog):
        log.warning("%s: counts are not all whole numbers; treating them as normalised counts", name)
    return catalog


def samples_without_mutations(catalog: pd.DataFrame) -> list[str]:
    """The samples of ``catalog`` with no mutations, reported with a warning: they get zero exposures."""
    empty = [str(s) for s in catalog.columns[catalog.sum(axis=0) <= 0]]
    if empty:
        shown = ", ".join(empty[:5]) + (f" and {len(empty) - 5} more" if len(empty) > 5 else "")
        log.warning("%d sample(s) have no mutations and get zero exposures: %s", len(empty), shown)
    return empty


def check_catalog(catalog: pd.DataFrame, name: str = "catalog") -> pd.DataFrame:
    """Validate a catalog (96 channels × samples, rows in any order) and return it with the rows in
    canonical order and float64 counts; ``name`` says where it came from in error messages."""
    channels = channel_set_of(str(catalog.index[0])) if len(catalog.index) else None
    if channels is None:
        raise InputError(f"{name}: unknown channel label '{catalog.index[0] if len(catalog.index) else ''}'")
    labels = [channels.canonical(label) for label in catalog.index]
    unknown = [str(raw) for raw, label in zip(catalog.index, labels) if label is None]
    if unknown:
        raise InputError(f"{name}: unknown channel label '{unknown[0]}' in a {channels.title} table")
    if sorted(labels) != sorted(channels.labels):
        raise InputError(f"{name}: {len(labels)} rows, expected each of the {len(channels.labels)} {channels.title} "
                         f"channels once")
    _check_names([str(column) for column in catalog.columns], name, "sample")
    try:
        values = catalog.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name}: counts must be numbers") from None
    if not np.isfinite(values).all():
        r, c = np.argwhere(~np.isfinite(values))[0]
        raise InputError(f"{name}: sample '{catalog.columns[c]}', channel {labels[r]}: "
                         f"count {values[r, c]} is not finite")
    if (values < 0).any():
        r, c = np.argwhere(values < 0)[0]
        raise InputError(f"{name}: sample '{catalog.columns[c]}', channel {labels[r]}: negative count {values[r, c]:g}")
    if (values > MAX_COUNT).any():
        r, c = np.argwhere(values > MAX_COUNT)[0]
        raise InputError(
            f"{name}: sample '{catalog.columns[c]}', channel {labels[r]}: count {values[r, c]:g} "
            f"is implausibly large (limit {MAX_COUNT:g})"
        )
    if values.sum() == 0:
        raise InputError(f"{name}: every count is zero; there is nothing to extract")
    return _in_channel_order(values, labels, channels, catalog.columns)


def read_signatures(path: str | Path) -> pd.DataFrame:
    """Read a signature table (96 channels × signatures); each column must be a distribution.

    Columns that sum to 1 within rounding are renormalised exactly.
    """
    table = _read_channel_table(path, "signature")
    name = "<stdin>" if str(path) == "-" else str(path)
    values = table.to_numpy()
    for c, column in enumerate(table.columns):
        if (values[:, c] < 0).any():
            raise InputError(f"{name}: signature '{column}' has negative entries; it is not a distribution")
        total = values[:, c].sum()
        if abs(total - 1) > SIGNATURE_SUM_TOLERANCE:
            raise InputError(
                f"{name}: signature '{column}' sums to {total:.4g}, not 1; a signature must be a "
                f"probability distribution over its channels"
            )
    return table / table.sum(axis=0)


def read_exposures(path: str | Path, signatures: list[str] | None = None,
                   samples: list[str] | None = None) -> pd.DataFrame:
    """Read exposures as samples × signatures, from ``exposures.tsv`` layout or its transpose.

    The orientation is told apart by the labels: whichever axis holds the ``signatures`` names
    (without them, the ``exposures.tsv`` layout is assumed). ``signatures`` and ``samples`` select
    and order the result; None keeps all, in file order.
    """
    text, name = read_text(path)
    rows = _split_rows(text, name)
    if len(rows) < 2:
        raise InputError(f"{name}: header only; an exposures table needs a row per sample (or per signature)")
    header = [cell.strip() for cell in rows[0]]
    row_names = [row[0].strip() for row in rows[1:]]
    body = _parse_numbers(rows, 1, header[1:], name)
    table = pd.DataFrame(body, index=row_names, columns=header[1:])
    signatures = list(table.columns) if signatures is None else signatures
    wanted = set(signatures)
    if wanted <= set(table.index) and not wanted <= set(table.columns):
        table = table.T
    missing_sigs = [s for s in signatures if s not in table.columns]
    if missing_sigs:
        raise InputError(f"{name}: no exposures for signature(s) {', '.join(missing_sigs)}")
    samples = list(table.index) if samples is None else samples
    missing_samples = [s for s in samples if s not in table.index]
    if missing_samples:
        raise InputError(f"{name}: no exposures for sample(s) {', '.join(missing_samples[:5])}")
    if table.index.duplicated().any():
        raise InputError(f"{name}: sample '{table.index[table.index.duplicated()][0]}' appears twice")
    if (table.to_numpy() < 0).any():
        raise InputError(f"{name}: exposures must be non-negative")
    return table.loc[samples, signatures]


TABLE_KINDS = ("signatures", "catalog", "exposures", "selection")


def table_kind(path: str | Path) -> str:
    """What a table file holds, told from its content: ``selection`` (a ``selection.tsv``),
    ``signatures`` (channel rows, columns summing to 1), ``catalog`` (channel rows, other values)
    or ``exposures`` (anything else: samples × signatures or its transpose)."""
    text, name = read_text(path)
    rows = _split_rows(text, name)
    header = [cell.strip() for cell in rows[0]]
    if all(column in header for column in SELECTION_COLUMNS):
        return "selection"
    if len(rows) > 1 and (channel_set_of(rows[1][0]) is not None or
                          [_squash(h) for h in header[:2]] == ["mutationtype", "trinucleotide"]):
        table = _read_channel_table(path, "column")
        return "signatures" if np.allclose(table.sum(axis=0), 1.0, atol=SIGNATURE_SUM_TOLERANCE) else "catalog"
    return "exposures"


#: Columns of ``selection.tsv`` that the choice-of-K plot needs.
SELECTION_COLUMNS = ("K", "stability_mean", "stability_min", "deviance", "selected")


def read_selection(path: str | Path) -> pd.DataFrame:
    """Read a ``selection.tsv`` back: one row per K; numbers as floats, ``selected`` as booleans."""
    text, name = read_text(path)
    rows = _split_rows(text, name)
    header = [cell.strip() for cell in rows[0]]
    missing = [column for column in SELECTION_COLUMNS if column not in header]
    if missing:
        raise InputError(f"{name}: not a selection table; column(s) {', '.join(missing)} missing")
    if len(rows) < 2:
        raise InputError(f"{name}: selection table has no rows")
    table = pd.DataFrame([[cell.strip() for cell in row] for row in rows[1:]], columns=header)
    required = list(SELECTION_COLUMNS[:-1])
    # An empty stability is an unknown one (K = 1, or one replicate): NaN, like the table written.
    unknown = {column: table[column] == "" for column in ("stability_mean", "stability_min")}
    positions = [header.index(column) for column in required]
    cells = [[""] + [("0" if row[p].strip() == "" and header[p] in unknown else row[p]) for p in positions]
             for row in rows]
    table[required] = _parse_numbers(cells, 1, required, name)
    for column, empty in unknown.items():
        table.loc[empty, column] = np.nan
    if not (table["K"] == table["K"].round()).all() or (table["K"] < 1).any():
        raise InputError(f"{name}: column 'K' must hold whole numbers of signatures (1 or more)")
    table["K"] = table["K"].astype(int)
    for column in ("selected", "significant", "stable"):
        if column in table:
            table[column] = table[column].str.lower().isin(("true", "1", "yes"))
    if "gain" in table:
        table["gain"] = pd.to_numeric(table["gain"], errors="coerce")
    return table


def holds_counts(catalog: pd.DataFrame | np.ndarray) -> bool:
    """Whether every entry of ``catalog`` is a whole number of mutations (not proportions or rates)."""
    values = np.asarray(catalog, dtype=float)
    return bool(np.allclose(values, np.round(values)))
