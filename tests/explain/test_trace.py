"""Trace: one row per update with the loss, the gradient and (small models) every parameter."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

import fnlearn as fl
from fnlearn.errors import ConfigError
from fnlearn.explain import Trace
from fnlearn.explain.trace import scalar_names


def _tiny(lr=0.1):
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(2, activation="sigmoid", input_dim=1), fl.layers.Dense(1)])
    model.compile(fl.optim.SGD(learning_rate=lr), "mse")
    return model


X = np.linspace(-1, 1, 6)[:, None]
Y = X ** 2


def test_each_row_is_one_sgd_step_of_the_excel_table(tmp_path):
    model = _tiny(lr=0.1)
    trace = Trace(tmp_path / "trace.csv")
    model.fit(X, Y, epochs=2, batch_size=4, shuffle=False, verbose=0, callbacks=[trace])
    assert len(trace.rows) == 4  # 2 batches (4 + 2 rows) × 2 epochs
    assert [r["epoch"] for r in trace.rows] == [0, 0, 1, 1]
    assert [r["batch"] for r in trace.rows] == [0, 1, 0, 1]
    names = [n for n, _ in model.named_parameters()]
    scalars = [s for n, p in model.named_parameters() for s in scalar_names(n, tuple(p.shape))]
    assert trace.columns[-2 * len(scalars):] == scalars + [f"grad({s})" for s in scalars]
    batches = [slice(0, 4), slice(4, 6)] * 2
    check = fl.Sequential([fl.layers.Dense(2, activation="sigmoid", input_dim=1), fl.layers.Dense(1)])
    for k, (row, rows) in enumerate(zip(trace.rows, batches)):
        # recompute the loss and the gradient at the row's parameter values on the row's batch
        state = trace.states()[k]
        check.load_state_dict(state)
        loss = fl.losses.mse(Y[rows], check(X[rows]))
        loss.backward()
        assert row["loss"] == pytest.approx(loss.item(), rel=1e-6)
        total = 0.0
        for n, p in check.named_parameters():
            g = fl.backend.to_numpy(p.grad).ravel()
            total += float(np.sum(g.astype(np.float64) ** 2))
            assert row[f"grad_norm({n})"] == pytest.approx(float(np.linalg.norm(g)), rel=1e-5)
            for s, v in zip(scalar_names(n, tuple(p.shape)), g):
                assert row[f"grad({s})"] == pytest.approx(float(v), rel=1e-5, abs=1e-7)
        assert row["grad_norm"] == pytest.approx(math.sqrt(total), rel=1e-5)
        assert row["learning_rate"] == 0.1
        # the next values are θ − η·g: the table's next line
        after = trace.states()[k + 1]
        for n in names:
            grads = np.array([row[f"grad({s})"] for s in scalar_names(n, state[n].shape)]).reshape(state[n].shape)
            np.testing.assert_allclose(after[n], state[n] - 0.1 * grads, rtol=1e-5, atol=1e-6)
    final = trace.states()[-1]
    for n, p in model.named_parameters():
        np.testing.assert_array_equal(final[n], p.numpy().astype(np.float64))

    with open(tmp_path / "trace.csv", newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == trace.columns
    assert len(table) == 1 + len(trace.rows)
    for line, row in zip(table[1:], trace.rows):
        assert [float(v) for v in line] == pytest.approx([row[c] for c in trace.columns])
    assert [p.name for p in tmp_path.iterdir()] == ["trace.csv"]  # no temporary file left behind


def test_every_keeps_one_update_in_n_and_column_reads_it():
    model = _tiny()
    trace = Trace(every=3)
    model.fit(X, Y, epochs=3, batch_size=2, verbose=0, callbacks=[trace])  # 9 updates
    assert [r["step"] for r in trace.rows] == [1, 4, 7]
    assert trace.column("step").tolist() == [1, 4, 7]
    with pytest.raises(ConfigError, match="trace column"):
        trace.column("lost")


def test_large_models_keep_only_losses_and_norms():
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(30, activation="relu", input_dim=8), fl.layers.Dense(1)])
    model.compile("sgd", "mse")
    trace = Trace(max_params=200)
    x = np.random.default_rng(0).normal(size=(20, 8))
    model.fit(x, x[:, :1], epochs=1, batch_size=10, verbose=0, callbacks=[trace])
    assert not trace.detailed
    assert trace.columns == ["step", "epoch", "batch", "loss", "learning_rate", "grad_norm",
                             "grad_norm(0.kernel)", "grad_norm(0.bias)", "grad_norm(1.kernel)", "grad_norm(1.bias)"]
    assert all(r["grad_norm"] > 0 for r in trace.rows)
    with pytest.raises(ConfigError, match="max_params"):
        trace.states()


def test_schedules_record_the_rate_each_step_used():
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(1, input_dim=1)])
    model.compile(fl.optim.SGD(learning_rate=lambda step: 0.1 / (step + 1)), "mse")
    trace = Trace()
    model.fit(X, Y, epochs=1, batch_size=2, verbose=0, callbacks=[trace])
    assert trace.column("learning_rate") == pytest.approx([0.1, 0.05, 0.1 / 3])


def test_bad_arguments(tmp_path):
    with pytest.raises(ConfigError, match="every"):
        Trace(every=0)
    with pytest.raises(ConfigError, match="folder"):
        Trace(tmp_path)
