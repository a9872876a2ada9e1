"""Optimizers: step 3 of the lecture, ``θ ← θ − η ∇L``, and its refinements.

Every optimizer keeps per-parameter state, updates the parameters in place, and can be made
Keras-style without parameters (``SGD(learning_rate=0.087)``; ``lr=`` is accepted too) and bound to
a model later by ``compile``. ``learning_rate`` may be a number or a schedule from
:mod:`fnlearn.optim.schedules` (evaluated at the number of steps taken so far).

Example (the low-level loop):
    >>> import fnlearn as fl, numpy as np
    >>> w = fl.Parameter(np.array([1.0, -1.0]))
    >>> opt = fl.optim.SGD([w], learning_rate=0.1)
    >>> loss = (w * w).sum(); loss.backward(); opt.step(); opt.zero_grad()
    >>> w.numpy()
    array([ 0.8, -0.8], dtype=float32)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from . import backend
from .errors import ConfigError, NotReadyError, ShapeError, reject_unexpected_arguments, unknown_name
from .schedules import check_learning_rate, check_positive
from .tensor import Parameter, Tensor


def _check_fraction(name: str, value: Any) -> float:
    if not isinstance(value, (int, float, np.floating)) or isinstance(value, bool) or not 0.0 <= float(value) < 1.0:
        raise ConfigError(f"{name} must be a number in [0, 1), got {value!r}.")
    return float(value)


def _settings(cls: type) -> dict[str, Any]:
    """The keyword settings ``cls.__init__`` takes, with their defaults (``**kwargs`` left out)."""
    import inspect

    return {name: p.default for name, p in inspect.signature(cls.__init__).parameters.items()
            if name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}


class LearningRate(float):
    """An optimizer's learning rate as read from ``optimizer.learning_rate``: a number, which also takes
    ``assign`` as the variable Keras gives there does (``model.optimizer.learning_rate.assign(1e-4)``).

    >>> import fnlearn as fl
    >>> opt = fl.optim.SGD(learning_rate=0.1)
    >>> opt.learning_rate.assign(0.05); opt.learning_rate, opt.learning_rate.numpy()
    (0.05, 0.05)
    """

    _owner: Any

    def __new__(cls, value: float, owner: Optimizer) -> LearningRate:
        import weakref

        rate = super().__new__(cls, value)
        rate._owner = weakref.ref(owner)  # a copy of the number never keeps (or copies) the optimizer
        return rate

    def assign(self, value: Any) -> None:
        """Set the optimizer's learning rate (a number or a schedule), as ``optimizer.learning_rate = value``."""
        owner = self._owner()
        if owner is None:
            raise NotReadyError("this learning rate's optimizer no longer exists; set optimizer.learning_rate "
                                "on the optimizer itself.")
        owner.learning_rate = value

    def numpy(self) -> float:
        return float(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return float, (float(self),)


class Optimizer:
    """Base class: parameter binding, learning rate (number or schedule), clipping, state dicts, and Keras's
    moving average of the weights.

    ``use_ema=True`` keeps an exponential moving average of every parameter, as Keras 3's optimizers do: after each
    step ``average ← ema_momentum·average + (1 − ema_momentum)·weights`` (the first step's weights start it), every
    ``ema_overwrite_frequency`` steps (when given) the weights take the average's values, and at the end of ``fit``
    the model keeps the averages (:meth:`finalize_variable_values`). The averages are saved with the optimizer's
    state; ``keras.callbacks.SwapEMAWeights`` evaluates with them during training.

    >>> import fnlearn as fl, numpy as np
    >>> w = fl.Parameter(np.array([0.0])); opt = fl.optim.SGD([w], learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    >>> for _ in range(2):
    ...     opt.apply([np.array([-1.0])], [w])
    >>> w.data.tolist(), opt.state[0]["average"].tolist()  # the weights 1 then 2: the average 1, then 1.5
    ([2.0], [1.5])
    """

    name = "optimizer"
    counts_steps = False  # whether each update depends on the step count (Adam's bias correction)
    # the weights left out of the decoupled weight decay (exclude_from_weight_decay), and whether the weight being
    # updated now decays, which the rules that decay the weights (AdamW, Muon, ScheduleFreeAdamW) read
    _no_decay: dict[int, Parameter] = {}
    _no_decay_pattern: re.Pattern[str] | None = None
    _decaying = True

    def __init__(self, params: Any = None, learning_rate: Any = 0.01, *, lr: Any = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None, **unknown: Any) -> None:
        if unknown:
            accepted = [name for name in {**_settings(Optimizer), **_settings(type(self))} if name != "params"]
            reject_unexpected_arguments(type(self).__name__, unknown, accepted)
        if lr is not None:
            default = _settings(type(self)).get("learning_rate")
            if learning_rate is not default and learning_rate != default and learning_rate != lr:
                raise ConfigError(f"{type(self).__name__} got lr={lr!r} and learning_rate={learning_rate!r}; lr "
                                  "is the old name of learning_rate, so give only one of them.")
            learning_rate = lr
        self.learning_rate = learning_rate
        self.clipnorm = None if clipnorm is None else check_positive("clipnorm", clipnorm)
        self.clipvalue = None if clipvalue is None else check_positive("clipvalue", clipvalue)
        self.global_clipnorm = None if global_clipnorm is None else check_positive("global_clipnorm",
                                                                                     global_clipnorm)
        if not isinstance(use_ema, (bool, np.bool_)):
            raise ConfigError(f"{type(self).__name__} use_ema must be True or False (keep a moving average of the "
                              f"weights), got {use_ema!r}.")
        if not isinstance(ema_momentum, (int, float, np.floating)) or isinstance(ema_momentum, bool) \
                or not 0.0 <= float(ema_momentum) <= 1.0:
            raise ConfigError(f"{type(self).__name__} ema_momentum must be a number in [0, 1] (the share of the "
                              f"average kept at each step; Keras's default is 0.99), got {ema_momentum!r}.")
        if ema_overwrite_frequency is not None and (isinstance(ema_overwrite_frequency, bool) or not isinstance(
                ema_overwrite_frequency, (int, np.integer)) or ema_overwrite_frequency < 1):
            raise ConfigError(f"{type(self).__name__} ema_overwrite_frequency must be a whole number ≥ 1 (the steps "
                              "between copying the moving average into the weights) or None (only at the end of "
                              f"fit), got {ema_overwrite_frequency!r}.")
        self.use_ema = bool(use_ema)
        self.ema_momentum = float(ema_momentum)
        self.ema_overwrite_frequency = None if ema_overwrite_frequency is None else int(ema_overwrite_frequency)
        self.iterations = 0
        self.params: list[Parameter] | None = None
        self.state: list[dict[str, Any]] = []
        if params is not None:
            self.bind(params)

    # ---------------------------------------------------------------- learning rate
    @property
    def learning_rate(self) -> float:
        """The learning rate the next step uses, as a number, also under a schedule (as Keras's property
        reads): ``float(model.optimizer.learning_rate)`` works in any callback. Assigning a number or a
        schedule replaces what the optimizer follows; :attr:`schedule` gives the schedule itself.

        >>> import fnlearn as fl
        >>> opt = fl.optim.SGD(learning_rate=fl.optim.schedules.ExponentialDecay(0.1, 10, 0.5))
        >>> opt.iterations = 10; round(opt.learning_rate, 6), type(opt.schedule).__name__
        (0.05, 'ExponentialDecay')
        """
        return LearningRate(self.current_learning_rate(), self)

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self._learning_rate = check_learning_rate(value)

    lr = learning_rate

    @property
    def schedule(self) -> Any:
        """The schedule the learning rate follows (evaluated at ``iterations``), or None for a fixed rate."""
        lr = self._learning_rate
        return lr if callable(lr) else None

    def current_learning_rate(self) -> float:
        """The learning rate the next step will use (a schedule is evaluated at ``iterations``)."""
        lr = self._learning_rate
        return float(lr(self.iterations)) if callable(lr) else float(lr)

    # ---------------------------------------------------------------- parameters
    def bind(self, params: Any) -> Optimizer:
        """Attach the parameters to update (a list, or a Module whose ``parameters()`` are used)."""
        if hasattr(params, "parameters") and callable(params.parameters):
            params = params.parameters()
        if isinstance(params, (int, float)):
            raise ConfigError(f"{type(self).__name__}'s first argument is the parameters to train, got the "
                              f"number {params!r}; for a learning rate write "
                              f"{type(self).__name__}(learning_rate={params!r}).")
        params = list(params) if isinstance(params, Iterable) else None
        if not params or not all(isinstance(p, Parameter) for p in params):
            raise ConfigError("an optimizer needs a non-empty list of fl.Parameter objects (or a model); "
                              "pass model.parameters().")
        if self.params is not None and [id(p) for p in params] == [id(p) for p in self.params]:
            return self
        # A parameter bound before keeps its slots (momentum, Adam's moments) when others leave or join,
        # as in PyTorch: freezing a layer between two fits must not reset the rest of the network.
        kept = {id(p): state for p, state in zip(self.params or (), self.state)}
        joining = [p for p in params if id(p) not in kept]
        if self.counts_steps and self.iterations and joining and self.params is not None:
            raise ConfigError(f"this {type(self).__name__} optimizer has taken {self.iterations} steps without "
                              f"{len(joining)} of these parameters (a layer unfrozen since?); their moments would "
                              "start at zero against its step count, so compile again with a new optimizer, "
                              f"e.g. model.compile(optimizer=fl.optim.{type(self).__name__}(...), loss=...).")
        self.params = params
        self.state = [kept.get(id(p), {}) for p in params]
        return self

    def zero_grad(self) -> None:
        for p in self.params or ():
            p.grad = None

    def _clipped(self, grads: list[Any]) -> list[Any]:
        xp = backend.xp()
        if self.clipvalue is not None:
            grads = [None if g is None else xp.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        if self.clipnorm is not None:
            out = []
            for g in grads:
                norm = float(xp.sqrt(xp.sum(g * g))) if g is not None else 0.0
                out.append(g * (self.clipnorm / norm) if g is not None and norm > self.clipnorm else g)
            grads = out
        if self.global_clipnorm is not None:
            total = math.sqrt(sum(float(xp.sum(g * g)) for g in grads if g is not None))
            if total > self.global_clipnorm:
                grads = [None if g is None else g * (self.global_clipnorm / total) for g in grads]
        return grads

    def exclude_from_weight_decay(self, var_list: Any = None, var_names: Any = None) -> None:
        """Leave some weights out of the weight decay (Keras's ``exclude_from_weight_decay``): those of
        ``var_list``, and those whose name holds a match of one of the regular expressions ``var_names``
        (``["bias", "gamma", "beta"]``: the biases and the normalizations' scales and shifts, as transformers are
        fine-tuned). Given before the first step, as Keras requires; each call replaces the last.

        >>> import fnlearn as fl, numpy as np
        >>> w, b = fl.Parameter(np.ones(2), name="kernel"), fl.Parameter(np.ones(2), name="bias")
        >>> opt = fl.optim.AdamW([w, b], learning_rate=0.1, weight_decay=0.5)
        >>> opt.exclude_from_weight_decay(var_names=["bias"])
        >>> opt.decays(w), opt.decays(b)
        (True, False)
        """
        if self.iterations:
            raise ConfigError(f"exclude_from_weight_decay was called after {self.iterations} step(s) of "
                              f"{type(self).__name__}; call it before training, right after making the optimizer, "
                              "as Keras requires.")
        weights = list(var_list or [])
        names = [var_names] if isinstance(var_names, str) else list(var_names or [])
        stray = next((v for v in weights if not isinstance(v, Parameter)), None)
        if stray is not None or not all(isinstance(n, str) for n in names):
            given = f"a {type(stray).__name__} in var_list" if stray is not None else f"var_names={var_names!r}"
            raise ConfigError(f"exclude_from_weight_decay got {given}; give var_list as weights "
                              "(model.trainable_weights[...]) and var_names as strings, e.g. var_names=['bias'].")
        try:
            pattern = re.compile("|".join(sorted(set(names)))) if names else None
        except re.error as exc:
            raise ConfigError(f"exclude_from_weight_decay got var_names={names!r}, which is no regular expression "
                              f"({exc}); give words such as 'bias', or escape the special characters.") from None
        self._no_decay = {id(v): v for v in weights}  # the weights themselves held: their ids stay theirs
        self._no_decay_pattern = pattern

    def decays(self, param: Parameter) -> bool:
        """Whether the weight decay (of the optimizers that have one) applies to ``param``: not for the weights
        :meth:`exclude_from_weight_decay` leaves out."""
        if self._no_decay.get(id(param)) is param:
            return False
        return self._no_decay_pattern is None or self._no_decay_pattern.search(str(param.name or "")) is None

    @property
    def excludes_from_weight_decay(self) -> bool:
        """Whether some weights are left out of the weight decay: the fast step's single update of every weight at
        once then gives way to an update per weight."""
        return bool(self._no_decay) or self._no_decay_pattern is not None

    def step(self) -> None:
        """Apply one update to every bound parameter that has a gradient."""
        if self.params is None:
            raise NotReadyError("this optimizer has no parameters yet; create it with the parameters "
                                "(SGD(model.parameters(), ...)) or compile a model with it.")
        lr = self.current_learning_rate()
        grads = [p.grad for p in self.params]
        if self.clipvalue is not None or self.clipnorm is not None or self.global_clipnorm is not None:
            grads = self._clipped(grads)
        self.iterations += 1
        excluding = self.excludes_from_weight_decay
        for p, g, state in zip(self.params, grads, self.state):
            if g is not None:
                self._decaying = self.decays(p) if excluding else True
                self.apply_rule(p.data, g, state, lr)
                if p.constraint is not None and not self.use_ema:  # right after the update, as Keras's apply
                    p.apply_constraint()
        self._decaying = True
        if self.use_ema:  # Keras averages the weights as the rule left them, then applies the constraints
            self._follow_averages()
            for p, g in zip(self.params, grads):
                if g is not None and p.constraint is not None:
                    p.apply_constraint()

    def _follow_averages(self) -> None:
        """One step of every parameter's moving average (its ``average`` slot), then, every
        ``ema_overwrite_frequency`` steps, the weights set to it: Keras 3's order and arithmetic (the momentum in the
        weights' dtype, 0 at the first step, so the average starts at the first step's weights)."""
        overwrite = self.ema_overwrite_frequency is not None and self.iterations % self.ema_overwrite_frequency == 0
        for p, state in zip(self.params, self.state):
            average = state.get("average")
            if average is None or self.iterations == 1:
                average = state["average"] = p.data.copy()  # a parameter joining later starts at its weights too
            else:
                momentum = p.data.dtype.type(self.ema_momentum)
                average *= momentum
                average += (1 - momentum) * p.data
            if overwrite:
                p.data[...] = average

    def finalize_variable_values(self, var_list: Any) -> None:
        """What ``fit`` does at its end, as Keras's: with ``use_ema=True``, the parameters of ``var_list`` (a
        model's ``trainable_weights``) take their moving averages' values; otherwise nothing.

        >>> import fnlearn as fl, numpy as np
        >>> w = fl.Parameter(np.array([0.0])); opt = fl.optim.SGD([w], learning_rate=1.0, use_ema=True)
        >>> opt.apply([np.array([-1.0])], [w]); opt.apply([np.array([-1.0])], [w])
        >>> opt.finalize_variable_values([w])
        >>> round(float(w.data[0]), 4)  # 0.99·1 + 0.01·2
        1.01
        """
        if not self.use_ema:
            return
        wanted = {id(p) for p in var_list}
        for p, state in zip(self.params or (), self.state):
            if id(p) in wanted and state.get("average") is not None:
                p.data[...] = state["average"]

    def apply(self, grads: Any, trainable_variables: Any = None) -> None:
        """One step from the gradients ``grads`` of ``trainable_variables`` (the parameters bound to it when
        None), Keras 3's ``optimizer.apply``: a custom training loop's
        ``loss.backward(); optimizer.apply([p.grad for p in params], params)``. A gradient of None skips its
        parameter. The parameters' own ``.grad`` are left as they were.

        >>> import fnlearn as fl, numpy as np
        >>> w = fl.Parameter(np.array([1.0, 2.0])); opt = fl.optim.SGD(learning_rate=0.5)
        >>> opt.apply([np.array([1.0, -1.0])], [w]); w.data.tolist()
        [0.5, 2.5]
        """
        params = self.params if trainable_variables is None else list(trainable_variables)
        grads = list(grads) if grads is not None else []
        if params is None:
            raise NotReadyError("optimizer.apply(grads) got no trainable_variables and the optimizer has no "
                                "parameters yet; pass them: optimizer.apply(grads, model.trainable_weights).")
        stray = next((p for p in params if not isinstance(p, Parameter)), None)
        if stray is not None or len(grads) != len(params):
            what = f"a {type(stray).__name__} among the variables" if stray is not None else \
                f"{len(grads)} gradients for {len(params)} variables"
            raise ConfigError(f"optimizer.apply got {what}; give one gradient (or None) per parameter, in the same "
                              "order, e.g. optimizer.apply(grads, model.trainable_weights).")
        arrays = [None if g is None else backend.xp().asarray(g.data if isinstance(g, Tensor) else g,
                                                                dtype=p.data.dtype) for g, p in zip(grads, params)]
        wrong = next(((p, g) for p, g in zip(params, arrays) if g is not None and g.shape != p.data.shape), None)
        if wrong is not None:
            raise ShapeError(f"optimizer.apply got a gradient of shape {tuple(wrong[1].shape)} for a parameter of "
                             f"shape {tuple(wrong[0].data.shape)}; give each parameter's gradient in its order.")
        self.bind(params)
        kept = [p.grad for p in params]
        try:
            for p, g in zip(params, arrays):
                p.grad = g
            self.step()
        finally:
            for p, g in zip(params, kept):
                p.grad = g

    def apply_gradients(self, grads_and_vars: Any) -> None:
        """Keras's ``apply_gradients(zip(grads, variables))``: :meth:`apply` on the pairs."""
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def update(self, param: Any, grad: Any, state: dict[str, Any], lr: float) -> None:
        """Change ``param`` in place from ``grad``; subclasses write their rule here."""
        raise NotImplementedError

    def apply_rule(self, param: Any, grad: Any, state: dict[str, Any], lr: Any) -> None:
        """:meth:`update`, run piece by piece on a large NumPy array where the rule is elementwise.

        A rule such as RMSprop's makes five or six passes over its arrays. Over a whole 670,000-weight
        MLP (2.7 MB per array in float32) each pass streams from memory; over pieces of 64,000 weights the
        parameter, gradient, slots and scratch stay in the core's cache between passes (measured:
        RMSprop's update 3.3 ms as plain NumPy expressions, 1.6 ms written into scratch arrays, 1.2 ms in
        pieces). A subclass's own ``update`` (or SGD's ``update_prescaled``) runs whole: it may not be
        elementwise.

        >>> import fnlearn as fl
        >>> w = fl.backend.xp().ones(200_000, "float32"); g = w * 0.5
        >>> opt = RMSprop(learning_rate=0.1); state = {}; opt.apply_rule(w, g, state, 0.1)
        >>> round(float(w[0]), 4), round(float(w[-1]), 4), state["v"].shape
        (0.6838, 0.6838, (200000,))
        """
        piece = _PIECE_BYTES // param.dtype.itemsize
        whole = backend.xp() is not np or param.size < 2 * piece or not _elementwise(type(self))
        if not whole:
            for name, fill in (self._slots() or {}).items():
                if name not in state:  # made whole here: update, seeing a piece, would make a piece-sized one
                    state[name] = np.full_like(param, fill)
            arrays = [param, grad, *state.values()]
            whole = not all(a.flags.c_contiguous and a.shape == param.shape for a in arrays)
        if whole:
            self.update(param, grad, state, lr)
        else:
            flat = [a.reshape(-1) for a in arrays]
            names = list(state)
            for lo in range(0, param.size, piece):
                hi = lo + piece
                self.update(flat[0][lo:hi], flat[1][lo:hi], {k: a[lo:hi] for k, a in zip(names, flat[2:])}, lr)
        self.flush_subnormal(state)

    def flush_subnormal(self, state: dict[str, Any]) -> None:
        """Every 16th step on the CPU, set slot values within 2²⁴ of the subnormal range (below 2e-31 in
        float32) to 0.

        A weight whose gradient stays 0 (a pixel that is 0 in every image, a dead ReLU) has its moving
        averages shrink by ρ each step until they are subnormal, and x86 cores take ~100 times longer for
        arithmetic on subnormal numbers: on MNIST-like data RMSprop's update of a 784-512-512-10 MLP went
        from 1.2 to 14 ms per step after three epochs. Zeroing them is what a core's flush-to-zero mode
        does. The margin above the subnormal range zeroes values before they get there (16 steps at
        ρ ≥ 0.35 shrink a value by less than 2²⁴), so none is left subnormal between two flushes (in situ,
        batch 32: 1.8 ms per update with the flush at the subnormal range itself, 1.5 ms with the margin). It
        changes no step that float32 can show: √v ≤ 5e-16 next to ε (RMSprop's 1e-7 is unchanged by it;
        Adam's 1e-8 moves by a few units in the last place, on a step that is then below 1e-9 of η), or a
        momentum below 2e-31. GPUs handle subnormals at full speed. Only the built-in rules' slots
        (:meth:`slot_init`'s names) are flushed: a subclass's state of its own may divide by such a value.

        >>> import numpy as np
        >>> opt = RMSprop(learning_rate=0.1); opt.iterations = 16; state = {"v": np.array([1e-40, 1e-30], "float32")}
        >>> opt.flush_subnormal(state); state["v"].tolist()[0]
        0.0
        """
        if self.iterations % _FLUSH_EVERY:
            return
        for name in self._slots() or ():
            slot = state.get(name)
            if isinstance(slot, np.ndarray) and slot.dtype.kind == "f":  # a host array: the CPU's arithmetic
                np.putmask(slot, np.abs(slot) < np.finfo(slot.dtype).tiny * _FLUSH_MARGIN, 0)

    def _scratch(self, like: Any, index: int = 0) -> Any:
        """A scratch array shaped as ``like`` for an update's intermediate values, kept from step to step:
        an update then allocates nothing (and a captured CUDA graph replays with the same buffers).
        Each rule uses ``index`` 0 and 1; a rule calling another passes on the higher one."""
        key = (index, like.dtype, type(like), backend.device_key(like))
        views = self.__dict__.setdefault("_scratch_views", {})
        view = views.get((key, like.shape))  # the view made before for this shape: one lookup per call
        if view is not None:
            return view
        buffers = self.__dict__.setdefault("_scratch_buffers", {})
        buf = buffers.get(key)
        if buf is None or buf.size < like.size:
            buf = buffers[key] = backend.xp().empty(like.size, dtype=like.dtype)
            views.clear()  # views of a smaller buffer would keep it alive; they are made again from this one
        view = views[(key, like.shape)] = buf[:like.size].reshape(like.shape)
        return view

    def slot_init(self) -> dict[str, float] | None:
        """The state arrays ``update`` keeps per parameter and their initial fill value, or None when the
        update cannot run on all parameters concatenated into one flat array (per-parameter clipnorm).

        The fast training step uses this to update every parameter with one call on one flat buffer."""
        return None if self.clipnorm is not None else self._slots()

    def _slots(self) -> dict[str, float] | None:
        return None

    def slot_shape(self, name: str, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of slot ``name`` of a parameter of ``shape``: the parameter's own, except for a rule that
        keeps less (Adafactor's row and column averages)."""
        return tuple(shape)

    # ---------------------------------------------------------------- saving
    def hyperparameters(self) -> dict[str, Any]:
        return {}

    def get_config(self) -> dict[str, Any]:
        lr = self._learning_rate
        lr_config = lr.get_config() if hasattr(lr, "get_config") else (lr if not callable(lr) else None)
        config = {"name": self.name, "learning_rate": lr_config, **self.hyperparameters()}
        for key in ("clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(self, key) is not None:
                config[key] = getattr(self, key)
        if self.use_ema:
            config.update(use_ema=True, ema_momentum=self.ema_momentum,
                          ema_overwrite_frequency=self.ema_overwrite_frequency)
        return config

    def state_dict(self) -> dict[str, Any]:
        """Step count and per-parameter slot arrays (NumPy copies), for resuming training exactly."""
        return {"iterations": self.iterations,
                "state": [{k: (backend.to_numpy(v).copy() if hasattr(v, "shape") else v) for k, v in s.items()}
                          for s in self.state]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned; every slot is checked before anything changes."""
        slots = state.get("state", [])
        if self.params is not None and len(slots) != len(self.params):
            raise ConfigError(f"optimizer state has {len(slots)} parameter slots but the optimizer has "
                              f"{len(self.params)} parameters; load state saved from the same model.")
        params = self.params if self.params is not None else [None] * len(slots)
        staged = []
        for i, (slot, p) in enumerate(zip(slots, params)):
            arrays = {}
            for key, value in slot.items():
                if not hasattr(value, "shape"):
                    arrays[key] = value
                    continue
                arr = np.asarray(backend.to_numpy(value), dtype=None if p is None else p.data.dtype)
                if p is not None and arr.shape != self.slot_shape(key, tuple(p.shape)):
                    raise ConfigError(f"optimizer slot {key!r} of parameter {i} has shape {arr.shape}, but the "
                                      f"parameter has shape {p.shape}; load state saved from the same model.")
                arrays[key] = backend.to_device(arr.copy())
            staged.append(arrays)
        self.state = staged
        self.iterations = int(state.get("iterations", 0))

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={v}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({items})"


class SGD(Optimizer):
    """Gradient descent, with the lecture's momentum.

    Plain: ``θ ← θ − η g``.
    Momentum (λ = ``momentum``): ``m ← λ m − η g;  θ ← θ + m`` — the lecture's form; for a constant η
    it is the same trajectory as PyTorch's ``b ← λ b + g; θ ← θ − η b``.
    Nesterov: ``m ← λ m − η g;  θ ← θ + λ m − η g``.
    """

    name = "sgd"

    def __init__(self, params: Any = None, learning_rate: Any = 0.01, momentum: float = 0.0,
                 nesterov: bool = False, **kwargs: Any) -> None:
        self.momentum = _check_fraction("momentum", momentum)
        if nesterov and self.momentum == 0.0:
            raise ConfigError("nesterov=True needs a momentum > 0, e.g. SGD(momentum=0.9, nesterov=True).")
        self.nesterov = bool(nesterov)
        super().__init__(params, learning_rate, **kwargs)

    def update(self, param: Any, grad: Any, state: dict[str, Any], lr: float) -> None:
        step = backend.xp().multiply(grad, lr, out=self._scratch(param))
        self.update_prescaled(param, step, state)

    def update_prescaled(self, param: Any, step: Any, state: dict[str, Any]) -> None:
        """The same rule given ``step`` = η·g: fnlearn's fast training step folds η into its backward pass,
        so its gradients come out already scaled and the update needs no pass of its own to scale them.

        >>> import numpy as np
        >>> w = np.ones(2); SGD(learning_rate=0.5).update_prescaled(w, np.array([0.5, 1.0]), {}); w
        array([0.5, 0. ])
        """
        if self.momentum == 0.0:
            param -= step
            return
        m = state.get("m")
        if m is None:
            m = state["m"] = backend.xp().zeros_like(param)
        m *= self.momentum
        m -= step
        if self.nesterov:
            ahead = backend.xp().multiply(m, self.momentum, out=self._scratch(param, 1))
            ahead -= step
            param += ahead
        else:
            param += m

    def _slots(self) -> dict[str, float]:
        return {"m": 0.0} if self.momentum else {}

    def hyperparameters(self) -> dict[str, Any]:
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class Adagrad(Optimizer):
    """Each parameter's step shrinks with its own history: ``G ← G + g²;  θ ← θ − η g / (√G + ε)``.

    Defaults follow Keras: η = 0.001, G₀ = 0.1, ε = 1e-7.
    """

    name = "adagrad"

    def __init__(self, params: Any = None, learning_rate: Any = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, **kwargs: Any) -> None:
        self.initial_accumulator_value = check_positive("initial_accumulator_value", initial_accumulator_value,
                                                         allow_zero=True)
        self.epsilon = check_positive("epsilon", epsilon, allow_zero=True)
        super().__init__(params, learning_rate, **kwargs)

    def update(self, param: Any, grad: Any, state: dict[str, Any], lr: float) -> None:
        xp = backend.xp()
        acc = state.get("accumulator")
        if acc is None:
            acc = state["accumulator"] = xp.full_like(param, self.initial_accumulator_value)
        acc += xp.multiply(grad, grad, out=self._scratch(param))
        denom = xp.sqrt(acc, out=self._scratch(param))
        denom += self.epsilon
        param -= _scaled_ratio(xp, grad, lr, denom, self._scratch(param, 1))

    def _slots(self) -> dict[str, float]:
        return {"accumulator": self.initial_accumulator_value}

    def hyperparameters(self) -> dict[str, Any]:
        return {"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon}


class RMSprop(Optimizer):
    """A moving average of squared gradients sets each step: ``v ← ρ v + (1 − ρ) g²;  θ ← θ − η g / (√v + ε)``.

    With ``momentum`` μ: ``b ← μ b + g / (√v + ε);  θ ← θ − η b``. ``centered`` divides by the
    running variance instead. Default values as Keras's (η = 0.001, ρ = 0.9, ε = 1e-7), but ε is added to
    √v as PyTorch does, where Keras adds it under the root, √(v + ε): while v is tiny (the first steps, or
    rarely active weights) Keras's steps are then much shorter, so the two drift apart.
    """

    name = "rmsprop"

    def __init__(self, params: Any = None, learning_rate: Any = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, **kwargs: Any) -> None:
        self.rho = _check_fraction("rho", rho)
        self.momentum = _check_fraction("momentum", momentum)
        self.epsilon = check_positive("epsilon", epsilon, allow_zero=True)
        self.centered = bool(centered)
        super().__init__(params, learning_rate, **kwargs)

    def update(self, param: Any, grad: Any, state: dict[str, Any], lr: float) -> None:
        xp = backend.xp()
        v = state.get("v")
        if v is None:
            v = state["v"] = xp.zeros_like(param)
        v *= self.rho
        v += _squared_share(xp, grad, 1 - self.rho, self._scratch(param))
        denom = self._scratch(param)
        if self.centered:
            mg = state.get("mean_grad")
            if mg is None:
                mg = state["mean_grad"] = xp.zeros_like(param)
            mg *= self.rho
            mg += xp.multiply(grad, 1 - self.rho, out=denom)
            xp.multiply(mg, mg, out=denom)
            xp.subtract(v, denom, out=denom)
            xp.sqrt(denom, out=denom)
        else:
            xp.sqrt(v, out=denom)
        denom += self.epsilon
        other = self._scratch(param, 1)
        if self.momentum > 0:
            b = state.get("b")
            if b is None:
                b = state["b"] = xp.zeros_like(param)
            b *= self.momentum
            b += xp.divide(grad, denom, out=other)
            param -= xp.multiply(b, lr, out=other)
        else:
            param -= _scaled_ratio(xp, grad, lr, denom, other)

    def _slots(self) -> dict[str, float]:
        slots = {"v": 0.0}
        if self.centered:
            slots["mean_grad"] = 0.0
        if self.momentum > 0:
            slots["b"] = 0.0
        return slots

    def hyperparameters(self) -> dict[str, Any]:
        return {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered}


class _Moments(Optimizer):
    """The rules that keep a moving mean of the gradients (β₁) and of their size (β₂), with an ε: Adam, Adamax,
    Nadam. Each step's factors depend on the step count."""

    counts_steps = True
    second = "v"  # the name of the slot that follows the gradients' size

    def __init__(self, params: Any, learning_rate: Any, beta_1: float, beta_2: float, epsilon: float,
                 **kwargs: Any) -> None:
        self.beta_1 = _check_fraction("beta_1", beta_1)
        self.beta_2 = _check_fraction("beta_2", beta_2)
        self.epsilon = check_positive("epsilon", epsilon, allow_zero=True)
        super().__init__(params, learning_rate, **kwargs)

    def _moments(self, param: Any, state: dict[str, Any]) -> tuple[Any, Any]:
        """The two slots of ``param``, made (zeros) at its first step."""
        if "m" not in state:
            xp = backend.xp()
            state["m"], state[self.second] = xp.zeros_like(param), xp.zeros_like(param)
        return state["m"], state[self.second]

    def _slots(self) -> dict[str, float]:
        return {"m": 0.0, self.second: 0.0}

    def hyperparameters(self) -> dict[str, Any]:
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Adam(_Moments):
    """Momentum plus RMSprop, with bias correction (the lecture's optimizer deck):

    ``m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;  m̂ = m / (1 − β₁ᵗ);  v̂ = v / (1 − β₂ᵗ);``
    ``θ ← θ − η m̂ / (√v̂ + ε)`` with β₁ = 0.9, β₂ = 0.999, ε = 1e-8, η = 0.001 by default.

    ``amsgrad=True`` divides by the largest v seen so far, ``v_max ← max(v_max, v)``, in place of v (Keras's and
    PyTorch's AMSGrad), so a parameter's step can only shrink as its gradients' size falls.

    >>> import fnlearn as fl, numpy as np
    >>> w = fl.Parameter(np.array([1.0])); opt = Adam([w], learning_rate=0.1, beta_2=0.5, amsgrad=True)
    >>> for g in (1.0, 0.1):
    ...     w.grad = fl.backend.to_device(np.array([g])); opt.step()
    >>> round(float(w.numpy()[0]), 4)  # 0.8097 without amsgrad: the second step would be longer
    0.8355
    """

    name = "adam"
    counts_steps = True

    def __init__(self, params: Any = None, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, betas: tuple[float, float] | None = None, eps: float | None = None,
                 amsgrad: bool = False, **kwargs: Any) -> None:
        if betas is not None:
            beta_1, beta_2 = betas
        if not isinstance(amsgrad, (bool, np.bool_)):
            raise ConfigError(f"{type(self).__name__}(amsgrad={amsgrad!r}): amsgrad must be True or False.")
        self.amsgrad = bool(amsgrad)
        self.correction_buffers: tuple[Any, Any] | None = None
        super().__init__(params, learning_rate, beta_1, beta_2, epsilon if eps is None else eps, **kwargs)

    def update(self, param: Any, grad: Any, state: dict[str, Any], lr: float) -> None:
        xp = backend.xp()
        m, v = self._moments(param, state)
        denom = self._scratch(param)
        m *= self.beta_1
        m += xp.multiply(grad, 1 - self.beta_1, out=denom)
        v *= self.beta_2
        v += _squared_share(xp, grad, 1 - self.beta_2, denom)
        if self.amsgrad:
            # the maximum of the raw v, bias-corrected below with this step's t, as Keras and PyTorch keep it
            v_max = state.get("v_max")
            if v_max is None:
                v_max = state["v_max"] = xp.zeros_like(param)
            xp.maximum(v_max, v, out=v_max)
            v = v_max
        xp.sqrt(v, out=denom)
        if self.correction_buffers is None:
            t = self.iterations
            step_size = lr / (1 - self.beta_1 ** t)
            denom /= math.sqrt(1 - self.beta_2 ** t)
        else:  # read on the device, so that a replayed CUDA graph sees each step's own t
            c1, c2 = self.correction_buffers
            step_size = lr * c1
            denom *= c2
        denom += self.epsilon
        param -= _scaled_ratio(xp, m, step_size, denom, self._scratch(param, 1))

    def corrections(self, t: int) -> tuple[float, float]:
        """The bias corrections of step ``t`` as factors: 1 / (1 − β₁ᵗ) and 1 / √(1 − β₂ᵗ).

        With ``correction_buffers`` set (two 0-d device arrays, by ``fnlearn.gpu``'s graph capture), the
        update multiplies by the buffers instead of computing these from the host's step count; the
        caller writes ``corrections(t)`` into them before each step.

        >>> [round(c, 4) for c in Adam(learning_rate=0.1).corrections(1)]
        [10.0, 31.6228]
        """
        return 1.0 / (1.0 - self.beta_1 ** t), 1.0 / math.sqrt(1.0 - self.beta_2 ** t)

    def _slots(self) -> dict[str, float]:
        return {**super()._slots(), **({"v_max": 0.0} if self.amsgrad else {})}

    def hyperparameters(self) -> dict[str, Any]:
        # amsgrad only when on, so a plain Adam's saved config is what it always was
        return {**super().hyperparameters(), **({"amsgrad": True} if self.amsgrad else {})}


class AdamW(Adam):
    """Adam with decoupled weight decay: ``θ ← θ (1 − η λ)`` before each Adam step (λ = 0.004 by default, as
    Keras 3's; PyTorch's is 0.01), but for the weights :meth:`exclude_from_weight_decay` leaves out."""

    name = "adamw"

    def __init__(self, params: Any = None, learning_rate: Any = 0.001, weight_decay: float = 0.004,
                 **kwargs: Any) -> None:
        self.weight_decay = check_positive("weight_decay", weight_decay, allow_zero=True)
        super().__init__(params, learning_rate, **kwargs)

    def update(self, param: Any, grad: Any, state: dict[str, Any], lr: float) -> None:
        if self._decaying:
            param *= 1 - lr * self.weight_decay
        super().update(param, grad, state, lr)

    def hyperparameters(self) -> dict[str, Any]:
        return {**super().hyperparameters(), "weight_decay": self.weight_decay}


class Adamax(_Moments):
    """Adam with the largest recent gradient in place of the root mean square (Keras's Adamax):

    ``m ← β₁ m + (1 − β₁) g;  u ← max(β₂ u, |g|);  θ ← θ − η m / ((1 − β₁ᵗ)(u + ε))``, with Keras's defaults
    η = 0.001, β₁ = 0.9, β₂ = 0.999, ε = 1e-7.

    >>> import fnlearn as fl, numpy as np
    >>> w = fl.Parameter(np.array([1.0, -1.0])); w.grad = fl.backend.to_device(np.array([0.5, -2.0]))
    >>> opt = Adamax([w], learning_rate=0.1); opt.step(); [round(float(v), 4) for v in w.numpy()]  # η·sign(g)
    [0.9, -0.9]
    """

    name = "adamax"
    second = "u"

    def __init__(self, params: Any = None, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(params, learning_rate, beta_1, beta_2, epsilon, **kwargs)

    def update(self, param: Any, grad: Any, state: dict[str, Any], lr: float) -> None:
        xp = backend.xp()
        m, u = self._moments(param, state)
        scratch = self._scratch(param)
        m *= self.beta_1
        m += xp.multiply(grad, 1 - self.beta_1, out=scratch)
        u *= self.beta_2
        xp.maximum(u, xp.abs(grad, out=scratch), out=u)
        xp.add(u, self.epsilon, out=scratch)
        param -= _scaled_ratio(xp, m, lr / (1 - self.beta_1 ** self.iterations), scratch, self._scratch(param, 1))


class Nadam(_Moments):
    """Adam with Nesterov momentum (Keras's Nadam, with its momentum schedule μₜ = β₁ (1 − ½·0.96ᵗ)):

    ``m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;``
    ``m̂ = μₜ₊₁ m / (1 − Πₛ≤ₜ₊₁ μₛ) + (1 − μₜ) g / (1 − Πₛ≤ₜ μₛ);  θ ← θ − η m̂ / (√(v / (1 − β₂ᵗ)) + ε)``,
    with Keras's defaults η = 0.001, β₁ = 0.9, β₂ = 0.999, ε = 1e-7.

    >>> import fnlearn as fl, numpy as np
    >>> w = fl.Parameter(np.array([1.0])); w.grad = fl.backend.to_device(np.array([0.5]))
    >>> opt = Nadam([w], learning_rate=0.1); opt.step(); round(float(w.numpy()[0]), 4)
    0.8937
    """

    name = "nadam"

    def __init__(self, params: Any = None, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs: Any) -> None:
        self._products: list[float] = [1.0]  # Πₛ≤ₜ μₛ for t = 0, 1, ...: grown as steps come
        super().__init__(params, learning_rate, beta_1, beta_2, epsilon, **kwargs)

    def _momentum(self, t: int) -> float:
        return self.beta_1 * (1.0 - 0.5 * 0.96 ** t)

    def _product(self, t: int) -> float:
        while len(self._products) <= t:
            self._products.append(self._products[-1] * self._momentum(len(self._products)))
        return self._products[t]

    def update(self, param: Any, grad: Any, state: dict[str, Any], lr: float) -> None:
        xp = backend.xp()
        m, v = self._moments(param, state)
        t = self.iterations
        scratch, other = self._scratch(param), self._scratch(param, 1)
        m *= self.beta_1
        m += xp.multiply(grad, 1 - self.beta_1, out=scratch)
        v *= self.beta_2
        v += _squared_share(xp, grad, 1 - self.beta_2, scratch)
        xp.sqrt(v, out=scratch)
        scratch /= math.sqrt(1 - self.beta_2 ** t)
        scratch += self.epsilon
        # the Nesterov look-ahead: next step's momentum on m, this step's on the gradient itself
        xp.multiply(m, self._momentum(t + 1) / (1 - self._product(t + 1)), out=other)
        other += xp.multiply(grad, (1 - self._momentum(t)) / (1 - self._product(t)), out=self._scratch(param, 2))
        other /= scratch
        other *= lr
        param -= other


class Adadelta(Optimizer):
    """Steps sized by the ratio of two running root mean squares, of past steps and of gradients (Keras's and
    PyTorch's Adadelta, ε under both roots):

    ``a ← ρ a + (1 − ρ) g²;  Δ = −√(d + ε) / √(a + ε) · g;  d ← ρ d + (1 − ρ) Δ²;  θ ← θ + η Δ``, with Keras's
    defaults η = 0.001, ρ = 0.95, ε = 1e-7 (PyTorch's are η = 1, ρ = 0.9, ε = 1e-6).

    >>> import fnlearn as fl, numpy as np
    >>> w = fl.Parameter(np.array([1.0])); w.grad = fl.backend.to_device(np.array([0.5]))
    >>> opt = Adadelta([w], learning_rate=1.0, rho=0.9, epsilon=1e-6); opt.step(); round(float(w.numpy()[0]), 6)
    0.996838
    """

    name = "adadelta"

    def __init__(self, params: Any = None, learning_rate: Any = 0.001, rho: float = 0.95, epsilon: float = 1e-7,
                 **kwargs: Any) -> None:
        self.rho = _check_fraction("rho", rho)
        self.epsilon = check_positive("epsilon", epsilon, allow_zero=True)
        super().__init__(params, learning_rate, **kwargs)

    def update(self, param: Any, grad: Any, state: dict[str, Any], lr: float) -> None:
        xp = backend.xp()
        acc_grad, acc_delta = state.get("accumulated_grad"), state.get("accumulated_delta")
        if acc_grad is None:
            acc_grad = state["accumulated_grad"] = xp.zeros_like(param)
        if acc_delta is None:
            acc_delta = state["accumulated_delta"] = xp.zeros_like(param)
        delta, scratch = self._scratch(param), self._scratch(param, 1)
        acc_grad *= self.rho
        acc_grad += _squared_share(xp, grad, 1 - self.rho, scratch)
        xp.add(acc_delta, self.epsilon, out=delta)
        xp.sqrt(delta, out=delta)
        delta *= grad
        xp.add(acc_grad, self.epsilon, out=scratch)
        xp.sqrt(scratch, out=scratch)
        delta /= scratch  # the step's size and sign, before the learning rate
        acc_delta *= self.rho
        acc_delta += _squared_share(xp, delta, 1 - self.rho, scratch)
        delta *= lr
        param -= delta

    def _slots(self) -> dict[str, float]:
        return {"accumulated_grad": 0.0, "accumulated_delta": 0.0}

    def hyperparameters(self) -> dict[str, Any]:
        return {"rho": self.rho, "epsilon": self.epsilon}

def _check_beta(name: str, value: Any) -> float:
    """A Lion β: a number in (0, 1] (Keras refuses 0, where the rule becomes signSGD)."""
    if not isinstance(value, (int, float, np.floating)) or isinstance(value, bool) or not 0.0 < float(value) <= 1.0:
        raise ConfigError(f"{name} must be a number in (0, 1], got {value!r}; Keras's default is 0.9 for beta_1, "
                          "0.99 for beta_2.")
    return float(value)


class Lion(Optimizer):
    """The sign of an interpolated momentum as the step (Keras's Lion, Chen et al. 2023):

    ``θ ← θ − η · sign(β₁ m + (1 − β₁) g);  m ← β₂ m + (1 − β₂) g``, with Keras's defaults η = 0.001, β₁ = 0.9,
    β₂ = 0.99. Every weight moves by exactly η (or 0), so Lion wants a learning rate 3-10 times smaller than Adam's.

    >>> import fnlearn as fl, numpy as np
    >>> w = fl.Parameter(np.array([1.0, -1.0])); w.grad = fl.backend.to_device(np.array([0.5, -2.0]))
    >>> opt = Lion([w], learning_rate=0.1); opt.step(); [round(float(v), 4) for v in w.numpy()]
    [0.9, -0.9]
    """

    name = "lion"

    def __init__(self, params: Any = None, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.99,
                 **kwargs: Any) -> None:
        self.beta_1 = _check_beta("beta_1", beta_1)
        self.beta_2 = _check_fraction("beta_2", beta_2)
        super().__init__(params, learning_rate, **kwargs)

    def update(self, param: Any, grad: Any, state: dict[str, Any], lr: float) -> None:
        xp = backend.xp()
        m = state.get("momentum")
        if m is None:
            m = state["momentum"] = xp.zeros_like(param)
        step, scratch = self._scratch(param), self._scratch(param, 1)
        xp.multiply(m, self.beta_1, out=step)
        step += xp.multiply(grad, 1 - self.beta_1, out=scratch)
        xp.sign(step, out=step)
        step *= lr
        param -= step
        m *= self.beta_2
        m += xp.multiply(grad, 1 - self.beta_2, out=scratch)

    def _slots(self) -> dict[str, float]:
        return {"momentum": 0.0}

    def hyperparameters(self) -> dict[str, Any]:
        return {"beta_1": self.beta_1, "beta_2": self.beta_2}


class Ftrl(Optimizer):
    """Follow The Regularized Leader (McMahan et al. 2013), Keras's rule and defaults: per weight, with
    ``n`` the running sum of g² (from ``initial_accumulator_value``) and ``p = −learning_rate_power``,

    ``z ← z + g + 2 λ₂ₛ θ − (n'ᵖ − nᵖ)/η · θ;  n ← n';  θ ← (clip(z, −λ₁, λ₁) − z) / (nᵖ/η + 2 (λ₂ + β/(2η)))``,
    where n' = n + g², λ₁, λ₂ the L1 and L2 strengths, λ₂ₛ the shrinkage strength. Defaults: η = 0.001,
    ``learning_rate_power=-0.5``, ``initial_accumulator_value=0.1``, λ's and β 0.

    >>> import fnlearn as fl, numpy as np
    >>> w = fl.Parameter(np.array([1.0])); w.grad = fl.backend.to_device(np.array([0.5]))
    >>> opt = Ftrl([w], learning_rate=0.1); opt.step(); round(float(w.numpy()[0]), 4)
    0.381
    """

    name = "ftrl"

    def __init__(self, params: Any = None, learning_rate: Any = 0.001, learning_rate_power: float = -0.5,
                 initial_accumulator_value: float = 0.1, l1_regularization_strength: float = 0.0,
                 l2_regularization_strength: float = 0.0, l2_shrinkage_regularization_strength: float = 0.0,
                 beta: float = 0.0, **kwargs: Any) -> None:
        if not isinstance(learning_rate_power, (int, float, np.floating)) or isinstance(learning_rate_power, bool) \
                or learning_rate_power > 0:
            raise ConfigError(f"learning_rate_power must be a number ≤ 0, got {learning_rate_power!r}; use 0 for a "
                              "fixed learning rate, Keras's default is -0.5.")
        self.learning_rate_power = float(learning_rate_power)
        self.initial_accumulator_value = check_positive("initial_accumulator_value", initial_accumulator_value,
                                                        allow_zero=True)
        self.l1_regularization_strength = check_positive("l1_regularization_strength", l1_regularization_strength,
                                                         allow_zero=True)
        self.l2_regularization_strength = check_positive("l2_regularization_strength", l2_regularization_strength,
                                                         allow_zero=True)
        self.l2_shrinkage_regularization_strength = check_positive(
            "l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength, allow_zero=True)
        self.beta = check_positive("beta", beta, allow_zero=True)
        super().__init__(params, learning_rate, **kwargs)

    def update(self, param: Any, grad: Any, state: dict[str, Any], lr: float) -> None:
        xp = backend.xp()
        accum, linear = state.get("accumulator"), state.get("linear")
        if accum is None:
            accum = state["accumulator"] = xp.full_like(param, self.initial_accumulator_value)
        if linear is None:
            linear = state["linear"] = xp.zeros_like(param)
        power = -self.learning_rate_power
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        new_accum = accum + grad * grad
        new_power = new_accum ** power
        linear += (grad + 2 * self.l2_shrinkage_regularization_strength * param) \
            - (new_power - accum ** power) / lr * param
        quadratic = new_power / lr + 2 * l2
        l1 = self.l1_regularization_strength
        param[...] = (xp.clip(linear, -l1, l1) - linear) / quadratic
        accum[...] = new_accum

    def _slots(self) -> dict[str, float]:
        return {"accumulator": self.initial_accumulator_value, "linear": 0.0}

    def hyperparameters(self) -> dict[str, Any]:
        return {"learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta}


class Lamb(_Moments):
    """Adam's step rescaled per weight array by the trust ratio ‖θ‖ / ‖step‖ (Keras's Lamb, You et al. 2019):

    ``m ← m + (g − m)(1 − β₁);  v ← v + (g² − v)(1 − β₂);  u = (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε);``
    ``θ ← θ − r η u`` with ``r = ‖θ‖ / ‖u‖`` (1 where either norm is 0), Keras's defaults η = 0.001, β₁ = 0.9,
    β₂ = 0.999, ε = 1e-7. The norms are over each whole array, so each parameter updates on its own.

    >>> import fnlearn as fl, numpy as np
    >>> w = fl.Parameter(np.array([3.0, 4.0])); w.grad = fl.backend.to_device(np.array([1.0, 0.0]))
    >>> opt = Lamb([w], learning_rate=0.1); opt.step(); [round(float(v), 4) for v in w.numpy()]  # ‖θ‖ = 5
    [2.5, 4.0]
    """

    name = "lamb"

    def __init__(self, params: Any = None, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(params, learning_rate, beta_1, beta_2, epsilon, **kwargs)

    def update(self, param: Any, grad: Any, state: dict[str, Any], lr: float) -> None:
        xp = backend.xp()
        m, v = self._moments(param, state)
        t = self.iterations
        m += (grad - m) * (1 - self.beta_1)
        v += (grad * grad - v) * (1 - self.beta_2)
        step = (m / (1.0 - self.beta_1 ** t)) / (xp.sqrt(v / (1.0 - self.beta_2 ** t)) + self.epsilon)
        w_norm = float(xp.sqrt(xp.sum(param * param)))
        g_norm = float(xp.sqrt(xp.sum(step * step)))
        ratio = w_norm / g_norm if w_norm > 0 and g_norm > 0 else 1.0
        param -= (ratio * lr) * step

    def _slots(self) -> None:  # the trust ratio is per array: no update over all parameters as one flat array
        return None

    def flush_subnormal(self, state: dict[str, Any]) -> None:
        for name in ("m", "v"):
            slot = state.get(name)
            if isinstance(slot, np.ndarray) and not self.iterations % _FLUSH_EVERY:
                np.putmask(slot, np.abs(slot) < np.finfo(slot.dtype).tiny * _FLUSH_MARGIN, 0)


class Adafactor(Optimizer):
    """Adam's second moment kept as a row and a column average for each matrix (Keras's Adafactor, Shazeer & Stern
    2018), so its memory grows with rows + columns rather than their product. At step t:

    ``ρ = min(η, 1/√t);  α = max(ε₂, rms(θ)) ρ;  β₂ = 1 − t^decay;  G = g² + ε₁;``
    for an array of 2 dimensions or more ``r ← β₂ r + (1 − β₂) mean(G, −1)``, ``c ← β₂ c + (1 − β₂) mean(G, −2)``,
    ``v = (r / mean(r)) ⊗ c``; for a vector or scalar ``v ← β₂ v + (1 − β₂) G``; then
    ``u = g / √v;  θ ← θ − α u / max(1, rms(u) / clip_threshold)``, with Keras's defaults η = 0.001,
    ``beta_2_decay=-0.8``, ε₁ = 1e-30, ε₂ = 1e-3, ``clip_threshold=1.0``. ``relative_step`` is kept for Keras's
    sake: the rule takes min(η, 1/√t) either way.

    >>> import fnlearn as fl, numpy as np
    >>> w = fl.Parameter(np.ones((2, 2))); w.grad = fl.backend.to_device(np.full((2, 2), 0.5))
    >>> opt = Adafactor([w], learning_rate=0.1); opt.step(); round(float(w.numpy()[0, 0]), 4)
    0.9
    >>> sorted(opt.state[0])  # a row and a column average, not one number per weight
    ['c', 'r']
    """

    name = "adafactor"
    counts_steps = True

    def __init__(self, params: Any = None, learning_rate: Any = 0.001, beta_2_decay: float = -0.8,
                 epsilon_1: float = 1e-30, epsilon_2: float = 1e-3, clip_threshold: float = 1.0,
                 relative_step: bool = True, **kwargs: Any) -> None:
        if not isinstance(beta_2_decay, (int, float, np.floating)) or isinstance(beta_2_decay, bool) \
                or beta_2_decay >= 0:
            raise ConfigError(f"beta_2_decay must be a number < 0 (β₂ = 1 − t^beta_2_decay), got {beta_2_decay!r}; "
                              "Keras's default is -0.8.")
        self.beta_2_decay = float(beta_2_decay)
        self.epsilon_1 = check_positive("epsilon_1", epsilon_1, allow_zero=True)
        self.epsilon_2 = check_positive("epsilon_2", epsilon_2, allow_zero=True)
        self.clip_threshold = check_positive("clip_threshold", clip_threshold)
        if not isinstance(relative_step, (bool, np.bool_)):
            raise ConfigError(f"Adafactor(relative_step={relative_step!r}): relative_step must be True or False.")
        self.relative_step = bool(relative_step)
        super().__init__(params, learning_rate, **kwargs)

    def slot_shape(self, name: str, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The row average ``r`` drops a matrix's last axis, the column average ``c`` its second-to-last.

        >>> Adafactor().slot_shape("r", (3, 4, 5)), Adafactor().slot_shape("c", (3, 4, 5))
        ((3, 4), (3, 5))
        """
        if len(shape) >= 2 and name == "r":
            return tuple(shape[:-1])
        if len(shape) >= 2 and name == "c":
            return tuple(shape[:-2]) + (shape[-1],)
        return tuple(shape)

    def update(self, param: Any, grad: Any, state: dict[str, Any], lr: float) -> None:
        xp = backend.xp()
        t = float(self.iterations)
        rho = min(lr, 1 / math.sqrt(t))
        alpha = max(self.epsilon_2, float(xp.sqrt(xp.mean(param * param)))) * rho
        squared = grad * grad + self.epsilon_1
        beta_2 = 1.0 - t ** self.beta_2_decay
        if param.ndim >= 2:
            r, c = state.get("r"), state.get("c")
            if r is None:
                r = state["r"] = xp.zeros(param.shape[:-1], dtype=param.dtype)
            if c is None:
                c = state["c"] = xp.zeros(param.shape[:-2] + param.shape[-1:], dtype=param.dtype)
            r[...] = beta_2 * r + (1 - beta_2) * xp.mean(squared, axis=-1)
            c[...] = beta_2 * c + (1 - beta_2) * xp.mean(squared, axis=-2)
            v = xp.expand_dims(r / xp.mean(r, axis=-1, keepdims=True), -1) * xp.expand_dims(c, -2)
        else:
            v = state.get("v")
            if v is None:
                v = state["v"] = xp.zeros_like(param)
            v[...] = beta_2 * v + (1 - beta_2) * squared
        u = grad / xp.sqrt(v)
        u /= max(1.0, float(xp.sqrt(xp.mean(u * u))) / self.clip_threshold)
        param -= (alpha * u).astype(param.dtype, copy=False)

    def hyperparameters(self) -> dict[str, Any]:
        return {"beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1, "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold, "relative_step": self.relative_step}


def _one_sentence_check(ok: bool, what: str) -> None:
    """Raise ConfigError with ``what`` (one sentence: the value given, what is expected, what to do) unless ``ok``."""
    if not ok:
        raise ConfigError(what)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and math.isfinite(float(value))


class Muon(Optimizer):
    """Momentum orthogonalized by Newton–Schulz iterations for the matrices, AdamW for the rest (Keras 3.15's Muon,
    Jordan et al. 2024, with Moonlight's scaling of Liu et al. 2025).

    Keras's choice of rule per weight: a weight of exactly 2 dimensions (a Dense kernel) takes the Muon step, any
    other (a bias, a convolution's 4-D kernel, a scalar) AdamW's, and so does a matrix whose name holds
    "embedding" while ``exclude_embeddings`` is True. Muon's step at step t, with μ = ``momentum``:

    ``m ← μ m + g;  u = g + μ m`` (Nesterov, the default) or ``u = m``; ``O = NS₅(u)``, where NS₅ divides u by
    (its Frobenius norm + 1e-7), then ``ns_steps`` times sets ``A = X Xᵀ;  X ← a X + (b A + c A²) X`` (on the
    transpose when u has more rows than columns), with (a, b, c) = (3.4445, −4.7750, 2.0315);
    ``θ ← θ − η O √max(rows, cols) · rms_rate`` (without the last two factors when ``rms_rate`` is None).
    AdamW's step uses η·``adam_lr_ratio``: ``m ← m + (g − m)(1 − β₁);  v ← v + (g² − v)(1 − β₂);``
    ``θ ← θ − η √(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε)``. Before either, the weight decays as Keras's:
    ``θ ← θ − θ·λ·η`` with λ = ``weight_decay`` for a Muon weight, ``adam_weight_decay`` for an AdamW one
    (None: no decay), η the full learning rate in both.

    ``exclude_layers``, regular expressions (keywords of layer names, e.g. ``["output_dense"]``), sends the matrices
    whose :attr:`~fnlearn.Parameter.path` ("layer/kernel") holds a match to AdamW too, and the embedding test reads
    the path as well, as Keras's do (a Dense layer named "embedding_proj" takes AdamW's step). fnlearn's paths
    start at the layer that made the weight, where Keras's also name the models around it.

    >>> import fnlearn as fl, numpy as np
    >>> w = fl.Parameter(np.eye(2)); b = fl.Parameter(np.zeros(2))
    >>> opt = Muon([w, b], learning_rate=0.1, weight_decay=None, adam_weight_decay=None)
    >>> opt.apply([np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([1.0, -1.0])], [w, b])
    >>> sorted(opt.state[0]), sorted(opt.state[1])  # the matrix: Muon's momentum; the vector: AdamW's moments
    (['momentum'], ['momentum', 'velocity'])
    >>> [round(float(v), 4) for v in b.numpy()]  # AdamW's first step moves each weight by η
    [-0.1, 0.1]
    """

    name = "muon"
    counts_steps = True  # AdamW's bias correction

    def __init__(self, params: Any = None, learning_rate: Any = 0.001, adam_beta_1: float = 0.9,
                 adam_beta_2: float = 0.999, adam_weight_decay: float | None = 0.004, epsilon: float = 1e-7,
                 weight_decay: float | None = 0.004, exclude_layers: Any = None, exclude_embeddings: bool = True,
                 muon_a: float = 3.4445, muon_b: float = -4.7750, muon_c: float = 2.0315,
                 adam_lr_ratio: float = 1.0, momentum: float = 0.95, ns_steps: int = 5, nesterov: bool = True,
                 rms_rate: float | None = 0.2, **kwargs: Any) -> None:
        for key, value in (("adam_beta_1", adam_beta_1), ("adam_beta_2", adam_beta_2), ("momentum", momentum)):
            _one_sentence_check(_is_number(value) and 0.0 <= float(value) < 1.0,
                                f"Muon got {key}={value!r}, but it must be a number in [0, 1), so give one such as "
                                f"Keras's default {_settings(Muon)[key]!r}.")
        for key, value in (("weight_decay", weight_decay), ("adam_weight_decay", adam_weight_decay)):
            _one_sentence_check(value is None or _is_number(value) and float(value) >= 0,
                                f"Muon got {key}={value!r}, but it must be a number ≥ 0 or None (no decay), so give "
                                f"one such as Keras's default 0.004.")
        _one_sentence_check(_is_number(epsilon) and float(epsilon) >= 0,
                            f"Muon got epsilon={epsilon!r}, but it must be a number ≥ 0, so give one such as Keras's "
                            "default 1e-7.")
        for key, value in (("muon_a", muon_a), ("muon_b", muon_b), ("muon_c", muon_c)):
            _one_sentence_check(_is_number(value), f"Muon got {key}={value!r}, but the Newton–Schulz coefficients "
                                                   "must be finite numbers, so leave them at Keras's defaults.")
        _one_sentence_check(_is_number(adam_lr_ratio) and float(adam_lr_ratio) > 0,
                            f"Muon got adam_lr_ratio={adam_lr_ratio!r}, but it must be a number > 0 (AdamW's share "
                            "of the learning rate), so give one such as Keras's default 1.")
        _one_sentence_check(isinstance(ns_steps, (int, np.integer)) and not isinstance(ns_steps, bool)
                            and ns_steps >= 0,
                            f"Muon got ns_steps={ns_steps!r}, but it must be a whole number ≥ 0 (Newton–Schulz "
                            "iterations), so give one such as Keras's default 5.")
        for key, value in (("nesterov", nesterov), ("exclude_embeddings", exclude_embeddings)):
            _one_sentence_check(isinstance(value, (bool, np.bool_)),
                                f"Muon got {key}={value!r}, but it must be True or False, so give one of them.")
        _one_sentence_check(rms_rate is None or _is_number(rms_rate) and float(rms_rate) > 0,
                            f"Muon got rms_rate={rms_rate!r}, but it must be a number > 0 or None (no scaling), so "
                            "give one such as Keras's default 0.2.")
        _one_sentence_check(exclude_layers is None or isinstance(exclude_layers, (list, tuple))
                            and all(isinstance(k, str) for k in exclude_layers),
                            f"Muon got exclude_layers={exclude_layers!r}, but it must be a list of keywords of layer "
                            "names (regular expressions), so give one such as ['output_dense'].")
        try:
            self._exclude_layers = [re.compile(keyword) for keyword in exclude_layers or ()]
        except re.error as exc:
            raise ConfigError(f"Muon got exclude_layers={exclude_layers!r}, which holds no regular expression "
                              f"({exc}); give layer names, or escape their special characters.") from None
        self.adam_beta_1, self.adam_beta_2 = float(adam_beta_1), float(adam_beta_2)
        self.momentum = float(momentum)
        self.weight_decay = None if weight_decay is None else float(weight_decay)
        self.adam_weight_decay = None if adam_weight_decay is None else float(adam_weight_decay)
        self.epsilon = float(epsilon)
        self.muon_a, self.muon_b, self.muon_c = float(muon_a), float(muon_b), float(muon_c)
        self.adam_lr_ratio = float(adam_lr_ratio)
        self.ns_steps = int(ns_steps)
        self.nesterov, self.exclude_embeddings = bool(nesterov), bool(exclude_embeddings)
        self.exclude_layers: list[str] = list(exclude_layers or ())
        self.rms_rate = None if rms_rate is None else float(rms_rate)
        super().__init__(params, learning_rate, **kwargs)

    def uses_adamw(self, param: Parameter) -> bool:
        """Whether ``param`` takes AdamW's step rather than Muon's, by Keras's rule.

        >>> import fnlearn as fl, numpy as np
        >>> opt = Muon()
        >>> weights = [((3, 4), "kernel"), ((4,), "bias"), ((3, 3, 2, 4), "kernel"), ((9, 4), "embeddings")]
        >>> [opt.uses_adamw(fl.Parameter(np.zeros(s), name=n)) for s, n in weights]
        [False, True, True, True]
        """
        if param.data.ndim != 2:
            return True
        if self.exclude_embeddings and "embedding" in param.path.lower():
            return True
        return any(keyword.search(param.path) for keyword in self._exclude_layers)

    def bind(self, params: Any) -> Optimizer:
        """Attach the parameters as :meth:`Optimizer.bind` does, each given its slots at once (both zero): the
        ``momentum``, and the ``velocity`` of an AdamW weight."""
        super().bind(params)
        xp = backend.xp()
        for p, state in zip(self.params, self.state):
            # Keras makes the slots when it first sees a weight, the velocity only for AdamW's weights: its
            # presence then says which rule a weight follows, also in a state loaded from a file
            if "momentum" not in state:
                state["momentum"] = xp.zeros_like(p.data)
                if self.uses_adamw(p):
                    state["velocity"] = xp.zeros_like(p.data)
        return self

    def update(self, param: Any, grad: Any, state: dict[str, Any], lr: float) -> None:
        xp = backend.xp()
        adam = "velocity" in state or param.ndim != 2
        m = state.get("momentum")
        if m is None:
            m = state["momentum"] = xp.zeros_like(param)
        decay = self.adam_weight_decay if adam else self.weight_decay
        if decay is not None and self._decaying:  # before the step, at the full learning rate for both rules
            param -= param * param.dtype.type(decay) * param.dtype.type(lr)
        if adam:
            v = state.get("velocity")
            if v is None:
                v = state["velocity"] = xp.zeros_like(param)
            t = self.iterations
            rate = lr * self.adam_lr_ratio
            alpha = rate * math.sqrt(1 - self.adam_beta_2 ** t) / (1 - self.adam_beta_1 ** t)
            m += (grad - m) * (1 - self.adam_beta_1)
            v += (grad * grad - v) * (1 - self.adam_beta_2)
            param -= (m * param.dtype.type(alpha)) / (xp.sqrt(v) + param.dtype.type(self.epsilon))
            return
        m += grad + m * (self.momentum - 1)
        direction = grad + self.momentum * m if self.nesterov else m
        step = self.orthogonalized(direction) * param.dtype.type(lr)
        if self.rms_rate is not None:  # Moonlight's scaling: the step's RMS as AdamW's, so η and λ carry over
            step *= param.dtype.type(math.sqrt(max(param.shape[0], param.shape[1])))
            step *= param.dtype.type(self.rms_rate)
        param -= step

    def orthogonalized(self, x: Any) -> Any:
        """Keras's quintic Newton–Schulz approximation of ``U Vᵀ`` for ``x = U S Vᵀ``, over its last two axes:
        its singular vectors kept, its singular values (3 and 0.5 here) all brought to between about 0.7 and 1.2.

        >>> import fnlearn as fl, numpy as np
        >>> o = Muon().orthogonalized(fl.backend.to_device(np.array([[3.0, 0.0], [0.0, 0.5]], "float32")))
        >>> o = fl.backend.to_numpy(o); [round(float(v), 1) for v in np.diag(o)], float(o[0, 1])
        ([0.7, 1.0], 0.0)
        """
        xp = backend.xp()
        wide = x.shape[-2] <= x.shape[-1]
        if not wide:  # the iteration works on the smaller Gram matrix X Xᵀ
            x = xp.swapaxes(x, -1, -2)
        x = x / (xp.sqrt(xp.sum(x * x, axis=(-2, -1), keepdims=True)) + x.dtype.type(1e-7))
        a, b, c = (x.dtype.type(k) for k in (self.muon_a, self.muon_b, self.muon_c))
        for _ in range(self.ns_steps):
            gram = x @ xp.swapaxes(x, -1, -2)
            x = a * x + (b * gram + c * gram @ gram) @ x
        return x if wide else xp.swapaxes(x, -1, -2)

    def _slots(self) -> None:  # Newton–Schulz works on whole matrices: no update over one flat array
        return None

    def hyperparameters(self) -> dict[str, Any]:
        return {"adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2, "epsilon": self.epsilon,
                "exclude_layers": list(self.exclude_layers), "muon_a": self.muon_a, "muon_b": self.muon_b,
                "muon_c": self.muon_c, "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
                "ns_steps": self.ns_steps, "nesterov": self.nesterov, "exclude_embeddings": self.exclude_embeddings,
                "adam_weight_decay": self.adam_weight_decay, "rms_rate": self.rms_rate,
                "weight_decay": self.weight_decay}


class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW (Defazio et al. 2024), Keras 3.15's rule: no learning-rate schedule to choose, the
    weights an average of the steps taken instead.

    Three sequences: z (the ``momentum`` slot, starting at the weights) takes Adam-scaled gradient steps, x averages
    the z's uniformly, and the model's weights are y = (1 − β₁) z + β₁ x, where gradients are taken. At step t,
    with ``v`` the second moment and η warmed up linearly over ``warmup_steps`` (η·min(t / warmup_steps, 1)):

    ``v ← v + (g² − v)(1 − β₂);  z ← z − η g / (√(v / (1 − β₂ᵗ)) + ε);``
    ``x = (y − (1 − β₁) z_old) / β₁;  x ← (1 − 1/t) x + z / t;  y ← (1 − β₁) z + β₁ x``.
    ``weight_decay`` (None by default, as Keras's) multiplies the weights by (1 − λη) before the step, η
    without the warmup's factor, as Keras's.

    As Keras's, the model keeps y for evaluation and prediction: it does not swap in x (the averaged weights the
    paper evaluates with) around ``evaluate``. Keras on PyTorch reads z_old after z's update (its variable's value
    changes in place), so its steps differ from Keras on JAX and TensorFlow; fnlearn follows the written rule,
    as those backends do.

    >>> import fnlearn as fl, numpy as np
    >>> w = fl.Parameter(np.array([1.0, -1.0]))
    >>> opt = ScheduleFreeAdamW([w], learning_rate=0.1); opt.apply([np.array([0.5, -2.0])], [w])
    >>> [round(float(v), 4) for v in w.numpy()]  # y = z after the first step: moved by η against the gradient
    [0.9, -0.9]
    """

    name = "schedulefreeadamw"
    counts_steps = True  # the bias correction and the average's 1/t

    def __init__(self, params: Any = None, learning_rate: Any = 0.0025, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, warmup_steps: int = 0, weight_decay: float | None = None,
                 **kwargs: Any) -> None:
        _one_sentence_check(_is_number(beta_1) and 0.0 < float(beta_1) <= 1.0,
                            f"ScheduleFreeAdamW got beta_1={beta_1!r}, but it must be a number in (0, 1] (the "
                            "weights' share of the average), so give one such as Keras's default 0.9.")
        _one_sentence_check(_is_number(beta_2) and 0.0 <= float(beta_2) < 1.0,
                            f"ScheduleFreeAdamW got beta_2={beta_2!r}, but it must be a number in [0, 1), so give "
                            "one such as Keras's default 0.999.")
        _one_sentence_check(_is_number(epsilon) and float(epsilon) >= 0,
                            f"ScheduleFreeAdamW got epsilon={epsilon!r}, but it must be a number ≥ 0, so give one "
                            "such as Keras's default 1e-8.")
        _one_sentence_check(isinstance(warmup_steps, (int, np.integer)) and not isinstance(warmup_steps, bool)
                            and warmup_steps >= 0,
                            f"ScheduleFreeAdamW got warmup_steps={warmup_steps!r}, but it must be a whole number ≥ 0 "
                            "(0: no warmup), so give one such as 100.")
        _one_sentence_check(weight_decay is None or _is_number(weight_decay) and float(weight_decay) >= 0,
                            f"ScheduleFreeAdamW got weight_decay={weight_decay!r}, but it must be a number ≥ 0 or "
                            "None (no decay), so give one such as 0.01.")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)
        self.warmup_steps = int(warmup_steps)
        self.weight_decay = None if weight_decay is None else float(weight_decay)
        super().__init__(params, learning_rate, **kwargs)

    def update(self, param: Any, grad: Any, state: dict[str, Any], lr: float) -> None:
        xp = backend.xp()
        z = state.get("momentum")
        if z is None:  # z starts at the weights as the first step finds them, before their decay (Keras's build)
            z = state["momentum"] = param.copy()
        v = state.get("velocity")
        if v is None:
            v = state["velocity"] = xp.zeros_like(param)
        one = param.dtype.type
        if self.weight_decay is not None and self._decaying:
            param -= param * one(self.weight_decay) * one(lr)
        t = self.iterations
        if self.warmup_steps > 0:
            lr = lr * min(t / self.warmup_steps, 1.0)
        z_old = self._scratch(param)
        z_old[...] = z
        v += (grad * grad - v) * one(1 - self.beta_2)
        denom = xp.sqrt(v / one(1 - self.beta_2 ** t)) + one(self.epsilon)
        z -= one(lr) * grad / denom
        weight, beta_1 = one(1.0 / t), one(self.beta_1)
        x = (param - (1 - beta_1) * z_old) / beta_1
        x = (1 - weight) * x + weight * z
        param[...] = (1 - beta_1) * z + beta_1 * x

    def _slots(self) -> None:  # z starts at the weights, not at a fill value
        return None

    def hyperparameters(self) -> dict[str, Any]:
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "warmup_steps": self.warmup_steps, "weight_decay": self.weight_decay}


def _squared_share(xp: Any, grad: Any, share: float, out: Any) -> Any:
    """``share · g · g`` into ``out``, in that order of rounding."""
    xp.multiply(grad, share, out=out)
    out *= grad
    return out


def _scaled_ratio(xp: Any, top: Any, scale: Any, denom: Any, out: Any) -> Any:
    """``scale · top / denom`` into ``out``, in that order of rounding."""
    xp.multiply(top, scale, out=out)
    out /= denom
    return out


# Pieces of this size keep an update's arrays (parameter, gradient, up to three slots, two scratch arrays)
# within a core's cache between its passes; see Optimizer.apply.
_PIECE_BYTES = 256 * 1024
_FLUSH_EVERY = 16
_FLUSH_MARGIN = 2.0**24  # see Optimizer.flush_subnormal
_ELEMENTWISE = frozenset({SGD.update, Adagrad.update, RMSprop.update, Adam.update, AdamW.update, Adamax.update,
                          Nadam.update, Adadelta.update})


def _elementwise(cls: type) -> bool:
    """Whether ``cls``'s update is one of the built-in elementwise rules, with no method of a subclass's own in
    it: SGD's calls ``update_prescaled``, which a subclass may make a rule over the whole array (a norm).

    >>> class Scaled(SGD):
    ...     def update_prescaled(self, param, step, state): param -= step / max(float(abs(step).max()), 1e-12)
    >>> _elementwise(SGD), _elementwise(Adam), _elementwise(Scaled)
    (True, True, False)
    """
    return cls.update in _ELEMENTWISE and getattr(cls, "update_prescaled", SGD.update_prescaled) is SGD.update_prescaled

OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam,
                                          "adamw": AdamW, "adamax": Adamax, "nadam": Nadam, "adadelta": Adadelta,
                                          "lion": Lion, "ftrl": Ftrl, "lamb": Lamb, "adafactor": Adafactor,
                                          "muon": Muon, "schedulefreeadamw": ScheduleFreeAdamW}


def get(spec: Any) -> Optimizer:
    """An optimizer from a name (with Keras's default learning rate) or an Optimizer object."""
    if isinstance(spec, Optimizer):
        return spec
    if isinstance(spec, str) and spec.lower() in OPTIMIZERS:
        return OPTIMIZERS[spec.lower()]()
    if isinstance(spec, type) and issubclass(spec, Optimizer):
        return spec()
    raise unknown_name("optimizer", spec, OPTIMIZERS)


def from_config(config: dict[str, Any]) -> Optimizer:
    """Rebuild an optimizer from ``get_config()`` output."""
    from . import schedules

    config = dict(config)
    cls = OPTIMIZERS.get(str(config.pop("name", "")).lower())
    if cls is None:
        raise unknown_name("optimizer", config.get("name"), OPTIMIZERS)
    lr = config.pop("learning_rate", None)
    if isinstance(lr, dict):
        lr = schedules.from_config(lr)
    return cls(learning_rate=lr if lr is not None else 0.001, **config)


from . import schedules  # noqa: E402  (fl.optim.schedules.*)

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "Adamax", "Nadam", "Adadelta", "Lion", "Ftrl",
           "Lamb", "Adafactor", "Muon", "ScheduleFreeAdamW", "get",
           "from_config",
           "schedules"]
