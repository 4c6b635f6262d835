"""Divergences, objectives and similarities: the measures every fit in this package is judged by.

Shapes as in :mod:`unfoldnmf.nmf.solver`: matrices may carry a leading batch (replicate) axis.
"""

from __future__ import annotations

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
