"""`fnlearn explain pieces|surface|boundary MODEL.fnl`: figures for a saved model."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
from explain_helpers import assert_png

import fnlearn as fl
from fnlearn.errors import ConfigError, DatasetError, ShapeError
from fnlearn.explain import cli


def _parse(argv):
    parser = argparse.ArgumentParser(prog="fnlearn")
    cli.add_subparser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["explain", *argv])


@pytest.fixture
def saved_regressor(tmp_path):
    fl.set_seed(0)
    x = np.linspace(-2, 2, 30)[:, None]
    y = np.tanh(2 * x)
    model = fl.Sequential([fl.layers.Dense(4, activation="relu", input_dim=1), fl.layers.Dense(1)])
    model.compile(fl.optim.Adam(learning_rate=0.05), "mse")
    model.fit(x, y, epochs=3, batch_size=10, verbose=0)
    path = tmp_path / "reg.fnl"
    model.save(path)
    data = tmp_path / "data.csv"
    data.write_text("x,y\n" + "\n".join(f"{a},{b}" for a, b in zip(x[:, 0], y[:, 0])) + "\n")
    return path, data


def test_pieces_and_surface_from_a_saved_model(tmp_path, saved_regressor, capsys):
    model_path, data = saved_regressor
    out = tmp_path / "figs"
    assert cli.run(_parse(["pieces", str(model_path), "--out", str(out), "--x-range", "-3", "3"])) == 0
    assert_png(out / "pieces.png")
    assert str(out / "pieces.png") in capsys.readouterr().out
    assert cli.run(_parse(["surface", str(model_path), "--data", str(data), "--out", str(out),
                           "--resolution", "5", "--params", "0.kernel[0,0]", "0.bias[0]"])) == 0
    assert_png(out / "surface.png")
    assert cli.run(_parse(["surface", str(model_path), "--data", str(data), "--out", str(out),
                           "--resolution", "5", "--format", "svg", "--view-3d"])) == 0
    assert (out / "surface.svg").stat().st_size > 1000


def test_boundary_from_npz(tmp_path):
    fl.set_seed(0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(np.int64)
    model = fl.Sequential([fl.layers.Dense(3, activation="tanh", input_dim=2),
                           fl.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.save(tmp_path / "clf.fnl")
    np.savez(tmp_path / "d.npz", x=X, y=y)
    assert cli.run(_parse(["boundary", str(tmp_path / "clf.fnl"), "--data", str(tmp_path / "d.npz"),
                           "--out", str(tmp_path), "--resolution", "20"])) == 0
    assert_png(tmp_path / "boundary.png")


def test_a_saved_model_with_batch_normalization_is_drawn(tmp_path):
    fl.set_seed(0)
    X = np.random.default_rng(1).normal(size=(40, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    model = fl.Sequential([fl.layers.Dense(6, input_dim=2), fl.layers.BatchNormalization(),
                           fl.layers.Activation("relu"), fl.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(X, y, epochs=2, batch_size=8, verbose=0)
    model.save(tmp_path / "bn.fnl")
    np.savez(tmp_path / "d.npz", x=X, y=y)
    for view in ("boundary", "surface"):
        assert cli.run(_parse([view, str(tmp_path / "bn.fnl"), "--data", str(tmp_path / "d.npz"), "--out",
                               str(tmp_path), "--resolution", "7"])) == 0
        assert_png(tmp_path / f"{view}.png")


def test_missing_or_wrong_data(tmp_path, saved_regressor):
    model_path, data = saved_regressor
    with pytest.raises(ConfigError, match="needs --data"):
        cli.run(_parse(["surface", str(model_path), "--out", str(tmp_path)]))
    with pytest.raises(ConfigError, match="needs --data"):
        cli.run(_parse(["boundary", str(model_path), "--out", str(tmp_path)]))
    bad = tmp_path / "d.txt"
    bad.write_text("1,2\n")
    with pytest.raises(DatasetError, match="neither .csv nor .npz"):
        cli.run(_parse(["surface", str(model_path), "--data", str(bad)]))
    ragged = tmp_path / "r.csv"
    ragged.write_text("1,2\n3\n")
    with pytest.raises(DatasetError, match="different lengths"):
        cli.load_data(ragged, 1)
    with pytest.raises(ShapeError, match="inputs"):
        cli.load_data(data, 3)
    x, y = cli.load_data(data, 1)
    assert x.shape == (30, 1) and y.shape == (30, 1)


def test_the_fnlearn_command_routes_to_explain(tmp_path, saved_regressor):
    from fnlearn.cli import main

    model_path, _ = saved_regressor
    assert main(["explain", "pieces", str(model_path), "--out", str(tmp_path)]) == 0
    assert_png(tmp_path / "pieces.png")


def test_options_out_of_range_and_missing_pieces_are_one_sentence(tmp_path, saved_regressor):
    model_path, data = saved_regressor
    for resolution, words in (("0", "resolution must be an integer ≥ 2, got 0"),
                              ("100000", "grid of 100000×100000 points; use at most 2000")):
        with pytest.raises(ConfigError, match=words):
            cli.run(_parse(["surface", str(model_path), "--data", str(data), "--out", str(tmp_path),
                            "--resolution", resolution]))
    uncompiled = fl.load_model(model_path, compile=False)
    uncompiled.save(tmp_path / "raw.fnl")
    with pytest.raises(ConfigError, match="holds no loss .* name one with --loss, e.g. --loss mse"):
        cli.run(_parse(["surface", str(tmp_path / "raw.fnl"), "--data", str(data), "--out", str(tmp_path)]))
    wide = tmp_path / "wide.csv"
    wide.write_text("x,a,b\n0,1,2\n1,2,3\n")
    with pytest.raises(ShapeError, match="1 input column.* and 2 target column.*the model has 1 output"):
        cli.run(_parse(["pieces", str(model_path), "--data", str(wide), "--out", str(tmp_path)]))
