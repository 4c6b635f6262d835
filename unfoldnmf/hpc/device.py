"""Choosing the torch device and dtype, and seeded random streams that do not depend on the device."""

from __future__ import annotations

import hashlib

import torch

from ..errors import InputError


def resolve_device(name: str) -> torch.device:
    """Map ``auto|cpu|cuda`` to a torch device; ``cuda`` without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda: no CUDA GPU is available to this torch build; use --device cpu or auto")
    if name not in ("cpu", "cuda"):
        raise InputError(f"--device {name!r}: expected auto, cpu or cuda")
    return torch.device(name)


def resolve_dtype(name: str) -> torch.dtype:
    """Map ``float32|float64`` to a torch dtype."""
    return {"float32": torch.float32, "float64": torch.float64}[name]


def generator(*key: int) -> torch.Generator:
    """A CPU generator whose stream depends only on ``key`` (e.g. seed, K, replicate index)."""
    digest = hashlib.sha256(repr(tuple(int(k) for k in key)).encode()).digest()
    gen = torch.Generator(device="cpu")
    gen.manual_seed(int.from_bytes(digest[:8], "little") & ((1 << 63) - 1))
    return gen
