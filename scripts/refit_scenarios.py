"""Refit benchmark scenarios: the shapes of data users bring, beyond cohorts of one tumour type.

Each scenario is a list of calls, each a catalog fitted in one call as a user fits it, with the true
exposures of its samples and each sample's nominal depth (the row of the table it is scored in).
The tumour types, their signatures and drift come from ``tissue_cohorts.py``; none of these
scenarios tuned a refit setting except ``homogeneous`` (see README, "Refitting known signatures").

- ``homogeneous``: one call per tumour type and depth (the shape the defaults were tuned on);
- ``pan-cancer``: one catalog of every tumour type at every depth, mixed;
- ``small``: single samples and cohorts of five, tumour types drawn at random;
- ``unknown-shared`` / ``unknown-private``: one-type cohorts where 10–30 % of each sample's mutations come
  from a signature the reference lacks, the same one in every sample of a cohort or another in each;
- ``withheld``: one-type cohorts fitted on the reference without :data:`WITHHELD`, real signatures some types
  carry (the scenario that chose ``refit.unexplained_z`` and ``refit.unexplained_tolerance``);
- ``exome``: a pan-cancer batch of exomes (exome-normalised signatures, 20 to 1 000 mutations);
- ``real``: real genomes (``--real TABLE``, e.g. the 21 breast cancer genomes in SigProfilerAssignment's
  package data) thinned to each depth; their truth is the consensus of the full catalogs' fits (see
  :func:`thinned`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tissue_cohorts import TUMOUR_TYPES, tissue_mix

#: Signatures expected to give fewer mutations than this are set to zero in the truth (BENCHMARK.md).
MIN_EXPECTED = 10
#: Share of each sample's mutations from the unknown process, drawn uniformly in this range.
UNKNOWN_SHARE = (0.1, 0.3)
#: Highest cosine an unknown signature may have to any reference signature.
UNKNOWN_MAX_COSINE = 0.7
#: COSMIC signatures the ``withheld`` scenario removes from the reference it fits with: each far from every other
#: reference signature (highest cosine 0.48–0.75), carried by five of the eight tumour types.
WITHHELD = ("SBS13", "SBS16", "SBS17b", "SBS40b")
#: Sizes of the small cohorts of ``small`` (a single sample and a clinical handful).
SMALL_SIZES = (1, 5)


@dataclass
class Call:
    """A catalog (channels × samples) fitted in one call, the true exposures (samples × signatures, in
    mutations; the reference's names) and each sample's nominal depth."""

    catalog: pd.DataFrame
    truth: pd.DataFrame
    depth: pd.Series


def at_depth(signatures: pd.DataFrame, weights: pd.DataFrame, depth: int, rng: np.random.Generator,
             hidden: tuple[str, ...] = ()) -> Call:
    """The call of exposure ``weights`` (samples × columns of ``signatures``) rescaled to ``depth`` mutations:
    a signature expected to give fewer than :data:`MIN_EXPECTED` is set to zero (the largest always stays) and
    the rest rescaled; counts are drawn multinomially. ``hidden`` columns (processes the reference lacks)
    produce mutations but are left out of the truth. Samples are named ``NAME@DEPTH``."""
    expected = weights.to_numpy() / weights.to_numpy().sum(axis=1, keepdims=True) * depth
    expected[(expected < MIN_EXPECTED) & (expected < expected.max(axis=1, keepdims=True))] = 0
    expected = expected / expected.sum(axis=1, keepdims=True) * depth
    mix = signatures[weights.columns].to_numpy() @ (expected / depth).T
    counts = np.stack([rng.multinomial(depth, column / column.sum()) for column in mix.T], axis=1)
    names = [f"{name}@{depth}" for name in weights.index]
    truth = pd.DataFrame(expected, index=names, columns=weights.columns)
    truth = truth.drop(columns=[c for c in hidden if c in truth.columns])
    truth = truth.loc[:, (truth > 0).any()]
    return Call(pd.DataFrame(counts.astype(float), index=signatures.index, columns=names), truth,
                pd.Series(depth, index=names))


def tissue_call(reference: pd.DataFrame, tumour_type: str, depth: int, samples: int, seed: int,
                hidden: tuple[str, ...] = ()) -> Call:
    """``samples`` tumours of one type at ``depth`` (the same exposure shares at every depth); ``hidden``: as
    for :func:`at_depth`."""
    signatures, weights = tissue_mix(reference, tumour_type, samples, seed)
    return at_depth(signatures, weights, depth, np.random.default_rng([seed, list(TUMOUR_TYPES).index(tumour_type),
                                                                        depth]), hidden)


def merged(calls: list[Call]) -> Call:
    """One call holding the samples of ``calls`` (sample names must differ)."""
    return Call(pd.concat([c.catalog for c in calls], axis=1), pd.concat([c.truth for c in calls]).fillna(0.0),
                pd.concat([c.depth for c in calls]))


def homogeneous(reference: pd.DataFrame, depths: list[int], samples: int, seed: int) -> list[Call]:
    """One call per tumour type and depth."""
    return [tissue_call(reference, name, depth, samples, seed) for depth in depths for name in TUMOUR_TYPES]


def pan_cancer(reference: pd.DataFrame, depths: list[int], samples: int, seed: int) -> list[Call]:
    """One call: ``samples`` tumours of every type at every depth, in one catalog."""
    return [merged([tissue_call(reference, name, depth, samples, seed) for depth in depths for name in TUMOUR_TYPES])]


def small(reference: pd.DataFrame, depths: list[int], samples: int, seed: int) -> list[Call]:
    """Cohorts of each size in :data:`SMALL_SIZES`, ``samples`` tumours per size and depth, each tumour's type
    drawn at random (a clinical batch is whatever came in)."""
    rng = np.random.default_rng([seed, 7])
    calls = []
    for depth in depths:
        pool = merged([tissue_call(reference, name, depth, samples, seed + 1) for name in TUMOUR_TYPES])
        for size in SMALL_SIZES:
            types = rng.choice(list(TUMOUR_TYPES), size=samples - samples % size)
            taken = {name: 0 for name in TUMOUR_TYPES}
            chosen = []
            for name in types:
                chosen.append(f"{name}:{taken[name]}@{depth}")
                taken[name] += 1
            for start in range(0, len(chosen), size):
                names = chosen[start:start + size]
                renamed = {n: f"{n}/{size}" for n in names}
                calls.append(Call(pool.catalog[names].rename(columns=renamed),
                                  pool.truth.loc[names].rename(index=renamed).loc[:, lambda t: (t > 0).any()],
                                  pool.depth.loc[names].rename(index=renamed)))
    return calls


def withheld(reference: pd.DataFrame, depths: list[int], samples: int, seed: int) -> list[Call]:
    """One call per tumour type and depth, as :func:`homogeneous`, with the :data:`WITHHELD` signatures'
    mutations left out of the truth (the caller fits without them): the draws of :func:`homogeneous`."""
    return [tissue_call(reference, name, depth, samples, seed, WITHHELD) for depth in depths for name in TUMOUR_TYPES]


def unknown_signatures(reference: pd.DataFrame, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` spectra (channels × count) drawn from a sparse Dirichlet, each with cosine at most
    :data:`UNKNOWN_MAX_COSINE` to every reference signature."""
    unit = reference.to_numpy() / np.linalg.norm(reference.to_numpy(), axis=0)
    found = []
    while len(found) < count:
        spectrum = rng.dirichlet(np.full(reference.shape[0], 0.3))
        if (spectrum @ unit / np.linalg.norm(spectrum)).max() <= UNKNOWN_MAX_COSINE:
            found.append(spectrum)
    return np.stack(found, axis=1)


def with_unknown(reference: pd.DataFrame, depths: list[int], samples: int, seed: int, shared: bool) -> list[Call]:
    """One call per tumour type and depth, 10–30 % of each sample's mutations from an unknown process:
    one per cohort (``shared``) or one per sample."""
    calls = []
    for index, name in enumerate(TUMOUR_TYPES):
        signatures, weights = tissue_mix(reference, name, samples, seed)
        rng = np.random.default_rng([seed, index, 99])
        spectra = unknown_signatures(reference, 1 if shared else samples, rng)
        hidden = [f"unknown{i}" for i in range(spectra.shape[1])]
        signatures = pd.concat([signatures, pd.DataFrame(spectra, index=signatures.index, columns=hidden)], axis=1)
        share = rng.uniform(*UNKNOWN_SHARE, size=samples)
        known = weights.to_numpy() / weights.to_numpy().sum(axis=1, keepdims=True) * (1 - share)[:, None]
        extra = np.zeros((samples, len(hidden)))
        extra[np.arange(samples), 0 if shared else np.arange(samples)] = share
        weights = pd.DataFrame(np.hstack([known, extra]), index=weights.index, columns=[*weights.columns, *hidden])
        for depth in depths:
            calls.append(at_depth(signatures, weights, depth, np.random.default_rng([seed, index, depth]),
                                  tuple(hidden)))
    return calls


def thinned(full: pd.DataFrame, shares: pd.DataFrame, depths: list[int], replicates: int, seed: int) -> list[Call]:
    """Real catalogs ``full`` (channels × samples) thinned to each depth below a sample's count (drawn without
    replacement), ``replicates`` draws per depth, one call per draw; the truth is ``shares`` (samples ×
    signatures, each row summing to 1: the consensus of the full catalogs' fits) × depth, with the
    :data:`MIN_EXPECTED` rule."""
    rng = np.random.default_rng([seed, 21])
    calls = []
    for depth in depths:
        deep = [s for s in full.columns if full[s].sum() >= depth]
        for replicate in range(replicates):
            names = [f"{s}#{replicate}@{depth}" for s in deep]
            counts = np.stack([rng.multivariate_hypergeometric(full[s].to_numpy().astype(np.int64), depth)
                               for s in deep], axis=1)
            expected = shares.loc[deep].to_numpy() * depth
            expected[(expected < MIN_EXPECTED) & (expected < expected.max(axis=1, keepdims=True))] = 0
            expected = expected / expected.sum(axis=1, keepdims=True) * depth
            calls.append(Call(pd.DataFrame(counts.astype(float), index=full.index, columns=names),
                              pd.DataFrame(expected, index=names, columns=shares.columns),
                              pd.Series(depth, index=names)))
    return calls
