"""unfoldnmf: mutational signature extraction with unfolded (deep-unrolled) NMF.

The Python API does everything the command line does::

    import unfoldnmf
    catalog = unfoldnmf.read_catalog("catalog.tsv")
    result = unfoldnmf.extract_signatures(catalog, unfoldnmf.load_config())
    result.signatures, result.exposures, result.selection.table
"""

__version__ = "0.1.0"

from . import distributed  # noqa: E402
from .assign import Assignment, assign_signatures  # noqa: E402
from .config import Config, load_config  # noqa: E402
from .errors import InputError, NumericalError, OutputError, UnfoldNMFError  # noqa: E402
from .evaluate import score_exposures, score_signatures  # noqa: E402
from .fit import exposures_from_model, fit_cosmic, fit_signatures  # noqa: E402
from .model_file import load_model, save_model  # noqa: E402
from .lock import OutputLock  # noqa: E402
from .pipeline import Extraction, extract_signatures  # noqa: E402
from .plotting import exposure_figure, save_figure, selection_figure, signature_figure  # noqa: E402
from .reference import cosmic_signatures, reference_signatures  # noqa: E402
from .refit import nnls_exposures, sparse_exposures  # noqa: E402
from .report import write_report  # noqa: E402
from .simulate import Cohort, simulate_cohort  # noqa: E402
from .supervised import predict_exposures, train_supervised  # noqa: E402
from .tables import check_catalog, read_catalog, read_exposures, read_selection, read_signatures  # noqa: E402
from .train import train  # noqa: E402
from .unfolded import UnfoldedNMF  # noqa: E402
from .unsupervised import train_unsupervised  # noqa: E402

__all__ = [
    "Assignment", "Cohort", "Config", "Extraction", "InputError", "NumericalError", "OutputError", "OutputLock",
    "UnfoldNMFError", "distributed",
    "UnfoldedNMF", "__version__", "assign_signatures", "check_catalog", "cosmic_signatures", "exposure_figure",
    "exposures_from_model", "extract_signatures", "fit_cosmic", "fit_signatures", "load_config", "load_model",
    "nnls_exposures", "predict_exposures", "read_catalog", "read_exposures", "read_selection", "read_signatures",
    "reference_signatures", "save_figure", "save_model", "score_exposures", "score_signatures", "selection_figure",
    "signature_figure", "simulate_cohort", "sparse_exposures", "train", "train_supervised", "train_unsupervised",
    "write_report",
]
