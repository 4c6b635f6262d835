"""Mutations the signatures cannot explain: the Poisson fit of a sample's kept signatures that leaves
unassigned the counts of channels lying well above everything the fit can reach.

A process the reference lacks (or a signature far from its reference copy) puts mutations in channels the
kept signatures barely touch. The plain Poisson fit still gives every mutation to some signature, so those
mutations inflate the signatures nearest to them. Here a channel c with count x_c and fitted count
λ_c = (W h)_c holds an unexplained excess

    r_c = max(0, x_c − λ_c − z · σ_c),   σ_c² = λ_c + 1 + (t · λ_c)²,

(Poisson noise, one mutation of slack for channels the fit does not reach, and a relative tolerance t for
signatures that differ from their reference copy by that much), and the exposures are the Poisson fit of the
explained part x_c · λ_c / (λ_c + r_c): the fixed point of the KL updates on W h + r. With z = 0 the step
is off and every mutation is assigned.

The signatures a sample keeps are chosen on its :func:`explained_counts`: the counts left once the excess
beyond the fit on every signature given is removed, so that no signature is chosen for mutations that no
mix of the reference explains (a deep sample with an unknown process otherwise trades two present
signatures for one absent one that reaches the unknown's channels).
"""

from __future__ import annotations

import numpy as np

from .active_set import active_set_nnls

#: Iteration cap of the fit and its convergence check: a sample stops when the relative change of its
#: exposures over ``CHECK_EVERY`` iterations falls below ``TOLERANCE``.
ITERATIONS, CHECK_EVERY, TOLERANCE = 500, 25, 1e-6
#: Guard in the denominators.
GUARD = 1e-30
#: Smallest exposure a signature starts the fit on every signature at (a multiplicative update never leaves 0).
START_FLOOR = 1e-3


def unexplained_excess(counts: np.ndarray, fitted: np.ndarray, z: float, tolerance: float) -> np.ndarray:
    """The counts (channels × N) of ``counts`` above ``fitted`` by more than ``z`` standard deviations
    (σ² = fitted + 1 + (tolerance · fitted)²), clipped at 0."""
    spread = np.sqrt(fitted + 1.0 + (tolerance * fitted) ** 2)
    return np.maximum(counts - fitted - z * spread, 0.0)


def fit_leaving_unexplained(signatures: np.ndarray, counts: np.ndarray, exposures: np.ndarray, z: float,
                            tolerance: float) -> np.ndarray:
    """Exposures (K × N) of ``counts`` (96 × N) on ``signatures`` (96 × K, columns summing to 1) from the
    Poisson fit ``exposures``, with each channel's :func:`unexplained_excess` left unassigned; zeros stay
    zero, so each sample keeps its signatures. A sample's exposures then add up to its explained count."""
    W = np.ascontiguousarray(signatures, dtype=float)
    X = np.asarray(counts, dtype=float)
    H = np.asarray(exposures, dtype=float).copy()
    column_sums = W.sum(axis=0)[:, None] + GUARD
    pending = np.arange(X.shape[1])  # samples still moving: each stops on its own, so batches do not matter
    previous = H.copy()
    for done in range(1, ITERATIONS + 1):
        part, counted = H[:, pending], X[:, pending]
        fitted = W @ part
        excess = unexplained_excess(counted, fitted, z, tolerance)
        H[:, pending] = part * (W.T @ (counted / (fitted + excess + GUARD))) / column_sums
        if done % CHECK_EVERY == 0:
            moved = np.abs(H[:, pending] - previous[:, pending]).sum(axis=0)
            pending = pending[moved > TOLERANCE * np.maximum(np.abs(H[:, pending]).sum(axis=0), GUARD)]
            if not len(pending):
                break
            previous[:, pending] = H[:, pending]
    return H


def explained_counts(signatures: np.ndarray, counts: np.ndarray, z: float, tolerance: float) -> np.ndarray:
    """``counts`` (96 × N) less the :func:`unexplained_excess` of the fit on every column of ``signatures``
    (96 × K) from the NNLS start: each channel keeps its share x_c · λ_c / (λ_c + r_c)."""
    W = np.asarray(signatures, dtype=float)
    X = np.asarray(counts, dtype=float)
    start = active_set_nnls(W, X, np.ones((X.shape[1], W.shape[1]), dtype=bool)).T
    H = fit_leaving_unexplained(W, X, np.maximum(start, START_FLOOR), z, tolerance)
    fitted = W @ H
    return X * fitted / (fitted + unexplained_excess(X, fitted, z, tolerance) + GUARD)
