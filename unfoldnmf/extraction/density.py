"""How many of the K signatures the samples carry: whether the sparse stage and the sparse refinement apply.

Both assume that each sample carries few of the cohort's signatures. Where samples carry most of them
(PCAWG-like catalogs built from SignatureAnalyzer's exposures: 19 of 20 signatures per sample), the
sparse refit behind them drops signatures that are present but small, and the signature update pushes
their mutations into the neighbours that remain: correct signatures turn into false ones.

The exposure density of a K's NMF signatures is the effective number of signatures per sample (the
exponential of the entropy of its exposure shares in the Poisson fit of its counts on all K signatures),
averaged over the samples weighted by their mutations, over K. Measured on NMF solutions at the true K
(``scripts/bench_many_signatures.py`` generators, SynSig): 0.36–0.45 on the sparse and mixed-tumour-type
cohorts and 0.20–0.56 on SynSig's 11–21-signature sets, where the refinement gains 0.01–0.67 in composite;
0.67–0.80 on dense-exposure cohorts of 8–26 signatures, where it loses 0.14–0.40. Where samples carry
fewer than :data:`FEW_SIGNATURES` effectively, the stages act whatever the density.
"""

from __future__ import annotations

import numpy as np

from ..config import ExtractionConfig
from ..exposures.refit import even_poisson_fit

#: Below this many signatures carried effectively per sample, the sparse refit drops no present signature (each
#: holds a large share) and the stages act whatever the density: the refinement separates SBS7a from SBS7b on
#: SynSig's 3-signature syn.2.7a.7b.abst (composite 2.967 -> 2.991, noisy; density 0.70, 2.1 signatures).
FEW_SIGNATURES = 4.0


def exposure_density(signatures: np.ndarray, counts: np.ndarray) -> float:
    """Mutation-weighted mean effective number of signatures per sample of ``counts`` (96 × N) on
    ``signatures`` (96 × K), over K: 1 when every sample carries all K evenly, 1/K when each carries one."""
    totals = counts.sum(axis=0)
    exposures = even_poisson_fit(signatures, counts)
    shares = exposures / np.maximum(exposures.sum(axis=0), 1e-300)
    entropy = -np.where(shares > 0, shares * np.log(np.maximum(shares, 1e-300)), 0.0).sum(axis=0)
    return float((np.exp(entropy) * totals).sum() / max(totals.sum(), 1e-300) / signatures.shape[1])


def sparse_decision(density: float, k: int, extraction: ExtractionConfig) -> tuple[bool, str]:
    """Whether the sparse stage and the refinement act at this ``density`` (:func:`exposure_density`) of ``k``
    signatures, and the selection reason's clause saying why: they act below ``extraction.sparse_density``, with
    fewer than :data:`FEW_SIGNATURES` signatures carried effectively, or always when ``sparse_density`` is None."""
    carried = f"; the samples carry, effectively, {density:.0%} of the {k} NMF signatures"
    limit = extraction.sparse_density
    if limit is None:
        return True, f"{carried} (sparse_density: null, so sparse exposures are assumed whatever the density)"
    if density < limit:
        return True, f"{carried} (below {limit:.0%}): sparse exposures are assumed"
    if density * k < FEW_SIGNATURES:
        return True, (f"{carried}, {density * k:.1f} signatures (fewer than {FEW_SIGNATURES:g}): sparse exposures "
                      f"are assumed")
    return False, (f"{carried} (at least {limit:.0%}): exposures are dense, so the sparse stage and the sparse "
                   f"refinement, which assume few signatures per sample, leave the NMF solution as it is")
