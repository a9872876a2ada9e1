"""What fit prints: nothing, one plain line per epoch (no control codes), or a rich bar in a terminal."""

from __future__ import annotations

import io
import re
import sys

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import progress
from fnlearn.errors import ConfigError

LINE = re.compile(r"Epoch (\d+)/3 - 4/4 - \d+(\.\d)?m?s - loss: \d+\.\d{4} - accuracy: [01]\.\d{4}"
                  r" - val_loss: \d+\.\d{4} - val_accuracy: [01]\.\d{4}")


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _model_and_data():
    fl.set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    y = (x[:, 0] > 0).astype(int)
    model = fl.Sequential([fl.layers.Dense(4, activation="relu", input_dim=3),
                           fl.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return model, x, y


def test_verbose_0_prints_nothing(capsys):
    model, x, y = _model_and_data()
    model.fit(x, y, epochs=2, batch_size=10, verbose=0)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("verbose", [1, 2, "auto"])
def test_not_a_terminal_gives_one_plain_line_per_epoch(capsys, verbose):
    model, x, y = _model_and_data()
    model.fit(x, y, epochs=3, batch_size=8, validation_split=0.2, verbose=verbose)
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\r" not in out
    lines = out.splitlines()
    assert len(lines) == 3
    for epoch, line in enumerate(lines, start=1):
        match = LINE.fullmatch(line)
        assert match, line
        assert int(match.group(1)) == epoch


def test_verbose_2_is_plain_even_in_a_terminal(monkeypatch):
    model, x, y = _model_and_data()
    term = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", term)
    model.fit(x, y, epochs=3, batch_size=8, validation_split=0.2, verbose=2)
    lines = term.getvalue().splitlines()
    assert len(lines) == 3 and all(LINE.fullmatch(line) for line in lines)


def test_verbose_1_in_a_terminal_draws_a_rich_bar(monkeypatch):
    model, x, y = _model_and_data()
    term = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", term)
    assert isinstance(progress.make_progress(1, 3, 4), progress.RichProgress)
    model.fit(x, y, epochs=2, batch_size=8, verbose=1)
    out = term.getvalue()
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "━" in out and "5/5" in out
    assert re.search(r"loss: \d+\.\d{4} - accuracy: [01]\.\d{4}", out)


def test_without_rich_a_terminal_gets_plain_lines(monkeypatch):
    monkeypatch.setitem(sys.modules, "rich.console", None)  # import fails as if rich were not installed
    assert type(progress.make_progress(1, 3, 4, stream=FakeTerminal())) is progress.PlainProgress


def test_bad_verbose_is_refused():
    with pytest.raises(ConfigError, match="verbose must be 0"):
        progress.check_verbose(3)
    with pytest.raises(ConfigError, match="got 'yes'"):
        progress.check_verbose("yes")
    # the tutorials' verbose=False / True mean 0 / 1, as in Keras
    assert (progress.check_verbose(False), progress.check_verbose(True)) == (0, 1)
    model, x, y = _model_and_data()
    model.fit(x, y, verbose=False)


def test_number_and_duration_formats():
    assert progress.format_value(0.010549) == "0.0105"
    assert progress.format_value(0.00001234) == "1.2340e-05"
    assert progress.format_value(0) == "0.0000"
    assert progress.format_value(float("nan")) == "nan"
    assert progress.format_logs({"loss": 1.0, "acc": 0.5}) == "loss: 1.0000 - acc: 0.5000"
    # batch logs hold metric keys alone (as Keras's), so none is hidden, not even a metric named "size"
    assert progress.format_logs({"loss": 1.0, "size": 0.25}) == "loss: 1.0000 - size: 0.2500"
    assert progress.format_duration(0.0123) == "12ms"
    assert progress.format_duration(2.345) == "2.3s"
    assert progress.format_duration(125) == "2m05s"
