"""``InputSpec``: what a layer of one's own accepts, Keras's ``keras.InputSpec`` — set as ``self.input_spec`` (often
in ``build``, once the features are known), it is checked at every later call, placeholders of the functional API
included, and an input that does not fit is refused in one sentence naming the layer and the rule.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> class Pairwise(fl.layers.Layer):
    ...     def build(self, input_shape):
    ...         self.input_spec = InputSpec(ndim=3, axes={-1: input_shape[-1]})
    ...     def call(self, x):
    ...         return x * 2
    >>> layer = Pairwise(); _ = layer(np.ones((2, 4, 3)))
    >>> try:
    ...     layer(np.ones((2, 3)))
    ... except ValueError as error:
    ...     print(error)
    layer 'pairwise' takes input 0 of 3 axes (its input_spec), got shape (2, 3); give it inputs of that shape.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError, ShapeError


def _whole_or_none(value: Any, what: str) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ConfigError(f"InputSpec {what} must be a whole number ≥ 0 or None, got {value!r}; e.g. {what}=2.")
    return value


class InputSpec:
    """The rank (``ndim``, ``min_ndim``, ``max_ndim``), the sizes of some axes (``axes={-1: 16}``), or the whole
    ``shape`` (None for any size) of a layer's input; ``dtype`` is kept for Keras's config (fnlearn casts float
    inputs to the layer's dtype, so it does not refuse them); ``name`` and ``optional`` as Keras's.
    ``allow_last_axis_squeeze=True`` ignores a last axis of size 1 on either side.

    >>> InputSpec(min_ndim=2, axes={-1: 8})
    InputSpec(min_ndim=2, axes={-1: 8})
    """

    def __init__(self, dtype: Any = None, shape: Any = None, ndim: int | None = None, max_ndim: int | None = None,
                 min_ndim: int | None = None, axes: Any = None, allow_last_axis_squeeze: bool = False,
                 name: str | None = None, optional: bool = False) -> None:
        if shape is not None:
            try:
                shape = tuple(None if s is None else int(s) for s in shape)
            except (TypeError, ValueError):
                raise ConfigError(f"InputSpec shape must be a tuple of sizes (None for any), got {shape!r}; e.g. "
                                  "shape=(None, 28, 28).") from None
        self.dtype = None if dtype is None else str(dtype)
        self.shape = shape
        self.ndim = len(shape) if shape is not None else _whole_or_none(ndim, "ndim")
        self.max_ndim = _whole_or_none(max_ndim, "max_ndim")
        self.min_ndim = _whole_or_none(min_ndim, "min_ndim")
        if axes is not None and not (isinstance(axes, dict) and all(isinstance(k, int) and not isinstance(k, bool)
                                                                     for k in axes)):
            raise ConfigError(f"InputSpec axes must be a dict from axis (a whole number, -1 the last) to size, got "
                              f"{axes!r}; e.g. axes={{-1: 16}}.")
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        limit = self.ndim if self.ndim is not None else self.max_ndim
        if self.axes and limit is not None and max(self.axes) > limit - 1:
            raise ConfigError(f"InputSpec axes name axis {max(self.axes)}, beyond the {limit} axes its ndim allows; "
                              "give axes inside the rank.")
        self.allow_last_axis_squeeze = bool(allow_last_axis_squeeze)
        self.name = name
        self.optional = bool(optional)

    def get_config(self) -> dict[str, Any]:
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes, "optional": self.optional}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> InputSpec:
        return cls(**config)

    def __repr__(self) -> str:
        parts = [f"{key}={getattr(self, key)}" for key in ("dtype", "shape", "ndim", "max_ndim", "min_ndim", "axes")
                 if getattr(self, key)]
        return f"InputSpec({', '.join(parts)})"


def check_inputs(spec: Any, inputs: Any, layer: str) -> None:
    """Refuse, in one sentence, ``inputs`` (one input or a list; a dict by the specs' names) that do not fit the
    layer's ``spec`` (an :class:`InputSpec` or a list of them)."""
    specs = list(spec) if isinstance(spec, (list, tuple)) else [spec]
    if isinstance(inputs, dict) and all(s is not None and s.name for s in specs):
        missing = [s.name for s in specs if s.name not in inputs]
        if missing:
            raise ShapeError(f"layer {layer!r} takes inputs named {[s.name for s in specs]} (its input_spec), got a "
                             f"dict of {sorted(inputs)}; give the missing {missing}.")
        inputs = [inputs[s.name] for s in specs]
    given = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if len(given) != len(specs):
        raise ShapeError(f"layer {layer!r} takes {len(specs)} input(s) (its input_spec), got {len(given)}; give it "
                         "one input per spec.")
    for index, (x, rule) in enumerate(zip(given, specs)):
        if rule is None or (x is None and rule.optional):
            continue
        shape = tuple(getattr(x, "shape", ()) or ())
        problem = _problem(rule, shape)
        if problem is not None:
            raise ShapeError(f"layer {layer!r} takes input {index} {problem} (its input_spec), got shape {shape}; "
                             "give it inputs of that shape.")


def _problem(rule: InputSpec, shape: tuple[Any, ...]) -> str | None:
    """What ``shape`` breaks of ``rule``, said as the rule, or None."""
    rank = len(shape)
    if rule.ndim is not None and not rule.allow_last_axis_squeeze and rank != rule.ndim:
        return f"of {rule.ndim} axes"
    if rule.max_ndim is not None and rank > rule.max_ndim:
        return f"of at most {rule.max_ndim} axes"
    if rule.min_ndim is not None and rank < rule.min_ndim:
        return f"of at least {rule.min_ndim} axes"
    for axis, size in rule.axes.items():
        if size is not None and -rank <= axis < rank and shape[axis] not in (size, None):
            return f"with {size} values along axis {axis}"
    if rule.shape is not None:
        wanted, got = rule.shape, shape
        if rule.allow_last_axis_squeeze:
            wanted = wanted[:-1] if wanted and wanted[-1] == 1 else wanted
            got = got[:-1] if got and got[-1] == 1 else got
        if any(w is not None and g is not None and w != g for w, g in zip(wanted, got)):
            return f"of shape {rule.shape}"
    return None


__all__ = ["InputSpec", "check_inputs"]
