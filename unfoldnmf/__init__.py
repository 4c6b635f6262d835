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
from .pipeline import Extraction, extract_signatures  # noqa: E402
from .plotting import exposure_figure, save_figure, selection_figure, signature_figure  # noqa: E402
from .refit import nnls_exposures, sparse_exposures  # noqa: E402
from .report import write_report  # noqa: E402
from .tables import read_catalog, read_exposures, read_selection, read_signatures  # noqa: E402
from .train import train  # noqa: E402

__all__ = [
    "Config", "Extraction", "InputError", "NumericalError", "UnfoldNMFError", "__version__",
    "exposure_figure", "extract_signatures", "load_config", "nnls_exposures", "read_catalog", "read_exposures",
    "read_selection", "read_signatures", "save_figure", "score_exposures", "score_signatures", "selection_figure",
    "signature_figure", "sparse_exposures", "train", "write_report",
]
