"""keras.utils.is_keras_tensor / get_source_inputs / Config and keras.backend.get_uid / is_keras_tensor: Keras 3's
answers for the same programs, and one sentence for what cannot be."""

from __future__ import annotations

import re

import numpy as np
import pytest
from real_keras import real_keras

from fnlearn import keras
from fnlearn.errors import ConfigError


def _graph(lib):
    a, b = lib.Input((2,), name="a"), lib.Input((3,), name="b")
    h = lib.layers.Dense(4)(lib.layers.concatenate([b, a]))
    out = lib.layers.Add()([h, lib.layers.Dense(4)(a)])
    return a, b, out


def test_source_inputs_and_keras_tensors_as_keras():
    real = real_keras()
    for lib in (real, keras):
        a, b, out = _graph(lib)
        assert [x.name for x in lib.utils.get_source_inputs(out)] == ["b", "a"]
        assert [x.name for x in lib.utils.get_source_inputs(a)] == ["a"]
        assert lib.utils.is_keras_tensor(out) and lib.backend.is_keras_tensor(a)
        assert not lib.utils.is_keras_tensor(np.ones(2))
    with pytest.raises(ConfigError, match="get_source_inputs takes a placeholder") as caught:
        keras.utils.get_source_inputs(np.ones(2))
    assert re.search(r"(?<!e\.g)[.;] [A-Z]", str(caught.value)) is None


def test_uids_count_per_prefix_from_one_as_keras():
    real = real_keras()
    for lib in (real, keras):
        lib.backend.clear_session()
        assert [lib.backend.get_uid("x"), lib.backend.get_uid("x"), lib.backend.get_uid("y")] == [1, 2, 1]
        lib.backend.clear_session()
        assert lib.backend.get_uid("x") == 1


def test_config_behaves_as_kerass():
    real = real_keras()
    for lib in (real, keras):
        config = lib.utils.Config(learning_rate=0.1, epochs=3)
        config.batch_size = 32
        config["seed"] = 1
        assert (config.learning_rate, config["batch_size"], len(config), "seed" in config) == (0.1, 32, 4, True)
        assert list(config) == ["batch_size", "epochs", "learning_rate", "seed"]
        assert config.as_dict() == {"learning_rate": 0.1, "epochs": 3, "batch_size": 32, "seed": 1}
        assert config.pop("seed") == 1 and config.get("missing", 7) == 7
        config.freeze()
        with pytest.raises(ValueError):
            config.epochs = 4
        config.unfreeze()
        config.epochs = 4
        assert config.epochs == 4 and '"epochs": 4' in config.to_json()
        with pytest.raises(AttributeError, match="epochs"):  # the close name offered
            config.epoch  # noqa: B018


@pytest.mark.parametrize("switch", ["traceback_filtering", "flash_attention"])
def test_the_run_switches_read_back_as_kerass(switch):
    real = real_keras()
    names = (f"enable_{switch}", f"disable_{switch}", f"is_{switch}_enabled")
    before = getattr(real.config, names[2])()
    try:
        answers = {}
        for lib in (real, keras):
            enable, disable, read = (getattr(lib.config, name) for name in names)
            seen = [read()]
            disable()
            seen.append(read())
            enable()
            seen.append(read())
            answers[lib] = seen
        assert answers[keras] == answers[real] and answers[keras][1] is False
    finally:
        getattr(real.config, names[0] if before is not False else names[1])()
        keras.config.enable_traceback_filtering()
        keras.config.enable_flash_attention()


def test_set_backend_keeps_numpy_and_refuses_another_in_one_sentence():
    assert keras.config.is_nnx_enabled() is False
    keras.config.set_backend("numpy")
    assert keras.config.backend() == "numpy"
    with pytest.raises(ConfigError, match=r"set_backend got 'jax'.*one backend is 'numpy'.*fl\.set_backend\('cupy'\)"):
        keras.config.set_backend("jax")
