"""unfoldnmf: mutational signature extraction with unfolded (deep-unrolled) NMF.

The Python API does everything the command line does::

    import unfoldnmf
    catalog = unfoldnmf.read_catalog("catalog.tsv")
    result = unfoldnmf.extract_signatures(catalog, unfoldnmf.load_config())
    result.signatures, result.exposures, result.selection.table
"""

__version__ = "0.1.0"

from . import distributed  # noqa: E402
from .config import Config, load_config  # noqa: E402
from .errors import InputError, NumericalError, UnfoldNMFError  # noqa: E402
from .evaluate import score_exposures, score_signatures  # noqa: E402
from .lock import OutputLock  # noqa: E402
from .pipeline import Extraction, extract_signatures  # noqa: E402
from .refit import nnls_exposures, sparse_exposures  # noqa: E402
from .tables import read_catalog, read_exposures, read_signatures  # noqa: E402
from .train import train  # noqa: E402

__all__ = [
    "Config", "Extraction", "InputError", "NumericalError", "OutputLock", "UnfoldNMFError", "__version__", "distributed",
    "extract_signatures", "load_config", "nnls_exposures", "read_catalog", "read_exposures",
    "read_signatures", "score_exposures", "score_signatures", "sparse_exposures", "train",
]
