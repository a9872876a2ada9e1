"""StringLookup, IntegerLookup and CategoryEncoding: Keras 3's rules (its documented outputs, since its lookup
layers need TensorFlow; CategoryEncoding against Keras itself where it runs), adapt, OOV and mask, invert, each
output mode, a model with fit, saving and loading, and the one-sentence refusals."""

from __future__ import annotations

import os

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, DataError, NotReadyError

L = fl.layers
VOCAB = ["a", "b", "c", "d"]
DATA = [["a", "c", "d"], ["d", "z", "b"]]
INT_VOCAB = [12, 36, 1138, 42]


def out(t):
    return t.numpy() if hasattr(t, "numpy") else np.asarray(t)


# ------------------------------------------------------------------ Keras's documented outputs
def test_string_lookup_keras_docstring_examples():
    assert out(L.StringLookup(vocabulary=VOCAB)(DATA)).tolist() == [[1, 3, 4], [4, 0, 2]]
    layer = L.StringLookup()
    layer.adapt(DATA)
    assert layer.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]  # d twice, then ties high to low
    assert out(layer(DATA)).tolist() == [[5, 3, 1], [1, 2, 4]]
    one_hot = L.StringLookup(vocabulary=VOCAB, output_mode="one_hot")(["a", "b", "c", "d", "z"])
    assert out(one_hot).tolist() == np.eye(5)[[1, 2, 3, 4, 0]].tolist()
    twice = [["a", "c", "d", "d"], ["d", "z", "b", "z"]]
    assert out(L.StringLookup(vocabulary=VOCAB, output_mode="multi_hot")(twice)).tolist() == \
        [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]]
    assert out(L.StringLookup(vocabulary=VOCAB, output_mode="count")(twice)).tolist() == \
        [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]]
    tf_idf = L.StringLookup(output_mode="tf_idf")
    tf_idf.set_vocabulary(VOCAB, idf_weights=[0.25, 0.75, 0.6, 0.4])  # OOV weight: their mean, 0.5
    np.testing.assert_allclose(out(tf_idf(twice)), [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]], rtol=1e-6)
    tf_idf.set_vocabulary(["[UNK]", *VOCAB], idf_weights=[0.9, 0.25, 0.75, 0.6, 0.4])  # OOV weight given
    np.testing.assert_allclose(out(tf_idf(twice)), [[0, 0.25, 0, 0.6, 0.8], [1.8, 0, 0.75, 0, 0.4]], rtol=1e-6)
    inverse = L.StringLookup(vocabulary=VOCAB, invert=True)([[1, 3, 4], [4, 0, 2]])
    assert inverse.tolist() == [["a", "c", "d"], ["d", "[UNK]", "b"]]


def test_integer_lookup_keras_docstring_examples():
    data = np.array([[12, 1138, 42], [42, 1000, 36]])
    assert out(L.IntegerLookup(vocabulary=INT_VOCAB)(data)).tolist() == [[1, 3, 4], [4, 0, 2]]
    layer = L.IntegerLookup()
    layer.adapt(data)
    assert layer.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    assert out(layer(data)).tolist() == [[5, 2, 1], [1, 3, 4]]
    two_oov = L.IntegerLookup(vocabulary=INT_VOCAB, num_oov_indices=2)
    assert out(two_oov(np.array([[12, 1138, 42], [37, 1000, 36]]))).tolist() == [[2, 4, 5], [1, 0, 3]]
    assert two_oov.get_vocabulary() == [-1, -1, *INT_VOCAB]
    inverse = L.IntegerLookup(vocabulary=INT_VOCAB, invert=True)(np.array([[1, 3, 4], [4, 0, 2]]))
    assert out(inverse).tolist() == [[12, 1138, 42], [42, -1, 36]]
    assert out(inverse).dtype == np.int64


def test_category_encoding_matches_keras():
    keras3 = real_keras()
    if keras3.backend.backend() == "tensorflow":
        pytest.skip("compared with Keras on a backend without TensorFlow's int outputs")
    cases = [("one_hot", np.array([3, 2, 0, 1])), ("one_hot", np.array([[0], [3]])),
             ("multi_hot", np.array([[0, 1], [0, 0], [1, 2], [3, 1]])), ("multi_hot", np.array([0, 3])),
             ("count", np.array([[0, 1, 1], [3, 3, 2]])), ("one_hot", np.array(2))]
    for mode, x in cases:
        ours = out(L.CategoryEncoding(num_tokens=4, output_mode=mode)(x))
        theirs = np.asarray(keras3.layers.CategoryEncoding(num_tokens=4, output_mode=mode)(x))
        assert ours.shape == theirs.shape and ours.dtype == np.float32, (mode, x)
        np.testing.assert_array_equal(ours, theirs)
    weights = np.array([[0.1, 0.2], [0.1, 0.1], [0.2, 0.3], [0.4, 0.2]])
    x = np.array([[0, 1], [0, 0], [1, 2], [3, 1]])
    theirs = np.asarray(keras3.layers.CategoryEncoding(4, output_mode="count")(x, count_weights=weights))
    np.testing.assert_allclose(out(L.CategoryEncoding(4, output_mode="count")(x, count_weights=weights)), theirs,
                               rtol=1e-6)


# ------------------------------------------------------------------ adapt
def test_adapt_orders_by_frequency_ties_high_to_low_and_max_tokens_keeps_the_first():
    layer = L.StringLookup(max_tokens=4)
    layer.adapt(np.array(["b", "a", "c", "a", "b", "e", "a", "d"]))
    assert layer.get_vocabulary() == ["[UNK]", "a", "b", "e"]  # a 3, b 2, then e > d > c at 1
    assert layer.vocabulary_size() == 4
    assert layer.get_vocabulary(include_special_tokens=False) == ["a", "b", "e"]
    ints = L.IntegerLookup()
    ints.adapt([5, 7, 5, 9, 7, -3])
    assert ints.get_vocabulary() == [-1, 7, 5, 9, -3]


def test_adapt_from_a_dataset_of_pairs_with_steps_leaves_out_special_tokens():
    ds = fl.data.Dataset.from_tensor_slices((np.array(["x", "y", "y", "[UNK]", "z", "z", "z"]),
                                             np.arange(7))).batch(3)
    layer = L.StringLookup(mask_token="")
    layer.adapt(ds, steps=2)  # x y y | [UNK] z z; the OOV token is not learned
    assert layer.get_vocabulary() == ["", "[UNK]", "z", "y", "x"]


def test_tf_idf_adapt_weights():
    layer = L.StringLookup(output_mode="tf_idf")
    layer.adapt(np.array([["a", "a"], ["a", "b"], ["c", "c"]]))
    assert layer.get_vocabulary() == ["[UNK]", "a", "c", "b"]
    learned = np.log(1 + 3 / (1 + np.array([2.0, 1.0, 1.0])))
    np.testing.assert_allclose(layer.idf_weights, [learned.mean(), *learned], rtol=1e-6)
    np.testing.assert_allclose(out(layer([["a", "q"]])), [[learned.mean(), learned[0], 0, 0]], rtol=1e-6)


# ------------------------------------------------------------------ OOV and mask
def test_mask_token_is_index_zero_in_int_mode_and_dropped_in_the_others():
    layer = L.StringLookup(vocabulary=VOCAB, mask_token="")
    assert layer.get_vocabulary() == ["", "[UNK]", *VOCAB]
    assert out(layer([["a", "", "q"]])).tolist() == [[2, 0, 1]]
    multi = L.StringLookup(vocabulary=VOCAB, mask_token="", output_mode="multi_hot")
    assert multi.get_vocabulary() == ["[UNK]", *VOCAB]
    assert out(multi([["a", "", "q"]])).tolist() == [[1, 1, 0, 0, 0]]
    ints = L.IntegerLookup(vocabulary=INT_VOCAB, mask_token=0, output_mode="one_hot")
    assert out(ints(np.array([0, 42]))).tolist() == [[0, 0, 0, 0, 0], [0, 0, 0, 0, 1]]


def test_num_oov_indices_zero_refuses_unknown_values_and_two_spread_strings():
    with pytest.raises(DataError, match="'z', which is not in its vocabulary"):
        L.StringLookup(vocabulary=VOCAB, num_oov_indices=0)(DATA)
    assert out(L.StringLookup(vocabulary=VOCAB, num_oov_indices=0)(["d"])).tolist() == [3]
    spread = L.StringLookup(vocabulary=VOCAB, num_oov_indices=3)
    ids = out(spread([f"w{i}" for i in range(60)] + ["w1"]))
    assert set(ids.tolist()) == {0, 1, 2} and ids[1] == ids[-1]  # stable: the same string the same bucket


def test_invert_round_trip_with_mask_and_out_of_range_indices():
    forward = L.StringLookup(mask_token="[MASK]")
    forward.adapt(np.array(["cat", "dog", "dog", "cow"]))
    back = L.StringLookup(vocabulary=forward.get_vocabulary(), mask_token="[MASK]", invert=True)
    texts = np.array([["dog", "[MASK]"], ["cow", "cat"]])
    assert back(out(forward(texts))).tolist() == texts.tolist()
    assert back([1, 99, -4]).tolist() == ["[UNK]", "[UNK]", "[UNK]"]
    ints = L.IntegerLookup(vocabulary=INT_VOCAB, mask_token=0)
    inverse = L.IntegerLookup(vocabulary=INT_VOCAB, mask_token=0, invert=True)
    values = np.array([[12, 0, 1000], [36, 42, 1138]])
    assert out(inverse(ints(values))).tolist() == [[12, 0, -1], [36, 42, 1138]]


def test_inputs_bytes_scalars_and_pad_to_max_tokens():
    layer = L.StringLookup(vocabulary=VOCAB, output_mode="count", pad_to_max_tokens=True, max_tokens=8)
    assert out(layer([b"a", "a"])).tolist() == [0, 2, 0, 0, 0, 0, 0, 0]  # 1-D: one sample, as Keras
    assert out(L.StringLookup(vocabulary=VOCAB)("c")).tolist() == 3
    assert out(L.IntegerLookup(vocabulary=INT_VOCAB)(fl.tensor([[36.0, 7.0]]))).tolist() == [[2, 0]]
    assert out(L.IntegerLookup(vocabulary=INT_VOCAB)([[36]])).dtype == np.int64


# ------------------------------------------------------------------ CategoryEncoding
def test_category_encoding_modes():
    assert out(L.CategoryEncoding(3, output_mode="one_hot")([[2], [0]])).tolist() == [[0, 0, 1], [1, 0, 0]]
    assert out(L.CategoryEncoding(3)([[2, 2], [0, 1]])).tolist() == [[0, 0, 1], [1, 1, 0]]
    assert out(L.CategoryEncoding(3, output_mode="count")(fl.tensor([[2.0, 2.0]]))).tolist() == [[0, 0, 2]]
    assert L.CategoryEncoding(3, output_mode="one_hot").output_shape_for((1,)) == (3,)
    assert L.CategoryEncoding(3).output_shape_for((5,)) == (3,)


# ------------------------------------------------------------------ in a model, saved and loaded
def test_integer_lookup_one_hot_dense_model_fits_saves_and_loads(tmp_path):
    fl.set_seed(0)
    rng = np.random.default_rng(0)
    codes = rng.choice([3, 17, 40, 99], size=(256, 1))
    y = (codes[:, 0] >= 40).astype(np.float32).reshape(-1, 1)
    lookup = L.IntegerLookup()
    lookup.adapt(codes)
    model = keras.Sequential([keras.Input(shape=(1,)), lookup,
                              L.CategoryEncoding(num_tokens=lookup.vocabulary_size(), output_mode="one_hot"),
                              L.Dense(1, activation="sigmoid")])
    model.compile(optimizer=fl.optim.Adam(learning_rate=0.1), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(codes, y, epochs=30, batch_size=64, verbose=0)
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]
    assert model.evaluate(codes, y, verbose=0)[1] == 1.0
    unseen = np.array([[5], [40]])
    path = os.path.join(tmp_path, "m.fnl")
    model.save(path)
    loaded = fl.load_model(path)
    assert loaded.layers[0].get_vocabulary() == lookup.get_vocabulary()
    np.testing.assert_array_equal(loaded.predict(np.vstack([codes, unseen]), verbose=0),
                                  model.predict(np.vstack([codes, unseen]), verbose=0))


def test_string_lookup_config_round_trip_keeps_vocabulary_and_idf():
    layer = L.StringLookup(output_mode="tf_idf", mask_token="", num_oov_indices=2)
    layer.adapt(np.array([["x", "y"], ["y", "y"], ["z", ""]]))
    again = L.StringLookup.from_config(layer.get_config())
    assert again.get_vocabulary() == layer.get_vocabulary()
    np.testing.assert_array_equal(again.idf_weights, layer.idf_weights)
    x = [["y", "q", ""]]
    np.testing.assert_array_equal(out(again(x)), out(layer(x)))
    with pytest.raises(ConfigError, match="has been called with vectors of 5 values, so its vocabulary cannot"):
        again.adapt(np.array(["w"]))  # the Dense layer after it counts on 5 values
    fresh = L.StringLookup.from_config(layer.get_config())
    fresh.adapt(np.array(["w"]))  # adapted, not given: it stays adaptable
    assert fresh.get_vocabulary(include_special_tokens=False) == ["w"]


def test_a_model_file_naming_a_vocabulary_path_is_refused():
    from fnlearn import io

    class File:  # what the loader's check is given: the file, which words its errors
        def error(self, message):
            return fl.errors.FnlearnError(f"model file {message}")

    with pytest.raises(fl.errors.FnlearnError, match=r"malformed vocabulary for layer 2 \(StringLookup\)"):
        io._lookup_vocabulary(File(), 2, {"vocabulary": "/etc/passwd"}, "StringLookup")
    with pytest.raises(fl.errors.FnlearnError, match="list of whole numbers"):
        io._lookup_vocabulary(File(), 0, {"vocabulary": [1, "2"]}, "IntegerLookup")
    io._lookup_vocabulary(File(), 0, {"vocabulary": [-1, 4]}, "IntegerLookup")  # a saved one passes


# ------------------------------------------------------------------ refusals in one sentence
@pytest.mark.parametrize("make, error, match", [
    (lambda: L.StringLookup(output_mode="ont_hot"), ConfigError, "output_mode must be"),
    (lambda: L.StringLookup(invert=True, output_mode="count"), ConfigError, "invert=True with output_mode"),
    (lambda: L.StringLookup(sparse=True), ConfigError, "sparse=True"),
    (lambda: L.StringLookup(num_oov_indices=-1), ConfigError, "num_oov_indices must be"),
    (lambda: L.StringLookup(max_tokens=1), ConfigError, "max_tokens must be"),
    (lambda: L.StringLookup(pad_to_max_tokens=True), ConfigError, "without max_tokens"),
    (lambda: L.StringLookup(vocabulary=["a", "a"]), ConfigError, "repeats 'a'"),
    (lambda: L.StringLookup(vocabulary=["a", 3]), ConfigError, "holding int 3"),
    (lambda: L.StringLookup(vocabulary=["a", ""], mask_token=""), ConfigError, "mask token ''"),
    (lambda: L.StringLookup(vocabulary=["a", "b"], max_tokens=2), ConfigError, "exceed max_tokens=2"),
    (lambda: L.StringLookup(output_mode="tf_idf", vocabulary=["a"]), ConfigError, "without idf_weights"),
    (lambda: L.StringLookup(vocabulary=["a"], idf_weights=[1.0]), ConfigError, "for output_mode='tf_idf' only"),
    (lambda: L.IntegerLookup(oov_method="farmhash"), ConfigError, "oov_method='farmhash'"),
    (lambda: L.IntegerLookup(mask_token="x"), ConfigError, "mask_token must be a whole number"),
    (lambda: L.IntegerLookup(vocabulary_dtype="int32"), ConfigError, "vocabulary_dtype must be 'int64'"),
    (lambda: L.CategoryEncoding(), ConfigError, "num_tokens must be a whole number"),
    (lambda: L.CategoryEncoding(3, output_mode="int"), ConfigError, "output_mode must be"),
])
def test_bad_settings_refused_in_one_sentence(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_bad_inputs_refused_in_one_sentence():
    with pytest.raises(NotReadyError, match="has no vocabulary yet"):
        L.StringLookup()(["a"])
    with pytest.raises(DataError, match="takes strings, got int 3"):
        L.StringLookup(vocabulary=VOCAB)(["a", 3])
    with pytest.raises(DataError, match="strings cannot be held in tensors"):
        L.StringLookup(vocabulary=VOCAB)(fl.tensor([1.0]))
    with pytest.raises(DataError, match="not whole numbers"):
        L.IntegerLookup(vocabulary=INT_VOCAB)(np.array([1.5]))
    with pytest.raises(DataError, match=r"indices from 0 to 2 \(num_tokens=3\), got 3"):
        L.CategoryEncoding(3)([[0, 3]])
    with pytest.raises(DataError, match="got -1"):
        L.CategoryEncoding(3, output_mode="one_hot")([-1])
    with pytest.raises(ConfigError, match="count_weights, which are for output_mode='count' only"):
        L.CategoryEncoding(3)([0], count_weights=[1.0])
    with pytest.raises(ConfigError, match="was made with its vocabulary"):
        L.StringLookup(vocabulary=VOCAB).adapt(["a"])
    with pytest.raises(DataError, match="found no strings besides its mask and OOV tokens"):
        L.StringLookup(mask_token="").adapt(["", "[UNK]"])
    with pytest.raises(ConfigError, match="called on a keras.Input"):
        L.StringLookup(vocabulary=VOCAB)(keras.Input(shape=(1,)))


def test_a_model_of_raw_strings_starts_at_a_string_input_and_looks_them_up():
    fl.set_seed(0)
    inputs = keras.Input(shape=(1,), dtype="string")
    lookup = keras.layers.StringLookup(vocabulary=["a", "b", "c"], output_mode="one_hot")
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(lookup(inputs)))
    model.compile("adam", "binary_crossentropy")
    x, y = np.array(["a", "b", "c", "d"] * 4), np.array([1, 0, 1, 0] * 4)
    assert len(model.fit(x, y, epochs=2, verbose=0).history["loss"]) == 2
    dense = model.layers[-1]
    expected = lookup(np.array(["a", "zz"])).numpy() @ dense.kernel.numpy() + dense.bias.numpy()
    np.testing.assert_allclose(model.predict(["a", "zz"]), 1 / (1 + np.exp(-expected)), rtol=1e-5)
