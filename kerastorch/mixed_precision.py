"""Mixed precision, Keras's way: a global dtype policy read by ``compile``.

``"mixed_bfloat16"`` runs the forward pass and loss under ``torch.autocast`` in bfloat16 (CPU and
recent GPUs); ``"mixed_float16"`` does so in float16 with a loss scaler (CUDA only: torch's CPU
LSTM kernel has no float16 version). Weights and optimizer state stay float32, as in Keras.
"""

from __future__ import annotations

import torch

__all__ = ["DTypePolicy", "global_policy", "set_global_policy"]

_POLICIES = {"float32": None, "mixed_bfloat16": torch.bfloat16, "mixed_float16": torch.float16}


class DTypePolicy:
    """A named precision policy: weights in ``variable_dtype``, computation in ``compute_dtype``.

    Example:
        >>> DTypePolicy("mixed_bfloat16").compute_dtype
        'bfloat16'
    """

    def __init__(self, name: str) -> None:
        if name not in _POLICIES:
            raise ValueError(
                f"Unknown dtype policy: {name!r}. Valid policies: {', '.join(_POLICIES)}."
            )
        self.name = name

    @property
    def autocast_dtype(self) -> torch.dtype | None:
        return _POLICIES[self.name]

    @property
    def compute_dtype(self) -> str:
        dtype = self.autocast_dtype
        return "float32" if dtype is None else str(dtype).removeprefix("torch.")

    @property
    def variable_dtype(self) -> str:
        return "float32"

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self.name}">'


_global_policy = DTypePolicy("float32")


def set_global_policy(policy: str | DTypePolicy) -> None:
    """Set the policy that models compiled from now on use.

    Example:
        >>> set_global_policy("mixed_bfloat16")
        >>> global_policy().name
        'mixed_bfloat16'
        >>> set_global_policy("float32")
    """
    global _global_policy
    _global_policy = policy if isinstance(policy, DTypePolicy) else DTypePolicy(policy)


def global_policy() -> DTypePolicy:
    """The current global policy (``"float32"`` unless set)."""
    return _global_policy
