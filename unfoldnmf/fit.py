"""``fit``: exposures of new catalogs from known signature sources, one function per source."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

from .config import Config
from .device import resolve_device, resolve_dtype
from .model_file import load_model
from .output import exposures_text, prepare_output_dir, write_atomic, write_json
from .results import provenance
from .supervised import predict_exposures
from .tables import read_catalog


def exposures_from_model(catalog: pd.DataFrame, model_path: str | Path, config: Config | None = None) -> tuple[pd.DataFrame, dict]:
    """Exposures (samples × K, in mutations) of ``catalog`` (96 × N) from a trained ``model.pt``:
    one forward pass of its network. Returns the table and the facts for ``run.json``."""
    config = config or Config()
    device, dtype = resolve_device(config.device), resolve_dtype(config.dtype)
    model = load_model(model_path, list(catalog.index))
    started = time.perf_counter()
    exposures = predict_exposures(model.network, catalog, model.signatures, device, dtype)
    info = {"source": "model", "model_architecture": model.metadata["architecture"],
            "model_version": model.metadata["unfoldnmf_version"], "samples": int(catalog.shape[1]),
            "device": str(device), "seconds_fit": round(time.perf_counter() - started, 3)}
    return exposures, info


def fit(catalog_path: str | Path, output: str | Path, model: str | Path, config: Config | None = None,
        force: bool = False) -> pd.DataFrame:
    """Read ``catalog_path``, fit its exposures with ``model`` and write ``exposures.tsv`` and ``run.json``
    to ``output`` (``-``: stream the exposures table to standard output). Returns the exposures."""
    config = config or Config()
    catalog = read_catalog(catalog_path)
    exposures, info = exposures_from_model(catalog, model, config)
    if str(output) == "-":
        sys.stdout.write(exposures_text(exposures))
        return exposures
    directory = prepare_output_dir(output, force=force)
    write_atomic(directory / "exposures.tsv", exposures_text(exposures))
    write_json(directory / "run.json", provenance(config, info, {"catalog": str(catalog_path), "model": str(model)}))
    return exposures
