"""Reference signature sets: the packaged COSMIC v3.4 tables (SBS-96 and DBS-78 for GRCh37 or GRCh38,
genome- or exome-normalised; ID-83), or a user's file."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

import pandas as pd

from ..config import CosmicConfig
from ..errors import InputError
from ..io.channels import DBS78, ID83, SBS96, ChannelSet
from ..io.tables import read_signatures
from .classes import class_members

#: The file name's part for each channel set.
COSMIC_KINDS = {"SBS96": "SBS", "DBS78": "DBS", "ID83": "ID"}


def cosmic_file(channels: ChannelSet, choice: CosmicConfig) -> str:
    """The packaged table of ``channels`` for the genome build and normalisation ``choice`` (COSMIC
    publishes one ID-83 table, used for every choice)."""
    if channels.name == "ID83":
        return "data/COSMIC_v3.4_ID_GRCh37.tsv"
    return f"data/COSMIC_v3.4_{COSMIC_KINDS[channels.name]}_{choice.genome_build}{'_exome' if choice.exome else ''}.tsv"


def cosmic_signatures(names: list[str] | None = None, channels: ChannelSet | None = None,
                      choice: CosmicConfig | None = None) -> pd.DataFrame:
    """COSMIC v3.4 signatures (channels × K) of the channel set ``channels`` (SBS-96, DBS-78 or
    ID-83; the genome build and normalisation of ``choice``, GRCh37 genome by default), optionally
    only ``names`` (in that order); without ``channels`` the names say which set (DBS…, ID…, else SBS-96)."""
    channels = channels or names_channel_set(names or [])
    with resources.as_file(
            resources.files("unfoldnmf").joinpath(cosmic_file(channels, choice or CosmicConfig()))) as path:
        table = read_signatures(path)
    if names is not None:
        unknown = [n for n in names if n not in table.columns]
        if unknown:
            raise InputError(f"unknown COSMIC {channels.title} signature(s): {', '.join(unknown)} (COSMIC v3.4 names "
                             f"are like {', '.join(map(str, table.columns[:3]))})")
        table = table[names]
    return table


def names_channel_set(names: list[str]) -> ChannelSet:
    """The channel set COSMIC signature ``names`` belong to (DBS1 → DBS-78, ID2 → ID-83, else SBS-96)."""
    for channels, prefix in ((DBS78, "DBS"), (ID83, "ID")):
        if names and all(name.upper().startswith(prefix) for name in names):
            return channels
    return SBS96


def reference_signatures(path: str | Path | None = None, channels: ChannelSet = SBS96,
                         choice: CosmicConfig | None = None) -> pd.DataFrame:
    """The signature table at ``path`` (channels × R), or COSMIC v3.4 of ``channels`` (and ``choice``)
    when ``path`` is None."""
    return cosmic_signatures(channels=channels, choice=choice) if path is None else read_signatures(path)


def parse_names(text: str) -> list[str]:
    """``"SBS1, SBS5"`` -> ``["SBS1", "SBS5"]``; refuses an empty list and repeated names."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise InputError(f"no signature names in {text!r}; expected a comma-separated list like SBS1,SBS5")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(f"signature name(s) given twice: {', '.join(repeated)}")
    return names


def exclude_signatures(signatures: pd.DataFrame, names: list[str] | None = None,
                       classes: list[str] | None = None) -> pd.DataFrame:
    """``signatures`` without the columns ``names`` (each must be one of them) and without the
    members of the aetiology ``classes`` (see :data:`~unfoldnmf.reference.classes.SIGNATURE_CLASSES`)."""
    names = list(names or [])
    unknown = [n for n in names if n not in signatures.columns]
    if unknown:
        raise InputError(f"--exclude: no signature named {', '.join(unknown)} "
                         f"among {', '.join(map(str, signatures.columns[:8]))}"
                         f"{' …' if signatures.shape[1] > 8 else ''}")
    for name in classes or []:
        members = class_members([name])
        if not members & set(signatures.columns):
            logging.getLogger("unfoldnmf").warning("--exclude-class %s: none of its signatures (%s) is in the table; "
                                                   "nothing left out for it", name, ", ".join(sorted(members)))
    dropped = set(names) | class_members(list(classes or []))
    kept = [c for c in signatures.columns if c not in dropped]
    if not kept:
        raise InputError("--exclude: every signature was excluded; nothing is left to fit")
    return signatures[kept]
