"""``keras.models``: ``Sequential``, ``Model`` (Keras's functional API, for chains of layers),
``load_model`` and ``save_model``.

``Sequential`` is fnlearn's model (compile / fit / evaluate / predict / save) that also accepts a leading
``Input(shape=...)``, as Keras does.

Example:
    >>> from fnlearn.keras.models import Sequential
    >>> from fnlearn.keras.layers import Dense
    >>> model = Sequential()
    >>> model.add(Dense(100, activation="relu", input_dim=784))
    >>> model.add(Dense(100, activation="relu")); model.add(Dense(10, activation="softmax"))
    >>> model.num_parameters()
    89610
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from .. import backend, io
from .. import nn as _nn
from ..errors import ConfigError, NotReadyError
from ..model import Trainer
from ..nn import layers as _layers
from ..nn import module as _module
from ._missing import not_provided
from .graph import FunctionalGraph, is_chain, trace, with_batch_axis
from .layers import InputLayer


class Sequential(_nn.Sequential):
    """fnlearn's ``Sequential`` with Keras's constructor; a leading ``Input`` gives the next layer its shape.

    >>> from fnlearn.keras.layers import Input, Dense
    >>> Sequential([Input(shape=(3,)), Dense(2)]).layers[0].input_shape
    (3,)
    """

    def __init__(self, layers: Iterable[Any] | None = None, trainable: bool = True,
                 name: str | None = None) -> None:
        if isinstance(trainable, _nn.Module) or isinstance(name, _nn.Module):
            raise ConfigError("keras.Sequential takes its layers as one list, keras.Sequential([layer1, layer2]), "
                              "not one by one.")
        super().__init__(None, name=name)
        if layers is not None:
            for layer in [layers] if isinstance(layers, _nn.Module) else layers:
                self.add(layer)
        if trainable is not True:
            self.trainable = trainable

    @property
    def input_shape(self) -> tuple[Any, ...] | None:
        """The input's shape with the batch axis as None, ``(None, 784)``, as Keras gives it (None: not known)."""
        return with_batch_axis(self._sample_input_shape)

    @property
    def output_shape(self) -> tuple[Any, ...]:
        """The output's shape with the batch axis as None, building the model if needed, as Keras gives it."""
        return with_batch_axis(self._sample_output_shape)

    def add(self, layer: Any) -> None:
        if isinstance(layer, InputLayer) and not self._layers:
            object.__setattr__(self, "_input_layer", layer)  # model.inputs[0] is the Input it was given
        super().add(layer)

    def build(self, input_shape: Any = None) -> None:
        super().build(input_shape)
        if self._traceable():
            self._graph()  # as in Keras, every layer of a model with a known input has its output placeholder

    def _traceable(self) -> bool:
        layers = self._layers
        return bool(layers) and not isinstance(layers[0], InputLayer) and \
            all(isinstance(layer, _layers.Layer) for layer in layers)

    def _graph(self) -> tuple[InputLayer, Any]:
        """The model as Keras's functional graph: its Input and the output placeholder of its last layer."""
        if not self._traceable() or self._sample_input_shape is None:
            raise AttributeError(f"model {self.name!r} has no input placeholder: it needs a known input shape "
                                 "(an Input(shape=...) first) and layers only (no models inside it).")
        start = self.__dict__.get("_input_layer")
        if start is None or tuple(start.input_shape) != tuple(self._sample_input_shape):
            start = InputLayer(shape=self._sample_input_shape)
            object.__setattr__(self, "_input_layer", start)
        node = start
        for layer in self._layers:
            node = layer(node)
        return start, node

    @property
    def inputs(self) -> list[Any]:
        """Keras's ``model.inputs``: the Input placeholder, to build a model on part of this one.

        >>> from fnlearn.keras import Input, Model, layers
        >>> model = Sequential([Input(shape=(4,)), layers.Dense(3, name="hidden"), layers.Dense(1)])
        >>> features = Model(inputs=model.inputs, outputs=model.get_layer("hidden").output)
        >>> features.output.shape, features.layers[1] is model.layers[0]
        ((None, 3), True)
        """
        return [self._graph()[0]]

    @property
    def outputs(self) -> list[Any]:
        return [self._graph()[1]]

    @property
    def input(self) -> Any:
        return self._graph()[0]

    @property
    def output(self) -> Any:
        return self._graph()[1]

    def __call__(self, *args: Any, training: bool | None = None, **kwargs: Any) -> Any:
        """Run the model; as in Keras, a call runs in inference mode (Dropout off) unless ``training=True``.

        A Keras model inside another model's forward pass (fit's too) runs in that pass's mode instead, as
        Keras passes ``training`` down. ``fit``, ``evaluate`` and ``predict`` set the mode themselves;
        fnlearn's own ``fl.Sequential`` keeps PyTorch's rule (the module's mode, ``model.train()`` /
        ``model.eval()``).
        """
        return super().__call__(*args, training=_module.keras_mode(training), **kwargs)


class Functional(Sequential):
    """A model from Keras's functional API, ``keras.Model(inputs, outputs)``: in fnlearn, a chain of layers
    from one ``keras.Input`` to one output (no branches or merges), trained, saved and explained as a
    ``Sequential``. As in Keras, ``model.layers`` starts with the ``InputLayer``.

    >>> from fnlearn.keras import Input, Model, layers
    >>> inputs = Input(shape=(784,), name="digits")
    >>> x = layers.Dense(64, activation="relu")(inputs)
    >>> outputs = layers.Dense(10, activation="softmax")(x)
    >>> model = Model(inputs=inputs, outputs=outputs)
    >>> [type(layer).__name__ for layer in model.layers], model.num_parameters()
    (['InputLayer', 'Dense', 'Dense'], 50890)
    """

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None, trainable: bool = True) -> None:
        graph = trace(inputs, outputs)
        if not is_chain(graph):
            raise ConfigError("Functional takes a chain of layers from one Input; for merges, several Inputs or a "
                              "layer called twice, build the model with keras.Model(inputs, outputs).")
        self._make(graph.layers, name, trainable)

    @classmethod
    def from_layers(cls, layers: list[Any], name: str | None = None, trainable: bool = True) -> Functional:
        """The model whose chain is ``layers`` (an InputLayer, then layers), as ``load_model`` rebuilds it."""
        model = cls.__new__(cls)
        model._make(list(layers), name, trainable)
        return model

    def _make(self, layers: list[Any], name: str | None, trainable: bool) -> None:
        if not layers or not isinstance(layers[0], InputLayer):
            raise ConfigError("a functional model's first layer must be its InputLayer; build it with "
                              "keras.Model(keras.Input(...), outputs).")
        super().__init__(None, name=name or _layers._auto_name("functional"))
        node = layers[0]
        for index, layer in enumerate(layers):
            if index:
                node = layer(node)  # checks the shapes, builds a layer not built yet
            setattr(self, str(index), layer)
            self._layers.append(layer)
        self._output = node
        self.build()
        if trainable is not True:
            self.trainable = trainable

    @property
    def inputs(self) -> list[Any]:
        return [self._layers[0]]

    @property
    def outputs(self) -> list[Any]:
        return [self._output]

    @property
    def input(self) -> Any:
        return self._layers[0]

    @property
    def output(self) -> Any:
        return self._output

    def add(self, layer: Any) -> None:
        raise ConfigError("a functional model's layers are fixed by its inputs and outputs; call the new layer on "
                          "model.output and build a new keras.Model(model.input, new_output) instead.")

    def pop(self) -> Any:
        raise ConfigError("a functional model's layers are fixed by its inputs and outputs; build a new "
                          "keras.Model(model.input, model.layers[-2].output...) from the placeholders instead.")

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "functional": True}

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self._layers)
        return f"Functional([{inner}])"


def _functional(inputs: Any = None, outputs: Any = None, name: str | None = None,
                trainable: bool = True, **kwargs: Any) -> Any:
    """``keras.Model(inputs, outputs)``: a :class:`Functional` for a chain of layers (fnlearn's fast step), a
    :class:`FunctionalGraph` for anything else (several Inputs, merges, a layer called twice)."""
    if kwargs:
        raise ConfigError(f"keras.Model(inputs, outputs) got {', '.join(kwargs)}, which fnlearn does not take; it "
                          "takes inputs, outputs, name and trainable.")
    if inputs is None or outputs is None:
        raise ConfigError("keras.Model needs inputs= and outputs=, e.g. x = keras.Input(shape=(784,)); "
                          "keras.Model(inputs=x, outputs=layers.Dense(10)(x)).")
    graph = trace(inputs, outputs)
    if is_chain(graph):
        return Functional.from_layers(graph.layers, name=name, trainable=trainable)
    return FunctionalGraph(inputs, outputs, name=name, trainable=trainable)


class _ModelType(type):
    """Every fnlearn model counts as a ``keras.Model``, as every Keras model does (``isinstance`` checks)."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Trainer) if cls is Model else super().__instancecheck__(obj)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, Trainer) if cls is Model else super().__subclasscheck__(sub)


class Model(Trainer, _module.Module, metaclass=_ModelType):
    """Keras's ``Model``. ``Model(inputs, outputs)`` builds a :class:`Functional` model (a chain of layers);
    a subclass with ``__init__`` making layers and ``call(inputs)`` using them is a model of its own, trained
    by ``fit`` through back-propagation of whatever ``call`` computes.

    Its layers get their weights at the first call (or ``build``), from the data's shape, as in Keras. ``save``
    writes what Keras writes for it: the class's name, its ``get_config()`` and the weights; ``load_model`` makes it
    again by ``from_config`` from the class registered with ``keras.saving.register_keras_serializable`` or given
    in ``custom_objects`` (the file never holds code).

    >>> import numpy as np
    >>> from fnlearn.keras import layers
    >>> class TwoLayers(Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = layers.Dense(8, activation="relu")
    ...         self.out = layers.Dense(1)
    ...     def call(self, inputs):
    ...         return self.out(self.hidden(inputs))
    >>> model = TwoLayers()
    >>> model.compile("adam", "mse")
    >>> _ = model.fit(np.ones((16, 3)), np.ones(16), epochs=2, verbose=0)
    >>> [type(layer).__name__ for layer in model.layers], model.num_parameters()
    (['Dense', 'Dense'], 41)
    """

    _layers_in_order = False

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is Model:
            return _functional(*args, **kwargs)
        graph = _graph_given(args, kwargs)
        if graph is not None:  # Keras's CustomModel(inputs, outputs): the subclass's methods on a functional model
            return super().__new__(_on_graph(cls, Functional if is_chain(graph) else FunctionalGraph))
        model = super().__new__(cls)
        if cls.get_config is Model.get_config:
            # Keras 3 records what a model of one's own was made with, so that one without get_config() saves and
            # loads (when every argument is a plain number, string or list of them)
            arguments = _layers._plain_arguments(cls, args, kwargs)
            if arguments is not None:
                object.__setattr__(model, "_init_arguments", arguments)
        return model

    def __init__(self, *args: Any, name: str | None = None, trainable: bool = True, dtype: Any = None,
                 **kwargs: Any) -> None:
        body = next((kind for kind in (Functional, FunctionalGraph) if isinstance(self, kind)), None)
        if body is not None:
            body.__init__(self, *args, name=name or _layers._auto_name(_layers._snake(type(self).__name__)),
                          trainable=trainable, **kwargs)
            return
        if args or kwargs:
            given = ", ".join([*(type(a).__name__ for a in args), *kwargs])
            raise ConfigError(f"keras.Model.__init__ in a subclass takes name=, trainable= and dtype=, or Keras's "
                              f"(inputs, outputs) placeholders, got {given}; make the layers in __init__ and use them "
                              "in call(), or pass inputs= and outputs= both.")
        _module.Module.__init__(self)
        self.name = name or _layers._auto_name(_layers._snake(type(self).__name__))
        if dtype is not None and str(dtype) != backend.get_default_dtype():
            raise ConfigError(f"keras.Model dtype {dtype!r} differs from the default dtype "
                              f"{backend.get_default_dtype()!r}; call fl.set_default_dtype({str(dtype)!r}) first.")
        if trainable is not True:
            self.trainable = trainable

    def call(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define call(self, inputs), the model's forward pass.")

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if "training" in _layers._parameters_of(type(self).call):
            kwargs.setdefault("training", self.training)
        out = self.call(*args, **kwargs)
        if "_built_for" not in self.__dict__ and args and len(getattr(args[0], "shape", ())) > 1:
            object.__setattr__(self, "_built_for", tuple(args[0].shape[1:]))  # built by its first call, as in Keras
            if not self.trainable:
                self.trainable = False  # weights its layers made in this call (and layers in lists) frozen too
        return out

    def __call__(self, *args: Any, training: bool | None = None, **kwargs: Any) -> Any:
        return super().__call__(*args, training=_module.keras_mode(training), **kwargs)

    @property
    def layers(self) -> list[Any]:
        """The layers (and models) its attributes hold, in the order they were set."""
        return [module for _, module in self.children()]

    @property
    def input_shape(self) -> tuple[Any, ...] | None:
        """The shape it was built for with the batch axis as None, as Keras gives it (None: not built yet)."""
        return with_batch_axis(self._sample_input_shape)

    @property
    def _sample_input_shape(self) -> tuple[int, ...] | None:
        return self.__dict__.get("_built_for")

    @property
    def built(self) -> bool:
        return self._sample_input_shape is not None or bool(self.__dict__.get("_marked_built"))

    @built.setter
    def built(self, value: bool) -> None:
        """``self.built = True`` in ``__init__`` (Keras's GAN example): the model's parts are built already."""
        object.__setattr__(self, "_marked_built", bool(value))

    def build(self, input_shape: Any = None) -> None:
        """Give every layer its weights by running ``call`` once on a zero batch of samples of ``input_shape``
        (batch axis excluded; Keras's ``(None, n)`` is taken too)."""
        if input_shape is None:
            raise NotReadyError(f"model {self.name!r} does not know its input shape yet; call model.build((n,)) "
                                "with the shape of one sample, or fit it on data.")
        shape = _layers._shape_tuple(_layers._sample_shape(input_shape), "input_shape")
        self._probe_output_shape(shape)
        object.__setattr__(self, "_built_for", shape)

    def load_weights(self, path: Any) -> None:
        if not self.built:
            raise NotReadyError(f"model {self.name!r} has no weights to load into yet; build it first with "
                                "model.build((n,)) (the shape of one sample) or by calling it on a batch.")
        super().load_weights(path)

    def get_config(self) -> dict[str, Any]:
        """Its name, and for a class without a get_config of its own the plain arguments it was made with, as
        Keras 3 records them (``from_config`` makes it again from them)."""
        return {**self.__dict__.get("_init_arguments", {}), "name": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def _graph_given(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The traced graph when a subclass of Model is made from Keras's ``(inputs, outputs)``, else None."""
    inputs = args[0] if args else kwargs.get("inputs")
    outputs = args[1] if len(args) > 1 else kwargs.get("outputs")
    if inputs is None or outputs is None or not all(isinstance(part, _module.Symbolic) for part in
                                                    (*_flat(inputs), *_flat(outputs))):
        return None  # a subclass's own arguments (a GAN's two models), for its own __init__
    return trace(inputs, outputs)


def _flat(given: Any) -> list[Any]:
    if isinstance(given, Mapping):
        given = list(given.values())
    return list(given) if isinstance(given, (list, tuple)) else [given]


_ON_GRAPH: dict[tuple[type, type], type] = {}


def _on_graph(cls: type, body: type) -> type:
    """``cls`` (a subclass of Model) made on a functional ``body``: its own methods (train_step, metrics, an
    ``__init__`` calling ``super().__init__(inputs, outputs)``) first, the body's graph for everything Model would
    otherwise answer for a model of its own ``call`` (forward, layers, shapes, build, config)."""
    key = (cls, body)
    if key not in _ON_GRAPH:
        own = cls.__mro__[:cls.__mro__.index(Model)]
        namespace: dict[str, Any] = {"__module__": cls.__module__, "__qualname__": cls.__qualname__}
        for name in vars(Model):
            if name in ("__new__", "__init__", "__module__", "__qualname__", "__doc__", "__repr__") or \
                    any(name in vars(klass) for klass in own):
                continue
            owner = next((klass for klass in body.__mro__ if name in vars(klass)), None)
            if owner is not None:
                namespace[name] = vars(owner)[name]
        _ON_GRAPH[key] = type(cls)(cls.__name__, (cls, body), namespace)
    return _ON_GRAPH[key]


def load_model(filepath: str | os.PathLike, custom_objects: Mapping[str, Any] | None = None,
               compile: bool = True, safe_mode: bool = True) -> Sequential:  # noqa: A002  (Keras's name)
    """Load a model written by ``model.save``; see :func:`fnlearn.io.load_model`.

    fnlearn files never hold code, so ``safe_mode`` is always on; ``safe_mode=False`` changes nothing.
    """
    return io._load_model(filepath, compile=compile, custom_objects=custom_objects, model_class=Sequential)


def save_model(model: Any, filepath: str | os.PathLike, overwrite: bool = True,
               include_optimizer: bool = True) -> None:
    """Write ``model`` to ``filepath`` (atomically); ``overwrite=False`` refuses to replace a file."""
    if not overwrite and os.path.exists(filepath):
        raise ConfigError(f"{os.fspath(filepath)!r} exists and overwrite=False; choose another path or pass "
                          "overwrite=True.")
    io.save_model(model, filepath, include_optimizer=include_optimizer)


from .cloning import clone_model, from_config, model_from_json, to_json  # noqa: E402  (it uses the classes above)

# Keras's Model.from_config / Sequential.from_config and model.to_json, on every model class of keras.models
for _cls in (Sequential, Model, FunctionalGraph):
    _cls.from_config = classmethod(from_config)  # type: ignore[attr-defined]
    _cls.to_json = to_json  # type: ignore[attr-defined]
del _cls

__all__ = ["Sequential", "Model", "Functional", "FunctionalGraph", "load_model", "save_model", "clone_model",
           "model_from_json"]

__getattr__ = not_provided(__name__, __all__)
