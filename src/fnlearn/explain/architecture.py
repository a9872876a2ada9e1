"""The network's architecture as a picture: one box per layer, an arrow for every value one layer hands another
(Keras's ``keras.utils.plot_model``, drawn with matplotlib instead of Graphviz).

A ``Sequential`` model is a column of boxes; a functional graph has its Inputs on top and each layer one row below
the deepest layer it takes values from, so the branches of a residual block or of several inputs stand side by
side. Each box names the layer's class (and its name, shapes, activation, trainable state or dtype on request).

Example:
    >>> import fnlearn as fl
    >>> from fnlearn.explain import architecture
    >>> model = fl.Sequential([fl.layers.Dense(8, activation="relu", input_dim=3), fl.layers.Dense(1)])
    >>> arch = architecture(model)
    >>> arch.types, arch.edges, arch.output_shapes
    (['Dense', 'Dense'], [(0, 1)], ['(None, 8)', '(None, 1)'])
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError, NotReadyError
from ..model import sample_input_shape
from . import _common as C

_RANKDIRS = ("TB", "LR")


@dataclass
class Architecture:
    """The boxes (names, classes, input and output shapes, activations, trainable flags, dtypes, parameter
    counts, in ``model.layers``' order), the arrows between them as (from, to) indices, and each box's row."""

    names: list[str]
    types: list[str]
    input_shapes: list[str]
    output_shapes: list[str]
    activations: list[str | None]
    trainable: list[bool]
    dtypes: list[str]
    params: list[int]
    edges: list[tuple[int, int]]
    levels: list[int]

    def labels(self, show_shapes: bool = True, show_layer_names: bool = True, show_dtype: bool = False,
               show_layer_activations: bool = False, show_trainable: bool = False) -> list[str]:
        """Each box's text: the class (with the name), then the lines asked for."""
        out = []
        for k, kind in enumerate(self.types):
            lines = [f"{self.names[k]} ({kind})" if show_layer_names else kind]
            if show_layer_activations and self.activations[k]:
                lines.append(f"activation: {self.activations[k]}")
            if show_shapes:
                lines.append(f"input: {self.input_shapes[k]}   output: {self.output_shapes[k]}")
            if show_dtype:
                lines.append(f"dtype: {self.dtypes[k]}")
            if show_trainable:
                lines.append("trainable" if self.trainable[k] else "frozen")
            out.append("\n".join(lines))
        return out

    def positions(self) -> list[tuple[float, float]]:
        """(column, row) of each box: rows by level, each row's boxes in order, centred on the widest row."""
        rows: dict[int, list[int]] = {}
        for k, level in enumerate(self.levels):
            rows.setdefault(level, []).append(k)
        widest = max(len(members) for members in rows.values())
        where: list[tuple[float, float]] = [(0.0, 0.0)] * len(self.levels)
        for level, members in rows.items():
            start = (widest - len(members)) / 2
            for slot, k in enumerate(members):
                where[k] = (start + slot, float(level))
        return where

    def plot(self, path: str | os.PathLike | None = None, *, show_shapes: bool = True,
             show_layer_names: bool = True, show_dtype: bool = False, show_layer_activations: bool = False,
             show_trainable: bool = False, rankdir: str = "TB", dpi: int = 110) -> Any:
        """Draw the boxes and arrows (top to bottom, or left to right with ``rankdir="LR"``); written to ``path``
        (PNG, SVG or PDF by its suffix) when one is given."""
        if rankdir not in _RANKDIRS:
            raise ConfigError(f"rankdir must be 'TB' (top to bottom) or 'LR' (left to right), got {rankdir!r}.")
        labels = self.labels(show_shapes, show_layer_names, show_dtype, show_layer_activations, show_trainable)
        where = self.positions()
        columns = max(x for x, _ in where) + 1
        rows = max(y for _, y in where) + 1
        lines = max(label.count("\n") + 1 for label in labels)
        chars = max(len(line) for label in labels for line in label.split("\n"))
        box_w, box_h = 0.09 * chars + 0.5, 0.2 * lines + 0.35  # inches, for 9-point text
        step_w, step_h = box_w + 0.4, box_h + 0.45
        if rankdir == "LR":  # rows become columns
            where = [(y, x) for x, y in where]
            columns, rows = rows, columns
        fig = C.new_figure(max(2.5, columns * step_w), max(1.2, rows * step_h))
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.set_xlim(-0.5, columns - 0.5)
        ax.set_ylim(rows - 0.5, -0.5)  # the first row on top
        points = [(x, y) for x, y in where]
        for a, b in self.edges:
            ax.annotate("", xy=points[b], xytext=points[a],
                        arrowprops={"arrowstyle": "-|>", "color": C.CONSTANT_GREY, "lw": 1.2,
                                    "shrinkA": 16 + 6 * lines, "shrinkB": 16 + 6 * lines})
        for k, (x, y) in enumerate(points):
            kind = self.types[k]
            face = "#eef3fb" if kind != "InputLayer" else "#f4f4f4"
            ax.text(x, y, labels[k], ha="center", va="center", fontsize=9, family="monospace",
                    bbox={"boxstyle": "round,pad=0.5", "fc": face, "ec": C.PIECE_BLUE if self.trainable[k] or
                          not self.params[k] else C.CONSTANT_GREY, "lw": 1.2})
        if path is not None:
            C.save_figure(fig, path, dpi=dpi)
        return fig


def architecture(model: Any, path: str | os.PathLike | None = None, **options: Any) -> Architecture:
    """The boxes and arrows of ``model`` (a ``Sequential``, a functional model or graph, a subclass built from
    ``(inputs, outputs)``); drawn to ``path`` when given, with ``options`` as :meth:`Architecture.plot` takes them.
    The model must be built (its input shape known), as for ``summary()``."""
    if not hasattr(model, "_summary_rows") or not hasattr(model, "layers"):
        raise ConfigError(f"architecture takes a model, got {type(model).__name__}; pass a fl.Sequential or a "
                          "keras.Model.")
    if not getattr(model, "built", False):
        raise NotReadyError(f"model {getattr(model, 'name', '')!r} is not built yet, so its layers' shapes are "
                            "unknown; call model.build(input_shape) or fit it (or call it on a batch) first.")
    layers = list(model.layers)
    rows = model._summary_rows()
    edges = _edges(model, layers)
    levels = [0] * len(layers)
    for a, b in sorted(edges, key=lambda e: e[1]):  # layers come after the layers they take values from
        levels[b] = max(levels[b], levels[a] + 1)
    sources: dict[int, list[int]] = {}
    for a, b in edges:
        sources.setdefault(b, []).append(a)
    first = _shape_of(sample_input_shape(model))
    outputs = [row[1] for row in rows]
    inputs = [", ".join(outputs[a] for a in sources[k]) if k in sources else
              (outputs[k] if type(layer).__name__ == "InputLayer" else first) for k, layer in enumerate(layers)]
    result = Architecture(
        names=[getattr(layer, "name", type(layer).__name__) for layer in layers],
        types=[type(layer).__name__ for layer in layers], input_shapes=inputs, output_shapes=outputs,
        activations=[getattr(layer, "activation_name", None) for layer in layers],
        trainable=[bool(getattr(layer, "trainable", True)) for layer in layers],
        dtypes=[str(getattr(layer, "dtype", "") or "") for layer in layers], params=[row[2] for row in rows],
        edges=edges, levels=levels)
    return C.drawn(result, path, **options)


def _edges(model: Any, layers: list[Any]) -> list[tuple[int, int]]:
    """(from, to) for every value one layer hands another: a graph's calls, else one layer after the other."""
    calls = getattr(model, "_calls", None)
    if calls is None:
        return [(k, k + 1) for k in range(len(layers) - 1)]
    from ..keras.layers import SymbolicTensor

    index = {id(layer): k for k, layer in enumerate(layers)}
    edges: list[tuple[int, int]] = []
    for call in calls:
        for parent in call.parents:
            source = parent.layer if isinstance(parent, SymbolicTensor) else parent
            edge = (index[id(source)], index[id(call.layer)])
            if edge not in edges:
                edges.append(edge)
    return edges


def _shape_of(shape: Any) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_shape_of(s) for s in shape)
    return str((None, *shape))
