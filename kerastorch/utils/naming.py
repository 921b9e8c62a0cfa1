"""Names Keras derives from class names: ``snake_case`` and process-wide unique auto names.

One ``snake_case`` for every family (layers, models, losses, metrics, Keras file keys), equal to
Keras's ``keras.src.utils.naming.to_snake_case``.
"""

from __future__ import annotations

import re
from collections import defaultdict

__all__ = ["reset_name_counts", "snake_case", "unique_name"]

_NAME_COUNTS: defaultdict[str, int] = defaultdict(int)


def snake_case(name: str) -> str:
    """Keras's snake case of a class name, as its default names use it.

    Example:
        >>> snake_case("GlobalAveragePooling1D"), snake_case("SimpleRNN"), snake_case("Conv1D")
        ('global_average_pooling1d', 'simple_rnn', 'conv1d')
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(prefix: str) -> str:
    """Keras-style process-wide unique names: ``lstm``, ``lstm_1``, ``lstm_2``, ...

    Example:
        >>> first = unique_name("doc_example")
        >>> unique_name("doc_example") == first + "_1"
        True
    """
    count = _NAME_COUNTS[prefix]
    _NAME_COUNTS[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def reset_name_counts() -> None:
    """Start the automatic names again (``keras.backend.clear_session``)."""
    _NAME_COUNTS.clear()
