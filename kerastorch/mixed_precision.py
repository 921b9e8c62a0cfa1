"""Mixed precision, Keras's way: a global dtype policy read by ``compile``.

``"mixed_bfloat16"`` runs the forward pass and loss under ``torch.autocast`` in bfloat16 (CPU and
recent GPUs); ``"mixed_float16"`` does so in float16 with a loss scaler (CUDA only: torch's CPU
LSTM kernel has no float16 version). Weights and optimizer state stay float32, as in Keras.

NOTE [bfloat16 recurrent kernels]
    Under CPU autocast in bfloat16, torch sends ``nn.LSTM`` to oneDNN's bfloat16 LSTM primitive,
    which exists only on CPUs with native bfloat16 support (AVX-512 BF16 / AMX); elsewhere (an
    AVX2-only CPU, most AMD EPYC and older Intel parts) torch 2.13 fails with "could not create a
    primitive descriptor for the LSTM forward propagation primitive". A tiny probe, run once per
    process, tells which kind of CPU this is; where the kernel is missing, the recurrent layers
    run their fused kernel in float32 inside the autocast region (``recurrent_kernel_in_float32``)
    and the rest of the model stays in bfloat16. float32 is also the faster choice there: without
    native bfloat16 the CPU would emulate it.
"""

from __future__ import annotations

import functools

import torch
from torch import nn

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


@functools.cache
def native_bfloat16_lstm() -> bool:
    """Whether this CPU runs ``nn.LSTM`` under bfloat16 autocast (NOTE [bfloat16 recurrent
    kernels]); probed once per process on a one-unit LSTM."""
    probe = nn.LSTM(1, 1)
    try:
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            probe(torch.zeros(1, 1, 1))
    except RuntimeError:
        return False
    return True


def recurrent_kernel_in_float32(inputs: torch.Tensor) -> bool:
    """Whether a fused recurrent kernel must leave autocast and run in float32 for ``inputs``:
    under CPU bfloat16 autocast on a CPU without native bfloat16 LSTM kernels."""
    return (
        inputs.device.type == "cpu"
        and torch.is_autocast_enabled("cpu")
        and torch.get_autocast_dtype("cpu") == torch.bfloat16
        and not native_bfloat16_lstm()
    )
