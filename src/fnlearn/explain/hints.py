"""Hints after training: what the numbers say went wrong, and the number that says it.

- training loss rising or oscillating → the learning rate is probably too high;
- validation loss far above training loss, and risen from its lowest value → overfitting;
- ReLU units, and a convolution's ReLU channels, that never fire on the training data (they get no gradient
  and cannot learn again);
- vanishing gradients: the first layer's gradients much smaller than the last layer's (deep sigmoid stacks);
- outputs that are not probabilities under a loss that takes probabilities (a cross-entropy without
  ``from_logits=True`` after a last layer with no softmax or sigmoid): the loss clips them and learns little.
  This is the cause then, not the learning rate, so it replaces the learning-rate hint.

Each :class:`Hint` carries the number that triggered it (``value``) and the line it was held
against (``threshold``); the thresholds are keyword arguments of :func:`training_hints`.

Example:
    >>> from fnlearn.explain import training_hints
    >>> [h.kind for h in training_hints(None, {"loss": [1.0, 2.0, 4.0]})]
    ['learning_rate']
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np

from .. import backend, losses
from ..errors import FnlearnError
from ..model import sample_input_shape
from ..tensor import Tensor
from . import _common as C

SATURATING = ("sigmoid", "tanh", "hard_sigmoid", "softplus")
OVERFIT_RISE = 1.02  # the validation loss must end this far above its lowest value to count as overfitting


@dataclass(frozen=True)
class Hint:
    """One finding: ``kind`` ("learning_rate", "overfitting", "dead_relu", "vanishing_gradient",
    "not_probabilities"), the sentence for the user, the number that triggered it and the threshold it
    crossed."""

    kind: str
    message: str
    value: float
    threshold: float

    def __str__(self) -> str:
        return self.message


def training_hints(model: Any, history: Any, x: Any = None, y: Any = None, *, rise: float = 1.05,
                   oscillation: float = 0.3, overfit_ratio: float = 2.0, dead_share: float = 0.1,
                   vanishing_ratio: float = 0.01, outside_share: float = 0.0, max_samples: int = 2000) -> list[Hint]:
    """Look at a finished training run and say what looks wrong, each with its number.

    ``history`` is fit's History (or a dict of per-epoch lists). ``x`` (up to ``max_samples`` samples of
    it, evenly spread, in the shape the model takes) is needed for the dead-ReLU count and the check of
    the outputs; ``x`` and ``y`` let the gradient check compute fresh gradients, otherwise it reads each
    parameter's ``.grad`` from the last step. ``model`` may be None to check only the history.

    A unit, or a Conv2D layer's channel, is dead when its ReLU output is 0 on every sample checked (and, for
    a channel, at every position); the hint fires when ``dead_share`` of them are, or when every one of a
    layer is.

    >>> [h.kind for h in training_hints(None, {"loss": [0.2, 0.1], "val_loss": [0.3, 0.5]})]
    ['overfitting']
    """
    raw = getattr(history, "history", history) or {}
    hints: list[Hint] = []
    loss = _series(raw, "loss")
    if loss is not None:
        hints += _learning_rate_hints(loss, rise, oscillation)
        val = _series(raw, "val_loss")
        if val is not None and val.size == loss.size:
            hints += _overfitting_hints(loss, val, overfit_ratio)
    if model is None:
        return hints
    # the checks that run the model take numbers: a model of raw texts gets the history's hints only
    xs = None if x is None or getattr(model, "_text_input", False) else _as_input(model, _sample(x, max_samples))
    if xs is not None:
        outputs = _probability_hints(model, xs, outside_share)
        if outputs:  # the cause of a loss that rose or oscillated: the learning rate was not
            hints = [h for h in hints if h.kind != "learning_rate"] + outputs
        hints += _dead_relu_hints(model, xs, dead_share)
    try:
        st = C.stages(model)
    except FnlearnError:
        return hints  # not a stack of Dense layers: the gradient check does not apply
    ys = None if y is None or xs is None else _sample(y, max_samples)
    hints += _vanishing_hints(model, st, xs, ys, vanishing_ratio)
    return hints


def print_hints(model: Any, history: Any, x: Any = None, y: Any = None, file: TextIO | None = None,
                **thresholds: Any) -> list[Hint]:
    """Print each hint on its own line (``hint: ...``) and return them; prints nothing when all is well.

    >>> _ = print_hints(None, {"loss": [1.0, 3.0]})  # doctest: +ELLIPSIS
    hint: training loss rose from 1 to 3 (×3) over 2 epochs; ...
    """
    hints = training_hints(model, history, x, y, **thresholds)
    out = sys.stdout if file is None else file
    for h in hints:
        print(f"hint: {h.message}", file=out)
    return hints


# ----------------------------------------------------------------------------- the checks


def _series(raw: dict, name: str) -> np.ndarray | None:
    values = raw.get(name)
    if values is None or len(values) == 0:
        return None
    return np.asarray(values, dtype=np.float64).reshape(-1)


def _learning_rate_hints(loss: np.ndarray, rise: float, oscillation: float) -> list[Hint]:
    bad = np.flatnonzero(~np.isfinite(loss))
    if bad.size:
        k = int(bad[0])
        return [Hint("learning_rate", f"training loss became {loss[k]} in epoch {k + 1}: the steps blew up; the "
                     "learning rate is probably too high, try one 10× smaller.", float(loss[k]), math.inf)]
    n = loss.size
    if n >= 2 and loss[0] > 0 and loss[-1] > loss[0] * rise:
        ratio = float(loss[-1] / loss[0])
        return [Hint("learning_rate", f"training loss rose from {loss[0]:.4g} to {loss[-1]:.4g} (×{ratio:.3g}) "
                     f"over {n} epochs; the learning rate is probably too high, try one 10× smaller.",
                     ratio, rise)]
    if n >= 4:
        # an epoch counts as "up" when the loss grew by more than 1 % — mini-batch noise is smaller
        ups = int(np.sum(loss[1:] > loss[:-1] * 1.01))
        share = ups / (n - 1)
        if share >= oscillation:
            return [Hint("learning_rate", f"training loss went up in {ups} of {n - 1} epochs ({share:.0%}): it "
                         "oscillates; the learning rate is probably too high, try one 3–10× smaller.",
                         share, oscillation)]
    return []


def _overfitting_hints(loss: np.ndarray, val: np.ndarray, ratio_limit: float) -> list[Hint]:
    t, v = float(loss[-1]), float(val[-1])
    if not (math.isfinite(t) and math.isfinite(v)) or t < 0 or v <= 0:
        return []
    ratio = v / t if t > 0 else math.inf
    best = int(np.nanargmin(val))
    # A gap alone is not overfitting while the validation loss still falls: only once it has risen from
    # its lowest value does training further make the model worse on new data.
    if ratio < ratio_limit or v <= val[best] * OVERFIT_RISE:
        return []
    return [Hint("overfitting", f"validation loss {v:.4g} is {ratio:.3g}× the training loss {t:.4g} (lowest "
                 f"validation loss {val[best]:.4g} in epoch {best + 1}): the model is overfitting; use fewer "
                 "parameters or more data, or stop at the best epoch (EarlyStopping).", ratio, ratio_limit)]


def _relu_layers(model: Any) -> list[Any]:
    """The layers whose output is a plain ReLU's: Dense / Conv2D with activation="relu", Activation("relu"), ReLU()."""
    return [layer for layer in C.all_layers(model) if getattr(layer, "activation_name", None) == "relu"
            and not getattr(layer, "negative_slope", 0) and not getattr(layer, "threshold", 0)
            and getattr(layer, "max_value", None) is None]


def _dead_relu_hints(model: Any, x: np.ndarray, limit: float, batch_size: int = 500) -> list[Hint]:
    from ..nn.conv import Conv2D

    layers = _relu_layers(model)
    if not layers:
        return []
    peaks: list[np.ndarray | None] = [None] * len(layers)  # each unit's (channel's) largest output
    try:
        reader = C.LayerReader(model, layers)
        for start in range(0, len(x), batch_size):
            for k, out in enumerate(reader(x[start:start + batch_size])):
                peak = out.reshape(-1, out.shape[-1]).max(axis=0)
                peaks[k] = peak if peaks[k] is None else np.maximum(peaks[k], peak)
    except FnlearnError:
        return []  # data the model does not take (fit hands it what it trained on): nothing to count on
    counts = [(layer.name, int(np.sum(peak <= 0)), peak.size, isinstance(layer, Conv2D))
              for layer, peak in zip(layers, peaks)]
    dead_total, total = sum(c[1] for c in counts), sum(c[2] for c in counts)
    share = dead_total / total
    whole = [name for name, dead, units, _ in counts if dead == units]
    if share < limit and not whole:
        return []
    convs = sum(conv for *_, conv in counts)
    noun = "units" if not convs else "channels" if convs == len(counts) else "channels and units"
    layers_text = ", ".join(f"{name!r}: {dead} of {units} {'channels' if conv else 'units'}"
                            for name, dead, units, conv in counts if dead)
    nothing = (f", and nothing passes {', '.join(map(repr, whole))} (all dead: what comes after gets only zeros "
               "from it)" if whole else "")
    return [Hint("dead_relu", f"{dead_total} of {total} ReLU {noun} ({share:.0%}) never fire on the {len(x)} training "
                 f"samples checked ({layers_text}); they get no gradient and cannot learn{nothing}; try a smaller "
                 "learning rate, he_normal initialisation or leaky_relu.", share, limit)]


def _probability_hints(model: Any, x: np.ndarray, limit: float, checked: int = 500) -> list[Hint]:
    """A cross-entropy that takes probabilities, on outputs that are not: the loss clips them into (0, 1)."""
    config = (model.compile_config() if hasattr(model, "compile_config") else None) or {}
    loss = config.get("loss")  # none for a model of several outputs (each output's loss under "outputs")
    name, from_logits = (loss.get("name"), loss.get("from_logits", False)) if isinstance(loss, dict) else (loss, False)
    if not isinstance(name, str) or name not in losses.PROBABILITY_LOSSES or from_logits:
        return []  # another loss, or one per output of several (each judged by its own head's numbers)
    try:
        out = C.model_output(model, x[:checked].astype(C.model_dtype(model))).astype(np.float64)
    except FnlearnError:
        return []  # data the model does not take: nothing to judge
    outside = (out < -1e-6) | (out > 1 + 1e-6)
    share = float(np.mean(outside))
    if share <= limit:
        return []
    final = losses.PROBABILITY_LOSSES[name][0]
    fix = losses.raw_scores_fix(name, getattr(model, "_keras_way", True))
    return [Hint("not_probabilities", f"{share:.0%} of the model's outputs lie outside [0, 1] (from {out.min():.3g} "
                 f"to {out.max():.3g} on the {len(out)} training samples checked), but {name} takes probabilities, "
                 f"so it clips them and learns little: the model does not end with a {final}; {fix}.", share, limit)]


def _vanishing_hints(model: Any, st: list[C.Stage], x: np.ndarray | None, y: Any,
                     limit: float) -> list[Hint]:
    if len(st) < 3:
        return []  # "deep" starts at two hidden layers
    layers = [C.model_layers(model)[s.index] for s in st]
    grads = _fresh_kernel_grads(model, layers, x, y) if x is not None and y is not None else None
    if grads is None:
        grads = [None if layer.kernel.grad is None else np.asarray(backend.to_numpy(layer.kernel.grad), np.float64)
                 for layer in layers]
    if grads[0] is None or grads[-1] is None:
        return []
    # a unit whose gradient is exactly 0 never fired (a dead ReLU, which its own hint reports): it says nothing
    # about how the gradient shrinks on its way back, so only the first layer's live units count
    live = np.any(grads[0] != 0, axis=0)
    if not live.any():
        return []
    first, last = (float(np.sqrt(np.mean(g * g))) for g in (grads[0][:, live], grads[-1]))
    if not (math.isfinite(first) and math.isfinite(last)) or last == 0:
        return []
    ratio = first / last
    if ratio >= limit:
        return []
    hidden = [s.activation_name for s in st[:-1]]
    saturating = sum(a in SATURATING for a in hidden)
    advice = (f"the {saturating} {'/'.join(sorted({a for a in hidden if a in SATURATING}))} layers squash the "
              "gradient at every step back; use relu in the hidden layers" if saturating else
              "use fewer layers, or a larger initialisation")
    return [Hint("vanishing_gradient", f"the first layer's gradients are {ratio:.2g}× the last layer's (RMS "
                 f"{first:.2g} against {last:.2g}) in a {len(st)}-layer network: gradients vanish on the way "
                 f"back; {advice}.", ratio, limit)]


def _fresh_kernel_grads(model: Any, layers: list[Any], x: np.ndarray, y: Any) -> list[np.ndarray | None] | None:
    """Kernel gradients of the compiled loss on (x, y); every parameter's .grad is put back afterwards."""
    loss_fn = getattr(model, "loss_fn", None)
    if loss_fn is None:
        return None
    params = model.parameters()
    saved = [p.grad for p in params]
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        for p in params:
            p.grad = None
        loss = loss_fn(y, model(x.astype(C.model_dtype(model)), training=False))
        loss.backward()
        return [None if layer.kernel.grad is None else np.asarray(backend.to_numpy(layer.kernel.grad), np.float64)
                for layer in layers]
    finally:
        for p, g in zip(params, saved):
            p.grad = g
        if was_training:
            model.train()


def _as_input(model: Any, x: np.ndarray) -> np.ndarray:
    """Samples in the shape the model declares when they hold as many values (rows of one value for a
    one-input model given a flat vector); as given otherwise."""
    shape = sample_input_shape(model)
    if isinstance(shape, tuple) and shape and None not in shape and x.size == len(x) * math.prod(shape):
        return x.reshape(len(x), *shape)
    return x


def _sample(a: Any, limit: int) -> np.ndarray:
    """Up to ``limit`` rows, evenly spread (training data is often sorted by class); x and y of the same
    length get the same rows."""
    arr = np.asarray(backend.to_numpy(a.data if isinstance(a, Tensor) else a))
    if len(arr) <= limit:
        return arr
    return arr[np.unique(np.linspace(0, len(arr) - 1, limit).astype(np.int64))]
