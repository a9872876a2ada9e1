"""Module: the container that knows its parameters.

Assigning a :class:`~fnlearn.Parameter` or another :class:`Module` as an attribute registers it, so
``parameters()`` finds every weight of a model however it is nested.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> class Line(fl.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = fl.Parameter(np.ones(1)); self.b = fl.Parameter(np.zeros(1))
    ...     def forward(self, x):
    ...         return self.w * x + self.b
    >>> [name for name, _ in Line().named_parameters()]
    ['w', 'b']
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..data import check_flag
from ..errors import ConfigError, ShapeError
from ..tensor import Parameter, Tensor
from . import regularizers

_calls = threading.local()  # how many module calls (forward passes) are in progress on this thread


@contextlib.contextmanager
def running_forward() -> Iterator[None]:
    """Mark a forward pass in progress: a module called inside another's forward is part of that pass."""
    _calls.depth = getattr(_calls, "depth", 0) + 1
    try:
        yield
    finally:
        _calls.depth -= 1


def inside_forward() -> bool:
    """Whether this call happens inside another module's forward pass (fit's included)."""
    return getattr(_calls, "depth", 0) > 0


class _OwnDefaults:
    """The mode of a Keras call on its own: each layer's own default, as Keras takes a layer's ``training``
    from its ``call`` signature when nothing sets it: inference for Dropout and BatchNormalization, training for
    the augmentation layers (``data_augmentation(images)`` shows augmented images). False where one truth
    value is asked for."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "OWN_DEFAULTS"


OWN_DEFAULTS: Any = _OwnDefaults()


def keras_mode(training: bool | None) -> Any:
    """Keras's rule for a call's mode: a call on its own (not inside another model's forward pass, ``fit``'s
    included) runs each layer in its own default mode (:data:`OWN_DEFAULTS`: inference, but for layers that set
    ``trains_when_called``) unless ``training`` says otherwise; inside one, the pass's mode."""
    return OWN_DEFAULTS if training is None and not inside_forward() else training


@contextlib.contextmanager
def leaving_no_trace(module: Module) -> Iterator[None]:
    """Run ``module`` only to learn a shape: its weights' values (a call's ``assign``) and the losses its modules
    hold (a call's ``add_loss``) are as they were afterwards. Weights the run creates (a lazy build) stay."""
    values = [(p, p.data) for p in module.parameters()]
    added = [(m, m.__dict__.get("_added_losses")) for m in module.modules()]
    try:
        yield
    finally:
        for param, data in values:
            param.data = data
        for owner, losses in added:
            if losses is None:
                owner.__dict__.pop("_added_losses", None)
            else:
                owner.__dict__["_added_losses"] = losses


@contextlib.contextmanager
def holding_state_updates() -> Iterator[list[Callable[[], None]]]:
    """Collect the state updates of the forward passes run inside (BatchNormalization's moving statistics)
    instead of applying them: ``fit`` applies them with the step, and drops them with a step it refuses (a
    non-finite loss), so that the model keeps every value of the last finite step.

    >>> import fnlearn as fl, numpy as np
    >>> bn = fl.layers.BatchNormalization(dtype="float64")
    >>> with holding_state_updates() as updates:
    ...     _ = bn(np.array([[1.0], [3.0]]))
    >>> len(updates), bn.moving_mean.numpy().tolist()
    (1, [0.0])
    >>> updates[0](); bn.moving_mean.numpy().round(6).tolist()
    [0.02]
    """
    previous = getattr(_calls, "held", None)
    _calls.held = held = []
    try:
        yield held
    finally:
        _calls.held = previous


def update_state(update: Callable[[], None]) -> None:
    """Apply a layer's state update now, or hand it to :func:`holding_state_updates` when one is active.

    >>> done = []
    >>> update_state(lambda: done.append("now")); done
    ['now']
    """
    held = getattr(_calls, "held", None)
    if held is None:
        update()
    else:
        held.append(update)


class Symbolic:
    """A placeholder for data, not data: what Keras's functional API passes from layer to layer
    (``keras.Input`` and what a layer returns when called on one). A module called on it hands the call to
    :meth:`through`, which records the call instead of computing anything."""

    def through(self, module: Module, together: list[Symbolic] | None = None, initial_state: Any = None) -> Any:
        """Record ``module(self)``, or ``module(together)`` for a call on a list of placeholders (this one first);
        ``initial_state``, placeholders of a recurrent layer's starting states, when the call passes them."""
        raise NotImplementedError


def _recordable(value: Any, positional: bool) -> bool:
    """Whether a functional model can record ``value`` as an argument of a call on placeholders: a placeholder
    (or, as a keyword, a list of them), or a setting kept in its file (a number, a string, True/False, None)."""
    if isinstance(value, Symbolic):
        return True
    if positional:
        return False
    if isinstance(value, (list, tuple)):
        return bool(value) and all(isinstance(item, Symbolic) for item in value)
    return value is None or isinstance(value, (bool, int, float, str))


class Module:
    """Base class of layers and models: parameter registry, train/eval mode, state dicts."""

    def __init__(self) -> None:
        # what was set before this ran (a subclass setting attributes before super().__init__()) is kept
        object.__setattr__(self, "_parameters", self.__dict__.get("_parameters", {}))
        object.__setattr__(self, "_modules", self.__dict__.get("_modules", {}))
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            Module.__init__(self)  # subclasses that forgot super().__init__() still register
        params, modules = self.__dict__["_parameters"], self.__dict__["_modules"]
        params.pop(name, None)
        modules.pop(name, None)
        if isinstance(value, Parameter):
            params[name] = value
            owner = self.__dict__.get("name")
            if isinstance(owner, str):
                value.placed(owner, name)
            if not self.__dict__.get("_trainable", True):
                value.requires_grad = False  # built after the module was frozen (a lazy Dense)
        elif isinstance(value, Module):
            modules[name] = value
            if not self.__dict__.get("_trainable", True):
                value.trainable = False  # made after the module was frozen (Model(trainable=False) then layers)
        object.__setattr__(self, name, value)

    def forward(self, *args: Any, **kwargs: Any) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define forward().")

    def __call__(self, *args: Any, training: bool | None = None, **kwargs: Any) -> Tensor:
        """Run :meth:`forward`. ``training=False`` / ``True`` runs this one call in eval / training mode
        (Keras's ``model(x, training=False)``: Dropout off); None keeps the module's mode (see :meth:`train`)."""
        first = args[0] if args else None
        if isinstance(first, dict) and any(isinstance(value, Symbolic) for value in first.values()):
            raise ConfigError(f"{type(self).__name__} was called on a dict of keras.Input placeholders, which "
                              "fnlearn's functional models do not record (they record lists of them); call it on a "
                              f"list, {type(self).__name__}()([{', '.join(map(str, first))}]) reading inputs[0], "
                              "inputs[1] in call, or call it on a dict of data.")
        if isinstance(first, Symbolic) or (type(first) in (list, tuple) and first and isinstance(first[0], Symbolic)):
            # training= is the mode fit and predict set, not a recorded setting; a recurrent layer's initial_state
            # is recorded as more inputs of the call (the seq2seq decoder starts from the encoder's states), and so
            # are more placeholders (attention's query and value) and settings of the call (use_causal_mask=True)
            states = kwargs.pop("initial_state", None)
            stray = next(((key, value) for key, value in [*enumerate(args[1:], 1), *kwargs.items()]
                          if not _recordable(value, positional=isinstance(key, int))), None)
            if stray is not None:
                what = f"argument {stray[0] + 1}" if isinstance(stray[0], int) else f"{stray[0]}="
                raise ConfigError(f"{type(self).__name__} was called on a keras.Input placeholder with {what} a "
                                  f"{type(stray[1]).__name__}; fnlearn's functional models record a call's "
                                  "placeholders and its settings that are numbers, strings, True/False or None, so "
                                  "give other values to the layer when it is made.")
            more = {"args": list(args[1:]), "kwargs": kwargs} if len(args) > 1 or kwargs else {}
            if isinstance(first, Symbolic):
                return first.through(self, initial_state=states, **more)
            return first[0].through(self, list(first), initial_state=states, **more)
        depth = getattr(_calls, "depth", 0)
        if depth == 0 and getattr(_calls, "losses_added", False):
            self.clear_losses()  # as in Keras, a call on its own starts the list of its losses afresh
        _calls.depth = depth + 1  # as running_forward(), without a context manager's cost on every layer call
        try:
            if training is None:
                return self.forward(*args, **kwargs)
            code = type(self).forward.__code__
            if "training" in code.co_varnames[1:code.co_argcount + code.co_kwonlyargcount]:
                # a forward that takes it itself
                return self.forward(*args, training=bool(training) if training is OWN_DEFAULTS else training,
                                    **kwargs)
            modes = [(m, m.training) for m in self.modules()]
            if training is OWN_DEFAULTS:
                for module, _ in modes:
                    object.__setattr__(module, "training", bool(getattr(module, "trains_when_called", False)))
            else:
                self.train(bool(training))
            try:
                return self.forward(*args, **kwargs)
            finally:
                for module, mode in modes:
                    object.__setattr__(module, "training", mode)
        finally:
            _calls.depth = depth

    def children(self) -> Iterator[tuple[str, Module]]:
        """The modules inside this one, by name, in the order their attributes were first set (as Keras orders
        them): modules set as attributes, and those held in a list, tuple or dict attribute
        (``self.blocks = [Dense(4), Dense(4)]``, filled before or after it is set) as ``blocks.0``, ``heads.a``."""
        modules = self.__dict__.get("_modules", {})
        seen: set[int] = set()
        for name, value in list(self.__dict__.items()):  # in the order the attributes were first set, as Keras
            if name in modules and modules[name] is value:
                seen.add(id(value))
                yield name, value
            elif not name.startswith("_") and isinstance(value, (list, tuple, dict)):
                # private containers (a Sequential's own list of its layers) are the class's business
                for key, item in (value.items() if isinstance(value, dict) else enumerate(value)):
                    if isinstance(item, Module) and id(item) not in seen:
                        seen.add(id(item))
                        yield f"{name}.{key}", item
        for name, module in modules.items():
            if id(module) not in seen:
                yield name, module

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it, depth first, in registration order."""
        yield self
        for _, child in self.children():
            yield from child.modules()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) for every parameter, each once, in registration order."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            pre, mod = stack.pop(0)
            for name, p in mod.__dict__.get("_parameters", {}).items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield pre + name, p
            stack[0:0] = [(f"{pre}{name}.", child) for name, child in mod.children()]

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    @property
    def trainable(self) -> bool:
        """Whether training updates this module's parameters (Keras's freezing: ``layer.trainable = False``).

        Setting it sets every module inside and every parameter's ``requires_grad`` (PyTorch's way to freeze,
        which fnlearn honours too); ``fit`` trains only the parameters that require gradients.

        >>> import fnlearn as fl
        >>> layer = fl.layers.Dense(2, input_dim=3); layer.trainable = False
        >>> layer.kernel.requires_grad, layer.trainable
        (False, False)
        """
        return self.__dict__.get("_trainable", True)

    @trainable.setter
    def trainable(self, value: bool) -> None:
        check_flag(value, "trainable")
        for module in self.modules():
            object.__setattr__(module, "_trainable", bool(value))
            statistics = getattr(module, "_statistics", False)  # True: every parameter; else a tuple of names
            for name, p in module.__dict__.get("_parameters", {}).items():
                p.requires_grad = bool(value) and not (statistics is True or name in (statistics or ()))

    def trainable_parameters(self) -> list[Parameter]:
        """The parameters training updates: those that require gradients (see :attr:`trainable`)."""
        return [p for p in self.parameters() if p.requires_grad]

    def train(self, mode: bool = True) -> Module:
        """Training mode (Dropout active); ``eval()`` switches it off."""
        object.__setattr__(self, "training", mode)
        for _, child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter as NumPy arrays, by dotted name."""
        return {name: backend.to_numpy(p.data).copy() for name, p in self.named_parameters()}

    def _weight_label(self, name: str) -> str:
        """A parameter's dotted name as a message shows it (a Sequential names its layers, not their positions)."""
        return repr(name)

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy values into the parameters; every name and shape is checked before anything changes."""
        own = dict(self.named_parameters())
        if strict:
            missing = sorted(set(own) - set(state))
            extra = sorted(set(state) - set(own))
            if missing or extra:
                labels = [list(dict.fromkeys(self._weight_label(n) for n in names)) for names in (missing, extra)]
                parts = ([f"they lack the model's {', '.join(labels[0])}"] if missing else []) + \
                    ([f"they hold {', '.join(labels[1])}, which the model does not have"] if extra else [])
                raise ShapeError(f"{' and '.join(parts)}; load weights saved from a model with the same layers.")
        staged = {}
        for name, value in state.items():
            if name not in own:
                continue
            arr = np.asarray(backend.to_numpy(value.data if isinstance(value, Tensor) else value))
            if arr.shape != own[name].shape:
                raise ShapeError(f"the model's {self._weight_label(name)} has shape {own[name].shape} but the "
                                 f"weights given have {arr.shape}; load weights saved from a model with the same "
                                 "layers.")
            staged[name] = arr
        for name, arr in staged.items():
            # copy into the existing array, so anything holding it (an optimizer, a compiled step) sees the values
            p = own[name]
            if getattr(p.data.flags, "writeable", True):
                p.data[...] = backend.to_device(arr.astype(p.data.dtype, copy=False))
            else:
                p.data = backend.to_device(arr.astype(p.data.dtype, copy=True))
            p.grad = None

    def to(self, device: str) -> Module:
        """Move every parameter to ``"cpu"`` or ``"cuda"`` (and make that the current backend).

        A compiled model's optimizer state (momentum, Adam's moments) moves with it, so training goes on
        where it left off. Data given afterwards as NumPy arrays is moved to the device automatically.

        >>> import fnlearn as fl
        >>> m = fl.Sequential([fl.layers.Dense(2, input_dim=3)]).to("cpu")
        >>> type(m.parameters()[0].data).__module__
        'numpy'
        """
        backend.set_device(device)  # refuses an unknown or unavailable device before anything moves
        for p in self.parameters():
            p.data = backend.to_device(backend.to_numpy(p.data))
            p.grad = None
        optimizer = getattr(self, "optimizer", None)
        for state in getattr(optimizer, "state", None) or ():
            for key, value in state.items():
                if hasattr(value, "shape"):
                    state[key] = backend.to_device(backend.to_numpy(value))
        return self

    # ------------------------------------------------------------------ losses added in a forward pass
    def add_loss(self, loss: Any) -> None:
        """Add ``loss`` (a tensor computed in this forward pass, summed if it has several values) to what
        ``fit`` minimises and ``evaluate`` reports, on top of the compiled loss: Keras's ``self.add_loss`` in
        ``call``, for activity regularization or a VAE's KL term.

        >>> import fnlearn as fl, numpy as np
        >>> class Penalised(fl.layers.Layer):
        ...     def call(self, inputs):
        ...         self.add_loss(0.5 * fl.functional.mean(inputs))
        ...         return inputs
        >>> layer = Penalised(); _ = layer(np.ones((2, 3))); [float(v) for v in layer.losses]
        [0.5]
        """
        if not isinstance(loss, Tensor):
            value = np.asarray(backend.to_numpy(loss))
            if value.dtype.kind not in "iuf":
                raise ConfigError(f"add_loss of {type(self).__name__} got {type(loss).__name__}; it takes a "
                                  "tensor computed in call() from the inputs or weights (or a number).")
            loss = Tensor(backend.to_device(value.astype(backend.float_dtype())))
        self.__dict__.setdefault("_added_losses", []).append(loss)
        _calls.losses_added = True

    @property
    def losses(self) -> list[Tensor]:
        """The losses added with :meth:`add_loss` in the last call (of this module and those inside it), then
        the weight penalties (``kernel_regularizer``…), as Keras's ``layer.losses`` lists them."""
        added = [loss for module in self.modules() for loss in module.__dict__.get("_added_losses", ())]
        return added + [regularizers.penalty(regularizer, param) for module in self.modules()
                        if hasattr(module, "penalties")
                        for param, regularizer in module.penalties()]

    def clear_losses(self) -> None:
        """Forget the losses added in earlier calls (``fit`` does it before each step)."""
        if not getattr(_calls, "losses_added", False):
            return  # no add_loss ever ran on this thread: nothing to look for in the modules
        for module in self.modules():
            module.__dict__.pop("_added_losses", None)

    def added_loss(self) -> Tensor | None:
        """The sum of the losses added with :meth:`add_loss` in the last call, None when there are none."""
        if not getattr(_calls, "losses_added", False):
            return None
        total = None
        for module in self.modules():
            for loss in module.__dict__.get("_added_losses", ()):
                term = F.sum(loss) if loss.ndim else loss
                total = term if total is None else total + term
        return total

    def num_parameters(self) -> int:
        return int(sum(p.size for p in self.parameters()))

    count_params = num_parameters  # Keras's name

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every parameter as NumPy arrays, in order (kernel, bias of each layer).

        >>> import fnlearn as fl
        >>> [w.shape for w in fl.layers.Dense(2, input_dim=3).get_weights()]
        [(3, 2), (2,)]
        """
        return [backend.to_numpy(p.data).copy() for p in self.parameters()]

    def set_weights(self, weights: list[Any]) -> None:
        """Set every parameter from a list like :meth:`get_weights`'s; all shapes are checked first."""
        params = self.parameters()
        weights = list(weights)
        if len(weights) != len(params):
            raise ShapeError(f"set_weights got {len(weights)} arrays but {type(self).__name__} has {len(params)} "
                             "parameters; pass a list from get_weights() of the same architecture.")
        names = [name for name, _ in self.named_parameters()]
        self.load_state_dict(dict(zip(names, weights)))

    @property
    def weights(self) -> list[Parameter]:
        """Every parameter (Keras's ``weights``; ``.numpy()`` gives a copy of one)."""
        return self.parameters()

    @property
    def trainable_weights(self) -> list[Parameter]:
        return self.trainable_parameters()

    @property
    def non_trainable_weights(self) -> list[Parameter]:
        return [p for p in self.parameters() if not p.requires_grad]

    # Keras 3's other names for the same lists
    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
