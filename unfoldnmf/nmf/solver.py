"""Classic multiplicative-update NMF, batched over replicates.

Shapes: X is (R, 96, N) or (96, N) shared by all replicates; W is (R, 96, K); H is (R, K, N).
Each replicate is an independent problem; all of them advance together as one batched tensor
program. After every W update the columns of W are rescaled to sum to 1 and the scale moved to H,
which leaves W·H unchanged and makes the L1/L2 penalties on H meaningful.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from ..errors import NumericalError
from .measures import objective_value, tiny
from .updates import em_step_kl, normalise_columns, update_h_frobenius, update_h_kl, update_w_frobenius, update_w_kl


@dataclass
class NMFResult:
    """Solution of a batch of NMF problems."""

    W: torch.Tensor  #: (R, 96, K), columns sum to 1
    H: torch.Tensor  #: (R, K, N), exposures in the units of X
    objective: torch.Tensor  #: (R,), final objective value of each replicate
    iterations: int


def random_init(X: torch.Tensor, replicates: int, k: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Random non-negative starting points scaled to the data: W columns sum to 1, H rows to totals/K."""
    channels, samples = X.shape[-2], X.shape[-1]
    W = torch.rand(replicates, channels, k, generator=gen, dtype=torch.float64) + 0.01
    W = W / W.sum(dim=1, keepdim=True)
    totals = X.to(torch.float64).sum(dim=-2, keepdim=True).expand(replicates, 1, samples).cpu()
    H = (torch.rand(replicates, k, samples, generator=gen, dtype=torch.float64) + 0.01) * totals / k * 2
    return W.to(X.device, X.dtype), H.to(X.device, X.dtype)


def run_mu(
    X: torch.Tensor,
    W: torch.Tensor,
    H: torch.Tensor,
    objective: str = "kl",
    max_iter: int = 1000,
    tol: float = 1e-6,
    check_every: int = 25,
    l1: float = 0.0,
    l2: float = 0.0,
    update_w: bool = True,
    agree: Callable[[bool, bool], tuple[bool, bool]] | None = None,
) -> NMFResult:
    """Run multiplicative updates until every replicate's relative objective change over
    ``check_every`` iterations falls below ``tol``, or ``max_iter`` is reached.

    With ``update_w=False`` only H is fitted (exposures for fixed signatures). The KL objective
    with both factors free uses :func:`em_step_kl`; the others alternate H and W updates. ``agree``
    maps this batch's (converged, failed) to the verdict shared with other processes solving other
    replicates of the same problem, so that all of them stop at the same iteration.
    """
    step_h, step_w = (update_h_kl, update_w_kl) if objective == "kl" else (update_h_frobenius, update_w_frobenius)
    if update_w:
        W, H = normalise_columns(W, H)
    previous = objective_value(X, W, H, objective, l1, l2)
    iteration = 0
    while iteration < max_iter:
        for _ in range(min(check_every, max_iter - iteration)):
            if update_w and objective == "kl":
                W, H = em_step_kl(X, W, H, l1, l2)
            else:
                H = step_h(X, W, H, l1, l2)
                if update_w:
                    W, H = normalise_columns(step_w(X, W, H), H)
            iteration += 1
        current = objective_value(X, W, H, objective, l1, l2)
        change = (previous - current).abs() / previous.abs().clamp_min(tiny(current.dtype))
        converged, failed = bool((change < tol).all()), not bool(torch.isfinite(current).all())
        if agree is not None:
            converged, failed = agree(converged, failed)
        if failed:
            raise NumericalError(f"NMF ({objective} multiplicative updates) produced NaN/inf at iteration {iteration}")
        previous = current
        if converged:
            break
    return NMFResult(W=W, H=H, objective=previous, iterations=iteration)
