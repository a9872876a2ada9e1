"""``keras.saving``: ``load_model``, ``save_model`` and ``register_keras_serializable``.

A class or function registered with the decorator is found by its name when a model file names it, so
``load_model`` needs no ``custom_objects`` for it (as in Keras).

Example:
    >>> from fnlearn.keras import layers, saving
    >>> @saving.register_keras_serializable(package="demo")
    ... class Doubled(layers.Layer):
    ...     def call(self, inputs):
    ...         return inputs * 2
    >>> saving.get_registered_object("Doubled") is Doubled
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ConfigError
from ._missing import not_provided
from .models import load_model, save_model

_REGISTERED: dict[str, Any] = {}


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Callable[[Any], Any]:
    """A decorator that registers a layer, loss or metric class (or a function) under ``name`` (default: its
    own name), so that model files naming it load without ``custom_objects``. ``package`` is accepted for
    Keras's sake; fnlearn's files name classes without it."""
    if not isinstance(package, str) or (name is not None and not isinstance(name, str)):
        raise ConfigError(f"register_keras_serializable takes package and name as strings, got package={package!r}, "
                          f"name={name!r}; use it as @register_keras_serializable(package='my_package').")

    def register(obj: Any) -> Any:
        key = name or getattr(obj, "__name__", None)
        if not key:
            raise ConfigError(f"register_keras_serializable needs a class or a function with a name, got "
                              f"{type(obj).__name__}; pass name='...'.")
        _REGISTERED[key] = obj
        return obj

    return register


def get_registered_object(name: str, custom_objects: dict[str, Any] | None = None) -> Any:
    """What ``name`` was registered as (``custom_objects`` first), or None."""
    return (custom_objects or {}).get(name, _REGISTERED.get(name))


def get_custom_objects() -> dict[str, Any]:
    """The registry itself (Keras's ``get_custom_objects``): entries added here load by name too."""
    return _REGISTERED


__all__ = ["load_model", "save_model", "register_keras_serializable", "get_registered_object", "get_custom_objects"]

__getattr__ = not_provided(__name__, __all__)
