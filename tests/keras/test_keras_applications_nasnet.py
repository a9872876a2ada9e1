"""keras.applications NASNetMobile and NASNetLarge: Keras's layers, names, order and weight shapes, Keras's outputs
with Keras's weights, Keras's weight files through get_file (Keras's URLs, cache names and hashes), its
preprocessing, and the arguments refused in one sentence.

Keras builds NASNet on JAX only (its PyTorch backend refuses it), so these comparisons run Keras on JAX. The real
models are built once each, at the smallest sizes Keras allows, without their tops; with the top the model is
compared layer for layer."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from real_keras import real_keras
from value_checks import keras_layout, record_get_file, shrinking_statistics

from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras import applications

pytestmark = [pytest.mark.keras_backend("jax"), pytest.mark.host_only]  # 800- and 1000-layer models: the CPU's run

RNG = np.random.default_rng(7)
KERAS_MODELS = {"mobile": ("NASNetMobile", {"input_shape": (32, 32, 3), "include_top": False, "pooling": "avg"}),
                "large": ("NASNetLarge", {"input_shape": (33, 35, 3), "include_top": False})}
# Keras builds a model of a thousand layers slowly on JAX (seconds per hundred layers): the comparisons take each
# model's wiring (Large keeps the cell before each reduction, Mobile does not) with one normal cell a stage and
# narrower, Keras's general NASNet against fnlearn's with its table set to the same numbers; the tables' own
# numbers are compared with Keras's code
SMALL = {"mobile": {"penultimate_filters": 96, "num_blocks": 1, "stem_block_filters": 8, "skip_reduction": False},
         "large": {"penultimate_filters": 96, "num_blocks": 1, "stem_block_filters": 8, "skip_reduction": True}}
_built: dict[tuple[int, str], object] = {}
AUTOMATIC = re.compile(r"^(input_layer|activation|global_average_pooling2d|global_max_pooling2d|zero_padding2d|"
                       r"cropping2d|concatenate|add)_\d+$")


@pytest.fixture
def small(monkeypatch):
    """fnlearn's NASNet tables set to SMALL's numbers (sizes and hashes kept)."""
    for variant, numbers in SMALL.items():
        spec = applications.nasnet.VARIANTS[variant]
        monkeypatch.setitem(applications.nasnet.VARIANTS, variant, (*numbers.values(), *spec[4:]))


def theirs(real, key: str):
    """Real Keras's model ``key`` at SMALL's numbers (built once per Keras import), its batch normalizations given
    statistics of their own that shrink what passes (γ under 1, variances over 1), so that every layer counts and
    nothing blows up."""
    if (id(real), key) not in _built:
        from keras.src.applications import nasnet

        constructor, kwargs = KERAS_MODELS[key]
        default_size = applications.nasnet.VARIANTS[key][4]
        model = nasnet.NASNet(weights=None, default_size=default_size, name=f"nasnet_{key}", **SMALL[key], **kwargs)
        shrinking_statistics(model, seed=len(_built))
        _built[id(real), key] = model
    return _built[id(real), key]


def test_the_tables_are_kerass_numbers():
    import inspect

    real_keras()  # Keras imported on its backend first
    from keras.src.applications import nasnet

    for variant, constructor in (("mobile", nasnet.NASNetMobile), ("large", nasnet.NASNetLarge)):
        source = inspect.getsource(constructor)
        keras_numbers = [re.search(rf"{key}=(\w+)", source).group(1) for key in
                         ("penultimate_filters", "num_blocks", "stem_block_filters", "skip_reduction", "default_size")]
        assert [str(n) for n in applications.nasnet.VARIANTS[variant][:5]] == keras_numbers, variant


def ours(key: str, **changes):
    constructor, kwargs = KERAS_MODELS[key]
    return getattr(applications, constructor)(**{"weights": None, **kwargs, **changes})


def layout(model) -> list[tuple[str, str, list[tuple[int, ...]]]]:
    return keras_layout(model, AUTOMATIC)


@pytest.mark.parametrize("key", ["mobile", "large"])
def test_each_model_is_keras_layer_for_layer_and_gives_its_outputs(key, small):
    real = real_keras()
    real_model, model = theirs(real, key), ours(key)
    assert layout(model) == layout(real_model)
    assert model.name == real_model.name
    model.set_weights(real_model.get_weights())
    x = RNG.uniform(-1, 1, (2, *KERAS_MODELS[key][1]["input_shape"])).astype(np.float32)
    expected = np.asarray(real_model.predict(x, verbose=0))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())


def test_with_its_top_it_is_the_model_then_a_pooling_and_predictions(small):
    base = layout(theirs(real_keras(), "mobile"))[:-1]
    model = applications.NASNetMobile(weights=None, input_shape=(32, 32, 3), classes=5)
    assert layout(model) == base + [("global_average_pooling2d", "GlobalAveragePooling2D", []),
                                    ("predictions", "Dense", [(96, 5), (5,)])]
    assert model.layers[-1].activation.__name__ == "softmax"
    assert applications.NASNetLarge(weights=None, include_top=False, input_shape=(32, 32, 3),
                                    pooling="max").output_shape == (None, 96)


# (model, arguments, Keras model whose file stands in (None: the call to get_file is checked, not the loading),
# cache name, address's file, hash)
IMAGENET = [
    ("NASNetMobile", {}, None, "nasnet_mobile.h5", "NASNet-mobile.h5", "020fb642bf7360b370c678b08e0adf61"),
    ("NASNetMobile", KERAS_MODELS["mobile"][1], "mobile", "nasnet_mobile_no_top.h5", "NASNet-mobile-no-top.h5",
     "1ed92395b5b598bdda52abe5c0dbfd63"),
    ("NASNetLarge", {}, None, "nasnet_large.h5", "NASNet-large.h5", "11577c9a518f0070763c2b964a382f17"),
    ("NASNetLarge", {"include_top": False, "input_shape": (64, 64, 3)}, None, "nasnet_large_no_top.h5",
     "NASNet-large-no-top.h5", "d81d89dc07e6e56530c4e77faddd61b5"),
]


@pytest.mark.parametrize("constructor, kwargs, key, fname, remote, file_hash", IMAGENET,
                         ids=[f"{c}-{f}" for c, _, _, f, _, _ in IMAGENET])
def test_imagenet_weights_come_from_keras_url_through_get_file(monkeypatch, tmp_path, constructor, kwargs, key,
                                                               fname, remote, file_hash, small):
    import h5py
    from keras.src.applications import nasnet
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    real = real_keras()
    stand_in = None
    if key is not None:
        stand_in = tmp_path / "keras.h5"
        with h5py.File(stand_in, "w") as h5:
            save_weights_to_hdf5_group(h5, theirs(real, key))
    asked = record_get_file(monkeypatch, None if stand_in is None else str(stand_in))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if key is None:
            with pytest.raises(LookupError):
                getattr(applications, constructor)(weights="imagenet", **kwargs)
        else:
            model = getattr(applications, constructor)(weights="imagenet", **kwargs)
            for mine, expected in zip(model.get_weights(), theirs(real, key).get_weights(), strict=True):
                np.testing.assert_array_equal(mine, expected)
    assert asked == [(fname, nasnet.BASE_WEIGHTS_PATH + remote, "models", file_hash)]


def test_preprocess_input_decode_predictions_and_the_module_are_keras():
    real = real_keras()
    x = RNG.uniform(0, 255, (2, 4, 4, 3)).astype(np.float32)
    module = applications.nasnet
    np.testing.assert_array_equal(module.preprocess_input(x), real.applications.nasnet.preprocess_input(x.copy()))
    assert module.decode_predictions is applications.imagenet_utils.decode_predictions
    for name in ("NASNetMobile", "NASNetLarge"):
        assert getattr(applications, name) is getattr(module, name) and name in applications.__all__
    with pytest.raises(AttributeError, match="fnlearn does not provide"):
        module.NASNet  # noqa: B018  (Keras's general constructor: its two models are here)


@pytest.mark.parametrize("call, error, words", [
    (lambda: applications.NASNetMobile(classes=10), ConfigError, ("classes=10", "include_top=False")),
    (lambda: applications.NASNetLarge(input_shape=(224, 224, 3)), ShapeError, ("(331, 331, 3)",)),
    (lambda: applications.NASNetMobile(weights=None, include_top=False, input_shape=(31, 40, 3)), ShapeError,
     ("32x32",)),
])
def test_bad_arguments_are_one_sentence(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert all(w in str(info.value) for w in words), str(info.value)
