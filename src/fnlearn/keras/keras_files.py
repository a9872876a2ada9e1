"""Real Keras 3's model descriptions and ``.keras`` files, read into fnlearn models.

Keras writes a model's architecture as nested dicts (``model.get_config()``, ``model.to_json()``, the
``config.json`` of a ``.keras`` zip) and its weights into an HDF5 file (``model.weights.h5``). This module
translates Keras's config into fnlearn's own (the dict an fnlearn model's ``get_config()`` gives, which
:func:`fnlearn.keras.cloning.model_from_config` builds), reads the weights in the layout Keras's saving code walks
(``<path>/vars/<i>`` for each layer, its sublayers below it) and compiles the model from the file's compile
settings where fnlearn has them. Every setting is checked before anything is built: one fnlearn cannot honour (a
LoRA rank, a mixed-precision policy, a layer fnlearn lacks) is refused in one sentence.

Example:
    >>> config = {"name": "m", "trainable": True, "layers": [
    ...     {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
    ...      "config": {"batch_shape": [None, 3], "dtype": "float32", "sparse": False, "name": "x"}},
    ...     {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
    ...      "config": {"name": "d", "units": 2, "activation": "linear", "lora_rank": None,
    ...                 "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}}}]}
    >>> [entry["class_name"] for entry in translate_config(config)["layers"]]
    ['InputLayer', 'Dense']
"""

from __future__ import annotations

import inspect
import io as _io
import json
import os
import re
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from .. import backend
from ..errors import ConfigError, FnlearnError, ModelFileError

__all__ = ["is_keras_config", "translate_config", "load_keras_file", "load_keras_weights"]

_KERAS_MODELS = ("Sequential", "Functional", "Model")
# Keras settings fnlearn's layers do not take, at the values that ask for nothing (None always asks for nothing)
_NOTHING_ASKED: dict[str, tuple[Any, ...]] = {
    "trainable": (True,), "sparse": (False,), "ragged": (False,), "optional": (False,), "autocast": (True,),
    "unroll": (False,), "use_cudnn": ("auto", False), "time_major": (False,), "stateful": (False,),
    "zero_output_for_mask": (False, True), "reset_after": (True,), "use_bias": (True,), "activation": ("linear",),
    "data_format": ("channels_last",), "dilation_rate": (1, [1], [1, 1]), "groups": (1,), "depth_multiplier": (1,),
    "interpolation": ("bilinear", "nearest"), "pad_to_aspect_ratio": (False,), "crop_to_aspect_ratio": (False,),
    "fill_value": (0.0,), "fill_mode": ("reflect", "constant"), "flatten": (True,), "keepdims": (False,),
    "use_scale": (False,), "score_mode": ("dot",), "use_causal_mask": (False,), "synchronized": (False,),
    "renorm": (False,), "renorm_clipping": (None,), "renorm_momentum": (0.99,), "invert": (False,),
    "normalize": (False,), "dropout": (0.0,), "recurrent_dropout": (0.0,), "attention_axes": (None,),
    "flash_attention": (None,), "output_mode": ("int",), "pad_to_max_tokens": (False,), "sparse_output": (False,),
    "value_range": ([0, 255], [0.0, 255.0], [0.0, 1.0], [0, 1]), "epsilon": (1e-3, 1e-5, 1e-6, 1e-7),
    "rms_scaling": (False,), "use_gate": (False,),
    "implementation": (1, 2),  # Keras 2's recurrent layers: two ways to compute the same step
    "oov_method": ("floormod",), "vocabulary_dtype": ("int64",), "softmax_robust_masking": (False,),
    "rng_type": ("stateful", "stateless", "legacy_stateful"),  # Keras 2: how its own random stream is kept
}
_SETTING_ROUTES: dict[str, str] = {}  # Keras setting names fnlearn's layers spell otherwise (none at present)


def _snake(name: str) -> str:
    """Keras's ``naming.to_snake_case``: the folder name its saving code gives an object of that class."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


# --------------------------------------------------------------------------- which form


def is_keras_config(config: Any) -> bool:
    """Whether ``config`` is real Keras's form of a model (its ``get_config()``, or the document ``to_json()``
    and ``config.json`` hold) rather than fnlearn's own.

    >>> is_keras_config({"name": "m", "layers": [{"class_name": "Dense", "config": {"units": 1}}]})
    False
    >>> is_keras_config({"module": "keras", "class_name": "Sequential", "config": {"layers": []}})
    True
    """
    if not isinstance(config, dict):
        return False
    if isinstance(config.get("keras_version"), str):  # the document to_json() writes, of Keras 2 too
        return True
    module = config.get("module")
    if isinstance(module, str):
        return module == "keras" or module.startswith("keras.")
    if "input_layers" in config or "output_layers" in config:
        return True
    layers = config.get("layers")
    return isinstance(layers, list) and any(
        isinstance(entry, dict) and ("module" in entry or "registered_name" in entry or "inbound_nodes" in entry
                                     or "batch_input_shape" in (entry.get("config") or {}))  # Keras 2's
        for entry in layers)


# --------------------------------------------------------------------------- settings


def _refuse(where: str, text: str) -> ConfigError:
    return ConfigError(f"Keras {where} {text}")


def _dtype_name(value: Any) -> Any:
    if isinstance(value, dict) and value.get("class_name") in ("DTypePolicy", "FloatDTypePolicy", "Policy"):
        return (value.get("config") or {}).get("name")
    return value


def _initializer(where: str, key: str, value: Any) -> Any:
    from ..nn import initializers as nn_initializers
    from . import initializers

    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, dict) or not isinstance(value.get("class_name"), str):
        raise _refuse(where, f"has {key}={value!r}, which is not an initializer fnlearn knows; use one of "
                             f"{', '.join(nn_initializers.KERAS_NAMES)}.")
    if value.get("registered_name"):  # a class of the user's own: found again in custom_objects
        return value
    name, settings = value["class_name"], dict(value.get("config") or {})
    if name not in nn_initializers.KERAS_NAMES:
        raise _refuse(where, f"has the initializer {name} for {key}, which fnlearn lacks; use one of "
                             f"{', '.join(nn_initializers.KERAS_NAMES)} in Keras and save the model again.")
    try:
        return nn_initializers.name_of(initializers.from_keras_form(name, settings))
    except FnlearnError as exc:
        raise _refuse(where, f"has the initializer {name} with settings {settings} for {key}, which fnlearn's "
                             f"{name} does not take ({exc}); use its default settings.") from None


def _keras_layer_class(class_name: str) -> type | None:
    from .. import io

    cls = io._layer_class(class_name)
    if cls is None and class_name in ("Model",):
        return None
    return cls


def _takes(cls: type) -> set[str] | None:
    """The settings ``cls`` takes by name (None: it takes any, through ``**kwargs`` only)."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters
        names |= {k for k, p in params.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and k != "self"}
        if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            break
    return names


def _layer_entry(entry: Any, where: str, custom: Mapping[str, Any], depth: int) -> dict[str, Any]:
    """One of Keras's layer entries as fnlearn's ``{"class_name", "config"}``."""
    from .. import io

    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str) \
            or not isinstance(entry.get("config"), dict):
        raise ConfigError(f"Keras's config has a malformed entry for {where}; pass model.get_config() unchanged.")
    class_name, config = entry["class_name"], dict(entry["config"])
    name = config.get("name") if isinstance(config.get("name"), str) else entry.get("name")
    here = f"layer {name!r} ({class_name})" if name else f"{where} ({class_name})"
    if class_name in _KERAS_MODELS:
        if depth >= io._MAX_NESTING:
            raise ConfigError(f"Keras's config nests models more than {io._MAX_NESTING} deep; it is malformed.")
        return _model(entry, custom, depth + 1)
    cls = _keras_layer_class(class_name)
    own = custom.get(class_name) or custom.get(entry.get("registered_name") or "")
    if class_name == "Lambda" and own is None:
        raise _refuse(here, "holds Python code (Keras writes its bytecode), which fnlearn never loads; write it as a "
                            "layer class of your own and pass it as custom_objects={'Lambda': YourLayer}.")
    if class_name == "TFOpLambda" and own is None:
        raise _refuse(here, f"calls TensorFlow's tf.{config.get('function')} on tensors (Keras 2 records it so), which "
                            "fnlearn does not have; write it with Keras layers (Add, Subtract, Multiply, Concatenate, "
                            "Rescaling…) in Keras and save the model again.")
    if cls is None and own is None:
        raise _refuse(here, "is a layer fnlearn does not have; replace it in Keras with layers fnlearn has (see "
                            "fnlearn.keras.layers.__all__), or pass a layer class of your own as "
                            f"custom_objects={{{class_name!r}: YourLayer}}.")
    if own is not None:
        return {"class_name": class_name, "config": config}  # one's own layer takes its own settings
    dtype = _dtype_name(config.pop("dtype", None))
    if class_name == "InputLayer":
        return {"class_name": "InputLayer", "config": _input_config(here, config, dtype)}
    # Keras 2 repeats its InputLayer's shape on the first layer (a Sequential without one gets one made from it)
    config.pop("batch_input_shape", None)
    _keras2_settings(class_name, config)
    if dtype not in (None, "float32"):
        raise _refuse(here, f"computes in the dtype policy {dtype!r}; fnlearn's Keras layers compute in float32, so "
                            "build the model with the float32 policy in Keras (keras.config.set_dtype_policy"
                            "('float32')) and save it again.")
    if config.get("lora_rank") is not None:
        raise _refuse(here, f"has lora_rank={config['lora_rank']}, a LoRA adapter fnlearn does not have; merge it "
                            "into the kernel in Keras (layer.enable_lora is undone by saving the merged weights of "
                            "a model built without lora_rank) and save the model again.")
    if config.get("quantization_config") is not None or config.get("quantization_mode") is not None:
        raise _refuse(here, "is quantized, which fnlearn does not do; save the float32 model from Keras instead.")
    for key in [k for k in config if k.endswith("_initializer")]:
        config[key] = _initializer(here, key, config[key])
    if isinstance(config.get("activation"), dict):
        raise _refuse(here, f"has an activation of its own ({config['activation'].get('class_name')}); use a "
                            "built-in activation by name.")
    for key in ("layer", "backward_layer", "cell"):
        if isinstance(config.get(key), dict):
            config[key] = _layer_entry(config[key], f"{here}'s {key}", custom, depth + 1)
    if class_name == "Pipeline" and isinstance(config.get("layers"), list):
        config["layers"] = [_layer_entry(c, f"{here}'s layer {i}", custom, depth + 1)
                            for i, c in enumerate(config["layers"])]
    if isinstance(config.get("cells"), list):
        config["cells"] = [_layer_entry(c, f"{here}'s cell {i}", custom, depth + 1)
                           for i, c in enumerate(config["cells"])]
    if class_name == "Bidirectional":
        _drop_mirror(here, config)
    if class_name in ("TextVectorization", "StringLookup", "IntegerLookup"):
        config.pop("vocabulary_size", None)  # it follows from the vocabulary (the config's, or the file's assets)
    if class_name in ("Normalization", "BatchNormalization") and isinstance(config.get("axis"), list) \
            and len(config["axis"]) == 1:
        config["axis"] = config["axis"][0]  # Keras keeps Normalization's axes as a list, Keras 2 BatchNormalization's
    takes = _takes(cls)
    for key in list(config):
        if key in takes or key == "activity_regularizer" and config[key] is not None:
            continue
        value = config[key]
        if value is None or key == "name" or value in _NOTHING_ASKED.get(key, ()) or key == "seed":
            del config[key]
        else:
            raise _refuse(here, f"has the setting {key}={value!r}, which fnlearn's {class_name} does not take; set "
                                "it to Keras's default in Keras and save the model again, or build the model in "
                                "fnlearn.")
    if class_name == "Dense" and config.get("activation") == "linear":
        config["activation"] = None
    return {"class_name": class_name, "config": config}


def _keras2_settings(class_name: str, config: dict[str, Any]) -> None:
    """Keras 2's spellings of a layer's settings as Keras 3's, and the leftovers it wrote that ask for nothing."""
    if class_name == "LeakyReLU" and "alpha" in config and "negative_slope" not in config:
        config["negative_slope"] = config.pop("alpha")
    if class_name in ("SeparableConv1D", "SeparableConv2D") and "depthwise_initializer" in config:
        for key in ("kernel_initializer", "kernel_regularizer", "kernel_constraint"):  # its base class's, unused
            config.pop(key, None)
    if class_name == "MultiHeadAttention":
        for key in ("query_shape", "key_shape", "value_shape"):  # the shapes Keras 2 built it for
            config.pop(key, None)


def _drop_mirror(here: str, config: dict[str, Any]) -> None:
    """A Bidirectional's ``backward_layer``, dropped where it is the mirror of its layer Keras makes anyway."""
    backward, forward = config.get("backward_layer"), config.get("layer")
    if not isinstance(backward, dict):
        return
    mine = {k: v for k, v in backward["config"].items() if k not in ("name", "go_backwards")}
    theirs = {k: v for k, v in forward["config"].items() if k not in ("name", "go_backwards")} \
        if isinstance(forward, dict) else None
    if mine != theirs or backward.get("class_name") != forward.get("class_name"):
        raise _refuse(here, "has a backward_layer that differs from its layer; fnlearn's Bidirectional runs a mirror "
                            "of its layer backwards, so build it so in Keras and save the model again.")
    del config["backward_layer"]


def _input_config(here: str, config: dict[str, Any], dtype: Any) -> dict[str, Any]:
    shape = config.get("batch_shape", config.get("batch_input_shape"))
    if config.get("sparse") or config.get("ragged"):
        raise _refuse(here, "takes sparse or ragged tensors, which fnlearn does not; give the Input dense data.")
    if not isinstance(shape, list) or not shape:
        raise ConfigError(f"Keras {here} has no batch_shape; pass model.get_config() unchanged.")
    out: dict[str, Any] = {"name": config.get("name"), "shape": list(shape[1:])}
    if not out["shape"] and dtype == "string":
        out["shape"] = [1]  # one text per sample: fnlearn's string Input, whose TextVectorization reads it alike
    if shape[0] is not None:
        out["batch_size"] = shape[0]
    if dtype not in (None, "float32"):
        out["dtype"] = dtype
    return out


# --------------------------------------------------------------------------- models


def _model(doc: dict[str, Any], custom: Mapping[str, Any], depth: int) -> dict[str, Any]:
    """A Keras model entry (``{"class_name": "Sequential" | "Functional", "config": ...}``) as fnlearn's."""
    class_name, config = doc.get("class_name"), doc.get("config")
    if isinstance(config, list):  # Keras 2.2's Sequential: its layers alone
        config = {"layers": config}
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ConfigError(f"Keras's config of a {class_name} has no list of layers; pass model.get_config() "
                          "unchanged.")
    if class_name == "Sequential" or "input_layers" not in config:
        return {"class_name": "Sequential", "config": _sequential(config, custom, depth)}
    return {"class_name": "FunctionalGraph", "config": _functional(config, custom, depth)}


def _sequential(config: dict[str, Any], custom: Mapping[str, Any], depth: int) -> dict[str, Any]:
    entries = list(config["layers"])
    first = entries[0] if entries and isinstance(entries[0], dict) else {}
    shape = (first.get("config") or {}).get("batch_input_shape") if isinstance(first.get("config"), dict) else None
    if first.get("class_name") != "InputLayer" and isinstance(shape, list):
        # Keras 2's first layer built with input_shape=… and no InputLayer before it (Keras 2.2's files)
        entries.insert(0, {"class_name": "InputLayer", "config": {"batch_input_shape": shape,
                                                                  "dtype": first["config"].get("dtype")}})
    layers = [_layer_entry(entry, f"layer {i}", custom, depth) for i, entry in enumerate(entries)]
    out: dict[str, Any] = {"name": config.get("name"), "layers": layers}
    shape = config.get("build_input_shape")
    if isinstance(shape, list) and shape and not (layers and layers[0]["class_name"] == "InputLayer"):
        out["build_input_shape"] = list(shape[1:])
    if config.get("trainable") is False:
        out["trainable"] = False
    return out


def _history(value: Any) -> tuple[str, int, int] | None:
    """The ``(layer name, node index, tensor index)`` of a Keras tensor in a config, None for anything else."""
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        history = (value.get("config") or {}).get("keras_history")
        if isinstance(history, list) and len(history) == 3:
            return str(history[0]), int(history[1]), int(history[2])
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str) \
            and all(isinstance(v, int) for v in value[1:]):
        return value[0], value[1], value[2]
    return None


def _mask_ops(entries: list[Any], outputs: Any) -> set[str]:
    """The names of the ops (Keras's ``NotEqual`` of an Embedding's ``mask_zero``) whose values are only ever
    passed on as a ``mask``: fnlearn's layers pass masks along themselves, so these are left out."""
    ops = {entry.get("name") for entry in entries if isinstance(entry, dict)
           and str(entry.get("module", "")).startswith("keras.src.ops")}
    used = {found[0] for found in _histories(outputs)}
    for entry in entries:
        for node in (entry.get("inbound_nodes") or []) if isinstance(entry, dict) else []:
            if isinstance(node, dict):
                used.update(found[0] for found in _histories(node.get("args")))
                kwargs = {k: v for k, v in (node.get("kwargs") or {}).items() if k != "mask"}
                used.update(found[0] for found in _histories(kwargs))
    return {name for name in ops - used if isinstance(name, str)}


def _histories(value: Any) -> Iterator[tuple[str, int, int]]:
    """Every (layer name, call, output) a Keras tensor in ``value`` (nested lists and dicts) comes from."""
    found = _history(value)
    if found is not None:
        yield found
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _histories(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _histories(item)


_ARITHMETIC_OPS = ("Add", "Subtract", "Multiply", "TrueDivide", "Negative")


def _arithmetic(entry: Any) -> Any:
    """Keras's arithmetic on tensors in a functional model (``x + attention``, ``2 * x``, ``-x``), which its config
    records as ops, as the layers fnlearn's placeholders record it with: a merge layer on the list of the two
    tensors, or ``Rescaling(scale, offset)`` for a tensor and a number. Other entries come back as they are."""
    if not (isinstance(entry, dict) and str(entry.get("module", "")).startswith("keras.src.ops")
            and entry.get("class_name") in _ARITHMETIC_OPS):
        return entry
    op, nodes = entry["class_name"], entry.get("inbound_nodes") or []
    if len(nodes) != 1 or not isinstance(nodes[0], dict) or nodes[0].get("kwargs"):
        return entry  # called more than once, or with settings: refused as an op fnlearn does not have
    args = list(nodes[0].get("args") or [])
    name = entry.get("name") or (entry.get("config") or {}).get("name")
    tensors = [arg for arg in args if _history(arg)]
    numbers = [arg for arg in args if isinstance(arg, (int, float)) and not isinstance(arg, bool)]

    def layer(class_name: str, config: dict[str, Any], inputs: Any) -> dict[str, Any]:
        return {"module": "keras.layers", "class_name": class_name, "name": name,
                "config": {"name": name, **config}, "inbound_nodes": [{"args": [inputs], "kwargs": {}}]}

    if op in ("Add", "Subtract", "Multiply") and len(args) == 2 == len(tensors):
        return layer(op, {}, tensors)
    if op == "Negative" and len(args) == 1 == len(tensors):
        return layer("Rescaling", {"scale": -1.0, "offset": 0.0}, tensors[0])
    if len(args) != 2 or len(tensors) != 1 or len(numbers) != 1:
        return entry
    number, first = float(numbers[0]), _history(args[0]) is not None  # whether the tensor comes first
    if op == "TrueDivide" and not (first and number):
        return entry  # a number divided by a tensor: no layer of fnlearn's computes it
    scale, offset = {"Add": (1.0, number), "Subtract": (1.0, -number) if first else (-1.0, number),
                     "Multiply": (number, 0.0), "TrueDivide": (1.0 / number or 1.0, 0.0)}[op]
    return layer("Rescaling", {"scale": scale, "offset": offset}, tensors[0])


def _keras2_node(node: Any) -> bool:
    """Whether ``node`` is a call in Keras 2's form: a list of ``[layer name, node index, tensor index, call
    settings]``, one per input tensor."""
    return isinstance(node, list) and bool(node) and all(isinstance(item, list) and len(item) in (3, 4)
                                                         for item in node)


def _keras2_skips(entries: list[Any]) -> dict[str, int]:
    """Keras 2 numbers the calls of a nested model that has its own Input from 1 (its node 0 is that Input's):
    how many to take off a reference to each such model."""
    skips = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("class_name") not in _KERAS_MODELS:
            continue
        config = entry.get("config")
        layers = config.get("layers") if isinstance(config, dict) else config
        first = layers[0] if isinstance(layers, list) and layers and isinstance(layers[0], dict) else {}
        if (isinstance(config, dict) and "input_layers" in config) or first.get("class_name") == "InputLayer" \
                or "batch_input_shape" in (first.get("config") or {}):
            skips[str(entry.get("name") or (config or {}).get("name"))] = 1
    return skips


def _keras3_history(item: list[Any], skips: dict[str, int]) -> list[Any]:
    return [item[0], item[1] - skips.get(item[0], 0), item[2]]


def _keras3_node(node: Any, skips: dict[str, int]) -> Any:
    """A call as Keras 3 records it (``{"args": [...], "kwargs": {...}}``) from Keras 2's form; Keras 3's form as
    it is."""
    if not _keras2_node(node):
        return node
    tensors = [{"class_name": "__keras_tensor__", "config": {"keras_history": _keras3_history(item, skips)}}
               for item in node]
    settings = node[0][3] if len(node[0]) == 4 and isinstance(node[0][3], dict) else {}
    return {"args": [tensors[0] if len(tensors) == 1 else tensors], "kwargs": dict(settings)}


# Keras 2's TFOpLambda functions for arithmetic on tensors, as the ops Keras 3 records (see _arithmetic)
_KERAS2_OPS = {"__operators__.add": "Add", "math.add": "Add", "math.subtract": "Subtract",
               "math.multiply": "Multiply", "math.truediv": "TrueDivide", "math.negative": "Negative"}


def _keras3_op(entry: dict[str, Any], skips: dict[str, int]) -> dict[str, Any]:
    """Keras 2's arithmetic on tensors (a ``TFOpLambda`` layer: ``x + y`` is ``tf.__operators__.add``, called as
    ``[x's history, {"y": y's history or a number}]``) as the op Keras 3 records, which :func:`_arithmetic` reads;
    another TFOpLambda (a TensorFlow function fnlearn does not have) as it is, to be refused by name."""
    op = _KERAS2_OPS.get(str((entry.get("config") or {}).get("function")))
    nodes = entry.get("inbound_nodes")
    if op is None or not isinstance(nodes, list) or len(nodes) != 1 or not isinstance(nodes[0], list) \
            or len(nodes[0]) != 4 or not isinstance(nodes[0][3], dict):
        return entry
    first, index, slot, settings = nodes[0]

    def value(item: Any) -> Any:
        if isinstance(item, list) and len(item) == 3 and isinstance(item[0], str):
            return {"class_name": "__keras_tensor__", "config": {"keras_history": _keras3_history(item, skips)}}
        return item

    args = [slot if first == "_CONSTANT_VALUE" else value([first, index, slot])]
    if "y" in settings:
        args.append(value(settings["y"]))
    if any(v is not None for k, v in settings.items() if k not in ("y", "name")):
        return entry
    return {"module": "keras.src.ops.numpy", "class_name": op, "name": entry.get("name"),
            "config": {"name": entry.get("name")}, "inbound_nodes": [{"args": args, "kwargs": {}}]}


def _keras3_functional(config: dict[str, Any]) -> dict[str, Any]:
    """A functional model's config of Keras 2 (its calls as lists) in Keras 3's form; Keras 3's as it is."""
    entries = config["layers"]
    if not any(isinstance(entry, dict) and any(_keras2_node(node) for node in entry.get("inbound_nodes") or [])
               for entry in entries):
        return config
    skips = _keras2_skips(entries)
    entries = [_keras3_op(entry, skips) if isinstance(entry, dict) and entry.get("class_name") == "TFOpLambda"
               else entry for entry in entries]
    layers = [{**entry, "inbound_nodes": [_keras3_node(node, skips) for node in entry["inbound_nodes"]]}
              if isinstance(entry, dict) and isinstance(entry.get("inbound_nodes"), list) else entry
              for entry in entries]
    outputs = config.get("output_layers")
    if isinstance(outputs, list) and all(isinstance(item, list) and len(item) == 3 for item in outputs):
        outputs = [_keras3_history(item, skips) for item in outputs]
    return {**config, "layers": layers, "output_layers": outputs}


def _functional(config: dict[str, Any], custom: Mapping[str, Any], depth: int) -> dict[str, Any]:
    config = _keras3_functional(config)
    config = {**config, "layers": [_arithmetic(entry) for entry in config["layers"]]}
    masks = _mask_ops(config["layers"], config.get("output_layers"))
    entries = [entry for entry in config["layers"] if not (isinstance(entry, dict) and entry.get("name") in masks)]
    layers = [_layer_entry(entry, f"layer {i}", custom, depth) for i, entry in enumerate(entries)]
    index = {}
    for i, entry in enumerate(entries):
        name = entry.get("name") or entry["config"].get("name")
        index[name] = i
    # which calls give several values: one read past its first, or a layer that returns its states
    read = [found for entry in entries for found in _histories(entry.get("inbound_nodes"))]
    several: set[tuple[str, int]] = {found[:2] for found in [*read, *_histories(config.get("output_layers"))]
                                     if found[2] > 0}
    for entry in entries:
        for n, node in enumerate(entry.get("inbound_nodes") or []):
            if isinstance(node, dict) and (node.get("kwargs") or {}).get("return_attention_scores") is True:
                several.add((entry.get("name") or entry["config"].get("name"), n))
    for entry in entries:
        settings = entry["config"]
        name = entry.get("name") or settings.get("name")
        returns_states = settings.get("return_state") is True
        inner_outputs = settings.get("output_layers")
        several_out = isinstance(inner_outputs, (list, dict)) and not _history(inner_outputs) \
            and len(inner_outputs) > 1
        if returns_states or several_out:
            several |= {(name, n) for n in range(len(entry.get("inbound_nodes") or [None]))}

    def heads(value: Any) -> list[Any]:
        found = _history(value)
        if found is not None:
            return [found]
        if isinstance(value, dict):
            return [h for item in value.values() for h in heads(item)]
        return [h for item in value for h in heads(item)] if isinstance(value, list) else []

    inputs = heads(config.get("input_layers"))
    made: dict[tuple[str, int], int] = {(name, node): i for i, (name, node, _) in enumerate(inputs)}

    def source(history: tuple[str, int, int]) -> Any:
        at = made[history[:2]]
        return [at, history[2]] if history[:2] in several else at

    pending = [(i, n, node) for i, entry in enumerate(entries) if entry["class_name"] != "InputLayer"
               for n, node in enumerate(entry.get("inbound_nodes") or [])]
    calls: list[Any] = []
    while pending:
        ready = next((p for p in pending if all(h[:2] in made for h in heads(p[2]) if h[0] not in masks)), None)
        if ready is None:
            raise ConfigError("Keras's functional config has calls whose inputs are never made; pass "
                              "model.get_config() unchanged.")
        pending.remove(ready)
        i, n, node = ready
        calls.append(_call(i, node, source, entries[i], layers[i]["class_name"], masks))
        made[(entries[i].get("name") or entries[i]["config"].get("name"), n)] = len(inputs) + len(calls) - 1
    outputs = config.get("output_layers")
    graph: dict[str, Any] = {"inputs": [index[name] for name, _, _ in inputs], "calls": calls,
                             "outputs": [source(h) for h in heads(outputs)]}
    if isinstance(outputs, dict):
        graph["output_keys"] = list(outputs)
    out = {"name": config.get("name"), "functional": True, "graph": graph, "layers": layers}
    return out if config.get("trainable", True) is not False else {**out, "trainable": False}


def _call(layer_index: int, node: Any, source: Any, entry: dict[str, Any], class_name: str,
          masks: set[str]) -> list[Any]:
    """One inbound node of Keras's config as a call of fnlearn's graph."""
    name = entry.get("name") or entry["config"].get("name")
    if not isinstance(node, dict):
        raise ConfigError(f"Keras's config has a malformed call of layer {name!r}; pass model.get_config() unchanged.")
    args, kwargs = list(node.get("args") or []), dict(node.get("kwargs") or {})
    if not args:
        raise ConfigError(f"Keras's config calls layer {name!r} without inputs; pass model.get_config() unchanged.")
    first = args[0]
    listed = not _history(first) and isinstance(first, list)
    parents = [source(_history(item)) for item in first] if listed else [source(_history(first))] \
        if _history(first) else None
    if parents is None or (listed and not all(_history(item) for item in first)):
        raise _refuse(f"layer {name!r} ({class_name})", "is called on something other than tensors; fnlearn's "
                                                        "functional models pass tensors between layers.")
    more: dict[str, Any] = {}
    if len(args) > 1:
        if not all(_history(item) for item in args[1:]):
            raise _refuse(f"layer {name!r} ({class_name})", "is called with a positional setting that is not a "
                                                            "tensor; pass it by keyword in Keras.")
        more["args"] = [source(_history(item)) for item in args[1:]]
    mask = kwargs.get("mask", 0)
    if mask is None or (_history(mask) or ("",))[0] in masks:
        del kwargs["mask"]  # none, or one fnlearn's layers pass along themselves
    # Keras records the training flag a layer saw when the model was built, and overrides it whenever the model
    # runs with one (fit, predict); fnlearn's layers follow the model's flag too
    kwargs.pop("training", None)
    state = kwargs.pop("initial_state", None)
    if state is not None:
        states = state if isinstance(state, list) and not _history(state) else [state]
        if not all(_history(s) for s in states):
            raise _refuse(f"layer {name!r} ({class_name})", "is given an initial_state that is not tensors.")
        more["initial_state"] = [source(_history(s)) for s in states]
    recorded: dict[str, Any] = {}
    for key, value in kwargs.items():
        if _history(value):
            recorded[key] = {"value": source(_history(value))}
        elif isinstance(value, list) and value and all(_history(v) for v in value):
            recorded[key] = {"values": [source(_history(v)) for v in value]}
        elif value is None or isinstance(value, (bool, int, float, str)):
            recorded[key] = {"setting": value}
        else:
            raise _refuse(f"layer {name!r} ({class_name})", f"is called with {key}={value!r}, which fnlearn's "
                                                            "functional graph cannot record.")
    if recorded:
        more["kwargs"] = recorded
    call: list[Any] = [layer_index, parents, listed]
    if more:
        call.append(more)
    return call


def translate_config(config: Any, custom_objects: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """fnlearn's config of the model real Keras's ``config`` describes (a model's ``get_config()``, or the whole
    document of ``to_json()`` / ``config.json``); every setting is checked first, and one fnlearn cannot honour
    raises a ConfigError naming the layer, the setting and what to do.

    >>> keras_config = {"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": [
    ...     {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, 2]}},
    ...     {"module": "keras.layers", "class_name": "Dense", "config": {"name": "out", "units": 1}}]}}
    >>> translate_config(keras_config)["layers"][1]
    {'class_name': 'Dense', 'config': {'name': 'out', 'units': 1}}
    """
    custom = dict(custom_objects or {})
    try:  # get_config() gives tuples where the JSON has lists: read both as the JSON
        config = json.loads(json.dumps(config))
    except (TypeError, ValueError):
        pass
    if isinstance(config, dict) and isinstance(config.get("class_name"), str) and "config" in config:
        if config["class_name"] not in _KERAS_MODELS:
            raise ConfigError(f"Keras's document describes a {config['class_name']!r} where a Sequential or "
                              "functional model was expected; fnlearn reads models of Keras's Sequential and "
                              "functional APIs, not subclassed ones.")
        return _model(config, custom, 0)["config"]
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ConfigError("Keras's config given is not a model's (a dict with its 'layers'); pass "
                          "model.get_config() unchanged.")
    return _model({"class_name": "Functional" if "input_layers" in config else "Sequential", "config": config},
                  custom, 0)["config"]


# --------------------------------------------------------------------------- weights


_CHILDREN = {"Bidirectional": ("forward_layer", "backward_layer"),
             "MultiHeadAttention": ("query_dense", "key_dense", "_gate_dense", "value_dense", "output_dense"),
             "GroupedQueryAttention": ("_query_dense", "_key_dense", "_gate_dense", "_value_dense", "_output_dense")}
_MODEL_CLASSES = {"Sequential": "Sequential", "Functional": "Functional", "FunctionalGraph": "Functional"}


def _unique(name: str, used: dict[str, int]) -> str:
    """Keras's ``_get_unique_name``: the second ``dense`` of a list is ``dense_1``."""
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _arrays(group: Any, layer: Any) -> list[np.ndarray]:
    """A layer's weights in the order Keras's ``layer.weights`` lists them: its own variables, then its
    sublayers' in the order it made them (not the alphabetical order of the HDF5 groups)."""
    own = group.get("vars")
    # numbered variables only: a vocabulary layer keeps its idf weights by name, read with its vocabulary
    arrays = [np.asarray(own[str(i)][()]) for i in range(len(own)) if str(i) in own] if own is not None else []
    kind = type(layer).__name__ if layer is not None else None
    if "cell" in group:  # a recurrent layer: its cell, or its stacked cells in the order given
        cell_group = group["cell"]
        cells = getattr(getattr(layer, "cell", None), "cells", None)
        if cells is not None and "cells" in cell_group:
            used: dict[str, int] = {}
            for cell in cells:
                arrays += _arrays(cell_group["cells"][_unique(_snake(type(cell).__name__), used)], cell)
            return arrays
        return arrays + _arrays(cell_group, None)
    if kind == "TimeDistributed" and "layer" in group:
        return arrays + _arrays(group["layer"], getattr(layer, "layer", None))
    if kind == "Pipeline" and "layers" in group:  # its layers' groups, named as Keras names them, in its order
        used = {}
        for inner in layer.layers:
            folder = _unique(_snake(type(inner).__name__), used)
            arrays += _arrays(group["layers"][folder], inner) if folder in group["layers"] else []
        return arrays
    if kind == "SpectralNormalization" and "layer" in group:  # the kernel, its own and its layer's, listed once
        return arrays + _arrays(group["layer"], getattr(layer, "layer", None))[1:]
    for child in _CHILDREN.get(kind or "") or sorted(k for k in group if k != "vars"):
        if child in group:
            arrays += _arrays(group[child], None)
    return arrays


def _pairs(model: Any, group: Any, where: str, out: list[tuple[Any, list[np.ndarray]]]) -> None:
    """Each layer of ``model`` with its weights read from ``group`` (a model's group in Keras's weights file)."""
    from ..nn import Sequential as _Sequential
    from .graph import FunctionalGraph
    from .layers import InputLayer

    layers = group.get("layers")
    used: dict[str, int] = {}
    for layer in model.layers:
        if isinstance(layer, InputLayer):
            _unique("input_layer", used)
            continue
        model_kind = _MODEL_CLASSES.get(type(layer).__name__) if isinstance(layer, (_Sequential, FunctionalGraph)) \
            else None
        name = _unique(_snake(model_kind or type(layer).__name__), used)
        if layers is None or name not in layers:
            if layer.get_weights():
                raise ModelFileError(f"Keras's weights file {where} holds no weights for layer {layer.name!r} "
                                     f"(looked for layers/{name}); it was written for another model — load it into "
                                     "the model it was saved from.")
            continue
        if model_kind is not None:
            _pairs(layer, layers[name], where, out)
        else:
            out.append((layer, _arrays(layers[name], layer)))


def _unadapted_statistics(layer: Any, arrays: list[np.ndarray]) -> bool:
    """Whether ``arrays`` are an adapted Normalization's statistics (mean, variance, count) for ``layer``, a
    Normalization that holds none yet (the config has no statistics: Keras keeps them as weights)."""
    from ..nn.layers import Normalization

    return isinstance(layer, Normalization) and not layer.parameters() and len(arrays) == 3 \
        and arrays[0].shape == arrays[1].shape and arrays[2].size == 1


def _expected_shapes(layer: Any, arrays: list[np.ndarray]) -> list[tuple[int, ...]]:
    """The shapes of the weights ``layer`` takes from a file that gives it ``arrays``."""
    if _unadapted_statistics(layer, arrays):
        features = (arrays[0].size,) if layer.axis is not None else ()
        return [features, features, ()]
    return [tuple(w.shape) for w in layer.get_weights()]


def _check_shapes(layer: Any, arrays: list[np.ndarray], what: str) -> None:
    """Raise unless ``arrays``, which ``what`` (a file) holds for ``layer``, have the shapes of its weights."""
    expected = _expected_shapes(layer, arrays)
    given = [tuple(a.shape) for a in arrays]
    if expected != given and not _unadapted_statistics(layer, arrays):
        raise ModelFileError(f"{what} holds weights of shapes {given} for layer {layer.name!r}, which has weights of "
                             f"shapes {expected}; load it into the model it was saved from.")


def _put_arrays(layer: Any, arrays: list[np.ndarray]) -> None:
    """``layer.set_weights(arrays)``, an unadapted Normalization first given room for the statistics."""
    if _unadapted_statistics(layer, arrays):
        layer._set_statistics(np.zeros(arrays[0].size), np.ones(arrays[0].size))  # filled just below
        arrays = [arrays[0].reshape(-1), arrays[1].reshape(-1), arrays[2].reshape(())]
    if arrays:
        layer.set_weights(arrays)


def _put_weights(model: Any, h5: Any, where: str) -> None:
    """Fill ``model`` from Keras's weights file ``h5``; every count and shape is checked before any weight
    changes."""
    pairs: list[tuple[Any, list[np.ndarray]]] = []
    _pairs(model, h5, where, pairs)
    for layer, arrays in pairs:
        _check_shapes(layer, arrays, f"Keras's weights file {where}")
    for layer, arrays in pairs:
        _put_arrays(layer, arrays)


_VOCABULARY_LAYERS = ("TextVectorization", "StringLookup", "IntegerLookup")


def _with_vocabularies(entries: list[Any], archive: zipfile.ZipFile, h5: Any, where: str,
                       path: str = "layers") -> None:
    """Give each adapted vocabulary layer among Keras's layer ``entries`` its vocabulary, which Keras keeps beside
    the weights, one token per line in ``assets/<layer path>/vocabulary.txt``, and ``"tf_idf"`` mode's weights,
    which it stores under the layer's variables by name; into the config, so that the layers after it are built
    for its output's size. The paths are those Keras's saving code gives: ``layers/<class in snake case>``,
    numbered ``_1``, ``_2``… within a model, a nested model's layers under its own."""
    used: dict[str, int] = {}
    names = set(archive.namelist())
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
            continue
        class_name, config = entry["class_name"], entry.get("config")
        if class_name == "InputLayer":
            _unique("input_layer", used)
            continue
        here = f"{path}/{_unique(_snake(class_name), used)}"
        if class_name in _KERAS_MODELS and isinstance(config, dict) and isinstance(config.get("layers"), list):
            _with_vocabularies(config["layers"], archive, h5, where, f"{here}/layers")
        if class_name not in _VOCABULARY_LAYERS or not isinstance(config, dict) \
                or f"assets/{here}/vocabulary.txt" not in names:
            continue
        tokens: list[Any] = archive.read(f"assets/{here}/vocabulary.txt").decode("utf-8").split("\n")
        if class_name == "IntegerLookup":
            try:
                tokens = [int(token) for token in tokens]
            except ValueError:
                raise ModelFileError(f"Keras file {where} has an IntegerLookup vocabulary (assets/{here}) that is "
                                     "not integers, one per line; it is damaged.") from None
        config["vocabulary"] = tokens
        idf = h5.get(f"{here}/vars/idf_weights")
        if idf is not None:
            config["idf_weights"] = np.asarray(idf).tolist()


def _h5py() -> Any:
    try:
        import h5py
    except ImportError:
        raise ModelFileError("reading Keras's weights needs the h5py package, which is not installed; run "
                             "pip install h5py.") from None
    return h5py


def load_keras_weights(model: Any, path: str | os.PathLike) -> None:
    """Copy the weights of a Keras 3 weights file (``keras_model.save_weights("x.weights.h5")``) into ``model``,
    an fnlearn model with the same layers; every shape is checked before any weight changes. A Keras 2 weights
    file (``save_weights("w.h5")``, or a whole model's ``.h5``) goes to :func:`keras_h5.load_h5_weights`.

    >>> from fnlearn import keras
    >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    >>> load_keras_weights(model, "missing.weights.h5")
    Traceback (most recent call last):
    fnlearn.errors.ModelFileError: Keras's weights file 'missing.weights.h5' does not exist; check the path.
    """
    where = repr(os.fspath(path))
    if not os.path.isfile(path):
        raise ModelFileError(f"Keras's weights file {where} does not exist; check the path.")
    h5py = _h5py()
    try:
        with h5py.File(path, "r") as h5:
            if "layer_names" in h5.attrs or "model_weights" in h5:  # Keras 2's layout (or Keras 3's legacy .h5)
                from .keras_h5 import load_h5_weights

                return load_h5_weights(model, path)
            _put_weights(model, h5, where)
    except OSError as exc:
        raise ModelFileError(f"Keras's weights file {where} cannot be read as HDF5 ({exc}); it is damaged.") from None


# --------------------------------------------------------------------------- .keras files


def is_keras_archive(path: str | os.PathLike) -> bool:
    """Whether ``path`` is meant as a ``.keras`` archive of Keras 3: a zip file named ``.keras``, or any zip
    holding a ``config.json`` (another zip is left to fnlearn's own reader, which names what it is).

    >>> is_keras_archive("missing.keras")
    False
    """
    from .. import io

    if not io._starts_with(path, b"PK\x03\x04"):
        return False
    if os.fspath(path).endswith(".keras"):
        return True
    try:
        with zipfile.ZipFile(path) as archive:
            return "config.json" in archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError):
        return False


def _optimizer(spec: Any, custom_objects: Mapping[str, Any] | None = None) -> Any:
    from .. import schedules
    from . import optimizers

    if isinstance(spec, str):
        return spec
    name = spec.get("class_name") if isinstance(spec, dict) else None
    cls = getattr(optimizers, name, None) if isinstance(name, str) and name[:1].isupper() else None
    if cls is None or not isinstance(cls, type):
        raise ConfigError(f"the optimizer {name or spec!r} is not one fnlearn has")
    settings = {k: v for k, v in (spec.get("config") or {}).items()
                if v is not None and k != "name" and (k, v) not in (("use_ema", False), ("ema_momentum", 0.99))}
    if isinstance(settings.get("learning_rate"), dict):  # a schedule, as keras.optimizers.schedules wrote it
        settings["learning_rate"] = schedules.deserialize(settings["learning_rate"], dict(custom_objects or {}))
    if isinstance(settings.get("learning_rate"), float):
        settings["learning_rate"] = float(np.float32(settings["learning_rate"]))  # Keras keeps it as float32
    return cls(**settings)


def _named(spec: Any, module: Any, what: str) -> Any:
    """A loss or metric as Keras wrote it (a name, or a class with its settings) as fnlearn's."""
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, list):
        return [_named(item, module, what) for item in spec]
    if isinstance(spec, dict) and "class_name" not in spec:
        return {key: _named(item, module, what) for key, item in spec.items()}
    name = spec.get("class_name") if isinstance(spec, dict) else None
    cls = getattr(module, name, None) if isinstance(name, str) else None
    if cls is None:
        raise ConfigError(f"the {what} {name or spec!r} is not one fnlearn has")
    dropped = ("dtype",) if what == "metric" else ("name", "dtype")  # a metric's name is its logs' key
    settings = {k: v for k, v in (spec.get("config") or {}).items()
                if v is not None and k not in dropped and (k, v) != ("reduction", "sum_over_batch_size")}
    return cls(**settings)


def _compile(model: Any, config: Any, what: str, custom_objects: Mapping[str, Any] | None = None) -> None:
    """Compile ``model`` as Keras's ``compile_config`` says (optimizer, loss, loss weights, metrics); what
    fnlearn cannot map leaves it uncompiled, with a warning."""
    from . import losses, metrics

    if not isinstance(config, dict) or config.get("optimizer") is None:
        return
    try:
        settings = {"optimizer": _optimizer(config.get("optimizer"), custom_objects),
                    "loss": _named(config.get("loss"), losses, "loss"),
                    "metrics": _named(config.get("metrics"), metrics, "metric")}
        if config.get("loss_weights") is not None:
            settings["loss_weights"] = config["loss_weights"]
        if config.get("weighted_metrics") is not None:
            settings["weighted_metrics"] = _named(config["weighted_metrics"], metrics, "metric")
        model.compile(**settings)
    except (FnlearnError, TypeError, ValueError) as exc:
        text = str(exc).rstrip(".")
        warnings.warn(f"{what}'s compile settings cannot be carried over ({text}); the model is left "
                      "uncompiled: compile it with model.compile(...).", stacklevel=4)


def _slot_plan(optimizer: Any) -> list[tuple[str, ...]] | None:
    """The slots of ``optimizer`` in the order Keras 3's optimizer of the same class lists its variables after the
    step count (and the learning rate): blocks, each one's slots interleaved parameter by parameter (then
    :func:`_state_tail`); None for a rule whose Keras variables are not fnlearn's slots (RMSprop's momentum, which
    holds the learning rate; the rules fnlearn writes its own way)."""
    from .. import optim

    kind = type(optimizer)
    if issubclass(kind, optim.Adam):  # AdamW too
        return [("m", "v")] + ([("v_max",)] if optimizer.amsgrad else [])
    if issubclass(kind, optim.Nadam):
        return [("m", "v")]
    if issubclass(kind, optim.Adamax):
        return [("m", "u")]
    if issubclass(kind, optim.SGD):
        return [("m",)] if optimizer.momentum else []
    if issubclass(kind, optim.Adagrad):
        return [("accumulator",)]
    if issubclass(kind, optim.ScheduleFreeAdamW):
        return [("momentum", "velocity")]
    if issubclass(kind, optim.RMSprop) and not optimizer.momentum:
        return [("v",)] + ([("mean_grad",)] if optimizer.centered else [])
    return None


def _state_tail(optimizer: Any) -> list[np.ndarray]:
    """The variables Keras's optimizer lists after its slots: Nadam's product of its momentum schedule up to the
    step count, Π μₛ, which fnlearn's Nadam derives from the step count itself."""
    from .. import optim

    if isinstance(optimizer, optim.Nadam):
        return [np.asarray(optimizer._product(optimizer.iterations), "float32")]
    return []


def _put_optimizer_state(model: Any, h5: Any, where: str) -> None:
    """The compiled ``model``'s optimizer takes the state Keras saved with the model (``optimizer/vars`` of its
    weights file: the step count, the moving averages of ``use_ema``, then each rule's slots, parameter by
    parameter), so training goes on where Keras left it: a schedule at Keras's step, Adam's bias correction and
    moments as Keras had them. A state that does not line up with the model's parameters, or a rule whose state is
    not fnlearn's, leaves the optimizer fresh, with a warning."""
    group = h5.get("optimizer/vars")
    if group is None or len(group) == 0 or model.optimizer is None or not model.optimizer.params:
        return
    _put_optimizer_arrays(model, [np.asarray(group[str(i)]) for i in range(len(group))], where)


def _warn_state_not_read(where: str, optimizer: Any) -> None:
    warnings.warn(f"Keras file {where}'s {type(optimizer).__name__} state is not carried over (fnlearn reads the "
                  "state of SGD, Adam, AdamW, Adamax, Nadam, Adagrad, RMSprop without momentum and ScheduleFreeAdamW); "
                  "training goes on with a fresh optimizer state.", stacklevel=5)


def _put_optimizer_arrays(model: Any, arrays: list[np.ndarray], where: str) -> None:
    """:func:`_put_optimizer_state` given Keras 3's optimizer variables, in its order."""
    optimizer = model.optimizer
    params = optimizer.params
    plan = _slot_plan(optimizer)
    head = 1 + (optimizer.schedule is None)  # the step count, and the learning rate unless it is a schedule
    averages = len(params) if optimizer.use_ema else 0
    if len(arrays) == head:  # no slots: never trained (Keras makes them at the first step), or a rule without any
        optimizer.iterations = int(arrays[0])
        return
    fresh = "; training goes on with a fresh optimizer state"
    if plan is None:
        _warn_state_not_read(where, optimizer)
        return
    names = [("average",)] * bool(averages) + plan
    if len(arrays) != head + len(params) * sum(len(block) for block in names) + len(_state_tail(optimizer)):
        warnings.warn(f"Keras file {where} holds {len(arrays)} optimizer variables, which do not line up with the "
                      f"{len(params)} trainable weights of its {type(optimizer).__name__}" + fresh + ".", stacklevel=4)
        return
    staged: list[dict[str, Any]] = [{} for _ in params]
    position = head
    for block in names:
        for state, param in zip(staged, params):
            for slot in block:
                value = arrays[position]
                position += 1
                if value.shape != tuple(param.shape):
                    warnings.warn(f"Keras file {where} holds an optimizer slot of shape {value.shape} where a weight "
                                  f"of shape {tuple(param.shape)} stands" + fresh + ".", stacklevel=4)
                    return
                state[slot] = backend.to_device(value.astype(param.data.dtype))
    optimizer.state = staged
    optimizer.iterations = int(arrays[0])


def _model_of(doc: Any, custom_objects: Mapping[str, Any] | None, model_class: type | None, where: str) -> Any:
    """The fnlearn model (new weights) of Keras's model document ``doc``, read from the file ``where``."""
    from .cloning import model_from_config

    try:
        config = translate_config(doc, custom_objects)
    except ConfigError as exc:
        raise ModelFileError(f"Keras file {where} cannot be read: {exc}") from None
    kwargs = {"sequential_class": model_class} if model_class is not None else {}
    return model_from_config(config, custom_objects, what=f"Keras file {where}'s model", **kwargs)


def load_keras_file(path: str | os.PathLike, custom_objects: Mapping[str, Any] | None = None,
                    compile: bool = True, model_class: type | None = None) -> Any:  # noqa: A002  (Keras's name)
    """The fnlearn model a ``.keras`` file written by real Keras 3 (``keras_model.save("m.keras")``) holds: its
    layers, its weights and, with ``compile=True``, its optimizer (the same settings and, for the rules whose state
    is fnlearn's, the same state), loss and metrics. The whole file is checked before anything is built.

    >>> load_keras_file("missing.keras")
    Traceback (most recent call last):
    fnlearn.errors.ModelFileError: Keras file 'missing.keras' does not exist; check the path.
    """

    where = repr(os.fspath(path))
    if not os.path.isfile(path):
        raise ModelFileError(f"Keras file {where} does not exist; check the path.")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            missing = [n for n in ("config.json", "model.weights.h5") if n not in names]
            if missing:
                raise ModelFileError(f"Keras file {where} has no {missing[0]} in its zip archive, which every "
                                     ".keras file holds; it is damaged or not a Keras model — save it again with "
                                     "model.save('m.keras').")
            raw_config, raw_weights = archive.read("config.json"), archive.read("model.weights.h5")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ModelFileError(f"Keras file {where} is not a readable zip archive ({exc}); it is damaged or "
                             "truncated — save the model again with model.save('m.keras').") from None
    try:
        doc = json.loads(raw_config)
    except (ValueError, RecursionError) as exc:
        raise ModelFileError(f"Keras file {where} has a config.json that is not valid JSON ({exc}); it is "
                             "damaged.") from None
    h5py = _h5py()
    try:
        h5 = h5py.File(_io.BytesIO(raw_weights), "r")
    except OSError as exc:
        raise ModelFileError(f"Keras file {where} has a model.weights.h5 that is not HDF5 ({exc}); it is "
                             "damaged.") from None
    with h5:
        model_config = doc.get("config") if isinstance(doc, dict) else None
        if isinstance(model_config, dict) and isinstance(model_config.get("layers"), list):
            with zipfile.ZipFile(path) as archive:
                _with_vocabularies(model_config["layers"], archive, h5, where)
        model = _model_of(doc, custom_objects, model_class, where)
        _put_weights(model, h5, where)
        if compile:
            _compile(model, doc.get("compile_config"), f"Keras file {where}", custom_objects)
            if model.compiled:
                _put_optimizer_state(model, h5, where)
    return model
