"""Divergences, objectives and similarities: the measures every fit in this package is judged by.

Shapes as in :mod:`unfoldnmf.nmf.solver`: matrices may carry a leading batch (replicate) axis.
"""

from __future__ import annotations

from typing import Callable

import torch

from .blocks import factor_blocks


def tiny(dtype: torch.dtype) -> float:
    """The guard added to denominators and logarithms in ``dtype``."""
    return 1e-30 if dtype == torch.float64 else 1e-20


def kl_divergence(X: torch.Tensor, WH: torch.Tensor) -> torch.Tensor:
    """Generalised KL divergence D(X || WH), summed over channels and samples: shape (R,)."""
    return _kl_sum(torch.xlogy(X, X) - X, X, WH)


def _kl_sum(own_terms: torch.Tensor, X: torch.Tensor, WH: torch.Tensor) -> torch.Tensor:
    """D(X || WH) from X's own terms xlogy(X, X) − X, added element by element."""
    return (own_terms - X * torch.log(WH + tiny(WH.dtype)) + WH).sum(dim=(-2, -1))


def frobenius(X: torch.Tensor, WH: torch.Tensor) -> torch.Tensor:
    """Half the squared Frobenius distance ½‖X − WH‖²: shape (R,)."""
    return 0.5 * (X - WH).pow(2).sum(dim=(-2, -1))


def objective_value(X, W, H, objective: str, l1: float = 0.0, l2: float = 0.0,
                    block_replicates: int | None = None) -> torch.Tensor:
    """Penalised objective per replicate: divergence + l1·ΣH + ½·l2·ΣH² (see :func:`objective_of`)."""
    return objective_of(X, objective, l1, l2, block_replicates)(W, H)


def objective_of(X, objective: str, l1: float = 0.0, l2: float = 0.0,
                 block_replicates: int | None = None) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The penalised objective of factors (W, H) of X, per replicate, for a solver to call at every check.

    The divergence is summed a block of samples at a time (:mod:`.blocks`, sized for ``block_replicates``
    replicates; default: W's batch), the blocks' sums added in float64. For KL, X's own terms xlogy(X, X) − X are computed once here (on a 10 000-sample catalog
    they took a fifth of an extraction's time when recomputed at every check); they are added element
    by element, not as one sum, which in float32 would cancel to a resolution far coarser than the
    changes a convergence test looks at."""
    own_terms = torch.xlogy(X, X) - X if objective == "kl" else None

    def value(W: torch.Tensor, H: torch.Tensor) -> torch.Tensor:
        loss = 0.0
        for block in factor_blocks(W, H, block_replicates):
            x, fit = X[..., block], W @ H[..., block]
            part = frobenius(x, fit) if own_terms is None else _kl_sum(own_terms[..., block], x, fit)
            loss = loss + part.double()
        loss = loss.to(H.dtype)
        if l1:
            loss = loss + l1 * H.sum(dim=(-2, -1))
        if l2:
            loss = loss + 0.5 * l2 * H.pow(2).sum(dim=(-2, -1))
        return loss

    return value
