"""keras.applications.efficientnet: EfficientNetB0 to B7 have Keras's layers, names, order and weight shapes, give
Keras's outputs with Keras's weights (its never-adapted Normalization layer included), load Keras's weight files
(the official ones through get_file, with Keras's URLs and hashes), write files Keras reads, and preprocess and
decode as Keras does.

Real Keras's EfficientNetB0 is built once, with its top, at a small size that is odd in height and even in width
(both of Keras's paddings before a strided convolution are met), and serves every comparison of weights and
outputs. B1 to B7 differ from B0 only by their scaling (wider, deeper, larger images, more dropout): building
them costs seconds each in either library, so their block plans (each block's name, channels, kernel, stride,
expansion and drop rate) are compared with the plans Keras's own code makes, its block function stood in for, and
their stems and tops layer for layer; the block function itself is compared through B0, and alone for the two
kinds of block B0 lacks. The Normalization layer Keras leaves unadapted is compared through every file and output;
a user's own unadapted Normalization still refuses to run."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest
from real_keras import plain, real_keras
from value_checks import assert_refused_before_download, keras_layout

from fnlearn import keras
from fnlearn.errors import ConfigError, NotReadyError, ShapeError
from fnlearn.keras import applications
from fnlearn.keras.applications import efficientnet

SHAPE = (33, 40, 3)
VARIANTS = ("b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7")


@pytest.fixture(scope="module")
def real():
    return real_keras()


@pytest.fixture(scope="module")
def b0(real):
    """Real Keras's EfficientNetB0 with its top, its batch normalizations and its Normalization given statistics of
    their own so that every layer counts in the outputs compared."""
    model = real.applications.EfficientNetB0(weights=None, input_shape=SHAPE, classes=10, classifier_activation=None)
    rng = np.random.default_rng(0)
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "BatchNormalization":
            n = layer.get_weights()[0].shape
            layer.set_weights([rng.uniform(0.5, 1.5, n), rng.normal(0, 0.1, n), rng.normal(0, 0.1, n),
                               rng.uniform(0.5, 1.5, n)])
        elif kind == "Normalization":
            layer.set_weights([np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225]) ** 2,
                               np.array(0, dtype="int32")])
            layer.finalize_state()  # Keras's set_weights leaves the statistics it computes with as they were
    return model


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(1).uniform(0, 255, (2, *SHAPE)).astype(np.float32)


@pytest.fixture(scope="module")
def expected(real, b0, images):
    """Real Keras's scores and last feature maps (before the top) for ``images``, from one run of its model."""
    both = real.Model(b0.inputs, [b0.output, b0.get_layer("top_activation").output])
    return tuple(real.ops.convert_to_numpy(out) for out in both(images))


def ours(**changes):
    return applications.EfficientNetB0(**{"weights": None, "input_shape": SHAPE, "classes": 10,
                                          "classifier_activation": None, **changes})


AUTOMATIC = re.compile(r"^(input_layer|rescaling|normalization)(_\d+)?$")


def layout(model) -> list[tuple[str, str, list[tuple[int, ...]]]]:
    """Each layer's name, class and weight shapes, in order; the names Keras numbers by a session-wide counter (the
    Input, the Rescaling and Normalization layers it leaves unnamed) without their number."""
    return keras_layout(model, AUTOMATIC)


def assert_close(mine, theirs) -> None:
    np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-5 * np.abs(theirs).max())


def test_b0_is_keras_layer_for_layer_and_gives_its_outputs(b0, images, expected):
    model = ours()
    assert layout(model) == layout(b0)
    assert model.name == b0.name == "efficientnetb0"
    model.set_weights(b0.get_weights())
    assert_close(model.predict(images, verbose=0), expected[0])


def test_without_the_top_it_is_keras_up_to_its_top_then_the_pooling(b0, images, expected):
    full = layout(b0)
    model = ours(include_top=False)
    assert layout(model) == full[:-3]  # Keras's top: pooling, dropout, dense
    model.set_weights(b0.get_weights()[:-2])
    assert_close(model.predict(images, verbose=0), expected[1])
    for pooling, tail in (("avg", ("avg_pool", "GlobalAveragePooling2D", [])),
                          ("max", ("max_pool", "GlobalMaxPooling2D", []))):
        model = ours(include_top=False, pooling=pooling)
        assert layout(model) == full[:-3] + [tail] and model.output_shape == (None, 1280)


# --------------------------------------------------------------------------- B1 to B7


def _recorder(function, plan: list[dict]):
    """A stand-in for a block function that notes the block asked for (its arguments by name) and builds nothing."""
    signature = inspect.signature(function)

    def record(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        asked = dict(bound.arguments)
        start = asked.pop("inputs", None)
        plan.append(asked)
        return asked.pop("x") if start is None else start

    return record


SETTINGS = ("scale", "offset", "rate", "noise_shape", "units", "activation", "filters", "kernel_size", "strides",
            "padding", "use_bias")


def settings(layer) -> dict:
    """The settings of ``layer`` its computation and its first weights depend on, as Keras's config gives them."""
    config = layer.get_config()
    found = {key: plain(config[key]) for key in SETTINGS if key in config}
    if "activation" in found:  # Keras writes no activation as "linear", and swish by its other name
        found["activation"] = {None: "linear", "swish": "silu"}.get(found["activation"], found["activation"])
    for key in ("kernel_initializer", "depthwise_initializer"):
        if key in config:
            drawn = config[key].get("config", config[key])
            found[key] = (drawn["scale"], drawn["mode"], drawn["distribution"])
    return found


PLAN_KEYS = ("name", "filters_in", "filters_out", "kernel_size", "strides", "expand_ratio", "drop_rate")


# with the top at the default size for half the models, without it (and pooled) at another size for the others
PLAN_ARGUMENTS = {variant: {} if k % 2 == 0 else {"include_top": False, "input_shape": (64, 72, 3), "pooling": "max"}
                  for k, variant in enumerate(VARIANTS)}


@pytest.mark.host_only  # names, shapes and numbers: nothing runs
@pytest.mark.parametrize("variant", VARIANTS)
def test_each_model_makes_keras_block_plan_stem_and_top_and_asks_for_its_file(real, monkeypatch, variant):
    """The blocks each model asks for — names, channels, kernel, stride, expansion, drop rate, in order — are those
    Keras's EfficientNet asks its block function for; with the blocks left out, what remains (the input, the
    rescalings and the Normalization, the stem, the top convolution, the top or the pooling) is Keras's layer for
    layer and setting for setting; and for weights="imagenet" both ask get_file for the same file (Keras's name,
    URL, cache folder and hash), whose loading is stood in for on both sides."""
    from keras.src.applications import efficientnet as keras_efficientnet

    plans: dict[str, list[dict]] = {"keras": [], "fnlearn": []}
    asked: dict[str, list] = {"keras": [], "fnlearn": []}

    def get_file(who):
        def stand_in(fname, origin, cache_subdir="datasets", file_hash=None, **rest):
            asked[who].append((fname, origin, cache_subdir, file_hash))
            return "official.h5"
        return stand_in

    monkeypatch.setattr(keras_efficientnet, "block", _recorder(keras_efficientnet.block, plans["keras"]))
    monkeypatch.setattr(efficientnet, "block", _recorder(efficientnet.block, plans["fnlearn"]))
    monkeypatch.setattr(keras_efficientnet.file_utils, "get_file", get_file("keras"))
    monkeypatch.setattr(keras.utils, "get_file", get_file("fnlearn"))
    monkeypatch.setattr(keras_efficientnet.Functional, "load_weights", lambda model, path: None)
    monkeypatch.setattr(applications._common, "load_keras_h5", lambda model, path: None)
    constructor = f"EfficientNet{variant.upper()}"
    theirs = getattr(real.applications, constructor)(weights="imagenet", **PLAN_ARGUMENTS[variant])
    model = getattr(applications, constructor)(weights="imagenet", **PLAN_ARGUMENTS[variant])
    assert {(block["activation"], block["se_ratio"], block["id_skip"]) for block in plans["keras"]} == {
        ("swish", 0.25, True)}
    assert [tuple(block[key] for key in PLAN_KEYS) for block in plans["fnlearn"]] == \
        [tuple(block[key] for key in PLAN_KEYS) for block in plans["keras"]]
    assert layout(model) == layout(theirs)
    assert model.name == theirs.name and model.input_shape == tuple(theirs.input_shape)
    assert [settings(layer) for layer in model.layers] == [settings(layer) for layer in theirs.layers]
    assert asked["fnlearn"] == asked["keras"] and len(asked["keras"]) == 1


# blocks B0 does not have: a first-stage block that adds its input (B1 to B7's block1b, which does not widen), a
# 5x5 block of stride 2 on an odd height and even width
BLOCK_KINDS = {"block1b": ((9, 10, 16), {"filters_in": 16, "filters_out": 16, "kernel_size": 3, "strides": 1,
                                         "expand_ratio": 1, "drop_rate": 0.0125}),
               "block3a": ((9, 10, 24), {"filters_in": 24, "filters_out": 40, "kernel_size": 5, "strides": 2,
                                         "expand_ratio": 6, "drop_rate": 0.05})}


@pytest.mark.host_only  # names and shapes: nothing runs
@pytest.mark.parametrize("kind", list(BLOCK_KINDS))
def test_blocks_b0_lacks_are_kerass(real, kind):
    from keras.src.applications import efficientnet as keras_efficientnet

    shape, arguments = BLOCK_KINDS[kind]
    name = f"{kind}_"
    their_input = real.Input(shape=shape)
    theirs = real.Model(their_input, keras_efficientnet.block(their_input, "swish", name=name, se_ratio=0.25,
                                                              id_skip=True, **arguments))
    my_input = keras.Input(shape=shape)
    model = keras.Model(my_input, efficientnet.block(my_input, name=name, **arguments))
    assert layout(model) == layout(theirs)
    assert [settings(layer) for layer in model.layers] == [settings(layer) for layer in theirs.layers]


# --------------------------------------------------------------------------- weight files


@pytest.fixture(scope="module")
def keras_file(b0, tmp_path_factory):
    """Real Keras's B0 written as a legacy .h5 weights file, the format of Keras's official ones."""
    import h5py
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    path = tmp_path_factory.mktemp("keras-weights") / "efficientnetb0.h5"
    with h5py.File(path, "w") as h5:
        save_weights_to_hdf5_group(h5, b0)
    return str(path)


def _normalization(model):
    return next(layer for layer in model.layers if type(layer).__name__ == "Normalization")


def assert_same_weights(mine, theirs) -> None:
    mine, theirs = mine.get_weights(), theirs.get_weights()
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs):
        np.testing.assert_array_equal(a, b)


@pytest.fixture(scope="module")
def keras_saved(b0, tmp_path_factory):
    """Real Keras's B0 saved whole (``.keras``), and the Keras 3 weights file it holds (``.weights.h5``, what
    ``save_weights`` writes)."""
    import zipfile

    folder = tmp_path_factory.mktemp("keras-model")
    b0.save(folder / "b0.keras")
    with zipfile.ZipFile(folder / "b0.keras") as archive:
        (folder / "b0.weights.h5").write_bytes(archive.read("model.weights.h5"))
    return folder / "b0.keras", folder / "b0.weights.h5"


def test_keras_weight_files_load_with_the_normalization_statistics(b0, keras_file, keras_saved, images, expected):
    """Keras's legacy .h5 file (its Normalization named by Keras's session counter, so read layer after layer, as
    Keras reads the official files) and Keras 3's .weights.h5 file: every weight, the Normalization's statistics
    included, is Keras's (and so are the outputs, B0's first test shows)."""
    for path in (keras_file, str(keras_saved[1])):
        model = ours(weights=path)
        assert_same_weights(model, b0)
        mean, variance, count = _normalization(model).get_weights()
        np.testing.assert_allclose(mean, [0.485, 0.456, 0.406], rtol=1e-6)
        np.testing.assert_allclose(variance, np.array([0.229, 0.224, 0.225]) ** 2, rtol=1e-6)
        assert count == 0
    assert_close(model.predict(images, verbose=0), expected[0])


def _datasets(path) -> dict[str, tuple]:
    """Each weight a Keras 3 weights file holds: its path (``layers/<layer>/vars/<i>``), shape and dtype."""
    import h5py

    found: dict[str, tuple] = {}
    with h5py.File(path, "r") as h5:
        h5["layers"].visititems(lambda name, item: found.__setitem__(name, (item.shape, str(item.dtype)))
                                if isinstance(item, h5py.Dataset) else None)
    return found


def test_files_cross_both_ways_with_keras(b0, keras_saved, images, expected, tmp_path):
    """fnlearn's B0, given statistics of its own, written for Keras: its weights file holds every weight where
    Keras's own file of B0 holds it (the Normalization's mean, variance and integer count included: Keras's
    loading reads them there); Keras's B0 saved whole and read by fnlearn gives Keras's outputs."""
    import zipfile

    import h5py

    model = ours()
    model.set_weights(b0.get_weights())
    _normalization(model).set_weights([np.array([0.5, 0.4, 0.3]), np.array([0.04, 0.05, 0.06]), np.array(0.0)])
    keras.saving.export_keras(model, tmp_path / "mine.keras")
    with zipfile.ZipFile(tmp_path / "mine.keras") as archive:
        (tmp_path / "mine.weights.h5").write_bytes(archive.read("model.weights.h5"))
    assert _datasets(tmp_path / "mine.weights.h5") == _datasets(keras_saved[1])
    with h5py.File(tmp_path / "mine.weights.h5", "r") as h5:
        statistics = [h5[f"layers/normalization/vars/{i}"][()] for i in range(3)]
    assert [np.asarray(w).tolist() for w in statistics] == [
        np.float32([0.5, 0.4, 0.3]).tolist(), np.float32([0.04, 0.05, 0.06]).tolist(), 0]
    assert_close(keras.models.load_model(keras_saved[0]).predict(images, verbose=0), expected[0])


@pytest.mark.host_only  # the same loading and layers as above, on the NumPy run
def test_imagenet_weights_are_the_files_with_kerass_rescaling_after_the_normalization(real, b0, images, monkeypatch,
                                                                                     tmp_path):
    """With weights="imagenet" the model is that of its weights file, but for a Rescaling by
    1 / √(ImageNet's standard deviation) after the Normalization (the block plans' test compares it with Keras's
    layer): the same as the model of that file with its variance times the standard deviation."""
    import h5py
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    path = str(tmp_path / "efficientnetb0_notop.h5")
    with h5py.File(path, "w") as h5:
        save_weights_to_hdf5_group(h5, real.Model(b0.inputs, b0.get_layer("top_activation").output))
    monkeypatch.setattr(keras.utils, "get_file", lambda *args, **kwargs: path)
    model = applications.EfficientNetB0(weights="imagenet", input_shape=SHAPE, include_top=False)
    plain_model = ours(weights=path, include_top=False)
    assert [layer.name for layer in model.layers if type(layer).__name__ == "Rescaling"][1:] == \
        [model.layers[3].name]
    norm = _normalization(plain_model)
    mean, variance, count = norm.get_weights()
    norm.set_weights([mean, variance * np.array(efficientnet.IMAGENET_STDDEV), count])
    assert_close(model.predict(images, verbose=0), plain_model.predict(images, verbose=0))


# --------------------------------------------------------------------------- the Normalization layer


@pytest.mark.host_only  # configs and an error raised before anything runs
def test_the_models_normalization_is_kerass_unadapted_one_and_users_own_still_refuse(b0):
    model = ours(include_top=False)
    norm = next(layer for layer in model.layers if type(layer).__name__ == "Normalization")
    theirs = next(layer for layer in b0.layers if type(layer).__name__ == "Normalization")
    assert [w.tolist() for w in norm.get_weights()] == [[0.0] * 3, [1.0] * 3, 0.0]
    assert (norm.get_config()["mean"], norm.get_config()["variance"]) == (None, None) == \
        (theirs.get_config()["mean"], theirs.get_config()["variance"])
    assert [v.name for v in norm.weights] == [v.name for v in theirs.weights] == ["mean", "variance", "count"]
    inputs = keras.Input(shape=(4,))
    mine = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Normalization(name="scale")(inputs)))
    with pytest.raises(NotReadyError, match=r"layer 'scale' has no statistics yet; call scale.adapt\(x_train\)"):
        mine.predict(np.zeros((2, 4)), verbose=0)


# --------------------------------------------------------------------------- the module and bad arguments


@pytest.mark.host_only
def test_the_module_is_kerass_preprocess_input_passes_through(real):
    x = np.random.default_rng(2).uniform(0, 255, (2, 4, 4, 3)).astype(np.float32)
    assert applications.efficientnet.preprocess_input(x) is x is real.applications.efficientnet.preprocess_input(x)
    assert applications.efficientnet.preprocess_input(x, data_format="channels_first") is x
    assert applications.efficientnet.decode_predictions is applications.imagenet_utils.decode_predictions
    for variant in VARIANTS:
        name = f"EfficientNet{variant.upper()}"
        assert getattr(keras.applications, name) is getattr(keras.applications.efficientnet, name)
        assert getattr(keras.applications, name).__name__ == getattr(real.applications, name).__name__


@pytest.mark.host_only  # refused before anything is built
@pytest.mark.parametrize("call, error, words", [
    (lambda: applications.EfficientNetB0(weights="imagenett"), ConfigError, ("weights='imagenett'", "'imagenet'")),
    (lambda: applications.EfficientNetB1(classes=10), ConfigError, ("classes=10", "include_top=False")),
    (lambda: applications.EfficientNetB2(input_shape=(224, 224, 3)), ShapeError, ("(260, 260, 3)", "include_top")),
    (lambda: applications.EfficientNetB3(include_top=False, input_shape=(31, 64, 3)), ShapeError,
     ("(31, 64, 3)", "32x32")),
    (lambda: applications.EfficientNetB4(include_top=False, input_shape=(64, 64, 4)), ShapeError,
     ("3 channels", "weights=None")),
    (lambda: applications.EfficientNetB5(include_top=False, input_shape=(64, 64)), ShapeError,
     ("(64, 64)", "(height, width")),
    (lambda: applications.EfficientNetB6(include_top=False, pooling="mean"), ConfigError, ("pooling='mean'", "'avg'")),
    (lambda: applications.EfficientNetB7(classifier_activation="relu"), ConfigError,
     ("classifier_activation='relu'", "'softmax'")),
    (lambda: applications.EfficientNetB0(weights=None, classes=0), ConfigError, ("classes=0", "positive integer")),
    (lambda: applications.EfficientNetB0(include_top=False, weights=None), ShapeError, ("no image size",)),
    (lambda: applications.EfficientNetB0(weights=None, input_tensor=np.zeros((1, 32, 32, 3))), ConfigError,
     ("input_tensor", "ndarray")),
    (lambda: applications.efficientnet.decode_predictions(np.zeros((2, 10))), ShapeError, ("(2, 10)", "1000")),
])
def test_bad_arguments_are_refused_in_one_sentence_before_any_download(monkeypatch, call, error, words):
    assert_refused_before_download(monkeypatch, call, error, words)
