"""keras.applications.convnext: ConvNeXtTiny to ConvNeXtXLarge have Keras's layers, names, order, settings and
weight shapes, give Keras's outputs with Keras's weights (its Normalization with ImageNet's statistics included),
load Keras's weight files (the official ones through get_file, with Keras's URLs and hashes), write files Keras
reads, and preprocess and decode as Keras does; LayerScale and StochasticDepth are Keras's, with their gradients
and StochasticDepth's law checked.

Real Keras's ConvNeXtTiny is built once, with its top, at the smallest size Keras allows (32x32), its LayerScale
factors and layer normalizations given values of their own so that every block counts in the outputs, and serves
every comparison of weights and outputs with Tiny, with and without the top and the preprocessing. The other
variants differ from Tiny only by their depths and widths: Keras builds XLarge in seconds, so their block plans
(each block's name, width, drop rate and LayerScale start) are compared with the plans Keras's own code makes, its
block function stood in for, and what remains (the stem, the downsampling blocks and the top) layer for layer.
A small ConvNeXt of the same code (four stages of one or two blocks, with drop path) serves the files written both
ways, which Tiny's size would make slow. Keras records each residual addition as an op: ``model.operations``
lists it where fnlearn's ``model.layers`` lists the Add layer that computes it."""

from __future__ import annotations

import inspect
import json
import re

import numpy as np
import pytest
from real_keras import real_keras
from value_checks import assert_refused_before_download, record_get_file

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras import applications
from fnlearn.keras.applications import convnext
from fnlearn.nn.residual import LayerScale, StochasticDepth

SHAPE = (32, 32, 3)
VARIANTS = ("tiny", "small", "base", "large", "xlarge")
CONSTRUCTORS = {"tiny": "ConvNeXtTiny", "small": "ConvNeXtSmall", "base": "ConvNeXtBase", "large": "ConvNeXtLarge",
                "xlarge": "ConvNeXtXLarge"}
# a ConvNeXt small enough to write and read files in a moment: drop path on, LayerScale starting at 0.5
SMALL_PLAN = {"depths": [1, 1, 2, 1], "projection_dims": [8, 16, 24, 32], "drop_path_rate": 0.3,
              "layer_scale_init_value": 0.5, "name": "little", "input_shape": SHAPE, "classes": 5,
              "classifier_activation": None}


@pytest.fixture(scope="module")
def real():
    return real_keras()


def _varied(model, seed: int) -> None:
    """Every LayerScale factor and layer normalization of ``model`` given values of its own (Keras starts them at
    1e-6, 1 and 0, which would leave the blocks' branches unseen in the outputs)."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(np.float32) if w.ndim == 1 else w
                       for w in model.get_weights()])


@pytest.fixture(scope="module")
def tiny(real):
    model = real.applications.ConvNeXtTiny(weights=None, input_shape=SHAPE, classes=10, classifier_activation=None)
    _varied(model, 0)
    return model


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(1).uniform(0, 255, (2, *SHAPE)).astype(np.float32)


@pytest.fixture(scope="module")
def expected(real, tiny, images):
    """Real Keras's scores and last feature maps (before the top) for ``images``."""
    both = real.Model(tiny.input, [tiny.output, tiny.get_layer("convnext_tiny_head_gap").input])
    return tuple(real.ops.convert_to_numpy(out) for out in both(images))  # one run for both


def ours(**changes):
    return applications.ConvNeXtTiny(**{"weights": None, "input_shape": SHAPE, "classes": 10,
                                        "classifier_activation": None, **changes})


AUTOMATIC = re.compile(r"^(input_layer|add|layer_normalization|global_average_pooling2d|global_max_pooling2d)(_\d+)?$")


def _steps(model) -> list:
    """The model's steps in order: Keras's ``operations`` (its layers and its ops), fnlearn's ``layers``."""
    return list(model.operations) if hasattr(model, "operations") else list(model.layers)


def layout(model) -> list[tuple[str, str, list[tuple[int, ...]]]]:
    """Each step's name, class and weight shapes, in order, a nested model's own layers after it; the names Keras
    numbers by a session-wide counter (the Input, the additions, the unnamed pooling and normalization of a model
    without its top) without their number."""
    found = []
    for step in _steps(model):
        weights = step.get_weights() if hasattr(step, "get_weights") else []
        found.append((AUTOMATIC.sub(r"\1", step.name), type(step).__name__, [tuple(w.shape) for w in weights]))
        if hasattr(step, "layers"):
            found.extend(entry for entry in layout(step) if entry[1] != "InputLayer")
    return found


SETTINGS = ("epsilon", "axis", "center", "scale", "groups", "filters", "kernel_size", "strides", "padding",
            "dilation_rate", "units", "activation", "use_bias", "mean", "variance", "init_values", "projection_dim",
            "drop_path_rate")


def settings(model) -> list[dict]:
    """What each step computes, by the settings both libraries write in their configs (fnlearn's spellings of
    the defaults — no activation, one axis, no groups — written as Keras's)."""
    found = []
    for step in _steps(model):
        nested = hasattr(step, "layers")  # a nested model's settings are its layers', listed after it
        config = {} if nested or not hasattr(step, "get_config") else step.get_config()
        chosen = {key: json.loads(json.dumps(config[key])) for key in SETTINGS if key in config}
        if "activation" in chosen and chosen["activation"] is None:
            chosen["activation"] = "linear"
        if isinstance(chosen.get("axis"), int):
            chosen["axis"] = [chosen["axis"]]
        if "filters" in chosen:
            chosen.setdefault("groups", 1)
        found.append(chosen)
        if nested:
            found.extend(settings(step)[1 if type(step.layers[0]).__name__ == "InputLayer" else 0:])
    return found


def assert_close(mine, theirs) -> None:
    np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-5 * np.abs(theirs).max())


def layer_norm(x, gamma, beta):
    mean, variance = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + 1e-6) * gamma + beta


# --------------------------------------------------------------------------- Tiny against Keras


def test_tiny_is_keras_layer_for_layer_and_gives_its_outputs(tiny, images, expected):
    model = ours()
    assert layout(model) == layout(tiny)
    assert settings(model) == settings(tiny)
    assert model.name == tiny.name == "convnext_tiny"
    assert [type(layer).__name__ for layer in model.layers].count("Add") == 18  # Keras's 18 ops
    model.set_weights(tiny.get_weights())
    assert_close(model.predict(images, verbose=0), expected[0])


def test_the_preprocessing_normalization_holds_imagenets_statistics_as_constants(tiny):
    mine = convnext.ConvNeXt(weights=None, **{**SMALL_PLAN, "name": "convnext_tiny"}).get_layer(
        "convnext_tiny_prestem_normalization")
    theirs = tiny.get_layer("convnext_tiny_prestem_normalization")
    for key in ("mean", "variance", "axis"):
        assert np.allclose(mine.get_config()[key], theirs.get_config()[key], rtol=1e-12)
    assert mine.get_weights() == theirs.get_weights() == []  # nothing for a weights file to hold


def test_without_the_top_it_is_keras_up_to_its_top_then_pooling_and_a_layer_normalization(tiny, images, expected):
    """Keras's model without its top: the pooling asked for (unnamed), then an unnamed layer normalization; given
    the weights of the top's normalization, its outputs are Keras's feature maps so normalized (the pooled
    features are compared through the official file's test below)."""
    full = layout(tiny)
    norm = [("layer_normalization", "LayerNormalization", [(768,), (768,)])]
    for pooling, pool in ((None, []), ("avg", [("global_average_pooling2d", "GlobalAveragePooling2D", [])]),
                          ("max", [("global_max_pooling2d", "GlobalMaxPooling2D", [])])):
        model = ours(include_top=False, pooling=pooling)
        assert layout(model) == full[:-3] + pool + norm
    model = ours(include_top=False)
    head_norm = tiny.get_layer("convnext_tiny_head_layernorm").get_weights()
    model.set_weights(tiny.get_weights()[:-4] + head_norm)
    assert_close(model.predict(images, verbose=0), layer_norm(expected[1], *head_norm))


def test_without_the_preprocessing_it_takes_images_normalized_before(tiny, images, expected):
    """``include_preprocessing=False`` leaves out the Normalization layer only; the model then gives Keras's
    outputs for images normalized by ImageNet's statistics beforehand."""
    model = ours(include_preprocessing=False)
    assert layout(model) == [entry for entry in layout(tiny) if entry[1] != "Normalization"]
    model.set_weights(tiny.get_weights())
    normalized = (images - np.array(convnext.IMAGENET_MEAN)) / np.sqrt(convnext.IMAGENET_VARIANCE)
    assert_close(model.predict(normalized.astype(np.float32), verbose=0), expected[0])
    grey = ours(include_top=False, input_shape=(32, 32, 1), include_preprocessing=True)  # Keras: 3 channels only
    assert "Normalization" not in [type(layer).__name__ for layer in grey.layers]
    assert grey.get_layer("convnext_tiny_stem").get_weights()[0].shape == (4, 4, 1, 96)


# --------------------------------------------------------------------------- Small to XLarge, and drop path


def _recorder(function, plan: list[dict]):
    """A stand-in for a block function that notes the block asked for (its arguments by name) and builds nothing;
    Keras's returns the function it applies, fnlearn's applies itself."""
    signature = inspect.signature(function)

    def record(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        asked = dict(bound.arguments)
        plan.append({key: asked.get(key) for key in ("name", "projection_dim", "drop_path_rate",
                                                      "layer_scale_init_value")})
        return asked["x"] if "x" in asked else (lambda inputs: inputs)

    return record


@pytest.mark.host_only  # names, shapes and numbers: nothing runs
@pytest.mark.parametrize("variant", VARIANTS[1:])
def test_each_model_makes_keras_block_plan_stem_downsampling_and_top(real, monkeypatch, variant):
    """The blocks each model asks for — names, widths, drop rates and LayerScale starts, in order — are those
    Keras's ConvNeXt asks its block function for; with the blocks left out, what remains (the input at its
    default size, the normalization, the stem, the downsampling blocks and the top) is Keras's layer for layer."""
    from keras.src.applications import convnext as keras_convnext

    keras_plan: list[dict] = []
    my_plan: list[dict] = []
    monkeypatch.setattr(keras_convnext, "ConvNeXtBlock", _recorder(keras_convnext.ConvNeXtBlock, keras_plan))
    monkeypatch.setattr(convnext, "block", _recorder(convnext.block, my_plan))
    theirs = getattr(real.applications, CONSTRUCTORS[variant])(weights=None)
    model = getattr(applications, CONSTRUCTORS[variant])(weights=None)
    assert my_plan == keras_plan and len(my_plan) == 36
    assert layout(model) == layout(theirs) and settings(model) == settings(theirs)
    assert model.name == theirs.name == f"convnext_{variant}"
    assert model.input_shape == tuple(theirs.input_shape) == (None, 224, 224, 3)
    widths = [plan["projection_dim"] for plan in my_plan]
    assert sorted(set(widths)) == list(convnext.CONFIGS[variant][1])


@pytest.mark.host_only  # names, shapes and settings: nothing runs
@pytest.mark.parametrize("layer_scale", [0.5, None])
def test_a_convnext_of_its_own_plan_drops_paths_at_keras_rates(real, layer_scale):
    """Keras's ConvNeXt of other depths and widths, with drop path (StochasticDepth layers where a block's rate is
    not 0, at rates rising evenly to drop_path_rate) and with LayerScale or without (None)."""
    from keras.src.applications.convnext import ConvNeXt

    plan = {**SMALL_PLAN, "layer_scale_init_value": layer_scale}
    theirs = ConvNeXt(weights=None, **plan)
    model = convnext.ConvNeXt(weights=None, **plan)
    assert layout(model) == layout(theirs) and settings(model) == settings(theirs)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("StochasticDepth") == 4 and kinds.count("LayerScale") == (5 if layer_scale else 0)
    assert [layer.drop_path_rate for layer in model.layers if isinstance(layer, StochasticDepth)] == \
        [layer.drop_path_rate for layer in theirs.layers if type(layer).__name__ == "StochasticDepth"] == \
        pytest.approx([0.075, 0.15, 0.225, 0.3])


# --------------------------------------------------------------------------- weight files


@pytest.fixture(scope="module")
def keras_file(tiny, tmp_path_factory):
    """Real Keras's Tiny written as a legacy .h5 weights file, the format of Keras's official ones."""
    import h5py
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    path = tmp_path_factory.mktemp("keras-weights") / "convnext_tiny.h5"
    with h5py.File(path, "w") as h5:
        save_weights_to_hdf5_group(h5, tiny)
    return str(path)


def test_kerass_weights_file_loads_by_layer_name_nested_stem_and_all(tiny, keras_file):
    """The file lists the stem and the downsampling blocks (nested models) as one layer each, with their layers'
    weights in order, and no weights for the Normalization; fnlearn reads it by name."""
    import h5py

    with h5py.File(keras_file, "r") as h5:
        assert len(h5["convnext_tiny_stem"].attrs["weight_names"]) == 4
        assert len(h5["convnext_tiny_prestem_normalization"].attrs["weight_names"]) == 0
    for mine, theirs in zip(ours(weights=keras_file).get_weights(), tiny.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)  # the outputs from the same weights are compared above


@pytest.fixture(scope="module")
def little(real):
    """Real Keras's small ConvNeXt (drop path and LayerScale), its weights varied."""
    from keras.src.applications.convnext import ConvNeXt

    model = ConvNeXt(weights=None, **SMALL_PLAN)
    _varied(model, 2)
    return model


def test_files_cross_both_ways_with_keras_layer_scale_and_stochastic_depth_too(real, little, images, tmp_path):
    """Keras's .keras file and its .weights.h5 read by fnlearn; fnlearn's model written for Keras and read by it
    (LayerScale and StochasticDepth found in Keras's convnext module), and in fnlearn's own file."""
    theirs = real.ops.convert_to_numpy(little(images))
    little.save(tmp_path / "theirs.keras")
    loaded = keras.models.load_model(tmp_path / "theirs.keras")
    assert layout(loaded) == layout(little)
    assert_close(loaded.predict(images, verbose=0), theirs)
    little.save_weights(tmp_path / "theirs.weights.h5")
    model = convnext.ConvNeXt(weights=str(tmp_path / "theirs.weights.h5"), **SMALL_PLAN)
    mine = model.predict(images, verbose=0)
    assert_close(mine, theirs)
    keras.saving.export_keras(model, tmp_path / "mine.keras")
    again = real.models.load_model(tmp_path / "mine.keras")
    assert [type(layer).__name__ for layer in again.layers if "layer_scale" in layer.name] == ["LayerScale"] * 5
    assert_close(real.ops.convert_to_numpy(again(images)), mine)
    model.save(tmp_path / "mine.fnl")
    own = fl.load_model(tmp_path / "mine.fnl")
    np.testing.assert_array_equal(own.predict(images, verbose=0), mine)
    assert [layer.drop_path_rate for layer in own.layers if isinstance(layer, StochasticDepth)] == \
        pytest.approx([0.075, 0.15, 0.225, 0.3])


def test_a_file_of_other_layer_names_loads_layer_after_layer(real, little, images, tmp_path):
    """A file that names a layer otherwise (an official file written by an older Keras; the unnamed layer
    normalization of a model without its top, numbered by a session-wide counter) is read layer after layer, as
    Keras reads it."""
    import h5py
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    path = tmp_path / "renamed.h5"
    with h5py.File(path, "w") as h5:
        save_weights_to_hdf5_group(h5, little)
        names = [name.decode() if isinstance(name, bytes) else name for name in h5.attrs["layer_names"]]
        h5.move("little_head_dense", "layer_normalization_99")
        h5.attrs["layer_names"] = [("layer_normalization_99" if name == "little_head_dense" else name).encode()
                                   for name in names]
    model = convnext.ConvNeXt(weights=str(path), **SMALL_PLAN)
    assert_close(model.predict(images, verbose=0), real.ops.convert_to_numpy(little(images)))


def test_imagenet_weights_come_from_keras_url_through_get_file_as_keras_reads_them(real, tiny, monkeypatch, tmp_path):
    """With weights="imagenet" fnlearn asks for Keras's file (its name, URL, cache folder and hash) through
    get_file, stood in for here (nothing is downloaded), and reads it as Keras does: given a file of Keras's
    Tiny without its top (its pooled features normalized by a new, unnamed layer), its weights are Keras's."""
    import h5py
    from keras.src.applications import convnext as keras_convnext
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    pooled = tiny.get_layer("convnext_tiny_head_gap").output
    norm = real.layers.LayerNormalization(epsilon=1e-6)
    without_top = real.Model(tiny.input, norm(pooled))
    norm.set_weights(tiny.get_layer("convnext_tiny_head_layernorm").get_weights())
    path = tmp_path / "convnext_tiny_notop.h5"
    with h5py.File(path, "w") as h5:
        save_weights_to_hdf5_group(h5, without_top)
    asked = record_get_file(monkeypatch, path)
    model = applications.ConvNeXtTiny(weights="imagenet", include_top=False, input_shape=SHAPE, pooling="avg")
    assert asked == [("convnext_tiny_notop.h5", keras_convnext.BASE_WEIGHTS_PATH + "convnext_tiny_notop.h5",
                      "models", keras_convnext.WEIGHTS_HASHES["convnext_tiny"][1])]
    for mine, theirs in zip(model.get_weights(), without_top.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)  # Tiny's outputs from the same weights are compared above


@pytest.mark.host_only
def test_every_models_weights_file_is_kerass(real):
    from keras.src.applications import convnext as keras_convnext

    for variant in VARIANTS:
        assert convnext.CONFIGS[variant] == tuple(tuple(keras_convnext.MODEL_CONFIGS[variant][key])
                                                  for key in ("depths", "projection_dims"))
        for top, suffix in ((True, ".h5"), (False, "_notop.h5")):
            official = convnext.weights_file(variant, top)
            fname = f"convnext_{variant}{suffix}"
            assert (official.fname, official.origin, official.file_hash) == (
                fname, keras_convnext.BASE_WEIGHTS_PATH + fname,
                keras_convnext.WEIGHTS_HASHES[f"convnext_{variant}"][0 if top else 1])


# --------------------------------------------------------------------------- LayerScale and StochasticDepth


def test_layer_scale_and_stochastic_depth_have_kerass_settings(real):
    from keras.src.applications import convnext as keras_convnext

    theirs = keras_convnext.LayerScale(0.25, 6, name="scale")
    theirs.build((None, 6))
    mine = LayerScale(0.25, 6, name="scale")
    mine(np.ones((1, 6)))
    assert [w.shape for w in mine.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()] == [(6,)]
    np.testing.assert_allclose(mine.get_weights()[0], real.ops.convert_to_numpy(theirs.gamma), rtol=1e-7)
    assert {k: mine.get_config()[k] for k in ("init_values", "projection_dim")} == \
        {k: theirs.get_config()[k] for k in ("init_values", "projection_dim")}
    drop = keras_convnext.StochasticDepth(0.2)
    assert StochasticDepth(0.2).get_config()["drop_path_rate"] == drop.get_config()["drop_path_rate"]
    x = np.random.default_rng(3).normal(size=(4, 3, 3, 2)).astype(np.float32)
    np.testing.assert_array_equal(StochasticDepth(0.2)(x, training=False).numpy(),
                                  real.ops.convert_to_numpy(drop(x, training=False)))


def test_stochastic_depth_drops_whole_samples_at_its_rate_and_keeps_the_mean():
    """In training each sample's values are all dropped (0) or all kept, scaled by 1 / (1 − rate); the share
    dropped is the rate (within 4.5 binomial standard deviations) and the mean is kept; in inference the layer is
    the identity. The same seed draws the same samples."""
    rate, n = 0.3, 4000
    x = np.random.default_rng(4).uniform(0.5, 1.5, (n, 2, 2, 3)).astype(np.float32)
    layer = StochasticDepth(rate, seed=11)
    out = layer(x, training=True).numpy()
    kept = (out != 0).all(axis=(1, 2, 3))
    assert ((out == 0).all(axis=(1, 2, 3)) | kept).all()  # whole samples
    np.testing.assert_allclose(out[kept], x[kept] / (1 - rate), rtol=1e-6)
    assert abs((~kept).mean() - rate) < 4.5 * np.sqrt(rate * (1 - rate) / n)
    assert abs(out.mean() / x.mean() - 1) < 0.05
    assert layer.draws == 1
    np.testing.assert_array_equal(StochasticDepth(rate, seed=11)(x, training=True).numpy(), out)
    assert not np.array_equal(layer(x, training=True).numpy(), out)  # the next draw
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    np.testing.assert_array_equal(StochasticDepth(0.0)(x, training=True).numpy(), x)


def test_a_convnext_with_drop_path_is_the_identity_in_inference_and_trains():
    """predict runs the blocks whole (StochasticDepth the identity): the outputs are the model's without drop
    path; fit draws a mask for each StochasticDepth layer at each step."""
    fl.set_seed(0)
    plan = {**SMALL_PLAN, "name": "trained"}
    model = convnext.ConvNeXt(weights=None, **plan)
    plain = convnext.ConvNeXt(weights=None, **{**plan, "drop_path_rate": 0.0})
    plain.set_weights(model.get_weights())
    x = np.random.default_rng(5).uniform(0, 255, (4, *SHAPE)).astype(np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), plain.predict(x, verbose=0))
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, np.zeros((4, 5), np.float32), batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert [layer.draws for layer in model.layers if isinstance(layer, StochasticDepth)] == [2] * 4


def test_layer_scale_and_stochastic_depth_gradients_match_central_differences_in_float64():
    rng = np.random.default_rng(6)
    x = fl.tensor(rng.normal(size=(3, 2, 2, 4)), requires_grad=True)
    weights = fl.tensor(rng.normal(size=(3, 2, 2, 4)))

    def scaled(a, gamma):
        layer = LayerScale(0.5, 4, dtype="float64")
        layer.build((None, 2, 2, 4))
        layer.gamma = gamma  # the tensor gradcheck varies, in the layer's place
        return layer(a) * weights

    assert fl.gradcheck(scaled, [x, fl.tensor(rng.normal(size=4), requires_grad=True)])
    drop = StochasticDepth(0.5, seed=2)

    def dropped(a):
        drop.draws = 0  # the same samples dropped at every evaluation
        return drop(a, training=True) * weights

    assert (dropped(x).numpy() == 0).any() and fl.gradcheck(dropped, [x])


# --------------------------------------------------------------------------- the module and bad arguments


@pytest.mark.host_only
def test_the_module_is_kerass_preprocess_input_passes_through_decode_predictions_is_imagenets(real):
    x = np.random.default_rng(7).uniform(0, 255, (2, 4, 4, 3)).astype(np.float32)
    assert applications.convnext.preprocess_input(x) is x is real.applications.convnext.preprocess_input(x)
    assert applications.convnext.preprocess_input(x, data_format="channels_first") is x
    assert applications.convnext.decode_predictions is applications.imagenet_utils.decode_predictions
    for name in CONSTRUCTORS.values():
        assert getattr(keras.applications, name) is getattr(keras.applications.convnext, name)
        assert getattr(keras.applications, name).__name__ == getattr(real.applications, name).__name__
        assert inspect.signature(getattr(keras.applications, name)).parameters.keys() == \
            inspect.signature(getattr(real.applications, name)).parameters.keys()
    assert "convnext" in applications.__all__


@pytest.mark.host_only  # refused before anything is built
@pytest.mark.parametrize("call, error, words", [
    (lambda: applications.ConvNeXtTiny(weights="imagenett"), ConfigError, ("weights='imagenett'", "'imagenet'")),
    (lambda: applications.ConvNeXtSmall(classes=10), ConfigError, ("classes=10", "include_top=False")),
    (lambda: applications.ConvNeXtBase(input_shape=(160, 160, 3)), ShapeError, ("(224, 224, 3)", "include_top")),
    (lambda: applications.ConvNeXtLarge(include_top=False, input_shape=(31, 64, 3)), ShapeError,
     ("(31, 64, 3)", "32x32")),
    (lambda: applications.ConvNeXtXLarge(include_top=False, input_shape=(64, 64, 4)), ShapeError,
     ("3 channels", "weights=None")),
    (lambda: applications.ConvNeXtTiny(include_top=False, input_shape=(64, 64)), ShapeError,
     ("(64, 64)", "(height, width")),
    (lambda: applications.ConvNeXtTiny(include_top=False, pooling="mean"), ConfigError, ("pooling='mean'", "'avg'")),
    (lambda: applications.ConvNeXtSmall(classifier_activation="relu"), ConfigError,
     ("classifier_activation='relu'", "'softmax'")),
    (lambda: applications.ConvNeXtTiny(weights=None, classes=0), ConfigError, ("classes=0", "positive integer")),
    (lambda: applications.ConvNeXtTiny(include_top=False, weights=None), ShapeError, ("no image size",)),
    (lambda: applications.ConvNeXtTiny(weights=None, input_tensor=np.zeros((1, 32, 32, 3))), ConfigError,
     ("input_tensor", "ndarray")),
    (lambda: applications.ConvNeXtBase(name="mine"), ConfigError, ("name='mine'", "'convnext_base'")),
    (lambda: convnext.ConvNeXt([3, 3, 9, 3], [96, 192, 384, 768], weights="imagenet"), ConfigError,
     ("weights_name=None", "'convnext_tiny'")),
    (lambda: convnext.ConvNeXt([3, 3, 9, 3], [96, 192, 384, 768], weights="imagenet", weights_name="convnext_small",
                               name="convnext_small"), ConfigError, ("[3, 3, 27, 3]", "weights=None")),
    (lambda: convnext.ConvNeXt([3, 3, 9], [96, 192, 384, 768]), ConfigError, ("depths=[3, 3, 9]", "four")),
    (lambda: convnext.ConvNeXt([3, 3, 9, 3], [96, 192, 384, 768], drop_path_rate=1.0), ConfigError,
     ("drop_path_rate=1.0", "[0, 1)")),
    (lambda: LayerScale(1e-6, 0), ConfigError, ("projection_dim", "got 0")),
    (lambda: LayerScale("small", 4), ConfigError, ("init_values", "'small'")),
    (lambda: LayerScale(1e-6, 4)(np.ones((1, 3))), ShapeError, ("4 channels", "(3,)")),
    (lambda: StochasticDepth(1.5), ConfigError, ("drop_path_rate", "[0, 1)")),
    (lambda: applications.convnext.decode_predictions(np.zeros((2, 10))), ShapeError, ("(2, 10)", "1000")),
])
def test_bad_arguments_are_refused_in_one_sentence_before_any_download(monkeypatch, call, error, words):
    assert_refused_before_download(monkeypatch, call, error, words)
