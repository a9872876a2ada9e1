"""Layers that hold another layer, and layers that reshape sequences around other layers: Keras's
``layers.Wrapper`` (the base class), ``layers.TimeDistributed``, ``layers.SpectralNormalization`` and
``layers.RepeatVector``: the pieces of keras.io's sequence-to-sequence examples (the addition RNN: an encoder's vector
repeated once per output step for the decoder, a Dense applied to every step), video classifiers (a Conv2D applied to
every frame), taggers, and GANs (a discriminator whose layers are kept 1-Lipschitz).

``TimeDistributed(layer)`` runs ``layer`` on each step of (batch, steps, ...) inputs with the same weights: the
steps are folded into the batch, (batch·steps, ...), the layer runs once, and its outputs are unfolded to
(batch, steps, ...). Its weights are the inner layer's, in Keras's order, so ``set_weights`` takes Keras's.
``SpectralNormalization(layer)`` divides the layer's kernel by its largest singular value before each training call.
``RepeatVector(n)`` copies each (features,) sample n times, (batch, n, features); the gradient sums the copies.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.TimeDistributed(fl.layers.Dense(2))(np.ones((4, 3, 5))).shape
    (4, 3, 2)
    >>> fl.layers.RepeatVector(3)(np.ones((4, 5))).shape
    (4, 3, 5)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..model import Trainer
from ..tensor import Parameter, Tensor
from . import initializers
from .layers import LAYERS, Layer, _float_of, _reject_unknown_kwargs, as_input


class Wrapper(Layer):
    """A layer holding another, ``layer``: Keras's ``layers.Wrapper``, the base class of :class:`TimeDistributed`,
    :class:`SpectralNormalization` and wrappers of one's own (override ``call`` or ``forward``, calling
    ``self.layer``). The inner layer's weights are the wrapper's; its config is saved inside the wrapper's,
    ``{"layer": {"class_name", "config"}}``, and a config of that form (one of fnlearn's layers) rebuilds it.

    >>> import fnlearn as fl, numpy as np
    >>> class Doubled(fl.layers.Wrapper):
    ...     def call(self, x):
    ...         return 2 * self.layer(x)
    >>> Doubled(fl.layers.Dense(3, kernel_initializer="ones"))(np.ones((1, 2))).numpy().tolist()
    [[4.0, 4.0, 4.0]]
    """

    _wraps = "a layer to wrap"  # what the layer given must be, as a message says it

    def __init__(self, layer: Any, name: str | None = None, **kwargs: Any) -> None:
        who = type(self).__name__
        _reject_unknown_kwargs(who, kwargs, allow=("input_shape",))
        if isinstance(layer, dict):  # its config (Keras's from_config)
            layer = self._inner_from_config(layer)
        if not isinstance(layer, (Layer, Trainer)):
            raise ConfigError(f"{who} takes {self._wraps}, got {type(layer).__name__}; e.g. {who}(Dense(8)).")
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype", getattr(layer, "dtype", None)))
        self.layer = layer

    @classmethod
    def _inner_from_config(cls, spec: Any) -> Any:
        """The layer a wrapper's config names, a class of ``LAYERS`` (nothing else looked up)."""
        inner = LAYERS.get(spec.get("class_name")) if isinstance(spec.get("class_name"), str) else None
        config = spec.get("config")
        if inner is None or not isinstance(config, dict):
            raise ConfigError(f"{cls.__name__}'s layer config must name one of fnlearn's layers with its settings, "
                              f"got {spec.get('class_name')!r}; pass the layer itself, e.g. {cls.__name__}(Dense(8)).")
        return inner.from_config(config)

    def build(self, input_shape: Any) -> None:
        if not self.layer.built:
            self.layer.build_for(tuple(input_shape))
        self.built = True  # a layer built already (loaded from a file) needs no shape

    @property
    def built(self) -> bool:
        return self.__dict__.get("_built", False) and bool(getattr(self.__dict__.get("layer"), "built", True))

    @built.setter
    def built(self, value: bool) -> None:
        self.__dict__["_built"] = bool(value)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self.layer.output_shape_for(tuple(input_shape))

    def get_config(self) -> dict[str, Any]:
        inner = self.layer.get_config()
        inner.pop("input_shape", None)  # the wrapper's input shape is the model's; its layer's follows from it
        return {**super().get_config(), "layer": {"class_name": type(self.layer).__name__, "config": inner}}


class TimeDistributed(Wrapper):
    """Applies ``layer`` to every step of a sequence, Keras's ``layers.TimeDistributed``: inputs (batch, steps, ...)
    go through ``layer`` as (batch·steps, ...) and come out as (batch, steps, ...); every step uses the same weights.

    The steps may be unknown when the model is made (``Input(shape=(None, 8))``). A mask of padding steps passes on
    to the layers after it (and to ``layer`` too, folded as its inputs are, where its computation takes one).
    ``layer`` may be a model (a Sequential run on every frame).

    >>> import fnlearn as fl, numpy as np
    >>> frames = fl.layers.TimeDistributed(fl.layers.Conv2D(4, 3))
    >>> frames(np.ones((2, 5, 8, 8, 3))).shape, [w.shape for w in frames.get_weights()]
    ((2, 5, 6, 6, 4), [(3, 3, 3, 4), (4,)])
    """

    supports_masking = True
    _wraps = "a layer to apply to every step"

    def __init__(self, layer: Any, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(layer, name=name, **kwargs)
        if self.input_shape is not None:
            self.build(self.input_shape)

    def _step_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """The shape of one step of samples of ``input_shape``: what ``layer`` is given."""
        shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else ()
        if len(shape) < 2 or isinstance(input_shape, list) and any(isinstance(s, (tuple, list)) for s in shape):
            raise ShapeError(f"TimeDistributed layer {self.name!r} takes sequences, samples of shape (steps, ...) "
                             f"with at least one axis after the steps, got samples of shape {input_shape!r}; "
                             "reshape each sample to (steps, 1) for one number per step.")
        return shape[1:]

    def build(self, input_shape: tuple[int, ...]) -> None:
        step = self._step_shape(input_shape)
        if not self.layer.built:
            self.layer.build_for(step)
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[Any, ...]:
        out = self.layer.output_shape_for(self._step_shape(input_shape))
        if isinstance(out, list) or not isinstance(out, tuple) or any(isinstance(s, tuple) for s in out):
            raise ShapeError(f"TimeDistributed layer {self.name!r} wraps {type(self.layer).__name__} "
                             f"{getattr(self.layer, 'name', '')!r}, which gives several outputs; wrap a layer of one "
                             "output.")
        return (tuple(input_shape)[0], *out)

    def forward(self, x: Any, mask: Any = None) -> Tensor:
        if not isinstance(x, Tensor):
            data = np.asarray(x) if not hasattr(x, "dtype") else x
            x = as_input(data, data.dtype if np.dtype(data.dtype).kind in "iub" else _float_of(data), self.name)
        step = self._step_shape(x.shape[1:])
        if not self.built:
            self.build_for(tuple(x.shape[1:]))
        batch, steps = x.shape[0], x.shape[1]
        folded = F.reshape(x, (batch * steps, *step))
        kwargs = {}
        if mask is not None and isinstance(self.layer, Layer) and self.layer._takes_mask:
            kwargs["mask"] = mask.reshape(batch * steps, *mask.shape[2:])
        out = self.layer(folded, **kwargs)
        if not isinstance(out, Tensor):
            raise ShapeError(f"TimeDistributed layer {self.name!r} wraps {type(self.layer).__name__} "
                             f"{getattr(self.layer, 'name', '')!r}, which gives several outputs; wrap a layer of one "
                             "output.")
        return F.reshape(out, (batch, steps, *out.shape[1:]))


class RepeatVector(Layer):
    """Repeats each sample ``n`` times, Keras's ``layers.RepeatVector``: (batch, features) → (batch, n, features),
    as the addition RNN's encoder vector is given to every step of its decoder. The gradient sums over the copies.

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.RepeatVector(2)(np.array([[1.0, 2.0]])).numpy().tolist()
    [[[1.0, 2.0], [1.0, 2.0]]]
    """

    def __init__(self, n: int, name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("RepeatVector", kwargs, allow=("input_shape", "input_dim"))
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ConfigError(f"RepeatVector n must be a whole number of at least 1 (the copies of each sample, e.g. "
                              f"the steps of a decoder), got {n!r}.")
        self.n = int(n)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), input_dim=kwargs.get("input_dim"),
                         trainable=kwargs.get("trainable", True), dtype=kwargs.get("dtype"))
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[Any, ...]:
        if len(tuple(input_shape)) != 1:
            raise ShapeError(f"RepeatVector layer {self.name!r} takes samples of shape (features,), got samples of "
                             f"shape {tuple(input_shape)}; put a Flatten before it, or an LSTM without "
                             "return_sequences.")
        return (self.n, *tuple(input_shape))

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        self.compute_output_shape(x.shape[1:])
        return F.tile(F.expand_dims(x, 1), (1, self.n, 1))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n": self.n}


class SpectralNormalization(Wrapper):
    """Spectral normalization (Miyato et al., 2018), Keras 3's ``layers.SpectralNormalization``: before each call in
    training, the wrapped layer's kernel (a Dense's, a convolution's, an Embedding's table) is divided by its largest
    singular value σ, so the layer stretches no input by more than 1 — the constraint that keeps a GAN's
    discriminator smooth (keras.io's GAN examples).

    σ is estimated as Keras does, by ``power_iterations`` steps of the power method on the kernel as a matrix
    (its last axis the columns) from a vector ``vector_u`` (1, columns) kept between calls (a non-trained weight,
    TruncatedNormal(0.02) at first): v = u·Wᵀ / ‖u·Wᵀ‖, u = v·W / ‖v·W‖, σ = v·W·uᵀ. As in Keras the normalized
    kernel is written into the layer (the layer's kernel *is* normalized from then on) and the gradient is taken
    at it, u and v held constant; an all-zero kernel is left alone. Out of training (``predict``, ``evaluate``,
    ``eval()``) the kernel is used as it is. The weights, in Keras's order: the kernel, ``vector_u``, then the
    layer's others (its bias).

    >>> import fnlearn as fl, numpy as np
    >>> fl.set_seed(0); sn = fl.layers.SpectralNormalization(fl.layers.Dense(3), power_iterations=50)
    >>> _ = sn(np.ones((2, 4)), training=True)
    >>> round(float(np.linalg.svd(sn.layer.kernel.numpy(), compute_uv=False)[0]), 3)  # the largest singular value
    1.0
    >>> [w.shape for w in sn.get_weights()]
    [(4, 3), (1, 3), (3,)]
    """

    _statistics = ("vector_u",)  # never trained, whatever trainable says

    def __init__(self, layer: Any, power_iterations: int = 1, name: str | None = None, **kwargs: Any) -> None:
        if isinstance(power_iterations, (bool, np.bool_)) or not isinstance(power_iterations, (int, np.integer)) \
                or power_iterations < 1:
            raise ConfigError(f"SpectralNormalization power_iterations must be a whole number of at least 1, got "
                              f"{power_iterations!r}; one step per call is Keras's default and usually enough.")
        super().__init__(layer, name=name, **kwargs)
        if not isinstance(self.layer, Layer) or not any(hasattr(self.layer, a) for a in ("kernel", "embeddings")):
            raise ConfigError(f"SpectralNormalization normalizes a layer's kernel (or an Embedding's table), but "
                              f"{type(self.layer).__name__} has neither; wrap a Dense, a convolution or an Embedding.")
        self.power_iterations = int(power_iterations)
        self.kernel: Parameter | None = None  # the layer's own kernel, listed first as in Keras
        self.vector_u: Parameter | None = None
        if self.input_shape is not None:
            self.build(self.input_shape)

    def build(self, input_shape: Any) -> None:
        super().build(input_shape)
        kernel = getattr(self.layer, "kernel", None)
        kernel = getattr(self.layer, "embeddings", None) if kernel is None else kernel
        self.kernel = kernel
        with backend.using_dtype(self.dtype):
            self.vector_u = Parameter(initializers.TruncatedNormal(std=0.02)((1, kernel.shape[-1])),
                                      name="vector_u")
        self.vector_u.requires_grad = False
        self.built = True

    def forward(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        if not self.built:
            shape = x.shape[1:] if hasattr(x, "shape") else np.shape(x)[1:]
            self.build_for(tuple(shape))
        if self.training:
            self._normalize()
        return self.layer(x, *args, **kwargs)

    def _normalize(self) -> None:
        """One power-method estimate of σ from ``vector_u``; the kernel divided by it, ``vector_u`` kept."""
        xp = backend.xp()
        kernel, u = self.kernel.data, self.vector_u.data
        if not xp.any(kernel):
            return
        w = kernel.reshape(-1, kernel.shape[-1])
        cap = 1.0 / backend.epsilon()  # Keras's ops.normalize: x · min(1/‖x‖, 1/ε)
        for _ in range(self.power_iterations):
            v = u @ w.T
            v = v * xp.minimum(1.0 / xp.sqrt(xp.sum(v * v)), cap)
            u = v @ w
            u = u * xp.minimum(1.0 / xp.sqrt(xp.sum(u * u)), cap)
        sigma = (v @ w @ u.T).reshape(())
        self.vector_u.data = u.astype(self.vector_u.data.dtype)
        self.kernel.data = (kernel / sigma).astype(kernel.dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "power_iterations": self.power_iterations}


class Pipeline(Layer):
    """Layers applied one after another as one layer, Keras's ``layers.Pipeline``: a data augmentation (or other
    preprocessing) pipeline to map over a data set or to put in a model, ``Pipeline([RandomFlip(),
    RandomRotation(0.1)])``. Unlike a ``Sequential`` it is a plain layer; called on its own it runs its layers in
    training mode (it augments), as Keras's does, and in a model it follows the model's mode. Its layers' weights,
    if any, are its own.

    >>> import fnlearn as fl, numpy as np
    >>> pipe = fl.layers.Pipeline([fl.layers.RandomFlip("horizontal", seed=1), fl.layers.Rescaling(1 / 255)])
    >>> float(pipe(np.full((2, 4, 4, 3), 255.0)).numpy().max()), [type(layer).__name__ for layer in pipe.layers]
    (1.0, ['RandomFlip', 'Rescaling'])
    """

    trains_when_called = True  # Keras's call(training=True): a pipeline called on its own augments (module.py)

    def __init__(self, layers: Any, name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("Pipeline", kwargs, allow=("input_shape",))
        if not isinstance(layers, (list, tuple)) or not layers:
            raise ConfigError(f"Pipeline takes a list of layers to apply one after another, got {layers!r}; e.g. "
                              "Pipeline([RandomFlip(), RandomRotation(0.1)]).")
        made = [Wrapper._inner_from_config(item) if isinstance(item, dict) else item for item in layers]
        strangers = [type(item).__name__ for item in made if not isinstance(item, (Layer, Trainer))]
        if strangers:
            raise ConfigError(f"Pipeline takes layers, but its list holds {', '.join(strangers)}; give only layers, "
                              "e.g. Pipeline([RandomFlip(), Rescaling(1 / 255)]).")
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.stages = made  # a public list: its layers' weights are the pipeline's

    @property
    def layers(self) -> list[Any]:
        return list(self.stages)

    def build(self, input_shape: Any) -> None:
        shape = tuple(input_shape)
        for layer in self.stages:
            if not layer.built:
                layer.build_for(shape)
            shape = tuple(layer.output_shape_for(shape))
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = tuple(input_shape)
        for layer in self.stages:
            shape = tuple(layer.output_shape_for(shape))
        return shape

    def forward(self, x: Any) -> Any:
        for layer in self.stages:
            x = layer(x)
        return x

    def get_config(self) -> dict[str, Any]:
        entries = []
        for layer in self.stages:
            inner = layer.get_config()
            inner.pop("input_shape", None)  # the pipeline's input shape is the model's
            entries.append({"class_name": type(layer).__name__, "config": inner})
        return {**super().get_config(), "layers": entries}


WRAPPERS: dict[str, type[Layer]] = {"TimeDistributed": TimeDistributed, "RepeatVector": RepeatVector,
                                    "SpectralNormalization": SpectralNormalization, "Pipeline": Pipeline}
LAYERS.update(WRAPPERS)  # the classes a model file may name

__all__ = ["Wrapper", "TimeDistributed", "SpectralNormalization", "RepeatVector", "Pipeline"]
