"""``tf`` for Keras programs: ``from fnlearn.compat import tensorflow as tf`` instead of TensorFlow.

``tf.keras`` is :mod:`fnlearn.keras`, so ``tf.keras.Sequential``, ``tf.keras.layers.Dense``,
``tf.keras.optimizers.Adam``, ``tf.keras.utils.to_categorical``, ``tf.keras.datasets.mnist`` (and ``imdb``,
``reuters``, ``boston_housing``, ``fashion_mnist``, ``cifar10``, ``cifar100``, ``california_housing``),
``tf.keras.preprocessing.sequence.pad_sequences`` work, and so
do imports such as ``from fnlearn.compat.tensorflow.keras.models import Sequential``.
``tf.random.set_seed`` seeds fnlearn, and ``tf.nn`` holds the activations (``tf.nn.relu``, ``tf.nn.softmax``…).
``tf.data`` holds fnlearn's :class:`~fnlearn.pipeline.Dataset` (``tf.data.Dataset.from_tensor_slices((x, y))``
with ``batch``, ``shuffle``, ``map``, ``cache``, ``prefetch``…, what ``fit`` takes), ``tf.data.AUTOTUNE`` and
``tf.data.experimental.cardinality``; ``tf.keras.utils.image_dataset_from_directory`` gives such a dataset.
For custom losses and metrics there are ``tf.math`` (``log``, ``exp``, ``sqrt``, ``abs``, ``square``, ``log1p``,
``reduce_*``, ``maximum``, ``minimum``, ``equal``, ``sigmoid``, ``tanh``, ``softplus``), ``tf.reduce_mean`` /
``reduce_sum`` / ``reduce_max`` / ``reduce_min``, ``tf.square``, ``tf.sqrt``, ``tf.abs``, ``tf.exp``,
``tf.maximum``, ``tf.minimum``, ``tf.equal``, ``tf.matmul``, ``tf.reshape``, ``tf.expand_dims``, ``tf.squeeze``,
``tf.transpose``, ``tf.cast``, ``tf.constant``, ``tf.convert_to_tensor``, ``tf.argmax`` and the dtypes ``tf.float16``,
``tf.float32``, ``tf.float64``, ``tf.int32``, ``tf.int64``, ``tf.bool`` (and ``tf.newaxis``, for
``x[..., tf.newaxis]``), with TensorFlow's argument names and defaults; ``tf.GradientTape``, for a ``train_step``
written with it (``tape.gradient(loss, self.trainable_weights)``, then ``optimizer.apply_gradients``); they return
fnlearn tensors, differentiable where TensorFlow's are. Two differences: Python integers become floats (fnlearn's rule,
where TensorFlow makes int32), and ``reduce_mean`` of integers gives a float mean (TensorFlow's rounds it).
Nothing else of TensorFlow is provided; asking for it says so.

Example:
    >>> from fnlearn.compat import tensorflow as tf
    >>> model = tf.keras.Sequential([tf.keras.layers.Dense(5, activation="relu", input_shape=(5,)),
    ...                              tf.keras.layers.Dense(1, activation="sigmoid")])
    >>> model.num_parameters()
    36
    >>> model.compile("adam", loss=lambda y_true, y_pred: tf.reduce_mean(tf.square(y_true - y_pred)))
    >>> float(tf.reduce_mean(tf.math.log(tf.constant([1.0, 100.0])), keepdims=True)[0])  # doctest: +ELLIPSIS
    2.302585...
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from .. import __version__, backend, keras, pipeline
from .. import functional as F
from ..backend import set_seed, xp
from ..errors import ShapeError
from ..keras import ops as _ops
from ..tensor import Tensor
from ..tensor import grad as _grad

# Make `tensorflow.keras.<module>` importable under this name: `import a.b.c` looks in sys.modules first.
for _sub in ("", ".models", ".layers", ".optimizers", ".losses", ".metrics", ".callbacks", ".utils",
             ".datasets", ".datasets.mnist", ".datasets.fashion_mnist", ".datasets.boston_housing", ".datasets.imdb",
             ".datasets.reuters", ".datasets.cifar10", ".datasets.cifar100", ".datasets.california_housing",
             ".activations", ".initializers", ".backend", ".optimizers.schedules",
             ".optimizers.legacy", ".regularizers", ".ops", ".preprocessing", ".preprocessing.sequence", ".saving"):
    sys.modules[f"{__name__}.keras{_sub}"] = importlib.import_module(f"fnlearn.keras{_sub}")

random = SimpleNamespace(set_seed=set_seed)
newaxis = None  # x[..., tf.newaxis]: NumPy's own new axis, as TensorFlow's is

# tf.nn's activations, as fnlearn's own functions: ``Dense(10, activation=tf.nn.relu)`` saves by name and
# trains like activation="relu", and ``tf.nn.softmax(model(x)).numpy()`` (the quickstart) works.
class _Namespace(SimpleNamespace):
    """``tf.nn`` / ``tf.math``: a name they do not hold says what they do hold."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        have = ", ".join(sorted(vars(self)))
        raise AttributeError(f"this tf namespace has no {name!r} in fnlearn's stand-in for TensorFlow; it has: "
                             f"{have}.")


def _cardinality(input_dataset: Any) -> int:
    """The number of elements of a dataset (−1 infinite, −2 unknown), ``tf.data.experimental.cardinality``."""
    return input_dataset.cardinality()


data = _Namespace(Dataset=pipeline.Dataset, AUTOTUNE=pipeline.AUTOTUNE, INFINITE_CARDINALITY=pipeline.INFINITE,
                  UNKNOWN_CARDINALITY=pipeline.UNKNOWN,
                  experimental=_Namespace(AUTOTUNE=pipeline.AUTOTUNE, cardinality=_cardinality,
                                          INFINITE_CARDINALITY=pipeline.INFINITE,
                                          UNKNOWN_CARDINALITY=pipeline.UNKNOWN))

nn = _Namespace(**{name: getattr(F, name) for name in (
    "relu", "relu6", "sigmoid", "tanh", "softmax", "log_softmax", "softplus", "elu", "selu", "gelu", "silu",
    "swish")})

# the dtypes, for tf.cast(x, tf.float32) and tf.constant(v, dtype=tf.int64): NumPy's, which fnlearn takes
float32, float64, int32, int64 = np.float32, np.float64, np.int32, np.int64
float16 = np.float16


def _axis(axis: Any) -> Any:
    """TensorFlow's ``axis`` (None, an int, a list or a tensor of ints) as fnlearn takes it."""
    if isinstance(axis, Tensor):
        axis = axis.numpy().tolist()
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def reduce_mean(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Tensor:
    """Mean over ``axis`` (None: all values); integers give a float mean (TensorFlow's rounds)."""
    return _ops.mean(input_tensor, _axis(axis), keepdims)


def reduce_sum(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Tensor:
    """Sum over ``axis`` (None: all values)."""
    return _ops.sum(input_tensor, _axis(axis), keepdims)


def reduce_max(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Tensor:
    """Maximum over ``axis`` (None: all values)."""
    return _ops.max(input_tensor, _axis(axis), keepdims)


def reduce_min(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Tensor:
    """Minimum over ``axis`` (None: all values)."""
    return _ops.min(input_tensor, _axis(axis), keepdims)


def square(x: Any, name: str | None = None) -> Tensor:
    """x², elementwise."""
    return _ops.square(x)


def sqrt(x: Any, name: str | None = None) -> Tensor:
    """√x, elementwise."""
    return _ops.sqrt(x)


def abs(x: Any, name: str | None = None) -> Tensor:  # noqa: A001  (TensorFlow's name)
    """|x|, elementwise."""
    return _ops.abs(x)


def exp(x: Any, name: str | None = None) -> Tensor:
    """eˣ, elementwise."""
    return _ops.exp(x)


def maximum(x: Any, y: Any, name: str | None = None) -> Tensor:
    """Elementwise maximum, broadcast."""
    return _ops.maximum(x, y)


def minimum(x: Any, y: Any, name: str | None = None) -> Tensor:
    """Elementwise minimum, broadcast."""
    return _ops.minimum(x, y)


def equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x == y, elementwise, as booleans (no gradient)."""
    return _ops.equal(x, y)


def matmul(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False, adjoint_a: bool = False,
           adjoint_b: bool = False, a_is_sparse: bool = False, b_is_sparse: bool = False, output_type: Any = None,
           grad_a: bool = False, grad_b: bool = False, name: str | None = None) -> Tensor:
    """a @ b, batched over leading axes; ``transpose_a``/``transpose_b`` (or the adjoints: the same for real
    values) swap the last two axes of an operand first. The sparsity and gradient hints change nothing."""

    def swapped(t: Any) -> Tensor:
        t = _ops.convert_to_tensor(t)
        return F.transpose(t, (*range(t.ndim - 2), t.ndim - 1, t.ndim - 2))

    out = _ops.matmul(swapped(a) if transpose_a or adjoint_a else a, swapped(b) if transpose_b or adjoint_b else b)
    return out if output_type is None else _ops.cast(out, output_type)


def reshape(tensor: Any, shape: Any, name: str | None = None) -> Tensor:
    """The same values in ``shape`` (one axis may be -1)."""
    return _ops.reshape(tensor, shape.numpy().tolist() if isinstance(shape, Tensor) else shape)


def expand_dims(input: Any, axis: int, name: str | None = None) -> Tensor:  # noqa: A002  (TensorFlow's name)
    """The values with a new axis of size 1 at ``axis`` (the image tutorials' channels axis: ``axis=-1``)."""
    return _ops.expand_dims(input, axis)


def squeeze(input: Any, axis: Any = None, name: str | None = None) -> Tensor:  # noqa: A002
    """The values without the axes of size 1 named by ``axis`` (every one of them when None)."""
    return _ops.squeeze(input, tuple(axis) if isinstance(axis, (list, tuple)) else axis)


def transpose(a: Any, perm: Sequence[int] | None = None, conjugate: bool = False, name: str = "transpose") -> Tensor:
    """Axes permuted by ``perm`` (None: reversed); ``conjugate`` changes nothing for real values."""
    return _ops.transpose(a, perm)


def cast(x: Any, dtype: Any, name: str | None = None) -> Tensor:
    """``x`` as ``dtype`` (``tf.float32``…): to a float type the graph is kept; to integers values are truncated."""
    return _ops.cast(x, dtype)


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str = "Const") -> Tensor:
    """A tensor without a gradient holding ``value`` (a tensor's values are copied); with ``shape``, a single
    value fills it and otherwise the values are reshaped to it."""
    if isinstance(value, Tensor):
        value = value.data
    if backend.is_array(value):  # a copy, as TensorFlow makes: later changes of the array do not reach it
        value = value.copy()
    out = Tensor(value, dtype=dtype)
    if shape is None:
        return out
    shape = tuple(int(n) for n in ([shape] if isinstance(shape, (int, np.integer)) else shape))
    if out.size == 1:
        return Tensor(xp().broadcast_to(out.data.reshape(()), shape).copy(), dtype=out.dtype)
    if out.size != int(np.prod(shape)):
        raise ShapeError(f"tf.constant: {out.size} values do not fill shape {shape}; give one value or "
                         f"{int(np.prod(shape))}.")
    return Tensor(out.data.reshape(shape), dtype=out.dtype)


def convert_to_tensor(value: Any, dtype: Any = None, dtype_hint: Any = None, name: str | None = None) -> Tensor:
    """``value`` as an fnlearn tensor; a tensor comes back as it is unless ``dtype`` differs. ``dtype_hint`` is
    used for values that carry no dtype of their own (numbers, lists)."""
    if dtype is None and dtype_hint is not None and not hasattr(value, "dtype"):
        dtype = dtype_hint
    return _ops.convert_to_tensor(value, dtype)


def argmax(input: Any, axis: Any = None, output_type: Any = int64, name: str | None = None) -> Tensor:  # noqa: A002
    """Index of the largest value along ``axis`` (None means 0, as in TensorFlow), as ``output_type`` (int64)."""
    axis = 0 if axis is None else int(axis.item() if isinstance(axis, Tensor) else axis)
    return _ops.cast(_ops.argmax(input, axis), output_type)


def _log(x: Any, name: str | None = None) -> Tensor:
    """The natural logarithm, elementwise."""
    return _ops.log(x)


def _log1p(x: Any, name: str | None = None) -> Tensor:
    """log(1 + x), elementwise, exact for tiny x."""
    return _ops.log1p(x)


def _sigmoid(x: Any, name: str | None = None) -> Tensor:
    """1 / (1 + e^(−x)), elementwise."""
    return F.sigmoid(x)


def _tanh(x: Any, name: str | None = None) -> Tensor:
    """The hyperbolic tangent, elementwise."""
    return F.tanh(x)


def _softplus(features: Any, name: str | None = None) -> Tensor:
    """log(1 + eˣ), elementwise."""
    return F.softplus(features)


math = _Namespace(log=_log, log1p=_log1p, exp=exp, sqrt=sqrt, abs=abs, square=square, reduce_mean=reduce_mean,
                       reduce_sum=reduce_sum, reduce_max=reduce_max, reduce_min=reduce_min, maximum=maximum,
                       minimum=minimum, equal=equal, argmax=argmax, sigmoid=_sigmoid, tanh=_tanh, softplus=_softplus)


class GradientTape:
    """``tf.GradientTape``, for a ``train_step`` written with it (Keras 2's guides, the VAE and GAN examples):
    fnlearn records every op on tensors that need gradients anyway, so the tape itself records nothing, and
    ``tape.gradient(loss, weights)`` gives the gradients by :func:`fnlearn.grad`, leaving every ``.grad`` as it was.
    A tape may be asked more than once (``persistent`` changes nothing). ``watch(x)`` makes a tensor of data one to
    differentiate by (it must then be used after the call, as in TensorFlow).

    >>> import fnlearn as fl
    >>> w = fl.Parameter([3.0])
    >>> with GradientTape() as tape:
    ...     loss = (w * w).sum()
    >>> [g.numpy().tolist() for g in tape.gradient(loss, [w])]
    [[6.0]]
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        self.persistent = persistent

    def __enter__(self) -> GradientTape:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def watch(self, tensor: Any) -> None:
        """Differentiate by ``tensor`` too (one tensor, or a list of them)."""
        for item in tensor if isinstance(tensor, (list, tuple)) else [tensor]:
            if not isinstance(item, Tensor):
                raise ShapeError(f"tape.watch takes fnlearn tensors, got a {type(item).__name__}; make it one first, "
                                 "x = tf.convert_to_tensor(x), and compute with that x after watching it.")
            item.requires_grad = True

    def gradient(self, target: Any, sources: Any, output_gradients: Any = None,
                 unconnected_gradients: Any = "none") -> Any:
        """The gradients of ``target`` with respect to ``sources`` (a tensor, a list or a dict of them), in the
        same form; None for a source the target does not depend on (zeros with
        ``unconnected_gradients="zero"``)."""
        keys = list(sources) if isinstance(sources, dict) else None
        flat = [sources[k] for k in keys] if keys is not None else \
            list(sources) if isinstance(sources, (list, tuple)) else [sources]
        grads = _grad(target, flat, output_gradients)
        if str(getattr(unconnected_gradients, "value", unconnected_gradients)).lower() == "zero":
            grads = [Tensor(xp().zeros_like(s.data)) if g is None else g for g, s in zip(grads, flat)]
        if keys is not None:
            return dict(zip(keys, grads))
        return grads if isinstance(sources, (list, tuple)) else grads[0]


bool = np.bool_  # noqa: A001  (tf.bool; last, so that nothing above sees it instead of Python's bool)

__all__ = ["keras", "random", "nn", "math", "data", "newaxis", "__version__", "reduce_mean", "reduce_sum", "reduce_max",
           "reduce_min", "square", "sqrt", "abs", "exp", "maximum", "minimum", "equal", "matmul", "reshape",
           "expand_dims", "squeeze", "transpose", "cast", "constant", "convert_to_tensor", "argmax", "float16",
           "float32", "float64", "int32", "int64", "bool", "GradientTape"]

_HAVE = ", ".join(f"tf.{n}" for n in __all__ if n not in ("keras", "random", "nn", "math", "data", "newaxis",
                                                           "__version__"))


def __getattr__(name: str) -> Any:
    if name.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    raise AttributeError(f"tf.{name} is not part of fnlearn's stand-in for TensorFlow, which has tf.keras, "
                         f"tf.nn (activations), tf.math, tf.data, tf.random.set_seed and {_HAVE}; use NumPy for the "
                         "rest (e.g. np.linspace).")
