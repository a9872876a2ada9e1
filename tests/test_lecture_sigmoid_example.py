"""The hand-written lecture example runs, and its loss falls by at least half."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "lecture_sigmoid_by_hand.py"


@pytest.mark.host_only
def test_script_prints_a_falling_loss_per_epoch():
    out = subprocess.run([sys.executable, str(EXAMPLE), "--epochs", "6"], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    epochs = [float(v) for v in re.findall(r"epoch +\d+/6 +training MAE ([0-9.]+)", out)]
    assert len(epochs) == 6
    assert epochs[-1] <= epochs[0] / 2, out
    before = float(re.search(r"before training +training MAE ([0-9.]+)", out).group(1))
    assert epochs[-1] <= before / 2
    assert "held-out MAE" in out


def test_example_works_on_its_own_generated_series(monkeypatch):
    """Without the packaged data set the example makes its own series and still learns."""
    from fnlearn import datasets

    def unavailable():
        raise OSError("no data set here")

    monkeypatch.setattr(datasets, "views", unavailable)
    spec = importlib.util.spec_from_file_location("lecture_sigmoid_by_hand", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    values = module.daily_series()
    assert len(values) == 800 and values.ndim == 1
    losses = module.main(["--epochs", "8", "--seed", "3"])
    assert len(losses) == 8 and losses[-1] <= losses[0] / 2
