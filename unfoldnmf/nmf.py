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

from .errors import NumericalError


def _eps(dtype: torch.dtype) -> float:
    return 1e-30 if dtype == torch.float64 else 1e-20


@dataclass
class NMFResult:
    """Solution of a batch of NMF problems."""

    W: torch.Tensor  #: (R, 96, K), columns sum to 1
    H: torch.Tensor  #: (R, K, N), exposures in the units of X
    objective: torch.Tensor  #: (R,), final objective value of each replicate
    iterations: int


def kl_divergence(X: torch.Tensor, WH: torch.Tensor) -> torch.Tensor:
    """Generalised KL divergence D(X || WH), summed over channels and samples: shape (R,)."""
    eps = _eps(WH.dtype)
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


def update_h_kl(X, W, H, l1=0.0, l2=0.0):
    """One KL multiplicative step for H: H ⊙ [Wᵀ(X ⊘ WH)] ⊘ [Wᵀ1 + l1 + l2·H]."""
    eps = _eps(H.dtype)
    ratio = X / (W @ H + eps)
    denominator = W.sum(dim=-2).unsqueeze(-1) + l1 + l2 * H
    return H * (W.transpose(-2, -1) @ ratio) / (denominator + eps)


def update_w_kl(X, W, H):
    """One KL multiplicative step for W: W ⊙ [(X ⊘ WH)Hᵀ] ⊘ [1Hᵀ]."""
    eps = _eps(W.dtype)
    ratio = X / (W @ H + eps)
    return W * (ratio @ H.transpose(-2, -1)) / (H.sum(dim=-1).unsqueeze(-2) + eps)


def em_step_kl(X, W, H, l1=0.0, l2=0.0):
    """One EM step of Poisson NMF, W columns summing to 1: both factors are updated from the same
    ratio X ⊘ WH (H ⊙ Wᵀ(X ⊘ WH) and W ⊙ (X ⊘ WH)Hᵀ, renormalised). Without penalties this is exactly
    EM, so the KL divergence never increases, at one ratio per step instead of the two of
    alternating updates. Penalties divide the H step by 1 + l1 + l2·H as in :func:`update_h_kl`."""
    eps = _eps(H.dtype)
    ratio = X / (W @ H + eps)
    H_next = H * (W.transpose(-2, -1) @ ratio)
    if l1 or l2:
        H_next = H_next / (1 + l1 + l2 * H)
    W_next = W * (ratio @ H.transpose(-2, -1))
    return W_next / W_next.sum(dim=-2, keepdim=True).clamp_min(eps), H_next


def update_h_gram(AX, B, H, l1=0.0, l2=0.0):
    """The Frobenius H step written with A·X and B in place of WᵀX and WᵀW: H ⊙ AX ⊘ (BH + l2·H + l1).

    AX is (…, K, N), B is (…, K, K); the unfolded network's Frobenius layer is this step with learned A, B.
    """
    return H * AX / (B @ H + l2 * H + l1 + _eps(H.dtype))


def update_h_frobenius(X, W, H, l1=0.0, l2=0.0):
    """One Frobenius multiplicative step for H: H ⊙ (WᵀX) ⊘ (WᵀWH + l2·H + l1)."""
    Wt = W.transpose(-2, -1)
    return update_h_gram(Wt @ X, Wt @ W, H, l1, l2)


def update_w_frobenius(X, W, H):
    """One Frobenius multiplicative step for W: W ⊙ (XHᵀ) ⊘ (WHHᵀ)."""
    eps = _eps(W.dtype)
    Ht = H.transpose(-2, -1)
    return W * (X @ Ht) / (W @ (H @ Ht) + eps)


def normalise_columns(W: torch.Tensor, H: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Rescale W's columns to sum to 1 and H's rows by the inverse, leaving W·H unchanged."""
    scale = W.sum(dim=-2, keepdim=True).clamp_min(_eps(W.dtype))
    return W / scale, H * scale.transpose(-2, -1)


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
        change = (previous - current).abs() / previous.abs().clamp_min(_eps(current.dtype))
        converged, failed = bool((change < tol).all()), not bool(torch.isfinite(current).all())
        if agree is not None:
            converged, failed = agree(converged, failed)
        if failed:
            raise NumericalError(f"NMF ({objective} multiplicative updates) produced NaN/inf at iteration {iteration}")
        previous = current
        if converged:
            break
    return NMFResult(W=W, H=H, objective=previous, iterations=iteration)
