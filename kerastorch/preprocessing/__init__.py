"""Keras's ``keras.preprocessing`` paths, so that imports written for Keras carry over unchanged.

The functions live in :mod:`kerastorch.utils`; this package only gives them the homes Keras
scripts import them from: ``keras.preprocessing.timeseries_dataset_from_array``,
``keras.preprocessing.text_dataset_from_directory``, ``keras.preprocessing.sequence.pad_sequences``
and Keras 2's ``keras.preprocessing.text.Tokenizer`` (which Keras 3 removed).

Example:
    >>> from kerastorch.preprocessing.sequence import pad_sequences
    >>> pad_sequences([[1, 2], [3]], maxlen=3).tolist()
    [[0, 1, 2], [0, 0, 3]]
"""

from kerastorch.preprocessing import sequence, text
from kerastorch.utils import text_dataset_from_directory, timeseries_dataset_from_array

__all__ = [
    "sequence",
    "text",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]

# Keras names this package leaves out on purpose, and what to use instead.
_NOT_PROVIDED = {
    "image": "kerastorch has no image utilities: load images with Pillow or torchvision",
    "image_dataset_from_directory": (
        "kerastorch has no image pipelines: use torchvision.datasets.ImageFolder (with a "
        "transform to tensors) in a torch DataLoader, which fit takes as it is"
    ),
}


def __getattr__(name: str) -> object:
    """Name a ``keras.preprocessing`` function kerastorch leaves out, and what to use instead."""
    if name in _NOT_PROVIDED:
        raise AttributeError(
            f"kerastorch.preprocessing has no {name!r} (keras.preprocessing.{name}): "
            f"{_NOT_PROVIDED[name]}."
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
