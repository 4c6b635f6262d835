"""``model.pt``: a trained unfolded network with what is needed to use it safely.

The file is ``torch.save`` of a plain dict — ``format``, ``weights`` (name → tensor) and ``metadata``
(a JSON string: architecture, channel labels, signature names and, from 2026-12-03, the reference
signatures themselves, config, package version, training facts) — and is read with
``torch.load(weights_only=True)``, which never executes pickled code.
"""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .._version import __version__
from ..errors import InputError
from ..io.writing import write_atomic
from .unfolded import OBJECTIVES, STARTS, UnfoldedNMF

FORMAT = "unfoldnmf-model/1"
DTYPES = ("float32", "float64")


@dataclass
class SavedModel:
    """A network read back from ``model.pt``."""

    network: UnfoldedNMF
    channels: list[str]  #: the channel labels, in the network's row order
    signatures: list[str]  #: the K signature names, in the network's exposure order
    dtype: str  #: float32 or float64, the dtype it was trained in (float64 for files that do not say)
    metadata: dict
    reference: np.ndarray | None = None  #: the signatures (channels × K) it fits; None in older files


def save_model(path: str | Path, network: UnfoldedNMF, channels: list[str], signatures: list[str],
               config: dict, info: dict | None = None, reference: np.ndarray | None = None) -> None:
    """Write ``network`` and its metadata (with the ``reference`` signatures, channels × K) to ``path`` atomically."""
    metadata = {"architecture": network.architecture(), "channels": list(channels), "signatures": list(signatures),
                "unfoldnmf_version": __version__, "config": config, "training": info or {}}
    if reference is not None:
        metadata["reference_signatures"] = np.asarray(reference, dtype=float).tolist()
    payload = {"format": FORMAT, "metadata": json.dumps(metadata),
               "weights": {name: tensor.detach().cpu().clone() for name, tensor in network.state_dict().items()}}
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    write_atomic(Path(path), buffer.getvalue())


def _read_payload(path: Path) -> dict:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise InputError(f"{path}: no such model file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a model file") from None
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, ValueError, KeyError,
            AttributeError) as exc:
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: not a readable unfoldnmf model file ({reason})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise InputError(f"{path}: not an unfoldnmf model file (expected format {FORMAT})")
    return payload


def _metadata(payload: dict, path: Path) -> dict:
    try:
        metadata = json.loads(payload["metadata"])
        arch = metadata["architecture"]
        ok = (arch["objective"] in OBJECTIVES and all(isinstance(arch[key], int) and arch[key] >= 1
                                                      for key in ("channels", "k", "layers"))
              and arch.get("start", "flat") in STARTS and isinstance(arch.get("prune_share", 0.0), (int, float))
              and 0 <= arch.get("prune_share", 0.0) < 1
              and len(metadata["channels"]) == arch["channels"] and len(metadata["signatures"]) == arch["k"]
              and (metadata.get("config") or {}).get("dtype", "float64") in DTYPES)
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise InputError(f"{path}: model metadata is missing or inconsistent")
    return metadata


def load_model(path: str | Path, channels: list[str], signatures: list[str] | None = None) -> SavedModel:
    """Read ``model.pt``, refusing a file that is not one, is damaged, or was built for other
    ``channels`` (labels, in order) or, when given, other ``signatures`` (names, in order)."""
    path = Path(path)
    payload = _read_payload(path)
    metadata = _metadata(payload, path)
    arch = metadata["architecture"]
    if metadata["channels"] != list(channels):
        raise InputError(f"{path}: model was built for {arch['channels']} other channels, not this catalog's "
                         f"{len(channels)} channels")
    if signatures is not None and metadata["signatures"] != list(signatures):
        raise InputError(f"{path}: model has K={arch['k']} signatures ({', '.join(metadata['signatures'])}), "
                         f"expected K={len(signatures)} ({', '.join(signatures)})")
    network = UnfoldedNMF(arch["objective"], arch["channels"], arch["k"], arch["layers"], bool(arch["tied"]),
                          learn_penalties=bool(arch["learn_penalties"]), start=arch.get("start", "flat"),
                          prune_share=float(arch.get("prune_share", 0.0)))
    weights = payload.get("weights")
    expected = {name: tuple(tensor.shape) for name, tensor in network.state_dict().items()}
    if not isinstance(weights, dict) or {k: tuple(getattr(v, "shape", ())) for k, v in weights.items()} != expected:
        raise InputError(f"{path}: model weights do not match its architecture "
                         f"(K={arch['k']}, {arch['layers']} layers)")
    if not all(torch.is_tensor(t) and torch.isfinite(t.double()).all() for t in weights.values()):
        raise InputError(f"{path}: model weights hold NaN or inf")
    network.load_state_dict({name: tensor.to(torch.float64) for name, tensor in weights.items()})
    network.project_()
    return SavedModel(network=network, channels=metadata["channels"], signatures=metadata["signatures"],
                      dtype=(metadata.get("config") or {}).get("dtype", "float64"), metadata=metadata,
                      reference=_reference(metadata, path))


def _reference(metadata: dict, path: Path) -> np.ndarray | None:
    """The stored reference signatures (channels × K), None if the file has none; checked finite and
    of the right shape."""
    if "reference_signatures" not in metadata:
        return None
    arch = metadata["architecture"]
    try:
        reference = np.asarray(metadata["reference_signatures"], dtype=float)
    except (TypeError, ValueError):
        reference = np.zeros(0)
    if reference.shape != (arch["channels"], arch["k"]) or not np.isfinite(reference).all() or (reference < 0).any():
        raise InputError(f"{path}: the model's reference signatures are damaged")
    return reference
