"""Accuracy scoring exactly as ../shared/BENCHMARK.md: Hungarian matching on cosine, TP at ≥ 0.90,
composite = PPV + TPR + mean cosine of the true positives."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from ..nmf.scores import cosine_matrix

TP_THRESHOLD = 0.90


@dataclass
class Score:
    """Signature-recovery score of an extraction against the truth."""

    tp: int
    fp: int
    fn: int
    ppv: float
    tpr: float
    f1: float
    mean_cosine: float
    composite: float
    matches: list[tuple[str, str, float]] = field(default_factory=list)  #: (true, extracted, cosine) TP pairs
    exposure_pearson: float | None = None
    exposure_mae: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def score_signatures(truth: pd.DataFrame, extracted: pd.DataFrame) -> Score:
    """Score extracted signatures (96 × K) against true ones (96 × K*), rows aligned by channel label."""
    extracted = extracted.loc[truth.index]
    cos = cosine_matrix(truth.to_numpy(), extracted.to_numpy())
    rows, cols = linear_sum_assignment(-cos)
    matches = [(truth.columns[r], extracted.columns[c], float(cos[r, c]))
               for r, c in zip(rows, cols) if cos[r, c] >= TP_THRESHOLD]
    tp = len(matches)
    k, k_true = extracted.shape[1], truth.shape[1]
    ppv = tp / k if k else 0.0
    tpr = tp / k_true if k_true else 0.0
    f1 = 2 * ppv * tpr / (ppv + tpr) if ppv + tpr else 0.0
    mean_cosine = float(np.mean([m[2] for m in matches])) if matches else 0.0
    return Score(tp=tp, fp=k - tp, fn=k_true - tp, ppv=ppv, tpr=tpr, f1=f1, mean_cosine=mean_cosine,
                 composite=ppv + tpr + mean_cosine, matches=matches)


def score_exposures(score: Score, truth: pd.DataFrame, exposures: pd.DataFrame) -> Score:
    """Add exposure accuracy for the TP signatures: Pearson r over all (sample, signature) pairs, and
    the mean absolute error relative to each sample's total mutations. Both tables are samples × signatures."""
    if not score.matches:
        return score
    samples = [s for s in truth.index if s in exposures.index]
    true = truth.loc[samples, [m[0] for m in score.matches]].to_numpy()
    found = exposures.loc[samples, [m[1] for m in score.matches]].to_numpy()
    totals = np.maximum(truth.loc[samples].to_numpy().sum(axis=1, keepdims=True), 1e-12)
    score.exposure_pearson = float(np.corrcoef(true.ravel(), found.ravel())[0, 1])
    score.exposure_mae = float(np.mean(np.abs(true - found) / totals))
    return score
