"""The real Keras, for tests that compare fnlearn's numbers with it."""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

import pytest


def real_keras(reason: str = "Keras 3 (with jax) is not installed; the comparison needs it") -> ModuleType:
    """``import keras``, or skip the test where Keras is not installed.

    Without Keras, ``import keras`` finds this suite's own ``tests/keras`` folder (a namespace package, since
    the folder is on the path): that is no Keras, so the test skips too, and the folder is not left in
    ``sys.modules`` for later imports to find.
    """
    os.environ.setdefault("KERAS_BACKEND", "jax")  # the backend the comparisons were written for
    try:
        module = importlib.import_module("keras")
    except ImportError:
        pytest.skip(reason)
    if getattr(module, "__file__", None) is None:
        sys.modules.pop("keras", None)
        pytest.skip(reason)
    return module
