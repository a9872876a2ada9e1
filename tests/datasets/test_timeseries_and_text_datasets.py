"""keras.utils.timeseries_dataset_from_array and text_dataset_from_directory: Keras 3's windows, targets, file
order, shuffles and splits (against real Keras's index and split where it runs without TensorFlow, else against
a reference written out here and Keras's documented examples)."""

from __future__ import annotations

import os

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import keras
from fnlearn.datasets.sequences import index_files, text_dataset_from_directory, timeseries_dataset_from_array
from fnlearn.errors import ConfigError, DataError, DatasetError, ShapeError
from fnlearn.pipeline import Dataset

# ----------------------------------------------------------------------------- time series


def reference_windows(data, targets, length, stride=1, rate=1, start=None, end=None, seed=None):
    """Keras 3's windows written out plainly: the starts, shuffled by RandomState(seed) as Keras shuffles its
    int32 start array, and for each the window and its target."""
    start = start or 0
    end = end or len(data)
    count = end - start - (length - 1) * rate
    if targets is not None:
        count = min(count, len(targets))
    starts = np.arange(0, count, stride, dtype="int32")
    if seed is not None:
        np.random.RandomState(seed).shuffle(starts)
    windows = [data[start:end][[p + k * rate for k in range(length)]] for p in starts]
    return windows, None if targets is None else [targets[start:end][p] for p in starts]


def collect(ds):
    xs, ys = [], []
    for x, y in ds.unbatch():
        xs.append(np.asarray(x))
        ys.append(np.asarray(y))
    return xs, ys


@pytest.mark.parametrize(("length", "stride", "rate", "start", "end"), [
    (10, 3, 2, None, None), (1, 1, 1, None, None), (4, 1, 3, 5, 60), (6, 7, 1, 2, None), (3, 2, 5, None, 90)])
def test_windows_and_targets_match_the_reference(length, stride, rate, start, end):
    data = np.arange(99 * 2, dtype=np.float32).reshape(99, 2)
    targets = np.arange(99) * 10
    xs, ys = collect(timeseries_dataset_from_array(data, targets, length, stride, rate, batch_size=7,
                                                   start_index=start, end_index=end))
    want_x, want_y = reference_windows(data, targets, length, stride, rate, start, end)
    assert len(xs) == len(want_x)
    for a, b in zip(xs, want_x):
        np.testing.assert_array_equal(a, b)
    assert [int(v) for v in ys] == [int(v) for v in want_y]


def test_keras_documented_example_1():
    # indices 0..98, sequence_length=10, sampling_rate=2, sequence_stride=3
    ds = timeseries_dataset_from_array(np.arange(99), None, sequence_length=10, sequence_stride=3, sampling_rate=2,
                                       batch_size=None)
    windows = [w.tolist() for w in ds]
    assert windows[0] == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]
    assert windows[1] == [3, 5, 7, 9, 11, 13, 15, 17, 19, 21]
    assert windows[2] == [6, 8, 10, 12, 14, 16, 18, 20, 22, 24]
    assert windows[-1] == [78, 80, 82, 84, 86, 88, 90, 92, 94, 96]


def test_keras_documented_examples_2_and_3():
    data = np.random.default_rng(0).normal(size=100)
    inputs, targets = next(iter(timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10)))
    np.testing.assert_array_equal(inputs[0], data[:10])
    assert targets[0] == data[10]
    assert inputs.shape == (81, 10) and inputs.dtype == np.float64  # one batch of 128 holds all 81 windows

    x = np.arange(100)
    y = x * 2
    a = timeseries_dataset_from_array(x, None, sequence_length=20, sequence_stride=20)
    b = timeseries_dataset_from_array(y, None, sequence_length=20, sequence_stride=20)
    for inputs, outputs in zip(a, b):
        np.testing.assert_array_equal(inputs[0], x[:20])
        np.testing.assert_array_equal(outputs[1], y[20:40])


def test_batches_last_partial_and_unbatched():
    ds = timeseries_dataset_from_array(np.arange(30.0), np.arange(30), sequence_length=5, batch_size=8)
    shapes = [(x.shape, y.shape) for x, y in ds]
    assert shapes == [((8, 5), (8,))] * 3 + [((2, 5), (2,))]
    assert len(ds) == 4 and ds.cardinality() == 4
    single = timeseries_dataset_from_array(np.ones((30, 3)), np.ones((30, 2)), sequence_length=5, batch_size=None)
    x, y = next(iter(single))
    assert x.shape == (5, 3) and y.shape == (2,) and len(single) == 26
    assert x.numpy().shape == (5, 3)  # tutorials call .numpy()
    only = timeseries_dataset_from_array(np.arange(10), None, sequence_length=4, batch_size=3)
    assert [b.tolist() for b in only][-1] == [[6, 7, 8, 9]]


def test_shuffle_is_keras_order_of_starts_then_a_seeded_buffer():
    data = np.arange(200)
    ds = timeseries_dataset_from_array(data, data, sequence_length=3, sequence_stride=2, batch_size=4, shuffle=True,
                                       seed=7)
    want, _ = reference_windows(data, data, 3, 2, seed=7)
    first = [w.tolist() for x, _ in ds for w in x]
    second = [w.tolist() for x, _ in ds for w in x]
    # the same windows, every pass a new order drawn through a buffer of 8 batches over Keras's shuffled starts
    assert sorted(first) == sorted(w.tolist() for w in want) and first != second
    again = timeseries_dataset_from_array(data, data, sequence_length=3, sequence_stride=2, batch_size=4,
                                          shuffle=True, seed=7)
    assert [w.tolist() for x, _ in again for w in x] == first  # seeded: repeatable
    positions = {tuple(w.tolist()): i for i, w in enumerate(want)}
    assert max(positions[tuple(w)] - i for i, w in enumerate(first)) < 4 * 8  # no window further ahead than the buffer
    for x, y in ds:  # each window keeps its own target
        assert x[:, 0].tolist() == y.tolist()


def test_shuffle_without_seed_follows_fl_set_seed():
    def order():
        fl.set_seed(3)
        ds = timeseries_dataset_from_array(np.arange(50), None, sequence_length=2, batch_size=5, shuffle=True)
        return [b.tolist() for b in ds]

    assert order() == order()


def test_pandas_like_input_and_keras_names():
    class Frame:  # what tutorials pass: a DataFrame, read through to_numpy()
        def __init__(self, values):
            self.values = values

        def to_numpy(self):
            return self.values

        def __len__(self):
            return len(self.values)

    ds = keras.preprocessing.timeseries_dataset_from_array(Frame(np.ones((20, 2))), Frame(np.zeros(20)),
                                                           sequence_length=4, sampling_rate=2, batch_size=16)
    assert keras.utils.timeseries_dataset_from_array is timeseries_dataset_from_array
    assert isinstance(ds, Dataset)
    assert [x.shape for x, _ in ds] == [(14, 4, 2)]


def test_fit_takes_the_windows():
    fl.set_seed(0)
    series = np.sin(np.arange(300) / 8).astype(np.float32)[:, None]
    train = timeseries_dataset_from_array(series[:-6], series[6:, 0], sequence_length=6, batch_size=32)
    model = keras.Sequential([keras.Input(shape=(6, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(train, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"sequence_length": 0}, ConfigError, "sequence_length"),
    ({"sequence_length": 2.5}, ConfigError, "sequence_length"),
    ({"sequence_length": 3, "sequence_stride": 0}, ConfigError, "sequence_stride"),
    ({"sequence_length": 3, "sequence_stride": 20}, ConfigError, "sequence_stride must be below"),
    ({"sequence_length": 3, "sampling_rate": 20}, ConfigError, "sampling_rate must be below"),
    ({"sequence_length": 3, "start_index": -1}, ConfigError, "start_index"),
    ({"sequence_length": 3, "start_index": 20}, ConfigError, "start_index must be below"),
    ({"sequence_length": 3, "start_index": 5, "end_index": 5}, ConfigError, "end_index must be above"),
    ({"sequence_length": 3, "end_index": 20}, ConfigError, "end_index must be below"),
    ({"sequence_length": 3, "end_index": 0}, ConfigError, "end_index"),
    ({"sequence_length": 3, "batch_size": 0}, ConfigError, "batch_size"),
    ({"sequence_length": 3, "shuffle": "yes"}, ConfigError, "shuffle"),
    ({"sequence_length": 3, "shuffle": True, "seed": -1}, ConfigError, "seed"),
    ({"sequence_length": 3, "format": "torch"}, ConfigError, "format"),
    ({"sequence_length": 30}, DataError, "no window"),
])
def test_bad_arguments_refused_in_one_sentence(kwargs, error, words):
    with pytest.raises(error, match=words):
        timeseries_dataset_from_array(np.arange(20), None, **kwargs)


def test_bad_data_and_targets_refused():
    with pytest.raises(ShapeError, match="single value"):
        timeseries_dataset_from_array(5.0, None, sequence_length=1)
    with pytest.raises(ShapeError, match="targets has 3 rows"):
        timeseries_dataset_from_array(np.arange(20), np.arange(3), sequence_length=2, start_index=5)
    # fewer targets than windows: Keras keeps as many windows as targets
    ds = timeseries_dataset_from_array(np.arange(20), np.arange(4), sequence_length=2, batch_size=None)
    assert len(ds) == 4


# ----------------------------------------------------------------------------- folders of texts


def write(root, files):
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as file:
            file.write(text.encode("utf-8") if isinstance(text, str) else text)
    return str(root)


@pytest.fixture
def reviews(tmp_path):
    files = {f"pos/{i}.txt": f"good film {i}" for i in range(7)}
    files |= {f"neg/{i}.txt": f"bad film {i}" for i in range(6)}
    files |= {"neg/deeper/x.txt": "bad deeper", "neg/readme.md": "not read", ".hidden/h.txt": "never",
              "unsup/u.TXT": "neither good nor bad"}
    return write(tmp_path / "reviews", files)


def keras_index(directory, **kwargs):
    from real_keras import real_keras

    real_keras()
    from keras.src.utils import dataset_utils

    return dataset_utils, dataset_utils.index_directory(directory, formats=(".txt",), **kwargs)


@pytest.mark.parametrize("shuffle", [False, True])
def test_file_order_and_labels_are_keras(reviews, shuffle, capsys):
    dataset_utils, (paths, labels, names) = keras_index(reviews, labels="inferred", shuffle=shuffle, seed=11)
    ours = index_files(reviews, "inferred", (".txt",), shuffle=shuffle, seed=11)
    assert ours[0] == list(paths) and ours[1] == list(labels) and ours[2] == list(names)
    ds = text_dataset_from_directory(reviews, shuffle=shuffle, seed=11, batch_size=4, verbose=False)
    assert ds.file_paths == list(paths) and ds.class_names == ["neg", "pos", "unsup"]
    if not shuffle:  # the texts in that order
        texts, got = zip(*[(t, int(y)) for x, y in ds for t, y in zip(x.tolist(), y)])
        assert list(texts) == [open(p, encoding="utf-8").read() for p in paths]
        assert list(got) == list(labels)


@pytest.mark.parametrize("subset", ["training", "validation"])
def test_validation_split_is_keras(reviews, subset):
    dataset_utils, (paths, labels, _) = keras_index(reviews, labels="inferred", shuffle=True, seed=5)
    want_paths, want_labels = dataset_utils.get_training_or_validation_split(paths, labels, 0.3, subset)
    ds = text_dataset_from_directory(reviews, seed=5, validation_split=0.3, subset=subset, verbose=False)
    assert ds.file_paths == list(want_paths)
    x, y = next(iter(ds.unbatch().batch(100)))
    by_path = dict(zip(want_paths, want_labels))
    assert sorted(y.tolist()) == sorted(int(v) for v in by_path.values())
    assert sorted(x.tolist()) == sorted(open(p, encoding="utf-8").read() for p in want_paths)


def test_both_subsets_are_disjoint_and_complete(reviews, capsys):
    train, val = text_dataset_from_directory(reviews, seed=1, validation_split=0.25, subset="both", batch_size=3)
    out = capsys.readouterr().out
    assert "Found 15 files belonging to 3 classes." in out
    assert "Using 12 files for training." in out and "Using 3 files for validation." in out
    assert not set(train.file_paths) & set(val.file_paths)
    assert len(train.file_paths) + len(val.file_paths) == 15
    assert [x.shape[0] for x, _ in train] == [3, 3, 3, 3] and len(val) == 1


def test_elements_are_str_arrays_label_modes_and_max_length(tmp_path):
    root = write(tmp_path / "t", {"a/1.txt": "héllo wörld", "b/1.txt": "abc", "b/2.txt": b"\xff\xfeok"})
    texts, labels = next(iter(text_dataset_from_directory(root, shuffle=False, verbose=False)))
    assert texts.dtype == object and texts.tolist() == ["héllo wörld", "abc", "\ufffd\ufffdok"]
    assert labels.dtype == np.int32 and labels.tolist() == [0, 1, 1]
    assert texts.numpy().shape == (3,)
    _, binary = next(iter(text_dataset_from_directory(root, label_mode="binary", shuffle=False, verbose=False)))
    assert binary.dtype == np.float32 and binary.tolist() == [[0.0], [1.0], [1.0]]
    _, onehot = next(iter(text_dataset_from_directory(root, label_mode="categorical", shuffle=False,
                                                      verbose=False)))
    assert onehot.tolist() == [[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]
    cut = next(iter(text_dataset_from_directory(root, label_mode=None, max_length=2, shuffle=False,
                                                verbose=False)))
    assert cut.tolist() == ["h", "ab", "\ufffd\ufffd"]  # 2 bytes, as Keras cuts; the cut "é" left out
    single = list(text_dataset_from_directory(root, batch_size=None, shuffle=False, verbose=False))
    assert [(t, int(y)) for t, y in single] == [("héllo wörld", 0), ("abc", 1), ("\ufffd\ufffdok", 1)]


def test_explicit_labels_and_class_names(tmp_path):
    root = write(tmp_path / "t", {"x/1.txt": "one", "y/2.txt": "two", "3.txt": "three"})
    ds = text_dataset_from_directory(root, labels=[1, 0, 1], shuffle=False, verbose=False)
    x, y = next(iter(ds))
    assert x.tolist() == ["three", "one", "two"] and y.tolist() == [1, 0, 1] and ds.class_names == ["0", "1"]
    ds = text_dataset_from_directory(root, class_names=["y", "x"], shuffle=False, verbose=False)
    assert [t.tolist() for t, _ in ds] == [["two", "one"]] and ds.class_names == ["y", "x"]


def test_text_vectorization_through_map_then_fit(reviews):
    fl.set_seed(0)
    raw = text_dataset_from_directory(reviews, class_names=["neg", "pos"], batch_size=4, seed=2, verbose=False)
    vectorize = keras.layers.TextVectorization(max_tokens=50, output_mode="int", output_sequence_length=6)
    vectorize.adapt(raw.map(lambda x, y: x))
    assert "film" in vectorize.get_vocabulary()
    ds = raw.map(lambda x, y: (vectorize(x), y))
    x, y = next(iter(ds))
    assert x.shape == (4, 6) and np.issubdtype(x.dtype, np.integer) and y.shape == (4,)
    inputs = keras.Input(shape=(None,), dtype="int64")
    hidden = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(50, 4)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(ds, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_unpadded_token_ids_go_through_padded_batch(reviews):
    raw = text_dataset_from_directory(reviews, label_mode=None, batch_size=None, shuffle=False, verbose=False)
    vectorize = keras.layers.TextVectorization()
    vectorize.adapt(raw.batch(8))
    batches = list(raw.map(vectorize).padded_batch(5))
    assert [b.shape[0] for b in batches] == [5, 5, 5, 1]  # labels=None lists every .txt, .hidden/ too (Keras)
    texts = [str(t) for t in raw]
    for number, batch in enumerate(batches):
        lengths = [len(t.split()) for t in texts[number * 5:number * 5 + 5]]
        assert batch.shape[1] == max(lengths)
        assert [int((row != 0).sum()) for row in batch] == lengths


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"labels": "folders"}, ConfigError, "labels"),
    ({"labels": 3}, ConfigError, "labels"),
    ({"labels": [0, 1], "class_names": ["a"]}, ConfigError, "class_names"),
    ({"label_mode": "sparse"}, ConfigError, "label_mode"),
    ({"label_mode": "binary"}, ConfigError, "exactly 2 classes"),
    ({"label_mode": None, "class_names": ["neg"]}, ConfigError, "class_names"),
    ({"class_names": ["neg", "nope"]}, ConfigError, "nope"),
    ({"batch_size": 0}, ConfigError, "batch_size"),
    ({"max_length": 0}, ConfigError, "max_length"),
    ({"shuffle": 1}, ConfigError, "shuffle"),
    ({"validation_split": 0.2}, ConfigError, "subset"),
    ({"validation_split": 0.2, "subset": "training"}, ConfigError, "seed"),
    ({"subset": "training"}, ConfigError, "validation_split"),
    ({"validation_split": 1.5, "subset": "training", "seed": 1}, ConfigError, "between 0 and 1"),
    ({"validation_split": 0.01, "subset": "training", "seed": 1}, ConfigError, "0 files"),
    ({"format": "torch"}, ConfigError, "format"),
    ({"labels": [0, 1]}, DataError, "one label per file"),
    ({"labels": [0, -1] + [0] * 13}, DataError, "labels"),
])
def test_bad_arguments_refused_in_one_sentence_before_reading(reviews, kwargs, error, words, capsys):
    with pytest.raises(error, match=words):
        text_dataset_from_directory(reviews, verbose=False, **kwargs)


def test_missing_or_empty_folders(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        text_dataset_from_directory(tmp_path / "nowhere")
    root = write(tmp_path / "imgs", {"a/1.png": b"", "b/2.jpg": b""})
    with pytest.raises(DatasetError, match=r"no text files found .*\.txt"):
        text_dataset_from_directory(root, verbose=False)
    assert keras.utils.text_dataset_from_directory is text_dataset_from_directory
    assert keras.preprocessing.text_dataset_from_directory is text_dataset_from_directory
