"""Utilities: seeding, padding sequences, sliding windows over time series, one-hot labels,
learning curves."""

from kerastorch.utils.numerical import normalize, to_categorical
from kerastorch.utils.plotting import plot_history
from kerastorch.utils.seed import set_random_seed
from kerastorch.utils.sequence import pad_sequences
from kerastorch.utils.timeseries import TimeseriesWindows, timeseries_dataset_from_array

__all__ = [
    "TimeseriesWindows",
    "normalize",
    "pad_sequences",
    "plot_history",
    "set_random_seed",
    "timeseries_dataset_from_array",
    "to_categorical",
]
