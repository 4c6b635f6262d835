"""Exposures for known signatures: plain NNLS and a sparse refit that gives each sample only the
signatures it needs (backward elimination among its candidates, then forward steps from the others), a
shallow sample helped by the samples it resembles or by the whole cohort."""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.optimize import nnls

from ..config import RefitConfig
from ..nmf.scores import poisson_deviance
from .active_set import active_set_nnls, gathered_columns, scattered
from .unexplained import explained_counts, fit_leaving_unexplained

#: Iteration cap of the Poisson polish (:func:`poisson_polish`): from the NNLS start it settles within 50
#: (measured on the tuning cohorts: TAE equal to 4 decimals at 100 and 500 iterations, 5 × the time).
POLISH_ITERATIONS = 100
#: Guard in the polish's denominators and logarithms, and its convergence check's cadence.
POLISH_GUARD, POLISH_CHECK_EVERY = 1e-30, 25
#: Smallest exposure a kept signature starts the polish at (a multiplicative update never leaves 0).
POLISH_START_FLOOR = 1e-3
#: Floor (in mutations) of the fitted counts in the Poisson variances of :func:`wald_statistics` and the
#: score statistics of :func:`add_signatures`: a channel no signature of the fit reaches still counts.
FITTED_FLOOR = 0.5
#: Most signatures :func:`add_signatures` gives one sample from outside its candidates.
MAX_ADDITIONS = 5
#: KL iterations of the Poisson fit on the cohort's signatures that :func:`shallow_exposures` gates
#: (from an even start; 40 gave a little more false positives on the tuning cohorts, same TAE).
SHALLOW_ITERATIONS = 200
#: Share under which :func:`shallow_exposures` drops a signature at any depth.
SHALLOW_FLOOR = 0.01
#: Floor of a channel's probability in :func:`borrowed_signatures` (a fitted spectrum is rarely exactly 0).
PROFILE_FLOOR = 1e-6
#: Most entries of the shallow samples × call likelihood matrix :func:`borrowed_signatures` holds at once
#: (2²⁴ float64: 128 MB), so that its memory does not grow with the square of the cohort.
LIKELIHOOD_ENTRIES = 2 ** 24
#: Samples eliminated together by :func:`sparse_exposures` (its largest temporaries, in
#: :func:`wald_statistics`, take about 3 × 8·96·K·chunk bytes: 200 MB at K = 86).
ELIMINATION_CHUNK = 1024


def nnls_exposures(signatures: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Non-negative least squares exposures (K × N) of each sample column of ``counts`` (96 × N;
    N may be 0, e.g. a process's share when there are more processes than samples)."""
    exposures = np.zeros((signatures.shape[1], counts.shape[1]))
    for j in range(counts.shape[1]):
        exposures[:, j] = nnls(signatures, counts[:, j])[0]
    return exposures


def dispersion(deviance: np.ndarray, channels: int, signatures: np.ndarray) -> np.ndarray:
    """Over-dispersion of fits: deviance per residual degree of freedom, at least 1 (Poisson)."""
    return np.maximum(1.0, deviance / np.maximum(channels - signatures, 1))


def sparse_exposures(signatures: np.ndarray, counts: np.ndarray, refit: RefitConfig,
                     background: np.ndarray | None = None, allowed: np.ndarray | None = None,
                     observed: np.ndarray | None = None) -> np.ndarray:
    """Backward elimination, every sample of ``counts`` (96 × N) at once: starting from NNLS on all
    signatures (96 × K), repeatedly drop the least significant signature (the smallest Wald
    statistic, :func:`wald_statistics`) while refitting without it raises the Poisson deviance of
    the fit by less than ``refit.min_deviance_gain`` (a likelihood-ratio test: 3.84 is the 5 % level
    of one degree of freedom), times the fit's
    over-dispersion (:func:`dispersion`) with ``refit.scale_by_dispersion``: a spectrum that no mix of
    the signatures fits exactly (another signature version, an artefact) is not explained with extra
    signatures, however many mutations it has. ``background`` (K, bool) marks signatures nearly every
    tumour carries (clock-like SBS1, SBS5): they are tested last, once the others are settled, and
    dropped only while that costs less than ``refit.background_deviance_gain`` × the dispersion (a
    signature that comes back as one of them goes sends the sample back to testing the others).
    ``observed`` (96 × N, default ``counts``): the counts whose fit's over-dispersion scales the gains; with
    ``refit.unexplained_z`` the signatures are chosen on the explained counts, while what no signature explains
    still counts as misfit, so it is not explained with extra signatures either. Returns exposures (K × N) in
    mutations.

    Each trial refits by NNLS on every signature not yet dropped, so a signature the first NNLS
    left at zero (collinear flat signatures share a spectrum's flat part arbitrarily) comes back
    when a neighbour goes; the trials of all samples run together (:func:`active_set_nnls`, warm
    from the current fit), in chunks of :data:`ELIMINATION_CHUNK` samples."""
    if counts.shape[1] > ELIMINATION_CHUNK:
        chunks = range(0, counts.shape[1], ELIMINATION_CHUNK)
        parts = [slice(start, start + ELIMINATION_CHUNK) for start in chunks]
        return np.concatenate([sparse_exposures(signatures, counts[:, part], refit, background,
                                                None if allowed is None else allowed[:, part],
                                                None if observed is None else observed[:, part])
                               for part in parts], axis=1)
    channels, k = signatures.shape
    background = np.zeros(k, dtype=bool) if background is None else np.asarray(background, dtype=bool)
    exposures = np.zeros((k, counts.shape[1]))
    samples = np.flatnonzero(counts.any(axis=0))
    if not len(samples):
        return exposures
    X = counts[:, samples]
    seen = None if observed is None else observed[:, samples]
    allowed = np.ones((len(samples), k), dtype=bool) if allowed is None else allowed[:, samples].T.copy()  # not dropped
    weights = active_set_nnls(signatures, X, allowed)  # (n, K)
    deviance = np.atleast_1d(poisson_deviance(X, signatures @ weights.T))
    misfit = deviance if seen is None else np.atleast_1d(poisson_deviance(seen, signatures @ weights.T))
    on_background = np.zeros(len(samples), dtype=bool)  # rows whose other signatures are settled
    running = (weights > 0).sum(axis=1) > 1
    while running.any():
        active = weights > 0
        testable = active & np.where(on_background[:, None], background, ~background)
        settled = running & ~testable.any(axis=1)
        running[settled & on_background] = False
        on_background[settled] = True
        rows = np.flatnonzero(running & testable.any(axis=1))
        if not len(rows):
            continue
        drop = np.where(testable[rows], wald_statistics(signatures, weights[rows]), np.inf).argmin(axis=1)
        trial = allowed[rows].copy()
        trial[np.arange(len(rows)), drop] = False
        start = np.where(trial, weights[rows], 0.0)
        trial_weights = active_set_nnls(signatures, X[:, rows], trial, start)
        trial_deviance = np.atleast_1d(poisson_deviance(X[:, rows], signatures @ trial_weights.T))
        scale = dispersion(misfit[rows], channels, active[rows].sum(axis=1)) if refit.scale_by_dispersion else 1.0
        gain = np.where(on_background[rows], refit.background_deviance_gain, refit.min_deviance_gain)
        accepted = trial_deviance - deviance[rows] < gain * scale
        dropped, kept = rows[accepted], rows[~accepted]
        entered = ((trial_weights[accepted] > 0) & ~active[dropped] & ~background).any(axis=1)
        on_background[dropped[entered]] = False  # a signature came back while a background one went: test it
        weights[dropped], deviance[dropped] = trial_weights[accepted], trial_deviance[accepted]
        if seen is not None:
            misfit[dropped] = poisson_deviance(seen[:, dropped], signatures @ trial_weights[accepted].T)
        allowed[dropped] = trial[accepted]
        running[kept[on_background[kept]]] = False
        on_background[kept] = True
        running[dropped] = (weights[dropped] > 0).sum(axis=1) > 1
    exposures[:, samples] = weights.T
    return exposures


def wald_statistics(signatures: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Wald statistic (n × K) of each signature a sample's fit uses (``weights``, n × K): weight² over
    its variance under the Poisson model, from the inverse Fisher information Wᵀdiag(1/μ)W on the
    signatures used (μ: the fitted counts, floored at :data:`FITTED_FLOOR`); inf for unused signatures.
    A flat signature that a collinear neighbour could replace has a large variance, however large
    its weight: it is tested before a small but distinct one."""
    columns, filled = gathered_columns(weights > 0)
    width = columns.shape[1]
    if width == 0:
        return np.full(weights.shape, np.inf)
    fitted = np.maximum(signatures @ weights.T, FITTED_FLOOR)  # 96 × n
    gathered = np.moveaxis(signatures[:, columns], 0, 1) * filled[:, None, :]  # n × 96 × width
    fisher = np.swapaxes(gathered / fitted.T[:, :, None], 1, 2) @ gathered + (~filled)[:, :, None] * np.eye(width)
    try:
        variances = np.diagonal(np.linalg.inv(fisher), axis1=1, axis2=2)
    except np.linalg.LinAlgError:  # collinear signatures in one fit: the pseudo-inverse
        variances = np.diagonal(np.linalg.pinv(fisher, hermitian=True), axis1=1, axis2=2)
    values = np.take_along_axis(weights, columns, axis=1) ** 2 / np.maximum(variances, 1e-300)
    return scattered(values, columns, filled, weights.shape[1], empty=np.inf)


def add_signatures(signatures: np.ndarray, counts: np.ndarray, weights: np.ndarray, joinable: np.ndarray,
                   refit: RefitConfig, observed: np.ndarray | None = None) -> np.ndarray:
    """Forward steps after the elimination: each sample of ``counts`` (96 × N) whose fit (``weights``,
    K × N) misses a ``joinable`` signature (K, or K × N per sample, bool: those outside its candidates) takes the one
    with the largest Poisson score statistic, and keeps it when the NNLS refit with it lowers the
    deviance by more than :func:`joining_gain` × the over-dispersion (of the fit with it);
    at most :data:`MAX_ADDITIONS` per sample, and a sample's first rejected signature ends its steps.
    Each trial refits by NNLS on the sample's signatures and the new one (one the trial puts at zero
    leaves). With ``borrow: cohort`` the joinable signatures are those outside the cohort's set: a deep
    sample with a process its cohort lacks gets it; with ``neighbours`` they are those the sample's own
    elimination dropped, reconsidered once its signatures have settled. A shallow sample rarely carries
    the evidence. ``observed``: as for :func:`sparse_exposures`. Returns the new weights (K × N)."""
    weights = weights.copy()
    samples = np.flatnonzero(counts.any(axis=0))
    open_ = np.zeros((signatures.shape[1], counts.shape[1]), dtype=bool)
    joinable = np.asarray(joinable, dtype=bool)
    open_[:, samples] = (joinable[:, None] if joinable.ndim == 1 else joinable[:, samples])
    deviance = np.atleast_1d(poisson_deviance(counts, signatures @ weights))
    squared = (signatures ** 2).T
    for _ in range(MAX_ADDITIONS):
        rows = np.flatnonzero(open_.any(axis=0))
        if not len(rows):
            break
        fitted = np.maximum(signatures @ weights[:, rows], FITTED_FLOOR)
        score = signatures.T @ (counts[:, rows] / fitted - 1.0)
        information = np.maximum(squared @ (1.0 / fitted), 1e-300)  # a zero signature has none
        statistic = np.where(open_[:, rows] & (score > 0), score ** 2 / information, -np.inf)
        pick = statistic.argmax(axis=0)
        hopeful = np.isfinite(statistic[pick, np.arange(len(rows))])
        open_[:, rows[~hopeful]] = False
        rows, pick = rows[hopeful], pick[hopeful]
        if not len(rows):
            break
        allowed = (weights[:, rows] > 0).T
        allowed[np.arange(len(rows)), pick] = True
        trial = active_set_nnls(signatures, counts[:, rows], allowed, weights[:, rows].T).T
        trial_deviance = np.atleast_1d(poisson_deviance(counts[:, rows], signatures @ trial))
        misfit = trial_deviance if observed is None else np.atleast_1d(poisson_deviance(observed[:, rows],
                                                                                        signatures @ trial))
        scale = (dispersion(misfit, signatures.shape[0], (trial > 0).sum(axis=0))
                 if refit.scale_by_dispersion else 1.0)
        gained = deviance[rows] - trial_deviance > joining_gain(refit) * scale
        accepted = gained & (trial[pick, np.arange(len(rows))] > 0)
        weights[:, rows[accepted]], deviance[rows[accepted]] = trial[:, accepted], trial_deviance[accepted]
        open_[pick, rows] = False
        open_[:, rows[~accepted]] = False
    return weights


def joining_gain(refit: RefitConfig) -> float:
    """The deviance gain (in units of over-dispersion) a forward step asks of a signature: with ``refit.borrow``
    ``cohort`` one from outside the cohort's set needs ``refit.addition_deviance_gain``; with ``neighbours`` the
    sample's candidates came from its own elimination on every signature, so a forward step reconsiders one that
    elimination dropped and asks what keeps a signature, ``refit.min_deviance_gain``."""
    return refit.addition_deviance_gain if refit.borrow == "cohort" else refit.min_deviance_gain


def cohort_candidates(signatures: np.ndarray, counts: np.ndarray, refit: RefitConfig,
                      background: np.ndarray | None = None) -> np.ndarray:
    """The indices of the signatures a sample of ``counts`` (96 × N) may get in the elimination: with
    ``refit.cohort_preselect`` those the sparse refit of the pooled cohort keeps (all samples' counts
    added up, where signatures of a few samples still leave a clear trace, while the scattered false
    signatures of shallow samples do not add up), else all of them."""
    if not refit.cohort_preselect:
        return np.arange(signatures.shape[1])
    pooled = sparse_exposures(signatures, counts.sum(axis=1, keepdims=True), refit, background)[:, 0]
    return np.flatnonzero(pooled > 0)


def share_gate(exposures: np.ndarray, totals: np.ndarray, share: float, floor: float | np.ndarray) -> np.ndarray:
    """Which exposures (K × N) to keep: those with at least ``share`` / √mutations (``totals``, N) of
    their sample's exposures, and at least ``floor``; a sample's largest always stays (none of an
    empty sample). The threshold falls with depth as the noise of a share does (~ 1/√mutations)."""
    totals = np.asarray(totals, dtype=float)[None, :]
    shares = exposures / np.maximum(exposures.sum(axis=0, keepdims=True), 1e-300)
    threshold = np.maximum(share / np.sqrt(np.maximum(totals, 1.0)), floor)
    largest = shares == shares.max(axis=0, keepdims=True)
    return ((shares >= threshold) | largest) & (totals > 0) & (exposures > 0)


def shallow_exposures(signatures: np.ndarray, counts: np.ndarray, share: float,
                      allowed: np.ndarray | None = None, floor: float | np.ndarray = 0.0) -> np.ndarray:
    """Exposures (K × N) of shallow samples on a cohort's signatures (96 × K): the Poisson fit on all
    of them (:func:`even_poisson_fit`), then :func:`share_gate` with ``share`` and ``floor`` (a share, or
    one per exposure), at least :data:`SHALLOW_FLOOR`. At a few hundred mutations a likelihood-ratio test
    cannot tell flat signatures apart and drops present ones; their shares in a fit on the cohort's
    signatures are the better estimate (the Poisson fit on the signatures kept follows in
    :func:`refit_exposures`)."""
    fitted = even_poisson_fit(signatures, counts, allowed)
    return np.where(share_gate(fitted, counts.sum(axis=0), share, np.maximum(floor, SHALLOW_FLOOR)), fitted, 0.0)


def even_poisson_fit(signatures: np.ndarray, counts: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
    """Exposures (K × N) of the Poisson fit of each sample of ``counts`` on every one of ``signatures``
    (:data:`SHALLOW_ITERATIONS` KL updates from an even start), or on those ``allowed`` (K × N, bool) for
    it: no signature dropped, so every sample shows its share of each."""
    allowed = np.ones((signatures.shape[1], counts.shape[1]), dtype=bool) if allowed is None else allowed
    even = np.where(allowed, counts.sum(axis=0) / np.maximum(allowed.sum(axis=0), 1), 0.0)
    return poisson_polish(signatures, counts, even, SHALLOW_ITERATIONS)


def borrowed_signatures(signatures: np.ndarray, counts: np.ndarray, support: np.ndarray, shallow: np.ndarray,
                        window: float, refit: RefitConfig, background: np.ndarray) -> np.ndarray:
    """Which signatures (K × S, bool) each of the S ``shallow`` samples may get: its own (``support``, K × N:
    the call's fitted mixes) and those of the sparse refit of its counts pooled with the counts of the samples
    it resembles. It resembles a sample when its counts are nearly as likely under that sample's fitted
    spectrum as under the likeliest other sample's: within ``window`` nats per mutation (multinomial
    log-likelihood; its own spectrum, fitted to its own noise, is left out). A breast tumour with 100
    mutations in a batch of melanomas and breast tumours pools with the breast tumours; among melanomas
    only, it keeps what its own counts show."""
    profiles = signatures @ support
    totals = profiles.sum(axis=0)
    logs = np.log(np.maximum(profiles / np.maximum(totals, 1e-300), PROFILE_FLOOR))
    allowed, rows, shallow_columns = [], max(1, LIKELIHOOD_ENTRIES // counts.shape[1]), np.flatnonzero(shallow)
    for start in range(0, len(shallow_columns), rows):
        own = shallow_columns[start:start + rows]
        likelihood = counts[:, own].T @ logs  # chunk × N
        likelihood[:, totals <= 0] = -np.inf
        likelihood[np.arange(len(own)), own] = -np.inf
        best = likelihood.max(axis=1, keepdims=True)
        near = np.isfinite(likelihood) & (likelihood >= best - window * counts[:, own].sum(axis=0)[:, None])
        near[np.arange(len(own)), own] = True
        pooled = sparse_exposures(signatures, counts @ near.T, refit, background)
        allowed.append((support[:, own] > 0) | (pooled > 0))
    return np.concatenate(allowed, axis=1)


def poisson_polish(signatures: np.ndarray, counts: np.ndarray, exposures: np.ndarray,
                   iterations: int = POLISH_ITERATIONS) -> np.ndarray:
    """Move least-squares exposures (K × N) to the Poisson maximum-likelihood fit on the same support.

    KL multiplicative updates of the exposures (numpy: the refit never needs torch), at most
    ``iterations``, stopping when the KL divergence changes by less than 1e-9 (relative)
    over 25 iterations. The updates keep zero exposures at zero, so the signatures a sample was
    given stay the only ones; at convergence each sample's exposures add up to its mutation count."""
    W = np.ascontiguousarray(signatures, dtype=float)
    X = np.asarray(counts, dtype=float)
    H = np.where(exposures > 0, np.maximum(exposures, POLISH_START_FLOOR), 0.0)
    column_sums = W.sum(axis=0)[:, None] + POLISH_GUARD
    previous = _kl_divergence(X, W @ H)
    for done in range(1, iterations + 1):
        H = H * (W.T @ (X / (W @ H + POLISH_GUARD))) / column_sums
        if done % POLISH_CHECK_EVERY == 0:
            current = _kl_divergence(X, W @ H)
            if abs(previous - current) < 1e-9 * max(abs(previous), POLISH_GUARD):
                break
            previous = current
    return H


def _kl_divergence(X: np.ndarray, WH: np.ndarray) -> float:
    """Generalised KL divergence D(X || WH), summed."""
    logs = np.log(np.where(X > 0, X, 1.0)) - np.log(WH + POLISH_GUARD)
    return float(np.sum(np.where(X > 0, X * logs, 0.0) - X + WH))


def _whole(task: Callable[[np.ndarray], np.ndarray], counts: np.ndarray) -> np.ndarray:
    return task(counts)


def shallow_samples(counts: np.ndarray, refit: RefitConfig) -> np.ndarray:
    """Which samples (N, bool) of ``counts`` (96 × N) :func:`refit_exposures` refits as shallow: fewer than
    ``refit.shallow_depth`` mutations, in whole counts, each told from its own column alone (a scaled-down
    hypermutated sample beside it, with fractional counts, changes no other sample's rule)."""
    totals = counts.sum(axis=0)
    whole = np.isclose(counts, np.round(counts)).all(axis=0)
    return (totals < refit.shallow_depth) & whole & (totals > 0)


def refit_exposures(signatures: np.ndarray, counts: np.ndarray, refit: RefitConfig,
                    per_sample: Callable[[Callable[[np.ndarray], np.ndarray], np.ndarray], np.ndarray] = _whole,
                    candidates: np.ndarray | None = None, background: np.ndarray | None = None,
                    shallow: np.ndarray | None = None) -> np.ndarray:
    """Exposures (K × N) by the configured method: ``sparse`` (backward elimination among each sample's
    candidates, forward steps from the others (:func:`add_signatures`), then the Poisson fit on the
    signatures kept, leaving unassigned what they cannot explain with ``refit.unexplained_z``:
    :mod:`unfoldnmf.exposures.unexplained`) or ``nnls`` (plain non-negative least squares). The candidates are, with
    ``refit.borrow`` ``neighbours``, those of each sample's own sparse refit on every signature, and with
    ``cohort`` the cohort's (:func:`cohort_candidates`, or ``candidates``, e.g. to refit resampled copies of a
    cohort as the original cohort). With ``refit.shallow_gate``, the ``shallow`` samples (N, bool; by default
    :func:`shallow_samples`: fewer than ``refit.shallow_depth`` mutations, in whole counts) are then refitted
    by :func:`shallow_exposures` on the signatures they borrow (:func:`borrowed_signatures`), or with
    ``cohort`` on every signature the sparse refit gives to some sample of ``counts``; either way a signature
    their own sparse refit did not give them is kept only at ``refit.shallow_borrowed_share`` or more. A caller
    refitting scaled-down copies of samples passes the rule of their own counts.

    ``per_sample(task, counts)`` runs the per-sample part over the sample columns, e.g. split among
    processes (:func:`unfoldnmf.hpc.distributed.by_columns`); the cohort's signatures, the shallow
    samples' refit and the Poisson fit always see every sample at once, so the result does not depend
    on the split. ``background``: see :func:`sparse_exposures`."""
    if refit.method == "nnls":
        return per_sample(lambda part: nnls_exposures(signatures, part), counts)
    k = signatures.shape[1]
    background = np.zeros(k, dtype=bool) if background is None else np.asarray(background, dtype=bool)
    shallow = shallow_samples(counts, refit) if shallow is None else shallow
    observed, channels = counts, counts.shape[0]
    if refit.unexplained_z:  # signatures are chosen for what the reference can explain
        counts = explained_counts(signatures, counts, refit.unexplained_z, refit.unexplained_tolerance)
    seen = observed if refit.unexplained_z else np.zeros((0, counts.shape[1]))  # whose misfit scales the gains

    def split(part: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """A part of the stacked columns: its counts, its observed counts (None: the counts), the rest."""
        rest = part[channels + len(seen):]
        return part[:channels], part[channels:channels + len(seen)] if len(seen) else None, rest

    if refit.borrow == "neighbours":  # each sample chooses among the signatures of its own sparse refit
        def choose_part(part: np.ndarray) -> np.ndarray:
            own, own_seen, _ = split(part)
            return sparse_exposures(signatures, own, refit, background, observed=own_seen)
        choices = per_sample(choose_part, np.vstack([counts, seen])) > 0
    else:  # every sample chooses among the cohort's
        choices = np.zeros((k, counts.shape[1]), dtype=bool)
        choices[cohort_candidates(signatures, counts, refit, background) if candidates is None else candidates] = True

    def fit_part(part: np.ndarray) -> np.ndarray:
        own, own_seen, chosen = split(part)
        weights = sparse_exposures(signatures, own, refit, background, chosen > 0, own_seen)
        return add_signatures(signatures, own, weights, ~(chosen > 0), refit, own_seen)

    support = per_sample(fit_part, np.vstack([counts, seen, choices]))  # the choices split with their samples' columns
    if refit.shallow_gate and shallow.any():
        allowed = None
        columns = support.any(axis=1)  # the cohort's signatures: some sample's fit has them
        if refit.borrow == "neighbours":
            allowed = borrowed_signatures(signatures, counts, support, shallow, refit.shallow_window, refit, background)
            columns |= allowed.any(axis=1)
            allowed = allowed[columns]
        columns = np.flatnonzero(columns)
        floor = np.where(support[np.ix_(columns, shallow)] > 0, 0.0, refit.shallow_borrowed_share)
        support[:, shallow] = 0.0
        support[np.ix_(columns, shallow)] = shallow_exposures(signatures[:, columns], counts[:, shallow],
                                                              refit.shallow_gate, allowed, floor)
    used = np.flatnonzero(support.any(axis=1))
    exposures = np.zeros((k, counts.shape[1]))
    if len(used):
        exposures[used] = poisson_polish(signatures[:, used], observed, support[used])
        if refit.unexplained_z:
            exposures[used] = fit_leaving_unexplained(signatures[:, used], observed, exposures[used],
                                                      refit.unexplained_z, refit.unexplained_tolerance)
    return exposures
