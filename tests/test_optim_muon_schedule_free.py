"""Muon and ScheduleFreeAdamW against Keras 3.15's numbers; their settings, configs and saving.

Keras's numbers come live from the real Keras on JAX: ScheduleFreeAdamW's steps on Keras's PyTorch backend read the
momentum after its own update (the variable changes in place), which JAX's and TensorFlow's do not, and fnlearn
follows the written rule as those do.
"""

from __future__ import annotations

import functools
import json
import re
import warnings
import zipfile

import numpy as np
import pytest
from real_keras import compiled, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError
from fnlearn.keras import optimizers as kopt

# (shape, name): a wide and a tall matrix (Muon's step, the tall one on its transpose), a bias, a convolution's
# kernel and an embedding table (AdamW's step in Keras: not 2-D, or named so)
WEIGHTS = [((3, 4), "kernel"), ((5, 3), "kernel"), ((4,), "bias"), ((2, 2, 3, 4), "kernel"), ((6, 4), "embeddings")]
MUON_CASES = [{"learning_rate": 0.05},
              {"learning_rate": 0.05, "nesterov": False, "rms_rate": None, "adam_lr_ratio": 0.5, "weight_decay": 0.1,
               "adam_weight_decay": None, "ns_steps": 3, "momentum": 0.9},
              {"learning_rate": 0.05, "exclude_embeddings": False, "use_ema": True, "ema_momentum": 0.5,
               "clipnorm": 1.0}]
SCHEDULE_FREE_CASES = [{"learning_rate": 0.05},
                       {"learning_rate": 0.05, "warmup_steps": 3, "weight_decay": 0.1, "beta_1": 0.8,
                        "global_clipnorm": 2.0}]
CASES = [("Muon", s) for s in MUON_CASES] + [("ScheduleFreeAdamW", s) for s in SCHEDULE_FREE_CASES]
STEPS = 5


def _problem() -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    rng = np.random.default_rng(0)
    start = [rng.normal(size=s).astype("float32") for s, _ in WEIGHTS]
    return start, [[rng.normal(size=s).astype("float32") for s, _ in WEIGHTS] for _ in range(STEPS)]


@functools.cache
def _keras_weights() -> list[list[np.ndarray]]:
    """Keras's weights after the STEPS gradient sets of :func:`_problem`, for each case of CASES."""
    real = real_keras()
    start, grads = _problem()
    optimizers = []
    for name, settings in CASES:
        optimizer = getattr(real.optimizers, name)(**settings)
        optimizer.build([real.Variable(w, name=n) for w, (_, n) in zip(start, WEIGHTS)])
        optimizers.append(optimizer)

    def run():
        out = []
        for optimizer in optimizers:
            state, trained = [v.value for v in optimizer.variables], list(start)
            for g in grads:
                trained, state = optimizer.stateless_apply(state, g, trained)
            if optimizer.use_ema:  # what fit's end does: the weights take their moving averages
                position = {id(v): i for i, v in enumerate(optimizer.variables)}
                trained = [state[position[id(a)]] for a in optimizer._model_variables_moving_average]
            out.append(trained)
        return out

    return compiled(real, run)


@pytest.mark.keras_backend("jax")
@pytest.mark.parametrize("index", range(len(CASES)))
def test_steps_equal_keras(index: int) -> None:
    name, settings = CASES[index]
    theirs = _keras_weights()[index]
    start, grads = _problem()
    ours = [fl.Parameter(w.copy(), name=n) for w, (_, n) in zip(start, WEIGHTS)]
    opt = getattr(kopt, name)(**settings)
    for g in grads:
        opt.apply(g, ours)
    opt.finalize_variable_values(ours)
    assert len(theirs) == len(ours)
    for expected, p, w in zip(theirs, ours, start):
        assert not np.allclose(expected, w)  # every weight moved, in both
        np.testing.assert_allclose(fl.backend.to_numpy(p.data), expected, rtol=2e-5, atol=2e-6)


def test_muon_picks_keras_rule_per_weight() -> None:
    ours = [fl.Parameter(np.ones(s), name=n) for s, n in WEIGHTS]
    opt = kopt.Muon().bind(ours)
    assert ["velocity" in s for s in opt.state] == [False, False, True, True, True]
    opt = kopt.Muon(exclude_embeddings=False).bind(ours)
    assert ["velocity" in s for s in opt.state] == [False, False, True, True, False]


def test_orthogonalized_has_singular_values_near_one() -> None:
    g = np.random.default_rng(3).normal(size=(8, 5)).astype("float32")
    o = fl.backend.to_numpy(fl.optim.Muon().orthogonalized(fl.backend.to_device(g)))
    u, s, vt = np.linalg.svd(g, full_matrices=False)
    singular = np.linalg.svd(o, compute_uv=False)
    assert singular.min() > 0.6 and singular.max() < 1.25
    # the same singular vectors: o = U diag(f(s)) Vᵀ
    np.testing.assert_allclose(u.T @ o @ vt.T, np.diag(np.diag(u.T @ o @ vt.T)), atol=1e-4)


def _model_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(12, 5, 5, 1)).astype("float32")
    return x, (x.reshape(12, -1)[:, :2] * np.array([1.0, -2.0], "float32")).sum(1, keepdims=True)


def _model(library):
    layers = library.layers
    return library.Sequential([library.Input((5, 5, 1)), layers.Conv2D(2, 3), layers.Flatten(),
                               layers.Dense(4, activation="tanh"), layers.Dense(1)])


@pytest.mark.keras_backend("jax")
@pytest.mark.parametrize("name,settings", [("Muon", {"learning_rate": 0.02}),
                                           ("ScheduleFreeAdamW", {"learning_rate": 0.02, "warmup_steps": 2})])
def test_model_trains_as_keras(name: str, settings: dict) -> None:
    real = real_keras()
    x, y = _model_data()
    theirs, ours = _model(real), _model(keras)
    ours.set_weights(theirs.get_weights())
    start = theirs.get_weights()
    for model, library in ((theirs, real), (ours, keras)):
        model.compile(getattr(library.optimizers, name)(**settings), "mse")
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b, w in zip(ours.get_weights(), theirs.get_weights(), start):
        assert not np.allclose(b, w)
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name,settings", CASES)
def test_save_mid_training_continues_identically(name: str, settings: dict, tmp_path) -> None:
    x, y = _model_data()
    fl.set_seed(0)
    model = _model(keras)
    model.compile(getattr(kopt, name)(**settings), "mse")
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert type(loaded.optimizer).name == name.lower() and loaded.optimizer.iterations == 3
    for m in (model, loaded):
        m.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name,settings", CASES)
def test_config_round_trip(name: str, settings: dict) -> None:
    opt = getattr(kopt, name)(**settings)
    again = fl.optim.from_config(opt.get_config())
    assert type(again).name == opt.name and again.get_config() == opt.get_config()
    entry = kopt.serialize(opt)
    assert entry["class_name"] == name and entry["module"] == "keras.optimizers"
    assert kopt.deserialize(entry).get_config() == opt.get_config()


@pytest.mark.parametrize("name", ["Muon", "ScheduleFreeAdamW"])
def test_config_has_keras_keys_and_keras_configs_load(name: str) -> None:
    real = real_keras()
    theirs = getattr(real.optimizers, name)(learning_rate=0.02)
    config = real.optimizers.serialize(theirs)
    ours = kopt.deserialize(config)
    assert type(ours) is getattr(kopt, name)
    own_keys = set(theirs.get_config()) - set(real.optimizers.Optimizer(0.1).get_config())
    assert own_keys and own_keys <= set(ours.get_config())
    for key in own_keys:
        assert ours.get_config()[key] == pytest.approx(theirs.get_config()[key]), key
    assert ours.learning_rate == pytest.approx(0.02)


def test_names_and_registration() -> None:
    assert type(fl.optim.get("muon")) is fl.optim.Muon
    assert type(fl.optim.get("schedulefreeadamw")) is fl.optim.ScheduleFreeAdamW
    assert kopt.get({"class_name": "Muon", "config": {}}).name == "muon"


def _one_sentence(error: pytest.ExceptionInfo) -> str:
    msg = str(error.value)
    assert re.search(r"(?<!e\.g)[.;] [A-Z]", msg) is None and msg.endswith("."), msg
    return msg


@pytest.mark.parametrize("make,word", [
    (lambda: kopt.Muon(momentum=1.0), "momentum=1.0"),
    (lambda: kopt.Muon(adam_beta_2=-0.1), "adam_beta_2"),
    (lambda: kopt.Muon(weight_decay=-1), "weight_decay=-1"),
    (lambda: kopt.Muon(adam_weight_decay="a"), "adam_weight_decay"),
    (lambda: kopt.Muon(ns_steps=2.5), "ns_steps"),
    (lambda: kopt.Muon(ns_steps=True), "ns_steps"),
    (lambda: kopt.Muon(nesterov=1), "nesterov"),
    (lambda: kopt.Muon(rms_rate=0), "rms_rate"),
    (lambda: kopt.Muon(muon_a=float("nan")), "muon_a"),
    (lambda: kopt.Muon(adam_lr_ratio=0), "adam_lr_ratio"),
    (lambda: kopt.Muon(epsilon=-1e-7), "epsilon"),
    (lambda: kopt.Muon(exclude_layers=["output_dense("]), "exclude_layers"),
    (lambda: kopt.Muon(exclude_layers=[3]), "exclude_layers"),
    (lambda: kopt.ScheduleFreeAdamW(beta_1=0.0), "beta_1"),
    (lambda: kopt.ScheduleFreeAdamW(beta_2=1.0), "beta_2"),
    (lambda: kopt.ScheduleFreeAdamW(warmup_steps=-1), "warmup_steps"),
    (lambda: kopt.ScheduleFreeAdamW(weight_decay=-0.1), "weight_decay"),
    (lambda: kopt.ScheduleFreeAdamW(epsilon=None), "epsilon"),
])
def test_bad_settings_refused_in_one_sentence(make, word: str) -> None:
    with pytest.raises(ConfigError) as error:
        make()
    assert word in _one_sentence(error)


def test_bad_setting_changes_nothing() -> None:
    w = fl.Parameter(np.ones((2, 2)))
    opt = fl.optim.Muon([w], learning_rate=0.1)
    before = opt.get_config()
    with pytest.raises(ConfigError):
        fl.optim.Muon([w], learning_rate=0.1, momentum=2.0)
    assert opt.get_config() == before and w.grad is None and np.all(w.numpy() == 1)


def test_schedule_free_keeps_the_training_weights_for_evaluation() -> None:
    # Keras swaps no averaged weights in around evaluate: the model's weights are y, and evaluate reads them
    x, y = _model_data()
    fl.set_seed(0)
    model = _model(keras)
    model.compile(kopt.ScheduleFreeAdamW(0.02), "mse")
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    weights = model.get_weights()
    model.evaluate(x, y, verbose=0)
    for a, b in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    z = fl.backend.to_numpy(model.optimizer.state[0]["momentum"])
    assert not np.allclose(z, weights[0])  # y is not z: the average x pulls it


def test_schedule_free_momentum_starts_at_the_weights_of_the_first_step() -> None:
    w = fl.Parameter(np.array([1.0, 2.0]))
    opt = fl.optim.ScheduleFreeAdamW([w], learning_rate=0.1)
    w.data[...] = fl.backend.to_device(np.array([3.0, 4.0], "float32"))  # changed after binding, as set_weights
    opt.apply([np.array([1.0, -1.0])], [w])
    np.testing.assert_allclose(fl.backend.to_numpy(w.data), [2.9, 4.1], rtol=1e-6)


def _small_fit(optimizer) -> tuple:
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")
    fl.set_seed(2)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)])
    model.compile(optimizer, "mse")
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    return model, x, y


def test_export_to_keras_leaves_muon_out_with_a_warning(tmp_path) -> None:
    # Keras lists Muon's velocity only for its AdamW weights: no plan of whole slots fits that
    model, _, _ = _small_fit(kopt.Muon(0.01))
    with pytest.warns(UserWarning, match="leaves out the compile settings because the optimizer Muon"):
        keras.saving.export_keras(model, tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        assert "compile_config" not in json.loads(archive.read("config.json"))
    real = real_keras()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = real.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.get_weights()[0], model.get_weights()[0])


@pytest.mark.keras_backend("jax")
@pytest.mark.parametrize("trained", [True, False])
def test_keras_goes_on_training_from_the_schedule_free_state_fnlearn_wrote(trained: bool, tmp_path) -> None:
    real = real_keras()
    ours, x, y = _small_fit(kopt.ScheduleFreeAdamW(0.02, warmup_steps=3))
    if not trained:  # compiled, never trained: z is written as it starts, at the weights
        ours = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)])
        ours.compile(kopt.ScheduleFreeAdamW(0.02, warmup_steps=3), "mse")
    keras.saving.export_keras(ours, tmp_path / "m.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no skipped optimizer state
        theirs = real.models.load_model(tmp_path / "m.keras")
    assert type(theirs.optimizer).__name__ == "ScheduleFreeAdamW" and theirs.optimizer.warmup_steps == 3
    assert int(theirs.optimizer.iterations) == ours.optimizer.iterations == (2 if trained else 0)
    start = ours.get_weights()
    for model in (ours, theirs):
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for got, want, before in zip(ours.get_weights(), theirs.get_weights(), start):
        assert not np.allclose(want, before)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-6)


@pytest.mark.keras_backend("jax")
def test_fnlearn_goes_on_training_from_the_schedule_free_state_keras_wrote(tmp_path) -> None:
    real = real_keras()
    x, y = _model_data()
    theirs, ours = _model(real), _model(keras)
    theirs.compile(real.optimizers.ScheduleFreeAdamW(0.02, weight_decay=0.05), "mse")
    theirs.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    theirs.save(tmp_path / "k.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the state is read, not left out
        ours = keras.saving.load_model(tmp_path / "k.keras")
    assert type(ours.optimizer) is kopt.ScheduleFreeAdamW and ours.optimizer.iterations == 3
    assert ours.optimizer.weight_decay == pytest.approx(0.05)
    for model in (ours, theirs):
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for got, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_fnlearn_reads_a_keras_muon_file_with_a_fresh_state(tmp_path) -> None:
    real = real_keras()
    x, y = _model_data()
    theirs = _model(real)
    theirs.compile(real.optimizers.Muon(0.02), "mse")
    theirs.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    theirs.save(tmp_path / "k.keras")
    with pytest.warns(UserWarning, match="Muon state is not carried over"):
        ours = keras.saving.load_model(tmp_path / "k.keras")
    assert type(ours.optimizer) is kopt.Muon and ours.optimizer.learning_rate == pytest.approx(0.02)


def test_muon_sends_the_layers_it_excludes_and_embedding_paths_to_adamw_as_keras() -> None:
    real = real_keras()
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(12, 4)).astype(np.float32), rng.normal(size=(12, 2)).astype(np.float32)
    trained = []
    for k in (keras, real):
        model = k.Sequential([k.Input((4,)), k.layers.Dense(5, name="embedding_proj"), k.layers.Dense(3, name="hidden"),
                              k.layers.Dense(2, name="out")])
        model.set_weights([np.random.default_rng(4).normal(size=w.shape).astype(np.float32)
                           for w in model.get_weights()])
        model.compile(optimizer=k.optimizers.Muon(0.05, exclude_layers=["out"]), loss="mse")
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        trained.append(model)
    ours, theirs = trained
    assert [ours.optimizer.uses_adamw(w) for w in ours.trainable_weights] == [True, True, False, True, True, True]
    for mine, its in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, its, rtol=1e-4, atol=5e-5)  # float32 steps of Adam-like rules
