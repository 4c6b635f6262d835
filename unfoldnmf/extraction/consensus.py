"""Consensus of replicate solutions: one-to-one clustering of replicate signatures and its stability."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..nmf.scores import cosine_matrix


@dataclass
class Consensus:
    """K consensus signatures and how reproducible each one is across replicates."""

    signatures: np.ndarray  #: (96, K), columns sum to 1
    labels: np.ndarray  #: (R, K): cluster of replicate r's signature j
    stability: np.ndarray  #: (K,): mean silhouette (cosine distance) of each cluster's members; NaN when undefined


def _match_to_centroids(replicates: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    labels = np.empty(replicates.shape[::2], dtype=int)
    for r, signatures in enumerate(replicates):
        rows, cols = linear_sum_assignment(-cosine_matrix(signatures, centroids))
        labels[r, rows] = cols
    return labels


def _centroids(replicates: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    members = replicates.transpose(0, 2, 1).reshape(-1, replicates.shape[1])
    flat = labels.reshape(-1)
    centroids = np.stack([members[flat == j].mean(axis=0) for j in range(k)], axis=1)
    totals = centroids.sum(axis=0, keepdims=True)
    # A cluster of all-zero signatures (a replicate that left a signature unused) has no direction:
    # flat, rather than 0/0.
    return np.where(totals > 0, centroids / np.where(totals > 0, totals, 1.0), 1.0 / centroids.shape[0])


def silhouette_by_cluster(points: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Mean silhouette width of each cluster with cosine distance; ``points`` is (d × n).

    Undefined (NaN) for a single cluster (K = 1: there is nothing to tell it apart from) and for
    clusters of one member (one replicate: every K would look perfectly stable)."""
    sizes = np.bincount(labels, minlength=k).astype(float)
    if k == 1 or (sizes <= 1).all():
        return np.full(k, np.nan)
    distance = 1.0 - cosine_matrix(points, points)
    sums = np.stack([distance[:, labels == j].sum(axis=1) for j in range(k)], axis=1)
    own = sums[np.arange(len(labels)), labels] / np.maximum(sizes[labels] - 1, 1)
    others = sums / sizes
    others[np.arange(len(labels)), labels] = np.inf
    nearest = others.min(axis=1)
    width = (nearest - own) / np.maximum(np.maximum(nearest, own), 1e-12)
    return np.array([width[labels == j].mean() for j in range(k)])


def consensus(replicates: np.ndarray, objectives: np.ndarray, max_rounds: int = 50) -> Consensus:
    """Cluster the K signatures of each of R replicates into K clusters, one member per replicate.

    ``replicates`` is (R, 96, K). Starts from the signatures of the replicate with the lowest
    ``objectives`` (each replicate's fit judged on the same catalog) and alternates optimal
    one-to-one matching of every replicate to the centroids with centroid updates.
    """
    k = replicates.shape[2]
    centroids = replicates[int(np.argmin(objectives))]
    labels = _match_to_centroids(replicates, centroids)
    for _ in range(max_rounds):
        centroids = _centroids(replicates, labels, k)
        updated = _match_to_centroids(replicates, centroids)
        if np.array_equal(updated, labels):
            break
        labels = updated
    points = replicates.transpose(1, 0, 2).reshape(replicates.shape[1], -1)
    stability = silhouette_by_cluster(points, labels.reshape(-1), k)
    return Consensus(signatures=centroids, labels=labels, stability=stability)
