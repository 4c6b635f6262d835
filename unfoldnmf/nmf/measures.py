"""Divergences, objectives and similarities: the measures every fit in this package is judged by.

Shapes as in :mod:`unfoldnmf.nmf.solver`: matrices may carry a leading batch (replicate) axis.
"""

from __future__ import annotations

import numpy as np
import torch


def tiny(dtype: torch.dtype) -> float:
    """The guard added to denominators and logarithms in ``dtype``."""
    return 1e-30 if dtype == torch.float64 else 1e-20


def kl_divergence(X: torch.Tensor, WH: torch.Tensor) -> torch.Tensor:
    """Generalised KL divergence D(X || WH), summed over channels and samples: shape (R,)."""
    eps = tiny(WH.dtype)
    terms = torch.xlogy(X, X) - X * torch.log(WH + eps) - X + WH
    return terms.sum(dim=(-2, -1))


def frobenius(X: torch.Tensor, WH: torch.Tensor) -> torch.Tensor:
    """Half the squared Frobenius distance ½‖X − WH‖²: shape (R,)."""
    return 0.5 * (X - WH).pow(2).sum(dim=(-2, -1))


def objective_value(X, W, H, objective: str, l1: float = 0.0, l2: float = 0.0) -> torch.Tensor:
    """Penalised objective per replicate: divergence + l1·ΣH + ½·l2·ΣH²."""
    WH = W @ H
    loss = kl_divergence(X, WH) if objective == "kl" else frobenius(X, WH)
    if l1:
        loss = loss + l1 * H.sum(dim=(-2, -1))
    if l2:
        loss = loss + 0.5 * l2 * H.pow(2).sum(dim=(-2, -1))
    return loss



def poisson_deviance(x: np.ndarray, mean: np.ndarray) -> float | np.ndarray:
    """Poisson deviance 2 Σ [x log(x / mean) − x + mean] of counts ``x`` against ``mean``, summed over
    the channels (first axis): a number for one sample (96,), one per column for (96, N)."""
    mean = np.maximum(mean, 1e-12)
    ratio = np.where(x > 0, x * np.log(np.where(x > 0, x, 1.0) / mean), 0.0)
    total = 2.0 * np.sum(ratio - x + mean, axis=0)
    return float(total) if np.ndim(total) == 0 else total


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity between the columns of ``a`` (d × m) and ``b`` (d × n): (m, n)."""
    an = a / np.maximum(np.linalg.norm(a, axis=0, keepdims=True), 1e-300)
    bn = b / np.maximum(np.linalg.norm(b, axis=0, keepdims=True), 1e-300)
    return an.T @ bn
