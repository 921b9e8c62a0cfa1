"""The ``keras.backend`` functions a Keras script calls around its models.

``clear_session`` between experiments, ``epsilon`` and ``floatx`` in custom losses. The tensor
math of ``keras.backend`` (``K.mean``, ``K.sum``, ...) is torch's: ``torch.mean``, ``torch.sum``.
"""

from __future__ import annotations

import gc

__all__ = ["backend", "clear_session", "epsilon", "floatx"]

_EPSILON = 1e-7


def clear_session(free_memory: bool = True) -> None:
    """Reset what kerastorch keeps between models, as ``keras.backend.clear_session``.

    Automatic model names start again from ``sequential``, the global dtype policy goes back to
    ``"float32"``, torch.compile's caches are dropped (Keras's torch backend does the same), and
    with ``free_memory`` Python's garbage collector runs.

    Example:
        >>> from kerastorch import Sequential
        >>> clear_session()
        >>> Sequential().name
        'sequential'
    """
    import torch._dynamo

    from kerastorch import mixed_precision
    from kerastorch.utils.naming import reset_name_counts

    reset_name_counts()
    mixed_precision.set_global_policy("float32")
    torch._dynamo.reset()
    if free_memory:
        gc.collect()


def epsilon() -> float:
    """The fuzz factor Keras adds to avoid divisions by zero: ``1e-7``."""
    return _EPSILON


def floatx() -> str:
    """The default float type: ``"float32"`` (kerastorch's weights and inputs are float32)."""
    return "float32"


def backend() -> str:
    """The name of the backend kerastorch runs on: ``"torch"``."""
    return "torch"
