"""Keras 3's ``keras.config``: the global settings Keras scripts read and set.

kerastorch computes in float32 with channels-last data on torch, so the setters accept those
values and refuse others with the fix; the mixed-precision policy and unsafe deserialization
are real switches.

Example:
    >>> from kerastorch import config
    >>> config.backend(), config.floatx(), config.image_data_format()
    ('torch', 'float32', 'channels_last')
    >>> config.set_dtype_policy("mixed_bfloat16")
    >>> config.dtype_policy().name
    'mixed_bfloat16'
    >>> config.set_dtype_policy("float32")
"""

from __future__ import annotations

from kerastorch import mixed_precision
from kerastorch.backend import backend, epsilon, floatx
from kerastorch.saving import object_registration

__all__ = [
    "backend",
    "disable_traceback_filtering",
    "dtype_policy",
    "enable_unsafe_deserialization",
    "epsilon",
    "floatx",
    "image_data_format",
    "is_traceback_filtering_enabled",
    "set_dtype_policy",
    "set_floatx",
    "set_image_data_format",
]


def set_floatx(value: str) -> None:
    """Keras's default float type: kerastorch's is ``"float32"``, the only value accepted.

    Args:
        value: ``"float32"``. Other types are refused with what to use instead.

    Example:
        >>> set_floatx("float32")
    """
    if value != "float32":
        raise ValueError(
            f"kerastorch.config.set_floatx({value!r}): kerastorch computes in float32 only. "
            'For faster training in 16 bits use config.set_dtype_policy("mixed_bfloat16") '
            '(or "mixed_float16" on CUDA), which keeps float32 weights.'
        )


def image_data_format() -> str:
    """The layout of channel data: ``"channels_last"`` (``(batch, steps, channels)``), as Keras's
    default.

    Example:
        >>> image_data_format()
        'channels_last'
    """
    return "channels_last"


def set_image_data_format(data_format: str) -> None:
    """Keras's default channel layout: kerastorch's is ``"channels_last"``, the only value
    accepted.

    Args:
        data_format: ``"channels_last"``. ``"channels_first"`` is refused with what to do
            instead.

    Example:
        >>> set_image_data_format("channels_last")
    """
    if data_format != "channels_last":
        raise ValueError(
            f"kerastorch.config.set_image_data_format({data_format!r}): kerastorch's layers "
            'take channels last, (batch, steps, channels). Pass data_format="channels_first" '
            "to a layer that accepts it, or move the axis with kerastorch.layers.Permute."
        )


def dtype_policy() -> mixed_precision.DTypePolicy:
    """The global mixed-precision policy (``kerastorch.mixed_precision.global_policy``).

    Example:
        >>> dtype_policy().name
        'float32'
    """
    return mixed_precision.global_policy()


def set_dtype_policy(policy: str | mixed_precision.DTypePolicy) -> None:
    """Set the global mixed-precision policy for models compiled from now on
    (``kerastorch.mixed_precision.set_global_policy``).

    Args:
        policy: ``"float32"``, ``"mixed_bfloat16"``, ``"mixed_float16"`` (CUDA) or a
            ``DTypePolicy``.

    Example:
        >>> set_dtype_policy("mixed_bfloat16")
        >>> set_dtype_policy("float32")
    """
    mixed_precision.set_global_policy(policy)


def enable_unsafe_deserialization() -> None:
    """Allow, for the rest of the process, loading layers whose config carries code (a
    ``Lambda``), as ``safe_mode=False`` does for one load and as Keras's function does
    globally. Only for files whose source you trust.

    Example:
        >>> enable_unsafe_deserialization()  # doctest: +SKIP
    """
    object_registration.disable_safe_mode_globally()


def disable_traceback_filtering() -> None:
    """Keras trims its own frames from tracebacks unless this is called; kerastorch never trims
    them, so there is nothing to turn off.

    Example:
        >>> disable_traceback_filtering()
        >>> is_traceback_filtering_enabled()
        False
    """


def is_traceback_filtering_enabled() -> bool:
    """``False``: kerastorch shows every frame of a traceback (Keras trims its own by default).

    Example:
        >>> is_traceback_filtering_enabled()
        False
    """
    return False
