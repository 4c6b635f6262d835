"""Choosing the number of signatures K from the per-K solutions.

The rule, in three sentences: adding the K-th signature must lower the Poisson deviance of the
fit by at least ``min_gain`` times what an extra signature fitting pure noise would (about N + 96,
scaled by the over-dispersion the K-signature fit leaves), or the ``run_length`` steps from K on must
lower it by at least ``run_gain`` times that on average (many similar or rare signatures each add
little, but together more than noise), and K grows while the steps pass that test, stopping at
``patience`` failed steps in a row (the scan computes no K beyond them, nor beyond the runs that
decide them) and going back to the last K whose step passed. The K reached must also be
reproducible across bootstrap replicates (mean silhouette of its consensus clusters at least
``min_stability``), else the largest smaller K that passed both. K = 1 has no silhouette (one
cluster) and neither has any K fitted with one replicate: such stability is unknown (NaN), does
not block a K, and a warning says when the choice rests on the deviance alone. Last, the held-out
test (``held_out_z``; :mod:`unfoldnmf.extraction.held_out`): a stable larger K whose signatures predict
hidden entries of the catalog better than that K's, by at least ``held_out_z`` standard errors over
the samples, and whose deviance falls by at least what noise would per added signature, replaces it
(of several, the one predicting best; the scan goes on to ``held_out_patience`` K past the best).
Then the sparse stage (``sparse_gain``; :mod:`unfoldnmf.extraction.sparse_stage`) may move to a larger stable K whose refined signatures
fit the catalog better on sparse exposures, unless it predicts hidden entries more than ``held_out_z``
standard errors worse. If no K passes, the most stable K is chosen and a warning says so.

Measured on the SynSig datasets (``scripts/bench_synsig.py``): a signature fitting only Poisson
noise lowers the deviance by 0.8–1.5 times N + 96 (single steps up to 2.9), real ones by 7 and more;
in cohorts of 30–40 signatures real ones add 2–3 times, step after step.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import ExtractionConfig
from .held_out import held_out_gain
from .sparse_stage import SparseFit, held_out_z_from, sparse_choice

log = logging.getLogger("unfoldnmf")

#: Least deviance drop per added signature, in noise units, of a K the held-out test takes: what a signature
#: fitting only noise saves. On a catalog with almost no noise the held-out standard error is tiny, and a
#: saving of a few counts would otherwise pass (syn.hyper.low.sa.primary, noise-free: K 3 at z 5.6 and 0.09 units).
NOISE_GAIN = 1.0


@dataclass
class Selection:
    """The chosen K, the per-K table behind it and a sentence saying why."""

    k: int
    #: one row per K: stability_mean, stability_min, deviance, gain, run_gain, significant, stable, held_out_saved,
    #: held_out_z, selected (and sparse_deviance, sparse_held_out_z with the sparse stage)
    table: pd.DataFrame
    reason: str
    rule_k: int | None = None  #: the K the deviance and stability tests reached (None: no K passed both)


def deviance_gain(k_values: list[int], deviance: list[float], n_samples: int, n_channels: int = 96) -> np.ndarray:
    """Deviance drop from K−1 to K in units of the expected drop for a noise-only signature
    (NaN for the first K, which has nothing to be compared with)."""
    gains = np.full(len(k_values), np.nan)
    for i in range(1, len(k_values)):
        gains[i] = _gain(k_values, deviance, i - 1, i, n_samples, n_channels)
    return gains


def _gain(k_values: list[int], deviance: list[float], start: int, end: int, n_samples: int, n_channels: int) -> float:
    """Deviance drop from the K at index ``start`` to the K at ``end`` per added signature, in noise units
    (:func:`noise_unit` of the larger K)."""
    unit = noise_unit(deviance[end], k_values[end], n_samples, n_channels)
    return (deviance[start] - deviance[end]) / ((k_values[end] - k_values[start]) * unit)


def noise_unit(deviance: float, k: int, n_samples: int, n_channels: int = 96) -> float:
    """What a signature fitting only noise saves in deviance: N + 96, times the over-dispersion of the
    K-signature NMF fit of that ``deviance`` (its deviance per residual degree of freedom, at least 1)."""
    dof = max(1.0, n_channels * n_samples - (n_channels + n_samples) * k)
    return (n_samples + n_channels) * max(1.0, deviance / dof)


def step_tests(k_values: list[int], gain: np.ndarray, extraction: ExtractionConfig,
               k_last: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(passed, decided, run mean) per K of the deviance test on ``gain`` (:func:`deviance_gain`): a
    step passes when its gain is at least ``extraction.min_gain``, or when ``run_gain`` is set and the
    mean gain of the ``run_length`` steps from it is at least ``run_gain``. A step that fails alone is
    decided once its whole run has been tried, or failed when the run would pass ``k_last``, the
    largest K to be tried. The first K passes."""
    length = extraction.run_length
    passed = np.isnan(gain) | (gain >= extraction.min_gain)
    run = np.full(len(gain), np.nan)
    for index in range(1, len(gain) - length + 1):
        run[index] = gain[index:index + length].mean()
    if extraction.run_gain is None:
        return passed, np.ones(len(gain), dtype=bool), run
    decided = passed | ~np.isnan(run) | (np.asarray(k_values) + length - 1 > k_last)
    return passed | (run >= extraction.run_gain), decided, run


def scan_exhausted(k_values: list[int], deviance: list[float], n_samples: int, extraction: ExtractionConfig,
                   n_channels: int = 96) -> bool:
    """True when the deviance test has decided ``extraction.patience`` failed steps in a row: the rule
    can choose none of the larger K values, so they are not worth computing."""
    gain = deviance_gain(k_values, deviance, n_samples, n_channels)
    passed, decided, _ = step_tests(k_values, gain, extraction, max(extraction.k_values_for(n_samples)))
    known = int(np.argmin(decided)) if not decided.all() else len(decided)  # steps before the first undecided
    return failed_run_end(passed[:known], extraction.patience) is not None


def failed_run_end(significant: np.ndarray, patience: int | None) -> int | None:
    """Index of the step that completes the first ``patience`` failed steps in a row (None: there is
    none, or ``patience`` is None)."""
    failures = 0
    for index, passed in enumerate(significant):
        failures = 0 if passed else failures + 1
        if patience is not None and failures >= patience:
            return index
    return None


def reached_index(significant: np.ndarray, patience: int | None) -> int:
    """Index of the largest K the deviance test lets the rule reach: the last passing step (or the
    first K) before ``patience`` failed steps in a row (None: anywhere in the range)."""
    end = failed_run_end(significant, patience)
    passing = np.flatnonzero(significant[:None if end is None else end])
    return int(passing[-1]) if len(passing) else 0


def held_out_tests(k_values: list[int], k_rule: int, held_out: dict[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(held-out deviance saved, its z) of each K above ``k_rule`` against ``k_rule``
    (:func:`unfoldnmf.extraction.held_out.held_out_gain`), NaN where ``held_out`` (K -> per-sample held-out
    deviance) lacks the K, and for ``k_rule`` and below."""
    saved, z = np.full(len(k_values), np.nan), np.full(len(k_values), np.nan)
    if k_rule not in held_out:
        return saved, z
    for index, k in enumerate(k_values):
        if k > k_rule and k in held_out:
            saved[index], z[index] = held_out_gain(held_out[k_rule], held_out[k])
    return saved, z


def gains_from(k_values: list[int], deviance: list[float], index: int, n_samples: int,
               n_channels: int = 96) -> np.ndarray:
    """Deviance drop from the K at ``index`` to each larger K per added signature, in noise units
    (:func:`noise_unit` of the larger K); NaN up to ``index``."""
    gains = np.full(len(k_values), np.nan)
    for i in range(index + 1, len(k_values)):
        gains[i] = _gain(k_values, deviance, index, i, n_samples, n_channels)
    return gains


def held_out_choice(saved: np.ndarray, z: np.ndarray, stable: np.ndarray, gains: np.ndarray, rule_index: int,
                    extraction: ExtractionConfig) -> int:
    """Index of the K the held-out test moves the rule's choice (``rule_index``) to: of the stable K
    above it whose held-out deviance is at least ``extraction.held_out_z`` standard errors lower and whose
    deviance falls by at least :data:`NOISE_GAIN` per added signature (``gains``, :func:`gains_from`), the
    one saving the most; else the rule's."""
    if extraction.held_out_z is None:
        return rule_index
    eligible = [i for i in range(rule_index + 1, len(saved))
                if z[i] >= extraction.held_out_z and stable[i] and gains[i] >= NOISE_GAIN]
    return max(eligible, key=lambda i: saved[i]) if eligible else rule_index


def held_out_best(k_values: list[int], stability_mean: list[float], deviance: list[float], k_rule: int,
                  held_out: dict[int, np.ndarray], n_samples: int, extraction: ExtractionConfig,
                  n_channels: int = 96) -> int:
    """The K the held-out test moves the deviance rule's ``k_rule`` to (:func:`held_out_choice`)."""
    saved, z = held_out_tests(k_values, k_rule, held_out)
    rule_index = k_values.index(k_rule)
    gains = gains_from(k_values, deviance, rule_index, n_samples, n_channels)
    return k_values[held_out_choice(saved, z, stable_values(stability_mean, extraction), gains, rule_index,
                                    extraction)]


def stable_values(stability_mean: list[float], extraction: ExtractionConfig) -> np.ndarray:
    """Which K are stable enough: mean stability unknown (NaN) or at least ``extraction.min_stability``."""
    mean = np.asarray(stability_mean, dtype=float)
    return np.isnan(mean) | (mean >= extraction.min_stability)


def select_k(
    k_values: list[int],
    stability_mean: list[float],
    stability_min: list[float],
    deviance: list[float],
    n_samples: int,
    extraction: ExtractionConfig,
    n_channels: int = 96,
    held_out: dict[int, np.ndarray] | None = None,
    sparse: dict[int, SparseFit] | None = None,
) -> Selection:
    """Apply the rule above, with ``extraction``'s thresholds, to per-K figures (K values ascending). A
    step that fails alone and whose run reaches past the last K tried fails. ``held_out`` (K -> per-sample
    held-out deviance, :func:`unfoldnmf.extraction.held_out.held_out_deviance`) adds the held-out test
    from the deviance rule's K on; ``sparse`` (K -> its :class:`unfoldnmf.extraction.sparse_stage.SparseFit`)
    the sparse stage from the held-out test's K on, and the ``sparse_deviance`` and ``sparse_held_out_z``
    columns. :func:`log_warnings` says what the choice rests on."""
    min_gain, min_stability, patience = extraction.min_gain, extraction.min_stability, extraction.patience
    gain = deviance_gain(k_values, deviance, n_samples, n_channels)
    significant, _, run = step_tests(k_values, gain, extraction, k_values[-1])
    mean = np.asarray(stability_mean, dtype=float)
    stable = stable_values(stability_mean, extraction)
    table = pd.DataFrame({
        "K": k_values,
        "stability_mean": stability_mean,
        "stability_min": stability_min,
        "deviance": deviance,
        "gain": gain,
        "run_gain": run,
        "significant": significant,
        "stable": stable,
    })
    reached = reached_index(significant, patience)
    candidates = [i for i in range(reached + 1) if significant[i] and stable[i]]
    saved, z = np.full(len(k_values), np.nan), np.full(len(k_values), np.nan)
    rule_k, sparse_z = None, {}
    if candidates:
        chosen = candidates[-1]
        rule_k = k_values[chosen]
        saved, z = held_out_tests(k_values, k_values[chosen], held_out or {})
        step = ("the first K" if np.isnan(gain[chosen])
                else f"its extra signature lowers the deviance {gain[chosen]:.1f}x more than noise would"
                + ("" if gain[chosen] >= min_gain else
                   f", the {extraction.run_length} steps from it {run[chosen]:.1f}x on average"))
        stability = ("stability unknown (one cluster or one replicate)" if np.isnan(mean[chosen])
                     else f"mean stability {mean[chosen]:.2f} >= {min_stability}")
        runs = (f", or the {extraction.run_length} steps from it {extraction.run_gain}x on average"
                if extraction.run_gain is not None else "")
        reason = (f"K grows while each extra signature lowers the deviance at least {min_gain}x more than noise "
                  f"would{runs}; {step}; {stability}")
        gains = gains_from(k_values, deviance, chosen, n_samples, n_channels)
        extended = held_out_choice(saved, z, stable, gains, chosen, extraction)
        unfloored = held_out_choice(saved, z, stable, np.full(len(gains), np.inf), chosen, extraction)
        if unfloored != extended:
            reason += (f"; K={k_values[unfloored]} predicts hidden counts better ({z[unfloored]:.1f} standard errors) "
                       f"but lowers the deviance by only {gains[unfloored]:.2f}x noise per added signature: not taken")
        if extended != chosen:
            reason += (f"; K={k_values[extended]} then predicts hidden counts better than K={k_values[chosen]} "
                       f"(held-out deviance {saved[extended]:.0f} lower, {z[extended]:.1f} standard errors)")
            chosen = extended
        if sparse:
            k_from, unit = k_values[chosen], noise_unit(deviance[chosen], k_values[chosen], n_samples, n_channels)
            sparse_z = held_out_z_from(sparse, k_from)
            k_sparse = sparse_choice(k_values, sparse, stable, k_from, unit, extraction)
            reason += _sparse_reason(k_values, sparse, sparse_z, stable, k_from, k_sparse, unit, extraction)
            chosen = k_values.index(k_sparse)
    else:
        chosen = int(np.nanargmax(mean))
        reason = f"no K passed both tests; K with the best mean stability ({mean[chosen]:.2f}) chosen"
    table["held_out_saved"], table["held_out_z"] = saved, z
    if sparse:
        table["sparse_deviance"] = [sparse[k].deviance if k in sparse else np.nan for k in k_values]
        table["sparse_held_out_z"] = [sparse_z.get(k, np.nan) for k in k_values]
    table["selected"] = [i == chosen for i in range(len(k_values))]
    return Selection(k=k_values[chosen], table=table, reason=reason, rule_k=rule_k)


def _sparse_reason(k_values: list[int], sparse: dict[int, SparseFit], sparse_z: dict[int, float], stable: np.ndarray,
                   k_from: int, k_sparse: int, unit: float, extraction: ExtractionConfig) -> str:
    """The reason's clause for the sparse stage's move from ``k_from`` to ``k_sparse``
    (:func:`unfoldnmf.extraction.sparse_stage.sparse_choice`), or for the K its held-out guard refused (its
    held-out z in ``sparse_z``; '' when neither happened)."""
    def saving(k: int) -> float:  # per added signature, in units of noise
        return (sparse[k_from].deviance - sparse[k].deviance) / (k - k_from) / unit

    clause = ""
    if k_sparse != k_from:
        clause = (f"; K={k_sparse} then fits the catalog on sparse exposures better (the sparse refit of its refined "
                  f"signatures saves {saving(k_sparse):.1f}x what noise would per added signature, at least "
                  f"{extraction.sparse_gain}x)")
    unguarded = sparse_choice(k_values, sparse, stable, k_from, unit, extraction, guarded=False)
    if unguarded != k_sparse:
        clause += (f"; the sparse stage refuses K={unguarded} ({saving(unguarded):.1f}x per added signature): it "
                   f"predicts hidden counts {-sparse_z[unguarded]:.1f} standard errors worse than K={k_from}")
    return clause


def log_warnings(selection: Selection) -> None:
    """Warn where the choice of :func:`select_k` rests on less than the rule asks: K at the top of the range
    tried, no K passing both tests, or stability unknown (one replicate)."""
    table = selection.table
    if selection.rule_k is None:
        log.warning("no K looked both stable and significant; picked K=%d (best stability); inspect selection.tsv",
                    selection.k)
    elif selection.k == table["K"].iloc[-1] and len(table) > 1:
        log.warning("chosen K=%d is the top of the range tried; more signatures may be present (raise --k-max)",
                    selection.k)
    unknown = table.loc[(table["K"] > 1) & table["stability_mean"].isna(), "K"]
    if len(unknown):
        log.warning("stability is unknown for K=%s (one replicate): K was chosen without it; set "
                    "extraction.replicates to 2 or more to check that signatures reproduce",
                    ",".join(map(str, unknown)))
