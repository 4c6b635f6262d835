"""unfoldnmf: mutational signature extraction with unfolded (deep-unrolled) NMF.

The Python API does everything the command line does::

    import unfoldnmf
    catalog = unfoldnmf.read_catalog("catalog.tsv")
    result = unfoldnmf.extract_signatures(catalog, unfoldnmf.load_config())
    result.signatures, result.exposures, result.selection.table
"""

__version__ = "0.1.0"

from .config import Config, load_config  # noqa: E402
from .errors import InputError, NumericalError, UnfoldNMFError  # noqa: E402
from .evaluate import score_exposures, score_signatures  # noqa: E402
from .fit import exposures_from_model, fit  # noqa: E402
from .model_file import load_model, save_model  # noqa: E402
from .pipeline import Extraction, extract_signatures  # noqa: E402
from .refit import nnls_exposures, sparse_exposures  # noqa: E402
from .supervised import predict_exposures, train_supervised  # noqa: E402
from .tables import read_catalog, read_exposures, read_signatures  # noqa: E402
from .train import train  # noqa: E402
from .unfolded import UnfoldedNMF  # noqa: E402
from .unsupervised import train_unsupervised  # noqa: E402

__all__ = [
    "Config", "Extraction", "InputError", "NumericalError", "UnfoldNMFError", "UnfoldedNMF", "__version__",
    "exposures_from_model", "extract_signatures", "fit", "load_config", "load_model", "nnls_exposures",
    "predict_exposures", "read_catalog", "read_exposures", "read_signatures", "save_model", "score_exposures",
    "score_signatures", "sparse_exposures", "train", "train_supervised", "train_unsupervised",
]
