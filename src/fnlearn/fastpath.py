"""The fast training step for a static Sequential of Dense layers.

``fit`` on the general path rebuilds the autodiff graph in Python for every batch: a Tensor and a
closure per op. For the lecture's networks — Dense layers with elementwise activations and one of
fnlearn's losses — the whole step is known in advance, so this module writes it out once as a plan:

    forward   z = a @ W; z += b; a = act(z)            (activations in place)
    output    dz = p − y  for softmax + cross-entropy, σ(z) − y for sigmoid + BCE (fused, stable),
              otherwise dL/da through the activation's derivative
    backward  dW = aᵀ dz; db = Σ dz; da = dz Wᵀ (not for the first layer); dz = da ⊙ act'(a)
    update    the model's optimizer, unchanged (same rule, same state, same clipping); in exclusive
              mode (fit with no per-batch callback) SGD gets η folded into dz, so the backward pass
              yields η·g itself and ``settle()`` turns ``.grad`` back into g; plain SGD then takes a
              large kernel's step inside its gradient product, W ← W − aᵀ(η·dz) in one BLAS call
              (fnlearn.blas), and ``settle()`` computes that kernel's ``.grad`` from the last step

Where NumPy's BLAS has ``gemm_batch``, a batch-sized product big enough to share runs in pieces, one per
BLAS thread (fnlearn.blas): ``a @ W`` cut along W's rows, ``aᵀdz`` (or the SGD step inside it) cut by
the same rows, so each core keeps its block of W for the whole step.

It computes the same numbers as the general path (the tests compare weights after an epoch in
float64 to 1e-12), sets every parameter's ``.grad`` like the general path does, and returns the
batch loss and the batch's predictions for metrics. A batch whose loss is NaN or infinite changes
nothing: the caller stops training with the weights of the last finite step.

Device-loss mode (``plan.device_loss = True``, used by the CUDA-graph capture in ``fnlearn.gpu``):
the step never reads a value back to the host. The loss comes back as a 0-d backend array, the
softmax always shifts each row by its own maximum (no data-dependent branch), the learning rate is
read from ``plan.lr_buffer`` (a 0-d array the caller fills) when set, gradients go into
``plan.grad_buffer`` when set, and the no-update-on-a-non-finite-loss rule is applied on the device:
the update is computed, then undone element-wise where the loss was not finite. With ``plan.gate``
(a 0-d bool array) the rule is sticky: once a loss was not finite, no later step changes anything
until the caller resets the gate, so the weights stay those of the last finite step.

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

import contextlib
import math
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from . import backend, blas, cuda_kernels, losses
from . import functional as F
from .captured_blas import matmul
from .nn.layers import Activation, BatchNormalization, Dense, Dropout, Flatten
from .nn.sequential import Sequential
from .optim import SGD, Optimizer

# ---------------------------------------------------------------------------- activations
# Each entry: forward(z) -> a (may overwrite z), and backward(g, a) -> g ⊙ act'(·) (may overwrite g).


def _relu_fwd(z: Any) -> Any:
    xp = backend.xp()
    if xp is np and z.size <= _ZEROS_MAX:
        # NumPy's vectorised maximum needs two contiguous operands: against a scalar 0 it takes a loop 3-4×
        # slower (measured: 100×100 5.0 against 1.2 µs; 1000×100 39 against 11 µs)
        key = (z.shape, z.dtype)
        zeros = _ZEROS.get(key)
        if zeros is None:
            if len(_ZEROS) >= 16:
                _ZEROS.clear()
            zeros = _ZEROS[key] = np.zeros(z.shape, z.dtype)
        return np.maximum(z, zeros, out=z)
    return xp.maximum(z, 0, out=z)


_ZEROS: dict[tuple[tuple[int, ...], Any], Any] = {}  # read-only zero arrays, by shape and dtype
_ZEROS_MAX = 1 << 20


def _relu_bwd(g: Any, a: Any) -> Any:
    if not cuda_kernels.run("relu_grad", a, g):
        g *= a > 0
    return g


def _bias_and_activation(z: Any, bias: Any, act_fwd: Callable[[Any], Any]) -> Any:
    """z + bias, then the activation (both in z's buffer where the activation allows)."""
    if bias is not None:
        if act_fwd is _relu_fwd and cuda_kernels.run("bias_relu", bias.data, z):
            return z
        z += bias.data
    return act_fwd(z)


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


def _relu6_fwd(z: Any) -> Any:
    return backend.xp().clip(z, 0, 6, out=z)


def _relu6_bwd(g: Any, a: Any) -> Any:
    g *= (a > 0) & (a < 6)  # slope 0 at 0 and at 6, as the autodiff op and PyTorch
    return g


def _sloped_pair(forward_and_slope: Callable[[Any], tuple[Any, Any]]) -> tuple[Callable, Callable]:
    """(forward, backward) for an activation of :data:`_SLOPED`: the forward keeps the slope it computes
    anyway for the backward of the same step. One pair per layer, so that two layers never share it."""
    kept: list[Any] = [None]

    def fwd(z: Any) -> Any:
        out, kept[0] = forward_and_slope(z)
        return out

    def bwd(g: Any, a: Any) -> Any:
        g *= kept[0]
        return g

    return fwd, bwd


def _softplus_fwd(z: Any) -> Any:
    return backend.xp().logaddexp(0, z).astype(z.dtype, copy=False)


def _softplus_bwd(g: Any, a: Any) -> Any:
    g *= -backend.xp().expm1(-a)  # σ(z) = 1 − e^(−softplus(z)), without cancelling where σ(z) is tiny
    return g


def _shift_scores(z: Any, batch_max: bool) -> None:
    """Subtract each row's largest score from z (2-d, in place), so that exp cannot overflow.

    With ``batch_max`` the batch's largest score is subtracted from every row instead — one cheap reduction
    where a reduction along 10 scores per row is slow in NumPy (10,000 × 10: 1.1 ms against 0.2 ms for a
    whole softmax) — unless some score lies more than _SAFE_RANGE below it and could underflow. That test
    reads a value back, so the CuPy paths that must not sync leave it off."""
    if batch_max:
        top = z.max()
        if top - z.min() <= _SAFE_RANGE:
            z -= top
            return
    z -= z.max(axis=-1, keepdims=True)


def _row_sums(a: Any) -> Any:
    """Each row's sum as a product with a ones vector: several times faster than NumPy's reduction along
    short rows."""
    return matmul(a, backend.xp().ones(a.shape[-1], dtype=a.dtype))


def _softmax_fwd(z: Any) -> Any:
    xp = backend.xp()
    _shift_scores(z, batch_max=xp is np)
    xp.exp(z, out=z)
    z /= _row_sums(z)[:, None]
    return z


def _softmax_bwd(g: Any, a: Any) -> Any:
    return a * (g - _row_sums(g * a)[:, None])


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
    "relu6": (_relu6_fwd, _relu6_bwd),
    "softmax": (_softmax_fwd, _softmax_bwd),
    "linear": (_identity, _identity_bwd),
}
# Activations whose slope is kept from the forward: gelu and silu are not monotonic (their output does not give
# their input), and elu's s·α·eᶻ recomputed from the output as a + s·α cancels in float32 for z below ≈ −16.
_SLOPED: dict[str, Callable[[Any], tuple[Any, Any]]] = {
    "elu": F.elu_arrays, "selu": lambda z: F.elu_arrays(z, F.SELU_ALPHA, F.SELU_SCALE),
    "gelu": F.gelu_arrays, "silu": F.silu_arrays}
for _name, _forward_and_slope in _SLOPED.items():  # the forward alone, for predict; fit pairs them per layer
    _ACTS[_name] = ((lambda f: lambda z: f(z)[0])(_forward_and_slope), None)


def _activation_name(fn: Any) -> str | None:
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


def _fused(loss: str, from_logits: bool, last_act: str) -> bool:
    """Whether the output activation's derivative cancels against the loss's, leaving (p − y). With
    from_logits the loss reads the layer's output as scores, so only a linear output fuses (a softmax output
    is then scores of scores, which the general path computes as written)."""
    scores_out = from_logits and last_act == "linear"
    probs_out = not from_logits and last_act == ("softmax" if loss in _CE else "sigmoid")
    return (loss in _CE or loss == "binary_crossentropy") and (probs_out or scores_out)


def _supported(loss: str, from_logits: bool, last_act: str) -> bool:
    """Cross-entropies only fused; the regression losses only on outputs (they take no from_logits)."""
    if loss in _CE or loss == "binary_crossentropy":
        return _fused(loss, from_logits, last_act)
    return not from_logits


class StepPlan:
    """One training step of a Dense stack, written out by hand (see the module docstring).

    Speed notes (measured, see docs/benchmarks.md): all parameters live in one flat array (each
    Parameter's ``.data`` is a view into it) and each step overwrites one flat gradient array kept for
    the plan's life (a fresh one per step made the heap give pages back and fault them in again), so the
    optimizer runs once per step instead of once per parameter; column sums (bias
    gradients, softmax normalisers) are matrix-vector products with a ones vector, several times
    faster than NumPy's row reductions at these shapes; softmax shifts by the batch's largest score
    (one cheap reduction) and falls back to per-row maxima only if a row would underflow; with plain
    SGD in exclusive mode, a large kernel's step is taken inside its gradient product (one GEMM writes
    W − aᵀ(η·dz), so no gradient array is written and read back; 12 % off a batch-100 step); big
    products run in pieces on the BLAS threads (13 % off a batch-100 epoch, 24 % at batch 32).
    """

    def __init__(self, layers: list[tuple[Dense, str]], flatten_input: bool, loss: str, from_logits: bool,
                 optimizer: Optimizer, dropouts: dict[int, Dropout] | None = None,
                 norms: Norms | None = None) -> None:
        self.layers = layers
        self.dropouts = dict(dropouts or {})  # stage index → the Dropout layer applied to its output
        self.norms: Norms = dict(norms or {})  # (stage, before its activation) → its BatchNormalization
        self.flatten_input = flatten_input
        self.loss = loss
        self.optimizer = optimizer
        self.fused = _fused(loss, from_logits, layers[-1][1])
        self.from_logits = from_logits
        self.params = _stage_params(layers, self.norms)
        pairs = [_sloped_pair(_SLOPED[act]) if act in _SLOPED else _ACTS[act] for _, act in layers]
        self._forward = [(layer.kernel, layer.bias, fwd) for (layer, _), (fwd, _) in zip(layers, pairs)]
        self._backward = [bwd for _, bwd in pairs]
        # each layer's (kernel slot, bias slot or None) in the flat gradient list, and each normalisation's
        # (gamma slot or None, beta slot or None)
        slot_of = {id(p): k for k, p in enumerate(self.params)}
        self._slots: list[tuple[int, int | None]] = [
            (slot_of[id(layer.kernel)], slot_of.get(id(layer.bias))) for layer, _ in layers]
        self._norm_slots = {key: (slot_of.get(id(norm.gamma)), slot_of.get(id(norm.beta)))
                            for key, norm in self.norms.items()}
        self._pending: list[tuple[int, Any, Any]] = []  # (layer, its input, η·δ) of a step whose .grad is unset
        self._ones: dict[tuple[int, float], Any] = {}
        self._splits: dict[tuple[Any, ...], Any] = {}  # prepared split products (see _split)
        self._threads = 1  # the BLAS library's thread count when the step began
        self._starts: dict[tuple[int, int], Any] = {}
        self._grads_of: Any = None  # the flat gradient array self._grads are views of
        self._grads: list[Any] = []
        self.exclusive = False
        self._grad_scale: Any = None  # η when the flat gradient array holds η·g (see settle), else None
        self.device_loss = False
        self.lr_buffer: Any = None
        self.grad_buffer: Any = None
        self.gate: Any = None
        self._pack()

    # ------------------------------------------------------------------ flat buffers
    def _pack(self) -> None:
        """Move every parameter (and the optimizer's state) into one flat array of views."""
        xp = backend.xp()
        dtype = self.params[0].data.dtype
        self._blas = None
        self.flat = all(p.data.dtype == dtype for p in self.params) and \
            self.optimizer.slot_init() is not None and not self.optimizer.excludes_from_weight_decay
        self._offsets = []
        offset = 0
        for p in self.params:
            self._offsets.append((offset, offset + p.data.size, p.data.shape))
            offset += p.data.size
        self._size = offset
        if not self.flat:
            return
        self.flat_param = xp.empty(offset, dtype=dtype)
        self._views = []
        for p, (lo, hi, shape) in zip(self.params, self._offsets):
            view = self.flat_param[lo:hi].reshape(shape)
            view[...] = p.data
            p.data = view
            self._views.append(view)
        self.flat_state = {}
        opt = self.optimizer
        for slot, fill in opt.slot_init().items():
            flat = xp.full(offset, fill, dtype=dtype)
            for state, (lo, hi, shape) in zip(opt.state, self._offsets):
                if slot in state:
                    flat[lo:hi] = state[slot].reshape(-1)
                state[slot] = flat[lo:hi].reshape(shape)
            self.flat_state[slot] = flat
        self._state_list = opt.state
        self._state_views = [dict(s) for s in opt.state]
        # one gradient array for the life of the plan: a fresh 0.3 MB array per step costs more than the
        # update itself at small batches; each step overwrites it, as PyTorch's .grad is overwritten
        self.own_grad = xp.empty(offset, dtype=dtype)
        self._blas = blas.get(dtype) if xp is np else None
        self._splits = {}  # prepared for the arrays of the last packing
        # the kernels big enough for a step inside their gradient product to pay (measured: 784×100 and
        # 300×100 gain 20-45 %, 100×100 loses 40 % to the call's fixed cost), and what lies outside them
        self._in_product = {i for i, (layer, _) in enumerate(self.layers) if layer.kernel.data.size >= _IN_PRODUCT_MIN}
        in_product_slots = {self._slots[i][0] for i in self._in_product}
        self._outside_product: list[tuple[int, int]] = []  # merged flat ranges of every other parameter
        for slot, (lo, hi, _) in enumerate(self._offsets):
            if slot in in_product_slots:
                continue
            if self._outside_product and self._outside_product[-1][1] == lo:
                lo = self._outside_product.pop()[0]
            self._outside_product.append((lo, hi))

    def _still_packed(self) -> bool:
        """False when something replaced a parameter's array or the optimizer's state since packing."""
        # plain loops: this runs every step, and generator expressions cost several microseconds here
        for p, view in zip(self.params, self._views):
            if p.data is not view:
                return False
        opt = self.optimizer
        if opt.state is not self._state_list:
            return False
        for state, views in zip(opt.state, self._state_views):
            for key, view in views.items():
                if state.get(key) is not view:
                    return False
        return True

    def _ones_for(self, n: int, dtype: Any, value: float = 1.0) -> Any:
        """n entries of ``value`` (kept): sums, or with 1/n means, as one matrix-vector product."""
        ones = self._ones.get((n, value))
        if ones is None or ones.dtype != dtype:
            ones = self._ones[(n, value)] = backend.xp().full(n, value, dtype=dtype)
        return ones

    def _row_starts(self, n: int, k: int) -> Any:
        """The flat index of each row's first entry in an (n, k) array: with it, one 1-d index picks each
        row's target score (a 1-d index costs a third of a (rows, labels) pair at these sizes)."""
        starts = self._starts.get((n, k))
        if starts is None:
            starts = self._starts[(n, k)] = backend.xp().arange(0, n * k, k)
        return starts

    def _flat_grads(self) -> tuple[Any, list[Any]]:
        """The flat gradient array this step writes (the caller's ``grad_buffer`` if set) and its views."""
        flat_grad = self.grad_buffer if self.grad_buffer is not None else self.own_grad
        if flat_grad is not self._grads_of:
            self._grads = [flat_grad[lo:hi].reshape(shape) for lo, hi, shape in self._offsets]
            self._grads_of = flat_grad
        return flat_grad, self._grads

    def ensure_packed(self) -> None:
        """Re-pack when something replaced a parameter's array or the optimizer's state since packing."""
        if self.flat and not self._still_packed():
            self.settle()
            self._pack()

    def settle(self) -> None:
        """End exclusive steps: every ``.grad`` is the true gradient of the last step again (they leave η·g
        there, or nothing where the step was taken inside the product), and the plan checks its packing
        before every step again."""
        self.exclusive = False
        if self._pending:
            _, grads = self._flat_grads()
            for i, a_in, dz in self._pending:
                self._layer_grads(i, a_in, dz, grads, bias=False)
            self._pending = []
        if self._grad_scale is not None:
            self._grads_of /= self._grad_scale
            self._grad_scale = None

    def _learning_rate_fold(self) -> float | None:
        """η when this step may fold it into the output gradient, so that the backward pass yields η·g and
        SGD's update needs no pass to scale it (plain SGD's update is then one subtraction, as a hand-written
        loop does); else None."""
        opt = self.optimizer
        if self.exclusive and self.flat and not self.device_loss and type(opt).update is _SGD_UPDATE \
                and opt.clipvalue is None and opt.global_clipnorm is None:
            return opt.current_learning_rate() or None
        return None

    def _in_product_steps(self, fold: float | None) -> blas.Blas | None:
        """The BLAS call that takes plain SGD's step inside a kernel's gradient product (``W ← W − aᵀ(η·δ)`` in
        one GEMM, see fnlearn.blas), when this step may use it: η folded, no momentum, NumPy's BLAS at hand."""
        opt = self.optimizer
        if fold is None or self._blas is None or not self._in_product or opt.momentum != 0.0 or \
                type(opt).update_prescaled is not _SGD_UPDATE_PRESCALED:
            return None
        return self._blas

    def _layer_grads(self, i: int, a_in: Any, dz: Any, grads: list[Any], kernel: bool = True,
                     bias: bool = True) -> None:
        """Layer i's kernel and bias gradients, from its input and the gradient at its output, into grads."""
        kernel_slot, bias_slot = self._slots[i]
        if bias and bias_slot is not None:
            matmul(self._ones_for(dz.shape[0], dz.dtype), dz, out=grads[bias_slot])
        if kernel:
            out = grads[kernel_slot]
            split = self._split("gradient", out, a_in, dz)
            if split is not None:
                split(a_in, dz)
            else:
                matmul(a_in.T, dz, out=out)

    def _product(self, a: Any, w: Any) -> Any:
        """``a @ w``: in pieces on the BLAS threads where that pays (fnlearn.blas), else NumPy's product."""
        split = self._split("product", w, a)
        if split is None:
            return matmul(a, w)
        out = np.empty((a.shape[0], w.shape[1]), dtype=w.dtype)
        split(a, out)
        return out

    def _split(self, kind: str, target: Any, *operands: Any) -> Any:
        """The prepared split product (fnlearn.blas) of this kind into or by ``target`` for a batch of these
        operands' rows, or None where the products run whole (no NumPy BLAS, one thread, too small, an operand
        the call cannot take). Kept per (kind, target, rows, BLAS threads at the step's start); a target array
        that is not the one it was prepared for (a repacked plan) gets a new one."""
        lib = self._blas
        if lib is None:
            return None
        rows = operands[0].shape[0]
        key = (kind, id(target), rows, self._threads)
        split = self._splits.get(key, False)
        if split is False or (split is not None and split.target is not target):
            if not lib.fits(target):
                split = None
            elif kind == "product":
                split = lib.split_product(target, rows)
            else:  # the SGD step inside the weight gradient, or the gradient itself
                split = lib.split_atb(target, rows, alpha=-1.0, beta=1.0) if kind == "step" else \
                    lib.split_atb(target, rows)
            self._splits[key] = split
        return split if split is not None and lib.fits(*operands) else None

    # ------------------------------------------------------------------ the step
    def __call__(self, xb: Any, yb: Any) -> tuple[float, Any]:
        """One step on a batch; returns (batch loss, batch output).

        With ``exclusive`` set, the caller promises that nothing else touches the parameters, their
        gradients or the optimizer's state until it calls :meth:`settle` (``fit`` does so when no callback
        runs per batch): the per-step packing check is skipped (call :meth:`ensure_packed` after anything
        else ran) and SGD folds η into the backward pass, leaving η·g in ``.grad`` until settle().
        """
        xp = backend.xp()
        if xp is not np:  # host batches are moved to the device, as everywhere in fnlearn
            xb, yb = backend.to_device(xb), backend.to_device(yb)
        if not self.exclusive:
            self.ensure_packed()
        self._threads = self._blas.threads() if self._blas is not None else 1
        fold = self._learning_rate_fold()
        a = xb.reshape(xb.shape[0], -1) if self.flatten_input else xb
        inputs, outs, masks = [], [], {}
        normed: dict[tuple[int, bool], tuple[Any, ...]] = {}  # what each normalisation keeps for the backward
        last = len(self.layers) - 1
        for i, (kernel, bias, act_fwd) in enumerate(self._forward):
            inputs.append(a)
            z = self._product(a, kernel.data)
            if (i, True) in self.norms:
                if bias is not None:
                    z += bias.data
                bias = None
                z = self._normalise((i, True), z, normed)
            if i == last and self.fused:
                if bias is not None:
                    z += bias.data
                scores = z.copy() if self.from_logits else None  # the fused loss turns z into probabilities
                loss_value, dz, a = self._fused_output(z, yb, xp, fold or 1.0)
                if scores is not None:
                    a = scores  # the model's output is its scores: the metrics see what evaluate() sees
            else:
                a = _bias_and_activation(z, bias, act_fwd)
            outs.append(a)  # before any dropout: the activation's derivative is read from its own output
            if (i, False) in self.norms:
                a = self._normalise((i, False), a, normed)
            drop = self.dropouts.get(i)
            if drop is not None:
                masks[i] = drop.next_mask(a.shape, a.dtype)
                a = a * masks[i]
        if not self.fused:
            loss_value, dz = self._loss_and_grad(a, yb, xp, fold or 1.0)
        device = self.device_loss and self.flat
        if not device and not math.isfinite(loss_value):
            return loss_value, a  # no update: the weights stay those of the last finite step
        for key, (_, _, mean, variance) in normed.items():  # the moving statistics follow a finite step only
            self.norms[key].follow(mean, variance)
        if self.flat:
            flat_grad, grads = self._flat_grads()
        else:
            grads = [xp.empty(shape, dtype=p.data.dtype) for p, (_, _, shape) in zip(self.params, self._offsets)]
        opt = self.optimizer
        gemm = self._in_product_steps(fold)
        self._pending = []
        for i in range(last, -1, -1):
            kernel, bias, _ = self._forward[i]
            if i in masks:
                dz *= masks[i]  # dz is the fresh product of the layer above: the gradient of the dropped output
            if (i, False) in normed:
                dz = self._normalise_backward((i, False), dz, normed, grads)
            if i < last or not self.fused:
                dz = self._backward[i](dz, outs[i])
            if (i, True) in normed:
                dz = self._normalise_backward((i, True), dz, normed, grads)
            a_in = inputs[i]
            below = matmul(dz, kernel.data.T) if i else None  # before a step inside the product changes the kernel
            if gemm is not None and i in self._in_product and gemm.fits(a_in, dz):
                split = self._split("step", kernel.data, a_in, dz)  # W ← W − aᵀ(η·δ): plain SGD's step
                if split is not None:
                    split(a_in, dz)
                else:
                    gemm.atb(a_in, dz, kernel.data, alpha=-1.0, beta=1.0)
                self._pending.append((i, a_in, dz))  # settle() makes its .grad
                self._layer_grads(i, a_in, dz, grads, kernel=False)
            else:
                self._layer_grads(i, a_in, dz, grads)
                if gemm is not None and i in self._in_product:  # an array the GEMM call cannot take
                    opt.update_prescaled(kernel.data, grads[self._slots[i][0]], {})
            dz = below
        for p, g in zip(self.params, grads):
            p.grad = g
        self._grad_scale = fold
        if gemm is not None:
            opt.iterations += 1
            for lo, hi in self._outside_product:  # the parameters whose step was not taken in a product
                opt.update_prescaled(self.flat_param[lo:hi], flat_grad[lo:hi], {})
        elif fold is not None:
            opt.iterations += 1
            opt.update_prescaled(self.flat_param, flat_grad, self.flat_state)  # the backward pass gave η·g
            opt.flush_subnormal(self.flat_state)
        elif self.flat:
            lr = self.lr_buffer if device and self.lr_buffer is not None else opt.current_learning_rate()
            if opt.clipvalue is not None or opt.global_clipnorm is not None:
                flat_grad = opt._clipped([flat_grad])[0]
            opt.iterations += 1
            if device:
                self._guarded_update(flat_grad, lr, loss_value, xp)
            else:
                opt.apply_rule(self.flat_param, flat_grad, self.flat_state, lr)
        else:
            opt.step()
        return loss_value, a

    def _normalise(self, key: tuple[int, bool], x: Any, normed: dict[tuple[int, bool], tuple[Any, ...]]) -> Any:
        """A BatchNormalization in training on a stage's values, by the same function as the general step;
        what its backward needs and the batch statistics go into ``normed``."""
        bn = self.norms[key]
        if x.shape[0] == 1:
            bn.warn_single_sample(x.shape, stacklevel=5)
        out, xhat, inv, mean, variance = F.batch_norm_arrays(x, self._ones_for(x.shape[0], x.dtype), bn.gamma,
                                                             bn.beta, bn.epsilon)
        normed[key] = (xhat, inv, mean, variance)
        return out

    def _normalise_backward(self, key: tuple[int, bool], g: Any, normed: dict[tuple[int, bool], tuple[Any, ...]],
                            grads: list[Any]) -> Any:
        """The gradient at a normalisation's input; its gamma and beta gradients go into their slots."""
        bn = self.norms[key]
        xhat, inv = normed[key][:2]
        gx, dgamma, dbeta = F.batch_norm_backward_arrays(g, self._ones_for(g.shape[0], g.dtype), xhat, inv, bn.gamma)
        for slot, value in zip(self._norm_slots[key], (dgamma, dbeta)):
            if slot is not None:
                grads[slot][...] = value
        return gx

    def _guarded_update(self, flat_grad: Any, lr: Any, loss_value: Any, xp: Any) -> None:
        """The optimizer's update, undone on the device where the loss (or an earlier one, with a gate) was
        not finite — a branch-free form of the no-update rule, so the step needs no host read."""
        if self.gate is not None and cuda_kernels.guarded_update(
                self.optimizer, self.flat_param, flat_grad, self.flat_state, lr, loss_value, self.gate):
            return  # CuPy: the same rule in two fused kernels, nothing saved and restored
        ok = xp.isfinite(loss_value)
        if self.gate is not None:
            xp.logical_and(self.gate, ok, out=self.gate)
            ok = self.gate
        keep = [self.flat_param.copy(), *(v.copy() for v in self.flat_state.values())]
        self.optimizer.update(self.flat_param, flat_grad, self.flat_state, lr)
        bad = xp.logical_not(ok)
        for target, saved in zip([self.flat_param, *self.flat_state.values()], keep):
            xp.copyto(target, saved, where=bad)

    def _fused_output(self, z: Any, yb: Any, xp: Any, scale: float) -> tuple[float, Any, Any]:
        """Loss, scale·dL/dz and the output probabilities from the output scores z, by log-sum-exp."""
        n = z.shape[0]
        if self.loss == "binary_crossentropy":
            y = yb.reshape(z.shape).astype(z.dtype, copy=False)
            k = z.shape[-1]
            pred = _sigmoid_fwd(z)
            elem = xp.maximum(z, 0) - z * y + xp.log1p(xp.exp(-xp.abs(z)))
            dz = pred - y
            dz *= scale / (n * k)
            return self._value(xp.sum(elem) / (n * k)), dz, pred
        sparse = self.loss == "sparse_categorical_crossentropy"
        if sparse:
            labels = yb.reshape(-1)
            if labels.dtype.kind not in "iu":
                labels = labels.astype("int64")
            fused = cuda_kernels.softmax_sparse_ce(z, labels, scale / n)  # CuPy: all of the below in one kernel
            if fused is not None:
                dz, row_loss = fused
                # the mean as one product with 1/n weights: on a GPU one kernel, not a sum and a divide
                return self._value(matmul(row_loss, self._ones_for(n, row_loss.dtype, 1.0 / n))), dz, z
        # softmax + cross-entropy in z's own buffer: shift, pick the target scores, exponentiate
        # (array methods, not xp.max(...): at 32 × 10 scores the module functions' dispatch is half the cost)
        ones_k = self._ones_for(z.shape[1], z.dtype)
        _shift_scores(z, batch_max=xp is np)  # on a GPU the test would read a value back: a sync per step
        if sparse:
            targets = self._row_starts(n, z.shape[1]) + labels
            picked = z.reshape(-1)[targets]
        else:
            y = yb.reshape(z.shape).astype(z.dtype, copy=False)
            picked = matmul(y * z, ones_k)
        xp.exp(z, out=z)
        total = matmul(z, ones_k)
        z /= total[:, None]
        lse = xp.log(total)
        if sparse:
            lse -= picked
            loss_value = self._value(matmul(lse, self._ones_for(n, lse.dtype)) / n)
            dz = z * (scale / n)
            dz.reshape(-1)[targets] -= scale / n
        else:
            row_mass = matmul(y, ones_k)
            loss_value = self._value(-(picked - lse * row_mass).sum() / n)
            dz = z * row_mass[:, None] - y
            dz *= scale / n
        return loss_value, dz, z

    def _loss_and_grad(self, pred: Any, yb: Any, xp: Any, scale: float) -> tuple[float, Any]:
        """The batch loss (same formula as fnlearn.losses) and scale·dL/d(output) for the regression losses."""
        n = pred.shape[0]
        y = yb.reshape(pred.shape).astype(pred.dtype, copy=False)
        k = pred.shape[-1] if pred.ndim > 1 else 1
        diff = pred - y
        if self.loss == "mse":
            value = self._value(xp.sum(diff * diff) / (n * k))
            diff *= 2.0 * scale / (n * k)
            return value, diff
        if self.loss == "mae":
            value = self._value(xp.sum(xp.abs(diff)) / (n * k))
            return value, xp.sign(diff) * (scale / (n * k))
        # half_sse, reduction "sum"
        value = self._value(0.5 * xp.sum(diff * diff))
        if scale != 1.0:
            diff *= scale
        return value, diff

    def _value(self, loss: Any) -> Any:
        """The batch loss as the caller wants it: a float, or (device-loss mode) the 0-d array itself."""
        return backend.xp().asarray(loss) if self.device_loss and self.flat else float(loss)


_SGD_UPDATE = SGD.update
_SGD_UPDATE_PRESCALED = SGD.update_prescaled

# Shifting every score by the batch maximum is exact as long as no shifted score falls below e^-60 ≈ 1e-26
# (float32 keeps full precision down to ~1e-38); a wider spread takes the per-row shift.
_SAFE_RANGE = 60.0

# Kernels with at least this many weights take plain SGD's step inside their gradient product (see _pack).
_IN_PRODUCT_MIN = 20_000


Norms = dict[tuple[int, bool], BatchNormalization]  # (stage, before its activation) → the layer


class Stack(NamedTuple):
    """What :func:`dense_stack` finds: the Dense stages with their activation names, whether a Flatten comes
    first, and the BatchNormalization layers, by (stage index, whether it comes before the activation)."""

    layers: list[tuple[Dense, str]]
    flatten_input: bool
    norms: Norms


def _stage_params(layers: list[tuple[Dense, str]], norms: Norms) -> list[Any]:
    """The parameters a written-out step trains, in the model's order: each stage's kernel and bias, then its
    normalisations' gamma and beta (the one before the activation first)."""
    params = []
    for i, (layer, _) in enumerate(layers):
        params += [layer.kernel, layer.bias]
        for key in ((i, True), (i, False)):
            if key in norms:
                params += [norms[key].gamma, norms[key].beta]
    return [p for p in params if p is not None]


def dense_stack(model: Any, inference: bool = False, sample_shape: tuple[int, ...] | None = None,
                dropouts: dict[int, Dropout] | None = None) -> Stack | None:
    """The Dense layers of ``model`` with their activation names, whether a Flatten comes first, and its
    BatchNormalization layers — or None when the model has layers the written-out step does not know (custom
    modules, custom activations), or when samples of ``sample_shape`` (if given) are not rows of features and
    no Flatten comes first.

    Dropout passes values through in ``inference``. In training, a Dropout right after a hidden layer's
    activation is written out too when the caller passes ``dropouts`` (filled with stage index → layer);
    anywhere else (on the inputs, after the output layer, before an Activation layer) the model has no
    written-out step. A BatchNormalization may follow a Dense layer without activation (it then comes
    before the stage's Activation layer) or its activation (before any Dropout); in training, not after the
    output layer's activation, and only while it trains (a frozen one runs in inference, as in Keras)."""
    if not isinstance(model, Sequential) or not model.built:
        return None
    stack = model.layers
    if stack and getattr(stack[0], "declares_input_only", False):
        stack = stack[1:]  # a functional model's InputLayer: its shape is checked before any step
    flatten_input = bool(stack) and isinstance(stack[0], Flatten)
    if sample_shape is not None and not flatten_input and len(sample_shape) != 1:
        return None  # Dense on each row of samples with more axes: the written-out products take rows only
    layers: list[tuple[Dense, str]] = []
    norms: Norms = {}
    for index, layer in enumerate(stack):
        stage = len(layers) - 1
        if getattr(layer, "activity_regularizer", None) is not None:
            return None  # its penalty on the layer's output adds to the loss: the general path computes it
        if isinstance(layer, Flatten) and index == 0:
            continue
        if isinstance(layer, Dense):
            act = _activation_name(layer.activation)
            if act is None:
                return None
            layers.append((layer, act))
        elif isinstance(layer, Activation) and layers and layers[-1][1] == "linear":
            act = _activation_name(layer.activation)
            if act is None or (dropouts is not None and stage in dropouts) or (stage, False) in norms:
                return None  # an activation of dropped or normalised values: it would have to come first
            layers[-1] = (layers[-1][0], act)
        elif isinstance(layer, BatchNormalization) and layers and layer.built and (inference or layer.trainable):
            if (stage, False) in norms or (dropouts is not None and stage in dropouts):
                return None  # a second normalisation after the activation, or one of dropped values
            norms[(stage, layers[-1][1] == "linear" and (stage, True) not in norms)] = layer
        elif isinstance(layer, Dropout) and (inference or layer.rate == 0.0):
            continue
        elif isinstance(layer, Dropout) and dropouts is not None and layers and len(layers) - 1 not in dropouts \
                and layer.noise_shape is None:  # a shared draw is the general step's
            dropouts[len(layers) - 1] = layer
        else:
            return None
    if dropouts and max(dropouts) == len(layers) - 1:
        return None  # dropout of the model's output: the loss would see dropped predictions
    if not inference and (len(layers) - 1, False) in norms:
        return None  # normalised predictions: the loss's derivative would have to pass through it first
    return Stack(layers, flatten_input, norms) if layers else None


class KeptOutputs:
    """The hidden layers' output arrays of :func:`forward`, kept by a model from one ``predict`` to the next.

    A fresh array of a few megabytes comes from the operating system as new pages, each faulted in on
    first write: 1,800 page faults in every 10,000-row ``predict`` of MLP 784-100-100-10, 6–15 % of the
    call (measured, A/B in one process). A kept array is written again instead, and a smaller batch
    writes the first rows of it. The last layer's output is never kept: it is what the caller gets.
    At most ``LIMIT`` bytes per model (larger outputs are made fresh each time); a thread that finds the
    arrays in use by another thread computes with fresh ones.

    >>> import fnlearn as fl, numpy as np
    >>> kept = kept_outputs(fl.Sequential([fl.layers.Dense(2, input_dim=3)]))
    >>> kernel = fl.backend.to_device(np.zeros((3, 5), "float32"))   # a no-op on the CPU
    >>> with kept.borrow() as arrays:
    ...     a = arrays.out(0, 4, 5, kernel)
    ...     a[...] = 1
    ...     b = arrays.out(0, 2, 5, kernel)   # a smaller batch: the first rows of the same array
    >>> a.shape, b.shape, float(b.sum())
    ((4, 5), (2, 5), 10.0)
    """

    LIMIT = 16 * 2**20

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._arrays: dict[int, Any] = {}

    @contextlib.contextmanager
    def borrow(self) -> Iterator[KeptOutputs | None]:
        """The kept arrays for one call, or None while another thread holds them."""
        if not self._lock.acquire(blocking=False):
            yield None
            return
        try:
            yield self
        finally:
            self._lock.release()

    def out(self, layer: int, rows: int, cols: int, kernel: Any) -> Any:
        """A (rows, cols) array for ``layer``'s product with ``kernel`` (same dtype and backend)."""
        kept = self._arrays.get(layer)
        if kept is not None and kept.shape[0] >= rows and kept.shape[1] == cols and kept.dtype == kernel.dtype \
                and type(kept) is type(kernel) and backend.device_key(kept) == backend.device_key(kernel):
            return kept[:rows]  # the same backend and device: a model moved since gets fresh arrays
        fresh = backend.xp().empty((rows, cols), dtype=kernel.dtype)
        if fresh.nbytes + sum(a.nbytes for i, a in self._arrays.items() if i != layer) <= self.LIMIT:
            self._arrays[layer] = fresh
        return fresh


_KEPT: weakref.WeakKeyDictionary[Any, KeptOutputs] = weakref.WeakKeyDictionary()


def kept_outputs(model: Any) -> KeptOutputs:
    """``model``'s :class:`KeptOutputs` (made on first use, gone with the model)."""
    kept = _KEPT.get(model)
    if kept is None:
        kept = _KEPT[model] = KeptOutputs()
    return kept


def forward(stack: Stack, x: Any, kept: KeptOutputs | None = None) -> Any:
    """The outputs of a :func:`dense_stack` for a batch ``x`` (a backend array of the model's dtype): each
    layer's product, bias and activation in one buffer, no graph — what ``predict`` runs. With ``kept``
    (borrowed from :func:`kept_outputs`), the hidden layers write into kept arrays; the result is always a
    fresh array.

    >>> import fnlearn as fl, numpy as np
    >>> model = fl.Sequential([fl.layers.Dense(2, activation="softmax", input_dim=3)])
    >>> x = fl.backend.to_device(np.ones((4, 3), dtype="float32"))   # a no-op on the CPU
    >>> probs = forward(dense_stack(model), x)
    >>> probs.shape, probs.dtype, bool(np.allclose(fl.backend.to_numpy(probs).sum(axis=1), 1.0))
    ((4, 2), dtype('float32'), True)
    """
    layers, flatten_input, norms = stack
    a = x.reshape(x.shape[0], -1) if flatten_input else x
    last = len(layers) - 1
    for i, (layer, act) in enumerate(layers):
        kernel = layer.kernel.data
        if kept is None or i == last:
            z = a @ kernel
        else:
            z = backend.xp().matmul(a, kernel, out=kept.out(i, a.shape[0], kernel.shape[1], kernel))
        bias = layer.bias
        if (i, True) in norms:
            if bias is not None:
                z += bias.data
            bias = None
            _normalise_inference(z, norms[(i, True)])
        a = _bias_and_activation(z, bias, _ACTS[act][0])
        if (i, False) in norms:
            _normalise_inference(a, norms[(i, False)])
    return a


def _normalise_inference(x: Any, bn: BatchNormalization) -> None:
    """A BatchNormalization in inference on x, in place: x·s + shift from the moving statistics, as the
    general path's batch_norm computes it."""
    mean = bn.moving_mean.data.astype(x.dtype, copy=False)
    variance = bn.moving_variance.data.astype(x.dtype, copy=False)
    _, scale, shift = F.batch_norm_affine(mean, variance, bn.gamma, bn.beta, bn.epsilon)
    x *= scale
    x += shift


def compile_step(model: Any, loss: Any, optimizer: Optimizer,
                 sample_shape: tuple[int, ...] | None = None) -> StepPlan | None:
    """A :class:`StepPlan` for ``model`` trained with ``loss`` and ``optimizer`` on samples of
    ``sample_shape``, or None when the model has layers the plan does not know (custom modules, custom
    activations or losses, Dropout other than after a hidden layer; see :func:`dense_stack`)."""
    if not isinstance(optimizer, Optimizer):
        return None
    spec = _loss_spec(loss)
    dropouts: dict[int, Dropout] = {}
    stack = dense_stack(model, sample_shape=sample_shape, dropouts=dropouts)
    if spec is None or stack is None:
        return None
    layers, flatten_input, norms = stack
    if any(act == "softmax" for _, act in layers[:-1]):
        return None
    if len({id(layer) for layer, _ in layers}) != len(layers):
        return None  # a layer used twice: its two uses' gradients add up, which the plan's flat slots cannot
    if any(layer.penalties() for layer in [*(layer for layer, _ in layers), *norms.values()]):
        return None  # weight penalties (kernel_regularizer) add to the loss: the general path computes them
    if not _supported(spec[0], spec[1], layers[-1][1]):
        return None
    if any(p.constraint is not None for p in optimizer.params or ()) or getattr(optimizer, "use_ema", False):
        return None  # weight constraints and the moving average follow each update: the general path's step does
    # checked before a plan is made: making one moves the optimizer's state into the plan's flat buffers
    if optimizer.params is None or [id(p) for p in optimizer.params] != [id(p) for p in _stage_params(layers, norms)]:
        return None  # frozen layers, or an optimizer bound to other parameters
    return StepPlan(layers, flatten_input, spec[0], spec[1], optimizer, dropouts, norms)
