"""Utilities: seeding, padding sequences, sliding windows over time series."""

from kerastorch.utils.seed import set_random_seed
from kerastorch.utils.sequence import pad_sequences
from kerastorch.utils.timeseries import TimeseriesWindows, timeseries_dataset_from_array

__all__ = [
    "TimeseriesWindows",
    "pad_sequences",
    "set_random_seed",
    "timeseries_dataset_from_array",
]
