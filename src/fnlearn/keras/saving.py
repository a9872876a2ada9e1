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

import os
from collections.abc import Callable
from typing import Any

from ..errors import ConfigError, FnlearnError
from ._missing import not_provided
from .keras_export import export_keras
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


def get_registered_name(obj: Any) -> str:
    """The name ``obj`` is registered under, else its own ``__name__`` (Keras's ``get_registered_name``).

    >>> from fnlearn.keras import layers
    >>> get_registered_name(layers.Dense)
    'Dense'
    """
    found = next((key for key, value in _REGISTERED.items() if value is obj), None)
    return found or getattr(obj, "__name__", type(obj).__name__)


class CustomObjectScope:
    """``with custom_object_scope({"MyLayer": MyLayer}):`` — inside, ``load_model`` and the ``deserialize`` functions
    find these classes and functions by name, as registered ones; on leaving, the registry is as it was.

    >>> from fnlearn.keras import layers
    >>> class Twice(layers.Layer):
    ...     def call(self, inputs):
    ...         return inputs * 2
    >>> with custom_object_scope({"Twice": Twice}):
    ...     get_registered_object("Twice") is Twice
    True
    >>> get_registered_object("Twice") is None
    True
    """

    def __init__(self, *custom_objects: dict[str, Any] | None) -> None:
        bad = next((c for c in custom_objects if c is not None and (not isinstance(c, dict)
                                                                    or not all(isinstance(k, str) for k in c))), None)
        if bad is not None:
            raise ConfigError(f"custom_object_scope got {bad!r}; give dicts of name to class or function, e.g. "
                              "custom_object_scope({'MyLayer': MyLayer}).")
        self.custom_objects = {k: v for c in custom_objects if c for k, v in c.items()}
        self._saved: dict[str, Any] = {}

    def __enter__(self) -> CustomObjectScope:
        self._saved = {key: _REGISTERED.get(key, _ABSENT) for key in self.custom_objects}
        _REGISTERED.update(self.custom_objects)
        return self

    def __exit__(self, *exc: Any) -> None:
        for key, value in self._saved.items():
            if value is _ABSENT:
                _REGISTERED.pop(key, None)
            else:
                _REGISTERED[key] = value


_ABSENT = object()
custom_object_scope = CustomObjectScope


def _kind(obj: Any) -> str | None:
    """The Keras module an object of fnlearn's belongs to ("keras.layers", ...), None for one of one's own."""
    from .. import optim
    from ..losses import Loss
    from ..metrics import Metric
    from ..nn.layers import Layer
    from ..nn.regularizers import Regularizer

    if any(obj is value or type(obj) is value for value in _REGISTERED.values()):
        return None
    for base, module in ((Layer, "keras.layers"), (Regularizer, "keras.regularizers"),
                         (optim.Optimizer, "keras.optimizers"), (Loss, "keras.losses"), (Metric, "keras.metrics")):
        if isinstance(obj, base):
            return module if type(obj).__module__.startswith("fnlearn.") else None
    if type(obj).__module__ == "fnlearn.nn.initializers":
        return "keras.initializers"
    return None


def serialize_keras_object(obj: Any) -> Any:
    """``obj`` as plain data for a ``get_config`` (Keras's ``saving.serialize_keras_object``): a layer, initializer,
    regularizer, optimizer, loss or metric as ``{"module", "class_name", "config", "registered_name"}``, a function
    by its name, an array by its values and dtype, lists and dicts item by item; :func:`deserialize_keras_object`
    makes it again.

    >>> from fnlearn import keras
    >>> entry = keras.saving.serialize_keras_object(keras.layers.Dense(3, name="d"))
    >>> entry["class_name"], entry["config"]["units"]
    ('Dense', 3)
    >>> keras.saving.deserialize_keras_object(entry).units
    3
    """
    import numpy as np

    from ..nn import initializers

    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    kind = _kind(obj)
    registered = next((key for key, value in _REGISTERED.items() if value is obj or value is type(obj)), None)
    if isinstance(obj, type) or (callable(obj) and not hasattr(obj, "get_config") and kind is None):
        name = registered or getattr(obj, "__name__", None)
        if not isinstance(name, str):
            raise ConfigError(f"serialize_keras_object got {obj!r}, which has no name to record; give a function "
                              "defined with def, or an object with get_config().")
        return {"module": getattr(obj, "__module__", None), "class_name": "function", "config": name,
                "registered_name": name}
    if kind == "keras.initializers":
        config = initializers.name_of(obj)
    elif hasattr(obj, "get_config"):
        config = serialize_keras_object(obj.get_config())
    else:
        raise ConfigError(f"serialize_keras_object got a {type(obj).__name__}, which has no get_config(); give it "
                          "a get_config() returning its __init__ arguments, as Keras needs too.")
    return {"module": kind or type(obj).__module__, "class_name": type(obj).__name__, "config": config,
            "registered_name": None if kind else registered or type(obj).__name__}


def deserialize_keras_object(config: Any, custom_objects: dict[str, Any] | None = None, safe_mode: bool = True,
                             **kwargs: Any) -> Any:
    """The object :func:`serialize_keras_object` recorded (Keras's ``saving.deserialize_keras_object``). Classes
    and functions of one's own are found in ``custom_objects`` or among those registered with
    :func:`register_keras_serializable`; nothing else is looked up or imported. ``safe_mode`` is accepted: fnlearn
    never runs code from a config.

    >>> from fnlearn import keras
    >>> keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(keras.activations.relu))
    <function relu ...>
    """
    import numpy as np

    from .. import io, optim
    from ..nn import initializers, regularizers
    from ..nn.layers import Layer
    from . import activations, losses, metrics
    from .cloning import _Source

    if config is None or isinstance(config, (bool, int, float, str)):
        return config
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(item, custom_objects) for item in config]
    if not isinstance(config, dict):
        raise ConfigError(f"deserialize_keras_object got a {type(config).__name__}; it takes what "
                          "serialize_keras_object gave: a dict, a list or a plain value.")
    if "class_name" not in config:
        return {key: deserialize_keras_object(value, custom_objects) for key, value in config.items()}
    own = {**_REGISTERED, **(custom_objects or {})}
    name, inner, module = config["class_name"], config.get("config"), config.get("module")
    if name == "__numpy__" and isinstance(inner, dict):
        return np.asarray(inner.get("value"), dtype=inner.get("dtype"))
    if name == "function":
        found = own.get(config.get("registered_name")) or own.get(inner)
        if found is None and isinstance(inner, str):
            for source in (activations.get, losses.get):
                try:
                    return source(inner)
                except (FnlearnError, ValueError, KeyError):
                    continue
        if found is None:
            raise ConfigError(f"deserialize_keras_object got the function {inner!r}, which is neither fnlearn's nor "
                              f"in custom_objects; pass custom_objects={{{inner!r}: {inner}}} or register it with "
                              "keras.saving.register_keras_serializable().")
        return found
    cls = own.get(config.get("registered_name")) or own.get(name)
    if cls is None and module == "keras.layers" or isinstance(cls, type) and issubclass(cls, Layer):
        entry = {"class_name": name, "config": inner}
        return io._make_layer(_Source(f"deserialize_keras_object's config of {name}"), 0, entry,
                              {**own, **({name: cls} if cls is not None else {})})
    if cls is None:
        makers = {"keras.initializers": initializers.from_config, "keras.optimizers": optim.from_config}
        if module in makers:
            return makers[module](inner)
        if module == "keras.regularizers":
            return regularizers.deserialize(config)
        cls = getattr(losses if module == "keras.losses" else metrics, name, None) \
            if module in ("keras.losses", "keras.metrics") else None
    if cls is None:
        raise ConfigError(f"deserialize_keras_object got class {name!r}, which is neither fnlearn's nor in "
                          f"custom_objects; pass custom_objects={{{name!r}: {name}}} or register the class with "
                          "keras.saving.register_keras_serializable().")
    settings = dict(inner or {})
    return cls.from_config(settings) if hasattr(cls, "from_config") else cls(**settings)


def save_weights(model: Any, filepath: Any, overwrite: bool = True) -> None:
    """Keras 3's ``keras.saving.save_weights(model, filepath)``: ``model.save_weights(filepath)``.

    >>> from fnlearn import keras
    >>> import tempfile, pathlib
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "m.weights.h5"
    >>> save_weights(model, path); load_weights(model, path)
    """
    if not overwrite and os.path.exists(filepath):
        raise ConfigError(f"save_weights got overwrite=False and {str(filepath)!r} exists; remove it, choose another "
                          "name, or pass overwrite=True.")
    model.save_weights(filepath)


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False) -> None:
    """Keras 3's ``keras.saving.load_weights(model, filepath)``: ``model.load_weights(filepath)``."""
    if skip_mismatch:
        raise ConfigError("load_weights got skip_mismatch=True, which fnlearn does not take: every weight's shape is "
                          "checked before any changes; load into a model of the same layers.")
    model.load_weights(filepath)


__all__ = ["load_model", "save_model", "save_weights", "load_weights",
           "register_keras_serializable", "get_registered_object", "get_custom_objects",
           "export_keras", "get_registered_name", "custom_object_scope", "CustomObjectScope",
           "serialize_keras_object", "deserialize_keras_object"]

__getattr__ = not_provided(__name__, __all__)
