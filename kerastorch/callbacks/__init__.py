"""Callbacks with Keras's hook names: History, the progress bar, the base class, and Keras's
built-in callbacks (EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, TensorBoard, ...)."""

from kerastorch.callbacks.backup_and_restore import BackupAndRestore
from kerastorch.callbacks.base import Callback, CallbackList
from kerastorch.callbacks.csv_logger import CSVLogger
from kerastorch.callbacks.early_stopping import EarlyStopping
from kerastorch.callbacks.history import History
from kerastorch.callbacks.lambda_callback import LambdaCallback
from kerastorch.callbacks.learning_rate_scheduler import LearningRateScheduler
from kerastorch.callbacks.model_checkpoint import ModelCheckpoint
from kerastorch.callbacks.progress import ProgbarLogger
from kerastorch.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from kerastorch.callbacks.tensorboard import TensorBoard
from kerastorch.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TensorBoard",
    "TerminateOnNaN",
]
