"""Error helpers shared by every module: one shape for every message.

Every error kerastorch raises says what was expected, what was received (``arg=value``) and, where
there is one, how to fix it.
"""

from __future__ import annotations

import difflib
import pickle
from collections.abc import Iterable


def did_you_mean(name: str, valid: Iterable[str]) -> str:
    """Return ``' Did you mean "x"?'`` for the closest valid name, or ``''`` if none is close.

    Of the names difflib finds similar, the one fewest typing mistakes away wins (two swapped
    letters count as one mistake), so a typo of a short name is not "corrected" to a longer
    name that merely shares more letters.

    Example:
        >>> did_you_mean("adma", ["adam", "adamax", "sgd"])
        ' Did you mean "adam"?'
    """
    typed = str(name).lower()
    by_lower = {v.lower(): v for v in valid}
    matches = difflib.get_close_matches(typed, list(by_lower), n=5)
    if not matches:
        return ""
    best = min(matches, key=lambda match: _edit_distance(typed, match))  # min keeps the first
    return f' Did you mean "{by_lower[best]}"?'


def _edit_distance(a: str, b: str) -> int:
    """Insertions, deletions, substitutions and swaps of neighbours turning ``a`` into ``b``
    (the optimal string alignment distance)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


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


def torch_load_failure(error: BaseException) -> str:
    """Why ``torch.load(weights_only=True)`` failed, for a message about a damaged or hostile
    file. Never torch's own advice to re-run with ``weights_only=False``: that would run
    whatever code the file holds.

    Example:
        >>> torch_load_failure(pickle.UnpicklingError("Weights only load failed. ..."))[:50]
        'it holds Python objects other than tensors, which '
        >>> torch_load_failure(RuntimeError("failed finding central directory. More advice."))
        'RuntimeError: failed finding central directory'
    """
    if isinstance(error, pickle.UnpicklingError):
        return (
            "it holds Python objects other than tensors, which are never loaded (loading them "
            "could run code from the file)"
        )
    text = str(error).strip()
    first = text.splitlines()[0].split(". ")[0].rstrip(".") if text else ""
    if "weights_only" in first:
        first = ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__
