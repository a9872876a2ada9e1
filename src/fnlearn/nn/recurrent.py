"""Recurrent layers: ``SimpleRNN``, ``LSTM`` and ``GRU`` read a sequence one step at a time, carrying a state from
step to step; ``Bidirectional`` reads it both ways; ``Masking`` (and ``Embedding(mask_zero=True)``) mark padding
steps that the recurrent layers skip — the text and time-series models of Keras's tutorials.

Each step is the lecture's function once more, ``h_t = σ(b + W x_t + U h_{t-1})``: the same weights at every step,
so back-propagation runs back through the steps (back-propagation through time). The whole sequence is one op of
the autodiff: its forward keeps each step's gates, its backward walks the steps in reverse in arrays, so a
sequence of 100 steps adds one node to the graph, not a thousand.

Weights have Keras's shapes and gate orders, so ``set_weights`` takes Keras's weights and the outputs agree:
``kernel`` (features, gates·units), ``recurrent_kernel`` (units, gates·units), ``bias`` (gates·units) — LSTM's
gates i, f, c, o; GRU's z, r, h, with ``reset_after=True`` (Keras 3's default) a bias of shape (2, 3·units).

Example:
    >>> import fnlearn as fl, numpy as np
    >>> model = fl.Sequential([fl.layers.Embedding(100, 8, mask_zero=True, input_length=5),
    ...                        fl.layers.LSTM(4), fl.layers.Dense(1, activation="sigmoid")])
    >>> model.output_shape, model.num_parameters()
    ((1,), 1013)
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, DataError, ShapeError
from ..fastpath import _ACTS
from ..tensor import Parameter, Tensor
from . import constraints, initializers, regularizers
from .conv import Workspace
from .layers import (
    LAYERS,
    Layer,
    _float_of,
    _reject_unknown_kwargs,
    as_input,
    dropout_mask,
    dropout_rate,
    known_features,
)

# Activations whose slope the backward reads from their output, as the recurrence keeps outputs only
_CELL_ACTIVATIONS = ("tanh", "sigmoid", "hard_sigmoid", "relu", "linear", "softplus", "relu6")


def _activation(spec: Any, owner: str, name: str) -> str:
    fn = F.get_activation(spec)
    found = next((key for key in _CELL_ACTIVATIONS if F.ACTIVATIONS[key] is fn), None)
    if found is None:
        raise ConfigError(f"{owner} got {name}={spec!r}, which fnlearn's recurrent layers do not have; use one of "
                          f"{', '.join(repr(k) for k in _CELL_ACTIVATIONS)} (Keras's default is "
                          f"{'tanh' if name == 'activation' else 'sigmoid'}).")
    return found


# ----------------------------------------------------------------------------- the cells, on arrays


def _project(h: Any, kernel: Any, masks: Any) -> Any:
    """``h @ kernel``; with recurrent dropout each gate's block of columns sees h times its own mask."""
    if masks is None:
        return h @ kernel
    u = h.shape[1]
    return backend.xp().concatenate([(h * m) @ kernel[:, k * u:(k + 1) * u] for k, m in enumerate(masks)], axis=1)


def _project_back(dz: Any, h: Any, kernel: Any, masks: Any, dkernel: Any) -> Any:
    """The backward of :func:`_project`: adds ``hᵀ dz`` to ``dkernel`` (in place; None: the caller adds every
    step's at once) and returns the gradient of h."""
    if masks is None:
        if dkernel is not None:
            dkernel += h.T @ dz
        return dz @ kernel.T
    u = h.shape[1]
    dh = None
    for k, m in enumerate(masks):
        cols = slice(k * u, (k + 1) * u)
        dkernel[:, cols] += (h * m).T @ dz[:, cols]
        part = (dz[:, cols] @ kernel[:, cols].T) * m
        dh = part if dh is None else dh + part
    return dh


def _sigmoid_in_place(z: Any) -> Any:
    """σ(z) = (1 + tanh(z / 2)) / 2 in z's buffer: stable for any z (tanh saturates), and four passes over the gates
    where the general form takes eight — the gates are most of a recurrent step's work."""
    z *= 0.5
    backend.xp().tanh(z, out=z)
    z *= 0.5
    z += 0.5
    return z


class _Cell:
    """One step of a recurrent layer on arrays: ``step`` gives the new state(s) and what its ``back`` needs."""

    gates = 1
    carries = False  # an LSTM's second state, the cell c
    # whether the gradient of a step's input product is that of its recurrent product (dz), so that the recurrent
    # kernel's gradient, Σ h_{t-1}ᵀ dz_t, can be one product over all steps after the loop
    shares_dz = True

    def __init__(self, activation: str, recurrent_activation: str, reset_after: bool = True) -> None:
        self.act, self.act_back = _ACTS[activation]
        self.rec, self.rec_back = _ACTS[recurrent_activation]
        if recurrent_activation == "sigmoid":
            self.rec = _sigmoid_in_place
        if activation == "sigmoid":
            self.act = _sigmoid_in_place
        self.reset_after = reset_after

    def step(self, xw: Any, h: Any, c: Any, kernel: Any, rbias: Any, masks: Any) -> tuple[Any, Any, Any]:
        z = _project(h, kernel, masks)
        z += xw
        new = self.act(z)
        return new, None, (h, new)

    def back(self, dh: Any, dc: Any, kept: Any, kernel: Any, masks: Any, dkernel: Any,
             drbias: Any) -> tuple[Any, Any, Any]:
        h, new = kept
        dz = self.act_back(dh, new)
        return dz, _project_back(dz, h, kernel, masks, dkernel), None


class _LSTMCell(_Cell):
    gates = 4
    carries = True

    def __init__(self, activation: str, recurrent_activation: str, reset_after: bool = True) -> None:
        super().__init__(activation, recurrent_activation, reset_after)
        self.fused = activation == "tanh" and recurrent_activation == "sigmoid"  # Keras's defaults
        self._rows: dict[tuple[int, Any], tuple[Any, Any, Any, Any]] = {}

    def _gate_rows(self, u: int, dtype: Any) -> tuple[Any, Any, Any, Any]:
        """Rows that make the four gates one pass each: tanh(z·a)·a + b is σ(z) = (1 + tanh(z/2))/2 on the gates
        i, f, o (a = ½, b = ½) and tanh(z) on the candidate c (a = 1, b = 0); an output y's slope is y·(β − y) + α:
        y(1 − y) for σ (β = 1, α = 0), 1 − y² for tanh (β = 0, α = 1)."""
        key = (u, dtype)
        if key not in self._rows:
            xp = backend.xp()
            candidate = np.zeros(4 * u, dtype=bool)
            candidate[2 * u:3 * u] = True
            rows = (np.where(candidate, 1.0, 0.5), np.where(candidate, 0.0, 0.5), np.where(candidate, 1.0, 0.0),
                    np.where(candidate, 0.0, 1.0))
            self._rows[key] = tuple(xp.asarray(r.astype(dtype)) for r in rows)
        return self._rows[key]

    def step(self, xw: Any, h: Any, c: Any, kernel: Any, rbias: Any, masks: Any) -> tuple[Any, Any, Any]:
        u = h.shape[1]
        z = _project(h, kernel, masks)
        z += xw
        if self.fused:
            scale, shift, _, _ = self._gate_rows(u, z.dtype)
            z *= scale
            backend.xp().tanh(z, out=z)
            z *= scale
            z += shift
            i, f, g, o = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
            c_new = f * c
            c_new += i * g
            tc = backend.xp().tanh(c_new)
            return o * tc, c_new, (h, c, z, tc)
        # each activation may work in z's buffer: the pre-activations are not needed again
        g = self.act(z[:, 2 * u:3 * u])
        i_f, o = self.rec(z[:, :2 * u]), self.rec(z[:, 3 * u:])
        i, f = i_f[:, :u], i_f[:, u:]
        c_new = f * c
        c_new += i * g
        tc = self.act(c_new.copy())
        return o * tc, c_new, (h, c, i, f, g, o, tc)

    def back(self, dh: Any, dc: Any, kept: Any, kernel: Any, masks: Any, dkernel: Any,
             drbias: Any) -> tuple[Any, Any, Any]:
        if self.fused:
            return self._fused_back(dh, dc, kept, kernel, masks, dkernel)
        h, c, i, f, g, o, tc = kept
        u = h.shape[1]
        dz = backend.xp().empty((h.shape[0], 4 * u), dtype=h.dtype)
        dz[:, 3 * u:] = self.rec_back(dh * tc, o)
        dct = dc + self.act_back(dh * o, tc)
        dz[:, :u] = self.rec_back(dct * g, i)
        dz[:, u:2 * u] = self.rec_back(dct * c, f)
        dz[:, 2 * u:3 * u] = self.act_back(dct * i, g)
        return dz, _project_back(dz, h, kernel, masks, dkernel), dct * f

    def _fused_back(self, dh: Any, dc: Any, kept: Any, kernel: Any, masks: Any,
                    dkernel: Any) -> tuple[Any, Any, Any]:
        xp = backend.xp()
        h, c, y, tc = kept
        u = h.shape[1]
        i, f, g, o = y[:, :u], y[:, u:2 * u], y[:, 2 * u:3 * u], y[:, 3 * u:]
        dz = xp.empty_like(y)
        xp.multiply(dh, tc, out=dz[:, 3 * u:])
        dct = dh * o
        dct *= 1 - tc * tc
        dct += dc
        xp.multiply(dct, g, out=dz[:, :u])
        xp.multiply(dct, c, out=dz[:, u:2 * u])
        xp.multiply(dct, i, out=dz[:, 2 * u:3 * u])
        _, _, alpha, beta = self._gate_rows(u, y.dtype)
        slope = beta - y
        slope *= y
        slope += alpha
        dz *= slope
        return dz, _project_back(dz, h, kernel, masks, dkernel), dct * f


class _GRUCell(_Cell):
    gates = 3
    shares_dz = False  # its reset gate scales the recurrent product of the candidate

    def step(self, xw: Any, h: Any, c: Any, kernel: Any, rbias: Any, masks: Any) -> tuple[Any, Any, Any]:
        u = h.shape[1]
        if self.reset_after:  # the reset gate scales U_h h (+ its bias): Keras 3's and cuDNN's form
            r_all = _project(h, kernel, masks)
            if rbias is not None:
                r_all += rbias
            zr = self.rec(xw[:, :2 * u] + r_all[:, :2 * u])
            z, r = zr[:, :u], zr[:, u:]
            rh = r_all[:, 2 * u:]
            hh = self.act(xw[:, 2 * u:] + r * rh)
            kept = (h, z, r, hh, rh, None)
        else:  # the reset gate scales h before U_h
            zr = self.rec(xw[:, :2 * u] + _project(h, kernel[:, :2 * u], None if masks is None else masks[:2]))
            z, r = zr[:, :u], zr[:, u:]
            hm = h if masks is None else h * masks[2]
            left = r * hm
            hh = self.act(xw[:, 2 * u:] + left @ kernel[:, 2 * u:])
            kept = (h, z, r, hh, hm, left)
        return hh + z * (h - hh), None, kept

    def back(self, dh: Any, dc: Any, kept: Any, kernel: Any, masks: Any, dkernel: Any,
             drbias: Any) -> tuple[Any, Any, Any]:
        h, z, r, hh, other, left = kept
        u = h.shape[1]
        dz = backend.xp().empty((h.shape[0], 3 * u), dtype=h.dtype)
        dz[:, :u] = self.rec_back(dh * (h - hh), z)
        dz[:, 2 * u:] = self.act_back(dh * (1 - z), hh)
        if self.reset_after:
            rh = other
            dz[:, u:2 * u] = self.rec_back(dz[:, 2 * u:] * rh, r)
            dr_all = dz.copy()
            dr_all[:, 2 * u:] *= r
            if drbias is not None:
                drbias += dr_all.sum(axis=0)
            return dz, dh * z + _project_back(dr_all, h, kernel, masks, dkernel), None
        hm = other
        dleft = dz[:, 2 * u:] @ kernel[:, 2 * u:].T
        dkernel[:, 2 * u:] += left.T @ dz[:, 2 * u:]
        dz[:, u:2 * u] = self.rec_back(dleft * hm, r)
        dhm = dleft * r
        if masks is not None:
            dhm *= masks[2]
        dh_prev = dh * z + dhm + _project_back(dz[:, :2 * u], h, kernel[:, :2 * u],
                                               None if masks is None else masks[:2], dkernel[:, :2 * u])
        return dz, dh_prev, None


def recurrence(cell: _Cell, xw: Tensor, kernel: Tensor, rbias: Tensor | None, h0: Tensor | None,
               c0: Tensor | None, mask: Any = None, masks: Any = None, zero_masked: bool = False,
               space: Workspace | None = None) -> Tensor:
    """Run ``cell`` over the steps of ``xw`` (steps, N, gates·units: time first, so each step's rows are one
    block of memory), the inputs already times the layer's kernel plus its bias, from states ``h0`` (and ``c0``;
    zeros when None).

    Returns one tensor (N, steps + states, units): each step's output, then the final state(s) h (and c).
    Where ``mask`` (N, steps) is False a step is skipped: the states carry over and its output repeats the one
    before (zeros with ``zero_masked``). ``masks`` are the recurrent dropout masks, one (N, units) per gate.
    ``space``: the layer's workspace, whose arrays (the output, the inputs' gradient, the steps' h) are written
    again at the next call when nothing holds them any more (new ones were faulted in page by page: for a SimpleRNN
    text classifier, when this loop ran it, 27,358 page faults per epoch → 11,771).
    """
    if isinstance(cell, _LSTMCell) and cell.fused and masks is None:
        return fused_lstm(xw, None, None, kernel, h0, c0, space or Workspace(), mask=mask, zero_masked=zero_masked)
    xp = backend.xp()
    xd, kd = xw.data, kernel.data
    steps, n, _ = xd.shape
    u = kd.shape[0]
    rbd = None if rbias is None else rbias.data
    h = xp.zeros((n, u), dtype=xd.dtype) if h0 is None else h0.data
    c = (xp.zeros((n, u), dtype=xd.dtype) if c0 is None else c0.data) if cell.carries else None
    space = space or Workspace()
    out = space.empty("out", (n, steps + 1 + cell.carries, u), xd.dtype)  # the whole array: the tensor holds it
    kept = []
    for t in range(steps):
        h_new, c_new, cache = cell.step(xd[t], h, c, kd, rbd, masks)
        kept.append(cache)
        if mask is None:
            h, c = h_new, c_new
            out[:, t] = h
        else:
            on = mask[:, t, None]
            h = xp.where(on, h_new, h)
            if cell.carries:
                c = xp.where(on, c_new, c)
            out[:, t] = xp.where(on, h, 0) if zero_masked else h
    out[:, steps] = h
    if cell.carries:
        out[:, steps + 1] = c
    parents = [p for p in (xw, kernel, rbias, h0, c0 if cell.carries else None) if p is not None]

    def backward(g: Any) -> tuple[Any, ...]:
        dxw = space.empty("dxw", xd.shape, xd.dtype)
        dkernel = xp.zeros_like(kd)
        at_once = cell.shares_dz and masks is None
        step_dkernel = None if at_once else dkernel
        drbias = None if rbd is None else xp.zeros_like(rbd)
        dh = g[:, steps].copy()
        dc = g[:, steps + 1].copy() if cell.carries else None
        for t in reversed(range(steps)):
            gt = g[:, t]
            if mask is None:
                dh = dh + gt
                dxw[t], dh, dc = cell.back(dh, dc, kept[t], kd, masks, step_dkernel, drbias)
                continue
            on = mask[:, t, None]
            dh = dh + (gt * on if zero_masked else gt)
            # a skipped step passes its states' gradients straight to the step before
            step_dh, step_dc = dh * on, (dc * on if cell.carries else None)
            dxw[t], prev_dh, prev_dc = cell.back(step_dh, step_dc, kept[t], kd, masks, step_dkernel, drbias)
            dh = prev_dh + xp.where(on, 0, dh)
            if cell.carries:
                dc = prev_dc + xp.where(on, 0, dc)
        if at_once and steps:
            previous = xp.stack([cache[0] for cache in kept],  # each step's h_{t-1}, (steps, N, units)
                                out=space.empty("previous", (steps, n, u), xd.dtype))
            dkernel = previous.reshape(-1, u).T @ dxw.reshape(-1, dxw.shape[-1])
        pieces = ((xw, dxw), (kernel, dkernel), (rbias, drbias), (h0, dh), (c0 if cell.carries else None, dc))
        return tuple(grad if parent.requires_grad else None for parent, grad in pieces if parent is not None)

    return Tensor._result(out, tuple(parents), backward, "recurrence")


def _grads_of(space: Workspace, x: Tensor | None, kernel: Tensor | None, kernel_data: Any, recurrent_kernel: Tensor,
              h0: Tensor | None, hs: Any, inputs_grads: Any, rec_grads: Any, dh: Any) -> tuple[Any, Any, Any, Any]:
    """The gradients (x, kernel, recurrent kernel, h0) of a fused op's step loop, given each step's gradients of its
    inputs' product and of its recurrent product ((steps, gates·units, N), one array but for the GRU's), its
    transposed h's and the gradient of h before the first step. ``kernel_data``: the kernel in the op's order of
    the gates' columns, which the kernels' gradients come in too. ``x`` None: no input's gradient here."""
    xp = backend.xp()
    steps = hs.shape[0] - 1
    dx = dkernel = drecurrent = dh0 = None
    if _wanted(recurrent_kernel):
        drecurrent = _summed(space, rec_grads, hs[:steps].transpose(0, 2, 1), "recurrent_steps") if steps else \
            xp.zeros_like(recurrent_kernel.data)
    if _wanted(x):
        dx = space.empty("dx", x.shape, x.dtype)  # (N, steps, features), written through a transposed view
        xp.matmul(inputs_grads.transpose(0, 2, 1), kernel_data.T, out=dx.transpose(1, 0, 2))
    if _wanted(kernel):
        dkernel = _summed(space, inputs_grads, x.data.transpose(1, 0, 2), "kernel_steps")
    if _wanted(h0):
        dh0 = dh.T
    return dx, dkernel, drecurrent, dh0


def _step_masks(mask: Any, dtype: Any) -> tuple[Any, Any]:
    """A mask (N, steps) as the fused ops read it, a row over the sequences' columns per step (steps, 1, N): the
    steps read (as numbers) and the steps skipped (as booleans); (None, None) without a mask."""
    if mask is None:
        return None, None
    xp = backend.xp()
    return xp.ascontiguousarray(mask.T[:, None, :].astype(dtype)), xp.ascontiguousarray(~mask.T[:, None, :])


def _packed(space: Workspace, hs: Any, finals: list[Any], sequences: bool, mask: Any, zero_masked: bool) -> Any:
    """A fused op's output (N, steps + states, units) from its transposed h's (steps + 1, units, N): each step's h
    when ``sequences`` (zeros on skipped steps with ``zero_masked``), then the final states, each (units, N)."""
    steps, u, n = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
    out = space.empty("out", (n, steps * sequences + len(finals), u), hs.dtype)  # the whole array: the tensor holds it
    if sequences:
        out[:, :steps] = hs[1:].transpose(2, 0, 1)
        if zero_masked and mask is not None:
            out[:, :steps] *= mask[..., None]
    for k, state in enumerate(finals, start=out.shape[1] - len(finals)):
        out[:, k] = state.T
    return out


def _given(space: Workspace, g: Any, hs: Any, on: Any, zero_masked: bool) -> Any:
    """The gradient of each step's h in the output (N, steps, units) as the backward's loop reads it: transposed,
    (steps, units, N), zero on skipped steps with ``zero_masked``."""
    given = space.empty("given", hs[1:].shape, hs.dtype)
    given[...] = g[:, :given.shape[0]].transpose(1, 2, 0)
    if zero_masked and on is not None:
        given *= on
    return given


def _wanted(parent: Tensor | None) -> bool:
    return parent is not None and parent.requires_grad


def _summed(space: Workspace, grads: Any, by_sample: Any, name: str) -> Any:
    """Σ_t by_sample_tᵀ·grads_t, (·, gates·units): a weight's gradient from each step's gates' gradients (steps,
    gates·units, N) and that step's inputs (steps, N, ·), one product per step written into the workspace (a new
    array of them, 1.3 MiB for the text classifier's LSTM, was faulted in page by page and took twice as long as the
    products; measured faster, too, than one product after copying the steps' arrays into one matrix)."""
    per_step = space.empty(name, (grads.shape[0], grads.shape[1], by_sample.shape[-1]), grads.dtype)
    return backend.xp().matmul(grads, by_sample, out=per_step).sum(axis=0).T


def fused_lstm(x: Tensor, kernel: Tensor | None, bias: Tensor | None, recurrent_kernel: Tensor, h0: Tensor | None,
               c0: Tensor | None, space: Workspace, sequences: bool = True, mask: Any = None,
               zero_masked: bool = False) -> Tensor:
    """Keras's default LSTM (tanh, sigmoid) without recurrent dropout as one op: the input product and every step.

    ``x`` is the layer's input (N, steps, features) with its ``kernel`` and ``bias``; or, with ``kernel`` None,
    the inputs already times the kernel plus the bias, time first (steps, N, 4·units), as :func:`recurrence`
    takes them. Returns (N, steps + 2, units): each step's h, then the final h and c; with ``sequences`` False
    only the final h and c, (N, 2, units) — a classifier reading the last h needs no gradient array per step.
    ``mask`` and ``zero_masked`` as :func:`recurrence`'s: where the mask is False a step is skipped, the states
    carry over (and its output is zeros with ``zero_masked``).

    At these sizes (64 sequences, 32 units) a NumPy call's overhead, not its arithmetic, is most of a step's
    time, so the op is written to make few calls per step, each on one block of memory:

    - the steps' arrays are transposed, a unit per row and a sequence per column: a step's gates are
      (4·units, N), so each gate is a block of whole rows (a slice of columns of (N, 4·units) made NumPy walk 64
      short rows: twice the time per call, and the work done for all steps at once took as long as the loop);
    - the gates are kept in the order o, i, f, c: the sigmoid gates o, i, f are one block (σ(z) = (1 + tanh(z/2))/2,
      so one tanh covers all four gates, then two scalar passes over the first block), and the gates whose
      gradients scale the cell's gradient, i, f and c, are one block of three, filled by one broadcast product in
      the backward; the halving of z on the sigmoid gates is folded into the weights (exact: a product by ½);
    - the inputs' product is one batched product for all steps, written into the gates' array;
    - in the backward, everything that does not depend on the gradient arriving from later steps (the gates'
      slopes times their partners, o·(1 − tanh²c)) is computed for all steps at once before the loop, which then
      makes 6 calls per step where it made 16;
    - large arrays come from the layer's ``space`` and are written again at the next call when no graph holds them
      (new ones, megabytes each, were faulted in page by page at every call).

    Values are those of the cell's ``step`` and ``back`` up to rounding (the same formulas).
    """
    xp = backend.xp()
    tanh, multiply, matmul = xp.tanh, xp.multiply, xp.matmul
    projected = kernel is None
    xd, ud = x.data, recurrent_kernel.data
    u = ud.shape[0]
    four = 4 * u
    dtype = xd.dtype
    if projected:
        steps, n = xd.shape[:2]
    else:
        n, steps, features = xd.shape
    # Keras's order i, f, c, o → o, i, f, c; the sigmoid gates' rows halved
    order = xp.asarray(np.r_[3 * u:four, 0:3 * u])
    back = xp.asarray(np.r_[u:four, 0:u])  # the internal order's columns back in Keras's order
    halves = xp.asarray(np.where(np.arange(four) < 3 * u, 0.5, 1.0).astype(dtype))[:, None]
    recurrent = xp.ascontiguousarray(ud[:, order])  # (units, 4·units)
    recurrent_half = xp.ascontiguousarray(recurrent.T * halves)
    gates = space.empty("gates", (steps, four, n), dtype)  # each step's gates after their activations, transposed
    if projected:
        kernel_in = None
        multiply(xd.transpose(0, 2, 1)[:, order], halves, out=gates)
    else:
        kernel_in = xp.ascontiguousarray(kernel.data[:, order].astype(dtype, copy=False))  # (features, 4·units)
        matmul(kernel_in.T * halves, xd.transpose(1, 2, 0), out=gates)
        if bias is not None:
            gates += bias.data[order][:, None] * halves
    hs = space.empty("h", (steps + 1, u, n), dtype)  # h_{t-1} at t: the recurrent kernel's gradient reads them all
    cs = space.empty("c", (steps + 1, u, n), dtype)
    tcs = space.empty("tanh_c", (steps, u, n), dtype)
    hs[0] = 0 if h0 is None else h0.data.T
    cs[0] = 0 if c0 is None else c0.data.T
    product, ig = xp.empty((four, n), dtype=dtype), xp.empty((u, n), dtype=dtype)
    o_, i_, f_, g_, s_ = slice(0, u), slice(u, 2 * u), slice(2 * u, 3 * u), slice(3 * u, four), slice(0, 3 * u)
    on, off = _step_masks(mask, dtype)
    for t in range(steps):
        z = gates[t]
        if t or h0 is not None:  # h_{-1} = 0 adds nothing
            matmul(recurrent_half, hs[t], out=product)
            z += product
        tanh(z, out=z)
        sigmoids = z[s_]
        sigmoids *= 0.5
        sigmoids += 0.5
        c = cs[t + 1]
        multiply(z[f_], cs[t], out=c)
        multiply(z[i_], z[g_], out=ig)
        c += ig
        tanh(c, out=tcs[t])
        multiply(z[o_], tcs[t], out=hs[t + 1])
        if mask is not None:  # a skipped step's states are the step before's
            xp.copyto(c, cs[t], where=off[t])
            xp.copyto(hs[t + 1], hs[t], where=off[t])
    out = _packed(space, hs, [hs[steps], cs[steps]], sequences, mask, zero_masked)
    parents = [p for p in (x, kernel, bias, recurrent_kernel, h0, c0) if p is not None]

    def backward(g: Any) -> tuple[Any, ...]:
        # the slopes of the gates' activations times what each multiplies in the forward, for all steps at once
        slopes = space.empty("slopes", gates.shape, dtype)
        xp.subtract(1, gates[:, s_], out=slopes[:, s_])
        slopes[:, s_] *= gates[:, s_]  # σ' = y(1 − y)
        multiply(gates[:, g_], gates[:, g_], out=slopes[:, g_])
        xp.subtract(1, slopes[:, g_], out=slopes[:, g_])  # tanh' = 1 − y²
        slopes[:, o_] *= tcs  # dh → dz_o
        slopes[:, i_] *= gates[:, g_]  # dc → dz_i, dz_f, dz_c
        slopes[:, f_] *= cs[:steps]
        slopes[:, g_] *= gates[:, i_]
        shown = space.empty("shown", tcs.shape, dtype)  # dh → dc: o · (1 − tanh²c)
        multiply(tcs, tcs, out=shown)
        xp.subtract(1, shown, out=shown)
        shown *= gates[:, o_]
        dgates = space.empty("dgates", gates.shape, dtype)
        cell_slopes = slopes.reshape(steps, 4, u, n)[:, 1:]
        cell_grads = dgates.reshape(steps, 4, u, n)[:, 1:]
        forget = gates[:, f_]
        given = _given(space, g, hs, on, zero_masked) if sequences else None
        # dh, dc: the gradients of the states after step t; a skipped step hands them on to the step before
        dh, dc = xp.ascontiguousarray(g[:, -2].T), xp.ascontiguousarray(g[:, -1].T)
        dct, spare_h, spare_c = (xp.empty((u, n), dtype=dtype) for _ in range(3))
        for t in reversed(range(steps)):
            if sequences:
                dh += given[t]
            multiply(dh, shown[t], out=dct)  # the gradient of c_t: through h_t, and from the steps after
            dct += dc
            if mask is None:
                multiply(dh, slopes[t, o_], out=dgates[t, o_])
            else:
                dct *= on[t]
                multiply(dh, on[t], out=dgates[t, o_])
                dgates[t, o_] *= slopes[t, o_]
            multiply(dct, cell_slopes[t], out=cell_grads[t])
            multiply(dct, forget[t], out=spare_c)
            if mask is not None:
                xp.copyto(spare_c, dc, where=off[t])
            dc, spare_c = spare_c, dc
            if t or h0 is not None:
                matmul(recurrent, dgates[t], out=spare_h)
                if mask is not None:
                    xp.copyto(spare_h, dh, where=off[t])
                dh, spare_h = spare_h, dh

        dx, dkernel, drecurrent, dh0 = _grads_of(space, None if projected else x, kernel, kernel_in,
                                                 recurrent_kernel, h0, hs, dgates, dgates, dh)
        dkernel, drecurrent = (None if d is None else d[:, back] for d in (dkernel, drecurrent))
        if projected and _wanted(x):
            dx = xp.empty_like(xd)
            dx[..., order] = dgates.transpose(0, 2, 1)
        dbias = matmul(dgates, xp.ones(n, dtype=dtype)).sum(axis=0)[back] if _wanted(bias) else None
        dc0 = dc.T if _wanted(c0) else None
        pieces = ((x, dx), (kernel, dkernel), (bias, dbias), (recurrent_kernel, drecurrent), (h0, dh0), (c0, dc0))
        return tuple(grad for parent, grad in pieces if parent is not None)

    return Tensor._result(out, tuple(parents), backward, "lstm")


def fused_gru(x: Tensor, kernel: Tensor, bias: Tensor | None, recurrent_kernel: Tensor, h0: Tensor | None,
              space: Workspace, sequences: bool = True, mask: Any = None, zero_masked: bool = False) -> Tensor:
    """Keras 3's default GRU (tanh, sigmoid, ``reset_after=True``) without recurrent dropout as one op, written as
    :func:`fused_lstm` is (transposed steps, gate blocks of whole rows, the halving of σ's argument in the weights,
    the backward's slopes for all steps before its loop, the weights' gradients as batched products):

    ``z, r = σ(x W_z,r + b + h U_z,r + b');  h̃ = tanh(x W_h + b + r·(h U_h + b'));  h ← h̃ + z·(h − h̃)``.

    ``x`` (N, steps, features), ``bias`` (2, 3·units): the inputs' and the recurrent product's. Returns (N, steps + 1,
    units), each step's h then the final h; with ``sequences`` False only the final h, (N, 1, units). ``mask`` and
    ``zero_masked`` as :func:`recurrence`'s. Values are the cell's ``step`` and ``back``'s up to rounding.
    """
    xp = backend.xp()
    tanh, multiply, matmul = xp.tanh, xp.multiply, xp.matmul
    xd, kd, ud = x.data, kernel.data, recurrent_kernel.data
    n, steps, features = xd.shape
    u = ud.shape[0]
    three, dtype = 3 * u, xd.dtype
    z_, r_, h_, s_ = slice(0, u), slice(u, 2 * u), slice(2 * u, three), slice(0, 2 * u)
    halves = xp.asarray(np.where(np.arange(three) < 2 * u, 0.5, 1.0).astype(dtype))[:, None]
    recurrent_half = xp.ascontiguousarray(ud.T * halves)  # (3·units, units)
    gates = space.empty("gates", (steps, three, n), dtype)  # z, r, then h̃: after their activations, transposed
    matmul(kd.T.astype(dtype, copy=False) * halves, xd.transpose(1, 2, 0), out=gates)
    if bias is not None:
        gates += bias.data[0][:, None] * halves
        recurrent_bias = bias.data[1][:, None] * halves
    recs = space.empty("recs", (steps, three, n), dtype)  # h U + b' of each step; the backward reads U_h h + b'_h
    hs = space.empty("h", (steps + 1, u, n), dtype)
    hs[0] = 0 if h0 is None else h0.data.T
    spare = xp.empty((u, n), dtype=dtype)
    on, off = _step_masks(mask, dtype)
    for t in range(steps):
        g, rec = gates[t], recs[t]
        matmul(recurrent_half, hs[t], out=rec)
        if bias is not None:
            rec += recurrent_bias
        zr = g[s_]
        zr += rec[s_]
        tanh(zr, out=zr)
        zr *= 0.5
        zr += 0.5
        candidate = g[h_]
        multiply(g[r_], rec[h_], out=spare)
        candidate += spare
        tanh(candidate, out=candidate)
        xp.subtract(hs[t], candidate, out=spare)
        spare *= g[z_]
        xp.add(candidate, spare, out=hs[t + 1])
        if mask is not None:
            xp.copyto(hs[t + 1], hs[t], where=off[t])
    out = _packed(space, hs, [hs[steps]], sequences, mask, zero_masked)
    parents = [p for p in (x, kernel, bias, recurrent_kernel, h0) if p is not None]

    def backward(g: Any) -> tuple[Any, ...]:
        z, r, candidate, rec_h = gates[:, z_], gates[:, r_], gates[:, h_], recs[:, h_]
        # what each gate's gradient is dh times, for all steps at once (zero on a skipped step)
        slopes = space.empty("slopes", gates.shape, dtype)
        keep = space.empty("keep", hs[1:].shape, dtype)  # dh_{t-1} = dh_t · z (+ the recurrent product's part)
        xp.subtract(1, z, out=keep)  # 1 − z
        xp.subtract(hs[:steps], candidate, out=slopes[:, z_])
        slopes[:, z_] *= z
        slopes[:, z_] *= keep  # dz: (h − h̃)·z(1 − z)
        multiply(candidate, candidate, out=slopes[:, h_])
        xp.subtract(1, slopes[:, h_], out=slopes[:, h_])
        slopes[:, h_] *= keep  # dh̃'s argument: (1 − z)(1 − h̃²)
        xp.subtract(1, r, out=slopes[:, r_])
        slopes[:, r_] *= r
        slopes[:, r_] *= rec_h  # dr from dh̃'s argument: (U_h h + b'_h)·r(1 − r)
        keep[...] = z
        if mask is not None:
            slopes[:, z_] *= on
            slopes[:, h_] *= on
            xp.copyto(keep, 1, where=off)  # a skipped step hands dh on whole
        inputs_grads = space.empty("dgates", gates.shape, dtype)  # of x W + b: dz, dr, dh̃'s argument
        rec_grads = space.empty("drecs", gates.shape, dtype)  # of h U + b': dz, dr, r·dh̃'s argument
        given = _given(space, g, hs, on, zero_masked) if sequences else None
        dh = xp.ascontiguousarray(g[:, -1].T)
        other = xp.empty((u, n), dtype=dtype)
        for t in reversed(range(steps)):
            if sequences:
                dh += given[t]
            d_in, d_rec = inputs_grads[t], rec_grads[t]
            multiply(dh, slopes[t, z_], out=d_in[z_])
            multiply(dh, slopes[t, h_], out=d_in[h_])
            multiply(d_in[h_], slopes[t, r_], out=d_in[r_])
            d_rec[s_] = d_in[s_]
            multiply(d_in[h_], r[t], out=d_rec[h_])
            if t or h0 is not None:
                matmul(ud, d_rec, out=other)
                multiply(dh, keep[t], out=spare)
                other += spare
                dh, other = other, dh

        dx, dkernel, drecurrent, dh0 = _grads_of(space, x, kernel, kd, recurrent_kernel, h0, hs, inputs_grads,
                                                 rec_grads, dh)
        dbias = None
        if _wanted(bias):
            ones = xp.ones(n, dtype=dtype)
            dbias = xp.stack([matmul(inputs_grads, ones).sum(axis=0), matmul(rec_grads, ones).sum(axis=0)])
        pieces = ((x, dx), (kernel, dkernel), (bias, dbias), (recurrent_kernel, drecurrent), (h0, dh0))
        return tuple(grad for parent, grad in pieces if parent is not None)

    return Tensor._result(out, tuple(parents), backward, "gru")


def fused_rnn(x: Tensor, kernel: Tensor, bias: Tensor | None, recurrent_kernel: Tensor, h0: Tensor | None,
              space: Workspace, sequences: bool = True, mask: Any = None, zero_masked: bool = False) -> Tensor:
    """Keras's default SimpleRNN (tanh; the lecture's Elman network, ``h ← tanh(x W + b + h U)``) without recurrent
    dropout as one op, written as :func:`fused_lstm` is: the inputs' product for all steps at once, transposed
    steps, the slope 1 − h² for all steps before the backward's loop, the weights' gradients as batched products.
    Returns (N, steps + 1, units), each step's h then the final h (only the final h, (N, 1, units), with
    ``sequences`` False); ``mask`` and ``zero_masked`` as :func:`recurrence`'s."""
    xp = backend.xp()
    matmul = xp.matmul
    xd, kd, ud = x.data, kernel.data, recurrent_kernel.data
    n, steps, features = xd.shape
    u, dtype = ud.shape[0], xd.dtype
    hs = space.empty("h", (steps + 1, u, n), dtype)  # h_t at t + 1, transposed: a unit per row
    hs[0] = 0 if h0 is None else h0.data.T
    matmul(kd.T.astype(dtype, copy=False), xd.transpose(1, 2, 0), out=hs[1:])  # x W first, then + b + h U, tanh
    if bias is not None:
        hs[1:] += bias.data[:, None]
    recurrent_t = xp.ascontiguousarray(ud.T)
    product = xp.empty((u, n), dtype=dtype)
    on, off = _step_masks(mask, dtype)
    for t in range(steps):
        h = hs[t + 1]
        if t or h0 is not None:
            matmul(recurrent_t, hs[t], out=product)
            h += product
        xp.tanh(h, out=h)
        if mask is not None:
            xp.copyto(h, hs[t], where=off[t])
    out = _packed(space, hs, [hs[steps]], sequences, mask, zero_masked)
    parents = [p for p in (x, kernel, bias, recurrent_kernel, h0) if p is not None]

    def backward(g: Any) -> tuple[Any, ...]:
        slopes = space.empty("slopes", hs[1:].shape, dtype)  # tanh' = 1 − h², zero on a skipped step
        xp.multiply(hs[1:], hs[1:], out=slopes)
        xp.subtract(1, slopes, out=slopes)
        if mask is not None:
            slopes *= on
        grads = space.empty("dgates", slopes.shape, dtype)  # of each step's x W + b + h U
        given = _given(space, g, hs, on, zero_masked) if sequences else None
        dh = xp.ascontiguousarray(g[:, -1].T)
        other = xp.empty((u, n), dtype=dtype)
        for t in reversed(range(steps)):
            if sequences:
                dh += given[t]
            xp.multiply(dh, slopes[t], out=grads[t])
            if t or h0 is not None:
                matmul(ud, grads[t], out=other)
                if mask is not None:
                    xp.copyto(other, dh, where=off[t])
                dh, other = other, dh
        dx, dkernel, drecurrent, dh0 = _grads_of(space, x, kernel, kd, recurrent_kernel, h0, hs, grads, grads, dh)
        dbias = matmul(grads, xp.ones(n, dtype=dtype)).sum(axis=0) if _wanted(bias) else None
        pieces = ((x, dx), (kernel, dkernel), (bias, dbias), (recurrent_kernel, drecurrent), (h0, dh0))
        return tuple(grad for parent, grad in pieces if parent is not None)

    return Tensor._result(out, tuple(parents), backward, "simple_rnn")


# ----------------------------------------------------------------------------- the layers


def _units(value: Any, owner: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{owner} units must be a whole number of at least 1 (the size of its state), got "
                          f"{value!r}; e.g. {owner}(32).")
    return int(value)



def _flag(value: Any, owner: str, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"{owner} {name} must be True or False, got {value!r}.")
    return bool(value)


def _as_mask(mask: Any, x: Tensor, who: str) -> Any:
    """A mask for ``x`` (N, steps, …) as a boolean device array (N, steps), or one ShapeError sentence."""
    raw = mask.data if isinstance(mask, Tensor) else mask
    raw = backend.to_device(np.asarray(raw) if not hasattr(raw, "shape") else raw)
    if tuple(raw.shape) != tuple(x.shape[:2]):
        raise ShapeError(f"{who} got a mask of shape {tuple(raw.shape)} for sequences of shape {tuple(x.shape)}; "
                         "give one True (a step to read) or False (padding) per step: shape (batch, steps).")
    return raw.astype(bool)


# a recurrent layer's or cell's weights, by attribute, and the argument giving each one's constraint
WEIGHT_CONSTRAINTS = {"kernel": "kernel_constraint", "recurrent_kernel": "recurrent_constraint",
                      "bias": "bias_constraint"}
WEIGHT_REGULARIZERS = {"kernel": "kernel_regularizer", "recurrent_kernel": "recurrent_regularizer",
                       "bias": "bias_regularizer"}


def take_constraints(target: Any, kwargs: dict[str, Any]) -> None:
    """Take Keras's three weight constraints out of ``kwargs`` and set them on ``target`` (a recurrent layer or
    cell), every one checked first; the weights made later carry them."""
    for key, constraint in constraints.checked(kwargs, tuple(WEIGHT_CONSTRAINTS.values())).items():
        setattr(target, key, constraint)


def refuse_stateful(stateful: Any, owner: str) -> None:
    """Refuse ``stateful=True`` in one sentence: fnlearn's recurrent layers start each batch from given states."""
    if _flag(stateful, owner, "stateful"):
        raise ConfigError(f"{owner} got stateful=True, which fnlearn does not have; leave it out (each batch "
                          "starts from zero states), or pass the states yourself with initial_state=.")


def weight_settings(target: Any, owner: str, units: Any, use_bias: Any, initializers_: tuple[Any, Any, Any],
                    regularizers_: tuple[Any, Any, Any], dropout: Any, recurrent_dropout: Any, seed: Any) -> None:
    """Check and set what a recurrent layer and a cell share: ``units``, ``use_bias``, the initializers and
    regularizers of kernel, recurrent kernel and bias, the two dropout rates and the seed of their masks."""
    target.units = _units(units, owner)
    target.use_bias = _flag(use_bias, owner, "use_bias")
    target.kernel_initializer, target.recurrent_initializer, target.bias_initializer = (
        initializers.get(i) for i in initializers_)
    target.kernel_regularizer, target.recurrent_regularizer, target.bias_regularizer = (
        regularizers.get(r) for r in regularizers_)
    target.dropout = dropout_rate(dropout, f"{owner} dropout")
    target.recurrent_dropout = dropout_rate(recurrent_dropout, f"{owner} recurrent_dropout")
    target.seed = None if seed is None else backend.check_seed(
        seed, f"{owner} seed", "e.g. seed=0, or None for one drawn from fl.set_seed's generator")
    target.draws = 0  # training calls that drew dropout masks: the stream Dropout's masks come from


def weight_config(layer: Any) -> dict[str, Any]:
    """The config entries of :func:`weight_settings`, as a model file records them."""
    config = {"units": layer.units, "use_bias": layer.use_bias,
              "kernel_initializer": initializers.name_of(layer.kernel_initializer),
              "recurrent_initializer": initializers.name_of(layer.recurrent_initializer),
              "bias_initializer": initializers.name_of(layer.bias_initializer),
              "dropout": layer.dropout, "recurrent_dropout": layer.recurrent_dropout, "seed": layer.seed}
    for key in ("kernel_regularizer", "recurrent_regularizer", "bias_regularizer"):
        if getattr(layer, key) is not None:
            config[key] = regularizers.serialize(getattr(layer, key))
    return config


def checked_states(given: Any, owner: Any, x: Tensor, who: str, what: str = "initial_state",
                   one: str = "initial state", shape: tuple[int, ...] | None = None) -> list[Tensor]:
    """``given`` (one state or a list) as the ``owner``'s ``state_count`` tensors of (batch, units) in ``x``'s dtype,
    for a layer's ``initial_state`` or a cell's ``states``; a wrong count or shape refused in one sentence. ``shape``
    is a state's shape after the batch where it is not (units,): a convolutional LSTM's state is an image."""
    sizes = ", ".join(map(str, (owner.units,) if shape is None else shape))
    states = list(given) if isinstance(given, (list, tuple)) else [given]
    if len(states) != owner.state_count:
        need = "[h, c] (two states)" if owner.state_count == 2 else "[h] (one state)"
        raise DataError(f"{who} got {what} with {len(states)} states; it takes {need}, each of shape "
                        f"(batch, {sizes}).")
    out = []
    for k, state in enumerate(states):
        state = as_input(state, x.dtype, owner.name)
        if tuple(state.shape) != (x.shape[0], *((owner.units,) if shape is None else shape)):
            named = "(batch, units) = " if shape is None else ""
            raise ShapeError(f"{who} got {one} {k} of shape {tuple(state.shape)}; it takes {named}"
                             f"({x.shape[0]}, {sizes}), one state per sequence.")
        out.append(state)
    return out


def forget_bias(initializer: Any, shape: tuple[int, ...], units: int) -> Any:
    """An LSTM's bias from ``initializer``, its forget gate's (the second block of ``units``) at 1: the cell is
    kept at first (Keras's ``unit_forget_bias``)."""
    bias = initializer(shape)
    bias[units:2 * units] = 1
    return bias


class _Recurrent(Layer):
    """What SimpleRNN, LSTM and GRU share: settings, weights, dropout masks, masking, the states in and out."""

    _cell: type[_Cell] = _Cell
    supports_masking = True
    _weight_constraints = WEIGHT_CONSTRAINTS
    _weight_regularizers = WEIGHT_REGULARIZERS

    def _setup(self, owner: str, units: Any, activation: Any, recurrent_activation: Any, use_bias: Any,
               initializers_: tuple[Any, Any, Any], regularizers_: tuple[Any, Any, Any], dropout: Any,
               recurrent_dropout: Any, seed: Any, return_sequences: Any, return_state: Any, go_backwards: Any,
               stateful: Any, name: str | None, kwargs: dict[str, Any]) -> None:
        """Check every setting (before anything is set), then make the layer."""
        take_constraints(self, kwargs)
        kwargs.pop("unroll", None)  # Keras unrolls the loop into its graph; fnlearn's loop is one op either way
        kwargs.pop("implementation", None)  # the old choice between Keras's two ways to compute the same values
        _reject_unknown_kwargs(owner, kwargs, allow=("input_shape", "input_dim"))
        refuse_stateful(stateful, owner)
        weight_settings(self, owner, units, use_bias, initializers_, regularizers_, dropout, recurrent_dropout, seed)
        self.activation_name = _activation(activation, owner, "activation")
        self.recurrent_activation_name = _activation(recurrent_activation, owner, "recurrent_activation")
        self.activation = F.ACTIVATIONS[self.activation_name]  # Keras's attributes (the cells run their array forms)
        self.recurrent_activation = F.ACTIVATIONS[self.recurrent_activation_name]
        self.return_sequences = _flag(return_sequences, owner, "return_sequences")
        self.return_state = _flag(return_state, owner, "return_state")
        self.go_backwards = _flag(go_backwards, owner, "go_backwards")
        self.zero_output_for_mask = False  # Bidirectional sets it, as Keras's does
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), input_dim=kwargs.get("input_dim"),
                         trainable=kwargs.get("trainable", True), dtype=kwargs.get("dtype"))
        self.kernel: Parameter | None = None
        self.recurrent_kernel: Parameter | None = None
        self.bias: Parameter | None = None
        self._workspace = Workspace()
        if self.input_shape is not None:
            self.build(self.input_shape)

    @functools.cached_property
    def _steps(self) -> _Cell:
        """The cell that computes the steps, made once: its settings are fixed when the layer is made, and an
        LSTM's keeps the rows that make its gates one pass each."""
        return self._cell(self.activation_name, self.recurrent_activation_name, getattr(self, "reset_after", True))

    def _bias_shape(self) -> tuple[int, ...]:
        return (self._cell.gates * self.units,)

    def weight_shapes(self, features: int) -> dict[str, tuple[int, ...]]:
        """The shapes of the weights for inputs of ``features`` numbers per step, by name.

        >>> LSTM(3).weight_shapes(5)
        {'kernel': (5, 12), 'recurrent_kernel': (3, 12), 'bias': (12,)}
        """
        width = self._cell.gates * self.units
        shapes = {"kernel": (features, width), "recurrent_kernel": (self.units, width)}
        if self.use_bias:
            shapes["bias"] = self._bias_shape()
        return shapes

    def _check_shape(self, input_shape: Any) -> tuple[int | None, int]:
        shape = tuple(input_shape)
        if len(shape) != 2:
            raise ShapeError(f"{type(self).__name__} layer {self.name!r} takes sequences, samples of shape (steps, "
                             f"features), got samples of shape {shape}; put an Embedding before it for word "
                             "indices, or reshape each sample to (steps, 1) for one number per step.")
        steps = None if shape[0] is None else int(shape[0])  # unknown until the data come: Input(shape=(None, 8))
        return steps, known_features(shape, f"{type(self).__name__} layer {self.name!r}")

    def build(self, input_shape: tuple[int, ...]) -> None:
        features = self._check_shape(input_shape)[1]
        shapes = self.weight_shapes(features)
        with backend.using_dtype(self.dtype):
            self.kernel = Parameter(self.kernel_initializer(shapes["kernel"]), name="kernel")
            self.recurrent_kernel = Parameter(self.recurrent_initializer(shapes["recurrent_kernel"]),
                                              name="recurrent_kernel")
            self.bias = Parameter(self._initial_bias(shapes["bias"]), name="bias") if self.use_bias else None
        self.built = True

    def _initial_bias(self, shape: tuple[int, ...]) -> Any:
        return self.bias_initializer(shape)

    @property
    def input_features(self) -> int | None:
        return None if self.kernel is None else int(self.kernel.shape[0])

    @property
    def state_count(self) -> int:
        return 1 + self._cell.carries

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> Any:
        steps = self._check_shape(input_shape)[0]
        out = (steps, self.units) if self.return_sequences else (self.units,)
        return [out, *[(self.units,)] * self.state_count] if self.return_state else out

    def compute_mask(self, inputs: Any, mask: Any) -> Any:
        return mask if self.return_sequences else None

    def forward(self, x: Any, mask: Any = None, initial_state: Any = None) -> Any:
        x = as_input(x, np.dtype(self.dtype) if self.kernel is not None else _float_of(x), self.name)
        self._check_shape(x.shape[1:])
        if self.kernel is None:
            self.build(tuple(x.shape[1:]))
        if x.shape[2] != self.kernel.shape[0]:
            raise ShapeError(f"{type(self).__name__} layer {self.name!r} was built for {self.kernel.shape[0]} "
                             f"features per step but got sequences of shape {tuple(x.shape)}; give it sequences "
                             "of the features it was built for.")
        states = self._initial_states(initial_state, x)
        if mask is not None:
            mask = _as_mask(mask, x, f"{type(self).__name__} layer {self.name!r}")
        if self.go_backwards:
            x = F.getitem(x, (slice(None), slice(None, None, -1)))
            mask = None if mask is None else mask[:, ::-1]
        gates, u = self._cell.gates, self.units
        train = self.training
        steps = x.shape[1]
        dropping = train and (self.dropout > 0.0 or self.recurrent_dropout > 0.0)
        keras_defaults = (self.activation_name, self.recurrent_activation_name) == ("tanh", "sigmoid")
        if isinstance(self._steps, _LSTMCell) and keras_defaults and not dropping:
            packed = fused_lstm(x, self.kernel, self.bias, self.recurrent_kernel, *states, space=self._workspace,
                                sequences=self.return_sequences, mask=mask, zero_masked=self.zero_output_for_mask)
        elif isinstance(self._steps, _GRUCell) and self._steps.reset_after and keras_defaults and not dropping:
            packed = fused_gru(x, self.kernel, self.bias, self.recurrent_kernel, states[0], self._workspace,
                               self.return_sequences, mask, self.zero_output_for_mask)
        elif type(self._steps) is _Cell and self.activation_name == "tanh" and not dropping:
            packed = fused_rnn(x, self.kernel, self.bias, self.recurrent_kernel, states[0], self._workspace,
                               self.return_sequences, mask, self.zero_output_for_mask)
        else:
            xw = self._inputs_times_kernel(x, train)
            masks = None
            if train and self.recurrent_dropout > 0.0:
                masks = dropout_mask(self, (gates, x.shape[0], u), x.dtype, self.recurrent_dropout)
            rbias = None
            if self.bias is not None and self.bias.ndim == 2:  # GRU's reset_after: (input bias, recurrent bias)
                rbias = F.getitem(self.bias, 1)
            packed = recurrence(self._steps, xw, self.recurrent_kernel, rbias, *states, mask=mask, masks=masks,
                                space=self._workspace, zero_masked=self.zero_output_for_mask)
        last = packed.shape[1] - self.state_count  # the final h: after the steps' outputs, if kept
        output = F.getitem(packed, (slice(None), slice(0, steps))) if self.return_sequences else \
            F.getitem(packed, (slice(None), last))
        if self.return_sequences and mask is not None:
            output._mask = mask[:, ::-1] if self.go_backwards else mask
        if not self.return_state:
            return output
        return [output, *(F.getitem(packed, (slice(None), last + k)) for k in range(self.state_count))]

    def _inputs_times_kernel(self, x: Tensor, train: bool) -> Tensor:
        """x @ kernel + bias for every step at once, time first (steps, N, gates·units); in training with dropout,
        each gate sees its own mask."""
        x = F.transpose(x, (1, 0, 2))
        bias = self.bias
        if bias is not None and bias.ndim == 2:
            bias = F.getitem(bias, 0)
        if not (train and self.dropout > 0.0):
            return F.dense(x, self.kernel, bias)
        gates, u = self._cell.gates, self.units
        drop = dropout_mask(self, (gates, 1, x.shape[1], x.shape[2]), x.dtype, self.dropout)
        parts = [F.dense(F.mul(x, Tensor(drop[k])), F.getitem(self.kernel, (slice(None), slice(k * u, (k + 1) * u))),
                         None if bias is None else F.getitem(bias, slice(k * u, (k + 1) * u)))
                 for k in range(gates)]
        return F.concatenate(parts, axis=-1)

    def _initial_states(self, initial_state: Any, x: Tensor) -> tuple[Tensor | None, Tensor | None]:
        if initial_state is None:
            return None, None
        states = checked_states(initial_state, self, x, f"{type(self).__name__} layer {self.name!r}")
        return states[0], (states[1] if len(states) > 1 else None)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units, "activation": self.activation_name,
                **weight_config(self), "return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards}


class SimpleRNN(_Recurrent):
    """The plain recurrent layer, Keras's ``layers.SimpleRNN``: ``h_t = activation(x_t W + h_{t-1} U + b)``, one
    state of ``units`` numbers carried along the sequence.

    Samples are sequences of shape (steps, features); the output is the last state (units,), or every step's
    (steps, units) with ``return_sequences=True`` (to stack another recurrent layer on it). ``return_state=True``
    adds the final state; ``go_backwards=True`` reads the sequence from its end (and returns the outputs in that
    order, as Keras does); ``dropout`` and ``recurrent_dropout`` drop inputs and carried states with one mask per
    sequence, the same at every step. A mask (``Embedding(mask_zero=True)``, ``Masking``) skips padding steps.

    >>> import fnlearn as fl, numpy as np
    >>> rnn = fl.layers.SimpleRNN(4, return_sequences=True)
    >>> rnn(np.ones((2, 3, 5))).shape, rnn.kernel.shape, rnn.recurrent_kernel.shape
    ((2, 3, 4), (5, 4), (4, 4))
    """

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 return_sequences: bool = False, return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        self._setup("SimpleRNN", units, activation, "sigmoid", use_bias,
                    (kernel_initializer, recurrent_initializer, bias_initializer),
                    (kernel_regularizer, recurrent_regularizer, bias_regularizer), dropout, recurrent_dropout, seed,
                    return_sequences, return_state, go_backwards, stateful, name, kwargs)


class LSTM(_Recurrent):
    """Long short-term memory, Keras's ``layers.LSTM``: besides the output h it carries a cell c that gates
    decide, step by step, to keep (f), to write (i, with the candidate from ``activation``) and to show (o), so
    gradients reach far back along c without vanishing.

    Settings, masks and outputs as :class:`SimpleRNN`'s; ``return_state=True`` gives ``[output, h, c]``.
    ``unit_forget_bias=True`` (Keras's default) starts the forget gate's bias at 1 (keep the cell at first).

    >>> import fnlearn as fl, numpy as np
    >>> lstm = fl.layers.LSTM(4)
    >>> lstm(np.ones((2, 3, 5))).shape, lstm.kernel.shape, lstm.bias.numpy()[4:8].tolist()
    ((2, 4), (5, 16), [1.0, 1.0, 1.0, 1.0])
    """

    _cell = _LSTMCell

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 return_sequences: bool = False, return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        self.unit_forget_bias = _flag(unit_forget_bias, "LSTM", "unit_forget_bias")
        self._setup("LSTM", units, activation, recurrent_activation, use_bias,
                    (kernel_initializer, recurrent_initializer, bias_initializer),
                    (kernel_regularizer, recurrent_regularizer, bias_regularizer), dropout, recurrent_dropout, seed,
                    return_sequences, return_state, go_backwards, stateful, name, kwargs)

    def _initial_bias(self, shape: tuple[int, ...]) -> Any:
        if self.unit_forget_bias:
            return forget_bias(self.bias_initializer, shape, self.units)
        return self.bias_initializer(shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "recurrent_activation": self.recurrent_activation_name,
                "unit_forget_bias": self.unit_forget_bias}


class GRU(_Recurrent):
    """Gated recurrent unit, Keras's ``layers.GRU``: an update gate z mixes the old state with a candidate whose
    view of the old state a reset gate r scales: ``h_t = z·h_{t-1} + (1 − z)·tanh(x W_h + r·(h_{t-1} U_h + b))``.

    ``reset_after=True`` (Keras 3's default, and cuDNN's) applies r after U_h, with a second bias row (bias of
    shape (2, 3·units)); ``reset_after=False`` applies it to h before U_h (Keras 1's form). Settings, masks and
    outputs as :class:`SimpleRNN`'s.

    >>> import fnlearn as fl, numpy as np
    >>> gru = fl.layers.GRU(4)
    >>> gru(np.ones((2, 3, 5))).shape, gru.bias.shape, fl.layers.GRU(4, reset_after=False).weight_shapes(5)["bias"]
    ((2, 4), (2, 12), (12,))
    """

    _cell = _GRUCell

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, stateful: bool = False,
                 reset_after: bool = True, seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        self.reset_after = _flag(reset_after, "GRU", "reset_after")
        self._setup("GRU", units, activation, recurrent_activation, use_bias,
                    (kernel_initializer, recurrent_initializer, bias_initializer),
                    (kernel_regularizer, recurrent_regularizer, bias_regularizer), dropout, recurrent_dropout, seed,
                    return_sequences, return_state, go_backwards, stateful, name, kwargs)

    def _bias_shape(self) -> tuple[int, ...]:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "recurrent_activation": self.recurrent_activation_name,
                "reset_after": self.reset_after}


_MERGES = ("concat", "sum", "mul", "ave")


def _from_config(spec: dict[str, Any]) -> Layer:
    """The recurrent layer a Bidirectional's config names: one of the fused classes or RNN of one of fnlearn's
    cells, nothing else looked up."""
    from .cells import RNN

    classes = {"SimpleRNN": SimpleRNN, "LSTM": LSTM, "GRU": GRU, "RNN": RNN}
    cls = classes.get(spec.get("class_name"))
    config = spec.get("config")
    if cls is None or not isinstance(config, dict):
        raise ConfigError(f"Bidirectional's layer config must name SimpleRNN, LSTM, GRU or RNN with its settings, "
                          f"got {spec.get('class_name')!r}.")
    return cls(**config)


def _copy(layer: Layer, name: str, go_backwards: bool) -> Layer:
    """A new recurrent layer with ``layer``'s settings and weights of its own (an RNN, a copy of its cell), as
    Keras's Bidirectional makes its two from the layer's config."""
    from .cells import RNN, fresh_cell

    config = layer.get_config()
    config.pop("input_shape", None)
    if isinstance(layer, RNN):
        config["cell"] = fresh_cell(layer.cell, "Bidirectional")
    return type(layer)(**{**config, "name": name, "go_backwards": go_backwards})


class Bidirectional(Layer):
    """A recurrent layer reading the sequence both ways, Keras's ``layers.Bidirectional``: a copy of ``layer`` reads
    it from the end (``go_backwards``), and ``merge_mode`` joins the two outputs: "concat" (the default: 2·units
    numbers), "sum", "mul", "ave" or None (a list of both). ``layer`` is a SimpleRNN, LSTM or GRU, or an RNN of a
    cell, whose two copies get copies of the cell made from its ``get_config()``, as in Keras.

    With ``return_sequences`` the backward layer's outputs are put back in the sequence's order, so step t of the
    output sees the whole sequence around t; with a mask, padding steps output zeros (Keras's rule here).
    ``return_state=True`` adds both layers' final states (forward's, then backward's). The weights are the forward
    layer's, then the backward's, as in Keras.

    >>> import fnlearn as fl, numpy as np
    >>> both = fl.layers.Bidirectional(fl.layers.LSTM(4, return_sequences=True, name="lstm"))
    >>> both(np.ones((2, 3, 5))).shape, both.forward_layer.name, both.backward_layer.go_backwards
    ((2, 3, 8), 'forward_lstm', True)
    """

    supports_masking = True

    def __init__(self, layer: Any, merge_mode: str | None = "concat", weights: Any = None,
                 backward_layer: Any = None, name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("Bidirectional", kwargs, allow=("input_shape",))
        from .cells import RNN  # here: cells.py builds on this module

        if isinstance(layer, dict):  # its config, from a model file
            layer = _from_config(layer)
        if not isinstance(layer, (_Recurrent, RNN)):
            raise ConfigError(f"Bidirectional takes a recurrent layer (SimpleRNN, LSTM, GRU or RNN of a cell), got "
                              f"{type(layer).__name__}; e.g. Bidirectional(LSTM(32)).")
        if merge_mode not in (*_MERGES, None):
            raise ConfigError(f"Bidirectional merge_mode must be 'concat', 'sum', 'mul', 'ave' or None, got "
                              f"{merge_mode!r}.")
        if weights is not None:
            raise ConfigError("Bidirectional got weights=, which fnlearn does not take; call set_weights(...) on the "
                              "layer once it is built.")
        if backward_layer is not None:
            if not isinstance(backward_layer, (_Recurrent, RNN)) or backward_layer.go_backwards == layer.go_backwards \
                    or any(getattr(backward_layer, a) != getattr(layer, a) for a in ("return_sequences",
                                                                                      "return_state")):
                raise ConfigError("Bidirectional's backward_layer must be a recurrent layer with go_backwards "
                                  "opposite to the layer's and the same return_sequences and return_state; or "
                                  "leave it out for a reversed copy of the layer.")
        base = layer.name.removeprefix("forward_")
        forward = _copy(layer, f"forward_{base}", layer.go_backwards)
        if backward_layer is None:
            backward_layer = _copy(layer, f"backward_{base}", not layer.go_backwards)
        input_shape = kwargs.get("input_shape", layer.input_shape)
        super().__init__(name=name, input_shape=input_shape, trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype", layer.dtype))
        self.merge_mode = merge_mode
        self.forward_layer = forward
        self.backward_layer = backward_layer
        for inner in (forward, backward_layer):
            inner.zero_output_for_mask = inner.return_sequences
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        if self.input_shape is not None:
            self.build(self.input_shape)

    def build(self, input_shape: tuple[int, ...]) -> None:
        self.forward_layer.build(tuple(input_shape))
        self.backward_layer.build(tuple(input_shape))
        self.built = True

    @property
    def input_features(self) -> int | None:
        return self.forward_layer.input_features

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> Any:
        one = self.forward_layer.compute_output_shape(input_shape)
        back = self.backward_layer.compute_output_shape(input_shape)
        out, states = (one[0], one[1:] + back[1:]) if self.return_state else (one, [])
        other = back[0] if self.return_state else back
        if self.merge_mode is None:
            return [out, other, *states]
        merged = (*out[:-1], out[-1] + other[-1]) if self.merge_mode == "concat" else out
        return [merged, *states] if self.return_state else merged

    def compute_mask(self, inputs: Any, mask: Any) -> Any:
        return mask if self.return_sequences else None

    def forward(self, x: Any, mask: Any = None, initial_state: Any = None) -> Any:
        halves: tuple[Any, Any] = (None, None)
        if initial_state is not None:
            given = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            half = len(given) // 2
            halves = (given[:half], given[half:])
        one = self.forward_layer(x, mask=mask, initial_state=halves[0])
        back = self.backward_layer(x, mask=mask, initial_state=halves[1])
        states: list[Any] = []
        if self.return_state:
            states = [*one[1:], *back[1:]]
            one, back = one[0], back[0]
        if self.return_sequences:
            back = F.getitem(back, (slice(None), slice(None, None, -1)))
        if self.merge_mode is None:
            return [one, back, *states]
        if self.merge_mode == "concat":
            out = F.concatenate([one, back], axis=-1)
        elif self.merge_mode == "sum":
            out = one + back
        elif self.merge_mode == "mul":
            out = one * back
        else:
            out = (one + back) * 0.5
        if self.return_sequences and mask is not None:
            out._mask = one._mask
        return [out, *states] if self.return_state else out

    def get_config(self) -> dict[str, Any]:
        inner = self.forward_layer.get_config()
        inner["name"] = inner["name"].removeprefix("forward_")
        return {**super().get_config(), "layer": {"class_name": type(self.forward_layer).__name__, "config": inner},
                "merge_mode": self.merge_mode}


class Masking(Layer):
    """Marks the steps whose features all equal ``mask_value`` as padding, Keras's ``layers.Masking``: the
    recurrent layers after it skip them (and ``GlobalAveragePooling1D`` leaves them out of its mean). The values
    pass through, the masked steps set to zero.

    >>> import fnlearn as fl, numpy as np
    >>> out = fl.layers.Masking(0.0)(np.array([[[1.0], [0.0], [2.0]]]))
    >>> out._mask.tolist(), out.numpy().ravel().tolist()
    ([[True, False, True]], [1.0, 0.0, 2.0])
    """

    supports_masking = True

    def __init__(self, mask_value: float = 0.0, name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("Masking", kwargs, allow=("input_shape",))
        if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float, np.integer, np.floating)):
            raise ConfigError(f"Masking mask_value must be a number (the value padding steps hold, e.g. 0.0), got "
                              f"{mask_value!r}.")
        self.mask_value = float(mask_value)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        if x.ndim < 3:
            raise ShapeError(f"Masking layer {self.name!r} takes sequences, samples of shape (steps, features), got "
                             f"samples of shape {tuple(x.shape[1:])}; reshape each sample to (steps, 1) for one "
                             "number per step.")
        xp = backend.xp()
        keep = xp.any(x.data != x.data.dtype.type(self.mask_value), axis=tuple(range(2, x.ndim)))
        out = F.mul(x, Tensor(keep.reshape(*keep.shape, *(1,) * (x.ndim - 2)).astype(x.dtype)))
        out._mask = keep
        return out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mask_value": self.mask_value}


RECURRENT: dict[str, type[Layer]] = {"SimpleRNN": SimpleRNN, "LSTM": LSTM, "GRU": GRU,
                                     "Bidirectional": Bidirectional, "Masking": Masking}
LAYERS.update(RECURRENT)  # the classes a model file may name
