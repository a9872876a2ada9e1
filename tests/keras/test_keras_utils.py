"""keras.utils.pad_sequences (and keras.preprocessing.sequence.pad_sequences) against Keras's own."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from real_keras import real_keras

from fnlearn import errors, keras
from fnlearn.errors import ConfigError
from fnlearn.keras.preprocessing import sequence
from fnlearn.keras.utils import pad_sequences


def _keras_pad():
    keras = real_keras()
    return keras.utils.pad_sequences


def test_preprocessing_sequence_is_the_same_function():
    assert sequence.pad_sequences is pad_sequences


@settings(max_examples=150, deadline=None)
@given(
    seqs=st.lists(st.lists(st.integers(-1000, 1000), max_size=8), min_size=1, max_size=6),
    maxlen=st.one_of(st.none(), st.integers(1, 10)),
    dtype=st.sampled_from(["int32", "int64", "float32", "float64"]),
    padding=st.sampled_from(["pre", "post"]),
    truncating=st.sampled_from(["pre", "post"]),
    value=st.sampled_from([0.0, -1, 2.5]),
    as_arrays=st.booleans(),
)
def test_matches_keras_on_random_lists(seqs, maxlen, dtype, padding, truncating, value, as_arrays):
    if as_arrays:
        seqs = [np.array(s, dtype=np.int64) for s in seqs]
    options = dict(maxlen=maxlen, dtype=dtype, padding=padding, truncating=truncating, value=value)
    mine, theirs = pad_sequences(seqs, **options), _keras_pad()(seqs, **options)
    assert mine.dtype == theirs.dtype and mine.shape == theirs.shape
    np.testing.assert_array_equal(mine, theirs)


@settings(max_examples=60, deadline=None)
@given(lengths=st.lists(st.integers(0, 6), min_size=1, max_size=5), maxlen=st.one_of(st.none(), st.integers(1, 7)),
       padding=st.sampled_from(["pre", "post"]), truncating=st.sampled_from(["pre", "post"]))
def test_matches_keras_with_vector_steps(lengths, maxlen, padding, truncating):
    rng = np.random.default_rng(sum(lengths))
    seqs = [rng.normal(size=(n, 3)) for n in lengths]
    options = dict(maxlen=maxlen, dtype="float32", padding=padding, truncating=truncating)
    mine, theirs = pad_sequences(seqs, **options), _keras_pad()(seqs, **options)
    assert mine.shape == theirs.shape
    np.testing.assert_array_equal(mine, theirs)


def test_strings_pad_with_dtype_object_as_in_keras():
    seqs = [["a", "b"], ["c"]]
    mine = pad_sequences(seqs, dtype=object, value="<pad>")
    assert mine.tolist() == [["a", "b"], ["<pad>", "c"]]
    np.testing.assert_array_equal(mine, _keras_pad()(seqs, dtype=object, value="<pad>"))


def test_the_rules_written_out():
    assert pad_sequences([[1, 2, 3, 4], [5]], maxlen=3).tolist() == [[2, 3, 4], [0, 0, 5]]
    assert pad_sequences([[1, 2, 3, 4], [5]], maxlen=3, truncating="post", padding="post").tolist() == [
        [1, 2, 3], [5, 0, 0]]
    assert pad_sequences([[], [1]]).tolist() == [[0], [1]]
    assert pad_sequences([[1, 2]], maxlen=0).shape == (1, 0)
    assert pad_sequences([], maxlen=4).shape == (0, 4)
    assert pad_sequences([[1.7]]).dtype == np.int32 and pad_sequences([[1.7]]).tolist() == [[1]]


@pytest.mark.parametrize("call, error, words", [
    (lambda: pad_sequences([[1]], padding="middle"), errors.ConfigError, "padding='middle'"),
    (lambda: pad_sequences([[1]], truncating="both"), errors.ConfigError, "truncating='both'"),
    (lambda: pad_sequences([[1]], maxlen=-1), errors.ConfigError, "maxlen=-1"),
    (lambda: pad_sequences(5), errors.DataError, "sequences is a int"),
    (lambda: pad_sequences([[1], 2]), errors.DataError, "sequences[1] is 2"),
    (lambda: pad_sequences([]), errors.DataError, "sequences is empty and maxlen is None"),
    (lambda: pad_sequences([["a"]], value="x"), errors.ConfigError, "pass dtype=object"),
    (lambda: pad_sequences([[[1, 2]], [[1, 2, 3]]]), errors.DataError, "sequences[1] has steps of shape (3,)"),
])
def test_bad_inputs_are_one_sentence_and_value_errors(call, error, words):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert words in message and isinstance(info.value, ValueError) and message.endswith(".")


def test_keras_config_and_the_utils_aliases_of_keras_3():
    real = real_keras()
    for name in ("floatx", "image_data_format", "epsilon"):
        assert getattr(keras.config, name)() == getattr(real.config, name)()
    assert keras.config.backend() == "numpy"
    keras.config.enable_unsafe_deserialization()  # accepted: fnlearn's files hold no code to unlock
    keras.config.set_image_data_format("channels_last")
    with pytest.raises(ConfigError, match="channels last") as caught:
        keras.config.set_image_data_format("channels_first")
    assert str(caught.value).endswith(".")

    @keras.utils.register_keras_serializable(package="tests", name="utils_registered")
    def doubled(x):
        return x * 2

    try:
        assert keras.saving.get_registered_object("utils_registered") is doubled
    finally:
        keras.saving.get_custom_objects().pop("utils_registered")
    keras.layers.Dense(1)
    keras.utils.clear_session()
    assert keras.layers.Dense(1).name == "dense"
