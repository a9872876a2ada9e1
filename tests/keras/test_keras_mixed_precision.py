"""keras.mixed_precision and keras.config's dtype policies: float32 and float64 taken as Keras's policies of those
names (new layers in that dtype), half precision refused in one sentence before anything changes."""

from __future__ import annotations

import re

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError


def test_policies_of_fnlearns_precisions_as_keras():
    real = real_keras()
    try:
        for name in ("float64", "float32"):
            for lib in (real, keras):
                lib.mixed_precision.set_global_policy(name)
            ours, theirs = keras.mixed_precision.global_policy(), real.mixed_precision.global_policy()
            assert (ours.name, ours.compute_dtype, ours.variable_dtype) == \
                (theirs.name, theirs.compute_dtype, theirs.variable_dtype)
            assert keras.config.floatx() == name and keras.config.dtype_policy() == ours
            layer = keras.layers.Dense(2)
            assert layer(np.ones((1, 3))).dtype == np.dtype(name)
            assert keras.mixed_precision.Policy.from_config(ours.get_config()) == ours
    finally:
        real.mixed_precision.set_global_policy("float32")
        fl.set_default_dtype("float32")
    keras.config.set_dtype_policy(keras.mixed_precision.DTypePolicy("float64"))
    try:
        assert keras.config.floatx() == "float64"
    finally:
        keras.config.set_dtype_policy("float32")


@pytest.mark.parametrize("policy, words", [("mixed_float16", "half precision"), ("bfloat16", "half precision"),
                                           ("float8", "'float32' or 'float64'")])
def test_other_policies_are_one_sentence_and_change_nothing(policy, words):
    with pytest.raises(ConfigError, match=words) as caught:
        keras.mixed_precision.set_global_policy(policy)
    assert keras.config.floatx() == "float32"
    text = str(caught.value)
    assert re.search(r"(?<!e\.g)[.;] [A-Z]", text) is None and text.endswith(".")
