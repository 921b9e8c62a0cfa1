"""Callbacks with Keras's hook names: History, the progress bar, and the base class."""

from kerastorch.callbacks.base import Callback, CallbackList
from kerastorch.callbacks.history import History
from kerastorch.callbacks.progress import ProgbarLogger

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger"]
