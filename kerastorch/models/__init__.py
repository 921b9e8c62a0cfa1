"""Models: ``Sequential`` and the ``Model`` base it shares compile/fit/evaluate/predict with."""

from kerastorch.models.cloning import clone_model
from kerastorch.models.model import Model
from kerastorch.models.sequential import Sequential
from kerastorch.saving import load_model, model_from_json

__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_json"]
