"""Keras's HDF5 model files: ``model.save("m.h5")`` and ``model.save_weights("w.h5")`` of Keras 2 (tf.keras of
TensorFlow 2.x, and standalone Keras 2), and the same legacy format Keras 3 still writes for a name ending ``.h5``.

Such a file holds the architecture as Keras's ``to_json`` document in its attribute ``model_config``, the compile
settings in ``training_config``, the weights in ``model_weights/<layer name>/``, listed by each layer's
``weight_names`` attribute in the order of Keras's ``layer.weights``, and the optimizer's variables in
``optimizer_weights``: Keras 2 names each after the weight it belongs to (``Adam/m/dense/kernel:0``; its legacy
optimizers ``Adam/dense/kernel/m:0``), Keras 3 lists them in its optimizer's order. A weights file is the
``model_weights`` group alone, at the root. Layers are matched by name, as Keras matches them.

Example:
    >>> _optimizer_spec({"class_name": "Custom>Adam", "config": {"lr": 0.01, "decay": 0.0, "jit_compile": False}})
    {'class_name': 'Adam', 'config': {'learning_rate': 0.01}}
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import backend
from ..errors import FnlearnError, ModelFileError
from .keras_files import (
    _check_shapes,
    _compile,
    _h5py,
    _model_of,
    _put_arrays,
    _put_optimizer_arrays,
    _warn_state_not_read,
)

__all__ = ["load_h5_model", "load_h5_weights"]

# Keras 2's names of fnlearn's optimizer slots, per rule: (its optimizers of TensorFlow 2.11+, its legacy ones)
_SLOT_NAMES: dict[str, dict[str, tuple[str, str]]] = {
    "Adam": {"m": ("m", "m"), "v": ("v", "v"), "v_max": ("vhat", "vhat")},
    "Nadam": {"m": ("m", "m"), "v": ("v", "v")},
    "Adamax": {"m": ("m", "m"), "u": ("u", "v")},
    "SGD": {"m": ("m", "momentum")},
    "Adagrad": {"accumulator": ("accumulator", "accumulator")},
    "RMSprop": {"v": ("velocity", "rms"), "mean_grad": ("average_gradient", "mg")},
}


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _json_attr(h5: Any, key: str, where: str) -> Any:
    raw = h5.attrs.get(key)
    if raw is None:
        return None
    try:
        return json.loads(_text(raw))
    except (ValueError, RecursionError) as exc:
        raise ModelFileError(f"Keras file {where} has a {key} that is not valid JSON ({exc}); it is damaged.") from None


def _open(path: str | os.PathLike, what: str) -> Any:
    where = repr(os.fspath(path))
    if not os.path.isfile(path):
        raise ModelFileError(f"{what} {where} does not exist; check the path.")
    try:
        return _h5py().File(path, "r")
    except OSError as exc:
        raise ModelFileError(f"{what} {where} cannot be read as HDF5 ({exc}); it is damaged.") from None


# --------------------------------------------------------------------------- weights


def _layer_weights(model: Any, root: Any, where: str) -> list[tuple[Any, list[np.ndarray], list[str]]]:
    """Each layer of ``model`` that has weights, with the arrays and names the layer's group of ``root`` lists for
    it, every count and shape checked."""
    groups = {_text(name) for name in root.attrs.get("layer_names", [])}
    found = []
    for layer in model.layers:
        held = layer.name in groups and layer.name in root
        if not layer.parameters() and not (held and len(root[layer.name].attrs.get("weight_names", []))):
            continue  # nothing to take (an unadapted Normalization takes the statistics the file holds)
        if not held:
            raise ModelFileError(f"Keras file {where} holds no weights for layer {layer.name!r} (its layers are "
                                 f"{sorted(groups)}); it was written for another model — load it into the model it "
                                 "was saved from.")
        group = root[layer.name]
        names = [_text(n) for n in group.attrs.get("weight_names", [])]
        try:
            arrays = [np.asarray(group[name][()]) for name in names]
        except KeyError as exc:
            raise ModelFileError(f"Keras file {where} lists a weight {exc} for layer {layer.name!r} that it does not "
                                 "hold; it is damaged.") from None
        _check_shapes(layer, arrays, f"Keras file {where}")
        found.append((layer, arrays, names))
    return found


def _put_weights(model: Any, root: Any, where: str) -> dict[int, str]:
    """Fill ``model`` from the legacy weights group ``root``; returns the Keras name of each parameter (by id)."""
    found = _layer_weights(model, root, where)
    names: dict[int, str] = {}
    for layer, arrays, listed in found:
        _put_arrays(layer, arrays)
        names.update({id(p): name for p, name in zip(layer.parameters(), listed)})
    return names


def load_h5_weights(model: Any, path: str | os.PathLike) -> None:
    """Copy the weights of a Keras HDF5 file — ``save_weights("w.h5")`` of Keras 2, or the weights of a whole
    model's ``save("m.h5")`` — into ``model``, an fnlearn model with layers of the same names; every shape is
    checked before any weight changes.

    >>> from fnlearn import keras
    >>> load_h5_weights(keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)]), "missing.h5")
    Traceback (most recent call last):
    fnlearn.errors.ModelFileError: Keras's weights file 'missing.h5' does not exist; check the path.
    """
    with _open(path, "Keras's weights file") as h5:
        _put_weights(model, h5["model_weights"] if "model_weights" in h5 else h5, repr(os.fspath(path)))


# --------------------------------------------------------------------------- compile settings


def _optimizer_spec(spec: Any) -> Any:
    """Keras 2's optimizer entry as Keras 3 writes it: ``Custom>Adam`` is Adam; the settings Keras 3 lacks are
    dropped at the values that change nothing, Keras 2.2's ``lr`` is ``learning_rate``, and a legacy optimizer's
    ``decay`` (η / (1 + decay · step)) is Keras's InverseTimeDecay with one step per decay step."""
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        return spec
    settings = dict(spec.get("config") or {})
    if "lr" in settings and "learning_rate" not in settings:
        settings["learning_rate"] = settings.pop("lr")
    for key in ("jit_compile", "is_legacy_optimizer", "loss_scale_factor", "gradient_accumulation_steps"):
        settings.pop(key, None)
    if not settings.get("use_ema"):
        settings.pop("ema_overwrite_frequency", None)
    decay = settings.pop("decay", 0.0) or 0.0
    if decay:
        settings["learning_rate"] = {"class_name": "InverseTimeDecay", "config": {
            "initial_learning_rate": settings.get("learning_rate", 0.001), "decay_steps": 1, "decay_rate": decay}}
    return {"class_name": spec["class_name"].removeprefix("Custom>"), "config": settings}


def _loss_spec(spec: Any) -> Any:
    """Keras 2's loss entry as Keras 3's: its ``fn`` and ``reduction="auto"`` (the batch mean) ask for nothing."""
    if isinstance(spec, list):
        return [_loss_spec(item) for item in spec]
    if isinstance(spec, dict) and "class_name" not in spec:
        return {key: _loss_spec(item) for key, item in spec.items()}
    if isinstance(spec, dict):
        settings = {k: v for k, v in (spec.get("config") or {}).items()
                    if k != "fn" and (k, v) != ("reduction", "auto")}
        return {"class_name": spec["class_name"], "config": settings}
    return spec


def _metric_spec(spec: Any) -> Any:
    """Keras 2's metric entry as Keras 3's: a ``MeanMetricWrapper`` of a function is the metric's name."""
    if isinstance(spec, list):
        return [_metric_spec(item) for item in spec]
    if isinstance(spec, dict) and "class_name" not in spec:
        return {key: _metric_spec(item) for key, item in spec.items()}
    if isinstance(spec, dict) and spec["class_name"] == "MeanMetricWrapper":
        return (spec.get("config") or {}).get("name")
    return spec


def _compile_config(training: Any, outputs: int) -> dict[str, Any] | None:
    """``training_config`` of a Keras HDF5 file as the ``compile_config`` of a ``.keras`` file."""
    if not isinstance(training, dict) or training.get("optimizer_config") is None:
        return None
    metrics = training.get("metrics")
    if outputs == 1 and isinstance(metrics, list) and len(metrics) == 1 and isinstance(metrics[0], list):
        metrics = metrics[0]  # Keras 2 lists one model output's metrics in a list of their own
    weighted = training.get("weighted_metrics")
    if outputs == 1 and isinstance(weighted, list) and len(weighted) == 1 and isinstance(weighted[0], list):
        weighted = weighted[0]
    return {"optimizer": _optimizer_spec(training["optimizer_config"]), "loss": _loss_spec(training.get("loss")),
            "metrics": _metric_spec(metrics), "weighted_metrics": _metric_spec(weighted),
            "loss_weights": training.get("loss_weights")}


# --------------------------------------------------------------------------- optimizer state


def _optimizer_arrays(h5: Any) -> tuple[list[str], dict[str, np.ndarray]]:
    group = h5.get("optimizer_weights")
    if group is None:
        return [], {}
    names = [_text(n) for n in group.attrs.get("weight_names", [])]
    return names, {name: np.asarray(group[name][()]) for name in names if name in group}


def _put_keras2_state(model: Any, arrays: dict[str, np.ndarray], prefix: str, names: dict[int, str],
                      where: str) -> None:
    """Keras 2's optimizer variables, found by the names of the weights they belong to, as the compiled model's
    optimizer state; a rule whose state is not fnlearn's, or a variable missing, leaves it fresh with a warning."""
    optimizer = model.optimizer
    fresh = "; training goes on with a fresh optimizer state"
    kind = next((k for k in type(optimizer).__mro__ if k.__name__ in _SLOT_NAMES), None)
    slots = _SLOT_NAMES.get(kind.__name__) if kind is not None else None
    momentum = getattr(optimizer, "momentum", 0.0)
    if slots is None or (kind.__name__ == "RMSprop" and momentum):
        _warn_state_not_read(where, optimizer)
        return
    wanted = {"Adam": ("m", "v") + (("v_max",) if getattr(optimizer, "amsgrad", False) else ()),
              "SGD": ("m",) if momentum else (),
              "RMSprop": ("v",) + (("mean_grad",) if getattr(optimizer, "centered", False) else ())
              }.get(kind.__name__, tuple(slots))
    step = arrays.get("iteration:0", arrays.get(f"{prefix}/iter:0"))
    staged: list[dict[str, Any]] = []
    for param in optimizer.params:
        path = names.get(id(param), "").removesuffix(":0")
        state: dict[str, Any] = {}
        for slot in wanted:
            new, legacy = slots[slot]
            value = arrays.get(f"{prefix}/{new}/{path}:0", arrays.get(f"{prefix}/{path}/{legacy}:0"))
            if value is None or value.shape != tuple(param.shape):
                warnings.warn(f"Keras file {where} holds no optimizer variable {slot!r} of shape {tuple(param.shape)} "
                              f"for the weight {path or '?'}" + fresh + ".", stacklevel=4)
                return
            state[slot] = backend.to_device(value.astype(param.data.dtype))
        staged.append(state)
    if wanted:
        optimizer.state = staged
    if step is not None:
        optimizer.iterations = int(step)


# --------------------------------------------------------------------------- whole models


def load_h5_model(path: str | os.PathLike, custom_objects: Mapping[str, Any] | None = None,
                  compile: bool = True, model_class: type | None = None) -> Any:  # noqa: A002  (Keras's name)
    """The fnlearn model a Keras HDF5 file (``keras_model.save("m.h5")`` of Keras 2 or 3) holds: its layers, its
    weights and, with ``compile=True``, its optimizer (settings and, for the rules whose state is fnlearn's, its
    state), loss and metrics. The architecture and every weight's shape are checked before the model is returned.

    >>> load_h5_model("missing.h5")
    Traceback (most recent call last):
    fnlearn.errors.ModelFileError: Keras file 'missing.h5' does not exist; check the path.
    """
    where = repr(os.fspath(path))
    with _open(path, "Keras file") as h5:
        doc = _json_attr(h5, "model_config", where)
        if doc is None:
            raise ModelFileError(f"Keras file {where} holds weights only (no model_config); build the model in code "
                                 "and call model.load_weights(path) instead.")
        model = _model_of(doc, custom_objects, model_class, where)
        names = _put_weights(model, h5["model_weights"] if "model_weights" in h5 else h5, where)
        if not compile:
            return model
        training = _json_attr(h5, "training_config", where)
        outputs = len(getattr(model, "outputs", None) or [None])
        _compile(model, _compile_config(training, outputs), f"Keras file {where}", custom_objects)
        if not model.compiled or not model.optimizer.params:
            return model
        listed, arrays = _optimizer_arrays(h5)
        if not listed:
            return model
        version = _text(h5.attrs.get("keras_version", "2"))
        try:
            if version.startswith("3"):  # Keras 3 lists its optimizer's variables in its own order
                _put_optimizer_arrays(model, [arrays[name] for name in listed], where)
            else:
                prefix = listed[0].split("/")[0] if "/" in listed[0] else ""
                prefix = next((n.split("/")[0] for n in listed if n.count("/") >= 2), prefix)
                _put_keras2_state(model, arrays, prefix, names, where)
        except (FnlearnError, KeyError, ValueError) as exc:
            warnings.warn(f"Keras file {where}'s optimizer state cannot be carried over ({exc}); training goes on "
                          "with a fresh optimizer state.", stacklevel=3)
    return model
