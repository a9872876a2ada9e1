"""Lion, Ftrl, Lamb, Adafactor and CosineDecayRestarts against Keras 3's numbers; their saving and configs.

Keras's numbers are computed live, all in one compiled JAX program (compiled op by op, eagerly, they take many
seconds): the weights after ``stateless_apply`` (``apply`` without the variables' side effects) of the four gradient
sets of :func:`_problem`, and ``CosineDecayRestarts(0.1, **settings)`` at every 7th step of 0..399.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from real_keras import compiled, real_keras

import fnlearn as fl
from fnlearn.errors import ConfigError
from fnlearn.keras import optimizers as kopt
from fnlearn.schedules import CosineDecayRestarts, deserialize, serialize

SHAPES = [(3, 4), (4,), (2, 3, 2)]
CASES = [("Lion", {"learning_rate": 0.01}),
         ("Ftrl", {"learning_rate": 0.1, "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.02,
                   "l2_shrinkage_regularization_strength": 0.01, "beta": 0.1}),
         ("Lamb", {"learning_rate": 0.01}),
         ("Adafactor", {"learning_rate": 0.5})]


def _problem() -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    rng = np.random.default_rng(0)
    start = [rng.normal(size=s).astype("float32") for s in SHAPES]
    return start, [[rng.normal(size=s).astype("float32") for s in SHAPES] for _ in range(4)]


RESTART_SETTINGS = [{"first_decay_steps": 10}, {"first_decay_steps": 7, "t_mul": 1.0, "m_mul": 0.5, "alpha": 0.1},
                    {"first_decay_steps": 3, "t_mul": 3.0, "m_mul": 0.8, "alpha": 0.05}]
STEPS = np.arange(0, 400, 7)


@functools.cache
def _keras_numbers() -> tuple[dict[str, list[np.ndarray]], list[np.ndarray]]:
    """Keras's weights after the four steps of each optimizer of CASES, and its CosineDecayRestarts at STEPS."""
    keras = real_keras()
    start, grads = _problem()
    optimizers = []
    for name, settings in CASES:
        optimizer = getattr(keras.optimizers, name)(**settings)
        optimizer.build([keras.Variable(w) for w in start])
        optimizers.append(optimizer)
    schedules = [keras.optimizers.schedules.CosineDecayRestarts(0.1, **settings) for settings in RESTART_SETTINGS]

    def run():
        weights = []
        for optimizer in optimizers:
            state, trained = [v.value for v in optimizer.variables], list(start)
            for g in grads:
                trained, state = optimizer.stateless_apply(state, g, trained)
            weights.append(trained)
        return weights, [schedule(STEPS) for schedule in schedules]

    weights, rates = compiled(keras, run)
    return dict(zip([name for name, _ in CASES], weights)), rates


@pytest.mark.keras_backend("jax")  # Keras on JAX's results: its PyTorch backend's differ here
@pytest.mark.parametrize("name,settings", CASES)
def test_steps_equal_keras(name: str, settings: dict) -> None:
    keras_weights = _keras_numbers()[0][name]
    start, grads = _problem()
    ours = [fl.Parameter(w.copy()) for w in start]
    opt = getattr(kopt, name)(**settings)
    for g in grads:
        opt.apply(g, ours)
    assert len(keras_weights) == len(ours)
    for theirs, p in zip(keras_weights, ours):
        np.testing.assert_allclose(fl.backend.to_numpy(p.data), theirs, rtol=1e-5, atol=2e-7)


@pytest.mark.parametrize("name,settings", CASES)
def test_save_mid_training_continues_identically(name: str, settings: dict, tmp_path) -> None:
    from fnlearn import keras

    x = np.random.default_rng(1).normal(size=(16, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32")
    fl.set_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(1)])
    model.compile(getattr(kopt, name)(**settings), "mse")
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    for m in (model, loaded):
        m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert type(loaded.optimizer).name == name.lower()


@pytest.mark.parametrize("name,settings", CASES)
def test_config_round_trip(name: str, settings: dict) -> None:
    opt = getattr(kopt, name)(**settings)
    again = fl.optim.from_config(opt.get_config())
    assert again.get_config() == opt.get_config()
    entry = kopt.serialize(opt)
    assert entry["class_name"] == name and entry["module"] == "keras.optimizers"
    assert kopt.deserialize(entry).get_config() == opt.get_config()


def test_keras_configs_deserialize() -> None:
    keras_adafactor = {"module": "keras.optimizers", "class_name": "Adafactor", "config": {
        "name": "adafactor", "learning_rate": 0.10000000149011612, "weight_decay": None, "clipnorm": None,
        "global_clipnorm": None, "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
        "ema_overwrite_frequency": None, "loss_scale_factor": None, "gradient_accumulation_steps": None,
        "beta_2_decay": -0.8, "epsilon_1": 1e-30, "epsilon_2": 0.001, "clip_threshold": 1.0, "relative_step": True},
        "registered_name": None}  # keras.optimizers.serialize(keras.optimizers.Adafactor(0.1))
    ours = kopt.deserialize(keras_adafactor)
    assert type(ours) is kopt.Adafactor and ours.learning_rate == pytest.approx(0.1)
    schedule = {"module": "keras.optimizers.schedules", "class_name": "CosineDecayRestarts", "config": {
        "initial_learning_rate": 0.1, "first_decay_steps": 3, "t_mul": 3.0, "m_mul": 1.0, "alpha": 0.0,
        "name": "SGDRDecay"}, "registered_name": None}
    lion = kopt.deserialize({"class_name": "Lion", "config": {"learning_rate": schedule, "beta_2": 0.98}})
    assert isinstance(lion.schedule, CosineDecayRestarts) and lion.beta_2 == 0.98


def test_bad_settings_refused() -> None:
    with pytest.raises(ConfigError, match="beta_1"):
        kopt.Lion(beta_1=0.0)
    with pytest.raises(ConfigError, match="learning_rate_power"):
        kopt.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ConfigError, match="beta_2_decay"):
        kopt.Adafactor(beta_2_decay=0.2)
    with pytest.raises(ConfigError, match="loss_scale_factor"):
        kopt.Lamb(loss_scale_factor=128.0)
    with pytest.raises(ConfigError, match="Nope"):
        kopt.deserialize({"class_name": "Nope", "config": {}})
    assert kopt.get("ftrl").name == "ftrl" and kopt.get({"class_name": "Lion", "config": {}}).name == "lion"


@pytest.mark.keras_backend("jax")  # Keras on JAX's results: its PyTorch backend's differ here
@pytest.mark.parametrize("index", range(len(RESTART_SETTINGS)))
def test_cosine_decay_restarts_equals_keras(index: int) -> None:
    theirs = _keras_numbers()[1][index]
    ours = CosineDecayRestarts(0.1, **RESTART_SETTINGS[index])
    assert theirs.shape == STEPS.shape
    np.testing.assert_allclose([ours(int(s)) for s in STEPS], theirs, rtol=1e-5, atol=1e-7)


def test_cosine_decay_restarts_at_restart_steps() -> None:
    # step 363 opens the sixth period of 3, 9, 27, 81, 243 steps: a float logarithm alone puts it in the fifth
    assert CosineDecayRestarts(0.1, 3, t_mul=3.0)(363) == pytest.approx(0.1)


def test_schedule_serialize_round_trip() -> None:
    ours = CosineDecayRestarts(0.1, 10, t_mul=1.5)
    entry = serialize(ours)
    assert entry["class_name"] == "CosineDecayRestarts" and entry["module"] == "keras.optimizers.schedules"
    assert deserialize(entry).get_config() == ours.get_config()
    with pytest.raises(ConfigError, match="first_decay_steps"):
        CosineDecayRestarts(0.1, 0)
    with pytest.raises(ConfigError, match="not a schedule"):
        serialize(0.1)
