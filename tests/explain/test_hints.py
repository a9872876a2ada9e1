"""training_hints(): each hint fires on a crafted run, stays quiet on a healthy one, and states its number."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from explain_helpers import set_param, set_values

import fnlearn as fl
from fnlearn.explain import Hint, print_hints, training_hints


def kinds(hints):
    return [h.kind for h in hints]


def test_rising_loss_means_the_learning_rate_is_too_high():
    hints = training_hints(None, {"loss": [0.5, 0.7, 1.2, 2.0]})
    assert kinds(hints) == ["learning_rate"]
    assert hints[0].value == pytest.approx(4.0)
    assert "×4" in hints[0].message and "0.5" in hints[0].message and "2" in hints[0].message
    assert training_hints(None, {"loss": [2.0, 1.2, 0.7, 0.5]}) == []


def test_oscillating_loss_means_the_learning_rate_is_too_high():
    hints = training_hints(None, {"loss": [1.0, 0.6, 0.8, 0.5, 0.7, 0.45, 0.65, 0.4]})
    assert kinds(hints) == ["learning_rate"]
    assert hints[0].value == pytest.approx(3 / 7)
    assert "3 of 7 epochs" in hints[0].message
    # small wiggles (under 1 %) of a falling loss are noise, not oscillation
    assert training_hints(None, {"loss": [1.0, 0.8, 0.805, 0.6, 0.603, 0.5, 0.502, 0.4]}) == []


def test_nan_loss_is_reported_with_its_epoch():
    hints = training_hints(None, {"loss": [1.0, 3.0, math.nan]})
    assert kinds(hints) == ["learning_rate"]
    assert "nan in epoch 3" in hints[0].message


def test_validation_far_above_training_means_overfitting():
    hints = training_hints(None, {"loss": [0.5, 0.2, 0.1], "val_loss": [0.6, 0.35, 0.5]})
    assert kinds(hints) == ["overfitting"]
    assert hints[0].value == pytest.approx(5.0)
    assert "5× the training loss 0.1" in hints[0].message and "0.35 in epoch 2" in hints[0].message
    assert training_hints(None, {"loss": [0.5, 0.2, 0.1], "val_loss": [0.6, 0.25, 0.15]}) == []
    # a wide gap while the validation loss still falls (IMDB-like): not overfitting yet
    assert training_hints(None, {"loss": [0.3, 0.1, 0.03], "val_loss": [0.4, 0.3, 0.29]}) == []


def _relu_model(dead: int, units: int = 10):
    """A 1-input ReLU layer where the first `dead` units can never fire on x in [0, 1]."""
    model = fl.Sequential([fl.layers.Dense(units, activation="relu", input_dim=1), fl.layers.Dense(1)])
    set_param(model, "0.kernel", np.ones((1, units)))
    set_param(model, "0.bias", [-5.0] * dead + [0.5] * (units - dead))
    return model


def test_dead_relus_are_counted_on_the_training_data():
    x = np.linspace(0, 1, 50)[:, None]
    hints = training_hints(_relu_model(dead=4), {"loss": [1.0, 0.5]}, x=x)
    assert kinds(hints) == ["dead_relu"]
    assert hints[0].value == pytest.approx(0.4)
    assert "4 of 10 ReLU units (40%)" in hints[0].message and "50 training samples" in hints[0].message
    assert training_hints(_relu_model(dead=0), {"loss": [1.0, 0.5]}, x=x) == []
    # without x there is nothing to count on
    assert training_hints(_relu_model(dead=4), {"loss": [1.0, 0.5]}) == []


def _deep(activation: str, layers: int = 8):
    fl.set_seed(0)
    stack = [fl.layers.Dense(32, activation=activation, input_dim=10)]
    stack += [fl.layers.Dense(32, activation=activation) for _ in range(layers - 1)]
    model = fl.Sequential([*stack, fl.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    return model


def test_vanishing_gradients_in_a_deep_sigmoid_stack():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 10))
    y = (x[:, :1] > 0).astype(float)
    model = _deep("sigmoid")
    grads_before = [p.grad for p in model.parameters()]
    hints = training_hints(model, {"loss": [0.7, 0.69]}, x=x, y=y)
    assert kinds(hints) == ["vanishing_gradient"]
    assert hints[0].value < 0.01
    assert f"{hints[0].value:.2g}×" in hints[0].message and "sigmoid" in hints[0].message
    assert [p.grad for p in model.parameters()] == grads_before  # the check leaves the grads as they were
    assert training_hints(_deep("relu"), {"loss": [0.7, 0.69]}, x=x, y=y) == []


def test_vanishing_gradients_from_the_last_steps_grad():
    model = _deep("sigmoid", layers=3)
    kernels = [p for n, p in model.named_parameters() if n.endswith("kernel")]
    for p in kernels:
        p.grad = fl.backend.to_device(np.full(p.shape, 1e-2, dtype=p.data.dtype))
    kernels[0].grad = fl.backend.to_device(np.full(kernels[0].shape, 1e-6, dtype=kernels[0].data.dtype))
    hints = training_hints(model, {"loss": [1.0, 0.9]})
    assert kinds(hints) == ["vanishing_gradient"]
    assert hints[0].value == pytest.approx(1e-4, rel=1e-3)
    kernels[0].grad = fl.backend.to_device(np.full(kernels[0].shape, 1e-3, dtype=kernels[0].data.dtype))
    assert training_hints(model, {"loss": [1.0, 0.9]}) == []


def test_a_dead_first_layer_is_not_called_a_vanishing_gradient():
    # units that never fire have a gradient of exactly 0: the dead-ReLU hint's finding, not a gradient that
    # shrank on its way back
    model = _deep("relu", layers=3)
    kernels = [p for n, p in model.named_parameters() if n.endswith("kernel")]
    for p in kernels:
        p.grad = fl.backend.to_device(np.full(p.shape, 1e-2, dtype=p.data.dtype))
    dead = np.zeros(kernels[0].shape, dtype=kernels[0].data.dtype)
    kernels[0].grad = fl.backend.to_device(dead)
    assert training_hints(model, {"loss": [1.0, 0.9]}) == []
    dead[:, :4] = 1e-2  # four live units, as healthy as the last layer's
    kernels[0].grad = fl.backend.to_device(dead)
    assert training_hints(model, {"loss": [1.0, 0.9]}) == []


def test_print_hints_writes_one_line_per_hint():
    out = io.StringIO()
    hints = print_hints(None, {"loss": [0.1, 0.3], "val_loss": [0.5, 0.9]}, file=out)
    assert all(isinstance(h, Hint) for h in hints)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(hints) == 2
    assert all(line.startswith("hint: ") for line in lines)
    quiet = io.StringIO()
    assert print_hints(None, {"loss": [0.3, 0.1]}, file=quiet) == [] and quiet.getvalue() == ""


def test_hints_after_a_real_fit():
    fl.set_seed(0)
    x = np.linspace(-1, 1, 40)[:, None]
    model = fl.Sequential([fl.layers.Dense(4, activation="relu", input_dim=1), fl.layers.Dense(1)])
    model.compile(fl.optim.SGD(learning_rate=2.0), "mse")
    history = model.fit(x, 3 * x, epochs=5, batch_size=40, verbose=0)
    hints = training_hints(model, history, x, 3 * x)
    assert "learning_rate" in kinds(hints)


def _conv_net(dead_first: int, dead_second: int = 0, dense_units: int = 0):
    """conv1 (4 ReLU channels) then conv2 (2): the first `dead_first` / `dead_second` channels of each have a bias
    no window of an image in [0, 1] can overcome, the others sum their window and always fire."""
    from fnlearn import keras
    from fnlearn.keras import layers

    stack = [keras.Input((6, 6, 1)), layers.Conv2D(4, 3, activation="relu", name="conv1"),
             layers.Conv2D(2, 3, activation="relu", name="conv2"), layers.Flatten()]
    stack += [layers.Dense(dense_units, activation="relu", name="hidden")] if dense_units else []
    model = keras.Sequential([*stack, layers.Dense(2, activation="softmax")])
    for name, dead in (("conv1", dead_first), ("conv2", dead_second)):
        conv = model.get_layer(name)
        set_values(conv.kernel, np.ones(conv.kernel.shape))
        set_values(conv.bias, [-1e3] * dead + [0.0] * (conv.filters - dead))
    if dense_units:
        hidden = model.get_layer("hidden")
        set_values(hidden.kernel, np.full(hidden.kernel.shape, 1.0 / hidden.kernel.shape[0]))
        set_values(hidden.bias, np.full(dense_units, 0.5))
    return model


def test_dead_relu_channels_of_a_convolution_are_counted():
    x = np.random.default_rng(0).random((40, 6, 6, 1))
    hints = training_hints(_conv_net(dead_first=2), {"loss": [1.0, 0.5]}, x=x)
    assert kinds(hints) == ["dead_relu"]
    assert hints[0].value == pytest.approx(2 / 6)
    assert "2 of 6 ReLU channels (33%) never fire on the 40 training samples checked ('conv1': 2 of 4 channels)" \
        in hints[0].message
    assert training_hints(_conv_net(dead_first=0), {"loss": [1.0, 0.5]}, x=x) == []


def test_a_layer_whose_channels_all_died_is_named_even_among_many_live_units():
    x = np.random.default_rng(0).random((40, 6, 6, 1))
    hints = training_hints(_conv_net(dead_first=0, dead_second=2, dense_units=64), {"loss": [1.0, 0.5]}, x=x)
    assert kinds(hints) == ["dead_relu"] and hints[0].value < 0.1  # 2 of 70: under the share, but a whole layer
    assert "2 of 70 ReLU channels and units (3%)" in hints[0].message
    assert "('conv2': 2 of 2 channels)" in hints[0].message
    assert "nothing passes 'conv2' (all dead: what comes after gets only zeros from it)" in hints[0].message


def test_dead_channels_of_a_subclassed_model_are_counted():
    from fnlearn import keras
    from fnlearn.keras import layers

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = layers.Conv2D(2, 3, activation="relu", name="conv")
            self.out = layers.Dense(1)

        def call(self, inputs):
            return self.out(layers.Flatten()(self.conv(inputs)))

    model = Net()
    x = np.random.default_rng(0).random((10, 5, 5, 1)).astype("float32")
    model(x)
    set_values(model.conv.bias, [-1e3, -1e3])
    hints = training_hints(model, {"loss": [1.0, 0.5]}, x=x)
    assert kinds(hints) == ["dead_relu"] and "'conv': 2 of 2 channels" in hints[0].message


def _scores_model(units: int, activation=None, loss="sparse_categorical_crossentropy"):
    from fnlearn import keras
    from fnlearn.keras import layers

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(units, activation=activation)])
    model.compile("sgd", loss)
    set_values(model.layers[0].kernel, np.linspace(-3, 3, 4 * units))  # scores well outside [0, 1]
    return model


def test_a_probability_loss_on_raw_scores_is_named_instead_of_the_learning_rate():
    from fnlearn import keras

    x = np.random.default_rng(0).normal(size=(30, 4))
    oscillating = {"loss": [8.0, 7.0, 8.2, 7.5, 8.4]}
    hints = training_hints(_scores_model(3), oscillating, x=x)
    assert kinds(hints) == ["not_probabilities"]
    assert hints[0].value > 0.3 and hints[0].threshold == 0.0
    assert "of the model's outputs lie outside [0, 1]" in hints[0].message
    assert "but sparse_categorical_crossentropy takes probabilities" in hints[0].message
    assert "give its last layer activation='softmax', or compile with " \
           "loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)" in hints[0].message
    binary = training_hints(_scores_model(1, loss="binary_crossentropy"), {"loss": [1.0, 0.9]}, x=x)
    assert kinds(binary) == ["not_probabilities"] and "activation='sigmoid'" in binary[0].message
    # the loss takes the scores as they are, or the outputs are probabilities: the learning rate it is
    logits = _scores_model(3, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert kinds(training_hints(logits, oscillating, x=x)) == ["learning_rate"]
    assert kinds(training_hints(_scores_model(3, "softmax"), oscillating, x=x)) == ["learning_rate"]
    assert kinds(training_hints(_scores_model(3), oscillating)) == ["learning_rate"]  # no data to look at


def test_fit_prints_the_missing_softmax_not_the_learning_rate(capsys):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(60, 4)), rng.integers(0, 3, 60)
    model = _scores_model(3)
    model.fit(x, y, epochs=3, batch_size=60, verbose=2)
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("hint:")]
    assert len(printed) == 1 and "outside [0, 1]" in printed[0] and "from_logits=True" in printed[0]
