"""keras.datasets.imdb / reuters / boston_housing / california_housing / cifar10 / cifar100: Keras's signatures,
the chapter-4 MLP programs of "Deep Learning with Python" and an image-classification program running unchanged on
small fake files in Keras's formats."""

from __future__ import annotations

import inspect
import io
import pickle
import tarfile

import numpy as np
import pytest
from real_keras import real_keras

from fnlearn import errors
from fnlearn import keras as fkeras
from fnlearn.datasets import _download
from fnlearn.keras import layers
from fnlearn.keras.datasets import boston_housing, california_housing, cifar10, cifar100, imdb, reuters


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """No network and an empty cache, so only the files a test makes are found."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("FNLEARN_DATA", raising=False)

    def refuse(url, timeout=30.0):
        raise OSError(f"no network in tests (refused {url})")

    monkeypatch.setattr(_download, "open_url", refuse)


def _sequences(rng, n, vocabulary, longest, favourite=None):
    out = np.empty(n, dtype=object)
    for i in range(n):
        # noise words from 10 up, so that a favourite word below 10 is never noise
        words = rng.integers(10, vocabulary, size=rng.integers(3, longest)).tolist()
        if favourite is not None:
            words += [favourite[i]] * 3
        out[i] = [int(w) for w in words]
    return out


def fake_imdb(path, n=240, seed=0):
    """Reviews whose label is told by one word: 4 in the good ones, 5 in the bad ones."""
    rng = np.random.default_rng(seed)
    parts = {}
    for part in ("train", "test"):
        labels = rng.integers(0, 2, n)
        parts[f"x_{part}"] = _sequences(rng, n, 200, 40, favourite=np.where(labels == 1, 4, 5))
        parts[f"y_{part}"] = labels
    np.savez(path, **parts)
    return path


def test_signatures_are_keras_3s():
    names = lambda f: [(p.name, p.default) for p in inspect.signature(f).parameters.values()]  # noqa: E731
    assert names(imdb.load_data)[:-1] == [("path", "imdb.npz"), ("num_words", None), ("skip_top", 0),
                                          ("maxlen", None), ("seed", 113), ("start_char", 1), ("oov_char", 2),
                                          ("index_from", 3)]
    assert inspect.signature(imdb.load_data).parameters["kwargs"].kind is inspect.Parameter.VAR_KEYWORD
    assert names(reuters.load_data) == [("path", "reuters.npz"), ("num_words", None), ("skip_top", 0),
                                        ("maxlen", None), ("test_split", 0.2), ("seed", 113), ("start_char", 1),
                                        ("oov_char", 2), ("index_from", 3)]
    assert names(boston_housing.load_data) == [("path", "boston_housing.npz"), ("test_split", 0.2), ("seed", 113)]
    assert names(imdb.get_word_index) == [("path", "imdb_word_index.json")]
    assert names(reuters.get_word_index) == [("path", "reuters_word_index.json")]
    assert len(reuters.get_label_names()) == 46 and reuters.get_label_names()[3] == "earn"


def test_the_keras_functions_pass_every_option_on(tmp_path):
    file = fake_imdb(tmp_path / "imdb.npz", n=30)
    from fnlearn.datasets import load_imdb
    options = dict(num_words=50, skip_top=4, maxlen=30, seed=9, start_char=5, oov_char=6, index_from=2)
    (a, ya), (b, yb) = imdb.load_data(str(file), **options, ignored_by_keras_3=True)
    (c, yc), (d, yd) = load_imdb(file, **options)
    assert [list(s) for s in a] == [list(s) for s in c] and [list(s) for s in b] == [list(s) for s in d]
    np.testing.assert_array_equal(ya, yc)
    assert max(max(s) for s in a) < 50 and all(s[0] in (5, 6) for s in a) and all(len(s) < 30 for s in a)


def test_the_offline_error_through_keras_names_the_file_and_the_variable():
    with pytest.raises(errors.DatasetError) as info:
        reuters.load_data()
    message = str(info.value)
    assert message.startswith("Reuters (reuters.npz) is not on this computer and could not be downloaded")
    assert "$FNLEARN_DATA" in message and str(_download.cache_dir("reuters")) in message


def test_chapter_4_imdb_program_runs_unchanged(tmp_path):
    file = fake_imdb(tmp_path / "imdb.npz")
    # --- the book's program, with only the file's path added ---
    (train_data, train_labels), (test_data, test_labels) = imdb.load_data(path=str(file), num_words=100)

    def vectorize_sequences(sequences, dimension=100):
        results = np.zeros((len(sequences), dimension))
        for i, sequence in enumerate(sequences):
            for j in sequence:
                results[i, j] = 1.
        return results

    x_train = vectorize_sequences(train_data)
    x_test = vectorize_sequences(test_data)
    y_train = np.asarray(train_labels).astype("float32")
    y_test = np.asarray(test_labels).astype("float32")
    fkeras.utils.set_random_seed(0)
    model = fkeras.Sequential([
        layers.Dense(16, activation="relu"),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=20, batch_size=32, validation_split=0.25, verbose=0)
    results = model.evaluate(x_test, y_test, verbose=0)
    predictions = model.predict(x_test, verbose=0)
    # --- end of the program ---
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(history.history["loss"]) == 20 and history.history["loss"][-1] < history.history["loss"][0]
    assert x_train.shape == (240, 100) and set(np.unique(x_train)) == {0.0, 1.0}
    assert results[1] > 0.75         # word 4 or 5 tells the label; chance is 0.5
    assert predictions.shape == (240, 1) and ((predictions >= 0) & (predictions <= 1)).all()


def test_chapter_4_reuters_program_runs_unchanged(tmp_path):
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 46, 300)
    np.savez(tmp_path / "reuters.npz", x=_sequences(rng, 300, 150, 30, favourite=labels + 50), y=labels)
    (train_data, train_labels), (test_data, test_labels) = reuters.load_data(path=str(tmp_path / "reuters.npz"),
                                                                              num_words=150)
    word_index = {f"w{i}": i for i in range(1, 150)}
    reverse = {value: key for (key, value) in word_index.items()}
    decoded = " ".join(reverse.get(i - 3, "?") for i in train_data[0])
    x_train = np.zeros((len(train_data), 150))
    for i, sequence in enumerate(train_data):
        x_train[i, sequence] = 1.
    y_train = fkeras.utils.to_categorical(train_labels, 46)
    fkeras.utils.set_random_seed(0)
    model = fkeras.Sequential([layers.Dense(64, activation="relu"), layers.Dense(64, activation="relu"),
                               layers.Dense(46, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=3, batch_size=64, validation_split=0.2, verbose=0)
    assert len(train_data) == 240 and len(test_data) == 60 and decoded.startswith("? ")
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert model.predict(x_train[:5], verbose=0).shape == (5, 46)


def test_chapter_4_boston_k_fold_program_runs_unchanged(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(60, 13)) * 10 + 50
    np.savez(tmp_path / "boston_housing.npz", x=x, y=x[:, 0] * 0.3 + 5)
    (train_data, train_targets), (test_data, test_targets) = boston_housing.load_data(
        path=str(tmp_path / "boston_housing.npz"))
    mean = train_data.mean(axis=0)
    train_data -= mean
    std = train_data.std(axis=0)
    train_data /= std
    k = 4
    num_val_samples = len(train_data) // k
    all_scores = []
    for i in range(k):
        val_data = train_data[i * num_val_samples: (i + 1) * num_val_samples]
        val_targets = train_targets[i * num_val_samples: (i + 1) * num_val_samples]
        partial_train_data = np.concatenate([train_data[:i * num_val_samples],
                                             train_data[(i + 1) * num_val_samples:]], axis=0)
        partial_train_targets = np.concatenate([train_targets[:i * num_val_samples],
                                                train_targets[(i + 1) * num_val_samples:]], axis=0)
        model = fkeras.Sequential([layers.Dense(64, activation="relu"), layers.Dense(64, activation="relu"),
                                   layers.Dense(1)])
        model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
        model.fit(partial_train_data, partial_train_targets, epochs=5, batch_size=16, verbose=0)
        val_mse, val_mae = model.evaluate(val_data, val_targets, verbose=0)
        all_scores.append(val_mae)
    assert train_data.shape == (48, 13) and test_data.shape == (12, 13) and len(all_scores) == 4
    assert all(np.isfinite(s) and s > 0 for s in all_scores)



def test_mnist_takes_keras_path_forms(tmp_path, monkeypatch):
    from fnlearn.keras.datasets import mnist

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("FNLEARN_DATA", raising=False)
    rng = np.random.default_rng(0)
    digits = {"x_train": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8), "y_train": np.arange(4, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8), "y_test": np.arange(2, dtype=np.uint8)}
    (tmp_path / "keras-home" / "datasets").mkdir(parents=True)
    np.savez(tmp_path / "keras-home" / "datasets" / "mnist.npz", **digits)
    np.savez(tmp_path / "mine.npz", **digits)
    for path in ("mnist.npz", None, str(tmp_path / "mine.npz")):  # Keras's default name, none, a file of its layout
        (x_train, y_train), (x_test, y_test) = mnist.load_data(path) if path is not None else mnist.load_data()
        np.testing.assert_array_equal(x_train, digits["x_train"])
        np.testing.assert_array_equal(y_test, digits["y_test"])


# ----------------------------------------------------------------------------- images and California housing


def _signature(f):
    return [(p.name, p.default) for p in inspect.signature(f).parameters.values()]


def test_image_and_california_signatures_are_keras_3s_with_path_added():
    assert _signature(cifar10.load_data) == [("path", None)]
    assert _signature(cifar100.load_data) == [("label_mode", "fine"), ("path", None)]
    assert _signature(california_housing.load_data) == [("version", "large"), ("path", "california_housing.npz"),
                                                        ("test_split", 0.2), ("seed", 113)]
    keras = real_keras()
    for ours, theirs in ((cifar10, keras.datasets.cifar10), (cifar100, keras.datasets.cifar100),
                         (california_housing, keras.datasets.california_housing)):
        expected = _signature(theirs.load_data)
        assert _signature(ours.load_data)[:len(expected)] == expected


def fake_cifar10(path, n=60, seed=0):
    """A tiny cifar-10-python.tar.gz whose label says which colour plane is bright (so 3 classes are used)."""
    rng = np.random.default_rng(seed)
    with tarfile.open(path, "w:gz") as archive:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            labels = rng.integers(0, 3, n)
            rows = rng.integers(0, 60, (n, 3, 1024), dtype=np.uint8)
            rows[np.arange(n), labels] += 150
            data = pickle.dumps({b"data": rows.reshape(n, 3072), b"labels": labels.tolist()})
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_an_image_classification_program_runs_unchanged(tmp_path):
    archive = fake_cifar10(tmp_path / "cifar-10-python.tar.gz")
    # --- the tutorial's program, with only the archive's path added ---
    (x_train, y_train), (x_test, y_test) = cifar10.load_data(path=archive)
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255
    y_train = fkeras.utils.to_categorical(y_train, 10)
    y_test = fkeras.utils.to_categorical(y_test, 10)
    fkeras.utils.set_random_seed(0)
    model = fkeras.Sequential([
        fkeras.Input(shape=(32, 32, 3)),
        layers.Flatten(),
        layers.Dense(32, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=5, validation_split=0.1, verbose=0)
    score = model.evaluate(x_test, y_test, verbose=0)
    # --- end of the program ---
    assert x_train.shape == (300, 32, 32, 3) and y_train.shape == (300, 10) and x_test.shape == (60, 32, 32, 3)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert score[1] > 0.8           # the bright plane tells the label; chance is 1/3


def test_cifar100_through_keras_passes_the_label_mode_on(tmp_path):
    rng = np.random.default_rng(3)
    with tarfile.open(tmp_path / "c100.tar.gz", "w:gz") as archive:
        for name, n in (("train", 5), ("test", 2)):
            data = pickle.dumps({b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                                 b"fine_labels": [99] * n, b"coarse_labels": [19] * n})
            info = tarfile.TarInfo(f"cifar-100-python/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    (_, fine), (_, fine_test) = cifar100.load_data(path=tmp_path / "c100.tar.gz")
    (_, coarse), _ = cifar100.load_data("coarse", tmp_path / "c100.tar.gz")
    assert fine.ravel().tolist() == [99] * 5 and fine_test.shape == (2, 1) and coarse.ravel().tolist() == [19] * 5
    with pytest.raises(errors.ConfigError, match="label_mode='medium'"):
        cifar100.load_data(label_mode="medium")


def test_california_housing_through_keras(tmp_path):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(800, 8)).astype("float32")
    np.savez(tmp_path / "california_housing.npz", x=x, y=(x[:, 0] * 50_000 + 200_000).astype("float32"))
    (x_train, y_train), (x_test, y_test) = california_housing.load_data(
        version="small", path=str(tmp_path / "california_housing.npz"), test_split=0.25)
    assert x_train.shape == (450, 8) and x_test.shape == (150, 8) and y_train.dtype == np.float32
    assert set(map(float, np.concatenate([y_train, y_test]))) <= set(map(float, (x[:600, 0] * 50_000 + 200_000)
                                                                         .astype("float32")))


def test_the_image_offline_error_through_keras_names_the_archive_and_the_variable():
    with pytest.raises(errors.DatasetError) as info:
        cifar10.load_data()
    message = str(info.value)
    assert message.startswith("CIFAR-10 (cifar-10-python.tar.gz) is not on this computer and could not be downloaded")
    assert "$FNLEARN_DATA" in message and str(_download.cache_dir("cifar10")) in message
