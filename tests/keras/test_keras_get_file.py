"""keras.utils.get_file: downloads into Keras's cache (file:// and a local HTTP server stand in for the network),
reuses what is there, checks hashes, writes atomically, unpacks archives safely; laid out as Keras 3 lays it out."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import os
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest
from real_keras import real_keras

from fnlearn import errors, keras
from fnlearn.datasets import _download

PAYLOAD = b"day,views\n2021-01-01,4\n" * 50


def _files(folder: Path) -> list[str]:
    """Every file and folder under ``folder``, hidden ones included, as sorted relative paths."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


@pytest.fixture
def origin(tmp_path):
    """A file to download, in a folder of its own."""
    source = tmp_path / "server" / "views.csv"
    source.parent.mkdir()
    source.write_bytes(PAYLOAD)
    return source


@pytest.fixture
def opened(monkeypatch):
    """Counts the URLs get_file opens (the real opener still serves them)."""
    calls: list[str] = []
    real = _download.open_url

    def counting(url, timeout=_download.TIMEOUT_S):
        calls.append(url)
        return real(url, timeout)

    monkeypatch.setattr(_download, "open_url", counting)
    return calls


def _tar(path: Path, members: dict[str, bytes], mode: str = "w:gz") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, mode) as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path


def _link_tar(path: Path, links: list[tuple[str, str]], files: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w") as tar:
        for name, target in links:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


# --------------------------------------------------------------------------- downloads and the cache


def test_downloads_into_keras_home_datasets_by_default(origin, opened):
    path = keras.utils.get_file(origin=origin.as_uri())
    assert isinstance(path, str)
    expected = Path(os.environ["KERAS_HOME"]) / "datasets" / "views.csv"  # the test's own KERAS_HOME
    assert Path(path) == expected and expected.read_bytes() == PAYLOAD
    assert _files(expected.parent) == ["views.csv"]  # no temporary file left beside it
    assert opened == [origin.as_uri()]


def test_fname_cache_dir_and_cache_subdir_place_the_file(origin, tmp_path):
    path = keras.utils.get_file("mine.csv", origin.as_uri(), cache_dir=tmp_path / "c", cache_subdir="data")
    assert Path(path) == tmp_path / "c" / "data" / "mine.csv"
    absolute = keras.utils.get_file("x.csv", origin.as_uri(), cache_dir=tmp_path / "c", cache_subdir=tmp_path / "abs")
    assert Path(absolute) == tmp_path / "abs" / "x.csv"  # an absolute cache_subdir is used as it is, as in Keras


def test_a_cached_file_is_used_without_touching_the_origin(origin, opened, tmp_path):
    first = keras.utils.get_file(origin=origin.as_uri(), cache_dir=tmp_path / "c")
    origin.unlink()  # the origin is gone: only the cache can answer
    again = keras.utils.get_file(origin=origin.as_uri(), cache_dir=tmp_path / "c")
    assert again == first and Path(again).read_bytes() == PAYLOAD
    assert len(opened) == 1


def test_a_cached_file_that_matches_the_hash_is_reused(origin, opened, tmp_path):
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    keras.utils.get_file(origin=origin.as_uri(), file_hash=digest, cache_dir=tmp_path / "c")
    origin.unlink()
    path = keras.utils.get_file(origin=origin.as_uri(), file_hash=digest, cache_dir=tmp_path / "c")
    assert Path(path).read_bytes() == PAYLOAD and len(opened) == 1


def test_a_cached_file_that_does_not_match_the_hash_is_downloaded_again(origin, opened, tmp_path, capsys):
    stale = tmp_path / "c" / "datasets" / "views.csv"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half a fi")
    path = keras.utils.get_file(origin=origin.as_uri(), file_hash=hashlib.sha256(PAYLOAD).hexdigest(),
                                cache_dir=tmp_path / "c")
    assert Path(path) == stale and stale.read_bytes() == PAYLOAD
    assert len(opened) == 1 and "downloading it again" in capsys.readouterr().err
    assert _files(stale.parent) == ["views.csv"]


def test_force_download_fetches_again(origin, opened, tmp_path):
    keras.utils.get_file(origin=origin.as_uri(), cache_dir=tmp_path / "c")
    origin.write_bytes(b"new content")
    kept = keras.utils.get_file(origin=origin.as_uri(), cache_dir=tmp_path / "c")
    assert Path(kept).read_bytes() == PAYLOAD  # without force_download, the cached copy
    fresh = keras.utils.get_file(origin=origin.as_uri(), cache_dir=tmp_path / "c", force_download=True)
    assert Path(fresh).read_bytes() == b"new content" and len(opened) == 2


@pytest.mark.parametrize("kwargs", [
    {"file_hash": hashlib.md5(PAYLOAD).hexdigest()},                           # "auto": 32 digits are an MD5
    {"file_hash": hashlib.md5(PAYLOAD).hexdigest(), "hash_algorithm": "md5"},
    {"md5_hash": hashlib.md5(PAYLOAD).hexdigest()},                            # Keras's older argument
    {"file_hash": hashlib.sha256(PAYLOAD).hexdigest().upper(), "hash_algorithm": "sha256"},
])
def test_sha256_and_md5_hashes_are_checked(origin, tmp_path, kwargs):
    path = keras.utils.get_file(origin=origin.as_uri(), cache_dir=tmp_path / "c", **kwargs)
    assert Path(path).read_bytes() == PAYLOAD


@pytest.mark.parametrize("algorithm, title", [("sha256", "SHA-256"), ("md5", "MD5")])
def test_a_download_that_does_not_match_the_hash_is_refused_and_leaves_nothing(origin, tmp_path, algorithm, title):
    wrong = hashlib.new(algorithm, b"other bytes").hexdigest()
    with pytest.raises(errors.DatasetError) as info:
        keras.utils.get_file(origin=origin.as_uri(), file_hash=wrong, cache_dir=tmp_path / "c")
    message = str(info.value)
    assert title in message and wrong in message and hashlib.new(algorithm, PAYLOAD).hexdigest() in message
    assert "nothing was kept" in message and "\n" not in message
    assert _files(tmp_path / "c" / "datasets") == []  # neither the file nor a temporary one


def test_a_refused_download_leaves_the_cached_copy_alone(origin, tmp_path):
    cached = tmp_path / "c" / "datasets" / "views.csv"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"old")
    with pytest.raises(errors.DatasetError):
        keras.utils.get_file(origin=origin.as_uri(), file_hash="0" * 64, cache_dir=tmp_path / "c")
    assert cached.read_bytes() == b"old" and _files(cached.parent) == ["views.csv"]


def test_an_unreachable_origin_is_one_sentence_and_leaves_nothing(tmp_path):
    missing = (tmp_path / "nowhere" / "data.csv").as_uri()
    with pytest.raises(errors.DatasetError) as info:
        keras.utils.get_file(origin=missing, cache_dir=tmp_path / "c")
    message = str(info.value)
    assert missing in message and "could not be downloaded" in message and "\n" not in message
    assert _files(tmp_path / "c" / "datasets") == []


@pytest.mark.parametrize("kwargs, words", [
    ({}, "needs origin="),
    ({"origin": ""}, "needs origin="),
    ({"origin": "data/views.csv"}, "is not a URL"),
    ({"origin": "file:///tmp/x.csv", "hash_algorithm": "sha1"}, "hash_algorithm='sha1'"),
    ({"origin": "file:///tmp/x.csv", "file_hash": "abc"}, "file_hash='abc' is not an MD5"),
    ({"origin": "file:///tmp/x.csv", "file_hash": 123}, "file_hash is a int"),
    ({"origin": "file:///tmp/x.csv", "md5_hash": "a" * 64}, "md5_hash='a+' is not an MD5"),
    ({"origin": "file:///tmp/x.csv", "cache_subdir": None}, "cache_subdir is a NoneType"),
    ({"origin": "file:///tmp/x.csv", "fname": 3}, "fname is a int"),
    ({"origin": "file:///tmp/x.csv", "file_hash": "z" * 64}, "is not a SHA-256"),
    ({"origin": "file:///tmp/x.csv", "file_hash": "a" * 32, "hash_algorithm": "sha256"}, "64 hex digits"),
    ({"origin": "file:///tmp/x.csv", "fname": "sub/x.csv"}, "is a path"),
    ({"origin": "file:///tmp/", "extract": False}, "ends in no file name"),
    ({"origin": "file:///tmp/x.tar", "extract": True, "archive_format": "rar"}, "archive_format='rar'"),
    ({"origin": "file:///tmp/x.tar", "extract": True, "archive_format": None}, "names no archive format"),
])
def test_bad_arguments_are_refused_before_anything_is_made(tmp_path, kwargs, words):
    with pytest.raises(errors.ConfigError, match=words.replace("(", r"\(")) as info:
        keras.utils.get_file(cache_dir=tmp_path / "c", **kwargs)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "c").exists()


def test_downloads_over_http(origin, tmp_path, monkeypatch):
    for proxy in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(origin.parent))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        path = keras.utils.get_file(origin=f"{base}/views.csv", cache_dir=tmp_path / "c",
                                    file_hash=hashlib.sha256(PAYLOAD).hexdigest())
        assert Path(path).read_bytes() == PAYLOAD
        with pytest.raises(errors.DatasetError, match="404"):
            keras.utils.get_file(origin=f"{base}/absent.csv", cache_dir=tmp_path / "c")
        assert _files(tmp_path / "c" / "datasets") == ["views.csv"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# --------------------------------------------------------------------------- archives


def test_extract_without_fname_keeps_the_archive_and_unpacks_it_beside(tmp_path):
    source = _tar(tmp_path / "server" / "flowers.tgz", {"flowers/a.txt": b"a", "flowers/sub/b.txt": b"b"})
    path = keras.utils.get_file(origin=source.as_uri(), extract=True, cache_dir=tmp_path / "c")
    folder = tmp_path / "c" / "datasets"
    assert Path(path) == folder / "flowers.tgz"  # Keras 3: the folder takes the URL's last part
    assert _files(folder) == ["flowers.tgz", "flowers.tgz/flowers", "flowers.tgz/flowers/a.txt",
                              "flowers.tgz/flowers/sub", "flowers.tgz/flowers/sub/b.txt", "flowers.tgz_archive"]
    assert (Path(path) / "flowers" / "sub" / "b.txt").read_bytes() == b"b"


@pytest.mark.parametrize("fname, archive, unpacked", [
    ("flowers", "flowers_archive", "flowers"),
    ("flowers.tar.gz", "flowers.tar.gz", "flowers_extracted"),
])
def test_extract_with_fname(tmp_path, fname, archive, unpacked):
    source = _tar(tmp_path / "server" / "f.tgz", {"a.txt": b"a"})
    path = keras.utils.get_file(fname, source.as_uri(), extract=True, cache_dir=tmp_path / "c")
    folder = tmp_path / "c" / "datasets"
    assert Path(path) == folder / unpacked
    assert _files(folder) == sorted([archive, unpacked, f"{unpacked}/a.txt"])


def test_zip_archives_and_untar(tmp_path):
    source = _zip(tmp_path / "server" / "data.zip", {"data/x.txt": b"x"})
    path = keras.utils.get_file("data.zip", source.as_uri(), extract=True, cache_dir=tmp_path / "c")
    assert (Path(path) / "data" / "x.txt").read_bytes() == b"x" and Path(path).name == "data_extracted"
    tar = _tar(tmp_path / "server" / "plain.tar", {"y.txt": b"y"}, mode="w")
    path = keras.utils.get_file("plain", tar.as_uri(), untar=True, cache_dir=tmp_path / "c")
    assert (Path(path) / "y.txt").read_bytes() == b"y"
    with pytest.raises(errors.DatasetError, match="is not a tar archive"):  # untar reads tar archives only
        keras.utils.get_file("zipped", source.as_uri(), untar=True, cache_dir=tmp_path / "c")


def test_extracted_folder_is_reused_and_made_again_when_missing(tmp_path, opened):
    source = _tar(tmp_path / "server" / "f.tgz", {"a.txt": b"a"})
    path = Path(keras.utils.get_file("f", source.as_uri(), extract=True, cache_dir=tmp_path / "c"))
    (path / "note.txt").write_text("mine")  # the folder is not unpacked again while it is there
    source.unlink()
    assert Path(keras.utils.get_file("f", source.as_uri(), extract=True, cache_dir=tmp_path / "c")) == path
    assert (path / "note.txt").exists() and len(opened) == 1
    for item in path.iterdir():
        item.unlink()
    path.rmdir()
    keras.utils.get_file("f", source.as_uri(), extract=True, cache_dir=tmp_path / "c")  # from the cached archive
    assert _files(path) == ["a.txt"] and len(opened) == 1


def test_a_new_download_replaces_the_extracted_folder_whole(tmp_path):
    source = _tar(tmp_path / "server" / "f.tgz", {"old.txt": b"1"})
    keras.utils.get_file("f", source.as_uri(), extract=True, cache_dir=tmp_path / "c")
    _tar(source, {"new.txt": b"2"})
    path = keras.utils.get_file("f", source.as_uri(), extract=True, cache_dir=tmp_path / "c", force_download=True)
    assert _files(Path(path)) == ["new.txt"]
    assert _files(tmp_path / "c" / "datasets") == ["f", "f/new.txt", "f_archive"]  # no old or half copy left


@pytest.mark.parametrize("make, member", [
    (lambda p: _tar(p, {"ok.txt": b"1", "../evil.txt": b"x"}), "../evil.txt"),
    (lambda p: _tar(p, {"a/../../evil.txt": b"x"}), "a/../../evil.txt"),
    (lambda p: _tar(p, {"/tmp/evil.txt": b"x"}), "/tmp/evil.txt"),
    (lambda p: _zip(p, {"ok.txt": b"1", "../evil.txt": b"x"}), "../evil.txt"),
    (lambda p: _link_tar(p, [("out", "../..")], {}), "out"),
    (lambda p: _link_tar(p, [("abs", "/etc")], {}), "abs"),
    (lambda p: _link_tar(p, [("here", ".")], {"here/../evil.txt": b"x"}), "here/../evil.txt"),
    (lambda p: _link_tar(p, [("d", "sub")], {"d/evil.txt": b"x"}), "d/evil.txt"),
    (lambda p: _link_tar(p, [("here", "."), ("up", "here/..")], {}), "up"),
])
def test_members_that_leave_the_folder_refuse_the_archive(tmp_path, make, member):
    source = make(tmp_path / "server" / "bad.archive")
    with pytest.raises(errors.DatasetError) as info:
        keras.utils.get_file("bad", source.as_uri(), extract=True, cache_dir=tmp_path / "c")
    message = str(info.value)
    assert repr(member) in message and "refused" in message and "nothing was unpacked" in message
    assert "\n" not in message
    assert _files(tmp_path / "c" / "datasets") == ["bad_archive"]  # the verified download stays; nothing unpacked
    assert not list(tmp_path.rglob("evil.txt"))


def test_extract_of_a_file_that_is_no_archive_is_refused(origin, tmp_path):
    with pytest.raises(errors.DatasetError, match="is not a tar or zip archive"):
        keras.utils.get_file(origin=origin.as_uri(), extract=True, cache_dir=tmp_path / "c")
    assert _files(tmp_path / "c" / "datasets") == ["views.csv_archive"]


def test_reachable_from_the_tf_front_end():
    from fnlearn.compat import tensorflow as tf

    assert tf.keras.utils.get_file is keras.utils.get_file


# --------------------------------------------------------------------------- the same as Keras 3


@pytest.mark.parametrize("fname, extract", [(None, False), ("named.csv", False), (None, True), ("flowers", True),
                                            ("flowers.tgz", True)])
def test_paths_and_files_are_those_of_keras(tmp_path, fname, extract):
    real = real_keras()
    if extract:
        source = _tar(tmp_path / "server" / "flowers.tgz", {"flowers/a.txt": b"a", "flowers/b/c.txt": b"c"})
    else:
        source = tmp_path / "server" / "views.csv"
        source.parent.mkdir()
        source.write_bytes(PAYLOAD)
    for cache in ("k", "f"):  # Keras puts files in <temporary folder>/.keras when cache_dir does not exist yet
        (tmp_path / cache).mkdir()
    theirs = real.utils.get_file(fname, source.as_uri(), extract=extract, cache_dir=str(tmp_path / "k"))
    ours = keras.utils.get_file(fname, source.as_uri(), extract=extract, cache_dir=str(tmp_path / "f"))
    assert os.path.relpath(ours, tmp_path / "f") == os.path.relpath(theirs, tmp_path / "k")
    assert _files(tmp_path / "f") == _files(tmp_path / "k")
    for name in _files(tmp_path / "k"):
        if (tmp_path / "k" / name).is_file():
            assert (tmp_path / "f" / name).read_bytes() == (tmp_path / "k" / name).read_bytes()
