"""The IDX reader, the MNIST search order and the verified download, all on tiny local files."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from idx_files import NAMES, idx_bytes, make_mnist_folder, write_idx

from fnlearn import errors
from fnlearn.datasets import _download, load_fashion_mnist, load_kmnist, load_mnist, mnist, read_idx

# --------------------------------------------------------------------------- read_idx


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trips_every_type(tmp_path, dtype, gz):
    rng = np.random.default_rng(1)
    array = (rng.normal(size=(3, 4, 5)) * 100).astype(dtype)
    got = read_idx(write_idx(tmp_path / "a-idx3", array, gz=gz))
    np.testing.assert_array_equal(got, array)
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    got[0, 0, 0] = 1  # the caller owns a writable array, like Keras's


def test_gzip_is_told_by_its_magic_bytes_not_the_name(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    (tmp_path / "packed-without-suffix").write_bytes(gzip.compress(idx_bytes(array)))
    (tmp_path / "raw-but-named.gz").write_bytes(idx_bytes(array))
    np.testing.assert_array_equal(read_idx(tmp_path / "packed-without-suffix"), array)
    np.testing.assert_array_equal(read_idx(tmp_path / "raw-but-named.gz"), array)


GOOD = idx_bytes(np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3))  # 16-byte header + 18 bytes


@pytest.mark.parametrize("content, words", [
    (b"", "0 bytes"),
    (b"\x00\x00", "2 bytes"),
    (b"\x12\x34" + GOOD[2:], "not an IDX magic number"),
    (GOOD[:2] + b"\x07" + GOOD[3:], "type code 0x07"),
    (GOOD[:3] + b"\x00" + GOOD[4:], "0 dimensions"),
    (GOOD[:10], "16-byte header"),
    (GOOD[:-1], "truncated"),
    (GOOD + b"\x00", "longer than its header says"),
    (GOOD[:3] + b"\x02" + GOOD[4:], "longer than its header says"),     # ndim 3 -> 2 misreads the dims
    (GOOD[:4] + (10**6).to_bytes(4, "big") + GOOD[8:], "truncated"),    # count far beyond the data
    # mtime=0: the parameter's bytes (and so the test's id) must not depend on the second it is collected
    # in, or parallel workers collect different tests
    (gzip.compress(GOOD, mtime=0)[:-12], "damaged gzip"),
])
def test_corrupted_header_or_truncated_file_is_one_sentence_naming_the_file(tmp_path, content, words):
    f = tmp_path / "train-images-idx3-ubyte"
    f.write_bytes(content)
    with pytest.raises(errors.DatasetError) as info:
        read_idx(f)
    message = str(info.value)
    assert str(f) in message and words in message
    assert "\n" not in message and message.endswith(".")


def test_missing_idx_file_is_a_dataset_error(tmp_path):
    with pytest.raises(errors.DatasetError, match="cannot be read"):
        read_idx(tmp_path / "nope")


# --------------------------------------------------------------------------- local search order


def _assert_loaded(result, arrays):
    (x_train, y_train), (x_test, y_test) = result
    for got, name in zip((x_train, y_train, x_test, y_test), NAMES):
        np.testing.assert_array_equal(got, arrays[name])
        assert got.dtype == np.uint8
    assert x_train.shape[1:] == (28, 28) and y_train.ndim == 1


@pytest.mark.parametrize("gz", [True, False])
def test_explicit_path_loads_gzip_or_raw(tmp_path, gz):
    arrays = make_mnist_folder(tmp_path / "d", gz=gz)
    _assert_loaded(load_mnist(tmp_path / "d"), arrays)
    _assert_loaded(load_mnist(str(tmp_path / "d")), arrays)


def test_mixed_gzip_raw_and_dotted_names_in_one_folder(tmp_path):
    arrays = make_mnist_folder(tmp_path, gz=False)
    os.rename(tmp_path / NAMES[0], tmp_path / "train-images.idx3-ubyte")  # a common spelling online
    write_idx(tmp_path / (NAMES[3] + ".gz"), arrays[NAMES[3]], gz=True)
    (tmp_path / NAMES[3]).unlink()
    _assert_loaded(load_mnist(tmp_path), arrays)


def test_explicit_path_may_hold_a_kind_subfolder(tmp_path):
    arrays = make_mnist_folder(tmp_path / "root" / "kmnist")
    _assert_loaded(load_mnist(tmp_path / "root", kind="kmnist"), arrays)
    _assert_loaded(load_kmnist(tmp_path / "root"), arrays)


def test_explicit_path_without_files_is_an_error_not_a_fallback(tmp_path, monkeypatch, isolated):
    make_mnist_folder(tmp_path / "env")
    make_mnist_folder(_download.cache_dir("mnist"))
    monkeypatch.setenv("FNLEARN_DATA", str(tmp_path / "env"))
    (tmp_path / "empty").mkdir()
    write_idx(tmp_path / "empty" / (NAMES[1] + ".gz"), np.zeros(6, np.uint8), gz=True)
    with pytest.raises(errors.DatasetError) as info:
        load_mnist(tmp_path / "empty")
    message = str(info.value)
    assert str(tmp_path / "empty") in message
    missing_part = message.split("(missing: ")[1].split(")")[0]
    assert missing_part == "train-images-idx3-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz"
    assert isolated.calls == []


def test_empty_explicit_folder_names_all_four_files_and_both_places(tmp_path):
    with pytest.raises(errors.DatasetError) as info:
        load_mnist(tmp_path, kind="fashion_mnist")
    assert str(info.value) == (
        f"path '{tmp_path}' holds none of the Fashion-MNIST files; put the four files "
        "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
        f"t10k-labels-idx1-ubyte.gz (gzip or unpacked) in '{tmp_path}' or '{tmp_path / 'fashion_mnist'}', "
        "or leave path out to use $FNLEARN_DATA, the cache and the download.")


def test_path_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(errors.DatasetError, match="is not a folder"):
        load_mnist(tmp_path / "f")


def test_env_kind_subfolder_then_env_root_then_cache(tmp_path, monkeypatch, isolated):
    env = tmp_path / "data"
    cached = make_mnist_folder(_download.cache_dir("mnist"), label_offset=3)
    monkeypatch.setenv("FNLEARN_DATA", str(env))
    _assert_loaded(load_mnist(), cached)                    # env folder does not exist: the cache

    env.mkdir()
    _assert_loaded(load_mnist(), cached)                    # env folder empty: still the cache

    root = make_mnist_folder(env, label_offset=1)
    _assert_loaded(load_mnist(), root)                      # files directly in $FNLEARN_DATA

    sub = make_mnist_folder(env / "mnist", label_offset=2)
    _assert_loaded(load_mnist(), sub)                       # $FNLEARN_DATA/mnist wins over the root

    monkeypatch.delenv("FNLEARN_DATA")
    _assert_loaded(load_mnist(), cached)
    assert isolated.calls == []


def test_each_kind_uses_its_own_env_subfolder_and_cache(tmp_path, monkeypatch):
    fashion = make_mnist_folder(tmp_path / "fashion_mnist", seed=5)
    monkeypatch.setenv("FNLEARN_DATA", str(tmp_path))
    _assert_loaded(load_fashion_mnist(), fashion)
    kmnist = make_mnist_folder(_download.cache_dir("kmnist"), seed=6)
    _assert_loaded(load_kmnist(), kmnist)


def test_cache_follows_xdg_cache_home_when_absolute(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert _download.cache_dir("mnist") == tmp_path / "x" / "fnlearn" / "mnist"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")      # the XDG rule: ignored
    assert _download.cache_dir("kmnist") == Path.home() / ".cache" / "fnlearn" / "kmnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert _download.cache_dir("kmnist") == Path.home() / ".cache" / "fnlearn" / "kmnist"


def test_unknown_kind_suggests_the_nearest(tmp_path):
    with pytest.raises(errors.ConfigError, match="did you mean 'kmnist'"):
        load_mnist(tmp_path, kind="kminst")


@pytest.mark.parametrize("swap, words", [
    ((NAMES[0], NAMES[1]), "expected 3-d uint8 images"),
    ((NAMES[1], NAMES[0]), "expected 1-d uint8 labels"),
])
def test_swapped_files_are_named(tmp_path, swap, words):
    arrays = make_mnist_folder(tmp_path, gz=False)
    write_idx(tmp_path / swap[0], arrays[swap[1]])
    with pytest.raises(errors.DatasetError, match=words):
        load_mnist(tmp_path)


def test_image_and_label_counts_must_agree(tmp_path):
    make_mnist_folder(tmp_path, gz=False)
    write_idx(tmp_path / NAMES[3], np.zeros(3, np.uint8))
    with pytest.raises(errors.DatasetError, match="4 images but 3 labels"):
        load_mnist(tmp_path)


def test_labels_beyond_nine_are_refused(tmp_path):
    make_mnist_folder(tmp_path, gz=False)
    write_idx(tmp_path / NAMES[1], np.array([0, 1, 2, 3, 4, 200], np.uint8))
    with pytest.raises(errors.DatasetError, match="label 200"):
        load_mnist(tmp_path)


# --------------------------------------------------------------------------- downloads


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A local "mirror" of gzip files served over file:// with their true SHA-256 digests."""
    folder = tmp_path / "server"
    arrays = make_mnist_folder(folder, gz=True, seed=9)
    digests = {f"{n}.gz": hashlib.sha256((folder / f"{n}.gz").read_bytes()).hexdigest() for n in NAMES}
    source = mnist._Source("MNIST", (folder.as_uri() + "/",), digests, {})
    monkeypatch.setitem(mnist._SOURCES, "mnist", source)
    return folder, arrays, source


def _cache_files(kind="mnist"):
    folder = _download.cache_dir(kind)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_fills_the_cache_once(server, isolated):
    folder, arrays, _ = server
    _assert_loaded(load_mnist(progress=False), arrays)
    assert _cache_files() == sorted(f"{n}.gz" for n in NAMES)
    for n in NAMES:
        assert (_download.cache_dir("mnist") / f"{n}.gz").read_bytes() == (folder / f"{n}.gz").read_bytes()
    assert len(isolated.calls) == 4
    _assert_loaded(load_mnist(progress=False), arrays)         # second time from the cache
    assert len(isolated.calls) == 4


def test_only_missing_files_are_downloaded(server, isolated):
    folder, arrays, _ = server
    cache = _download.cache_dir("mnist")
    cache.mkdir(parents=True)
    for n in NAMES[:2]:
        (cache / f"{n}.gz").write_bytes((folder / f"{n}.gz").read_bytes())
    _assert_loaded(load_mnist(progress=False), arrays)
    assert [u.rsplit("/", 1)[1] for u in isolated.calls] == [f"{n}.gz" for n in NAMES[2:]]


def test_next_mirror_is_tried_after_a_network_error(server, monkeypatch, isolated):
    folder, arrays, source = server
    both = mnist._Source("MNIST", ("https://offline.invalid/mnist/",) + source.mirrors, source.sha256, {})
    monkeypatch.setitem(mnist._SOURCES, "mnist", both)
    _assert_loaded(load_mnist(progress=False), arrays)
    assert sum(u.startswith("https:") for u in isolated.calls) == 4


def test_checksum_mismatch_is_refused_and_leaves_no_file(tmp_path, server, monkeypatch):
    folder, _, source = server
    wrong = dict(source.sha256, **{"t10k-images-idx3-ubyte.gz": hashlib.sha256(b"other").hexdigest()})
    monkeypatch.setitem(mnist._SOURCES, "mnist", mnist._Source("MNIST", source.mirrors, wrong, {}))
    with pytest.raises(errors.DatasetError) as info:
        load_mnist(progress=False)
    message = str(info.value)
    assert "SHA-256 mismatch" in message and "t10k-images-idx3-ubyte.gz" in message
    # the two files before it were good and are kept; the refused one left nothing, not even a .part
    assert _cache_files() == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]


def test_a_bad_mirror_is_skipped_for_a_good_one(tmp_path, server, monkeypatch):
    folder, arrays, source = server
    bad = tmp_path / "bad-mirror"
    bad.mkdir()
    for n in NAMES:
        (bad / f"{n}.gz").write_bytes(b"tampered")
    mirrors = (bad.as_uri() + "/",) + source.mirrors
    monkeypatch.setitem(mnist._SOURCES, "mnist", mnist._Source("MNIST", mirrors, source.sha256, {}))
    _assert_loaded(load_mnist(progress=False), arrays)
    assert _cache_files() == sorted(f"{n}.gz" for n in NAMES)


@pytest.mark.parametrize("kind, title", [("mnist", "MNIST"), ("fashion_mnist", "Fashion-MNIST"),
                                         ("kmnist", "KMNIST")])
def test_offline_error_names_the_four_files_the_folder_and_the_env_var(kind, title, isolated):
    with pytest.raises(errors.DatasetError) as info:
        load_mnist(kind=kind, progress=False)
    message = str(info.value)
    assert message.startswith(f"{title} is not on this computer and could not be downloaded")
    for n in NAMES:
        assert f"{n}.gz" in message
    assert f"'{_download.cache_dir(kind)}'" in message and "$FNLEARN_DATA" in message
    assert f"'{kind}/' subfolder" in message
    assert "no network in tests" in message
    # it stops after the first file: every mirror tried once, nothing more
    assert len(isolated.calls) == len(mnist._SOURCES[kind].mirrors)
    assert all(u.startswith(("https://", "http://")) for u in isolated.calls)
    assert _cache_files(kind) == []


def test_download_false_never_touches_the_network(isolated):
    with pytest.raises(errors.DatasetError, match="download=False; put the four files"):
        load_mnist(download=False)
    assert isolated.calls == []


def test_canonical_sources_pin_sha256_for_the_four_files_of_each_kind():
    for source in mnist._SOURCES.values():
        assert sorted(source.sha256) == sorted(f"{n}.gz" for n in NAMES)
        assert all(len(d) == 64 and int(d, 16) >= 0 for d in source.sha256.values())
        assert all(m.endswith("/") for m in source.mirrors) and len(source.mirrors) >= 2
    assert len({d for s in mnist._SOURCES.values() for d in s.sha256.values()}) == 12


def test_download_with_a_fake_opener_and_plain_progress_lines(tmp_path, monkeypatch, capsys):
    payload = os.urandom(200_000)
    digest = hashlib.sha256(payload).hexdigest()
    monkeypatch.setitem(sys.modules, "rich.progress", None)   # as if rich were not installed
    dest = _download.download(["fake://x"], tmp_path / "out" / "f.gz", digest, size=len(payload),
                              opener=lambda url: io.BytesIO(payload))
    assert dest.read_bytes() == payload
    assert sorted(p.name for p in dest.parent.iterdir()) == ["f.gz"]
    err = capsys.readouterr().err
    assert "downloading f.gz" in err and "100 %" in err and err.count(" %") == 10


def test_download_failure_lists_one_reason_per_url_and_keeps_nothing(tmp_path):
    def opener(url):
        if url.endswith("/a"):
            raise OSError("timed out")
        return io.BytesIO(b"wrong bytes")
    with pytest.raises(_download.DownloadFailed) as info:
        _download.download(["fake://host/a", "fake://host/b"], tmp_path / "f.gz", "0" * 64,
                           progress=False, opener=opener)
    assert info.value.reasons[0] == "fake://host/a: timed out"
    assert info.value.reasons[1].startswith("fake://host/b: SHA-256 mismatch")
    assert list(tmp_path.iterdir()) == []


def test_rich_progress_bar_runs_when_rich_is_installed(tmp_path):
    pytest.importorskip("rich")
    payload = b"x" * 70_000
    dest = _download.download(["fake://x"], tmp_path / "f", hashlib.sha256(payload).hexdigest(),
                              opener=lambda url: io.BytesIO(payload))
    assert dest.read_bytes() == payload


def test_files_keras_already_downloaded_are_used_after_fnlearns_own(tmp_path, monkeypatch):
    keras_home = tmp_path / "keras-home"
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    fashion = make_mnist_folder(keras_home / "datasets" / "fashion-mnist", seed=3)  # where Keras keeps them
    _assert_loaded(load_fashion_mnist(download=False), fashion)
    rng = np.random.default_rng(4)
    digits = {"x_train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8), "y_train": np.arange(5, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8), "y_test": np.arange(3, dtype=np.uint8)}
    np.savez(keras_home / "datasets" / "mnist.npz", **digits)  # Keras's MNIST is one npz file
    (x_train, y_train), (x_test, y_test) = load_mnist(download=False)
    for got, name in zip((x_train, y_train, x_test, y_test), digits):
        np.testing.assert_array_equal(got, digits[name])
    own = make_mnist_folder(_download.cache_dir("mnist"), seed=5, label_offset=1)
    _assert_loaded(load_mnist(download=False), own)  # fnlearn's own cache comes first


@pytest.mark.parametrize("damage,words", [
    ("truncated", "cannot be read"),
    ("labels", "holds label 12, expected digits 0 to 9"),
])
def test_a_damaged_keras_mnist_file_is_one_sentence(tmp_path, monkeypatch, damage, words):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    path = tmp_path / "datasets" / "mnist.npz"
    path.parent.mkdir(parents=True)
    images = np.zeros((2, 28, 28), dtype=np.uint8)
    labels = np.array([1, 12 if damage == "labels" else 2], dtype=np.uint8)
    np.savez(path, x_train=images, y_train=labels, x_test=images, y_test=labels)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(errors.DatasetError, match=rf"Keras's MNIST file '.*mnist.npz'.*{words}"):
        load_mnist(download=False)
