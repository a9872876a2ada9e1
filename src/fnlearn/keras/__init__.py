"""``fnlearn.keras``: the Keras names the lecture programs use, backed by fnlearn.

Change ``from tensorflow.keras.models import Sequential`` into ``from fnlearn.keras.models import
Sequential`` (and likewise for ``layers``, ``optimizers``, ``losses``, ``metrics``, ``callbacks``,
``utils``, ``datasets``, ``activations``, ``initializers``, ``backend``, ``regularizers``, ``constraints``,
``preprocessing.sequence``) and nothing else in the program changes.

Example (Tsai's MNIST network):
    >>> from fnlearn.keras.models import Sequential
    >>> from fnlearn.keras.layers import Dense
    >>> from fnlearn.keras.optimizers import SGD
    >>> model = Sequential()
    >>> model.add(Dense(100, input_dim=784, activation="relu"))
    >>> model.add(Dense(100, activation="relu"))
    >>> model.add(Dense(10, activation="softmax"))
    >>> model.compile(loss="mse", optimizer=SGD(lr=0.087), metrics=["accuracy"])
    >>> model.num_parameters()
    89610
"""

from . import (
    activations,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    dtype_policies,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    ops,
    optimizers,
    preprocessing,
    random,
    regularizers,
    saving,
    tree,
    visualization,
)
from . import utils as utils
from ._missing import not_provided
from .core import KerasTensor, Variable, device
from .dtype_policies import DTypePolicy, FloatDTypePolicy
from .initializers import Initializer
from .layers import Input, InputSpec, Layer
from .losses import Loss
from .metrics import Metric
from .models import Model, Sequential, load_model, save_model
from .optimizers import Optimizer
from .regularizers import Regularizer

__all__ = ["Sequential", "Model", "Input", "InputSpec", "Layer", "Loss", "Metric", "Optimizer", "Initializer",
           "Regularizer", "Variable", "KerasTensor", "device", "DTypePolicy", "FloatDTypePolicy", "dtype_policies",
           "version", "load_model", "save_model", "layers", "models",
           "optimizers",
           "losses", "metrics", "callbacks", "utils", "datasets", "activations", "initializers", "backend", "config",
           "regularizers", "constraints", "ops", "preprocessing", "random", "saving", "tree",
           "mixed_precision", "visualization"]

# the Keras release whose API this front end follows, for the programs that print it or branch on it
__version__ = "3.15.1"


def version() -> str:
    """The Keras release whose API ``fnlearn.keras`` follows (Keras's ``keras.version()``).

    >>> version()
    '3.15.1'
    """
    return __version__


# wrappers imports scikit-learn; applications builds models only when asked
__getattr__ = not_provided(__name__, __all__, lazy=["wrappers", "applications"])
