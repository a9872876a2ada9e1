"""Keras 3's control flow and functional ops, run eagerly on fnlearn tensors: ``cond``, ``switch``, ``while_loop``,
``fori_loop``, ``scan``, ``associative_scan``, ``map``, ``vectorized_map``, ``custom_gradient``, and the indexed
updates ``select``, ``slice_update``, ``scatter``, ``scatter_update``, ``get_item``.

fnlearn traces eagerly, so a loop is a Python loop and a branch a Python ``if``: the gradient flows through every
step that ran. The loop state may be a tensor or a nested tuple, list or dict of them, as in Keras.

Example:
    >>> import fnlearn as fl
    >>> from fnlearn.keras import ops
    >>> x = fl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> total, partial = ops.scan(lambda c, v: (c + v, c * v), 0.0, x)
    >>> float(total), partial.numpy().tolist()
    (6.0, [0.0, 2.0, 9.0])
    >>> ops.fori_loop(0, 3, lambda i, v: v * 2.0, x).numpy().tolist()
    [8.0, 16.0, 24.0]
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..tensor import Tensor, no_grad
from ._missing import not_provided
from .ops import _t, concatenate, stack, where

# ----------------------------------------------------------------------------- nested structures


def _flatten(tree: Any) -> list[Any]:
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _flatten(item)]
    if isinstance(tree, dict):
        return [leaf for key in sorted(tree) for leaf in _flatten(tree[key])]
    return [tree]


def _unflatten(tree: Any, leaves: list[Any]) -> Any:
    """``leaves`` put back in ``tree``'s nesting (consumed from the front)."""
    if isinstance(tree, (tuple, list)):
        return type(tree)(_unflatten(item, leaves) for item in tree)
    if isinstance(tree, dict):
        return {key: _unflatten(tree[key], leaves) for key in sorted(tree)}
    return leaves.pop(0)


def _bool(pred: Any, who: str) -> bool:
    value = pred.data if isinstance(pred, Tensor) else np.asarray(pred)
    if np.size(value) != 1:
        raise ShapeError(f"{who} needs a single boolean condition, got {np.size(value)} values; reduce it first "
                         "(ops.all / ops.any).")
    return builtins.bool(backend.to_numpy(value).reshape(()))


# ----------------------------------------------------------------------------- branches and loops


def cond(pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """``true_fn()`` if ``pred`` else ``false_fn()``; the gradient flows through the branch taken."""
    return true_fn() if _bool(pred, "cond") else false_fn()


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """``branches[index](*operands)``, the index clamped into range (as Keras's)."""
    if not branches:
        raise ConfigError("switch got no branches; pass a list of functions.")
    i = int(backend.to_numpy(_t(index).data).reshape(()))
    return branches[builtins.min(builtins.max(i, 0), len(branches) - 1)](*operands)


def while_loop(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Any,
               maximum_iterations: int | None = None) -> Any:
    """Run ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` (at most ``maximum_iterations`` times)."""
    is_tuple = isinstance(loop_vars, (tuple, list))
    state = tuple(loop_vars) if is_tuple else (loop_vars,)
    steps = 0
    while (maximum_iterations is None or steps < maximum_iterations) and _bool(cond(*state), "while_loop's cond"):
        out = body(*state)
        state = tuple(out) if is_tuple else (out,)
        steps += 1
    return state if is_tuple else state[0]


def fori_loop(lower: int, upper: int, body_fun: Callable[[int, Any], Any], init_val: Any) -> Any:
    """``val = body_fun(i, val)`` for i in [lower, upper); returns the last ``val``."""
    val = init_val
    for i in range(int(_t(lower).data), int(_t(upper).data)):
        val = body_fun(i, val)
    return val


def _length(xs: Any, who: str) -> int:
    lengths = {int(_t(leaf).shape[0]) for leaf in _flatten(xs)}
    if len(lengths) != 1:
        raise ShapeError(f"{who} needs every array of xs to have the same first-axis length, got {sorted(lengths)}.")
    return lengths.pop()


def _stack_outputs(outs: list[Any], who: str) -> Any:
    if not outs:
        return None
    columns = list(zip(*[_flatten(o) for o in outs]))
    stacked = [None if c[0] is None else stack([_t(v) for v in c]) for c in columns]
    return _unflatten(outs[0], stacked)


def scan(f: Callable[[Any, Any], tuple[Any, Any]], init: Any, xs: Any = None, length: int | None = None,
         reverse: bool = False, unroll: Any = 1) -> tuple[Any, Any]:
    """``carry, y = f(carry, x)`` over the first axis of ``xs`` (or ``length`` times with x None); returns the last
    carry and the ys stacked."""
    if xs is None and length is None:
        raise ConfigError("scan needs xs or length; pass the sequence to scan over, or length=n with xs=None.")
    n = _length(xs, "scan") if xs is not None else int(length)
    if length is not None and int(length) != n:
        raise ShapeError(f"scan got length={length} but xs has {n} steps; pass one of them, or matching ones.")
    leaves = _flatten(xs) if xs is not None else []
    carry, ys = init, [None] * n
    for i in (range(n - 1, -1, -1) if reverse else range(n)):
        x = _unflatten(xs, [F.getitem(_t(leaf), i) for leaf in leaves]) if xs is not None else None
        carry, ys[i] = f(carry, x)
    return carry, _stack_outputs(ys, "scan")


def associative_scan(f: Callable[[Any, Any], Any], elems: Any, reverse: bool = False, axis: int = 0) -> Any:
    """The running combination f(…f(f(e0, e1), e2)…) along ``axis`` (a cumulative sum for ``f = add``); ``f``
    gets slices that keep the axis, as Keras passes them."""
    leaves = [_t(leaf) for leaf in _flatten(elems)]
    ax = F._one_axis(axis, leaves[0].ndim, "associative_scan")
    n = leaves[0].shape[ax]
    head = (builtins.slice(None),) * ax

    def at(i: int) -> Any:
        return _unflatten(elems, [F.getitem(leaf, (*head, builtins.slice(i, i + 1))) for leaf in leaves])

    order = list(range(n - 1, -1, -1)) if reverse else list(range(n))
    acc = at(order[0])
    outs = {order[0]: acc}
    for i in order[1:]:
        acc = f(acc, at(i)) if not reverse else f(at(i), acc)
        outs[i] = acc
    columns = list(zip(*[_flatten(outs[i]) for i in range(n)]))
    return _unflatten(elems, [concatenate([_t(v) for v in c], axis=ax) for c in columns])


def map(f: Callable[[Any], Any], xs: Any) -> Any:  # noqa: A001  (Keras's name)
    """``f`` applied to each slice of ``xs`` along its first axis, the results stacked."""
    n = _length(xs, "map")
    leaves = _flatten(xs)
    return _stack_outputs([f(_unflatten(xs, [F.getitem(_t(leaf), i) for leaf in leaves])) for i in range(n)], "map")


def vectorized_map(function: Callable[[Any], Any], elements: Any) -> Any:
    """``function`` applied to each slice of ``elements`` along the first axis, stacked (a loop, as ``map``)."""
    return map(function, elements)


def custom_gradient(f: Callable[..., Any]) -> Callable[..., Tensor]:
    """Decorate ``f(*args) -> (output, grad_fn)``; ``grad_fn(upstream)`` returns the gradient of each argument (a
    tensor, or a tuple, None for no gradient), which backward then uses instead of differentiating ``f``."""
    def wrapper(*args: Any, **kwargs: Any) -> Tensor:
        inputs = [_t(a) if isinstance(a, (Tensor, np.ndarray, float, int, list)) else a for a in args]
        detached = [Tensor(a.data, dtype=a.dtype) if isinstance(a, Tensor) else a for a in inputs]
        result = f(*detached, **kwargs)
        if not (isinstance(result, (tuple, list)) and len(result) == 2 and callable(result[1])):
            raise ConfigError("custom_gradient's function must return (output, grad_fn); got "
                              f"{type(result).__name__}. Return the value and a function of the upstream gradient.")
        output, grad_fn = result
        output = _t(output)
        parents = tuple(a for a in inputs if isinstance(a, Tensor))

        def backward(g: Any) -> tuple[Any, ...]:
            with no_grad():
                grads = grad_fn(Tensor(g, dtype=g.dtype))
            grads = list(grads) if isinstance(grads, (tuple, list)) else [grads]
            if len(grads) != len(parents):
                raise ConfigError(f"custom_gradient's grad_fn returned {len(grads)} gradients for {len(parents)} "
                                  "tensor arguments; return one per argument (None for none).")
            return tuple(None if gr is None else F._unbroadcast(_t(gr).data, p.shape, p.dtype)
                         for gr, p in zip(grads, parents))

        return Tensor._result(output.data, parents, backward, "custom_gradient")

    wrapper.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapper.__doc__ = f.__doc__
    return wrapper


# ----------------------------------------------------------------------------- indexing and updates


def get_item(x: Any, key: Any) -> Tensor:
    """``x[key]``, differentiable."""
    return F.getitem(_t(x), key)


def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> Tensor:
    """From each position, the value of the first choice whose condition holds, else ``default``; differentiable in
    the choices."""
    if len(condlist) != len(choicelist):
        raise ShapeError(f"select got {len(condlist)} conditions and {len(choicelist)} choices; pass one choice per "
                         "condition.")
    out = _t(default)
    for c, v in zip(reversed(condlist), reversed(choicelist)):
        out = where(c, v, out)
    return out


def _index_columns(indices: Any, who: str) -> tuple[Any, ...]:
    idx = np.asarray(backend.to_numpy(_t(indices).data)).astype(np.int64)
    if idx.ndim < 1:
        raise ShapeError(f"{who} needs indices of shape (n, k): n positions of k coordinates, got a scalar.")
    if idx.ndim == 1:
        idx = idx[:, None]
    return tuple(idx[..., j] for j in range(idx.shape[-1]))


def slice_update(inputs: Any, start_indices: Sequence[Any], updates: Any) -> Tensor:
    """``inputs`` with the block at ``start_indices`` replaced by ``updates``; differentiable in both."""
    x, u = _t(inputs), _t(updates)
    if u.dtype != x.dtype:
        u = F.cast(u, x.dtype) if u.requires_grad else Tensor(u.data.astype(x.dtype))
    starts = [int(backend.to_numpy(_t(s).data)) for s in start_indices]
    if len(starts) != x.ndim or u.ndim != x.ndim:
        raise ShapeError(f"slice_update got inputs of shape {x.shape}, {len(starts)} start indices and updates of "
                         f"shape {u.shape}; pass one start per axis and updates with as many axes.")
    block = tuple(builtins.slice(s, s + n) for s, n in zip(starts, u.shape))
    out = x.data.copy()
    out[block] = u.data

    def backward(g: Any) -> tuple[Any, Any]:
        gx = g.copy()
        gx[block] = 0
        return gx, g[block]

    return Tensor._result(out, (x, u), backward, "slice_update")


def scatter(indices: Any, values: Any, shape: Any) -> Tensor:
    """Zeros of ``shape`` with ``values`` added at ``indices`` (n, k) (repeats add up); differentiable in
    ``values``."""
    v = _t(values)
    cols = _index_columns(indices, "scatter")
    xp = backend.xp()
    dtype = v.dtype if v.dtype.kind == "f" else v.dtype
    out = xp.zeros(tuple(int(s) for s in shape), dtype=dtype)
    xp.add.at(out, cols, v.data)
    return Tensor._result(out, (v,), lambda g: (g[cols],), "scatter")


def scatter_update(inputs: Any, indices: Any, updates: Any, reduction: str | None = None) -> Tensor:
    """``inputs`` with the values at ``indices`` (n, k) set to ``updates`` (``reduction`` "add", "max", "min" or
    "mul" combines them instead); differentiable for None and "add"."""
    x, u = _t(inputs), _t(updates)
    cols = _index_columns(indices, "scatter_update")
    xp = backend.xp()
    out = x.data.copy()
    data = u.data.astype(x.dtype)
    written = None
    if reduction is None:
        # of repeated positions the last update is written, as NumPy does; CuPy leaves which one unspecified, so
        # the others are dropped before the write and the value (and its gradient) is the same on every backend
        flat = np.ravel_multi_index(tuple(np.asarray(c).ravel() for c in cols), x.shape[:len(cols)])
        written = np.zeros(len(flat), bool)
        written[len(flat) - 1 - np.unique(flat[::-1], return_index=True)[1]] = True
        rows = xp.broadcast_to(data, (*cols[0].shape, *x.shape[len(cols):])).reshape(len(flat), *x.shape[len(cols):])
        out[tuple(np.asarray(c).ravel()[written] for c in cols)] = rows[written]
    elif reduction in ("add", "max", "min", "mul"):
        {"add": xp.add, "max": xp.maximum, "min": xp.minimum, "mul": xp.multiply}[reduction].at(out, cols, data)
    else:
        raise ConfigError(f"scatter_update got reduction={reduction!r}; it takes None, 'add', 'max', 'min' or "
                          "'mul'.")

    def backward(g: Any) -> tuple[Any, Any]:
        if reduction not in (None, "add"):
            raise ConfigError(f"scatter_update(reduction={reduction!r}) has no gradient in fnlearn; use None or "
                              "'add', or wrap it in ops.stop_gradient.")
        gx = g.copy()
        gu = g[cols]
        if reduction is None:
            gx[cols] = 0
            gu = gu.copy()
            gu.reshape((len(written), *gu.shape[np.ndim(cols[0]):]))[~written] = 0  # updates that were not written
        return gx, gu.astype(u.dtype) if u.dtype.kind == "f" else None

    return Tensor._result(out, (x, u), backward, "scatter_update")


__all__ = ["cond", "switch", "while_loop", "fori_loop", "scan", "associative_scan", "map", "vectorized_map",
           "custom_gradient", "get_item", "select", "slice_update", "scatter", "scatter_update"]

__getattr__ = not_provided(__name__, __all__)
