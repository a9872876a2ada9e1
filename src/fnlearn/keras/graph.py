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

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from .. import backend, data, losses
from .. import functional as F
from .. import metrics as metrics_module
from ..errors import ConfigError, DataError, ShapeError
from ..model import (
    Trainer,
    _built_in_loss,
    _check_finite_once,
    _loss_config,
    _masked_loss,
    _resolve_loss,
    _shape_text,
    _weighted_loss,
)
from ..nn import layers as _layers
from ..nn import module as _module
from ..nn.sequential import check_unique_names
from ..tensor import Tensor, no_grad
from .layers import InputLayer, LayerCall, SymbolicTensor, _call_shape, _Placeholder


def _listed(value: Any) -> list[Any]:
    """``inputs`` / ``outputs`` as Keras takes them: one placeholder, or a list, tuple or dict of them (in the
    order of its keys, as Keras 3 flattens a dict)."""
    if isinstance(value, Mapping):
        return [value[key] for key in _sorted_keys(value)]
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _sorted_keys(mapping: Mapping[Any, Any]) -> list[Any]:
    """The keys of a dict of inputs or outputs in Keras 3's order (sorted), as given where they cannot be."""
    try:
        return sorted(mapping)
    except TypeError:
        return list(mapping)


class Traced(NamedTuple):
    """A model's graph, from :func:`trace`."""

    inputs: list[InputLayer]
    calls: list[LayerCall]  # each after the calls it takes values from: the order they run in
    outputs: list[_Placeholder]
    layers: list[Any]  # the Inputs and layers, each once, in the order Keras lists a model's layers


def trace(inputs: Any, outputs: Any) -> Traced:
    """The graph from what ``keras.Model(inputs, outputs)`` was given; a ConfigError for one that cannot be a
    model.

    >>> from fnlearn.keras import Input, layers
    >>> x = Input(shape=(4,)); h = layers.Dense(4)(x)
    >>> [type(call.layer).__name__ for call in trace(x, layers.add([x, h])).calls]
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
    # one entry per call: a layer that gives several outputs runs once for all of them
    calls = list({id(node.layer_call): node.layer_call for node in placed if isinstance(node, SymbolicTensor)}.values())
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
    check_unique_names(layers, None)
    return Traced(starts, calls, ends, layers)


def _operation(node: _Placeholder) -> Any:
    """The layer that computes a placeholder's values (an Input its own)."""
    return node.layer if isinstance(node, SymbolicTensor) else node


def is_chain(graph: Traced) -> bool:
    """Whether the model is one Input through layers one after another, each used once and giving one output,
    to one output."""
    return len(graph.inputs) == 1 and len(graph.outputs) == 1 \
        and all(not isinstance(call.parent, list) and not call.states and not call.args and not call.kwargs
                and len(call.outputs) == 1 for call in graph.calls) \
        and len({id(call.layer) for call in graph.calls}) == len(graph.calls)



def with_batch_axis(shape: Any) -> Any:
    """A sample shape (or a list of them) as Keras writes a model's: the batch axis first, as None.

    >>> with_batch_axis((28, 28, 1)), with_batch_axis([(3,), (2,)]), with_batch_axis(None)
    ((None, 28, 28, 1), [(None, 3), (None, 2)], None)
    """
    if shape is None:
        return None
    if isinstance(shape, list):
        return [with_batch_axis(item) for item in shape]
    return (None, *shape)


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
        self._keep_output_keys(_sorted_keys(outputs) if isinstance(outputs, Mapping) else None)
        if trainable is not True:
            self.trainable = trainable

    def _keep_output_keys(self, keys: list[Any] | None) -> None:
        """Outputs given as a dict (Keras's ``Model(x, {"priority": p, "department": d})``): their keys name
        them (losses, metrics and logs by key) and ``predict`` and a call give a dict by them."""
        if keys is not None and (len(keys) != len(self._outputs) or len(set(keys)) != len(keys)
                                 or not all(isinstance(key, str) and key for key in keys)):
            raise ConfigError(f"keras.Model outputs= as a dict needs one distinct name (a string) per output, got "
                              f"the keys {keys!r}; e.g. outputs={{'priority': p, 'department': d}}.")
        object.__setattr__(self, "_output_keys", keys)

    def _by_key(self, outs: Any) -> Any:
        """The outputs as a dict by their keys where they were given as one, else as they are."""
        keys = self.__dict__.get("_output_keys")
        return dict(zip(keys, outs)) if keys and isinstance(outs, list) else outs

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
        """The input's shape with the batch axis as None, ``(None, 28, 28, 1)``, or the list of them for a model
        with several Inputs, as Keras gives it."""
        return with_batch_axis(self._sample_input_shape)

    @property
    def output_shape(self) -> Any:
        """The output's shape with the batch axis as None, or the list of them for several outputs (Keras's)."""
        return with_batch_axis(self._sample_output_shape)

    @property
    def _sample_input_shape(self) -> Any:
        shapes = [tuple(item.input_shape) for item in self._inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def _sample_output_shape(self) -> Any:
        shapes = [tuple(end._sample) for end in self._outputs]
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
        if len(shapes) != len(self._inputs) or not all(data.shape_fits(item.input_shape, given)
                                                       for given, item in zip(shapes, self._inputs)):
            given = ", ".join(str((None, *s)) for s in shapes)
            raise ShapeError(f"model {self.name!r} takes {self._expects()} but was called on {given}; give it "
                             "one input of each Input's shape, in the order of its inputs.")
        if len(self._outputs) > 1:
            raise ConfigError(f"model {self.name!r} has {len(self._outputs)} outputs and cannot be one step of "
                              "another model; build the other model from its layers' outputs instead.")
        return self._output_shapes(shapes)[0]

    def _output_shapes(self, sample_shapes: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """The outputs' sample shapes for inputs of ``sample_shapes``, which fit the Inputs: the shapes the
        model was built with, or, where an Input left a size unknown (None), each layer's output shape for
        these inputs in turn (the sizes the data give)."""
        key = tuple(tuple(given) for given in sample_shapes)
        if key == tuple(tuple(item.input_shape) for item in self._inputs):
            return [end._sample for end in self._outputs]
        seen = self.__dict__.setdefault("_shapes_seen", {})
        if key not in seen:
            shapes: dict[int, Any] = {id(item): given for item, given in zip(self._inputs, key)}
            for call in self._calls:
                given = [shapes[id(item)] for item in call.inputs]
                out = _call_shape(call.layer, call.parent, list(call.args), call.kwargs, shapes) \
                    if call.args or call.kwargs else \
                    call.layer.output_shape_for(given if isinstance(call.parent, list) else given[0])
                for end in call.outputs:
                    shapes[id(end)] = tuple(out if end.index is None else out[end.index])
            seen[key] = [shapes[id(end)] for end in self._outputs]
        self._note_output_shapes(seen[key])
        return seen[key]

    @property
    def _unknown_sizes(self) -> int:
        """How many sizes the Inputs leave unknown (None); a model of several Inputs packs their rows after as
        many columns that hold them (:meth:`_feeds` reads them back)."""
        return sum(size is None for item in self._inputs for size in item.input_shape)

    def _note_output_shapes(self, shapes: list[tuple[int, ...]]) -> None:
        """Keep the outputs' sample shapes for the data at hand, where the model leaves an output's size unknown
        (None) and has several outputs: packed side by side, they are split by these shapes (each output's
        loss and metrics, and predict's list)."""
        if len(self._outputs) < 2 or all(None not in end._sample for end in self._outputs):
            return
        object.__setattr__(self, "_outputs_now", [tuple(shape) for shape in shapes])
        if self._output_losses is not None:
            for head, shape in zip(self._output_losses.heads, shapes):
                head.out_shape = tuple(shape)

    def _expects(self) -> str:
        described = ", ".join(f"{item.name!r} {item.shape}" for item in self._inputs)
        return f"the input {described}" if len(self._inputs) == 1 else \
            f"{len(self._inputs)} inputs ({described})"

    # ------------------------------------------------------------------ running it
    def __call__(self, *args: Any, training: bool | None = None, **kwargs: Any) -> Any:
        return self._by_key(super().__call__(*args, training=_module.keras_mode(training), **kwargs))

    def forward(self, x: Any) -> Tensor:
        values: dict[int, Any] = {}
        for item, feed in zip(self._inputs, self._feeds(x)):
            values[id(item)] = item(feed)
        for call in self._calls:
            call.run(values)
        outs = [values[id(end)] for end in self._outputs]
        if len(outs) == 1:
            return outs[0]
        self._note_output_shapes([tuple(out.shape[1:]) for out in outs])
        return outs

    def _feeds(self, x: Any) -> list[Any]:
        """One value per Input from a list, a dict by the Inputs' names, or the packed rows fit makes."""
        if len(self._inputs) == 1:
            return self._by_input(x, "the input") if isinstance(x, Mapping) else [x]
        if isinstance(x, (Mapping, list, tuple)):
            return self._by_input(x, "the input")
        packed = x if isinstance(x, Tensor) else Tensor(x)
        unknown = self._unknown_sizes
        shapes = self._packed_shapes(packed, unknown) if packed.ndim == 2 else []
        sizes = [math.prod(shape) for shape in shapes]
        if packed.ndim != 2 or packed.shape[1] != unknown + sum(sizes):
            raise ShapeError(f"model {self.name!r} takes {self._expects()} but got one array of shape "
                             f"{packed.shape}; call it on a list [a, b, ...] or a dict by Input name.")
        feeds, start = [], unknown
        for index, (shape, size) in enumerate(zip(shapes, sizes)):
            shape = (packed.shape[0], *shape)
            columns = (slice(None), slice(start, start + size))
            if getattr(self._inputs[index], "takes_text", False):
                feeds.append(self._texts_of(index, packed.data[columns].reshape(shape)))
            else:
                feeds.append(F.reshape(F.getitem(packed, columns), shape) if packed.requires_grad
                             else Tensor(packed.data[columns].reshape(shape)))
            start += size
        return feeds

    @property
    def _text_input(self) -> bool:
        """Whether the model's one Input takes texts (with several, a string Input's texts travel coded in the
        packed rows: :meth:`_text_codes`)."""
        return len(self._inputs) == 1 and bool(getattr(self._inputs[0], "takes_text", False))

    def _text_codes(self, index: int, texts: np.ndarray, dtype: Any) -> Any:
        """A string Input's texts as numbers the packed rows can hold beside the other Inputs' values: each distinct
        text's code in this model's table for that Input, which grows with the texts it meets (so the codes of the
        training data and the validation data, packed apart, stay valid together); :meth:`_texts_of` reads them
        back into the texts for the Input's layers (a StringLookup, a TextVectorization)."""
        tables = self.__dict__.setdefault("_text_tables", {})
        table, texts_by_code = tables.setdefault(index, ({}, []))
        codes = np.empty(texts.size, dtype=np.int64)
        for position, text in enumerate(texts.flat):
            code = table.get(text)
            if code is None:
                code = table[text] = len(texts_by_code)
                texts_by_code.append(text)
            codes[position] = code
        if len(texts_by_code) > 2 ** 24:  # float32 holds whole numbers exactly up to 2**24
            raise DataError(f"model {self.name!r} has met more than {2 ** 24:,} distinct texts for its Input "
                            f"{self._inputs[index].name!r}; map them to numbers before the model (e.g. with a "
                            "StringLookup in the data pipeline).")
        return backend.to_device(codes.reshape(texts.shape[0], -1).astype(dtype))

    def _texts_of(self, index: int, codes: Any) -> np.ndarray:
        """The texts :meth:`_text_codes` coded (one read from the device per batch, on a GPU: texts stay on the
        host)."""
        texts_by_code = self.__dict__["_text_tables"][index][1]
        arrays = self.__dict__.setdefault("_text_arrays", {})
        if len(arrays.get(index, ())) != len(texts_by_code):  # the table grew since: one new array
            arrays[index] = np.asarray(texts_by_code, dtype=object)
        return arrays[index][backend.to_numpy(codes).astype(np.int64)]

    def _packed_shapes(self, packed: Tensor, unknown: int) -> list[tuple[int, ...]]:
        """The Inputs' sample shapes in the packed rows ``packed``: as declared, with each unknown size read from
        the columns before the data (one read from the device per batch, on a GPU)."""
        if not unknown:
            return [tuple(item.input_shape) for item in self._inputs]
        if packed.shape[0] == 0 or packed.shape[1] < unknown:
            return [tuple(0 if s is None else s for s in item.input_shape) for item in self._inputs]
        told = iter(int(size) for size in backend.to_numpy(packed.data[0, :unknown]))
        return [tuple(next(told) if s is None else s for s in item.input_shape) for item in self._inputs]

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
            texts = getattr(item, "takes_text", False)
            if texts:  # coded as numbers (finite ones) to travel beside the others
                array = self._text_codes(index, data.as_texts(given, label, tuple(item.input_shape)), dtype)
            else:
                array = data.as_features(given, dtype, label, tuple(item.input_shape))
                if not data.shape_fits(item.input_shape, array.shape[1:]):
                    raise ShapeError(f"keras.Input {item.name!r} takes samples of shape {tuple(item.input_shape)}, "
                                     f"but {label} has samples of shape {tuple(array.shape[1:])}; check the order of "
                                     "the arrays (or use a dict by Input name) and their columns.")
            if arrays:
                data.check_same_rows(arrays[0][1], array, arrays[0][0], label, each="row of every input")
            if not allow_nonfinite and not texts:
                _check_finite_once(array, label, given)
            arrays.append((label, array))
        xp = backend.xp()
        columns = [array.reshape(array.shape[0], -1) for _, array in arrays]
        if self._unknown_sizes:  # the sizes the data give, in every row before the data: batches keep them
            sizes = [size for item, (_, array) in zip(self._inputs, arrays)
                     for declared, size in zip(item.input_shape, array.shape[1:]) if declared is None]
            columns.insert(0, xp.broadcast_to(xp.asarray(sizes, dtype=columns[0].dtype), (len(columns[0]), len(sizes))))
            object.__setattr__(self, "_inputs_now", [tuple(array.shape[1:]) for _, array in arrays])
        return xp.concatenate(columns, axis=1)

    def _check_features(self, sample_shape: tuple[int, ...], x_name: str,
                        rows: int | None = None) -> tuple[int, ...]:
        if len(self._inputs) == 1:
            if not data.shape_fits(self._inputs[0].input_shape, sample_shape):
                raise ShapeError(f"model {self.name!r} takes {self._expects()}, but {x_name} has samples of shape "
                                 f"{tuple(sample_shape)}; check the data's columns or the Input's shape.")
            outputs = self._output_shapes([tuple(sample_shape)])
        else:  # packed rows (_features checked each input): the data's sizes where the Inputs leave them unknown
            given = self.__dict__.get("_inputs_now") if self._unknown_sizes else None
            inputs = given or [tuple(item.input_shape) for item in self._inputs]
            if any(None in shape for shape in inputs) or \
                    tuple(sample_shape) != (self._unknown_sizes + sum(math.prod(shape) for shape in inputs),):
                raise ShapeError(f"model {self.name!r} takes {self._expects()}, but {x_name} has samples of shape "
                                 f"{tuple(sample_shape)}; check the data's columns or the Input's shape.")
            outputs = self._output_shapes(inputs)
        if len(outputs) == 1:
            return outputs[0]
        return (sum(int(np.prod(shape)) for shape in outputs),)

    def _output_layer(self) -> str:
        return self._outputs[0].layer.name

    # ------------------------------------------------------------------ several outputs
    _output_losses: OutputLosses | None = None  # compiled with several outputs: a loss for each

    @property
    def output_names(self) -> list[str]:
        """The outputs' names: the name of the layer that computes each (an Input's own name), a name already
        taken numbered ``_1``, ``_2``, ... as tf.keras numbered them (two outputs of one LSTM, ``[output, h]``:
        ``lstm``, ``lstm_1``), so that each output has losses, metrics and logs of its own; Keras 3 gives both
        outputs the layer's name, and its logs keep one of them.

        >>> from fnlearn.keras import Input, Model, layers
        >>> x = Input(shape=(4, 3)); out, h, c = layers.LSTM(2, return_state=True, name="enc")(x)
        >>> Model(x, [out, h, layers.Dense(1, name="enc_1")(h)]).output_names
        ['enc', 'enc_1', 'enc_1_1']
        """
        if self.__dict__.get("_output_keys"):
            return list(self._output_keys)
        names: list[str] = []
        for end in self._outputs:
            base = end.layer.name if isinstance(end, SymbolicTensor) else end.name
            name, count = base, 1
            while name in names:
                name, count = f"{base}_{count}", count + 1
            names.append(name)
        return names

    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None, *,
                loss_weights: Any = None, weighted_metrics: Any = None, **kwargs: Any) -> None:
        """As :meth:`Trainer.compile`; a model of several outputs takes, as Keras 3 does, one ``loss`` for all of
        them, a list with one per output or a dict by output name, None for an output left out of the loss (its
        metrics still run); ``loss_weights`` (a list or dict) weigh each output's loss in the total; ``metrics``
        and ``weighted_metrics`` are a list with one entry per output (a metric, a list of them or None) or a dict
        by output name.

        The logs hold ``loss`` (Σ weightᵢ·lossᵢ, plus any added losses and weight penalties), each output's own loss
        as ``<output>_loss`` (when two or more outputs have a loss, as in Keras 3) and its metrics as
        ``<output>_<metric>``, sorted by key as Keras 3 logs them; ``evaluate``'s list (and ``metrics_names``)
        gives ``loss`` and the outputs' losses first, then the metrics by key.

        >>> from fnlearn.keras import Input, Model, layers
        >>> x = Input(shape=(4,)); h = layers.Dense(8, activation="relu")(x)
        >>> model = Model(x, [layers.Dense(3, activation="softmax", name="cls")(h), layers.Dense(1, name="reg")(h)])
        >>> model.compile("adam", loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
        ...               loss_weights=[1.0, 0.5], metrics={"cls": "accuracy", "reg": ["mae"]})
        >>> model.metrics_names
        ['loss', 'cls_loss', 'reg_loss', 'cls_accuracy', 'reg_mae']
        >>> model.compile("adam", loss=["sparse_categorical_crossentropy", None], metrics={"reg": ["mae"]})
        >>> model.metrics_names
        ['loss', 'reg_mae']
        """
        if len(self._outputs) == 1:
            if loss_weights is not None:
                kwargs["loss_weights"] = loss_weights  # refused by name, as for every model of one output
            super().compile(optimizer, loss, metrics, weighted_metrics=weighted_metrics, **kwargs)
            return
        names = self.output_names
        outputs = output_losses(self.name, names, [tuple(end._sample) for end in self._outputs], loss, loss_weights)
        entries = output_metrics(outputs, metrics, weighted_metrics, self.name)
        super().compile(optimizer, outputs, **kwargs)  # the optimizer and the rest, checked before any change
        self.loss = loss  # as given, Keras's model.loss
        self.loss_fn = outputs
        self._loss_name = None
        self._output_losses = outputs
        self._metric_keys = tuple(key for key, _, _ in entries)
        self._metrics = tuple(metric for _, metric, _ in entries)
        self._metric_weighted = tuple(weighted for _, _, weighted in entries)
        self._log_order = ("loss", *(f"{names[index]}_loss" for index in outputs.logged))

    def compile_config(self) -> dict[str, Any] | None:
        """As :meth:`Trainer.compile_config`; for several outputs, each output's loss, weight and metrics by its
        name under ``"outputs"``."""
        outputs = self._output_losses
        if not self.compiled or outputs is None:
            return super().compile_config()
        per_output: dict[str, dict[str, Any]] = {name: {} for name in outputs.names}
        for head in outputs.heads:
            loss = _loss_config(head.loss, head.loss_name) if head.trained else None
            per_output[head.name].update(loss=loss, loss_weight=head.weight,
                                         metrics=[], weighted_metrics=[])
        for metric, weighted in zip(self._metrics, self._metric_weighted):
            if metric.metric is not None:  # each output's loss is logged without being compiled as a metric
                kind = "weighted_metrics" if weighted else "metrics"
                per_output[outputs.names[metric.index]][kind].append(metrics_module.saved_form(metric.metric))
        return {"optimizer": self.optimizer.get_config(), "outputs": per_output}

    def fit(self, *args: Any, class_weight: Any = None, **kwargs: Any) -> Any:
        """As :meth:`Trainer.fit`; targets of several outputs are a list in the order of the outputs or a dict by
        output name (``validation_data`` too), and ``sample_weight`` is one array for every output's loss or, as
        in Keras 3, weights per output (see :meth:`_sample_weight_rows`).

        >>> import numpy as np
        >>> from fnlearn.keras import Input, Model, layers
        >>> x = Input(shape=(2,)); h = layers.Dense(4, name="h")(x)
        >>> model = Model(x, [layers.Dense(1, name="a")(h), layers.Dense(1, name="b")(h)])
        >>> model.compile("sgd", "mse")
        >>> data, targets = np.ones((6, 2)), [np.zeros(6), np.ones(6)]
        >>> list(model.fit(data, targets, sample_weight={"a": np.ones(6), "b": np.zeros(6)}, verbose=0).history)
        ['a_loss', 'b_loss', 'loss']
        """
        if self._output_losses is not None and class_weight is not None:
            raise ConfigError(f"class_weight is for a model of one output (as in Keras), and model {self.name!r} "
                              f"has {len(self._outputs)}; weigh the samples with sample_weight=... instead (one "
                              "weight per sample, e.g. the class weight of each sample's label, or a dict of them "
                              "by output name).")
        return super().fit(*args, class_weight=class_weight, **kwargs)

    def _sample_weight_rows(self, sample_weight: Any, y: Any, name: str) -> Any:
        """As :meth:`Trainer._sample_weight_rows`; a model of several outputs also takes Keras 3's weights per
        output: a list with one array per output, or a dict naming every output. They become one column per
        output, which batches with the packed targets and which :meth:`OutputLosses.weights_of` hands each
        output's loss and weighted metrics.

        >>> import numpy as np
        >>> from fnlearn.keras import Input, Model, layers
        >>> x = Input(shape=(2,)); model = Model(x, [layers.Dense(1, name="a")(x), layers.Dense(1, name="b")(x)])
        >>> model.compile("sgd", "mse")
        >>> model._sample_weight_rows({"b": [1, 2, 3], "a": [4, 5, 6]}, np.zeros((3, 2)), "sample_weight")
        array([[4., 1.],
               [5., 2.],
               [6., 3.]])
        """
        outputs = self._output_losses
        # a list of numbers is one weight per sample; a list of arrays (or a dict) is one array per output
        per_output = isinstance(sample_weight, Mapping) or (
            isinstance(sample_weight, (list, tuple)) and len(sample_weight) > 0
            and all(np.ndim(w) >= 1 for w in sample_weight))
        if outputs is None or not per_output:
            return super()._sample_weight_rows(sample_weight, y, name)
        names = outputs.names
        rows = y.shape[0]
        example = "{" + ", ".join(f"{output!r}: np.ones({rows})" for output in names) + "}"
        given = _by_output_name(sample_weight, names, name, self.name, example, every=True)
        keyed = isinstance(sample_weight, Mapping)
        one_array = super()._sample_weight_rows  # each output's weights checked as one array is
        columns = [one_array(w, y, f"{name}[{output!r}]" if keyed else f"{name}[{index}]")
                   for index, (output, w) in enumerate(zip(names, given))]
        return backend.xp().stack(columns, axis=1)

    def _by_output(self, y: Any, y_name: str) -> list[tuple[str, Any]]:
        """(name in messages, targets) for each output, in order, from a list or tuple or a dict by output name."""
        names = self.output_names
        listed = ", ".join(map(repr, names))
        if isinstance(y, Mapping):
            missing = next((name for name in names if name not in y), None)
            extra = next((key for key in y if key not in names), None)
            if missing is not None or extra is not None:
                wrong = f"has no entry for output {missing!r}" if missing is not None else \
                    f"has an entry {extra!r}, which is no output's name"
                raise ConfigError(f"{y_name} {wrong}; model {self.name!r} takes a dict with the targets of each "
                                  f"output: {listed}.")
            return [(f"{y_name}[{name!r}]", y[name]) for name in names]
        if isinstance(y, (list, tuple)):
            if len(y) != len(names):
                raise ConfigError(f"{y_name} is a list of {len(y)} but model {self.name!r} has {len(names)} outputs "
                                  f"({listed}); give one array of targets per output, in that order, or a dict by "
                                  "output name.")
            return [(f"{y_name}[{index}]", given) for index, given in enumerate(y)]
        raise ConfigError(f"model {self.name!r} has {len(names)} outputs ({listed}), but {y_name} is one "
                          f"{type(y).__name__}; pass a list [targets of {names[0]!r}, ...] in the order of its "
                          "outputs, or a dict by output name.")

    def _prepare(self, x: Any, y: Any, x_name: str, y_name: str, allow_nonfinite: bool) -> tuple[Any, Any]:
        """As :meth:`Trainer._prepare`; for several outputs each output's targets are checked against it and its
        loss, then packed side by side into one array of rows."""
        outputs = self._output_losses
        if outputs is None:
            return super()._prepare(x, y, x_name, y_name, allow_nonfinite)
        dtype = self._dtype()
        x_arr = self._features(x, dtype, x_name, allow_nonfinite)
        given = self._by_output(y, y_name)
        self._check_features(tuple(x_arr.shape[1:]), x_name, x_arr.shape[0])
        parts = []
        for head, (label, targets) in zip(outputs.heads, given):
            y_arr = data.to_array(targets, label)
            data.check_same_rows(x_arr, y_arr, x_name, label)
            ready = self._check_targets(y_arr, head.out_shape, label, dtype, head=(head.loss_name, head.name))
            if not allow_nonfinite:
                same_size = ready.size == y_arr.size  # positions are named in the targets' own shape
                _check_finite_once(ready.reshape(y_arr.shape) if same_size else ready, label, y_arr)
            parts.append(ready)
        if not allow_nonfinite:
            _check_finite_once(x_arr, x_name, x)
        # the training targets were packed just before: the same columns (unless each batch says its own)
        if y_name.startswith("validation") and not outputs.described:
            for head, (label, _), part in zip(outputs.heads, given, parts):
                if tuple(part.shape[1:]) != head.target_shape:
                    raise ShapeError(f"{label} has targets of shape {tuple(part.shape[1:])} per sample, but the "
                                     f"training targets of output {head.name!r} have {head.target_shape}; give the "
                                     "validation targets the same columns.")
        return x_arr, outputs.pack(parts, dtype)

    def _step_pair(self, y: Any, y_pred: Any) -> tuple[Any, Tensor]:
        """As :meth:`Trainer._step_pair`; for several outputs, the targets of each (a list or a dict by output name)
        checked against its output and loss and packed, and the outputs packed side by side as fit packs them."""
        outputs = self._output_losses
        if outputs is None or y is None:  # one output, or no targets (refused there in one sentence)
            return super()._step_pair(y, y_pred)
        outs = [out if isinstance(out, Tensor) else Tensor(out) for _, out in self._by_output(y_pred, "y_pred")]
        packed = F.concatenate([F.reshape(o, (o.shape[0], -1)) for o in outs], axis=1)
        object.__setattr__(self, "_last_outputs", (packed, outs))  # each output's own loss fuses with its scores
        parts = [self._check_targets(given.data if isinstance(given, Tensor) else data.to_array(given, label),
                                     head.out_shape, label, packed.dtype, head=(head.loss_name, head.name))
                 for head, (label, given) in zip(outputs.heads, self._by_output(y, "y"))]
        return outputs.pack(parts, packed.dtype), packed

    def _check_loss_per_sample(self, y: Any, sample_shape: tuple[int, ...]) -> None:
        outputs = self._output_losses
        if outputs is None:
            super()._check_loss_per_sample(y, sample_shape)
            return
        if y.shape[0] < 2:
            return
        for head, targets in zip(outputs.heads, outputs.targets(y[:2])):
            if head.trained and _built_in_loss(head.loss, head.loss_fn) is None:
                with no_grad():
                    half = Tensor(backend.xp().full((2, *head.out_shape), 0.5, self._dtype()))
                    losses.require_per_sample(head.loss(targets, half), 2)

    def _batch_loss(self, y: Any, out: Tensor, w: Any = None) -> Tensor:
        outputs = self._output_losses
        if outputs is None:
            return super()._batch_loss(y, out, w)
        kept = self.__dict__.get("_last_outputs")
        # the outputs themselves when ``out`` packs them (a softmax output's loss then fuses with its scores)
        parts = kept[1] if kept is not None and kept[0] is out else outputs.outputs(out)
        object.__setattr__(self, "_last_outputs", None)  # the batch's graph is the step's alone
        loss = outputs.total(y, parts, w, pred=out.data)
        added = self.added_loss()
        return loss if added is None else loss + added

    def _forward(self, x: Tensor) -> Tensor:
        """As ``forward``, with several outputs packed side by side in one array of rows (what fit's steps and
        predict's batches fill; :meth:`predict` hands them back as a list)."""
        out = super()._forward(x)
        if not isinstance(out, list):
            return out
        packed = F.concatenate([F.reshape(o, (o.shape[0], -1)) for o in out], axis=1)
        object.__setattr__(self, "_last_outputs", (packed, out))
        return packed

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
        for shape in self.__dict__.get("_outputs_now") or [end._sample for end in self._outputs]:
            size = math.prod(shape)
            outs.append(packed[:, start:start + size].reshape(packed.shape[0], *shape))
            start += size
        return self._by_key(outs)

    # ------------------------------------------------------------------ summary and saving
    def _summary_rows(self) -> list[tuple[str, str, int, str]]:
        rows = []
        for layer in self._layers:
            if isinstance(layer, InputLayer):
                shape = _shape_text(layer._sample)
            else:  # a layer called twice shows its first call's outputs, as Keras's summary does
                ends = next(call for call in self._calls if call.layer is layer).outputs
                shape = _shape_text(ends[0]._sample if ends[0].index is None else tuple(end._sample for end in ends))
            name = f"{layer.name} ({type(layer).__name__})"
            count = int(sum(p.size for p in layer.parameters()))
            rows.append((name, shape, count, f"{count:,}"))
        return rows

    def summary_links(self) -> list[str]:
        """For each of ``layers``, the layers it takes values from (Keras's "Connected to" column): an output
        of a layer that gives several is written with its index, ``lstm[1]``."""
        links = []
        for layer in self._layers:
            sources = [_source_name(parent) for call in self._calls if call.layer is layer
                       for parent in call.parents]
            links.append(", ".join(sources) if sources else "-")
        return links

    def get_config(self) -> dict[str, Any]:
        """The layers' settings and the graph: which layer each call runs on which earlier values, and the
        model's outputs. A value is an index into the Inputs followed by the calls, or ``[index, k]`` for output
        ``k`` of a call that gives several; a call given more lists them after the rest in a dict: its states'
        values, ``{"initial_state": [...]}``, more placeholders, ``"args": [...]``, and its keywords,
        ``"kwargs": {name: {"value": v} | {"values": [...]} | {"setting": s}}``."""
        index = {id(layer): i for i, layer in enumerate(self._layers)}
        where = {id(item): i for i, item in enumerate([*self._inputs, *self._calls])}

        def source(item: _Placeholder) -> Any:
            if not isinstance(item, SymbolicTensor):
                return where[id(item)]
            at = where[id(item.layer_call)]
            return at if item.index is None else [at, item.index]

        calls = []
        for call in self._calls:
            entry: list[Any] = [index[id(call.layer)], [source(p) for p in call.inputs], isinstance(call.parent, list)]
            more: dict[str, Any] = {}
            if call.states:
                more["initial_state"] = [source(state) for state in call.states]
            if call.args:
                more["args"] = [source(item) for item in call.args]
            if call.kwargs:
                more["kwargs"] = {key: {"value": source(value)} if isinstance(value, _Placeholder) else
                                  {"values": [source(item) for item in value]} if isinstance(value, (list, tuple))
                                  else {"setting": value} for key, value in call.kwargs.items()}
            if more:
                entry.append(more)
            calls.append(entry)
        graph = {"inputs": [index[id(item)] for item in self._inputs], "calls": calls,
                 "outputs": [source(end) for end in self._outputs]}
        if self.__dict__.get("_output_keys"):
            graph["output_keys"] = list(self._output_keys)
        config = {"name": self.name, "functional": True, "graph": graph,
                  "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()}
                             for layer in self._layers]}
        return config if self.trainable else {**config, "trainable": False}

    @classmethod
    def from_graph(cls, layers: list[Any], graph: dict[str, Any], name: str | None = None) -> FunctionalGraph:
        """The model :meth:`get_config` described, on ``layers`` made from its settings (as ``load_model``
        rebuilds it, having checked every index): each call made again on the placeholders, which checks every
        shape."""
        made: list[Any] = [layers[i] for i in graph["inputs"]]  # each Input, then each call's output(s)

        def value(source: Any) -> Any:
            if isinstance(source, int):
                return made[source]
            several = made[source[0]]
            if not isinstance(several, list) or not 0 <= source[1] < len(several):
                raise ConfigError(f"the graph reads output {source[1]} of a call that gives "
                                  f"{len(several) if isinstance(several, list) else 1}")
            return several[source[1]]

        def keyword(recorded: dict[str, Any]) -> Any:
            if "value" in recorded:
                return value(recorded["value"])
            return [value(source) for source in recorded["values"]] if "values" in recorded else recorded["setting"]

        for entry in graph["calls"]:
            layer_index, parents, listed = entry[:3]
            given = [value(source) for source in parents]
            more = entry[3] if len(entry) > 3 else {}
            kwargs = {key: keyword(recorded) for key, recorded in more.get("kwargs", {}).items()}
            if "initial_state" in more:
                kwargs["initial_state"] = [value(source) for source in more["initial_state"]]
            made.append(layers[layer_index](given if listed else given[0],
                                            *(value(source) for source in more.get("args", [])), **kwargs))
        model = cls.__new__(cls)
        _module.Module.__init__(model)
        model._make(trace(made[:len(graph["inputs"])], [value(source) for source in graph["outputs"]]), name=name)
        model._keep_output_keys(graph.get("output_keys"))
        return model

    def __repr__(self) -> str:
        names = ", ".join(item.name for item in self._inputs)
        ends = ", ".join(_source_name(end) for end in self._outputs if isinstance(end, SymbolicTensor))
        return f"FunctionalGraph(name={self.name!r}, inputs=[{names}], outputs=[{ends}])"


def _source_name(item: _Placeholder) -> str:
    """A placeholder as the summary names it: its Input's or layer's name, with the output's index for a layer
    that gives several (``lstm[1]``, its h)."""
    if not isinstance(item, SymbolicTensor):
        return item.name
    return item.layer.name if item.index is None else f"{item.layer.name}[{item.index}]"


# ---------------------------------------------------------------------------------------- several outputs, trained
# A model of several outputs trains as Keras 3 trains it: one loss per output (or None), the total Σ weightᵢ·lossᵢ,
# each output's loss logged unweighted as "<output>_loss" and its metrics as "<output>_<metric>". The targets are
# packed side by side into one array of rows, as the inputs are (so shuffling, batches, validation_split and sample
# weights work unchanged), and split again per output inside the loss and the metrics; sample weights per output
# are packed the same way, one column per output.

_SPARSE = "sparse_categorical_crossentropy"
# per output, in the packed targets of outputs whose sizes vary with the data: the number of axes of one
# sample's targets, then their sizes (up to four)
_SHAPE_COLUMNS = 5


class OutputLoss:
    """One output's part of the training of a model with several outputs: its loss (as given to compile and as
    resolved; None for an output left out of the loss, whose metrics still run), its weight in the total, the
    shape of its samples and of its targets' samples.

    >>> head = OutputLoss("reg", "mse", 0.5, (1,))
    >>> head.loss_name, head.weight, head.target_shape, head.trained
    ('mse', 0.5, (1,), True)
    """

    def __init__(self, name: str, loss: Any, weight: float, out_shape: tuple[int, ...]) -> None:
        # keras.losses' functions give one value per sample; compiled, they are the built-in they wrap (as for
        # a model of one output)
        self.loss = getattr(loss, "builtin", loss) if callable(loss) and not isinstance(loss, losses.Loss) else loss
        self.loss_fn, self.loss_name = _resolve_loss(self.loss) if loss is not None else (None, None)
        self.name = name
        self.weight = weight
        self.out_shape = tuple(out_shape)
        # integer labels for sparse cross-entropy, else one target per output value; the data say for a loss of
        # the user's own (OutputLosses.pack)
        self.target_shape: tuple[int, ...] = () if self.loss_name == _SPARSE else self.out_shape

    @property
    def trained(self) -> bool:
        """Whether the output has a loss (one with None adds nothing to the total, as in Keras)."""
        return self.loss is not None

    def value(self, y: Any, out: Tensor, sample_weight: Any = None) -> Tensor:
        """The output's loss on a batch (Keras's weighted loss with ``sample_weight``), before its weight; over its
        real steps only when the output carries a mask of padding steps, as a model of one output's."""
        mask = getattr(out, "_mask", None)
        masked = None if mask is None else _masked_loss(self.loss, self.loss_fn, y, out, mask, sample_weight)
        if masked is not None:
            return masked
        if sample_weight is None:
            return self.loss_fn(y, out)
        return _weighted_loss(self.loss, self.loss_fn, y, out, sample_weight)


class OutputLosses:
    """The losses of a model with several outputs, over targets packed side by side in one array of rows and
    outputs packed the same way (what ``fit`` batches and ``predict`` fills).

    >>> import numpy as np, fnlearn as fl
    >>> both = OutputLosses([OutputLoss("a", "mse", 1.0, (2,)), OutputLoss("b", "mae", 0.5, (1,))])
    >>> y = np.array([[0.0, 0.0, 1.0]]); out = fl.tensor([[1.0, 1.0, 3.0]])
    >>> float(both(y, out).item())   # 1·mse + 0.5·mae = 1 + 0.5·2
    2.0
    """

    def __init__(self, heads: list[OutputLoss]) -> None:
        self.heads = heads
        # outputs with a size the data give (a sequence's steps): each batch's packed targets then say their
        # own shapes in the columns before them, as the sizes may differ from batch to batch
        self.described = any(None in head.out_shape for head in heads)
        # (packed predictions, each output's loss or None) of the last batch the loss was computed on: the
        # per-output loss logs read them rather than compute every loss twice
        self.last: tuple[Any, list[float | None]] | None = None

    @property
    def names(self) -> list[str]:
        return [head.name for head in self.heads]

    @property
    def logged(self) -> list[int]:
        """The outputs whose loss is logged as ``<output>_loss``: those with a loss, when there are two or more
        (Keras 3 tracks the losses one by one only then; with one, ``loss`` says it all)."""
        trained = [index for index, head in enumerate(self.heads) if head.trained]
        return trained if len(trained) > 1 else []

    @staticmethod
    def weights_of(sample_weight: Any, index: int) -> Any:
        """Output ``index``'s sample weights: its column of the weights per output that fit packs (one column
        per output), or the one array that weighs every output.

        >>> import numpy as np
        >>> OutputLosses.weights_of(np.array([[1.0, 5.0], [2.0, 6.0]]), 1), OutputLosses.weights_of(None, 1)
        (array([5., 6.]), None)
        """
        if sample_weight is not None and sample_weight.ndim == 2:
            return sample_weight[:, index]
        return sample_weight

    def targets(self, y: Any) -> list[Any]:
        """Each output's targets from the packed rows ``y`` (integer labels for sparse cross-entropy)."""
        parts, start = [], 0
        shapes = [head.target_shape for head in self.heads]
        if self.described:
            start = _SHAPE_COLUMNS * len(self.heads)
            told = [int(v) for v in backend.to_numpy(y[0, :start])] if y.shape[0] else [0] * start
            shapes = [tuple(told[at + 1:at + 1 + told[at]]) for at in range(0, start, _SHAPE_COLUMNS)]
        for head, shape in zip(self.heads, shapes):
            size = math.prod(shape)
            part = y[:, start:start + size].reshape(y.shape[0], *shape)
            parts.append(part.astype(np.int64) if head.loss_name == _SPARSE else part)
            start += size
        return parts

    def predictions(self, pred: Any) -> list[Any]:
        """Each output's values from the packed rows ``pred`` (arrays)."""
        parts, start = [], 0
        for head in self.heads:
            size = int(np.prod(head.out_shape))
            parts.append(pred[:, start:start + size].reshape(pred.shape[0], *head.out_shape))
            start += size
        return parts

    def outputs(self, out: Any) -> list[Tensor]:
        """Each output as a tensor the gradient flows through, from the packed tensor ``out`` (or a list)."""
        if isinstance(out, (list, tuple)):
            return [o if isinstance(o, Tensor) else Tensor(o) for o in out]
        out = out if isinstance(out, Tensor) else Tensor(out)
        parts, start = [], 0
        for head in self.heads:
            size = int(np.prod(head.out_shape))
            part = F.getitem(out, (slice(None), slice(start, start + size)))
            parts.append(F.reshape(part, (out.shape[0], *head.out_shape)))
            start += size
        return parts

    def pack(self, parts: list[Any], dtype: Any) -> Any:
        """The checked targets of each output side by side in one array of ``dtype``; their sample shapes are
        what :meth:`targets` splits by from now on."""
        for head, part in zip(self.heads, parts):
            head.target_shape = tuple(part.shape[1:])
        xp = backend.xp()
        columns = [xp.asarray(part).reshape(part.shape[0], -1).astype(dtype, copy=False) for part in parts]
        if self.described:
            told = []
            for head in self.heads:
                if len(head.target_shape) >= _SHAPE_COLUMNS:
                    raise ShapeError(f"the targets of output {head.name!r} have samples of shape {head.target_shape}; "
                                     f"a model whose outputs' sizes vary with the data takes targets of at most "
                                     f"{_SHAPE_COLUMNS - 1} axes per sample: reshape them.")
                told += [len(head.target_shape), *head.target_shape]
                told += [0] * (_SHAPE_COLUMNS - 1 - len(head.target_shape))
            columns.insert(0, xp.broadcast_to(xp.asarray(told, dtype=dtype), (len(columns[0]), len(told))))
        return xp.concatenate(columns, axis=1)

    def total(self, y: Any, outs: list[Tensor], sample_weight: Any = None, pred: Any = None) -> Tensor:
        """Σ weightᵢ·lossᵢ on a batch over the outputs with a loss (Keras's total), each weighted by its own
        sample weights; ``pred``, the packed predictions, marks the per-output values kept for the logs."""
        values = [head.value(target, out, self.weights_of(sample_weight, index)) if head.trained else None
                  for index, (head, target, out) in enumerate(zip(self.heads, self.targets(y), outs))]
        terms = [value * head.weight for head, value in zip(self.heads, values) if value is not None]
        total = terms[0]  # compile refuses a model whose outputs all have no loss
        for term in terms[1:]:
            total = total + term
        if pred is not None:
            self.last = (pred, [None if value is None else float(value.item()) for value in values])
        return total

    def __call__(self, y_true: Any, y_pred: Any) -> Tensor:
        """The total loss of packed targets and the packed outputs (or the list of them a model's call gives)."""
        return self.total(y_true.data if isinstance(y_true, Tensor) else y_true, self.outputs(y_pred))


class OutputMetric(metrics_module.Metric):
    """A log entry of one output of a model with several outputs, over packed targets and predictions: its
    loss (``metric=None``; the values the step computed, else computed again) or one of its metrics.

    >>> import numpy as np
    >>> both = OutputLosses([OutputLoss("a", "mse", 1.0, (1,)), OutputLoss("b", "mse", 1.0, (1,))])
    >>> m = OutputMetric("b_mae", both, 1, metrics_module.get("mae"))
    >>> m.update_state(np.array([[0.0, 1.0]]), np.array([[5.0, 4.0]])); m.result()
    3.0
    """

    def __init__(self, key: str, outputs: OutputLosses, index: int, metric: metrics_module.Metric | None = None
                 ) -> None:
        super().__init__(name=key)
        self.outputs = outputs
        self.index = index
        if metric is not None and not metric.stateful:
            import copy  # here: only a function metric of a model with several outputs needs its own copy

            metric = copy.copy(metric)  # its running mean is its own, whichever outputs list the same function
            metric.reset_state()
        self.metric = metric
        # the user's own stateful metric gets NumPy arrays (fit converts them), as for a model of one output
        self.host = bool(metric is not None and metric.stateful and metric.host)
        self._direction = "down" if metric is None else metric._direction
        self._total = self._count = 0.0

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        i = self.index
        sample_weight = self.outputs.weights_of(sample_weight, i)
        if self.metric is None:
            last = self.outputs.last
            if last is not None and last[0] is y_pred:
                value = last[1][i]
            else:
                head = self.outputs.heads[i]
                with no_grad():
                    value = float(head.value(self.outputs.targets(y_true)[i],
                                             Tensor(self.outputs.predictions(y_pred)[i]), sample_weight).item())
            n = int(y_pred.shape[0])
            self._total += value * n  # a mean over samples, as Keras's per-output loss trackers weigh batches
            self._count += n
            return
        target, pred = self.outputs.targets(y_true)[i], self.outputs.predictions(y_pred)[i]
        if sample_weight is None:
            self.metric.update_state(target, pred)
        else:
            self.metric.update_state(target, pred, sample_weight)

    def result(self) -> Any:
        if self.metric is None:
            return self._total / self._count if self._count else 0.0
        return self.metric.result()

    def reset_state(self) -> None:
        self._total = self._count = 0.0
        if self.metric is not None:
            self.metric.reset_state()


def _by_output_name(value: Any, names: list[str], argument: str, model: str, example: str, every: bool = False
                    ) -> list[Any]:
    """``value`` given per output (a list or tuple of one entry each, or a dict by output name) as a list in the
    outputs' order; a dict may leave outputs out (None for them) unless ``every``.

    >>> _by_output_name({"b": 2}, ["a", "b"], "loss_weights", "m", "{'a': 1.0, 'b': 1.0}")
    [None, 2]
    """
    listed = ", ".join(map(repr, names))
    if isinstance(value, Mapping):
        missing = next((name for name in names if name not in value), None) if every else None
        if missing is not None:
            raise ConfigError(f"{argument} has no entry for output {missing!r}; model {model!r} has the outputs "
                              f"{listed}, and a dict for {argument} names each of them, e.g. {argument}={example}.")
        extra = next((key for key in value if key not in names), None)
        if extra is not None:
            raise ConfigError(f"{argument} has an entry {extra!r}, which is no output's name; model {model!r} has "
                              f"the outputs {listed}, e.g. {argument}={example}.")
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)):
        if len(value) != len(names):
            raise ConfigError(f"{argument} is a list of {len(value)} but model {model!r} has {len(names)} outputs "
                              f"({listed}); give one entry per output, in that order, or a dict by output name, "
                              f"e.g. {argument}={example}.")
        return list(value)
    raise ConfigError(f"{argument} for model {model!r}, which has {len(names)} outputs ({listed}), must be a list "
                      f"with one entry per output or a dict by output name, e.g. {argument}={example}; got "
                      f"{type(value).__name__} {value!r}.")


def output_losses(model: str, names: list[str], shapes: list[tuple[int, ...]], loss: Any,
                  loss_weights: Any = None) -> OutputLosses:
    """The losses of compile(loss=..., loss_weights=...) for a model of several outputs, as Keras 3 takes them:
    one loss for every output, a list with one per output, or a dict by output name (every output named, None
    for an output left out of the loss); the weights a list or a dict (every output named, None for 1.0). Every
    problem is one sentence, raised before compile changes anything.

    >>> [(h.name, h.loss_name, h.weight) for h in output_losses("m", ["a", "b", "c"], [(3,), (1,), (1,)],
    ...                                                        {"b": "mse", "c": None, "a": "categorical_crossentropy"},
    ...                                                        [1.0, 0.5, None]).heads]
    [('a', 'categorical_crossentropy', 1.0), ('b', 'mse', 0.5), ('c', None, 1.0)]
    """
    listed = ", ".join(map(repr, names))
    example = "{" + ", ".join(f"{name!r}: 'mse'" for name in names) + "}"
    if loss is None:
        raise ConfigError(f"compile needs a loss; model {model!r} has {len(names)} outputs ({listed}): give one loss "
                          f"for all, e.g. loss='mse', a list with one per output, or a dict by output name, e.g. "
                          f"loss={example}.")
    per_output = _by_output_name(loss, names, "loss", model, example, every=True) \
        if isinstance(loss, (Mapping, list, tuple)) else [loss] * len(names)
    if all(given is None for given in per_output):
        one = "{" + ", ".join(f"{name!r}: {'mse' if i == 0 else None!r}" for i, name in enumerate(names)) + "}"
        raise ConfigError(f"loss gives no output of model {model!r} ({listed}) a loss (each is None), so fit would "
                          f"have nothing to train; give at least one output a loss, e.g. loss={one}.")
    weights: list[Any] = [1.0] * len(names)
    if loss_weights is not None:
        if not isinstance(loss, (Mapping, list, tuple)):
            raise ConfigError(f"loss_weights weigh one loss per output, but loss={loss!r} is one loss for all of "
                              f"model {model!r}'s outputs ({listed}); give a loss per output too, e.g. "
                              f"loss={[loss] * len(names)!r}, as Keras requires.")
        weight_example = "{" + ", ".join(f"{name!r}: 1.0" for name in names) + "}"
        weights = _by_output_name(loss_weights, names, "loss_weights", model, weight_example, every=True)
        bad = next(((name, w) for name, w in zip(names, weights) if w is not None and (
                    isinstance(w, bool) or not isinstance(w, (int, float, np.integer, np.floating))
                    or not math.isfinite(w))), None)
        if bad is not None:
            raise ConfigError(f"loss_weights gives output {bad[0]!r} the weight {bad[1]!r}; each weight must be a "
                              "finite number (1.0 or None leaves an output's loss as it is).")
    return OutputLosses([OutputLoss(name, given, 1.0 if weight is None else float(weight), shape)
                         for name, given, weight, shape in zip(names, per_output, weights, shapes)])


def _metric_lists(value: Any, names: list[str], argument: str, model: str) -> list[list[Any]]:
    """compile's metrics (or weighted_metrics) of a model of several outputs: a list of specs for each output."""
    if value is None:
        return [[] for _ in names]
    example = "[" + ", ".join("['mae']" for _ in names) + "]"
    per_output = _by_output_name(value, names, argument, model, example)
    return [[] if specs is None else list(specs) if isinstance(specs, (list, tuple)) else [specs]
            for specs in per_output]


def output_metrics(outputs: OutputLosses, metrics: Any, weighted_metrics: Any, model: str
                   ) -> list[tuple[str, metrics_module.Metric, bool]]:
    """(log key, metric, weighted) for each entry a model of several outputs logs besides ``loss``, in the order
    of Keras 3's ``evaluate`` list: each output's loss (``<output>_loss``), then the metrics by key. Keys are
    Keras's: ``<output>_<metric name>``, a repeated one numbered ``_1``, ``_2``, ...; a weighted metric whose key
    is taken is ``<output>_weighted_<metric name>`` (then numbered).

    >>> both = output_losses("m", ["a", "b"], [(1,), (1,)], "mse")
    >>> [key for key, _, _ in output_metrics(both, {"b": ["mae", "mae"]}, [["mae"], None], "m")]
    ['a_loss', 'b_loss', 'a_mae', 'b_mae', 'b_mae_1']
    """
    names = outputs.names
    plain = _metric_lists(metrics, names, "metrics", model)
    weighted = _metric_lists(weighted_metrics, names, "weighted_metrics", model)
    entries: list[tuple[str, metrics_module.Metric, bool]] = []
    seen: dict[str, int] = {}
    held: list[tuple[metrics_module.Metric, str]] = []  # each stateful object, with where it is listed
    for lists, is_weighted in ((plain, False), (weighted, True)):
        for index, (head, specs) in enumerate(zip(outputs.heads, lists)):
            for spec in specs:
                metric = metrics_module.get(spec, loss=head.loss_name)
                where = f"{'weighted_metrics' if is_weighted else 'metrics'} of output {head.name!r}"
                twice = next((place for other, place in held if other is metric), None)
                if twice is not None:
                    raise ConfigError(f"the metric object {metric.name!r} is listed in {twice} and in {where}, "
                                      "where each needs state of its own; give each place its own object.")
                if metric.stateful:
                    held.append((metric, where))
                key = _metric_key(seen, f"{head.name}_{metric.name}", f"{head.name}_weighted_{metric.name}",
                                  is_weighted)
                entries.append((key, OutputMetric(key, outputs, index, metric), is_weighted))
    losses_logged = [(f"{names[index]}_loss", OutputMetric(f"{names[index]}_loss", outputs, index), True)
                     for index in outputs.logged]
    keys = ["loss", *(key for key, _, _ in losses_logged), *(key for key, _, _ in entries)]
    clash = next((key for key in keys if keys.count(key) > 1), None)
    if clash is not None:
        raise ConfigError(f"two entries of model {model!r}'s logs would both be {clash!r} (each output's loss is "
                          "logged as <output>_loss and its metrics as <output>_<metric>, a repeated name numbered "
                          "_1, _2, ... as in Keras); give the metric another name (name=...).")
    return losses_logged + sorted(entries, key=lambda entry: entry[0])


def _metric_key(seen: dict[str, int], name: str, weighted_name: str, is_weighted: bool) -> str:
    """Keras's ``CompileMetrics.result`` naming: a name seen before is numbered; a weighted metric whose name is
    taken takes ``weighted_name`` (numbered in turn)."""
    if name not in seen:
        seen[name] = 1
        return name
    if is_weighted:
        name = weighted_name
        if name not in seen:
            seen[name] = 1
            return name
    index = seen[name]
    seen[name] += 1
    return f"{name}_{index}"
