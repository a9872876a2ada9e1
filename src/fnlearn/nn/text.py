"""Layers for sequences (of words, of measurements): ``Embedding`` (a learned vector per word index), the 1-D
convolution ``Conv1D`` with ``MaxPooling1D`` and ``AveragePooling1D``, and the pooling of a sequence into one
vector, ``GlobalAveragePooling1D`` and ``GlobalMaxPooling1D`` — the text classifiers of Keras's tutorials (IMDB
reviews as padded word indices → Embedding → Conv1D or pooling or Flatten → Dense).

A sequence of shape (steps, channels) is an image one pixel high, so the 1-D layers run the 2-D convolution and
pooling (:mod:`.conv`) on windows one row high: one implementation, its speed and its gradients checked once.

An embedding is the lecture's function with unknown parameters once more: looking up row i of a table W is
``onehot(i) @ W``, a Dense layer without bias on a one-hot input, computed without making the one-hot vectors.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> model = fl.Sequential([fl.layers.Embedding(1000, 8, input_length=20),
    ...                        fl.layers.GlobalAveragePooling1D(), fl.layers.Dense(1, activation="sigmoid")])
    >>> model.output_shape, model.num_parameters()
    ((1,), 8009)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, DataError, ShapeError
from ..tensor import Parameter, Tensor
from . import constraints, initializers, regularizers
from .conv import Workspace, _axis_plan, _check_dilated_strides, _conv2d, _Convolution, _max_pool2d, avg_pool2d
from .layers import LAYERS, Layer, _float_of, _reject_unknown_kwargs, _shape_tuple, as_input, known_features


def _count(value: Any, owner: str, name: str, example: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{owner} {name} must be a whole number of at least 1, got {value!r}; {example}.")
    return int(value)


class Embedding(Layer):
    """A learned vector of ``output_dim`` numbers for each word index 0 … ``input_dim`` − 1, Keras's
    ``layers.Embedding``: samples of word indices of shape (steps,) become (steps, output_dim).

    ``input_length`` (Keras 2's argument; Keras 3 ignores it) declares the samples' length, as ``input_shape``
    does. Indices must be whole numbers in range: another value is refused in one sentence (a GPU would read
    past the table). ``mask_zero=True`` marks index 0 as padding: the recurrent layers after it skip those steps
    and ``GlobalAveragePooling1D`` leaves them out of its mean (without it, padding counts as a word).

    >>> import fnlearn as fl, numpy as np
    >>> layer = fl.layers.Embedding(10, 3)
    >>> layer(np.array([[1, 2, 1]])).shape, layer.embeddings.shape
    ((1, 3, 3), (10, 3))
    """

    _weight_constraints = {"embeddings": "embeddings_constraint"}
    _weight_regularizers = {"embeddings": "embeddings_regularizer"}

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 embeddings_regularizer: Any = None, mask_zero: bool = False, input_length: int | None = None,
                 name: str | None = None, weights: Any = None, embeddings_constraint: Any = None,
                 **kwargs: Any) -> None:
        _reject_unknown_kwargs("Embedding", kwargs, allow=("input_shape",))
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.input_dim = _count(input_dim, "Embedding", "input_dim", "give the vocabulary size, e.g. 10000")
        self.output_dim = _count(output_dim, "Embedding", "output_dim", "give the length of each word's vector, "
                                 "e.g. 16")
        if not isinstance(mask_zero, (bool, np.bool_)):
            raise ConfigError(f"Embedding mask_zero must be True (index 0 is padding, which the recurrent layers and "
                              f"GlobalAveragePooling1D after it skip) or False, got {mask_zero!r}.")
        self.mask_zero = bool(mask_zero)
        input_shape = kwargs.get("input_shape")
        if input_length is not None:
            length = (_count(input_length, "Embedding", "input_length", "give the padded length of the sequences, "
                             "e.g. maxlen from pad_sequences"),)
            if input_shape is not None and _shape_tuple(input_shape, "input_shape") != length:
                raise ConfigError(f"Embedding got input_length={input_length!r} and input_shape={input_shape!r}, "
                                  "which disagree; give only one of them.")
            input_shape = length
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        super().__init__(name=name, input_shape=input_shape, trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.embeddings: Parameter | None = None
        self._workspace = Workspace()
        table = None if weights is None else self._starting_table(weights)
        if self.input_shape is not None or table is not None:
            self.build(self.input_shape)
        if table is not None:  # Keras's weights=: a table learned elsewhere (GloVe's vectors), the layer built
            self.embeddings.data[...] = backend.to_device(table)

    def _starting_table(self, weights: Any) -> np.ndarray:
        """``weights=`` as the table it gives, Keras 3's matrix or Keras 2's list of one; checked in one sentence."""
        given = weights[0] if isinstance(weights, (list, tuple)) and len(weights) == 1 else weights
        try:
            table = np.asarray(given, dtype=np.float64)
        except (TypeError, ValueError):
            table = np.zeros(0)
        if table.shape != (self.input_dim, self.output_dim) or not np.isfinite(table).all():
            raise ConfigError(f"Embedding(input_dim={self.input_dim}, output_dim={self.output_dim}) got weights of "
                              f"shape {getattr(table, 'shape', '?')}; give one finite matrix of shape "
                              f"({self.input_dim}, {self.output_dim}), a row per word, e.g. weights=embedding_matrix.")
        return table

    def build(self, input_shape: tuple[int, ...] | None = None) -> None:
        # the table does not depend on the samples' shape: made when the shape is known, as a Dense layer's weights
        with backend.using_dtype(self.dtype):
            self.embeddings = Parameter(self.embeddings_initializer((self.input_dim, self.output_dim)),
                                        name="embeddings")
        self.built = True

    def forward(self, x: Any) -> Tensor:
        if self.embeddings is None:
            self.build()
        raw = x.data if isinstance(x, Tensor) else np.asarray(x)
        if raw.dtype.kind not in "iuf":
            raise DataError(f"Embedding layer {self.name!r} takes word indices (whole numbers), got values of type "
                            f"{raw.dtype}; turn the words into indices first, with a dict from each word to its index.")
        raw = backend.to_device(raw)
        xp = backend.xp()
        if raw.size:
            low, high = float(raw.min()), float(raw.max())
            whole = raw.dtype.kind != "f" or bool(xp.all(raw == xp.floor(raw)))
            if not whole or low < 0 or high >= self.input_dim:
                found = "values that are not whole numbers" if not whole else \
                    f"index {int(low) if low < 0 else int(high)}"
                raise DataError(f"Embedding layer {self.name!r} takes word indices from 0 to {self.input_dim - 1} "
                                f"(input_dim={self.input_dim}), got {found}; give input_dim = the largest index + 1 "
                                "(the vocabulary size), or keep the indices below it.")
        out = F.embedding(self.embeddings, raw.astype(np.int64), self._workspace)
        if self.mask_zero:
            out._mask = raw != 0
        return out

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (*tuple(input_shape), self.output_dim)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": initializers.name_of(self.embeddings_initializer),
                "mask_zero": self.mask_zero}


class ReversibleEmbedding(Embedding):
    """An Embedding that also maps vectors back to word scores, Keras's ``layers.ReversibleEmbedding`` (the tied
    input and output embeddings of a language model, Press & Wolf 2017): ``layer(indices)`` looks words up as
    :class:`Embedding` does; ``layer(h, reverse=True)`` gives h·Eᵀ, one logit per word of the vocabulary, from the
    same table E (``tie_weights=True``, the default) or from a ``reverse_embeddings`` matrix (output_dim,
    input_dim) of its own. ``logit_soft_cap=c`` bounds the logits smoothly, c·tanh(logit / c), as Gemma's.

    >>> import fnlearn as fl, numpy as np
    >>> layer = fl.layers.ReversibleEmbedding(3, 2, embeddings_initializer="ones")
    >>> layer(np.array([[2, 0]])).shape, layer(np.array([[1.0, 2.0]]), reverse=True).numpy().tolist()
    ((1, 2, 2), [[3.0, 3.0, 3.0]])
    """

    _weight_constraints = {"embeddings": "embeddings_constraint"}

    def __init__(self, input_dim: int, output_dim: int, tie_weights: bool = True,
                 embeddings_initializer: Any = "uniform", embeddings_regularizer: Any = None,
                 embeddings_constraint: Any = None, mask_zero: bool = False, reverse_dtype: Any = None,
                 logit_soft_cap: float | None = None, name: str | None = None, **kwargs: Any) -> None:
        if not isinstance(tie_weights, (bool, np.bool_)):
            raise ConfigError(f"ReversibleEmbedding tie_weights must be True (the reverse step reads the table "
                              f"itself) or False (a matrix of its own), got {tie_weights!r}.")
        if reverse_dtype not in (None, "float32", "float64"):
            raise ConfigError(f"ReversibleEmbedding reverse_dtype must be None (the layer's), 'float32' or 'float64', "
                              f"fnlearn's precisions, got {reverse_dtype!r}; leave it out.")
        if logit_soft_cap is not None and (isinstance(logit_soft_cap, bool) or not isinstance(
                logit_soft_cap, (int, float, np.integer, np.floating)) or not 0 < logit_soft_cap < np.inf):
            raise ConfigError(f"ReversibleEmbedding logit_soft_cap must be a number > 0 (the logits' smooth bound) or "
                              f"None, got {logit_soft_cap!r}; e.g. logit_soft_cap=30.")
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = None if logit_soft_cap is None else float(logit_soft_cap)
        self.reverse_embeddings: Parameter | None = None
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer, mask_zero=mask_zero, name=name,
                         embeddings_constraint=embeddings_constraint, **kwargs)

    def build(self, input_shape: tuple[int, ...] | None = None) -> None:
        super().build(input_shape)
        if not self.tie_weights:
            with backend.using_dtype(self.dtype):
                self.reverse_embeddings = Parameter(self.embeddings_initializer((self.output_dim, self.input_dim)),
                                                    name="reverse_embeddings")

    def forward(self, x: Any, reverse: bool = False) -> Tensor:
        if not isinstance(reverse, (bool, np.bool_)):
            raise ConfigError(f"ReversibleEmbedding layer {self.name!r} got reverse={reverse!r}; it takes True "
                              "(vectors to word logits) or False (word indices to vectors).")
        if not reverse:
            return super().forward(x)
        if self.embeddings is None:
            self.build()
        dtype = np.dtype(self.reverse_dtype or self.dtype)
        h = as_input(x, dtype, self.name)
        if h.shape[-1] != self.output_dim:
            raise ShapeError(f"ReversibleEmbedding layer {self.name!r} maps vectors of {self.output_dim} numbers back "
                             f"to words, got shape {tuple(h.shape)}; give it the vectors the model computes from its "
                             "embeddings, (…, output_dim).")
        kernel = F.transpose(self.embeddings) if self.tie_weights else self.reverse_embeddings
        if kernel.dtype != dtype:
            kernel = F.cast(kernel, dtype)
        logits = F.matmul(h, kernel)
        if self.logit_soft_cap is not None:
            logits = F.tanh(logits * (1.0 / self.logit_soft_cap)) * self.logit_soft_cap
        return logits

    def compute_output_shape(self, input_shape: tuple[int, ...], reverse: bool = False) -> tuple[int, ...]:
        shape = tuple(input_shape)
        return (*shape[:-1], self.input_dim) if reverse else (*shape, self.output_dim)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "tie_weights": self.tie_weights, "reverse_dtype": self.reverse_dtype,
                "logit_soft_cap": self.logit_soft_cap}


def _length(value: Any, owner: str, name: str) -> int:
    """An int ≥ 1, or a tuple of one (Keras takes ``3`` and ``(3,)``)."""
    one = value[0] if isinstance(value, (tuple, list)) and len(value) == 1 else value
    return _count(one, owner, name, f"e.g. {name}=3")


def _sequence_padding(value: Any, owner: str, causal: bool = False) -> str:
    """``padding`` checked: "valid" or "same", and "causal" too where ``causal`` (Conv1D's, as in Keras)."""
    name = value.lower() if isinstance(value, str) else value
    if name == "causal" and causal:
        return "causal"
    if name == "causal":
        raise ConfigError(f"{owner} got padding='causal', which only Conv1D has (as in Keras); use 'valid' or "
                          "'same'.")
    if name not in ("valid", "same"):
        raise ConfigError(f"{owner} padding must be 'valid' (no padding: the output shrinks by the window) or 'same' "
                          f"(zeros around: the output keeps the length divided by the strides), got {value!r}.")
    return str(name)


def _steps(shape: Any, who: str) -> tuple[Any, Any]:
    """One sample's shape as (steps, channels), or one ShapeError sentence; the steps may be unknown (None)."""
    shape = tuple(shape)
    if len(shape) != 2:
        raise ShapeError(f"{who} takes sequences, samples of shape (steps, channels), got samples of shape {shape}; "
                         "put an Embedding before it, or reshape each sample to (steps, 1).")
    return tuple(None if s is None else int(s) for s in shape)  # type: ignore[return-value]


def _out_steps(steps: int | None, window: int, stride: int, padding: str, who: str, what: str) -> int | None:
    if steps is None:  # known with the data: checked then
        return None
    if padding == "valid" and steps < window:
        raise ShapeError(f"{who} has a {what} of {window} steps, longer than its input of {steps} steps with "
                         "padding='valid'; use padding='same', a smaller window, or fewer pooling layers before it.")
    return _axis_plan(steps, window, stride, padding)[0]


def _one_row(x: Tensor) -> Tensor:
    """Sequences (N, steps, C) as images one pixel high, (N, 1, steps, C)."""
    return F.reshape(x, (x.shape[0], 1, *x.shape[1:]))


def _rows_back(x: Tensor) -> Tensor:
    return F.reshape(x, (x.shape[0], *x.shape[2:]))


class Conv1D(_Convolution):
    """A 1-D convolution layer, Keras's ``layers.Conv1D``: ``filters`` kernels of ``kernel_size`` steps slide along
    sequences (batch, steps, channels), ``strides`` apart, with ``padding`` "valid" or "same" as in Conv2D, or
    "causal": (k − 1)·d zeros before the sequence, so that step t of the output sees steps ≤ t only and the
    length is kept (divided by the strides), as in WaveNet. ``dilation_rate`` d spaces the kernel's taps d steps
    apart, a window of (k − 1)·d + 1 steps (with strides of 1, as Keras requires). The kernel has Keras's shape
    (kernel_size, in_channels, filters) and Keras's Glorot-uniform start. Groups and channels_first sequences are
    refused.

    >>> import fnlearn as fl
    >>> conv = fl.layers.Conv1D(8, 5, activation="relu", input_shape=(100, 16))
    >>> conv.kernel.shape, conv.compute_output_shape((100, 16))
    ((5, 16, 8), (96, 8))
    >>> fl.layers.Conv1D(8, 2, padding="causal", dilation_rate=4).compute_output_shape((100, 16))
    (100, 8)
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1, groups: int = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, name: str | None = None,
                 **kwargs: Any) -> None:
        self._take_settings("Conv1D", filters, activation, use_bias, kernel_initializer, bias_initializer,
                            kernel_regularizer, bias_regularizer, kwargs)
        if data_format not in (None, "channels_last"):
            raise ConfigError(f"Conv1D got data_format={data_format!r}; fnlearn's Conv1D takes sequences of shape "
                              "(steps, channels) only: leave data_format out and move the channels last.")
        if groups != 1:
            raise ConfigError(f"Conv1D got groups={groups!r}; fnlearn's Conv1D has groups=1 only (every filter sees "
                              "every input channel): leave it out.")
        self.kernel_size = _length(kernel_size, "Conv1D", "kernel_size")
        self.strides = _length(strides, "Conv1D", "strides")
        self.dilation_rate = _length(dilation_rate, "Conv1D", "dilation_rate")
        _check_dilated_strides(self.strides, self.dilation_rate, (strides, dilation_rate), "Conv1D")
        self.padding = _sequence_padding(padding, "Conv1D", causal=True)
        self._start(name, kwargs)
        if self.input_shape is not None:
            self.build(self.input_shape)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        steps, _ = _steps(input_shape, self._who())
        reach = (self.kernel_size - 1) * self.dilation_rate + 1  # the steps one window spans
        what = "kernel" if self.dilation_rate == 1 else \
            f"dilated kernel ({self.kernel_size} taps {self.dilation_rate} apart)"
        return _out_steps(steps, reach, self.strides, self.padding, self._who(), what), self.filters

    sample_rank = 2  # (steps, channels)

    def kernel_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (self.kernel_size, known_features(input_shape, self._who()), self.filters)

    @property
    def input_features(self) -> int | None:
        """The input channels the built kernel takes (None before it is built)."""
        return None if self.kernel is None else int(self.kernel.shape[1])

    def forward(self, x: Any) -> Tensor:
        x = self._checked_input(x, "sequences")
        relu = self.activation is F.relu
        kernel = F.reshape(self.kernel, (1, *self.kernel.shape))
        # causal padding goes before the steps only, the width of these one-pixel-high images (_conv2d plans it)
        out = _rows_back(_conv2d(_one_row(x), kernel, self.bias, (1, self.strides), self.padding, relu,
                                 self._workspace, (1, self.dilation_rate)))
        return out if relu else self.activation(out)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dilation_rate": [self.dilation_rate]}


class _Pooling1D(Layer):
    """A window pooling layer along sequences (no weights)."""

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        owner = type(self).__name__
        _reject_unknown_kwargs(owner, kwargs, allow=("input_shape",))
        if data_format not in (None, "channels_last"):
            raise ConfigError(f"{owner} got data_format={data_format!r}; fnlearn's {owner} takes sequences of shape "
                              "(steps, channels) only: leave data_format out and move the channels last.")
        self.pool_size = _length(pool_size, owner, "pool_size")
        self.strides = self.pool_size if strides is None else _length(strides, owner, "strides")
        self.padding = _sequence_padding(padding, owner)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self._workspace = Workspace()
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        who = f"{type(self).__name__} layer {self.name!r}"
        steps, channels = _steps(input_shape, who)
        return _out_steps(steps, self.pool_size, self.strides, self.padding, who, "window"), channels

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        self.compute_output_shape(x.shape[1:])
        return _rows_back(self._pool(_one_row(x)))

    def _pool(self, images: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "pool_size": [self.pool_size], "strides": [self.strides],
                "padding": self.padding}


class MaxPooling1D(_Pooling1D):
    """The largest value of each window of ``pool_size`` steps, Keras's ``layers.MaxPooling1D`` (windows of 2,
    as far apart as they are long, by default).

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.MaxPooling1D(2)(np.array([[[1.0], [4.0], [2.0], [3.0]]])).numpy()[0, :, 0].tolist()
    [4.0, 3.0]
    """

    def _pool(self, images: Tensor) -> Tensor:
        return _max_pool2d(images, (1, self.pool_size), (1, self.strides), self.padding, self._workspace)


class AveragePooling1D(_Pooling1D):
    """The mean of each window of ``pool_size`` steps, Keras's ``layers.AveragePooling1D`` (with
    ``padding="same"`` a window at the end is the mean of its steps inside the sequence).

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.AveragePooling1D(2)(np.array([[[1.0], [4.0], [2.0], [3.0]]])).numpy()[0, :, 0].tolist()
    [2.5, 2.5]
    """

    def _pool(self, images: Tensor) -> Tensor:
        return avg_pool2d(images, (1, self.pool_size), (1, self.strides), self.padding)


class _GlobalPooling1D(Layer):
    """One value per feature over the whole sequence (no weights)."""

    def __init__(self, data_format: str | None = None, keepdims: bool = False, name: str | None = None,
                 **kwargs: Any) -> None:
        owner = type(self).__name__
        _reject_unknown_kwargs(owner, kwargs, allow=("input_shape",))
        if data_format not in (None, "channels_last", "channels_first"):
            raise ConfigError(f"{owner} data_format must be 'channels_last' (samples of (steps, features)) or "
                              f"'channels_first' ((features, steps)), got {data_format!r}.")
        if not isinstance(keepdims, (bool, np.bool_)):
            raise ConfigError(f"{owner} keepdims must be True or False, got {keepdims!r}.")
        self.data_format = data_format or "channels_last"
        self.keepdims = bool(keepdims)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    @property
    def _steps_axis(self) -> int:
        return 1 if self.data_format == "channels_last" else 2

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        shape = tuple(input_shape)
        if len(shape) != 2:
            order = "(steps, features)" if self.data_format == "channels_last" else "(features, steps)"
            raise ShapeError(f"{type(self).__name__} layer {self.name!r} takes sequences, samples of shape {order}, "
                             f"got samples of shape {shape}; put an Embedding (or a Reshape) before it.")
        kept = list(shape)
        kept[self._steps_axis - 1] = 1
        return tuple(kept) if self.keepdims else (shape[1 - (self._steps_axis - 1)],)

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        self.compute_output_shape(x.shape[1:])
        return self._reduce(x, self._steps_axis)

    def _reduce(self, x: Tensor, axis: int) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling1D(_GlobalPooling1D):
    """The mean of each feature over the sequence, Keras's ``layers.GlobalAveragePooling1D``: (N, steps, features)
    → (N, features); the average word vector of a review.

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.GlobalAveragePooling1D()(np.arange(6.0).reshape(1, 3, 2)).numpy().tolist()
    [[2.0, 3.0]]
    """

    supports_masking = True

    def forward(self, x: Any, mask: Any = None) -> Tensor:
        if mask is None:
            return super().forward(x)
        x = as_input(x, _float_of(x), self.name)
        self.compute_output_shape(x.shape[1:])
        from .recurrent import _as_mask

        steps = F.transpose(x, (0, 2, 1)) if self._steps_axis == 2 else x
        keep = _as_mask(mask, steps, f"GlobalAveragePooling1D layer {self.name!r}").astype(x.dtype)[:, :, None]
        # the mean over the real steps only; a sequence of padding alone gives zeros (Keras's 0/0 gives NaN)
        count = backend.xp().maximum(keep.sum(axis=1, keepdims=True), 1)
        mean = F.sum(F.mul(steps, Tensor(keep / count)), axis=1, keepdims=self.keepdims)
        return F.transpose(mean, (0, 2, 1)) if self.keepdims and self._steps_axis == 2 else mean

    def compute_mask(self, inputs: Any, mask: Any) -> Any:
        return None  # the steps are pooled away

    def _reduce(self, x: Tensor, axis: int) -> Tensor:
        return F.mean(x, axis=axis, keepdims=self.keepdims)


class GlobalMaxPooling1D(_GlobalPooling1D):
    """The largest value of each feature over the sequence, Keras's ``layers.GlobalMaxPooling1D`` (a tie shares the
    gradient, as Keras's max does).

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.GlobalMaxPooling1D()(np.array([[[1.0, 5.0], [3.0, 2.0]]])).numpy().tolist()
    [[3.0, 5.0]]
    """

    def _reduce(self, x: Tensor, axis: int) -> Tensor:
        return F.max(x, axis=axis, keepdims=self.keepdims)


GlobalAvgPool1D = GlobalAveragePooling1D  # Keras's short names
GlobalMaxPool1D = GlobalMaxPooling1D
MaxPool1D = MaxPooling1D
AvgPool1D = AveragePooling1D
Convolution1D = Conv1D

TEXT: dict[str, type[Layer]] = {"Embedding": Embedding, "Conv1D": Conv1D, "MaxPooling1D": MaxPooling1D,
                                "AveragePooling1D": AveragePooling1D, "GlobalAveragePooling1D": GlobalAveragePooling1D,
                                "GlobalMaxPooling1D": GlobalMaxPooling1D, "ReversibleEmbedding": ReversibleEmbedding}
LAYERS.update(TEXT)  # the classes a model file may name
