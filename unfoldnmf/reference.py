"""Reference signature sets shipped with the package."""

from __future__ import annotations

from importlib import resources

import pandas as pd

from .tables import read_signatures

COSMIC_FILE = "data/COSMIC_v3.4_SBS_GRCh37.tsv"


def cosmic_signatures(names: list[str] | None = None) -> pd.DataFrame:
    """COSMIC v3.4 SBS signatures (GRCh37) as 96 × K, optionally only ``names``."""
    with resources.as_file(resources.files("unfoldnmf").joinpath(COSMIC_FILE)) as path:
        table = read_signatures(path)
    if names is not None:
        from .errors import InputError  # noqa: PLC0415

        unknown = [n for n in names if n not in table.columns]
        if unknown:
            raise InputError(f"unknown COSMIC signature(s): {', '.join(unknown)}")
        table = table[names]
    return table
