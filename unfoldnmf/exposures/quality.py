"""How well each sample's exposures explain its catalog: the per-sample goodness of fit."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..nmf.scores import poisson_deviance


def fit_quality(catalog: pd.DataFrame, signatures: pd.DataFrame, exposures: pd.DataFrame) -> pd.DataFrame:
    """One row per sample (``fit_quality.tsv``): its mutations, the signatures it was given, the mutations
    left unassigned (Σx − Σh: those the signatures cannot explain, :mod:`unfoldnmf.exposures.unexplained`;
    for NNLS, which does not keep counts, it may be negative), and the cosine similarity, relative L1 error
    Σ|x − Wh| / Σx and Poisson deviance of the reconstruction W·h against the catalog column x. ``catalog``
    is channels × samples, ``signatures`` channels × K, ``exposures`` samples × K."""
    counts = catalog.loc[signatures.index, exposures.index].to_numpy(dtype=float)
    reconstruction = signatures.to_numpy(dtype=float) @ exposures.to_numpy(dtype=float).T
    totals = counts.sum(axis=0)
    norms = np.linalg.norm(counts, axis=0) * np.linalg.norm(reconstruction, axis=0)
    cosine = np.divide((counts * reconstruction).sum(axis=0), norms, out=np.zeros_like(totals), where=norms > 0)
    l1 = np.divide(np.abs(counts - reconstruction).sum(axis=0), totals, out=np.zeros_like(totals), where=totals > 0)
    deviance = poisson_deviance(counts, reconstruction)
    return pd.DataFrame({"Mutations": totals, "Signatures": (exposures.to_numpy() > 0).sum(axis=1),
                         "Unassigned": totals - exposures.to_numpy(dtype=float).sum(axis=1),
                         "Cosine": cosine, "L1": l1, "Deviance": deviance},
                        index=pd.Index(exposures.index, name="Samples"))
