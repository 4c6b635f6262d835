"""Per-K checkpoints that let an interrupted extraction resume without redoing finished K values."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..io.writing import write_atomic
from .replicates import KSolution


def catalog_digest(counts: np.ndarray) -> str:
    """A digest of the catalog's counts (samples in the order extraction uses)."""
    return hashlib.sha256(np.ascontiguousarray(counts, dtype=np.float64).tobytes()).hexdigest()[:32]


class CheckpointStore:
    """Finished K solutions as ``K<k>.npz`` files in a folder, each written atomically with the
    catalog digest and the ``settings`` (name -> value) its solution depends on; a later run reuses
    a K only when both are unchanged, and otherwise says which setting changed."""

    def __init__(self, directory: Path, catalog: str, settings: dict[str, object]):
        self.directory = Path(directory)
        self.catalog = catalog
        self.settings = json.loads(json.dumps(settings, sort_keys=True, default=str))
        self.directory.mkdir(parents=True, exist_ok=True)

    def _path(self, k: int) -> Path:
        return self.directory / f"K{k}.npz"

    def save(self, solution: KSolution) -> None:
        buffer = io.BytesIO()
        np.savez(buffer, catalog=self.catalog, settings=json.dumps(self.settings, sort_keys=True), k=solution.k,
                 signatures=solution.signatures, exposures=solution.exposures, stability=solution.stability,
                 deviance=solution.deviance)
        write_atomic(self._path(solution.k), buffer.getvalue())

    def load(self, k: int) -> KSolution | None:
        """The saved solution for K, or None; a checkpoint of another catalog or settings, or a damaged file, is
        refused."""
        path = self._path(k)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as saved:
                if "settings" not in saved.files:
                    raise InputError(f"{path}: checkpoint from an older unfoldnmf; use --force to start afresh")
                if str(saved["catalog"]) != self.catalog:
                    raise InputError(f"{path}: checkpoint belongs to another catalog; use --force to start afresh")
                self._check_settings(path, json.loads(str(saved["settings"])))
                return KSolution(k=int(saved["k"]), signatures=saved["signatures"], exposures=saved["exposures"],
                                 stability=saved["stability"], deviance=float(saved["deviance"]))
        except InputError:
            raise
        except Exception:
            raise InputError(f"{path}: checkpoint is damaged; delete it or use --force to start afresh") from None

    def finished(self, k_values: list[int]) -> dict[int, KSolution]:
        """The saved solutions among ``k_values``, by K (see :meth:`load`)."""
        loaded = {k: self.load(k) for k in k_values}
        return {k: solution for k, solution in loaded.items() if solution is not None}

    def _check_settings(self, path: Path, saved: dict) -> None:
        changed = [name for name in sorted(set(saved) | set(self.settings))
                   if saved.get(name) != self.settings.get(name)]
        if changed:
            name = changed[0]
            raise InputError(f"{path}: {name} was {json.dumps(saved.get(name))} for the finished K values and is now "
                             f"{json.dumps(self.settings.get(name))}, which changes their solutions; set it back to "
                             f"resume, or use --force to start afresh")
