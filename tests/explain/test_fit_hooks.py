"""fit(trace=...) records every update; fit(verbose=...) prints the glass box's hints."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import fnlearn as fl


def _model():
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(3, activation="relu", input_dim=2), fl.layers.Dense(1)])
    model.compile(optimizer=fl.optim.SGD(learning_rate=0.05), loss="mse")
    return model


def test_fit_trace_writes_one_row_per_update(tmp_path):
    x = np.random.default_rng(0).normal(size=(40, 2))
    y = x.sum(1, keepdims=True)
    path = tmp_path / "trace.csv"
    history = _model().fit(x, y, batch_size=10, epochs=3, verbose=0, trace=str(path))
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 * 4
    assert "0.kernel[0,0]" in "".join(rows[0].keys())
    last_epoch = [float(r["loss"]) for r in rows[-4:]]
    assert np.isclose(np.mean(last_epoch), history.history["loss"][-1], rtol=1e-5)


def test_fit_prints_a_learning_rate_hint_when_loss_rises(capsys):
    x = np.random.default_rng(0).normal(size=(40, 2))
    y = x.sum(1, keepdims=True) * 10
    model = _model()
    model.optimizer.learning_rate = 0.7  # far too large: the loss grows epoch after epoch
    with pytest.warns(RuntimeWarning, match="gradient norm"):  # the warning and the hint both say so
        model.fit(x, y, batch_size=40, epochs=4, verbose=2)
    out = capsys.readouterr().out
    assert "learning rate" in out.lower()


def test_fit_verbose_zero_prints_no_hints(capsys):
    x = np.random.default_rng(0).normal(size=(40, 2))
    model = _model()
    model.optimizer.learning_rate = 0.7
    with pytest.warns(RuntimeWarning, match="gradient norm"):  # warnings still come, on stderr
        model.fit(x, x.sum(1, keepdims=True) * 10, batch_size=40, epochs=4, verbose=0)
    assert capsys.readouterr().out == ""
