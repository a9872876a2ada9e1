"""keras.dtype_policies and the top-level DTypePolicy names: Keras's configs read and written as Keras's."""

from __future__ import annotations

import pytest
from real_keras import real_keras

import fnlearn.keras as keras
from fnlearn.errors import ConfigError


def test_policies_serialize_and_deserialize_as_keras():
    real = real_keras()
    for name in ("float32", "float64"):
        ours = keras.dtype_policies.serialize(keras.DTypePolicy(name))
        assert ours == real.dtype_policies.serialize(real.DTypePolicy(name))
        assert keras.dtype_policies.deserialize(ours) == keras.dtype_policies.get(ours) == keras.DTypePolicy(name)
    assert keras.FloatDTypePolicy is keras.DTypePolicy is keras.mixed_precision.DTypePolicy
    assert keras.dtype_policies.get(None) == keras.mixed_precision.global_policy()


def test_half_precision_and_bad_configs_are_refused_in_one_sentence():
    with pytest.raises(ConfigError, match="'mixed_float16' computes in half precision"):
        keras.dtype_policies.get("mixed_float16")
    with pytest.raises(ConfigError, match="deserialize takes a dict such as"):
        keras.dtype_policies.deserialize({"class_name": "QuantizedDTypePolicy", "config": {"name": "int8"}})
    with pytest.raises(AttributeError, match="Int8DTypePolicy is a Keras name that fnlearn does not provide"):
        keras.dtype_policies.Int8DTypePolicy  # noqa: B018


def test_the_version_is_the_keras_release_followed():
    assert keras.version() == keras.__version__ and keras.__version__.startswith("3.")
