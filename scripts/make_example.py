"""Regenerate the bundled example catalog: python scripts/make_example.py"""

from pathlib import Path

from unfoldnmf.io.writing import exposures_text, to_text, write_atomic
from unfoldnmf.reference.cosmic import cosmic_signatures
from unfoldnmf.reference.simulate import simulate_cohort

DATA = Path(__file__).resolve().parent.parent / "unfoldnmf" / "data"

cohort = simulate_cohort(cosmic_signatures(["SBS1", "SBS2", "SBS5", "SBS13", "SBS18"]), samples=200, seed=7,
                         median_total=2000, prefix="tumour")
write_atomic(DATA / "example_catalog.tsv", to_text(cohort.catalog.astype(int), "MutationType", "%d"))
write_atomic(DATA / "example_exposures.tsv", exposures_text(cohort.exposures))
