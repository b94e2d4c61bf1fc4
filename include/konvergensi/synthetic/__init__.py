"""Sample data generator: a generated population of one regency, ministry extracts in each
source's native shape with realistic noise, and the ground truth to score the pipeline against.

Generated people only: nothing here is, or is derived from, a real person.
"""

from konvergensi.periods import periods_for_quarter, split_periods
from konvergensi.synthetic.generator import DEFAULT_PERIODS, GenerationSummary, generate, split_rows
from konvergensi.synthetic.noise import NOISE_DEFAULTS

__all__ = [
    "DEFAULT_PERIODS",
    "NOISE_DEFAULTS",
    "GenerationSummary",
    "generate",
    "periods_for_quarter",
    "split_periods",
    "split_rows",
]
