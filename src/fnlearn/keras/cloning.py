"""Keras's model cloning and architecture-only (de)serialization: ``keras.models.clone_model``,
``Model.from_config`` / ``Sequential.from_config``, ``model.to_json()`` and ``keras.models.model_from_json``.

Every model comes back with new layers made from their settings and new weights drawn by their initializers
(``clone.set_weights(model.get_weights())`` copies the weights over). The layers are made from their settings by
the code that loads model files (:mod:`fnlearn.io`), so a config, a JSON string and a file are read alike. The JSON
is fnlearn's own (the dict ``model.get_config()`` gives); real Keras 3's config and JSON are read too, translated
by :mod:`fnlearn.keras.keras_files`.

Example:
    >>> from fnlearn import keras
    >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, name="d")], name="m")
    >>> clone = keras.models.clone_model(model)
    >>> clone.name, [layer.name for layer in clone.layers], clone.layers[0] is model.layers[0]
    ('m', ['d'], False)
    >>> again = keras.models.model_from_json(model.to_json())
    >>> again.num_parameters() == model.num_parameters()
    True
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from .. import backend, io
from ..errors import ConfigError, FnlearnError
from ..model import Trainer

__all__ = ["clone_model", "model_from_config", "model_from_json", "to_json", "from_config"]


class _Source:
    """Where a config came from, for :mod:`fnlearn.io`'s builders, which report a problem through ``error``: here
    as a ConfigError about the config or JSON given, not about a file."""

    def __init__(self, what: str, doc: dict[str, Any] | None = None) -> None:
        self.what, self.doc, self.path = what, doc or {}, what

    def error(self, text: str) -> ConfigError:
        return ConfigError(f"{self.what} {text}")


def _kind(model: Any) -> str | None:
    """"sequential", "chain" (a functional chain), "graph" (a functional graph), or None for anything else."""
    from ..nn import Sequential as _Sequential
    from .graph import FunctionalGraph
    from .models import Functional

    if isinstance(model, Functional):
        return "chain"
    if isinstance(model, FunctionalGraph):
        return "graph"
    return "sequential" if isinstance(model, _Sequential) else None


_CLASS_NAMES = {"sequential": "Sequential", "chain": "Functional", "graph": "FunctionalGraph"}


def _require_model(model: Any, what: str) -> str:
    """The model's kind; a subclassed model or anything else is refused in one sentence."""
    kind = _kind(model)
    if kind is not None:
        return kind
    if isinstance(model, Trainer):
        raise ConfigError(f"{what} got {type(model).__name__} {getattr(model, 'name', '?')!r}, a subclass of "
                          "keras.Model whose call() is Python code, where a Sequential or functional model "
                          f"(keras.Model(inputs, outputs)) was expected; make a new {type(model).__name__}() and "
                          "copy the weights with set_weights(model.get_weights()).")
    raise ConfigError(f"{what} expects a keras.Sequential or functional keras.Model, got {type(model).__name__} "
                      f"{_short(model)}; pass the model object itself.")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _refuse_own_models(model: Any, what: str) -> None:
    """Refuse a model holding a subclassed model among its layers: its settings cannot make it again."""
    for layer in io._all_layers(model):
        if isinstance(layer, Trainer) and _kind(layer) is None:
            raise ConfigError(f"{what} got model {model.name!r}, which holds the subclassed model {layer.name!r} "
                              f"({type(layer).__name__}) whose call() is Python code that its settings do not "
                              "hold; build the model again in code and copy the weights with "
                              "set_weights(model.get_weights()).")


# --------------------------------------------------------------------------- cloning


def _clone_layer(layer: Any) -> Any:
    """Keras's default ``clone_function``: the same layer made again from its settings, with weights of its own (a
    model used as a layer, cloned whole)."""
    if isinstance(layer, Trainer):
        _require_model(layer, "clone_model")
        return _clone(layer, _clone_layer, None, False)
    entry = {"class_name": type(layer).__name__, "config": layer.get_config()}
    # the layer's own class and activation function are at hand: they need no custom_objects
    own: dict[str, Any] = {**io._registered(), type(layer).__name__: type(layer)}
    activation, name = getattr(layer, "activation", None), getattr(layer, "activation_name", None)
    if callable(activation) and isinstance(name, str):
        own[name] = activation
    if io._layer_class(type(layer).__name__) not in (None, type(layer)):
        return type(layer).from_config(layer.get_config())  # a class of one's own named like a built-in
    return io._make_layer(_Source(f"layer {layer.name!r}'s config"), 0, entry, own)


def clone_model(model: Any, input_tensors: Any = None, clone_function: Callable[[Any], Any] | None = None,
                call_function: Callable[..., Any] | None = None, recursive: bool = False, **kwargs: Any) -> Any:
    """A new model of the same architecture as ``model`` (a Sequential or functional model), with new layers
    whose weights are drawn afresh by their initializers, as Keras's ``clone_model``.

    The clone, its layers and its Inputs keep the original's names, as in Keras 3. A compiled model's clone is
    compiled with the same settings (a new optimizer, no training state), as Keras 3 compiles it.

    Args:
        model: a ``keras.Sequential``, ``fl.Sequential`` or ``keras.Model(inputs, outputs)``.
        input_tensors: not supported; call the clone on new placeholders instead, ``clone(keras.Input(...))``.
        clone_function: ``fn(layer) -> layer``, called on each layer but the Inputs (default: the layer made again
            from its settings); return ``layer`` itself to share it.
        call_function: ``fn(layer, *args, **kwargs)`` making each layer's call in a functional model (default:
            ``layer(*args, **kwargs)``), e.g. to add a layer after some.
        recursive: clone the models used as layers with ``clone_model`` and these same functions, rather than
            passing them to ``clone_function``.

    >>> import numpy as np
    >>> from fnlearn import keras
    >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])
    >>> clone = keras.models.clone_model(model)
    >>> x = np.ones((1, 4))
    >>> bool(np.allclose(clone.predict(x), model.predict(x)))
    False
    >>> clone.set_weights(model.get_weights())
    >>> bool(np.allclose(clone.predict(x), model.predict(x)))
    True
    """
    kwargs.pop("cache", None)  # Keras's own bookkeeping between recursive calls
    if kwargs:
        raise ConfigError(f"clone_model got unexpected argument(s) {', '.join(sorted(kwargs))}; it takes model, "
                          "input_tensors, clone_function, call_function and recursive.")
    kind = _require_model(model, "clone_model")
    if input_tensors is not None:
        raise ConfigError("clone_model(input_tensors=...) is not supported by fnlearn; clone the model without it "
                          "and call the clone on your placeholders, outputs = clone(inputs), inside a new "
                          "keras.Model(inputs, outputs).")
    if call_function is not None and kind == "sequential":
        raise ConfigError(f"clone_model got call_function for the Sequential model {model.name!r}, whose layers are "
                          "listed, not called, when it is made; use call_function with functional models only.")
    for name, function in (("clone_function", clone_function), ("call_function", call_function)):
        if function is not None and not callable(function):
            raise ConfigError(f"clone_model's {name} must be a function, got {type(function).__name__} "
                              f"{_short(function)}; pass e.g. {name}=lambda layer: ...")
    clone = _clone(model, clone_function or _clone_layer, call_function, recursive)
    if getattr(model, "compiled", False):
        _compile_like(model, clone)
    return clone


def _clone(model: Any, clone_function: Callable[[Any], Any], call_function: Callable[..., Any] | None,
           recursive: bool) -> Any:
    from ..nn import Sequential as _Sequential
    from .graph import FunctionalGraph
    from .layers import InputLayer
    from .models import Sequential, _functional

    kind = _kind(model)
    cache: dict[int, Any] = {}

    def clone_one(layer: Any) -> Any:
        if id(layer) not in cache:
            if isinstance(layer, InputLayer):  # Inputs are always made anew, never given to clone_function
                cache[id(layer)] = _clone_layer(layer)
            elif recursive and _kind(layer) is not None:
                cache[id(layer)] = clone_model(layer, clone_function=clone_function, recursive=True,
                                               call_function=None if _kind(layer) == "sequential" else call_function)
            else:
                cache[id(layer)] = clone_function(layer)
        return cache[id(layer)]

    dtype = io._model_dtype(model) if model.built else backend.get_default_dtype()
    with backend.using_dtype(dtype):
        layers = [clone_one(layer) for layer in model.layers]
        if kind == "sequential":
            clone = (Sequential if isinstance(model, Sequential) else _Sequential)(layers, name=model.name)
            if not clone.built and model._sample_input_shape is not None:
                clone.build(model._sample_input_shape)  # the shape its data gave it, as Keras's clone keeps its Input
            if not model.trainable:
                clone.trainable = False
            return clone
        if call_function is None and kind == "graph":
            return FunctionalGraph.from_graph(layers, model.get_config()["graph"], name=model.name)
        if kind == "graph":
            callers = [layer if isinstance(layer, InputLayer) else _Caller(layer, call_function) for layer in layers]
            return FunctionalGraph.from_graph(callers, model.get_config()["graph"], name=model.name)
        call = call_function or (lambda layer, *args, **kw: layer(*args, **kw))
        node = layers[0]
        for layer in layers[1:]:
            node = call(layer, node)
        return _functional(layers[0], node, name=model.name)


class _Caller:
    """A cloned layer whose calls go through ``call_function`` while a functional graph is made again."""

    def __init__(self, layer: Any, call_function: Callable[..., Any]) -> None:
        self.layer, self.call_function = layer, call_function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.call_function(self.layer, *args, **kwargs)


def _compile_like(model: Any, clone: Any) -> None:
    """Compile ``clone`` with ``model``'s settings (a new optimizer of the same config), as Keras 3's clone_model
    does; settings that cannot be made again leave the clone uncompiled, with a warning."""
    config = io._compile_config(model)
    own: dict[str, Any] = {**io._registered()}
    loss = getattr(model, "loss", None)
    if callable(loss) and isinstance(getattr(loss, "__name__", None), str):
        own[loss.__name__] = loss
    elif getattr(loss, "own_class", False):
        own[type(loss).__name__] = type(loss)
    for metric in getattr(model, "_metrics", ()):
        saved = _saved_metric(metric)
        if isinstance(saved, str) and getattr(metric, "host", False):
            own[saved] = metric.fn
        elif isinstance(saved, dict) and saved.get("custom"):
            own[saved["class_name"]] = type(metric)
    _recompile(config, clone, own, "the clone is left uncompiled: compile it with clone.compile(...)")


def _saved_metric(metric: Any) -> Any:
    from .. import metrics as metrics_module

    try:
        return metrics_module.saved_form(metric)
    except Exception:  # noqa: BLE001  (a metric whose form cannot be found is compiled by its name or not at all)
        return None


def _recompile(config: Any, model: Any, custom: dict[str, Any], otherwise: str) -> None:
    if not isinstance(config, dict):
        return
    source = _Source("the model", {"compile": config, "optimizer_state": None})
    try:
        io._recompile(source, model, custom, {})
    except FnlearnError as exc:
        warnings.warn(f"{io._clause(exc)}; {otherwise}.", stacklevel=3)


# --------------------------------------------------------------------------- from a config


def model_from_config(config: Any, custom_objects: Mapping[str, Any] | None = None,
                      sequential_class: type | None = None, what: str = "the model config") -> Any:
    """The uncompiled model ``config`` (what ``model.get_config()`` gave) describes, with new weights.

    Layers of one's own (and their functions) come back by name from ``custom_objects`` or the classes registered
    with ``keras.saving.register_keras_serializable``.

    >>> from fnlearn import keras
    >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    >>> model_from_config(model.get_config()).num_parameters()
    8
    """
    from .models import Sequential

    if custom_objects is not None and not isinstance(custom_objects, Mapping):
        raise ConfigError(f"custom_objects must be a dict of names to classes or functions, got "
                          f"{type(custom_objects).__name__}; e.g. custom_objects={{'MyLayer': MyLayer}}.")
    custom = {**io._registered(), **(custom_objects or {})}
    from .keras_files import is_keras_config, translate_config

    if is_keras_config(config):  # real Keras's form, checked whole before anything is built
        config = translate_config(config, custom)
    return _from_config(config, custom, sequential_class or Sequential, what, "", 0)


def _from_config(config: Any, custom: dict[str, Any], sequential_class: type, what: str, where: str,
                 depth: int) -> Any:
    from .graph import FunctionalGraph
    from .models import Functional

    if not isinstance(config, dict) or not isinstance(config.get("layers"), list) or not config["layers"]:
        given = f"a dict with the keys {sorted(map(str, config))}" if isinstance(config, dict) else \
            f"{type(config).__name__} {_short(config)}"
        raise ConfigError(f"{what} is {given} where the dict a model's get_config() gives (with a list of its "
                          f"'layers') was expected{' for ' + where.rstrip() if where else ''}; pass "
                          "model.get_config() of a Sequential or functional model.")
    if depth > io._MAX_NESTING:
        raise ConfigError(f"{what} nests models more than {io._MAX_NESTING} deep; pass a config from get_config().")
    name = config.get("name")
    if name is not None and not isinstance(name, str):
        raise ConfigError(f"{what} has the model name {name!r} where a string was expected; fix its 'name'.")
    source = _Source(what)
    layers = []
    for index, entry in enumerate(config["layers"]):
        if isinstance(entry, dict) and entry.get("class_name") in io._MODEL_NAMES:
            layers.append(_from_config(entry.get("config"), custom, sequential_class, what,
                                       f"{where}layer {index}'s ", depth + 1))
        else:
            layers.append(io._make_layer(source, index, entry, custom, None, None, where))
    functional = config.get("functional") is True
    try:
        if functional and "graph" in config:
            model = FunctionalGraph.from_graph(layers, config["graph"], name=name)
        elif functional:
            model = Functional.from_layers(layers, name=name)
        else:
            model = sequential_class(layers, name=name)
            shape = config.get("build_input_shape")
            if shape is not None and model._sample_input_shape is None:
                model.build(tuple(shape))  # the shape its first data gave it, where no layer declares one
    except FnlearnError as exc:
        raise ConfigError(f"{what} holds layers that do not fit together ({io._clause(exc)}); pass "
                          "model.get_config() unchanged.") from None
    except (IndexError, KeyError, TypeError, ValueError):
        raise ConfigError(f"{what} has a malformed graph of layers (which layer takes which values); pass "
                          "model.get_config() unchanged.") from None
    if config.get("trainable", True) is False:
        model.trainable = False
    return model


def from_config(cls: type, config: Any, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """``Model.from_config(config)`` / ``Sequential.from_config(config)``: the uncompiled model ``config`` (what
    ``model.get_config()`` gave) describes, with new weights. A subclass of ``keras.Model`` of one's own is made as
    Keras makes it, ``cls(**config)``.

    >>> from fnlearn import keras
    >>> x = keras.Input(shape=(3,))
    >>> model = keras.Model(x, keras.layers.Dense(1, name="out")(x))
    >>> again = keras.Model.from_config(model.get_config())
    >>> [layer.name for layer in again.layers][1:], again.compiled
    (['out'], False)
    """
    from .graph import FunctionalGraph
    from .models import Functional, Model, Sequential

    if cls not in (Model, FunctionalGraph) and not issubclass(cls, Sequential) \
            and not (isinstance(config, dict) and "layers" in config):
        try:  # a subclassed model of one's own: Keras's default
            return cls(**config) if isinstance(config, dict) else cls(config)
        except TypeError as exc:
            if isinstance(config, dict) and set(config) <= {"name"}:  # the default get_config: only its name
                try:
                    model = cls()
                except TypeError:
                    pass
                else:
                    model.name = config.get("name", model.name)
                    return model
            raise ConfigError(f"{cls.__name__}.from_config makes the model as {cls.__name__}(**config), which "
                              f"failed ({exc}); give {cls.__name__} a from_config classmethod, or an __init__ taking "
                              "what its get_config() gives.") from None
    keep = cls if isinstance(cls, type) and issubclass(cls, Sequential) and not issubclass(cls, Functional) \
        else Sequential
    return model_from_config(config, custom_objects, keep, f"{cls.__name__}.from_config's config")


# --------------------------------------------------------------------------- JSON


def to_json(model: Any, **kwargs: Any) -> str:
    """``model.to_json()``: the model's architecture (no weights) as a JSON string, which
    ``keras.models.model_from_json`` makes a model of again; keyword arguments go to ``json.dumps``
    (``indent=2``). A compiled model's compile settings are in it too, as in Keras.

    >>> from fnlearn import keras
    >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, name="d")])
    >>> '"class_name": "Dense"' in model.to_json()
    True
    """
    kind = _require_model(model, "to_json")
    _refuse_own_models(model, "to_json")
    io._refuse_lambda(model)
    doc: dict[str, Any] = {"module": "fnlearn", "class_name": _CLASS_NAMES[kind], "config": model.get_config(),
                           "fnlearn_version": io._version()}
    compiled = io._compile_config(model)
    if compiled is not None:
        doc["compile_config"] = compiled
    kwargs.setdefault("default", io._config_form)
    try:
        return json.dumps(doc, allow_nan=False, **kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"model {model.name!r}'s settings cannot be written as JSON ({io._clause(exc)}); layers "
                          "and functions of your own must be given by name, e.g. registered with "
                          "keras.saving.register_keras_serializable.") from None


def model_from_json(json_string: str | bytes, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """The model ``model.to_json()`` described, with new weights (compiled with the settings the JSON holds,
    as Keras does). Layers and functions of one's own come back by name from ``custom_objects``.

    >>> from fnlearn import keras
    >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, name="d")], name="m")
    >>> again = keras.models.model_from_json(model.to_json())
    >>> again.name, [layer.name for layer in again.layers]
    ('m', ['d'])
    """
    if not isinstance(json_string, (str, bytes, bytearray)):
        raise ConfigError(f"model_from_json expects the JSON string model.to_json() gave, got "
                          f"{type(json_string).__name__} {_short(json_string)}; pass model.to_json().")
    try:
        doc = json.loads(json_string)
    except (ValueError, RecursionError) as exc:
        raise ConfigError(f"model_from_json was given text that is not valid JSON ({io._clause(exc)}); pass the "
                          "string model.to_json() gave, unchanged.") from None
    from .keras_files import is_keras_config

    if is_keras_config(doc):  # real Keras's to_json(): translated, then compiled as its compile_config says
        from .keras_files import _compile

        model = model_from_config(doc, custom_objects, what="the Keras model JSON")
        _compile(model, doc.get("compile_config"), "the Keras model JSON", custom_objects)
        return model
    if not isinstance(doc, dict) or doc.get("class_name") not in io._MODEL_NAMES or not isinstance(doc.get("config"),
                                                                                                   dict):
        given = f"a {doc.get('class_name')!r}" if isinstance(doc, dict) and isinstance(doc.get("class_name"), str) \
            else f"a JSON {type(doc).__name__}"
        raise ConfigError(f"model_from_json was given JSON of {given} where a model's, as model.to_json() gives, "
                          "was expected; pass the string model.to_json() gave.")
    from .models import Sequential

    model = model_from_config(doc["config"], custom_objects, Sequential, "the model JSON")
    custom = {**io._registered(), **(custom_objects or {})}
    _recompile(doc.get("compile_config"), model, custom,
               "the model is left uncompiled: compile it with model.compile(...)")
    return model
