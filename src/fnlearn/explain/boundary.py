"""Class regions of a two-input classifier, and what each first-layer unit sees (the Playground view).

Example:
    >>> import fnlearn as fl, numpy as np
    >>> from fnlearn.explain import decision_boundary
    >>> m = fl.Sequential([fl.layers.Dense(4, activation="relu", input_dim=2), fl.layers.Dense(3, "softmax")])
    >>> X = np.random.default_rng(0).normal(size=(30, 2)); y = np.arange(30) % 3
    >>> r = decision_boundary(m, X, y, resolution=20)
    >>> r.classes.shape, r.hidden.shape
    ((20, 20), (4, 20, 20))
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError, ShapeError
from ..model import sample_input_shape
from . import _common as C

CLASS_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf"]


@dataclass
class Boundary:
    """The model on a grid over the data: ``classes[j, i]`` is the class at ``(xs[i], ys[j])``.

    ``scores`` is the model's output there (grid_y, grid_x, outputs); ``hidden`` the first hidden
    layer's unit outputs (units, grid_y, grid_x), or None when asked not to compute them.
    """

    xs: np.ndarray
    ys: np.ndarray
    classes: np.ndarray
    scores: np.ndarray
    hidden: np.ndarray | None
    hidden_activation: str
    X: np.ndarray
    y: np.ndarray
    n_classes: int
    threshold: float | None  # the binary threshold used, None for argmax

    def plot(self, path: str | os.PathLike | None = None, max_units: int = 16) -> Any:
        """Regions with the data on the left; each hidden unit as a small heat map on the right."""
        from matplotlib.colors import ListedColormap

        units = 0 if self.hidden is None else min(len(self.hidden), max_units)
        cols = math.ceil(math.sqrt(units)) if units else 0
        rows = math.ceil(units / cols) if units else 1
        fig = C.new_figure(5.6 + (2.4 * cols if units else 0.8), 5.2)
        grid = fig.add_gridspec(max(rows, 1), 1 + cols, width_ratios=[max(cols, 1) * 1.6] + [1] * cols)
        ax = fig.add_subplot(grid[:, 0])
        colors = [CLASS_COLORS[k % len(CLASS_COLORS)] for k in range(self.n_classes)]
        cmap = ListedColormap(colors)
        extent = (self.xs[0], self.xs[-1], self.ys[0], self.ys[-1])
        ax.imshow(self.classes, origin="lower", extent=extent, cmap=cmap, vmin=-0.5, vmax=self.n_classes - 0.5,
                  alpha=0.28, aspect="auto", interpolation="nearest")
        if self.n_classes > 1:
            ax.contour(self.xs, self.ys, self.classes, levels=np.arange(self.n_classes) + 0.5, colors="black",
                       linewidths=0.8)
        for k in range(self.n_classes):
            mask = self.y == k
            if mask.any():
                ax.scatter(self.X[mask, 0], self.X[mask, 1], s=16, color=colors[k], edgecolor="black",
                           linewidth=0.4, label=f"class {k}")
        rule = "argmax of the outputs" if self.threshold is None else f"output > {self.threshold:g}"
        ax.set_title(f"decision regions ({rule})")
        ax.set_xlabel("x₁")
        ax.set_ylabel("x₂")
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
        ax.legend(fontsize=8, loc="upper right", framealpha=0.85)
        for u in range(units):
            sub = fig.add_subplot(grid[u // cols, 1 + u % cols])
            sub.imshow(self.hidden[u], origin="lower", extent=extent, cmap="coolwarm", aspect="auto")
            sub.set_title(f"unit {u}", fontsize=8)
            sub.set_xticks([])
            sub.set_yticks([])
        if units:
            more = "" if units == len(self.hidden) else f" (first {units} of {len(self.hidden)})"
            fig.suptitle(f"hidden layer 1: {self.hidden_activation} units{more}", x=0.72, fontsize=10)
        return C.maybe_save(fig, path)


def decision_boundary(model: Any, X: Any, y: Any = None, resolution: int = 200,
                      path: str | os.PathLike | None = None, hidden_units: bool = True,
                      threshold: float = 0.5, margin: float = 0.1) -> Boundary:
    """Evaluate a two-input classifier on a grid over the data and draw its class regions.

    Several outputs: the class is the argmax. One output: class 1 where the output is above
    ``threshold`` (0.5, right for a sigmoid output; pass 0.0 for a raw score). ``y`` holds integer
    labels or one-hot rows (only used to colour the points). With ``hidden_units`` each unit of the
    first hidden layer is also evaluated on the grid and drawn as a small heat map (for a model whose layers
    run one after another; any other model is drawn from its outputs alone).

    >>> import fnlearn as fl, numpy as np
    >>> m = fl.Sequential([fl.layers.Dense(1, activation="sigmoid", input_dim=2)])
    >>> decision_boundary(m, np.eye(2), [0, 1], resolution=5).classes.dtype
    dtype('int64')
    """
    resolution = C.check_resolution(resolution)
    X = C.as_float_array(X, "X")
    if X.ndim != 2 or X.shape[1] != 2:
        raise ShapeError(f"decision_boundary needs 2-D inputs: X of shape (samples, 2), got shape {X.shape}; "
                         "for other inputs pick two features or use pieces() for one input.")
    # a model whose layers do not run in a chain (its own call(), a graph) is drawn from its outputs alone
    st = C.stages(model) if getattr(model, "_layers_in_order", True) else None
    if st is not None and st[0].kernel.shape[0] != 2:
        raise ShapeError(f"decision_boundary needs a model with 2 inputs, but layer {st[0].name!r} takes "
                         f"{st[0].kernel.shape[0]}.")
    takes = sample_input_shape(model) if st is None else None
    if takes is not None and tuple(takes) != (2,):
        raise ShapeError(f"decision_boundary needs a model with 2 inputs, but model {model.name!r} takes samples "
                         f"of shape {takes}.")
    labels = _labels(y, len(X))
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = np.maximum((hi - lo) * float(margin), 1e-3)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    points = np.column_stack([gx.ravel(), gy.ravel()])
    scores = C.model_output(model, points.astype(C.model_dtype(model)))
    scores = scores.reshape(len(points), -1)
    n_out = scores.shape[1]
    if n_out == 1:
        classes = (scores[:, 0] > threshold).astype(np.int64)
        n_classes, used_threshold = 2, float(threshold)
    else:
        classes = np.argmax(scores, axis=1).astype(np.int64)
        n_classes, used_threshold = n_out, None
    if labels.size:
        n_classes = max(n_classes, int(labels.max()) + 1)
    hidden, hidden_act = None, ""
    if hidden_units and st is not None and len(st) > 1:
        _, h = st[0].forward(points)
        hidden = h.T.reshape(st[0].units, resolution, resolution)
        hidden_act = st[0].activation_name
    return C.drawn(Boundary(xs, ys, classes.reshape(resolution, resolution),
                           scores.reshape(resolution, resolution, n_out), hidden, hidden_act, X, labels,
                           n_classes, used_threshold), path)


def _labels(y: Any, n: int) -> np.ndarray:
    if y is None:
        return np.zeros(0, dtype=np.int64)
    arr = C.as_float_array(y, "y")
    if arr.ndim == 2 and arr.shape[1] > 1:
        arr = np.argmax(arr, axis=1)
    arr = arr.reshape(-1)
    if arr.size != n:
        raise ShapeError(f"y has {arr.size} labels but X has {n} samples; pass one label per sample.")
    if np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise ConfigError("y must hold class labels 0, 1, 2, … (or one-hot rows); got other values.")
    return arr.astype(np.int64)

