"""Weight penalties added to the loss: L2 (weight decay), L1, or both — Keras's ``kernel_regularizer``.

A Dense layer given ``kernel_regularizer=L2(0.001)`` adds ``0.001 · Σ w²`` of its kernel to the loss
that ``fit`` minimises (and reports, as Keras does, in ``loss`` and ``val_loss``), which pulls the
weights toward 0: a smoother function, one remedy for overfitting. By name, ``"l1"``, ``"l2"`` and
``"l1_l2"`` use Keras's default factor 0.01.

Called on a tensor (a layer's weight in ``fit``) a regularizer gives a tensor, so its gradient reaches the
weight; called on an array or a list, as Keras's are in its guides, it gives the penalty as a 0-d array.

A regularizer of one's own is, as in Keras, a function of the weight (``lambda w: 1e-3 * ops.sum(ops.square(w))``)
or a subclass of :class:`Regularizer` with a ``__call__`` (and a ``get_config`` when it has settings, so a model
using it can be saved and loaded again with ``custom_objects``).

Example:
    >>> import fnlearn as fl, numpy as np
    >>> fl.regularizers.L2(0.5)(fl.tensor([1.0, -2.0])).item()
    2.5
    >>> float(fl.regularizers.L2(0.01)(np.ones((2, 2))))
    0.04
"""

from __future__ import annotations

import inspect
import math
from typing import Any

from .. import backend
from .. import functional as F
from ..errors import ConfigError, equivalent, reject_foreign, unknown_name
from ..tensor import Tensor, as_array
from . import _keras_form


def _factor(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"the {name} factor of a regularizer must be a number ≥ 0, got {value!r}; e.g. 0.01.")
    return float(value)


class Regularizer:
    """The base class (Keras's ``keras.regularizers.Regularizer``): no penalty. One of one's own overrides
    ``__call__`` — a number from the weight, with fnlearn's (or ``keras.ops``') functions so that its gradient
    reaches the weight — and ``get_config`` when it has settings.

    >>> import fnlearn as fl
    >>> class Sparse(Regularizer):
    ...     def __init__(self, strength=0.1):
    ...         self.strength = strength
    ...     def __call__(self, w):
    ...         return self.strength * fl.functional.sum(fl.functional.abs(w))
    ...     def get_config(self):
    ...         return {"strength": self.strength}
    >>> Sparse(0.5)(fl.tensor([1.0, -2.0])).item()
    1.5
    """

    def __call__(self, weight: Any) -> Any:
        """The penalty of ``weight``: here 0."""
        return 0.0

    def get_config(self) -> dict[str, Any]:
        """The settings from which :meth:`from_config` makes the regularizer again: none here. A subclass whose
        ``__init__`` takes settings must write its own, or it cannot be saved."""
        return _keras_form.settings_of("regularizer", self)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        """A regularizer from :meth:`get_config`'s settings.

        >>> L2.from_config({"l2": 0.5})
        L2(l1=0, l2=0.5)
        """
        return cls(**config)


class L1L2(Regularizer):
    """``l1 · Σ|w| + l2 · Σ w²`` of the weight it is given."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1, self.l2 = _factor("l1", l1), _factor("l2", l2)

    def __call__(self, weight: Any) -> Any:
        """The penalty of ``weight``: a 0-d tensor for a tensor (differentiable), a 0-d array for an array.

        >>> import numpy as np
        >>> round(float(L1L2(l1=0.1, l2=0.5)(np.array([1.0, -2.0]))), 6)
        2.8
        """
        if isinstance(weight, Tensor):
            return self._penalty(weight)
        values = as_array(weight, name="the weight given to a regularizer")
        if values.dtype.kind != "f":  # integers and booleans: Keras's penalty is a float too
            values = values.astype(backend.float_dtype())
        return self._penalty(Tensor(values)).data

    def _penalty(self, weight: Tensor) -> Tensor:
        penalty = F.sum(F.abs(weight)) * self.l1 if self.l1 else None
        if self.l2:
            squares = F.sum(weight * weight) * self.l2
            penalty = squares if penalty is None else penalty + squares
        return penalty if penalty is not None else F.sum(weight) * 0.0

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(l1={self.l1:g}, l2={self.l2:g})"


class L1(L1L2):
    """``l1 · Σ|w|``: pushes weights to exactly 0."""

    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(L1L2):
    """``l2 · Σ w²`` (weight decay): pulls every weight toward 0."""

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Keras's ``OrthogonalRegularizer``: pushes the rows (``mode="rows"``) or the columns (``"columns"``) of a 2-D
    weight towards being orthogonal — ``factor · ½ · Σ_{i≠j} |cos(wᵢ, wⱼ)| / (n(n−1)/2)``, the mean absolute cosine
    between distinct rows (columns), each pair counted twice and halved as Keras counts it. On a Dense kernel
    (inputs, units), rows mode decorrelates what the inputs feed, columns mode the units' weight vectors.

    >>> import numpy as np
    >>> round(float(OrthogonalRegularizer(1.0)(np.array([[1.0, 0.0], [1.0, 1.0]]))), 6)  # cos 45° = 0.707107
    0.707107
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        self.factor = _factor("orthogonal", factor)
        if mode not in ("rows", "columns"):
            raise ConfigError(f"OrthogonalRegularizer mode must be 'rows' or 'columns', got {mode!r}; 'rows' makes "
                              "the rows of the weight orthogonal, 'columns' its columns.")
        self.mode = mode

    def __call__(self, weight: Any) -> Any:
        tensor = weight if isinstance(weight, Tensor) else Tensor(as_array(weight, name="the weight given to a "
                                                                                         "regularizer"))
        if tensor.data.dtype.kind != "f":
            tensor = Tensor(tensor.data.astype(backend.float_dtype()))
        if tensor.ndim != 2:
            raise ConfigError(f"OrthogonalRegularizer takes a 2-D weight (a Dense kernel), got one of shape "
                              f"{tuple(tensor.shape)}; give it to a layer with a 2-D kernel.")
        rows = tensor if self.mode == "rows" else F.transpose(tensor)
        # Keras's normalize: x · min(1/‖x‖, 1/ε), so a zero row stays zero
        eps = backend.epsilon()
        norms = F.sqrt(F.maximum(F.sum(rows * rows, axis=1, keepdims=True), eps * eps))
        unit = rows / norms
        cosines = F.matmul(unit, F.transpose(unit))
        size = rows.shape[0]
        off = Tensor(1.0 - backend.xp().eye(size, dtype=unit.dtype))
        pairs = size * (size - 1.0) / 2.0
        total = F.sum(F.abs(cosines * off)) * (self.factor * 0.5 / pairs) if pairs else F.sum(cosines) * 0.0
        return total if isinstance(weight, Tensor) else total.data

    def get_config(self) -> dict[str, Any]:
        return {"factor": self.factor, "mode": self.mode}

    def __repr__(self) -> str:
        return f"OrthogonalRegularizer(factor={self.factor:g}, mode={self.mode!r})"


def l1(l1: float = 0.01) -> L1:  # noqa: D103  (Keras's function names)
    return L1(l1)


def l2(l2: float = 0.01) -> L2:  # noqa: D103
    return L2(l2)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:  # noqa: D103
    return L1L2(l1, l2)


def orthogonal_regularizer(factor: float = 0.01, mode: str = "rows") -> OrthogonalRegularizer:  # noqa: D103
    return OrthogonalRegularizer(factor, mode)


NAMES = {"l1": l1, "l2": l2, "l1_l2": l1_l2, "orthogonal_regularizer": orthogonal_regularizer}
CLASSES: dict[str, type[Regularizer]] = {cls.__name__: cls for cls in (Regularizer, L1, L2, L1L2,
                                                                       OrthogonalRegularizer)}


def get(spec: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """A regularizer from None, a name (``"l2"``, ``"L2"``, or one of ``custom_objects``), a regularizer object or
    class, its saved config, or any function of the weight (Keras's ``keras.regularizers.get``).

    >>> get("l2"), get({"class_name": "L1", "config": {"l1": 0.5}}), get(None)
    (L2(l1=0, l2=0.01), L1(l1=0.5, l2=0), None)
    """
    if spec is None or isinstance(spec, Regularizer):
        return spec
    if isinstance(spec, str):
        own = (custom_objects or {}).get(spec)
        found = own if own is not None else NAMES.get(spec.lower()) or CLASSES.get(spec)
        if found is None:
            raise unknown_name("regularizer", spec, NAMES)
        return found() if inspect.isclass(found) or found in NAMES.values() else found
    if isinstance(spec, dict):
        return deserialize(spec, custom_objects)
    if inspect.isclass(spec) and issubclass(spec, Regularizer):
        return spec()
    reject_foreign("regularizer", spec, equivalent(spec, "keras.regularizers", __all__))
    if callable(spec) and not inspect.isclass(spec):
        return spec
    raise ConfigError(f"a regularizer must be a name ({', '.join(NAMES)}), an object such as "
                      "fl.regularizers.L2(0.01), or a function of the weight, got "
                      f"{type(spec).__name__} {spec!r}; pass one of those, or None for no penalty.")


def serialize(regularizer: Any) -> dict[str, Any] | None:
    """Keras's form of ``regularizer`` in a config: ``{"module", "class_name", "config", "registered_name"}`` (None
    stays None), which :func:`deserialize` takes back.

    >>> serialize(L2(0.001))
    {'module': 'keras.regularizers', 'class_name': 'L2', 'config': {'l2': 0.001}, 'registered_name': None}
    """
    return _keras_form.serialize("regularizer", regularizer, Regularizer, CLASSES, "keras.regularizers")


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The regularizer :func:`serialize` wrote (or a name), one of ``custom_objects`` by its class or function name
    for those of one's own. The form fnlearn wrote before (``{"name": "l1_l2", "l1": …, "l2": …}``) reads too.

    >>> deserialize({"name": "l1_l2", "l1": 0.0, "l2": 0.1})
    L1L2(l1=0, l2=0.1)
    """
    if config is None:
        return None
    if isinstance(config, str):
        return get(config, custom_objects)
    if isinstance(config, dict) and config.get("name") == "l1_l2" and "class_name" not in config:
        return L1L2(config.get("l1", 0.0), config.get("l2", 0.0))
    return _keras_form.deserialize("regularizer", config, CLASSES, custom_objects,
                                   "{'class_name': 'L2', 'config': {'l2': 0.01}}")


def penalty(regularizer: Any, weight: Tensor) -> Tensor:
    """``regularizer(weight)`` as a 0-d tensor the loss can add; one sentence when a regularizer of one's own gives
    something other than one number.

    >>> import fnlearn as fl
    >>> penalty(lambda w: 0.5 * fl.functional.sum(w * w), fl.tensor([1.0, 2.0])).item()
    2.5
    """
    value = regularizer(weight)
    if isinstance(value, Tensor):
        if value.size == 1:
            return value.reshape(()) if value.ndim else value
    else:
        try:
            values = as_array(value, name="a regularizer's penalty")
        except (ConfigError, TypeError, ValueError):
            values = None
        if values is not None and values.size == 1 and values.dtype.kind in "biuf":
            return Tensor(backend.xp().asarray(values.reshape(()), dtype=weight.dtype))
    shape = getattr(value, "shape", None)
    what = f"an array of shape {tuple(shape)}" if shape is not None else f"{type(value).__name__} {value!r}"
    raise ConfigError(f"the regularizer {_label(regularizer)} gave {what} for a weight of shape {tuple(weight.shape)}; "
                      "a regularizer gives one number, e.g. 0.01 * ops.sum(ops.square(w)).")


def _label(regularizer: Any) -> str:
    return getattr(regularizer, "__name__", None) or type(regularizer).__name__


__all__ = ["Regularizer", "L1L2", "L1", "L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2", "orthogonal_regularizer",
           "get", "serialize", "deserialize"]
