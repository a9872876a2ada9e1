"""fnlearn's Dataset (tf.data's counterpart): elements, batches, tf.data's buffered shuffle drawn again at every
pass, the counts it keeps, caching, and the mistakes it refuses."""

from __future__ import annotations

import numpy as np
import pytest

import fnlearn as fl
from fnlearn.compat import tensorflow as tf
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.pipeline import INFINITE, UNKNOWN, Batch, Dataset, buffer_shuffled

X = np.arange(20.0).reshape(10, 2)
Y = np.arange(10)


def labels_of(ds):
    return [int(v) for _, labels in ds for v in np.atleast_1d(labels)]


def test_slices_batches_and_their_counts():
    ds = Dataset.from_tensor_slices((X, Y))
    assert len(ds) == 10 and ds.cardinality() == 10
    x0, y0 = next(iter(ds))
    np.testing.assert_array_equal(x0, [0.0, 1.0])
    assert int(y0) == 0 and y0.shape == ()
    batched = ds.batch(4)
    assert len(batched) == 3 and [b.shape for b, _ in batched] == [(4, 2), (4, 2), (2, 2)]
    assert len(ds.batch(4, drop_remainder=True)) == 2 and labels_of(ds.batch(4, drop_remainder=True)) == list(range(8))
    np.testing.assert_array_equal(np.concatenate([b for b, _ in batched]), X)
    assert labels_of(batched.unbatch()) == list(range(10))
    assert labels_of(batched.unbatch().batch(3)) == list(range(10))
    assert labels_of(ds.batch(4).map(lambda x, y: (x, y)).unbatch()) == list(range(10))  # split batch by batch


def test_dicts_and_single_arrays_and_tensors():
    ds = Dataset.from_tensor_slices({"a": X, "b": fl.tensor(Y)}).batch(5)
    first = next(iter(ds))
    assert sorted(first) == ["a", "b"] and first["a"].shape == (5, 2)
    assert [int(v) for v in Dataset.from_tensor_slices([3, 4, 5])] == [3, 4, 5]  # a list is one array, as in tf


def test_elements_answer_numpy_as_tensorflow_tensors_do():
    images, labels = next(iter(Dataset.from_tensor_slices((X, Y)).batch(3)))
    assert isinstance(images, Batch) and type(images.numpy()) is np.ndarray
    assert images[1].numpy().astype("uint8").tolist() == [2, 3]
    names = ["a", "b", "c"]
    assert names[labels[2]] == "c"  # a label indexes the class names
    assert all(type(a) is np.ndarray for a in next(Dataset.from_tensor_slices((X, Y)).batch(3).as_numpy_iterator()))
    assert repr(labels) == "array([0, 1, 2])"


def test_take_skip_repeat_and_their_cardinality():
    ds = Dataset.from_tensor_slices(Y)
    assert [int(v) for v in ds.take(3)] == [0, 1, 2] and ds.take(3).cardinality() == 3
    assert [int(v) for v in ds.skip(8)] == [8, 9] and ds.skip(8).cardinality() == 2
    assert ds.take(-1).cardinality() == 10 and ds.skip(-1).cardinality() == 0
    assert ds.repeat(2).cardinality() == 20 and [int(v) for v in ds.repeat(2)][9:12] == [9, 0, 1]
    assert ds.repeat().cardinality() == INFINITE
    assert [int(v) for v in ds.repeat().take(12)][-2:] == [0, 1]
    assert ds.filter(lambda v: v > 4).cardinality() == UNKNOWN
    assert ds.map(lambda v: v).take(4).cardinality() == 4
    with pytest.raises(TypeError, match="infinite"):
        len(ds.repeat())
    with pytest.raises(TypeError, match="unknown"):
        len(ds.filter(lambda v: True))
    assert len(list(ds.filter(lambda v: v % 3 == 0))) == 4  # list() copes with an unknown length


def test_shuffle_draws_a_new_order_every_pass_and_a_seed_repeats_them():
    ds = Dataset.from_tensor_slices((X, Y)).shuffle(10, seed=3).batch(10)
    first, second = labels_of(ds), labels_of(ds)
    assert sorted(first) == sorted(second) == list(range(10)) and first != second
    again = Dataset.from_tensor_slices((X, Y)).shuffle(10, seed=3).batch(10)
    assert labels_of(again) == first and labels_of(again) == second
    fixed = Dataset.from_tensor_slices(Y).shuffle(10, seed=3, reshuffle_each_iteration=False)
    assert [int(v) for v in fixed] == [int(v) for v in fixed]
    fl.set_seed(7)
    a = labels_of(Dataset.from_tensor_slices((X, Y)).shuffle(10).batch(10))
    fl.set_seed(7)
    assert labels_of(Dataset.from_tensor_slices((X, Y)).shuffle(10).batch(10)) == a
    # a batched dataset shuffles whole batches, as tf.data does
    batches = [b.tolist() for _, b in Dataset.from_tensor_slices((X, Y)).batch(5).shuffle(2, seed=0)]
    assert sorted(batches) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


def test_a_small_shuffle_buffer_moves_each_element_only_a_little():
    rng = np.random.default_rng(0)
    assert list(buffer_shuffled(range(50), 1, rng)) == list(range(50))  # a buffer of one keeps the order
    order = list(buffer_shuffled(range(200), 4, rng))
    assert sorted(order) == list(range(200)) and order != list(range(200))
    # an element leaves the buffer at the earliest 4 places before its own, so none comes out much early
    assert min(position - value for position, value in enumerate(order)) >= -3
    # the row path (a dataset of arrays) draws the same kind of order
    rows = [int(v) for v in Dataset.from_tensor_slices(np.arange(200)).shuffle(4, seed=1)]
    assert sorted(rows) == list(range(200)) and min(p - v for p, v in enumerate(rows)) >= -3


def test_map_spreads_tuples_keeps_results_on_the_host_and_cache_keeps_the_first_pass():
    calls = []

    def double(x, y):
        calls.append(1)
        return fl.layers.Rescaling(2.0)(x), y  # a layer gives a tensor; the dataset keeps NumPy arrays

    ds = Dataset.from_tensor_slices((X, Y)).batch(5).map(double)
    images, _ = next(iter(ds))
    assert isinstance(images, Batch) and float(np.max(images)) == 18.0
    cached = ds.cache()
    calls.clear()
    assert labels_of(cached) == labels_of(cached) == list(range(10)) and len(calls) == 2
    partial = Dataset.from_tensor_slices(Y).map(lambda v: calls.append(1) or v).cache()
    calls.clear()
    list(partial.take(3))  # a pass broken off is not kept
    list(partial)
    list(partial)
    assert len(calls) == 3 + 10


def test_zip_generators_and_prefetch():
    a, b = Dataset.from_tensor_slices(Y), Dataset.from_tensor_slices(X)
    pairs = list(Dataset.zip((a, b)).batch(4))
    assert len(pairs) == 3 and pairs[0][1].shape == (4, 2)
    assert Dataset.zip(a, b.take(3)).cardinality() == 3
    gen = Dataset.from_generator(lambda: ((np.ones(2) * i, i) for i in range(3)))
    assert labels_of(gen) == labels_of(gen) == [0, 1, 2]  # called afresh at every pass
    assert tf.data.Dataset is Dataset and a.prefetch(tf.data.AUTOTUNE).cardinality() == 10
    assert tf.data.experimental.cardinality(a.batch(3)) == 4


def test_batching_elements_of_different_shapes_is_refused():
    ragged = Dataset.from_generator(lambda: iter([np.ones(2), np.ones(3)]))
    with pytest.raises(ShapeError, match=r"different shapes, \(2,\) and \(3,\)"):
        list(ragged.batch(2))


@pytest.mark.parametrize("make,error,words", [
    (lambda: Dataset.from_tensor_slices((X, Y[:4])), ShapeError, ["10 and 4 rows"]),
    (lambda: Dataset.from_tensor_slices(5), ShapeError, ["single value"]),
    (lambda: Dataset.from_tensor_slices(Y).batch(0), ConfigError, ["batch_size", "≥ 1"]),
    (lambda: Dataset.from_tensor_slices(Y).shuffle(0), ConfigError, ["buffer_size"]),
    (lambda: Dataset.from_tensor_slices(Y).shuffle(4, seed=-2), ConfigError, ["seed", "-2"]),
    (lambda: Dataset.from_tensor_slices(Y).take(2.5), ConfigError, ["take count", "2.5"]),
    (lambda: Dataset.from_tensor_slices(Y).cache("cache.tfdata"), ConfigError, ["in memory only"]),
    (lambda: Dataset.from_tensor_slices(Y).map(3), ConfigError, ["map takes a function"]),
    (lambda: Dataset.from_generator(iter([1])), ConfigError, ["function that returns a generator"]),
])
def test_bad_dataset_arguments_are_refused_in_one_sentence(make, error, words):
    with pytest.raises(error) as info:
        make()
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message
