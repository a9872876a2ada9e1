"""The learned function taken apart: a constant plus a sum of blue pieces makes the red curve.

A network with one input, one hidden layer of n units and one linear output computes

    y = b + Σᵢ cᵢ · act(bᵢ + wᵢ x)

— the lecture's formula, with wᵢ, bᵢ from the hidden layer and cᵢ, b from the output layer.
:func:`pieces` evaluates every term over a range of x, so each piece can be drawn in blue and
their sum in red, and checks the sum against the model's own output. For ReLU networks it finds
the pairs of units that together make one hard sigmoid (the lecture's "two ReLUs make one hard
sigmoid"). For deeper networks :func:`layer_outputs` draws every unit of every layer over x.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> from fnlearn.explain import pieces
    >>> model = fl.Sequential([fl.layers.Dense(3, activation="sigmoid", input_dim=1), fl.layers.Dense(1)])
    >>> p = pieces(model, x_range=(-3, 3), num=50)
    >>> p.pieces.shape, bool(np.allclose(p.total, p.output, atol=1e-5))
    ((3, 50), True)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ConfigError, ShapeError
from . import _common as C

RELU_NAMES = ("relu",)


@dataclass
class ReluPair:
    """Two ReLU units whose sum is a hard sigmoid: flat at ``left`` before ``start``, a ramp of
    ``slope`` between ``start`` and ``end``, flat at ``right`` after ``end``."""

    units: tuple[int, int]
    start: float
    end: float
    slope: float
    left: float
    right: float
    mismatch: float  # |c₁w₁ + c₂w₂| / max(|c₁w₁|, |c₂w₂|): 0 for an exact hard sigmoid

    @property
    def height(self) -> float:
        return self.right - self.left


@dataclass
class Pieces:
    """The decomposition ``total = constant + Σ pieces`` of a one-hidden-layer network over ``x``.

    ``pieces[i] = c[i] * act(biases[i] + weights[i] * x)``. ``output`` is the model's own output;
    when the output layer is linear, ``total == output``; otherwise ``total`` is the score that the
    output activation (``output_activation``) turns into ``output``.
    """

    x: np.ndarray
    pieces: np.ndarray
    constant: float
    total: np.ndarray
    output: np.ndarray
    weights: np.ndarray
    biases: np.ndarray
    coefficients: np.ndarray
    activation: str
    output_activation: str = "linear"
    max_error: float = 0.0  # largest |output_activation(total) − output|: float rounding only
    pairs: list[ReluPair] = field(default_factory=list)
    data: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def unpaired(self) -> list[int]:
        """Hidden units that are not part of any hard-sigmoid pair."""
        used = {u for p in self.pairs for u in p.units}
        return [i for i in range(len(self.weights)) if i not in used]

    def plot(self, path: str | os.PathLike | None = None) -> Any:
        """Draw the blue pieces and their red sum (and, for ReLU, each pair's hard sigmoid)."""
        two_panels = bool(self.pairs)
        fig = C.new_figure(11.5 if two_panels else 7.0, 4.6)
        axes = fig.subplots(1, 2) if two_panels else [fig.subplots()]
        what = "score" if self.output_activation != "linear" else "y"
        formula = f"{what} = b + Σᵢ cᵢ·{self.activation}(bᵢ + wᵢx)"
        ax = axes[0]
        paired_shade = _pair_shades(len(self.pairs))
        unit_pair = {u: k for k, p in enumerate(self.pairs) for u in p.units}
        ax.axhline(self.constant, color=C.CONSTANT_GREY, lw=1.2, ls="--", label=f"constant b = {self.constant:.3g}")
        unpaired = self.unpaired
        for i, piece in enumerate(self.pieces):
            k = unit_pair.get(i)
            color = C.PIECE_BLUE if k is None else paired_shade[k]
            ls = "-" if k is None or self.pairs[k].units[0] == i else (0, (5, 2))
            label = None
            if unpaired and i == unpaired[0]:
                count = f"{len(unpaired)} unpaired" if self.pairs else str(len(unpaired))
                label = f"pieces cᵢ·{self.activation}(bᵢ + wᵢx) ({count})"
            elif k is not None and self.pairs[k].units[0] == i:
                label = f"pair {k + 1}: units {self.pairs[k].units[0]} and {self.pairs[k].units[1]}"
            ax.plot(self.x, piece, color=color, lw=1.2, alpha=0.85, ls=ls, label=label)
        self._draw_total(ax, what)
        ax.set_title(formula)
        _finish_axes(ax, what)
        if two_panels:
            ax = axes[1]
            ax.axhline(self.constant, color=C.CONSTANT_GREY, lw=1.2, ls="--", label="constant b")
            for k, pair in enumerate(self.pairs):
                i, j = pair.units
                ax.plot(self.x, self.pieces[i] + self.pieces[j], color=paired_shade[k], lw=1.8,
                        label=f"pair {k + 1} = hard sigmoid, height {pair.height:.3g}")
                ax.axvspan(pair.start, pair.end, color=paired_shade[k], alpha=0.07)
            for n, i in enumerate(self.unpaired):
                ax.plot(self.x, self.pieces[i], color=C.PIECE_BLUE, lw=1.0, ls=":",
                        label="unpaired ReLU" if n == 0 else None)
            self._draw_total(ax, what)
            ax.set_title("ReLU pairs: two ReLUs make one hard sigmoid")
            _finish_axes(ax, what)
        return C.maybe_save(fig, path)

    def _draw_total(self, ax: Any, what: str) -> None:
        ax.plot(self.x, self.total, color=C.SUM_RED, lw=2.6, zorder=4, label=f"sum = the model's {what}")
        if self.data is None:
            return
        if self.output_activation == "linear":
            ax.scatter(self.data[0], self.data[1], s=12, color=C.DATA_BLACK, alpha=0.6, zorder=3, label="data")
            return
        # the data are outputs, not scores: on an axis of their own, beside the output the score turns into
        right = ax.twinx()
        right.scatter(self.data[0], self.data[1], s=12, color=C.DATA_BLACK, alpha=0.6, zorder=3,
                      label="data (right axis)")
        right.plot(self.x, self.output, color=C.VALIDATION_ORANGE, lw=1.8, ls="--",
                   label=f"output = {self.output_activation}(score) (right axis)")
        right.set_ylabel("output")
        right.legend(fontsize=7.5, loc="lower right", framealpha=0.85)


@dataclass
class LayerOutputs:
    """Every unit's output over ``x``, layer by layer: ``layers[k]`` has shape (units, num)."""

    x: np.ndarray
    layers: list[np.ndarray]
    names: list[str]
    activations: list[str]
    output: np.ndarray

    def plot(self, path: str | os.PathLike | None = None) -> Any:
        """One panel per hidden layer (each unit a blue curve) and a last panel with the output in red."""
        n = len(self.layers) + 1
        fig = C.new_figure(3.6 * n, 3.8)
        axes = fig.subplots(1, n, squeeze=False)[0]
        for k, (ax, units, act) in enumerate(zip(axes, self.layers, self.activations)):
            for u in units:
                ax.plot(self.x, u, color=C.PIECE_BLUE, lw=1.0, alpha=0.7)
            ax.set_title(f"hidden layer {k + 1}: {len(units)} {act} units")
            ax.set_xlabel("x")
            ax.grid(alpha=0.25)
        axes[0].set_ylabel("unit output")
        out = self.output if self.output.ndim == 1 else self.output.T
        ax = axes[-1]
        ax.plot(self.x, np.atleast_2d(out).T if out.ndim > 1 else out, color=C.SUM_RED, lw=2.4)
        ax.set_title("model output")
        ax.set_xlabel("x")
        ax.grid(alpha=0.25)
        return C.maybe_save(fig, path)


def _pair_shades(n: int) -> list[str]:
    # blues, teals and purples other than the unpaired pieces' blue: each pair stands out, all stay "blue"
    palette = ["#17becf", "#6a51a3", "#08519c", "#4292c6", "#807dba", "#2b8cbe", "#54278f", "#9ecae1"]
    return [palette[k % len(palette)] for k in range(n)]


def _finish_axes(ax: Any, ylabel: str) -> None:
    ax.set_xlabel("x")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.25)
    ax.legend(fontsize=7.5, loc="best", framealpha=0.85)


# ----------------------------------------------------------------------------- the numbers


def find_relu_pairs(weights: Any, biases: Any, coefficients: Any, tol: float = 0.05) -> list[ReluPair]:
    """Pairs of ReLU pieces ``cᵢ·relu(bᵢ + wᵢx)`` whose sum is flat outside an interval (a hard sigmoid).

    Two pieces make a hard sigmoid when both open towards the same side (wᵢ, wⱼ of one sign), their
    slopes cancel there (cᵢwᵢ = −cⱼwⱼ, so the c's have opposite signs) and their hinges −bᵢ/wᵢ differ.
    ``tol`` is the largest relative slope mismatch accepted. Each unit joins at most one pair; closer
    matches (then narrower ramps) are taken first.

    >>> [p.units for p in find_relu_pairs([1, 1, 2], [0, -10, 3], [1, -1, 1])]
    [(0, 1)]
    """
    w = np.asarray(weights, dtype=np.float64).ravel()
    b = np.asarray(biases, dtype=np.float64).ravel()
    c = np.asarray(coefficients, dtype=np.float64).ravel()
    if not (w.shape == b.shape == c.shape):
        raise ShapeError(f"weights, biases and coefficients must have the same length, got {w.size}, {b.size}, "
                         f"{c.size}.")
    if not (isinstance(tol, (int, float)) and 0 <= tol < 1):
        raise ConfigError(f"tol must be a number in [0, 1), got {tol!r}.")
    slope = c * w  # slope of each piece where it is active
    live = np.flatnonzero((w != 0) & (slope != 0))
    hinge = np.zeros_like(w)
    hinge[live] = -b[live] / w[live]
    scale = float(np.max(np.abs(hinge[live]))) if live.size else 1.0
    candidates = []
    for a_pos, i in enumerate(live):
        for j in live[a_pos + 1:]:
            if np.sign(w[i]) != np.sign(w[j]):
                continue
            mismatch = abs(slope[i] + slope[j]) / max(abs(slope[i]), abs(slope[j]))
            width = abs(hinge[i] - hinge[j])
            if mismatch <= tol and width > 1e-9 * max(scale, 1.0):
                candidates.append((mismatch, width, int(i), int(j)))
    candidates.sort()
    used: set[int] = set()
    pairs = []
    for mismatch, _, i, j in candidates:
        if i in used or j in used:
            continue
        used.update((i, j))
        first, second = (i, j) if hinge[i] < hinge[j] else (j, i)
        start, end = float(hinge[first]) + 0.0, float(hinge[second]) + 0.0  # + 0.0 turns −0.0 into 0.0
        # value of the pair's sum far left and far right of the ramp
        if w[i] > 0:  # both open to the right: 0 on the left, the ramp's rise on the right
            left, right = 0.0, float(slope[first] * (end - start))
            ramp = float(slope[first])
        else:  # both open to the left: the ramp's level on the left, 0 on the right
            left, right = float(slope[second] * (start - end)), 0.0
            ramp = float(slope[second])
        pairs.append(ReluPair((first, second), start, end, ramp, left, right, float(mismatch)))
    pairs.sort(key=lambda p: p.start)
    return pairs


def pieces(model: Any, x_range: tuple[float, float] | None = None, num: int = 400,
           path: str | os.PathLike | None = None, data: tuple[Any, Any] | None = None,
           pair_tol: float = 0.05) -> Pieces | LayerOutputs:
    """Take a one-input, one-output network apart into the lecture's blue pieces and red sum.

    For one hidden layer returns :class:`Pieces` (``x``, ``pieces`` (n_hidden, num), ``constant``,
    ``total``, ``output``, and for ReLU the hard-sigmoid ``pairs``). For more hidden layers returns
    :class:`LayerOutputs` (each unit's output over x, layer by layer). ``x_range`` defaults to the
    data's range, else to a range that shows every bend of the first layer. ``path`` (``.png`` or
    ``.svg``) also writes the figure; ``result.plot()`` draws it again.

    >>> import fnlearn as fl
    >>> m = fl.Sequential([fl.layers.Dense(2, activation="relu", input_dim=1), fl.layers.Dense(1)])
    >>> pieces(m, (-1, 1), num=5).pieces.shape
    (2, 5)
    """
    st = C.stages(model)
    _check_one_in_one_out(st)
    num = C.check_positive_int("num", num, 2)
    xy = _check_data(data)
    x = np.linspace(*_x_range(x_range, xy, st[0]), num)
    dtype = C.model_dtype(model)
    output = C.model_output(model, x.astype(dtype)[:, None]).reshape(num).astype(np.float64)
    if len(st) > 2:
        return C.drawn(_layer_outputs(st, x, output), path)
    hidden, out = st
    w, b = hidden.kernel[0], hidden.bias
    c, const = out.kernel[:, 0], float(out.bias[0])
    a = hidden.activate(np.outer(x, w) + b)          # (num, n_hidden): the hidden units' outputs
    piece_values = (a * c).T                          # (n_hidden, num): cᵢ·act(bᵢ + wᵢx)
    total = const + piece_values.sum(axis=0)
    act = hidden.activation_name
    # with a non-linear output (e.g. sigmoid) the pieces add up to the score before it
    max_error = float(np.max(np.abs(out.activate(total[:, None])[:, 0] - output)))
    pairs = find_relu_pairs(w, b, c, pair_tol) if act in RELU_NAMES else []
    return C.drawn(Pieces(x, piece_values, const, total, output, w.copy(), b.copy(), c.copy(), act,
                         out.activation_name, max_error, pairs, xy), path)


def layer_outputs(model: Any, x_range: tuple[float, float] | None = None, num: int = 400,
                  path: str | os.PathLike | None = None) -> LayerOutputs:
    """Each hidden unit's output over x, layer by layer, for a one-input network of any depth.

    >>> import fnlearn as fl
    >>> m = fl.Sequential([fl.layers.Dense(4, "relu", input_dim=1), fl.layers.Dense(3, "relu"), fl.layers.Dense(1)])
    >>> [a.shape for a in layer_outputs(m, (-1, 1), num=10).layers]
    [(4, 10), (3, 10)]
    """
    st = C.stages(model)
    _check_one_in_one_out(st)
    num = C.check_positive_int("num", num, 2)
    x = np.linspace(*_x_range(x_range, None, st[0]), num)
    output = C.model_output(model, x.astype(C.model_dtype(model))[:, None]).reshape(num).astype(np.float64)
    return C.drawn(_layer_outputs(st, x, output), path)


def _layer_outputs(st: list[C.Stage], x: np.ndarray, output: np.ndarray) -> LayerOutputs:
    h = x[:, None]
    layers = []
    for s in st[:-1]:
        _, h = s.forward(h)
        layers.append(h.T.copy())
    return LayerOutputs(x, layers, [s.name for s in st[:-1]], [s.activation_name for s in st[:-1]], output)



def _check_one_in_one_out(st: list[C.Stage]) -> None:
    first, last = st[0], st[-1]
    if first.kernel.shape[0] != 1:
        raise ShapeError(f"pieces needs a model with one input, but layer {first.name!r} takes "
                         f"{first.kernel.shape[0]} inputs; the pieces picture is of y = f(x) for a single x "
                         "(use decision_boundary for 2 inputs).")
    if last.units != 1:
        raise ShapeError(f"pieces needs a model with one output, but the last layer {last.name!r} has "
                         f"{last.units} units; explain one output at a time with a one-unit output layer.")
    if len(st) < 2:
        raise ConfigError("pieces needs a hidden layer, but the model is a single Dense layer (a straight line "
                          "b + w·x); add a hidden layer such as Dense(3, activation='sigmoid').")


def _check_data(data: Any) -> tuple[np.ndarray, np.ndarray] | None:
    if data is None:
        return None
    try:
        dx, dy = data
    except (TypeError, ValueError):
        raise ConfigError("data must be a pair (x, y) of arrays with one value per sample.") from None
    dx = C.as_float_array(dx, "data x").reshape(-1)
    dy = C.as_float_array(dy, "data y").reshape(-1)
    if dx.size != dy.size:
        raise ShapeError(f"data x has {dx.size} values but data y has {dy.size}; pass one y per x.")
    return dx, dy


def _x_range(x_range: Any, data: tuple[np.ndarray, np.ndarray] | None, first: C.Stage) -> tuple[float, float]:
    if x_range is not None:
        return C.check_range("x_range", x_range)
    if data is not None and data[0].min() < data[0].max():
        lo, hi = float(data[0].min()), float(data[0].max())
        pad = 0.05 * (hi - lo)
        return lo - pad, hi + pad
    w, b = first.kernel[0], first.bias
    live = np.abs(w) > 1e-12
    if not live.any():
        return -5.0, 5.0
    centres = -b[live] / w[live]
    # a sigmoid's bend is about 4/|w| wide: show all of every bend; a ReLU's hinge is a point
    widths = 0.0 if first.activation_name in RELU_NAMES else 4.0 / np.abs(w[live])
    lo, hi = float(np.min(centres - widths)), float(np.max(centres + widths))
    pad = max(0.15 * (hi - lo), 0.5)
    return lo - pad, hi + pad


# ----------------------------------------------------------------------------- seed 001's example


def _relu_term(c: float, shift: float) -> str:
    """``c·relu(x − shift)`` written with the signs a reader expects: ``-1·relu(x + 2)``, not ``x − -2``.

    >>> _relu_term(2.0, -2.0), _relu_term(-1.0, 3.0), _relu_term(1.0, 0.0)
    ('2·relu(x + 2)', '-1·relu(x − 3)', '1·relu(x)')
    """
    inner = "x" if shift == 0 else f"x − {shift:g}" if shift > 0 else f"x + {-shift:g}"
    return f"{c:g}·relu({inner})"


@dataclass
class HardSigmoidFromRelus:
    """Two ReLU ramps and their sum: ``up = slope·relu(x − start)``, ``down = −slope·relu(x − end)``.

    Between ``start`` and ``end`` only the first ramp rises; after ``end`` the second falls exactly as
    fast, so the sum stays at ``height`` — a hard sigmoid.
    """

    x: np.ndarray
    up: np.ndarray
    down: np.ndarray
    total: np.ndarray
    start: float
    end: float
    height: float

    @property
    def slope(self) -> float:
        return self.height / (self.end - self.start)

    def relu_parameters(self) -> dict[str, tuple[float, float, float]]:
        """Each ramp as (c, b, w) of ``c·relu(b + w·x)``."""
        return {"up": (self.slope, -self.start, 1.0), "down": (-self.slope, -self.end, 1.0)}

    def plot(self, path: str | os.PathLike | None = None, annotate: int = 3) -> Any:
        """Both ramps in blue, their sum in red; the first ``annotate`` values after ``end`` written out."""
        fig = C.new_figure(7.0, 4.6)
        ax = fig.subplots()
        ax.plot(self.x, self.up, color=C.PIECE_BLUE, lw=1.6,
                label=f"ramp from x = {self.start:g}: {_relu_term(self.slope, self.start)}")
        ax.plot(self.x, self.down, color=C.PIECE_BLUE, lw=1.6, ls="--",
                label=f"ramp from x = {self.end:g}: {_relu_term(-self.slope, self.end)}")
        ax.plot(self.x, self.total, color=C.SUM_RED, lw=2.6, label="sum = hard sigmoid")
        step = (self.end - self.start) / 10
        title = "two ReLUs make a hard sigmoid"
        for k in range(1, annotate + 1):
            xv = self.end + k * step
            up = self.slope * (xv - self.start)
            down = -self.slope * (xv - self.end)
            ax.plot([xv, xv, xv], [up, down, up + down], "o", color=C.DATA_BLACK, ms=3.5)
            ax.annotate(f"{up:g}", (xv, up), textcoords="offset points", xytext=(-4, 5), fontsize=8)
            ax.annotate(f"{down:g}", (xv, down), textcoords="offset points", xytext=(-4, -12), fontsize=8)
            ax.annotate(f"{up + down:g}", (xv, up + down), textcoords="offset points", xytext=(-4, 5),
                        fontsize=8, color=C.SUM_RED)
            if k == 1:
                title += f": {up:g} + ({down:g}) = {up + down:g}"
        ax.axhline(0, color=C.CONSTANT_GREY, lw=0.8)
        ax.set_title(title)
        _finish_axes(ax, "y")
        return C.maybe_save(fig, path)


def hard_sigmoid_from_relus(start: float = 0.0, end: float = 10.0, height: float = 10.0, x: Any = None,
                            num: int = 200, path: str | os.PathLike | None = None) -> HardSigmoidFromRelus:
    """The lecture's two-ReLU construction of a hard sigmoid, as numbers (and drawn with ``path``).

    The defaults are the worked example: the rising ramp gives 11, 12, 13… after x = 10, the falling
    one −1, −2, −3…, and their sum stays at 10.

    >>> h = hard_sigmoid_from_relus(x=[11, 12, 13])
    >>> h.up.tolist(), h.down.tolist(), h.total.tolist()
    ([11.0, 12.0, 13.0], [-1.0, -2.0, -3.0], [10.0, 10.0, 10.0])
    """
    start, end = C.check_range("(start, end)", (start, end))
    height = float(height)
    if not np.isfinite(height) or height == 0:
        raise ConfigError(f"height must be a finite non-zero number, got {height!r}.")
    if x is None:
        width = end - start
        x = np.linspace(start - 0.4 * width, end + 0.5 * width, C.check_positive_int("num", num, 2))
    x = C.as_float_array(x, "x").reshape(-1)
    slope = height / (end - start)
    up = slope * np.maximum(x - start, 0.0)
    down = -slope * np.maximum(x - end, 0.0)
    return C.drawn(HardSigmoidFromRelus(x, up, down, up + down, start, end, height), path)
