"""fnlearn.data: conversion of every accepted input, batches, seeded splits, one-hot, scaling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fnlearn as fl
from fnlearn import data
from fnlearn.errors import ConfigError, DataError, NotReadyError, ShapeError

# ----------------------------------------------------------------------------- conversion


def test_nested_lists_become_arrays_keeping_integer_labels():
    assert data.to_array([[1, 2], [3, 4]]).dtype.kind == "i"
    assert data.to_array([[1, 2], [3, 4]], dtype="float32").dtype == np.float32
    assert data.to_array([0.5, 1.5]).dtype == np.float64  # Python floats: NumPy's float64, cast later


def test_ragged_lists_text_and_empty_inputs_are_refused_in_one_sentence():
    with pytest.raises(DataError, match="different lengths"):
        data.to_array([[1, 2], [3]])
    with pytest.raises(DataError, match="needs numbers"):
        data.to_array(np.array(["a", "b"]))
    with pytest.raises(DataError, match="no rows"):
        data.to_array(np.zeros((0, 3)))
    with pytest.raises(DataError, match="single number"):
        data.to_array(3.0)
    with pytest.raises(DataError, match="None"):
        data.to_array(None, "y")


def test_dataframe_and_series_are_read_through_to_numpy():
    df = pd.DataFrame({"height": [150, 160], "income": [3.5, 4.5]})
    arr = data.as_features(df, "float32")
    assert arr.dtype == np.float32 and arr.tolist() == [[150.0, 3.5], [160.0, 4.5]]
    s = pd.Series([0, 1], name="liked")
    assert data.to_array(s).tolist() == [0, 1] and data.to_array(s).dtype.kind == "i"


def test_text_column_of_a_dataframe_is_named():
    df = pd.DataFrame({"height": [150, 160], "city": ["Taipei", "Tainan"]})
    with pytest.raises(DataError, match="column 'city'"):
        data.as_features(df, "float32")


def test_nullable_column_with_missing_value_becomes_nan_that_check_finite_locates():
    df = pd.DataFrame({"a": pd.array([1, None, 3], dtype="Int64"), "b": [1.0, 2.0, 3.0]})
    arr = data.as_features(df, "float32")
    assert np.isnan(arr[1, 0]) and arr[2, 0] == 3
    with pytest.raises(DataError, match="row 1, column 0"):
        fl.functional.check_finite(arr, "x")


def test_tensors_are_accepted_and_one_dimensional_features_become_a_column():
    t = fl.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert data.as_features(t, "float32").shape == (2, 2)
    col = data.as_features([1, 2, 3], "float64")
    assert col.shape == (3, 1) and col.dtype == np.float64
    assert data.as_features(np.array([True, False]), "float32").dtype == np.float32


def test_check_same_rows_names_both_counts():
    with pytest.raises(ShapeError, match="x has 3 rows but y has 2"):
        data.check_same_rows(np.zeros((3, 1)), np.zeros(2))


# ----------------------------------------------------------------------------- batches, shuffles, splits


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "32"])
def test_batch_size_must_be_a_positive_int(bad):
    with pytest.raises(ConfigError, match="batch_size must be a positive integer"):
        data.check_batch_size(bad)


def test_batch_slices_cover_every_row_once_with_a_short_last_batch():
    slices = list(data.batch_slices(10, 4))
    assert [(s.start, s.stop) for s in slices] == [(0, 4), (4, 8), (8, 10)]


def test_permutation_is_seeded():
    fl.set_seed(5)
    a = data.permutation(50)
    fl.set_seed(5)
    b = data.permutation(50)
    fl.set_seed(6)
    c = data.permutation(50)
    assert (a == b).all() and not (a == c).all() and sorted(a) == list(range(50))


def test_permutation_is_numpys_order_in_half_the_bytes():
    """The same batches as NumPy's own permutation of the seed (earlier runs repeat exactly), in int32."""
    for n in (1, 7, 60_000):
        order = data.permutation(n, np.random.default_rng(3))
        assert order.dtype == np.int32
        np.testing.assert_array_equal(order, np.random.default_rng(3).permutation(n))


def test_split_validation_shuffles_before_splitting():
    fl.set_seed(0)
    train, val = data.split_validation(100, 0.2)
    assert len(train) == 80 and len(val) == 20
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(100))
    assert val.tolist() != list(range(80, 100))  # not Keras's last rows
    assert (np.diff(train) > 0).all() and (np.diff(val) > 0).all()  # original order kept within each part
    fl.set_seed(0)
    assert (data.split_validation(100, 0.2)[1] == val).all()
    train_k, val_k = data.split_validation(100, 0.2, shuffle=False)
    assert val_k.tolist() == list(range(80, 100))


@pytest.mark.parametrize("bad", [1.0, -0.1, 1.5, "0.2", True])
def test_validation_split_outside_unit_interval_is_refused(bad):
    with pytest.raises(ConfigError, match=r"\[0, 1\)"):
        data.split_validation(10, bad)


def test_split_counts_as_keras_and_refuses_an_empty_side():
    # Keras holds out n − ⌊n·(1 − s)⌋ rows: any fraction above 0 keeps at least one
    assert [len(data.split_validation(n, s)[1]) for n, s in [(10, 0.25), (30, 0.15), (3, 0.1), (10, 0.2)]] == \
        [3, 5, 1, 2]
    with pytest.raises(ConfigError, match="validation_split=0.9 of 3 rows leaves no training rows"):
        data.split_validation(3, 0.9)
    with pytest.raises(ConfigError, match="test_size=0.9 of 3 rows leaves no training rows; use a smaller"):
        data.train_test_split(np.arange(3), test_size=0.9)


def test_train_test_split_keeps_pairs_together():
    fl.set_seed(1)
    x = np.arange(20).reshape(10, 2)
    y = np.arange(10)
    x_tr, x_te, y_tr, y_te = data.train_test_split(x, y, test_size=0.3)
    assert x_tr.shape == (7, 2) and x_te.shape == (3, 2)
    assert (x_tr[:, 0] // 2 == y_tr).all() and (x_te[:, 0] // 2 == y_te).all()
    with pytest.raises(ShapeError):
        data.train_test_split(x, y[:5])


# ----------------------------------------------------------------------------- labels and scaling


def test_to_categorical_one_hot_rows():
    out = data.to_categorical([2, 0, 1, 2])
    assert out.dtype == np.float32 and out.shape == (4, 3)
    assert out.argmax(axis=1).tolist() == [2, 0, 1, 2] and (out.sum(axis=1) == 1).all()
    assert data.to_categorical(np.array([[1], [0]]), num_classes=4).shape == (2, 4)  # (n, 1) column dropped
    assert data.to_categorical(pd.Series([1.0, 0.0])).tolist() == [[0, 1], [1, 0]]


def test_to_categorical_refuses_bad_labels():
    with pytest.raises(DataError, match="non-integer"):
        data.to_categorical([0.5, 1.0])
    with pytest.raises(DataError, match="negative"):
        data.to_categorical([-1, 1])
    with pytest.raises(DataError, match="num_classes=3"):
        data.to_categorical([0, 3], num_classes=3)
    with pytest.raises(ConfigError):
        data.to_categorical([0, 1], num_classes=0)
    with pytest.raises(DataError, match=r"got no labels \(y has shape \(3, 0\)\)"):
        data.to_categorical(np.zeros((3, 0), dtype=int), 2)


def test_normalize_rows_to_unit_length():
    out = data.normalize([[3.0, 4.0], [0.0, 0.0]])
    assert np.allclose(out, [[0.6, 0.8], [0.0, 0.0]])
    one = data.normalize(np.array([-3.0, 4.0]))  # one vector: scaled as a whole, float64 kept
    assert one.dtype == np.float64 and one.tolist() == [-0.6, 0.8]
    assert data.normalize(np.arange(8.0).reshape(2, 2, 2), axis=1).shape == (2, 2, 2)


def test_standardizer_uses_training_statistics_and_inverts():
    train = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 10.0]])
    s = data.Standardizer().fit(train)
    z = s.transform(train)
    assert np.allclose(z[:, 0].mean(), 0) and np.allclose(z[:, 0].std(), 1)
    assert np.allclose(z[:, 1], 0)  # a constant column is only shifted
    assert np.allclose(s.inverse_transform(z), train)
    with pytest.raises(ShapeError):
        s.transform(np.zeros((2, 3)))
    with pytest.raises(NotReadyError, match="fit"):
        data.Standardizer().transform(train)


def test_scalers_keep_small_differences_of_large_values():
    # timestamps 30 s apart: float32 rounds 1.7e9 to steps of 128, float64 keeps them apart
    stamps = 1.7e9 + np.array([[0.0], [30.0], [60.0], [90.0]])
    z = data.Standardizer().fit_transform(stamps)
    assert z.dtype == np.float32 and np.allclose(z.ravel(), [-1.3416408, -0.4472136, 0.4472136, 1.3416408])
    assert np.allclose(data.MinMaxScaler().fit_transform(stamps).ravel(), [0, 1 / 3, 2 / 3, 1])


def test_min_max_scaler_maps_the_training_range():
    s = data.MinMaxScaler(feature_range=(-1, 1))
    out = s.fit_transform([[0.0], [5.0], [10.0]])
    assert np.allclose(out.ravel(), [-1, 0, 1])
    assert np.allclose(s.inverse_transform(out).ravel(), [0, 5, 10])
    with pytest.raises(ConfigError):
        data.MinMaxScaler(feature_range=(1, 0))


def test_numbers_held_as_python_objects_are_numbers():
    # np.array(df) of a table with bool and float columns (pandas.get_dummies makes bool columns) is dtype object
    table = np.array(pd.DataFrame({"weight": [1.0, 2.0, 4.0], "europe": [True, False, True]}))
    assert table.dtype == object
    norm = fl.layers.Normalization()
    norm.adapt(table)
    np.testing.assert_allclose(norm.mean.numpy(), [7 / 3, 2 / 3], rtol=1e-6)
    model = fl.Sequential([fl.layers.Dense(1, input_dim=2)])
    model.compile("sgd", "mse")
    model.fit(table, np.array([1, 2, 3], dtype=object), verbose=0)
    for text in (np.array(["1.5", 2.0], dtype=object), np.array([None, 2.0], dtype=object)):
        with pytest.raises(DataError, match="dtype object"):
            data.to_array(text)


def test_train_test_split_takes_scikit_learns_random_state_and_names_what_it_does_not_take():
    x, y = np.arange(40).reshape(20, 2), np.arange(20)
    first = fl.data.train_test_split(x, y, test_size=0.25, random_state=42)
    fl.set_seed(5)
    again = fl.data.train_test_split(x, y, test_size=0.25, random_state=42)
    other = fl.data.train_test_split(x, y, test_size=0.25, random_state=43)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))  # the same split whatever the global seed
    assert not np.array_equal(first[3], other[3]) and sorted(first[2].tolist() + first[3].tolist()) == list(range(20))
    with pytest.raises(ConfigError, match=r"train_test_split got the argument stratify, which it does not take "
                                          r"\(fnlearn's split is not stratified; give test_size\)"):
        fl.data.train_test_split(x, y, stratify=y)
    with pytest.raises(ConfigError, match=r"got the argument test_szie, which it does not take; did you mean "
                                          r"'test_size'"):
        fl.data.train_test_split(x, y, test_szie=0.3)
    with pytest.raises(ConfigError, match=r"random_state must be a non-negative integer, got -1"):
        fl.data.train_test_split(x, y, random_state=-1)
