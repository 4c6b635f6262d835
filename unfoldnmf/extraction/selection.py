"""Choosing the number of signatures K from the per-K solutions.

The rule, in three sentences: adding the K-th signature must lower the Poisson deviance of the
fit by at least ``min_gain`` times what an extra signature fitting pure noise would (about N + 96,
scaled by the over-dispersion the K-signature fit leaves), and K grows while each step passes that
test, stopping before the first step that fails. The K reached must also be reproducible across
bootstrap replicates (mean silhouette of its consensus clusters at least ``min_stability``),
else the largest smaller K that is. If none is, the most stable K is chosen and a warning says so.

Measured on the SynSig datasets (``scripts/bench_synsig.py``): a signature fitting only Poisson
noise lowers the deviance by 0.8–1.5 times N + 96, real ones by 7 and more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

log = logging.getLogger("unfoldnmf")


@dataclass
class Selection:
    """The chosen K, the per-K table behind it and a sentence saying why."""

    k: int
    table: pd.DataFrame  #: one row per K: stability_mean, stability_min, deviance, gain, significant, stable, selected
    reason: str


def deviance_gain(k_values: list[int], deviance: list[float], n_samples: int, n_channels: int = 96) -> np.ndarray:
    """Deviance drop from K−1 to K in units of the expected drop for a noise-only signature
    (NaN for the first K, which has nothing to be compared with)."""
    gains = np.full(len(k_values), np.nan)
    for i in range(1, len(k_values)):
        k = k_values[i]
        dof = max(1.0, n_channels * n_samples - (n_channels + n_samples) * k)
        dispersion = max(1.0, deviance[i] / dof)
        steps = k - k_values[i - 1]
        gains[i] = (deviance[i - 1] - deviance[i]) / (steps * (n_channels + n_samples) * dispersion)
    return gains


def scan_exhausted(k_values: list[int], deviance: list[float], n_samples: int, min_gain: float, patience: int | None) -> bool:
    """True when the last ``patience`` K values tried all failed the deviance test: larger K are not worth trying."""
    if patience is None or len(k_values) <= patience:
        return False
    return bool((deviance_gain(k_values, deviance, n_samples)[-patience:] < min_gain).all())


def select_k(
    k_values: list[int],
    stability_mean: list[float],
    stability_min: list[float],
    deviance: list[float],
    n_samples: int,
    min_gain: float,
    min_stability: float,
) -> Selection:
    """Apply the rule above to per-K figures (K values ascending)."""
    gain = deviance_gain(k_values, deviance, n_samples)
    significant = np.isnan(gain) | (gain >= min_gain)
    stable = np.asarray(stability_mean) >= min_stability
    table = pd.DataFrame({
        "K": k_values,
        "stability_mean": stability_mean,
        "stability_min": stability_min,
        "deviance": deviance,
        "gain": gain,
        "significant": significant,
        "stable": stable,
    })
    reached = int(np.argmin(significant)) - 1 if not significant.all() else len(k_values) - 1
    candidates = [i for i in range(reached + 1) if stable[i]]
    if candidates:
        chosen = candidates[-1]
        step = "the first K" if np.isnan(gain[chosen]) else f"its extra signature lowers the deviance {gain[chosen]:.1f}x more than noise would"
        reason = (f"K grows while each extra signature lowers the deviance at least {min_gain}x more than noise would; "
                  f"{step}; mean stability {stability_mean[chosen]:.2f} >= {min_stability}")
        if chosen == len(k_values) - 1 and len(k_values) > 1:
            log.warning("chosen K=%d is the top of the range tried; more signatures may be present (raise --k-max)", k_values[chosen])
    else:
        chosen = int(np.argmax(stability_mean))
        reason = f"no K passed both tests; K with the best mean stability ({stability_mean[chosen]:.2f}) chosen"
        log.warning("no K looked both stable and significant; picked K=%d (best stability); inspect selection.tsv", k_values[chosen])
    table["selected"] = [i == chosen for i in range(len(k_values))]
    return Selection(k=k_values[chosen], table=table, reason=reason)
