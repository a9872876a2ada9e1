"""The error surface L(θ) around a point, and gradient descent walking down it.

:func:`loss_surface` evaluates the loss on a grid over two chosen scalar parameters
(``"0.kernel[0,0]"``, ``"0.bias[0]"``) or over two random *filter-normalised* directions
(Li et al., 2018, "Visualizing the Loss Landscape of Neural Nets"): each direction is scaled
unit by unit to the norm of that unit's weights, so the picture does not depend on how large the
weights happen to be. ``paths=`` overlays optimiser trajectories. :func:`compare_optimizers` runs
SGD, momentum, Adagrad, RMSProp and Adam on the same surface from the same start — the lecture's
optimizer story — with fnlearn's own optimizers.

The model's weights are restored exactly afterwards: the views assign new arrays to each
parameter while they work and put the original array objects back when done.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> from fnlearn.explain import loss_surface
    >>> bowl = lambda w: w[0] ** 2 + 10 * w[1] ** 2
    >>> s = loss_surface(bowl, span=1.0, resolution=5)
    >>> s.loss.shape, float(s.center_loss)
    ((5, 5), 0.0)
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import backend
from ..errors import ConfigError, DataError, ShapeError, did_you_mean
from ..tensor import Parameter, Tensor, no_grad
from . import _common as C

VIEWS = ("contour", "3d", "both")
PATH_COLORS = {"sgd": "#1f77b4", "momentum": "#ff7f0e", "nesterov": "#8c564b", "adagrad": "#2ca02c",
               "rmsprop": "#9467bd", "adam": "#d62728", "adamw": "#e377c2"}
_OTHER_COLORS = ["#17becf", "#bcbd22", "#7f7f7f", "#8c564b", "#e377c2"]


@dataclass
class Surface:
    """Loss on a grid: ``loss[j, i]`` is the loss at coordinates ``(a[i], b[j])``.

    With ``params`` the coordinates are the two parameters' values; with random directions they
    are the distances along ``directions[0]`` and ``directions[1]`` from the trained point.
    ``paths`` holds each overlaid trajectory as (steps, 2) coordinates.
    """

    a: np.ndarray
    b: np.ndarray
    loss: np.ndarray
    center: tuple[float, float]
    center_loss: float
    labels: tuple[str, str]
    paths: list[np.ndarray] = field(default_factory=list)
    path_labels: list[str] = field(default_factory=list)
    directions: list[dict[str, np.ndarray]] | None = None
    # what a path drawn on a model's surface is: the surface is a slice with every other weight where training
    # ended, so a path's points lie over the losses of that slice, not over the losses the path really had
    path_note: str = ""

    def plot(self, path: str | os.PathLike | None = None, view: str = "contour") -> Any:
        """Contour map, 3-D surface, or both side by side; paths drawn as lines from ○ start to × end."""
        if view not in VIEWS:
            raise C.ConfigError(f"view must be one of {', '.join(VIEWS)}, got {view!r}.")
        panels = ["contour", "3d"] if view == "both" else [view]
        fig = C.new_figure(6.2 * len(panels), 5.0)
        for k, kind in enumerate(panels):
            if kind == "contour":
                ax = fig.add_subplot(1, len(panels), k + 1)
                self._contour(ax)
            else:
                ax = fig.add_subplot(1, len(panels), k + 1, projection="3d")
                self._surface3d(ax)
        return C.maybe_save(fig, path)

    def _levels(self) -> tuple[np.ndarray, bool]:
        lo, hi = float(np.nanmin(self.loss)), float(np.nanmax(self.loss))
        if lo > 0 and hi / lo > 100:  # a deep bowl: log-spaced levels show the floor as well as the walls
            return np.geomspace(lo, hi, 25), True
        return np.linspace(lo, hi if hi > lo else lo + 1, 25), False

    def _contour(self, ax: Any, show_center: bool = True) -> None:
        levels, log = self._levels()
        loss = np.clip(self.loss, levels[0], levels[-1])
        if log:
            from matplotlib.colors import LogNorm

            cs = ax.contourf(self.a, self.b, loss, levels=levels, cmap="viridis", norm=LogNorm())
        else:
            cs = ax.contourf(self.a, self.b, loss, levels=levels, cmap="viridis")
        ax.contour(self.a, self.b, loss, levels=levels[::3], colors="white", linewidths=0.5, alpha=0.5)
        ax.figure.colorbar(cs, ax=ax, label="loss", format="%.3g")
        if show_center:
            ax.plot(*self.center, marker="*", color="white", mec="black", ms=13, ls="none",
                    label=f"centre: loss {self.center_loss:.4g}", zorder=5)
        for k, (pts, label) in enumerate(zip(self.paths, self.path_labels)):
            color = _path_color(label, k)
            ax.plot(pts[:, 0], pts[:, 1], "-", color=color, lw=1.6, marker=".", ms=3, label=label, zorder=4)
            ax.plot(pts[0, 0], pts[0, 1], "o", color=color, mec="black", ms=6, zorder=5)
            ax.plot(pts[-1, 0], pts[-1, 1], "X", color=color, mec="black", ms=8, zorder=5)
        ax.set_xlim(self.a[0], self.a[-1])
        ax.set_ylim(self.b[0], self.b[-1])
        ax.set_xlabel(self.labels[0])
        ax.set_ylabel(self.labels[1])
        ax.set_title("error surface L(θ)" + self._note(), **self._title_size())
        ax.legend(fontsize=7.5, loc="upper right", framealpha=0.85)

    def _surface3d(self, ax: Any) -> None:
        aa, bb = np.meshgrid(self.a, self.b)
        _, log = self._levels()
        # a deep bowl is drawn as log₁₀(loss), else its floor is a flat sheet under the walls
        height = np.log10 if log else (lambda v: v)
        ax.plot_surface(aa, bb, height(self.loss), cmap="viridis", linewidth=0, antialiased=True, alpha=0.85)
        ax.scatter([self.center[0]], [self.center[1]], [height(self.center_loss)], color="white",
                   edgecolor="black", s=60, marker="*", depthshade=False)
        for k, (pts, label) in enumerate(zip(self.paths, self.path_labels)):
            z = height(_interpolate(self, pts))
            ax.plot(pts[:, 0], pts[:, 1], z, color=_path_color(label, k), lw=1.6, label=label)
        ax.set_xlabel(self.labels[0])
        ax.set_ylabel(self.labels[1])
        ax.set_zlabel("log₁₀ loss" if log else "loss")
        ax.set_title("error surface L(θ), 3-D" + self._note(), **self._title_size())

    def _note(self) -> str:
        return f"\n{self.path_note}" if self.paths and self.path_note else ""

    def _title_size(self) -> dict[str, float]:
        return {"fontsize": 8.5} if self._note() else {}


def _path_color(label: str, k: int) -> str:
    return PATH_COLORS.get(str(label).lower(), _OTHER_COLORS[k % len(_OTHER_COLORS)])


def _interpolate(s: Surface, pts: np.ndarray) -> np.ndarray:
    """Loss under each path point, bilinear on the grid (so the 3-D path lies on the surface)."""
    ia = np.interp(pts[:, 0], s.a, np.arange(s.a.size))
    ib = np.interp(pts[:, 1], s.b, np.arange(s.b.size))
    i0, j0 = np.floor(ia).astype(int).clip(0, s.a.size - 2), np.floor(ib).astype(int).clip(0, s.b.size - 2)
    fa, fb = ia - i0, ib - j0
    L = s.loss
    return ((1 - fa) * (1 - fb) * L[j0, i0] + fa * (1 - fb) * L[j0, i0 + 1]
            + (1 - fa) * fb * L[j0 + 1, i0] + fa * fb * L[j0 + 1, i0 + 1])


# ----------------------------------------------------------------------------- naming scalars


_SCALAR_NAME = re.compile(r"^\s*([^\[\]\s]+)\s*(?:\[\s*([-\d\s,]*)\s*\])?\s*$")


def first_layer_params(model: Any) -> tuple[str, str]:
    """The default two numbers of a model's loss surface: the first weight and the first bias of its first layer
    with a kernel (``1.kernel[0,0]`` where layer 0 is a functional model's Input).

    >>> import fnlearn as fl
    >>> first_layer_params(fl.Sequential([fl.layers.Dense(2, input_dim=3), fl.layers.Dense(1)]))
    ('0.kernel[0,0]', '0.bias[0]')
    """
    named = _named_parameters(model)
    kernel = next((name for name, p in named.items() if name.endswith("kernel") and p.ndim == 2), None)
    if kernel is None:  # no Dense: the names asked for are reported missing, with the model's own listed
        return "0.kernel[0,0]", "0.bias[0]"
    bias = kernel[:-len("kernel")] + "bias"
    if bias in named:
        return f"{kernel}[0,0]", f"{bias}[0]"
    return f"{kernel}[0,0]", f"{kernel}[1,0]" if named[kernel].shape[0] > 1 else f"{kernel}[0,1]"


def _named_parameters(model: Any) -> dict[str, Parameter]:
    if not hasattr(model, "named_parameters"):
        raise ConfigError(f"expected a model with parameters or a function of two numbers, got "
                          f"{type(model).__name__}.")
    params = dict(model.named_parameters())
    if not params:
        raise ConfigError("the model has no parameters yet; build it (input_shape=...) or train it first.")
    return params


def resolve_scalar(model: Any, spec: str) -> tuple[str, tuple[int, ...]]:
    """``"0.kernel[0,1]"`` → (``"0.kernel"``, (0, 1)); checks the name and the index against the model.

    A single index counts in the flattened parameter; no index is allowed for one-element parameters.
    """
    params = _named_parameters(model)
    listing = ", ".join(f"{n} {tuple(p.shape)}" for n, p in params.items())
    m = _SCALAR_NAME.match(str(spec))
    if m is None or m.group(1) not in params:
        given = m.group(1) if m else spec
        raise ConfigError(f"parameter {spec!r} is not in the model; {did_you_mean(given, params)}valid names are: "
                          f"{listing}; name one number as e.g. '0.kernel[0,0]'.")
    name, raw = m.group(1), m.group(2)
    shape = tuple(params[name].shape)
    if raw is None:
        if int(np.prod(shape)) != 1:
            raise ConfigError(f"parameter {name!r} has shape {shape}; pick one number with an index such as "
                              f"'{name}[{','.join('0' for _ in shape)}]'.")
        return name, (0,) * len(shape)
    try:
        index = tuple(int(v) for v in raw.split(",") if v.strip())
    except ValueError:
        raise ConfigError(f"the index in {spec!r} must be whole numbers such as [0,1].") from None
    if len(index) == 1 and len(shape) != 1:
        flat = index[0]
        if not 0 <= flat < int(np.prod(shape)):
            raise ConfigError(f"index [{flat}] is out of range for parameter {name!r} of shape {shape} "
                              f"({int(np.prod(shape))} numbers).")
        return name, tuple(int(v) for v in np.unravel_index(flat, shape))
    if len(index) != len(shape) or any(not 0 <= i < n for i, n in zip(index, shape)):
        raise ConfigError(f"index {list(index)} does not fit parameter {name!r} of shape {shape}; "
                          f"use {len(shape)} indices, each from 0 to its size − 1.")
    return name, index


# ----------------------------------------------------------------------------- evaluating the loss


@contextmanager
def _kept_weights(model: Any) -> Any:
    """Let the block assign new arrays to the parameters; put the original objects (and grads) back."""
    params = list(_named_parameters(model).values())
    originals = [(p.data, p.grad) for p in params]
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        yield
    finally:
        for p, (data, grad) in zip(params, originals):
            p.data, p.grad = data, grad
        if was_training and hasattr(model, "train"):
            model.train()


def _loss_function(model: Any, loss: Any) -> Callable[[Any, Any], Tensor]:
    from .. import losses

    if loss is not None:
        return losses.get(loss)
    fn = getattr(model, "loss_fn", None)
    if fn is None:
        raise ConfigError("the model is not compiled, so its loss is unknown; compile it first or pass "
                          "loss='mse' (any name fl.losses knows).")
    return fn


def _data_pair(data: Any, dtype: Any) -> tuple[Any, Any]:
    if data is None:
        raise ConfigError("a model's loss needs data; pass data=(x, y) with the training inputs and targets.")
    try:
        x, y = data
    except (TypeError, ValueError):
        raise ConfigError("data must be a pair (x, y) of arrays.") from None
    x = np.asarray(backend.to_numpy(x.data if isinstance(x, Tensor) else x))
    if x.dtype.kind not in "fiub":
        raise DataError(f"data x must hold numbers, got dtype {x.dtype}.")
    x = backend.to_device(x.astype(dtype, copy=False))
    y = y.data if isinstance(y, Tensor) else y
    y_arr = np.asarray(backend.to_numpy(y))
    if len(y_arr) != len(x):
        raise ShapeError(f"data x has {len(x)} samples but y has {len(y_arr)}; pass one target per sample.")
    if y_arr.dtype.kind == "f":
        y_arr = y_arr.astype(dtype, copy=False)
    return x, backend.to_device(y_arr)


def _model_loss(model: Any, loss_fn: Callable[[Any, Any], Tensor], x: Any, y: Any) -> float:
    with no_grad():
        return float(loss_fn(y, model(x, training=False)).item())


def _grid_offsets(span: float, resolution: int) -> np.ndarray:
    # (2i − (n − 1)) / (n − 1) is exactly 0 in the middle for odd n, so the centre is the trained point itself
    i = np.arange(resolution, dtype=np.float64)
    return span * (2 * i - (resolution - 1)) / (resolution - 1)


def _check_span(span: Any) -> tuple[float, float]:
    spans = span if isinstance(span, (tuple, list)) else (span, span)
    try:
        spans = tuple(float(s) for s in spans)
    except (TypeError, ValueError):
        raise ConfigError(f"span must be a positive number (or a pair of them), got {span!r}.") from None
    if len(spans) != 2 or not all(math.isfinite(s) and s > 0 for s in spans):
        raise ConfigError(f"span must be a positive number (or a pair of them), got {span!r}; it is how far the "
                          "grid reaches on each side of the centre, e.g. span=1.0.")
    return spans  # type: ignore[return-value]


def filter_normalized_direction(model: Any, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A random direction in parameter space, scaled unit by unit to the norm of the unit's weights.

    For a Dense kernel (inputs, units) each column — one unit's incoming weights — gets the norm of
    that column; one-dimensional parameters (biases) get no component, as Li et al. do.
    """
    out = {}
    for name, p in _named_parameters(model).items():
        theta = np.asarray(backend.to_numpy(p.data), dtype=np.float64)
        if theta.ndim < 2:
            out[name] = np.zeros_like(theta)
            continue
        d = rng.standard_normal(theta.shape)
        axes = tuple(range(theta.ndim - 1))  # every axis but the units axis
        d_norm = np.sqrt(np.sum(d * d, axis=axes, keepdims=True))
        t_norm = np.sqrt(np.sum(theta * theta, axis=axes, keepdims=True))
        out[name] = d * t_norm / np.maximum(d_norm, 1e-12)
    return out


def loss_surface(model_or_fn: Any, data: tuple[Any, Any] | None = None,
                 params: Sequence[str] | None = None, directions: str | Sequence[dict] | None = None,
                 span: float | tuple[float, float] = 1.0, resolution: int = 41,
                 paths: Any = None, path: str | os.PathLike | None = None, view: str = "contour",
                 loss: Any = None, center: Sequence[float] = (0.0, 0.0), seed: int = 0) -> Surface:
    """The loss over a 2-D slice of parameter space, as numbers (and drawn with ``path``).

    - A model with ``params=("0.kernel[0,0]", "0.bias[0]")`` (by default the first weight and bias of the first
      layer with weights): vary those two numbers by ±``span`` around their trained values, everything else fixed.
    - A model with ``directions="random"``: vary θ* + α·d₁ + β·d₂ for α, β in ±``span``, with d₁, d₂
      random filter-normalised directions (drawn from ``seed``), or pass two direction dicts.
    - A function ``f(w)`` of a length-2 tensor returning a number: the grid is ``center`` ± ``span``.

    The loss of a model is its compiled loss (or ``loss=``) on all of ``data=(x, y)`` in one batch.
    ``paths`` overlays trajectories: a (steps, 2) array of coordinates, a list of parameter state dicts
    (``model.state_dict()`` snapshots), an object with ``states()`` such as :class:`Trace`, or a dict
    ``{label: path}`` / list of those. ``view`` is "contour", "3d" or "both".

    >>> import fnlearn as fl, numpy as np
    >>> m = fl.Sequential([fl.layers.Dense(1, input_dim=1)])
    >>> s = loss_surface(m, data=(np.ones((4, 1)), np.ones((4, 1))), loss="mse", resolution=3)
    >>> s.labels
    ('0.kernel[0,0]', '0.bias[0]')
    """
    resolution = C.check_resolution(resolution)
    spans = _check_span(span)
    if view not in VIEWS:
        raise ConfigError(f"view must be one of {', '.join(VIEWS)}, got {view!r}.")
    if params is not None and (isinstance(params, str) or not isinstance(params, Sequence)
                               or not all(isinstance(name, str) for name in params)):
        raise ConfigError(f"loss_surface params must name two numbers such as ('0.kernel[0,0]', '0.bias[0]'), got "
                          f"a {type(params).__name__}; the data go in as data=(x, y).")
    is_model = hasattr(model_or_fn, "named_parameters")
    if not is_model:
        if not callable(model_or_fn):
            raise ConfigError(f"loss_surface needs a model or a function f(w) of two numbers, got "
                              f"{type(model_or_fn).__name__}.")
        surface = _function_surface(model_or_fn, center, spans, resolution)
    elif directions is not None:
        surface = _direction_surface(model_or_fn, data, directions, spans, resolution, loss, seed)
    else:
        surface = _param_surface(model_or_fn, data, params or first_layer_params(model_or_fn), spans, resolution,
                                 loss)
    if paths is not None:
        surface.paths, surface.path_labels = _paths_to_coordinates(model_or_fn if is_model else None, surface,
                                                                  paths, params or first_layer_params(model_or_fn))
        if is_model:
            surface.path_note = ("paths projected onto this slice; its heights are the slice's losses, not the "
                                 "path's" if directions is not None else
                                 "other weights at their trained values: heights are this slice's losses")
    if path is not None:
        surface.plot(path, view=view)
    return surface


def _function_value(fn: Callable[[Tensor], Any], w: np.ndarray) -> float:
    with no_grad():
        value = fn(Tensor(w, dtype=np.float64))
    # a user's function may return a Tensor, a number, or an array of the backend (a GPU array is read back)
    value = value.item() if isinstance(value, Tensor) else float(np.asarray(backend.to_numpy(value)).reshape(()))
    return float(value)


def _function_surface(fn: Callable[[Tensor], Any], center: Sequence[float], spans: tuple[float, float],
                      resolution: int) -> Surface:
    c = C.as_float_array(center, "center").reshape(-1)
    if c.size != 2:
        raise ShapeError(f"center must be two numbers (w₁, w₂), got {c.size}.")
    a = c[0] + _grid_offsets(spans[0], resolution)
    b = c[1] + _grid_offsets(spans[1], resolution)
    loss = np.array([[_function_value(fn, np.array([ai, bj])) for ai in a] for bj in b])
    return Surface(a, b, loss, (float(c[0]), float(c[1])), _function_value(fn, c), ("w₁", "w₂"))


def _param_surface(model: Any, data: Any, names: Sequence[str], spans: tuple[float, float], resolution: int,
                   loss: Any) -> Surface:
    if len(names) != 2:
        raise ConfigError(f"params must name two numbers such as ('0.kernel[0,0]', '0.bias[0]'), got {names!r}.")
    picked = [resolve_scalar(model, n) for n in names]
    if picked[0] == picked[1]:
        raise ConfigError(f"params name the same number twice ({names[0]!r}); pick two different ones.")
    loss_fn = _loss_function(model, loss)
    named = _named_parameters(model)
    x, y = _data_pair(data, C.model_dtype(model))
    centre = [float(backend.to_numpy(named[n].data)[i]) for n, i in picked]
    offsets = [_grid_offsets(s, resolution) for s in spans]
    grid = np.empty((resolution, resolution))
    with _kept_weights(model):
        centre_loss = _model_loss(model, loss_fn, x, y)
        base = {n: named[n].data for n, _ in picked}
        for j, db in enumerate(offsets[1]):
            for i, da in enumerate(offsets[0]):
                _set_scalars(named, base, picked, (centre[0] + da, centre[1] + db))
                grid[j, i] = _model_loss(model, loss_fn, x, y)
    labels = tuple(f"{n}[{','.join(str(k) for k in i)}]" for n, i in picked)
    return Surface(centre[0] + offsets[0], centre[1] + offsets[1], grid, (centre[0], centre[1]), centre_loss,
                   labels)  # type: ignore[arg-type]


def _set_scalars(named: dict[str, Parameter], base: dict[str, Any], picked: list[tuple[str, tuple[int, ...]]],
                 values: Sequence[float]) -> None:
    """Give the parameters fresh copies of their original arrays with the chosen numbers changed."""
    fresh = {n: base[n].copy() for n in base}
    for (n, idx), v in zip(picked, values):
        fresh[n][idx] = v
    for n, arr in fresh.items():
        named[n].data = arr


def _direction_surface(model: Any, data: Any, directions: Any, spans: tuple[float, float], resolution: int,
                       loss: Any, seed: int) -> Surface:
    named = _named_parameters(model)
    if isinstance(directions, str):
        if directions != "random":
            raise ConfigError(f"directions must be 'random' or two dicts {{name: array}}, got {directions!r}.")
        rng = np.random.default_rng(seed)
        dirs = [filter_normalized_direction(model, rng) for _ in range(2)]
    else:
        dirs = [dict(d) for d in directions]
        if len(dirs) != 2:
            raise ConfigError(f"directions must be two dicts {{parameter name: array}}, got {len(dirs)}.")
        for d in dirs:
            for n, p in named.items():
                if n not in d or np.shape(d[n]) != tuple(p.shape):
                    raise ShapeError(f"each direction needs an array of shape {tuple(p.shape)} for parameter "
                                     f"{n!r}; build it like model.state_dict().")
    loss_fn = _loss_function(model, loss)
    x, y = _data_pair(data, C.model_dtype(model))
    offsets = [_grid_offsets(s, resolution) for s in spans]
    grid = np.empty((resolution, resolution))
    with _kept_weights(model):
        theta = {n: np.asarray(backend.to_numpy(p.data), dtype=np.float64) for n, p in named.items()}
        dtypes = {n: p.data.dtype for n, p in named.items()}
        centre_loss = _model_loss(model, loss_fn, x, y)
        for j, beta in enumerate(offsets[1]):
            for i, alpha in enumerate(offsets[0]):
                for n, p in named.items():
                    p.data = backend.to_device((theta[n] + alpha * dirs[0][n] + beta * dirs[1][n]).astype(dtypes[n]))
                grid[j, i] = _model_loss(model, loss_fn, x, y)
    return Surface(offsets[0], offsets[1], grid, (0.0, 0.0), centre_loss, ("direction 1", "direction 2"),
                   directions=[{n: np.asarray(v) for n, v in d.items()} for d in dirs])


# ----------------------------------------------------------------------------- paths


def _paths_to_coordinates(model: Any, surface: Surface, paths: Any,
                          names: Sequence[str]) -> tuple[list[np.ndarray], list[str]]:
    if isinstance(paths, dict) and not _is_state(paths):
        items = list(paths.items())
    elif isinstance(paths, np.ndarray) or hasattr(paths, "states") or _is_state_list(paths):
        items = [("path", paths)]
    elif isinstance(paths, Iterable):
        items = [(f"path {k + 1}", p) for k, p in enumerate(paths)]
    else:
        raise ConfigError("paths must be a (steps, 2) array, a list of state dicts, a Trace, or a dict/list of those.")
    coords, labels = [], []
    for label, p in items:
        coords.append(_path_coordinates(model, surface, p, names))
        labels.append(str(label))
    return coords, labels


def _is_state(obj: Any) -> bool:
    return isinstance(obj, dict) and bool(obj) and all(hasattr(v, "shape") for v in obj.values())


def _is_state_list(obj: Any) -> bool:
    return isinstance(obj, (list, tuple)) and bool(obj) and all(_is_state(s) for s in obj)


def _path_coordinates(model: Any, surface: Surface, p: Any, names: Sequence[str]) -> np.ndarray:
    if hasattr(p, "states"):
        p = p.states()
    if _is_state_list(p):
        if model is None:
            raise ConfigError("state-dict paths need a model surface; for a function pass (steps, 2) arrays.")
        states = list(p)
        if surface.directions is None:
            picked = [resolve_scalar(model, n) for n in names]
            return np.array([[float(np.asarray(s[n])[i]) for n, i in picked] for s in states])
        return _project(model, surface.directions, states)
    arr = C.as_float_array(p, "a path", ndim=2)
    if arr.shape[1] != 2:
        raise ShapeError(f"a path of coordinates must have shape (steps, 2), got {arr.shape}.")
    return arr


def _project(model: Any, dirs: list[dict[str, np.ndarray]], states: list[dict]) -> np.ndarray:
    """Least-squares coordinates of θ_t − θ* in the plane of the two directions."""
    names = list(_named_parameters(model))
    theta = np.concatenate([np.asarray(backend.to_numpy(p.data), dtype=np.float64).ravel()
                            for p in _named_parameters(model).values()])
    basis = np.stack([np.concatenate([d[n].ravel() for n in names]) for d in dirs], axis=1)
    pts = np.stack([np.concatenate([np.asarray(s[n], dtype=np.float64).ravel() for n in names]) for s in states])
    coef, *_ = np.linalg.lstsq(basis, (pts - theta).T, rcond=None)
    return coef.T


# ----------------------------------------------------------------------------- optimizers compared


DEFAULT_OPTIMIZERS = ("sgd", "momentum", "adagrad", "rmsprop", "adam")


@dataclass
class OptimizerComparison:
    """Each optimizer's walk over one surface: ``trajectories[name]`` is (steps + 1, 2), row 0 the start."""

    start: np.ndarray
    trajectories: dict[str, np.ndarray]
    losses: dict[str, np.ndarray]
    surface: Surface

    def plot(self, path: str | os.PathLike | None = None) -> Any:
        """The paths on the contour map, and each loss against the step (log scale)."""
        fig = C.new_figure(12.0, 5.0)
        ax_map = fig.add_subplot(1, 2, 1)
        s = Surface(self.surface.a, self.surface.b, self.surface.loss, self.surface.center,
                    self.surface.center_loss, self.surface.labels, list(self.trajectories.values()),
                    list(self.trajectories))
        s._contour(ax_map, show_center=False)
        ax_map.set_title("the same surface, the same start")
        ax = fig.add_subplot(1, 2, 2)
        positive = all(np.all(v > 0) for v in self.losses.values())
        for k, (name, values) in enumerate(self.losses.items()):
            ax.plot(np.arange(values.size), values, color=_path_color(name, k), lw=1.6, label=name)
        if positive:
            ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        ax.set_title("loss along each path")
        ax.grid(alpha=0.25)
        ax.legend(fontsize=8)
        return C.maybe_save(fig, path)


def _make_optimizer(spec: Any, param: Parameter, lr: float) -> Any:
    from .. import optim

    if isinstance(spec, optim.Optimizer):
        return spec.bind([param])
    if callable(spec) and not isinstance(spec, type):
        return spec([param])
    factories = {"sgd": lambda: optim.SGD([param], learning_rate=lr),
                 "momentum": lambda: optim.SGD([param], learning_rate=lr, momentum=0.9),
                 "nesterov": lambda: optim.SGD([param], learning_rate=lr, momentum=0.9, nesterov=True),
                 "adagrad": lambda: optim.Adagrad([param], learning_rate=lr),
                 "rmsprop": lambda: optim.RMSprop([param], learning_rate=lr),
                 "adam": lambda: optim.Adam([param], learning_rate=lr),
                 "adamw": lambda: optim.AdamW([param], learning_rate=lr)}
    key = str(spec).lower()
    if key not in factories:
        from ..errors import unknown_name

        raise unknown_name("optimizer", spec, factories)
    return factories[key]()


def _spec_label(spec: Any) -> str:
    if isinstance(spec, str):
        return spec
    return str(getattr(spec, "name", getattr(spec, "__name__", type(spec).__name__)))


def compare_optimizers(fn_or_model: Any, start: Sequence[float] | None = None,
                       optimizers: Sequence[Any] | dict[str, Any] = DEFAULT_OPTIMIZERS, steps: int = 100,
                       learning_rate: float | dict[str, float] = 0.01, data: tuple[Any, Any] | None = None,
                       params: Sequence[str] | None = None, loss: Any = None,
                       span: float | tuple[float, float] | None = None, resolution: int = 61,
                       path: str | os.PathLike | None = None) -> OptimizerComparison:
    """Walk the same surface from the same start with several optimizers (fnlearn's own).

    ``fn_or_model`` is a function ``f(w)`` of a length-2 tensor returning a scalar tensor, or a model
    with ``data`` and two ``params`` (then only those two numbers move; the rest stay as they are and
    the model is restored afterwards). ``optimizers`` are names ("sgd", "momentum" = SGD with 0.9,
    "nesterov", "adagrad", "rmsprop", "adam", "adamw"), unbound ``fl.optim`` objects, factories
    ``f(params) -> Optimizer``, or a dict ``{label: any of those}``. ``learning_rate`` is one number or
    ``{name: number}``. The surface drawn reaches ``span`` around the paths (by default just past them).

    >>> from fnlearn.explain import compare_optimizers
    >>> r = compare_optimizers(lambda w: w[0] ** 2 + 10 * w[1] ** 2, start=(-1.0, 0.5), steps=3, resolution=5)
    >>> r.trajectories["adam"].shape
    (4, 2)
    """
    steps = C.check_positive_int("steps", steps, 1)
    resolution = C.check_resolution(resolution)
    items = list(optimizers.items()) if isinstance(optimizers, dict) else [(_spec_label(o), o) for o in optimizers]
    if not items:
        raise ConfigError("optimizers is empty; name at least one, e.g. ('sgd', 'adam').")
    is_model = hasattr(fn_or_model, "named_parameters")
    if is_model:
        params = params or first_layer_params(fn_or_model)
        objective, start_arr, restore = _model_objective(fn_or_model, data, params, loss, start)
    else:
        if not callable(fn_or_model):
            raise ConfigError(f"compare_optimizers needs a function f(w) or a model, got {type(fn_or_model).__name__}.")
        if start is None:
            raise ConfigError("start is needed for a function surface: the point (w₁, w₂) every optimizer starts from.")
        start_arr = C.as_float_array(start, "start").reshape(-1)
        objective, restore = _function_objective(fn_or_model), (lambda: None)
    if start_arr.size != 2:
        raise ShapeError(f"start must be two numbers (w₁, w₂), got {start_arr.size}.")
    if isinstance(learning_rate, dict):
        unknown = sorted(set(learning_rate) - {label for label, _ in items})
        if unknown:
            raise ConfigError(f"learning_rate names {', '.join(map(repr, unknown))}, which is not one of the "
                              f"optimizers compared ({', '.join(repr(label) for label, _ in items)}); use their "
                              "names as keys.")
    trajectories, losses = {}, {}
    try:
        for label, spec in items:
            lr = learning_rate.get(label, 0.01) if isinstance(learning_rate, dict) else learning_rate
            w = Parameter(start_arr.copy(), dtype=np.float64)
            opt = _make_optimizer(spec, w, float(lr))
            points, values = [start_arr.copy()], []
            # a diverging walk overflows on its way out; it is reported below in one sentence instead
            with np.errstate(over="ignore", invalid="ignore"):
                for _ in range(steps):
                    value, grad = objective(np.asarray(backend.to_numpy(w.data), dtype=np.float64))
                    values.append(value)
                    w.grad = backend.to_device(grad)
                    opt.step()
                    points.append(np.asarray(backend.to_numpy(w.data), dtype=np.float64).copy())
                    if not np.all(np.isfinite(points[-1])):
                        raise DataError(f"the path of {label!r} left the finite numbers after {len(points) - 1} "
                                        f"steps (it diverged); lower its learning rate, e.g. "
                                        f"learning_rate={{{label!r}: {float(lr) / 10:g}}}.")
                values.append(objective(points[-1], False)[0])
            trajectories[label] = np.array(points)
            losses[label] = np.array(values)
        every = np.concatenate(list(trajectories.values()))
        if span is None:
            half = np.maximum((every.max(axis=0) - every.min(axis=0)) * 0.6, 1e-3)
            centre = (every.max(axis=0) + every.min(axis=0)) / 2
        else:
            half = np.asarray(_check_span(span))
            centre = start_arr
        labels = tuple(str(n) for n in params) if is_model else ("w₁", "w₂")
        surface = _surface_from_objective(objective, centre, half, resolution, labels)
    finally:
        restore()
    result = OptimizerComparison(start_arr.copy(), trajectories, losses, surface)
    if path is not None:
        result.plot(path)
    return result


def _function_objective(fn: Callable[[Tensor], Any]) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    def objective(w: np.ndarray, need_grad: bool = True) -> tuple[float, np.ndarray | None]:
        if not need_grad:
            return _function_value(fn, w), None
        t = Tensor(backend.to_device(w.copy()), requires_grad=True, dtype=np.float64)
        value = fn(t)
        if not isinstance(value, Tensor) or value.size != 1:
            raise ConfigError("the function must return a one-number fnlearn tensor built from w (so it has a "
                              "gradient), e.g. lambda w: w[0] ** 2 + 10 * w[1] ** 2.")
        value.backward()
        grad = np.zeros(2) if t.grad is None else np.asarray(backend.to_numpy(t.grad), dtype=np.float64)
        return float(value.item()), grad
    return objective


def _model_objective(model: Any, data: Any, names: Sequence[str], loss: Any,
                     start: Sequence[float] | None) -> tuple[Callable, np.ndarray, Callable[[], None]]:
    """The loss and its gradient as a function of two of the model's numbers (the rest held fixed)."""
    if len(names) != 2:
        raise ConfigError(f"params must name two numbers such as ('0.kernel[0,0]', '0.bias[0]'), got {names!r}.")
    picked = [resolve_scalar(model, n) for n in names]
    loss_fn = _loss_function(model, loss)
    named = _named_parameters(model)
    x, y = _data_pair(data, C.model_dtype(model))
    originals = [(p, p.data, p.grad) for p in named.values()]
    was_training = getattr(model, "training", False)
    base = {n: named[n].data for n, _ in picked}
    here = np.array([float(backend.to_numpy(named[n].data)[i]) for n, i in picked])
    start_arr = here if start is None else C.as_float_array(start, "start").reshape(-1)
    model.eval()

    def objective(w: np.ndarray, need_grad: bool = True) -> tuple[float, np.ndarray | None]:
        _set_scalars(named, base, picked, w)
        if not need_grad:
            return _model_loss(model, loss_fn, x, y), None
        for p in named.values():
            p.grad = None
        value = loss_fn(y, model(x, training=False))
        value.backward()
        grad = np.array([float(backend.to_numpy(named[n].grad)[i]) if named[n].grad is not None else 0.0
                         for n, i in picked])
        return float(value.item()), grad

    def restore() -> None:
        for p, data_, grad in originals:
            p.data, p.grad = data_, grad
        if was_training:
            model.train()

    return objective, start_arr, restore


def _surface_from_objective(objective: Callable, centre: np.ndarray, half: np.ndarray, resolution: int,
                            labels: tuple[str, ...]) -> Surface:
    a = centre[0] + _grid_offsets(float(half[0]), resolution)
    b = centre[1] + _grid_offsets(float(half[1]), resolution)
    grid = np.array([[objective(np.array([ai, bj]), False)[0] for ai in a] for bj in b])
    centre_loss = objective(np.asarray(centre, dtype=np.float64), False)[0]
    return Surface(a, b, grid, (float(centre[0]), float(centre[1])), centre_loss, labels)  # type: ignore[arg-type]
