"""Error helpers shared by every module: one shape for every message.

Every error kerastorch raises says what was expected, what was received (``arg=value``) and, where
there is one, how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, valid: Iterable[str]) -> str:
    """Return ``' Did you mean "x"?'`` for the closest valid name, or ``''`` if none is close.

    Example:
        >>> did_you_mean("adma", ["adam", "sgd"])
        ' Did you mean "adam"?'
    """
    matches = difflib.get_close_matches(str(name).lower(), [v.lower() for v in valid], n=1)
    if not matches:
        return ""
    by_lower = {v.lower(): v for v in valid}
    return f' Did you mean "{by_lower[matches[0]]}"?'


def unknown_name_error(kind: str, name: str, valid: Iterable[str]) -> ValueError:
    """Build the error for an unknown registry name, listing the valid ones.

    Example:
        >>> str(unknown_name_error("optimizer", "adma", ["adam", "sgd"]))
        'Unknown optimizer: "adma". Did you mean "adam"? Valid names: adam, sgd.'
    """
    valid = sorted(set(valid))
    return ValueError(
        f'Unknown {kind}: "{name}".{did_you_mean(name, valid)} Valid names: {", ".join(valid)}.'
    )
