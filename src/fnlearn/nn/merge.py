"""Merge layers: one output from several inputs — the joins of a model that is a graph, not a chain.

``Concatenate`` puts its inputs' features side by side; ``Add``, ``Subtract``, ``Multiply``, ``Average``,
``Maximum`` and ``Minimum`` combine inputs of one shape value by value. Each takes a list of tensors (in
Keras's functional API, a list of placeholders) and has no weights; its gradient is the chain rule through
the elementwise operation (``Maximum`` sends it to the larger input, split evenly on a tie).

Example:
    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.Concatenate()([np.ones((2, 3)), np.zeros((2, 1))]).shape
    (2, 4)
    >>> fl.layers.Add()([np.ones((2, 3)), np.ones((2, 3))]).numpy()[0].tolist()
    [2.0, 2.0, 2.0]
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from .layers import LAYERS, Layer, _float_of, _reject_unknown_kwargs, as_input

Shapes = list[tuple[int, ...]]


class Merge(Layer):
    """A layer that combines a list of inputs into one output (no weights)."""

    takes_list_only = True  # called on one input alone it refuses, as Keras's merge layers do
    _fewest = 1
    _most: int | None = None
    _verb = "merge"

    def __init__(self, name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs(type(self).__name__, kwargs)
        super().__init__(name=name, trainable=kwargs.get("trainable", True), dtype=kwargs.get("dtype"))
        self.built = True

    def _count_check(self, n: int | None) -> None:
        counted = "exactly" if self._most == self._fewest else "at least"
        if n is None or n < self._fewest or (self._most is not None and n > self._most):
            given = "one input alone" if n is None else f"a list of {n}"
            raise ConfigError(f"{type(self).__name__} layer {self.name!r} was called on {given}; it takes a list "
                              f"of {counted} {self._fewest} inputs, e.g. layers.{type(self).__name__}()([a, b]).")

    def _tensors(self, inputs: Any) -> list[Tensor]:
        if not isinstance(inputs, (list, tuple)):
            self._count_check(None)
        self._count_check(len(inputs))
        dtype = _float_of(inputs[0].data if isinstance(inputs[0], Tensor) else np.asarray(inputs[0]))
        tensors = [as_input(item, dtype, self.name) for item in inputs]
        self.merged_shape([tuple(t.shape[1:]) for t in tensors])  # the batch axes are checked by the operation
        return tensors

    def build_for(self, sample_shape: Any) -> None:
        self.built = True

    def output_shape_for(self, sample_shape: Any) -> tuple[int, ...]:
        if not isinstance(sample_shape, list):
            self._count_check(None)
        return self.merged_shape(sample_shape)

    def merged_shape(self, shapes: Shapes) -> tuple[int, ...]:
        """The shape of one output sample for inputs of ``shapes`` (batch axes excluded); a ShapeError if
        they cannot be combined. Elementwise merges take one shape, or shapes that broadcast (sizes of 1)."""
        self._count_check(len(shapes))
        try:
            return _broadcast(shapes)
        except ValueError:
            given = " and ".join(str((None, *s)) for s in shapes)
            raise ShapeError(f"{type(self).__name__} layer {self.name!r} cannot {self._verb} inputs of shapes "
                             f"{given}; give it inputs of one shape (a Dense layer can bring one to the "
                             "other's size), or use Concatenate to put features side by side.") from None

    def forward(self, inputs: Any) -> Tensor:
        return self.combine(self._tensors(inputs))

    def combine(self, tensors: list[Tensor]) -> Tensor:
        raise NotImplementedError


def _broadcast(shapes: Shapes) -> tuple[Any, ...]:
    """NumPy's broadcast of sample shapes, where a size may be unknown (None, known with the data): an unknown
    size meets a known one above 1 as that one (the data must then have it), else stays unknown.

    >>> _broadcast([(None, 8), (None, 1)]), _broadcast([(5, 8), (None, 8)]), _broadcast([(3,), (2, 1)])
    ((None, 8), (5, 8), (2, 3))
    """
    rank = max(len(s) for s in shapes)
    out = []
    for axis in range(rank):
        sizes = {s[axis - rank + len(s)] for s in shapes if axis - rank + len(s) >= 0}
        known = {size for size in sizes if size is not None and size != 1}
        if len(known) > 1:
            raise ValueError("the shapes do not broadcast")
        out.append(known.pop() if known else None if None in sizes else 1)
    return tuple(out)


class Add(Merge):
    """The sum of its inputs (a residual connection: ``Add()([x, block(x)])``)."""

    _verb = "add"

    def combine(self, tensors: list[Tensor]) -> Tensor:
        return functools.reduce(F.add, tensors)


class Subtract(Merge):
    """The first input minus the second (exactly two)."""

    _fewest = _most = 2
    _verb = "subtract"

    def combine(self, tensors: list[Tensor]) -> Tensor:
        return F.sub(tensors[0], tensors[1])


class Multiply(Merge):
    """The product of its inputs, value by value (a gate: ``Multiply()([x, sigmoid_gate])``)."""

    _verb = "multiply"

    def combine(self, tensors: list[Tensor]) -> Tensor:
        return functools.reduce(F.mul, tensors)


class Average(Merge):
    """The mean of its inputs, value by value (an ensemble of heads)."""

    _verb = "average"

    def combine(self, tensors: list[Tensor]) -> Tensor:
        total = functools.reduce(F.add, tensors)
        return total if len(tensors) == 1 else F.mul(total, 1.0 / len(tensors))


class Maximum(Merge):
    """The largest of its inputs, value by value."""

    _verb = "take the maximum of"

    def combine(self, tensors: list[Tensor]) -> Tensor:
        return functools.reduce(F.maximum, tensors)


class Minimum(Merge):
    """The smallest of its inputs, value by value."""

    _verb = "take the minimum of"

    def combine(self, tensors: list[Tensor]) -> Tensor:
        return functools.reduce(F.minimum, tensors)


class Concatenate(Merge):
    """Its inputs side by side along ``axis`` (Keras's axis, which counts the batch axis: -1, the features,
    by default); the other sizes must agree.

    >>> Concatenate().merged_shape([(3,), (5,)]), Concatenate(axis=1).merged_shape([(2, 4), (3, 4)])
    ((8,), (5, 4))
    """

    def __init__(self, axis: int = -1, name: str | None = None, **kwargs: Any) -> None:
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or axis == 0:
            raise ConfigError(f"Concatenate axis must be a nonzero integer (Keras counts the batch axis as 0, "
                              f"which cannot be joined along), got {axis!r}; the default -1 joins the features.")
        self.axis = int(axis)
        super().__init__(name=name, **kwargs)

    def merged_shape(self, shapes: Shapes) -> tuple[int, ...]:
        self._count_check(len(shapes))
        rank = len(shapes[0])
        axis = self.axis - 1 if self.axis > 0 else self.axis + rank  # the axis within one sample
        fits = 0 <= axis < rank and all(len(s) == rank and all(a == b for i, (a, b) in enumerate(zip(s, shapes[0]))
                                                              if i != axis) for s in shapes)
        if not fits:
            given = " and ".join(str((None, *s)) for s in shapes)
            raise ShapeError(f"Concatenate layer {self.name!r} (axis={self.axis}) cannot join inputs of shapes "
                             f"{given}: all sizes but the one along the axis must agree; Flatten the inputs first, "
                             "or choose the axis they differ on.")
        joined = list(shapes[0])
        joined[axis] = None if any(s[axis] is None for s in shapes) else sum(s[axis] for s in shapes)
        return tuple(joined)

    def combine(self, tensors: list[Tensor]) -> Tensor:
        return tensors[0] if len(tensors) == 1 else F.concatenate(tensors, axis=self.axis)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


MERGES: dict[str, type[Merge]] = {cls.__name__: cls for cls in
                                  (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate)}
LAYERS.update(MERGES)  # the classes a model file may name
