"""What every glass-box view shares: the model read as stages, atomic figure files, argument checks.

A Sequential is read as a list of *stages*: one Dense layer followed by the activations applied to
its output (its own ``activation`` and any ``Activation`` layers after it). Dropout is the identity
in evaluation and Flatten is the identity on (batch, features) rows, so both are skipped. A
BatchNormalization layer is, in evaluation, the affine map ``x·s + t`` per feature of its moving
statistics, so it is folded into the Dense layer before it (when no activation comes between) or
into the one after it: the stages compute what the model computes in ``predict``.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import backend
from ..errors import ConfigError, FnlearnError, NotReadyError, ShapeError, require
from ..tensor import Tensor, no_grad

# The lecture's colours: each piece (a "blue function") and the red curve they add up to.
PIECE_BLUE = "#1f77b4"
SUM_RED = "#d62728"
DATA_BLACK = "#222222"
CONSTANT_GREY = "#7f7f7f"
VALIDATION_ORANGE = "#ff7f0e"

FIGURE_SUFFIXES = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


# ----------------------------------------------------------------------------- figures and files


def new_figure(width: float, height: float) -> Any:
    """A matplotlib Figure that needs no display and no pyplot state (safe in scripts, servers, tests)."""
    require("matplotlib", "drawing figures", "plot")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def figure_format(path: str | os.PathLike) -> str:
    """The image format a path asks for by its suffix, or one sentence saying which suffixes work."""
    suffix = Path(path).suffix.lower()
    if suffix not in FIGURE_SUFFIXES:
        raise ConfigError(f"figure path {str(path)!r} ends in {suffix or 'no suffix'!r}, but figures are written "
                          f"as {', '.join(FIGURE_SUFFIXES)}; end the file name with .png or .svg.")
    return FIGURE_SUFFIXES[suffix]


def save_figure(fig: Any, path: str | os.PathLike, dpi: int = 110) -> Path:
    """Write ``fig`` to ``path`` (PNG or SVG by suffix) atomically, so a reader never sees half an image."""
    path = Path(path)
    fmt = figure_format(path)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi)
    write_bytes(path, buffer.getvalue())
    return path


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Create the folder if needed and write ``data`` atomically (temporary file, fsync, rename)."""
    from ..io import write_atomic

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)
    return path


def drawn(result: Any, path: str | os.PathLike | None, **options: Any) -> Any:
    """Draw ``result`` to ``path`` when one is given; hand the result back either way."""
    if path is not None:
        result.plot(path, **options)
    return result


def maybe_save(fig: Any, path: str | os.PathLike | None) -> Any:
    if path is not None:
        save_figure(fig, path)
    return fig


# ----------------------------------------------------------------------------- argument checks


def check_csv_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{str(path)!r} is a folder; give a file name such as {str(path / 'trace.csv')!r}.")
    return path


def check_positive_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{name} must be an integer ≥ {minimum}, got {value!r}.")
    return int(value)


# a grid of this many points per side is far finer than any screen (and 4 million points fit in memory)
MAX_RESOLUTION = 2000


def check_resolution(value: Any) -> int:
    """Grid points per side of a figure: an integer from 2 to MAX_RESOLUTION."""
    resolution = check_positive_int("resolution", value, 2)
    if resolution > MAX_RESOLUTION:
        raise ConfigError(f"resolution {resolution} asks for a grid of {resolution}×{resolution} points; use at "
                          f"most {MAX_RESOLUTION} (200 already looks smooth).")
    return resolution


def check_range(name: str, value: Any) -> tuple[float, float]:
    """A (lo, hi) pair of finite numbers with lo < hi."""
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a pair (lo, hi) of numbers such as (-5, 5), got {value!r}.") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
        raise ConfigError(f"{name} must be two finite numbers with lo < hi, got {value!r}; e.g. (-5, 5).")
    return lo, hi


def as_float_array(value: Any, name: str, ndim: int | None = None) -> np.ndarray:
    """User data as a finite float64 NumPy array, or one sentence saying what is wrong."""
    from ..errors import DataError

    arr = backend.to_numpy(value.data if isinstance(value, Tensor) else value)
    try:
        arr = np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{name} must hold numbers, got {type(value).__name__}; pass a NumPy array.") from None
    if ndim is not None and arr.ndim != ndim:
        raise ShapeError(f"{name} must be a {ndim}-D array, got shape {arr.shape}.")
    if arr.size == 0:
        raise DataError(f"{name} is empty; pass at least one sample.")
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name} contains NaN or inf; remove or fill those values first.")
    return arr


# ----------------------------------------------------------------------------- the model as stages


@dataclass
class Stage:
    """One Dense layer and the activations applied to its output."""

    index: int                      # position of the Dense layer in model_layers(model)
    name: str
    kernel: np.ndarray              # (inputs, units), float64 copy
    bias: np.ndarray                # (units,), zeros when the layer has no bias
    activations: list[Callable[[Tensor], Tensor]] = field(default_factory=list)
    activation_names: list[str] = field(default_factory=list)

    @property
    def units(self) -> int:
        return int(self.kernel.shape[1])

    @property
    def activation_name(self) -> str:
        names = [n for n in self.activation_names if n not in ("linear", "None")]
        return "+".join(names) if names else "linear"

    def activate(self, pre: np.ndarray) -> np.ndarray:
        """The stage's activations applied to its pre-activation values (float64 in, float64 out)."""
        t = Tensor(backend.to_device(np.asarray(pre, dtype=np.float64)), dtype=np.float64)
        with no_grad():
            for act in self.activations:
                t = act(t)
        return np.asarray(backend.to_numpy(t.data), dtype=np.float64)

    def forward(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pre = h @ self.kernel + self.bias
        return pre, self.activate(pre)


def model_layers(model: Any) -> list[Any]:
    layers = getattr(model, "layers", None)
    if layers is None:
        raise ConfigError(f"expected a Sequential model (something with .layers), got {type(model).__name__}; "
                          "build the network as fl.Sequential([...]).")
    if not getattr(model, "_layers_in_order", True):
        raise ConfigError(f"model {getattr(model, 'name', '')!r} does not run its layers one after another (a "
                          "subclass with its own call(), or a functional model that branches or merges), so this "
                          "view cannot read it as a chain of layers; it reads fl.Sequential, keras.Sequential and "
                          "keras.Model chains (decision_boundary, training_curves, filters and feature_maps take any "
                          "model).")
    from ..model import Trainer

    flat: list[Any] = []
    for layer in layers:  # a chain inside the chain (a base model under a new head) is read as its layers
        flat += model_layers(layer) if isinstance(layer, Trainer) else [layer]
    return flat


def stages(model: Any) -> list[Stage]:
    """The model's Dense layers with their activations, as float64 NumPy copies (BatchNormalization folded in)."""
    from ..nn.layers import Activation, BatchNormalization, Dense, Dropout, Flatten

    out: list[Stage] = []
    pending: tuple[np.ndarray, np.ndarray] | None = None  # a BatchNormalization's x·s + t for the next Dense
    for i, layer in enumerate(model_layers(model)):
        if isinstance(layer, Dense):
            if not layer.built:
                raise NotReadyError(f"layer {layer.name!r} has no weights yet; give the first layer "
                                    "input_shape=(n,), call model.build((n,)) or train the model first.")
            kernel = np.asarray(backend.to_numpy(layer.kernel.data), dtype=np.float64)
            bias = (np.asarray(backend.to_numpy(layer.bias.data), dtype=np.float64) if layer.bias is not None
                    else np.zeros(kernel.shape[1]))
            if pending is not None:  # (x·s + t) @ W + b = x @ (s·W) + (t @ W + b)
                bias = pending[1] @ kernel + bias
                kernel = pending[0][:, None] * kernel
                pending = None
            out.append(Stage(i, layer.name, kernel, bias, [layer.activation], [str(layer.activation_name)]))
        elif isinstance(layer, Activation):
            if not out:
                raise ConfigError("an Activation layer before the first Dense layer cannot be explained; "
                                  "put the activation after a Dense layer.")
            if pending is not None:
                raise ConfigError(f"the Activation layer {layer.name!r} after a BatchNormalization that follows an "
                                  "activation cannot be explained; put the BatchNormalization before the activation.")
            out[-1].activations.append(layer.activation)
            out[-1].activation_names.append(str(layer.activation_name))
        elif isinstance(layer, BatchNormalization):
            s, t = _batch_norm_affine(layer)
            if out and pending is None and out[-1].activation_name == "linear":
                out[-1].kernel = out[-1].kernel * s  # (x @ W + b)·s + t: each unit's weights and bias scaled
                out[-1].bias = out[-1].bias * s + t
            else:
                pending = (s, t) if pending is None else (pending[0] * s, pending[1] * s + t)
        elif isinstance(layer, (Dropout, Flatten)) or getattr(layer, "declares_input_only", False):
            continue  # identity in evaluation / on rows of features; a functional model's InputLayer
        else:
            raise ConfigError(f"layer {getattr(layer, 'name', type(layer).__name__)!r} "
                              f"({type(layer).__name__}) cannot be explained; the explain views read "
                              "Dense, Activation, BatchNormalization, Dropout and Flatten layers.")
    if not out:
        raise ConfigError("the model has no Dense layer, so there is nothing to explain; add fl.layers.Dense(...).")
    if pending is not None:
        raise ConfigError("a BatchNormalization layer after the last Dense layer's activation cannot be explained "
                          "(the views end with a Dense layer and its activation); put it before the activation.")
    return out


def _batch_norm_affine(layer: Any) -> tuple[np.ndarray, np.ndarray]:
    """(s, t) with ``x·s + t`` = the layer's output in evaluation (its moving statistics), as float64."""
    if not layer.built:
        raise NotReadyError(f"layer {layer.name!r} has no weights yet; give the first layer input_shape=(n,), call "
                            "model.build((n,)) or train the model first.")

    def host(p: Any, default: float) -> Any:
        return default if p is None else np.asarray(backend.to_numpy(p.data), dtype=np.float64)

    s = host(layer.gamma, 1.0) / np.sqrt(host(layer.moving_variance, 1.0) + layer.epsilon)
    return s, host(layer.beta, 0.0) - host(layer.moving_mean, 0.0) * s


def model_output(model: Any, x: np.ndarray) -> np.ndarray:
    """The model's own output for ``x`` (no gradients, evaluation mode restored afterwards), as NumPy."""
    return _host(_inference(model, x))


def _inference(model: Any, x: Any) -> Any:
    """``model(x)`` with no gradients in evaluation mode (the model's mode put back afterwards)."""
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        with no_grad():
            return model(x, training=False)  # a Keras model on its own would augment its images
    finally:
        if was_training and hasattr(model, "train"):
            model.train()


def _host(value: Any) -> np.ndarray:
    return np.asarray(backend.to_numpy(value.data if isinstance(value, Tensor) else value))


# ----------------------------------------------------------------------------- any model's layers


def all_layers(model: Any) -> list[Any]:
    """Every layer of ``model``, those of the models inside it too, each once, in the order the model lists
    them (for a graph, Keras's order; for a subclass, the order its attributes were set).

    >>> import fnlearn as fl
    >>> base = fl.Sequential([fl.layers.Conv2D(2, 3, input_shape=(5, 5, 1), name="conv")], name="base")
    >>> [layer.name for layer in all_layers(fl.Sequential([base, fl.layers.Flatten(name="flat")]))]
    ['base', 'conv', 'flat']
    """
    if not hasattr(model, "modules") or not hasattr(model, "layers"):
        raise ConfigError(f"expected an fnlearn model (fl.Sequential, a keras.Model), got {type(model).__name__}; "
                          "build the network with fl.Sequential([...]) or keras.Model(inputs, outputs).")
    seen = {id(model)}
    found = []
    for module in model.modules():
        if id(module) not in seen:
            seen.add(id(module))
            found.append(module)
    return found


def find_layer(model: Any, layer: Any) -> Any:
    """The layer of ``model`` named ``layer`` (inside a model within it too), or numbered ``layer`` in
    ``model.layers`` (Keras's ``model.get_layer(index=...)``); one sentence naming the choices otherwise."""
    if isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
        return model.get_layer(index=int(layer))
    if not isinstance(layer, str):
        raise ConfigError(f"layer must be a layer's name or its index in model.layers, got {type(layer).__name__}.")
    everything = all_layers(model)
    found = next((item for item in everything if getattr(item, "name", None) == layer), None)
    if found is None:
        names = ", ".join(repr(getattr(item, "name", "?")) for item in everything)
        raise ConfigError(f"this model has no layer named {layer!r}; its layers are {names}.")
    return found


class LayerReader:
    """The outputs of some layers of a model for a batch of inputs, in inference mode, as float64 NumPy arrays.

    Layers of a Keras functional graph (``keras.Model(inputs, outputs)``, a ``keras.Sequential``) are read the
    Keras way, by a second model on the same inputs whose outputs are those layers' outputs (Keras's feature
    extraction). Other layers (of an ``fl.Sequential``, of a subclass with its own ``call()``, inside a model
    within the model) are caught as they run in one forward pass of the model; a layer called more than once
    in that pass gives its first call.

    >>> import fnlearn as fl, numpy as np
    >>> m = fl.Sequential([fl.layers.Dense(3, input_dim=2), fl.layers.Dense(1)])
    >>> [a.shape for a in LayerReader(m, m.layers)(np.ones((4, 2)))]
    [(4, 3), (4, 1)]
    """

    def __init__(self, model: Any, layers: list[Any]) -> None:
        self.model = model
        self.layers = list(layers)
        self._extractor = _feature_extractor(model, self.layers)

    def __call__(self, x: np.ndarray) -> list[np.ndarray]:
        x = np.asarray(x).astype(model_dtype(self.model))
        if not self.layers:
            return []
        if self._extractor is not None:
            outs = _inference(self._extractor, x)
            return [_host(out).astype(np.float64) for out in (outs if isinstance(outs, list) else [outs])]
        kept: dict[int, Any] = {}
        wrapped = []
        try:
            for layer in {id(layer): layer for layer in self.layers}.values():
                wrapped.append(layer)
                object.__setattr__(layer, "forward", _keeping(layer, kept))
            _inference(self.model, x)
        finally:
            for layer in wrapped:  # the class's own forward again
                object.__delattr__(layer, "forward")
        missing = next((layer for layer in self.layers if id(layer) not in kept), None)
        if missing is not None:
            raise ConfigError(f"layer {missing.name!r} did not run when model {getattr(self.model, 'name', '')!r} "
                              "was called, so it has no output to show; choose a layer the model's forward pass "
                              "uses.")
        return [_host(kept[id(layer)]).astype(np.float64) for layer in self.layers]


def _keeping(layer: Any, kept: dict[int, Any]) -> Callable[..., Any]:
    """``layer.forward`` that also keeps its first output in ``kept``."""
    run = layer.forward

    def forward(*args: Any, **kwargs: Any) -> Any:
        out = run(*args, **kwargs)
        kept.setdefault(id(layer), out)
        return out

    return forward


def _feature_extractor(model: Any, layers: list[Any]) -> Any:
    """``keras.Model(model.inputs, [those layers' outputs])``, or None when the model has no Keras graph or a
    layer has no single place in it (inside a nested model, or called twice)."""
    if not layers:
        return None
    try:
        inputs, ends = model.inputs, model.outputs
    except (AttributeError, FnlearnError):  # no Keras placeholders: an fl.Sequential, a subclass
        return None
    # Walk back from the outputs rather than trust layer.output: that is the layer's latest call, which may
    # belong to another model built from the same layer later.
    nodes: dict[int, list[Any]] = {}
    seen: set[int] = set()
    stack = list(ends)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if getattr(node, "layer", None) is not None:  # an Input has no layer computing it
            nodes.setdefault(id(node.layer), []).append(node)
            stack.extend(node.parents)
    if any(len(nodes.get(id(layer), ())) != 1 for layer in layers):
        return None
    from ..keras import Model

    return Model(inputs=inputs, outputs=[nodes[id(layer)][0] for layer in layers],
                 name=f"{getattr(model, 'name', 'model')}_features")


def model_dtype(model: Any) -> Any:
    params = model.parameters() if hasattr(model, "parameters") else []
    return params[0].data.dtype if params else np.dtype(backend.float_dtype())
