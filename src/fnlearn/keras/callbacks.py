"""``keras.callbacks``: fnlearn's callbacks under their Keras names.

EarlyStopping, ModelCheckpoint, BackupAndRestore, LearningRateScheduler, ReduceLROnPlateau, TerminateOnNaN, CSVLogger,
TensorBoard, SwapEMAWeights, LambdaCallback, ProgbarLogger, RemoteMonitor, History, CallbackList (for a training loop
of one's own) and the base class Callback behave as in Keras;
GradientNormStopping is the lecture's own rule (stop when the gradient is nearly zero).

Example:
    >>> from fnlearn.keras.callbacks import EarlyStopping
    >>> EarlyStopping(monitor="val_loss", patience=3).patience
    3
"""

from ..callbacks import (
    BackupAndRestore,
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    GradientNormStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgbarLogger,
    ReduceLROnPlateau,
    RemoteMonitor,
    SwapEMAWeights,
    TerminateOnNaN,
)
from ..tensorboard import TensorBoard
from ._missing import not_provided

__all__ = ["Callback", "History", "EarlyStopping", "ModelCheckpoint", "BackupAndRestore", "LearningRateScheduler",
           "TerminateOnNaN", "CSVLogger", "LambdaCallback", "GradientNormStopping", "ReduceLROnPlateau", "TensorBoard",
           "SwapEMAWeights", "CallbackList", "ProgbarLogger", "RemoteMonitor"]

__getattr__ = not_provided(__name__, __all__)
