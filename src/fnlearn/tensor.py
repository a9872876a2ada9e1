"""Tensor and reverse-mode automatic differentiation.

A :class:`Tensor` holds an array (``.data``) and, when it was made by an op on tensors that need
gradients, the op's parents and a ``backward`` function that turns the gradient of the op's output
into gradients of its inputs. ``loss.backward()`` walks that graph once, in reverse topological
order, without recursion, so a chain of any length works.

Example (Tsai's worked example: L = (b1 + 2·w1 − w2 − 3)² at (1, −1, 2)):
    >>> import fnlearn as fl
    >>> w1, w2, b1 = (fl.tensor(v, requires_grad=True, dtype="float64") for v in (1.0, -1.0, 2.0))
    >>> L = (b1 + 2 * w1 - w2 - 3) ** 2
    >>> L.backward(); (L.item(), float(w1.grad), float(w2.grad), float(b1.grad))
    (4.0, 8.0, -4.0, 4.0)
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from . import backend
from .errors import ConfigError, DataError, ShapeError

_grad_enabled = True

Backward = Callable[[Any], Sequence[Any]]


def is_grad_enabled() -> bool:
    """True unless inside ``fl.no_grad()``."""
    return _grad_enabled


@contextmanager
def no_grad() -> Iterator[None]:
    """Run ops without recording them for back-propagation (inference, weight updates).

    >>> import fnlearn as fl
    >>> w = fl.tensor([1.0], requires_grad=True)
    >>> with fl.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    global _grad_enabled
    previous = _grad_enabled
    _grad_enabled = False
    try:
        yield
    finally:
        _grad_enabled = previous


def as_array(data: Any, dtype: Any = None, *, name: str = "data") -> Any:
    """Turn user data into a backend array with fnlearn's dtype rule, or say what is wrong.

    The rule: Python numbers and nested lists become the default float dtype; NumPy float arrays keep
    float32/float64 (float16 is widened to the default); integer and bool arrays are kept as they are,
    because they are labels, indices or masks. Strings, objects and complex numbers are refused.
    """
    if isinstance(data, Tensor):
        data = data.data
    backend.check_device(data, name)
    if dtype is not None:
        dtype = np.dtype(dtype)
    if backend.is_array(data) and not isinstance(data, np.ndarray):
        arr = data  # already on the device
    else:
        try:
            arr = np.asarray(data)
        except (ValueError, TypeError) as exc:
            if "inhomogeneous" in str(exc):
                raise DataError(f"{name} is a nested list whose rows have different lengths; give every row "
                                "the same number of values.") from None
            raise DataError(
                f"{name} could not be turned into an array ({exc}); pass a number, a nested list of "
                "equal-length rows, or a NumPy array."
            ) from None
    if arr.dtype == object and arr.size and all(isinstance(v, (numbers.Real, np.bool_)) for v in arr.flat):
        # numbers stored as Python objects, e.g. np.array(df) of a table with bool and float columns
        arr = arr.astype(np.float64)
    kind = arr.dtype.kind
    if kind in "OUSV" or kind == "M" or kind == "m":
        raise DataError(
            f"{name} has dtype {arr.dtype} ({_kind_words(kind)}), but fnlearn needs numbers; convert "
            "text columns to numbers (or drop them) before passing the data."
        )
    if kind == "c":
        raise DataError(
            f"{name} holds complex numbers (dtype {arr.dtype}), but fnlearn works on real numbers; "
            "pass the real part (x.real) or the magnitude (abs(x))."
        )
    if dtype is None:
        # Python numbers and lists carry no dtype of their own: they get the default float dtype
        from_array = isinstance(data, (np.ndarray, np.generic)) or arr is data
        if kind == "f" and from_array and arr.dtype in (np.float32, np.float64):
            dtype = arr.dtype
        elif kind == "f" or (not from_array and kind in "iu"):
            dtype = np.dtype(backend.float_dtype())
        else:
            dtype = arr.dtype
    if arr.dtype != dtype:
        arr = arr.astype(dtype)
    return backend.to_device(arr) if isinstance(arr, np.ndarray) else arr


def _kind_words(kind: str) -> str:
    return {"O": "Python objects", "U": "text", "S": "bytes", "V": "raw records", "M": "dates",
            "m": "time spans"}.get(kind, "not numbers")



def _no_out(keepdims: Any, out: Any, name: str, dtype: Any = None) -> Any:
    """``keepdims``, once NumPy's ``out=`` and ``dtype=`` are checked to ask for nothing fnlearn does not do."""
    if out is not None or dtype is not None:
        raise ConfigError(f"np.{name} on a tensor takes no out= or dtype= (fnlearn makes a new tensor); leave them "
                          f"out, or call np.{name} on t.numpy().")
    return keepdims

class Tensor:
    """An array that remembers how it was computed, so gradients can flow back through it.

    >>> import fnlearn as fl
    >>> x = fl.tensor([[1.0, 2.0]], requires_grad=True)
    >>> y = (x * x).sum(); y.backward(); x.grad
    array([[2., 4.]], dtype=float32)
    """

    # _mask, unset on most tensors: which steps of a batch of sequences are real (True) and which padding,
    # (batch, steps); set by Embedding(mask_zero=True) and Masking, read by the layers after them
    __slots__ = ("data", "grad", "requires_grad", "_parents", "_backward", "_op", "_logits", "_masked_grad",
                 "name", "_mask", "__weakref__")
    __array_priority__ = 1000  # so ndarray + Tensor defers to Tensor.__radd__

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None):
        self.data = as_array(data, dtype)
        if requires_grad and self.data.dtype.kind != "f":
            raise DataError(
                f"requires_grad=True needs a float tensor, but the data has dtype {self.data.dtype}; "
                "pass float values or dtype='float32'."
            )
        self.grad: Any = None
        self.requires_grad = bool(requires_grad)
        self._parents: tuple[Tensor, ...] = ()
        self._backward: Backward | None = None
        self._op = ""
        self._logits: Tensor | None = None  # set by softmax/sigmoid so losses can fuse to the stable form
        # set by an op ending in ReLU: a one-item list where a consumer may put the gradient it hands back when
        # that gradient is already zero wherever this tensor is, so the op skips its own mask for that array
        self._masked_grad: list[Any] | None = None
        self.name = name

    @classmethod
    def _result(cls, data: Any, parents: tuple[Tensor, ...], backward: Backward, op: str) -> Tensor:
        """Wrap an op's output; record the graph only when some parent needs a gradient."""
        out = cls.__new__(cls)
        out.data = data
        out.grad = None
        out._op = op
        out._logits = None
        out._masked_grad = None
        out.name = None
        if _grad_enabled and any(p.requires_grad for p in parents):
            out.requires_grad = True
            out._parents = parents
            out._backward = backward
        else:
            out.requires_grad = False
            out._parents = ()
            out._backward = None
        return out

    # ----------------------------------------------------------------- array facts
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return int(self.data.size)

    @property
    def is_leaf(self) -> bool:
        return self._backward is None

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor; use .item() for its value.")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def numpy(self) -> np.ndarray:
        """The values as a NumPy array on the host (a copy when the tensor lives on a GPU)."""
        return backend.to_numpy(self.data)

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ShapeError(f"item() needs a tensor with one element, but this one has shape {self.shape}; "
                             "reduce it first, e.g. t.sum().item().")
        return self.data.reshape(()).item()

    def detach(self) -> Tensor:
        """The same values, cut off from the graph (no gradient flows through)."""
        return Tensor(self.data, dtype=self.data.dtype)

    def astype(self, dtype: Any) -> Tensor:
        from .functional import cast

        return cast(self, dtype)

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        return f"tensor({body}, dtype={self.dtype}{grad})"

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __format__(self, spec: str) -> str:
        """``f"{t:.2f}"`` formats a one-element tensor as its number (TensorFlow's tensors do the same)."""
        if not spec:
            return str(self)
        if self.data.size != 1:
            raise ShapeError(f"the format {spec!r} needs a tensor with one element, but this one has shape "
                             f"{self.shape}; format its elements (t.numpy()) or reduce it first.")
        return format(self.item(), spec)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        arr = self.numpy()
        return arr.astype(dtype) if dtype is not None else arr

    # ----------------------------------------------------------------- autodiff
    def backward(self, grad: Any = None) -> None:
        """Back-propagate: add d(self)/d(leaf) times ``grad`` into every leaf's ``.grad``.

        ``grad`` may be omitted only for a one-element output (a loss). Gradients of intermediate
        tensors are freed as soon as they have been passed on.
        """
        if not self.requires_grad:
            raise DataError(
                "backward() was called on a tensor that does not require grad; create the inputs or "
                "parameters with requires_grad=True (or use fl.Parameter) before computing the loss."
            )
        xp = backend.xp()
        if grad is None:
            if self.data.size != 1:
                raise ShapeError(
                    f"backward() without a gradient needs a one-element output, but this tensor has shape "
                    f"{self.shape}; reduce it to a scalar (e.g. .sum() or .mean()) or pass grad= of that shape."
                )
            grad = xp.ones_like(self.data)
        else:
            # a copy: the caller's array must not become (and be changed as) a leaf's .grad
            grad = xp.array(as_array(grad, self.data.dtype, name="grad"), copy=True)
            if grad.shape != self.data.shape:
                raise ShapeError(f"backward(grad=...) got shape {tuple(grad.shape)}, but the tensor has shape "
                                 f"{self.shape}; pass a gradient of the same shape.")
        order = self._topological_order()
        grads: dict[int, Any] = {id(self): grad}
        given_to_leaves: set[int] = set()
        for node in order:
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if node._backward is None:
                if node.grad is not None:
                    node.grad = node.grad + g
                    continue
                # A leaf must own its gradient: one array may reach two leaves (a + b), a view may share
                # memory with another leaf's gradient (a reshape), and reductions pass back read-only views.
                owned = (id(g) not in given_to_leaves and g.base is None and g.flags.c_contiguous
                         and getattr(g.flags, "writeable", True))
                if not owned:
                    g = g.copy()
                given_to_leaves.add(id(g))
                node.grad = g
                continue
            for parent, pg in zip(node._parents, node._backward(g)):
                if pg is None or not parent.requires_grad:
                    continue
                key = id(parent)
                previous = grads.get(key)
                grads[key] = pg if previous is None else previous + pg

    def _topological_order(self) -> list[Tensor]:
        """Nodes from this output back to the leaves, each after every node that uses it (no recursion)."""
        order: list[Tensor] = []
        visited: set[int] = set()
        stack: list[tuple[Tensor, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            for parent in node._parents:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
        order.reverse()
        return order

    def zero_grad(self) -> None:
        self.grad = None

    # ----------------------------------------------------------------- operators (see functional.py)
    def __add__(self, other: Any) -> Tensor:
        return F.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return F.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return F.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return F.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return F.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return F.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return F.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return F.div(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return F.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return F.pow(other, self)

    def __neg__(self) -> Tensor:
        return F.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return F.abs(self)

    def __matmul__(self, other: Any) -> Tensor:
        return F.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return F.matmul(other, self)

    def __getitem__(self, index: Any) -> Tensor:
        return F.getitem(self, index)

    # comparisons give plain boolean tensors (no gradient), handy for masks and accuracy
    def __lt__(self, other: Any) -> Tensor:
        return Tensor(self.data < _raw(other))

    def __le__(self, other: Any) -> Tensor:
        return Tensor(self.data <= _raw(other))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor(self.data > _raw(other))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor(self.data >= _raw(other))

    # & | ^ ~ on boolean masks (bitwise on integers), as on NumPy arrays: no gradient
    def __and__(self, other: Any) -> Tensor:
        return _bits("&", self, other)

    def __rand__(self, other: Any) -> Tensor:
        return _bits("&", other, self)

    def __or__(self, other: Any) -> Tensor:
        return _bits("|", self, other)

    def __ror__(self, other: Any) -> Tensor:
        return _bits("|", other, self)

    def __xor__(self, other: Any) -> Tensor:
        return _bits("^", self, other)

    def __rxor__(self, other: Any) -> Tensor:
        return _bits("^", other, self)

    def __invert__(self) -> Tensor:
        return _bits("~", self)

    __hash__ = object.__hash__

    # ----------------------------------------------------------------- methods
    @property
    def T(self) -> Tensor:
        return F.transpose(self)

    def transpose(self, *axes: int) -> Tensor:
        return F.transpose(self, axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes or None)

    def reshape(self, *shape: Any) -> Tensor:
        return F.reshape(self, shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape)

    def flatten(self, start_axis: int = 0) -> Tensor:
        return F.flatten(self, start_axis)

    def expand_dims(self, axis: int) -> Tensor:
        return F.expand_dims(self, axis)

    def squeeze(self, axis: int | tuple[int, ...] | None = None) -> Tensor:
        return F.squeeze(self, axis)

    # ``out=None`` is what NumPy passes when a tensor is given to np.sum / np.mean / np.max / np.min (the
    # tutorials' ``np.max(tf.nn.softmax(logits))``): those then give fnlearn's result
    def sum(self, axis: Any = None, keepdims: bool = False, out: None = None) -> Tensor:
        return F.sum(self, axis, _no_out(keepdims, out, "sum"))

    def mean(self, axis: Any = None, keepdims: bool = False, out: None = None, dtype: None = None) -> Tensor:
        return F.mean(self, axis, _no_out(keepdims, out, "mean", dtype))

    def max(self, axis: Any = None, keepdims: bool = False, out: None = None) -> Tensor:
        return F.max(self, axis, _no_out(keepdims, out, "max"))

    def min(self, axis: Any = None, keepdims: bool = False, out: None = None) -> Tensor:
        return F.min(self, axis, _no_out(keepdims, out, "min"))

    def exp(self) -> Tensor:
        return F.exp(self)

    def log(self) -> Tensor:
        return F.log(self)

    def sqrt(self) -> Tensor:
        return F.sqrt(self)

    def abs(self) -> Tensor:
        return F.abs(self)

    def clip(self, low: Any = None, high: Any = None) -> Tensor:
        return F.clip(self, low, high)

    def relu(self) -> Tensor:
        return F.relu(self)

    def sigmoid(self) -> Tensor:
        return F.sigmoid(self)

    def tanh(self) -> Tensor:
        return F.tanh(self)

    def softmax(self, axis: int = -1) -> Tensor:
        return F.softmax(self, axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return F.log_softmax(self, axis)


def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


_BITS = {"&": "bitwise_and", "|": "bitwise_or", "^": "bitwise_xor", "~": "invert"}


def _bits(sign: str, *operands: Any) -> Tensor:
    """``a & b``, ``a | b``, ``a ^ b`` or ``~a`` of boolean (or integer) tensors; floats are refused."""
    xp = backend.xp()
    values = [_raw(x) for x in operands]
    for v in values:
        dtype = v.dtype if hasattr(v, "dtype") else np.asarray(v).dtype
        if dtype.kind not in "biu":
            raise DataError(f"'{sign}' combines boolean masks (or integers), got a value of dtype {dtype}; "
                            "compare first (x > 0) or cast it to bool.")
    return Tensor(getattr(xp, _BITS[sign])(*values))


class Parameter(Tensor):
    """A tensor a model learns: always float, always ``requires_grad=True``, always its own copy of the data.

    Its dtype is ``dtype`` when given, else the default float dtype (float32 unless
    ``fl.set_default_dtype("float64")``), whatever the dtype of the array it was made from.

    >>> import fnlearn as fl, numpy as np
    >>> w = fl.Parameter(np.zeros((3, 2))); w.requires_grad, w.dtype
    (True, dtype('float32'))
    """

    __slots__ = ("_constraint", "_path")

    def __init__(self, data: Any, dtype: Any = None, name: str | None = None):
        self._constraint: Callable[[Any], Any] | None = None
        dtype = backend.float_dtype() if dtype is None else dtype
        arr = as_array(data, dtype, name="Parameter data")
        if arr.dtype.kind != "f":
            raise DataError(f"a Parameter must be float, but dtype {arr.dtype} was asked for; use 'float32' or "
                            "'float64'.")
        source = data.data if isinstance(data, Tensor) else data
        if arr is source:
            # optimizers update parameters in place: never share (and change) the caller's array
            arr = arr.copy()
        super().__init__(arr, requires_grad=True, name=name)

    @property
    def trainable(self) -> bool:
        """Whether training updates the weight (Keras's ``variable.trainable``): a frozen layer's weights and
        statistics such as a BatchNormalization's moving mean are not.

        >>> import fnlearn as fl, numpy as np
        >>> fl.Parameter(np.zeros(2)).trainable
        True
        """
        return bool(self.requires_grad)

    @property
    def path(self) -> str:
        """Where the weight lives, Keras's ``variable.path``: ``"<layer name>/<weight name>"`` for a layer's weight
        (``"dense/kernel"``), the name alone for one made on its own. Keras also puts the names of the models
        around the layer in front (``"sequential/dense/kernel"``); fnlearn's path starts at the layer that made the
        weight, which is what Muon's ``exclude_layers`` and the embeddings test match.

        >>> import fnlearn as fl
        >>> layer = fl.layers.Dense(2, name="head"); layer.build((3,))
        >>> layer.kernel.path, fl.Parameter([1.0], name="scale").path
        ('head/kernel', 'scale')
        """
        try:
            return self._path
        except AttributeError:  # made on its own (or a copy of an older weight)
            return str(self.name or "")

    def placed(self, owner: str, key: str) -> None:
        """Record ``owner``'s layer as where the weight lives (its :attr:`path`), unless another layer made it
        first: a weight shared with a second layer keeps the first one's path."""
        if not hasattr(self, "_path"):
            self._path = f"{owner}/{self.name or key}"

    @property
    def constraint(self) -> Callable[[Any], Any] | None:
        """The projection the optimizer applies to the weight right after each update of it (Keras's
        ``variable.constraint``): a ``keras.constraints`` object or a function of the weight's array; None: none.

        >>> import fnlearn as fl, numpy as np
        >>> w = fl.Parameter(np.array([-1.0, 2.0])); w.constraint = fl.nn.constraints.NonNeg()
        >>> w.apply_constraint(); w.numpy().tolist()
        [0.0, 2.0]
        """
        try:
            return self._constraint
        except AttributeError:  # a weight made without __init__ (a copy of an older one)
            return None

    @constraint.setter
    def constraint(self, value: Callable[[Any], Any] | None) -> None:
        if value is not None and not callable(value):
            raise ConfigError(f"a weight's constraint must be callable (a keras.constraints object or a function "
                              f"of the weight's array), got {type(value).__name__} {value!r}; pass one, or None.")
        self._constraint = value

    def apply_constraint(self) -> None:
        """Replace the weight's values by its constraint's projection of them, in place (views of the weight see
        the new values); nothing without a constraint."""
        constraint = self.constraint
        if constraint is None:
            return
        out = constraint(self.data)
        out = out.data if isinstance(out, Tensor) else out
        if not hasattr(out, "shape"):
            out = backend.xp().asarray(out)
        if tuple(out.shape) != tuple(self.shape):
            raise ShapeError(f"the constraint {constraint!r} of weight {self.name!r} gave values of shape "
                             f"{tuple(out.shape)} for a weight of shape {tuple(self.shape)}; a constraint must "
                             "return values of the weight's shape.")
        self.data[...] = out

    @property
    def value(self) -> Parameter:
        """The weight itself (Keras's ``variable.value``, the backend's tensor: here the weight is one), so that a
        Keras train_step's ``[v.value.grad for v in self.trainable_weights]`` reads each gradient."""
        return self

    def assign(self, value: Any) -> Parameter:
        """Give the weight new values (Keras's ``variable.assign``); not part of any gradient.

        The values go into a new array: a graph built before still holds the old ones, so its gradients are
        those of the values it computed with.

        >>> import fnlearn as fl, numpy as np
        >>> w = fl.Parameter(np.zeros(2)); w.assign_add([1.0, 2.0]).assign_sub([0.5, 0.5]).numpy().tolist()
        [0.5, 1.5]
        """
        value = self._assignable(value, "assign")
        self.data = backend.xp().broadcast_to(value, self.shape).astype(self.data.dtype, copy=True)
        return self

    def assign_add(self, value: Any) -> Parameter:
        """Add ``value`` (Keras's ``variable.assign_add``), into a new array as :meth:`assign` does."""
        self.data = self.data + self._assignable(value, "assign_add")
        return self

    def assign_sub(self, value: Any) -> Parameter:
        """Subtract ``value`` (Keras's ``variable.assign_sub``), into a new array as :meth:`assign` does."""
        self.data = self.data - self._assignable(value, "assign_sub")
        return self

    def _assignable(self, value: Any, what: str) -> Any:
        """``value`` as an array of this parameter's dtype and shape (or one that broadcasts to it), on its device."""
        arr = value.data if isinstance(value, Tensor) else backend.to_device(as_array(value, self.data.dtype,
                                                                                     name=f"{what} value"))
        try:
            fits = arr.shape == self.shape or np.broadcast_shapes(arr.shape, self.shape) == self.shape
        except ValueError:
            fits = False
        if not fits:
            raise ShapeError(f"{what} got a value of shape {arr.shape} for a weight of shape {self.shape}; give "
                             "values of the weight's shape.")
        return arr.astype(self.data.dtype, copy=False)

    def __repr__(self) -> str:
        return "Parameter(" + super().__repr__()[len("tensor("):]


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None) -> list[Tensor | None]:
    """The gradients of ``outputs`` (a tensor, or a list whose gradients add up) with respect to each of ``inputs``
    (weights and other tensors made with ``requires_grad=True``), without touching any tensor's ``.grad``: PyTorch's
    ``torch.autograd.grad``, what TensorFlow's ``tape.gradient`` gives. An input the outputs do not depend on gets
    None. ``grad_outputs``: the gradient to start each output from (needed for outputs of several values).

    >>> import fnlearn as fl
    >>> w = fl.Parameter([2.0, 3.0]); b = fl.Parameter([1.0])
    >>> gw, gb = grad((w * w).sum() + b.sum(), [w, b])
    >>> gw.numpy().tolist(), gb.numpy().tolist(), w.grad is None
    ([4.0, 6.0], [1.0], True)
    """
    outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    seeds = list(grad_outputs) if isinstance(grad_outputs, (list, tuple)) else [grad_outputs] * len(outs)
    wanted = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    stray = next((x for x in [*outs, *wanted] if not isinstance(x, Tensor)), None)
    if stray is not None:
        raise DataError(f"grad takes fl.Tensor outputs and inputs, got a {type(stray).__name__}; compute the outputs "
                        "with fnlearn's ops from tensors made with requires_grad=True (or weights).")
    if len(seeds) != len(outs):
        raise ShapeError(f"grad got {len(seeds)} grad_outputs for {len(outs)} outputs; give one per output.")
    graph = [node for out in outs if out.requires_grad for node in out._topological_order()]
    inner = next((x for x in wanted if x._backward is not None and any(x is node for node in graph)), None)
    if inner is not None:
        raise DataError(f"grad takes gradients with respect to weights and tensors made with requires_grad=True "
                        f"(leaves of the graph), but one input of shape {inner.shape} was computed by an op; ask for "
                        "the gradient of the tensors it was computed from.")
    # every leaf's .grad is put back afterwards, so the gradients of one output never mix with another's
    leaves = {id(node): node for node in graph if node._backward is None}
    for x in wanted:
        leaves.setdefault(id(x), x)
    kept = {key: leaf.grad for key, leaf in leaves.items()}
    try:
        for leaf in leaves.values():
            leaf.grad = None
        for out, seed in zip(outs, seeds):
            if out.requires_grad:
                out.backward(seed)
        found = [None if x.grad is None else Tensor(x.grad) for x in wanted]
    finally:
        for key, leaf in leaves.items():
            leaf.grad = kept[key]
    return found


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """Make a tensor from a number, nested list, NumPy array or tensor.

    Python numbers become the default float dtype (``fl.set_default_dtype``); NumPy float32/float64
    arrays keep their dtype; integer and bool NumPy arrays stay integer/bool (labels, masks).

    >>> import fnlearn as fl
    >>> fl.tensor([[1, 2], [3, 4]]).dtype
    dtype('float32')
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


from . import functional as F  # noqa: E402  (functional builds on Tensor; imported last to break the cycle)
