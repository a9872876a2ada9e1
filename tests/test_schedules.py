"""Learning-rate schedules: values at given steps, validation, config round trips."""

from __future__ import annotations

import math

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
              S.CosineDecay(0.1, 50, alpha=0.2), S.WarmupDecay(0.1, 5, 20, 0.001, decay="linear")):
        again = S.from_config(s.get_config())
        assert type(again) is type(s) and [again(k) for k in range(0, 60, 7)] == [s(k) for k in range(0, 60, 7)]
    with pytest.raises(ConfigError, match="valid names are"):
        S.from_config({"name": "nope"})
