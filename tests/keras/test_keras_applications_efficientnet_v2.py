"""keras.applications EfficientNetV2B0 to B3, S, M and L: Keras's layers, names, order and weight shapes, Keras's
outputs with Keras's weights (its pixel scaling included), Keras's weight files through get_file (Keras's URLs and
hashes), and the arguments refused in one sentence.

Real Keras models are built at the smallest size Keras allows (32x32) or near it: B0 without its top, S without its
top on odd, non-square images, B2 with a small top; the other variants are compared by their layer layout."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from real_keras import real_keras
from value_checks import keras_layout, record_get_file, shrinking_statistics

from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras import applications

RNG = np.random.default_rng(5)
KERAS_MODELS = {
    "b0": ("EfficientNetV2B0", {"input_shape": (32, 32, 3), "include_top": False, "pooling": "avg"}),
    "s": ("EfficientNetV2S", {"input_shape": (33, 35, 3), "include_top": False}),
    "b2": ("EfficientNetV2B2", {"input_shape": (32, 32, 3), "classes": 5, "classifier_activation": None}),
}
_built: dict[str, object] = {}
AUTOMATIC = re.compile(r"^(input_layer|rescaling|normalization|activation|dropout|global_average_pooling2d|"
                       r"global_max_pooling2d)_\d+$")


@pytest.fixture(scope="module")
def real():
    return real_keras()


def theirs(real, key: str):
    """Real Keras's model ``key`` (built once), its batch normalizations given statistics of their own, which shrink
    what passes (γ under 1, variances over 1): forty blocks that each grew it would blow float32's rounding up into
    differences of whole percents."""
    if key not in _built:
        constructor, kwargs = KERAS_MODELS[key]
        model = getattr(real.applications, constructor)(weights=None, **kwargs)
        shrinking_statistics(model, seed=len(_built))
        _built[key] = model
    return _built[key]


def ours(key: str, **changes):
    constructor, kwargs = KERAS_MODELS[key]
    return getattr(applications, constructor)(**{"weights": None, **kwargs, **changes})


def layout(model) -> list[tuple[str, str, list[tuple[int, ...]]]]:
    return keras_layout(model, AUTOMATIC)


# the GPU's code path runs B0; the larger ones are checked on the CPU
@pytest.mark.parametrize("key", ["b0", pytest.param("s", marks=pytest.mark.host_only),
                                 pytest.param("b2", marks=pytest.mark.host_only)])
def test_each_model_is_keras_layer_for_layer_and_gives_its_outputs(real, key):
    real_model, model = theirs(real, key), ours(key)
    assert layout(model) == layout(real_model)
    assert model.name == real_model.name
    model.set_weights(real_model.get_weights())
    x = RNG.uniform(0, 255, (2, *KERAS_MODELS[key][1]["input_shape"])).astype(np.float32)
    expected = np.asarray(real_model.predict(x, verbose=0))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())


@pytest.mark.host_only  # names and shapes: nothing runs
@pytest.mark.parametrize("constructor", ["EfficientNetV2B1", "EfficientNetV2B3"])
def test_the_other_variants_are_keras_layer_for_layer(real, constructor):
    kwargs = {"input_shape": (32, 32, 3), "include_top": False, "weights": None}
    assert layout(getattr(applications, constructor)(**kwargs)) == \
        layout(getattr(real.applications, constructor)(**kwargs))


@pytest.mark.host_only
def test_every_variants_stages_are_keras_s(real):
    """M's and L's blocks are the others' (compared above, layer for layer): their stage tables are compared here,
    without building 600-layer models."""
    from keras.src.applications import efficientnet_v2

    keys = ("kernel_size", "num_repeat", "input_filters", "output_filters", "expand_ratio", "se_ratio", "strides")
    for variant in ("b0", "b1", "b2", "b3", "s", "m", "l"):
        stages = applications.efficientnet_v2.STAGES[variant[0] if variant.startswith("b") else variant]
        keras_stages = efficientnet_v2.DEFAULT_BLOCKS_ARGS[f"efficientnetv2-{variant}"]
        assert [(*(args[k] for k in keys), args["conv_type"] == 1) for args in keras_stages] == list(stages), variant


@pytest.mark.host_only
def test_the_preprocessing_layers_and_what_include_preprocessing_leaves_out(real):
    b0 = layout(theirs(real, "b0"))
    assert [kind for _, kind, _ in b0[1:3]] == ["Rescaling", "Normalization"]
    assert layout(ours("b0", include_preprocessing=False)) == [b0[0]] + b0[3:]
    s = ours("s")
    assert type(s.layers[1]).__name__ == "Rescaling" and (s.layers[1].scale, s.layers[1].offset) == (1 / 128, -1)
    assert layout(ours("s", include_preprocessing=False))[1][0] == "stem_conv"
    assert applications.efficientnet_v2.preprocess_input(RNG.uniform(size=(1, 2, 2, 3))).shape == (1, 2, 2, 3)


# (variant, arguments, Keras model whose file stands in (None: the call to get_file is checked, not the loading))
IMAGENET = [("b0", {}, None), ("s", {"include_top": False, "input_shape": (64, 64, 3)}, None),
            ("l", {}, None), ("b0", KERAS_MODELS["b0"][1], "b0")]


@pytest.mark.host_only  # the file's name, address and hash, and the weights read from it
@pytest.mark.parametrize("variant, kwargs, key", IMAGENET, ids=[f"{v}-{k}" for v, _, k in IMAGENET])
def test_imagenet_weights_come_from_keras_url_through_get_file(real, monkeypatch, tmp_path, variant, kwargs, key):
    import h5py
    from keras.src.applications import efficientnet_v2
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    stand_in = None
    if key is not None:
        stand_in = tmp_path / "keras.h5"
        with h5py.File(stand_in, "w") as h5:
            save_weights_to_hdf5_group(h5, theirs(real, key))
    asked = record_get_file(monkeypatch, None if stand_in is None else str(stand_in))
    constructor = getattr(applications, f"EfficientNetV2{variant.upper()}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if key is None:
            with pytest.raises(LookupError):
                constructor(weights="imagenet", **kwargs)
        else:
            model = constructor(weights="imagenet", **kwargs)
            for mine, expected in zip(model.get_weights(), theirs(real, key).get_weights(), strict=True):
                np.testing.assert_array_equal(mine, expected)
    top = kwargs.get("include_top", True)
    fname = f"efficientnetv2-{variant}{'' if top else '_notop'}.h5"
    keras_hash = efficientnet_v2.WEIGHTS_HASHES[variant if variant.startswith("b") else f"-{variant}"][0 if top else 1]
    assert asked == [(fname, efficientnet_v2.BASE_WEIGHTS_PATH + fname, "models", keras_hash)]


@pytest.mark.host_only
def test_the_module_is_keras(real):
    module = applications.efficientnet_v2
    for name in ("B0", "B1", "B2", "B3", "S", "M", "L"):
        constructor = getattr(module, f"EfficientNetV2{name}")
        assert getattr(applications, constructor.__name__) is constructor
        assert f"keras.applications.EfficientNetV2{name}" in constructor.__doc__
    assert module.decode_predictions is applications.imagenet_utils.decode_predictions
    assert "efficientnet_v2" in applications.__all__
    with pytest.raises(AttributeError, match="fnlearn does not provide"):
        module.EfficientNetV2XL  # noqa: B018


@pytest.mark.host_only  # refused before anything is built or downloaded
@pytest.mark.parametrize("call, error, words", [
    (lambda: applications.EfficientNetV2B0(classes=10), ConfigError, ("classes=10", "include_top=False")),
    (lambda: applications.EfficientNetV2B3(input_shape=(224, 224, 3)), ShapeError, ("(300, 300, 3)",)),
    (lambda: applications.EfficientNetV2S(weights=None, include_top=False, input_shape=(31, 40, 3)), ShapeError,
     ("32x32",)),
    (lambda: applications.EfficientNetV2M(weights=None, include_top=False, pooling="sum"), ConfigError,
     ("pooling='sum'",)),
])
def test_bad_arguments_are_one_sentence(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert all(w in str(info.value) for w in words), str(info.value)
