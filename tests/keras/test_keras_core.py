"""keras.Variable, keras.KerasTensor and keras.device: a layer of one's own holding Variables trains as Keras's."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
import fnlearn.keras as keras
from fnlearn.errors import ConfigError, DeviceError

X = np.random.default_rng(6).normal(size=(16, 3)).astype(np.float32)
Y = X @ np.array([[1.0], [-1.0], [0.5]], np.float32)


def _scale_layer(k):
    """A layer of one's own whose weights are Variables made in __init__: a trained scale, a frozen shift."""

    class Scale(k.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.scale = k.Variable(np.full(3, 0.5, np.float32), name="scale")
            self.shift = k.Variable("ones", shape=(3,), trainable=False, name="shift")

        def call(self, x):
            return x * self.scale + self.shift

    return Scale()


def _trained(k):
    model = k.Sequential([k.Input((3,)), _scale_layer(k), k.layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer=k.optimizers.SGD(0.05), loss="mse")
    model.fit(X, Y, epochs=3, batch_size=4, shuffle=False, verbose=0)
    return model


def test_a_layer_holding_variables_trains_as_keras():
    real = real_keras()
    ours, theirs = _trained(keras), _trained(real)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    for mine, its in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, its, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ours.layers[0].shift.numpy(), np.ones(3))  # not trained
    assert len(ours.trainable_weights) == len(theirs.trainable_weights) == 3


def test_every_weight_is_a_variable_and_variables_take_initializers_and_values(float64):
    dense = keras.layers.Dense(2)
    dense.build((None, 3))
    assert isinstance(dense.kernel, keras.Variable) and not isinstance(np.ones(2), keras.Variable)
    drawn = keras.Variable(keras.initializers.Constant(3.0), shape=(2, 2), dtype="float32")
    assert drawn.dtype == np.float32 and drawn.numpy().tolist() == [[3.0, 3.0], [3.0, 3.0]]
    scalar = keras.Variable(2.0)
    assert scalar.shape == () and scalar.dtype == np.float64 and scalar.trainable
    scalar.assign(5.0)
    assert float(scalar.numpy()) == 5.0
    with pytest.raises(ConfigError, match="initializer 'zeros' without a shape; give shape="):
        keras.Variable("zeros")
    with pytest.raises(ConfigError, match=r"starting values of shape \(2,\) and shape=\(3,\)"):
        keras.Variable([1.0, 2.0], shape=(3,))


def test_placeholders_are_keras_tensors():
    x = keras.Input((4,))
    assert isinstance(x, keras.KerasTensor) and isinstance(keras.layers.Dense(2)(x), keras.KerasTensor)
    assert not isinstance(fl.tensor([1.0]), keras.KerasTensor)


def test_device_puts_the_block_on_the_device_and_gives_the_one_before_back():
    before = fl.backend.device()
    with keras.device("cpu:0"):
        assert fl.backend.device() == "cpu"
        assert isinstance(fl.tensor([1.0]).data, np.ndarray)
    assert fl.backend.device() == before
    if before == "cuda":  # the GPU's code path: the block on the GPU too
        with keras.device("gpu"):
            assert fl.backend.device() == "cuda"
    for name in ("gpu:1", "tpu", 0):
        with pytest.raises(ConfigError, match="give 'cpu' or 'gpu'"):
            with keras.device(name):
                pass


@pytest.mark.host_only  # without CuPy: on the GPU's code path CuPy is there
def test_device_gpu_without_cupy_says_so_and_changes_nothing():
    try:
        import cupy  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("CuPy is installed here: the GPU's own tests cover keras.device('gpu')")
    with pytest.raises(DeviceError, match="cupy"):
        with keras.device("gpu"):
            pass
    assert fl.backend.device() == "cpu"
