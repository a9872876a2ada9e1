"""Sequential: layers applied one after another — the lecture's "deep" is this stacking.

Example:
    >>> import fnlearn as fl
    >>> model = fl.Sequential([fl.layers.Dense(100, activation="relu", input_shape=(784,)),
    ...                        fl.layers.Dense(100, activation="relu"),
    ...                        fl.layers.Dense(10, activation="softmax")])
    >>> model.num_parameters()
    89610
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import ConfigError, NotReadyError, reject_foreign
from ..model import Trainer, sample_input_shape
from ..tensor import Tensor
from .layers import Layer, _auto_name, _sample_shape, _shape_tuple
from .module import Module


def check_unique_names(layers: Iterable[Any], model: str | None) -> None:
    """Refuse two layers of one model with the same name, as Keras does: ``get_layer``, the weights in a saved
    file and the glass box find a layer by its name, and would quietly take the first. One layer used twice
    (its weights shared) is one layer.

    >>> import fnlearn as fl
    >>> check_unique_names([fl.layers.Dense(2, name="a"), fl.layers.Dense(2, name="a")], "m")
    Traceback (most recent call last):
    ...
    fnlearn.errors.ConfigError: model 'm' has two layers named 'a'; ... give one of them another name=...
    """
    seen: dict[str, Any] = {}
    owner = "this model" if model is None else f"model {model!r}"
    for layer in layers:
        name = getattr(layer, "name", None)
        if name is None:
            continue
        if name in seen and seen[name] is not layer:  # one layer twice is one layer, its weights shared
            raise ConfigError(f"{owner} has two layers named {name!r}; layer names in a model must be unique "
                              "(get_layer and saved files find layers by them): give one of them another name=...")
        seen[name] = layer


class Sequential(Trainer, Module):
    """A stack of layers; ``model(x)`` runs them in order. Build it from a list (Keras's way), from the layers
    one by one (PyTorch's ``nn.Sequential(a, b)``), or with ``add``.

    >>> import fnlearn as fl
    >>> len(fl.Sequential(fl.layers.Dense(4, input_dim=2), fl.layers.Dense(1)).layers)
    2
    """

    def __init__(self, layers: Iterable[Any] | None = None, *more: Any, name: str | None = None) -> None:
        if more:
            stray = next((item for item in more if not isinstance(item, Module)), None)
            if stray is not None or not isinstance(layers, Module):
                given = stray if stray is not None else layers
                raise ConfigError(f"Sequential got {given!r} beside its layers; pass the layers as one list, "
                                  "fl.Sequential([layer1, layer2]), or one by one, fl.Sequential(layer1, layer2), and "
                                  "a name as name='...'.")
            layers = [layers, *more]
        if name is not None and not isinstance(name, str):
            raise ConfigError(f"a model's name must be a string, got {type(name).__name__} {name!r}; e.g. "
                              "name='classifier'.")
        Module.__init__(self)
        self.name = name or _auto_name("sequential")  # sequential, sequential_1, ... as Keras names them
        self._layers: list[Module] = []
        self._declared_input: tuple[int, ...] | None = None
        if layers is not None:
            if isinstance(layers, Module):
                layers = [layers]
            for layer in layers:
                self.add(layer)

    @property
    def layers(self) -> list[Module]:
        return list(self._layers)

    def add(self, layer: Any) -> None:
        """Append a layer (anything that is a Module). A Keras ``Input(shape=...)`` may come first: it gives
        the next layer its input shape and adds no layer of its own, as in Keras."""
        if not isinstance(layer, Module):
            reject_foreign("layer", layer)
            raise ConfigError(f"Sequential.add expects a layer such as fl.layers.Dense(10), got "
                              f"{type(layer).__name__}; create the layer object first.")
        if self._layers and getattr(self._layers[-1], "return_state", False) is True:
            last = self._layers[-1]
            raise ConfigError(f"layer {last.name!r} gives several outputs (return_state=True: its output and its "
                              "states), but a Sequential model hands one output to the next layer; leave "
                              "return_state out, or write the model in the functional style: out, *states = "
                              "layer(x).")
        if getattr(layer, "declares_input_only", False):
            if self._layers or self._declared_input is not None:
                raise ConfigError("Input(...) can only be the first element of a Sequential model; remove "
                                  "the extra Input or give its shape to the first layer as input_shape=.")
            self._declared_input = layer.input_shape
            return
        if self._declared_input is not None and not self._layers and isinstance(layer, Layer):
            if layer.input_shape is None:
                layer.input_shape = self._declared_input
            elif tuple(layer.input_shape) != self._declared_input:
                raise ConfigError(f"layer {layer.name!r} declares input_shape {layer.input_shape}, but the "
                                  f"Input before it declares {self._declared_input}; keep only one of them.")
        if self._declared_input is not None and not self._layers and isinstance(layer, Trainer):
            # a model as the first step (the tutorials' data_augmentation): the Input's shape is its input's
            known = layer._sample_input_shape
            if known is not None and tuple(known) != self._declared_input:
                raise ConfigError(f"model {layer.name!r} takes samples of shape {tuple(known)}, but the Input "
                                  f"before it declares {self._declared_input}; keep only one of them.")
            if known is None:
                layer.build_for(self._declared_input)
        # (a first layer without weights that says its input, a LayerNormalization rebuilt from a file, leaves it
        # unknown until build(): nothing to check against yet)
        if self._layers and isinstance(layer, Layer) and layer.input_shape is not None and self.built \
                and self._sample_input_shape is not None:
            expected = self._sample_output_shape
            if tuple(layer.input_shape) != tuple(expected):
                raise ConfigError(f"layer {layer.name!r} declares input_shape {layer.input_shape}, but the layer "
                                  f"before it outputs {expected}; remove input_shape or fix it.")
        check_unique_names([*self._layers, layer], self.name)
        setattr(self, str(len(self._layers)), layer)
        self._layers.append(layer)
        if self._sample_input_shape is not None:
            self.build()  # as in Keras: once the input shape is known, every layer gets its weights at once

    def _weight_label(self, name: str) -> str:
        index, _, rest = name.partition(".")
        if not index.isdigit():
            return repr(name)
        if int(index) < len(self._layers):
            layer = self._layers[int(index)]
            return repr(f"{getattr(layer, 'name', index)}.{rest}") if rest else repr(name)
        return f"weights for a layer {index} (counting from 0; this model has {len(self._layers)})"

    def pop(self) -> Module:
        """Remove and return the last layer (Keras's ``model.pop()``)."""
        if not self._layers:
            raise NotReadyError("pop() on a Sequential model with no layers; there is nothing to remove.")
        layer = self._layers.pop()
        self.__dict__["_modules"].pop(str(len(self._layers)), None)
        object.__delattr__(self, str(len(self._layers)))
        return layer

    def __getitem__(self, index: int) -> Module:
        return self._layers[index]

    def __len__(self) -> int:
        return len(self._layers)

    def forward(self, x: Any) -> Tensor:
        if not self._layers:
            raise NotReadyError("this Sequential model has no layers; add one with model.add(...) first.")
        for layer in self._layers:
            x = layer(x)
        return x

    # ------------------------------------------------------------------ shapes
    @property
    def input_shape(self) -> tuple[int, ...] | None:
        """One sample's shape (the batch axis excluded); None until a layer, an Input or data fixes it."""
        return self._sample_input_shape

    @property
    def _sample_input_shape(self) -> tuple[int, ...] | None:
        first = self._layers[0] if self._layers else None
        declared = sample_input_shape(first)
        if declared is not None:
            return tuple(declared)
        kernel = getattr(first, "kernel", None)
        if kernel is not None and len(kernel.shape) == 2:  # a Dense layer's: its rows are the features
            return (kernel.shape[0],)
        if first is None:
            return self._declared_input  # only an Input so far
        return self.__dict__.get("_built_for")  # what build() was last given (a first layer without weights)

    @property
    def built(self) -> bool:
        return bool(self._layers) and all(getattr(layer, "built", True) for layer in self._layers)

    def build(self, input_shape: Any = None) -> None:
        """Create every layer's parameters for samples of ``input_shape`` (batch axis excluded)."""
        input_shape = _sample_shape(input_shape)
        shape = self._sample_input_shape if input_shape is None else _shape_tuple(input_shape, "input_shape")
        if shape is None:
            raise NotReadyError("the model does not know its input shape yet; give the first layer "
                                "input_shape=(n_features,), call model.build((n_features,)), or fit it on data.")
        object.__setattr__(self, "_built_for", tuple(shape))
        for layer in self._layers:
            if isinstance(layer, (Layer, Trainer)) and not layer.built:
                layer.build_for(shape)
            shape = layer.output_shape_for(shape) if isinstance(layer, (Layer, Trainer)) else shape

    @property
    def output_shape(self) -> tuple[int, ...]:
        """One output sample's shape (the batch axis excluded), building the model if needed."""
        return self._sample_output_shape

    @property
    def _sample_output_shape(self) -> tuple[int, ...]:
        if not self.built:
            self.build()
        shape = self._sample_input_shape
        for layer in self._layers:
            shape = layer.output_shape_for(shape) if isinstance(layer, (Layer, Trainer)) else shape
        return shape

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"name": self.name,
                                  "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()}
                                             for layer in self._layers]}
        if self._sample_input_shape is not None:  # what its first data gave it, where no layer declares it
            config["build_input_shape"] = list(self._sample_input_shape)
        if not self.trainable:  # a frozen model inside another (a base model), as Keras records it
            config["trainable"] = False
        return config

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self._layers)
        return f"Sequential([{inner}])"
