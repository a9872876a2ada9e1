"""Layers: Dense (the lecture's ``σ(b + Wx)``), Activation (and Softmax, ReLU), Flatten, Lambda, Dropout,
SpatialDropout2D, Normalization, BatchNormalization, LayerNormalization.

Layers build lazily: a ``Dense(100)`` learns its input size from the first batch it sees, unless
``input_shape`` / ``input_dim`` tells it up front (then it is built at once, as in Keras).

Example:
    >>> import fnlearn as fl, numpy as np
    >>> layer = fl.layers.Dense(3, activation="sigmoid", input_dim=2)
    >>> layer(np.ones((4, 2))).shape
    (4, 3)
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..data import check_flag
from ..errors import ConfigError, DataError, FnlearnError, NotReadyError, ShapeError
from ..tensor import Parameter, Tensor, as_array
from . import constraints, initializers, regularizers
from .module import Module, Symbolic, keras_mode, leaving_no_trace, update_state

_name_counters: dict[str, itertools.count] = {}


def _auto_name(base: str) -> str:
    n = next(_name_counters.setdefault(base, itertools.count()))
    return base if n == 0 else f"{base}_{n}"


def _sample_shape(shape: Any) -> Any:
    """A shape as Keras's ``build((None, 784))`` gives it, without the open batch axis; others as they are."""
    if isinstance(shape, (tuple, list)) and len(shape) > 1 and shape[0] is None:
        return tuple(shape[1:])
    return shape


def _batch_shapes(sample_shape: Any) -> Any:
    """Keras's build / compute_output_shape argument: the shape with its open batch axis, ``(None, n)``, or a
    list of such shapes for a layer called on a list of inputs."""
    if isinstance(sample_shape, list):
        return [(None, *shape) for shape in sample_shape]
    if isinstance(sample_shape, dict):  # a layer called on a dict of inputs: Keras builds it from a dict of shapes
        return {key: (None, *shape) for key, shape in sample_shape.items()}
    return (None, *sample_shape)


def _shape_tuple(shape: Any, what: str, unknown: bool = True) -> tuple[Any, ...]:
    """``shape`` as a tuple of sizes; with ``unknown``, a size may be None, known only when the data come (a
    sequence's number of steps, as in Keras's ``Input(shape=(None,))``)."""
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        sizes = tuple(shape)
    except TypeError:
        sizes = ()
    if not sizes or any(not (unknown and s is None) and (isinstance(s, bool) or not isinstance(s, (int, np.integer))
                                                         or s <= 0) for s in sizes):
        also = " (None for a size known only when the data come, such as a sequence's steps)" if unknown else ""
        raise ConfigError(f"{what} must be a tuple of positive integers{also} such as (784,), got {shape!r}.")
    return tuple(None if s is None else int(s) for s in sizes)


def dropout_rate(value: Any, what: str, dropped: str = "values") -> float:
    """A share of ``dropped`` to drop in training (a dropout layer's rate, a recurrent layer's dropout), a number
    in [0, 1); else one ConfigError sentence naming ``what``.

    >>> dropout_rate(0.25, "Dropout rate")
    0.25
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not 0.0 <= float(value) < 1.0:
        raise ConfigError(f"{what} must be a number in [0, 1) (the share of {dropped} dropped in training, e.g. "
                          f"0.2), got {value!r}.")
    return float(value)


def known_features(input_shape: Any, who: str) -> int:
    """The size of the last axis of samples of ``input_shape``, which a layer's weights are made for; an
    unknown one (None) refused in one sentence.

    >>> known_features((None, 8), "layer 'lstm'")
    8
    """
    size = tuple(input_shape)[-1] if len(tuple(input_shape)) else None
    if size is None:
        hint = "; token indices go through an Embedding first" if len(tuple(input_shape)) == 1 else ""
        raise ShapeError(f"{who} makes its weights for the size of its inputs' last axis, but it got samples of "
                         f"shape {tuple(input_shape)}, whose last size is unknown (None){hint}; give that size, "
                         "e.g. Input(shape=(None, 8)) for sequences of 8 features.")
    return int(size)


def adapt_batches(data: Any, steps: int | None, name: str, what: str) -> Any:
    """The batches of ``data`` a preprocessing layer's ``adapt`` reads (Keras's rules): an array or a list is
    one batch; a dataset or an iterator gives its batches, of each tuple element its first item (the inputs, not
    the labels), at most ``steps`` of them. ``what`` names the data in the one-sentence errors.

    >>> [list(b) for b in adapt_batches(iter([([1, 2], [0, 1]), ([3], [1])]), None, "norm", "numbers")]
    [[1, 2], [3]]
    """
    one_batch = isinstance(data, (str, bytes, list, tuple, np.ndarray)) or backend.is_array(data) \
        or isinstance(data, Tensor) or not hasattr(data, "__iter__")
    if one_batch:
        if steps is not None:
            raise ConfigError(f"adapt got steps={steps!r} with a list or array, which is read whole; steps is for "
                              "a dataset or a generator of batches.")
        yield data
        return
    if steps is not None and (isinstance(steps, (bool, np.bool_)) or not isinstance(steps, (int, np.integer))
                              or steps < 1):
        raise ConfigError(f"adapt steps must be None or a whole number ≥ 1, got {steps!r}.")
    for number, element in enumerate(data):
        if steps is not None and number >= steps:
            return
        if isinstance(element, dict):
            key = "text" if what == "texts" else "x"
            raise DataError(f"layer {name!r} got a dataset of dicts to adapt to; map it to its {what} first, "
                            f"e.g. ds.map(lambda d: d[{key!r}]).")
        yield element[0] if isinstance(element, tuple) and element else element


# Two sizes an unknown size (None) is tried at when a layer is run on zeros to find its output's shape: an output
# size that differs between them follows the unknown one and is unknown too
_TRIED_SIZES = (5, 7)


def zero_run_shape(layer: Any, sample_shape: Any, run: Any = None, dtype: Any = None,
                   several: bool = False) -> Any:
    """The shape of one output sample of ``layer`` (or model) run in inference mode on one sample of zeros of
    ``sample_shape`` (a list of shapes for a layer called on a list) of ``dtype`` (the layer's by default),
    leaving no trace (``run(given)`` runs it when given). An unknown size (None) is tried at two sizes; output
    sizes that change with it are None. With ``several``, a call that gives a list or tuple of outputs gives
    the list of their shapes."""
    from ..tensor import no_grad

    call = run or (lambda given: layer(given, training=False))

    def output_at(size: int) -> tuple[int, ...]:
        def zero(shape: tuple[Any, ...]) -> Any:
            sizes = tuple(size if s is None else s for s in shape)
            if dtype is object:  # a model of raw texts: one empty text
                return np.full((1, *sizes), "", dtype=object)
            return Tensor(backend.xp().zeros((1, *sizes), dtype=np.dtype(dtype or layer.dtype)))

        given = [zero(s) for s in sample_shape] if isinstance(sample_shape, list) else zero(sample_shape)
        with no_grad(), leaving_no_trace(layer):
            out = call(given)
        if several and isinstance(out, (list, tuple)):
            return [tuple(item.shape[1:]) for item in out]
        return tuple(out.shape[1:])

    def unknown_where_they_differ(first: Any, second: Any) -> Any:
        if isinstance(first, list):
            return [unknown_where_they_differ(a, b) for a, b in zip(first, second)]
        return tuple(a if a == b else None for a, b in zip(first, second))

    shapes = sample_shape if isinstance(sample_shape, list) else [sample_shape]
    if all(s is not None for shape in shapes for s in shape):
        return output_at(1)
    return unknown_where_they_differ(*(output_at(size) for size in _TRIED_SIZES))


# the array libraries whose arrays a call computed with another library's ops returns (jax: Keras's default backend)
_FOREIGN_ARRAYS = ("jax", "jaxlib", "torch", "tensorflow", "keras")


def _refuse_foreign_result(layer: Any, out: Any) -> None:
    """Refuse a call that returned another library's array: fnlearn cannot differentiate what it did not compute,
    and the leftover line of a Keras example, ``from keras import ops``, would otherwise fail far from its cause."""
    for item in out if isinstance(out, (list, tuple)) else (out,):
        module = type(item).__module__.split(".")[0]
        if module in _FOREIGN_ARRAYS:
            raise ConfigError(f"layer {layer.name!r} ({type(layer).__name__}) returned a {module} array "
                              f"({type(item).__name__}) from its call, computed with another library's ops; write "
                              "`from fnlearn.keras import ops` where the program has `from keras import ops` (and "
                              "`from fnlearn import keras` for `import keras`), so that fnlearn computes and "
                              "differentiates it.")


class Layer(Module):
    """A module with a name, an optional declared input shape and a lazy ``build``.

    A layer of one's own is written either way: PyTorch's, with ``forward(x)`` and parameters set in
    ``__init__``; or Keras's, with ``call(inputs)``, weights from :meth:`add_weight` (in ``__init__`` or in
    ``build(input_shape)``, which then gets the batch axis too, ``(None, features)``, and runs before the
    first call), and ``compute_output_shape`` optional (without it the layer is run once on a zero sample to
    find its output's shape).

    >>> import fnlearn as fl, numpy as np
    >>> class Line(fl.layers.Layer):  # y = w·x + b, the lecture's first model
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(shape=(input_shape[-1], 1), initializer="ones")
    ...         self.b = self.add_weight(shape=(1,), initializer="zeros")
    ...     def call(self, inputs):
    ...         return fl.functional.matmul(inputs, self.w) + self.b
    >>> line = Line()
    >>> line(np.array([[2.0, 3.0]])).numpy().tolist(), [name for name, _ in line.named_parameters()]
    ([[5.0]], ['w', 'b'])
    """

    takes_list_only = False  # a merge layer: called on a list of inputs only

    # Keras's activity regularizer, which every layer takes: a penalty on the layer's output, added to the loss
    activity_regularizer: Any = None

    def __new__(cls, *args: Any, **kwargs: Any) -> Layer:
        layer = super().__new__(cls)
        if kwargs.get("activity_regularizer") is not None:  # every layer takes it, whatever its own arguments
            layer.__dict__["activity_regularizer"] = regularizers.get(kwargs["activity_regularizer"])
        if _records_arguments(cls):
            # Keras 3 records what a layer of one's own was made with, so that one without get_config() saves
            # and loads (when every argument is a plain number, string or list of them)
            arguments = _plain_arguments(cls, args, kwargs)
            if arguments is not None:
                object.__setattr__(layer, "_init_arguments", arguments)
        return layer

    def __init__(self, name: str | None = None, input_shape: Any = None, input_dim: Any = None,
                 trainable: bool = True, dtype: Any = None, activity_regularizer: Any = None) -> None:
        super().__init__()
        if activity_regularizer is not None:  # a layer of one's own passing it on to super().__init__
            self.__dict__["activity_regularizer"] = regularizers.get(activity_regularizer)
        if name is not None and not isinstance(name, str):
            raise ConfigError(f"a layer's name must be a string, got {type(name).__name__} {name!r}; e.g. "
                              "name='hidden'.")
        self.trainable = trainable
        self.name = name or _auto_name(_snake(type(self).__name__))
        # The dtype of the weights is fixed when the layer is made (Keras's rule), not when it is built later
        # from its first batch: the default dtype may have changed in between.
        self.dtype = backend.get_default_dtype() if dtype is None else _dtype_name(dtype, self.name)
        if input_dim is not None:
            if input_shape is not None:
                raise ConfigError(f"layer {self.name!r} got both input_shape and input_dim; give only one.")
            input_shape = (input_dim,)
        self.input_shape = None if input_shape is None else _shape_tuple(input_shape, "input_shape")
        self.built = False

    def build(self, input_shape: tuple[int, ...]) -> None:
        """Create the parameters for inputs of this shape (batch axis excluded; a layer with ``call`` gets
        Keras's shape with the batch axis, see :meth:`build_for`)."""
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return input_shape

    # ------------------------------------------------------------------ layers written the Keras way
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        computes = next((base for base in cls.__mro__[1:] if "forward" in base.__dict__), Layer)
        if "call" in cls.__dict__ and computes is not Layer and computes.__module__ == __name__:
            raise ConfigError(f"{cls.__name__} defines call() on top of fnlearn's {computes.__name__}, whose "
                              f"computation is its forward(); subclass keras.layers.Layer instead and use a "
                              f"{computes.__name__} inside it (self.inner = {computes.__name__}(...)).")

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """The layer's computation, written the Keras way (a layer of fnlearn's own defines forward)."""
        raise NotImplementedError(f"{type(self).__name__} must define call(self, inputs) (Keras's way) or "
                                  "forward(self, x) (PyTorch's), the layer's computation.")

    @property
    def _keras_way(self) -> bool:
        """Whether this layer's class computes in ``call`` (Keras's conventions for build and shapes)."""
        return type(self).call is not Layer.call

    def forward(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        if self._keras_way:
            if isinstance(x, (tuple, list)):  # several inputs, as Keras's layers take them (z_mean, z_log_var)
                x = type(x)(as_input(item, np.dtype(self.dtype), self.name) for item in x)
                if not self.built:
                    self.build_for([tuple(item.shape[1:]) for item in x])
            elif isinstance(x, dict):  # named inputs, as Keras's layers take them too
                x = {key: as_input(item, np.dtype(self.dtype), self.name) for key, item in x.items()}
                if not self.built:
                    self.build_for({key: tuple(item.shape[1:]) for key, item in x.items()})
            else:
                x = as_input(x, np.dtype(self.dtype), self.name)
                if not self.built:
                    self.build_for(tuple(x.shape[1:]))
            if "training" in _parameters_of(type(self).call):
                kwargs.setdefault("training", self.training)
            out = self.call(x, *args, **kwargs)
            _refuse_foreign_result(self, out)
            return out
        return self.call(x, *args, **kwargs)  # a layer with neither call nor forward: the sentence to write one

    def __call__(self, *args: Any, training: bool | None = None, **kwargs: Any) -> Any:
        spec = self.__dict__.get("input_spec")
        if spec is not None and args:  # Keras's input_spec, checked at every call once a layer of one's own sets it
            from .input_spec import check_inputs

            check_inputs(spec, args[0], self.name)
        out = self._masked_call(*args, training=training, **kwargs)
        if self.activity_regularizer is not None and not isinstance(out, Symbolic):
            self._penalise_activity(out)
        return out

    def _penalise_activity(self, out: Any) -> None:
        """Keras's activity regularization: the regularizer of each output, divided by the batch's size (so that
        its strength does not depend on the batch size), added to the loss with :meth:`add_loss`."""
        for item in out if isinstance(out, (list, tuple)) else (out,):
            if isinstance(item, Tensor):
                penalty = regularizers.penalty(self.activity_regularizer, item)
                self.add_loss(penalty / item.shape[0] if item.ndim and item.shape[0] else penalty)

    def _masked_call(self, *args: Any, training: bool | None = None, **kwargs: Any) -> Any:
        """The call, given the mask its first input carries (or its inputs' masks) and passing its output's on."""
        if self._keras_way:  # a layer written the Keras way follows Keras's rule for its mode
            training = keras_mode(training)
        first = args[0] if args else None
        if isinstance(first, Tensor):
            mask = getattr(first, "_mask", None)
        elif isinstance(first, (list, tuple)) and any(getattr(item, "_mask", None) is not None for item in first):
            mask = [getattr(item, "_mask", None) for item in first]  # Keras's list of masks for a list of inputs
        else:
            mask = None
        if mask is None:
            return super().__call__(*args, training=training, **kwargs)
        if "mask" not in kwargs and self._takes_mask:
            kwargs["mask"] = mask
        out = super().__call__(*args, training=training, **kwargs)
        if not (self.supports_masking or type(self).compute_mask is not Layer.compute_mask):
            if not self.__dict__.get("_warned_mask"):
                self.__dict__["_warned_mask"] = True
                warnings.warn(f"layer {self.name!r} ({type(self).__name__}) got sequences with a mask (from "
                              "Embedding(mask_zero=True) or Masking) but does not use masks, so it computes on the "
                              "padding steps too and the layers after it see no mask; put a recurrent layer or "
                              "GlobalAveragePooling1D before it to read the mask.", stacklevel=2)
            return out
        passed = self.compute_mask(args[0], mask)
        if isinstance(passed, (list, tuple)):  # one output takes the first input's mask, as Keras pairs them
            passed = passed[0] if passed else None
        if passed is not None and isinstance(out, Tensor) and getattr(out, "_mask", None) is None \
                and tuple(out.shape[:passed.ndim]) == tuple(passed.shape):
            out._mask = passed
        return out

    # Whether the layer computes step by step along sequences, so that a mask of padding steps passes through it
    # (Keras's attribute): a layer that does not, given a mask, says so once and drops it.
    supports_masking = False

    def compute_mask(self, inputs: Any, mask: Any) -> Any:
        """The mask of the layer's output for input ``mask`` (Keras's method): the same mask by default for a
        layer that supports masking; a layer that pools the steps away gives None."""
        return mask if self.supports_masking else None

    @property
    def _takes_mask(self) -> bool:
        """Whether the layer's computation takes ``mask=`` (Keras passes the input's mask to a ``call`` that
        does)."""
        return "mask" in _parameters_of(type(self).call if self._keras_way else type(self).forward)

    def build_for(self, sample_shape: Any) -> None:
        """Build for samples of ``sample_shape`` (batch axis excluded; a list of them for a layer called on a
        list of inputs), in the layer's own convention."""
        self.build(_batch_shapes(sample_shape) if self._keras_way else sample_shape)
        self.built = True
        if self._keras_way and not self.trainable:
            self.trainable = False  # what build made (in layers inside it, in lists too) is frozen as the layer is

    def output_shape_for(self, sample_shape: Any) -> tuple[int, ...]:
        """The shape of one output sample for input samples of ``sample_shape`` (batch axes excluded; a list
        of shapes for a layer called on a list of inputs)."""
        if not self._keras_way:
            return tuple(self.compute_output_shape(sample_shape))
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            return tuple(self.compute_output_shape(_batch_shapes(sample_shape)))[1:]
        seen = self.__dict__.setdefault("_shapes_seen", {})
        key = tuple(map(tuple, sample_shape)) if isinstance(sample_shape, list) else sample_shape
        if key not in seen:  # Keras runs the call on a placeholder; fnlearn once on a zero sample
            seen[key] = zero_run_shape(self, sample_shape)
        return seen[key]

    @property
    def takes_lists(self) -> bool:
        """Whether the layer may be called on a list of inputs: merge layers (only so) and layers written the
        Keras way, whose ``call`` may take one."""
        return self.takes_list_only or self._keras_way

    def add_weight(self, shape: Any = None, initializer: Any = "glorot_uniform", dtype: Any = None,
                   trainable: bool = True, regularizer: Any = None, constraint: Any = None, name: str | None = None,
                   **kwargs: Any) -> Parameter:
        """A new weight of this layer (Keras's ``add_weight``): made now, registered, trained by ``fit`` unless
        ``trainable=False``, penalised by ``regularizer`` (``"l2"``, ``keras.regularizers.L2(1e-4)``…), projected
        by ``constraint`` (``"non_neg"``, ``keras.constraints.MaxNorm(2)``…) after each update.

        >>> layer = Layer()
        >>> w = layer.add_weight(shape=(2, 3), initializer="ones", constraint="non_neg", name="kernel")
        >>> w.shape, w.constraint
        ((2, 3), NonNeg())
        """
        unknown = [k for k, v in kwargs.items() if k not in ("autocast", "aggregation", "synchronization")
                   and v is not None]
        if unknown:
            raise ConfigError(f"add_weight of layer {self.name!r} got {', '.join(unknown)}, which fnlearn does not "
                              "have; it takes shape, initializer, dtype, trainable, regularizer, constraint and "
                              "name.")
        projection = constraints.get(constraint)
        empty = shape is None or (isinstance(shape, (tuple, list)) and len(shape) == 0)  # a scalar weight
        dims = () if empty else _shape_tuple(shape, "add_weight shape", unknown=False)
        dtype_name = self.dtype if dtype is None else _dtype_name(dtype, self.name)
        init = initializers.get("zeros" if initializer is None else initializer)
        penalty = regularizers.get(regularizer)
        values = backend.to_device(np.asarray(backend.to_numpy(init(dims))).astype(dtype_name))
        weight = Parameter(values, dtype=dtype_name, name=name)
        weight.requires_grad = bool(trainable) and self.trainable
        weight.constraint = projection
        params = self.__dict__["_parameters"]
        key = name or "weight"
        key = next(k for k in itertools.chain([key], (f"{key}_{i}" for i in itertools.count(1))) if k not in params)
        params[key] = weight
        weight.placed(self.name, key)
        if name is None:
            self.__dict__.setdefault("_unnamed_weights", set()).add(key)
        if not trainable:  # stays untrained when the layer is frozen and unfrozen again (Module.trainable)
            object.__setattr__(self, "_statistics", (*self._statistics_names(), key))
        if penalty is not None:
            self.__dict__.setdefault("_added_penalties", []).append((weight, penalty))
        return weight

    def _statistics_names(self) -> tuple[str, ...]:
        names = getattr(self, "_statistics", ())
        return names if isinstance(names, tuple) else ()

    def penalties(self) -> list[tuple[Parameter, Any]]:
        """(parameter, regularizer) for each of the layer's own weights that has one (see ``_weight_regularizers``),
        then each weight added with a regularizer."""
        own = [(getattr(self, weight, None), getattr(self, regularizer, None))
               for weight, regularizer in self._weight_regularizers.items()]
        return [(p, r) for p, r in own if p is not None and r is not None] + \
            list(self.__dict__.get("_added_penalties", ()))

    # a built-in layer's weights, by attribute, and the attribute of the regularizer of each (Dense's
    # {"kernel": "kernel_regularizer", "bias": "bias_regularizer"}), which penalties() reads
    _weight_regularizers: dict[str, str] = {}

    # a built-in layer's weights, by attribute, and the attribute of the constraint each carries (Dense's
    # {"kernel": "kernel_constraint", "bias": "bias_constraint"}): set on the weight when it is made
    _weight_constraints: dict[str, str] = {}

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Parameter) and name in self._weight_constraints:
            constraint = self.__dict__.get(self._weight_constraints[name])
            if constraint is not None:
                value.constraint = constraint
        unnamed = self.__dict__.get("_unnamed_weights")
        if unnamed and isinstance(value, Parameter):
            params = self.__dict__["_parameters"]
            key = next((k for k in unnamed if params.get(k) is value), None)
            if key is not None:  # self.w = self.add_weight(...): the weight takes the attribute's name, in place
                unnamed.discard(key)
                renamed = {(name if k == key else k): v for k, v in params.items() if k != name or k == key}
                params.clear()
                params.update(renamed)
                if key in self._statistics_names():
                    object.__setattr__(self, "_statistics",
                                       tuple(name if k == key else k for k in self._statistics_names()))
                object.__setattr__(self, name, value)
                return
        super().__setattr__(name, value)

    @property
    def output(self) -> Any:
        """The placeholder this layer gave when called on a ``keras.Input`` (or on what followed one): Keras's
        ``layer.output``, to build a model that ends here, ``keras.Model(model.inputs, layer.output)``."""
        node = self.__dict__.get("_output_node")
        if node is None:
            raise AttributeError(f"layer {self.name!r} has never been called on a keras.Input (or in a "
                                 "keras.Sequential that starts with one), so it has no output placeholder; give "
                                 "the model an Input(shape=...) first.")
        return node

    @property
    def input(self) -> Any:
        """The placeholder this layer was called on (see :attr:`output`; a list for a layer of several outputs)."""
        node = self.output
        return (node[0] if isinstance(node, list) else node).parent

    @property
    def input_features(self) -> int | None:
        """The size of the last input axis the built layer's weights fix (None: any, or not built yet).

        >>> import fnlearn as fl
        >>> fl.layers.Dense(2, input_dim=3).input_features, fl.layers.Dense(2).input_features
        (3, None)
        """
        return None

    def _feature_batch(self, x: Any, weight: Parameter | None) -> Tensor:
        """``x`` as a batch of rows of features in ``weight``'s dtype (the layer's own before it is built), the
        layer built for it, and its last axis checked against the features the built weights fix."""
        x = as_input(x, weight.data.dtype if weight is not None else np.dtype(self.dtype), self.name)
        if x.ndim < 2:
            raise ShapeError(f"layer {self.name!r} expects a batch of shape (batch, features), got shape "
                             f"{x.shape}; wrap a single sample as x[None, :] or reshape(1, -1).")
        self._ensure_built(x)
        expected = self.input_features
        if x.shape[-1] != expected:
            raise ShapeError(f"layer {self.name!r} expects inputs with {expected} features (shape (batch, "
                             f"{expected})), but got shape {x.shape}; check the input_shape of the first layer, "
                             "the layer before it or the data's columns.")
        return x

    def get_config(self) -> dict[str, Any]:
        """The layer's settings, from which ``from_config`` makes it again; for a layer of one's own, also the
        arguments it was made with (as Keras 3 records them), so it saves without a get_config of its own.

        >>> class Scaled(Layer):
        ...     def __init__(self, factor, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.factor = factor
        >>> Scaled(3.0, name="s").get_config()
        {'factor': 3.0, 'name': 's'}
        """
        recorded = self.__dict__.get("_init_arguments", {}) if _records_arguments(type(self)) else {}
        config: dict[str, Any] = {**recorded, "name": self.name}
        if self.input_shape is not None:
            config["input_shape"] = list(self.input_shape)
        if not self.trainable:
            config["trainable"] = False
        if self.dtype != "float32":
            config["dtype"] = self.dtype
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        for key in self._weight_constraints.values():  # as Keras writes them: keras.constraints.serialize
            if self.__dict__.get(key) is not None:
                config[key] = constraints.serialize(self.__dict__[key])
        for key in dict.fromkeys(self._weight_regularizers.values()):  # keras.regularizers.serialize's form
            if self.__dict__.get(key) is not None:
                config[key] = regularizers.serialize(self.__dict__[key])
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """A new layer with the settings :meth:`get_config` gave (Keras's ``from_config``).

        >>> Layer.from_config({"name": "again"}).name
        'again'
        """
        return cls(**config)

    def _ensure_built(self, x: Tensor) -> None:
        if not self.built:
            self.build_for(tuple(x.shape[1:]))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


@functools.lru_cache(maxsize=256)
def _parameters_of(function: Any) -> frozenset[str]:
    import inspect

    return frozenset(inspect.signature(function).parameters)


def _records_arguments(cls: type) -> bool:
    """Whether ``cls`` is a layer of one's own with no get_config of its own (fnlearn's layers give theirs)."""
    return cls.get_config is Layer.get_config and cls not in LAYERS.values() and cls is not Layer \
        and not getattr(cls, "declares_input_only", False)


def _plain_arguments(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """The arguments ``cls(*args, **kwargs)`` was given, by name, if each is plain data (numbers, strings, None,
    lists and dicts of them); None otherwise, or when they do not fit ``cls.__init__``."""
    import inspect

    def plain(value: Any) -> bool:
        if value is None or isinstance(value, (bool, int, float, str)):
            return True
        if isinstance(value, (list, tuple)):
            return all(plain(v) for v in value)
        return isinstance(value, dict) and all(isinstance(k, str) and plain(v) for k, v in value.items())

    try:
        signature = inspect.signature(cls.__init__)
        bound = signature.bind(None, *args, **kwargs)
    except (TypeError, ValueError):
        return None
    arguments: dict[str, Any] = {}
    for index, (name, value) in enumerate(bound.arguments.items()):
        kind = signature.parameters[name].kind
        if index == 0 or kind is inspect.Parameter.VAR_POSITIONAL:
            if index and value:  # positional extras cannot be named again
                return None
            continue
        arguments.update(value if kind is inspect.Parameter.VAR_KEYWORD else {name: value})
    converted = {k: list(v) if isinstance(v, tuple) else v for k, v in arguments.items()}
    return converted if all(plain(v) for v in converted.values()) else None


def _snake(name: str) -> str:
    """A class name in snake case as Keras writes it: ``LeakyReLU`` → ``leaky_re_lu``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def as_input(x: Any, dtype: Any, layer: str) -> Tensor:
    """A layer's input as a tensor of the layer's float dtype (integers and float64 data are cast)."""
    if isinstance(x, Tensor):
        if x.data.dtype != dtype:
            return F.cast(x, dtype) if x.requires_grad else Tensor(x.data.astype(dtype))
        return x
    return Tensor(as_array(x, dtype, name=f"input of layer {layer!r}"))


class Dense(Layer):
    """A fully connected layer: ``activation(x @ kernel + bias)``.

    The lecture writes one layer as ``σ(b + W x)``; with a batch of row vectors that is
    ``σ(x @ Wᵀ + b)``, and fnlearn stores ``kernel = Wᵀ`` of shape (inputs, units), as Keras does.
    Inputs are cast to the layer's dtype (integers and float64 data become float32 by default).

    >>> import fnlearn as fl
    >>> fl.layers.Dense(100, activation="relu", input_shape=(784,)).kernel.shape
    (784, 100)
    """

    _weight_constraints = {"kernel": "kernel_constraint", "bias": "bias_constraint"}
    _weight_regularizers = {"kernel": "kernel_regularizer", "bias": "bias_regularizer"}

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 input_shape: Any = None, input_dim: Any = None, name: str | None = None, trainable: bool = True,
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, dtype: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("Dense", kwargs)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ConfigError(f"Dense units must be a positive integer, got {units!r}.")
        self.units = int(units)
        self.activation = F.get_activation(activation)
        self.activation_name = _activation_name(activation)
        if self.activation is F.softmax and self.units == 1:  # Keras warns of it too: accuracy stays at chance
            warnings.warn("Dense(1, activation='softmax'): a softmax over 1 value is always 1, so this output "
                          "cannot learn; for a yes/no output use activation='sigmoid' (with binary "
                          "cross-entropy), or give the layer one unit per class.", UserWarning, stacklevel=2)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.use_bias = bool(use_bias)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        super().__init__(name=name, input_shape=input_shape, input_dim=input_dim, trainable=trainable, dtype=dtype)
        self.kernel: Parameter | None = None
        self.bias: Parameter | None = None
        if self.input_shape is not None:
            self.build(self.input_shape)

    def build(self, input_shape: tuple[int, ...]) -> None:
        in_features = known_features(input_shape, f"Dense layer {self.name!r}")
        with backend.using_dtype(self.dtype):
            self.kernel = Parameter(self.kernel_initializer((in_features, self.units)), name="kernel")
            self.bias = Parameter(self.bias_initializer((self.units,)), name="bias") if self.use_bias else None
        self.built = True

    def forward(self, x: Any) -> Tensor:
        x = self._feature_batch(x, self.kernel)
        return self.activation(F.dense(x, self.kernel, self.bias))

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(input_shape[:-1]) + (self.units,)

    @property
    def input_features(self) -> int | None:
        return None if self.kernel is None else int(self.kernel.shape[0])

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "units": self.units, "activation": self.activation_name,
                  "use_bias": self.use_bias,
                  "kernel_initializer": initializers.name_of(self.kernel_initializer),
                  "bias_initializer": initializers.name_of(self.bias_initializer)}
        return config


class Activation(Layer):
    """An activation as its own layer: ``Activation("relu")``."""

    def __init__(self, activation: Any, name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("Activation", kwargs, allow=("input_shape", "input_dim"))
        self.activation_name = _activation_name(activation)
        self.activation = F.get_activation(activation)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), input_dim=kwargs.get("input_dim"),
                         trainable=kwargs.get("trainable", True), dtype=kwargs.get("dtype"))
        self.built = True

    def forward(self, x: Any) -> Tensor:
        return self.activation(as_input(x, _float_of(x), self.name))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": self.activation_name}


class _NamedActivation(Activation):
    """An activation layer whose class names its function: its settings leave the function out."""

    def get_config(self) -> dict[str, Any]:
        return {k: v for k, v in super().get_config().items() if k != "activation"}


class Softmax(_NamedActivation):
    """Softmax over the last axis as its own layer (Keras's ``layers.Softmax()``).

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.Softmax()(np.zeros((1, 4))).numpy().tolist()
    [[0.25, 0.25, 0.25, 0.25]]
    """

    def __init__(self, axis: int = -1, name: str | None = None, **kwargs: Any) -> None:
        if axis != -1:
            raise ConfigError(f"Softmax takes the last axis only (axis=-1), got axis={axis!r}.")
        super().__init__("softmax", name=name, **kwargs)


class ReLU(_NamedActivation):
    """max(x, 0) as its own layer, with Keras's options (``layers.ReLU(max_value=6)`` is ReLU6).

    Values above ``threshold`` pass, capped at ``max_value``; the others become
    ``negative_slope · (x − threshold)``. See :func:`fnlearn.functional.relu`.

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.ReLU(max_value=1.0)(np.array([[-1.0, 0.5, 3.0]])).numpy().tolist()
    [[0.0, 0.5, 1.0]]
    """

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0, threshold: float = 0.0,
                 name: str | None = None, **kwargs: Any) -> None:
        F.check_relu_options(negative_slope, max_value, threshold, "ReLU")
        super().__init__("relu", name=name, **kwargs)
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold
        if (max_value, negative_slope, threshold) != (None, 0, 0):
            # Not the plain F.relu object, so fit and predict take the general path for this layer.
            self.activation = functools.partial(F.relu, negative_slope=negative_slope, max_value=max_value,
                                                threshold=threshold)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(_NamedActivation):
    """x for x > 0, ``negative_slope · x`` otherwise, as its own layer (Keras's ``layers.LeakyReLU``, whose
    default slope is 0.3; Keras 2's ``alpha=`` is the same setting).

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.LeakyReLU()(np.array([[-1.0, 2.0]])).numpy().round(6).tolist()
    [[-0.3, 2.0]]
    """

    def __init__(self, negative_slope: float = 0.3, name: str | None = None, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        F.check_relu_options(negative_slope, None, 0.0, "LeakyReLU")
        super().__init__("leaky_relu", name=name, **kwargs)
        self.negative_slope = negative_slope
        self.activation = functools.partial(F.leaky_relu, negative_slope=negative_slope)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class Flatten(Layer):
    """Flatten each sample to one axis: (batch, 28, 28) → (batch, 784)."""

    def __init__(self, name: str | None = None, input_shape: Any = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("Flatten", kwargs)
        super().__init__(name=name, input_shape=input_shape, trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        return F.reshape(x, (x.shape[0], -1))

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        if None in tuple(input_shape):
            raise ShapeError(f"Flatten layer {self.name!r} got samples of shape {tuple(input_shape)}, with an unknown "
                             "size (None), so the layers after it could not know their inputs' size; pool the steps "
                             "away instead (GlobalMaxPooling1D or GlobalAveragePooling1D) or give the Input that "
                             "size.")
        return (int(np.prod(input_shape)),)


class Lambda(Layer):
    """A function of the inputs as a layer, Keras's ``layers.Lambda``: ``Lambda(lambda x: x ** 2)``,
    ``Lambda(lambda x: keras.ops.mean(x, axis=1))``. The function gets the batch as a tensor (a list of them when
    a functional model calls the layer on a list) and returns a tensor; written with fnlearn's ops, ``keras.ops``
    or arithmetic, it passes the gradient on (a NumPy function would turn the tensor into an array and lose it,
    so an array returned is refused). ``arguments`` are keyword arguments for the function, and a function that
    takes ``training`` gets the mode of the call, as in Keras.

    The output's shape (for ``summary()`` and the next layer) is ``output_shape`` (one sample's, or a function of
    the input's shape with its batch axis, as Keras takes it), else found by running the function once on a
    sample of zeros. A model file never holds code, so a model with a Lambda layer is refused by ``save`` (its
    weights save with ``save_weights``); a layer that must be saved is a Layer subclass, registered with
    ``keras.saving.register_keras_serializable``.

    >>> import fnlearn as fl, numpy as np
    >>> double = fl.layers.Lambda(lambda x: x * 2)
    >>> double(np.array([[1.0, 2.0]])).numpy().tolist(), double.compute_output_shape((2,))
    ([[2.0, 4.0]], (2,))
    >>> fl.Sequential([fl.layers.Lambda(lambda x: fl.functional.sum(x, axis=1, keepdims=True),
    ...                                  input_shape=(3,))]).output_shape
    (1,)
    """

    def __init__(self, function: Any, output_shape: Any = None, mask: Any = None,
                 arguments: dict[str, Any] | None = None, name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("Lambda", kwargs, allow=("input_shape", "input_dim"))
        if not callable(function):
            raise ConfigError(f"Lambda needs a function of the inputs, such as lambda x: x ** 2, got "
                              f"{type(function).__name__} {function!r}.")
        if mask is not None:
            raise ConfigError(f"Lambda got mask={mask!r}; fnlearn's layers have no masks: leave it out.")
        if arguments is not None and (not isinstance(arguments, dict) or not all(isinstance(k, str)
                                                                                  for k in arguments)):
            raise ConfigError(f"Lambda arguments must be a dict of keyword arguments for the function, such as "
                              f"{{'axis': 1}}, got {arguments!r}.")
        if output_shape is not None and not callable(output_shape):
            output_shape = _shape_tuple(output_shape, "Lambda output_shape (one sample's shape, no batch axis)")
        self.function = function
        self.output_shape_setting = output_shape
        self.arguments: dict[str, Any] = dict(arguments or {})
        import inspect

        try:  # not the cached _parameters_of: a cache would keep every Lambda's function (and closure) alive
            self._passes_training = "training" in inspect.signature(function).parameters
        except (TypeError, ValueError):  # a built-in without a signature takes no training argument
            self._passes_training = False
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), input_dim=kwargs.get("input_dim"),
                         trainable=kwargs.get("trainable", True), dtype=kwargs.get("dtype"))
        self.built = True

    @property
    def takes_lists(self) -> bool:
        """A Lambda may be called on a list of inputs, as Keras's (``Lambda(lambda t: t[0] - t[1])([a, b])``)."""
        return True

    def forward(self, x: Any) -> Tensor:
        if isinstance(x, (list, tuple)):
            given: Any = type(x)(as_input(item, _float_of(item), self.name) for item in x)
        else:
            given = as_input(x, _float_of(x), self.name)
        options = dict(self.arguments)
        if self._passes_training:
            options["training"] = bool(self.training)
        out = self.function(given, **options)
        if not isinstance(out, Tensor):
            raise ConfigError(f"the function of Lambda layer {self.name!r} returned {type(out).__name__}, not a "
                              "tensor; write it with fnlearn's ops (fl.exp, fl.functional.sum...), keras.ops or "
                              "arithmetic on its input, which keep the gradient (NumPy functions lose it).")
        return out

    def compute_output_shape(self, input_shape: Any) -> tuple[int, ...]:
        setting = self.output_shape_setting
        if isinstance(setting, tuple):
            return setting
        shapes = [tuple(s) for s in input_shape] if isinstance(input_shape, list) else tuple(input_shape)
        if setting is not None:  # Keras's form: a function of the input's shape with its batch axis
            full = setting(_batch_shapes(shapes))
            if not isinstance(full, (tuple, list)) or len(full) < 2:
                raise ConfigError(f"the output_shape function of Lambda layer {self.name!r} returned {full!r}; it "
                                  "takes the input's shape with its batch axis, (None, ...), and returns the output's "
                                  "the same way, such as lambda shape: (shape[0], 1).")
            return _shape_tuple(tuple(full)[1:], f"the output shape of Lambda layer {self.name!r}")
        seen = self.__dict__.setdefault("_shapes_seen", {})
        key = tuple(shapes) if isinstance(shapes, list) else shapes
        if key not in seen:  # Keras traces the function symbolically; fnlearn runs it once on a zero sample
            def run(given: Any) -> Any:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")  # zeros may divide by zero: only the shape is wanted
                    return self(given, training=False)

            try:
                seen[key] = zero_run_shape(self, list(shapes) if isinstance(shapes, list) else shapes, run)
            except FnlearnError:
                raise  # already one sentence about the layer or its input
            except Exception as exc:  # noqa: BLE001  (the user's function: whatever it raised, say what to do)
                said = " ".join(str(exc).split())  # one line, whatever the function's message was
                raise ConfigError(f"Lambda layer {self.name!r} could not be run on a sample of zeros of shape "
                                  f"{key} to find its output's shape ({type(exc).__name__}: {said}); give "
                                  "output_shape=(...), one sample's shape.") from exc
        return seen[key]

    def get_config(self) -> dict[str, Any]:
        """The settings, the function itself among them: enough to make the layer again in this program
        (``from_config``), never written to a file."""
        config = {**super().get_config(), "function": self.function, "arguments": dict(self.arguments)}
        if self.output_shape_setting is not None:
            setting = self.output_shape_setting
            config["output_shape"] = list(setting) if isinstance(setting, tuple) else setting
        return config


class Rescaling(Layer):
    """``x · scale + offset``, Keras's ``layers.Rescaling``: pixels of 0–255 into [0, 1] inside the model
    (``Rescaling(1 / 255)``), or into [−1, 1] (``Rescaling(1 / 127.5, offset=-1)``). ``scale`` and ``offset`` are
    numbers, or one per channel (the last axis). Integer images come out in the layer's float dtype.

    >>> import fnlearn as fl, numpy as np
    >>> out = fl.layers.Rescaling(1 / 255)(np.array([[0, 51, 255]], dtype=np.uint8))
    >>> out.dtype, [round(v, 2) for v in out.numpy()[0].tolist()]
    (dtype('float32'), [0.0, 0.2, 1.0])
    >>> fl.layers.Rescaling(1 / 127.5, offset=-1.0)(np.array([[0.0, 255.0]])).numpy().tolist()
    [[-1.0, 1.0]]
    """

    def __init__(self, scale: Any, offset: Any = 0.0, name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("Rescaling", kwargs, allow=("input_shape",))
        self.scale, self.offset = (_rescaling_value(value, what) for value, what in ((scale, "scale"),
                                                                                    (offset, "offset")))
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, np.dtype(self.dtype) if self.dtype else _float_of(x), self.name)
        for value in (self.scale, self.offset):
            if isinstance(value, list) and len(value) != x.shape[-1]:
                raise ShapeError(f"layer {self.name!r} has {len(value)} scales or offsets, one per channel, but its "
                                 f"input has {x.shape[-1]} channels (shape {x.shape}); give one number, or one per "
                                 "channel.")
        scale, offset = (backend.xp().asarray(v, dtype=x.dtype) for v in (self.scale, self.offset))
        return F.add(F.mul(x, Tensor(scale)), Tensor(offset))

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


def _rescaling_value(value: Any, what: str) -> float | list[float]:
    """A Rescaling setting as a number or a list of numbers (one per channel), refused otherwise."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf" or arr.ndim > 1 or arr.size == 0 or not np.isfinite(arr.astype(float)).all():
        raise ConfigError(f"Rescaling {what} must be a finite number (or one per channel), such as 1 / 255; got "
                          f"{value!r}.")
    return float(arr) if arr.ndim == 0 else [float(v) for v in arr]


class Normalization(Layer):
    """``(x − mean) / √variance`` per feature, with the statistics of the data given to :meth:`adapt` —
    Keras's ``layers.Normalization``: the scaling of the inputs kept inside the model and saved with it.

    ``axis=-1`` (default) keeps one mean and variance per feature (the last axis); ``axis=None`` one for all
    values. The last axis may also be counted from the batch axis, as Keras writes it (``axis=3`` for images of
    shape (batch, height, width, channels)): inputs of another rank are refused. ``mean`` and ``variance`` may be
    given instead of adapting: one per feature, or one number each, which (as in Keras) holds for every feature,
    repeated once the layer learns its number of features (from ``input_shape`` or its first input).
    ``invert=True`` undoes the scaling. Adapted statistics are parameters that training never changes (counted as
    non-trainable, saved with the model one per feature), followed by
    ``count``, the one number Keras 3 keeps beside them (always 0 there too: its ``adapt`` sees all the data at
    once), so that ``get_weights`` / ``set_weights`` and ``summary()``'s counts match Keras's. Statistics given
    as ``mean`` and ``variance`` are constants, as Keras 3 keeps them: no weights (a model's ``get_weights`` lines
    up with Keras's), kept in the layer's config instead. A model written for Keras keeps adapted statistics as
    weights (mean, variance and an integer count), as Keras writes them.

    >>> import fnlearn as fl, numpy as np
    >>> norm = fl.layers.Normalization(); norm.adapt(np.array([[1.0, 10.0], [3.0, 30.0]]))
    >>> norm(np.array([[2.0, 20.0], [3.0, 30.0]])).numpy().tolist()
    [[0.0, 0.0], [1.0, 1.0]]
    >>> fl.layers.Normalization(mean=3.0, variance=4.0)(np.array([[1.0, 3.0, 5.0]])).numpy().tolist()
    [[-1.0, 0.0, 1.0]]
    """

    _statistics = True  # its parameters are the data's statistics: never trained, whatever trainable says

    def __init__(self, axis: int | None = -1, mean: Any = None, variance: Any = None, invert: bool = False,
                 name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("Normalization", kwargs, allow=("input_shape", "input_dim"))
        if axis is not None and (isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or axis == 0
                                 or axis < -1):
            raise ConfigError(f"Normalization takes axis=-1 (a mean and variance per feature, the last axis) or "
                              f"axis=None (one for all values), got axis={axis!r}.")
        if (mean is None) != (variance is None):
            raise ConfigError("Normalization needs both mean and variance, or neither (then call adapt(data)).")
        self.axis = None if axis is None else int(axis)
        self.invert = bool(invert)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), input_dim=kwargs.get("input_dim"),
                         trainable=kwargs.get("trainable", True), dtype=kwargs.get("dtype"))
        self.mean: Parameter | None = None
        self.variance: Parameter | None = None
        self.count: Parameter | None = None
        # One number each for every feature, kept until the number of features is known (Keras broadcasts them)
        self._shared_statistics: tuple[np.ndarray, np.ndarray] | None = None
        self._given: tuple[Any, Any] | None = None  # mean and variance as given, for the config (Keras's)
        self.built = True  # any input shape; the statistics come from adapt
        if mean is not None:
            mean_array, variance_array = np.asarray(mean, dtype=np.float64), np.asarray(variance, dtype=np.float64)
            self._given = (mean_array.tolist(), variance_array.tolist())
            if axis is not None and mean_array.size == variance_array.size == 1 and mean_array.ndim <= 1 \
                    and variance_array.ndim <= 1:
                self._check_statistics(mean_array, variance_array, mean_array.reshape(()).shape)
                self._shared_statistics = (mean_array.reshape(()), variance_array.reshape(()))
                self.built = False
                if self.input_shape is not None:
                    self.build(self.input_shape)
            else:
                self._set_statistics(mean_array, variance_array, constant=True)

    def build(self, input_shape: tuple[int, ...]) -> None:
        """Repeat a mean and variance given as one number each for every feature of ``input_shape`` (batch axis
        excluded), as Keras's layer does when it is built."""
        if self._shared_statistics is not None:
            features = known_features(input_shape, f"layer {self.name!r}") if len(input_shape) else 1
            mean, variance = self._shared_statistics
            self._set_statistics(np.full(features, mean), np.full(features, variance), constant=True)
        self.built = True

    def adapt(self, data: Any, batch_size: Any = None, steps: int | None = None) -> None:
        """Compute the mean and variance of ``data`` (samples along the first axis): an array, or a dataset or
        generator of batches (of their first item, for batches of (x, y)), as Keras's ``adapt``."""
        name = f"data adapted by layer {self.name!r}"
        parts = [backend.to_numpy(as_array(batch.data if isinstance(batch, Tensor) else batch, np.float64,
                                           name=name))
                 for batch in adapt_batches(data, steps, self.name, "numbers")]
        shapes = {part.shape[1:] for part in parts}
        if len(shapes) > 1:
            raise ShapeError(f"layer {self.name!r} got batches to adapt to whose samples differ in shape "
                             f"({', '.join(map(str, sorted(shapes)))}); give batches of one sample shape.")
        arr = parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else np.zeros((0,))
        if arr.size == 0:
            raise ShapeError(f"layer {self.name!r} cannot adapt to empty data (shape {arr.shape}); pass the "
                             "training inputs.")
        sample_shape = tuple(int(s) for s in arr.shape[1:]) or (1,)
        if self.input_shape is not None and tuple(self.input_shape) != sample_shape:
            raise ShapeError(f"layer {self.name!r} takes samples of shape {tuple(self.input_shape)} (its input_shape, "
                             f"or the data it was adapted to), but these data have samples of shape {sample_shape}; "
                             "make a new Normalization layer for them.")
        self._check_rank(arr.ndim)
        rows = arr.reshape(-1) if self.axis is None else arr.reshape(-1, arr.shape[-1] if arr.ndim > 1 else 1)
        self._set_statistics(rows.mean(axis=0), rows.var(axis=0))
        if self.input_shape is None:
            # Keras builds the layer for the adapted data: a model that opens with it knows its input shape
            self.input_shape = sample_shape

    def _check_rank(self, ndim: int) -> None:
        """Refuse inputs (of ``ndim`` axes, batch included) whose last axis is not the ``axis`` counted from the
        batch axis that the layer was given."""
        if self.axis is not None and self.axis > 0 and ndim != self.axis + 1:
            raise ShapeError(f"layer {self.name!r} normalises axis {self.axis}, the last axis of inputs of "
                             f"{self.axis + 1} axes (batch included), but got inputs of {ndim}; fnlearn's "
                             "Normalization takes the last axis only, so pass axis=-1.")

    def _check_statistics(self, mean: np.ndarray, variance: np.ndarray, shape: tuple[int, ...]) -> None:
        if mean.size != int(np.prod(shape)) or variance.size != mean.size:
            raise ConfigError(f"layer {self.name!r} got a mean of shape {mean.shape} and a variance of shape "
                              f"{variance.shape}; give one number each (for all features), or one per feature "
                              "for axis=-1.")
        if (variance < 0).any():
            raise ConfigError(f"layer {self.name!r} got a negative variance ({float(variance.min()):g}); a variance "
                              "is a mean of squares, so give values ≥ 0.")

    def _set_statistics(self, mean: np.ndarray, variance: np.ndarray, constant: bool = False) -> None:
        """Hold ``mean`` and ``variance``: as weights (adapted, or loaded from a file), or as the ``constant``
        statistics given when the layer was made."""
        shape = () if self.axis is None else (mean.size,)
        self._check_statistics(mean, variance, shape)
        self._shared_statistics = None  # adapted (or loaded) statistics replace numbers given for every feature
        self.built = True
        dtype = self.mean.data.dtype if self.mean is not None else np.dtype(self.dtype)
        if constant:
            self.mean = Tensor(mean.reshape(shape), dtype=dtype, name="mean")
            self.variance = Tensor(variance.reshape(shape), dtype=dtype, name="variance")
            self.count = None
            return
        self._given = None
        self.mean = Parameter(mean.reshape(shape), dtype=dtype, name="mean")
        self.variance = Parameter(variance.reshape(shape), dtype=dtype, name="variance")
        self.count = Parameter(np.zeros(()), dtype=dtype, name="count")
        self.mean.requires_grad = self.variance.requires_grad = self.count.requires_grad = False

    def forward(self, x: Any) -> Tensor:
        if self._shared_statistics is not None:
            self._ensure_built(as_input(x, np.dtype(self.dtype), self.name))
        if self.mean is None or self.variance is None:
            raise NotReadyError(f"layer {self.name!r} has no statistics yet; call {self.name}.adapt(x_train) (or "
                                "give mean= and variance=) before training or predicting.")
        x = as_input(x, self.mean.data.dtype, self.name)
        self._check_rank(x.ndim)
        if self.axis is not None and x.shape[-1] != self.mean.shape[0]:
            raise ShapeError(f"layer {self.name!r} was adapted to {self.mean.shape[0]} features, but its input has "
                             f"{x.shape[-1]} (shape {x.shape}); adapt it to data with the same columns.")
        xp = backend.xp()
        mean, variance = self.mean.data, self.variance.data
        if not backend.is_array(mean):  # constants made before the model moved to another device (not weights)
            mean, variance = backend.to_device(backend.to_numpy(mean)), backend.to_device(backend.to_numpy(variance))
        scale = Tensor(xp.maximum(xp.sqrt(variance), backend.epsilon()))  # Keras's floor for a constant feature
        mean = Tensor(mean)
        return F.add(F.mul(x, scale), mean) if self.invert else F.div(F.sub(x, mean), scale)

    def get_config(self) -> dict[str, Any]:
        mean, variance = self._given or (None, None)
        return {**super().get_config(), "axis": self.axis, "invert": self.invert, "mean": mean, "variance": variance}


# Keras's arguments for what fnlearn leaves out, and the values that ask for nothing of it
_BATCH_NORM_UNSUPPORTED = {"synchronized": False, "renorm": False, "renorm_clipping": None, "renorm_momentum": 0.99}


class BatchNormalization(Layer):
    """Batch normalisation, Keras's ``layers.BatchNormalization`` (PyTorch's ``BatchNorm1d`` on (batch, features)):
    ``γ·(x − μ)/√(σ² + ε) + β`` per feature, the last axis.

    In training (``fit``, ``model.train()``, ``training=True``) μ and σ² are the batch's mean and biased
    variance over every axis but the last, and the moving statistics follow them:
    ``moving = moving·momentum + batch·(1 − momentum)`` (the biased variance too, as Keras; PyTorch keeps the
    unbiased one, and its ``momentum=0.1`` is ``momentum=0.9`` here). In inference (``evaluate``, ``predict``,
    ``model.eval()``, a Keras model's plain call) the moving statistics are used and nothing changes. A frozen
    layer (``trainable=False``) always runs in inference, as in Keras 3.

    A sequence mask (``Embedding(mask_zero=True)``, ``Masking``, or ``mask=`` of shape (batch, steps)) is Keras 3's:
    in training μ and σ² are taken over the real steps only (see :func:`masked_batch_norm_train`), every step is
    normalised by them, and the mask passes on to the next layer.

    γ (``scale``) and β (``center``) are trained; ``moving_mean`` and ``moving_variance`` are parameters that
    gradients never change (counted as non-trainable, saved with the model), in Keras's weight order
    γ, β, moving mean, moving variance. A training batch with one sample per feature has variance 0, so
    its output is β: Keras computes it so (and ``fit`` meets it when one sample is left over for the last
    batch), PyTorch refuses it; fnlearn computes it as Keras does and warns once per layer.

    >>> import fnlearn as fl, numpy as np
    >>> bn = fl.layers.BatchNormalization(epsilon=1e-6, dtype="float64")
    >>> bn(np.array([[1.0, 10.0], [3.0, 30.0]]), training=True).numpy().round(3).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    >>> bn.moving_mean.numpy().round(6).tolist(), len(bn.trainable_weights), len(bn.non_trainable_weights)
    ([0.02, 0.2], 2, 2)
    """

    _statistics = ("moving_mean", "moving_variance")  # never trained, whatever trainable says
    supports_masking = True  # each step is normalised alone, so a sequence's mask passes on (Keras 3)
    _weight_constraints = {"gamma": "gamma_constraint", "beta": "beta_constraint"}
    _weight_regularizers = {"gamma": "gamma_regularizer", "beta": "beta_regularizer"}

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 moving_mean_initializer: Any = "zeros", moving_variance_initializer: Any = "ones",
                 beta_regularizer: Any = None, gamma_regularizer: Any = None, name: str | None = None,
                 **kwargs: Any) -> None:
        found = constraints.checked(kwargs, ("beta_constraint", "gamma_constraint"))
        _reject_unknown_kwargs("BatchNormalization", kwargs,
                               allow=("input_shape", "input_dim", *_BATCH_NORM_UNSUPPORTED))
        for key, plain in _BATCH_NORM_UNSUPPORTED.items():
            if key in kwargs and kwargs[key] != plain:
                raise ConfigError(f"BatchNormalization got {key}={kwargs[key]!r}, which fnlearn does not have; leave "
                                  f"it out (or pass {key}={plain!r}).")
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or axis == 0:
            raise ConfigError(f"BatchNormalization normalises each feature, the last axis (axis=-1); got "
                              f"axis={axis!r}, which is {'the batch axis' if axis == 0 else 'not an axis'}.")
        self.axis = int(axis)
        self.momentum = _setting(momentum, "momentum", "a number in [0, 1] (the share of the moving statistics kept "
                                 "at each training step; Keras's default is 0.99, PyTorch's momentum=0.1 is 0.9 here)")
        self.epsilon = _setting(epsilon, "epsilon", "a number > 0 (added to the variance, so that a constant feature "
                                "is not divided by 0; the default is 1e-3)", positive=True, high=math.inf)
        self.center = check_flag(center, "BatchNormalization center")
        self.scale = check_flag(scale, "BatchNormalization scale")
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint, self.gamma_constraint = found["beta_constraint"], found["gamma_constraint"]
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), input_dim=kwargs.get("input_dim"),
                         trainable=kwargs.get("trainable", True), dtype=kwargs.get("dtype"))
        self.gamma: Parameter | None = None
        self.beta: Parameter | None = None
        self.moving_mean: Parameter | None = None
        self.moving_variance: Parameter | None = None
        self._warned_single = False
        if self.input_shape is not None:
            self.build(self.input_shape)

    def build(self, input_shape: tuple[int, ...]) -> None:
        input_shape = tuple(input_shape)
        rank = len(input_shape) + 1  # with the batch axis, as Keras counts axis
        if not input_shape or not -rank <= self.axis < rank or self.axis % rank != rank - 1:
            raise ConfigError(f"layer {self.name!r} normalises each feature, the last axis (axis=-1), but axis="
                              f"{self.axis} of inputs of shape (batch, {', '.join(map(str, input_shape))}) is "
                              "another axis; fnlearn's BatchNormalization takes the last axis only.")
        shape = (known_features(input_shape, f"BatchNormalization layer {self.name!r}"),)
        # created in Keras's order, which is the order of get_weights and of the model file
        with backend.using_dtype(self.dtype):
            if self.scale:
                self.gamma = Parameter(self.gamma_initializer(shape), name="gamma")
            if self.center:
                self.beta = Parameter(self.beta_initializer(shape), name="beta")
            self.moving_mean = Parameter(self.moving_mean_initializer(shape), name="moving_mean")
            self.moving_variance = Parameter(self.moving_variance_initializer(shape), name="moving_variance")
        self.moving_mean.requires_grad = self.moving_variance.requires_grad = False
        self.built = True

    @property
    def input_features(self) -> int | None:
        return None if self.moving_mean is None else int(self.moving_mean.shape[0])

    def forward(self, x: Any, mask: Any = None) -> Tensor:
        if mask is not None:
            mask = self._checked_mask(mask, tuple(x.shape) if hasattr(x, "shape") else np.shape(x))
        x = self._feature_batch(x, self.moving_mean)
        features = self.input_features
        if not (self.training and self.trainable):
            return F.batch_norm(x, self.gamma, self.beta, self.epsilon, mean=self.moving_mean.data,
                                variance=self.moving_variance.data)
        if x.size == features:
            self.warn_single_sample(x.shape, stacklevel=4)
        if mask is not None:  # a branch of its own: the unmasked step keeps its fast, BLAS-summed statistics
            out, mean, variance = masked_batch_norm_train(x, mask, self.gamma, self.beta, self.epsilon)
        else:
            out, mean, variance = F.batch_norm_train(x, self.gamma, self.beta, self.epsilon)
        update_state(functools.partial(self.follow, mean, variance))
        return out

    def _checked_mask(self, mask: Any, shape: tuple[int, ...]) -> Any:
        """``mask`` as a boolean array on the backend's device, or one ShapeError sentence where it does not
        cover the inputs' values but the features (Keras's rule: one axis fewer than the inputs)."""
        xp = backend.xp()
        raw = mask.data if isinstance(mask, Tensor) else mask
        mask = (raw if backend.is_array(raw) else backend.to_device(np.asarray(raw))).astype(bool, copy=False)
        fits = mask.ndim == len(shape) - 1
        if fits:
            try:
                fits = np.broadcast_shapes(tuple(mask.shape), tuple(shape[:-1])) == tuple(shape[:-1])
            except ValueError:
                fits = False
        if not fits:
            raise ShapeError(f"layer {self.name!r} got a mask of shape {tuple(mask.shape)} for inputs of shape "
                             f"{tuple(shape)}; a BatchNormalization mask marks the real steps, one value per "
                             f"position but the features: shape {tuple(shape[:-1])}.")
        return xp.broadcast_to(mask, shape[:-1])

    def warn_single_sample(self, shape: tuple[int, ...], stacklevel: int = 2) -> None:
        """Warn (once per layer) that a training batch of one sample has variance 0."""
        if not self._warned_single:
            self._warned_single = True
            warnings.warn(f"layer {self.name!r} got a training batch of one sample (shape {shape}): its variance "
                          "is 0, so the layer outputs beta and the moving variance shrinks towards 0, as in Keras; "
                          "train on batches of 2 or more (a batch_size that leaves no single sample over).",
                          RuntimeWarning, stacklevel=stacklevel)

    def follow(self, mean: Any, variance: Any) -> None:
        """Move the moving statistics towards a training batch's (Keras's rule), in their own dtype."""
        for moving, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
            new = moving.data * self.momentum + batch.astype(moving.data.dtype, copy=False) * (1 - self.momentum)
            if getattr(moving.data.flags, "writeable", True):
                moving.data[...] = new  # in place, as a Keras variable is assigned: views of it see the values
            else:
                moving.data = new

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                  "center": self.center, "scale": self.scale}
        for key in ("beta_initializer", "gamma_initializer", "moving_mean_initializer",
                    "moving_variance_initializer"):
            config[key] = initializers.name_of(getattr(self, key))
        return config


def masked_batch_norm_train(x: Tensor, mask: Any, gamma: Tensor | None = None, beta: Tensor | None = None,
                            epsilon: float = 1e-3) -> tuple[Tensor, Any, Any]:
    """Batch normalisation in training where ``mask`` (a boolean array of ``x``'s shape but the last axis) marks
    the real values: Keras 3's masked moments ``μ = Σ_m x / (n_m + ε₀)``, ``σ² = Σ_m (x − μ)² / (n_m + ε₀)``,
    sums and count over the real positions only (ε₀ the fuzz factor, so a batch that is all padding gives mean 0 and
    variance 0, not NaN), then every position (padding too) is ``γ·(x − μ)/√(σ² + ε) + β``.

    Returns the output and the arrays μ and σ², as :func:`fnlearn.functional.batch_norm_train` does. The gradient
    flows through the masked moments: with ``d = x − μ``, ``ĝ = γ·g``, ``r`` the real rows' indicator and
    ``n = n_m + ε₀``, ``dσ² = −½(σ² + ε)^(−3/2)·Σ ĝ·d`` and ``dμ = −Σ ĝ/√(σ² + ε) − 2·dσ²·Σ r·d / n`` (all
    positions in the first sums, only real ones in the last), so ``dx = ĝ/√(σ² + ε) + r·(dμ + 2·dσ²·d) / n``.

    >>> import fnlearn as fl, numpy as np
    >>> x = fl.tensor([[[1.0], [3.0], [100.0]]])
    >>> out, mean, var = masked_batch_norm_train(x, np.array([[True, True, False]]), epsilon=1e-6)
    >>> out.numpy().ravel().round(2).tolist(), mean.round(4).tolist(), var.round(4).tolist()
    ([-1.0, 1.0, 98.0], [2.0], [1.0])
    """
    xp = backend.xp()
    mask = mask.data if isinstance(mask, Tensor) else mask
    mask = mask if backend.is_array(mask) else backend.to_device(np.asarray(mask, dtype=bool))
    features = x.shape[-1]
    x2 = x.data.reshape(-1, features)
    real = xp.broadcast_to(mask.astype(bool, copy=False), x.shape[:-1]).reshape(-1, 1)
    # the count summed in x's dtype and the epsilon added in it, as Keras does (in float32, 1 + 1e-7 is not 1);
    # kept on the device: no read back to the host
    count = real.sum(dtype=x2.dtype) + xp.asarray(backend.epsilon(), dtype=x2.dtype)
    zero = xp.zeros((), dtype=x2.dtype)
    mean = xp.where(real, x2, zero).sum(axis=0) / count  # where, not a product: padding may hold inf or NaN
    d = x2 - mean
    d_real = xp.where(real, d, zero)
    variance = (d_real * d_real).sum(axis=0) / count
    inv = 1 / xp.sqrt(variance + epsilon)
    xhat = d * inv
    out = xhat * gamma.data if gamma is not None else xhat.copy()
    if beta is not None:
        out += beta.data

    def backward(g: Any) -> tuple[Any, ...]:
        g2 = g.reshape(-1, features)
        grads: list[Any] = []
        if x.requires_grad:
            ghat = g2 * gamma.data if gamma is not None else g2
            dvariance = (ghat * d).sum(axis=0) * (-0.5 * inv ** 3)
            dmean = ghat.sum(axis=0) * -inv - 2 * dvariance * d_real.sum(axis=0) / count
            gx = ghat * inv
            gx += xp.where(real, (dmean + 2 * dvariance * d) / count, zero)
            grads.append(gx.reshape(x.shape).astype(x.dtype, copy=False))
        else:
            grads.append(None)
        if gamma is not None:
            grads.append((g2 * xhat).sum(axis=0).astype(gamma.dtype, copy=False) if gamma.requires_grad else None)
        if beta is not None:
            grads.append(g2.sum(axis=0).astype(beta.dtype, copy=False) if beta.requires_grad else None)
        return tuple(grads)

    parents = tuple(t for t in (x, gamma, beta) if t is not None)
    return Tensor._result(out.reshape(x.shape), parents, backward, "masked_batch_norm"), mean, variance


def _setting(value: Any, name: str, expected: str, positive: bool = False, high: float = 1.0,
             owner: str = "BatchNormalization") -> float:
    """A setting of ``owner`` as a finite float in [0, high] ((0, high] if ``positive``), or ConfigError."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and math.isfinite(value) and (value > 0 if positive else value >= 0) and value <= high
    if not ok:
        raise ConfigError(f"{owner} {name} must be {expected}, got {value!r}.")
    return float(value)


def _layer_norm_axes(axis: Any, rank: int, who: str) -> list[int]:
    """``axis`` (an int or a list of them, negative ones counted from the end) as sorted axes of an array of
    ``rank`` axes, or one ConfigError sentence."""
    items = [axis] if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool) else axis
    try:
        items = list(items)
    except TypeError:
        items = []
    ints = bool(items) and all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in items)
    axes = sorted(int(a) % rank for a in items if -rank <= a < rank) if ints else []
    if not ints or len(axes) != len(items) or len(set(axes)) != len(axes):
        raise ConfigError(f"{who} got axis={axis!r} for inputs of {rank} axes (batch included); give an axis or a "
                          f"list of distinct axes between {-rank} and {rank - 1}, such as -1 (the features).")
    return axes


def layer_norm(x: Any, gamma: Tensor | None = None, beta: Tensor | None = None, axis: Any = -1,
               epsilon: float = 1e-3) -> Tensor:
    """Layer normalisation, Keras's ``ops.layer_normalization``: ``γ·(x − μ)/√(σ² + ε) + β`` where μ and σ² (the
    biased variance) are taken over ``axis`` (an int or a list of axes) of each sample on its own, and γ and β
    (None: no scale, no offset) have the sizes of those axes.

    The backward is the closed form, computed at once rather than back through the mean, variance and square
    root: ``dx = (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) / √(σ² + ε)`` with ``ĝ = γ·g`` and ``x̂ = (x − μ)/√(σ² + ε)``, the
    means over the normalised axes; ``dγ = Σ g·x̂`` and ``dβ = Σ g`` over the other axes.

    >>> import fnlearn as fl, numpy as np
    >>> layer_norm(fl.tensor([[1.0, 3.0], [10.0, 30.0]]), epsilon=1e-9).numpy().round(3).tolist()
    [[-1.0, 1.0], [-1.0, 1.0]]
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.ndim < 1 or x.data.dtype.kind != "f":
        raise ShapeError(f"layer_norm needs a float tensor, got shape {x.shape} and dtype {x.dtype}.")
    if not (isinstance(epsilon, (int, float, np.floating)) and epsilon > 0 and math.isfinite(epsilon)):
        raise ConfigError(f"layer_norm needs epsilon > 0 (a small finite number such as 1e-3), got {epsilon!r}.")
    xp = backend.xp()
    axes = _layer_norm_axes(axis, x.ndim, "layer_norm")
    sizes = tuple(x.shape[a] for a in axes)
    for name, t in (("gamma", gamma), ("beta", beta)):
        if t is not None and t.shape != sizes:
            raise ShapeError(f"layer_norm got {name} of shape {t.shape} for inputs of shape {x.shape} normalised "
                             f"over axes {axes}; give one value per position of those axes, shape {sizes}.")
    # the normalised axes moved last (a view, or no move at all for the usual axis=-1): rows of one sample's values
    order = [a for a in range(x.ndim) if a not in axes] + axes
    moved = order != list(range(x.ndim))
    width = math.prod(sizes)
    x2 = (xp.transpose(x.data, order) if moved else x.data).reshape(-1, width)
    moved_shape = tuple(x.shape[a] for a in order)
    back = [order.index(a) for a in range(x.ndim)]

    def in_place(rows: Any) -> Any:
        """Rows of ``width`` values back in ``x``'s shape and axis order."""
        if not moved:
            return rows.reshape(x.shape)
        return xp.ascontiguousarray(xp.transpose(rows.reshape(moved_shape), back))

    mean = x2.mean(axis=1, keepdims=True)
    xhat = x2 - mean
    variance = (xhat * xhat).mean(axis=1, keepdims=True)  # two passes: no cancellation where the mean is large
    inv = 1 / xp.sqrt(variance + epsilon)
    xhat *= inv
    scale = None if gamma is None else gamma.data.reshape(width)
    out = xhat * scale if scale is not None else xhat.copy()  # x̂ itself is kept for the backward
    if beta is not None:
        out += beta.data.reshape(width)

    def backward(g):
        g2 = (xp.transpose(g, order) if moved else g).reshape(-1, width)
        ones = xp.ones(g2.shape[0], dtype=g2.dtype)  # sums over rows as BLAS products
        grads: list[Any] = [None]
        if x.requires_grad:
            scaled = g2 * scale if scale is not None else g2
            gx = scaled - scaled.mean(axis=1, keepdims=True)
            gx -= xhat * (scaled * xhat).mean(axis=1, keepdims=True)
            gx *= inv
            grads[0] = in_place(gx).astype(x.dtype, copy=False)
        if gamma is not None:
            grads.append((ones @ (g2 * xhat)).reshape(gamma.shape).astype(gamma.dtype, copy=False)
                         if gamma.requires_grad else None)
        if beta is not None:
            grads.append((ones @ g2).reshape(beta.shape).astype(beta.dtype, copy=False) if beta.requires_grad
                         else None)
        return tuple(grads)

    parents = tuple(t for t in (x, gamma, beta) if t is not None)
    return Tensor._result(in_place(out), parents, backward, "layer_norm")


def _layer_norm_setting(axis: Any) -> int | list[int]:
    """LayerNormalization's ``axis`` as an int or a list of distinct ints other than 0 (the batch axis), or one
    ConfigError sentence; whether each fits the inputs is known when the layer sees them."""
    one = isinstance(axis, (int, np.integer)) and not isinstance(axis, bool)
    items = [axis] if one else list(axis) if isinstance(axis, (list, tuple)) else []
    if not items or not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in items) \
            or len(set(map(int, items))) != len(items):
        raise ConfigError(f"LayerNormalization axis must be an integer or a list of distinct integers, such as -1 "
                          f"(the features, the default) or [1, 2, 3] (a whole image), got {axis!r}.")
    if 0 in items:
        raise ConfigError(f"LayerNormalization got axis={axis!r}, which includes the batch axis (0), but each sample "
                          "is normalised on its own, over its features; use axis=-1, or axes from 1 on.")
    return int(axis) if one else [int(a) for a in items]


# Keras's arguments for what fnlearn leaves out, and the values that ask for nothing of it
_LAYER_NORM_UNSUPPORTED = {"rms_scaling": False}


class LayerNormalization(Layer):
    """Layer normalisation, Keras's ``layers.LayerNormalization`` (PyTorch's ``LayerNorm``): each sample
    normalised on its own, ``γ·(x − μ)/√(σ² + ε) + β`` with μ and σ² (the biased variance) over ``axis`` — the
    last axis by default, or a list of axes such as ``[1, 2, 3]`` for a whole image. ε is added to the variance
    inside the square root, 1e-3 by default as in Keras (PyTorch's is 1e-5).

    γ (``scale``) and β (``center``) are trained and span the normalised axes: one value per feature for
    ``axis=-1``, shape (height, width, channels) for ``axis=[1, 2, 3]``; Keras's weight order γ, β. Training and
    inference compute the same thing (no moving statistics, unlike BatchNormalization).

    >>> import fnlearn as fl, numpy as np
    >>> norm = fl.layers.LayerNormalization(epsilon=1e-6, dtype="float64")
    >>> norm(np.array([[1.0, 3.0], [10.0, 50.0]])).numpy().round(3).tolist(), norm.gamma.shape
    ([[-1.0, 1.0], [-1.0, 1.0]], (2,))
    """

    _weight_constraints = {"gamma": "gamma_constraint", "beta": "beta_constraint"}
    _weight_regularizers = {"gamma": "gamma_regularizer", "beta": "beta_regularizer"}

    def __init__(self, axis: Any = -1, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 beta_initializer: Any = "zeros", gamma_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, name: str | None = None, **kwargs: Any) -> None:
        found = constraints.checked(kwargs, ("beta_constraint", "gamma_constraint"))
        _reject_unknown_kwargs("LayerNormalization", kwargs,
                               allow=("input_shape", "input_dim", *_LAYER_NORM_UNSUPPORTED))
        for key, plain in _LAYER_NORM_UNSUPPORTED.items():
            if key in kwargs and kwargs[key] != plain:
                hint = " (deprecated in Keras too)" if key == "rms_scaling" else ""
                raise ConfigError(f"LayerNormalization got {key}={kwargs[key]!r}, which fnlearn does not have{hint}; "
                                  f"leave it out (or pass {key}={plain!r}).")
        self.axis: int | list[int] = _layer_norm_setting(axis)
        self.epsilon = _setting(epsilon, "epsilon", "a number > 0 (added to the variance inside the square root, "
                                "so that a constant sample is not divided by 0; the default is 1e-3)", positive=True,
                                high=math.inf, owner="LayerNormalization")
        self.center = check_flag(center, "LayerNormalization center")
        self.scale = check_flag(scale, "LayerNormalization scale")
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint, self.gamma_constraint = found["beta_constraint"], found["gamma_constraint"]
        # Not built here even with input_shape (a model built from it builds it, as Keras 3 does): a file's
        # settings alone never make fnlearn allocate weights before they are checked.
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), input_dim=kwargs.get("input_dim"),
                         trainable=kwargs.get("trainable", True), dtype=kwargs.get("dtype"))
        self.gamma: Parameter | None = None
        self.beta: Parameter | None = None
        self.normalized_shape: tuple[int, ...] | None = None  # the sizes of the normalised axes, once built

    def _axes(self, rank: int) -> list[int]:
        """The normalised axes of inputs of ``rank`` axes (batch included), refused if one is out of range."""
        try:
            axes = _layer_norm_axes(self.axis, rank, "LayerNormalization")
        except ConfigError:
            axes = []
        if not axes or 0 in axes:
            raise ConfigError(f"layer {self.name!r} normalises axis={self.axis!r}, but its inputs have {rank} axes "
                              f"(batch included), whose features are axes {list(range(1, rank))} (or "
                              f"{list(range(1 - rank, 0))} counted from the end); fix axis, or give the layer inputs "
                              "with those axes.")
        return axes

    def weight_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of γ and β for samples of ``input_shape`` (batch axis excluded): the normalised axes' sizes.

        >>> LayerNormalization(axis=[1, 2]).weight_shape((5, 6, 3))
        (5, 6)
        """
        axes = self._axes(len(input_shape) + 1)
        if any(input_shape[a - 1] is None for a in axes):
            raise ShapeError(f"LayerNormalization layer {self.name!r} makes its weights for the sizes of the axes it "
                             f"normalises, {axes}, but samples of shape {tuple(input_shape)} leave one unknown "
                             "(None); normalise the features' axis only (axis=-1) or give that size.")
        return tuple(int(input_shape[a - 1]) for a in axes)

    def build(self, input_shape: tuple[int, ...]) -> None:
        self.make_weights(self.weight_shape(tuple(input_shape)))

    def make_weights(self, shape: tuple[int, ...]) -> None:
        """Create γ and β (those the settings ask for) of ``shape``, in Keras's order."""
        shape = tuple(int(s) for s in shape)
        with backend.using_dtype(self.dtype):
            if self.scale:
                self.gamma = Parameter(self.gamma_initializer(shape), name="gamma")
            if self.center:
                self.beta = Parameter(self.beta_initializer(shape), name="beta")
        self.normalized_shape = shape
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        self._axes(len(input_shape) + 1)
        return tuple(input_shape)

    def forward(self, x: Any) -> Tensor:
        weight = self.gamma if self.gamma is not None else self.beta
        x = as_input(x, weight.data.dtype if weight is not None else np.dtype(self.dtype), self.name)
        if x.ndim < 2:
            raise ShapeError(f"layer {self.name!r} expects a batch of samples, shape (batch, features...), got shape "
                             f"{x.shape}; wrap a single sample as x[None, ...].")
        axes = self._axes(x.ndim)
        self._ensure_built(x)
        given = tuple(x.shape[a] for a in axes)
        if given != self.normalized_shape:
            raise ShapeError(f"layer {self.name!r} was built for inputs whose normalised axes {axes} have sizes "
                             f"{self.normalized_shape}, but got shape {x.shape}; give it inputs of the shape it was "
                             "built for, or make a new layer.")
        return layer_norm(x, self.gamma, self.beta, axes, self.epsilon)

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
                  "scale": self.scale, "beta_initializer": initializers.name_of(self.beta_initializer),
                  "gamma_initializer": initializers.name_of(self.gamma_initializer)}
        return config


def dropout_mask(owner: Any, shape: tuple[int, ...], dtype: Any, rate: float) -> Any:
    """The next mask of ``owner``'s stream (its ``seed`` and ``draws``) on the backend's device: 0 with probability
    ``rate``, else 1 / (1 − rate). The k-th draw comes from the generator seeded (seed, k), so a resumed fit draws
    what the uninterrupted one would have; ``seed`` None is drawn from ``fl.set_seed``'s generator at the first.

    >>> drop = Dropout(0.5, seed=1); dropout_mask(drop, (1, 3), "float32", 0.5).shape, drop.draws
    ((1, 3), 1)
    """
    if owner.seed is None:
        owner.seed = int(backend.rng().integers(2**62))
    keep = np.random.default_rng([owner.seed, owner.draws]).random(shape) >= rate
    owner.draws += 1
    mask = keep.astype(dtype)
    mask *= mask.dtype.type(1.0 / (1.0 - rate))  # the float64 quotient, rounded once to the dtype
    return backend.to_device(mask)


def noise_shape_of(value: Any, owner: str) -> tuple[int | None, ...] | None:
    """``noise_shape`` checked: None, or a tuple of whole numbers ≥ 1 and Nones (an axis of the input's size)."""
    if value is None:
        return None
    try:
        items = tuple(value)
    except TypeError:
        items = ()
    valid = bool(items) and all(v is None or (isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1)
                                for v in items)
    if not valid:
        raise ConfigError(f"{owner} noise_shape must be None or a tuple of whole numbers ≥ 1 and Nones, one per "
                          f"input axis (e.g. (None, 1, None) for one mask per sequence), got {value!r}.")
    return tuple(None if v is None else int(v) for v in items)


def mask_shape(layer: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of ``layer``'s mask for inputs of ``shape``: its ``noise_shape`` with each None the input's size
    (an axis of 1 shares one draw along it), or ``shape`` itself without one."""
    noise_shape = layer.noise_shape
    if noise_shape is None:
        return shape
    concrete = tuple(size if want is None else want for want, size in zip(noise_shape, shape))
    if len(noise_shape) != len(shape) or any(m not in (1, s) for m, s in zip(concrete, shape)):
        raise ShapeError(f"{type(layer).__name__} layer {layer.name!r} has noise_shape={noise_shape}, which does not "
                         f"fit its input of shape {shape}; give one entry per axis, each 1, None or the axis's size.")
    return concrete


class Dropout(Layer):
    """Inverted dropout: in training, zero each value with probability ``rate`` and scale the rest by
    1 / (1 − rate), so evaluation needs no change; in eval mode it passes values through. ``noise_shape``
    shares one draw along the axes where it is 1 (None: the input's size), as Keras's: ``(None, 1, 1, 1)`` drops
    whole samples (EfficientNet's drop-connect), ``(None, 1, features)`` the same features at every step.

    The masks are a stream of their own: the k-th training call draws from the generator seeded by
    ``(seed, k)``. ``seed`` defaults to a number drawn from ``fl.set_seed``'s generator at the first
    training call; it is saved with the layer and ``draws`` (k) with the training state, so a fit
    resumed from a checkpoint, even in a new process, draws the masks the uninterrupted fit would have.

    >>> import fnlearn as fl, numpy as np
    >>> drop = fl.layers.Dropout(0.5, seed=7)
    >>> a = drop(np.ones((2, 4))).numpy(); b = fl.layers.Dropout(0.5, seed=7)(np.ones((2, 4))).numpy()
    >>> bool((a == b).all()), sorted(set(a.ravel().tolist())) == [0.0, 2.0]
    (True, True)
    """

    def __init__(self, rate: float, noise_shape: Any = None, name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("Dropout", kwargs, allow=("input_shape", "input_dim", "seed"))
        self.rate = dropout_rate(rate, "Dropout rate")
        self.noise_shape = noise_shape_of(noise_shape, "Dropout")
        seed = kwargs.get("seed")
        self.seed: int | None = None if seed is None else backend.check_seed(
            seed, "Dropout seed", "e.g. seed=0, or None for one drawn from fl.set_seed's generator")
        self.draws = 0  # training calls so far: the next mask comes from the generator seeded (seed, draws)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), input_dim=kwargs.get("input_dim"),
                         trainable=kwargs.get("trainable", True), dtype=kwargs.get("dtype"))
        self.built = True

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        if not self.training or self.rate == 0.0:
            return x
        return F.mul(x, Tensor(self.next_mask(mask_shape(self, tuple(x.shape)), x.dtype)))

    def next_mask(self, shape: tuple[int, ...], dtype: Any) -> Any:
        """The next training call's mask on the backend's device: 0 with probability ``rate``, else
        1 / (1 − rate). fit's written-out step draws its masks here too, so both paths train alike.

        >>> drop = Dropout(0.5, seed=1); drop.next_mask((2, 3), "float32").tolist(), drop.draws
        ([[2.0, 2.0, 0.0], [2.0, 0.0, 0.0]], 1)
        """
        return dropout_mask(self, shape, dtype, self.rate)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape)}


class _SpatialDropout(Layer):
    """Dropout of whole channels (Keras's ``SpatialDropout1D`` and ``SpatialDropout2D``): in training, each
    sample's channel (a whole feature map of a convolution, or a feature along all the steps of a sequence) is
    zeroed with probability ``rate`` and the others are scaled by 1 / (1 − rate); in inference the samples pass as
    they are. Neighbouring pixels (or steps) of a feature map are alike, so dropping single values (``Dropout``)
    hardly regularises a convolution; dropping maps does.

    Samples are channels-last. The masks are a stream of the layer's own, seeded and counted (``seed``,
    ``draws``) as :class:`Dropout`'s are, so a resumed fit draws the masks the uninterrupted one would have."""

    sample_rank: int  # the axes of one sample, the channels last
    samples: str  # their shape, in words

    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        who = type(self).__name__
        _reject_unknown_kwargs(who, kwargs, allow=("input_shape",))
        if data_format not in (None, "channels_last"):
            raise ConfigError(f"{who} got data_format={data_format!r}; fnlearn's {who} takes channels_last "
                              f"{self.samples} only: leave data_format out and move the channels last "
                              "(np.moveaxis(x, 1, -1)).")
        self.rate = dropout_rate(rate, f"{who} rate", "channels")
        self.seed: int | None = None if seed is None else backend.check_seed(
            seed, f"{who} seed", "e.g. seed=0, or None for one drawn from fl.set_seed's generator")
        self.draws = 0  # training calls so far: the next mask comes from the generator seeded (seed, draws)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    next_mask = Dropout.next_mask  # the same stream as Dropout's, drawn for a (batch, 1, ..., channels) mask

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        if len(input_shape) != self.sample_rank:
            hint = " (grayscale images need a channels axis: x[..., None])" \
                if self.sample_rank == 3 and len(input_shape) == 2 else ""
            raise ShapeError(f"{type(self).__name__} layer {self.name!r} takes {self.samples}, but was given "
                             f"samples of shape {tuple(input_shape)}{hint}; use Dropout for other data, or give it "
                             f"{self.sample_rank + 1}-D data.")
        return tuple(input_shape)

    supports_masking = True  # each step's values are scaled or zeroed alone: a sequence's mask passes on

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        self.compute_output_shape(x.shape[1:])
        if not self.training or self.rate == 0.0:
            return x
        shape = (x.shape[0], *(1,) * (self.sample_rank - 1), x.shape[-1])
        return F.mul(x, Tensor(self.next_mask(shape, x.dtype)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class SpatialDropout2D(_SpatialDropout):
    """Dropout of whole feature maps of images (batch, height, width, channels), Keras's
    ``layers.SpatialDropout2D`` (see :class:`_SpatialDropout`).

    >>> import fnlearn as fl, numpy as np
    >>> out = fl.layers.SpatialDropout2D(0.5, seed=3)(np.ones((2, 4, 4, 3))).numpy()
    >>> bool((out == out[:, :1, :1, :]).all()), sorted(set(out.ravel().tolist()))  # one value per map
    (True, [0.0, 2.0])
    """

    sample_rank, samples = 3, "images of shape (batch, height, width, channels)"


class SpatialDropout3D(_SpatialDropout):
    """Dropout of whole feature maps of volumes (batch, depth, height, width, channels), Keras's
    ``layers.SpatialDropout3D`` (see :class:`_SpatialDropout`)."""

    sample_rank, samples = 4, "volumes of shape (batch, depth, height, width, channels)"


class SpatialDropout1D(_SpatialDropout):
    """Dropout of whole features of sequences (batch, steps, channels), the same for every step, Keras's
    ``layers.SpatialDropout1D`` (see :class:`_SpatialDropout`).

    >>> import fnlearn as fl, numpy as np
    >>> out = fl.layers.SpatialDropout1D(0.5, seed=3)(np.ones((2, 5, 4))).numpy()
    >>> bool((out == out[:, :1, :]).all()), sorted(set(out.ravel().tolist()))  # one value per feature
    (True, [0.0, 2.0])
    """

    sample_rank, samples = 2, "sequences of shape (batch, steps, channels)"


def _activation_name(activation: Any) -> str | None:
    """The config name of an activation: the string as given (lower-case), None for none, else the function's name."""
    if activation is None or isinstance(activation, str):
        return activation.lower() if activation else activation
    return getattr(activation, "__name__", "custom")


def _float_of(x: Any) -> Any:
    dt = getattr(x, "dtype", None)
    return dt if dt is not None and np.dtype(dt).kind == "f" else backend.float_dtype()


def _dtype_name(dtype: Any, layer: str) -> str:
    name = getattr(dtype, "name", dtype)  # a NumPy dtype or type, or its name
    try:
        name = np.dtype(name).name
    except TypeError:
        pass
    if name not in ("float32", "float64"):
        raise ConfigError(f"layer {layer!r} got dtype={dtype!r}; fnlearn layers compute in 'float32' (the default) "
                          "or 'float64'.")
    return str(name)


def _reject_unknown_kwargs(layer: str, kwargs: dict, allow: Sequence[str] = ()) -> None:
    # every layer takes these (the activity regularizer is read when the layer is made, see Layer.__new__)
    unknown = [k for k in kwargs if k not in allow and k not in ("trainable", "dtype", "activity_regularizer")]
    if unknown:
        raise ConfigError(f"{layer} got unexpected argument(s) {', '.join(unknown)}; see help(fl.layers.{layer}).")


# The layers that compute each step's values alone (as Keras's list has them), through which a mask passes
for _cls in (Dense, Activation, Dropout, ReLU, LeakyReLU, Softmax, LayerNormalization, Rescaling, Normalization,
             Lambda):
    _cls.supports_masking = True

LAYERS: dict[str, type[Layer]] = {"Dense": Dense, "Activation": Activation, "Flatten": Flatten, "Dropout": Dropout,
                                  "Softmax": Softmax, "ReLU": ReLU, "LeakyReLU": LeakyReLU,
                                  "Normalization": Normalization, "BatchNormalization": BatchNormalization,
                                  "Rescaling": Rescaling, "LayerNormalization": LayerNormalization,
                                  "SpatialDropout1D": SpatialDropout1D, "SpatialDropout2D": SpatialDropout2D,
                                  "SpatialDropout3D": SpatialDropout3D,
                                  "Lambda": Lambda}
