"""Exposures from an unfolded network trained on the user's own catalog: the training cohort drawn
from a first-pass refit, and the gate that turns the network's output into exact zeros."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..config import Config
from ..errors import InputError
from ..network.supervised import SupervisedFit, predict_exposures, train_supervised
from ..nmf.updates import update_h_kl
from .fit import fit_cohort
from .refit import POLISH_START_FLOOR, share_gate

#: Depths (mutations per sample) at which :func:`first_pass_cohort` redraws each sample's shares.
TRAINING_DEPTHS = (50, 100, 300, 1000, 3000, 10000, 50000)
#: Samples of the catalog a first-pass cohort draws from (a random subset of larger catalogs).
FIRST_PASS_SAMPLES = 2500
#: KL iterations of the gate's Poisson fit: from the network's exposures 10 give the TAE of 25 to
#: 0.001 on the SynSig tuning cohorts (100 / 2 000 / 50 000 mutations) in 40 % of the time.
GATE_ITERATIONS = 10
#: Samples per chunk of the gate's Poisson fit.
GATE_CHUNK = 16384


def first_pass_cohort(signatures: pd.DataFrame, catalog: pd.DataFrame,
                      config: Config) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """A training cohort shaped like the user's own: (the cohort's signatures, catalog, exposures,
    where it came from). The sparse refit of ``catalog`` on ``signatures`` (``config.refit``) gives
    each sample's exposure shares (which signatures occur together, how sparse they are); the
    signatures it gives mutations to in some sample are the cohort's (the network is built on those
    alone: a signature no sample carries would only cost time and false positives), and each share
    vector is redrawn multinomially at every depth of :data:`TRAINING_DEPTHS`,
    ``config.network.redraws`` times (samples without mutations left out; of more than
    :data:`FIRST_PASS_SAMPLES`, a random subset)."""
    cohort = fit_cohort(catalog, signatures, config.refit)
    first, signatures = cohort.exposures, cohort.signatures
    first = first[first.sum(axis=1) > 0]
    if first.empty:
        raise InputError("supervised training: the catalog has no sample with mutations on the signatures")
    rng = np.random.default_rng(config.seed)
    if len(first) > FIRST_PASS_SAMPLES:
        first = first.iloc[np.sort(rng.choice(len(first), FIRST_PASS_SAMPLES, replace=False))]
    first = first.loc[:, (first > 0).any(axis=0)]
    signatures = signatures[first.columns]
    shares = first.to_numpy() / first.to_numpy().sum(axis=1, keepdims=True)
    spectra = shares @ signatures.to_numpy().T
    spectra /= spectra.sum(axis=1, keepdims=True)
    copies = [(depth, copy) for depth in TRAINING_DEPTHS for copy in range(config.network.redraws)]
    counts = np.concatenate([rng.multinomial(depth, spectra) for depth, _ in copies]).T.astype(float)
    names = [f"{sample}@{depth}.{copy}" for depth, copy in copies for sample in first.index]
    table = pd.DataFrame(counts, index=signatures.index, columns=names)
    truth = pd.DataFrame(np.concatenate([shares * depth for depth, _ in copies]), index=names,
                         columns=signatures.columns)
    source = (f"first-pass refit of the catalog ({len(first)} samples, {signatures.shape[1]} signatures) redrawn "
              f"at {len(TRAINING_DEPTHS)} depths ({TRAINING_DEPTHS[0]}-{TRAINING_DEPTHS[-1]} mutations) "
              f"x {config.network.redraws}")
    return signatures, table, truth, source


def train_on_catalog(signatures: pd.DataFrame, catalog: pd.DataFrame, config: Config,
                     progress: bool = False) -> SupervisedFit:
    """:func:`unfoldnmf.network.supervised.train_supervised` on :func:`first_pass_cohort` of ``catalog``:
    the network (and ``SupervisedFit.signatures``) holds the cohort's signatures only; the names of
    all of ``signatures`` go to ``info["signatures_given"]``, the columns of its exposures tables
    (:func:`table_signatures`: the others at zero)."""
    cohort_signatures, table, truth, source = first_pass_cohort(signatures, catalog, config)
    fit = train_supervised(cohort_signatures, config, table, truth, progress=progress)
    fit.info["training_data"] = source
    fit.info["signatures_given"] = list(signatures.columns)
    return fit


def table_signatures(network_signatures: list[str], training_info: dict) -> list[str]:
    """The columns of a network's exposures tables: every signature it was given to train on
    (``training_info["signatures_given"]``), else the ones it holds."""
    return list(training_info.get("signatures_given") or network_signatures)


@dataclass
class Gate:
    """Exact zeros for the signatures a sample lacks: a predicted exposure below ``share`` / √mutations
    of the sample (at least ``floor``) is zeroed (:func:`unfoldnmf.exposures.refit.share_gate`), and the
    Poisson fit on the reference ``signatures`` (96 × K) moves the rest to the maximum-likelihood
    exposures on that support."""

    signatures: np.ndarray
    share: float
    floor: float

    def __post_init__(self):
        # torch keeps a numpy array's strides, and a float32 product depends on them: row-major always,
        # so a model's gate gives the same exposures in `train` (a pandas table) and `fit` (the model file)
        self.signatures = np.ascontiguousarray(self.signatures, dtype=float)

    def apply(self, exposures: np.ndarray, counts: np.ndarray, device: torch.device = torch.device("cpu"),
              dtype: torch.dtype = torch.float64) -> np.ndarray:
        """Gated exposures (K × N) of network ``exposures`` (K × N) of ``counts`` (96 × N); the Poisson
        fit (:data:`GATE_ITERATIONS` KL steps of the solver's exposure updates, zeros stay zero) runs in
        torch on ``device`` and ``dtype``, :data:`GATE_CHUNK` samples at a time."""
        keep = share_gate(exposures, counts.sum(axis=0), self.share, self.floor)
        start = np.where(keep, np.maximum(exposures, POLISH_START_FLOOR), 0.0)
        W = torch.tensor(self.signatures, dtype=dtype, device=device)
        gated = np.empty_like(start)
        with torch.no_grad():
            for first in range(0, counts.shape[1], GATE_CHUNK):
                columns = slice(first, first + GATE_CHUNK)
                X = torch.tensor(np.ascontiguousarray(counts[:, columns]), dtype=dtype, device=device)
                H = torch.tensor(np.ascontiguousarray(start[:, columns]), dtype=dtype, device=device)
                for _ in range(GATE_ITERATIONS):
                    H = update_h_kl(X, W, H)
                gated[:, columns] = H.cpu().double().numpy()
        return gated


def model_gate(reference: np.ndarray | None, network_config: dict) -> Gate | None:
    """The gate a model was trained with (its config's ``network.gate``, ``gate_floor``), or None:
    a model file without reference signatures (written before 2026-12-03) or with gate 0."""
    if reference is None or not network_config.get("gate"):
        return None
    return Gate(reference, float(network_config["gate"]), float(network_config.get("gate_floor", 0.0)))


def gated_predictions(network, catalog: pd.DataFrame, signature_names: list[str], device: torch.device,
                      dtype: torch.dtype, gate: Gate | None, columns: list[str] | None = None) -> pd.DataFrame:
    """:func:`unfoldnmf.network.supervised.predict_exposures`, then ``gate`` when there is one;
    ``columns`` (see :func:`table_signatures`) adds the signatures the network lacks, at zero."""
    exposures = predict_exposures(network, catalog, signature_names, device, dtype)
    if gate is not None:
        gated = gate.apply(exposures.to_numpy().T, catalog.to_numpy(dtype=float), device, dtype).T
        exposures = pd.DataFrame(gated, index=exposures.index, columns=exposures.columns)
    return exposures if columns is None else exposures.reindex(columns=columns, fill_value=0.0)
