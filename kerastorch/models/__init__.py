"""Models: ``Sequential`` and the ``Model`` base it shares compile/fit/evaluate/predict with."""

from kerastorch.models.model import Model
from kerastorch.models.sequential import Sequential

__all__ = ["Model", "Sequential"]
