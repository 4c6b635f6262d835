"""Non-negative least squares for many samples at once: Lawson–Hanson's active-set method on the
normal equations, vectorised over samples and warm-started from any feasible point."""

from __future__ import annotations

import numpy as np
from scipy.optimize import nnls

#: A dual entry above this share of the sample's largest projection (at least 1) lets a signature in.
DUAL_TOLERANCE = 1e-10
#: Weights at or below this share of the sample's largest projection (at least 1) leave the passive
#: set (weights and projections compare for signatures that sum to 1, as all of ours do).
ZERO_TOLERANCE = 1e-12
#: Steps per signature after which a sample still stepping (degenerate cycling) goes to scipy's NNLS.
STEPS_PER_SIGNATURE = 3


def active_set_nnls(signatures: np.ndarray, counts: np.ndarray, allowed: np.ndarray,
                    start: np.ndarray | None = None) -> np.ndarray:
    """NNLS weights (n × K) of each column of ``counts`` (96 × n) on the signatures (96 × K) that
    ``allowed`` (n × K, bool) permits to that sample, zero elsewhere.

    ``start`` (n × K, non-negative, zero where not allowed) is a feasible point to begin from, e.g.
    the solution of a neighbouring problem (one signature fewer): the method then needs only the few
    steps between the two solutions. Every step solves each unfinished sample's least-squares
    system on its passive set, all samples in one batched solve of the largest set's size; a sample
    that has not finished after :data:`STEPS_PER_SIGNATURE` · K + 1 steps is handed to scipy's NNLS.
    Computes in float64 whatever the inputs' dtype."""
    n, k = allowed.shape
    if k == 0:
        return np.zeros((n, 0))
    signatures, counts = np.asarray(signatures, dtype=float), np.asarray(counts, dtype=float)
    gram = signatures.T @ signatures
    projections = (signatures.T @ counts).T
    scale = np.maximum(np.abs(projections).max(axis=1, initial=0.0), 1.0)
    weights = np.zeros((n, k)) if start is None else np.where(allowed, start, 0.0).astype(float)
    passive = weights > 0
    pending = np.arange(n)  # samples still stepping
    solve_first = np.ones(n, dtype=bool)  # their passive set's LS solution is not yet known
    for _ in range(STEPS_PER_SIGNATURE * k + 1):
        if not len(pending):
            return weights
        entering = np.zeros(len(pending), dtype=int) - 1
        dual = projections[pending] - weights[pending] @ gram
        free = allowed[pending] & ~passive[pending] & (dual > DUAL_TOLERANCE * scale[pending, None])
        ready = ~solve_first[pending]
        entering[ready & free.any(axis=1)] = np.where(free, dual, -np.inf)[ready & free.any(axis=1)].argmax(axis=1)
        done = ready & (entering < 0)
        grow = pending[entering >= 0]
        passive[grow, entering[entering >= 0]] = True
        pending = pending[~done]
        if not len(pending):
            return weights
        solution = _passive_least_squares(gram, projections[pending], passive[pending])
        infeasible = ((solution <= ZERO_TOLERANCE * scale[pending, None]) & passive[pending]).any(axis=1)
        feasible = pending[~infeasible]
        weights[feasible] = solution[~infeasible]
        solve_first[feasible] = False
        rows = pending[infeasible]
        if len(rows):
            current, target = weights[rows], solution[infeasible]
            blocking = passive[rows] & (target <= ZERO_TOLERANCE * scale[rows, None])
            ratio = np.where(blocking, current / np.maximum(current - target, 1e-300), np.inf)
            step = np.clip(ratio.min(axis=1), 0.0, 1.0)[:, None]
            weights[rows] = np.where(passive[rows], current + step * (target - current), 0.0)
            passive[rows] &= weights[rows] > ZERO_TOLERANCE * scale[rows, None]
            weights[rows] = np.where(passive[rows], weights[rows], 0.0)
            solve_first[rows] = True
    for row in pending:
        columns = np.flatnonzero(allowed[row])
        weights[row] = 0.0
        weights[row, columns] = nnls(signatures[:, columns], counts[:, row])[0]
    return weights


def gathered_columns(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's True columns of ``mask`` (m × K) first, padded to the widest row: (columns m × width,
    filled m × width, True where a column is the row's own), so per-row systems on a subset of the
    signatures can be stacked and solved in one batch."""
    sizes = mask.sum(axis=1)
    width = int(sizes.max(initial=0))
    columns = np.argsort(~mask, axis=1, kind="stable")[:, :width]
    return columns, np.arange(width)[None, :] < sizes[:, None]


def scattered(values: np.ndarray, columns: np.ndarray, filled: np.ndarray, k: int, empty: float = 0.0) -> np.ndarray:
    """The m × ``k`` array holding ``values`` (m × width) at :func:`gathered_columns`' positions, ``empty``
    elsewhere."""
    result = np.full((len(values), k), empty)
    rows = np.broadcast_to(np.arange(len(values))[:, None], columns.shape)
    result[rows[filled], columns[filled]] = values[filled]
    return result


def _passive_least_squares(gram: np.ndarray, projections: np.ndarray, passive: np.ndarray) -> np.ndarray:
    """Least-squares weights (m × K, zero outside each row's passive set) from the normal equations,
    each row's system gathered down to the largest passive set's size and solved in one batch."""
    columns, used = gathered_columns(passive)
    width = columns.shape[1]
    if width == 0:
        return np.zeros(passive.shape)
    systems = gram[columns[:, :, None], columns[:, None, :]] * (used[:, :, None] & used[:, None, :])
    systems += (~used)[:, :, None] * np.eye(width)
    rhs = np.take_along_axis(projections, columns, axis=1) * used
    try:
        values = np.linalg.solve(systems, rhs[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        values = (np.linalg.pinv(systems) @ rhs[:, :, None])[:, :, 0]
    return scattered(values, columns, used, passive.shape[1])
