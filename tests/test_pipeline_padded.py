"""Dataset.padded_batch: tf.data's padding of variable-length elements, batch by batch."""

from __future__ import annotations

import numpy as np
import pytest

import fnlearn as fl
from fnlearn.errors import ConfigError, DataError, ShapeError
from fnlearn.pipeline import Batch, Dataset


def ragged(*rows: list[int]) -> Dataset:
    return Dataset.from_generator(lambda: iter([np.array(r, dtype=np.int64) for r in rows]))


def test_pads_each_batch_to_its_longest_at_the_end():
    batches = list(ragged([1, 2], [3], [4, 5, 6], [7]).padded_batch(2))
    assert [b.tolist() for b in batches] == [[[1, 2], [3, 0]], [[4, 5, 6], [7, 0, 0]]]
    assert all(isinstance(b, Batch) and b.dtype == np.int64 for b in batches)
    assert batches[0].numpy().shape == (2, 2)


def test_tf_data_documented_example():
    # tf.data's docstring: range(1, 5).map(lambda x: tf.fill([x], x)).padded_batch(2)
    ds = Dataset.from_tensor_slices(np.arange(1, 5)).map(lambda x: np.full([int(x)], int(x)))
    assert [b.tolist() for b in ds.padded_batch(2)] == [[[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]]]
    # padded_shapes=5 pads to 5 everywhere; padding_values=-1
    assert [b.tolist() for b in ds.padded_batch(2, padded_shapes=5, padding_values=-1)] == [
        [[1, -1, -1, -1, -1], [2, 2, -1, -1, -1]], [[3, 3, 3, -1, -1], [4, 4, 4, 4, -1]]]


def test_last_batch_and_drop_remainder_and_cardinality():
    ds = ragged([1], [2, 2], [3, 3, 3])
    assert [b.shape for b in ds.padded_batch(2)] == [(2, 2), (1, 3)]
    assert [b.shape for b in ds.padded_batch(2, drop_remainder=True)] == [(2, 2)]
    rows = Dataset.from_tensor_slices(np.arange(5)).map(lambda v: np.ones(int(v) + 1))
    assert rows.padded_batch(2).cardinality() == 3
    assert rows.padded_batch(2, drop_remainder=True).cardinality() == 2
    assert len(list(rows.padded_batch(2, drop_remainder=True))) == 2


def test_tuples_with_fixed_and_free_axes_and_structured_values():
    def gen():
        for n in (1, 3, 2):
            yield np.arange(1, n + 1, dtype=np.float32), np.int32(n)

    ds = Dataset.from_generator(gen)
    x, y = next(iter(ds.padded_batch(3)))
    assert x.tolist() == [[1, 0, 0], [1, 2, 3], [1, 2, 0]] and x.dtype == np.float32
    assert y.tolist() == [1, 3, 2] and y.dtype == np.int32
    x, y = next(iter(ds.padded_batch(3, padded_shapes=([4], []), padding_values=(-1.0, None))))
    assert x.tolist() == [[1, -1, -1, -1], [1, 2, 3, -1], [1, 2, -1, -1]]
    assert y.tolist() == [1, 3, 2]
    x, _ = next(iter(ds.padded_batch(3, padded_shapes=([-1], None))))
    assert x.shape == (3, 3)


def test_two_axes_and_dicts():
    def gen():
        yield {"a": np.ones((1, 2)), "b": np.array([5])}
        yield {"a": np.ones((3, 1)), "b": np.array([6, 7])}

    out = next(iter(Dataset.from_generator(gen).padded_batch(2, padded_shapes={"a": [None, 4], "b": [None]})))
    assert out["a"].shape == (2, 3, 4)
    expected = np.zeros((2, 3, 4))
    expected[0, :1, :2] = 1
    expected[1, :3, :1] = 1
    np.testing.assert_array_equal(out["a"], expected)
    assert out["b"].tolist() == [[5, 0], [6, 7]]


def test_strings_pad_with_empty_string():
    def gen():
        yield np.array(["a", "b"])
        yield np.array(["c"])

    out = next(iter(Dataset.from_generator(gen).padded_batch(2)))
    assert out.tolist() == [["a", "b"], ["c", ""]]


def test_batches_of_different_lengths_train_a_functional_model():
    from fnlearn import keras

    fl.set_seed(0)
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 9, size=24)
    sequences = [rng.integers(1, 20, size=n) for n in lengths]
    labels = np.array([float(s.sum() % 2) for s in sequences], dtype=np.float32)
    ds = Dataset.from_generator(lambda: iter(zip(sequences, labels))).padded_batch(8)
    widths = {x.shape[1] for x, _ in ds}
    assert len(widths) > 1  # the batches differ in length
    inputs = keras.Input(shape=(None,))
    hidden = keras.layers.Embedding(20, 4)(inputs)
    hidden = keras.layers.GlobalAveragePooling1D()(hidden)
    outputs = keras.layers.Dense(1, activation="sigmoid")(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()
    assert model.predict(ds, verbose=0).shape == (24, 1)


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"batch_size": 0}, ConfigError, "batch_size"),
    ({"batch_size": 2, "padded_shapes": "long"}, ConfigError, "padded_shapes"),
    ({"batch_size": 2, "padded_shapes": [3.5]}, ConfigError, "padded_shapes"),
    ({"batch_size": 2, "padded_shapes": [-2]}, ConfigError, "padded_shapes"),
])
def test_bad_arguments_are_refused_when_called(kwargs, error, words):
    with pytest.raises(error, match=words):
        ragged([1]).padded_batch(**kwargs)


def test_mismatches_found_on_the_first_batch_say_what_to_do():
    ds = ragged([1, 2, 3], [4])
    with pytest.raises(ShapeError, match="padding cannot shorten"):
        list(ds.padded_batch(2, padded_shapes=[2]))
    with pytest.raises(ShapeError, match="one size"):
        list(ds.padded_batch(2, padded_shapes=[None, None]))
    with pytest.raises(DataError, match="single arrays"):
        list(ds.padded_batch(2, padded_shapes=([None], [])))
    with pytest.raises(DataError, match="single arrays"):
        list(ds.padded_batch(2, padding_values=(0, 0)))
    pairs = Dataset.from_generator(lambda: iter([(np.ones(2), 1), (np.ones(3), 0)]))
    with pytest.raises(DataError, match="tuples of 2"):
        list(pairs.padded_batch(2, padded_shapes=[None]))
    mixed = Dataset.from_generator(lambda: iter([np.ones(2), np.ones((2, 2))]))
    with pytest.raises(ShapeError, match="same number of axes"):
        list(mixed.padded_batch(2))
