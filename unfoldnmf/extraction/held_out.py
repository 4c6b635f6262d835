"""Held-out deviance of a K's signatures (bi-cross-validation): how well they predict counts they
were not fitted to.

A random :data:`HELD_OUT_SHARE` of the catalog's entries (channel × sample) is hidden, the K's
signatures and the exposures are fitted to the rest by KL multiplicative updates that skip the hidden
entries (from the scan's signatures: exposures alone first, then both), and the Poisson deviance of
the hidden entries under that fit is the K's held-out deviance, per sample, summed over
:data:`FOLDS` such masks (the same masks for every K; the test needs :data:`MIN_SAMPLES` samples). A
signature that fits noise lowers the deviance of the entries it was fitted to and raises that of the
hidden ones; a real signature, even a rare one or one close to another, lowers both.
"""

from __future__ import annotations

import numpy as np
import torch

from ..nmf.updates import normalise_columns

#: Share of the entries hidden in each fold, and the folds.
HELD_OUT_SHARE, FOLDS = 0.1, 3
#: Fewest samples the test runs on (its standard error is over the samples).
MIN_SAMPLES = 10
#: Masked KL updates of the exposures alone (from an even start), then of signatures and exposures.
EXPOSURE_ITERATIONS, JOINT_ITERATIONS = 200, 1000
#: Floor (mutations) of a hidden entry's prediction in its deviance, and of the signatures' entries
#: during the updates: a channel a signature left at zero cannot make one hidden count dominate.
PREDICTION_FLOOR, SIGNATURE_FLOOR = 0.01, 1e-6
#: Share of samples trimmed at each end of the per-sample differences (:func:`held_out_gain`).
TRIM = 0.02
_GUARD = 1e-12


def held_out_masks(shape: tuple[int, int], seed: int) -> np.ndarray:
    """(:data:`FOLDS`, channels, samples) masks, 1 where an entry is fitted and 0 where it is hidden."""
    return np.stack([np.random.default_rng([seed, fold]).random(shape) >= HELD_OUT_SHARE
                     for fold in range(FOLDS)]).astype(float)


def held_out_deviance(counts: np.ndarray, signatures: np.ndarray, masks: np.ndarray,
                      device: torch.device = torch.device("cpu")) -> np.ndarray:
    """Per-sample Poisson deviance (N,) of the hidden entries of ``counts`` (channels × N), summed over
    the folds of ``masks`` (:func:`held_out_masks`), when ``signatures`` (channels × K) and exposures are
    fitted to the other entries (float64, all folds at once on ``device``)."""
    X = torch.tensor(counts, dtype=torch.float64, device=device)
    M = torch.tensor(masks, dtype=torch.float64, device=device)
    seen = X * M
    k = signatures.shape[1]
    W = torch.tensor(signatures, dtype=torch.float64, device=device).clamp_min(SIGNATURE_FLOOR)
    W = (W / W.sum(dim=0)).expand(len(masks), -1, -1).clone()
    share_seen = M.mean(dim=1, keepdim=True).clamp_min(0.5)
    H = (seen.sum(dim=1, keepdim=True) / share_seen / max(k, 1)).expand(-1, k, -1).clone()
    # Products go into reused buffers: a fresh catalog-sized tensor per product took most of the test's time
    # at 10 000 samples. The arithmetic is the same, operation for operation.
    buffer, h_terms = torch.empty_like(seen), torch.empty_like(H)

    def ratio() -> torch.Tensor:
        fitted = torch.matmul(W, H, out=buffer).add_(_GUARD)
        return torch.div(seen, fitted, out=fitted)

    h_denominator = W.transpose(1, 2) @ M + _GUARD  # fixed while W is
    for step in range(EXPOSURE_ITERATIONS + JOINT_ITERATIONS):
        H = H.mul_(torch.matmul(W.transpose(1, 2), ratio(), out=h_terms)).div_(h_denominator)
        if step >= EXPOSURE_ITERATIONS:
            W = W * (ratio() @ H.transpose(1, 2)) / (M @ H.transpose(1, 2) + _GUARD)
            W, H = normalise_columns(W.clamp_min(SIGNATURE_FLOOR), H)
            h_denominator = W.transpose(1, 2) @ M + _GUARD
    predicted = W @ H
    logs = torch.where(X > 0, X * torch.log(X / predicted.clamp_min(PREDICTION_FLOOR)), torch.zeros_like(X))
    return (2 * (logs - X + predicted) * (1 - M)).sum(dim=(0, 1)).cpu().numpy()


def held_out_gain(reference: np.ndarray, candidate: np.ndarray) -> tuple[float, float]:
    """(deviance saved, z) of ``candidate``'s per-sample held-out deviance against ``reference``'s: the
    sum of the per-sample savings with the :data:`TRIM` largest and smallest left out (a sample whose
    fit fell into a poor optimum at one K moves the whole sum), and that sum over its standard error
    (0 for fewer than 2 samples)."""
    saved = np.sort(reference - candidate)
    cut = int(TRIM * len(saved))
    kept = saved[cut:len(saved) - cut]
    if len(kept) < 2:
        return float(kept.sum()), 0.0
    return float(kept.sum()), float(kept.sum() / max(kept.std(ddof=1) * np.sqrt(len(kept)), _GUARD))
