"""Models: ``Sequential``, functional ``Model(inputs, outputs)``, and subclassed ``Model``s,
all sharing compile / fit / evaluate / predict."""

from kerastorch.models.cloning import clone_model
from kerastorch.models.functional import Functional
from kerastorch.models.model import Model
from kerastorch.models.sequential import Sequential
from kerastorch.saving import load_model, model_from_json

__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_json"]
