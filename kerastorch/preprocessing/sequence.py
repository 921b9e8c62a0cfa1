"""Keras's ``keras.preprocessing.sequence``: :func:`~kerastorch.utils.pad_sequences`.

Example:
    >>> from kerastorch.preprocessing import sequence
    >>> sequence.pad_sequences([[1, 2, 3]], maxlen=2, truncating="post").tolist()
    [[1, 2]]
"""

from kerastorch.utils import pad_sequences

__all__ = ["pad_sequences"]


def __getattr__(name: str) -> object:
    """Point Keras 2's ``TimeseriesGenerator`` to its Keras 3 replacement."""
    if name == "TimeseriesGenerator":
        raise AttributeError(
            "kerastorch.preprocessing.sequence has no 'TimeseriesGenerator' (Keras 2's, which "
            "Keras 3 removed): use kerastorch.utils.timeseries_dataset_from_array(data, targets, "
            "sequence_length=..., batch_size=...) instead."
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
