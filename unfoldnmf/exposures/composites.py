"""A cohort's own versions of reference signatures: a signature whose exposure is a fixed fraction of
another's across most of the samples carrying the other is taken as part of that signature.

Real spectra drift from the reference (another signature version, tissue-specific shapes). At tens of
thousands of mutations a per-sample rule then keeps a second signature that fills the drift, in every
sample of the drifted one and in the same proportion to it (SBS3 at 0.6 × and SBS18 at 0.3 × the
SigProfiler-version SBS40's v3.4 part in the SynSig cohorts). Independent processes vary in proportion
from sample to sample; a constant proportion is the trace of one process. The anchor's signature is
replaced by the mix (anchor + ratio × part, normalised) for the whole cohort and the cohort refitted:
a sample keeps the part only where it needs more of it than the mix holds.

The proportions are read from a Poisson fit of every sample on all the cohort's signatures, not from
the sparse refit: at a few thousand mutations the sparse refit keeps the part only in the samples where
the counting noise favours it (SBS18 in 16 of 48 SBS40b carriers), which is where it is a false
positive, and hides the constant proportion that the fit on every signature still shows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import RefitConfig


@dataclass(frozen=True)
class Composite:
    """Signature ``part`` (column index) folded into signature ``anchor`` at ``ratio`` mutations of the
    part per mutation of the anchor, found in ``carriers`` of the anchor's samples."""

    anchor: int
    part: int
    ratio: float
    carriers: int


def ratio_mode(ratios: np.ndarray, window: float) -> tuple[int, float]:
    """(samples in the densest window [r, r × window²] of the positive ``ratios`` (at least one), their
    median ratio)."""
    logs = np.sort(np.log(ratios[ratios > 0]))
    inside = np.searchsorted(logs, logs + 2 * np.log(window), side="right") - np.arange(len(logs))
    first = int(np.argmax(inside))
    return int(inside[first]), float(np.exp(np.median(logs[first:first + inside[first]])))


def find_composites(exposures: np.ndarray, refit: RefitConfig, amounts: np.ndarray | None = None) -> list[Composite]:
    """The composites of a cohort's exposures (K × N): signature B is part of signature A when, of the
    samples carrying A (at least ``refit.composite_min_carriers``, as many with some B), a share of at
    least ``refit.composite_share`` hold B at one ratio B / A (within ×/÷ ``refit.composite_window`` of
    each other) of at most ``refit.composite_max_ratio``. The carriers are the samples where
    ``exposures`` is positive; the ratios are read from ``amounts`` (K × N, by default ``exposures``; a
    signature with no amount in a sample is not counted there). Each part joins one anchor (the one
    with the largest such share), and a part is no anchor; none when ``composite_share`` is 0."""
    if not refit.composite_share:
        return []
    amounts = exposures if amounts is None else amounts
    carriers = (exposures > 0) & (amounts > 0)
    common = np.flatnonzero(carriers.sum(axis=1) >= refit.composite_min_carriers)
    found = []
    for anchor in common:
        samples = carriers[anchor]
        for part in np.flatnonzero((amounts[:, samples] > 0).sum(axis=1) >= refit.composite_min_carriers):
            if part == anchor:
                continue
            inside, ratio = ratio_mode(amounts[part, samples] / amounts[anchor, samples], refit.composite_window)
            share = inside / samples.sum()
            if share >= refit.composite_share and ratio <= refit.composite_max_ratio:
                found.append((share, Composite(int(anchor), int(part), ratio, inside)))
    chosen: list[Composite] = []
    for _, composite in sorted(found, key=lambda item: (-item[0], item[1].anchor, item[1].part)):
        parts, anchors = {c.part for c in chosen}, {c.anchor for c in chosen}
        if composite.part not in parts | anchors and composite.anchor not in parts:
            chosen.append(composite)
    return chosen


def folded_signatures(signatures: np.ndarray, composites: list[Composite]) -> np.ndarray:
    """``signatures`` (channels × K) with each anchor replaced by anchor + Σ ratio × part, normalised to 1."""
    folded = np.array(signatures, dtype=float)
    for anchor in {c.anchor for c in composites}:
        mix = signatures[:, anchor] + sum(c.ratio * signatures[:, c.part] for c in composites if c.anchor == anchor)
        folded[:, anchor] = mix / mix.sum()
    return folded
