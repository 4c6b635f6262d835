"""Run configuration: typed dataclasses, YAML loading, ``key=value`` overrides and validation.

The defaults of these dataclasses are the embedded default config; ``configs/default.yaml``
spells out the same values with a comment for each.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional

import yaml

from .errors import InputError


@dataclass
class SolverConfig:
    """Multiplicative-update NMF: objective, penalties and stopping rule."""

    objective: Literal["kl", "frobenius"] = "kl"
    max_iter: int = 2000
    tol: float = 1e-6
    check_every: int = 25
    l1: float = 0.0
    l2: float = 0.0
    accelerate: bool = True  #: extrapolated updates (:mod:`unfoldnmf.nmf.solver`)

    def __post_init__(self) -> None:
        _require(self.max_iter >= 1, "solver.max_iter", "must be at least 1")
        _require(self.tol >= 0, "solver.tol", "must be non-negative")
        _require(self.check_every >= 1, "solver.check_every", "must be at least 1")
        _require(self.l1 >= 0 and self.l2 >= 0, "solver.l1/l2", "penalties must be non-negative")

    def run_options(self) -> dict[str, Any]:
        """These settings as the keyword arguments of :func:`unfoldnmf.nmf.solver.run_mu`."""
        return dataclasses.asdict(self)


@dataclass
class ExtractionConfig:
    """De novo extraction: K range, replicates, resampling and the rule that picks K."""

    k_min: int = 1
    k_max: int = 25
    k: Optional[int] = None
    replicates: int = 10
    max_samples: Optional[int] = 10000  #: replicates of a larger catalog each solve a random subset this size
    resample: Literal["poisson", "multinomial", "none"] = "poisson"
    hypermutation_cap: Optional[float] = None
    min_gain: float = 3.0
    run_gain: Optional[float] = 2.2  #: ... or the run_length steps from K on this many times on average (null: off)
    run_length: int = 4
    min_stability: float = 0.6
    patience: Optional[int] = 1
    held_out_z: Optional[float] = 3.0  #: a larger K predicting hidden counts this many SEs better wins (null: off)
    held_out_patience: int = 3  #: the scan goes this many K past the best held-out K
    #: sparse stage: a larger K wins when its refined signatures' sparse refit saves this many times noise per
    #: signature, unless it predicts hidden counts held_out_z SEs worse (:mod:`unfoldnmf.extraction.sparse_stage`;
    #: null: off)
    sparse_gain: Optional[float] = 2.0
    sparse_patience: int = 3  #: the sparse stage goes this many K past its best K
    #: sparse refinement of the chosen signatures, one round per gain (:mod:`unfoldnmf.extraction.refinement`)
    refine_gains: list[float] = field(default_factory=lambda: [25.0, 12.0])
    #: the sparse stage and the refinement act only when the samples carry, effectively, less than this share of the
    #: K signatures (:mod:`unfoldnmf.extraction.density`; null: always)
    sparse_density: Optional[float] = 0.6

    def __post_init__(self) -> None:
        _require(self.k_min >= 1, "extraction.k_min", "must be at least 1")
        _require(self.k_max >= self.k_min, "extraction.k_max",
                 f"must be >= k_min ({self.k_min}); the K range is reversed")
        _require(self.k is None or self.k >= 1, "extraction.k", "must be at least 1")
        _require(self.replicates >= 1, "extraction.replicates", "must be at least 1")
        _require(self.max_samples is None or self.max_samples >= 1, "extraction.max_samples",
                 "must be at least 1 or null")
        _require(self.hypermutation_cap is None or self.hypermutation_cap > 0, "extraction.hypermutation_cap",
                 "must be positive")
        _require(-1 <= self.min_stability <= 1, "extraction.min_stability", "must lie in [-1, 1]")
        _require(self.min_gain >= 0, "extraction.min_gain", "must be non-negative")
        _require(self.run_gain is None or self.run_gain >= 0, "extraction.run_gain", "must be non-negative or null")
        _require(self.run_length >= 1, "extraction.run_length", "must be at least 1")
        _require(self.patience is None or self.patience >= 1, "extraction.patience", "must be at least 1 or null")
        _require(self.sparse_gain is None or self.sparse_gain >= 0, "extraction.sparse_gain",
                 "must be non-negative or null")
        _require(self.sparse_patience >= 1, "extraction.sparse_patience", "must be at least 1")
        _require(self.held_out_z is None or self.held_out_z >= 0, "extraction.held_out_z",
                 "must be non-negative or null")
        _require(self.held_out_patience >= 1, "extraction.held_out_patience", "must be at least 1")
        _require(all(gain >= 0 for gain in self.refine_gains), "extraction.refine_gains", "must be non-negative")
        _require(self.sparse_density is None or 0 < self.sparse_density <= 1, "extraction.sparse_density",
                 "must lie in (0, 1] or be null")

    @property
    def k_values(self) -> list[int]:
        """The K values to try."""
        return [self.k] if self.k is not None else list(range(self.k_min, self.k_max + 1))

    def k_values_for(self, n_samples: int) -> list[int]:
        """The K values to try on ``n_samples`` samples with mutations: K above it is dropped, and an
        error if that leaves none (a fixed ``k`` or a ``k_min`` above the number of samples)."""
        if self.k is not None and self.k > n_samples:
            raise InputError(f"config: extraction.k is {self.k}, more than the {n_samples} sample(s) with mutations")
        if self.k_min > n_samples:
            raise InputError(f"config: extraction.k_min is {self.k_min}, "
                             f"more than the {n_samples} sample(s) with mutations")
        return [k for k in self.k_values if k <= n_samples]


@dataclass
class RefitConfig:
    """Exposure refit on the chosen signatures."""

    method: Literal["sparse", "nnls"] = "sparse"
    min_deviance_gain: float = 25.0
    scale_by_dispersion: bool = True
    borrow: Literal["neighbours", "cohort"] = "neighbours"
    cohort_preselect: bool = True
    background: list[str] = field(default_factory=lambda: ["SBS1", "SBS5"])
    background_deviance_gain: float = 4.0
    addition_deviance_gain: float = 50.0
    shallow_depth: float = 1000.0
    shallow_window: float = 0.1
    shallow_gate: float = 1.0
    shallow_borrowed_share: float = 0.1
    composite_share: float = 0.6
    composite_window: float = 1.25
    composite_max_ratio: float = 0.7
    composite_min_carriers: int = 10
    unexplained_z: float = 3.0
    unexplained_tolerance: float = 0.2

    def __post_init__(self) -> None:
        _require(self.min_deviance_gain >= 0, "refit.min_deviance_gain", "must be non-negative")
        _require(self.background_deviance_gain >= 0, "refit.background_deviance_gain", "must be non-negative")
        _require(self.addition_deviance_gain >= 0, "refit.addition_deviance_gain", "must be non-negative")
        _require(self.shallow_depth >= 0, "refit.shallow_depth", "must be non-negative")
        _require(self.shallow_gate >= 0, "refit.shallow_gate", "must be non-negative (0: off)")
        _require(self.shallow_window > 0, "refit.shallow_window", "must be positive")
        _require(0 <= self.shallow_borrowed_share < 1, "refit.shallow_borrowed_share", "must lie in [0, 1)")

        _require(0 <= self.composite_share <= 1, "refit.composite_share", "must lie in [0, 1] (0: off)")
        _require(self.composite_window > 1, "refit.composite_window", "must be above 1")
        _require(self.composite_max_ratio > 0, "refit.composite_max_ratio", "must be positive")
        _require(self.composite_min_carriers >= 2, "refit.composite_min_carriers", "must be at least 2")
        _require(self.unexplained_z >= 0, "refit.unexplained_z", "must be non-negative (0: off)")
        _require(self.unexplained_tolerance >= 0, "refit.unexplained_tolerance", "must be non-negative")

    def of_cohort_signatures(self) -> "RefitConfig":
        """This refit for signatures extracted from the catalog itself (``train``): each one belongs to the
        cohort, so every sample chooses among them all (``borrow: cohort``, no share asked of a borrowed one)
        and ``borrow`` serves ``fit``; the signatures were fitted to these very counts, so every mutation is
        assigned (``unexplained_z: 0``)."""
        return dataclasses.replace(self, borrow="cohort", shallow_borrowed_share=0.0, unexplained_z=0.0)

    def of_signature_updates(self) -> "RefitConfig":
        """This refit inside the stages that update signatures (refinement, sparse stage): as
        :meth:`of_cohort_signatures`, without the shallow step, whose share gate and borrowed support
        serve the exposures a user reads; every sample keeps the support its own likelihood gives it
        (with the step, a 40-signature cohort lost 0.07 composite: ``scripts/bench_many_signatures.py``)."""
        return dataclasses.replace(self.of_cohort_signatures(), shallow_gate=0.0)


@dataclass
class AssignmentConfig:
    """Naming the chosen signatures after a reference set (COSMIC by default)."""

    enabled: bool = True
    reference: Optional[str] = None
    min_cosine: float = 0.90  #: below this cosine a signature is novel (measured: scripts/check_assign.py)
    min_gain: float = 0.01  #: cosine a reference signature must add to join a mix
    max_signatures: int = 4  #: most reference signatures in one mix

    def __post_init__(self) -> None:
        _require(0 <= self.min_cosine <= 1, "assignment.min_cosine", "must lie in [0, 1]")
        _require(0 <= self.min_gain < 1, "assignment.min_gain", "must lie in [0, 1)")
        _require(self.max_signatures >= 1, "assignment.max_signatures", "must be at least 1")


@dataclass
class CosmicConfig:
    """Which packaged COSMIC v3.4 tables ``--cosmic`` and the assignment use (ID-83 has one)."""

    genome_build: Literal["GRCh37", "GRCh38"] = "GRCh37"
    exome: bool = False  #: exome-normalised signatures, for whole-exome catalogs


@dataclass
class NetworkConfig:
    """The unfolded network: depth, weight tying and training schedule."""

    layers: int = 40
    tied: bool = False
    start: Literal["learned", "flat"] = "learned"
    prune_share: float = 0.01
    likelihood_weight: float = 1000.0
    learning_rate: float = 0.05
    epochs: int = 40
    batch_size: int = 256
    simulated_samples: int = 2000
    learn_penalties: bool = False
    redraws: int = 4  #: copies of each share vector per depth in a first-pass training cohort
    gate: float = 1.0  #: exposures under gate / sqrt(mutations) of a sample are zeroed (0: no gate)
    gate_floor: float = 0.01  #: ... and always those under this share

    def __post_init__(self) -> None:
        _require(self.layers >= 1, "network.layers", "must be at least 1")
        _require(0 <= self.prune_share < 1, "network.prune_share", "must be in [0, 1)")
        _require(self.likelihood_weight >= 0, "network.likelihood_weight", "must be non-negative")
        _require(self.learning_rate > 0, "network.learning_rate", "must be positive")
        _require(self.epochs >= 0, "network.epochs", "must be non-negative (0: the untrained network)")
        _require(self.batch_size >= 1, "network.batch_size", "must be at least 1")
        _require(self.simulated_samples >= 10, "network.simulated_samples", "must be at least 10")
        _require(self.redraws >= 1, "network.redraws", "must be at least 1")
        _require(self.gate >= 0, "network.gate", "must be non-negative (0: no gate)")
        _require(0 <= self.gate_floor < 1, "network.gate_floor", "must lie in [0, 1)")


@dataclass
class OutputConfig:
    """What ``train`` writes besides the tables."""

    plots: bool = True


@dataclass
class Config:
    """Everything a run needs besides its input files."""

    mode: Literal["denovo", "supervised"] = "denovo"
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    dtype: Literal["float32", "float64"] = "float32"
    solver: SolverConfig = field(default_factory=SolverConfig)
    extraction: ExtractionConfig = field(default_factory=ExtractionConfig)
    refit: RefitConfig = field(default_factory=RefitConfig)
    assignment: AssignmentConfig = field(default_factory=AssignmentConfig)
    cosmic: CosmicConfig = field(default_factory=CosmicConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    output: OutputConfig = field(default_factory=OutputConfig)

    def __post_init__(self) -> None:
        _require(0 <= self.seed < 2**63, "seed", "must lie in [0, 2^63)")

    def to_dict(self) -> dict[str, Any]:
        """The config as plain nested dicts (what ``run.json`` records)."""
        return dataclasses.asdict(self)


def _require(ok: bool, key: str, message: str) -> None:
    if not ok:
        raise InputError(f"config: {key} {message}")


def _check_value(key: str, value: Any, hint: Any) -> Any:
    """Check ``value`` against a field type; ints are accepted for floats. Returns the value."""
    origin = typing.get_origin(hint)
    if origin is typing.Union:
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        hint = next(option for option in options if option is not type(None))
        origin = typing.get_origin(hint)
    if origin is Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise InputError(f"config: {key} is {value!r}; expected one of {', '.join(map(str, allowed))}")
        return value
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise InputError(f"config: {key} is {value!r}; expected a list of {item.__name__}")
        return [_check_value(f"{key}[{index}]", v, item) for index, v in enumerate(value)]
    if hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is float:
        if isinstance(value, str):  # YAML 1.1 reads 1e-7 (no dot in the mantissa) as text
            try:
                value = float(value)
            except ValueError:
                pass
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
        if ok and not math.isfinite(value):
            raise InputError(f"config: {key} is {value}; expected a finite number")
    else:
        ok = isinstance(value, hint)
    if not ok:
        raise InputError(f"config: {key} is {value!r} ({type(value).__name__}); expected {hint.__name__}")
    return value


def _build(cls: type, values: dict[str, Any], prefix: str = "") -> Any:
    if not isinstance(values, dict):
        raise InputError(f"config: {prefix.rstrip('.') or 'top level'} must be a mapping of keys to values")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in values.items():
        full = f"{prefix}{key}"
        if key not in names:
            valid = [f"{prefix}{n}" for n in names]
            close = difflib.get_close_matches(full, valid, n=1, cutoff=0.5)
            suggestion = f"; did you mean '{close[0]}'?" if close else f"; valid keys: {', '.join(valid)}"
            raise InputError(f"config: unknown key '{full}'{suggestion}")
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            kwargs[key] = _build(hint, value, f"{full}.")
        else:
            kwargs[key] = _check_value(full, value, hint)
    return cls(**kwargs)


def _merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse_override(text: str) -> dict[str, Any]:
    """Turn ``section.key=value`` into a nested dict; the value is read as YAML (``3``, ``true``, ``null``)."""
    if "=" not in text:
        raise InputError(f"--set {text!r}: expected key=value, e.g. extraction.replicates=30")
    key, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    nested: dict[str, Any] = {}
    cursor = nested
    parts = key.strip().split(".")
    for part in parts[:-1]:
        cursor = cursor.setdefault(part, {})
    cursor[parts[-1]] = value
    return nested


def load_config(path: str | Path | None = None, overrides: list[dict[str, Any]] | None = None) -> Config:
    """Build a :class:`Config` from the defaults, an optional YAML file and override dicts, in that order."""
    values: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{path}: no such config file") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark else ""
            raise InputError(f"{path}:{where} not valid YAML") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise InputError(f"{path}: a config must be a mapping of keys to values")
        values = loaded or {}
    for override in overrides or []:
        values = _merge(values, override)
    return _build(Config, values)
