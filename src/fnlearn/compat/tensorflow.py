"""``tf`` for Keras programs: ``from fnlearn.compat import tensorflow as tf`` instead of TensorFlow.

``tf.keras`` is :mod:`fnlearn.keras`, so ``tf.keras.Sequential``, ``tf.keras.layers.Dense``,
``tf.keras.optimizers.Adam``, ``tf.keras.utils.to_categorical``, ``tf.keras.datasets.mnist`` work, and so
do imports such as ``from fnlearn.compat.tensorflow.keras.models import Sequential``.
``tf.random.set_seed`` seeds fnlearn, and ``tf.nn`` holds the activations (``tf.nn.relu``, ``tf.nn.softmax``…).
Nothing else of TensorFlow is provided; asking for it says so.

Example:
    >>> from fnlearn.compat import tensorflow as tf
    >>> model = tf.keras.Sequential([tf.keras.layers.Dense(5, activation="relu", input_shape=(5,)),
    ...                              tf.keras.layers.Dense(1, activation="sigmoid")])
    >>> model.num_parameters()
    36
"""

from __future__ import annotations

import importlib
import sys
from types import SimpleNamespace
from typing import Any

from .. import __version__, keras
from .. import functional as F
from ..backend import set_seed

# Make `tensorflow.keras.<module>` importable under this name: `import a.b.c` looks in sys.modules first.
for _sub in ("", ".models", ".layers", ".optimizers", ".losses", ".metrics", ".callbacks", ".utils",
             ".datasets", ".datasets.mnist", ".datasets.fashion_mnist", ".activations", ".initializers", ".backend",
             ".optimizers.schedules", ".optimizers.legacy", ".regularizers"):
    sys.modules[f"{__name__}.keras{_sub}"] = importlib.import_module(f"fnlearn.keras{_sub}")

random = SimpleNamespace(set_seed=set_seed)

# tf.nn's activations, as fnlearn's own functions: ``Dense(10, activation=tf.nn.relu)`` saves by name and
# trains like activation="relu", and ``tf.nn.softmax(model(x)).numpy()`` (the quickstart) works.
nn = SimpleNamespace(**{name: getattr(F, name) for name in (
    "relu", "relu6", "sigmoid", "tanh", "softmax", "log_softmax", "softplus", "elu", "selu", "gelu", "silu",
    "swish")})

__all__ = ["keras", "random", "nn", "__version__"]


def __getattr__(name: str) -> Any:
    if name.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    raise AttributeError(f"tf.{name} is not part of fnlearn's stand-in for TensorFlow, which has tf.keras, "
                         "tf.nn (activations) and tf.random.set_seed; use NumPy for the rest (e.g. np.linspace).")
