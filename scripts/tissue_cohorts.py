"""Refit benchmark cohorts simulated from the bundled COSMIC v3.4 SBS signatures, a second data
source beside the SynSig cohorts (added before any refit rule was tuned on it: see README).

Eight tumour types, each a list of signatures with the share of samples carrying it and its typical
share of a carrier's mutations. The lists are approximations of PCAWG/COSMIC tissue compositions
written for this benchmark (clock-like SBS1/SBS5 everywhere, SBS40a broad, tobacco in lung, UV in
skin, APOBEC in breast and bladder-like types, HRD in breast and ovary, rare repair-deficient
samples), not a published table. Per sample: each signature is present with its prevalence (SBS5
always), with weight typical share × log-normal(0, 1); ``refit_scenarios.py`` scales the weights to
each depth and draws the counts as for the SynSig cohorts.

Real spectra never equal the reference, so the counts are drawn from drifted copies of the
signatures: each type perturbs each of its signatures once (every channel × exp(σ·z), z standard
normal, σ = ``DRIFT``), and every method fits the unperturbed reference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Log-scale perturbation of every channel of a type's signatures (mean cosine to the reference 0.988, lowest 0.967).
DRIFT = 0.2

#: Tumour type -> {signature: (share of samples carrying it, typical share of its mutations)}.
TUMOUR_TYPES: dict[str, dict[str, tuple[float, float]]] = {
    "lung": {"SBS1": (0.8, 0.05), "SBS2": (0.4, 0.1), "SBS4": (0.7, 0.5), "SBS5": (1.0, 0.25), "SBS13": (0.4, 0.1),
             "SBS40a": (0.5, 0.15), "SBS92": (0.2, 0.1), "SBS17b": (0.05, 0.05)},
    "melanoma": {"SBS7a": (0.9, 0.5), "SBS7b": (0.9, 0.3), "SBS7c": (0.3, 0.05), "SBS7d": (0.2, 0.03),
                 "SBS1": (0.5, 0.02), "SBS5": (1.0, 0.1), "SBS38": (0.3, 0.05), "SBS40a": (0.2, 0.1)},
    "colorectal": {"SBS1": (1.0, 0.25), "SBS5": (1.0, 0.3), "SBS40a": (0.6, 0.2), "SBS18": (0.6, 0.1),
                   "SBS17a": (0.15, 0.05), "SBS17b": (0.2, 0.1), "SBS88": (0.1, 0.1), "SBS93": (0.15, 0.05),
                   "SBS44": (0.05, 0.4), "SBS10a": (0.03, 0.4), "SBS10b": (0.03, 0.3)},
    "breast": {"SBS1": (0.9, 0.1), "SBS2": (0.6, 0.15), "SBS13": (0.6, 0.15), "SBS3": (0.35, 0.3), "SBS5": (1.0, 0.3),
               "SBS8": (0.3, 0.1), "SBS18": (0.3, 0.05), "SBS40a": (0.4, 0.15), "SBS17b": (0.05, 0.05)},
    "liver": {"SBS1": (0.8, 0.05), "SBS4": (0.2, 0.2), "SBS5": (1.0, 0.3), "SBS12": (0.4, 0.2), "SBS16": (0.3, 0.2),
              "SBS22a": (0.05, 0.4), "SBS24": (0.05, 0.3), "SBS40a": (0.6, 0.25), "SBS17b": (0.1, 0.05)},
    "stomach": {"SBS1": (0.9, 0.15), "SBS5": (1.0, 0.2), "SBS17a": (0.6, 0.1), "SBS17b": (0.7, 0.25),
                "SBS18": (0.5, 0.1), "SBS2": (0.2, 0.05), "SBS13": (0.2, 0.05), "SBS3": (0.15, 0.1),
                "SBS40a": (0.4, 0.15), "SBS15": (0.05, 0.3), "SBS44": (0.05, 0.3)},
    "kidney": {"SBS1": (0.7, 0.05), "SBS5": (1.0, 0.4), "SBS40a": (0.9, 0.4), "SBS40b": (0.3, 0.2),
               "SBS22a": (0.03, 0.3), "SBS41": (0.05, 0.1), "SBS4": (0.05, 0.1)},
    "ovary": {"SBS1": (0.9, 0.15), "SBS3": (0.6, 0.3), "SBS5": (1.0, 0.25), "SBS8": (0.3, 0.1), "SBS2": (0.3, 0.05),
              "SBS13": (0.3, 0.05), "SBS40a": (0.4, 0.15), "SBS10a": (0.03, 0.4), "SBS10b": (0.03, 0.3),
              "SBS44": (0.1, 0.3), "SBS14": (0.02, 0.3)},
}


def drifted(signatures: pd.DataFrame, rng: np.random.Generator, sigma: float = DRIFT) -> pd.DataFrame:
    """Each column of ``signatures`` with every channel multiplied by exp(σ·z), renormalised."""
    values = signatures.to_numpy() * np.exp(sigma * rng.standard_normal(signatures.shape))
    return pd.DataFrame(values / values.sum(axis=0), index=signatures.index, columns=signatures.columns)


def tissue_mix(reference: pd.DataFrame, tumour_type: str, samples: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(drifted signatures 96 × the type's signatures, exposure weights samples × those signatures)
    of ``samples`` tumours of one type; the depth and the counts are the benchmark's to draw."""
    composition = TUMOUR_TYPES[tumour_type]
    names = list(composition)
    prevalence, share = (np.array(v) for v in zip(*composition.values()))
    rng = np.random.default_rng([seed, list(TUMOUR_TYPES).index(tumour_type)])
    signatures = drifted(reference[names], rng)
    present = rng.random((samples, len(names))) < prevalence
    present[:, names.index("SBS5")] = True
    weights = np.where(present, share * rng.lognormal(0.0, 1.0, size=present.shape), 0.0)
    return signatures, pd.DataFrame(weights, index=[f"{tumour_type}:{i}" for i in range(samples)], columns=names)
