"""Cohort generators for the de novo benchmarks, each shaped differently from the one our defaults were
tuned on (``bench_many_signatures.simulate``: each signature in 10–40 % of samples, 2–10 % for rare ones).

- ``dense``: every signature in most samples (presence 85–100 % each, log-normal weights with log-sd
  0.5 per sample and 0.5 per signature: even exposures), as in PCAWG-like catalogs built from
  SignatureAnalyzer's exposures, where a 20-signature cohort carries 19 signatures per sample;
- ``mixed``: a pan-cancer cohort of the eight tumour types of ``tissue_cohorts.py`` (their signatures,
  prevalences and typical shares, without drift), 15–30 % of the samples lung, breast and colorectal
  alike, fewer of the rarer types (shares of PCAWG's histologies, rounded).
Both draw log-normal totals (median ``median_total``, log-sd 0.8) and Poisson counts, from the bundled
COSMIC v3.4 SBS-96 reference (GRCh37). They return (catalog 96 × samples, true signatures, each one's
share of the mutations), like ``bench_many_signatures.simulate``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from tissue_cohorts import TUMOUR_TYPES  # scripts/tissue_cohorts.py

from unfoldnmf.reference.classes import SIGNATURE_CLASSES
from unfoldnmf.nmf.scores import cosine_matrix
from unfoldnmf.reference.cosmic import cosmic_signatures

CLOCK_LIKE = ("SBS1", "SBS5")
SIMILAR = (0.8, 0.9)  #: cosine range of the deliberately similar pairs
#: Share of a pan-cancer cohort's samples of each tumour type.
TYPE_SHARES = {"lung": 0.15, "breast": 0.2, "colorectal": 0.15, "liver": 0.15, "kidney": 0.1, "melanoma": 0.1,
               "stomach": 0.08, "ovary": 0.07}


def choose_signatures(reference: pd.DataFrame, k: int, similar_pairs: int, rng: np.random.Generator) -> list[str]:
    """K signature names: SBS1, SBS5, ``similar_pairs`` pairs at cosine 0.8–0.9, then random others,
    never two above cosine 0.9."""
    names = list(reference.columns)
    cos = pd.DataFrame(cosine_matrix(reference.to_numpy(), reference.to_numpy()), index=names, columns=names)

    def fits(name: str, chosen: list[str]) -> bool:
        return name not in chosen and all(cos.loc[name, other] <= SIMILAR[1] for other in chosen)

    chosen, added = list(CLOCK_LIKE), 0
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:] if SIMILAR[0] <= cos.loc[a, b] <= SIMILAR[1]]
    for index in rng.permutation(len(pairs)):
        a, b = pairs[index]
        if added == similar_pairs or len(chosen) + 2 > k:
            break
        if fits(a, chosen) and fits(b, chosen + [a]):
            chosen, added = chosen + [a, b], added + 1
    for index in rng.permutation(len(names)):
        if len(chosen) == k:
            break
        if fits(names[index], chosen):
            chosen.append(names[index])
    if len(chosen) < k:
        raise SystemExit(f"only {len(chosen)} reference signatures are pairwise below cosine {SIMILAR[1]}")
    return chosen


def _reference() -> pd.DataFrame:
    reference = cosmic_signatures()
    return reference.drop(columns=[name for name in SIGNATURE_CLASSES["artefact"] if name in reference.columns])


def _counts(signatures: pd.DataFrame, weights: np.ndarray, median_total: float,
            rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    totals = rng.lognormal(np.log(median_total), 0.8, size=len(weights))
    exposures = weights / weights.sum(axis=1, keepdims=True) * totals[:, None]
    counts = rng.poisson(signatures.to_numpy() @ exposures.T)
    catalog = pd.DataFrame(counts, index=signatures.index, columns=[f"s{i + 1}" for i in range(len(weights))])
    used = exposures.sum(axis=0) > 0
    shares = pd.Series(exposures.sum(axis=0) / exposures.sum(), index=signatures.columns)
    return catalog, signatures.loc[:, used], shares[used]


def dense(k: int, samples: int, median_total: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """A cohort of ``k`` signatures (three pairs at cosine 0.8–0.9, none closer than 0.9), each present in
    85–100 % of the samples with even weights."""
    rng = np.random.default_rng([seed, k, 1])
    reference = _reference()
    signatures = reference[choose_signatures(reference, k, 3, rng)]
    present = rng.random((samples, k)) < rng.uniform(0.85, 1.0, size=k)
    present[~present.any(axis=1), 0] = True
    weights = present * rng.lognormal(0.0, 0.5, size=(samples, k)) * rng.lognormal(0.0, 0.5, size=k)
    return _counts(signatures, weights, median_total, rng)


def mixed(samples: int, median_total: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """A pan-cancer cohort of ``samples`` tumours of the eight types in :data:`TYPE_SHARES`."""
    rng = np.random.default_rng([seed, 2])
    names = sorted({name for composition in TUMOUR_TYPES.values() for name in composition})
    types = rng.choice(list(TYPE_SHARES), size=samples, p=list(TYPE_SHARES.values()))
    weights = np.zeros((samples, len(names)))
    for tumour_type, composition in TUMOUR_TYPES.items():
        rows = np.flatnonzero(types == tumour_type)
        for name, (prevalence, share) in composition.items():
            present = rng.random(len(rows)) < (1.0 if name == "SBS5" else prevalence)
            weights[rows, names.index(name)] = present * share * rng.lognormal(0.0, 1.0, size=len(rows))
    return _counts(_reference()[names], weights, median_total, rng)
