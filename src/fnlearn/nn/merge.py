"""Merge layers: one output from several inputs — the joins of a model that is a graph, not a chain.

``Concatenate`` puts its inputs' features side by side; ``Add``, ``Subtract``, ``Multiply``, ``Average``,
``Maximum`` and ``Minimum`` combine inputs of one shape value by value. Each takes a list of tensors (in
Keras's functional API, a list of placeholders) and has no weights; its gradient is the chain rule through
the elementwise operation (``Maximum`` sends it to the larger input, split evenly on a tie).

Masks follow Keras 3: inputs that carry a sequence mask (``Embedding(mask_zero=True)``, ``Masking``) give the
output the OR of their masks (a step is real where any input's is), or no mask where some input has none;
``Concatenate`` counts an input without a mask as all real (joined along the steps, the masks are joined too).
``Multiply``, ``Maximum`` and ``Minimum`` also leave a masked input's padding steps out of their values, as
Keras does: its padding counts as 1 in the product (and a step masked in every input is 0), and as absent from
the maximum or minimum.

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

from .. import backend
from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from .layers import LAYERS, Layer, _float_of, _reject_unknown_kwargs, as_input

Shapes = list[tuple[int, ...]]


class Merge(Layer):
    """A layer that combines a list of inputs into one output (no weights)."""

    takes_list_only = True  # called on one input alone it refuses, as Keras's merge layers do
    supports_masking = True  # the inputs' masks are combined (compute_mask), as Keras's merge layers do
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

    def forward(self, inputs: Any, mask: Any = None) -> Tensor:
        tensors = self._tensors(inputs)
        masks = self._masks(tensors, mask)
        if masks is None:
            return self.combine(tensors)
        return self.combine_masked(tensors, masks)

    def combine(self, tensors: list[Tensor]) -> Tensor:
        raise NotImplementedError

    def combine_masked(self, tensors: list[Tensor], masks: list[Any]) -> Tensor:
        """The output for inputs of which some carry masks (boolean arrays, None for an input without one):
        the plain combination, as in Keras's Add, Subtract and Average."""
        return self.combine(tensors)

    def _masks(self, inputs: list[Any], mask: Any) -> list[Any] | None:
        """The inputs' masks as boolean arrays on the backend's device (None for an input without one), or
        None when no input has one; a ShapeError sentence for masks that cannot go with the inputs."""
        if mask is None:
            return None
        mask = list(mask) if isinstance(mask, (list, tuple)) else [mask]
        if len(mask) != len(inputs):
            raise ConfigError(f"{type(self).__name__} layer {self.name!r} got {len(mask)} mask"
                              f"{'' if len(mask) == 1 else 's'} for {len(inputs)} inputs; give one mask per input "
                              "(None for an input without one), in the inputs' order.")
        if all(m is None for m in mask):
            return None
        xp = backend.xp()
        masks = [None if m is None else xp.asarray(m.data if isinstance(m, Tensor) else m).astype(bool, copy=False)
                 for m in mask]
        shapes = [_shape_of(x) for x in inputs]
        fits = all(m is None or (m.ndim <= len(s) and tuple(m.shape) == s[:m.ndim]) for m, s in zip(masks, shapes))
        if fits:
            try:
                self._joined_mask_shape(masks, shapes)
            except ValueError:
                fits = False
        if not fits:
            given = " and ".join("no mask" if m is None else str(tuple(m.shape)) for m in masks)
            raise ShapeError(f"{type(self).__name__} layer {self.name!r} got masks of shapes {given} for inputs of "
                             f"shapes {' and '.join(map(str, shapes))}; each mask must be its input's (batch, "
                             "steps) and the masks must agree on them, so pad the sequences to one length (one "
                             "Embedding(mask_zero=True) or Masking per input).")
        return masks

    def _joined_mask_shape(self, masks: list[Any], shapes: Shapes) -> tuple[int, ...]:
        """The shape of the combined mask (ValueError when the masks do not go together): the masks'
        broadcast, as Keras's logical or of them."""
        return np.broadcast_shapes(*(tuple(m.shape) for m in masks if m is not None))

    def compute_mask(self, inputs: Any, mask: Any) -> Any:
        """Keras's rule for elementwise merges: the OR of the inputs' masks (a step is real where any input's
        is), or None where some input has no mask."""
        if mask is None or not isinstance(mask, (list, tuple)) or any(m is None for m in mask):
            return None
        masks = self._masks(list(inputs), mask)
        return functools.reduce(backend.xp().logical_or, masks)


def _shape_of(x: Any) -> tuple[int, ...]:
    """The shape of an input (a Tensor, or an array or nested list)."""
    return tuple(x.shape) if hasattr(x, "shape") else tuple(np.shape(x))


def _spread(mask: Any, x: Tensor) -> Any:
    """A (batch, steps) mask spread over the rest of ``x``'s axes (each step's values all real or all padding)."""
    return backend.xp().broadcast_to(mask.reshape(mask.shape + (1,) * (x.ndim - mask.ndim)), x.shape)


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


class CustomScaleLayer(Merge):
    """``inputs[0] + inputs[1] · scale``: the residual join of Keras's InceptionResNetV2 (its
    ``keras.src.applications.inception_resnet_v2.CustomScaleLayer``), which adds each block's branch, scaled down,
    to the block's input (exactly two inputs of one shape; no weights).

    >>> import numpy as np
    >>> CustomScaleLayer(0.1)([np.ones((1, 2)), np.full((1, 2), 5.0)]).numpy().tolist()
    [[1.5, 1.5]]
    """

    _fewest = _most = 2
    _verb = "add a scaled branch to"
    keras_module = "keras.src.applications.inception_resnet_v2"  # where Keras's own class lives

    def __init__(self, scale: float, name: str | None = None, **kwargs: Any) -> None:
        if isinstance(scale, (bool, np.bool_)) or not isinstance(scale, (int, float, np.number)) \
                or not np.isfinite(float(scale)):
            raise ConfigError(f"CustomScaleLayer scale must be a number (the factor of the branch added to the "
                              f"input, e.g. 0.17), got {scale!r}.")
        self.scale = float(scale)
        super().__init__(name=name, **kwargs)

    def combine(self, tensors: list[Tensor]) -> Tensor:
        return F.add(tensors[0], F.mul(tensors[1], self.scale))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale}


class Multiply(Merge):
    """The product of its inputs, value by value (a gate: ``Multiply()([x, sigmoid_gate])``)."""

    _verb = "multiply"

    def combine(self, tensors: list[Tensor]) -> Tensor:
        return functools.reduce(F.mul, tensors)

    def combine_masked(self, tensors: list[Tensor], masks: list[Any]) -> Tensor:
        """Keras's masked product: an input's padding counts as 1; where every input has a mask, the steps
        that none of them marks real are 0."""
        every = all(m is not None for m in masks)
        xp = backend.xp()
        out, out_mask = None, None
        for x, m in zip(tensors, masks):
            if m is not None:
                m = _spread(m, x)
                x = F.where(m, x, 1.0)
                if every:
                    out_mask = m if out_mask is None else xp.logical_or(out_mask, m)
            out = x if out is None else F.mul(out, x)
        return F.where(out_mask, out, 0.0) if every else out


class Average(Merge):
    """The mean of its inputs, value by value (an ensemble of heads)."""

    _verb = "average"

    def combine(self, tensors: list[Tensor]) -> Tensor:
        total = functools.reduce(F.add, tensors)
        return total if len(tensors) == 1 else F.mul(total, 1.0 / len(tensors))


def _masked_extreme(op: Any, tensors: list[Tensor], masks: list[Any]) -> Tensor:
    """Keras's masked maximum or minimum: an input's padding value is replaced by the running result (and the
    running result's padding by the input's), so padding never wins over a real value; a step that is padding in
    every input keeps the first input's value."""
    xp = backend.xp()
    out, out_mask = None, None
    for x, m in zip(tensors, masks):
        m = None if m is None else _spread(m, x)
        if out is None:
            out, out_mask = x, m
            continue
        if m is not None:
            x = F.where(m, x, out)
        if out_mask is not None:
            out = F.where(out_mask, out, x)
        # once an input has no mask, the running result has none either (Keras's rule)
        out_mask = xp.logical_or(out_mask, m) if m is not None and out_mask is not None else None
        out = op(out, x)
    return out


class Maximum(Merge):
    """The largest of its inputs, value by value."""

    _verb = "take the maximum of"

    def combine(self, tensors: list[Tensor]) -> Tensor:
        return functools.reduce(F.maximum, tensors)

    def combine_masked(self, tensors: list[Tensor], masks: list[Any]) -> Tensor:
        return _masked_extreme(F.maximum, tensors, masks)


class Minimum(Merge):
    """The smallest of its inputs, value by value."""

    _verb = "take the minimum of"

    def combine(self, tensors: list[Tensor]) -> Tensor:
        return functools.reduce(F.minimum, tensors)

    def combine_masked(self, tensors: list[Tensor], masks: list[Any]) -> Tensor:
        return _masked_extreme(F.minimum, tensors, masks)


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

    def _full_masks(self, masks: list[Any], shapes: Shapes) -> list[Any]:
        """Each input's mask spread over all its values (all True for an input without one), as Keras's
        Concatenate makes them before joining."""
        xp = backend.xp()
        full = []
        for m, shape in zip(masks, shapes):
            if m is None:
                full.append(xp.ones(shape, dtype=bool))
            else:
                full.append(xp.broadcast_to(m.reshape(m.shape + (1,) * (len(shape) - m.ndim)), shape))
        return full

    def _joined_mask_shape(self, masks: list[Any], shapes: Shapes) -> tuple[int, ...]:
        """Nothing more to check: masks that fit their inputs join as the inputs do (checked by merged_shape)."""
        return ()

    def compute_mask(self, inputs: Any, mask: Any) -> Any:
        """Keras's rule for Concatenate: the masks (all True for an input without one) spread over their inputs,
        joined along the axis, then a step is real where any of its values is; None where no input has one."""
        if mask is None or not isinstance(mask, (list, tuple)) or all(m is None for m in mask):
            return None
        inputs = list(inputs)
        masks = self._masks(inputs, mask)
        shapes = [_shape_of(x) for x in inputs]
        if len(inputs) == 1:
            joined = self._full_masks(masks, shapes)[0]
        else:
            joined = backend.xp().concatenate(self._full_masks(masks, shapes), axis=self.axis)
        return joined.any(axis=-1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


MERGES: dict[str, type[Merge]] = {cls.__name__: cls for cls in
                                  (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate)}
LAYERS.update(MERGES)  # the classes a model file may name
LAYERS["CustomScaleLayer"] = CustomScaleLayer  # InceptionResNetV2's (keras.applications), not a keras.layers one
