"""Reference assignment: each de novo signature as a sparse non-negative mix of known signatures.

Stepwise selection per signature: add the reference signature whose inclusion gives the largest
cosine similarity of the non-negative least-squares mix, while that gain is at least ``min_gain``;
after each addition drop any member whose removal costs less than ``min_gain``. A signature whose
best mix stays below ``min_cosine`` is reported as novel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from ..config import AssignmentConfig


@dataclass
class Assignment:
    """What :func:`assign_signatures` returns."""

    weights: pd.DataFrame  #: reference × de novo; each de novo column sums to 1 (zero outside its mix)
    cosine: pd.Series  #: de novo name -> cosine of its mix to it
    novel: pd.Series  #: de novo name -> True when no mix reached ``min_cosine``

    def table(self) -> pd.DataFrame:
        """``assignment.tsv`` rows: Signature, Reference (``SBS1:0.62;SBS5:0.38``), Cosine, Novel."""
        rows = []
        for name in self.weights.columns:
            mix = self.weights[name][self.weights[name] > 0].sort_values(ascending=False)
            rows.append({
                "Signature": name,
                "Reference": ";".join(f"{ref}:{weight:.3f}" for ref, weight in mix.items()),
                "Cosine": round(float(self.cosine[name]), 4),
                "Novel": bool(self.novel[name]),
            })
        return pd.DataFrame(rows, columns=["Signature", "Reference", "Cosine", "Novel"])

    def labels(self) -> dict[str, str]:
        """Short label per de novo signature for plots: ``SBS1 (0.98)``, ``SBS2+SBS13 (0.95)``, ``novel (0.81)``."""
        labels = {}
        for name in self.weights.columns:
            mix = self.weights[name][self.weights[name] > 0].sort_values(ascending=False)
            what = "novel" if self.novel[name] else "+".join(mix.index)
            labels[name] = f"{what} ({float(self.cosine[name]):.2f})"
        return labels

    def mixes(self, reference: pd.DataFrame, channels: pd.Index) -> pd.DataFrame:
        """Each de novo signature's reference mix as a spectrum (``channels`` × K)."""
        return reference.loc[channels, self.weights.index] @ self.weights

    def mix_labels(self) -> dict[str, str]:
        """Each mix in words for the decomposition plot: ``0.62 SBS1 + 0.38 SBS5 (cosine 0.97)``,
        prefixed ``novel, best mix`` when it fell short of the threshold."""
        labels = {}
        for name in self.weights.columns:
            mix = self.weights[name][self.weights[name] > 0].sort_values(ascending=False)
            words = " + ".join(f"{weight:.2f} {ref}" for ref, weight in mix.items()) or "no mix"
            prefix = "novel, best mix " if self.novel[name] else ""
            labels[name] = f"{prefix}{words} (cosine {float(self.cosine[name]):.2f})"
        return labels

    def named_signatures(self, signatures: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
        """Signatures (96 × M) under reference names: every reference signature used by a non-novel
        mix (in reference order), then the novel de novo signatures under their own names."""
        known = self.weights.loc[:, ~self.novel.to_numpy()]
        used = [ref for ref in reference.columns if (known.loc[ref] > 0).any()]
        novel = [name for name in signatures.columns if self.novel[name]]
        return pd.concat([reference.loc[signatures.index, used], signatures[novel]], axis=1)


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / norm) if norm > 0 else 0.0


def _mix(reference: np.ndarray, target: np.ndarray, members: list[int]) -> tuple[np.ndarray, float]:
    weights, _ = nnls(reference[:, members], target)
    return weights, _cosine(target, reference[:, members] @ weights)


def assign_one(target: np.ndarray, reference: np.ndarray, min_gain: float = AssignmentConfig.min_gain,
               max_signatures: int = AssignmentConfig.max_signatures) -> tuple[np.ndarray, float]:
    """Sparse mix of the columns of ``reference`` (96 × R) for one signature ``target`` (96,).

    Returns (weights (R,) summing to 1, cosine of the mix to ``target``).
    """
    members: list[int] = []
    removed: set[int] = set()
    cosine = 0.0
    while len(members) < max_signatures:
        candidates = [c for c in range(reference.shape[1]) if c not in members and c not in removed]
        if not candidates:
            break
        trials = [_mix(reference, target, members + [c])[1] for c in candidates]
        best = int(np.argmax(trials))
        if members and trials[best] - cosine < min_gain:
            break
        members.append(candidates[best])
        cosine = trials[best]
        while len(members) > 1:
            losses = [cosine - _mix(reference, target, [m for m in members if m != drop])[1] for drop in members]
            weakest = int(np.argmin(losses))
            if losses[weakest] >= min_gain:
                break
            removed.add(members.pop(weakest))
            cosine = _mix(reference, target, members)[1]
    weights, cosine = _mix(reference, target, members)
    full = np.zeros(reference.shape[1])
    full[members] = weights / weights.sum() if weights.sum() > 0 else 0.0
    return full, cosine


def assign_signatures(signatures: pd.DataFrame, reference: pd.DataFrame,
                      min_cosine: float = AssignmentConfig.min_cosine,
                      min_gain: float = AssignmentConfig.min_gain,
                      max_signatures: int = AssignmentConfig.max_signatures) -> Assignment:
    """Explain each column of ``signatures`` (96 × K) by at most ``max_signatures`` columns of
    ``reference`` (96 × R), rows matched by channel label; see the module docstring."""
    ref = reference.loc[signatures.index].to_numpy(dtype=float)
    weights = np.zeros((ref.shape[1], signatures.shape[1]))
    cosines = np.zeros(signatures.shape[1])
    for j, name in enumerate(signatures.columns):
        weights[:, j], cosines[j] = assign_one(signatures[name].to_numpy(dtype=float), ref, min_gain, max_signatures)
    names = signatures.columns
    return Assignment(
        weights=pd.DataFrame(weights, index=reference.columns, columns=names),
        cosine=pd.Series(cosines, index=names),
        novel=pd.Series(cosines < min_cosine, index=names),
    )
