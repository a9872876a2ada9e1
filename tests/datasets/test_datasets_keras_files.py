"""Boston and California housing, IMDB and Reuters on tiny fake files in Keras's exact formats: Keras's processing, the
search order, the verified download (SHA-256 and MD5) and the offline message."""

from __future__ import annotations

import datetime
import hashlib
import inspect
import io
import json
from pathlib import Path

import numpy as np
import pytest
from real_keras import real_keras

from fnlearn import errors
from fnlearn.datasets import (
    REUTERS_LABEL_NAMES,
    _download,
    keras_files,
    load_boston_housing,
    load_california_housing,
    load_imdb,
    load_imdb_word_index,
    load_reuters,
    load_reuters_word_index,
)

# --------------------------------------------------------------------------- fake files


def _ragged(rng: np.random.Generator, n: int, vocabulary: int = 40, longest: int = 30) -> np.ndarray:
    """An object array of lists of Python ints, as imdb.npz and reuters.npz store their sequences."""
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = [int(w) for w in rng.integers(1, vocabulary, size=rng.integers(1, longest))]
    return out


def make_imdb(path: Path, seed: int = 0, n_train: int = 30, n_test: int = 20) -> Path:
    rng = np.random.default_rng(seed)
    np.savez(path, x_train=_ragged(rng, n_train), y_train=rng.integers(0, 2, n_train),
             x_test=_ragged(rng, n_test), y_test=rng.integers(0, 2, n_test))
    return path


def make_reuters(path: Path, seed: int = 1, n: int = 40) -> Path:
    rng = np.random.default_rng(seed)
    np.savez(path, x=_ragged(rng, n), y=rng.integers(0, 46, n))
    return path


def make_boston(path: Path, seed: int = 2, n: int = 31) -> Path:
    rng = np.random.default_rng(seed)
    np.savez(path, x=rng.normal(size=(n, 13)), y=rng.uniform(5, 50, n))
    return path


def make_california(path: Path, seed: int = 4, n: int = 700, dtype: str = "float32") -> Path:
    """More rows than the small version's 600, so that its cut shows; float32 as in Keras's file."""
    rng = np.random.default_rng(seed)
    np.savez(path, x=rng.normal(size=(n, 8)).astype(dtype), y=rng.uniform(25_000, 500_000, n).astype(dtype))
    return path


def _lists(x: np.ndarray) -> list[list[int]]:
    return [list(s) for s in x]


# --------------------------------------------------------------------------- Keras's own processing


def _keras():
    return real_keras()


def _keras_on(monkeypatch, module: str, file: Path):
    """Keras's loader reading ``file``: its get_file (the only part that needs a network) is bypassed."""
    keras = _keras()
    source = __import__(f"keras.src.datasets.{module}", fromlist=["get_file"])
    monkeypatch.setattr(source, "get_file", lambda *args, **kwargs: str(file))
    return getattr(keras.datasets, module)


def _assert_same_split(mine, theirs):
    for (x_mine, y_mine), (x_theirs, y_theirs) in zip(mine, theirs):
        assert x_mine.dtype == x_theirs.dtype == object and x_mine.shape == x_theirs.shape
        assert _lists(x_mine) == _lists(x_theirs)
        assert all(type(w) is int for s in x_mine for w in s)        # Python ints, as Keras's
        assert y_mine.dtype == y_theirs.dtype and y_mine.shape == y_theirs.shape
        np.testing.assert_array_equal(y_mine, y_theirs)


SEQUENCE_OPTIONS = [
    {},
    {"num_words": 20},
    {"num_words": 20, "skip_top": 6},
    {"maxlen": 15},
    {"maxlen": 15, "num_words": 25, "oov_char": None},
    {"start_char": None},
    {"start_char": None, "index_from": 0},
    {"start_char": 7, "oov_char": 9, "index_from": 10, "num_words": 30},
    {"seed": 5, "skip_top": 3, "oov_char": None},
    {"num_words": 0, "maxlen": 0},   # Keras treats 0 as "not given"
]


@pytest.mark.parametrize("options", SEQUENCE_OPTIONS, ids=str)
def test_imdb_matches_keras_for_every_option(tmp_path, monkeypatch, options):
    file = make_imdb(tmp_path / "imdb.npz")
    theirs = _keras_on(monkeypatch, "imdb", file).load_data(**options)
    _assert_same_split(load_imdb(file, **options), theirs)


@pytest.mark.parametrize("options", SEQUENCE_OPTIONS + [{"test_split": 0.5}, {"test_split": 0.0},
                                                        {"test_split": 0.3, "maxlen": 12, "seed": 1}], ids=str)
def test_reuters_matches_keras_for_every_option(tmp_path, monkeypatch, options):
    file = make_reuters(tmp_path / "reuters.npz")
    theirs = _keras_on(monkeypatch, "reuters", file).load_data(**options)
    _assert_same_split(load_reuters(file, **options), theirs)


@pytest.mark.parametrize("options", [{}, {"test_split": 0.5}, {"test_split": 0.0}, {"seed": 3}], ids=str)
def test_boston_housing_matches_keras(tmp_path, monkeypatch, options):
    file = make_boston(tmp_path / "boston_housing.npz")
    theirs = _keras_on(monkeypatch, "boston_housing", file).load_data(**options)
    for (x_mine, y_mine), (x_theirs, y_theirs) in zip(load_boston_housing(file, **options), theirs):
        assert x_mine.dtype == x_theirs.dtype == np.float64 and y_mine.dtype == y_theirs.dtype
        np.testing.assert_array_equal(x_mine, x_theirs)
        np.testing.assert_array_equal(y_mine, y_theirs)


@pytest.mark.parametrize("options", [{}, {"version": "small"}, {"version": "small", "test_split": 0.0},
                                     {"test_split": 0.5, "seed": 3}, {"version": "large", "seed": 0},
                                     {"version": "small", "test_split": 0.35, "seed": 7}], ids=str)
def test_california_housing_matches_keras(tmp_path, monkeypatch, options):
    file = make_california(tmp_path / "california_housing.npz")
    theirs = _keras_on(monkeypatch, "california_housing", file).load_data(**options)
    for (x_mine, y_mine), (x_theirs, y_theirs) in zip(load_california_housing(path=file, **options), theirs):
        assert x_mine.dtype == x_theirs.dtype == np.float32 and y_mine.dtype == y_theirs.dtype
        assert x_mine.shape == x_theirs.shape and y_mine.shape == y_theirs.shape
        np.testing.assert_array_equal(x_mine, x_theirs)
        np.testing.assert_array_equal(y_mine, y_theirs)


def test_california_small_is_the_first_600_rows_then_shuffled_and_split(tmp_path):
    file = make_california(tmp_path / "california_housing.npz", n=700)
    raw = keras_files.read_npz(file, ["x", "y"])
    (x, y), (xt, yt) = load_california_housing("small", file)
    assert x.shape == (480, 8) and xt.shape == (120, 8) and y.shape == (480,) and yt.shape == (120,)
    order = np.arange(600)
    np.random.RandomState(113).shuffle(order)
    np.testing.assert_array_equal(np.concatenate([y, yt]), raw["y"][:600][order])
    (x, _), (xt, _) = load_california_housing("large", file, test_split=0.25)
    assert len(x) == 525 and len(xt) == 175
    assert {r.tobytes() for r in np.concatenate([x, xt])} == {r.tobytes() for r in raw["x"]}


def test_california_housing_refuses_a_file_of_another_shape(tmp_path):
    make_boston(tmp_path / "boston_housing.npz")
    with pytest.raises(errors.DatasetError, match=r"California housing file '.*boston_housing.npz' holds x of shape "
                                                  r"\(31, 13\) \(float64\) and y of shape \(31,\) \(float64\), "
                                                  r"expected numbers of shape \(n, 8\) and \(n,\)"):
        load_california_housing(path=tmp_path / "boston_housing.npz")
    np.savez(tmp_path / "c.npz", x=np.zeros((5, 8), np.float32), y=np.zeros(6, np.float32))
    with pytest.raises(errors.DatasetError, match="holds 5 examples but 6 labels"):
        load_california_housing("small", tmp_path / "c.npz")
    np.savez(tmp_path / "d.npz", x=np.zeros((5, 8), np.int64), y=np.zeros(5, np.float32))
    with pytest.raises(errors.DatasetError, match=r"holds x of shape \(5, 8\) \(int64\)"):
        load_california_housing(path=tmp_path / "d.npz")


def test_word_indexes_and_label_names_match_keras(tmp_path, monkeypatch):
    words = {"the": 1, "and": 2, "film": 17, "ünïcode": 3}
    (tmp_path / "w.json").write_text(json.dumps(words), encoding="utf-8")
    assert load_imdb_word_index(tmp_path / "w.json") == words
    assert load_reuters_word_index(tmp_path / "w.json") == words
    assert _keras_on(monkeypatch, "imdb", tmp_path / "w.json").get_word_index() == words
    keras = _keras()
    assert tuple(keras.datasets.reuters.get_label_names()) == REUTERS_LABEL_NAMES


def test_addresses_and_digests_are_the_ones_keras_pins():
    _keras()
    import keras.src.datasets as sources
    for name, spec in keras_files._FILES.items():
        module = getattr(sources, spec.kind)
        text = inspect.getsource(module)
        assert spec.digest in text, name
        assert f"{(spec.origin or keras_files.ORIGIN).rstrip('/')}" in text and name in text
        assert len(spec.digest) == (64 if spec.algorithm == "sha256" else 32)
    assert len(keras_files._FILES) == 8


# --------------------------------------------------------------------------- the rules, written out


def test_imdb_rules_written_out(tmp_path):
    # one training and one test review, so the shuffles cannot reorder anything
    x_train = np.empty(1, dtype=object)
    x_train[0] = [1, 2, 3, 4, 5]
    x_test = np.empty(1, dtype=object)
    x_test[0] = [5, 6]
    np.savez(tmp_path / "imdb.npz", x_train=x_train, y_train=np.array([1]), x_test=x_test, y_test=np.array([0]))
    (x, y), (xt, yt) = load_imdb(tmp_path / "imdb.npz")
    # start mark 1, words shifted by 3; the largest index of both sets (9) is out of the exclusive bound
    assert x[0] == [1, 4, 5, 6, 7, 8] and xt[0] == [1, 8, 2]
    assert y.tolist() == [1] and yt.tolist() == [0] and y.dtype == np.int64
    (x, _), _ = load_imdb(tmp_path / "imdb.npz", num_words=7, skip_top=5)
    assert x[0] == [2, 2, 5, 6, 2, 2]                  # kept: 5 <= w < 7
    (x, _), _ = load_imdb(tmp_path / "imdb.npz", num_words=7, skip_top=5, oov_char=None)
    assert x[0] == [5, 6]
    (x, _), (xt, _) = load_imdb(tmp_path / "imdb.npz", maxlen=7)
    assert len(x) == 1 and len(xt) == 1
    with pytest.raises(errors.DataError, match="keeps no IMDB training sequence"):
        load_imdb(tmp_path / "imdb.npz", maxlen=6)    # 6 marks with the start: dropped (strictly shorter)


def test_maxlen_drops_long_sequences_and_refuses_to_keep_none(tmp_path):
    file = make_imdb(tmp_path / "imdb.npz")
    (x, y), (xt, yt) = load_imdb(file, maxlen=10)
    assert all(len(s) < 10 for s in list(x) + list(xt)) and len(x) == len(y) and len(xt) == len(yt)
    with pytest.raises(errors.DataError, match=r"maxlen=2 keeps no IMDB training sequence"):
        load_imdb(file, maxlen=2)
    with pytest.raises(errors.DataError, match=r"maxlen=1 keeps no Reuters sequence"):
        load_reuters(make_reuters(tmp_path / "reuters.npz"), maxlen=1)


def test_sequences_are_one_dimensional_even_when_all_have_one_length(tmp_path):
    x = np.empty(3, dtype=object)
    for i in range(3):
        x[i] = [i + 1, i + 2]
    np.savez(tmp_path / "reuters.npz", x=x, y=np.array([0, 1, 2]))
    (x_train, _), (x_test, _) = load_reuters(tmp_path / "reuters.npz", test_split=1 / 3)
    assert x_train.shape == (2,) and x_test.shape == (1,) and isinstance(x_train[0], list)


def test_reuters_split_and_shuffle_follow_the_seed(tmp_path):
    file = make_reuters(tmp_path / "reuters.npz", n=40)
    (a, ya), (b, yb) = load_reuters(file, test_split=0.25)
    assert len(a) == 30 and len(b) == 10
    order = np.arange(40)
    np.random.RandomState(113).shuffle(order)
    raw = keras_files.read_npz(file, ["x", "y"])
    np.testing.assert_array_equal(np.concatenate([ya, yb]), raw["y"][order])
    (a, _), _ = load_reuters(file, test_split=0.25, num_words=1000)  # a bound above every word: no oov
    assert a[0] == [1] + [w + 3 for w in raw["x"][order[0]]]
    (c, _), _ = load_reuters(file, test_split=0.25, num_words=1000, seed=1)
    assert _lists(c) != _lists(a)


# --------------------------------------------------------------------------- where the file comes from


def test_path_may_be_the_file_or_its_folder(tmp_path):
    file = make_boston(tmp_path / "boston_housing.npz")
    by_file = load_boston_housing(file)
    by_folder = load_boston_housing(tmp_path)
    np.testing.assert_array_equal(by_file[0][0], by_folder[0][0])
    renamed = tmp_path / "elsewhere.npz"
    file.rename(renamed)
    np.testing.assert_array_equal(load_boston_housing(str(renamed))[0][0], by_file[0][0])


def test_a_folder_without_the_file_or_a_missing_path_is_an_error_not_a_fallback(tmp_path, monkeypatch, isolated):
    _download.cache_dir("imdb").mkdir(parents=True)
    make_imdb(_download.cache_dir("imdb") / "imdb.npz")      # there, but a path the user names wins
    with pytest.raises(errors.DatasetError, match="is a folder without imdb.npz"):
        load_imdb(tmp_path)
    with pytest.raises(errors.DatasetError, match="does not exist; put IMDB's file imdb.npz there"):
        load_imdb(tmp_path / "nowhere" / "imdb.npz")
    assert isolated.calls == []


def test_env_kind_subfolder_then_env_root_then_cache(tmp_path, monkeypatch, isolated):
    env = tmp_path / "env"
    (env / "reuters").mkdir(parents=True)
    cache = _download.cache_dir("reuters")
    cache.mkdir(parents=True)
    make_reuters(cache / "reuters.npz", seed=3)
    make_reuters(env / "reuters.npz", seed=4)
    make_reuters(env / "reuters" / "reuters.npz", seed=5)
    monkeypatch.setenv("FNLEARN_DATA", str(env))
    first = _lists(load_reuters()[0][0])
    assert first == _lists(load_reuters(env / "reuters" / "reuters.npz")[0][0])
    (env / "reuters" / "reuters.npz").unlink()
    assert _lists(load_reuters()[0][0]) == _lists(load_reuters(env / "reuters.npz")[0][0])
    monkeypatch.delenv("FNLEARN_DATA")
    assert _lists(load_reuters()[0][0]) == _lists(load_reuters(cache / "reuters.npz")[0][0])
    assert isolated.calls == []


def test_a_plain_name_is_a_cache_name_as_in_keras(tmp_path, monkeypatch, isolated):
    cache = _download.cache_dir("imdb")
    cache.mkdir(parents=True)
    make_imdb(cache / "my_copy.npz")
    monkeypatch.chdir(tmp_path)
    assert len(load_imdb("my_copy.npz")[0][0]) == 30
    make_imdb(tmp_path / "here.npz", n_train=4)       # a file in the working folder counts first
    assert len(load_imdb("here.npz")[0][0]) == 4


# --------------------------------------------------------------------------- downloads


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A local "origin" serving fake files over file://, with their true digests pinned."""
    folder = tmp_path / "server"
    folder.mkdir()
    make_imdb(folder / "imdb.npz")
    (folder / "imdb_word_index.json").write_text(json.dumps({"good": 1, "film": 2}))
    monkeypatch.setattr(keras_files, "ORIGIN", folder.as_uri() + "/")
    pins = {"imdb.npz": hashlib.sha256((folder / "imdb.npz").read_bytes()).hexdigest(),
            "imdb_word_index.json": hashlib.md5((folder / "imdb_word_index.json").read_bytes()).hexdigest()}
    for name, digest in pins.items():
        monkeypatch.setitem(keras_files._FILES, name, keras_files._FILES[name].__class__(
            **{**keras_files._FILES[name].__dict__, "digest": digest}))
    return folder


def _cache_files(kind: str) -> list[str]:
    folder = _download.cache_dir(kind)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_fills_the_cache_once_and_checks_md5_for_the_word_index(server, isolated):
    first = load_imdb(progress=False)
    assert _cache_files("imdb") == ["imdb.npz"]
    assert (_download.cache_dir("imdb") / "imdb.npz").read_bytes() == (server / "imdb.npz").read_bytes()
    assert load_imdb_word_index(progress=False) == {"good": 1, "film": 2}
    assert len(isolated.calls) == 2
    _assert_same_split(load_imdb(progress=False), first)         # the second time from the cache
    load_imdb_word_index(progress=False)
    assert len(isolated.calls) == 2
    assert _cache_files("imdb") == ["imdb.npz", "imdb_word_index.json"]


@pytest.mark.parametrize("name, loader, title", [("imdb.npz", load_imdb, "SHA-256"),
                                                 ("imdb_word_index.json", load_imdb_word_index, "MD5")])
def test_a_file_with_the_wrong_digest_is_refused_and_leaves_nothing(server, monkeypatch, name, loader, title):
    (server / name).write_bytes((server / name).read_bytes() + b"tampered")
    with pytest.raises(errors.DatasetError) as info:
        loader(progress=False)
    assert f"{title} mismatch" in str(info.value) and "file refused" in str(info.value)
    assert _cache_files("imdb") == []                 # no file, no temporary .part either


def test_an_interrupted_download_leaves_no_half_file(tmp_path):
    class Broken(io.BytesIO):
        def read(self, n=-1):
            if self.tell() > 0:
                raise OSError("connection reset")
            return super().read(1000)

    with pytest.raises(_download.DownloadFailed, match="connection reset"):
        _download.download(["fake://x"], tmp_path / "imdb.npz", "0" * 64, progress=False,
                           opener=lambda url: Broken(b"x" * 5000))
    assert list(tmp_path.iterdir()) == []


def test_md5_download_is_verified(tmp_path):
    payload = b'{"a": 1}'
    dest = _download.download(["fake://x"], tmp_path / "w.json", hashlib.md5(payload).hexdigest().upper(),
                              progress=False, opener=lambda url: io.BytesIO(payload), algorithm="md5")
    assert dest.read_bytes() == payload
    with pytest.raises(ValueError, match="algorithm 'sha1' is not supported"):
        _download.download(["fake://x"], tmp_path / "v", "0", opener=lambda url: io.BytesIO(payload),
                           algorithm="sha1")


@pytest.mark.parametrize("loader, name, kind", [
    (load_imdb, "imdb.npz", "imdb"), (load_reuters, "reuters.npz", "reuters"),
    (load_boston_housing, "boston_housing.npz", "boston_housing"),
    (load_california_housing, "california_housing.npz", "california_housing"),
    (load_imdb_word_index, "imdb_word_index.json", "imdb"),
    (load_reuters_word_index, "reuters_word_index.json", "reuters")])
def test_offline_error_is_one_sentence_that_says_where_to_put_the_file(loader, name, kind, isolated):
    with pytest.raises(errors.DatasetError) as info:
        loader(progress=False)
    message = str(info.value)
    assert "is not on this computer and could not be downloaded" in message
    assert f"put {name} in '{_download.cache_dir(kind)}'" in message
    assert "$FNLEARN_DATA" in message and f"'{kind}/' subfolder" in message and "path=" in message
    assert "no network in tests" in message and "\n" not in message and message.endswith(".")
    assert isolated.calls == [keras_files.ORIGIN + name]
    assert _cache_files(kind) == []


def test_download_false_never_touches_the_network(isolated):
    with pytest.raises(errors.DatasetError, match=r"IMDB \(imdb.npz\) is not on this computer and download=False"):
        load_imdb(download=False)
    assert isolated.calls == []


# --------------------------------------------------------------------------- damaged files and bad arguments


def test_damaged_or_foreign_files_are_one_sentence_naming_the_file(tmp_path):
    (tmp_path / "imdb.npz").write_bytes(b"not a zip archive")
    with pytest.raises(errors.DatasetError, match=r"IMDB file '.*imdb.npz' cannot be read as an .npz archive"):
        load_imdb(tmp_path / "imdb.npz")
    np.savez(tmp_path / "boston_housing.npz", a=np.zeros(3))
    with pytest.raises(errors.DatasetError, match=r"holds the arrays \['a'\], expected \['x', 'y'\]"):
        load_boston_housing(tmp_path / "boston_housing.npz")
    np.savez(tmp_path / "reuters.npz", x=_ragged(np.random.default_rng(0), 3), y=np.arange(4))
    with pytest.raises(errors.DatasetError, match="holds 3 examples but 4 labels"):
        load_reuters(tmp_path / "reuters.npz")
    (tmp_path / "w.json").write_text("{broken")
    with pytest.raises(errors.DatasetError, match="cannot be read as JSON"):
        load_imdb_word_index(tmp_path / "w.json")


def test_a_pickled_object_other_than_arrays_is_refused(tmp_path):
    other = np.empty(2, dtype=object)
    other[0], other[1] = [1, 2], datetime.date(2020, 1, 1)   # unpickling it needs a non-NumPy global
    np.savez(tmp_path / "reuters.npz", x=other, y=np.arange(2))
    with pytest.raises(errors.DatasetError, match=r"pickled object other than NumPy arrays \(datetime.date\)"):
        load_reuters(tmp_path / "reuters.npz")


@pytest.mark.parametrize("call, words", [
    (lambda: load_boston_housing(test_split=1.0), "test_split=1.0"),
    (lambda: load_boston_housing(test_split="0.2"), "test_split='0.2'"),
    (lambda: load_california_housing("medium"), "version='medium' is not usable; expected 'large' (all 20,640"),
    (lambda: load_california_housing(version=None), "version=None"),
    (lambda: load_california_housing(test_split=1.0), "test_split=1.0"),
    (lambda: load_reuters(test_split=-0.1), "test_split=-0.1"),
    (lambda: load_imdb(num_words=-5), "num_words=-5"),
    (lambda: load_imdb(maxlen=2.5), "maxlen=2.5"),
    (lambda: load_reuters(skip_top=None), "skip_top=None"),
    (lambda: load_imdb(index_from=True), "index_from=True"),
])
def test_bad_arguments_are_refused_before_any_file_is_touched(call, words, isolated):
    with pytest.raises(errors.ConfigError) as info:
        call()
    assert words in str(info.value) and isinstance(info.value, ValueError)
    assert isolated.calls == []


def test_a_file_in_keras_own_cache_is_found(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    (tmp_path / "keras-home" / "datasets").mkdir(parents=True)
    made = make_imdb(tmp_path / "keras-home" / "datasets" / "imdb.npz")
    assert keras_files.find_file("imdb.npz", "imdb.npz", download=False) == made
    (x_train, _), _ = load_imdb(download=False)
    assert len(x_train) == 30
