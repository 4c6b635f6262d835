"""Multiplicative-update steps of NMF, one function per objective and factor.

Shapes: X is (R, 96, N) or (96, N); W is (R, 96, K); H is (R, K, N). The unfolded network
(:mod:`unfoldnmf.network.unfolded`) reuses the exposure steps as its layers.
"""

from __future__ import annotations

import torch

from .blocks import factor_blocks
from .measures import tiny


def update_h_kl(X, W, H, l1=0.0, l2=0.0, guard=None):
    """One KL multiplicative step for H: H ⊙ [Wᵀ(X ⊘ (WH + guard))] ⊘ [Wᵀ1 + l1 + l2·H]; ``guard``
    defaults to :func:`tiny` of the dtype. Computed a block of samples at a time (:mod:`.blocks`).
    When no autograd graph is being built, each block's temporaries are reused in place (:func:`_ratio`),
    and a zero ``l2`` skips the l2·H term (measured: the network's prediction speed, docs/benchmarks.md)."""
    eps = tiny(H.dtype)
    guard = eps if guard is None else guard
    Wt = W.transpose(-2, -1)
    denominator = W.sum(dim=-2).unsqueeze(-1) + l1
    in_place = not _builds_graph(X, W, H, l1, l2)
    flat = in_place and _is_zero(l2)
    steps = []
    for block in factor_blocks(W, H):
        h = H[..., block]
        ratio = _ratio(X[..., block], W, h, guard, in_place)
        if in_place:
            step = torch.matmul(Wt, ratio).mul_(h)
            steps.append(step.div_(denominator + eps if flat else denominator + l2 * h + eps))
        else:
            steps.append(h * (Wt @ ratio) / (denominator + l2 * h + eps))
    return steps[0] if len(steps) == 1 else torch.cat(steps, dim=-1)


def _ratio(x, W, h, guard, in_place: bool):
    """x ⊘ (W·h + guard); with ``in_place`` computed in W·h's fresh buffer: the same values to the bit
    for a contiguous x, to rounding otherwise (the ratio's memory layout, and so the summation order
    of the products that follow, no longer follows a strided x's)."""
    if not in_place:
        return x / (W @ h + guard)
    ratio = torch.matmul(W, h).add_(guard)
    fits = torch.broadcast_shapes(x.shape, ratio.shape) == ratio.shape
    return torch.div(x, ratio, out=ratio) if fits else x / ratio


def _builds_graph(*values) -> bool:
    """Whether autograd records operations on any of these tensors (floats never require grad)."""
    return torch.is_grad_enabled() and any(torch.is_tensor(v) and v.requires_grad for v in values)


def _is_zero(value) -> bool:
    """Whether a penalty (a float or a tensor) is zero everywhere."""
    return not bool(torch.count_nonzero(value)) if torch.is_tensor(value) else value == 0


def update_w_kl(X, W, H):
    """One KL multiplicative step for W: W ⊙ [(X ⊘ WH)Hᵀ] ⊘ [1Hᵀ]."""
    eps = tiny(W.dtype)
    numerator = 0.0
    for block in factor_blocks(W, H):
        h = H[..., block]
        numerator = numerator + (X[..., block] / (W @ h + eps)) @ h.transpose(-2, -1)
    return W * numerator / (H.sum(dim=-1).unsqueeze(-2) + eps)


def em_step_kl(X, W, H, l1=0.0, l2=0.0, block_replicates=None):
    """One EM step of Poisson NMF, W columns summing to 1: both factors are updated from the same
    ratio X ⊘ WH (H ⊙ Wᵀ(X ⊘ WH) and W ⊙ (X ⊘ WH)Hᵀ, renormalised). Without penalties this is exactly
    EM, so the KL divergence never increases, at one ratio per step instead of the two of
    alternating updates. Penalties divide the H step by 1 + l1 + l2·H as in :func:`update_h_kl`.
    Computed a block of samples at a time (:mod:`.blocks`), sized for ``block_replicates`` replicates
    (default: W's batch)."""
    eps = tiny(H.dtype)
    Wt = W.transpose(-2, -1)
    H_next = torch.empty_like(H)
    ratio_ht = torch.zeros_like(W)  # (X ⊘ WH)Hᵀ, summed over the blocks
    in_place = not _builds_graph(X, W, H)
    for block in factor_blocks(W, H, block_replicates):
        h = H[..., block]
        ratio = _ratio(X[..., block], W, h, eps, in_place)
        H_next[..., block] = h * (Wt @ ratio)
        ratio_ht += ratio @ h.transpose(-2, -1)
    if l1 or l2:
        H_next = H_next / (1 + l1 + l2 * H)
    W_next = W * ratio_ht
    return W_next / W_next.sum(dim=-2, keepdim=True).clamp_min(eps), H_next


def update_h_gram(AX, B, H, l1=0.0, l2=0.0):
    """The Frobenius H step written with A·X and B in place of WᵀX and WᵀW: H ⊙ AX ⊘ (BH + l2·H + l1).

    AX is (…, K, N), B is (…, K, K); the unfolded network's Frobenius layer is this step with learned A, B.
    """
    return H * AX / (B @ H + l2 * H + l1 + tiny(H.dtype))


def update_h_frobenius(X, W, H, l1=0.0, l2=0.0):
    """One Frobenius multiplicative step for H: H ⊙ (WᵀX) ⊘ (WᵀWH + l2·H + l1)."""
    Wt = W.transpose(-2, -1)
    return update_h_gram(Wt @ X, Wt @ W, H, l1, l2)


def update_w_frobenius(X, W, H):
    """One Frobenius multiplicative step for W: W ⊙ (XHᵀ) ⊘ (WHHᵀ)."""
    eps = tiny(W.dtype)
    Ht = H.transpose(-2, -1)
    return W * (X @ Ht) / (W @ (H @ Ht) + eps)


def above_subnormal(T: torch.Tensor) -> torch.Tensor:
    """T with every positive entry raised to at least 10⁸ × the dtype's smallest normal number
    (1.2e-30 in float32); zeros stay zero.

    Multiplicative updates shrink the exposures of signatures a sample lacks towards zero, and
    without this floor they sink into the subnormal floats, where x86 arithmetic is many times slower
    (on ``syn.many.types`` at K = 20, 2 000 EM steps of 10 replicates took 51 s; 13.6 s with the
    floor). Flushing subnormals to zero (``torch.set_flush_denormal``) is as fast, but it is a setting
    of the whole process, and an exposure flushed to zero could never come back."""
    floor = torch.finfo(T.dtype).tiny * 1e8
    return torch.where(T > 0, T.clamp_min(floor), T)


def normalise_columns(W: torch.Tensor, H: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Rescale W's columns to sum to 1 and H's rows by the inverse, leaving W·H unchanged."""
    scale = W.sum(dim=-2, keepdim=True).clamp_min(tiny(W.dtype))
    return W / scale, H * scale.transpose(-2, -1)
