"""Learning-rate schedules: η as a function of the step count (steps taken so far, from 0).

Pass one as an optimizer's ``learning_rate``. The lecture's "warm up" — start small, rise, then
decay — is :class:`WarmupDecay`. ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay,
PolynomialDecay and CosineDecay (with its linear warm-up) give Keras 3's values (``keras.optimizers.schedules``
is this module; their ``name`` argument, an operation's name in Keras, is taken and has no effect). A schedule
of one's own subclasses :class:`LearningRateSchedule`, as in Keras.

Example:
    >>> import fnlearn as fl
    >>> s = fl.optim.schedules.StepDecay(0.1, drop_every=10, factor=0.5)
    >>> [s(0), s(10), s(25)]
    [0.1, 0.05, 0.025]
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

from .errors import ConfigError, arguments_checked, equivalent, reject_foreign, unknown_name


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}.")
    return value


def check_positive(name: str, value: Any, allow_zero: bool = False) -> float:
    """``value`` as a float, when it is a finite number > 0 (≥ 0 with ``allow_zero``): a Python or NumPy
    number (``np.float32(0.1)`` too) or a 0-d array, as Keras's schedules take them; else ConfigError.

    >>> import numpy as np
    >>> check_positive("learning_rate", np.float32(0.5)), check_positive("learning_rate", np.array(0.25))
    (0.5, 0.25)
    """
    number = value.item() if getattr(value, "ndim", None) == 0 and hasattr(value, "item") else value
    if isinstance(number, bool) or not isinstance(number, numbers.Real) or not math.isfinite(number) or \
            (number < 0 if allow_zero else number <= 0):
        raise ConfigError(f"{name} must be a finite number {'≥' if allow_zero else '>'} 0, got {value!r}.")
    return float(number)


def _number_list(name: str, values: Any) -> list[int | float]:
    """A list of finite numbers as Python ints / floats (a NumPy array's too), for a JSON config."""
    if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
        raise ConfigError(f"{name} must be a list of numbers, got {values!r}.")
    out: list[int | float] = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
            raise ConfigError(f"{name}[{i}] must be a finite number, got {v!r}.")
        out.append(int(v) if isinstance(v, numbers.Integral) else float(v))
    return out


def check_learning_rate(value: Any) -> float | Callable[[int], Any]:
    """A learning rate as an optimizer keeps it: a number > 0 as a float, a schedule (a :class:`Schedule` or
    any function of the step) as it is; a schedule of the real Keras is refused in one sentence, since it computes
    on Keras's own backend.

    >>> check_learning_rate(0.1), check_learning_rate(StepDecay(0.1, drop_every=5)).drop_every
    (0.1, 5)
    """
    if callable(value):
        reject_foreign("learning-rate schedule", value, equivalent(value, "keras.optimizers.schedules", KERAS_NAMES))
        return value
    return check_positive("learning_rate", value)


class Schedule:
    """Base class of the schedules, Keras's ``LearningRateSchedule``: ``schedule(step) -> learning rate``.

    A schedule of one's own defines ``__call__(self, step)`` (``step``: the optimizer's steps so far, an int
    from 0) returning the rate, and optionally ``get_config``; any optimizer takes it as ``learning_rate``. One
    without ``get_config`` saves with a model as the rate it gives at that moment (with a warning), as a plain
    function does; one with it saves its settings, and the model then loads with ``compile=False``.

    >>> class Halving(LearningRateSchedule):
    ...     def __init__(self, rate): self.rate = rate
    ...     def __call__(self, step): return self.rate / 2 ** (step // 10)
    >>> import fnlearn as fl
    >>> opt = fl.optim.SGD(learning_rate=Halving(0.1)); opt.iterations = 25; opt.current_learning_rate()
    0.025
    """

    name = "schedule"

    def __call__(self, step: int) -> float:
        raise NotImplementedError(f"the learning-rate schedule {type(self).__name__} must define "
                                  "__call__(self, step), returning the learning rate at that step.")

    def get_config(self) -> dict[str, Any] | None:
        """The settings :func:`from_config` rebuilds this schedule from; None for a class of one's own that does
        not define it (nothing here could rebuild it)."""
        if SCHEDULES.get(self.name) is not type(self):
            return None
        return {"name": self.name, **{k: v for k, v in vars(self).items()}}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Schedule:
        """A new schedule of this class from ``get_config``'s settings (Keras's ``from_config``).

        >>> ExponentialDecay.from_config(ExponentialDecay(0.1, 10, 0.5).get_config())(10)
        0.05
        """
        settings = dict(config)
        if SCHEDULES.get(settings.get("name")) is cls:  # the registry's name, which no __init__ takes
            del settings["name"]
        return cls(**settings)


LearningRateSchedule = Schedule  # Keras's name of the base class


@arguments_checked
class StepDecay(Schedule):
    """η₀ · factor^⌊step / drop_every⌋: drop by ``factor`` every ``drop_every`` steps."""

    name = "step_decay"

    def __init__(self, initial_learning_rate: float, drop_every: int, factor: float = 0.5) -> None:
        self.initial_learning_rate = check_positive("initial_learning_rate", initial_learning_rate)
        self.drop_every = _positive_int("drop_every", drop_every)
        self.factor = check_positive("factor", factor)

    def __call__(self, step: int) -> float:
        return self.initial_learning_rate * self.factor ** (step // self.drop_every)


@arguments_checked
class ExponentialDecay(Schedule):
    """η₀ · rate^(step / decay_steps) (with ``staircase``, the exponent is rounded down) — as Keras."""

    name = "exponential_decay"

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str | None = None) -> None:
        self.initial_learning_rate = check_positive("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _positive_int("decay_steps", decay_steps)
        self.decay_rate = check_positive("decay_rate", decay_rate)
        self.staircase = bool(staircase)

    def __call__(self, step: int) -> float:
        p = step / self.decay_steps
        try:
            return self.initial_learning_rate * self.decay_rate ** (math.floor(p) if self.staircase else p)
        except OverflowError:  # a decay_rate above 1 grows without bound: inf, as Keras gives
            return math.inf


@arguments_checked
class InverseTimeDecay(Schedule):
    """η₀ / (1 + rate · step / decay_steps) (with ``staircase``, step / decay_steps is rounded down) — as Keras.

    >>> s = InverseTimeDecay(0.1, decay_steps=10, decay_rate=1.0)
    >>> [round(s(k), 4) for k in (0, 10, 30)]
    [0.1, 0.05, 0.025]
    """

    name = "inverse_time_decay"

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str | None = None) -> None:
        self.initial_learning_rate = check_positive("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _positive_int("decay_steps", decay_steps)
        self.decay_rate = check_positive("decay_rate", decay_rate, allow_zero=True)
        self.staircase = bool(staircase)

    def __call__(self, step: int) -> float:
        p = step / self.decay_steps
        return self.initial_learning_rate / (1 + self.decay_rate * (math.floor(p) if self.staircase else p))


@arguments_checked
class PiecewiseConstantDecay(Schedule):
    """``values[0]`` up to and including step ``boundaries[0]``, ``values[i]`` for boundaries[i−1] < step ≤
    boundaries[i], and ``values[-1]`` after the last boundary — as Keras.

    >>> s = PiecewiseConstantDecay([100, 200], [0.1, 0.01, 0.001])
    >>> [s(0), s(100), s(101), s(200), s(201)]
    [0.1, 0.1, 0.01, 0.01, 0.001]
    """

    name = "piecewise_constant_decay"

    def __init__(self, boundaries: Sequence[float], values: Sequence[float], name: str | None = None) -> None:
        bounds, rates = _number_list("boundaries", boundaries), _number_list("values", values)
        if not bounds or len(rates) != len(bounds) + 1:
            raise ConfigError(f"PiecewiseConstantDecay needs at least one boundary and exactly one value more "
                              f"than boundaries, got {len(bounds)} boundaries and {len(rates)} values.")
        if any(later <= earlier for earlier, later in zip(bounds, bounds[1:])):
            raise ConfigError(f"PiecewiseConstantDecay's boundaries must increase, got {bounds!r}.")
        self.boundaries = bounds
        self.values = [check_positive(f"values[{i}]", float(v), allow_zero=True) for i, v in enumerate(rates)]

    def get_config(self) -> dict[str, Any] | None:
        config = super().get_config()  # None for a subclass of one's own
        return None if config is None else {**config, "boundaries": list(self.boundaries),
                                            "values": list(self.values)}

    def __call__(self, step: int) -> float:
        return self.values[bisect.bisect_left(self.boundaries, step)]


@arguments_checked
class PolynomialDecay(Schedule):
    """(η₀ − η_end) · (1 − step / decay_steps)^power + η_end, flat at η_end after ``decay_steps`` — as Keras.

    With ``cycle``, the decay restarts each time: decay_steps is stretched to the first multiple of itself
    at or above the step (for step 0, decay_steps itself).

    >>> s = PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0, power=2.0)
    >>> [round(s(k), 4) for k in (0, 5, 10, 20)]
    [0.1, 0.025, 0.0, 0.0]
    """

    name = "polynomial_decay"

    def __init__(self, initial_learning_rate: float, decay_steps: int, end_learning_rate: float = 0.0001,
                 power: float = 1.0, cycle: bool = False, name: str | None = None) -> None:
        self.initial_learning_rate = check_positive("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _positive_int("decay_steps", decay_steps)
        self.end_learning_rate = check_positive("end_learning_rate", end_learning_rate, allow_zero=True)
        self.power = check_positive("power", power)
        self.cycle = bool(cycle)

    def __call__(self, step: int) -> float:
        if self.cycle:
            steps = self.decay_steps * (math.ceil(step / self.decay_steps) if step > 0 else 1)
        else:
            step, steps = min(step, self.decay_steps), self.decay_steps
        shape = (1 - step / steps) ** self.power
        return (self.initial_learning_rate - self.end_learning_rate) * shape + self.end_learning_rate


@arguments_checked
class CosineDecay(Schedule):
    """Half a cosine from η₀ down to α·η₀ over ``decay_steps``, then flat — as Keras.

    With ``warmup_target``, Keras 3's linear warm-up comes first: the rate rises in a straight line from
    ``initial_learning_rate`` (0 is allowed then) at step 0 to ``warmup_target`` at step ``warmup_steps``, then
    the cosine takes it from ``warmup_target`` down to α·``warmup_target`` over ``decay_steps`` more steps.
    Without ``warmup_target``, ``warmup_steps`` is ignored, as in Keras. ``name`` is taken for Keras's sake.

    >>> s = CosineDecay(0.0, decay_steps=10, warmup_target=0.1, warmup_steps=4)
    >>> [round(s(k), 4) for k in (0, 2, 4, 9, 14, 100)]
    [0.0, 0.05, 0.1, 0.05, 0.0, 0.0]
    """

    name = "cosine_decay"

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0, name: str | None = None,
                 warmup_target: float | None = None, warmup_steps: int = 0) -> None:
        # Keras's own warm-up example starts from 0; without a warm-up, a rate of 0 would be 0 throughout
        self.initial_learning_rate = check_positive("initial_learning_rate", initial_learning_rate,
                                                    allow_zero=warmup_target is not None)
        self.decay_steps = _positive_int("decay_steps", decay_steps)
        self.alpha = check_positive("alpha", alpha, allow_zero=True)
        self.warmup_target = None if warmup_target is None else check_positive("warmup_target", warmup_target)
        if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, numbers.Integral) or warmup_steps < 0:
            raise ConfigError(f"warmup_steps must be an integer ≥ 0, got {warmup_steps!r}.")
        self.warmup_steps = int(warmup_steps)

    def _cosine(self, step: float, start: float) -> float:
        cosine = 0.5 * (1 + math.cos(math.pi * step / self.decay_steps))
        return start * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step: int) -> float:
        if self.warmup_target is None:
            return self._cosine(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            rise = self.warmup_target - self.initial_learning_rate
            return rise * (step / self.warmup_steps) + self.initial_learning_rate
        return self._cosine(step - self.warmup_steps, self.warmup_target)


@arguments_checked
class CosineDecayRestarts(Schedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter), as Keras's ``CosineDecayRestarts``: the first
    period lasts ``first_decay_steps``, each next one ``t_mul`` times longer and starting ``m_mul`` times lower;
    within a period the rate falls as :class:`CosineDecay`'s, from the period's start to α times η₀.

    >>> s = CosineDecayRestarts(0.1, first_decay_steps=10)
    >>> [round(s(k), 4) for k in (0, 5, 10, 20, 30)]  # periods of 10, 20, 40 steps
    [0.1, 0.05, 0.1, 0.05, 0.1]
    """

    name = "cosine_decay_restarts"

    def __init__(self, initial_learning_rate: float, first_decay_steps: int, t_mul: float = 2.0, m_mul: float = 1.0,
                 alpha: float = 0.0, name: str | None = None) -> None:
        self.initial_learning_rate = check_positive("initial_learning_rate", initial_learning_rate)
        steps = check_positive("first_decay_steps", first_decay_steps)
        self.first_decay_steps = int(steps) if steps.is_integer() else steps  # a count, as Keras's config keeps it
        self.t_mul = check_positive("t_mul", t_mul)
        self.m_mul = check_positive("m_mul", m_mul, allow_zero=True)
        self.alpha = check_positive("alpha", alpha, allow_zero=True)

    def __call__(self, step: int) -> float:
        done = step / self.first_decay_steps  # in periods of the first one's length
        if self.t_mul == 1.0:
            restarts = math.floor(done)
            done -= restarts
        else:
            # the periods so far: 1 + t + t² + … + t^(i−1) = (1 − tⁱ)/(1 − t) ≤ done
            restarts = math.floor(math.log(1.0 - done * (1.0 - self.t_mul)) / math.log(self.t_mul))
            # the logarithm's rounding can put a step at a restart (step 363 of periods 3, 9, 27, ...) in the
            # period before it; the sums themselves decide
            if (1.0 - self.t_mul ** (restarts + 1)) / (1.0 - self.t_mul) <= done:
                restarts += 1
            elif restarts > 0 and (1.0 - self.t_mul ** restarts) / (1.0 - self.t_mul) > done:
                restarts -= 1
            done = (done - (1.0 - self.t_mul ** restarts) / (1.0 - self.t_mul)) / self.t_mul ** restarts
        cosine = 0.5 * self.m_mul ** restarts * (1.0 + math.cos(math.pi * done))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)


@arguments_checked
class WarmupDecay(Schedule):
    """The lecture's warm-up: rise linearly to ``peak_learning_rate`` over ``warmup_steps`` (step s < warmup
    uses peak·(s + 1)/warmup, so the first step is small but not wasted), then decay to
    ``final_learning_rate`` over ``decay_steps`` (``decay="cosine"`` or ``"linear"``) and stay there.

    >>> s = WarmupDecay(0.1, warmup_steps=4, decay_steps=10, decay="linear")
    >>> [round(s(k), 4) for k in (0, 3, 4, 9, 14, 100)]
    [0.025, 0.1, 0.1, 0.05, 0.0, 0.0]
    """

    name = "warmup_decay"

    def __init__(self, peak_learning_rate: float, warmup_steps: int, decay_steps: int,
                 final_learning_rate: float = 0.0, decay: str = "cosine") -> None:
        self.peak_learning_rate = check_positive("peak_learning_rate", peak_learning_rate)
        self.warmup_steps = _positive_int("warmup_steps", warmup_steps)
        self.decay_steps = _positive_int("decay_steps", decay_steps)
        self.final_learning_rate = check_positive("final_learning_rate", final_learning_rate, allow_zero=True)
        if decay not in ("cosine", "linear"):
            raise unknown_name("decay", decay, ["cosine", "linear"])
        self.decay = decay

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            return self.peak_learning_rate * (step + 1) / self.warmup_steps
        done = min(step - self.warmup_steps, self.decay_steps) / self.decay_steps
        shape = 0.5 * (1 + math.cos(math.pi * done)) if self.decay == "cosine" else 1 - done
        return self.final_learning_rate + (self.peak_learning_rate - self.final_learning_rate) * shape


SCHEDULES = {cls.name: cls for cls in (StepDecay, ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay,
                                       PolynomialDecay, CosineDecay, CosineDecayRestarts, WarmupDecay)}


def from_config(config: dict[str, Any]) -> Schedule:
    """The schedule a ``get_config()`` of fnlearn's describes; one of a class of one's own cannot be rebuilt here.

    >>> from_config({"name": "step_decay", "initial_learning_rate": 0.1, "drop_every": 10, "factor": 0.5})(10)
    0.05
    """
    config = dict(config)
    name = config.pop("name", None)
    if name is None:
        raise ConfigError(f"the schedule settings {config!r} name no schedule of fnlearn's, so they come from a "
                          "schedule class of your own, which cannot be rebuilt from them; load the model with "
                          "compile=False and compile it again with that schedule.")
    if name not in SCHEDULES:
        raise unknown_name("schedule", name, SCHEDULES)
    return SCHEDULES[name](**config)


# Keras's schedule classes this module has under the same name: one of the real Keras's is refused with the name
# to write instead.
KERAS_NAMES = ("LearningRateSchedule", "ExponentialDecay", "InverseTimeDecay", "PiecewiseConstantDecay",
               "PolynomialDecay", "CosineDecay", "CosineDecayRestarts")


def serialize(learning_rate_schedule: Schedule) -> dict[str, Any]:
    """A schedule as Keras's ``keras.optimizers.schedules.serialize`` writes it:
    ``{"module", "class_name", "config", "registered_name"}``; :func:`deserialize` makes it again.

    >>> entry = serialize(ExponentialDecay(0.1, 100, 0.96))
    >>> entry["class_name"], entry["config"]["decay_rate"]
    ('ExponentialDecay', 0.96)
    """
    config = learning_rate_schedule.get_config() if isinstance(learning_rate_schedule, Schedule) else None
    if config is None:
        raise ConfigError(f"schedules.serialize got {learning_rate_schedule!r}, which is not a schedule with a "
                          "get_config(); give one of keras.optimizers.schedules' classes, or a LearningRateSchedule "
                          "subclass of your own that defines get_config().")
    own = SCHEDULES.get(config.get("name")) is type(learning_rate_schedule)
    return {"module": "keras.optimizers.schedules" if own else type(learning_rate_schedule).__module__,
            "class_name": type(learning_rate_schedule).__name__, "config": config,
            "registered_name": None if own else type(learning_rate_schedule).__name__}


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Schedule:
    """The schedule :func:`serialize` (fnlearn's or Keras's) described; classes of one's own are found in
    ``custom_objects`` or among those registered with ``keras.saving.register_keras_serializable``. A plain
    ``get_config()`` of fnlearn's is taken too.

    >>> s = deserialize({"class_name": "PolynomialDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 10,
    ...                  "end_learning_rate": 0.01, "power": 1.0, "cycle": False, "name": None}})
    >>> round(s(5), 6)
    0.055
    """
    import inspect

    if not isinstance(config, dict):
        raise ConfigError(f"schedules.deserialize got a {type(config).__name__}; it takes the dict that "
                          "keras.optimizers.schedules.serialize(schedule) gives.")
    if "class_name" not in config:
        return from_config(config)
    from .keras.saving import get_custom_objects

    name, settings = config["class_name"], dict(config.get("config") or {})
    own = {**get_custom_objects(), **(custom_objects or {})}
    cls = own.get(config.get("registered_name")) or own.get(name) or \
        next((c for c in SCHEDULES.values() if c.__name__ == name), None)
    if not isinstance(cls, type) or not callable(cls):
        raise ConfigError(f"schedules.deserialize got the schedule class {name!r}, which is neither fnlearn's nor in "
                          f"custom_objects; pass custom_objects={{{name!r}: {name}}} or register the class with "
                          "keras.saving.register_keras_serializable().")
    takes = inspect.signature(cls.__init__).parameters
    if "name" in settings and ("name" not in takes or SCHEDULES.get(settings["name"]) is cls):
        del settings["name"]  # fnlearn's registry name, or Keras's operation name, which this class does not take
    return cls.from_config(settings) if hasattr(cls, "from_config") else cls(**settings)
