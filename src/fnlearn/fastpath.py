"""The fast training step for a static Sequential of Dense layers.

``fit`` on the general path rebuilds the autodiff graph in Python for every batch: a Tensor and a
closure per op. For the lecture's networks — Dense layers with elementwise activations and one of
fnlearn's losses — the whole step is known in advance, so this module writes it out once as a plan:

    forward   z = a @ W; z += b; a = act(z)            (activations in place)
    output    dz = p − y  for softmax + cross-entropy, σ(z) − y for sigmoid + BCE (fused, stable),
              otherwise dL/da through the activation's derivative
    backward  dW = aᵀ dz; db = Σ dz; da = dz Wᵀ (not for the first layer); dz = da ⊙ act'(a)
    update    the model's optimizer, unchanged (same rule, same state, same clipping)

It computes the same numbers as the general path (the tests compare weights after an epoch in
float64 to 1e-12), sets every parameter's ``.grad`` like the general path does, and returns the
batch loss and the batch's predictions for metrics.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> model = fl.Sequential([fl.layers.Dense(4, activation="relu", input_dim=3),
    ...                        fl.layers.Dense(2, activation="softmax")])
    >>> opt = fl.optim.SGD(model.parameters(), learning_rate=0.1)
    >>> plan = compile_step(model, "sparse_categorical_crossentropy", opt)
    >>> loss, pred = plan(np.ones((5, 3), dtype="float32"), np.array([0, 1, 0, 1, 1]))
    >>> pred.shape
    (5, 2)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import backend, losses
from .nn.layers import Activation, Dense, Flatten
from .nn.sequential import Sequential
from .optim import Optimizer

# ---------------------------------------------------------------------------- activations
# Each entry: forward(z) -> a (may overwrite z), and backward(g, a) -> g ⊙ act'(·) (may overwrite g).


def _relu_fwd(z: Any) -> Any:
    return backend.xp().maximum(z, 0, out=z)


def _relu_bwd(g: Any, a: Any) -> Any:
    g *= a > 0
    return g


def _sigmoid_fwd(z: Any) -> Any:
    xp = backend.xp()
    e = xp.exp(-xp.abs(z))
    return xp.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype, copy=False)


def _sigmoid_bwd(g: Any, a: Any) -> Any:
    g *= a * (1 - a)
    return g


def _tanh_fwd(z: Any) -> Any:
    return backend.xp().tanh(z, out=z)


def _tanh_bwd(g: Any, a: Any) -> Any:
    g *= 1 - a * a
    return g


def _hard_sigmoid_fwd(z: Any) -> Any:
    return backend.xp().clip(z / 6 + 0.5, 0, 1)


def _hard_sigmoid_bwd(g: Any, a: Any) -> Any:
    g *= ((a > 0) & (a < 1)) / 6
    return g


def _leaky_fwd(slope: float) -> Callable[[Any], Any]:
    def fwd(z: Any) -> Any:
        return backend.xp().where(z > 0, z, z * slope)
    return fwd


def _leaky_bwd(slope: float) -> Callable[[Any, Any], Any]:
    def bwd(g: Any, a: Any) -> Any:
        return backend.xp().where(a > 0, g, g * slope)
    return bwd


def _softplus_fwd(z: Any) -> Any:
    return backend.xp().logaddexp(0, z).astype(z.dtype, copy=False)


def _softplus_bwd(g: Any, a: Any) -> Any:
    g *= 1 - backend.xp().exp(-a)  # σ(z) = 1 − e^(−softplus(z))
    return g


def _softmax_fwd(z: Any) -> Any:
    xp = backend.xp()
    z -= xp.max(z, axis=-1, keepdims=True)
    xp.exp(z, out=z)
    z /= xp.sum(z, axis=-1, keepdims=True)
    return z


def _softmax_bwd(g: Any, a: Any) -> Any:
    return a * (g - backend.xp().sum(g * a, axis=-1, keepdims=True))


def _identity(z: Any) -> Any:
    return z


def _identity_bwd(g: Any, a: Any) -> Any:
    return g


_ACTS: dict[str, tuple[Callable, Callable]] = {
    "relu": (_relu_fwd, _relu_bwd),
    "sigmoid": (_sigmoid_fwd, _sigmoid_bwd),
    "tanh": (_tanh_fwd, _tanh_bwd),
    "hard_sigmoid": (_hard_sigmoid_fwd, _hard_sigmoid_bwd),
    "leaky_relu": (_leaky_fwd(0.01), _leaky_bwd(0.01)),
    "softplus": (_softplus_fwd, _softplus_bwd),
    "softmax": (_softmax_fwd, _softmax_bwd),
    "linear": (_identity, _identity_bwd),
}


def _activation_name(fn: Any) -> str | None:
    from . import functional as F

    for name, act in F.ACTIVATIONS.items():
        if fn is act:
            return name if name in _ACTS else None
    return None


# ---------------------------------------------------------------------------- losses

_CE = {"categorical_crossentropy", "sparse_categorical_crossentropy"}
_SUPPORTED_LOSSES = _CE | {"binary_crossentropy", "mse", "mae", "half_sse"}


def _loss_spec(loss: Any) -> tuple[str, bool] | None:
    """(canonical loss name, from_logits) for losses the plan knows with default reduction, else None."""
    if isinstance(loss, str):
        name = losses.canonical_name(loss.lower())
        return (name, False) if name in _SUPPORTED_LOSSES else None
    if isinstance(loss, losses.Loss):
        if loss.reduction is not None or set(loss.options) - {"from_logits"}:
            return None
        return (loss.name, bool(loss.options.get("from_logits", False))) if loss.name in _SUPPORTED_LOSSES else None
    for name, fn in losses.LOSSES.items():
        if loss is fn:
            return losses.canonical_name(name), False
    return None


class StepPlan:
    """One training step of a Dense stack, written out by hand (see the module docstring)."""

    def __init__(self, layers: list[tuple[Dense, str]], flatten_input: bool, loss: str, from_logits: bool,
                 optimizer: Optimizer) -> None:
        self.layers = layers
        self.flatten_input = flatten_input
        self.loss = loss
        self.optimizer = optimizer
        last_act = layers[-1][1]
        # the output activation whose derivative cancels against the loss's (p − y)
        self.fused = (loss in _CE and (last_act == "softmax" or (from_logits and last_act == "linear"))) or \
                     (loss == "binary_crossentropy" and (last_act == "sigmoid" or (from_logits and last_act == "linear")))
        self.from_logits = from_logits
        self.params = [p for layer, _ in layers for p in (layer.kernel, layer.bias) if p is not None]

    def supported(self) -> bool:
        if self.loss in _CE or self.loss == "binary_crossentropy":
            return self.fused
        return not self.from_logits

    def __call__(self, xb: Any, yb: Any) -> tuple[float, Any]:
        xp = backend.xp()
        a = xb.reshape(xb.shape[0], -1) if self.flatten_input else xb
        inputs, outs = [], []
        last = len(self.layers) - 1
        for i, (layer, act) in enumerate(self.layers):
            inputs.append(a)
            z = a @ layer.kernel.data
            if layer.bias is not None:
                z += layer.bias.data
            if i == last and self.fused:
                loss_value, dz, a = self._fused_output(z, act, yb, xp)
            else:
                a = _ACTS[act][0](z)
            outs.append(a)
        if not self.fused:
            loss_value, dz = self._loss_and_grad(a, yb, xp)
        grads: list[Any] = []
        for i in range(last, -1, -1):
            layer, act = self.layers[i]
            if i < last or not self.fused:
                dz = _ACTS[act][1](dz, outs[i])
            if layer.bias is not None:
                grads.append(xp.sum(dz, axis=0))
            grads.append(inputs[i].T @ dz)
            if i:
                dz = dz @ layer.kernel.data.T
        for p, g in zip(self.params, reversed(grads)):
            p.grad = g
        self.optimizer.step()
        return loss_value, a

    def _fused_output(self, z: Any, act: str, yb: Any, xp: Any) -> tuple[float, Any, Any]:
        """Loss, dL/dz and the output probabilities from the output scores z, by log-sum-exp."""
        n = z.shape[0]
        if self.loss == "binary_crossentropy":
            y = yb.reshape(z.shape).astype(z.dtype, copy=False)
            k = z.shape[-1]
            pred = _sigmoid_fwd(z)
            elem = xp.maximum(z, 0) - z * y + xp.log1p(xp.exp(-xp.abs(z)))
            dz = pred - y
            dz *= 1.0 / (n * k)
            return float(xp.sum(elem) / (n * k)), dz, pred
        # softmax + cross-entropy, computed in z's own buffer: shift, pick the target scores, exponentiate
        z -= xp.max(z, axis=-1, keepdims=True)
        if self.loss == "sparse_categorical_crossentropy":
            labels = yb.reshape(-1).astype("int64", copy=False)
            rows = xp.arange(n)
            picked = z[rows, labels]
        else:
            y = yb.reshape(z.shape).astype(z.dtype, copy=False)
            picked = xp.sum(y * z, axis=-1)
        xp.exp(z, out=z)
        total = xp.sum(z, axis=-1, keepdims=True)
        z /= total
        lse = xp.log(total[:, 0])
        if self.loss == "sparse_categorical_crossentropy":
            loss_value = float(-xp.sum(picked - lse) / n)
            dz = z.copy()
            dz[rows, labels] -= 1
        else:
            loss_value = float(-xp.sum(picked - lse * xp.sum(y, axis=-1)) / n)
            dz = z * xp.sum(y, axis=-1, keepdims=True) - y
        dz *= 1.0 / n
        return loss_value, dz, z

    def _loss_and_grad(self, pred: Any, yb: Any, xp: Any) -> tuple[float, Any]:
        """The batch loss (same formula as fnlearn.losses) and dL/d(output) for the regression losses."""
        n = pred.shape[0]
        y = yb.reshape(pred.shape).astype(pred.dtype, copy=False)
        k = pred.shape[-1] if pred.ndim > 1 else 1
        diff = pred - y
        if self.loss == "mse":
            value = float(xp.sum(diff * diff) / (n * k))
            diff *= 2.0 / (n * k)
            return value, diff
        if self.loss == "mae":
            value = float(xp.sum(xp.abs(diff)) / (n * k))
            return value, xp.sign(diff) * (1.0 / (n * k))
        # half_sse, reduction "sum"
        return float(0.5 * xp.sum(diff * diff)), diff


def _logsumexp_rows(z: Any, xp: Any) -> Any:
    m = xp.max(z, axis=-1)
    return m + xp.log(xp.sum(xp.exp(z - m[:, None]), axis=-1))


def compile_step(model: Any, loss: Any, optimizer: Optimizer) -> StepPlan | None:
    """A :class:`StepPlan` for ``model`` trained with ``loss`` and ``optimizer``, or None when the model
    has layers the plan does not know (Dropout, custom modules, custom activations or losses)."""
    if not isinstance(model, Sequential) or not model.built or not isinstance(optimizer, Optimizer):
        return None
    spec = _loss_spec(loss)
    if spec is None:
        return None
    layers: list[tuple[Dense, str]] = []
    flatten_input = False
    for index, layer in enumerate(model.layers):
        if isinstance(layer, Flatten) and index == 0:
            flatten_input = True
        elif isinstance(layer, Dense):
            act = _activation_name(layer.activation)
            if act is None:
                return None
            layers.append((layer, act))
        elif isinstance(layer, Activation) and layers and layers[-1][1] == "linear":
            act = _activation_name(layer.activation)
            if act is None:
                return None
            layers[-1] = (layers[-1][0], act)
        else:
            return None
    if not layers:
        return None
    if any(act == "softmax" for _, act in layers[:-1]):
        return None
    plan = StepPlan(layers, flatten_input, spec[0], spec[1], optimizer)
    if not plan.supported():
        return None
    if optimizer.params is None or [id(p) for p in optimizer.params] != [id(p) for p in model.parameters()]:
        return None
    return plan
