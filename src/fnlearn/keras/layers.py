"""``keras.layers``: Dense, Activation, Softmax, ReLU, LeakyReLU, Flatten, Lambda, Dropout, SpatialDropout2D,
Normalization, BatchNormalization, LayerNormalization, the image layers (Conv2D, Conv2DTranspose, MaxPooling2D,
AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D and their short names MaxPool2D…, ZeroPadding2D,
Cropping2D, UpSampling2D, Resizing), the data augmentation layers (RandomFlip, RandomRotation, RandomZoom,
RandomTranslation, RandomContrast), the layers for sequences (TextVectorization, Embedding, Conv1D, MaxPooling1D,
AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D and their short names), Reshape and Rescaling, the merge
layers (Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum, Dot, and their functional forms
``concatenate([a, b])``, ``dot([a, b], axes=1)``…), attention (MultiHeadAttention, GroupQueryAttention, Attention,
AdditiveAttention),
GroupNormalization and RMSNormalization, AlphaDropout and ActivityRegularization, Conv1DTranspose, DepthwiseConv1D and
SeparableConv1D (and Keras's other names Convolution2D, Convolution1DTranspose, SeparableConvolution1D),
CenterCrop, RandomCrop and RandomBrightness, the colour augmentations (RandomInvert, Solarization,
RandomPosterization, RandomSharpness, RandomColorDegeneration, RandomGrayscale, AutoContrast), MixUp and CutMix,
RandomSaturation, RandomHue, RandomColorJitter, RandomGaussianBlur, RandomErasing, RandomShear, RandomPerspective,
Equalization, RandAugment and AugMix, RandomElasticTransform and ContrastLimitedAdaptiveHistogramEqualization, the
audio layers STFTSpectrogram and MelSpectrogram, and ``Input`` to declare a model's input shape.

A model holding a ``Lambda`` layer saves its weights (``save_weights``) but not itself: fnlearn's model files never
hold code (Keras writes the function's bytecode), so ``save`` refuses it before writing anything.

The layer classes are fnlearn's own (:mod:`fnlearn.nn.layers`); ``Input(shape=(n,))`` may open a
``Sequential`` list, as Keras allows, and only declares the shape of one sample. It also starts a model
in Keras's functional style: a layer called on it (or on what such a call returned) gives a
:class:`SymbolicTensor`, a placeholder that records the layer, and ``keras.Model(inputs, outputs)`` turns
the recorded chain into a model.

Example:
    >>> from fnlearn.keras import Sequential, layers
    >>> model = Sequential([layers.Input(shape=(4,)), layers.Dense(3, activation="relu"), layers.Dense(1)])
    >>> model.num_parameters()
    19
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend, data
from ..errors import ConfigError, ShapeError
from ..model import sample_input_shape
from ..nn.adaptive import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
)
from ..nn.attention import GroupQueryAttention, MultiHeadAttention
from ..nn.attention_simple import AdditiveAttention, Attention
from ..nn.audio import MelSpectrogram, STFTSpectrogram
from ..nn.augment import (
    AutoContrast,
    CutMix,
    MixUp,
    RandomColorDegeneration,
    RandomGrayscale,
    RandomInvert,
    RandomPosterization,
    RandomSharpness,
    Solarization,
)
from ..nn.augment_elastic import ContrastLimitedAdaptiveHistogramEqualization, RandomElasticTransform
from ..nn.augment_mix import AugMix, RandAugment
from ..nn.augment_more import (
    Equalization,
    RandomColorJitter,
    RandomErasing,
    RandomGaussianBlur,
    RandomHue,
    RandomPerspective,
    RandomSaturation,
    RandomShear,
)
from ..nn.cells import RNN, GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from ..nn.conv import (
    AveragePooling2D,
    AvgPool2D,
    Conv2D,
    GlobalAveragePooling2D,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    GlobalMaxPooling2D,
    MaxPool2D,
    MaxPooling2D,
    Reshape,
)
from ..nn.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from ..nn.conv_more import (
    Conv1DTranspose,
    Convolution1DTranspose,
    Convolution2D,
    DepthwiseConv1D,
    SeparableConv1D,
    SeparableConvolution1D,
)
from ..nn.crop import CenterCrop, RandomBrightness, RandomCrop
from ..nn.depthwise import DepthwiseConv2D, SeparableConv2D, SeparableConvolution2D
from ..nn.dot import Dot
from ..nn.einsum_dense import EinsumDense
from ..nn.image import (
    Cropping2D,
    RandomContrast,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Resizing,
    UpSampling2D,
    ZeroPadding2D,
)
from ..nn.input_spec import InputSpec
from ..nn.layers import (
    Activation,
    BatchNormalization,
    Dense,
    Dropout,
    Flatten,
    Lambda,
    Layer,
    LayerNormalization,
    LeakyReLU,
    Normalization,
    ReLU,
    Rescaling,
    Softmax,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
    as_input,
    zero_run_shape,
)
from ..nn.lookup import CategoryEncoding, Discretization, IntegerLookup, StringLookup
from ..nn.merge import Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract
from ..nn.module import Module, Symbolic
from ..nn.noise_more import ActivityRegularization, AlphaDropout
from ..nn.normalization import GroupNormalization, RMSNormalization
from ..nn.recurrent import GRU, LSTM, Bidirectional, Masking, SimpleRNN
from ..nn.shape_layers import (
    ELU,
    Cropping1D,
    GaussianDropout,
    GaussianNoise,
    Identity,
    Permute,
    PReLU,
    UnitNormalization,
    UpSampling1D,
    ZeroPadding1D,
)
from ..nn.text import (
    AveragePooling1D,
    AvgPool1D,
    Conv1D,
    Convolution1D,
    Embedding,
    GlobalAveragePooling1D,
    GlobalAvgPool1D,
    GlobalMaxPool1D,
    GlobalMaxPooling1D,
    MaxPool1D,
    MaxPooling1D,
    ReversibleEmbedding,
)
from ..nn.transpose import Conv2DTranspose, Convolution2DTranspose
from ..nn.vectorize import TextVectorization
from ..nn.volume import (
    AveragePooling3D,
    AvgPool3D,
    Conv3D,
    Conv3DTranspose,
    Convolution3D,
    Convolution3DTranspose,
    Cropping3D,
    GlobalAveragePooling3D,
    GlobalAvgPool3D,
    GlobalMaxPool3D,
    GlobalMaxPooling3D,
    MaxPool3D,
    MaxPooling3D,
    UpSampling3D,
    ZeroPadding3D,
)
from ..nn.wrappers import Pipeline, RepeatVector, SpectralNormalization, TimeDistributed, Wrapper
from ..tensor import Tensor
from ._missing import not_provided


def several_outputs(shape: Any) -> list[tuple[Any, ...]] | None:
    """The sample shapes of a layer's outputs when it gives several (``compute_output_shape``'s list, as an LSTM
    with ``return_state=True`` gives), None when it gives one.

    >>> several_outputs([(4, 8), (8,), (8,)]), several_outputs((4, 8))
    ([(4, 8), (8,), (8,)], None)
    """
    if isinstance(shape, (list, tuple)) and shape and all(isinstance(item, (list, tuple)) for item in shape):
        return [tuple(item) for item in shape]
    return None


def _state_shapes(layer: Any) -> list[tuple[int, ...]] | None:
    """The sample shapes of the states a layer's ``initial_state`` takes (None for a layer that takes none):
    h (and an LSTM's c) of its units; a Bidirectional's forward layer's, then its backward layer's."""
    if isinstance(layer, Bidirectional):
        return [*_state_shapes(layer.forward_layer), *_state_shapes(layer.backward_layer)]
    if isinstance(layer, (SimpleRNN, LSTM, GRU)):
        return [(layer.units,)] * layer.state_count
    if isinstance(layer, RNN):  # its cell's states, each of its size
        return [(size,) for size in layer._state_sizes()]
    return None


def _state_example(layer: Any) -> str:
    """The states ``layer`` takes, in words, e.g. "[h, c] of an LSTM of 8 units"."""
    if isinstance(layer, Bidirectional):
        inner = _state_example(layer.forward_layer)
        return f"the forward layer's {inner}, then the backward layer's"
    if isinstance(layer, RNN):
        return f"one state of each size in {[shape[0] for shape in _state_shapes(layer)]}"
    return f"{'[h, c]' if layer.state_count == 2 else '[h]'} of {layer.units} units each"


class _Placeholder(Symbolic):
    """What ``keras.Input`` and the layers called on it return: the shape of the data to come, and the layer
    that will compute it. It holds no values; arithmetic on it, or NumPy, says so."""

    @property
    def _sample(self) -> tuple[int, ...]:
        raise NotImplementedError

    @property
    def shape(self) -> tuple[Any, ...]:
        """The shape of a batch to come, the batch size unknown (None), as Keras writes it."""
        return (None, *self._sample)

    def _origin(self) -> str:
        raise NotImplementedError

    def through(self, module: Module, together: list[Any] | None = None, initial_state: Any = None,
                args: list[Any] | None = None, kwargs: dict[str, Any] | None = None) -> Any:
        """Record ``module(self)`` (or ``module(together)``, a call on a list of placeholders, this one first;
        ``initial_state``, placeholders of a recurrent layer's starting states; ``args`` and ``kwargs``, more
        placeholders and settings of the call, as attention's ``mha(query, value, use_causal_mask=True)``):
        build the layer for this shape (as Keras does) and return its output's placeholder, or the list of them
        for a layer that gives several (an LSTM with ``return_state=True``: ``[output, h, c]``)."""
        from ..model import Trainer  # here: fnlearn.model imports the layers

        model = isinstance(module, Trainer)  # as in Keras, a model is called like a layer, as one step
        if not (isinstance(module, Layer) or model) or isinstance(module, InputLayer):
            raise ConfigError(f"{type(module).__name__} was called on {self._origin()}; in fnlearn's functional "
                              "models each call is one layer or one model, such as layers.Dense(10)(x) (no Input "
                              "layers or modules of other kinds): make it a keras.layers.Layer instead.")
        what = f"model {module.name!r}" if model else f"layer {module.name!r}"
        if together is not None:
            stray = next((item for item in together if not isinstance(item, _Placeholder)), None)
            if stray is not None:
                raise ConfigError(f"{what} was called on a list that mixes placeholders with a "
                                  f"{type(stray).__name__}; in a functional model every item of the list is a "
                                  "keras.Input or a layer's output (a constant belongs in a layer's weights).")
            if not getattr(module, "takes_lists", False):
                names = ", ".join(item._origin() for item in together)
                raise ConfigError(f"{what} takes one input but was called on a list of {len(together)} ({names}); "
                                  "join them first with a merge layer, e.g. layers.concatenate([a, b]), and call "
                                  "the layer on the result.")
            sample: Any = [item._sample for item in together]
            parent: Any = list(together)
        else:
            sample, parent = self._sample, self
            declared = None if getattr(module, "takes_lists", False) else sample_input_shape(module)  # its own check
            # a size the declaration leaves unknown (None, the steps of Input(shape=(None,))) takes any
            if declared is not None and not data.shape_fits(tuple(declared), sample):
                declares = f"model {module.name!r} takes samples of shape" if model else \
                    f"layer {module.name!r} declares input_shape"
                raise ShapeError(f"{declares} {tuple(declared)} but was called on {self._origin()} of shape "
                                 f"{self.shape}; remove input_shape or fix it.")
        states = [] if initial_state is None else self._states_for(module, what, initial_state)
        more = (list(args or []), dict(kwargs or {}))
        if more[0] or more[1]:  # the layer builds itself for all its inputs when it first runs on them
            shape = _call_shape(module, parent, *more)
        else:
            if not module.built:
                module.build_for(sample)
            expected = None if model or together is not None else module.input_features
            if expected is not None and sample[-1] != expected:
                raise ShapeError(f"layer {module.name!r} expects {expected} features per sample but was called on "
                                 f"{self._origin()} of shape {self.shape}; check the layers' sizes.")
            shape = module.output_shape_for(sample)
        outputs = LayerCall(module, parent, states, shape, *more).outputs
        result = outputs[0] if outputs[0].index is None else list(outputs)
        object.__setattr__(module, "_output_node", result)  # the layer's output(s), as Keras keeps them
        return result

    @staticmethod
    def _states_for(module: Module, what: str, initial_state: Any) -> list[_Placeholder]:
        """``initial_state`` as a list of placeholders, each of the shape of the state it starts; every problem
        one sentence, before the layer is built."""
        wanted = _state_shapes(module)
        if wanted is None:
            raise ConfigError(f"{what} ({type(module).__name__}) was given initial_state=, which only the recurrent "
                              "layers (SimpleRNN, LSTM, GRU, Bidirectional) take; leave it out.")
        given = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        stray = next((item for item in given if not isinstance(item, _Placeholder)), None)
        if stray is not None:
            raise ConfigError(f"{what} got a {type(stray).__name__} in initial_state; in a functional model each "
                              "state is a keras.Input or a layer's output, e.g. out, h, c = layers.LSTM(8, "
                              "return_state=True)(x).")
        if len(given) != len(wanted):
            raise ConfigError(f"{what} ({type(module).__name__}) got initial_state with {len(given)} "
                              f"state{'s' * (len(given) != 1)} but takes {len(wanted)}: {_state_example(module)}; "
                              "pass the states a recurrent layer with return_state=True gave, e.g. out, h, c = "
                              "layers.LSTM(8, return_state=True)(x).")
        for k, (item, shape) in enumerate(zip(given, wanted)):
            if tuple(item._sample) != shape:
                raise ShapeError(f"{what} ({type(module).__name__}) got initial state {k}, {item._origin()}, of "
                                 f"shape {item.shape}, but its states have shape {(None, *shape)} "
                                 f"({_state_example(module)}); give it the states of a layer of as many units.")
        return given

    def _no_values(self, *args: Any, **kwargs: Any) -> Any:
        raise ConfigError(f"{self._origin()} is a placeholder of shape {self.shape} with no values: NumPy and this "
                          "operation cannot use it (placeholders add, subtract and multiply each other, and scale "
                          "and shift by numbers); in fnlearn's functional models each other step is a layer, such "
                          "as layers.Activation('relu')(x) or layers.Lambda(f)(x), and values come from "
                          "model.predict(data).")

    __array__ = __rtruediv__ = __matmul__ = __rmatmul__ = __pow__ = __getitem__ = _no_values

    # Arithmetic as Keras 3 records it on its symbolic tensors (a residual `x + inputs`), each as the layer
    # that computes it, so that the model saves and loads: a merge layer between two placeholders, Rescaling
    # (x · scale + offset) with a number.
    def _arithmetic(self, other: Any, merge: Any, scale: float, offset: float, sign: str) -> Any:
        if isinstance(other, _Placeholder):
            return merge()([self, other])
        number = np.asarray(other) if isinstance(other, (int, float, np.number)) else None
        if number is None or not np.isfinite(number) or isinstance(other, bool):
            return self._no_values()
        value = float(number)
        if sign == "*":
            return Rescaling(value)(self)
        if sign == "/":
            return self._no_values() if value == 0 else Rescaling(1.0 / value)(self)
        return Rescaling(scale, offset * value)(self)

    def __add__(self, other: Any) -> Any:
        return self._arithmetic(other, Add, 1.0, 1.0, "+")

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        return self._arithmetic(other, Subtract, 1.0, -1.0, "-")

    def __rsub__(self, other: Any) -> Any:  # a number minus the placeholder
        return self._arithmetic(other, Subtract, -1.0, 1.0, "-")

    def __mul__(self, other: Any) -> Any:
        return self._arithmetic(other, Multiply, 1.0, 0.0, "*")

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Any:
        return self._no_values() if isinstance(other, _Placeholder) else self._arithmetic(other, None, 1.0, 0.0, "/")

    def __neg__(self) -> Any:
        return Rescaling(-1.0)(self)


class LayerCall:
    """One call of a layer in Keras's functional style: the layer, what it was called on (a placeholder, or the
    list of them for a merge), the placeholders of the initial states it was given, and its outputs'
    placeholders: one, or one per output for a layer that gives several. A model runs the layer once per call
    and each output placeholder picks its item.

    >>> x = Input(shape=(4, 3))
    >>> out, h, c = LSTM(5, return_state=True)(x)
    >>> call = h.layer_call
    >>> [o.shape for o in call.outputs], [o.index for o in call.outputs], call.inputs == (x,)
    ([(None, 5), (None, 5), (None, 5)], [0, 1, 2], True)
    """

    def __init__(self, layer: Any, parent: _Placeholder | list[_Placeholder], states: list[_Placeholder],
                 shape: Any, args: list[_Placeholder] | None = None, kwargs: dict[str, Any] | None = None) -> None:
        self.layer = layer
        self.parent = parent  # a placeholder, or the list of them the layer was called on (a merge)
        self.inputs: tuple[_Placeholder, ...] = tuple(parent) if isinstance(parent, list) else (parent,)
        self.states: tuple[_Placeholder, ...] = tuple(states)
        # more placeholders given after the first (attention's value), and the call's keywords: placeholders,
        # lists of them, or settings such as use_causal_mask=True
        self.args: tuple[_Placeholder, ...] = tuple(args or ())
        self.kwargs: dict[str, Any] = dict(kwargs or {})
        keyed = [item for value in self.kwargs.values()
                 for item in (value if isinstance(value, (list, tuple)) else [value]) if isinstance(item, _Placeholder)]
        self.parents = (*self.inputs, *self.args, *keyed, *self.states)  # every placeholder the call reads
        shapes = several_outputs(shape)
        self.outputs = [SymbolicTensor(self, None, shape)] if shapes is None else \
            [SymbolicTensor(self, index, item) for index, item in enumerate(shapes)]

    def run(self, values: dict[int, Any]) -> None:
        """Run the layer on the values of its placeholders (``values``, by the placeholders' ids) and add its
        outputs' values there."""
        given = [values[id(item)] for item in self.inputs]
        states = {"initial_state": [values[id(item)] for item in self.states]} if self.states else {}
        args = [values[id(item)] for item in self.args]
        kwargs = {key: _valued(value, values) for key, value in self.kwargs.items()}
        out = self.layer(given if isinstance(self.parent, list) else given[0], *args, **kwargs, **states)
        for end in self.outputs:
            values[id(end)] = out if end.index is None else out[end.index]


def _valued(setting: Any, values: dict[int, Any]) -> Any:
    """A recorded keyword of a call with its placeholders replaced by their values (``values``, by id)."""
    if isinstance(setting, _Placeholder):
        return values[id(setting)]
    if isinstance(setting, (list, tuple)):
        return [values[id(item)] for item in setting]
    return setting


def _call_shape(layer: Any, parent: Any, args: list[Any], kwargs: dict[str, Any],
                shapes: dict[int, Any] | None = None) -> Any:
    """The output shape(s) of ``layer`` called on ``parent`` with more placeholders and settings: found by
    running the call once on zero samples (unknown sizes tried at two lengths), which also builds the layer
    for all its inputs, as Keras's symbolic call does. ``shapes`` (by placeholder id) replaces the placeholders'
    own sample shapes (the sizes some data give)."""
    firsts = list(parent) if isinstance(parent, list) else [parent]
    keyed = {key: value for key, value in kwargs.items()
             if isinstance(value, _Placeholder) or isinstance(value, (list, tuple))}
    flat = [*firsts, *args, *(item for value in keyed.values()
                              for item in (value if isinstance(value, (list, tuple)) else [value]))]

    def run(given: list[Any]) -> Any:
        values = {id(item): tensor for item, tensor in zip(flat, given)}
        first = [values[id(item)] for item in firsts]
        called = {key: _valued(value, values) for key, value in kwargs.items()}
        return layer(first if isinstance(parent, list) else first[0], *(values[id(a)] for a in args), **called,
                     training=False)

    given = [tuple((shapes or {}).get(id(item), item._sample)) for item in flat]
    return zero_run_shape(layer, given, run, several=True)


class SymbolicTensor(_Placeholder):
    """An output of ``layer`` called on ``parent`` in Keras's functional style: a shape, no values. ``index`` is
    which of the layer's outputs it is, for a layer that gives several (None for one).

    >>> x = Input(shape=(784,), name="digits")
    >>> h = Dense(64, activation="relu")(x)
    >>> h.shape, h.layer.kernel.shape, h.index
    ((None, 64), (784, 64), None)
    """

    def __init__(self, layer_call: LayerCall, index: int | None, sample_shape: tuple[int, ...]) -> None:
        self.layer_call = layer_call
        self.index = index
        self._sample_shape = tuple(sample_shape)
        layer = layer_call.layer
        self.dtype = layer.dtype if isinstance(layer, Layer) else str(layer._dtype())  # a model: its weights'

    @property
    def layer(self) -> Any:
        """The layer (or model) that computes it."""
        return self.layer_call.layer

    @property
    def parent(self) -> Any:
        """The placeholder the layer was called on, or the list of them (a merge)."""
        return self.layer_call.parent

    @property
    def parents(self) -> tuple[_Placeholder, ...]:
        """Every placeholder the layer's call reads: its inputs, then any initial states."""
        return self.layer_call.parents

    @property
    def _sample(self) -> tuple[int, ...]:
        return self._sample_shape

    def _origin(self) -> str:
        if self.index is None:
            return f"the output of layer {self.layer.name!r}"
        return f"output {self.index} of layer {self.layer.name!r}"

    def __repr__(self) -> str:
        return f"<SymbolicTensor shape={self.shape}, dtype={self.dtype}, {self._origin()}>"


class InputLayer(_Placeholder, Layer):
    """A layer that passes its input through and declares the shape of one sample (batch axis excluded).

    A ``Sequential`` (fnlearn's or Keras's) turns it into the ``input_shape`` of the layer after it, so it
    adds no row to ``summary()`` and no weights.

    >>> InputLayer(shape=(784,)).input_shape
    (784,)
    """

    declares_input_only = True  # a Sequential takes its shape and adds no layer for it
    takes_text = False  # dtype="string": the model's inputs are raw texts

    def __init__(self, shape: Any = None, batch_size: int | None = None, dtype: Any = None,
                 name: str | None = None, input_shape: Any = None, **kwargs: Any) -> None:
        if kwargs.get("batch_shape") is not None:
            batch_shape = tuple(kwargs.pop("batch_shape"))
            shape = batch_shape[1:]
        unknown = [k for k, v in kwargs.items() if v not in (None, False)]
        if unknown:
            raise ConfigError(f"Input got unsupported argument(s) {', '.join(unknown)}; fnlearn's Input "
                              "takes shape=(n_features,) and optionally name.")
        if shape is None:
            shape = input_shape
        if shape is None:
            raise ConfigError("Input needs shape=, the shape of one sample without the batch axis, "
                              "e.g. Input(shape=(784,)).")
        # Keras's end-to-end text model: raw texts come in, a TextVectorization or StringLookup makes numbers of them
        text = dtype is str or str(dtype) in ("string", "str")
        if text:
            dtype = None
        if dtype is not None and _integer_dtype(dtype):
            dtype = None  # token indices (Keras's dtype="int32"): they reach the layers as numbers, exact in floats
        if dtype is not None and str(dtype) != backend.get_default_dtype():
            raise ConfigError(f"Input dtype {dtype!r} differs from the default dtype "
                              f"{backend.get_default_dtype()!r}; call fl.set_default_dtype({str(dtype)!r}) "
                              "before building the model instead.")
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
            raise ConfigError(f"Input batch_size must be a positive integer or None, got {batch_size!r}.")
        super().__init__(name=name, input_shape=shape)
        self.takes_text = text
        self.built = True

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        return {**config, "dtype": "string"} if self.takes_text else config

    @property
    def _sample(self) -> tuple[int, ...]:
        return tuple(self.input_shape)

    @property
    def output(self) -> InputLayer:
        """Itself, the placeholder of the model's input (Keras's ``input_layer.output``, so that
        ``[layer.output for layer in model.layers]`` holds every layer's)."""
        return self

    @property
    def input(self) -> InputLayer:
        """Itself, as :attr:`output`."""
        return self

    def _origin(self) -> str:
        return f"keras.Input {self.name!r}"

    def forward(self, x: Any) -> Tensor:
        if self.takes_text:
            return x  # texts, for the layer after it to turn into numbers
        dtype = getattr(x, "dtype", None)
        keep = dtype is not None and dtype.kind == "f"
        return as_input(x, dtype if keep else backend.float_dtype(), self.name)


def _integer_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` names a type of whole numbers ("int32", np.int64, "uint8"...)."""
    try:
        return np.dtype(dtype).kind in "iu"
    except TypeError:
        return False


def Input(shape: Any = None, batch_size: int | None = None, dtype: Any = None,  # noqa: N802  (Keras's name)
          name: str | None = None, **kwargs: Any) -> InputLayer:
    """Declare the shape of one sample: the first element of a ``Sequential`` list, or the start of a
    functional model (``keras.Model(inputs, outputs)``).

    >>> Input(shape=(28, 28)).input_shape, Input(shape=(28, 28)).shape
    ((28, 28), (None, 28, 28))
    """
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name, **kwargs)


def add(inputs: list[Any], **kwargs: Any) -> Any:
    """``Add(**kwargs)(inputs)``, Keras's functional form: the sum of the inputs."""
    return Add(**kwargs)(inputs)


def subtract(inputs: list[Any], **kwargs: Any) -> Any:
    """``Subtract(**kwargs)(inputs)``: the first input minus the second."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: list[Any], **kwargs: Any) -> Any:
    """``Multiply(**kwargs)(inputs)``: the product of the inputs, value by value."""
    return Multiply(**kwargs)(inputs)


def average(inputs: list[Any], **kwargs: Any) -> Any:
    """``Average(**kwargs)(inputs)``: the mean of the inputs, value by value."""
    return Average(**kwargs)(inputs)


def maximum(inputs: list[Any], **kwargs: Any) -> Any:
    """``Maximum(**kwargs)(inputs)``: the largest input, value by value."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs: list[Any], **kwargs: Any) -> Any:
    """``Minimum(**kwargs)(inputs)``: the smallest input, value by value."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: list[Any], axis: int = -1, **kwargs: Any) -> Any:
    """``Concatenate(axis, **kwargs)(inputs)``: the inputs side by side.

    >>> a, b = Input(shape=(3,)), Input(shape=(5,))
    >>> concatenate([a, b]).shape
    (None, 8)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: list[Any], axes: Any, normalize: bool = False, **kwargs: Any) -> Any:
    """``Dot(axes, normalize, **kwargs)(inputs)``: the dot product of two inputs along ``axes``.

    >>> a, b = Input(shape=(8,)), Input(shape=(8,))
    >>> dot([a, b], axes=1).shape
    (None, 1)
    """
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)


def serialize(layer: Any) -> dict[str, Any]:
    """``layer`` as plain data, Keras's ``layers.serialize``: see ``keras.saving.serialize_keras_object``."""
    from .saving import serialize_keras_object

    return serialize_keras_object(layer)


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Any:
    """The layer :func:`serialize` recorded, Keras's ``layers.deserialize``: see
    ``keras.saving.deserialize_keras_object``."""
    from .saving import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects)


__all__ = ["Layer", "Dense", "Activation", "Softmax", "ReLU", "LeakyReLU", "Flatten", "Dropout", "Normalization",
           "BatchNormalization", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
           "Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Reshape",
           "Rescaling", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "GlobalMaxPool2D", "ZeroPadding2D", "Cropping2D",
           "UpSampling2D", "Resizing", "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation",
           "RandomContrast",
           "Lambda", "LayerNormalization", "SpatialDropout1D", "SpatialDropout2D", "Conv2DTranspose",
           "Convolution2DTranspose", "DepthwiseConv2D", "SeparableConv2D", "SeparableConvolution2D",
           "Embedding", "GlobalAveragePooling1D", "GlobalMaxPooling1D", "GlobalAvgPool1D", "GlobalMaxPool1D",
           "Conv1D", "Convolution1D", "MaxPooling1D", "AveragePooling1D", "MaxPool1D", "AvgPool1D",
           "SimpleRNN", "LSTM", "GRU", "Bidirectional", "Masking", "RNN", "SimpleRNNCell", "LSTMCell", "GRUCell",
           "StackedRNNCells", "TextVectorization", "StringLookup", "IntegerLookup",
           "CategoryEncoding", "Discretization", "MultiHeadAttention",
           "TimeDistributed", "RepeatVector", "Permute", "Identity", "GaussianNoise", "GaussianDropout",
           "UpSampling1D", "ZeroPadding1D", "Cropping1D", "ELU", "PReLU", "UnitNormalization",
           "Dot", "Attention", "AdditiveAttention", "GroupNormalization", "RMSNormalization",
           "AlphaDropout", "ActivityRegularization", "Convolution2D", "Conv1DTranspose", "Convolution1DTranspose",
           "DepthwiseConv1D", "SeparableConv1D", "SeparableConvolution1D", "CenterCrop", "RandomCrop",
           "RandomBrightness",
           "Conv3D", "Convolution3D", "MaxPooling3D", "AveragePooling3D", "GlobalAveragePooling3D",
           "GlobalMaxPooling3D", "MaxPool3D", "AvgPool3D", "GlobalAvgPool3D", "GlobalMaxPool3D",
           "ZeroPadding3D", "Cropping3D", "UpSampling3D", "SpatialDropout3D", "ConvLSTM1D", "ConvLSTM2D",
           "ConvLSTM3D", "Conv3DTranspose", "Convolution3DTranspose",
           "AdaptiveAveragePooling1D", "AdaptiveMaxPooling1D", "AdaptiveAveragePooling2D",
           "AdaptiveMaxPooling2D", "AdaptiveAveragePooling3D", "AdaptiveMaxPooling3D", "EinsumDense",
           "GroupQueryAttention", "SpectralNormalization", "Wrapper", "Pipeline", "ReversibleEmbedding",
           "RandomInvert", "Solarization", "RandomPosterization", "RandomSharpness", "RandomColorDegeneration",
           "RandomGrayscale", "AutoContrast", "MixUp", "CutMix", "RandomSaturation", "RandomHue",
           "RandomColorJitter", "RandomGaussianBlur", "RandomErasing", "RandomShear", "RandomPerspective",
           "Equalization", "RandAugment", "AugMix", "STFTSpectrogram", "MelSpectrogram",
           "RandomElasticTransform", "ContrastLimitedAdaptiveHistogramEqualization", "dot",
           "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate",
           "Input", "InputLayer", "InputSpec", "SymbolicTensor", "serialize", "deserialize"]

__getattr__ = not_provided(__name__, __all__)
