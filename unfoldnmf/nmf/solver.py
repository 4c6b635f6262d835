"""Classic multiplicative-update NMF, batched over replicates.

Shapes: X is (R, 96, N) or (96, N) shared by all replicates; W is (R, 96, K); H is (R, K, N).
Each replicate is an independent problem; all of them advance together as one batched tensor
program. After every W update the columns of W are rescaled to sum to 1 and the scale moved to H,
which leaves W·H unchanged and makes the L1/L2 penalties on H meaningful.

Multiplicative updates crawl once near a solution (on a 2 700-sample catalog at K = 20 the KL
divergence still falls by 1 % between iterations 1 500 and 2 000). With ``accelerate`` every step
starts from an extrapolation of the last two iterates, in log space so that it stays positive:
Y = X₁ ⊙ (X₁ ⊘ X₀)^β. The objective is checked every few steps; β (one per replicate) grows while it
falls, and a block of steps that raised it is undone and β cut, the safeguard of Ang & Gillis'
extrapolation scheme (Neural Computation, 2019). On ``syn.many.types`` at K = 20, 400 extrapolated
iterations come within 0.3 % of the divergence of 2 000 plain ones, in half the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from ..errors import NumericalError
from .measures import objective_of, tiny
from .updates import (
    above_subnormal,
    em_step_kl,
    normalise_columns,
    update_h_frobenius,
    update_h_kl,
    update_w_frobenius,
    update_w_kl,
)

#: Extrapolation schedule: steps between objective checks, starting β, its growth after a block that
#: lowered the objective, the growth of its ceiling, its cut after one that did not, and the bound on
#: each factor of X₁ ⊘ X₀ that keeps (X₁ ⊘ X₀)^β finite.
BLOCK, BETA_START, BETA_GROWTH, CEILING_GROWTH, BETA_CUT, RATIO_BOUND = 5, 0.5, 1.05, 1.01, 1.5, 1e3


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
    accelerate: bool = False,
    block_replicates: int | None = None,
) -> NMFResult:
    """Run multiplicative updates until every replicate's relative objective change over
    ``check_every`` iterations falls below ``tol``, or ``max_iter`` is reached.

    With ``update_w=False`` only H is fitted (exposures for fixed signatures). The KL objective
    with both factors free uses :func:`em_step_kl`; the others alternate H and W updates. With
    ``accelerate`` every step starts from an extrapolated point (:class:`Extrapolation`). ``agree``
    maps this batch's (converged, failed) to the verdict shared with other processes solving other
    replicates of the same problem, so that all of them stop at the same iteration; those processes pass
    the whole batch's size as ``block_replicates``, so that each cuts the samples into the blocks of one
    process solving every replicate (:func:`.blocks.factor_blocks`) and rounds as it does.
    """
    step_h, step_w = (update_h_kl, update_w_kl) if objective == "kl" else (update_h_frobenius, update_w_frobenius)

    def step(W: torch.Tensor, H: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if update_w and objective == "kl":
            W, H = em_step_kl(X, W, H, l1, l2, block_replicates)
        else:
            H = step_h(X, W, H, l1, l2)
            if update_w:
                W, H = normalise_columns(step_w(X, W, H), H)
        return (above_subnormal(W) if update_w else W), above_subnormal(H)

    value = objective_of(X, objective, l1, l2, block_replicates)
    if update_w:
        W, H = normalise_columns(W, H)
    previous = value(W, H)
    extrapolation = Extrapolation(W, H, previous, update_w) if accelerate else None
    iteration = 0
    while iteration < max_iter:
        steps = min(check_every, max_iter - iteration)
        if extrapolation:
            W, H, current = extrapolation.advance(steps, step, value)
        else:
            for _ in range(steps):
                W, H = step(W, H)
            current = value(W, H)
        iteration += steps
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


class Extrapolation:
    """Safeguarded log-space extrapolation of multiplicative updates, one β per replicate (module
    docstring). It holds the last accepted iterate, its objective and the extrapolated point the
    next step starts from."""

    def __init__(self, W: torch.Tensor, H: torch.Tensor, value: torch.Tensor, update_w: bool):
        self.update_w = update_w
        self.current, self.point, self.value = (W, H), (W, H), value
        shape = (-1, 1, 1) if value.dim() else ()
        self.beta = torch.full_like(value, BETA_START).reshape(shape)
        self.ceiling = torch.ones_like(value).reshape(shape)
        self.used = self.beta.to(H.dtype)

    def advance(self, steps: int, update, objective) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Take ``steps`` extrapolated steps of ``update`` in blocks of :data:`BLOCK`; returns the
        accepted (W, H) and its ``objective``."""
        while steps > 0:
            block = min(BLOCK, steps)
            saved = self.current
            for _ in range(block):
                W, H = update(*self.point)
                last_w, last_h = self.current
                next_h = _extrapolate(H, last_h, self.used)
                next_w = _extrapolate(W, last_w, self.used) if self.update_w else W
                self.point = normalise_columns(next_w, next_h) if self.update_w else (next_w, next_h)
                self.current = (W, H)
            value = objective(*self.current)
            improved = value < self.value
            self._after_block(improved, saved)
            self.value = torch.where(improved, value, self.value)
            steps -= block
        return (*self.current, self.value)

    def _after_block(self, improved: torch.Tensor, saved: tuple[torch.Tensor, torch.Tensor]) -> None:
        """Grow β where the block lowered the objective; elsewhere undo the block, cut β and start
        the next block without extrapolation."""
        improved = improved.reshape(self.beta.shape)
        beta = torch.where(improved, torch.minimum(self.ceiling, self.beta * BETA_GROWTH), self.beta / BETA_CUT)
        self.ceiling = torch.where(improved, (self.ceiling * CEILING_GROWTH).clamp_max(1.0), self.beta)
        self.beta = beta
        self.used = torch.where(improved, beta, torch.zeros_like(beta)).to(saved[1].dtype)
        self.current = tuple(torch.where(improved, new, old) for new, old in zip(self.current, saved))
        self.point = tuple(torch.where(improved, new, old) for new, old in zip(self.point, saved))


def _extrapolate(current: torch.Tensor, last: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """current ⊙ (current ⊘ last)^β, each factor bounded by :data:`RATIO_BOUND` (zeros stay zero)."""
    ratio = (current / last.clamp_min(tiny(current.dtype))).clamp(1 / RATIO_BOUND, RATIO_BOUND)
    return current * ratio ** beta
