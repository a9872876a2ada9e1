"""Functional models that are graphs: several inputs, merges, branches and shared layers.

``keras.Model(inputs, outputs)`` over a chain of layers gives a :class:`~fnlearn.keras.models.Functional`, a
``Sequential`` underneath (the written-out fast step). A model whose layers branch and join again (a
residual ``Add``, ``Concatenate`` of two paths), that takes several ``keras.Input``s, or that calls one layer
twice is a :class:`FunctionalGraph`: its layers run in the order of the graph and train on the general
back-propagation step, where the chain rule sums the gradients of every path a value takes.

Data for several inputs go in as Keras takes them: a list in the order of ``inputs``, or a dict by the
Inputs' names. ``fit`` checks each against its Input, then packs them side by side into one array of rows,
so shuffling, batches, ``validation_split`` and sample weights work as for one input.

Example:
    >>> import numpy as np
    >>> from fnlearn.keras import Input, Model, layers
    >>> wide, deep = Input(shape=(3,), name="wide"), Input(shape=(5,), name="deep")
    >>> hidden = layers.Dense(8, activation="relu")(deep)
    >>> out = layers.Dense(1)(layers.concatenate([wide, hidden]))
    >>> model = Model(inputs=[wide, deep], outputs=out)
    >>> model.compile("adam", "mse")
    >>> model.predict({"wide": np.ones((2, 3)), "deep": np.ones((2, 5))}).shape
    (2, 1)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from .. import backend, data
from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..model import Trainer, _check_finite_once
from ..nn import layers as _layers
from ..nn import module as _module
from ..tensor import Tensor
from .layers import InputLayer, SymbolicTensor, _Placeholder


def _listed(value: Any) -> list[Any]:
    """``inputs`` / ``outputs`` as Keras takes them: one placeholder, or a list, tuple or dict of them."""
    if isinstance(value, Mapping):
        return list(value.values())
    return list(value) if isinstance(value, (list, tuple)) else [value]


class Traced(NamedTuple):
    """A model's graph, from :func:`trace`."""

    inputs: list[InputLayer]
    calls: list[SymbolicTensor]  # each after the calls it takes values from: the order they run in
    outputs: list[_Placeholder]
    layers: list[Any]  # the Inputs and layers, each once, in the order Keras lists a model's layers


def trace(inputs: Any, outputs: Any) -> Traced:
    """The graph from what ``keras.Model(inputs, outputs)`` was given; a ConfigError for one that cannot be a
    model.

    >>> from fnlearn.keras import Input, layers
    >>> x = Input(shape=(4,)); h = layers.Dense(4)(x)
    >>> [type(node.layer).__name__ for node in trace(x, layers.add([x, h])).calls]
    ['Dense', 'Add']
    """
    starts, ends = _listed(inputs), _listed(outputs)
    for what, items in (("inputs", starts), ("outputs", ends)):
        stray = next((item for item in items if not isinstance(item, _Placeholder)), None)
        if stray is not None or not items:
            got = f"a {type(stray).__name__}" if stray is not None else "nothing"
            raise ConfigError(f"keras.Model {what}= must be keras.Input placeholders or outputs of layers called "
                              f"on them, got {got}; e.g. x = keras.Input(shape=(784,)); y = layers.Dense(10)(x); "
                              "keras.Model(x, y).")
    not_input = next((item for item in starts if not isinstance(item, InputLayer)), None)
    if not_input is not None:
        raise ConfigError(f"keras.Model inputs= must be keras.Input placeholders, got {not_input._origin()}; pass "
                          "the keras.Input(...) the layers were called on.")
    if len({id(item) for item in starts}) < len(starts):
        raise ConfigError("keras.Model got the same keras.Input twice in inputs=; list each Input once.")
    placed: list[_Placeholder] = []  # each after the values it reads, Inputs included
    done: set[int] = set()
    first_seen: dict[int, int] = {}  # layer → when the search first met it
    stack: list[tuple[_Placeholder, bool]] = [(end, False) for end in reversed(ends)]
    while stack:  # depth first from each output in turn (no recursion limit on deep models)
        node, ready = stack.pop()
        if id(node) in done:
            continue
        first_seen.setdefault(id(_operation(node)), len(first_seen))
        if isinstance(node, InputLayer) and not any(node is item for item in starts):
            raise ConfigError(f"keras.Model outputs= depend on {node._origin()}, which is not in inputs=; add "
                              "it to the inputs (a list, in the order the data will come).")
        if ready or isinstance(node, InputLayer):
            done.add(id(node))
            placed.append(node)
        else:
            stack.append((node, True))
            stack.extend((parent, False) for parent in reversed(node.parents) if id(parent) not in done)
    calls = [node for node in placed if isinstance(node, SymbolicTensor)]
    if not calls:
        raise ConfigError("keras.Model got the same keras.Input as inputs and outputs, a model with no layers; "
                          "call at least one layer on it, e.g. outputs = layers.Dense(10)(inputs).")
    # Keras's order of model.layers: by depth, the number of calls between a layer and an output (the
    # largest over a layer's calls), deepest first; at one depth, in the order the search met them. An Input
    # no output uses still takes its data, as in Keras, at depth 0 ahead of the rest.
    node_depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    for node in reversed(placed):
        operation = _operation(node)
        depth = max(node_depth.get(id(node), 0), layer_depth.get(id(operation), 0))
        layer_depth[id(operation)] = node_depth[id(node)] = depth
        for parent in node.parents if isinstance(node, SymbolicTensor) else ():
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    operations = {id(_operation(node)): _operation(node) for node in placed}
    for item in starts:
        if id(item) not in operations:
            operations[id(item)] = item
            layer_depth[id(item)], first_seen[id(item)] = 0, -1
    layers = sorted(operations.values(), key=lambda op: (-layer_depth[id(op)], first_seen[id(op)]))
    return Traced(starts, calls, ends, layers)


def _operation(node: _Placeholder) -> Any:
    """The layer that computes a placeholder's values (an Input its own)."""
    return node.layer if isinstance(node, SymbolicTensor) else node


def is_chain(graph: Traced) -> bool:
    """Whether the model is one Input through layers one after another, each used once, to one output."""
    return len(graph.inputs) == 1 and len(graph.outputs) == 1 \
        and all(not isinstance(node.parent, list) for node in graph.calls) \
        and len({id(node.layer) for node in graph.calls}) == len(graph.calls)


class FunctionalGraph(Trainer, _module.Module):
    """A model of Keras's functional API whose layers form a graph: several Inputs, merges, branches, a layer
    called twice. ``model.layers`` lists each layer once, Inputs included, in Keras's order (by the number of
    calls between a layer and the output, deepest first).

    >>> from fnlearn.keras import Input, Model, layers
    >>> x = Input(shape=(8,))
    >>> h = layers.Dense(8, activation="relu", name="hidden")(x)
    >>> model = Model(x, layers.Dense(1, name="out")(layers.add([x, h], name="skip")))   # a residual block
    >>> type(model).__name__, [layer.name for layer in model.layers][1:], model.num_parameters()
    ('FunctionalGraph', ['hidden', 'skip', 'out'], 81)
    """

    _layers_in_order = False

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None, trainable: bool = True) -> None:
        _module.Module.__init__(self)
        self._make(trace(inputs, outputs), name=name)
        if trainable is not True:
            self.trainable = trainable

    def _make(self, graph: Traced, name: str | None) -> None:
        if name is not None and not isinstance(name, str):
            raise ConfigError(f"a model's name must be a string, got {type(name).__name__} {name!r}; e.g. "
                              "name='classifier'.")
        self.name = name or _layers._auto_name("functional")
        object.__setattr__(self, "_layers", list(graph.layers))
        object.__setattr__(self, "_inputs", list(graph.inputs))
        object.__setattr__(self, "_calls", list(graph.calls))
        object.__setattr__(self, "_outputs", list(graph.outputs))
        for index, layer in enumerate(graph.layers):
            setattr(self, str(index), layer)  # weights named by position, "2.kernel", as in a Sequential

    # ------------------------------------------------------------------ what it is
    @property
    def layers(self) -> list[Any]:
        return list(self._layers)

    @property
    def inputs(self) -> list[InputLayer]:
        return list(self._inputs)

    @property
    def outputs(self) -> list[Any]:
        return list(self._outputs)

    @property
    def input(self) -> Any:
        """The Input, or the list of them for a model with several (as Keras gives ``model.input``)."""
        return self._inputs[0] if len(self._inputs) == 1 else list(self._inputs)

    @property
    def output(self) -> Any:
        """The output, or the list of them for a model with several (as Keras gives ``model.output``)."""
        return self._outputs[0] if len(self._outputs) == 1 else list(self._outputs)

    @property
    def takes_lists(self) -> bool:  # type: ignore[override]  (a property here, a class setting in Trainer)
        return len(self._inputs) > 1

    @property
    def input_shape(self) -> Any:
        """One sample's shape, or the list of them for a model with several Inputs (batch axes excluded)."""
        shapes = [tuple(item.input_shape) for item in self._inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def built(self) -> bool:
        return True

    def build(self, input_shape: Any = None) -> None:
        """Nothing to build: the Inputs fixed every shape. A shape given must be theirs."""
        if input_shape is not None:
            shape = [_layers._sample_shape(s) for s in input_shape] if len(self._inputs) > 1 \
                else _layers._sample_shape(input_shape)
            self.output_shape_for(shape)

    def build_for(self, sample_shape: Any) -> None:
        self.output_shape_for(sample_shape)

    def output_shape_for(self, sample_shape: Any) -> tuple[int, ...]:
        """The output's sample shape, after checking ``sample_shape`` (a list of them for several Inputs)."""
        shapes = sample_shape if isinstance(sample_shape, list) else [sample_shape]
        if len(shapes) != len(self._inputs) or any(tuple(given) != tuple(item.input_shape)
                                                   for given, item in zip(shapes, self._inputs)):
            given = ", ".join(str((None, *s)) for s in shapes)
            raise ShapeError(f"model {self.name!r} takes {self._expects()} but was called on {given}; give it "
                             "one input of each Input's shape, in the order of its inputs.")
        if len(self._outputs) > 1:
            raise ConfigError(f"model {self.name!r} has {len(self._outputs)} outputs and cannot be one step of "
                              "another model; build the other model from its layers' outputs instead.")
        return self._outputs[0]._sample

    def _expects(self) -> str:
        described = ", ".join(f"{item.name!r} {item.shape}" for item in self._inputs)
        return f"the input {described}" if len(self._inputs) == 1 else \
            f"{len(self._inputs)} inputs ({described})"

    # ------------------------------------------------------------------ running it
    def __call__(self, *args: Any, training: bool | None = None, **kwargs: Any) -> Any:
        return super().__call__(*args, training=_module.keras_mode(training), **kwargs)

    def forward(self, x: Any) -> Tensor:
        values: dict[int, Any] = {}
        for item, feed in zip(self._inputs, self._feeds(x)):
            values[id(item)] = item(feed)
        for node in self._calls:
            given = [values[id(parent)] for parent in node.parents]
            values[id(node)] = node.layer(given if isinstance(node.parent, list) else given[0])
        outs = [values[id(end)] for end in self._outputs]
        return outs[0] if len(outs) == 1 else outs

    def _feeds(self, x: Any) -> list[Any]:
        """One value per Input from a list, a dict by the Inputs' names, or the packed rows fit makes."""
        if len(self._inputs) == 1:
            return self._by_input(x, "the input") if isinstance(x, Mapping) else [x]
        if isinstance(x, (Mapping, list, tuple)):
            return self._by_input(x, "the input")
        packed = x if isinstance(x, Tensor) else Tensor(x)
        sizes = [int(np.prod(item.input_shape)) for item in self._inputs]
        if packed.ndim != 2 or packed.shape[1] != sum(sizes):
            raise ShapeError(f"model {self.name!r} takes {self._expects()} but got one array of shape "
                             f"{packed.shape}; call it on a list [a, b, ...] or a dict by Input name.")
        feeds, start = [], 0
        for item, size in zip(self._inputs, sizes):
            shape = (packed.shape[0], *item.input_shape)
            columns = (slice(None), slice(start, start + size))
            feeds.append(F.reshape(F.getitem(packed, columns), shape) if packed.requires_grad
                         else Tensor(packed.data[columns].reshape(shape)))
            start += size
        return feeds

    def _by_input(self, x: Any, x_name: str) -> list[Any]:
        """The values for each Input, in order, from a list or tuple or a dict by the Inputs' names."""
        names = [item.name for item in self._inputs]
        if isinstance(x, Mapping):
            missing = [name for name in names if name not in x]
            extra = [key for key in x if key not in names]
            if missing or extra:
                wrong = f"has no entry for Input {missing[0]!r}" if missing else f"has an entry {extra[0]!r}, " \
                    "which is no Input's name"
                raise ConfigError(f"{x_name} {wrong}; model {self.name!r} takes a dict with one entry per Input: "
                                  f"{', '.join(map(repr, names))}.")
            return [x[name] for name in names]
        if len(x) != len(names):
            raise ConfigError(f"{x_name} is a list of {len(x)} but model {self.name!r} has {len(names)} Inputs "
                              f"({', '.join(map(repr, names))}); give one array per Input, in that order.")
        return list(x)

    # ------------------------------------------------------------------ data for fit / evaluate / predict
    def _features(self, x: Any, dtype: Any, x_name: str, allow_nonfinite: bool) -> Any:
        if len(self._inputs) == 1:
            if isinstance(x, Mapping):
                x = self._by_input(x, x_name)[0]
            elif isinstance(x, (list, tuple)) and len(x) == 1 and hasattr(x[0], "shape"):
                x = x[0]  # Keras takes [array] for a model of one Input
            return super()._features(x, dtype, x_name, allow_nonfinite)
        if not isinstance(x, (Mapping, list, tuple)):
            raise ConfigError(f"model {self.name!r} takes {self._expects()}, but {x_name} is one "
                              f"{type(x).__name__}; pass a list [a, b, ...] in the order of its inputs, or a dict "
                              "by Input name.")
        arrays = []
        keyed = isinstance(x, Mapping)
        for index, (item, given) in enumerate(zip(self._inputs, self._by_input(x, x_name))):
            label = f"{x_name}[{item.name!r}]" if keyed else f"{x_name}[{index}]"
            array = data.as_features(given, dtype, label)
            if tuple(array.shape[1:]) != tuple(item.input_shape):
                raise ShapeError(f"keras.Input {item.name!r} takes samples of shape {tuple(item.input_shape)}, but "
                                 f"{label} has samples of shape {tuple(array.shape[1:])}; check the order of the "
                                 "arrays (or use a dict by Input name) and their columns.")
            if arrays:
                data.check_same_rows(arrays[0][1], array, arrays[0][0], label)
            if not allow_nonfinite:
                _check_finite_once(array, label, given)
            arrays.append((label, array))
        return backend.xp().concatenate([array.reshape(array.shape[0], -1) for _, array in arrays], axis=1)

    def _check_features(self, sample_shape: tuple[int, ...], x_name: str,
                        rows: int | None = None) -> tuple[int, ...]:
        expected = tuple(self._inputs[0].input_shape) if len(self._inputs) == 1 else \
            (sum(int(np.prod(item.input_shape)) for item in self._inputs),)
        if tuple(sample_shape) != expected:
            raise ShapeError(f"model {self.name!r} takes {self._expects()}, but {x_name} has samples of shape "
                             f"{tuple(sample_shape)}; check the data's columns or the Input's shape.")
        if len(self._outputs) == 1:
            return self._outputs[0]._sample
        return (sum(int(np.prod(end._sample)) for end in self._outputs),)

    def _output_layer(self) -> str:
        return self._outputs[0].layer.name

    # ------------------------------------------------------------------ several outputs: predict only
    def compile(self, *args: Any, **kwargs: Any) -> None:
        if len(self._outputs) > 1:
            raise ConfigError(f"model {self.name!r} has {len(self._outputs)} outputs, and fnlearn trains a model "
                              "with one output (one loss); predict works without compile, and to train, join the "
                              "heads with layers.concatenate([...]) into one output or make a model per output.")
        super().compile(*args, **kwargs)

    def _forward(self, x: Tensor) -> Tensor:
        """As ``forward``, with several outputs packed side by side in one array of rows (what predict's batches
        fill; :meth:`predict` hands them back as a list)."""
        out = super()._forward(x)
        if not isinstance(out, list):
            return out
        return F.concatenate([F.reshape(o, (o.shape[0], -1)) for o in out], axis=1)

    def predict(self, x: Any, batch_size: int | None = None, verbose: int | str = 0, **kwargs: Any) -> Any:
        """The outputs for ``x`` (a list of arrays, one per output, for a model with several, as in Keras).

        >>> import numpy as np
        >>> from fnlearn.keras import Input, Model, layers
        >>> x = Input(shape=(4,)); h = layers.Dense(3, name="h")(x)
        >>> [a.shape for a in Model(x, [h, layers.Dense(1)(h)]).predict(np.ones((5, 4)))]
        [(5, 3), (5, 1)]
        """
        packed = super().predict(x, batch_size=batch_size, verbose=verbose, **kwargs)
        if len(self._outputs) == 1:
            return packed
        outs, start = [], 0
        for end in self._outputs:
            size = int(np.prod(end._sample))
            outs.append(packed[:, start:start + size].reshape(packed.shape[0], *end._sample))
            start += size
        return outs

    # ------------------------------------------------------------------ summary and saving
    def _summary_rows(self) -> list[tuple[str, str, int, str]]:
        rows = []
        for layer in self._layers:
            node = layer if isinstance(layer, InputLayer) else \
                next(node for node in self._calls if node.layer is layer)
            name = f"{layer.name} ({type(layer).__name__})"
            count = int(sum(p.size for p in layer.parameters()))
            rows.append((name, str(node.shape), count, f"{count:,}"))
        return rows

    def summary_links(self) -> list[str]:
        """For each of ``layers``, the layers it takes values from (Keras's "Connected to" column)."""
        links = []
        for layer in self._layers:
            sources = [parent.layer.name if isinstance(parent, SymbolicTensor) else parent.name
                       for node in self._calls if node.layer is layer for parent in node.parents]
            links.append(", ".join(sources) if sources else "-")
        return links

    def get_config(self) -> dict[str, Any]:
        """The layers' settings and the graph: which layer each call runs on which earlier values (an index
        into the Inputs followed by the calls)."""
        index = {id(layer): i for i, layer in enumerate(self._layers)}
        sources = {id(item): i for i, item in enumerate([*self._inputs, *self._calls])}
        graph = {"inputs": [index[id(item)] for item in self._inputs],
                 "calls": [[index[id(node.layer)], [sources[id(p)] for p in node.parents],
                            isinstance(node.parent, list)] for node in self._calls],
                 "outputs": [sources[id(end)] for end in self._outputs]}
        return {"name": self.name, "functional": True, "graph": graph,
                "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()}
                           for layer in self._layers]}

    @classmethod
    def from_graph(cls, layers: list[Any], graph: dict[str, Any], name: str | None = None) -> FunctionalGraph:
        """The model :meth:`get_config` described, on ``layers`` made from its settings (as ``load_model``
        rebuilds it): each call made again on the placeholders, which checks every shape."""
        sources: list[Any] = [layers[i] for i in graph["inputs"]]
        for layer_index, parents, listed in graph["calls"]:
            given = [sources[i] for i in parents]
            sources.append(layers[layer_index](given if listed else given[0]))
        model = cls.__new__(cls)
        _module.Module.__init__(model)
        model._make(trace(sources[:len(graph["inputs"])], [sources[i] for i in graph["outputs"]]), name=name)
        return model

    def __repr__(self) -> str:
        names = ", ".join(item.name for item in self._inputs)
        ends = ", ".join(end.layer.name for end in self._outputs if isinstance(end, SymbolicTensor))
        return f"FunctionalGraph(name={self.name!r}, inputs=[{names}], outputs=[{ends}])"
