"""Small layers of Keras 3 that reshape, pad, perturb or rescale their inputs: ``Permute``, ``Identity``,
``UpSampling1D``, ``ZeroPadding1D`` and ``Cropping1D`` (sequences, (batch, steps, features)), the noise layers
``GaussianNoise`` and ``GaussianDropout`` (active in training only), the activations ``ELU`` and ``PReLU`` (a
trained slope for negative inputs) and ``UnitNormalization`` (each sample scaled to an L2 norm of 1).

Each computes what Keras's layer of the same name computes, with its defaults, settings and config keys, through
fnlearn's differentiable ops, so gradients flow through them in ``fit``. The noise layers draw their noise as
``Dropout`` draws its masks: the k-th training call from the generator seeded by ``(seed, k)``, so a seeded run
repeats and a resumed fit goes on where the saved one was.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> x = np.ones((2, 4, 3))
    >>> fl.layers.Permute((2, 1))(x).shape, fl.layers.UpSampling1D(2)(x).shape, fl.layers.Cropping1D(1)(x).shape
    ((2, 3, 4), (2, 8, 3), (2, 2, 3))
    >>> fl.layers.GaussianNoise(0.1, seed=0)(x, training=False).numpy().tolist() == x.tolist()
    True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..tensor import Parameter, Tensor
from . import constraints, initializers, regularizers
from .layers import LAYERS, Layer, _float_of, _reject_unknown_kwargs, as_input, dropout_rate

# Keras's ops.normalize: x · min(1/√Σx², 1/ε) with ε = 1e-12, i.e. x / √max(Σx², ε²), so a zero sample stays zero
_UNIT_NORM_EPSILON = 1e-12


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _two_counts(value: Any, what: str, owner: str, example: str) -> tuple[int, int]:
    """(before, after) from an int for both ends or a pair, every number an integer ≥ 0 (Keras's
    ``standardize_tuple(..., allow_zero=True)``); else one ConfigError sentence."""
    if _is_int(value) and value >= 0:
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_int(v) and v >= 0 for v in value):
        return int(value[0]), int(value[1])
    raise ConfigError(f"{owner} {what} must be an integer ≥ 0 for both ends or a pair (before, after) of them, "
                      f"got {value!r}; e.g. {what}={example}.")


def _sequence_shape(shape: Any, who: str) -> tuple[Any, Any]:
    """(steps, features) of samples of ``shape``, which must be sequences; else one ShapeError sentence."""
    shape = tuple(shape)
    if len(shape) != 2:
        raise ShapeError(f"{who} takes sequences of shape (batch, steps, features), but was given samples of shape "
                         f"{shape}; give it 3-D data (x[..., None] adds a features axis to (batch, steps) data).")
    return shape


def _finite(value: Any, what: str, owner: str, expected: str, low: float = -math.inf, high: float = math.inf) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)) \
        and math.isfinite(value) and low <= value <= high
    if not ok:
        raise ConfigError(f"{owner} {what} must be {expected}, got {value!r}.")
    return float(value)


def _base_settings(layer: Layer, name: str | None, kwargs: dict[str, Any], owner: str) -> None:
    """The settings every layer here takes (name, input_shape, trainable, dtype), the others refused."""
    _reject_unknown_kwargs(owner, kwargs, allow=("input_shape", "input_dim"))
    Layer.__init__(layer, name=name, input_shape=kwargs.get("input_shape"), input_dim=kwargs.get("input_dim"),
                   trainable=kwargs.get("trainable", True), dtype=kwargs.get("dtype"))


# ----------------------------------------------------------------------------- reshaping


class Permute(Layer):
    """The axes of each sample reordered, Keras's ``layers.Permute``: ``dims`` numbers the sample's axes from 1
    (the batch axis stays first), e.g. ``(2, 1)`` swaps the steps and features of sequences. The gradient is
    permuted back.

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.Permute((2, 1))(np.zeros((1, 10, 64))).shape
    (1, 64, 10)
    """

    def __init__(self, dims: Any, name: str | None = None, **kwargs: Any) -> None:
        try:
            given = tuple(dims)
        except TypeError:
            given = None
        if given is None or not given or not all(_is_int(d) for d in given) \
                or sorted(int(d) for d in given) != list(range(1, len(given) + 1)):
            raise ConfigError(f"Permute dims must number every axis of a sample once, counting from 1 (the batch "
                              f"axis is not counted), got {dims!r}; e.g. dims=(2, 1) to swap steps and features.")
        self.dims = tuple(int(d) for d in given)
        _base_settings(self, name, kwargs, "Permute")
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        if len(tuple(input_shape)) != len(self.dims):
            raise ShapeError(f"Permute layer {self.name!r} reorders samples of {len(self.dims)} axes (dims="
                             f"{self.dims}), but was given samples of shape {tuple(input_shape)}; give it data of "
                             f"{len(self.dims) + 1} axes (batch included), or change dims.")
        return tuple(input_shape[d - 1] for d in self.dims)

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        self.compute_output_shape(x.shape[1:])
        return F.transpose(x, (0, *self.dims))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dims": self.dims}


class Identity(Layer):
    """The inputs as they are, Keras's ``layers.Identity``: a placeholder where a model has no operation to do
    (a mask passes through it too).

    >>> import fnlearn as fl
    >>> fl.layers.Identity()([[1.0, 2.0]]).numpy().tolist()
    [[1.0, 2.0]]
    """

    supports_masking = True

    def __init__(self, name: str | None = None, **kwargs: Any) -> None:
        _base_settings(self, name, kwargs, "Identity")
        self.built = True

    def forward(self, x: Any) -> Tensor:
        return x if isinstance(x, Tensor) else as_input(x, _float_of(x), self.name)


class UpSampling1D(Layer):
    """Each step of a sequence repeated ``size`` times, Keras's ``layers.UpSampling1D``: (batch, steps,
    features) → (batch, steps·size, features). The gradient of a step sums its copies'.

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.UpSampling1D(2)(np.array([[[1.0], [2.0]]])).numpy()[0, :, 0].tolist()
    [1.0, 1.0, 2.0, 2.0]
    """

    def __init__(self, size: int = 2, name: str | None = None, **kwargs: Any) -> None:
        if not _is_int(size) or size < 1:
            raise ConfigError(f"UpSampling1D size must be a whole number of at least 1 (the copies of each step), "
                              f"got {size!r}; e.g. size=2.")
        self.size = int(size)
        _base_settings(self, name, kwargs, "UpSampling1D")
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[Any, ...]:
        steps, features = _sequence_shape(input_shape, f"UpSampling1D layer {self.name!r}")
        return (None if steps is None else steps * self.size), features

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        self.compute_output_shape(x.shape[1:])
        batch, steps, features = x.shape
        # (b, s, 1, f) tiled to (b, s, size, f) then merged: each step's copies side by side, as ops.repeat gives
        return F.reshape(F.tile(F.expand_dims(x, 2), (1, 1, self.size, 1)), (batch, steps * self.size, features))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size}


class ZeroPadding1D(Layer):
    """Zeros before and after each sequence, Keras's ``layers.ZeroPadding1D``: ``padding`` is an int for both
    ends or a pair (before, after); (batch, steps, features) → (batch, before + steps + after, features), or the
    last axis padded with ``data_format="channels_first"``.

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.ZeroPadding1D((1, 2))(np.ones((1, 2, 1))).numpy()[0, :, 0].tolist()
    [0.0, 1.0, 1.0, 0.0, 0.0]
    """

    def __init__(self, padding: Any = 1, data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        if data_format not in (None, "channels_last", "channels_first"):
            raise ConfigError(f"ZeroPadding1D data_format must be 'channels_last' (batch, steps, features) or "
                              f"'channels_first' (batch, features, steps), got {data_format!r}.")
        self.data_format = data_format or "channels_last"
        self.padding = _two_counts(padding, "padding", "ZeroPadding1D", "(1, 2)")
        _base_settings(self, name, kwargs, "ZeroPadding1D")
        self.built = True

    @property
    def _axis(self) -> int:
        """The padded axis of a sample: the steps."""
        return 1 if self.data_format == "channels_first" else 0

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[Any, ...]:
        shape = list(_sequence_shape(input_shape, f"ZeroPadding1D layer {self.name!r}"))
        if shape[self._axis] is not None:
            shape[self._axis] += sum(self.padding)
        return tuple(shape)

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        self.compute_output_shape(x.shape[1:])
        widths = [(0, 0), (0, 0), (0, 0)]
        widths[self._axis + 1] = self.padding
        return F.pad(x, widths)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class Cropping1D(Layer):
    """Steps cut off the start and end of each sequence, Keras's ``layers.Cropping1D``: ``cropping`` is an int
    for both ends or a pair (start, end); at least one step must remain.

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.Cropping1D((1, 0))(np.arange(3.0).reshape(1, 3, 1)).numpy()[0, :, 0].tolist()
    [1.0, 2.0]
    """

    def __init__(self, cropping: Any = (1, 1), name: str | None = None, **kwargs: Any) -> None:
        self.cropping = _two_counts(cropping, "cropping", "Cropping1D", "(1, 1)")
        _base_settings(self, name, kwargs, "Cropping1D")
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[Any, ...]:
        steps, features = _sequence_shape(input_shape, f"Cropping1D layer {self.name!r}")
        if steps is None:
            return None, features
        if steps - sum(self.cropping) <= 0:
            raise ShapeError(f"Cropping1D layer {self.name!r} cuts {self.cropping[0]} + {self.cropping[1]} steps off "
                             f"sequences of {steps} steps, which leaves none; crop fewer steps, or give longer "
                             "sequences.")
        return steps - sum(self.cropping), features

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        self.compute_output_shape(x.shape[1:])
        start, end = self.cropping
        return F.getitem(x, (slice(None), slice(start, x.shape[1] - end)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cropping": self.cropping}


# ----------------------------------------------------------------------------- noise


class _NoiseLayer(Layer):
    """A layer that perturbs its inputs in training only (inside ``fit``, or called with ``training=True``) and
    passes them through in inference, drawing its noise as :class:`~fnlearn.nn.layers.Dropout` draws its masks:
    the k-th training call from the generator seeded by ``(seed, k)`` (``seed`` drawn from ``fl.set_seed``'s
    generator at the first call when not given; ``draws``, k, saved with the training state)."""

    supports_masking = True  # each value is perturbed alone: a sequence's mask passes on

    def __init__(self, seed: Any, name: str | None, kwargs: dict[str, Any]) -> None:
        owner = type(self).__name__
        self.seed: int | None = None if seed is None else backend.check_seed(
            seed, f"{owner} seed", "e.g. seed=0, or None for one drawn from fl.set_seed's generator")
        self.draws = 0  # training calls so far: the next noise comes from the generator seeded (seed, draws)
        _base_settings(self, name, kwargs, owner)
        self.built = True

    def next_normal(self, shape: tuple[int, ...], dtype: Any) -> Any:
        """The next training call's standard normal draws of ``shape`` on the backend's device.

        >>> layer = GaussianNoise(0.1, seed=1); layer.next_normal((2, 3), "float32").shape, layer.draws
        ((2, 3), 1)
        """
        if self.seed is None:
            self.seed = int(backend.rng().integers(2**62))
        values = np.random.default_rng([self.seed, self.draws]).standard_normal(shape)
        self.draws += 1
        return backend.to_device(values.astype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}


class GaussianNoise(_NoiseLayer):
    """Zero-centred Gaussian noise of standard deviation ``stddev`` added to every value in training, Keras's
    ``layers.GaussianNoise`` (a regulariser, a kind of data augmentation for real-valued inputs); in inference
    the inputs pass as they are. ``stddev`` is in [0, 1], as Keras requires.

    >>> import fnlearn as fl, numpy as np
    >>> noise = fl.layers.GaussianNoise(0.5, seed=2)
    >>> noisy, clean = noise(np.zeros((2, 3)), training=True), noise(np.zeros((2, 3)), training=False)
    >>> bool((noisy.numpy() != 0).all()), bool(clean.numpy().any())
    (True, False)
    """

    def __init__(self, stddev: float, seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        self.stddev = _finite(stddev, "stddev", "GaussianNoise", "a number in [0, 1] (the standard deviation of the "
                              "noise added in training, e.g. 0.1)", 0.0, 1.0)
        super().__init__(seed, name, kwargs)

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        if not self.training or self.stddev == 0.0:
            return x
        noise = self.next_normal(x.shape, np.float64) * self.stddev
        return F.add(x, Tensor(noise.astype(x.dtype)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "stddev": self.stddev}


class GaussianDropout(_NoiseLayer):
    """Every value multiplied in training by Gaussian noise of mean 1 and standard deviation
    √(rate / (1 − rate)), Keras's ``layers.GaussianDropout`` (dropout's variance without zeros); in inference the
    inputs pass as they are. ``rate`` is in [0, 1): at 1 the deviation would be infinite.

    >>> import fnlearn as fl, numpy as np
    >>> drop = fl.layers.GaussianDropout(0.5, seed=2)
    >>> out = drop(np.ones((1000, 10)), training=True).numpy()
    >>> round(float(out.mean()), 1), round(float(out.std()), 1), drop(np.ones((1, 2)), training=False).numpy().tolist()
    (1.0, 1.0, [[1.0, 1.0]])
    """

    def __init__(self, rate: float, seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        self.rate = dropout_rate(rate, "GaussianDropout rate")
        super().__init__(seed, name, kwargs)

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        if not self.training or self.rate == 0.0:
            return x
        factors = 1.0 + self.next_normal(x.shape, np.float64) * math.sqrt(self.rate / (1.0 - self.rate))
        return F.mul(x, Tensor(factors.astype(x.dtype)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate}


# ----------------------------------------------------------------------------- activations and normalisation


class ELU(Layer):
    """The exponential linear unit, Keras's ``layers.ELU``: x for x > 0, α·(eˣ − 1) otherwise (α = ``alpha``,
    1 by default).

    >>> import fnlearn as fl
    >>> [round(v, 4) for v in fl.layers.ELU(0.5)([[-1.0, 2.0]]).numpy()[0].tolist()]
    [-0.3161, 2.0]
    """

    supports_masking = True

    def __init__(self, alpha: float = 1.0, name: str | None = None, **kwargs: Any) -> None:
        self.alpha = _finite(alpha, "alpha", "ELU", "a finite number (the scale of the negative part, e.g. 1.0)")
        _base_settings(self, name, kwargs, "ELU")
        self.built = True

    def forward(self, x: Any) -> Tensor:
        return F.elu(as_input(x, _float_of(x), self.name), self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(Layer):
    """The parametric ReLU, Keras's ``layers.PReLU``: x for x > 0, α·x otherwise, with α a trained weight of the
    samples' shape (zeros at first, as Keras's ``alpha_initializer="Zeros"``); ``shared_axes`` (numbered from 1,
    as Keras numbers them) share one α along those axes, e.g. ``[1, 2]`` for one α per channel of images.

    >>> import fnlearn as fl, numpy as np
    >>> prelu = fl.layers.PReLU(alpha_initializer={"name": "constant", "value": 0.25}, shared_axes=[1])
    >>> prelu(np.array([[[-4.0, 2.0]]])).numpy().tolist(), prelu.alpha.shape
    ([[[-1.0, 2.0]]], (1, 2))
    """

    supports_masking = True
    _weight_constraints = {"alpha": "alpha_constraint"}
    _weight_regularizers = {"alpha": "alpha_regularizer"}

    def __init__(self, alpha_initializer: Any = "zeros", alpha_regularizer: Any = None, alpha_constraint: Any = None,
                 shared_axes: Any = None, name: str | None = None, **kwargs: Any) -> None:
        self.alpha_constraint = constraints.get(alpha_constraint)
        axes = shared_axes if shared_axes is None or isinstance(shared_axes, (list, tuple)) else [shared_axes]
        if axes is not None and not all(_is_int(a) and a >= 1 for a in axes):
            raise ConfigError(f"PReLU shared_axes must be None or sample axes numbered from 1 (the batch axis is not "
                              f"counted), got {shared_axes!r}; e.g. shared_axes=[1, 2] for one alpha per channel of "
                              "images.")
        self.shared_axes: list[int] | None = None if axes is None else [int(a) for a in axes]
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        # not built here even with input_shape: a model built from it builds it, as Keras 3 does
        _base_settings(self, name, kwargs, "PReLU")
        self.alpha: Parameter | None = None

    def weight_shape(self, input_shape: tuple[Any, ...]) -> tuple[int, ...]:
        """The shape of α for samples of ``input_shape`` (batch axis excluded): theirs, 1 along the shared axes.

        >>> PReLU(shared_axes=[1, 2]).weight_shape((28, 28, 16))
        (1, 1, 16)
        """
        shape = list(input_shape)
        shared = self.shared_axes or []
        if any(a > len(shape) for a in shared):
            raise ShapeError(f"PReLU layer {self.name!r} shares alpha along axes {shared}, but its samples have shape "
                             f"{tuple(input_shape)}, with axes 1 to {len(shape)}; fix shared_axes.")
        for axis in shared:
            shape[axis - 1] = 1
        if any(size is None for size in shape):
            raise ShapeError(f"PReLU layer {self.name!r} makes one alpha per value of its samples, but samples of "
                             f"shape {tuple(input_shape)} leave a size unknown (None); share alpha along that axis "
                             "(shared_axes=[1] for the steps of sequences) or give its size.")
        return tuple(int(size) for size in shape)

    def build(self, input_shape: tuple[int, ...]) -> None:
        shape = self.weight_shape(tuple(input_shape))
        with backend.using_dtype(self.dtype):
            self.alpha = Parameter(self.alpha_initializer(shape), name="alpha")
        self.built = True

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, np.dtype(self.dtype) if self.alpha is None else self.alpha.data.dtype, self.name)
        self._ensure_built(x)
        assert self.alpha is not None
        sample, alpha_shape = tuple(x.shape[1:]), tuple(self.alpha.shape)
        if len(sample) != len(alpha_shape) or any(a not in (1, s) for a, s in zip(alpha_shape, sample)):
            raise ShapeError(f"PReLU layer {self.name!r} was built for samples its alpha of shape {alpha_shape} fits, "
                             f"but was given samples of shape {sample}; give it samples of the shape it was built "
                             "for, or make a new layer.")
        # Keras's relu(x) − α·relu(−x), which is α·x exactly for x < 0 (the negation is exact)
        return F.where(x.data > 0, x, F.mul(self.alpha, x))

    def get_config(self) -> dict[str, Any]:
        regularizer = regularizers.serialize(self.alpha_regularizer)
        return {**super().get_config(), "alpha_initializer": initializers.name_of(self.alpha_initializer),
                "alpha_regularizer": regularizer, "alpha_constraint": constraints.serialize(self.alpha_constraint),
                "shared_axes": self.shared_axes}


class UnitNormalization(Layer):
    """Each sample scaled to an L2 norm of 1 across ``axis`` (an int or a list of sample axes; the last by
    default), Keras's ``layers.UnitNormalization``: ``x / √max(Σx², 1e-24)``, so a zero sample stays zero, as
    Keras's ``ops.normalize`` computes it. The batch axis cannot be normalised across: a sample would then depend
    on the others in its batch.

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.UnitNormalization()(np.array([[3.0, 4.0], [0.0, 0.0]])).numpy().tolist()  # float64 data
    [[0.6, 0.8], [0.0, 0.0]]
    """

    supports_masking = True

    def __init__(self, axis: Any = -1, name: str | None = None, **kwargs: Any) -> None:
        if isinstance(axis, (list, tuple)) and axis and all(_is_int(a) for a in axis):
            self.axis: int | list[int] = [int(a) for a in axis]
        elif _is_int(axis):
            self.axis = int(axis)
        else:
            raise ConfigError(f"UnitNormalization axis must be an int or a list of ints (the axes normalised across, "
                              f"e.g. -1 for the features), got {axis!r}.")
        _base_settings(self, name, kwargs, "UnitNormalization")
        self.built = True

    def _axes(self, rank: int) -> tuple[int, ...]:
        """The normalised axes of inputs of ``rank`` axes (batch included), each in range and none the batch's."""
        given = self.axis if isinstance(self.axis, list) else [self.axis]
        if any(not -rank <= a < rank or a % rank == 0 for a in given):
            raise ShapeError(f"UnitNormalization layer {self.name!r} normalises across axis={self.axis!r}, but its "
                             f"inputs have {rank} axes (batch included), whose sample axes are {list(range(1, rank))} "
                             f"(or {list(range(1 - rank, 0))} counted from the end); fix axis, or give it inputs with "
                             "those axes.")
        return tuple(sorted({a % rank for a in given}))

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        self._axes(len(tuple(input_shape)) + 1)
        return tuple(input_shape)

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        axes = self._axes(x.ndim)
        squares = F.sum(F.mul(x, x), axis=axes, keepdims=True)
        # the floor before the root keeps the gradient finite at a zero sample (it gets 1/ε, Keras's slope there)
        return F.div(x, F.sqrt(F.maximum(squares, _UNIT_NORM_EPSILON ** 2)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


SHAPE_LAYERS: dict[str, type[Layer]] = {
    "Permute": Permute, "Identity": Identity, "UpSampling1D": UpSampling1D, "ZeroPadding1D": ZeroPadding1D,
    "Cropping1D": Cropping1D, "GaussianNoise": GaussianNoise, "GaussianDropout": GaussianDropout, "ELU": ELU,
    "PReLU": PReLU, "UnitNormalization": UnitNormalization}
LAYERS.update(SHAPE_LAYERS)  # the classes a model file may name

__all__ = list(SHAPE_LAYERS)
