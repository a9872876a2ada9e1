"""Helpers for the glass-box tests: PNG checks and small models with weights set by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import fnlearn as fl

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path) -> None:
    data = Path(path).read_bytes()
    assert data[:8] == PNG_MAGIC, f"{path} is not a PNG"
    assert len(data) > 2000, f"{path} is suspiciously small ({len(data)} bytes)"


def set_param(model, name: str, values) -> None:
    set_values(dict(model.named_parameters())[name], values)


def set_values(p, values) -> None:
    """Overwrite a parameter in place with ``values`` (reshaped to its shape), on whatever device it lives."""
    p.data[...] = fl.backend.to_device(np.asarray(values, dtype=p.data.dtype).reshape(p.shape))


def one_hidden(units: int, activation: str, out_activation=None, seed: int = 0):
    fl.set_seed(seed)
    model = fl.Sequential([fl.layers.Dense(units, activation=activation, input_dim=1),
                           fl.layers.Dense(1, activation=out_activation)])
    rng = np.random.default_rng(seed)
    set_param(model, "0.kernel", rng.normal(0, 2, (1, units)))
    set_param(model, "0.bias", rng.normal(0, 2, units))
    set_param(model, "1.kernel", rng.normal(0, 1, (units, 1)))
    set_param(model, "1.bias", [0.7])
    return model
