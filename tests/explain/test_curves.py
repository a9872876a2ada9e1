"""training_curves() and size_curve()."""

from __future__ import annotations

import numpy as np
import pytest
from explain_helpers import assert_png

import fnlearn as fl
from fnlearn.errors import ConfigError, DataError, ShapeError
from fnlearn.explain import Curves, SizeCurve, size_curve, training_curves


def test_curves_from_a_real_history(tmp_path):
    fl.set_seed(0)
    x = np.random.default_rng(0).normal(size=(40, 2))
    y = (x[:, :1] > 0).astype(float)
    model = fl.Sequential([fl.layers.Dense(4, activation="relu", input_dim=2),
                           fl.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=4, batch_size=10, validation_split=0.25, verbose=0)
    c = training_curves(history, path=tmp_path / "h.png")
    assert isinstance(c, Curves)
    assert set(c.series) == set(history.history)
    for name, values in history.history.items():
        np.testing.assert_array_equal(c.series[name], values)
    assert c.groups == {"loss": ["loss", "val_loss"], "accuracy": ["accuracy", "val_accuracy"]}
    # numbered as fit prints them (from 1), like a dict's, not as History.epoch's indices (from 0)
    assert c.epochs.tolist() == [e + 1 for e in history.epoch] == training_curves(history.history).epochs.tolist()
    assert_png(tmp_path / "h.png")


def test_curves_from_a_dict_and_the_best_epoch():
    c = training_curves({"loss": [1.0, 0.5, 0.3, 0.2], "val_loss": [1.2, 0.6, 0.7, 0.9],
                         "val_accuracy": [0.5, 0.7, 0.9, 0.8]})
    assert c.epochs.tolist() == [1, 2, 3, 4]
    assert c.best_epoch("val_loss") == 1
    assert c.best_epoch("val_accuracy") == 2  # higher is better for accuracy
    with pytest.raises(ConfigError, match="did you mean 'val_loss'"):
        c.best_epoch("val_los")


def test_bad_histories():
    with pytest.raises(ConfigError, match="History or a dict"):
        training_curves([1, 2, 3])
    with pytest.raises(ShapeError, match="different lengths"):
        training_curves({"loss": [1, 2], "val_loss": [1]})
    with pytest.raises(DataError, match="empty"):
        training_curves({"loss": []})


def test_size_curve_numbers_and_figure(tmp_path):
    s = size_curve([1, 4, 16, 64, 256], [0.9, 0.4, 0.2, 0.05, 0.01], [1.0, 0.5, 0.3, 0.45, 0.8],
                   path=tmp_path / "s.png")
    assert isinstance(s, SizeCurve)
    assert s.best == 2 and s.overfits
    np.testing.assert_array_equal(s.test, [1.0, 0.5, 0.3, 0.45, 0.8])
    # a flat stretch after the best size is not called a rise
    assert not size_curve([1, 2, 4, 8], [1, 0.5, 0.2, 0.1], [1, 0.5, 0.40, 0.40001]).overfits
    assert not size_curve([1, 2], [1, 0.5], [1, 0.5]).overfits  # the largest is the best
    assert_png(tmp_path / "s.png")
    size_curve([1, 2, 3], [3, 2, 1], [3, 2, 2.5], labels=["small", "medium", "large"], path=tmp_path / "l.png")
    assert_png(tmp_path / "l.png")


def test_size_curve_bad_input():
    with pytest.raises(ShapeError, match="one value per model"):
        size_curve([1, 2, 3], [1, 2], [1, 2, 3])
    with pytest.raises(ConfigError, match="at least two"):
        size_curve([1], [1], [1])
    with pytest.raises(ShapeError, match="labels"):
        size_curve([1, 2], [1, 2], [1, 2], labels=["a"])
    with pytest.raises(DataError, match="NaN"):
        size_curve([1, 2], [1, np.nan], [1, 2])


def test_the_best_epoch_of_a_metric_named_by_the_user_follows_the_metrics_own_direction():
    fl.set_seed(0)
    rng = np.random.default_rng(0)
    x, y = rng.random((40, 3)), rng.integers(0, 2, 40).astype(float)
    model = fl.Sequential([fl.layers.Dense(1, activation="sigmoid", input_dim=3)])
    model.compile("adam", "binary_crossentropy", metrics=[fl.metrics.Precision(name="macro_p")])
    history = model.fit(x, y, epochs=3, validation_split=0.25, verbose=0)
    history.history["val_macro_p"] = [0.2, 0.5, 0.9]  # better up, as Precision is: its name does not say so
    curves = training_curves(history)
    assert curves.directions == {"macro_p": "max"}
    assert curves.best_epoch("val_macro_p") == 2 and curves.best_epoch("val_loss") == int(
        np.argmin(history.history["val_loss"]))
