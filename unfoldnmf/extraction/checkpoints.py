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


def fingerprint(counts: np.ndarray, settings: dict) -> str:
    """A digest of the catalog and of every setting that changes a K solution."""
    digest = hashlib.sha256(np.ascontiguousarray(counts, dtype=np.float64).tobytes())
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:32]


class CheckpointStore:
    """Finished K solutions as ``K<k>.npz`` files in a folder, each written atomically."""

    def __init__(self, directory: Path, run_fingerprint: str):
        self.directory = Path(directory)
        self.fingerprint = run_fingerprint
        self.directory.mkdir(parents=True, exist_ok=True)

    def _path(self, k: int) -> Path:
        return self.directory / f"K{k}.npz"

    def save(self, solution: KSolution) -> None:
        buffer = io.BytesIO()
        np.savez(buffer, fingerprint=self.fingerprint, k=solution.k, signatures=solution.signatures,
                 exposures=solution.exposures, stability=solution.stability,
                 deviance=solution.deviance)
        write_atomic(self._path(solution.k), buffer.getvalue())

    def load(self, k: int) -> KSolution | None:
        """The saved solution for K, or None; a checkpoint of another run or a damaged file is refused."""
        path = self._path(k)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as saved:
                if str(saved["fingerprint"]) != self.fingerprint:
                    raise InputError(f"{path}: checkpoint belongs to another catalog or config; use --force to start afresh")
                return KSolution(k=int(saved["k"]), signatures=saved["signatures"], exposures=saved["exposures"],
                                 stability=saved["stability"], deviance=float(saved["deviance"]))
        except InputError:
            raise
        except Exception:
            raise InputError(f"{path}: checkpoint is damaged; delete it or use --force to start afresh") from None
