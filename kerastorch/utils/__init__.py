"""Utilities: seeding, downloading files (get_file), padding sequences, sliding windows over
time series, one-hot labels, Keras 2's text Tokenizer, learning curves, model graphs
(plot_model)."""

from kerastorch.saving.object_registration import (  # keras.utils re-exports these
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from kerastorch.utils.dataset import Pipeline
from kerastorch.utils.directory_datasets import text_dataset_from_directory
from kerastorch.utils.downloads import get_file
from kerastorch.utils.model_visualization import model_to_dot, plot_model
from kerastorch.utils.numerical import normalize, to_categorical
from kerastorch.utils.plotting import plot_history
from kerastorch.utils.py_dataset import PyDataset
from kerastorch.utils.seed import set_random_seed
from kerastorch.utils.sequence import pad_sequences
from kerastorch.utils.text import Tokenizer, text_to_word_sequence, tokenizer_from_json
from kerastorch.utils.timeseries import TimeseriesWindows, timeseries_dataset_from_array

__all__ = [
    "CustomObjectScope",
    "Pipeline",
    "PyDataset",
    "TimeseriesWindows",
    "Tokenizer",
    "custom_object_scope",
    "get_custom_objects",
    "get_file",
    "get_registered_name",
    "get_registered_object",
    "model_to_dot",
    "normalize",
    "pad_sequences",
    "plot_history",
    "plot_model",
    "register_keras_serializable",
    "set_random_seed",
    "text_dataset_from_directory",
    "text_to_word_sequence",
    "timeseries_dataset_from_array",
    "to_categorical",
    "tokenizer_from_json",
]
