"""Unfolded NMF: multiplicative exposure updates unrolled into the layers of a network.

Layout as in :mod:`unfoldnmf.nmf.solver`: a catalog X is (96, N), exposures H are (K, N), in mutations.
Layer l maps H to

* ``frobenius``: H ⊙ (A_l X) ⊘ (B_l H + λ2_l·H + λ1_l + ε), with A_l (K × 96, the role of Wᵀ) and
  B_l (K × K, the role of WᵀW);
* ``kl``: H ⊙ [W_lᵀ (X ⊘ W_l H)] ⊘ [W_lᵀ1 + λ1_l + λ2_l·H + ε], with W_l (96 × K).

The first H is the ``flat`` start (each sample's total spread evenly over the K signatures) or the
``learned`` start: a signed linear map P (K × 96, built as the pseudo-inverse of W) applied to the
catalog, clipped at zero, lifted by a small floor (multiplicative steps cannot grow an exact zero) and
rescaled to the sample's total. With ``prune_share`` > 0 the exposures below that share of the
sample's total are set to zero before the last :data:`POLISH_LAYERS` layers, which hand their
mutations to the signatures kept (a multiplicative step keeps a zero at zero); this is what stops the
network giving small amounts to every signature. Weights are
stored as logarithms (A = exp θ_A, …), which keeps them positive and makes an optimiser step a
relative change, right for entries that span many orders of magnitude; the penalties are kept
non-negative by projection (:meth:`UnfoldedNMF.project_` after every optimiser
step), so a network built by :meth:`UnfoldedNMF.from_signatures` holds Wᵀ, WᵀW or W (to rounding)
and computes L multiplicative-update iterations.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import NumericalError
from ..nmf.updates import update_h_gram, update_h_kl

OBJECTIVES = ("kl", "frobenius")
STARTS = ("flat", "learned")
#: Layers after the pruning step: they redistribute the pruned mutations among the signatures kept.
POLISH_LAYERS = 3
#: Floor of the learned start, as a share of the flat start.
START_FLOOR = 0.01
#: Added to W·H (in mutations) in float32 KL layers. The gradient of X ⊘ WH grows as X ⊘ (WH)²,
#: which overflows float32 where a signature's zero (or a pruned exposure) empties a channel that has
#: mutations; a millionth of a mutation keeps it finite. Float64 keeps the MU guard, so an untrained
#: float64 network stays exactly L MU iterations.
FLOAT32_LAYER_GUARD = 1e-6


class UnfoldedNMF(nn.Module):
    """L unrolled exposure updates with learned non-negative weights; untied (one set per layer) or tied."""

    def __init__(self, objective: str, channels: int, k: int, layers: int, tied: bool = False,
                 l1: float = 0.0, l2: float = 0.0, learn_penalties: bool = False, start: str = "flat",
                 prune_share: float = 0.0) -> None:
        super().__init__()
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, not {objective!r}")
        if start not in STARTS:
            raise ValueError(f"start must be one of {STARTS}, not {start!r}")
        self.objective, self.channels, self.k, self.layers, self.tied = objective, channels, k, layers, tied
        self.learn_penalties, self.start, self.prune_share = learn_penalties, start, float(prune_share)
        if start == "learned":
            self.start_map = nn.Parameter(torch.zeros(k, channels, dtype=torch.float64))
        sets = 1 if tied else layers
        if objective == "frobenius":
            self.log_A = nn.Parameter(torch.zeros(sets, k, channels, dtype=torch.float64))
            self.log_B = nn.Parameter(torch.zeros(sets, k, k, dtype=torch.float64))
        else:
            self.log_W = nn.Parameter(torch.zeros(sets, channels, k, dtype=torch.float64))
        self.l1 = nn.Parameter(torch.full((sets,), float(l1), dtype=torch.float64), requires_grad=learn_penalties)
        self.l2 = nn.Parameter(torch.full((sets,), float(l2), dtype=torch.float64), requires_grad=learn_penalties)

    @classmethod
    def from_signatures(cls, W: torch.Tensor, objective: str, layers: int, tied: bool = False,
                        l1: float = 0.0, l2: float = 0.0, learn_penalties: bool = False, start: str = "flat",
                        prune_share: float = 0.0) -> "UnfoldedNMF":
        """The untrained network of ``layers`` MU iterations for signatures ``W`` (96 × K):
        A = Wᵀ and B = WᵀW (Frobenius) or W_l = W (KL) in every layer, and P = W⁺ for the learned
        start. Dtype and device follow ``W``."""
        channels, k = W.shape
        net = cls(objective, channels, k, layers, tied, l1, l2, learn_penalties, start,
                  prune_share).to(W.device, W.dtype)
        tiny = torch.finfo(W.dtype).tiny
        with torch.no_grad():
            if start == "learned":
                net.start_map.copy_(torch.linalg.pinv(W))
            if objective == "frobenius":
                Wt = W.transpose(0, 1)
                net.log_A.copy_(Wt.clamp_min(tiny).log().expand_as(net.log_A))
                net.log_B.copy_((Wt @ W).clamp_min(tiny).log().expand_as(net.log_B))
            else:
                net.log_W.copy_(W.clamp_min(tiny).log().expand_as(net.log_W))
        return net

    def weights(self) -> dict[str, torch.Tensor]:
        """The non-negative weights per layer set: ``A`` (sets, K, 96) and ``B`` (sets, K, K), or ``W``
        (sets, 96, K)."""
        if self.objective == "frobenius":
            return {"A": self.log_A.exp(), "B": self.log_B.exp()}
        return {"W": self.log_W.exp()}

    def architecture(self) -> dict:
        """What is needed to rebuild this network before loading its weights."""
        return {"objective": self.objective, "channels": self.channels, "k": self.k, "layers": self.layers,
                "tied": self.tied, "learn_penalties": self.learn_penalties, "start": self.start,
                "prune_share": self.prune_share}

    def initial_exposures(self, X: torch.Tensor) -> torch.Tensor:
        """The first exposures (K, N), summing to each sample's total: the flat or the learned start."""
        totals = X.sum(dim=-2, keepdim=True)
        flat = (totals / self.k).expand(*X.shape[:-2], self.k, X.shape[-1])
        if self.start == "flat":
            return flat.clone()
        H = (self.start_map @ X).clamp_min(0) + START_FLOOR * flat
        return H * (totals / H.sum(dim=-2, keepdim=True).clamp_min(torch.finfo(H.dtype).tiny))

    def prune(self, H: torch.Tensor, totals: torch.Tensor) -> torch.Tensor:
        """Zero the exposures below ``prune_share`` of each sample's total, always keeping its largest."""
        keep = (H >= self.prune_share * totals) | (H == H.max(dim=-2, keepdim=True).values)
        return torch.where(keep, H, torch.zeros_like(H))

    def forward(self, X: torch.Tensor, H: torch.Tensor | None = None) -> torch.Tensor:
        """Exposures (K, N) of the catalog columns X (96, N), from ``H`` or the network's start."""
        H = self.initial_exposures(X) if H is None else H
        weights = self.weights()
        guard = None if H.dtype == torch.float64 else FLOAT32_LAYER_GUARD
        prune_before = max(0, self.layers - POLISH_LAYERS) if self.prune_share > 0 else None
        for layer in range(self.layers):
            if layer == prune_before:
                H = self.prune(H, X.sum(dim=-2, keepdim=True))
            i = 0 if self.tied else layer
            if self.objective == "frobenius":
                H = update_h_gram(weights["A"][i] @ X, weights["B"][i], H, self.l1[i], self.l2[i])
            else:
                H = update_h_kl(X, weights["W"][i], H, self.l1[i], self.l2[i], guard)
        if not torch.isfinite(H).all():
            raise NumericalError(f"unfolded network ({self.objective}, {self.layers} layers) "
                                 "produced NaN/inf exposures")
        return H

    @torch.no_grad()
    def project_(self) -> None:
        """Clamp the penalties to be non-negative (the projection after each optimiser step)."""
        self.l1.clamp_(min=0)
        self.l2.clamp_(min=0)

    def descend(self, optimizer: torch.optim.Optimizer, loss: torch.Tensor, where: str) -> None:
        """One optimizer step on ``loss`` followed by :meth:`project_`; a NaN/inf loss stops with
        :class:`NumericalError` naming ``where`` (the training step)."""
        if not torch.isfinite(loss):
            raise NumericalError(f"{where}: loss is NaN/inf")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        self.project_()
