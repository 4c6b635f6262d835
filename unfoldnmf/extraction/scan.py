"""The unsupervised extraction pipeline: every K, the choice of K, and the exposure refit."""

from __future__ import annotations

import logging
import string
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from ..config import Config, ExtractionConfig
from ..errors import InputError
from ..exposures.quality import fit_quality
from ..exposures.refit import refit_exposures
from ..hpc import distributed
from ..hpc.device import resolve_device, resolve_dtype
from ..io.channels import channel_set_of
from ..io.tables import check_catalog, holds_counts, samples_without_mutations
from ..io.writing import counted
from ..timing import timed
from .checkpoints import CheckpointStore, catalog_digest
from .density import exposure_density, sparse_decision
from .held_out import MIN_SAMPLES, held_out_deviance, held_out_masks
from .refinement import refine_signatures
from .replicates import KSolution, cap_totals, extract_k, hypermutation_cap
from .selection import (Selection, held_out_best, log_warnings, noise_unit, scan_exhausted, select_k,
                        stable_values)
from .sparse_stage import SparseFit, sparse_choice, sparse_fit

log = logging.getLogger("unfoldnmf")


def signature_names(k: int, prefix: str = "SBS96") -> list[str]:
    """De novo names in SigProfiler's style: SBS96A … SBS96Z, then SBS96AA, SBS96AB, …"""
    letters = string.ascii_uppercase
    names = []
    for i in range(k):
        suffix = letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26]
        names.append(prefix + suffix)
    return names


@dataclass
class Extraction:
    """Result of :func:`extract_signatures`: chosen solution, every K's solution and the selection."""

    signatures: pd.DataFrame  #: 96 × K, columns sum to 1
    exposures: pd.DataFrame  #: samples × K, in mutations
    selection: Selection
    solutions: dict[int, tuple[pd.DataFrame, pd.DataFrame]]  #: K -> (signatures, exposures)
    quality: pd.DataFrame | None = None  #: per-sample goodness of fit of the exposures (``fit_quality.tsv``)
    info: dict = field(default_factory=dict)  #: samples used and dropped, cap, device, timings


def usable_samples(catalog: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Split off samples with no mutations; they are reported and get zero exposures."""
    empty = samples_without_mutations(catalog)
    return catalog.loc[:, catalog.sum(axis=0) > 0], empty


def check_extraction(catalog: pd.DataFrame, config: Config, name: str = "catalog") -> None:
    """Refuse, before any work, what an extraction cannot use on a valid catalog: an unavailable
    device, K values above the number of samples, and resampling of proportions."""
    resolve_device(config.device)
    totals = catalog.sum(axis=0).to_numpy()
    config.extraction.k_values_for(int((totals > 0).sum()))
    if config.extraction.resample != "none" and not holds_counts(catalog) and totals.max() <= 1.01:
        raise InputError(
            f"{name}: every sample totals at most 1 and the values are fractions: these are proportions, "
            f"not mutation counts, and resampling them is meaningless; give counts or set extraction.resample=none"
        )


def scan_stop(solutions: dict[int, KSolution], n_samples: int, extraction: ExtractionConfig) -> int | None:
    """The K after which a sequential scan through ``solutions`` stops (:func:`scan_exhausted`), or
    None while it would go on."""
    tried: list[int] = []
    for k in sorted(solutions):
        tried.append(k)
        if scan_exhausted(tried, [solutions[t].deviance for t in tried], n_samples, extraction,
                          solutions[k].signatures.shape[0]):
            return k
    return None


def scanned_k_values(solutions: dict[int, KSolution], n_samples: int, extraction: ExtractionConfig) -> list[int]:
    """The K values, ascending, that a sequential scan tries before it stops (:func:`scan_stop`);
    several processes solve K values in parallel and keep only these, so that they report what a
    single process would."""
    stop = scan_stop(solutions, n_samples, extraction)
    return [k for k in sorted(solutions) if stop is None or k <= stop]


def _solution_tables(solution: KSolution, channels: pd.Index, samples: pd.Index) -> tuple[pd.DataFrame, pd.DataFrame]:
    names = signature_names(solution.k, channel_set_of(str(channels[0])).name)
    signatures = pd.DataFrame(solution.signatures, index=channels, columns=names)
    exposures = pd.DataFrame(solution.exposures.T, index=samples, columns=names)
    exposures.index.name = "Samples"
    return signatures, exposures


def extract_signatures(
    catalog: pd.DataFrame,
    config: Config | None = None,
    checkpoint_dir: str | Path | None = None,
    progress: bool = True,
) -> Extraction:
    """De novo extraction from a catalog (96 × samples DataFrame; rows in any order).

    Validates the catalog and the run (:func:`check_catalog`, :func:`check_extraction`), then
    :func:`scan_catalog`.
    """
    config = config or Config()
    catalog = check_catalog(catalog)
    check_extraction(catalog, config)
    return scan_catalog(catalog, config, checkpoint_dir, progress)


def solution_settings(config: Config, device: torch.device, n_samples: int) -> dict[str, object]:
    """The settings one K's solution depends on, by name: a checkpoint is reused only when they are
    unchanged. The K range and the rule's thresholds (``min_gain``, ``run_gain``, ``min_stability``,
    ``patience``, ``held_out_z``, ``held_out_patience``, ``sparse_gain``, ``sparse_patience``) are not among
    them, so raising ``--k-max`` or changing the rule reuses every finished K; nor is ``max_samples`` when the
    catalog's ``n_samples`` are not more (no subset is drawn)."""
    extraction = config.extraction
    subsets = extraction.max_samples is not None and n_samples > extraction.max_samples
    return {"seed": config.seed, "dtype": config.dtype, "device": device.type,
            **{f"solver.{name}": value for name, value in asdict(config.solver).items()},
            "extraction.replicates": extraction.replicates,
            "extraction.max_samples": extraction.max_samples if subsets else None,
            "extraction.resample": extraction.resample,
            "extraction.hypermutation_cap": extraction.hypermutation_cap}


def scan_catalog(
    catalog: pd.DataFrame,
    config: Config,
    checkpoint_dir: str | Path | None = None,
    progress: bool = True,
) -> Extraction:
    """De novo extraction from a validated catalog (as :func:`read_catalog` or :func:`check_catalog`
    return it, and :func:`check_extraction` accepts).

    Tries every K of ``config.extraction``, chooses one (see :mod:`unfoldnmf.extraction.selection`; its
    held-out test and sparse stage may solve K values past where the deviance rule stopped,
    :func:`held_out_scan`, :func:`sparse_scan`),
    refines its signatures on sparse exposures (:mod:`unfoldnmf.extraction.refinement`; ``solutions``
    keep every K's NMF solution; where the samples carry most of the signatures, :mod:`.density`, neither the
    sparse stage nor the refinement acts) and refits exposures for every sample. With ``checkpoint_dir``,
    finished K values are saved there and reused by a later call with the same catalog and settings.
    """
    started = time.perf_counter()
    device, dtype = resolve_device(config.device), resolve_dtype(config.dtype)
    # Samples are worked on in name order, so that reordering the catalog's columns changes nothing.
    used, empty = usable_samples(catalog[sorted(catalog.columns, key=str)])
    counts = used.to_numpy()
    n_samples = counts.shape[1]
    k_values = config.extraction.k_values_for(n_samples)
    if len(k_values) < len(config.extraction.k_values):
        log.warning("K above the number of samples (%d) skipped", n_samples)

    cap = hypermutation_cap(counts.sum(axis=0), config.extraction.hypermutation_cap)
    capped, scale = cap_totals(counts, cap)
    if (scale < 1).any():
        log.info("%d hypermutated sample(s) scaled down to %.0f mutations for extraction", int((scale < 1).sum()), cap)
    store = None
    if checkpoint_dir is not None:
        store = CheckpointStore(Path(checkpoint_dir), catalog_digest(counts),
                                solution_settings(config, device, n_samples))

    stages: dict[str, float] = {}
    # an error on one process ends the run on all of them
    with distributed.all_or_none():
        with timed(stages, "K scan"):
            solutions, seconds = solve_k_values(capped, scale, k_values, config, device, dtype, store, progress)

        def choose(held_out: dict[int, np.ndarray] | None = None,
                   sparse: dict[int, SparseFit] | None = None) -> Selection:
            tried = sorted(solutions)
            return distributed.main_first(lambda: select_k(  # rank 0 decides, as it decides where the scan stops
                tried, [solutions[k].mean_stability for k in tried], [solutions[k].min_stability for k in tried],
                [solutions[k].deviance for k in tried], n_samples, config.extraction, n_channels=counts.shape[0],
                held_out=held_out, sparse=sparse))

        selection, held_out, fits = choose(), None, {}
        testing = config.extraction.held_out_z is not None and n_samples >= MIN_SAMPLES
        if testing and selection.rule_k is not None and selection.rule_k < k_values[-1]:
            with timed(stages, "held-out test"):
                held_out = held_out_scan(capped, scale, solutions, seconds, selection.rule_k, config, device, dtype,
                                         store, progress)
            selection = choose(held_out)
        k_dense = selection.k  # the density is measured where the sparse stage would start
        density = exposure_density(solutions[k_dense].signatures, capped)
        sparse, density_clause = sparse_decision(density, k_dense, config.extraction)
        if config.extraction.sparse_gain is not None and selection.rule_k is not None and sparse:
            guarded = testing and selection.k < k_values[-1]  # at the top of the range no K needs guarding
            with timed(stages, "sparse stage"):
                fits = sparse_scan(capped, scale, solutions, seconds, selection.k, guarded, held_out or {},
                                   config, device, dtype, store, progress)
            selection = choose(held_out, fits)
        selection.reason += density_clause
        if distributed.current().is_main:
            log_warnings(selection)
        k_values = sorted(solutions)
        with timed(stages, "refinement"):
            if not sparse:
                refined = solutions[selection.k].signatures
            elif selection.k in fits:
                refined = fits[selection.k].signatures
            else:
                refined = refine_signatures(solutions[selection.k].signatures, capped, config, device,
                                            per_sample=distributed.by_columns)
        with timed(stages, "refit"):  # per sample, so shared among the processes of a torchrun
            exposures = refit_exposures(refined, counts, config.refit.of_cohort_signatures(),
                                        per_sample=distributed.by_columns)

    with timed(stages, "tables and fit quality"):
        tables = {k: _solution_tables(s, catalog.index, used.columns) for k, s in solutions.items()}
        for k, (sigs, expo) in tables.items():
            tables[k] = (sigs, counted(catalog, expo.reindex(catalog.columns, fill_value=0.0)))
        signatures = pd.DataFrame(refined, index=catalog.index, columns=tables[selection.k][0].columns)
        exposure_table = pd.DataFrame(exposures.T, index=used.columns, columns=signatures.columns)
        exposure_table = counted(catalog, exposure_table.reindex(catalog.columns, fill_value=0.0))
        exposure_table.index.name = "Samples"
        quality = fit_quality(catalog, signatures, exposure_table)
    info = {
        "samples": int(catalog.shape[1]),
        "samples_without_mutations": empty,
        "hypermutation_cap": cap,
        "samples_capped": int((scale < 1).sum()),
        "device": str(device),
        "threads": torch.get_num_threads(),  # rounding, and so a marginal choice of K, depends on it
        "k_values": k_values,
        "k_selected": selection.k,
        "exposure_density": round(density, 3),
        "selection_reason": selection.reason,
        "seconds_per_k": seconds,
        "seconds_total": round(time.perf_counter() - started, 3),
        "seconds_by_stage": stages,
    }
    return Extraction(signatures=signatures, exposures=exposure_table, selection=selection, solutions=tables,
                      quality=quality, info=info)


def held_out_scan(capped: np.ndarray, scale: np.ndarray, solutions: dict[int, KSolution], seconds: dict[int, float],
                  k_rule: int, config: Config, device, dtype, store: CheckpointStore | None,
                  progress: bool) -> dict[int, np.ndarray]:
    """Held-out deviances (K -> per sample, :mod:`unfoldnmf.extraction.held_out`) of ``k_rule``, the
    deviance rule's K, and every K above it: K values beyond the scan are solved (into ``solutions`` and
    ``seconds``) until ``extraction.held_out_patience`` of them follow the best K of the held-out test
    (:func:`unfoldnmf.extraction.selection.held_out_best`), or the range ends."""
    ext = config.extraction
    masks = held_out_masks(capped.shape, config.seed)

    def measure(k: int) -> np.ndarray:
        return distributed.main_first(lambda: held_out_deviance(capped, solutions[k].signatures, masks, device))

    def best(held_out: dict[int, np.ndarray]) -> int:
        k_values = sorted(solutions)
        return held_out_best(k_values, [solutions[k].mean_stability for k in k_values],
                             [solutions[k].deviance for k in k_values], k_rule, held_out, capped.shape[1], ext,
                             capped.shape[0])

    return _scan_until_settled("held-out test", k_rule, measure, best, ext.held_out_patience, capped, scale,
                               solutions, seconds, config, device, dtype, store, progress)


def sparse_scan(capped: np.ndarray, scale: np.ndarray, solutions: dict[int, KSolution], seconds: dict[int, float],
                k_from: int, guarded: bool, held_out: dict[int, np.ndarray], config: Config,
                device, dtype, store: CheckpointStore | None, progress: bool) -> dict[int, SparseFit]:
    """The sparse stage's fits (:func:`unfoldnmf.extraction.sparse_stage.sparse_fit`) of ``k_from`` and every
    K above it, with their held-out deviances when ``guarded`` (reused from ``held_out``, the held-out test's,
    which the stage does not extend, so that the test's own choice stays as it was): K values beyond the scan
    are solved (into ``solutions`` and ``seconds``) until ``extraction.sparse_patience`` of them follow the
    stage's best K (:func:`unfoldnmf.extraction.sparse_stage.sparse_choice`), or the range ends."""
    ext = config.extraction
    unit = noise_unit(solutions[k_from].deviance, k_from, capped.shape[1], capped.shape[0])
    masks = held_out_masks(capped.shape, config.seed) if guarded else None

    def measure(k: int) -> SparseFit:  # every process refines: the refit is shared among them
        predicted = None
        if guarded:
            predicted = held_out.get(k)
            if predicted is None:
                predicted = distributed.main_first(
                    lambda: held_out_deviance(capped, solutions[k].signatures, masks, device))
        return sparse_fit(solutions[k].signatures, capped, config, device, predicted)

    def best(fits: dict[int, SparseFit]) -> int:
        k_values = sorted(solutions)
        stable = stable_values([solutions[k].mean_stability for k in k_values], ext)
        return sparse_choice(k_values, fits, stable, k_from, unit, ext)

    return _scan_until_settled("sparse stage", k_from, measure, best, ext.sparse_patience, capped, scale,
                               solutions, seconds, config, device, dtype, store, progress)


def _scan_until_settled(stage: str, k_from: int, measure: Callable[[int], Any], best: Callable[[dict], int],
                        patience: int, capped: np.ndarray, scale: np.ndarray, solutions: dict[int, KSolution],
                        seconds: dict[int, float], config: Config, device, dtype, store: CheckpointStore | None,
                        progress: bool) -> dict[int, Any]:
    """``measure(K)`` of every solved K from ``k_from`` on (K -> result), solving K values past the scan
    (into ``solutions`` and ``seconds``) until ``patience`` of them follow ``best(results)``, or the range
    ends."""
    top = max(config.extraction.k_values_for(capped.shape[1]))
    measured: dict[int, Any] = {}
    while True:
        for k in sorted(solutions):
            if k >= k_from and k not in measured:
                measured[k] = measure(k)
        last, chosen = max(solutions), distributed.main_first(lambda: best(measured))
        if last - chosen >= patience or last >= top:
            log.info("%s: K=%d (from K=%d; K up to %d tried)", stage, chosen, k_from, last)
            return measured
        extra, extra_seconds = solve_k_values(capped, scale, [last + 1], config, device, dtype, store, progress)
        solutions.update(extra)
        seconds.update(extra_seconds)


def solve_k_values(capped: np.ndarray, scale: np.ndarray, k_values: list[int], config: Config, device, dtype,
                   store: CheckpointStore | None, progress: bool) -> tuple[dict[int, KSolution], dict[int, float]]:
    """Solve the K values a sequential scan reaches (reusing checkpoints in ``store``), shared among
    the processes of a torchrun; every process returns the same solutions and seconds per K.

    A sequential scan takes the K values in order and reads each one's checkpoint only when it reaches
    it, so its stop test always sees every K below (never a gapped set left by an interrupted or
    differently ranged run); processes that share whole K values solve every K of the range. Rank 0
    reads the checkpoints and decides when the scan stops; the other processes follow it."""
    n_samples = capped.shape[1]
    ranks = distributed.current()
    # Fewer K values than processes (e.g. a fixed K): every process works on every K, on its share
    # of the replicates; otherwise each process solves whole K values.
    split = ranks.world_size > 1 and len(k_values) < ranks.world_size <= config.extraction.replicates
    sequential = ranks.world_size == 1 or split
    solutions: dict[int, KSolution] = {}
    if store and not sequential:
        solutions = distributed.main_first(lambda: store.finished(k_values))
        for k in solutions:
            log.info("K=%d reused from checkpoint", k)
    seconds = {k: 0.0 for k in solutions}
    todo = k_values if sequential else distributed.share([k for k in k_values if k not in solutions])
    show = progress and ranks.is_main
    # No total: the scan stops when the deviance test fails, long before the top of the range as a rule.
    bar = tqdm(iter(todo), desc="K values done", unit="K", disable=None if show else True, leave=False)
    for k in bar:
        if sequential and distributed.main_first(
                lambda: scan_stop(solutions, n_samples, config.extraction) is not None):
            break
        saved = distributed.main_first(lambda: store.load(k)) if store and sequential else None
        if saved is not None:
            solutions[k], seconds[k] = saved, 0.0
            log.info("K=%d reused from checkpoint", k)
            continue
        bar.set_postfix_str(f"solving K={k} of at most {k_values[-1]}; the scan goes on while the K choice "
                            f"may need more K")
        tick = time.perf_counter()
        solutions[k] = extract_k(capped, scale, k, config, device, dtype, split_replicates=split)
        if store and (ranks.is_main or not split):
            store.save(solutions[k])
        seconds[k] = round(time.perf_counter() - tick, 3)
        log.info("K=%d done in %.1f s", k, seconds[k])
    bar.close()
    solutions, seconds = distributed.gather(solutions), distributed.gather(seconds)
    reached = distributed.main_first(lambda: scanned_k_values(solutions, n_samples, config.extraction))
    if reached[-1] < max(solutions):
        log.info("K scan stopped after K=%d: the deviance test has failed %d step(s) in a row (see selection.tsv)",
                 reached[-1], config.extraction.patience)
    return {k: solutions[k] for k in reached}, {k: seconds[k] for k in reached}
