"""fnlearn.errors' shared helpers: objects of other libraries, and keyword arguments a callee does not take."""

from __future__ import annotations

import pytest

from fnlearn import errors
from fnlearn.errors import ConfigError


def _from(module: str) -> object:
    class Thing:
        pass

    Thing.__module__ = module
    return Thing()


def test_unexpected_argument_names_the_first_unknown_one_with_the_nearest_and_the_list():
    error = errors.unexpected_argument("ExponentialDecay", {"decay_rate": 0.5, "decay_step": 10},
                                       ["initial_learning_rate", "decay_steps", "decay_rate"])
    assert isinstance(error, ConfigError) and isinstance(error, ValueError)
    assert str(error) == ("ExponentialDecay got an unexpected argument decay_step=10; did you mean 'decay_steps'? "
                          "it takes initial_learning_rate, decay_steps, decay_rate.")
    nothing_near = errors.unexpected_argument("f", {"zzz": "a"}, ["units"])
    assert str(nothing_near) == "f got an unexpected argument zzz='a'; it takes units."
    assert errors.unexpected_argument("f", {"units": 3}, ["units"]) is None
    assert errors.unexpected_argument("f", {}, []) is None


def test_reject_unexpected_arguments_raises_before_anything_runs():
    calls = []

    def make(**kwargs):
        errors.reject_unexpected_arguments("make", kwargs, ("units", "activation"))
        calls.append(kwargs)

    make(units=2)
    with pytest.raises(ConfigError, match=r"^make got an unexpected argument activaton='relu'; did you mean "
                                          r"'activation'\? it takes units, activation\.$"):
        make(units=2, activaton="relu")
    assert calls == [{"units": 2}]


@pytest.mark.parametrize("module, library", [("keras.src.initializers", "Keras"), ("tf_keras.layers", "Keras"),
                                             ("tensorflow.python.keras", "TensorFlow"), ("torch.nn.init", "PyTorch")])
def test_foreign_names_the_library_and_the_fnlearn_equivalent_when_given(module, library):
    thing = _from(module)
    plain = str(errors.foreign("initializer", thing))
    assert plain.startswith(f"the initializer Thing comes from {library}, not fnlearn; use fnlearn's own (for a")
    named = str(errors.foreign("initializer", thing, instead="keras.initializers.HeNormal"))
    assert named.startswith(f"the initializer Thing comes from {library}, not fnlearn; use fnlearn's own "
                            "keras.initializers.HeNormal (for a Keras program write `from fnlearn import keras`")
    assert named.endswith(".") and named.count(". ") == 0
    with pytest.raises(ConfigError, match="keras.initializers.HeNormal"):
        errors.reject_foreign("initializer", thing, "keras.initializers.HeNormal")


def test_foreign_lets_everything_else_through():
    import numpy as np

    for obj in ("he_normal", 3, None, np.tanh, lambda x: x, _from("fnlearn.nn.initializers"), _from("sklearn.x")):
        assert errors.foreign("initializer", obj) is None
        errors.reject_foreign("initializer", obj)
