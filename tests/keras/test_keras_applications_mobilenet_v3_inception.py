"""keras.applications MobileNetV3Small, MobileNetV3Large and InceptionV3: Keras's layers, names, order and weight
shapes, Keras's outputs with Keras's weights, Keras's weight files (the official ones through get_file, with Keras's
URLs and hashes), its preprocessing and its checks of bad arguments, each in one sentence.

Each real Keras model is built once (building is what costs) and serves every comparison of its architecture, at
the smallest size Keras allows: MobileNetV3Small with its top (alpha 0.75), MobileNetV3Large without it (odd,
non-square images, no preprocessing layer), a minimalistic MobileNetV3Small wider than 1 without dropout, and
InceptionV3 without its top. The other variants (the tops, the poolings, the preprocessing layer left out) are
compared with these, layer for layer.

MobileNetV3's hard sigmoid is ``ReLU(6)(x + 3) * (1 / 6)`` in Keras's code: fnlearn records the addition and the
scaling as two Rescaling layers, which Keras keeps as operations outside ``model.layers``; the comparisons of
layers take them out, and check that they are exactly those."""

from __future__ import annotations

import re
import warnings
import zipfile

import numpy as np
import pytest
from real_keras import real_keras
from value_checks import assert_refused_before_download, record_get_file

from fnlearn import keras
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras import applications

RNG = np.random.default_rng(1)

# each real Keras model the tests compare with: (constructor, its arguments)
KERAS_MODELS = {
    "v3_small": ("MobileNetV3Small", {"input_shape": (32, 32, 3), "alpha": 0.75, "classes": 10,
                                      "classifier_activation": None}),
    "v3_large": ("MobileNetV3Large", {"input_shape": (33, 35, 3), "include_top": False, "pooling": "avg",
                                      "include_preprocessing": False}),
    "v3_minimal": ("MobileNetV3Small", {"input_shape": (32, 32, 3), "alpha": 1.25, "minimalistic": True,
                                        "dropout_rate": 0.0, "classes": 5}),
    "inception_v3": ("InceptionV3", {"input_shape": (75, 75, 3), "include_top": False, "pooling": "avg"}),
}
IMAGES = {"v3_small": 2, "v3_large": 2, "v3_minimal": 2, "inception_v3": 1}  # the batch each is run on
_built: dict[str, object] = {}
_outputs: dict[str, tuple[np.ndarray, np.ndarray]] = {}


@pytest.fixture(scope="module")
def real():
    module = real_keras()
    if module.backend.backend() != "torch":
        yield module
        return
    import torch

    # these models are many small layers: PyTorch's threads spend more time waiting for each other on them than
    # they save (twice the CPU time for the same wall time)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield module
    finally:
        torch.set_num_threads(threads)


def theirs(real, key: str):
    """Real Keras's model ``key`` (built once), its batch normalizations given statistics of their own so that
    every layer counts in the outputs compared."""
    if key not in _built:
        constructor, kwargs = KERAS_MODELS[key]
        model = getattr(real.applications, constructor)(weights=None, **kwargs)
        rng = np.random.default_rng(len(_built))
        for layer in model.layers:
            if type(layer).__name__ == "BatchNormalization":  # InceptionV3's have no scale
                layer.set_weights([rng.uniform(0.5, 1.5, w.shape) if w.name in ("gamma", "moving_variance")
                                   else rng.normal(0, 0.1, w.shape) for w in layer.weights])
        _built[key] = model
    return _built[key]


def keras_outputs(real, key: str) -> tuple[np.ndarray, np.ndarray]:
    """Images of the size of model ``key`` (pixels in [0, 255] where the model rescales them) and real Keras's
    outputs for them (computed once)."""
    if key not in _outputs:
        kwargs = KERAS_MODELS[key][1]
        low = 0 if kwargs.get("include_preprocessing", True) and key.startswith("v3") else -1
        x = RNG.uniform(low, 255 if low == 0 else 1, (IMAGES[key], *kwargs["input_shape"])).astype(np.float32)
        _outputs[key] = x, np.asarray(theirs(real, key).predict(x, verbose=0))
    return _outputs[key]


def ours(key: str, **changes):
    constructor, kwargs = KERAS_MODELS[key]
    return getattr(applications, constructor)(**{"weights": None, **kwargs, **changes})


AUTOMATIC = re.compile(r"^(input_layer|rescaling|activation|re_lu|global_average_pooling2d|global_max_pooling2d|"
                       r"dropout|flatten|conv2d|batch_normalization|max_pooling2d|average_pooling2d|concatenate)_\d+$")


def _arithmetic(layer) -> bool:
    """Whether ``layer`` is one of the two Rescaling layers fnlearn records for the hard sigmoid's ``x + 3`` and
    ``x * (1 / 6)``."""
    return type(layer).__name__ == "Rescaling" and (float(layer.scale), float(layer.offset)) in ((1.0, 3.0),
                                                                                                 (1 / 6, 0.0))


def layout(model) -> list[tuple[str, str, list[tuple[int, ...]]]]:
    """Each layer's name, class and weight shapes, in order, the names Keras numbers by a session-wide counter
    without their number, and fnlearn's layers of the hard sigmoid's arithmetic left out (Keras lists no layers
    for it)."""
    return [(AUTOMATIC.sub(r"\1", layer.name), type(layer).__name__, [tuple(w.shape) for w in layer.get_weights()])
            for layer in model.layers if not _arithmetic(layer)]


def assert_hard_sigmoids_as_keras_computes_them(model) -> None:
    """Each squeeze-and-excite's hard sigmoid: x + 3, ReLU6, x / 6, then the channels weighed."""
    names = [(type(layer).__name__, layer) for layer in model.layers]
    excites = [k for k, (kind, layer) in enumerate(names) if layer.name.endswith("squeeze_excite_mul")]
    for k in excites:
        (add, plus), (relu, six), (scale, sixth) = names[k - 3: k]
        assert (add, relu, scale) == ("Rescaling", "ReLU", "Rescaling")
        assert (plus.scale, plus.offset, six.max_value, sixth.offset) == (1.0, 3.0, 6.0, 0.0)
        assert sixth.scale == pytest.approx(1 / 6)
    assert sum(_arithmetic(layer) for layer in model.layers) == 2 * len(excites)


def assert_keras_outputs(real, key: str, model) -> None:
    x, expected = keras_outputs(real, key)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())


def assert_keras_weights(real, key: str, model) -> None:
    for mine, expected in zip(model.get_weights(), theirs(real, key).get_weights(), strict=True):
        np.testing.assert_array_equal(mine, expected)


# the GPU's code path runs the MobileNets; InceptionV3's layers are checked on it by their own tests
@pytest.mark.parametrize("key", ["v3_small", "v3_large", pytest.param("v3_minimal", marks=pytest.mark.host_only),
                                 pytest.param("inception_v3", marks=pytest.mark.host_only)])
def test_each_model_is_keras_layer_for_layer_and_gives_its_outputs(real, key):
    real_model, model = theirs(real, key), ours(key)
    assert layout(model) == layout(real_model)
    assert model.name == real_model.name
    assert_hard_sigmoids_as_keras_computes_them(model)
    if key != "v3_minimal":  # its layers are the others' (ReLU for hard swish): their outputs are compared
        model.set_weights(real_model.get_weights())
        assert_keras_outputs(real, key, model)


def _pool(pooling, names=("avg_pool", "max_pool")):
    return {None: [], "avg": [(names[0], "GlobalAveragePooling2D", [])],
            "max": [(names[1], "GlobalMaxPooling2D", [])]}[pooling]


@pytest.mark.host_only  # names and shapes: nothing runs
def test_mobilenet_v3_without_its_top_or_preprocessing_is_the_model_up_to_them(real):
    """Without the top: up to the last convolution's activation, then the pooling (Keras names it); the top's
    conv_2 is wider than 1024 for alpha > 1 only; include_preprocessing adds the Rescaling layer after the Input."""
    small = layout(theirs(real, "v3_small"))
    body = next(k for k, (name, _, _) in enumerate(small) if name == "conv_1_bn") + 2
    for pooling in (None, "avg", "max"):
        assert layout(ours("v3_small", include_top=False, pooling=pooling)) == small[:body] + _pool(pooling)
    assert small[body:][1] == ("conv_2", "Conv2D", [(1, 1, 432, 1024), (1024,)])  # alpha 0.75: 1024 still
    assert small[body:][3][1] == "Dropout"
    assert layout(ours("v3_small", include_preprocessing=False)) == [small[0]] + small[2:]
    large = layout(theirs(real, "v3_large"))
    assert layout(ours("v3_large", include_preprocessing=True))[1:] == [("rescaling", "Rescaling", [])] + large[1:]
    minimal = layout(theirs(real, "v3_minimal"))
    assert minimal[-5:-3] == [("conv_2", "Conv2D", [(1, 1, 720, 1280), (1280,)]), ("re_lu", "ReLU", [])]


@pytest.mark.host_only
def test_inception_v3_with_its_top_is_the_model_then_avg_pool_and_predictions(real):
    base = layout(theirs(real, "inception_v3"))[:-1]
    model = applications.InceptionV3(weights=None, input_shape=(75, 75, 3), classes=10)
    assert layout(model) == base + [("avg_pool", "GlobalAveragePooling2D", []),
                                    ("predictions", "Dense", [(2048, 10), (10,)])]
    assert model.layers[-1].activation.__name__ == "softmax"
    mixed = [name for name, _, _ in base if name.startswith("mixed")]
    assert mixed == ["mixed0", "mixed1", "mixed2", "mixed3", "mixed4", "mixed5", "mixed6", "mixed7", "mixed8",
                     "mixed9_0", "mixed9", "mixed9_1", "mixed10"]


# --------------------------------------------------------------------------- weight files


@pytest.fixture(scope="module")
def keras_files(real, tmp_path_factory):
    """Weight files real Keras writes for its models: legacy .h5 (the format of Keras's official ones) and Keras 3's
    .weights.h5."""
    import h5py
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    folder = tmp_path_factory.mktemp("keras-weights")
    written: dict[tuple[str, str], str] = {}

    def write(key: str, kind: str = ".h5") -> str:
        if (key, kind) not in written:
            path = folder / f"{key}{kind}"
            if kind == ".h5":
                with h5py.File(path, "w") as h5:
                    save_weights_to_hdf5_group(h5, theirs(real, key))
            else:
                theirs(real, key).save_weights(str(path))
            written[key, kind] = str(path)
        return written[key, kind]

    return write


def test_weight_files_cross_both_ways(real, keras_files, tmp_path):
    """A weights path loads Keras's files of both formats; the weights of fnlearn's model, exported for Keras,
    load into Keras's (fnlearn's Rescaling layers of the hard sigmoid hold none, so they change nothing)."""
    assert_keras_outputs(real, "v3_small", ours("v3_small", weights=keras_files("v3_small")))
    model = ours("v3_large", weights=keras_files("v3_large", ".weights.h5"))
    assert_keras_weights(real, "v3_large", model)
    fresh, real_model = ours("v3_small"), theirs(real, "v3_small")
    keras.saving.export_keras(fresh, tmp_path / "ours.keras")
    with zipfile.ZipFile(tmp_path / "ours.keras") as archive:
        (tmp_path / "ours.weights.h5").write_bytes(archive.read("model.weights.h5"))
    kept = real_model.get_weights()
    try:
        real_model.load_weights(str(tmp_path / "ours.weights.h5"))
        for mine, loaded in zip(fresh.get_weights(), real_model.get_weights(), strict=True):
            np.testing.assert_array_equal(mine, loaded)
    finally:
        real_model.set_weights(kept)


# (model, arguments, Keras model whose file stands in (None: the call to get_file is checked, not the loading, which
# the others check), file name, hash)
IMAGENET = [
    ("MobileNetV3Small", {}, None, "weights_mobilenet_v3_small_224_1.0_float.h5",
     "8768d4c2e7dee89b9d02b2d03d65d862"),
    ("MobileNetV3Small", {"alpha": 0.75, "include_top": False, "input_shape": (224, 224, 3)}, None,
     "weights_mobilenet_v3_small_224_0.75_float_no_top_v2.h5", "ebdb5cc8e0b497cd13a7c275d475c819"),
    ("MobileNetV3Small", {"minimalistic": True, "include_top": False, "input_shape": (224, 224, 3)}, None,
     "weights_mobilenet_v3_small_minimalistic_224_1.0_float_no_top_v2.h5", "cde8136e733e811080d9fcd8a252f7e4"),
    ("MobileNetV3Large", {"alpha": 0.75}, None, "weights_mobilenet_v3_large_224_0.75_float.h5",
     "765b44a33ad4005b3ac83185abf1d0eb"),
    ("MobileNetV3Large", {"minimalistic": True, "alpha": 1}, None,
     "weights_mobilenet_v3_large_minimalistic_224_1.0_float.h5", "675e7b876c45c57e9e63e6d90a36599c"),
    ("MobileNetV3Large", KERAS_MODELS["v3_large"][1], "v3_large",
     "weights_mobilenet_v3_large_224_1.0_float_no_top_v2.h5", "07fb09a5933dd0c8eaafa16978110389"),
    ("InceptionV3", {}, None, "inception_v3_weights_tf_dim_ordering_tf_kernels.h5", "9a0d58056eeedaa3f26cb7ebd46da564"),
    ("InceptionV3", KERAS_MODELS["inception_v3"][1], "inception_v3",
     "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5", "bcbd6486424b2319ff4ef7d526e38f63"),
]


@pytest.mark.host_only  # the file's name, address and hash, and the weights read from it
@pytest.mark.parametrize("constructor, kwargs, key, fname, file_hash", IMAGENET,
                         ids=[f"{c}-{f}" for c, _, _, f, _ in IMAGENET])
def test_imagenet_weights_come_from_keras_url_through_get_file(real, keras_files, monkeypatch, constructor, kwargs,
                                                               key, fname, file_hash):
    from keras.src.applications import inception_v3, mobilenet_v3

    asked = record_get_file(monkeypatch, None if key is None else keras_files(key))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if key is None:
            with pytest.raises(LookupError):
                getattr(applications, constructor)(weights="imagenet", **kwargs)
        else:
            assert_keras_weights(real, key, getattr(applications, constructor)(weights="imagenet", **kwargs))
    if constructor == "InceptionV3":
        origin = inception_v3.WEIGHTS_PATH if kwargs.get("include_top", True) else inception_v3.WEIGHTS_PATH_NO_TOP
    else:
        origin = mobilenet_v3.BASE_WEIGHT_PATH + fname
        stem = fname.removeprefix("weights_mobilenet_v3_").removesuffix(".h5").removesuffix("_no_top_v2")
        assert file_hash == mobilenet_v3.WEIGHTS_HASHES[stem][0 if kwargs.get("include_top", True) else 1]
        # Keras's warning for a size other than the 224x224 the weights were trained on
        other_size = kwargs.get("input_shape", (224, 224)) != (224, 224, 3) and "input_shape" in kwargs
        assert any("224x224 are loaded" in str(w.message) for w in caught) == other_size
    assert asked == [(fname, origin, "models", file_hash)]


# --------------------------------------------------------------------------- preprocess_input, decode_predictions


@pytest.mark.host_only  # NumPy arrays in, NumPy arrays out
def test_preprocess_input_and_decode_predictions_are_keras(real):
    x = RNG.uniform(0, 255, (2, 4, 4, 3)).astype(np.float32)
    np.testing.assert_array_equal(applications.inception_v3.preprocess_input(x),
                                  real.applications.inception_v3.preprocess_input(x.copy()))
    assert applications.mobilenet_v3.preprocess_input(x) is x  # the models rescale themselves, as Keras's do
    assert applications.mobilenet_v3.preprocess_input(x, data_format="channels_first") is x
    for module in ("mobilenet_v3", "inception_v3"):
        assert getattr(applications, module).decode_predictions is applications.imagenet_utils.decode_predictions
    inputs = keras.Input(shape=(75, 75, 3))  # a placeholder: mode "tf" works as layers
    scaled = keras.Model(inputs, applications.inception_v3.preprocess_input(inputs))
    image = RNG.uniform(0, 255, (1, 75, 75, 3)).astype(np.float32)
    np.testing.assert_allclose(scaled.predict(image, verbose=0), image / 127.5 - 1, rtol=1e-6, atol=1e-6)


@pytest.mark.host_only  # placeholders only
def test_mobilenet_v3_takes_its_size_from_an_input_tensor_or_its_top():
    inputs = keras.Input(shape=(40, 48, 3), name="pixels")
    model = applications.MobileNetV3Small(input_tensor=inputs, include_top=False, weights=None, pooling="avg")
    assert model.inputs[0] is inputs and model.output_shape == (None, 576)
    assert applications.MobileNetV3Small(input_tensor=inputs, input_shape=(40, 48, 3), weights=None,
                                         include_top=False).output_shape == (None, 2, 2, 576)
    assert applications.MobileNetV3Small(weights=None, classes=3).input_shape == (None, 224, 224, 3)


@pytest.mark.host_only
def test_the_modules_are_keras_modules():
    pairs = {"MobileNetV3Small": "mobilenet_v3", "MobileNetV3Large": "mobilenet_v3", "InceptionV3": "inception_v3"}
    for name, module in pairs.items():
        assert getattr(keras.applications, name) is getattr(getattr(keras.applications, module), name)
        assert name in keras.applications.__all__ and module in keras.applications.__all__
    with pytest.raises(AttributeError, match="fnlearn does not provide"):
        keras.applications.mobilenet_v3.MobileNetV3  # noqa: B018


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.host_only  # refused before anything is built
@pytest.mark.parametrize("call, error, words", [
    (lambda: applications.MobileNetV3Small(alpha=0.5), ConfigError, ("alpha=0.5", "0.75 and 1.0")),
    (lambda: applications.MobileNetV3Large(alpha=0.75, minimalistic=True), ConfigError,
     ("alpha=0.75, minimalistic=True", "alpha=1.0 only")),
    (lambda: applications.MobileNetV3Small(weights=None, alpha=0), ConfigError, ("alpha=0", "positive")),
    (lambda: applications.MobileNetV3Large(weights=None, dropout_rate=1.5), ConfigError,
     ("dropout_rate=1.5", "[0, 1)")),
    (lambda: applications.MobileNetV3Small(weights=None, minimalistic="yes"), ConfigError, ("minimalistic='yes'",)),
    (lambda: applications.MobileNetV3Large(classes=10), ConfigError, ("classes=10", "include_top=False")),
    (lambda: applications.MobileNetV3Small(weights="imagenet.h5"), ConfigError, ("weights='imagenet.h5'",)),
    (lambda: applications.MobileNetV3Small(weights=None, input_shape=(31, 40, 3)), ShapeError,
     ("(31, 40, 3)", "32x32")),
    (lambda: applications.MobileNetV3Small(include_top=False, input_shape=(64, 64, 1)), ShapeError,
     ("3 channels", "weights=None")),
    (lambda: applications.MobileNetV3Small(weights=None, input_shape=(64, 64, 3),
                                           input_tensor=keras.Input(shape=(32, 32, 3))), ShapeError,
     ("input_shape=(64, 64, 3)", "(None, 32, 32, 3)")),
    (lambda: applications.MobileNetV3Large(classifier_activation="relu"), ConfigError,
     ("classifier_activation='relu'", "'softmax'")),
    (lambda: applications.MobileNetV3Small(include_top=False, pooling="mean"), ConfigError, ("pooling='mean'",)),
    (lambda: applications.MobileNetV3Large(include_top=False), ShapeError, ("no image size",)),
    (lambda: applications.InceptionV3(weights=None, include_top=False, input_shape=(74, 80, 3)), ShapeError,
     ("(74, 80, 3)", "75x75")),
    (lambda: applications.InceptionV3(input_shape=(224, 224, 3)), ShapeError, ("(299, 299, 3)", "include_top=False")),
    (lambda: applications.InceptionV3(classes=10), ConfigError, ("classes=10",)),
    (lambda: applications.InceptionV3(weights=None, input_tensor=np.zeros((1, 75, 75, 3))), ConfigError,
     ("input_tensor", "ndarray")),
    (lambda: applications.mobilenet_v3.preprocess_input(np.zeros(3), data_format="nhwc"), ConfigError,
     ("data_format='nhwc'",)),
])
def test_bad_arguments_are_refused_in_one_sentence_before_any_download(monkeypatch, call, error, words):
    assert_refused_before_download(monkeypatch, call, error, words)
