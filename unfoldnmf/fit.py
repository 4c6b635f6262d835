"""Exposures of new samples on known signatures, one function per source of signatures."""

from __future__ import annotations

import pandas as pd

from .config import RefitConfig
from .reference import cosmic_signatures
from .refit import refit_exposures


def fit_signatures(catalog: pd.DataFrame, signatures: pd.DataFrame, refit: RefitConfig | None = None) -> pd.DataFrame:
    """Exposures (samples × signatures, in mutations) of ``catalog`` (96 × samples) on ``signatures``
    (96 × K), rows matched by channel label; ``refit`` picks the sparse refit (default) or plain NNLS."""
    refit = refit or RefitConfig()
    counts = catalog.loc[signatures.index].to_numpy(dtype=float)
    exposures = refit_exposures(signatures.to_numpy(dtype=float), counts, refit.method, refit.min_deviance_gain)
    return pd.DataFrame(exposures.T, index=pd.Index(catalog.columns, name="Samples"), columns=signatures.columns)


def fit_cosmic(catalog: pd.DataFrame, names: list[str] | None = None, refit: RefitConfig | None = None) -> pd.DataFrame:
    """:func:`fit_signatures` on the packaged COSMIC v3.4 signatures ``names`` (all 86 when None)."""
    return fit_signatures(catalog, cosmic_signatures(names), refit)
