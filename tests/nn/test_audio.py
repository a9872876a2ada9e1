"""STFTSpectrogram and MelSpectrogram: Keras 3's outputs, weights and configs for the same settings, files both
ways, gradients of the inputs and of the trainable kernels against central differences, and one sentence for
what cannot work."""

from __future__ import annotations

import re

import numpy as np
import pytest
from real_keras import assert_config_as_keras, assert_files_cross_both_ways, real_keras
from value_checks import assert_gradients_of_inputs_and_weights

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, ShapeError

RNG = np.random.default_rng(23)
SIGNALS = RNG.normal(size=(2, 40, 2)).astype(np.float32)
AUDIO = RNG.normal(size=(2, 600)).astype(np.float32)

STFT_SETTINGS = [
    dict(mode="log"),
    dict(mode="magnitude", padding="same", frame_step=5),
    dict(mode="psd", expand_dims=True, window="hamming", periodic=True),
    dict(mode="real", data_format="channels_first"),
    dict(mode="imag", data_format="channels_first", expand_dims=True, scaling="spectrum"),
    dict(mode="angle", window=None, scaling=None),
    dict(mode="stft", window="blackman", fft_length=32, padding="same"),
]


def _stft_model(lib, settings):
    shape = (2, 40) if settings.get("data_format") == "channels_first" else (40, 2)
    return lib.Sequential([lib.Input(shape), lib.layers.STFTSpectrogram(**{"frame_length": 16, "frame_step": 4,
                                                                         **settings})])


@pytest.mark.parametrize("settings", STFT_SETTINGS, ids=[s["mode"] for s in STFT_SETTINGS])
def test_stft_spectrogram_equals_keras(settings):
    real = real_keras()
    theirs, ours = _stft_model(real, settings), _stft_model(keras, settings)
    x = np.swapaxes(SIGNALS, 1, 2) if settings.get("data_format") == "channels_first" else SIGNALS
    # the kernels start where Keras's do (Keras computes the angles in float32, fnlearn in float64)
    assert len(ours.get_weights()) == len(theirs.get_weights()) == (1 if settings["mode"] in ("real", "imag") else 2)
    for mine, their in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, np.asarray(their), atol=2e-5)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    mine, their = ours.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0))
    assert mine.shape == their.shape == (2, *ours.layers[-1].compute_output_shape(x.shape[1:]))
    if settings["mode"] == "angle":  # ±π are one angle
        mine, their = np.exp(1j * mine), np.exp(1j * their)
    np.testing.assert_allclose(mine, their, rtol=1e-4, atol=5e-5)
    assert_config_as_keras(ours.layers[-1], theirs.layers[-1])
    assert ours.layers[-1].get_config()["data_format"] == theirs.layers[-1].get_config()["data_format"]


def _mel_model(lib, **settings):
    layer = lib.layers.MelSpectrogram(fft_length=128, sequence_stride=50, num_mel_bins=12, sampling_rate=8000,
                                      **settings)
    return lib.Sequential([lib.Input((600,)), layer])


@pytest.mark.parametrize("settings", [{}, {"power_to_db": False, "mag_exp": 1.0, "sequence_length": 100},
                                      {"window": "hamming", "top_db": 20.0, "ref_power": 3.0, "min_freq": 0.0,
                                       "max_freq": 3000}], ids=["db", "magnitude", "hamming"])
def test_mel_spectrogram_equals_keras(settings):
    real = real_keras()
    theirs, ours = _mel_model(real, **settings), _mel_model(keras, **settings)
    mine, their = ours.predict(AUDIO, verbose=0), np.asarray(theirs.predict(AUDIO, verbose=0))
    assert mine.shape == their.shape == (2, *ours.layers[-1].compute_output_shape((600,)))
    np.testing.assert_allclose(mine, their, rtol=1e-4, atol=1e-4 * np.abs(their).max())
    assert_config_as_keras(ours.layers[-1], theirs.layers[-1])
    one = keras.layers.MelSpectrogram(fft_length=128, sequence_stride=50, num_mel_bins=12, sampling_rate=8000)
    assert one(AUDIO[0]).shape == (12, 13)  # one signal, no batch axis


@pytest.mark.parametrize("model", ["stft", "mel"])
def test_files_cross_both_ways(tmp_path, model):
    real = real_keras()
    if model == "stft":
        settings = dict(mode="psd", padding="same", window="hamming")
        theirs, ours, x = _stft_model(real, settings), _stft_model(keras, settings), SIGNALS
        theirs.set_weights([w * 1.5 for w in theirs.get_weights()])  # trained kernels, not the start
        ours.set_weights(theirs.get_weights())
    else:
        theirs, ours, x = _mel_model(real, top_db=30.0), _mel_model(keras, top_db=30.0), AUDIO
    assert_files_cross_both_ways(real, theirs, ours, x, tmp_path)


@pytest.mark.parametrize("mode", ["log", "psd", "angle", "stft"])
def test_gradients_reach_the_input_and_the_kernels(mode):
    layer = fl.layers.STFTSpectrogram(mode=mode, frame_length=4, frame_step=2, dtype="float64", padding="same")
    x = fl.tensor(RNG.normal(size=(1, 9, 1)), requires_grad=True)
    layer(x)
    weights = fl.tensor(RNG.normal(size=layer(x).shape))

    def loss(s):
        out = layer(s)
        if mode == "angle":  # ±π are one angle: the DC bin's, whose imaginary part is 0, would jump between them
            out = fl.functional.sin(out) + fl.functional.cos(out)
        return (out * weights).sum()

    names = assert_gradients_of_inputs_and_weights(layer, loss, [x])
    assert names == ["real_kernel", "imag_kernel"]


def test_the_kernels_train_unless_frozen():
    x, y = SIGNALS, RNG.normal(size=(2, 7, 18)).astype(np.float32)
    model = _stft_model(keras, {"mode": "magnitude"})
    before = model.get_weights()
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(x, y, epochs=1, verbose=0)
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    frozen = _stft_model(keras, {"mode": "magnitude", "trainable": False})
    assert (len(frozen.trainable_weights), len(frozen.non_trainable_weights)) == (0, 2)
    assert len(model.trainable_weights) == 2
    real = keras.layers.STFTSpectrogram(mode="real", frame_length=8)
    real(SIGNALS)
    assert [name for name, _ in real.named_parameters()] == ["real_kernel"]


@pytest.mark.parametrize("power_to_db", [False, True])
def test_mel_spectrogram_gradients_equal_central_differences(power_to_db):
    layer = fl.layers.MelSpectrogram(fft_length=16, sequence_stride=8, num_mel_bins=4, sampling_rate=800,
                                     power_to_db=power_to_db, top_db=6.0, dtype="float64")
    x = fl.tensor(RNG.normal(size=(2, 24)), requires_grad=True)
    weights = fl.tensor(RNG.normal(size=layer(x).shape))
    assert assert_gradients_of_inputs_and_weights(layer, lambda s: (layer(s) * weights).sum(), [x]) == []


@pytest.mark.parametrize("make, error, message", [
    (lambda: keras.layers.STFTSpectrogram(frame_length=8, frame_step=16), ConfigError, "frame_step=16 longer"),
    (lambda: keras.layers.STFTSpectrogram(frame_length=8, fft_length=4), ConfigError, "fft_length=4 shorter"),
    (lambda: keras.layers.STFTSpectrogram(mode="power"), ConfigError, "mode='power'"),
    (lambda: keras.layers.STFTSpectrogram(padding="causal"), ConfigError, "padding='causal'"),
    (lambda: keras.layers.STFTSpectrogram(window="hanning"), ConfigError, "'hanning' is not known"),
    (lambda: keras.layers.STFTSpectrogram(frame_length=8)(np.ones((2, 16))), ShapeError, "(batch, time, channels)"),
    (lambda: keras.layers.STFTSpectrogram(frame_length=8)(np.ones((2, 5, 1))), ShapeError, "shorter than one frame"),
    (lambda: keras.layers.MelSpectrogram(fft_length=64, sequence_length=128), ConfigError, "fft_length=64 shorter"),
    (lambda: keras.layers.MelSpectrogram(window="blackman"), ConfigError, "window='blackman'"),
    (lambda: keras.layers.MelSpectrogram(sampling_rate=8000, max_freq=6000), ConfigError, "max_freq=6000"),
    (lambda: keras.layers.MelSpectrogram(num_mel_bins=0), ConfigError, "num_mel_bins=0"),
    (lambda: keras.layers.MelSpectrogram()(np.ones((1, 2, 3))), ShapeError, "(batch, samples)"),
])
def test_what_cannot_work_is_one_sentence(make, error, message):
    with pytest.raises(error, match=re.escape(message)) as caught:
        make()
    text = str(caught.value)
    assert "\n" not in text and text.endswith(".")


def test_the_layers_are_registered_where_models_and_files_find_them():
    from fnlearn import io
    from fnlearn.keras import keras_export

    for name in ("STFTSpectrogram", "MelSpectrogram"):
        assert name in fl.layers.__all__ and name in keras.layers.__all__ and name in keras_export._SETTINGS
        assert name in io._LAYER_NAMES and fl.layers.LAYERS[name] is getattr(keras.layers, name)
