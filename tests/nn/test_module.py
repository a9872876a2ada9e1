"""Module and Sequential: registration, names, modes, state dicts, building."""

from __future__ import annotations

import numpy as np
import pytest

import fnlearn as fl
from fnlearn.errors import ConfigError, NotReadyError, ShapeError


class Line(fl.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = fl.Parameter(np.ones(2))
        self.b = fl.Parameter(np.zeros(1))

    def forward(self, x):
        return x @ self.w + self.b


class Two(fl.nn.Module):
    def __init__(self):
        super().__init__()
        self.first = Line()
        self.scale = fl.Parameter(np.ones(1))
        self.drop = fl.layers.Dropout(0.5)
        self.second = self.first  # the same module twice: its parameters count once


def test_parameters_and_submodules_register_with_dotted_names():
    m = Two()
    assert [n for n, _ in m.named_parameters()] == ["scale", "first.w", "first.b"]
    assert len(m.parameters()) == 3 and m.num_parameters() == 4
    m.scale = None  # reassigning removes the registration
    assert [n for n, _ in m.named_parameters()] == ["first.w", "first.b"]


def test_train_eval_reach_every_submodule():
    m = Two()
    assert m.training and m.drop.training
    m.eval()
    assert not m.training and not m.drop.training and not m.first.training
    m.train()
    assert m.drop.training


def test_sequential_names_match_the_contract():
    model = fl.Sequential([fl.layers.Dense(3, input_dim=2), fl.layers.Dense(1)])
    assert list(model.state_dict()) == ["0.kernel", "0.bias", "1.kernel", "1.bias"]
    assert model.state_dict()["1.kernel"].shape == (3, 1)


def test_state_dict_copies_and_load_checks_everything_before_changing():
    model = fl.Sequential([fl.layers.Dense(3, input_dim=2), fl.layers.Dense(1)])
    state = model.state_dict()
    state["0.kernel"][:] = 7.0
    assert not np.any(model.state_dict()["0.kernel"] == 7.0)
    before = model.state_dict()
    kernel_array = model.layers[0].kernel.data

    bad = dict(state)
    bad["1.kernel"] = np.zeros((4, 1))  # the last entry is wrong: nothing may change
    with pytest.raises(ShapeError, match=r"'1.kernel'.*\(3, 1\).*\(4, 1\)"):
        model.load_state_dict(bad)
    missing = {k: v for k, v in state.items() if k != "1.bias"}
    with pytest.raises(ShapeError, match="missing.*1.bias"):
        model.load_state_dict(missing)
    extra = {**state, "2.kernel": np.zeros(1)}
    with pytest.raises(ShapeError, match="unexpected.*2.kernel"):
        model.load_state_dict(extra)
    for k, v in before.items():
        assert np.array_equal(model.state_dict()[k], v)

    model.load_state_dict(state)
    assert np.all(model.layers[0].kernel.numpy() == 7.0)
    assert model.layers[0].kernel.data is kernel_array  # loaded in place
    model.load_state_dict({"1.bias": np.array([2.0])}, strict=False)
    assert model.layers[1].bias.numpy().tolist() == [2.0]


def test_sequential_building_and_errors():
    model = fl.Sequential([fl.layers.Dense(100, activation="relu", input_shape=(784,)),
                           fl.layers.Dense(100, activation="relu"),
                           fl.layers.Dense(10, activation="softmax")])
    assert model.built and model.num_parameters() == 89610
    assert model.output_shape == (10,) and model(np.zeros((2, 784))).shape == (2, 10)
    assert len(model) == 3 and model[0].units == 100
    added = fl.Sequential()
    added.add(fl.layers.Flatten(input_shape=(2, 3)))
    added.add(fl.layers.Dense(4))
    assert added.built and added.layers[1].kernel.shape == (6, 4)
    lazy = fl.Sequential([fl.layers.Dense(3), fl.layers.Dense(1)])
    assert not lazy.built
    with pytest.raises(NotReadyError, match="input shape"):
        lazy.build()
    lazy.build((5,))
    assert lazy.layers[1].kernel.shape == (3, 1)
    with pytest.raises(ConfigError, match="layer object"):
        fl.Sequential().add("dense")
    with pytest.raises(NotReadyError, match="no layers"):
        fl.Sequential()(np.ones((1, 2)))
    with pytest.raises(ConfigError, match="declares input_shape"):
        model.add(fl.layers.Dense(3, input_shape=(7,)))
    assert len(model) == 3
    config = model.get_config()
    assert [layer["class_name"] for layer in config["layers"]] == ["Dense", "Dense", "Dense"]
    assert config["layers"][0]["config"]["input_shape"] == [784]


def test_set_default_dtype_makes_new_parameters_float64():
    fl.set_default_dtype("float64")
    model = fl.Sequential([fl.layers.Dense(3, input_dim=2), fl.layers.Dense(1)])
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model(np.ones((1, 2), dtype=np.float32)).dtype == np.float64
