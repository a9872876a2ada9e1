"""keras.utils' Progbar, split_dataset, custom_object_scope and dtype helpers; keras.config's logging switch."""

from __future__ import annotations

import io

import numpy as np
import pytest

from fnlearn import keras
from fnlearn.errors import ConfigError


def test_progbar_prints_one_line_with_averages_when_done() -> None:
    out = io.StringIO()
    bar = keras.utils.Progbar(4, stream=out, stateful_metrics=["acc"])
    for i in range(3):
        bar.update(i + 1, values=[("loss", float(i)), ("acc", 0.5 + i / 10)])
    assert out.getvalue() == ""  # not a terminal: nothing until the end
    bar.add(1, values=[("loss", 3.0), ("acc", 0.9)])
    parts = out.getvalue().rstrip("\n").split(" - ")
    assert parts[0] == "4/4" and parts[2].endswith("/step") and parts[3:] == ["loss: 1.5000", "acc: 0.9000"]
    bar.update(4)  # finished: no second line
    assert out.getvalue().count("\n") == 1


def test_progbar_verbose_0_and_finalize() -> None:
    out = io.StringIO()
    keras.utils.Progbar(3, verbose=0, stream=out).update(3)
    assert out.getvalue() == ""
    bar = keras.utils.Progbar(None, verbose=2, unit_name="batch", stream=out)
    bar.update(2, values=[("loss", 1.0)], finalize=True)
    assert out.getvalue().startswith("2 - ") and "/batch - loss: 1.0000" in out.getvalue()


@pytest.mark.parametrize("make", [lambda: keras.utils.Progbar(-1), lambda: keras.utils.Progbar(3, width=0),
                                  lambda: keras.utils.Progbar(3, verbose=5),
                                  lambda: keras.utils.Progbar(3).update(1, values={"loss": 1.0}),
                                  lambda: keras.utils.Progbar(3).update(-2)])
def test_progbar_bad_input(make) -> None:
    with pytest.raises(ConfigError):
        make()


@pytest.mark.parametrize("left,right,sizes", [(0.8, None, (8, 2)), (None, 3, (7, 3)), (0.25, 0.25, (2, 2)),
                                              (3, 0.5, (3, 5)), (0.86, None, (9, 1))])
def test_split_dataset_sizes_follow_keras(left, right, sizes) -> None:
    x, y = np.arange(10), np.arange(10) * 2
    (lx, ly), (rx, ry) = keras.utils.split_dataset((x, y), left_size=left, right_size=right)
    assert (len(lx), len(rx)) == sizes
    np.testing.assert_array_equal(ly, lx * 2)
    np.testing.assert_array_equal(rx, np.arange(sizes[0], sizes[0] + sizes[1]))


def test_split_dataset_shuffles_as_keras_seeded() -> None:
    left, right = keras.utils.split_dataset(np.arange(10), left_size=6, shuffle=True, seed=3)
    order = np.arange(10)
    np.random.RandomState(3).shuffle(order)  # Keras: np.random.seed(seed); np.random.shuffle(samples)
    np.testing.assert_array_equal(np.concatenate([left, right]), order)


@pytest.mark.parametrize("left,right", [(None, None), (0, 0), (10, None), (1.0, None), (0.6, 0.6), ("a", None),
                                        (0.01, None)])
def test_split_dataset_refuses_bad_sizes(left, right) -> None:
    with pytest.raises(ConfigError):
        keras.utils.split_dataset(np.arange(10), left_size=left, right_size=right)


class Tripled(keras.layers.Layer):
    def call(self, inputs):
        return inputs * 3


def tripled_mse(y_true, y_pred):
    return keras.ops.mean((y_true - y_pred) ** 2)


def test_custom_object_scope_makes_load_model_find_them(tmp_path) -> None:
    model = keras.Sequential([keras.Input((2,)), Tripled(), keras.layers.Dense(1)])
    model.compile("sgd", tripled_mse)
    model.save(tmp_path / "m.keras")
    with pytest.raises(Exception, match="Tripled"):
        keras.saving.load_model(tmp_path / "m.keras")
    with keras.utils.custom_object_scope({"Tripled": Tripled, "tripled_mse": tripled_mse}):
        loaded = keras.saving.load_model(tmp_path / "m.keras")
        assert keras.utils.get_registered_object("Tripled") is Tripled
    x = np.ones((2, 2), "float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert keras.saving.get_registered_object("Tripled") is None
    assert keras.saving.CustomObjectScope is keras.utils.CustomObjectScope
    with pytest.raises(ConfigError):
        keras.saving.custom_object_scope(["Tripled"])


def test_dtype_helpers() -> None:
    assert keras.utils.standardize_dtype(np.float64) == "float64" and keras.backend.standardize_dtype("int") == "int64"
    assert keras.config.is_float_dtype("bfloat16") and not keras.config.is_float_dtype("int32")
    assert keras.config.is_int_dtype("uint8") and not keras.config.is_int_dtype("bool")
    assert keras.config.result_type("int32", "float32") == "float32"
    assert keras.config.result_type("int8", int) == "int8" and keras.config.result_type("int8", float) == "float32"
    assert keras.backend.backend() == keras.config.backend() == "numpy"
    with pytest.raises(ConfigError, match="channels last"):
        keras.backend.set_image_data_format("channels_first")
    with pytest.raises(ConfigError):
        keras.utils.standardize_dtype("nonsense")


def test_disable_interactive_logging_silences_fit(capsys) -> None:
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
    keras.config.disable_interactive_logging()
    try:
        assert not keras.config.is_interactive_logging_enabled()
        model.fit(x, y, epochs=1, verbose=2)
        assert capsys.readouterr().out == ""
    finally:
        keras.config.enable_interactive_logging()
    model.fit(x, y, epochs=1, verbose=2)
    assert "Epoch 1/1" in capsys.readouterr().out
