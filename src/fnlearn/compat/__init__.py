"""Compatibility namespaces for programs written for other libraries.

``from fnlearn.compat import tensorflow as tf`` replaces ``import tensorflow as tf`` in a Keras program:
``tf.keras.Sequential``, ``tf.keras.layers.Dense``, ``tf.keras.optimizers.Adam`` and the rest come from
:mod:`fnlearn.keras`.
"""

from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    if name == "tensorflow":
        return importlib.import_module(f"{__name__}.tensorflow")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["tensorflow"]
