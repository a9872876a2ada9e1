"""explain.filters and explain.feature_maps: a convolutional network's filters and what they make of a picture."""

from __future__ import annotations

import numpy as np
import pytest
from explain_helpers import assert_png, set_param

import fnlearn as fl
from fnlearn import explain
from fnlearn.errors import ConfigError, ShapeError

VERTICAL_EDGE = np.array([[1.0, 0.0, -1.0]] * 3)


def _edge_model():
    """Two filters set by hand: filter 0 a vertical edge (left bright, right dark), filter 1 its transpose."""
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Conv2D(2, 3, activation="relu", input_shape=(6, 6, 1)),
                           fl.layers.MaxPooling2D(), fl.layers.Flatten(), fl.layers.Dense(2, activation="softmax")])
    kernel = np.stack([VERTICAL_EDGE, VERTICAL_EDGE.T], axis=-1)[:, :, None, :]  # (3, 3, 1, 2)
    set_param(model, "0.kernel", kernel)
    set_param(model, "0.bias", [0.0, -0.5])
    return model


def _slide(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """A valid cross-correlation, written as the definition (what a Conv2D computes)."""
    h, w = kernel.shape
    return np.array([[np.sum(image[i:i + h, j:j + w] * kernel) for j in range(image.shape[1] - w + 1)]
                     for i in range(image.shape[0] - h + 1)])


def test_filters_are_the_kernels_one_per_output_channel():
    f = explain.filters(_edge_model())
    assert f.weights.shape == (2, 3, 3, 1) and f.weights.dtype == np.float64
    np.testing.assert_allclose(f.weights[0, :, :, 0], VERTICAL_EDGE)
    np.testing.assert_allclose(f.weights[1, :, :, 0], VERTICAL_EDGE.T)
    np.testing.assert_allclose(f.bias, [0.0, -0.5])


def test_feature_maps_are_each_filter_slid_over_the_image():
    image = np.zeros((6, 6))
    image[:, :3] = 1.0  # a vertical edge down the middle: bright on the left
    model = _edge_model()
    maps = explain.feature_maps(model, image)
    assert maps.layers == [model.layers[0].name] and maps.maps[0].shape == (2, 4, 4)
    np.testing.assert_allclose(maps.maps[0][0], np.maximum(_slide(image, VERTICAL_EDGE), 0), atol=1e-6)
    np.testing.assert_allclose(maps.maps[0][1], np.maximum(_slide(image, VERTICAL_EDGE.T) - 0.5, 0), atol=1e-6)
    assert maps.maps[0][0].max() == pytest.approx(3.0) and maps.maps[0][1].max() == 0.0  # only the edge filter fires


def test_maps_of_chosen_layers_by_index_or_name_and_the_model_left_as_it_was():
    model = _edge_model()
    model.train()
    image = np.random.default_rng(0).random((6, 6, 1))
    maps = explain.feature_maps(model, image, layers=[0, model.layers[1].name])
    assert maps.layers == [model.layers[0].name, model.layers[1].name]
    assert [m.shape for m in maps.maps] == [(2, 4, 4), (2, 2, 2)]
    np.testing.assert_allclose(maps.maps[1], maps.maps[0].reshape(2, 2, 2, 2, 2).max(axis=(2, 4)), atol=1e-6)
    assert model.training  # restored after running in inference mode


def test_a_trained_network_shows_trained_filters():
    rng = np.random.default_rng(1)
    x = rng.random((64, 6, 6, 1)).astype("float32")
    y = (x[:, :, :3].mean(axis=(1, 2, 3)) > x[:, :, 3:].mean(axis=(1, 2, 3))).astype(int)
    model = _edge_model()
    before = explain.filters(model).weights
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, verbose=0)
    assert not np.allclose(explain.filters(model).weights, before)


def test_figures(tmp_path):
    model = _edge_model()
    explain.filters(model, path=tmp_path / "filters.png")
    assert_png(tmp_path / "filters.png")
    explain.feature_maps(model, np.eye(6), path=tmp_path / "maps.png")
    assert_png(tmp_path / "maps.png")
    colour = fl.Sequential([fl.layers.Conv2D(4, 3, input_shape=(5, 5, 3)), fl.layers.Conv2D(2, 3)])
    explain.filters(colour, path=tmp_path / "rgb.svg")
    assert (tmp_path / "rgb.svg").read_text().lstrip().startswith("<?xml")
    explain.filters(colour, layer=1).plot(tmp_path / "deep.png", channel=3)
    assert_png(tmp_path / "deep.png")
    with pytest.raises(ConfigError, match="channel must be an input channel"):
        explain.filters(colour, layer=1).plot(channel=4)


@pytest.mark.parametrize("call, error, message", [
    (lambda m: explain.filters(fl.Sequential([fl.layers.Dense(2, input_dim=3)])), ConfigError, "no Conv2D layer"),
    (lambda m: explain.filters(m, layer=2), ConfigError, "is not a Conv2D layer"),
    (lambda m: explain.filters(m, layer=9), ConfigError, "index 9 is out of range for a model of 4 layers"),
    (lambda m: explain.filters(m, layer="nope"), ConfigError, "no layer named 'nope'"),
    (lambda m: explain.filters(fl.Sequential([fl.layers.Conv2D(2, 3)])), ConfigError, "no weights yet"),
    (lambda m: explain.feature_maps(m, np.zeros((2, 6, 6, 1))), ShapeError, r"a batch of 2 images; pass one of them"),
    (lambda m: explain.feature_maps(m, np.zeros((6, 6)), layers=[2]), ShapeError, "before Flatten"),
], ids=["no-conv", "not-conv", "index", "name", "unbuilt", "batch", "flattened"])
def test_bad_requests_say_what_to_do(call, error, message):
    with pytest.raises(error, match=message):
        call(_edge_model())


def test_the_command_line_draws_filters_and_maps_of_a_saved_model(tmp_path, capsys):
    import argparse

    from fnlearn.explain import cli

    def run(*argv):
        parser = argparse.ArgumentParser(prog="fnlearn")
        cli.add_subparser(parser.add_subparsers(dest="command"))
        return cli.run(parser.parse_args(["explain", *argv]))

    model = _edge_model()
    model.save(tmp_path / "cnn.fnl")
    images = np.random.default_rng(0).random((3, 36))  # flat rows: drawn in the model's input shape
    np.savez(tmp_path / "images.npz", x=images)
    out = tmp_path / "figs"
    assert run("filters", str(tmp_path / "cnn.fnl"), "--out", str(out)) == 0
    assert_png(out / "filters.png")
    assert run("maps", str(tmp_path / "cnn.fnl"), "--data", str(tmp_path / "images.npz"), "--sample", "2",
               "--layer", model.layers[0].name, "--layer", model.layers[1].name, "--out", str(out)) == 0
    assert_png(out / "maps.png")
    assert str(out / "maps.png") in capsys.readouterr().out
    with pytest.raises(ConfigError, match="--sample 3 is not an image"):
        run("maps", str(tmp_path / "cnn.fnl"), "--data", str(tmp_path / "images.npz"), "--sample", "3")
    with pytest.raises(ConfigError, match="needs --data"):
        run("maps", str(tmp_path / "cnn.fnl"))
