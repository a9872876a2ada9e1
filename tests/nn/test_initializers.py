"""Initializers: every name, the scale each promises, dtypes and reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

import fnlearn as fl
from fnlearn.errors import ConfigError
from fnlearn.nn import initializers as I

SHAPE = (400, 300)


def _drawn(init, shape):
    """What ``init`` draws on the backend, copied to the host for the NumPy statistics below."""
    return fl.backend.to_numpy(init(shape))


def test_uniform_limits_and_normal_scales():
    fl.set_seed(0)
    fan_in, fan_out = SHAPE
    g = _drawn(I.get("glorot_uniform"), SHAPE)
    limit = np.sqrt(6 / (fan_in + fan_out))
    assert g.max() <= limit and g.min() >= -limit and g.max() > 0.95 * limit
    h = _drawn(I.get("he_uniform"), SHAPE)
    assert np.abs(h).max() <= np.sqrt(6 / fan_in) and np.abs(h).max() > 0.95 * np.sqrt(6 / fan_in)
    assert _drawn(I.get("glorot_normal"), SHAPE).std() == pytest.approx(np.sqrt(2 / (fan_in + fan_out)), rel=0.02)
    assert _drawn(I.get("he_normal"), SHAPE).std() == pytest.approx(np.sqrt(2 / fan_in), rel=0.02)
    n = _drawn(I.normal(std=0.3, mean=1.0), SHAPE)
    assert n.std() == pytest.approx(0.3, rel=0.02) and n.mean() == pytest.approx(1.0, abs=0.01)
    assert np.all(_drawn(I.get("zeros"), (3, 2)) == 0) and np.all(_drawn(I.get("ones"), (3,)) == 1)


def test_every_name_gives_the_shape_and_default_dtype():
    for name in I.INITIALIZERS:
        w = I.get(name)((5, 4))
        assert w.shape == (5, 4) and w.dtype == np.float32, name
        # the config form rebuilds an initializer of the same kind
        rebuilt = I.from_config(I.name_of(I.get(name)))
        assert rebuilt is I.get(name) or type(rebuilt) is type(I.get(name)), name
    fl.set_default_dtype("float64")
    assert I.get("he_normal")((2, 2)).dtype == np.float64


def test_layers_accept_initializers_by_name_object_or_callable():
    assert np.all(fl.layers.Dense(3, input_dim=2, kernel_initializer="ones").kernel.numpy() == 1)
    layer = fl.layers.Dense(3, input_dim=2, kernel_initializer=I.Normal(std=0.01))
    assert layer.get_config()["kernel_initializer"] == {"name": "normal", "std": 0.01, "mean": 0.0}
    assert isinstance(I.from_config({"name": "normal", "std": 0.01}), I.Normal)
    layer = fl.layers.Dense(2, input_dim=2, kernel_initializer=lambda shape: np.full(shape, 0.5))
    assert np.all(layer.kernel.numpy() == 0.5)


def test_set_seed_reproduces_weights():
    fl.set_seed(123)
    a = [fl.layers.Dense(4, input_dim=3, kernel_initializer=n).kernel.numpy() for n in ("glorot_uniform", "he_normal")]
    fl.set_seed(123)
    b = [fl.layers.Dense(4, input_dim=3, kernel_initializer=n).kernel.numpy() for n in ("glorot_uniform", "he_normal")]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    fl.set_seed(124)
    assert not np.array_equal(fl.layers.Dense(4, input_dim=3).kernel.numpy(), a[0])
    with pytest.raises(ConfigError, match="seed"):
        fl.set_seed(-1)


def test_unknown_initializer_lists_the_valid_ones():
    with pytest.raises(ConfigError, match=r"did you mean 'glorot_uniform'\?.*he_normal"):
        I.get("glorot_unifrom")
