"""Learning-rate schedules: values at given steps, validation, config round trips."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fnlearn as fl
from fnlearn.errors import ConfigError

S = fl.optim.schedules


def test_step_decay():
    s = S.StepDecay(0.1, drop_every=10, factor=0.5)
    assert [s(0), s(9), s(10), s(25)] == [0.1, 0.1, 0.05, 0.025]


def test_exponential_decay_smooth_and_staircase():
    s = S.ExponentialDecay(1.0, decay_steps=10, decay_rate=0.5)
    assert s(0) == 1.0 and s(10) == 0.5 and math.isclose(s(5), 0.5 ** 0.5)
    stairs = S.ExponentialDecay(1.0, decay_steps=10, decay_rate=0.5, staircase=True)
    assert [stairs(9), stairs(10), stairs(19), stairs(20)] == [1.0, 0.5, 0.5, 0.25]
    assert S.ExponentialDecay(1.0, decay_steps=1, decay_rate=1.5)(10**6) == math.inf  # not an OverflowError


def test_cosine_decay():
    s = S.CosineDecay(0.2, decay_steps=100, alpha=0.1)
    assert s(0) == pytest.approx(0.2)
    assert s(50) == pytest.approx(0.2 * (0.9 * 0.5 + 0.1))
    assert s(100) == pytest.approx(0.02) and s(1000) == pytest.approx(0.02)


def test_warmup_then_decay():
    s = S.WarmupDecay(0.1, warmup_steps=4, decay_steps=10, final_learning_rate=0.01)
    warm = [s(k) for k in range(4)]
    assert warm == pytest.approx([0.025, 0.05, 0.075, 0.1])
    assert s(4) == pytest.approx(0.1)
    assert s(9) == pytest.approx(0.01 + 0.09 * 0.5)  # half-way down the cosine
    assert s(14) == pytest.approx(0.01) and s(500) == pytest.approx(0.01)
    lin = S.WarmupDecay(0.1, warmup_steps=2, decay_steps=4, decay="linear")
    assert [lin(k) for k in (2, 3, 4, 6)] == pytest.approx([0.1, 0.075, 0.05, 0.0])


def test_inverse_time_decay_smooth_and_staircase():
    s = S.InverseTimeDecay(0.1, decay_steps=7, decay_rate=0.5)
    assert [s(k) for k in range(51)] == pytest.approx([0.1 / (1 + 0.5 * k / 7) for k in range(51)], rel=1e-15)
    stairs = S.InverseTimeDecay(0.1, decay_steps=7, decay_rate=0.5, staircase=True)
    assert [stairs(k) for k in range(51)] == pytest.approx([0.1 / (1 + 0.5 * (k // 7)) for k in range(51)], rel=1e-15)
    assert [stairs(6), stairs(7)] == [0.1, 0.1 / 1.5]
    assert S.InverseTimeDecay(0.1, decay_steps=3, decay_rate=0)(100) == 0.1  # a rate of 0 leaves it constant


def test_piecewise_constant_decay_includes_each_boundary_in_the_piece_before():
    s = S.PiecewiseConstantDecay([10, 20, 35], [0.1, 0.05, 0.01, 0.001])
    expected = [0.1 if k <= 10 else 0.05 if k <= 20 else 0.01 if k <= 35 else 0.001 for k in range(51)]
    assert [s(k) for k in range(51)] == expected
    assert S.PiecewiseConstantDecay([0], [1.0, 0.5])(0) == 1.0
    from_arrays = S.PiecewiseConstantDecay(np.array([100, 200]), np.array([0.1, 0.01, 0.001], dtype=np.float32))
    assert from_arrays.get_config()["boundaries"] == [100, 200] and type(from_arrays(150)) is float


def test_polynomial_decay_with_and_without_cycles():
    s = S.PolynomialDecay(0.1, decay_steps=30, end_learning_rate=0.01, power=2.0)
    assert [s(k) for k in range(51)] == pytest.approx(
        [0.09 * (1 - min(k, 30) / 30) ** 2 + 0.01 for k in range(51)], rel=1e-15)
    linear = S.PolynomialDecay(0.1, decay_steps=10)  # Keras's defaults: end 1e-4, power 1
    assert linear(5) == pytest.approx((0.1 + 0.0001) / 2) and linear(10) == linear(99) == pytest.approx(0.0001)
    cyc = S.PolynomialDecay(0.1, decay_steps=12, end_learning_rate=0.001, power=0.5, cycle=True)

    def cycled(k):
        steps = 12 * (math.ceil(k / 12) if k else 1)  # the first multiple of 12 at or above k
        return 0.099 * (1 - k / steps) ** 0.5 + 0.001

    assert [cyc(k) for k in range(51)] == pytest.approx([cycled(k) for k in range(51)], rel=1e-15)
    assert cyc(12) == pytest.approx(0.001) and cyc(13) > cyc(12)  # restarts after each period
    rising = S.PolynomialDecay(0.01, decay_steps=4, end_learning_rate=0.1)  # Keras lets the end be higher
    assert rising(4) == pytest.approx(0.1) and rising(2) == pytest.approx(0.055)


def test_new_schedules_are_keras_optimizers_schedules():
    from fnlearn.keras.optimizers.schedules import InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay

    assert fl.keras.optimizers.schedules is S and InverseTimeDecay is S.InverseTimeDecay
    assert PiecewiseConstantDecay is fl.schedules.PiecewiseConstantDecay and PolynomialDecay is S.PolynomialDecay


@pytest.mark.parametrize("make", [
    lambda: S.InverseTimeDecay(0.1, decay_steps=0, decay_rate=0.5),
    lambda: S.InverseTimeDecay(0.1, decay_steps=5, decay_rate=-0.5),
    lambda: S.PiecewiseConstantDecay([10, 20], [0.1, 0.01]),
    lambda: S.PiecewiseConstantDecay([], [0.1]),
    lambda: S.PiecewiseConstantDecay([20, 10], [0.1, 0.01, 0.001]),
    lambda: S.PiecewiseConstantDecay([10, 10], [0.1, 0.01, 0.001]),
    lambda: S.PiecewiseConstantDecay([10], [0.1, -0.01]),
    lambda: S.PiecewiseConstantDecay([float("nan")], [0.1, 0.01]),
    lambda: S.PiecewiseConstantDecay("10", [0.1, 0.01]),
    lambda: S.PiecewiseConstantDecay([10], ["0.1", 0.01]),
    lambda: S.PolynomialDecay(0.1, decay_steps=10, power=0),
    lambda: S.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=-1),
    lambda: S.PolynomialDecay(0.1, decay_steps=2.5),
])
def test_bad_arguments_of_the_keras_schedules_raise_one_sentence(make):
    with pytest.raises(ConfigError) as info:
        make()
    message = str(info.value)
    assert message.endswith(".") and message.count(". ") == 0


@pytest.mark.parametrize("make", [
    lambda: S.StepDecay(0, drop_every=1), lambda: S.StepDecay(0.1, drop_every=0),
    lambda: S.ExponentialDecay(0.1, decay_steps=1.5, decay_rate=0.5),
    lambda: S.CosineDecay(float("nan"), decay_steps=10), lambda: S.CosineDecay(0.1, 10, alpha=-1),
    lambda: S.WarmupDecay(0.1, warmup_steps=-1, decay_steps=5), lambda: S.WarmupDecay(0.1, 1, 5, decay="cos"),
])
def test_bad_arguments_raise(make):
    with pytest.raises(ConfigError):
        make()


def test_config_round_trip():
    for s in (S.StepDecay(0.1, 10, 0.3), S.ExponentialDecay(0.1, 5, 0.9, staircase=True),
              S.CosineDecay(0.1, 50, alpha=0.2), S.WarmupDecay(0.1, 5, 20, 0.001, decay="linear"),
              S.InverseTimeDecay(0.1, 5, 0.5, staircase=True), S.PiecewiseConstantDecay([5, 30], [0.1, 0.02, 0.004]),
              S.PolynomialDecay(0.1, 9, 0.001, power=2.0, cycle=True)):
        again = S.from_config(s.get_config())
        assert type(again) is type(s) and [again(k) for k in range(0, 60, 7)] == [s(k) for k in range(0, 60, 7)]
    with pytest.raises(ConfigError, match="valid names are"):
        S.from_config({"name": "nope"})


@pytest.mark.parametrize("schedule", [
    S.InverseTimeDecay(0.05, decay_steps=3, decay_rate=0.5, staircase=True),
    S.PiecewiseConstantDecay([4, 9], [0.05, 0.02, 0.01]),
    S.PolynomialDecay(0.05, decay_steps=7, end_learning_rate=0.001, power=2.0, cycle=True),
], ids=["inverse_time", "piecewise_constant", "polynomial"])
def test_keras_schedules_drive_fit_and_survive_save_and_load(schedule, tmp_path):
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(4, activation="tanh", input_dim=2), fl.layers.Dense(1)])
    model.compile(optimizer=fl.optim.SGD(learning_rate=schedule), loss="mse")
    x = np.random.default_rng(0).normal(size=(40, 2))
    model.fit(x, x.sum(1), epochs=2, batch_size=8, verbose=0)
    opt = model.optimizer
    assert opt.iterations == 10 and opt.current_learning_rate() == pytest.approx(schedule(10))
    again = fl.optim.from_config(opt.get_config())
    assert type(again.schedule) is type(schedule)
    assert again.schedule.get_config() == schedule.get_config()
    model.save(tmp_path / "m.fnl")
    loaded = fl.load_model(tmp_path / "m.fnl").optimizer
    assert loaded.schedule.get_config() == schedule.get_config()
    assert loaded.iterations == 10 and loaded.current_learning_rate() == opt.current_learning_rate()


def test_learning_rate_reads_as_the_current_number_under_a_schedule_as_keras_callbacks_read_it() -> None:
    import fnlearn.keras as keras

    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=5, decay_rate=0.5)
    seen = []

    class Watch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(float(self.model.optimizer.learning_rate))

    fl.set_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(schedule), loss="mse")
    x = np.random.default_rng(0).normal(size=(20, 2))
    model.fit(x, x.sum(1), epochs=2, batch_size=4, verbose=0, callbacks=[Watch()])
    assert seen == pytest.approx([schedule(5), schedule(10)]) and seen[1] == pytest.approx(0.025)
    assert model.optimizer.schedule is schedule
    model.optimizer.learning_rate = 0.01  # a number replaces the schedule
    assert model.optimizer.schedule is None and model.optimizer.learning_rate == 0.01


@pytest.mark.parametrize("rate", [np.float32(0.1), np.array(0.1), np.float64(0.1)])
def test_numpy_numbers_and_0d_arrays_are_learning_rates_for_schedules_and_optimizers(rate) -> None:
    """Keras's schedules take NumPy numbers and 0-d arrays; they are read as the float they hold."""
    schedule = fl.optim.schedules.ExponentialDecay(rate, decay_steps=10, decay_rate=0.5)
    assert schedule(10) == pytest.approx(0.05) and type(schedule.get_config()["initial_learning_rate"]) is float
    assert fl.optim.SGD(learning_rate=rate).learning_rate == pytest.approx(0.1)
    with pytest.raises(ConfigError, match="must be a finite number > 0"):
        fl.optim.schedules.ExponentialDecay(np.array([0.1, 0.2]), decay_steps=10, decay_rate=0.5)


# ----------------------------------------------------------------------------- Keras 3's values, step by step


def _keras_values(schedule, steps):
    """Keras's schedule at each step, compiled once for every step (eager, its cond compiles again at each call)."""
    import jax

    at = jax.jit(schedule)
    return [float(at(step)) for step in steps]


@pytest.mark.keras_backend("jax")  # _keras_values compiles the schedule with jax.jit
@pytest.mark.parametrize("settings", [
    dict(initial_learning_rate=0.0, decay_steps=10, warmup_target=0.1, warmup_steps=5),
    dict(initial_learning_rate=0.01, decay_steps=7, alpha=0.2, warmup_target=0.05, warmup_steps=3),
    dict(initial_learning_rate=0.2, decay_steps=6, warmup_target=0.05, warmup_steps=4),  # a warm-up downwards
    dict(initial_learning_rate=0.05, decay_steps=10, warmup_target=0.1, warmup_steps=0),
    dict(initial_learning_rate=0.05, decay_steps=10, warmup_steps=5),  # no target: Keras ignores warmup_steps
    dict(initial_learning_rate=0.1, decay_steps=12, alpha=0.1),
])
def test_cosine_decay_with_warmup_gives_kerass_values_at_every_step(settings):
    from real_keras import real_keras

    real = real_keras()
    steps = range(0, 30)
    ours = S.CosineDecay(**settings)
    theirs = real.optimizers.schedules.CosineDecay(**settings)
    np.testing.assert_allclose([ours(k) for k in steps], _keras_values(theirs, steps), rtol=2e-6, atol=1e-9)
    again = S.from_config(ours.get_config())
    assert [again(k) for k in steps] == [ours(k) for k in steps]


def test_cosine_decay_warmup_by_hand():
    s = S.CosineDecay(0.0, decay_steps=10, warmup_target=0.1, warmup_steps=4, alpha=0.5)
    assert [s(k) for k in range(5)] == pytest.approx([0.0, 0.025, 0.05, 0.075, 0.1])
    assert s(9) == pytest.approx(0.1 * (0.5 * 0.5 + 0.5)) and s(14) == s(1000) == pytest.approx(0.05)
    with pytest.raises(ConfigError, match="initial_learning_rate must be a finite number > 0, got 0"):
        S.CosineDecay(0, decay_steps=10)  # without a warm-up, a rate of 0 would stay 0
    with pytest.raises(ConfigError, match="warmup_steps must be an integer ≥ 0, got -1"):
        S.CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=-1)
    with pytest.raises(ConfigError, match="warmup_target must be a finite number > 0"):
        S.CosineDecay(0.1, 10, warmup_target=float("nan"), warmup_steps=2)


@pytest.mark.keras_backend("jax")  # _keras_values compiles the schedule with jax.jit
@pytest.mark.parametrize("name, args, kwargs", [
    ("ExponentialDecay", (0.1, 7, 0.5), {}), ("ExponentialDecay", (0.1, 7, 0.5), {"staircase": True}),
    ("InverseTimeDecay", (0.1, 7, 0.5), {}), ("InverseTimeDecay", (0.1, 7, 0.5), {"staircase": True}),
    ("PiecewiseConstantDecay", ([10, 20], [0.1, 0.05, 0.01]), {}),
    ("PolynomialDecay", (0.1, 12), {"end_learning_rate": 0.001, "power": 0.5, "cycle": True}),
    ("PolynomialDecay", (0.1, 12), {"power": 2.0}),
    ("CosineDecay", (0.1, 12), {"alpha": 0.1, "name": "decay"}),
])
def test_every_keras_schedule_gives_kerass_values(name, args, kwargs):
    from real_keras import real_keras

    real = real_keras()
    steps = range(0, 41)
    ours = getattr(fl.keras.optimizers.schedules, name)(*args, **kwargs)
    theirs = getattr(real.optimizers.schedules, name)(*args, **kwargs)
    np.testing.assert_allclose([ours(k) for k in steps], _keras_values(theirs, steps), rtol=2e-6, atol=1e-9)


# ----------------------------------------------------------------------------- arguments, as one sentence


@pytest.mark.parametrize("make, words", [
    (lambda: S.ExponentialDecay(0.1, decay_step=10, decay_rate=0.5),
     r"^ExponentialDecay got an unexpected argument decay_step=10; did you mean 'decay_steps'\? it takes "
     r"initial_learning_rate, decay_steps, decay_rate, staircase, name\.$"),
    (lambda: S.CosineDecay(0.1, 10, warmup_taget=0.2), r"^CosineDecay got an unexpected argument warmup_taget=0.2; "
                                                       r"did you mean 'warmup_target'\?"),
    (lambda: S.PiecewiseConstantDecay(boundary=[1], values=[1.0, 0.5]), r"did you mean 'boundaries'\?"),
    (lambda: S.StepDecay(0.1, drop_evry=3), r"^StepDecay got an unexpected argument drop_evry=3; did you mean "
                                            r"'drop_every'\?"),
    (lambda: S.WarmupDecay(0.1, 2, 5, decya="linear"), r"^WarmupDecay got an unexpected argument decya='linear'; "
                                                       r"did you mean 'decay'\?"),
    (lambda: S.ExponentialDecay(0.1, decay_rate=0.5), r"^ExponentialDecay needs decay_steps; it takes "
                                                      r"initial_learning_rate, decay_steps"),
    (lambda: S.InverseTimeDecay(), r"^InverseTimeDecay needs initial_learning_rate, decay_steps and decay_rate;"),
    (lambda: S.PolynomialDecay(0.1, 10, 0.0, 1.0, False, "p", 3), r"^PolynomialDecay takes at most 6 arguments"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5, decay_steps=10), r"^ExponentialDecay got decay_steps twice"),
])
def test_misspelled_missing_or_doubled_arguments_are_one_config_error_sentence(make, words):
    with pytest.raises(ConfigError, match=words) as info:
        make()
    assert str(info.value).endswith(".") and str(info.value).count(". ") == 0
    assert "__init__" not in str(info.value)


def test_the_keras_name_argument_is_taken():
    assert S.ExponentialDecay(0.1, 10, 0.5, name="lr")(10) == pytest.approx(0.05)
    assert S.PiecewiseConstantDecay([5], [0.1, 0.01], name="steps")(6) == 0.01
    assert S.CosineDecay(0.1, 10, 0.0, "cosine")(10) == 0.0  # Keras's fourth positional argument is the name


# ----------------------------------------------------------------------------- a schedule of one's own


class _Halving(fl.keras.optimizers.schedules.LearningRateSchedule):
    """Keras's guide's way: __call__(step), no super().__init__, no get_config."""

    def __init__(self, initial_learning_rate, every):
        self.initial_learning_rate, self.every = initial_learning_rate, every
        self.steps_seen = []

    def __call__(self, step):
        self.steps_seen.append(step)
        halvings = fl.keras.ops.cast(step // self.every, "float32")  # Keras code casts the step tensor
        return self.initial_learning_rate * 0.5 ** halvings


class _Inverse(S.LearningRateSchedule):
    def __init__(self, initial_learning_rate):
        self.initial_learning_rate = initial_learning_rate

    def __call__(self, step):
        return self.initial_learning_rate / (step + 1)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate}


def test_a_learning_rate_schedule_of_ones_own_drives_fit_step_by_step():
    from fnlearn import keras

    schedule = _Halving(0.1, every=2)
    assert isinstance(S.ExponentialDecay(0.1, 10, 0.5), keras.optimizers.schedules.LearningRateSchedule)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule), loss="mse")
    x, y = np.ones((4, 1)), np.ones((4, 1))
    model.fit(x, y, batch_size=4, epochs=5, shuffle=False, verbose=0)
    # SGD on (w − 1)²: w ← w − η_t · 2(w − 1), with η_t the schedule's rate at step t
    w = 0.0
    for step in range(5):
        w -= 0.1 * 0.5 ** (step // 2) * 2 * (w - 1)
    assert model.get_weights()[0][0, 0] == pytest.approx(w, rel=1e-6)
    assert model.optimizer.iterations == 5 and set(range(5)) <= set(schedule.steps_seen)
    assert model.optimizer.schedule is schedule and float(model.optimizer.learning_rate) == pytest.approx(0.025)
    fl.optim.Adam(model.parameters(), learning_rate=_Inverse(0.1)).step()  # fnlearn's optimizers take one too


def test_a_schedule_of_ones_own_saves_as_keras_allows(tmp_path):
    from fnlearn import keras

    x, y = np.ones((4, 1)), np.ones((4, 1))
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(_Halving(0.1, every=2)), loss="mse")
    model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    assert _Halving(0.1, 2).get_config() is None  # nothing could rebuild it from settings
    with pytest.warns(UserWarning, match="cannot be saved; the file stores its current value 0.05"):
        model.save(tmp_path / "plain.fnl")
    assert fl.load_model(tmp_path / "plain.fnl").optimizer.learning_rate == pytest.approx(0.05)
    # with get_config (Keras's way) its settings are saved, and the model loads uncompiled, as the sentence says
    model.compile(optimizer=keras.optimizers.SGD(_Inverse(0.1)), loss="mse")
    model.save(tmp_path / "own.fnl")
    with pytest.raises(fl.errors.ModelFileError, match="schedule class of your own.*load the model with "
                                                       "compile=False"):
        fl.load_model(tmp_path / "own.fnl")
    np.testing.assert_array_equal(fl.load_model(tmp_path / "own.fnl", compile=False).get_weights()[0],
                                  model.get_weights()[0])
    with pytest.raises(NotImplementedError, match="must define __call__\\(self, step\\)"):
        S.LearningRateSchedule()(0)


# ----------------------------------------------------------------------------- the real Keras's are refused


def test_a_schedule_of_the_real_keras_is_refused_with_the_one_to_use():
    from real_keras import real_keras

    real = real_keras()
    theirs = real.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    words = (r"^the learning-rate schedule ExponentialDecay comes from Keras, not fnlearn; use fnlearn's own "
             r"keras.optimizers.schedules.ExponentialDecay \(.*`from fnlearn import keras`.*\)\.$")
    for make in (lambda: fl.keras.optimizers.SGD(learning_rate=theirs), lambda: fl.keras.optimizers.Adam(theirs),
                 lambda: fl.keras.optimizers.RMSprop(lr=theirs), lambda: S.check_learning_rate(theirs)):
        with pytest.raises(ConfigError, match=words):
            make()

    class Mine(real.optimizers.schedules.LearningRateSchedule):  # a subclass of Keras's base: still Keras's
        def __call__(self, step):
            return 0.1

    Mine.__module__ = "keras.src.optimizers.schedules.learning_rate_schedule"
    with pytest.raises(ConfigError, match=r"^the learning-rate schedule Mine comes from Keras, not fnlearn; use "
                                          r"fnlearn's own \("):
        S.check_learning_rate(Mine())
    assert S.check_learning_rate(0.5) == 0.5 and S.check_learning_rate(np.float32(0.25)) == 0.25
    own = _Inverse(0.1)
    assert S.check_learning_rate(own) is own
    for name in S.KERAS_NAMES:
        assert hasattr(fl.keras.optimizers.schedules, name) and hasattr(real.optimizers.schedules, name)
