"""``tf`` for Keras programs: ``from fnlearn.compat import tensorflow as tf`` instead of TensorFlow.

``tf.keras`` is :mod:`fnlearn.keras`, so ``tf.keras.Sequential``, ``tf.keras.layers.Dense``,
``tf.keras.optimizers.Adam``, ``tf.keras.utils.to_categorical``, ``tf.keras.datasets.mnist`` work, and so
do imports such as ``from fnlearn.compat.tensorflow.keras.models import Sequential``.
``tf.random.set_seed`` seeds fnlearn. Nothing else of TensorFlow is provided.

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

from .. import __version__, keras
from ..backend import set_seed

# Make `tensorflow.keras.<module>` importable under this name: `import a.b.c` looks in sys.modules first.
for _sub in ("", ".models", ".layers", ".optimizers", ".losses", ".metrics", ".callbacks", ".utils",
             ".datasets", ".datasets.mnist", ".datasets.fashion_mnist", ".activations", ".initializers", ".backend",
             ".optimizers.schedules", ".optimizers.legacy", ".regularizers"):
    sys.modules[f"{__name__}.keras{_sub}"] = importlib.import_module(f"fnlearn.keras{_sub}")

random = SimpleNamespace(set_seed=set_seed)

__all__ = ["keras", "random", "__version__"]
