"""explain.architecture and keras.utils.plot_model: the boxes, arrows and rows of a model, and the picture."""

from __future__ import annotations

import numpy as np
import pytest
from explain_helpers import assert_png

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, NotReadyError
from fnlearn.explain import architecture
from fnlearn.keras import layers


def _residual():
    inputs = keras.Input(shape=(8, 8, 3), name="image")
    x = layers.Conv2D(4, 3, padding="same", name="stem")(inputs)
    branch = layers.SeparableConv2D(6, 3, padding="same", name="sep")(x)
    shortcut = layers.Conv2D(6, 1, name="project")(x)
    x = layers.add([branch, shortcut], name="join")
    return keras.Model(inputs, layers.Dense(1, activation="sigmoid", name="out")(layers.GlobalAveragePooling2D()(x)))


def test_a_sequential_model_is_a_column_with_its_summary_shapes():
    model = fl.Sequential([fl.layers.Dense(8, activation="relu", input_dim=3), fl.layers.Dropout(0.5),
                           fl.layers.Dense(2, activation="softmax")])
    arch = architecture(model)
    assert arch.types == ["Dense", "Dropout", "Dense"] and arch.edges == [(0, 1), (1, 2)]
    assert arch.levels == [0, 1, 2] and arch.positions() == [(0.0, 0.0), (0.0, 1.0), (0.0, 2.0)]
    assert arch.input_shapes == ["(None, 3)", "(None, 8)", "(None, 8)"]
    assert arch.output_shapes == [row[1] for row in model._summary_rows()] and arch.params == [32, 0, 18]
    assert arch.activations == ["relu", None, "softmax"]
    assert arch.labels(show_shapes=False, show_layer_names=False) == ["Dense", "Dropout", "Dense"]


def test_a_graphs_branches_stand_side_by_side_and_a_merge_takes_both():
    model = _residual()
    arch = architecture(model)
    k = {name: arch.names.index(name) for name in ("image", "stem", "sep", "project", "join", "out")}
    assert (k["stem"], k["sep"]) in arch.edges and (k["stem"], k["project"]) in arch.edges
    assert (k["sep"], k["join"]) in arch.edges and (k["project"], k["join"]) in arch.edges
    assert arch.levels[k["sep"]] == arch.levels[k["project"]] == 2 and arch.levels[k["join"]] == 3
    columns = {arch.positions()[k[name]][0] for name in ("sep", "project")}
    assert len(columns) == 2  # side by side, not on top of each other
    assert arch.input_shapes[k["join"]] == "(None, 8, 8, 6), (None, 8, 8, 6)"
    labels = arch.labels(show_dtype=True, show_trainable=True, show_layer_activations=True)
    assert labels[k["out"]].splitlines() == ["out (Dense)", "activation: sigmoid",
                                             "input: (None, 6)   output: (None, 1)", "dtype: float32", "trainable"]


def test_the_picture_is_written_whole_and_plot_model_takes_keras_arguments(tmp_path):
    model = _residual()
    model.get_layer("stem").trainable = False
    architecture(model, tmp_path / "arch.png", rankdir="LR", show_trainable=True)
    assert_png(tmp_path / "arch.png")
    assert keras.utils.plot_model(model, tmp_path / "model.svg", show_shapes=True, dpi=96,
                                  splines="ortho") is None  # no IPython here: nothing to show, as Keras
    assert (tmp_path / "model.svg").read_text().lstrip().startswith("<?xml")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arch.png", "model.svg"]  # no temporary left behind
    arch = architecture(model)
    fig = arch.plot()  # a box (text) for each layer and an arrow (annotation) for each edge
    assert len(fig.axes) == 1 and len(fig.axes[0].texts) == len(model.layers) + len(arch.edges) == 7 + 7


@pytest.mark.parametrize("call, error, message", [
    (lambda m, p: architecture(np.ones(3)), ConfigError, r"architecture takes a model, got ndarray"),
    (lambda m, p: architecture(fl.Sequential([fl.layers.Dense(2)])), NotReadyError, r"is not built yet"),
    (lambda m, p: architecture(m).plot(rankdir="BT"), ConfigError, r"rankdir must be 'TB'"),
    (lambda m, p: architecture(m, p / "model.gif"), ConfigError, r"ends in '.gif'"),
    (lambda m, p: keras.utils.plot_model(m, p / "m.png", expand_nested=True), ConfigError, r"expand_nested=True"),
    (lambda m, p: keras.utils.plot_model(m, p / "m.png", layer_range=["a", "b"]), ConfigError,
     r"plot_model got layer_range, which it does not take"),
])
def test_mistakes_are_one_sentence_and_write_nothing(tmp_path, call, error, message):
    with pytest.raises(error, match=message):
        call(_residual(), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_command_line_draws_a_saved_models_architecture(tmp_path, capsys):
    import argparse

    from fnlearn.explain import cli

    path = tmp_path / "res.keras"
    _residual().save(path)
    parser = argparse.ArgumentParser(prog="fnlearn")
    cli.add_subparser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["explain", "architecture", str(path), "--out", str(tmp_path / "figs")])
    assert cli.run(args) == 0
    assert_png(tmp_path / "figs" / "architecture.png")
    assert str(tmp_path / "figs" / "architecture.png") in capsys.readouterr().out
