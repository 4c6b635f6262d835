"""Writing results: atomic files, guarded output directories, SigProfiler-compatible tables."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import secrets
from pathlib import Path
from typing import IO, Iterable, Iterator

import numpy as np
import pandas as pd

from ..errors import InputError
from .tables import holds_counts

#: The temporary file of an atomic write of ``NAME``: ``.NAME.unfoldnmf-<8 hex digits>.tmp`` beside it.
TEMPORARY = re.compile(r"\..+\.unfoldnmf-[0-9a-f]{8}\.tmp")
SIGNATURE_FORMAT = "%.8g"
#: Signature probabilities below this are written as 0.
PRINTED_ZERO = 1e-12
EXPOSURE_FORMAT = "%.3f"


def to_text(table: pd.DataFrame, index_label: str, float_format: str) -> str:
    """Render a table as tab-separated text."""
    buffer = io.StringIO()
    table.to_csv(buffer, sep="\t", index_label=index_label, float_format=float_format, lineterminator="\n")
    return buffer.getvalue()


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    A reader sees the old file or the complete new one, never a part; on failure nothing is left,
    and the OSError raised names ``path``.
    """
    with atomic_file(path, binary=isinstance(data, bytes)) as handle:
        handle.write(data)


@contextlib.contextmanager
def atomic_file(path: Path, binary: bool = False) -> Iterator[IO]:
    """A file handle to write ``path`` piece by piece (e.g. a table too large to hold), atomically
    as :func:`write_atomic`: the file appears, complete, only when the block ends without error."""
    path = Path(path)
    tmp = temporary_path(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the process umask applies
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
    try:
        with os.fdopen(fd, "wb" if binary else "w",
                       **({} if binary else {"encoding": "utf-8", "newline": ""})) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def temporary_path(path: Path) -> Path:
    """A fresh name, matching :data:`TEMPORARY`, for the temporary file that becomes ``path``."""
    return path.parent / f".{path.name}.unfoldnmf-{secrets.token_hex(4)}.tmp"


def remove_temporaries(directory: Path, outputs: Iterable[str]) -> None:
    """Delete the temporary files that a killed run's unfinished atomic writes left in ``directory`` and the
    folders of the glob patterns ``outputs`` (the names the command writes): only names matching
    :data:`TEMPORARY`, so a user's own hidden ``.tmp`` files stay."""
    directory = Path(directory)
    parents = {str(Path(pattern).parent) for pattern in outputs} - {"."}
    for folder in [directory, *(folder for parent in sorted(parents) for folder in directory.glob(parent))]:
        for path in folder.glob(".*.tmp"):
            if TEMPORARY.fullmatch(path.name) and path.is_file():
                path.unlink(missing_ok=True)


def signatures_text(signatures: pd.DataFrame) -> str:
    """``signatures.tsv``: MutationType + one column per signature, each summing to 1; a probability
    below :data:`PRINTED_ZERO` (float32 rounding dust such as 1.4e-45) is printed as 0."""
    return to_text(signatures.where(signatures.abs() >= PRINTED_ZERO, 0.0), "MutationType", SIGNATURE_FORMAT)


def exposures_text(exposures: pd.DataFrame) -> str:
    """``exposures.tsv``: Samples + one column per signature, one row per sample, in mutations
    (integers as integers: see :func:`whole_mutations`)."""
    return to_text(exposures, "Samples", EXPOSURE_FORMAT)


def counted(catalog: pd.DataFrame, exposures: pd.DataFrame) -> pd.DataFrame:
    """``exposures`` of the samples of ``catalog`` as whole mutations when the catalog holds counts
    (:func:`whole_mutations`), else as they are."""
    return whole_mutations(exposures) if holds_counts(catalog) else exposures


def whole_mutations(exposures: pd.DataFrame) -> pd.DataFrame:
    """Exposures (samples × signatures) rounded to whole mutations so that each sample's row still
    sums to its rounded total: every entry is rounded down, and the mutations left over go to the
    entries with the largest remainders (an exact zero never gets one). For catalogs of counts:
    an exposure is a number of mutations."""
    values = exposures.to_numpy(dtype=float)
    floors = np.floor(values)
    remainders = values - floors
    left_over = (np.rint(values.sum(axis=1)) - floors.sum(axis=1)).astype(int)
    rank = np.argsort(np.argsort(-remainders, axis=1, kind="stable"), axis=1, kind="stable")
    rounded = floors + (rank < left_over[:, None])
    return pd.DataFrame(rounded.astype(np.int64), index=exposures.index, columns=exposures.columns)


def quality_text(quality: pd.DataFrame) -> str:
    """``fit_quality.tsv``: Samples, Mutations, Signatures, Unassigned, Cosine, L1, Deviance."""
    return to_text(quality, "Samples", "%.6g")


def check_output_dir(path: str | Path, force: bool = False, resume: bool = False, resumable: bool = False) -> Path:
    """Refuse, without creating anything, an output path that is a file or a directory holding
    results (unless ``force`` or ``resume``); the refusal suggests ``--resume`` only for a
    ``resumable`` command. For commands with long work before their first write."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{path}: exists and is not a directory")
    if path.is_dir() and any(path.iterdir()) and not (force or resume):
        hint = " or --resume to continue" if resumable else ""
        raise InputError(f"{path}: output directory exists and is not empty; use --force to overwrite{hint}")
    return path


def prepare_output_dir(path: str | Path, force: bool = False, resume: bool = False, resumable: bool = False) -> Path:
    """Create the output directory after :func:`check_output_dir` and a write test."""
    path = check_output_dir(path, force, resume, resumable)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise InputError(f"{path}: cannot write to output directory ({exc.strerror or exc})") from None
    return path


#: The key of ``run.json`` that lists the files a run wrote, as paths relative to its output directory.
FILES = "files"


def previous_run_files(directory: Path, outputs: Iterable[str]) -> list[Path]:
    """The files the previous run of the tool wrote in ``directory``: those its ``run.json`` lists under
    :data:`FILES`; where no ``run.json`` lists them (a run killed before its end), those matching the glob
    patterns ``outputs``, the names the command writes; and ``run.json`` itself."""
    directory = Path(directory)
    try:
        listed = json.loads((directory / "run.json").read_text(encoding="utf-8")).get(FILES)
    except (OSError, ValueError, AttributeError):
        listed = None
    if isinstance(listed, list) and all(isinstance(name, str) for name in listed):
        found = [directory / name for name in listed if not Path(name).is_absolute() and ".." not in Path(name).parts]
    else:
        found = [path for pattern in outputs for path in sorted(directory.glob(pattern))]
    return [path for path in [*found, directory / "run.json"] if path.is_file()]


def remove_previous_run(directory: Path, outputs: Iterable[str], spare: Iterable[str] = (),
                        inputs: Iterable[str | Path] = ()) -> None:
    """Delete the files the previous run wrote in ``directory`` (:func:`previous_run_files`), ``run.json``
    first so that no completion mark outlives its tables, except those matching the glob patterns ``spare``
    (e.g. the checkpoints a resume reuses) and this run's ``inputs``; then the folders this leaves empty, and
    the temporary files of killed writes (:func:`remove_temporaries`). Any other file stays."""
    directory = Path(directory)
    remove_temporaries(directory, outputs)
    kept = {Path(path).resolve() for path in inputs}
    doomed = [path for path in previous_run_files(directory, outputs)
              if path.resolve() not in kept and not any(path.relative_to(directory).match(p) for p in spare)]
    remove_files(directory, sorted(doomed, key=lambda path: path.name != "run.json"))


def remove_files(directory: Path, paths: Iterable[Path]) -> None:
    """Delete ``paths`` (files in ``directory``), then each folder below ``directory`` that this leaves empty."""
    folders = set()
    for path in paths:
        path.unlink(missing_ok=True)
        folders.update(parent for parent in path.parents if directory in parent.parents)
    for folder in sorted(folders, key=lambda folder: len(folder.parts), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def write_json(path: Path, payload: dict) -> None:
    """Write a JSON document atomically."""
    write_atomic(path, json.dumps(payload, indent=2, sort_keys=False, default=str) + "\n")
