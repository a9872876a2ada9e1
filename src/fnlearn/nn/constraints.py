"""Weight constraints: a projection the optimizer applies to a weight right after each update of it — Keras's
``kernel_constraint``, ``bias_constraint`` and the like.

A Dense layer given ``kernel_constraint=MaxNorm(3)`` has, after every training step, each unit's incoming weights
(a column of the kernel) scaled back to a norm of at most 3, the max-norm limit that goes with dropout;
``NonNeg()`` sets negative weights to 0. The formulas are Keras's, its ε = 1e-7 in the norms included, so a
constrained model trains to Keras's weights.

A constraint is a function of the weight's values: called on an array it gives an array, on a tensor a tensor
(of the values, outside any gradient). Any callable of one array that returns an array of the same shape works
as a constraint too. By name, ``"max_norm"``, ``"min_max_norm"``, ``"non_neg"`` and ``"unit_norm"`` (or the class
names) give the defaults.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> MaxNorm(1.0)(np.array([[3.0], [4.0]])).round(6).tolist()
    [[0.6], [0.8]]
    >>> fl.layers.Dense(2, kernel_constraint="non_neg", input_dim=3).kernel.constraint
    NonNeg()
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..errors import ConfigError, equivalent, reject_foreign, unknown_name
from . import _keras_form


def _number(who: str, name: str, value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value):
        raise ConfigError(f"{who} got {name}={value!r}; it takes a finite number, e.g. {name}=1.0.")
    return value.item() if isinstance(value, (np.integer, np.floating)) else value


def _axis(who: str, axis: Any) -> int | list[int]:
    def is_int(a: Any) -> bool:
        return isinstance(a, (int, np.integer)) and not isinstance(a, bool)

    if is_int(axis):
        return int(axis)
    if isinstance(axis, (list, tuple)) and axis and all(is_int(a) for a in axis):
        return [int(a) for a in axis]
    raise ConfigError(f"{who} got axis={axis!r}; it takes an axis number or a list of them, e.g. axis=0 for a "
                      "Dense kernel's columns or axis=[0, 1, 2] for a Conv2D kernel's filters.")


def _values(w: Any) -> tuple[Any, Any, bool]:
    """(float array of ``w``'s values, its array module, whether ``w`` was a tensor)."""
    from ..tensor import Tensor

    is_tensor = isinstance(w, Tensor)
    data = w.data if is_tensor else w
    xp = np if isinstance(data, np.ndarray) else backend.xp()
    data = xp.asarray(data)
    if data.dtype.kind != "f":  # integers and booleans: the norms are floats, as Keras casts them
        data = data.astype(backend.float_dtype())
    return data, xp, is_tensor


def _result(values: Any, is_tensor: bool) -> Any:
    from ..tensor import Tensor

    return Tensor(values) if is_tensor else values


class Constraint:
    """The base class (Keras's ``keras.constraints.Constraint``): leaves the weight as it is. A constraint of one's
    own overrides ``__call__`` (and ``get_config`` when it has settings).

    >>> import numpy as np
    >>> class Clip(Constraint):
    ...     def __call__(self, w):
    ...         return np.clip(w, -1.0, 1.0)
    >>> Clip()(np.array([-3.0, 0.5])).tolist()
    [-1.0, 0.5]
    """

    def __call__(self, w: Any) -> Any:
        """The projected weight: here ``w`` unchanged."""
        return w

    def get_config(self) -> dict[str, Any]:
        """The settings from which :meth:`from_config` makes the constraint again."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        """A constraint from :meth:`get_config`'s settings.

        >>> MaxNorm.from_config({"max_value": 3, "axis": 0})
        MaxNorm(max_value=3, axis=0)
        """
        return cls(**config)

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({settings})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.get_config() == self.get_config()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(self.get_config())))


class MaxNorm(Constraint):
    """Scales each weight vector along ``axis`` down to a norm of at most ``max_value``: ``w · min(‖w‖, m) /
    (ε + ‖w‖)``. For a Dense kernel (inputs, units) ``axis=0`` takes each unit's incoming weights; for a Conv2D
    kernel, ``axis=[0, 1, 2]`` each filter.

    >>> import numpy as np
    >>> MaxNorm(2.0)(np.array([[6.0, 0.3], [8.0, 0.4]])).round(6).tolist()
    [[1.2, 0.3], [1.6, 0.4]]
    """

    def __init__(self, max_value: float = 2, axis: int | list[int] = 0) -> None:
        self.max_value = _number("MaxNorm", "max_value", max_value)
        self.axis = _axis("MaxNorm", axis)

    def __call__(self, w: Any) -> Any:
        values, xp, is_tensor = _values(w)
        norms = xp.sqrt(xp.sum(xp.square(values), axis=_np_axis(self.axis), keepdims=True))
        desired = xp.clip(norms, 0, self.max_value)
        return _result(values * (desired / (backend.epsilon() + norms)), is_tensor)

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each weight vector's norm along ``axis`` into [``min_value``, ``max_value``]: to
    ``rate · clip(‖w‖, min, max) + (1 − rate) · ‖w‖`` (``rate=1``: all the way at once).

    >>> import numpy as np
    >>> MinMaxNorm(1.0, 2.0)(np.array([[0.3], [0.4]])).round(6).tolist()
    [[0.6], [0.8]]
    """

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
                 axis: int | list[int] = 0) -> None:
        self.min_value = _number("MinMaxNorm", "min_value", min_value)
        self.max_value = _number("MinMaxNorm", "max_value", max_value)
        self.rate = _number("MinMaxNorm", "rate", rate)
        self.axis = _axis("MinMaxNorm", axis)

    def __call__(self, w: Any) -> Any:
        values, xp, is_tensor = _values(w)
        norms = xp.sqrt(xp.sum(xp.square(values), axis=_np_axis(self.axis), keepdims=True))
        desired = self.rate * xp.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return _result(values * (desired / (backend.epsilon() + norms)), is_tensor)

    def get_config(self) -> dict[str, Any]:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to 0.

    >>> import numpy as np
    >>> NonNeg()(np.array([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """

    def __call__(self, w: Any) -> Any:
        values, xp, is_tensor = _values(w)
        return _result(xp.maximum(values, 0), is_tensor)


class UnitNorm(Constraint):
    """Scales each weight vector along ``axis`` to norm 1: ``w / (ε + ‖w‖)``.

    >>> import numpy as np
    >>> UnitNorm()(np.array([[3.0], [4.0]])).round(6).tolist()
    [[0.6], [0.8]]
    """

    def __init__(self, axis: int | list[int] = 0) -> None:
        self.axis = _axis("UnitNorm", axis)

    def __call__(self, w: Any) -> Any:
        values, xp, is_tensor = _values(w)
        norms = xp.sqrt(xp.sum(xp.square(values), axis=_np_axis(self.axis), keepdims=True))
        return _result(values / (backend.epsilon() + norms), is_tensor)

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


def _np_axis(axis: int | list[int]) -> int | tuple[int, ...]:
    return tuple(axis) if isinstance(axis, list) else axis


# Keras's snake-case names of the classes
max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm

CLASSES: dict[str, type[Constraint]] = {cls.__name__: cls for cls in (Constraint, MaxNorm, MinMaxNorm, NonNeg,
                                                                      UnitNorm)}
NAMES: dict[str, type[Constraint]] = {**CLASSES, "constraint": Constraint, "max_norm": MaxNorm,
                                      "min_max_norm": MinMaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm}

ConstraintLike = Callable[[Any], Any]


def serialize(constraint: ConstraintLike | None) -> dict[str, Any] | None:
    """Keras's form of ``constraint`` in a config: ``{"module", "class_name", "config", "registered_name"}``
    (None stays None), which :func:`deserialize` takes back.

    >>> serialize(MaxNorm(1.0))
    {'module': 'keras.constraints', 'class_name': 'MaxNorm', 'config': {'max_value': 1.0, 'axis': 0}, \
'registered_name': None}
    """
    return _keras_form.serialize("constraint", constraint, Constraint, CLASSES, "keras.constraints")


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> ConstraintLike | None:
    """The constraint :func:`serialize` wrote (or a name, a class's plain ``get_config``-form dict), one of
    ``custom_objects`` by its class or function name for constraints of one's own.

    >>> deserialize({"class_name": "NonNeg", "config": {}})
    NonNeg()
    """
    if config is None:
        return None
    if isinstance(config, str):
        return get(config, custom_objects)
    return _keras_form.deserialize("constraint", config, CLASSES, custom_objects,
                                   "{'class_name': 'MaxNorm', 'config': {'max_value': 2, 'axis': 0}}")


def get(identifier: Any, custom_objects: dict[str, Any] | None = None) -> ConstraintLike | None:
    """A constraint from None, a name (``"max_norm"``, ``"MaxNorm"``), a config dict, a constraint object or class,
    or any callable of one array (Keras's ``keras.constraints.get``).

    >>> get("unit_norm"), get(None), get({"class_name": "MaxNorm", "config": {"max_value": 3}})
    (UnitNorm(axis=0), None, MaxNorm(max_value=3, axis=0))
    """
    if identifier is None or isinstance(identifier, Constraint):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier, custom_objects)
    if isinstance(identifier, str):
        own = (custom_objects or {}).get(identifier)
        found = own if own is not None else NAMES.get(identifier, NAMES.get(identifier.lower()))
        if found is None:
            # the snake-case names only: the class names are the same constraints
            raise unknown_name("constraint", identifier, [n for n in NAMES if n.islower() and n != "constraint"])
        return found() if inspect.isclass(found) else found
    if inspect.isclass(identifier) and issubclass(identifier, Constraint):
        return identifier()
    reject_foreign("constraint", identifier, equivalent(identifier, "keras.constraints", __all__))
    if callable(identifier) and not inspect.isclass(identifier):
        return identifier
    raise ConfigError(f"a constraint must be a name ({', '.join(n for n in NAMES if n.islower())}), a "
                      "keras.constraints object such as MaxNorm(2.0), or a function of the weight's array, got "
                      f"{type(identifier).__name__} {identifier!r}; pass one of those, or None for no constraint.")


def checked(kwargs: dict[str, Any], names: tuple[str, ...]) -> dict[str, ConstraintLike | None]:
    """Take the constraint arguments ``names`` out of ``kwargs`` as constraints (absent: None), every one checked
    before the caller sets anything.

    >>> checked({"kernel_constraint": "non_neg", "units": 2}, ("kernel_constraint", "bias_constraint"))
    {'kernel_constraint': NonNeg(), 'bias_constraint': None}
    """
    return {name: get(kwargs.pop(name, None)) for name in names}


__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "max_norm", "min_max_norm", "non_neg",
           "unit_norm", "get", "serialize", "deserialize"]
