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
    second = model.layers[1].name  # messages name the layers, not their positions in the model
    with pytest.raises(ShapeError, match=rf"the model's '{second}.kernel' has shape \(3, 1\) but the weights given "
                                         r"have \(4, 1\)"):
        model.load_state_dict(bad)
    missing = {k: v for k, v in state.items() if k != "1.bias"}
    with pytest.raises(ShapeError, match=rf"they lack the model's '{second}.bias'; load weights saved"):
        model.load_state_dict(missing)
    extra = {**state, "2.kernel": np.zeros(1)}
    with pytest.raises(ShapeError, match=r"they hold weights for a layer 2 \(counting from 0; this model has 2\), "
                                         r"which the model does not have"):
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


def _frozen_first(seed=0):
    fl.set_seed(seed)
    model = fl.Sequential([fl.layers.Dense(4, activation="tanh", input_dim=3), fl.layers.Dense(2)])
    model.layers[0].trainable = False
    return model


def test_a_frozen_layer_is_not_trained_and_is_counted_as_such(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 3)), rng.normal(size=(32, 2))
    model = _frozen_first()
    model.compile(fl.optim.Adam(learning_rate=0.1), "mse")
    frozen, free = model.layers[0].get_weights(), model.layers[1].get_weights()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for before, after in zip(frozen, model.layers[0].get_weights()):
        np.testing.assert_array_equal(before, after)
    assert not np.allclose(free[0], model.layers[1].get_weights()[0])
    assert [p.shape for p in model.non_trainable_weights] == [(3, 4), (4,)]
    assert [p.shape for p in model.trainable_weights] == [(4, 2), (2,)]
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    assert "Trainable params: 10 (40.00 B)" in lines and "Non-trainable params: 16 (64.00 B)" in lines
    # the flag is saved with the layer, and training resumes with the same layers frozen
    model.save(tmp_path / "m.fnl")
    loaded = fl.load_model(tmp_path / "m.fnl")
    assert [layer.trainable for layer in loaded.layers] == [False, True]
    loaded.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_array_equal(loaded.layers[0].get_weights()[0], frozen[0])


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_freezing_between_fits_keeps_the_other_layers_optimizer_state(float64, optimizer):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(40, 3)), rng.normal(size=(40, 1))

    def run(general: bool):
        fl.set_seed(2)
        model = fl.Sequential([fl.layers.Dense(4, activation="tanh", input_dim=3), fl.layers.Dense(1)])
        opt = fl.optim.SGD(learning_rate=0.05, momentum=0.9) if optimizer == "momentum" else \
            fl.optim.Adam(learning_rate=0.05)
        model.compile(opt, "mse")
        # terminate_on_nan=False: the general (autodiff) path, which keeps the state in the optimizer's dicts
        model.fit(x, y, epochs=2, batch_size=8, verbose=0, terminate_on_nan=not general)
        slots = {k: v.copy() for k, v in opt.state[2].items()}
        model.layers[0].trainable = False
        model.fit(x, y, epochs=1, batch_size=8, verbose=0, terminate_on_nan=not general)
        return model, opt, slots

    fast, opt, slots = run(general=False)
    general, _, _ = run(general=True)
    # binding to fewer parameters keeps the slots of those that stay
    fl.set_seed(2)
    probe = fl.Sequential([fl.layers.Dense(4, input_dim=3), fl.layers.Dense(1)])
    probe.compile(fl.optim.SGD(learning_rate=0.05, momentum=0.9), "mse")
    probe.fit(x, y, epochs=1, verbose=0, terminate_on_nan=False)
    kept = {k: v.copy() for k, v in probe.optimizer.state[2].items()}
    probe.optimizer.bind(probe.parameters()[2:])
    assert kept and all(np.array_equal(probe.optimizer.state[0][k], v) and np.any(v != 0) for k, v in kept.items())
    assert slots and all(np.any(v != 0) for v in slots.values())
    # the fast path packs the kept slots too: the same weights as the autodiff path after the second fit
    for a, b in zip(fast.get_weights(), general.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    model = fast
    model.layers[0].trainable = True
    if optimizer == "adam":  # joining parameters against a step count: Keras refuses, and so does fnlearn
        before = model.get_weights()
        with pytest.raises(ConfigError, match=r"taken \d+ steps without 2 of these parameters.*compile again"):
            model.fit(x, y, epochs=1, verbose=0)
        assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    else:  # momentum needs no step count: the unfrozen layer starts with fresh velocity, as in PyTorch
        model.fit(x, y, epochs=1, verbose=0)


def test_freezing_before_building_and_the_pytorch_way():
    layer = fl.layers.Dense(2, trainable=False)  # built later, from the first batch: its parameters are frozen
    layer(np.ones((1, 3)))
    assert not layer.kernel.requires_grad and not layer.bias.requires_grad
    model = fl.Sequential([fl.layers.Dense(2, input_dim=3), fl.layers.Dense(1)])
    model.layers[1].kernel.requires_grad = False  # PyTorch's freezing: fit honours it too
    model.compile("sgd", "mse")
    kernel = model.layers[1].kernel.numpy().copy()
    model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    np.testing.assert_array_equal(model.layers[1].kernel.numpy(), kernel)
    model.trainable = False
    assert not any(p.requires_grad for p in model.parameters()) and not model.layers[0].trainable
    with pytest.raises(ConfigError, match="every layer of this model is frozen"):
        model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    weightless = fl.Sequential([fl.layers.Activation("relu", input_shape=(3,))])
    weightless.compile("sgd", "mse")
    with pytest.raises(ConfigError, match=r"this model has no weights \(none of its layers has any\), so fit has "
                                          r"nothing to train; add a layer with weights"):
        weightless.fit(np.ones((4, 3)), np.ones((4, 3)), verbose=0)
    with pytest.raises(ConfigError, match="trainable must be True or False"):
        model.trainable = "no"
    model.trainable = True
    assert all(p.requires_grad for p in model.parameters())


def test_training_argument_runs_one_call_in_that_mode():
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(8, input_dim=4), fl.layers.Dropout(0.5), fl.layers.Dense(1)])
    x = np.ones((3, 4))
    a, b = model(x, training=False).numpy(), model(x, training=False).numpy()
    np.testing.assert_array_equal(a, b)  # Dropout off: Keras's model(x, training=False)
    np.testing.assert_allclose(a, model.predict(x), rtol=1e-6)
    assert model.training and model.layers[1].training  # the mode is put back after the call
    model.eval()
    assert not np.allclose(model(x, training=True).numpy(), a)
    assert not model.layers[1].training

    class TakesIt(fl.nn.Module):
        def forward(self, x, training=False):
            return fl.tensor([1.0 if training else 0.0])

    assert TakesIt()(x, training=True).item() == 1.0  # a forward with its own training argument gets it


def test_keras_model_helpers():
    model = fl.Sequential([fl.layers.Dense(8, name="hidden"), fl.layers.Dense(1, name="out")])
    model.build((None, 4))  # Keras's form, batch axis open
    assert model.count_params() == 49 and len(model.weights) == 4
    assert model.get_layer("out") is model.layers[1] and model.get_layer(index=0).name == "hidden"
    with pytest.raises(ConfigError, match="no layer named 'outt'; its layers are 'hidden', 'out'"):
        model.get_layer("outt")
    hidden = model.layers[0]
    weights = [w + 1 for w in hidden.get_weights()]
    hidden.set_weights(weights)
    np.testing.assert_array_equal(hidden.kernel.numpy(), weights[0])
    with pytest.raises(ShapeError, match="set_weights got 1 arrays but Dense has 2"):
        hidden.set_weights(weights[:1])
    assert model.pop().name == "out" and len(model) == 1
    assert [name for name, _ in model.named_parameters()] == ["0.kernel", "0.bias"]
    model.add(fl.layers.Dense(3))
    assert model.output_shape == (3,) and model.count_params() == 40 + 27


def test_a_sequential_takes_its_layers_as_a_list_or_one_by_one_and_a_name_as_a_string():
    first, second = fl.layers.Dense(4, activation="relu", input_dim=3), fl.layers.Dense(1)
    model = fl.Sequential(first, second)  # PyTorch's nn.Sequential(a, b)
    assert model.layers == [first, second] and model.name.startswith("sequential")
    with pytest.raises(ConfigError, match=r"Sequential got 'net' beside its layers; pass the layers as one list"):
        fl.Sequential([first], "net")
    with pytest.raises(ConfigError, match=r"a model's name must be a string, got int 3"):
        fl.Sequential([first], name=3)
    with pytest.raises(ConfigError, match=r"keras.Sequential takes its layers as one list"):
        fl.keras.Sequential(first, second)


def test_a_layer_name_that_is_not_a_string_is_one_sentence():
    with pytest.raises(ConfigError, match=r"a layer's name must be a string, got list \['x'\]"):
        fl.layers.Dense(2, name=["x"])


def test_two_layers_of_one_model_may_not_share_a_name_as_in_keras_but_one_layer_may_be_used_twice():
    model = fl.Sequential([fl.layers.Dense(2, input_dim=3, name="c")], name="m")
    with pytest.raises(ConfigError, match=r"model 'm' has two layers named 'c'; layer names in a model must be "
                                          r"unique .* give one of them another name="):
        model.add(fl.layers.Dense(2, name="c"))
    assert [layer.name for layer in model.layers] == ["c"]  # refused before anything changed
    x = fl.keras.Input((3,))
    with pytest.raises(ConfigError, match=r"this model has two layers named 'c'"):
        fl.keras.Model(x, fl.keras.layers.Dense(2, name="c")(fl.keras.layers.Dense(2, name="c")(x)))
    shared = fl.layers.Dense(3, activation="tanh")
    assert len(fl.Sequential([fl.layers.Dense(3, input_dim=3), shared, shared]).layers) == 3  # weights tied
