"""Measures of fit on numpy arrays (no torch): the Poisson deviance and cosine similarity that the
refit, the fit quality table and the scoring use."""

from __future__ import annotations

import numpy as np


def poisson_deviance(x: np.ndarray, mean: np.ndarray) -> float | np.ndarray:
    """Poisson deviance 2 Σ [x log(x / mean) − x + mean] of counts ``x`` against ``mean``, summed over
    the channels (first axis): a number for one sample (96,), one per column for (96, N)."""
    mean = np.maximum(mean, 1e-12)
    ratio = np.where(x > 0, x * np.log(np.where(x > 0, x, 1.0) / mean), 0.0)
    total = 2.0 * np.sum(ratio - x + mean, axis=0)
    return float(total) if np.ndim(total) == 0 else total


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity between the columns of ``a`` (d × m) and ``b`` (d × n): (m, n)."""
    an = a / np.maximum(np.linalg.norm(a, axis=0, keepdims=True), 1e-300)
    bn = b / np.maximum(np.linalg.norm(b, axis=0, keepdims=True), 1e-300)
    return an.T @ bn
