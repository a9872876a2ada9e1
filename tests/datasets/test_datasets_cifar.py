"""CIFAR-10 and CIFAR-100 on tiny archives in the authors' exact format: Keras 3's arrays, the pixel layout,
the search order, the verified download, the restricted unpickler and the checks of what comes out."""

from __future__ import annotations

import hashlib
import inspect
import io
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
from cifar_files import (
    CIFAR10_BATCHES,
    batch_bytes,
    cifar10_members,
    cifar100_members,
    make_cifar10,
    make_cifar100,
    py2_pickle,
    unpack,
    write_tar,
)
from real_keras import real_keras

from fnlearn import errors
from fnlearn.datasets import CIFAR10_LABEL_NAMES, _download, cifar, keras_files, load_cifar10, load_cifar100

ARCHIVE10 = "cifar-10-python.tar.gz"
ARCHIVE100 = "cifar-100-python.tar.gz"


# np.array_equal, not np.testing's: that one takes seconds on a full-size set
def _assert_split(split, expected, labels=("y_train", "y_test")):
    (x_train, y_train), (x_test, y_test) = split
    for got, key in ((x_train, "x_train"), (x_test, "x_test"), (y_train, labels[0]), (y_test, labels[1])):
        assert got.shape == expected[key].shape and np.array_equal(got, expected[key]), key


# --------------------------------------------------------------------------- the arrays


def test_cifar10_gives_keras_shapes_dtypes_and_the_batches_in_order(tmp_path):
    expected = make_cifar10(tmp_path / ARCHIVE10, sizes=(3, 2, 4, 1, 2), n_test=3)
    (x_train, y_train), (x_test, y_test) = load_cifar10(tmp_path / ARCHIVE10)
    assert x_train.shape == (12, 32, 32, 3) and x_train.dtype == np.uint8 and x_train.flags.c_contiguous
    assert y_train.shape == (12, 1) and y_train.dtype == np.uint8
    assert x_test.shape == (3, 32, 32, 3) and x_test.dtype == np.uint8
    assert y_test.shape == (3, 1) and y_test.dtype == np.uint8
    _assert_split(((x_train, y_train), (x_test, y_test)), expected)


def test_the_pixel_layout_written_out(tmp_path):
    # One image whose rows say where each byte goes: red plane, then green, then blue, each row by row.
    row = np.zeros(3072, np.uint8)
    row[0 * 1024 + 1 * 32 + 2] = 11      # red at (row 1, column 2)
    row[1 * 1024 + 31 * 32 + 0] = 22     # green at (row 31, column 0)
    row[2 * 1024 + 0 * 32 + 31] = 33     # blue at (row 0, column 31)
    single = py2_pickle({b"data": row[None, :], b"labels": [7]})
    members = {f"cifar-10-batches-py/{name}": single for name in (*CIFAR10_BATCHES, "test_batch")}
    write_tar(tmp_path / ARCHIVE10, members)
    (x_train, y_train), (x_test, _) = load_cifar10(tmp_path / ARCHIVE10)
    image = x_test[0]
    assert image[1, 2, 0] == 11 and image[31, 0, 1] == 22 and image[0, 31, 2] == 33
    assert int(image.sum()) == 66 and x_train.shape == (5, 32, 32, 3) and y_train.ravel().tolist() == [7] * 5


def test_cifar100_label_modes(tmp_path):
    expected = make_cifar100(tmp_path / ARCHIVE100, n_train=7, n_test=4)
    fine = load_cifar100("fine", tmp_path / ARCHIVE100)
    coarse = load_cifar100(label_mode="coarse", path=tmp_path / ARCHIVE100)
    _assert_split(fine, expected, ("fine_train", "fine_test"))
    _assert_split(coarse, expected, ("coarse_train", "coarse_test"))
    (x_train, y_train), (x_test, y_test) = fine
    assert x_train.shape == (7, 32, 32, 3) and x_test.shape == (4, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (7, 1) and y_test.dtype == y_train.dtype == np.int64   # Keras 3's, from a list
    assert not np.array_equal(fine[0][1], coarse[0][1])


def test_label_names():
    assert len(CIFAR10_LABEL_NAMES) == 10 and CIFAR10_LABEL_NAMES[0] == "airplane"
    assert CIFAR10_LABEL_NAMES[3] == "cat" and CIFAR10_LABEL_NAMES[9] == "truck"


# --------------------------------------------------------------------------- the same as Keras


def _keras_reading(monkeypatch, module: str, folder: Path):
    """Keras's loader reading ``folder`` (what its get_file returns once it has unpacked the archive)."""
    keras = real_keras()
    source = __import__(f"keras.src.datasets.{module}", fromlist=["get_file"])
    monkeypatch.setattr(source, "get_file", lambda *args, **kwargs: str(folder))
    assert keras.config.image_data_format() == "channels_last"
    return getattr(keras.datasets, module)


def _assert_same(mine, theirs):
    for (x_mine, y_mine), (x_theirs, y_theirs) in zip(mine, theirs):
        for a, b in ((x_mine, x_theirs), (y_mine, y_theirs)):
            assert a.shape == b.shape and a.dtype == b.dtype
            # by slices: Keras's images are a transposed view, slow to compare in one go
            assert all(np.array_equal(a[i:i + 1000], b[i:i + 1000]) for i in range(0, len(a), 1000))


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_matches_keras(tmp_path, monkeypatch, label_mode):
    members, _ = cifar100_members(n_train=9, n_test=5)
    write_tar(tmp_path / ARCHIVE100, members)
    keras_cifar100 = _keras_reading(monkeypatch, "cifar100", unpack(members, tmp_path / "unpacked"))
    _assert_same(load_cifar100(label_mode, tmp_path / ARCHIVE100), keras_cifar100.load_data(label_mode=label_mode))


def test_cifar10_matches_keras_at_full_size(tmp_path, monkeypatch):
    # Keras's CIFAR-10 loader expects 5 batches of exactly 10,000 images, so this one comparison is full size
    # (lean batches: rows and labels only, written straight in the files' layout).
    rng = np.random.default_rng(0)
    folder = tmp_path / "unpacked" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    labels = {}
    for name in (*CIFAR10_BATCHES, "test_batch"):
        labels[name] = [int(v) for v in rng.integers(0, 10, 10000)]
        rows = rng.integers(0, 256, (10000, 3072), dtype=np.uint8)
        (folder / name).write_bytes(py2_pickle({b"data": rows, b"labels": labels[name]}))
    try:
        theirs = _keras_reading(monkeypatch, "cifar10", folder.parent).load_data()
        mine = load_cifar10(folder)
        _assert_same(mine, theirs)
        assert mine[0][0].shape == (50000, 32, 32, 3) and mine[1][1].shape == (10000, 1)
        assert mine[0][1].ravel().tolist() == sum((labels[name] for name in CIFAR10_BATCHES), [])
    finally:
        for name in (*CIFAR10_BATCHES, "test_batch"):   # 184 MB that need not wait for pytest's own clean-up
            (folder / name).unlink()


def test_keras_own_unpickler_reads_the_test_batches_as_the_real_ones():
    """The fake batches need no global beyond the three a real batch needs: Keras's restricted reader takes them."""
    real_keras()
    from keras.src.datasets.npz_utils import RestrictedUnpickler

    members, expected = cifar10_members(sizes=(2, 1, 1, 1, 1), n_test=2)
    batch = RestrictedUnpickler(io.BytesIO(members["cifar-10-batches-py/test_batch"]), encoding="bytes").load()
    assert sorted(batch) == [b"batch_label", b"data", b"filenames", b"labels"]
    assert batch[b"data"].shape == (2, 3072) and batch[b"labels"] == expected["y_test"].ravel().tolist()


def test_the_address_and_digest_are_the_ones_keras_pins():
    real_keras()
    import keras.src.datasets.cifar10 as source10
    import keras.src.datasets.cifar100 as source100

    for name, source in ((ARCHIVE10, source10), (ARCHIVE100, source100)):
        spec = keras_files._FILES[name]
        text = inspect.getsource(source)
        assert spec.origin + name in text and spec.digest in text and spec.algorithm == "sha256"


# --------------------------------------------------------------------------- where the archive comes from


def test_path_may_be_the_archive_a_folder_or_the_unpacked_copy(tmp_path):
    members, expected = cifar10_members()
    write_tar(tmp_path / "holds-archive" / ARCHIVE10, members)
    renamed = write_tar(tmp_path / "my-copy.tgz", members)
    unpack(members, tmp_path / "holds-unpacked")
    for path in (tmp_path / "holds-archive" / ARCHIVE10, tmp_path / "holds-archive", renamed, str(renamed),
                 tmp_path / "holds-unpacked", tmp_path / "holds-unpacked" / "cifar-10-batches-py"):
        _assert_split(load_cifar10(path), expected)


def test_an_uncompressed_tar_is_read_too(tmp_path):
    members, expected = cifar10_members()
    write_tar(tmp_path / "cifar-10-python.tar", members, mode="w")
    _assert_split(load_cifar10(tmp_path / "cifar-10-python.tar"), expected)


def test_a_named_path_is_never_a_fallback(tmp_path, isolated):
    make_cifar10(_download.cache_dir("cifar10") / ARCHIVE10)    # there, but a path the user names wins
    with pytest.raises(errors.DatasetError, match=r"is a folder without cifar-10-python.tar.gz or the unpacked "
                                                  r"CIFAR-10 files \(data_batch_1, .*test_batch\)"):
        load_cifar10(tmp_path)
    with pytest.raises(errors.DatasetError, match="path '.*nowhere' does not exist; pass the archive"):
        load_cifar100(path=tmp_path / "nowhere")
    partial = unpack({f"cifar-10-batches-py/{n}": b"" for n in CIFAR10_BATCHES}, tmp_path / "partial")
    with pytest.raises(errors.DatasetError, match="is a folder without"):   # test_batch is missing
        load_cifar10(partial / "cifar-10-batches-py")
    assert isolated.calls == []


def test_env_subfolder_then_env_root_then_cache_then_keras_cache(tmp_path, monkeypatch, isolated):
    env = tmp_path / "env"
    (env / "cifar10").mkdir(parents=True)
    keras_home = tmp_path / "keras-home"
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    keras_datasets = keras_home / "datasets"
    members = {seed: cifar10_members(seed=seed) for seed in range(5)}
    # Keras 3's cache: the verified archive under its own name, and the folder it unpacks into
    unpack(members[0][0], keras_datasets / "cifar-10-batches-py-target")
    _assert_split(load_cifar10(), members[0][1])
    write_tar(keras_datasets / "cifar-10-batches-py-target_archive", members[1][0])
    _assert_split(load_cifar10(), members[1][1])
    _download.cache_dir("cifar10").mkdir(parents=True)
    unpack(members[2][0], _download.cache_dir("cifar10"))            # cifar-10-batches-py/ in the cache
    _assert_split(load_cifar10(), members[2][1])
    monkeypatch.setenv("FNLEARN_DATA", str(env))
    write_tar(env / ARCHIVE10, members[3][0])
    _assert_split(load_cifar10(), members[3][1])
    write_tar(env / "cifar10" / ARCHIVE10, members[4][0])
    _assert_split(load_cifar10(), members[4][1])
    assert isolated.calls == []


def test_in_one_folder_the_archive_comes_before_an_unpacked_copy(tmp_path):
    archived, unpacked = cifar10_members(seed=1), cifar10_members(seed=2)
    write_tar(tmp_path / ARCHIVE10, archived[0])
    unpack(unpacked[0], tmp_path)
    _assert_split(load_cifar10(tmp_path), archived[1])


# --------------------------------------------------------------------------- downloads


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A local "origin" serving tiny archives over file://, with their true digests pinned."""
    folder = tmp_path / "server"
    folder.mkdir()
    make_cifar10(folder / ARCHIVE10)
    make_cifar100(folder / ARCHIVE100)
    for name in (ARCHIVE10, ARCHIVE100):
        spec = keras_files._FILES[name]
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        monkeypatch.setitem(keras_files._FILES, name, spec.__class__(
            **{**spec.__dict__, "digest": digest, "origin": folder.as_uri() + "/"}))
    return folder


def _cache_files(kind: str) -> list[str]:
    folder = _download.cache_dir(kind)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_fills_the_cache_once(server, isolated):
    first = load_cifar10(progress=False)
    assert _cache_files("cifar10") == [ARCHIVE10]
    assert (_download.cache_dir("cifar10") / ARCHIVE10).read_bytes() == (server / ARCHIVE10).read_bytes()
    assert isolated.calls == [(server / ARCHIVE10).as_uri()]
    _assert_same(load_cifar10(progress=False), first)
    load_cifar100("coarse", progress=False)
    load_cifar100("fine", progress=False)
    assert len(isolated.calls) == 2 and _cache_files("cifar100") == [ARCHIVE100]


def test_a_corrupted_download_is_refused_and_leaves_nothing(server):
    data = bytearray((server / ARCHIVE10).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (server / ARCHIVE10).write_bytes(bytes(data))
    with pytest.raises(errors.DatasetError) as info:
        load_cifar10(progress=False)
    assert "SHA-256 mismatch" in str(info.value) and "file refused" in str(info.value)
    assert _cache_files("cifar10") == []                 # no archive, no temporary .part either


@pytest.mark.parametrize("loader, name, kind", [(load_cifar10, ARCHIVE10, "cifar10"),
                                                (load_cifar100, ARCHIVE100, "cifar100")])
def test_offline_error_is_one_sentence_that_says_where_to_put_the_archive(loader, name, kind, isolated):
    with pytest.raises(errors.DatasetError) as info:
        loader(progress=False)
    message = str(info.value)
    assert "is not on this computer and could not be downloaded" in message and "no network in tests" in message
    assert f"put {name} (or the folder {cifar._CIFAR[kind].folder}/ it unpacks to) in " \
           f"'{_download.cache_dir(kind)}'" in message
    assert "$FNLEARN_DATA" in message and f"'{kind}/' subfolder" in message and message.endswith(".")
    assert "\n" not in message
    assert isolated.calls == ["https://www.cs.toronto.edu/~kriz/" + name]
    assert _cache_files(kind) == []


def test_download_false_never_touches_the_network(isolated):
    with pytest.raises(errors.DatasetError, match=r"CIFAR-100 \(cifar-100-python.tar.gz\) is not on this computer "
                                                  r"and download=False"):
        load_cifar100(download=False)
    assert isolated.calls == []


# --------------------------------------------------------------------------- what is refused


class RunsACommand:
    """Pickles to a call of os.system: what a tampered batch would hold."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_batch_that_would_run_a_command_is_refused(tmp_path):
    marker = tmp_path / "ran"
    evil = py2_pickle({b"data": RunsACommand(marker), b"labels": [0]})
    members, _ = cifar10_members()
    members["cifar-10-batches-py/data_batch_3"] = evil
    write_tar(tmp_path / ARCHIVE10, members)
    with pytest.raises(errors.DatasetError) as info:
        load_cifar10(tmp_path / ARCHIVE10)
    message = str(info.value)
    assert f"CIFAR-10 archive '{tmp_path / ARCHIVE10}' member 'cifar-10-batches-py/data_batch_3'" in message
    assert f"holds a pickled {os.system.__module__}.system, which is refused because unpickling it could run code" \
           in message
    unpack(members, tmp_path / "unpacked")
    with pytest.raises(errors.DatasetError, match=r"data_batch_3' holds a pickled .*system, which is refused"):
        load_cifar10(tmp_path / "unpacked")
    assert not marker.exists()


def test_an_eval_hidden_in_a_label_list_is_refused(tmp_path):
    class Evaluates:
        def __reduce__(self):
            return eval, ("1 + 1",)

    members, _ = cifar100_members()
    members["cifar-100-python/test"] = pickle.dumps({b"data": np.zeros((1, 3072), np.uint8),
                                                     b"fine_labels": [Evaluates()], b"coarse_labels": [0]})
    write_tar(tmp_path / ARCHIVE100, members)
    with pytest.raises(errors.DatasetError, match=r"holds a pickled builtins.eval, which is refused"):
        load_cifar100(path=tmp_path / ARCHIVE100)


def _with_test_batch(tmp_path: Path, test_batch: bytes) -> Path:
    members, _ = cifar10_members()
    members["cifar-10-batches-py/test_batch"] = test_batch
    return write_tar(tmp_path / ARCHIVE10, members)


IMAGES = np.zeros((2, 32, 32, 3), np.uint8)


@pytest.mark.parametrize("test_batch, words", [
    (py2_pickle([1, 2, 3]), "holds a pickled list, expected a dict with 'data' and 'labels'"),
    (py2_pickle({b"data": np.zeros((2, 3072), np.uint8), b"fine_labels": [1, 2]}),
     r"holds the keys \['data', 'fine_labels'\], expected 'data' and 'labels'"),
    (py2_pickle({b"data": np.zeros((2, 32, 32, 3), np.uint8), b"labels": [1, 2]}),
     r"holds an array of shape \(2, 32, 32, 3\) and dtype uint8 as 'data', expected uint8 rows of 3,072 pixels"),
    (py2_pickle({b"data": np.zeros((2, 3072), np.float32), b"labels": [1, 2]}),
     r"holds an array of shape \(2, 3072\) and dtype float32 as 'data'"),
    (py2_pickle({b"data": b"not an array", b"labels": [1, 2]}), "holds a bytes as 'data'"),
    (batch_bytes(IMAGES, labels=[1, 10]), r"holds 'labels' from 1 to 10, expected 0 to 9"),
    (batch_bytes(IMAGES, labels=[-1, 3]), r"holds 'labels' from -1 to 3, expected 0 to 9"),
    (batch_bytes(IMAGES, labels=[1, 2, 3]), r"holds 'labels' of shape \(3,\) and dtype int64 for 2 images, "
                                            r"expected one whole number per image"),
    (batch_bytes(IMAGES, labels=[b"cat", b"dog"]), r"holds 'labels' of shape \(2,\) and dtype \|S3"),
    (batch_bytes(IMAGES, labels=[0, 1])[:-40], r"cannot be read as a pickled CIFAR batch"),
    (b"", r"cannot be read as a pickled CIFAR batch \(EOFError"),
])
def test_wrong_contents_are_one_sentence_naming_the_member(tmp_path, test_batch, words):
    archive = _with_test_batch(tmp_path, test_batch)
    with pytest.raises(errors.DatasetError, match=words) as info:
        load_cifar10(archive)
    message = str(info.value)
    assert message.startswith(f"CIFAR-10 archive '{archive}' member 'cifar-10-batches-py/test_batch' ")
    assert "replace the file with the original." in message and "\n" not in message


def test_coarse_labels_above_19_are_refused(tmp_path):
    members, _ = cifar100_members()
    members["cifar-100-python/train"] = batch_bytes(IMAGES, fine_labels=[99, 0], coarse_labels=[20, 0])
    write_tar(tmp_path / ARCHIVE100, members)
    assert load_cifar100("fine", tmp_path / ARCHIVE100)[0][1].ravel().tolist() == [99, 0]
    with pytest.raises(errors.DatasetError, match=r"member 'cifar-100-python/train' holds 'coarse_labels' from 0 "
                                                  r"to 20, expected 0 to 19"):
        load_cifar100("coarse", tmp_path / ARCHIVE100)


def test_damaged_incomplete_or_foreign_archives_are_refused(tmp_path):
    (tmp_path / "junk.tar.gz").write_bytes(b"\x1f\x8b" + b"not really gzip" * 20)
    with pytest.raises(errors.DatasetError, match=r"CIFAR-10 archive '.*junk.tar.gz' cannot be read as a .tar.gz "
                                                  r"archive .*delete it and load again"):
        load_cifar10(tmp_path / "junk.tar.gz")
    make_cifar10(tmp_path / "whole.tar.gz")
    whole = (tmp_path / "whole.tar.gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(errors.DatasetError, match="cannot be read as a .tar.gz archive"):
        load_cifar10(tmp_path / "cut.tar.gz")
    members, _ = cifar10_members()
    del members["cifar-10-batches-py/data_batch_4"]
    write_tar(tmp_path / "short.tar.gz", members)
    with pytest.raises(errors.DatasetError, match=r"lacks cifar-10-batches-py/data_batch_4; it is not "
                                                  r"cifar-10-python.tar.gz or is incomplete"):
        load_cifar10(tmp_path / "short.tar.gz")
    make_cifar100(tmp_path / ARCHIVE100)
    with pytest.raises(errors.DatasetError, match=r"lacks cifar-10-batches-py/data_batch_1, .*test_batch"):
        load_cifar10(tmp_path / ARCHIVE100)


def test_a_member_far_larger_than_any_batch_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(cifar, "_MAX_BATCH_BYTES", 1000)
    make_cifar10(tmp_path / ARCHIVE10)
    with pytest.raises(errors.DatasetError, match=r"member 'cifar-10-batches-py/data_batch_1' is [\d,]+ bytes, more "
                                                  r"than any CIFAR batch"):
        load_cifar10(tmp_path / ARCHIVE10)


def test_members_are_read_not_extracted(tmp_path):
    members, expected = cifar10_members()
    members["../escaped"] = b"a member that an extraction would write outside its folder"
    write_tar(tmp_path / "inner" / ARCHIVE10, members)
    _assert_split(load_cifar10(tmp_path / "inner" / ARCHIVE10), expected)
    assert not (tmp_path / "escaped").exists() and sorted(os.listdir(tmp_path / "inner")) == [ARCHIVE10]


@pytest.mark.parametrize("label_mode", ["Fine", "superclass", None, 1])
def test_a_bad_label_mode_is_refused_before_any_file_is_touched(label_mode, isolated):
    with pytest.raises(errors.ConfigError, match=rf"label_mode={label_mode!r} is not usable; expected 'fine' "
                                                 r"\(100 classes\) or 'coarse' \(20 superclasses\)\."):
        load_cifar100(label_mode)
    assert isolated.calls == []


def test_the_real_archive_layout_is_what_the_fakes_hold(tmp_path):
    """The fake archive has the real one's member names, so the loader is tested on the names it will meet."""
    make_cifar10(tmp_path / ARCHIVE10)
    with tarfile.open(tmp_path / ARCHIVE10) as archive:
        names = sorted(archive.getnames())
    assert names == sorted(f"cifar-10-batches-py/{n}" for n in (*CIFAR10_BATCHES, "test_batch", "batches.meta",
                                                                 "readme.html"))
