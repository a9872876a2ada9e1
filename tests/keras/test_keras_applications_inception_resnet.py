"""keras.applications InceptionResNetV2 and its CustomScaleLayer: Keras's layers, names, order and weight shapes,
Keras's outputs with Keras's weights, Keras's weight files (the official ones through get_file, with Keras's URLs and
hashes), its preprocessing; the residual join's arithmetic, gradients, files and Keras's own class.

The real Keras model is built once, at the smallest size Keras allows (75x75) and without its top; the top is
compared with it layer for layer."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from real_keras import assert_files_cross_both_ways, real_keras
from value_checks import keras_layout, record_get_file

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras import applications
from fnlearn.nn.merge import CustomScaleLayer

RNG = np.random.default_rng(3)
KWARGS = {"input_shape": (75, 75, 3), "include_top": False, "pooling": "avg"}
_built: dict[str, object] = {}


@pytest.fixture(scope="module")
def real():
    return real_keras()


def theirs(real):
    """Real Keras's model (built once), its batch normalizations given statistics of their own so that every layer
    counts in the outputs compared."""
    if "model" not in _built:
        model = real.applications.InceptionResNetV2(weights=None, **KWARGS)
        rng = np.random.default_rng(0)
        for layer in model.layers:
            if type(layer).__name__ == "BatchNormalization":  # no scale: beta, moving mean and variance
                layer.set_weights([rng.uniform(0.5, 1.5, w.shape) if w.name == "moving_variance"
                                   else rng.normal(0, 0.1, w.shape) for w in layer.weights])
        _built["model"] = model
    return _built["model"]


AUTOMATIC = re.compile(r"^(input_layer|activation|conv2d|batch_normalization|max_pooling2d|average_pooling2d|"
                       r"custom_scale_layer|global_average_pooling2d|global_max_pooling2d)_\d+$")


def layout(model) -> list[tuple[str, str, list[tuple[int, ...]]]]:
    return keras_layout(model, AUTOMATIC)


@pytest.mark.host_only  # a 780-layer comparison: the GPU's code path runs these layers in their own tests
def test_the_model_is_keras_layer_for_layer_and_gives_its_outputs(real):
    real_model = theirs(real)
    model = applications.InceptionResNetV2(weights=None, **KWARGS)
    assert layout(model) == layout(real_model)
    assert model.name == real_model.name == "inception_resnet_v2"
    scales = [layer.scale for layer in model.layers if isinstance(layer, CustomScaleLayer)]
    assert scales == [0.17] * 10 + [0.1] * 20 + [0.2] * 9 + [1.0]
    assert [layer.get_config()["scale"] for layer in real_model.layers if type(layer).__name__ == "CustomScaleLayer"] \
        == scales
    model.set_weights(real_model.get_weights())
    x = RNG.uniform(-1, 1, (1, 75, 75, 3)).astype(np.float32)
    expected = np.asarray(real_model.predict(x, verbose=0))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())


@pytest.mark.host_only  # names and shapes: nothing runs
def test_with_its_top_it_is_the_model_then_avg_pool_and_predictions(real):
    base = layout(theirs(real))[:-1]
    model = applications.InceptionResNetV2(weights=None, input_shape=(75, 75, 3), classes=7)
    assert layout(model) == base + [("avg_pool", "GlobalAveragePooling2D", []),
                                    ("predictions", "Dense", [(1536, 7), (7,)])]
    assert model.layers[-1].activation.__name__ == "softmax"
    names = [name for name, _, _ in base]
    assert [n for n in names if n.startswith("mixed")] == ["mixed_5b", "mixed_6a", "mixed_7a"]
    assert "block8_10_ac" not in names and "block8_9_ac" in names and names[-3:] == ["conv_7b", "conv_7b_bn",
                                                                                     "conv_7b_ac"]
    pooled = applications.InceptionResNetV2(weights=None, include_top=False, input_shape=(80, 90, 3), pooling="max")
    assert pooled.output_shape == (None, 1536) and pooled.layers[-1].name.startswith("global_max_pooling2d")


@pytest.mark.host_only  # the file's name, address and hash, and the weights read from it
@pytest.mark.parametrize("include_top", [True, False])
def test_imagenet_weights_come_from_keras_url_through_get_file(real, monkeypatch, tmp_path, include_top):
    import h5py
    from keras.src.applications import inception_resnet_v2
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    fname = f"inception_resnet_v2_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    stand_in = None
    if not include_top:  # a file in the official one's format, written by Keras from its model
        stand_in = tmp_path / "keras.h5"
        with h5py.File(stand_in, "w") as h5:
            save_weights_to_hdf5_group(h5, theirs(real))
    asked = record_get_file(monkeypatch, None if stand_in is None else str(stand_in))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if include_top:
            with pytest.raises(LookupError):
                applications.InceptionResNetV2(weights="imagenet")
        else:
            model = applications.InceptionResNetV2(weights="imagenet", **KWARGS)
            for mine, expected in zip(model.get_weights(), theirs(real).get_weights(), strict=True):
                np.testing.assert_array_equal(mine, expected)
    file_hash = "e693bd0210a403b3192acc6073ad2e96" if include_top else "d19885ff4a710c122648d3b5c3b684e4"
    assert asked == [(fname, inception_resnet_v2.BASE_WEIGHT_URL + fname, "models", file_hash)]


@pytest.mark.host_only  # NumPy arrays in, NumPy arrays out
def test_preprocess_input_decode_predictions_and_the_module_are_keras(real):
    x = RNG.uniform(0, 255, (2, 4, 4, 3)).astype(np.float32)
    module = applications.inception_resnet_v2
    np.testing.assert_array_equal(module.preprocess_input(x),
                                  real.applications.inception_resnet_v2.preprocess_input(x.copy()))
    assert module.decode_predictions is applications.imagenet_utils.decode_predictions
    assert keras.applications.InceptionResNetV2 is module.InceptionResNetV2
    assert {"InceptionResNetV2", "inception_resnet_v2"} <= set(keras.applications.__all__)
    with pytest.raises(AttributeError, match="fnlearn does not provide"):
        module.InceptionResNetV3  # noqa: B018


@pytest.mark.host_only  # refused before anything is built
@pytest.mark.parametrize("call, error, words", [
    (lambda: applications.InceptionResNetV2(classes=10), ConfigError, ("classes=10", "include_top=False")),
    (lambda: applications.InceptionResNetV2(weights=None, input_shape=(74, 80, 3), include_top=False), ShapeError,
     ("74", "75")),
    (lambda: applications.InceptionResNetV2(weights=None, include_top=False, pooling="sum"), ConfigError,
     ("pooling='sum'",)),
])
def test_bad_arguments_are_one_sentence(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert all(w in str(info.value) for w in words), str(info.value)


# --------------------------------------------------------------------------- the residual join


def test_custom_scale_layer_adds_the_scaled_branch_and_passes_both_gradients():
    layer = CustomScaleLayer(0.17)
    a, b = RNG.normal(size=(2, 3, 3, 4)), RNG.normal(size=(2, 3, 3, 4))
    np.testing.assert_allclose(layer([a, b]).numpy(), (a + 0.17 * b).astype(np.float32), rtol=1e-6)
    assert fl.gradcheck(lambda x, y: CustomScaleLayer(0.17)([x, y]) ** 2, [a, b])
    assert layer.get_config()["scale"] == 0.17 and layer.count_params() == 0
    assert CustomScaleLayer.from_config(layer.get_config()).scale == 0.17


@pytest.mark.parametrize("call, words", [
    (lambda: CustomScaleLayer("big"), ("scale must be a number", "'big'")),
    (lambda: CustomScaleLayer(float("nan")), ("scale must be a number", "nan")),
    (lambda: CustomScaleLayer(0.1)(np.ones((1, 2))), ("one input alone", "exactly 2")),
    (lambda: CustomScaleLayer(0.1)([np.ones((1, 2))] * 3), ("a list of 3", "exactly 2")),
    (lambda: CustomScaleLayer(0.1)([np.ones((1, 2)), np.ones((1, 3))]), ("(None, 2) and (None, 3)",)),
])
def test_custom_scale_layer_refuses_bad_input_in_one_sentence(call, words):
    with pytest.raises((ConfigError, ShapeError)) as info:
        call()
    assert all(w in str(info.value) for w in words), str(info.value)


def test_a_model_with_the_join_saves_and_loads(tmp_path):
    inputs = keras.Input(shape=(4,))
    branch = keras.layers.Dense(4, name="branch")(inputs)
    model = keras.Model(inputs, CustomScaleLayer(0.3, name="join")([inputs, branch]))
    x = RNG.normal(size=(5, 4)).astype(np.float32)
    model.save(tmp_path / "m.fnl")
    loaded = fl.load_model(tmp_path / "m.fnl")
    assert isinstance(loaded.get_layer("join"), CustomScaleLayer) and loaded.get_layer("join").scale == 0.3
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.host_only  # Keras's files: the arrays are NumPy's
def test_the_join_crosses_to_keras_and_back(real, tmp_path):
    from keras.src.applications.inception_resnet_v2 import CustomScaleLayer as KerasCustomScaleLayer

    def build(lib, join):
        inputs = lib.Input(shape=(6,))
        branch = lib.layers.Dense(6, name="branch")(inputs)
        return lib.Model(inputs, join(0.2, name="join")([inputs, branch]))

    theirs_ = build(real, KerasCustomScaleLayer)
    ours_ = build(keras, CustomScaleLayer)
    x = RNG.normal(size=(3, 6)).astype(np.float32)
    assert_files_cross_both_ways(real, theirs_, ours_, x, tmp_path)
