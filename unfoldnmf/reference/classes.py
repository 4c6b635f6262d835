"""COSMIC v3.4 signatures grouped by their proposed aetiology, so that a user can leave a whole class
out of a fit (e.g. treatment signatures for untreated tumours, artefacts for a clean pipeline).

The groups follow COSMIC's signature pages (cancer.sanger.ac.uk/signatures, v3.4): one class spans the
SBS, DBS and ID signatures of that aetiology; a table holds only the members of its own kind."""

from __future__ import annotations

from ..errors import InputError

_SEQUENCING_ARTEFACTS = ("SBS27", "SBS43", *(f"SBS{n}" for n in range(45, 61)), "SBS95", "DBS14")
_CHEMOTHERAPY = ("SBS11", "SBS25", "SBS31", "SBS35", "SBS86", "SBS87", "SBS90", "SBS99", "DBS5")

#: Class name -> its COSMIC v3.4 signatures.
SIGNATURE_CLASSES: dict[str, tuple[str, ...]] = {
    "artefact": _SEQUENCING_ARTEFACTS,
    "apobec": ("SBS2", "SBS13"),
    "tobacco": ("SBS4", "SBS29", "SBS92", "DBS2", "ID3"),
    "uv": ("SBS7a", "SBS7b", "SBS7c", "SBS7d", "SBS38", "DBS1", "ID13"),
    "aristolochic-acid": ("SBS22a", "SBS22b", "DBS20", "ID23"),
    "colibactin": ("SBS88", "ID18"),
    "mmr": ("SBS6", "SBS14", "SBS15", "SBS20", "SBS21", "SBS26", "SBS44", "DBS7", "DBS10", "ID7"),
    "pol": ("SBS10a", "SBS10b", "SBS10c", "SBS10d", "SBS28", "DBS3"),
    "hr": ("SBS3", "DBS13", "ID6"),
    "ber": ("SBS30", "SBS36"),
    "chemotherapy": _CHEMOTHERAPY,
    "immunosuppressant": ("SBS32",),
    "treatment": (*_CHEMOTHERAPY, "SBS32"),
    "lymphoid": ("SBS9", "SBS84", "SBS85"),
}


def class_members(classes: list[str]) -> set[str]:
    """The signatures of the named classes (case-insensitive); an unknown class is refused."""
    unknown = [name for name in classes if name.lower() not in SIGNATURE_CLASSES]
    if unknown:
        raise InputError(f"--exclude-class: unknown class {', '.join(unknown)}; the classes are "
                         f"{', '.join(SIGNATURE_CLASSES)}")
    return {signature for name in classes for signature in SIGNATURE_CLASSES[name.lower()]}


def parse_classes(text: str) -> list[str]:
    """``"treatment, uv"`` -> ``["treatment", "uv"]``, each checked against :data:`SIGNATURE_CLASSES`."""
    classes = [name.strip() for name in text.split(",") if name.strip()]
    if not classes:
        raise InputError(f"--exclude-class {text!r}: no class named; give a comma-separated list like "
                         "treatment,artefact")
    class_members(classes)
    return classes
