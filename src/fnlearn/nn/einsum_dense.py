"""``EinsumDense``: Keras's dense layer written as an einsum, ``activation(einsum(equation, x, kernel) + bias)``,
whose kernel may have any number of axes — a Transformer's projection of (batch, steps, features) to (batch, steps,
heads, head_dim) in one weight, ``"abc,cde->abde"``.

The equation names the input's axes, the kernel's and the output's, as Keras takes them: ``"ab,bc->ac"``,
``"...b,bc->...c"`` (the input's first axes, the batch among them, passed through) or ``"ab...,bc->ac..."`` (its
last ones). The kernel's axes get their sizes from the input's axis of the same letter or from ``output_shape``
(the output's sizes without the batch axis and the elided axes); ``bias_axes`` names the output axes the bias spans,
as Keras's. The einsum is fnlearn's differentiable one; the kernel starts as Keras's does, a Glorot (He, LeCun…)
draw counting as its fan-in the kernel's axes summed with the input and as its fan-out the others.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> layer = fl.layers.EinsumDense("abc,cde->abde", output_shape=(None, 4, 8), bias_axes="de")
    >>> layer(np.zeros((2, 5, 16))).shape, layer.kernel.shape, layer.bias.shape
    ((2, 5, 4, 8), (16, 4, 8), (4, 8))
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..tensor import Parameter, Tensor
from . import constraints, initializers, regularizers
from .layers import LAYERS, Layer, _activation_name, _reject_unknown_kwargs, as_input

_EQUATION = re.compile(r"(?P<left>\.\.\.)?(?P<x>[a-zA-Z]+)(?P<right>\.\.\.)?,(?P<w>[a-zA-Z]+)->"
                       r"(?P<out_left>\.\.\.)?(?P<out>[a-zA-Z]+)(?P<out_right>\.\.\.)?")
# the initializers whose scale comes from the kernel's fans: the ones Keras gives the einsum's axes to count them
_FAN_SCALED = {"glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal"}


def parse_equation(equation: Any, owner: str = "EinsumDense") -> tuple[str, str, str, str]:
    """``(input, kernel, output, elided)`` letters of an equation, ``elided`` "left", "right" or "".

    >>> parse_equation("...b,bc->...c")
    ('b', 'bc', 'c', 'left')
    """
    match = _EQUATION.fullmatch(equation) if isinstance(equation, str) else None
    if match is not None:
        left, right = bool(match["left"]), bool(match["right"])
        if (left, right) == (bool(match["out_left"]), bool(match["out_right"])) and not (left and right) \
                and not (right and len(match["x"]) < 2):
            return match["x"], match["w"], match["out"], "left" if left else "right" if right else ""
    raise ConfigError(f"{owner} got equation={equation!r}; it takes one of Keras's forms 'ab,bc->ac', "
                      "'...b,bc->...c' or 'ab...,bc->ac...' (the input, the kernel, the output), e.g. "
                      "equation='abc,cd->abd'.")


def _bias_in_output(bias_axes: str, out_spec: str, owner: str) -> None:
    missing = [c for c in bias_axes if c not in out_spec]
    if missing:
        raise ConfigError(f"{owner} got bias_axes={bias_axes!r}, but {missing[0]!r} is not an axis of the output "
                          f"{out_spec!r}; name output axes only.")


def einsum_shapes(equation: str, bias_axes: str | None, input_shape: tuple[Any, ...],
                  output_shape: tuple[Any, ...], owner: str = "EinsumDense") -> dict[str, Any]:
    """The kernel's and bias's shapes, the full output shape and the kernel's input and output axes (for its fans)
    of an einsum layer on inputs of ``input_shape`` (batch axis first), as Keras works them out.

    >>> s = einsum_shapes("abc,cde->abde", "de", (None, 5, 16), (None, 4, 8))
    >>> s["kernel"], s["bias"], s["output"], s["input_axes"], s["output_axes"]
    ((16, 4, 8), (4, 8), (None, 5, 4, 8), [0], [1, 2])
    """
    x_spec, w_spec, out_spec, elided_side = parse_equation(equation, owner)
    elided = len(input_shape) - len(x_spec)
    if elided < 0 or (elided and not elided_side):
        raise ShapeError(f"{owner} with equation {equation!r} takes inputs of {len(x_spec)} axes"
                         f"{' or more' if elided_side else ''} (the batch's included), but got inputs of shape "
                         f"{tuple(input_shape)}; give inputs to match the equation, or write the equation for them.")
    partial = list(output_shape)
    if elided_side == "left":
        full, offset = [*input_shape[:elided], *partial], elided
    else:
        full = [input_shape[0], *partial, *(input_shape[len(input_shape) - elided:] if elided else ())]
        offset = 0
    wanted = len(out_spec) - (1 if elided_side != "left" else 0)
    if len(partial) != wanted:
        raise ConfigError(f"{owner} with equation {equation!r} takes an output_shape of {wanted} sizes (the output's "
                          f"axes without the batch{' and the elided ones' if elided_side else ''}), got "
                          f"output_shape={tuple(output_shape)}.")
    x_axis = {c: (i + elided if elided_side == "left" else i) for i, c in enumerate(x_spec)}
    out_axis = {c: i + offset for i, c in enumerate(out_spec)}
    for c, i in out_axis.items():
        if c in x_axis:
            given = full[i]
            if given is not None and input_shape[x_axis[c]] is not None and given != input_shape[x_axis[c]]:
                raise ShapeError(f"{owner} axis {c!r} of {equation!r} has size {input_shape[x_axis[c]]} in the "
                                 f"inputs but {given} in output_shape; give the same size, or None.")
            full[i] = input_shape[x_axis[c]]
        elif c not in w_spec:
            raise ConfigError(f"{owner} output axis {c!r} of {equation!r} is neither the input's nor the kernel's; "
                              "name each output axis in one of them.")
    kernel, input_axes, output_axes = [], [], []
    for k, c in enumerate(w_spec):
        if c in out_axis:
            size = full[out_axis[c]]
            output_axes.append(k)
        elif c in x_axis:
            size = input_shape[x_axis[c]]
            input_axes.append(k)
        else:
            raise ConfigError(f"{owner} kernel axis {c!r} of {equation!r} is neither the input's nor the output's; "
                              "name each kernel axis in one of them.")
        if size is None:
            raise ShapeError(f"{owner} kernel axis {c!r} of {equation!r} has an unknown size (None); give it in "
                             "output_shape or in the inputs' shape.")
        kernel.append(int(size))
    bias = None
    if bias_axes:
        _bias_in_output(bias_axes, out_spec, owner)
        first = min(out_spec.index(c) for c in bias_axes)
        bias = [int(full[out_axis[c]]) if c in bias_axes else 1 for c in out_spec[first:]]
        bias += [1] * (elided if elided_side == "right" else 0)
    return {"kernel": tuple(kernel), "bias": None if bias is None else tuple(bias), "output": tuple(full),
            "input_axes": input_axes, "output_axes": output_axes}


class EinsumDense(Layer):
    """A dense layer of any number of axes, Keras's ``layers.EinsumDense``:
    ``activation(einsum(equation, x, kernel) + bias)``, the kernel's and bias's shapes from the equation, the inputs'
    shape, ``output_shape`` (without the batch axis) and ``bias_axes``.

    >>> import fnlearn as fl
    >>> fl.layers.EinsumDense("ab,bc->ac", output_shape=64, bias_axes="c").compute_output_shape((32,))
    (64,)
    """

    _weight_constraints = {"kernel": "kernel_constraint", "bias": "bias_constraint"}
    _weight_regularizers = {"kernel": "kernel_regularizer", "bias": "bias_regularizer"}

    def __init__(self, equation: str, output_shape: Any, activation: Any = None, bias_axes: str | None = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, lora_rank: Any = None, name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("EinsumDense", kwargs, allow=("input_shape", "lora_alpha", "quantization_config"))
        if lora_rank is not None or kwargs.get("quantization_config") is not None:
            raise ConfigError("EinsumDense got lora_rank or quantization_config; fnlearn's EinsumDense has neither "
                              "LoRA adapters nor quantized kernels, so leave them out.")
        out_spec = parse_equation(equation)[2]
        shape = (output_shape,) if isinstance(output_shape, (int, np.integer)) else output_shape
        if not isinstance(shape, (tuple, list)) or not all(
                s is None or (isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1) for s in shape):
            raise ConfigError(f"EinsumDense got output_shape={output_shape!r}; it takes the output's sizes without the "
                              "batch axis, an int or a tuple of ints (None where the input gives the size), e.g. "
                              "output_shape=(None, 4, 8).")
        if bias_axes is not None and not (isinstance(bias_axes, str) and bias_axes.isalpha()):
            raise ConfigError(f"EinsumDense got bias_axes={bias_axes!r}; it takes None or a string of output axes' "
                              "letters, e.g. bias_axes='de'.")
        if bias_axes:
            _bias_in_output(bias_axes, out_spec, "EinsumDense")
        self.equation, self.bias_axes = equation, bias_axes
        self.partial_output_shape = tuple(None if s is None else int(s) for s in shape)
        self.activation = F.get_activation(activation)
        self.activation_name = _activation_name(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.kernel: Parameter | None = None
        self.bias: Parameter | None = None
        if self.input_shape is not None:
            self.build(self.input_shape)

    def _shapes(self, sample_shape: tuple[Any, ...]) -> dict[str, Any]:
        return einsum_shapes(self.equation, self.bias_axes, (None, *sample_shape), self.partial_output_shape,
                             f"EinsumDense layer {self.name!r}")

    def build(self, input_shape: tuple[int, ...]) -> None:
        shapes = self._shapes(tuple(input_shape))
        with backend.using_dtype(self.dtype):
            self.kernel = Parameter(self._initial_kernel(shapes), name="kernel")
            self.bias = None if shapes["bias"] is None else Parameter(self.bias_initializer(shapes["bias"]),
                                                                      name="bias")
        self.built = True

    def _initial_kernel(self, shapes: dict[str, Any]) -> Any:
        """The kernel's first values: a fan-scaled initializer draws them as a (fan-in, fan-out) matrix, its rows
        the kernel's axes summed with the input, its columns the others, as Keras counts the fans; any other
        initializer gets the kernel's shape."""
        shape, order = shapes["kernel"], shapes["input_axes"] + shapes["output_axes"]
        init = self.kernel_initializer
        if initializers.name_of(init) not in _FAN_SCALED and not isinstance(init, initializers.VarianceScaling):
            return init(shape)
        fan_in = int(np.prod([shape[k] for k in shapes["input_axes"]]))
        matrix = init((fan_in, int(np.prod(shape)) // fan_in))
        back = tuple(int(k) for k in np.argsort(order))  # the kernel's axes from (fan-in axes, fan-out axes)
        return backend.xp().transpose(matrix.reshape([shape[k] for k in order]), back)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return self._shapes(tuple(input_shape))["output"][1:]

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, np.dtype(self.dtype) if self.kernel is None else self.kernel.data.dtype, self.name)
        self._ensure_built(x)
        assert self.kernel is not None
        expected = self._shapes(tuple(x.shape[1:]))["kernel"]
        if expected != tuple(self.kernel.shape):
            raise ShapeError(f"EinsumDense layer {self.name!r} was built with a kernel of shape "
                             f"{tuple(self.kernel.shape)}, but inputs of shape {tuple(x.shape)} need one of shape "
                             f"{expected}; give it inputs of the shape it was built for, or make a new layer.")
        out = F.einsum(self.equation, x, self.kernel)
        return self.activation(out if self.bias is None else out + self.bias)

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "equation": self.equation, "output_shape": list(self.partial_output_shape),
                  "activation": self.activation_name, "bias_axes": self.bias_axes,
                  "kernel_initializer": initializers.name_of(self.kernel_initializer),
                  "bias_initializer": initializers.name_of(self.bias_initializer)}
        return config


LAYERS["EinsumDense"] = EinsumDense  # a class a model file may name
