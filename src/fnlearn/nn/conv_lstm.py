"""Convolutional LSTMs, Keras's ``ConvLSTM1D``, ``ConvLSTM2D`` and ``ConvLSTM3D``: an LSTM whose input, state and
cell are images (or sequences, or volumes) and whose two products are convolutions — the layer of Keras's
"next-frame video prediction with convolutional LSTMs" example, which reads a film frame by frame.

At each step t, with ``*`` the convolution (the input's with the layer's ``strides``, ``padding`` and
``dilation_rate``; the state's with strides 1 and ``padding="same"``, so the state keeps its size)::

    z = x_t * kernel + h_{t-1} * recurrent_kernel + bias        (filters·4 channels: the gates i, f, c, o)
    c_t = σ(z_f) ⊙ c_{t-1} + σ(z_i) ⊙ tanh(z_c);   h_t = σ(z_o) ⊙ tanh(c_t)

with Keras's shapes and gate order, so ``set_weights`` takes Keras's weights and the outputs agree. The input's
convolution runs once for every step together (the frames as one batch of images); the loop over the steps is
written with fnlearn's differentiable ops, so the gradients are the autodiff's, checked like every op's.

In training, ``dropout`` and ``recurrent_dropout`` zero input and state values with one mask per sequence, the
same at every step and for the four gates (Keras's cell draws them so as well, from its own generator).

Example:
    >>> import fnlearn as fl, numpy as np
    >>> layer = fl.layers.ConvLSTM2D(4, 3, padding="same", return_sequences=True)
    >>> layer(np.zeros((2, 5, 8, 8, 1))).shape, layer.kernel.shape, layer.recurrent_kernel.shape
    ((2, 5, 8, 8, 4), (3, 3, 1, 16), (3, 3, 4, 16))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..tensor import Parameter, Tensor
from .conv import _axis_plan, _channels_last, _check_dilated_strides, _padding, _pair, conv2d
from .layers import LAYERS, Layer, _activation_name, _float_of, _reject_unknown_kwargs, as_input, dropout_mask
from .recurrent import (
    WEIGHT_CONSTRAINTS,
    WEIGHT_REGULARIZERS,
    _as_mask,
    _flag,
    checked_states,
    forget_bias,
    refuse_stateful,
    take_constraints,
    weight_config,
    weight_settings,
)
from .text import _length
from .volume import _triple, conv3d

_SAMPLES = {1: "(steps, length, channels)", 2: "(steps, height, width, channels)",
            3: "(steps, depth, height, width, channels)"}


def _sizes(value: Any, what: str, owner: str, rank: int) -> tuple[int, ...]:
    """An int or ``rank`` ints, each ≥ 1, read as Keras reads a convolution's settings."""
    if rank == 1:
        return (_length(value, owner, what),)
    return _pair(value, what, owner) if rank == 2 else _triple(value, what, owner)


def conv_nd(x: Tensor, kernel: Tensor, strides: Any = 1, padding: str = "valid", dilation_rate: Any = 1) -> Tensor:
    """The convolution of channels-last ``x`` (N, *sizes, C) with ``kernel`` (*kernel_size, C, filters) over one,
    two or three axes, as many as the kernel has besides its last two, as Keras's ``ops.conv`` computes it: a
    sequence is an image one pixel high, a volume goes to :func:`fnlearn.nn.volume.conv3d`.

    >>> import fnlearn as fl, numpy as np
    >>> conv_nd(fl.tensor(np.arange(5.0).reshape(1, 5, 1)), fl.tensor(np.ones((2, 1, 1)))).numpy().ravel().tolist()
    [1.0, 3.0, 5.0, 7.0]
    """
    rank = kernel.ndim - 2
    if rank not in (1, 2, 3) or x.ndim != kernel.ndim:
        raise ShapeError(f"conv takes a kernel of shape (*kernel_size, channels, filters) over one to three axes and "
                         f"inputs with one more axis (the batch), got inputs of shape {tuple(x.shape)} and a kernel of "
                         f"shape {tuple(kernel.shape)}; give (batch, *sizes, channels) inputs and a kernel to match.")
    if rank == 2:
        return conv2d(x, kernel, None, strides, padding, dilation_rate)
    if rank == 3:
        return conv3d(x, kernel, None, strides, padding, dilation_rate)
    n, length, channels = x.shape
    step, rate = _length(strides, "conv", "strides"), _length(dilation_rate, "conv", "dilation_rate")
    out = conv2d(F.reshape(x, (n, 1, length, channels)), F.reshape(kernel, (1, *kernel.shape)), None, (1, step),
                 padding, (1, rate))
    return F.reshape(out, (n, out.shape[2], out.shape[3]))


class _ConvLSTM(Layer):
    """What ConvLSTM1D, 2D and 3D share; ``rank`` is the number of axes a frame has besides its channels."""

    rank = 2
    state_count = 2  # h and c
    supports_masking = True
    _weight_constraints = WEIGHT_CONSTRAINTS
    _weight_regularizers = WEIGHT_REGULARIZERS

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", unit_forget_bias: bool = True, kernel_regularizer: Any = None,
                 recurrent_regularizer: Any = None, bias_regularizer: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, seed: int | None = None, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, stateful: bool = False,
                 name: str | None = None, **kwargs: Any) -> None:
        owner = type(self).__name__
        if isinstance(filters, (bool, np.bool_)) or not isinstance(filters, (int, np.integer)) or filters < 1:
            raise ConfigError(f"{owner} filters must be a positive integer (the channels of its state), got "
                              f"{filters!r}; e.g. {owner}(16, 3).")
        take_constraints(self, kwargs)
        kwargs.pop("unroll", None)  # Keras unrolls the loop into its graph; fnlearn's is the same ops either way
        _reject_unknown_kwargs(owner, kwargs, allow=("input_shape",))
        refuse_stateful(stateful, owner)
        _channels_last(data_format, owner)
        self.kernel_size = _sizes(kernel_size, "kernel_size", owner, self.rank)
        self.strides = _sizes(strides, "strides", owner, self.rank)
        self.dilation_rate = _sizes(dilation_rate, "dilation_rate", owner, self.rank)
        _check_dilated_strides(self.strides, self.dilation_rate, (strides, dilation_rate), owner)
        self.padding = _padding(padding, owner)
        weight_settings(self, owner, filters, use_bias, (kernel_initializer, recurrent_initializer, bias_initializer),
                        (kernel_regularizer, recurrent_regularizer, bias_regularizer), dropout, recurrent_dropout,
                        seed)
        self.filters = self.units
        self.unit_forget_bias = _flag(unit_forget_bias, owner, "unit_forget_bias")
        self.activation, self.recurrent_activation = F.get_activation(activation), \
            F.get_activation(recurrent_activation)
        self.activation_name = _activation_name(activation)
        self.recurrent_activation_name = _activation_name(recurrent_activation)
        self.return_sequences = _flag(return_sequences, owner, "return_sequences")
        self.return_state = _flag(return_state, owner, "return_state")
        self.go_backwards = _flag(go_backwards, owner, "go_backwards")
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.kernel: Parameter | None = None
        self.recurrent_kernel: Parameter | None = None
        self.bias: Parameter | None = None
        if self.input_shape is not None:
            self.build(self.input_shape)

    def _who(self) -> str:
        return f"{type(self).__name__} layer {self.name!r}"

    def _frames(self, input_shape: Any) -> tuple[int | None, tuple[int, ...], int]:
        """(steps, a frame's sizes, channels) of samples of ``input_shape``, or one ShapeError sentence."""
        shape = tuple(input_shape)
        if len(shape) != self.rank + 2:
            raise ShapeError(f"{self._who()} takes sequences of frames, samples of shape {_SAMPLES[self.rank]}, but "
                             f"was given samples of shape {shape}; give it {self.rank + 3}-D data (batch first), or "
                             "Reshape before it.")
        if any(s is None for s in shape[1:]):
            raise ShapeError(f"{self._who()} takes frames of a known size and channels, but got samples of shape "
                             f"{shape}; give Input(shape=(steps, …)) with every size but the steps.")
        return (None if shape[0] is None else int(shape[0])), tuple(int(s) for s in shape[1:-1]), int(shape[-1])

    def _state_sizes(self, sizes: tuple[int, ...]) -> tuple[int, ...]:
        """A state's frame sizes: the input convolution's output for frames of ``sizes``."""
        out = []
        for size, k, step, rate in zip(sizes, self.kernel_size, self.strides, self.dilation_rate):
            reach = (k - 1) * rate + 1
            if self.padding == "valid" and size < reach:
                raise ShapeError(f"{self._who()} has a {'×'.join(map(str, self.kernel_size))} kernel, larger than its "
                                 f"frames of {'×'.join(map(str, sizes))} with padding='valid'; use padding='same' or "
                                 "a smaller kernel.")
            out.append(_axis_plan(size, reach, step, self.padding)[0])
        return tuple(out)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> Any:
        steps, sizes, _ = self._frames(input_shape)
        state = (*self._state_sizes(sizes), self.filters)
        out = (steps, *state) if self.return_sequences else state
        return [out, state, state] if self.return_state else out

    def compute_mask(self, inputs: Any, mask: Any) -> Any:
        return mask if self.return_sequences else None

    def build(self, input_shape: tuple[int, ...]) -> None:
        channels = self._frames(input_shape)[2]
        self.compute_output_shape(input_shape)  # a shape it cannot take is refused before anything is made
        width = 4 * self.filters
        with backend.using_dtype(self.dtype):
            self.kernel = Parameter(self.kernel_initializer((*self.kernel_size, channels, width)), name="kernel")
            self.recurrent_kernel = Parameter(self.recurrent_initializer((*self.kernel_size, self.filters, width)),
                                              name="recurrent_kernel")
            if self.use_bias:
                bias = forget_bias(self.bias_initializer, (width,), self.filters) if self.unit_forget_bias else \
                    self.bias_initializer((width,))
                self.bias = Parameter(bias, name="bias")
        if self.input_shape is None:
            # a model reads its input shape from its first layer: the kernel's shape cannot tell it
            self.input_shape = tuple(None if s is None else int(s) for s in input_shape)
        self.built = True

    @property
    def input_features(self) -> int | None:
        """The channels of the frames the built kernel takes (None before it is built)."""
        return None if self.kernel is None else int(self.kernel.shape[-2])

    def forward(self, x: Any, mask: Any = None, initial_state: Any = None) -> Any:
        x = as_input(x, np.dtype(self.dtype) if self.kernel is not None else _float_of(x), self.name)
        steps, sizes, channels = self._frames(x.shape[1:])
        if self.kernel is None:
            self.build(tuple(x.shape[1:]))
        if channels != self.input_features:
            raise ShapeError(f"{self._who()} was built for frames of {self.input_features} channels but got samples "
                             f"of shape {tuple(x.shape[1:])}; give it frames of the channels it was built for.")
        state_shape = (*self._state_sizes(sizes), self.filters)
        states = None if initial_state is None else \
            checked_states(initial_state, self, x, self._who(), shape=state_shape)
        if mask is not None:
            mask = _as_mask(mask, x, self._who())
        if self.go_backwards:
            x = F.getitem(x, (slice(None), slice(None, None, -1)))
            mask = None if mask is None else mask[:, ::-1]
        n = x.shape[0]
        if self.training and self.dropout > 0.0:
            x = x * Tensor(dropout_mask(self, (n, 1, *sizes, channels), x.dtype, self.dropout))
        drop_state = None
        if self.training and self.recurrent_dropout > 0.0:
            drop_state = Tensor(dropout_mask(self, (n, *state_shape), x.dtype, self.recurrent_dropout))
        # the input's convolution for every step at once: the frames as one batch of images
        frames = F.reshape(x, (n * steps, *sizes, channels))
        inputs = conv_nd(frames, self.kernel, self.strides, self.padding, self.dilation_rate)
        if self.bias is not None:
            inputs = inputs + self.bias
        inputs = F.reshape(inputs, (n, steps, *state_shape[:-1], 4 * self.filters))
        if states is None and mask is not None:  # a masked first step keeps the zero states
            states = [Tensor(backend.xp().zeros((n, *state_shape), dtype=x.dtype)) for _ in range(2)]
        h, c = states if states is not None else (None, None)
        ones = (1,) * self.rank
        outputs = []
        f = self.filters
        for t in range(steps):
            z = F.getitem(inputs, (slice(None), t))
            if h is not None:  # a zero state adds nothing: the first step of zero states skips its product
                z = z + conv_nd(h if drop_state is None else h * drop_state, self.recurrent_kernel, ones, "same", ones)
            gate = [F.getitem(z, (Ellipsis, slice(k * f, (k + 1) * f))) for k in range(4)]
            fresh = self.recurrent_activation(gate[0]) * self.activation(gate[2])
            c_new = fresh if c is None else self.recurrent_activation(gate[1]) * c + fresh
            h_new = self.recurrent_activation(gate[3]) * self.activation(c_new)
            if mask is not None:  # a masked step keeps the states (and repeats the output) of the step before
                keep = backend.xp().reshape(mask[:, t], (n, *ones, 1))
                h_new, c_new = F.where(keep, h_new, h), F.where(keep, c_new, c)
            h, c = h_new, c_new
            if self.return_sequences:
                outputs.append(h)
        output = F.stack(outputs, axis=1) if self.return_sequences else h
        if self.return_sequences and mask is not None:
            output._mask = mask[:, ::-1] if self.go_backwards else mask
        return [output, h, c] if self.return_state else output

    def get_config(self) -> dict[str, Any]:
        config = weight_config(self)
        del config["units"]
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding, "dilation_rate": list(self.dilation_rate),
                "activation": self.activation_name, "recurrent_activation": self.recurrent_activation_name,
                "unit_forget_bias": self.unit_forget_bias, **config, "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards}


class ConvLSTM1D(_ConvLSTM):
    """A convolutional LSTM over sequences of 1-D signals, Keras's ``layers.ConvLSTM1D``: samples (steps, length,
    channels), kernels (k, channels, 4·filters).

    >>> import fnlearn as fl
    >>> fl.layers.ConvLSTM1D(3, 2).compute_output_shape((5, 10, 2))
    (9, 3)
    """

    rank = 1


class ConvLSTM2D(_ConvLSTM):
    """A convolutional LSTM over sequences of images, Keras's ``layers.ConvLSTM2D``: samples (steps, height, width,
    channels), kernels (kh, kw, channels, 4·filters); the state h (and the cell c) an image of ``filters`` channels.
    ``return_sequences=True`` gives every step's h, (batch, steps, height', width', filters), what the video
    example stacks; ``return_state=True`` gives ``[output, h, c]``.

    >>> import fnlearn as fl
    >>> fl.layers.ConvLSTM2D(8, (3, 3), padding="same", return_sequences=True).compute_output_shape((10, 16, 16, 1))
    (10, 16, 16, 8)
    """


class ConvLSTM3D(_ConvLSTM):
    """A convolutional LSTM over sequences of volumes, Keras's ``layers.ConvLSTM3D``: samples (steps, depth, height,
    width, channels), kernels (kd, kh, kw, channels, 4·filters).

    >>> import fnlearn as fl
    >>> fl.layers.ConvLSTM3D(2, 3).compute_output_shape((4, 5, 6, 6, 1))
    (3, 4, 4, 2)
    """

    rank = 3


CONV_LSTM: dict[str, type[Layer]] = {cls.__name__: cls for cls in (ConvLSTM1D, ConvLSTM2D, ConvLSTM3D)}
LAYERS.update(CONV_LSTM)  # the classes a model file may name
