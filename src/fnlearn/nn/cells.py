"""Keras's generic recurrent layer and its cells: ``RNN(cell)`` runs a cell over the steps of a sequence;
``SimpleRNNCell``, ``LSTMCell`` and ``GRUCell`` are one step of :class:`~fnlearn.nn.recurrent.SimpleRNN`,
``LSTM`` and ``GRU``; ``StackedRNNCells`` runs several cells one after another in each step; and a cell of one's
own — a ``Layer`` with ``state_size`` and ``call(inputs, states) -> (output, new_states)`` — runs as Keras's guide
"Working with RNNs" writes it.

A cell's step is written with fnlearn's differentiable ops, so its gradients come from the autodiff, and the
``RNN`` layer runs it in a Python loop, one step after another. That is slower than the fused layers
(``LSTM(32)`` computes the same values as ``RNN(LSTMCell(32))``, with a backward written out by hand), which stay
the fast path; the cells are for the models that need a step of their own.

The weights are Keras 3's: ``kernel`` (features, gates·units), ``recurrent_kernel`` (units, gates·units) and
``bias`` (gates·units; a GRU's with ``reset_after=True`` (2, 3·units)), in that order, so ``set_weights`` takes
Keras's and ``RNN(LSTMCell(u))`` gives what ``LSTM(u)`` gives for the same weights.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> rnn = fl.layers.RNN(fl.layers.LSTMCell(4), return_sequences=True)
    >>> rnn(np.ones((2, 3, 5))).shape, [w.shape for w in rnn.get_weights()]
    ((2, 3, 4), [(5, 16), (4, 16), (16,)])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..tensor import Parameter, Tensor
from .layers import (
    LAYERS,
    Layer,
    _activation_name,
    _reject_unknown_kwargs,
    as_input,
    dropout_mask,
    known_features,
)
from .recurrent import (
    WEIGHT_CONSTRAINTS,
    _as_mask,
    _flag,
    _Recurrent,
    checked_states,
    forget_bias,
    refuse_stateful,
    take_constraints,
    weight_config,
    weight_settings,
)


def _columns(t: Tensor, start: int, stop: int) -> Tensor:
    """Columns ``start:stop`` of a (rows, columns) tensor: one gate's block."""
    return F.getitem(t, (slice(None), slice(start, stop)))


class _BuiltinCell(Layer):
    """What the three cells share: settings (checked as the fused layers check theirs), weights made in
    ``build`` with Keras's names, the step's inputs and states checked, and the dropout masks of a sequence."""

    gates = 1
    state_count = 1
    _weight_constraints = WEIGHT_CONSTRAINTS

    def __init__(self, owner: str, units: Any, activation: Any, recurrent_activation: Any, use_bias: Any,
                 initializers_: tuple[Any, Any, Any], regularizers_: tuple[Any, Any, Any], dropout: Any,
                 recurrent_dropout: Any, seed: Any, name: str | None, kwargs: dict[str, Any]) -> None:
        take_constraints(self, kwargs)
        kwargs.pop("implementation", None)  # Keras's choice between two ways to compute the same values
        _reject_unknown_kwargs(owner, kwargs)
        weight_settings(self, owner, units, use_bias, initializers_, regularizers_, dropout, recurrent_dropout, seed)
        # any activation: the autodiff differentiates the step, where the fused layers need the slope from outputs
        self.activation = F.get_activation(activation)
        self.activation_name = _activation_name(activation)
        self.recurrent_activation = F.get_activation(recurrent_activation)
        self.recurrent_activation_name = _activation_name(recurrent_activation)
        super().__init__(name=name, trainable=kwargs.get("trainable", True), dtype=kwargs.get("dtype"))
        self.kernel: Parameter | None = None
        self.recurrent_kernel: Parameter | None = None
        self.bias: Parameter | None = None

    # ------------------------------------------------------------------ Keras's attributes
    @property
    def state_size(self) -> Any:
        """The size of each state: ``units`` for one state (h), ``[units, units]`` for an LSTM's [h, c]."""
        return self.units if self.state_count == 1 else [self.units] * self.state_count

    @property
    def output_size(self) -> int:
        return self.units

    @property
    def input_features(self) -> int | None:
        return None if self.kernel is None else int(self.kernel.shape[0])

    def get_initial_state(self, batch_size: int | None = None) -> list[Tensor]:
        """Zero states for ``batch_size`` sequences, as the RNN layer starts from them (Keras's method).

        >>> [s.shape for s in LSTMCell(3).get_initial_state(batch_size=2)]
        [(2, 3), (2, 3)]
        """
        zeros = backend.xp().zeros((int(batch_size or 1), self.units), dtype=np.dtype(self.dtype))
        return [Tensor(zeros.copy()) for _ in range(self.state_count)]

    # ------------------------------------------------------------------ weights
    def _bias_shape(self) -> tuple[int, ...]:
        return (self.gates * self.units,)

    def _bias_initializer(self) -> Any:
        return self.bias_initializer

    def build(self, input_shape: Any) -> None:
        """Make the weights for steps of ``input_shape`` (batch axis included, Keras's: ``(None, features)``)."""
        features = known_features(tuple(input_shape), f"{type(self).__name__} {self.name!r}")
        width = self.gates * self.units
        with backend.using_dtype(self.dtype):
            self.kernel = self.add_weight(shape=(features, width), initializer=self.kernel_initializer,
                                          regularizer=self.kernel_regularizer, name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, width), initializer=self.recurrent_initializer,
                                                    regularizer=self.recurrent_regularizer, name="recurrent_kernel")
            if self.use_bias:
                self.bias = self.add_weight(shape=self._bias_shape(), initializer=self._bias_initializer(),
                                            regularizer=self.bias_regularizer, name="bias")
        self.built = True

    # ------------------------------------------------------------------ a step
    def _step(self, inputs: Any, states: Any, training: Any) -> tuple[Tensor, list[Tensor], list[Tensor]]:
        """The step's inputs and states checked; returns (inputs after dropout, states, the states after
        recurrent dropout)."""
        who = f"{type(self).__name__} {self.name!r}"
        x = inputs if isinstance(inputs, Tensor) else as_input(inputs, np.dtype(self.dtype), self.name)
        if x.ndim != 2 or x.shape[1] != self.kernel.shape[0]:
            raise ShapeError(f"{who} takes one step of inputs, shape (batch, {self.kernel.shape[0]}), got shape "
                             f"{tuple(x.shape)}; give it a step of the sequences it was built for, or run it over "
                             "the steps with RNN(cell).")
        held = checked_states(states, self, x, who, what="states", one="state")
        x = self._dropped(x, "inputs", self.dropout, training)
        return x, held, [self._dropped(h, "states", self.recurrent_dropout, training) for h in held[:1]] + held[1:]

    def _dropped(self, x: Tensor, which: str, rate: float, training: Any) -> Tensor:
        """``x`` times this sequence's dropout mask for ``which`` (Keras 3's: one mask for every gate, the same
        at every step, drawn at the first step and forgotten when the RNN layer starts the next sequence)."""
        if not training or rate == 0.0:
            return x
        masks = self.__dict__.setdefault("_dropout_masks", {})
        mask = masks.get(which)
        if mask is None or tuple(mask.shape) != tuple(x.shape):
            mask = masks[which] = dropout_mask(self, tuple(x.shape), x.dtype, rate)
        return F.mul(x, Tensor(mask))

    def reset_dropout_mask(self) -> None:
        """Forget the inputs' dropout mask, so the next sequence draws its own (Keras's method)."""
        self.__dict__.get("_dropout_masks", {}).pop("inputs", None)

    def reset_recurrent_dropout_mask(self) -> None:
        """Forget the states' dropout mask, so the next sequence draws its own (Keras's method)."""
        self.__dict__.get("_dropout_masks", {}).pop("states", None)

    @staticmethod
    def _states_out(new: list[Tensor], states: Any) -> Any:
        """New states as the old came: a list for a list, one tensor for one (Keras's rule)."""
        return new if isinstance(states, (list, tuple)) or len(new) > 1 else new[0]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units, "activation": self.activation_name,
                **weight_config(self)}


class SimpleRNNCell(_BuiltinCell):
    """One step of :class:`~fnlearn.nn.recurrent.SimpleRNN`, Keras's ``layers.SimpleRNNCell``:
    ``h = activation(x W + b + h_prev U)``, the output and the one state.

    Run it over a sequence with ``RNN(SimpleRNNCell(units))`` (``SimpleRNN(units)`` computes the same, faster).
    ``dropout`` and ``recurrent_dropout`` drop inputs and the previous state in training, one mask per sequence.

    >>> import fnlearn as fl, numpy as np
    >>> cell = fl.layers.SimpleRNNCell(4)
    >>> out, [h] = cell(np.ones((2, 3)), cell.get_initial_state(batch_size=2))
    >>> out.shape, cell.state_size, [w.shape for w in cell.get_weights()]
    ((2, 4), 4, [(3, 4), (4, 4), (4,)])
    """

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__("SimpleRNNCell", units, activation, None, use_bias,
                         (kernel_initializer, recurrent_initializer, bias_initializer),
                         (kernel_regularizer, recurrent_regularizer, bias_regularizer), dropout, recurrent_dropout,
                         seed, name, kwargs)

    def call(self, inputs: Any, states: Any, training: Any = False) -> tuple[Tensor, Any]:
        x, _, (h,) = self._step(inputs, states, training)
        out = self.activation(F.dense(x, self.kernel, self.bias) + F.matmul(h, self.recurrent_kernel))
        return out, self._states_out([out], states)


class LSTMCell(_BuiltinCell):
    """One step of :class:`~fnlearn.nn.recurrent.LSTM`, Keras's ``layers.LSTMCell``: gates i, f, o
    (``recurrent_activation``) and a candidate g (``activation``) from ``x W + b + h_prev U``; the cell
    ``c = f·c_prev + i·g`` and the output ``h = o·activation(c)``. Two states, ``[h, c]``.

    ``unit_forget_bias=True`` (Keras's default) starts the forget gate's bias at 1.

    >>> import fnlearn as fl, numpy as np
    >>> cell = fl.layers.LSTMCell(4)
    >>> out, [h, c] = cell(np.ones((2, 3)), cell.get_initial_state(batch_size=2))
    >>> out.shape, cell.state_size, cell.bias.numpy()[4:8].tolist()
    ((2, 4), [4, 4], [1.0, 1.0, 1.0, 1.0])
    """

    gates = 4
    state_count = 2

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        self.unit_forget_bias = _flag(unit_forget_bias, "LSTMCell", "unit_forget_bias")
        super().__init__("LSTMCell", units, activation, recurrent_activation, use_bias,
                         (kernel_initializer, recurrent_initializer, bias_initializer),
                         (kernel_regularizer, recurrent_regularizer, bias_regularizer), dropout, recurrent_dropout,
                         seed, name, kwargs)

    def _bias_initializer(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        return lambda shape: forget_bias(self.bias_initializer, shape, self.units)

    def call(self, inputs: Any, states: Any, training: Any = False) -> tuple[Tensor, Any]:
        x, (_, c), (h, _) = self._step(inputs, states, training)
        u = self.units
        z = F.dense(x, self.kernel, self.bias) + F.matmul(h, self.recurrent_kernel)
        i = self.recurrent_activation(_columns(z, 0, u))
        f = self.recurrent_activation(_columns(z, u, 2 * u))
        g = self.activation(_columns(z, 2 * u, 3 * u))
        o = self.recurrent_activation(_columns(z, 3 * u, 4 * u))
        c_new = f * c + i * g
        h_new = o * self.activation(c_new)
        return h_new, [h_new, c_new]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "recurrent_activation": self.recurrent_activation_name,
                "unit_forget_bias": self.unit_forget_bias}


class GRUCell(_BuiltinCell):
    """One step of :class:`~fnlearn.nn.recurrent.GRU`, Keras's ``layers.GRUCell``: an update gate z and a reset
    gate r; ``h = z·h_prev + (1 − z)·activation(x W_h + r·(h_prev U_h + b_h))``.

    ``reset_after=True`` (Keras 3's default) applies r after U_h, with a second bias row (bias of shape
    (2, 3·units): the inputs', then the recurrent product's); ``reset_after=False`` applies it to h_prev before U_h.

    >>> import fnlearn as fl, numpy as np
    >>> cell = fl.layers.GRUCell(4)
    >>> out, [h] = cell(np.ones((2, 3)), cell.get_initial_state(batch_size=2))
    >>> out.shape, cell.bias.shape, fl.layers.GRUCell(4, reset_after=False).state_size
    ((2, 4), (2, 12), 4)
    """

    gates = 3

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, reset_after: bool = True,
                 seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        self.reset_after = _flag(reset_after, "GRUCell", "reset_after")
        super().__init__("GRUCell", units, activation, recurrent_activation, use_bias,
                         (kernel_initializer, recurrent_initializer, bias_initializer),
                         (kernel_regularizer, recurrent_regularizer, bias_regularizer), dropout, recurrent_dropout,
                         seed, name, kwargs)

    def _bias_shape(self) -> tuple[int, ...]:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs: Any, states: Any, training: Any = False) -> tuple[Tensor, Any]:
        x, (h_prev,), (h,) = self._step(inputs, states, training)
        u = self.units
        input_bias, recurrent_bias = self.bias, None
        if self.bias is not None and self.reset_after:
            input_bias, recurrent_bias = F.getitem(self.bias, 0), F.getitem(self.bias, 1)
        xw = F.dense(x, self.kernel, input_bias)
        if self.reset_after:
            hu = F.dense(h, self.recurrent_kernel, recurrent_bias)
            zr = self.recurrent_activation(_columns(xw, 0, 2 * u) + _columns(hu, 0, 2 * u))
            z, r = _columns(zr, 0, u), _columns(zr, u, 2 * u)
            candidate = self.activation(_columns(xw, 2 * u, 3 * u) + r * _columns(hu, 2 * u, 3 * u))
        else:
            kernel = self.recurrent_kernel
            zr = self.recurrent_activation(_columns(xw, 0, 2 * u) + F.matmul(h, _columns(kernel, 0, 2 * u)))
            z, r = _columns(zr, 0, u), _columns(zr, u, 2 * u)
            candidate = self.activation(_columns(xw, 2 * u, 3 * u) + F.matmul(r * h, _columns(kernel, 2 * u, 3 * u)))
        h_new = z * h_prev + (1.0 - z) * candidate
        return h_new, self._states_out([h_new], states)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "recurrent_activation": self.recurrent_activation_name,
                "reset_after": self.reset_after}


# ----------------------------------------------------------------------------- cells in general


def _sizes(state_size: Any, who: str) -> list[int]:
    """The sizes of a cell's states, flattened: ``4`` → [4]; ``[4, 4]`` → [4, 4]; a stack's ``[[4, 4], 8]`` →
    [4, 4, 8]; anything else refused in one sentence."""
    if isinstance(state_size, (int, np.integer)) and not isinstance(state_size, (bool, np.bool_)) and state_size > 0:
        return [int(state_size)]
    if isinstance(state_size, (list, tuple)) and state_size:
        return [size for item in state_size for size in _sizes(item, who)]
    raise ConfigError(f"{who} has state_size={state_size!r}; it must be a whole number of at least 1 (the size of "
                      "its one state) or a list of them, one per state, e.g. [units, units] for [h, c].")


def _nested(flat: list[Any], state_size: Any) -> list[Any]:
    """The flat ``states`` in the structure of ``state_size``, as a cell's call takes them: a list always at the top
    (``[h]`` for a size of one number), and a stack's states grouped by cell."""
    items = iter(flat)

    def group(size: Any) -> Any:
        return [group(s) for s in size] if isinstance(size, (list, tuple)) else next(items)

    return [group(s) for s in state_size] if isinstance(state_size, (list, tuple)) else [next(items)]


def _flat(states: Any) -> list[Any]:
    """Nested lists of states, flattened."""
    if isinstance(states, (list, tuple)):
        return [leaf for item in states for leaf in _flat(item)]
    return [states]


def _output_size(cell: Any, who: str) -> int:
    """A cell's ``output_size``, or the size of its first state (Keras's rule for a cell without one)."""
    size = getattr(cell, "output_size", None)
    if size is None:
        return _sizes(cell.state_size, who)[0]
    if isinstance(size, (bool, np.bool_)) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ConfigError(f"{who} has output_size={size!r}; it must be a whole number of at least 1 (the size of "
                          "each step's output), or leave it out for the size of the first state.")
    return int(size)


def as_cell(cell: Any, owner: str) -> Layer:
    """``cell`` checked as a cell (a Layer with ``state_size``); a config dict names one of fnlearn's cells."""
    if isinstance(cell, dict):  # its config, from a model file or from_config
        cls = CELLS.get(cell.get("class_name")) if isinstance(cell.get("class_name"), str) else None
        config = cell.get("config")
        if cls is None or not isinstance(config, dict):
            raise ConfigError(f"{owner}'s cell config names {cell.get('class_name')!r}, which is not one of "
                              f"fnlearn's cells ({', '.join(CELLS)}); make the cell of your own and pass it, or "
                              "load the model with custom_objects={'YourCell': YourCell}.")
        return cls.from_config(config)
    if isinstance(cell, _Recurrent):
        raise ConfigError(f"{owner} takes a cell, one step of a recurrent layer, got the layer {type(cell).__name__} "
                          f"{cell.name!r}; use the layer on its own, or give {owner} its cell, e.g. "
                          f"RNN({type(cell).__name__}Cell(32)).")
    if isinstance(cell, RNN):
        raise ConfigError(f"{owner} takes a cell, one step of a recurrent layer, got the RNN layer {cell.name!r}; "
                          "give it that layer's cell instead, e.g. RNN(LSTMCell(32)).")
    if not isinstance(cell, Layer):
        raise ConfigError(f"{owner} takes a cell, a keras.layers.Layer with state_size and call(inputs, states) "
                          f"returning (output, new_states), got {type(cell).__name__}; e.g. RNN(LSTMCell(32)).")
    who = f"{owner}'s cell {cell.name!r} ({type(cell).__name__})"
    if getattr(cell, "state_size", None) is None:
        raise ConfigError(f"{who} has no state_size; set it in the cell's __init__ (self.state_size = units, or a "
                          "list such as [units, units] for two states), as Keras's RNN needs it too.")
    _sizes(cell.state_size, who)
    _output_size(cell, who)
    return cell


class StackedRNNCells(Layer):
    """Several cells run one after another in each step, Keras's ``layers.StackedRNNCells`` (``RNN([c1, c2])``
    makes one): each cell reads the output of the one before, the first the step's inputs. Its states are every
    cell's, grouped by cell (``state_size`` a list of the cells'); its output the last cell's.

    >>> import fnlearn as fl, numpy as np
    >>> stack = fl.layers.StackedRNNCells([fl.layers.LSTMCell(4), fl.layers.GRUCell(3)])
    >>> rnn = fl.layers.RNN(stack)
    >>> rnn(np.ones((2, 5, 6))).shape, stack.state_size, len(rnn.get_weights())
    ((2, 3), [[4, 4], 3], 6)
    """

    def __init__(self, cells: Any, name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("StackedRNNCells", kwargs)
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ConfigError(f"StackedRNNCells takes a list of cells, got {cells!r}; e.g. "
                              "StackedRNNCells([LSTMCell(32), LSTMCell(32)]).")
        cells = [as_cell(cell, "StackedRNNCells") for cell in cells]
        super().__init__(name=name, trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype", getattr(cells[0], "dtype", None)))
        self.cells = cells

    @property
    def state_size(self) -> list[Any]:
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self) -> int:
        return _output_size(self.cells[-1], f"StackedRNNCells {self.name!r}'s last cell")

    @property
    def input_features(self) -> int | None:
        return getattr(self.cells[0], "input_features", None)

    def get_initial_state(self, batch_size: int | None = None) -> list[Any]:
        """Each cell's zero states (or those its own ``get_initial_state`` gives), grouped by cell."""
        states = []
        for cell in self.cells:
            own = getattr(cell, "get_initial_state", None)
            states.append(own(batch_size=batch_size) if own is not None else _zero_states(cell, batch_size))
        return states

    def build(self, input_shape: Any) -> None:
        """Build each cell for what it reads: the first for the step's inputs (``input_shape``, Keras's, batch axis
        included), each next one for the output of the one before."""
        step = tuple(input_shape)[1:]
        for cell in self.cells:
            if not cell.built:
                cell.build_for(step)
            step = (_output_size(cell, f"StackedRNNCells {self.name!r}'s cell {cell.name!r}"),)
        self.built = True

    def call(self, inputs: Any, states: Any, training: Any = False) -> tuple[Tensor, list[Any]]:
        given = list(states) if isinstance(states, (list, tuple)) else [states]
        if len(given) != len(self.cells):  # flat states: grouped by the cells' state sizes
            counts = [len(_sizes(cell.state_size, "a cell")) for cell in self.cells]
            if len(_flat(given)) != sum(counts):
                raise ShapeError(f"StackedRNNCells {self.name!r} got {len(_flat(given))} states; its cells take "
                                 f"{sum(counts)} (state_size {self.state_size}), one per state of each cell.")
            given = _nested(_flat(given), self.state_size)
        new_states = []
        # training is each cell's own mode, which a call of the stack sets for the cells inside it too
        for cell, own in zip(self.cells, given):
            inputs, new = cell(inputs, list(own) if isinstance(own, (list, tuple)) else [own])
            new_states.append(list(new) if isinstance(new, (list, tuple)) else [new])
        return inputs, new_states

    def reset_dropout_mask(self) -> None:
        for cell in self.cells:
            getattr(cell, "reset_dropout_mask", lambda: None)()

    def reset_recurrent_dropout_mask(self) -> None:
        for cell in self.cells:
            getattr(cell, "reset_recurrent_dropout_mask", lambda: None)()

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(),
                "cells": [{"class_name": type(cell).__name__, "config": cell.get_config()} for cell in self.cells]}


def fresh_cell(cell: Any, owner: str) -> Layer:
    """A new cell with ``cell``'s settings and weights of its own (Keras copies a cell through its config, as for
    Bidirectional's two layers); a stack, each of its cells so."""
    if isinstance(cell, StackedRNNCells):
        return StackedRNNCells([fresh_cell(inner, owner) for inner in cell.cells], name=cell.name)
    try:
        return type(cell).from_config(cell.get_config())
    except TypeError as exc:
        raise ConfigError(f"{owner} copies the cell {cell.name!r} ({type(cell).__name__}) from its get_config(), "
                          f"which failed: {exc}; give the cell a get_config() returning its __init__ arguments, "
                          "e.g. {**super().get_config(), 'units': self.units}.") from None


def _zero_states(cell: Any, batch_size: int | None) -> list[Tensor]:
    """Zero states of ``cell``'s sizes, for a cell without ``get_initial_state`` of its own."""
    xp = backend.xp()
    dtype = np.dtype(getattr(cell, "dtype", None) or backend.float_dtype())
    return [Tensor(xp.zeros((int(batch_size or 1), size), dtype=dtype))
            for size in _sizes(cell.state_size, f"cell {getattr(cell, 'name', '?')!r}")]


class RNN(Layer):
    """Keras's generic recurrent layer, ``layers.RNN(cell)``: runs ``cell`` over the steps of (batch, steps,
    features) inputs, each step's output and new states from the step's inputs and the states before.

    ``cell`` is one of fnlearn's (``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``), a list of cells (made a
    :class:`StackedRNNCells`) or a cell of one's own: a ``Layer`` with ``state_size`` (an int, or a list of ints for
    several states), weights made in ``build(input_shape)`` with ``add_weight`` and ``call(inputs, states)``
    returning ``(output, new_states)``, as the guide's ``MinimalRNNCell``. The settings are the fused layers':
    ``return_sequences``, ``return_state`` (``[output, *states]``, a stack's states flattened, first cell's
    first), ``go_backwards``, ``initial_state=`` in a call, a mask (``mask=``, or from ``Embedding(mask_zero=True)``
    or ``Masking`` before it) under which a padding step keeps the states and repeats the output before it (zeros
    with ``zero_output_for_mask=True``). ``unroll`` is accepted and changes nothing; ``stateful=True`` is refused.

    Each step runs the cell's ops through the autodiff in a Python loop, so ``RNN(LSTMCell(32))`` is several
    times slower than ``LSTM(32)``, which computes the same values with a backward written out by hand: use the
    fused layers for the built-in cells, and ``RNN`` for a step of one's own.

    >>> import fnlearn as fl, numpy as np
    >>> rnn = fl.layers.RNN(fl.layers.GRUCell(4), return_state=True)
    >>> out, h = rnn(np.ones((2, 3, 5)))
    >>> out.shape, h.shape, rnn.compute_output_shape((3, 5))
    ((2, 4), (2, 4), [(4,), (4,)])
    """

    supports_masking = True

    def __init__(self, cell: Any, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("RNN", kwargs, allow=("input_shape", "input_dim"))
        refuse_stateful(stateful, "RNN")
        self.unroll = _flag(unroll, "RNN", "unroll")  # Keras unrolls its graph; a Python loop is unrolled anyway
        self.return_sequences = _flag(return_sequences, "RNN", "return_sequences")
        self.return_state = _flag(return_state, "RNN", "return_state")
        self.go_backwards = _flag(go_backwards, "RNN", "go_backwards")
        self.zero_output_for_mask = _flag(zero_output_for_mask, "RNN", "zero_output_for_mask")
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(list(cell))
        cell = as_cell(cell, "RNN")
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), input_dim=kwargs.get("input_dim"),
                         trainable=kwargs.get("trainable", True), dtype=kwargs.get("dtype", cell.dtype))
        self.cell = cell
        if self.input_shape is not None:
            self.build(self.input_shape)

    @property
    def state_size(self) -> list[Any]:
        """The cell's state sizes as a list (Keras's attribute): ``[units]`` for one state."""
        size = self.cell.state_size
        return list(size) if isinstance(size, (list, tuple)) else [size]

    def _who(self) -> str:
        return f"RNN layer {self.name!r}"

    def _state_sizes(self) -> list[int]:
        return _sizes(self.cell.state_size, f"{self._who()}'s cell")

    def _step_shape(self, input_shape: Any) -> tuple[Any, ...]:
        shape = tuple(input_shape)
        if len(shape) < 2:
            raise ShapeError(f"{self._who()} takes sequences, samples of shape (steps, features), got samples of shape "
                             f"{shape}; put an Embedding before it for word indices, or reshape each sample to "
                             "(steps, 1) for one number per step.")
        return shape[1:]

    @property
    def built(self) -> bool:
        return self.__dict__.get("_built", False) and bool(getattr(self.__dict__.get("cell"), "built", True))

    @built.setter
    def built(self, value: bool) -> None:
        self.__dict__["_built"] = bool(value)

    def build(self, input_shape: tuple[int, ...]) -> None:
        """Build the cell for one step of samples of ``input_shape`` (steps, features)."""
        step = self._step_shape(input_shape)
        if not self.cell.built:
            self.cell.build_for(step)
        self.built = True

    @property
    def input_features(self) -> int | None:
        return getattr(self.cell, "input_features", None)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> Any:
        self._step_shape(input_shape)
        steps = tuple(input_shape)[0]
        size = _output_size(self.cell, f"{self._who()}'s cell")
        out = (steps, size) if self.return_sequences else (size,)
        return [out, *[(s,) for s in self._state_sizes()]] if self.return_state else out

    def compute_mask(self, inputs: Any, mask: Any) -> Any:
        return mask if self.return_sequences else None

    def get_initial_state(self, batch_size: int) -> list[Tensor]:
        """The states a sequence starts from, flat: the cell's ``get_initial_state``, or zeros."""
        own = getattr(self.cell, "get_initial_state", None)
        states = _flat(own(batch_size=batch_size)) if own is not None else _zero_states(self.cell, batch_size)
        return [as_input(state, np.dtype(self.dtype), self.name) for state in states]

    def _initial_states(self, initial_state: Any, x: Tensor, sizes: list[int]) -> list[Tensor]:
        if initial_state is None:
            given = self.get_initial_state(x.shape[0])
            what = "its cell's get_initial_state gave"
        else:
            given = _flat(initial_state)
            what = "got initial_state with"
        if len(given) != len(sizes):
            raise ShapeError(f"{self._who()} {what} {len(given)} state{'s' * (len(given) != 1)}; its cell takes "
                             f"{len(sizes)} (state_size {self.cell.state_size}), each of shape (batch, size): give "
                             "one per state, e.g. the states an RNN with return_state=True gave.")
        states = []
        for k, (state, size) in enumerate(zip(given, sizes)):
            state = as_input(state, x.dtype, self.name)
            if tuple(state.shape) != (x.shape[0], size):
                raise ShapeError(f"{self._who()} got initial state {k} of shape {tuple(state.shape)}; it takes "
                                 f"(batch, size) = ({x.shape[0]}, {size}), one state per sequence.")
            states.append(state)
        return states

    def forward(self, x: Any, mask: Any = None, initial_state: Any = None) -> Any:
        x = as_input(x, np.dtype(self.dtype), self.name)
        self._step_shape(x.shape[1:])
        if not self.built:
            self.build_for(tuple(x.shape[1:]))
        sizes = self._state_sizes()
        states = self._initial_states(initial_state, x, sizes)
        if mask is not None:
            mask = _as_mask(mask, x, self._who())
        for module in self.cell.modules():  # each sequence draws its own dropout masks, as in Keras
            if isinstance(module, _BuiltinCell):
                module.reset_dropout_mask()
                module.reset_recurrent_dropout_mask()
        n, steps = x.shape[0], x.shape[1]
        size = _output_size(self.cell, f"{self._who()}'s cell")
        xp = backend.xp()
        # what a padding step outputs before any step was read: the first state where it is the output's size (the
        # fused layers' rule, Keras's with JAX), else zeros
        previous = states[0] if sizes[0] == size else Tensor(xp.zeros((n, size), dtype=x.dtype))
        outputs = []
        for t in (reversed(range(steps)) if self.go_backwards else range(steps)):
            out, new = self._run_cell(F.getitem(x, (slice(None), t)), states, sizes, size, first=not outputs)
            if mask is not None:
                on = mask[:, t]
                new = [F.where(on.reshape((n,) + (1,) * (s.ndim - 1)), s, old) for s, old in zip(new, states)]
                out = F.where(on[:, None], out, 0.0 if self.zero_output_for_mask else previous)
            states, previous = new, out
            outputs.append(out)
        if self.return_sequences:
            output = F.stack(outputs, axis=1) if outputs else Tensor(xp.zeros((n, 0, size), dtype=x.dtype))
            if mask is not None:
                output._mask = mask
        else:
            output = previous
        return [output, *states] if self.return_state else output

    def _run_cell(self, step: Tensor, states: list[Tensor], sizes: list[int], size: int,
                  first: bool) -> tuple[Tensor, list[Tensor]]:
        """One step of the cell; what it returns is checked at the first step."""
        result = self.cell(step, _nested(states, self.cell.state_size))
        if not isinstance(result, (list, tuple)) or len(result) != 2:
            raise ConfigError(f"{self._who()}'s cell {self.cell.name!r} returned {type(result).__name__}; a cell's "
                              "call returns (output, new_states), e.g. return output, [output].")
        out, new = result
        new = [s if isinstance(s, Tensor) else as_input(s, step.dtype, self.name) for s in _flat(new)]
        if first:
            shapes = [tuple(s.shape) for s in new]
            wanted = [(step.shape[0], s) for s in sizes]
            if shapes != wanted or not isinstance(out, Tensor) or tuple(out.shape) != (step.shape[0], size):
                given = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
                raise ShapeError(f"{self._who()}'s cell {self.cell.name!r} returned an output of shape {given} and "
                                 f"states of shapes {shapes}, but its output_size and state_size call for "
                                 f"{(step.shape[0], size)} and {wanted}; make call return (output, new_states) of "
                                 "those sizes, or set state_size and output_size to what it returns.")
        return out, new

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(),
                "cell": {"class_name": type(self.cell).__name__, "config": self.cell.get_config()},
                "return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask}


CELLS: dict[str, type[Layer]] = {"SimpleRNNCell": SimpleRNNCell, "LSTMCell": LSTMCell, "GRUCell": GRUCell,
                                 "StackedRNNCells": StackedRNNCells}
LAYERS.update({**CELLS, "RNN": RNN})  # the classes a model file may name

__all__ = ["RNN", "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"]
