"""``keras.ops.stft`` and ``keras.ops.istft`` (fnlearn.keras.ops_audio) and the ``STFT`` initializer: values
compared with real Keras 3's for the same inputs, gradients with central differences in float64, and bad input
refused in one sentence."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn.backend import to_numpy
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras import initializers, ops
from fnlearn.nn.initializers import WINDOW_NAMES, window_values

RNG = np.random.default_rng(11)
SIGNALS = RNG.normal(size=(2, 3, 21)).astype(np.float32)

# settings of stft / istft; where Keras's backends differ (a rectangle shorter than the transform, istft's other
# cases) fnlearn follows Keras on JAX, whose SciPy rules Keras's NumPy backend computes too
SETTINGS = [
    dict(sequence_length=8, sequence_stride=2, fft_length=8),
    dict(sequence_length=8, sequence_stride=3, fft_length=8, window="hamming"),
    dict(sequence_length=6, sequence_stride=3, fft_length=8, window=None),
    dict(sequence_length=5, sequence_stride=2, fft_length=9, window="hann", center=False),
    dict(sequence_length=4, sequence_stride=4, fft_length=4, window=np.arange(1.0, 5.0)),
    dict(sequence_length=7, sequence_stride=3, fft_length=16),
]
# those where Keras on PyTorch computes the same (a window as long as the transform, centred frames)
ON_TORCH = SETTINGS[:2]


def _keras_numpy_math():
    """Keras's NumPy backend's math module, beside the backend Keras runs on (whose name it would take over)."""
    real_keras()
    import keras.src.backend as loaded

    running = loaded.numpy
    from keras.src.backend.numpy import math

    loaded.numpy = running
    return math


@pytest.mark.parametrize("settings", SETTINGS, ids=range(len(SETTINGS)))
def test_stft_and_istft_equal_keras(settings):
    math = _keras_numpy_math()
    re, im = ops.stft(SIGNALS, **settings)
    theirs = math.stft(SIGNALS, **settings)
    for mine, their in zip((re, im), theirs):
        assert mine.shape == their.shape
        np.testing.assert_allclose(mine.numpy(), their, rtol=1e-5, atol=2e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SciPy's note that a frame at an end is not invertible (Keras's NumPy side)
        for length in (None, 10):
            back = math.istft(theirs, length=length, **settings)
            mine = ops.istft(theirs, length=length, **settings)
            assert mine.shape == back.shape
            np.testing.assert_allclose(mine.numpy(), back, rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("settings", ON_TORCH, ids=range(len(ON_TORCH)))
def test_stft_and_istft_equal_keras_on_torch(settings):
    real = real_keras()
    theirs = [np.asarray(part) for part in real.ops.stft(SIGNALS, **settings)]
    mine = ops.stft(SIGNALS, **settings)
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a.numpy(), b, rtol=1e-5, atol=2e-6)
    back = np.asarray(real.ops.istft(tuple(theirs), **settings))
    np.testing.assert_allclose(ops.istft(mine, **settings).numpy(), back, rtol=1e-5, atol=2e-6)
    np.testing.assert_allclose(back, SIGNALS[..., :back.shape[-1]], atol=2e-5)  # the signal (but a last partial frame)


def test_the_round_trip_gives_the_signal_back():
    real = real_keras()
    x = RNG.normal(size=(64,))
    np.testing.assert_allclose(ops.stft(x[:5], 1, 1, 1)[0].numpy(), np.asarray(real.ops.stft(x[:5], 1, 1, 1)[0]),
                               rtol=1e-6)  # a window of one sample is 1
    np.testing.assert_allclose(ops.istft(ops.stft(x[:5], 1, 1, 1), 1, 1, 1).numpy(), x[:5], rtol=1e-6)
    for window in ("hann", "hamming"):
        pair = ops.stft(x, 16, 4, 16, window=window)
        np.testing.assert_allclose(ops.istft(pair, 16, 4, 16, length=64, window=window).numpy(), x, atol=1e-5)


def _weighted(fn, shapes):
    weights = [RNG.normal(size=s) for s in shapes]

    def loss(*inputs):
        outs = fn(*inputs)
        outs = outs if isinstance(outs, tuple) else (outs,)
        total = None
        for out, w in zip(outs, weights):
            term = (out * fl.tensor(w)).sum()
            total = term if total is None else total + term
        return total

    return loss


@pytest.mark.parametrize("settings", [SETTINGS[0], SETTINGS[2], SETTINGS[3]], ids=range(3))
def test_gradients_equal_central_differences(settings):
    x = RNG.normal(size=(2, 13))
    re, _ = ops.stft(x, **settings)
    assert fl.gradcheck(_weighted(lambda s: ops.stft(s, **settings), [re.shape, re.shape]), [x], atol=1e-7,
                        rtol=1e-5)
    parts = [RNG.normal(size=re.shape) for _ in range(2)]
    out = ops.istft(tuple(parts), **settings)
    assert fl.gradcheck(_weighted(lambda a, b: ops.istft((a, b), **settings), [out.shape]), parts, atol=1e-7,
                        rtol=1e-5)


def test_stft_initializer_equals_keras_and_saves_as_keras():
    real = real_keras()
    for args in [("real", "hann", "density", False), ("imag", "hamming", "spectrum", True),
                 ("imag", None, None, False), ("real", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], "density", False)]:
        mine, theirs = initializers.STFT(*args), real.initializers.STFT(*args)
        np.testing.assert_allclose(to_numpy(mine((8, 1, 5))), np.asarray(theirs((8, 1, 5))), atol=2e-6)
        assert initializers.serialize(mine) == real.initializers.serialize(theirs)
        again = initializers.deserialize(real.initializers.serialize(theirs))
        np.testing.assert_array_equal(to_numpy(again((8, 1, 5))), to_numpy(mine((8, 1, 5))))
        assert initializers.STFT.from_config(theirs.get_config()).get_config() == mine.get_config()
    assert initializers.STFTInitializer is initializers.stft is initializers.STFT
    assert isinstance(initializers.get("stft"), initializers.STFT)
    assert initializers.STFT()((4, 1, 3), dtype="float64").dtype == np.float64


def test_windows_are_scipys():
    from scipy.signal import get_window

    for name in WINDOW_NAMES:
        for length in (1, 6, 9):
            for periodic in (True, False):
                np.testing.assert_allclose(window_values(name, length, periodic, "test"),
                                           get_window(name, length, periodic), atol=1e-12)


@pytest.mark.parametrize("call, error, message", [
    (lambda: ops.stft(np.ones(16), 8, 4, 4), ConfigError, "fft_length=4 shorter than sequence_length=8"),
    (lambda: ops.stft(np.ones(16), 8, 0, 8), ConfigError, "sequence_stride=0"),
    (lambda: ops.stft(np.ones(16), 8, 4, 8, window="kaiser"), ConfigError, "window='kaiser'"),
    (lambda: ops.stft(np.ones(16), 8, 4, 8, window=np.ones(5)), ShapeError, "window of shape"),
    (lambda: ops.stft(np.ones(6), 8, 4, 8, center=False), ShapeError, "shorter than one frame"),
    (lambda: ops.stft(np.ones(1), 8, 4, 8), ShapeError, "at least 2 samples"),
    (lambda: ops.istft((np.ones(5), np.ones(5)), 8, 4, 8), ShapeError, "frames, bins"),
    (lambda: ops.istft((np.ones((3, 5)), np.ones((3, 4))), 8, 4, 8), ShapeError, "must match"),
    (lambda: initializers.STFT(side="both"), ConfigError, "side must be"),
    (lambda: initializers.STFT(window="nope"), ConfigError, "'nope' is not known"),
    (lambda: initializers.STFT(scaling="l2"), ConfigError, "scaling must be"),
    (lambda: initializers.STFT(window=[1.0, 2.0])((3, 1, 2)), ShapeError, "2 values for frames of 3"),
])
def test_what_cannot_work_is_one_sentence(call, error, message):
    with pytest.raises(error, match=re.escape(message)) as caught:
        call()
    text = str(caught.value)
    assert "\n" not in text and text.endswith(".")
