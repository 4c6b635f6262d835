"""unfoldnmf: mutational signature extraction with unfolded (deep-unrolled) NMF.

The Python API does everything the command line does::

    import unfoldnmf
    catalog = unfoldnmf.read_catalog("catalog.tsv")
    result = unfoldnmf.extract_signatures(catalog, unfoldnmf.load_config())
    result.signatures, result.exposures, result.selection.table

Names are imported on first use (torch and pandas load only when a name needs them), so
``import unfoldnmf`` and ``unfoldnmf --help`` stay fast.
"""

from __future__ import annotations

import importlib

from ._version import __version__

#: Public name -> the module that defines it (layout: see CONTRIBUTING.md "Architecture").
_EXPORTS = {
    "Config": "config", "load_config": "config",
    "InputError": "errors", "NumericalError": "errors", "OutputError": "errors", "UnfoldNMFError": "errors",
    "check_catalog": "io.tables", "read_catalog": "io.tables", "read_exposures": "io.tables",
    "read_selection": "io.tables", "read_signatures": "io.tables",
    "OutputLock": "io.lock",
    "distributed": "hpc.distributed",
    "Assignment": "reference.assign", "assign_signatures": "reference.assign",
    "cosmic_signatures": "reference.cosmic", "reference_signatures": "reference.cosmic",
    "score_exposures": "reference.scoring", "score_signatures": "reference.scoring",
    "Cohort": "reference.simulate", "simulate_cohort": "reference.simulate",
    "UnfoldedNMF": "network.unfolded",
    "predict_exposures": "network.supervised", "train_supervised": "network.supervised",
    "train_unsupervised": "network.unsupervised",
    "load_model": "network.model_file", "save_model": "network.model_file",
    "Attribution": "exposures.attribution",
    "Gate": "exposures.learned", "first_pass_cohort": "exposures.learned", "train_on_catalog": "exposures.learned",
    "Catalogs": "calls.counting", "count_catalogs": "calls.counting", "SampleNaming": "calls.samples",
    "nnls_exposures": "exposures.refit", "sparse_exposures": "exposures.refit",
    "bootstrap_signatures": "exposures.fit", "exposures_from_model": "exposures.fit",
    "fit_cohort": "exposures.fit", "fit_cosmic": "exposures.fit", "fit_signatures": "exposures.fit",
    "Extraction": "extraction.scan", "extract_signatures": "extraction.scan",
    "catalog_figure": "report.figures", "exposure_figure": "report.figures", "save_figure": "report.figures",
    "selection_figure": "report.figures", "signature_figure": "report.figures",
    "reconstruction_figure": "report.figures", "decomposition_figure": "report.figures",
    "write_report": "report.html",
    "assign": "run", "attribute": "run", "catalog": "run", "fit": "run", "simulate": "run", "train": "run",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'unfoldnmf' has no attribute {name!r}")
    value = importlib.import_module(f".{module}", __name__)
    value = value if name == module.rsplit(".", 1)[-1] else getattr(value, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
