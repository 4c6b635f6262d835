"""Exposures of new samples on known signatures, one function per source of signatures."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import Config, RefitConfig
from ..io.channels import channel_set_of_table
from ..reference.cosmic import cosmic_signatures
from .bootstrap import bootstrap_exposures, intervals_table
from .composites import Composite, find_composites, folded_signatures
from .refit import cohort_candidates, even_poisson_fit, refit_exposures


@dataclass
class CohortFit:
    """A cohort's exposures (samples × K, in mutations) and the signatures they refer to: the given ones,
    with the cohort's composites (:mod:`unfoldnmf.exposures.composites`) folded into their anchors."""

    exposures: pd.DataFrame
    signatures: pd.DataFrame
    composites: list[Composite]
    candidates: np.ndarray | None  #: the sparse refit's cohort candidates (column indices); None for NNLS

    def composite_facts(self) -> list[dict]:
        """The composites by signature name, for ``run.json``."""
        names = list(self.signatures.columns)
        return [{"signature": names[c.anchor], "part": names[c.part], "ratio": round(c.ratio, 4),
                 "samples": c.carriers} for c in self.composites]


def fit_cohort(catalog: pd.DataFrame, signatures: pd.DataFrame, refit: RefitConfig | None = None) -> CohortFit:
    """Exposures of ``catalog`` (96 × samples) on ``signatures`` (96 × K), rows matched by channel label;
    ``refit`` picks the sparse refit (default) or plain NNLS. The sparse refit then looks for composites
    among the samples carrying each signature, with the ratios of the Poisson fit on every cohort
    candidate (:func:`unfoldnmf.exposures.refit.cohort_candidates`), and, where it finds some, refits the
    cohort on the folded signatures among the same candidates."""
    refit = refit or RefitConfig()
    counts = catalog.loc[signatures.index].to_numpy(dtype=float)
    fitted, background = signatures.to_numpy(dtype=float), _background(signatures, refit)
    if refit.method == "nnls":
        exposures, composites, candidates = refit_exposures(fitted, counts, refit), [], None
    else:
        candidates = cohort_candidates(fitted, counts, refit, background)
        exposures = refit_exposures(fitted, counts, refit, candidates=candidates, background=background)
        composites = []
        if refit.composite_share:  # composites off: no fit on every candidate
            amounts = _candidate_amounts(fitted, counts, candidates, exposures.shape)
            composites = find_composites(exposures, refit, amounts)
        if composites:
            fitted = folded_signatures(fitted, composites)
            exposures = refit_exposures(fitted, counts, refit, candidates=candidates, background=background)
    samples = pd.Index(catalog.columns, name="Samples")
    return CohortFit(exposures=pd.DataFrame(exposures.T, index=samples, columns=signatures.columns),
                     signatures=pd.DataFrame(fitted, index=signatures.index, columns=signatures.columns),
                     composites=composites, candidates=candidates)


def fit_signatures(catalog: pd.DataFrame, signatures: pd.DataFrame, refit: RefitConfig | None = None) -> pd.DataFrame:
    """The exposures of :func:`fit_cohort` (samples × signatures, in mutations)."""
    return fit_cohort(catalog, signatures, refit).exposures


def bootstrap_signatures(catalog: pd.DataFrame, signatures: pd.DataFrame, exposures: pd.DataFrame,
                         refit: RefitConfig | None = None, replicates: int = 100, confidence: float = 0.95,
                         seed: int = 0, progress: bool = False, candidates: np.ndarray | None = None) -> pd.DataFrame:
    """Bootstrap intervals of ``exposures`` (from :func:`fit_signatures` of ``catalog`` on
    ``signatures``) as a long table: see :func:`unfoldnmf.exposures.bootstrap.intervals_table`.
    ``candidates``: the cohort candidates the fit used (:attr:`CohortFit.candidates`; None: found anew)."""
    refit = refit or RefitConfig()
    counts = catalog.loc[signatures.index].to_numpy(dtype=float)
    intervals = bootstrap_exposures(signatures.to_numpy(dtype=float), counts, refit, replicates, confidence, seed,
                                    progress, background=_background(signatures, refit), candidates=candidates)
    return intervals_table(exposures, intervals)


def _candidate_amounts(signatures: np.ndarray, counts: np.ndarray, candidates: np.ndarray,
                       shape: tuple[int, int]) -> np.ndarray:
    """Exposures (``shape``: K × N) of the Poisson fit on every cohort candidate, zero for the others."""
    amounts = np.zeros(shape)
    amounts[candidates] = even_poisson_fit(signatures[:, candidates], counts)
    return amounts


def _background(signatures: pd.DataFrame, refit: RefitConfig) -> np.ndarray:
    """Which columns of ``signatures`` are the refit's background signatures (by name)."""
    return signatures.columns.isin(refit.background)


def fit_cosmic(catalog: pd.DataFrame, names: list[str] | None = None, refit: RefitConfig | None = None) -> pd.DataFrame:
    """:func:`fit_signatures` on the packaged COSMIC v3.4 signatures ``names`` of the catalog's
    channel set (SBS-96, DBS-78 or ID-83; all of them when None)."""
    return fit_signatures(catalog, cosmic_signatures(names, channel_set_of_table(catalog)), refit)


def exposures_from_model(catalog: pd.DataFrame, model_path: str | Path,
                         config: Config | None = None) -> tuple[pd.DataFrame, dict]:
    """Exposures (samples × K, in mutations) of ``catalog`` (96 × N) from a trained ``model.pt``:
    one forward pass of its network, in the dtype it was trained in, on ``config.device``, then the
    gate it was trained with (:class:`unfoldnmf.exposures.learned.Gate`; none in older files). Returns
    the table and the facts for ``run.json``."""
    from ..hpc.device import resolve_device, resolve_dtype  # noqa: PLC0415  (torch: only a model needs it)
    from ..network.model_file import load_model  # noqa: PLC0415
    from .learned import gated_predictions, model_gate, table_signatures  # noqa: PLC0415

    config = config or Config()
    model = load_model(model_path, list(catalog.index))
    device, dtype = resolve_device(config.device), resolve_dtype(model.dtype)
    started = time.perf_counter()
    gate = model_gate(model.reference, (model.metadata.get("config") or {}).get("network") or {})
    exposures = gated_predictions(model.network, catalog, model.signatures, device, dtype, gate,
                                  table_signatures(model.signatures, model.metadata.get("training") or {}))
    info = {"source": "model", "model_architecture": model.metadata["architecture"],
            "model_version": model.metadata["unfoldnmf_version"], "samples": int(catalog.shape[1]),
            "device": str(device), "dtype": str(dtype).removeprefix("torch."), "gate": None if gate is None else
            {"share": gate.share, "floor": gate.floor}, "seconds_fit": round(time.perf_counter() - started, 3)}
    return exposures, info
