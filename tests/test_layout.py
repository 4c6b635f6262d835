"""The package's layers (CONTRIBUTING.md "Architecture"): data flows one way, no module imports a higher layer."""

import ast
import subprocess
import sys
from pathlib import Path

import unfoldnmf

PACKAGE = Path(unfoldnmf.__file__).parent
#: Lowest first; a module may import its own layer and those below it.
LAYERS = [
    {"_version", "errors", "config", "timing"},
    {"io"},
    {"calls"},
    {"hpc"},
    {"nmf"},
    {"reference"},
    {"network"},
    {"exposures"},
    {"extraction"},
    {"report"},
    {"run"},
    {"cli", "__main__", "__init__"},
]


def _layer(top: str) -> int:
    return next(i for i, names in enumerate(LAYERS) if top in names)


def _imported(path: Path) -> set[str]:
    """Top-level package parts (``io``, ``nmf`` …) that the module at ``path`` imports."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(parts[:-1])[: len(parts) - node.level]
            target = base + (node.module.split(".") if node.module else [alias.name for alias in node.names][:1])
            found.add(target[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("unfoldnmf."):
            found.add(node.module.split(".")[1])
    return found


def test_every_module_belongs_to_a_layer_and_imports_only_downwards():
    for path in PACKAGE.rglob("*.py"):
        top = path.relative_to(PACKAGE).with_suffix("").parts[0]
        own = _layer(top)
        for imported in _imported(path):
            assert _layer(imported) <= own, (
                f"{path.relative_to(PACKAGE)} (layer {top}) imports the higher layer {imported}")


def test_help_does_not_import_torch():
    code = ("import sys; from unfoldnmf.cli import cli; "
            "assert 'torch' not in sys.modules and 'pandas' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_fit_on_known_signatures_does_not_import_torch(tmp_path):
    """A job array of many small fits should not pay torch's import (about 2 s) in each of them."""
    catalog = tmp_path / "catalog.tsv"
    catalog.write_text((PACKAGE / "data" / "example_catalog.tsv").read_text())
    code = ("import sys; from unfoldnmf.cli import cli\n"
            "try:\n    cli(sys.argv[1:])\nexcept SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
            "assert 'torch' not in sys.modules, 'fit imported torch'")
    for method in ("sparse", "nnls"):
        subprocess.run([sys.executable, "-c", code, "fit", str(catalog), "--cosmic", "SBS1,SBS5,SBS13", "-o",
                        str(tmp_path / method), "--method", method, "--quiet"], check=True)
    assert (tmp_path / "sparse" / "exposures.tsv").exists()


def test_public_api_names_resolve():
    for name in unfoldnmf.__all__:
        assert getattr(unfoldnmf, name) is not None
