"""explain.filters / feature_maps on any model (graphs, subclasses, models inside models), the input layer,
the images they take, and what the feature-map figure is drawn from."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
from explain_helpers import assert_png, set_values

import fnlearn as fl
from fnlearn import explain, keras
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.explain import cli
from fnlearn.keras import layers


def _own_output(layer, image: np.ndarray) -> np.ndarray:
    """The layer called on its own on one image, channels first: what its feature maps must be."""
    out = layer(image[None].astype("float32")).numpy()[0]
    return np.moveaxis(out, -1, 0)


def _image(shape=(8, 8, 1), seed=0):
    return np.random.default_rng(seed).random(shape)


def _branching(merge: str = "concatenate"):
    """Two convolution branches from one Input, joined by Concatenate or Add: a FunctionalGraph."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((8, 8, 1), name="img")
    a = layers.Conv2D(2, 3, activation="relu", name="a")(inp)
    b = layers.Conv2D(2, 3, name="b")(inp)
    joined = layers.Concatenate(name="join")([a, b]) if merge == "concatenate" else layers.Add(name="join")([a, b])
    return keras.Model(inp, layers.Dense(2, name="out")(layers.Flatten()(joined)))


class _Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv = layers.Conv2D(3, 3, activation="relu", name="sub_conv")
        self.unused = layers.Conv2D(1, 3, name="unused")
        self.flat = layers.Flatten()
        self.out = layers.Dense(2)

    def call(self, inputs):
        return self.out(self.flat(self.conv(inputs)))


def _run_cli(*argv):
    parser = argparse.ArgumentParser(prog="fnlearn")
    cli.add_subparser(parser.add_subparsers(dest="command"))
    return cli.run(parser.parse_args(["explain", *argv]))


# ----------------------------------------------------------------------------- 1. the input layer


def test_the_input_layer_of_a_functional_model_is_the_image_itself(tmp_path, capsys):
    inp = keras.Input((8, 8, 1), name="img")
    model = keras.Model(inp, layers.Dense(2)(layers.Flatten()(layers.Conv2D(2, 3, name="c")(inp))))
    image = _image((8, 8))
    for chosen in ([0], ["img"], [0, "c"]):
        maps = explain.feature_maps(model, image, layers=chosen)
        assert maps.layers[0] == "img"
        np.testing.assert_array_equal(maps.maps[0], image[None])
    np.testing.assert_allclose(maps.maps[1], _own_output(model.get_layer("c"), image[:, :, None]), atol=1e-6)
    model.save(tmp_path / "m.keras")
    np.savez(tmp_path / "d.npz", x=np.stack([image, image]))
    for spec in ("img", "0"):
        assert _run_cli("maps", str(tmp_path / "m.keras"), "--data", str(tmp_path / "d.npz"), "--layer", spec,
                        "--out", str(tmp_path / spec), "--format", "svg") == 0
        assert (tmp_path / spec / "maps.svg").read_text().lstrip().startswith("<?xml")


# ----------------------------------------------------------------------------- 2. any model


@pytest.mark.parametrize("merge", ["concatenate", "add"])
def test_a_branching_graph_has_filters_and_feature_maps(merge):
    model = _branching(merge)
    image = _image()
    assert explain.filters(model).layer == "a"
    np.testing.assert_array_equal(explain.filters(model, layer="b").weights,
                                  np.moveaxis(model.get_layer("b").kernel.numpy(), -1, 0))
    maps = explain.feature_maps(model, image)
    assert maps.layers == ["a", "b"]
    for name, got in zip(maps.layers, maps.maps):
        np.testing.assert_allclose(got, _own_output(model.get_layer(name), image), atol=1e-5)
    joined = explain.feature_maps(model, image, layers=["join"]).maps[0]
    a, b = maps.maps
    np.testing.assert_allclose(joined, np.concatenate([a, b]) if merge == "concatenate" else a + b, atol=1e-5)


def test_a_subclassed_model_is_read_in_one_forward_pass_and_left_as_it_was():
    model = _Subclassed()
    model(np.zeros((1, 8, 8, 1), dtype="float32"))
    model.train()
    image = _image()
    assert explain.filters(model).layer == "sub_conv"
    maps = explain.feature_maps(model, image, layers=["sub_conv"])
    np.testing.assert_allclose(maps.maps[0], _own_output(model.conv, image), atol=1e-5)
    assert "forward" not in vars(model.conv) and model.training  # its own forward and mode again
    with pytest.raises(ConfigError, match="layer 'unused' did not run when model .* was called"):
        explain.feature_maps(model, image, layers=["unused"])
    assert "forward" not in vars(model.unused)


def test_a_model_inside_a_model_is_searched_for_its_convolutions():
    base = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3, name="base_conv"), layers.Flatten()],
                            name="base")
    model = keras.Sequential([base, layers.Dense(2)])
    image = _image()
    assert explain.filters(model).layer == "base_conv"
    assert explain.filters(model, layer="base_conv").weights.shape == (2, 3, 3, 1)
    maps = explain.feature_maps(model, image)
    assert maps.layers == ["base_conv"]
    np.testing.assert_allclose(maps.maps[0], _own_output(base.get_layer("base_conv"), image), atol=1e-5)
    with pytest.raises(ConfigError, match="layer 'base' .* is not a Conv2D layer; choose one of: 'base_conv'"):
        explain.filters(model, layer=0)
    with pytest.raises(ConfigError, match="no layer named 'nope'; its layers are 'base', 'base_conv'"):
        explain.filters(model, layer="nope")


def test_the_command_line_draws_a_saved_graph_model(tmp_path):
    model = _branching()
    model.save(tmp_path / "g.keras")
    np.savez(tmp_path / "d.npz", x=np.stack([_image(seed=k) for k in range(2)]))
    assert _run_cli("filters", str(tmp_path / "g.keras"), "--layer", "b", "--out", str(tmp_path)) == 0
    assert_png(tmp_path / "filters.png")
    assert _run_cli("maps", str(tmp_path / "g.keras"), "--data", str(tmp_path / "d.npz"), "--out", str(tmp_path),
                    "--scale", "map") == 0
    assert_png(tmp_path / "maps.png")


# ----------------------------------------------------------------------------- 3, 4. the figure


def _cnn(channels_in: int = 1):
    """A relu convolution whose filter 1 can never fire (bias -100) and filter 0 sums the window."""
    model = keras.Sequential([keras.Input((6, 6, channels_in)), layers.Conv2D(2, 3, activation="relu", name="conv"),
                              layers.Conv2D(1, 3, name="second"), layers.Flatten(), layers.Dense(2)])
    conv = model.get_layer("conv")
    set_values(conv.kernel, np.ones(conv.kernel.shape))
    set_values(conv.bias, [0.0, -100.0])
    return model


def test_one_colour_scale_per_layer_with_a_colour_bar_and_dead_maps_marked():
    image = _image((6, 6))
    maps = explain.feature_maps(_cnn(), image)
    assert [d.tolist() for d in maps.dead] == [[False, True], [False]]
    fig = maps.plot()
    conv_axes = [ax for ax in fig.axes if ax.images and ax.get_title() in ("0", "1 dead")]
    assert [ax.get_title() for ax in conv_axes[:2]] == ["0", "1 dead"]
    assert conv_axes[1].title.get_color() == "red"
    layer_range = (0.0, float(maps.maps[0].max()))
    assert all(ax.images[0].get_clim() == pytest.approx(layer_range) for ax in conv_axes[:2])  # shared
    colour_bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(colour_bars) == 2  # one per layer
    assert colour_bars[0].get_ylim() == pytest.approx(layer_range)
    own = maps.plot(scale="map")
    first = next(ax for ax in own.axes if ax.images and ax.get_title() == "0")
    assert first.images[0].get_clim() == pytest.approx((maps.maps[0][0].min(), maps.maps[0][0].max()))
    assert not [ax for ax in own.axes if ax.get_label() == "<colorbar>"]
    assert "each map on its own colour scale" in own.texts[0].get_text()
    with pytest.raises(ConfigError, match="scale must be 'layer' .* or 'map' .*, got 'all'"):
        maps.plot(scale="all")


@pytest.mark.parametrize("channels, titles", [
    (1, ["input"]), (3, ["input (RGB)"]), (2, ["input channel 0", "input channel 1"]),
    (4, ["input channel 0", "input channel 1", "input channel 2", "input channel 3"])])
def test_the_input_is_drawn_for_any_number_of_channels(tmp_path, channels, titles):
    image = _image((6, 6, channels))
    maps = explain.feature_maps(_cnn(channels), image)
    fig = maps.plot(tmp_path / "maps.png")
    assert_png(tmp_path / "maps.png")
    drawn = [ax for ax in fig.axes if ax.get_title().startswith("input")]
    assert [ax.get_title() for ax in drawn] == titles
    if channels not in (1, 3):
        for c, ax in enumerate(drawn):
            np.testing.assert_array_equal(ax.images[0].get_array(), image[..., c])


# ----------------------------------------------------------------------------- 5. the image it takes


def test_a_flat_row_is_taken_as_the_image_and_a_wrong_size_is_refused():
    model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(2, 3, name="c"), layers.Flatten()],
                             name="digits")
    image = _image((28, 28))
    flat = explain.feature_maps(model, image.reshape(-1))
    np.testing.assert_array_equal(flat.maps[0], explain.feature_maps(model, image).maps[0])
    assert flat.image.shape == (28, 28, 1)
    with pytest.raises(ShapeError, match=r"^image has shape \(32, 32\), but model 'digits' takes images of shape "
                                         r"\(28, 28, 1\); pass an image of that shape \(resize or crop it first\)\.$"):
        explain.feature_maps(model, np.zeros((32, 32)))
    with pytest.raises(ShapeError, match=r"image has shape \(14, 56\), but model 'digits' takes images"):
        explain.feature_maps(model, np.zeros((14, 56)))  # as many pixels, another picture
    with pytest.raises(ShapeError, match=r"a batch of 3 images; pass one of them, e.g. x\[0\]"):
        explain.feature_maps(model, np.zeros((3, 28, 28, 1)))


def test_a_model_that_takes_flat_rows_draws_the_picture_it_is_given():
    model = keras.Sequential([keras.Input((16,)), layers.Reshape((4, 4, 1)), layers.Conv2D(1, 3, name="c")],
                             name="rows")
    image = _image((4, 4))
    maps = explain.feature_maps(model, image)
    assert maps.image.shape == (4, 4, 1) and maps.maps[0].shape == (1, 2, 2)
    with pytest.raises(ShapeError, match=r"model 'rows' takes rows of shape \(16,\), so the picture cannot be drawn "
                                         r"from it; pass the image as \(height, width\), e.g. x\[0\].reshape\(4, 4\)"):
        explain.feature_maps(model, image.reshape(-1))


def test_no_layers_is_refused_in_one_sentence():
    with pytest.raises(ConfigError, match=r"^layers=\[\] names no layer; name at least one"):
        explain.feature_maps(_cnn(), np.zeros((6, 6)), layers=[])


def test_a_model_of_several_inputs_is_refused_in_one_sentence():
    a, b = keras.Input((6, 6, 1)), keras.Input((6, 6, 1))
    model = keras.Model([a, b], layers.Add()([layers.Conv2D(1, 3)(a), layers.Conv2D(1, 3)(b)]), name="two")
    with pytest.raises(ConfigError, match="model 'two' has 2 inputs; feature maps follow one image"):
        explain.feature_maps(model, np.zeros((6, 6)))


def test_the_command_line_takes_layer_indices_and_checks_the_image(tmp_path):
    model = _cnn()
    model.save(tmp_path / "m.keras")
    np.savez(tmp_path / "d.npz", x=np.random.default_rng(0).random((2, 36)))  # flat rows
    assert _run_cli("maps", str(tmp_path / "m.keras"), "--data", str(tmp_path / "d.npz"), "--layer", "1",
                    "--layer", "0", "--out", str(tmp_path)) == 0
    assert_png(tmp_path / "maps.png")
    assert cli.layer_spec(model, "1") == 1 and cli.layer_spec(model, "conv") == "conv"
    np.savez(tmp_path / "big.npz", x=np.zeros((2, 7, 7)))
    with pytest.raises(ShapeError, match=r"x\[1\] of '.*big.npz' has shape \(7, 7\), but model .* takes images of "
                                         r"shape \(6, 6, 1\)"):
        _run_cli("maps", str(tmp_path / "m.keras"), "--data", str(tmp_path / "big.npz"), "--sample", "1",
                 "--out", str(tmp_path / "never"))
    assert not (tmp_path / "never").exists()  # refused before anything is written


def test_fl_sequential_is_still_read_without_keras_placeholders():
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Conv2D(2, 3, input_shape=(6, 6, 1)), fl.layers.MaxPooling2D()])
    image = _image((6, 6))
    maps = explain.feature_maps(model, image, layers=[0, 1])
    np.testing.assert_allclose(maps.maps[0], _own_output(model.layers[0], image[:, :, None]), atol=1e-5)


def test_a_model_with_no_input_shape_yet_takes_a_picture_and_refuses_a_row():
    model = _Subclassed()  # never called: its input shape is not known
    assert explain.feature_maps(model, _image((8, 8)), layers=["sub_conv"]).maps[0].shape == (3, 6, 6)
    fresh = _Subclassed()
    with pytest.raises(ShapeError, match=r"image has shape \(64,\), and model .* has no input shape yet to read it "
                                         r"by; pass one picture as \(height, width\)"):
        explain.feature_maps(fresh, np.zeros(64), layers=["sub_conv"])
    with pytest.raises(ShapeError, match=r"a batch of 2 images; pass one of them"):
        explain.feature_maps(fresh, np.zeros((2, 8, 8, 1)), layers=["sub_conv"])


def test_the_glass_box_reads_a_model_with_augmentation_layers_in_inference():
    """A Keras model called on its own augments (as Keras's does); the views must see the model as it predicts."""
    from fnlearn.explain import _common

    fl.set_seed(0)
    model = keras.Sequential([keras.Input((6, 6, 1)), layers.RandomFlip("horizontal"), layers.RandomRotation(0.3),
                              layers.Conv2D(2, 3, name="conv"), layers.Flatten(), layers.Dense(2)])
    x = np.random.default_rng(0).random((4, 6, 6, 1)).astype(np.float32)
    assert not np.allclose(model(x).numpy(), model(x).numpy())  # on its own: augmented, as in Keras
    np.testing.assert_array_equal(_common.model_output(model, x), model.predict(x, verbose=0))
    maps = explain.feature_maps(model, x[0], layers=["conv"])
    again = explain.feature_maps(model, x[0], layers=["conv"])
    np.testing.assert_array_equal(maps.maps[0], again.maps[0])
