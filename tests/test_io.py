"""Model files: round trips, atomic writes (with a process killed mid-save), and a loader that refuses
missing, empty, truncated, bit-flipped, foreign and crafted files with one ModelFileError sentence."""

from __future__ import annotations

import json
import os
import random
import re
import struct
import subprocess
import sys
import textwrap
import time
import zipfile
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fnlearn as fl
from fnlearn import backend, io
from fnlearn.errors import ConfigError, ModelFileError, NotReadyError, SaveError, ShapeError

safetensors_numpy = pytest.importorskip("safetensors.numpy")


def small_model(dtype: str = "float32") -> fl.Sequential:
    fl.set_default_dtype(dtype)
    fl.set_seed(3)
    return fl.Sequential([fl.layers.Dense(6, activation="relu", input_shape=(4,)),
                          fl.layers.Dropout(0.25),
                          fl.layers.Dense(5, activation="tanh"),
                          fl.layers.Activation("sigmoid"),
                          fl.layers.Dense(3, activation="softmax", kernel_initializer=fl.nn.initializers.normal(0.1))])


def same_weights(a: fl.Sequential, b: fl.Sequential) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(sa[k].dtype == sb[k].dtype and np.array_equal(sa[k], sb[k]) for k in sa)


def seeded_mlp(seed: int, optimizer: Any) -> fl.Sequential:
    """The test MLP made right after fl.set_seed(seed), compiled with ``optimizer`` and MSE: the same start
    for a straight run and for one that is saved and resumed."""
    fl.set_seed(seed)
    model = mlp()
    model.compile(optimizer=optimizer, loss="mse")
    return model


def craft(header: dict, data: bytes = b"", header_len: int | None = None) -> bytes:
    raw = json.dumps(header).encode()
    return (len(raw) if header_len is None else header_len).to_bytes(8, "little") + raw + data


def fnlearn_doc(**changes) -> dict:
    doc = {"format": "fnlearn", "format_version": 1, "kind": "model", "fnlearn_version": fl.__version__,
           "dtype": "float32", "compile": None, "optimizer_state": None,
           "model": {"name": "sequential", "layers": [
               {"class_name": "Dense", "config": {"name": "d", "units": 2, "input_shape": [3]}}]}}
    doc.update(changes)
    return doc


def dense_tensors(inputs: int = 3, units: int = 2) -> dict:
    return {"param/0.kernel": np.ones((inputs, units), np.float32), "param/0.bias": np.zeros(units, np.float32)}


def load_error(path) -> str:
    with pytest.raises(ModelFileError) as info:
        io.load_model(path)
    message = str(info.value)
    assert str(path) in message and message.count(". ") == 0 and message.endswith(".")
    return message


# ----------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_save_load_predict_is_bit_identical(tmp_path, dtype):
    model = small_model(dtype)
    path = tmp_path / "m.fnl"
    io.save_model(model, path)
    fl.set_default_dtype("float32")  # loading must not depend on the current default
    again = io.load_model(path)
    assert same_weights(model, again)
    assert again.parameters()[0].dtype == np.dtype(dtype)
    x = np.random.default_rng(0).normal(size=(7, 4)).astype(dtype)
    model.eval()
    again.eval()
    assert np.array_equal(model(x).numpy(), again(x).numpy())
    assert again.get_config() == model.get_config()


def test_loading_does_not_advance_the_random_stream(tmp_path):
    path = tmp_path / "m.fnl"
    io.save_model(small_model(), path)
    fl.set_seed(11)
    expected = backend.rng().random(3)
    fl.set_seed(11)
    io.load_model(path)
    assert np.array_equal(backend.rng().random(3), expected)


def test_lazily_built_layers_are_rebuilt_from_the_weights(tmp_path):
    model = fl.Sequential([fl.layers.Flatten(), fl.layers.Dense(3, activation="relu"), fl.layers.Dense(2)])
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    out = model(x).numpy()
    io.save_model(model, tmp_path / "lazy.fnl")
    again = io.load_model(tmp_path / "lazy.fnl")
    assert np.array_equal(again(x).numpy(), out)


def test_saving_an_unbuilt_model_says_what_to_do(tmp_path):
    with pytest.raises(NotReadyError, match="input_shape"):
        io.save_model(fl.Sequential([fl.layers.Dense(2)]), tmp_path / "m.fnl")
    assert not os.listdir(tmp_path)


def test_save_into_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        io.save_model(small_model(), tmp_path / "no" / "m.fnl")


def test_weights_only_round_trip_and_mismatch(tmp_path):
    model = small_model()
    path = tmp_path / "w.fnl"
    io.save_weights(model, path)
    other = small_model()
    for p in other.parameters():
        p.data[...] = 0
    io.load_weights(other, path)
    assert same_weights(model, other)
    # an unbuilt model of the same layers is built from the file
    fresh = fl.Sequential([fl.layers.Dense(6, activation="relu"), fl.layers.Dropout(0.25),
                           fl.layers.Dense(5, activation="tanh"), fl.layers.Activation("sigmoid"),
                           fl.layers.Dense(3, activation="softmax")])
    io.load_weights(fresh, path)
    assert same_weights(model, fresh)
    wrong = fl.Sequential([fl.layers.Dense(7, input_shape=(4,))])
    before = wrong.state_dict()
    with pytest.raises(ShapeError, match="do not fit this model"):
        io.load_weights(wrong, path)
    assert all(np.array_equal(before[k], v) for k, v in wrong.state_dict().items())
    assert "holds only weights" in load_error(path)


@pytest.mark.parametrize("layers, words", [
    ([fl.layers.Dense(4), fl.layers.Dense(3), fl.layers.Dense(2)], "hold none for layer(s) 'deeper'"),
    ([fl.layers.Dense(6, name="first"), fl.layers.Dense(3)], "do not fit this model: the model's 'first."),
])
def test_weights_that_do_not_fit_an_unbuilt_model_leave_it_unbuilt(tmp_path, layers, words):
    path = tmp_path / "w.fnl"
    io.save_weights(fl.Sequential([fl.layers.Dense(4, input_dim=5), fl.layers.Dense(3)]), path)
    layers[-1].name = "deeper" if len(layers) == 3 else layers[-1].name
    model = fl.Sequential(layers)
    fl.set_seed(0)
    with pytest.raises(ShapeError, match=re.escape(words)):
        io.load_weights(model, path)
    assert not model.built and not any(getattr(layer, "built", False) and layer.kernel is not None
                                       for layer in model.layers)
    drawn = fl.backend.rng().integers(1000)
    fl.set_seed(0)
    assert fl.backend.rng().integers(1000) == drawn  # nothing drawn from the seeded stream either
    fits = fl.Sequential([fl.layers.Dense(4), fl.layers.Dense(3)])
    io.load_weights(fits, path)
    assert fits.built


def test_a_full_model_file_also_gives_its_weights(tmp_path):
    model = small_model()
    io.save_model(model, tmp_path / "m.fnl")
    other = small_model()
    for p in other.parameters():
        p.data[...] = 1
    io.load_weights(other, tmp_path / "m.fnl")
    assert same_weights(model, other)


def test_file_is_safetensors_with_documented_metadata(tmp_path):
    model = small_model()
    io.save_model(model, tmp_path / "m.fnl")
    tensors = safetensors_numpy.load_file(str(tmp_path / "m.fnl"))
    assert set(tensors) == {f"param/{k}" for k in model.state_dict()}
    from safetensors import safe_open

    with safe_open(str(tmp_path / "m.fnl"), framework="numpy") as f:
        meta = f.metadata()
    doc = json.loads(meta["fnlearn"])
    assert doc["format"] == "fnlearn" and doc["format_version"] == 1 and doc["dtype"] == "float32"
    assert doc["fnlearn_version"] == fl.__version__ and doc["model"] == model.get_config()
    assert len(meta["fnlearn.sha256"]) == 64


def test_keras_input_layer_in_a_plain_sequential_round_trips(tmp_path):
    from fnlearn.keras import layers

    model = fl.Sequential([layers.Input(shape=(3,)), fl.layers.Dense(2)])
    io.save_model(model, tmp_path / "m.fnl")
    again = io.load_model(tmp_path / "m.fnl")
    assert same_weights(model, again) and [type(layer).__name__ for layer in again.layers] == ["Dense"]


@pytest.mark.parametrize("loader", [io.load_model, lambda path: keras_load(path)])
def test_files_that_kept_an_input_as_layer_zero_still_load(tmp_path, loader):
    from fnlearn.keras import layers

    # Written as older versions did: the Input was layer 0 and the Dense layer's weights were "1.kernel".
    old = fl.Sequential()
    entry = layers.Input(shape=(3,))
    setattr(old, "0", entry)
    old._layers.append(entry)
    old.add(fl.layers.Dense(2))
    old.compile("adam", "mse")
    x = np.random.default_rng(0).normal(size=(8, 3))
    old.fit(x, x[:, :2], epochs=2, verbose=0)
    assert "1.kernel" in dict(old.named_parameters())
    io.save_model(old, tmp_path / "old.fnl")
    again = loader(tmp_path / "old.fnl")
    assert len(again.layers) == 1
    np.testing.assert_array_equal(again.predict(x), old.predict(x))
    assert again.optimizer.state_dict()["iterations"] == old.optimizer.state_dict()["iterations"]


def test_load_weights_reads_a_file_that_kept_an_input_as_layer_zero(tmp_path):
    from fnlearn.keras import layers

    old = fl.Sequential()
    entry = layers.Input(shape=(3,))
    setattr(old, "0", entry)
    old._layers.append(entry)
    old.add(fl.layers.Dense(2))
    io.save_model(old, tmp_path / "old.fnl")
    again = fl.Sequential([layers.Input(shape=(3,)), fl.layers.Dense(2)])
    io.load_weights(again, tmp_path / "old.fnl")
    np.testing.assert_array_equal(again.get_weights()[0], old.get_weights()[0])


class _Logged(fl.nn.Module):
    """A module of the user's own that cannot be deep-copied (it holds a lock)."""

    def __init__(self):
        super().__init__()
        import threading

        self.lock = threading.Lock()

    def forward(self, x):
        return x


def test_load_weights_into_an_unbuilt_model_with_a_module_that_cannot_be_copied(tmp_path):
    io.save_weights(fl.Sequential([fl.layers.Dense(4, input_dim=3), _Logged(), fl.layers.Dense(1)]), tmp_path / "w")
    model = fl.Sequential([fl.layers.Dense(4), _Logged(), fl.layers.Dense(1)])
    io.load_weights(model, tmp_path / "w")
    assert model.built and model.predict(np.ones((2, 3))).shape == (2, 1)


def test_a_checkpoint_records_the_epochs_trained_so_far(tmp_path, float64):
    x, y = regression_data(40, seed=1)

    def start() -> fl.Sequential:
        return seeded_mlp(9, "adam")

    straight = start()
    straight.fit(x, y, epochs=4, batch_size=8, verbose=0)
    first = start()
    first.fit(x, y, epochs=4, batch_size=8, verbose=0,
              callbacks=[fl.callbacks.ModelCheckpoint(str(tmp_path / "ck-{epoch}.fnl"), monitor="loss")])
    resumed = fl.load_model(tmp_path / "ck-2.fnl")
    assert resumed.epochs_trained == 2
    resumed.fit(x, y, epochs=2, batch_size=8, verbose=0)  # plain fit, no initial_epoch
    assert same_weights(straight, resumed)


def keras_load(path):
    from fnlearn import keras

    return keras.models.load_model(path)


# ----------------------------------------------------------------------------- atomic writes


def temp_files(folder) -> list[str]:
    return [n for n in os.listdir(folder) if n.endswith(io.TEMP_SUFFIX)]


def test_failed_replace_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "m.fnl"
    first = small_model()
    io.save_model(first, path)
    before = path.read_bytes()

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    second = fl.Sequential([fl.layers.Dense(1, input_dim=1)])
    with pytest.raises(OSError, match="No space"):
        io.save_model(second, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert temp_files(tmp_path) == []


def test_paths_that_name_no_writable_file_are_one_sentence(tmp_path, monkeypatch):
    model = small_model()
    monkeypatch.chdir(tmp_path)
    for bad in (tmp_path, "", f"{tmp_path / 'new'}{os.sep}"):
        with pytest.raises(SaveError, match="names a folder, not a file; give a file name such as"):
            io.save_model(model, bad)
    assert sorted(os.listdir(tmp_path)) == [] and temp_files(tmp_path.parent) == []
    path = tmp_path / "m.fnl"
    io.save_model(model, path)
    monkeypatch.setattr(os, "access", lambda p, mode: False)  # a read-only file (root may write any)
    with pytest.raises(SaveError, match="the file is read-only"):
        io.save_model(model, path)


def test_long_names_links_and_bytes_paths_save(tmp_path):
    model = small_model()
    long = tmp_path / ("m" * 240 + ".fnl")  # fits the file system; a temporary name 30 longer would not
    io.save_model(model, long)
    target = tmp_path / "real.fnl"
    io.save_model(model, target)
    link = tmp_path / "link.fnl"
    link.symlink_to(target)
    io.save_model(fl.Sequential([fl.layers.Dense(2, input_dim=1)]), os.fsencode(link))
    assert link.is_symlink() and fl.load_model(target).layers[0].units == 2  # the link's target was written
    assert temp_files(tmp_path) == []


def test_stale_temp_of_a_dead_process_is_removed_but_a_live_ones_kept(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".m.fnl.{dead.pid}.0badf00d{io.TEMP_SUFFIX}"
    live = tmp_path / f".m.fnl.{os.getppid()}.12345678{io.TEMP_SUFFIX}"
    other = tmp_path / f".other.fnl.{dead.pid}.0badf00d{io.TEMP_SUFFIX}"
    for f in (stale, live, other):
        f.write_bytes(b"partial")
    io.save_model(small_model(), tmp_path / "m.fnl")
    assert not stale.exists() and live.exists() and other.exists()
    io.load_model(tmp_path / "m.fnl")


def test_existing_file_permissions_are_kept(tmp_path):
    path = tmp_path / "m.fnl"
    io.save_model(small_model(), path)
    assert os.stat(path).st_mode & 0o777 == 0o644
    os.chmod(path, 0o600)
    io.save_model(small_model(), path)
    assert os.stat(path).st_mode & 0o777 == 0o600


_SAVER = textwrap.dedent("""
    import sys
    import fnlearn as fl
    from fnlearn import io
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(256, input_dim=512), fl.layers.Dense(10)])
    a = model.state_dict()
    b = {k: v + 1 for k, v in a.items()}
    io.save_model(model, sys.argv[1])
    print("ready", flush=True)
    i = 0
    while True:
        model.load_state_dict(b if i % 2 == 0 else a)
        io.save_model(model, sys.argv[1])
        i += 1
""")


@pytest.mark.host_only
def test_a_process_killed_while_saving_leaves_a_whole_file(tmp_path):
    """SIGKILL a process that saves in a loop at random moments: the file is always the old or the new model."""
    if os.name != "posix":
        pytest.skip("SIGKILL is POSIX")
    import signal

    fl.set_seed(0)
    reference = fl.Sequential([fl.layers.Dense(256, input_dim=512), fl.layers.Dense(10)])
    state_a = reference.state_dict()
    state_b = {k: v + 1 for k, v in state_a.items()}
    script = tmp_path / "saver.py"
    script.write_text(_SAVER)
    path = tmp_path / "m.fnl"
    rng = random.Random(1234)
    seen = set()
    for _ in range(6):
        child = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "ready"
            deadline = time.monotonic() + rng.uniform(0.01, 0.25)
            while time.monotonic() < deadline:  # a reader during the saves always finds a whole file
                io.load_model(path)
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            child.wait()
            child.stdout.close()
        loaded = io.load_model(path).state_dict()
        match_a = all(np.array_equal(loaded[k], state_a[k]) for k in state_a)
        match_b = all(np.array_equal(loaded[k], state_b[k]) for k in state_b)
        assert match_a or match_b
        seen.add("a" if match_a else "b")
        assert len(temp_files(tmp_path)) <= 1
    io.save_model(reference, path)  # the next save clears what the killed writers left
    assert temp_files(tmp_path) == []


# ----------------------------------------------------------------------------- refusing bad files


def test_missing_empty_and_folder(tmp_path):
    assert "does not exist" in load_error(tmp_path / "nothing.fnl")
    assert "is a folder" in load_error(tmp_path)
    (tmp_path / "empty.fnl").write_bytes(b"")
    assert "is empty" in load_error(tmp_path / "empty.fnl")
    (tmp_path / "tiny.fnl").write_bytes(b"\x01\x02\x03")
    assert "too short" in load_error(tmp_path / "tiny.fnl")


def test_every_truncation_is_refused(tmp_path):
    full = tmp_path / "full.fnl"
    io.save_model(fl.Sequential([fl.layers.Dense(2, input_dim=3)]), full)
    raw = full.read_bytes()
    cut = tmp_path / "cut.fnl"
    for n in range(len(raw)):
        cut.write_bytes(raw[:n])
        with pytest.raises(ModelFileError):
            io.load_model(cut)


def test_a_bit_flip_in_every_byte_is_refused(tmp_path):
    """Each byte gets one flipped bit (a different bit from byte to byte; all 8 in the length field)."""
    full = tmp_path / "full.fnl"
    io.save_model(fl.Sequential([fl.layers.Dense(1, input_dim=2)]), full)
    raw = bytearray(full.read_bytes())
    bad = tmp_path / "bad.fnl"
    for i in range(len(raw)):
        for bit in range(8) if i < 8 else [i % 8]:
            raw[i] ^= 1 << bit
            bad.write_bytes(raw)
            raw[i] ^= 1 << bit
            with pytest.raises(ModelFileError):
                io.load_model(bad)


@pytest.mark.parametrize("content, words", [
    (b"\x89PNG\r\n\x1a\n" + bytes(40), "PNG image"),
    (b"\x80\x04K\x01.", "pickle"),
    (b"\x89HDF\r\n\x1a\n" + bytes(40), "HDF5"),
    (b"just some notes about my model\n", "does not start like a safetensors file"),
    (b"\x93NUMPY\x01\x00v\x00" + bytes(40), "NumPy"),
])
def test_foreign_files_are_named(tmp_path, content, words):
    path = tmp_path / "model.fnl"
    path.write_bytes(content)
    assert words in load_error(path)


def test_zip_archive_such_as_a_keras_file(tmp_path):
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", "{}")
    assert "zip archive" in load_error(path)


def test_plain_safetensors_file_without_fnlearn_settings(tmp_path):
    path = tmp_path / "plain.safetensors"
    path.write_bytes(safetensors_numpy.save({"w": np.ones(3, np.float32)}))
    assert "not one written by fnlearn" in load_error(path)


def test_header_claiming_a_terabyte_tensor_is_refused_before_allocating(tmp_path):
    path = tmp_path / "huge.fnl"
    header = {"__metadata__": {"fnlearn": json.dumps(fnlearn_doc())},
              "param/0.kernel": {"dtype": "F32", "shape": [2**38], "data_offsets": [0, 2**40]}}
    path.write_bytes(craft(header, b"\0" * 64))
    assert "claims bytes up to 1099511627776" in load_error(path)


def test_header_length_beyond_the_file_or_the_cap(tmp_path):
    path = tmp_path / "long.fnl"
    path.write_bytes(struct.pack("<Q", 2**40) + b'{"a": 1}')
    assert "header claims 1099511627776 bytes" in load_error(path)
    sparse = tmp_path / "sparse.fnl"
    with open(sparse, "wb") as f:
        f.write(struct.pack("<Q", io.MAX_HEADER_BYTES + 1) + b"{")
        f.truncate(io.MAX_HEADER_BYTES + 64)  # a sparse file: big, but costs no disk
    assert "limit" in load_error(sparse)


@pytest.mark.parametrize("entry, words", [
    ({"dtype": "I64", "shape": [2], "data_offsets": [0, 16]}, "dtype 'I64'"),
    ({"dtype": "F32", "shape": [-1], "data_offsets": [0, 16]}, "invalid shape"),
    ({"dtype": "F32", "shape": [True], "data_offsets": [0, 4]}, "invalid shape"),
    ({"dtype": "F32", "shape": [2], "data_offsets": [0, 16]}, "needs 8 bytes"),
    ({"dtype": "F32", "shape": [4], "data_offsets": [16, 0]}, "invalid byte offsets"),
    ({"dtype": "F32", "shape": [4], "data_offsets": [0, 16], "extra": 1}, "malformed"),
    ({"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}, "starts at byte 8"),
])
def test_malformed_tensor_entries(tmp_path, entry, words):
    path = tmp_path / "m.fnl"
    path.write_bytes(craft({"__metadata__": {"fnlearn": "{}"}, "param/0.kernel": entry}, bytes(16)))
    assert words in load_error(path)


def test_overlapping_tensors_and_uncovered_bytes(tmp_path):
    a = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    b = {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}
    path = tmp_path / "m.fnl"
    path.write_bytes(craft({"__metadata__": {}, "param/a": a, "param/b": b}, bytes(12)))
    assert "overlapping" in load_error(path)
    path.write_bytes(craft({"__metadata__": {}, "param/a": a}, bytes(12)))
    assert "cover 8 bytes" in load_error(path)


@pytest.mark.parametrize("header_text, words", [
    (b'{"__metadata__": {}, "__metadata__": {}}', "not valid JSON"),
    (b'{"a": NaN}', "not valid JSON"),
    (b'{"a": ' + b"[" * 100000 + b"]" * 100000 + b"}", "not valid JSON"),
    (b'{"a": \xff}', "not valid JSON"),
    (b"[1, 2]", "does not start like a safetensors file"),
    (b'{"__metadata__": {"fnlearn": 3}}', "no valid metadata"),
], ids=["duplicate-keys", "nan", "deep-nesting", "bad-utf8", "array", "metadata-not-text"])
def test_broken_headers(tmp_path, header_text, words):
    path = tmp_path / "m.fnl"
    path.write_bytes(len(header_text).to_bytes(8, "little") + header_text)
    assert words in load_error(path)


def write_signed(path, doc, tensors) -> None:
    """A file with a valid checksum, as a careful forger would make it."""
    path.write_bytes(io._encode(doc, tensors, path))


@pytest.mark.parametrize("changes, words", [
    ({"format": "keras"}, "format 'keras'"),
    ({"format_version": 2}, "newer than the 1"),
    ({"format_version": "1"}, "invalid format version"),
    ({"dtype": "int8"}, "invalid dtype"),
    ({"kind": "script"}, "unknown kind"),
    ({"model": {"layers": []}}, "no valid architecture"),
    ({"model": {"layers": [{"class_name": "Lambda", "config": {"function": "os.system"}}]}},
     "layer class 'Lambda'"),
    ({"model": {"layers": [{"class_name": "os.system", "config": {}}]}}, "which is not one of fnlearn's"),
    ({"model": {"layers": [{"class_name": "Dense", "config": {"units": 2, "input_shape": [3], "code": "x"}}]}},
     "cannot rebuild layer 0"),
    ({"model": {"layers": [{"class_name": "Dense", "config": {"units": 2, "input_shape": [3],
                                                               "activation": "my_act"}}]}}, "custom_objects"),
    ({"model": {"layers": [{"class_name": "Dense", "config": {"units": 10**9, "input_shape": [10**9]}}]}},
     "finds weights of shape (3, 2)"),
    ({"model": {"layers": [{"class_name": "Flatten", "config": {"input_shape": [10**6, 10**6]}},
                           {"class_name": "Dense", "config": {"units": 2}}]}}, "is inconsistent"),
])
def test_crafted_settings_are_refused(tmp_path, changes, words):
    path = tmp_path / "m.fnl"
    write_signed(path, fnlearn_doc(**changes), dense_tensors())
    assert words in load_error(path)


def test_unexpected_tensor_names_are_refused(tmp_path):
    path = tmp_path / "m.fnl"
    write_signed(path, fnlearn_doc(), {**dense_tensors(), "evil/x": np.ones(1, np.float32)})
    assert "unexpected tensor 'evil/x'" in load_error(path)


def test_custom_activation_loads_with_custom_objects(tmp_path):
    def my_act(x):
        return fl.relu(x) * 2

    model = fl.Sequential([fl.layers.Dense(3, activation=my_act, input_dim=2)])
    io.save_model(model, tmp_path / "m.fnl")
    assert "custom_objects" in load_error(tmp_path / "m.fnl")
    again = io.load_model(tmp_path / "m.fnl", custom_objects={"my_act": my_act})
    x = np.ones((2, 2), np.float32)
    assert np.array_equal(again(x).numpy(), model(x).numpy())


def test_unsaveable_settings_say_so(tmp_path):
    model = small_model()
    model.get_config = lambda: {"name": "s", "layers": [{"class_name": "Dense", "config": {"f": object()}}]}
    with pytest.raises(ConfigError, match="cannot be written"):
        io.save_model(model, tmp_path / "m.fnl")
    assert not (tmp_path / "m.fnl").exists()


def _mutate(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    kind = rng.randrange(6)
    if kind == 0:
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif kind == 1:
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif kind == 2:
        del data[rng.randrange(len(data)):]
    elif kind == 3:
        at = rng.randrange(len(data))
        data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    elif kind == 4:
        at = rng.randrange(len(data))
        del data[at:at + rng.randint(1, 32)]
    else:
        at = rng.randrange(8)  # the length field, the first thing a parser trusts
        data[at] = rng.randrange(256)
    return bytes(data)


def test_fuzz_mutated_files_only_raise_model_file_error(tmp_path):
    """2,000 mutated files: each either loads the very same weights or raises ModelFileError."""
    model = fl.Sequential([fl.layers.Dense(4, activation="relu", input_dim=3), fl.layers.Dropout(0.1),
                           fl.layers.Dense(2, activation="softmax")])
    io.save_model(model, tmp_path / "m.fnl")
    raw = (tmp_path / "m.fnl").read_bytes()
    rng = random.Random(2024)
    path = tmp_path / "mutant.fnl"
    refused = 0
    for _ in range(2000):
        path.write_bytes(_mutate(raw, rng))
        try:
            loaded = io.load_model(path)
        except ModelFileError:
            refused += 1
            continue
        assert same_weights(loaded, model)
    assert refused > 1900


# ----------------------------------------------------------------------------- compile settings and resuming


def regression_data(n: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    y = np.stack([np.sin(x[:, 0]) + x[:, 1] * x[:, 2], x[:, 3] ** 2], axis=1)
    return x, y


def mlp() -> fl.Sequential:
    return fl.Sequential([fl.layers.Dense(8, activation="tanh", input_shape=(4,)),
                          fl.layers.Dense(8, activation="relu"),
                          fl.layers.Dense(2)])


OPTIMIZERS = [
    lambda: fl.optim.Adam(learning_rate=0.01),
    lambda: fl.optim.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    lambda: fl.optim.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
    lambda: fl.optim.Adagrad(learning_rate=0.1),
    lambda: fl.optim.AdamW(learning_rate=0.01, weight_decay=0.1),
]


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS, ids=["adam", "sgd-nesterov", "rmsprop", "adagrad", "adamw"])
def test_optimizer_state_round_trip(tmp_path, make_optimizer):
    fl.set_seed(1)
    model = mlp()
    model.compile(optimizer=make_optimizer(), loss="mse", metrics=["mae"])
    x, y = regression_data()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    io.save_model(model, tmp_path / "m.fnl")
    again = io.load_model(tmp_path / "m.fnl")
    assert again.compiled and again.metrics_names == ["loss", "mae"]
    assert again.optimizer.get_config() == model.optimizer.get_config()
    saved, loaded = model.optimizer.state_dict(), again.optimizer.state_dict()
    assert loaded["iterations"] == saved["iterations"] == 8
    assert len(loaded["state"]) == len(saved["state"])
    for a, b in zip(saved["state"], loaded["state"]):
        assert a.keys() == b.keys() and a  # every optimizer here keeps slots
        assert all(np.array_equal(a[k], b[k]) and a[k].dtype == b[k].dtype for k in a)


def test_include_optimizer_false_keeps_compile_settings_but_not_state(tmp_path):
    fl.set_seed(1)
    model = mlp()
    model.compile(optimizer=fl.optim.Adam(learning_rate=0.01), loss="mae")
    model.fit(*regression_data(), epochs=1, verbose=0)
    io.save_model(model, tmp_path / "m.fnl", include_optimizer=False)
    again = io.load_model(tmp_path / "m.fnl")
    assert again.compiled and again.optimizer.iterations == 0
    assert again.optimizer.get_config() == model.optimizer.get_config()
    plain = io.load_model(tmp_path / "m.fnl", compile=False)
    assert not plain.compiled and same_weights(plain, model)


@pytest.mark.parametrize("shuffle", [False, True])
def test_resuming_from_a_file_continues_the_same_trajectory_bitwise(tmp_path, float64, shuffle):
    """6 epochs straight vs 3 epochs, save, load, 3 more: the float64 weights are equal, bit for bit."""
    x, y = regression_data()

    def start() -> fl.Sequential:
        return seeded_mlp(42, fl.optim.Adam(learning_rate=0.01))

    straight = start()
    straight.fit(x, y, epochs=6, batch_size=10, shuffle=shuffle, verbose=0)

    first = start()
    first.fit(x, y, epochs=3, batch_size=10, shuffle=shuffle, verbose=0)
    io.save_model(first, tmp_path / "half.fnl")
    del first
    resumed = io.load_model(tmp_path / "half.fnl")
    resumed.fit(x, y, epochs=6, initial_epoch=3, batch_size=10, shuffle=shuffle, verbose=0)

    assert resumed.parameters()[0].dtype == np.float64
    assert same_weights(straight, resumed)
    assert resumed.optimizer.iterations == straight.optimizer.iterations == 6 * 7


@pytest.mark.parametrize("include_optimizer", [True, False])
def test_a_loaded_model_keeps_its_validation_split_and_goes_on_shuffling(tmp_path, float64, include_optimizer):
    x, y = regression_data(50, seed=2)

    def start() -> fl.Sequential:
        return seeded_mlp(11, "sgd")

    straight = start()
    straight.fit(x, y, epochs=4, batch_size=8, validation_split=0.3, verbose=0)
    first = start()
    first.fit(x, y, epochs=2, batch_size=8, validation_split=0.3, verbose=0)
    io.save_model(first, tmp_path / "m.fnl", include_optimizer=include_optimizer)
    fl.set_seed(0)  # another seed in the resuming process: the file decides the split and the orders
    resumed = io.load_model(tmp_path / "m.fnl")
    assert resumed.shuffle_seed == first.shuffle_seed and resumed.epochs_trained == 2
    history = resumed.fit(x, y, epochs=2, batch_size=8, validation_split=0.3, verbose=0)  # no initial_epoch
    if include_optimizer:  # SGD keeps no slots, so only its step count differs without them
        assert same_weights(straight, resumed)
    assert history.history["val_loss"][-1] == pytest.approx(straight.history.history["val_loss"][-1]) \
        if include_optimizer else np.isfinite(history.history["val_loss"][-1])
    split = fl.data.split_validation(50, 0.3, rng=straight._order_rng(-1))
    assert np.array_equal(split[1], fl.data.split_validation(50, 0.3, rng=resumed._order_rng(-1))[1])


def test_model_checkpoint_then_initial_epoch_resumes_exactly(tmp_path, float64):
    x, y = regression_data(48, seed=5)

    def start() -> fl.Sequential:
        return seeded_mlp(7, fl.optim.SGD(learning_rate=0.02, momentum=0.9))

    straight = start()
    straight.fit(x, y, epochs=5, batch_size=8, shuffle=False, verbose=0)

    interrupted = start()
    checkpoint = fl.callbacks.ModelCheckpoint(str(tmp_path / "ckpt-{epoch}.fnl"))
    interrupted.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0, callbacks=[checkpoint])
    resumed = fl.load_model(tmp_path / "ckpt-2.fnl")
    resumed.fit(x, y, epochs=5, initial_epoch=2, batch_size=8, shuffle=False, verbose=0)
    assert same_weights(straight, resumed)


def test_model_save_method_writes_the_same_format(tmp_path):
    model = mlp()
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m.fnl")
    again = fl.load_model(tmp_path / "m.fnl")
    assert same_weights(model, again) and again.optimizer.get_config() == model.optimizer.get_config()


def test_loss_objects_schedules_and_custom_functions(tmp_path):
    from fnlearn.keras import losses as keras_losses

    def my_loss(y_true, y_pred):
        return fl.losses.mse(y_true, y_pred) * 2

    def my_metric(y_true, y_pred):
        return float(np.max(np.abs(y_true - y_pred)))

    schedule = fl.optim.schedules.ExponentialDecay(0.1, decay_steps=5, decay_rate=0.5)
    model = fl.Sequential([fl.layers.Dense(1, activation="sigmoid", input_dim=3)])
    model.compile(optimizer=fl.optim.SGD(learning_rate=schedule),
                  loss=keras_losses.BinaryCrossentropy(reduction="sum"), metrics=["accuracy"])
    io.save_model(model, tmp_path / "a.fnl")
    again = io.load_model(tmp_path / "a.fnl")
    assert again.loss.get_config() == model.loss.get_config()
    assert again.optimizer.schedule.get_config() == schedule.get_config()

    model.compile(optimizer="adam", loss=my_loss, metrics=[my_metric])
    io.save_model(model, tmp_path / "b.fnl")
    assert "custom_objects" in load_error(tmp_path / "b.fnl")
    again = io.load_model(tmp_path / "b.fnl", custom_objects={"my_loss": my_loss, "my_metric": my_metric})
    assert again.loss is my_loss and again.metrics_names == ["loss", "my_metric"]


def test_a_learning_rate_function_is_saved_as_its_current_value(tmp_path):
    model = fl.Sequential([fl.layers.Dense(1, input_dim=2)])
    model.compile(optimizer=fl.optim.SGD(learning_rate=lambda step: 0.5 / (1 + step)), loss="mse")
    with pytest.warns(UserWarning, match="cannot be saved"):
        io.save_model(model, tmp_path / "m.fnl")
    assert io.load_model(tmp_path / "m.fnl").optimizer.learning_rate == 0.5


def test_crafted_compile_settings_are_refused(tmp_path):
    path = tmp_path / "m.fnl"
    good = {"optimizer": {"name": "sgd", "learning_rate": 0.1}, "loss": "mse", "metrics": []}
    cases = [
        ({**good, "optimizer": {"name": "evil", "learning_rate": 0.1}}, "optimizer settings"),
        ({**good, "optimizer": {"name": "sgd", "learning_rate": -1}}, "optimizer settings"),
        ({**good, "optimizer": {"name": "sgd", "learning_rate": 0.1, "hook": "os.system"}}, "optimizer settings"),
        ({**good, "loss": {"name": "mse", "callback": "x"}}, "loss settings"),
        ({**good, "loss": 5}, "loss setting 5"),
        ({**good, "metrics": "accuracy"}, "malformed metric"),
        ({**good, "metrics": ["nonsense"]}, "compile settings this fnlearn cannot use"),
    ]
    for compile_settings, words in cases:
        write_signed(path, fnlearn_doc(compile=compile_settings), dense_tensors())
        assert words in load_error(path)
        assert not io.load_model(path, compile=False).compiled
    bad_state = {"iterations": 3, "slots": [["m"], []]}
    write_signed(path, fnlearn_doc(compile=good, optimizer_state=bad_state), dense_tensors())
    assert "slots do not match" in load_error(path)


def test_a_header_length_that_looks_like_a_pickle_opcode_is_fine(tmp_path):
    """A header of 0x0380 bytes starts the file with b"\\x80\\x03", as a pickle would; it must still load."""
    model = fl.Sequential([fl.layers.Dense(2, input_dim=3)])
    path = tmp_path / "m.fnl"
    for length in range(1, 1000):
        model.name = "m" * length  # the header grows with the name until its length is 0x0380
        io.save_model(model, path)
        if path.read_bytes()[:2] == b"\x80\x03":
            break
    else:
        pytest.fail("no name length gave a header of 0x0380 bytes")
    assert same_weights(io.load_model(path), model)


ACTIVATIONS = [None, "relu", "sigmoid", "hard_sigmoid", "tanh", "leaky_relu", "softplus", "softmax", "linear", "elu",
               "selu", "gelu", "silu", "relu6"]


@st.composite
def random_models(draw):
    """A model as plain data (dtype, inputs, layer specs), built inside the test after the dtype is set."""
    dtype = draw(st.sampled_from(["float32", "float64"]))
    n_in = draw(st.integers(1, 6))
    specs = [("Dense", draw(st.integers(1, 7)), draw(st.sampled_from(ACTIVATIONS)), draw(st.booleans()))]
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["Dense", "Activation", "Dropout"]))
        if kind == "Dense":
            specs.append(("Dense", draw(st.integers(1, 7)), draw(st.sampled_from(ACTIVATIONS)), True))
        elif kind == "Activation":
            specs.append(("Activation", draw(st.sampled_from(ACTIVATIONS[1:]))))
        else:
            specs.append(("Dropout", draw(st.sampled_from([0.0, 0.3]))))
    return dtype, n_in, specs


def build(n_in: int, specs: list) -> fl.Sequential:
    layers = []
    for spec in specs:
        if spec[0] == "Dense":
            extra = {"input_dim": n_in} if not layers else {}
            layers.append(fl.layers.Dense(spec[1], activation=spec[2], use_bias=spec[3], **extra))
        else:
            layers.append(getattr(fl.layers, spec[0])(spec[1]))
    return fl.Sequential(layers)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=random_models(), seed=st.integers(0, 2**16))
def test_random_small_models_predict_identically_after_a_round_trip(tmp_path, spec, seed):
    dtype, n_in, specs = spec
    fl.set_default_dtype(dtype)
    fl.set_seed(seed)
    model = build(n_in, specs)
    path = tmp_path / "random.fnl"
    io.save_model(model, path)
    fl.set_default_dtype("float32")
    again = io.load_model(path)
    x = np.random.default_rng(seed).normal(size=(5, n_in)).astype(dtype)
    model.eval()
    again.eval()
    assert again.get_config() == model.get_config()
    assert np.array_equal(model(x).numpy(), again(x).numpy())


def test_a_model_mixing_float32_and_float64_layers_round_trips(tmp_path):
    first = fl.layers.Dense(3, activation="tanh", input_dim=2)
    fl.set_default_dtype("float64")
    model = fl.Sequential([first, fl.layers.Dense(2)])
    io.save_model(model, tmp_path / "mixed.fnl")
    again = io.load_model(tmp_path / "mixed.fnl")
    assert [p.dtype for p in again.parameters()] == [np.float32, np.float32, np.float64, np.float64]
    x = np.linspace(-1, 1, 8).reshape(4, 2)
    assert np.array_equal(model(x).numpy(), again(x).numpy())


def test_the_loader_never_unpickles_evaluates_or_imports_by_name():
    """A static check of io.py: no pickle-like modules, no eval/exec, no import or attribute by a runtime name."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(io))
    forbidden_modules = {"pickle", "cPickle", "dill", "marshal", "shelve", "joblib", "importlib"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not {a.name.split(".")[0] for a in node.names} & forbidden_modules
        if isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] not in forbidden_modules
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in {"eval", "exec", "compile", "__import__"}
            if node.func.id in {"getattr", "setattr"}:
                assert isinstance(node.args[1], ast.Constant), ast.unparse(node)


_RESUME_SCRIPT = """
import sys, numpy as np, fnlearn as fl
fl.set_default_dtype("float64")
rng = np.random.default_rng(3); x = rng.normal(size=(70, 4)); y = x @ rng.normal(size=(4, 2))
mode, path = sys.argv[1], sys.argv[2]
def start():
    fl.set_seed(42)
    m = fl.Sequential([fl.layers.Dense(8, activation="tanh", input_dim=4), fl.layers.Dense(2)])
    m.compile(optimizer=fl.optim.Adam(learning_rate=0.01), loss="mse")
    return m
if mode == "straight":
    m = start(); m.fit(x, y, epochs=6, batch_size=10, verbose=0, validation_split=0.2)
elif mode == "first":
    m = start(); m.fit(x, y, epochs=3, batch_size=10, verbose=0, validation_split=0.2); m.save(path); sys.exit()
else:
    fl.set_seed(999)  # another process, other random state: the file alone must carry the shuffle order
    m = fl.load_model(path); m.fit(x, y, epochs=6, initial_epoch=3, batch_size=10, verbose=0, validation_split=0.2)
np.save(path + "." + mode + ".npy", np.concatenate([p.numpy().ravel() for p in m.parameters()]))
"""


@pytest.mark.parametrize("hidden", ['fl.layers.Dense(8, activation="tanh", input_dim=4)',
                                    'fl.layers.Dense(8, activation="tanh", input_dim=4), fl.layers.Dropout(0.3)'],
                         ids=["dense", "dropout"])
@pytest.mark.host_only
def test_resuming_in_a_new_process_with_shuffling_is_bitwise(tmp_path, hidden):
    """The file alone carries the shuffle order and the dropout masks still to come."""
    import subprocess
    import sys

    script = tmp_path / "resume.py"
    script.write_text(_RESUME_SCRIPT.replace('fl.layers.Dense(8, activation="tanh", input_dim=4)', hidden))
    path = str(tmp_path / "half.fnl")
    for mode in ("straight", "first", "resumed"):
        subprocess.run([sys.executable, str(script), mode, path], check=True, timeout=120)
    straight, resumed = np.load(path + ".straight.npy"), np.load(path + ".resumed.npy")
    assert straight.dtype == np.float64 and np.array_equal(straight, resumed)


@pytest.mark.parametrize("draws", [[-1], [1, 2], ["3"], 4, [True]])
def test_malformed_dropout_state_is_refused(tmp_path, draws):
    model = fl.Sequential([fl.layers.Dense(3, input_dim=2), fl.layers.Dropout(0.5), fl.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
    path = tmp_path / "m.fnl"
    model.save(path)
    assert fl.load_model(path).layers[1].draws == 1
    tensors = safetensors_numpy.load_file(str(path))
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as f:
        doc = json.loads(f.metadata()["fnlearn"])
    doc["optimizer_state"]["dropout_draws"] = draws
    write_signed(path, doc, tensors)
    assert "malformed dropout state" in load_error(path)


def _tanh_called_relu(z):
    return fl.tanh(z)


def _mae_called_mse(y_true, y_pred):
    return fl.mean(fl.abs(y_pred - y_true))


_tanh_called_relu.__name__ = "relu"
_mae_called_mse.__name__ = "mse"


def test_own_functions_with_builtin_names_are_not_swapped_on_load(tmp_path):
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(2, input_dim=3, activation=_tanh_called_relu)])
    model.compile("sgd", _mae_called_mse, metrics=["mae"])
    x, y = np.random.default_rng(0).normal(size=(8, 3)), np.zeros((8, 2))
    path = tmp_path / "own.fnl"
    model.save(path)
    with pytest.raises(ModelFileError, match="of your own named 'mse', 'relu', like fnlearn's built-ins; pass them "
                                             "as custom_objects"):
        fl.load_model(path)
    loaded = fl.load_model(path, custom_objects={"relu": _tanh_called_relu, "mse": _mae_called_mse})
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    plain = fl.Sequential([fl.layers.Dense(2, input_dim=3, activation="relu")])
    plain.compile("sgd", "mse")
    plain.save(path)
    assert "own_functions" not in io._read(path).doc  # fnlearn's own functions need nothing


def test_normalization_statistics_of_another_shape_are_refused(tmp_path):
    norm = fl.layers.Normalization()
    norm.adapt(np.ones((3, 4)))
    model = fl.Sequential([norm, fl.layers.Dense(1)])
    model.build((4,))
    model.save(tmp_path / "n.fnl")
    file = io._read(tmp_path / "n.fnl")
    params, _ = io._split_tensors(file)
    assert params["0.mean"].shape == params["0.variance"].shape == (4,)
    params["0.mean"] = np.zeros(5, dtype=np.float32)  # a crafted file: statistics that fit nothing
    layers = [io._make_layer(file, i, entry, {}) for i, entry in enumerate(file.doc["model"]["layers"])]
    with pytest.raises(ModelFileError, match="Normalization layer 0 .* finds statistics of other shapes"):
        io._build_layers(file, layers, params)


@pytest.mark.parametrize("change", ["shape", "missing", "input_shape"])
def test_batch_normalization_weights_that_do_not_fit_are_refused_before_allocating(tmp_path, change):
    model = fl.Sequential([fl.layers.BatchNormalization(input_shape=(3,)), fl.layers.Dense(4),
                           fl.layers.BatchNormalization(center=False)])
    path = tmp_path / "bn.fnl"
    model.save(path)
    assert set(io._split_tensors(io._read(path))[0]) == {"0.gamma", "0.beta", "0.moving_mean", "0.moving_variance",
                                                         "1.kernel", "1.bias", "2.gamma", "2.moving_mean",
                                                         "2.moving_variance"}
    tensors = safetensors_numpy.load_file(str(path))
    doc = io._read(path).doc
    if change == "shape":
        tensors["param/2.moving_variance"] = np.ones(5, dtype=np.float32)
    elif change == "missing":
        del tensors["param/2.gamma"]
    else:  # a crafted input shape must not make the loader allocate 4 TB from it
        doc["model"]["layers"][0]["config"]["input_shape"] = [10**12]
    write_signed(path, doc, tensors)
    assert re.search(r"BatchNormalization layer [02] \(input \((3|4|1000000000000),\)\) finds weights of shapes|"
                     r"layer 0 declares input shape \(1000000000000,\) but the model was built for \(3,\)",
                     load_error(path))


# ----------------------------------------------------------------------------- Keras's other losses and initializers

NEW_LOSS_SPECS = ["huber", "mape", "mean_absolute_percentage_error", "msle", "mean_squared_logarithmic_error",
                  "log_cosh", "logcosh", "hinge", "squared_hinge"]


@pytest.mark.parametrize("loss", [*NEW_LOSS_SPECS, "keras-Huber", "keras-LogCosh", "keras-MeanSquaredLogarithmicError"])
def test_models_compiled_with_the_new_losses_round_trip(tmp_path, loss):
    from fnlearn.keras import losses as keras_losses

    spec = getattr(keras_losses, loss[6:])() if loss.startswith("keras-") else loss
    x, y = regression_data()
    y = (y > 0.5) * 1.0 if "hinge" in loss else np.abs(y)
    fl.set_seed(2)
    model = mlp()
    model.compile(optimizer=fl.optim.Adam(learning_rate=0.01), loss=spec, metrics=["mae"])
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    model.save(tmp_path / "m.fnl")
    again = fl.load_model(tmp_path / "m.fnl")
    assert again.compile_config() == model.compile_config()
    if isinstance(spec, str):  # saved by its short name: "mean_absolute_percentage_error" as "mape"
        assert again.compile_config()["loss"] == fl.losses.canonical_name(spec)
    assert same_weights(model, again)
    assert again.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    # training goes on from the file exactly as it would have without it
    model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    again.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    assert same_weights(model, again)


def test_a_huber_loss_with_its_own_delta_round_trips(tmp_path):
    model = fl.Sequential([fl.layers.Dense(1, input_dim=2)])
    model.compile(optimizer="sgd", loss=fl.keras.losses.Huber(delta=2.5))
    model.save(tmp_path / "m.fnl")
    assert fl.load_model(tmp_path / "m.fnl").loss.get_config() == {"name": "huber", "reduction": "mean", "delta": 2.5}


def test_initializers_with_settings_round_trip_with_them(tmp_path):
    K = fl.keras.initializers  # noqa: N806
    fl.set_seed(4)
    model = fl.Sequential([
        fl.layers.Dense(5, input_dim=3, kernel_initializer=K.RandomUniform(-1, 1), bias_initializer=K.Constant(3.0)),
        fl.layers.Dense(4, kernel_initializer=K.TruncatedNormal(mean=0.5, stddev=0.2), bias_initializer="Constant"),
        fl.layers.Dense(2, kernel_initializer="lecun_normal", bias_initializer=K.LecunUniform()),
    ])
    io.save_model(model, tmp_path / "m.fnl")
    again = io.load_model(tmp_path / "m.fnl")
    assert [layer.get_config() for layer in again.layers] == [layer.get_config() for layer in model.layers]
    first = again.layers[0].get_config()
    assert first["kernel_initializer"] == {"name": "uniform", "minval": -1.0, "maxval": 1.0}
    assert first["bias_initializer"] == {"name": "constant", "value": 3.0}
    assert again.layers[1].get_config()["kernel_initializer"] == {"name": "truncated_normal", "std": 0.2, "mean": 0.5}
    # the rebuilt initializers draw what the originals draw
    for old, new in zip(model.layers, again.layers):
        for key in ("kernel_initializer", "bias_initializer"):
            fl.set_seed(9)
            a = fl.backend.to_numpy(getattr(old, key)((6, 4)))
            fl.set_seed(9)
            assert np.array_equal(a, fl.backend.to_numpy(getattr(new, key)((6, 4)))), key


@pytest.mark.parametrize("initializer, words", [
    ({"name": "constant", "value": "three"}, "value must be a finite number"),
    ({"name": "uniform", "minval": 1.0, "maxval": -1.0}, "minval must not exceed maxval"),
    ({"name": "truncated_normal", "stddev": 0.1}, "TruncatedNormal does not take"),
    ({"name": "kaiser"}, "'kaiser' is not known"),
    ({"name": "orthogonal", "gain": 10**400}, "gain must be a finite number"),
])
def test_crafted_initializer_settings_are_refused(tmp_path, initializer, words):
    layer = {"class_name": "Dense", "config": {"name": "d", "units": 2, "input_shape": [3],
                                               "kernel_initializer": initializer}}
    write_signed(tmp_path / "m.fnl", fnlearn_doc(model={"name": "sequential", "layers": [layer]}), dense_tensors())
    with pytest.raises(ModelFileError, match=f"cannot rebuild layer 0 .*{words}"):
        io.load_model(tmp_path / "m.fnl")


@pytest.mark.parametrize("kernel_shape", [(3, 3, 1, 5), (5, 5, 1, 2), (3, 3, 4, 2), (3, 3, 1)])
def test_a_conv_kernel_that_fits_not_its_layer_is_refused_before_anything_is_allocated(tmp_path, kernel_shape):
    model = fl.Sequential([fl.layers.Conv2D(2, 3, input_shape=(8, 8, 1)), fl.layers.Flatten(), fl.layers.Dense(1)])
    model.save(tmp_path / "c.fnl")
    file = io._read(tmp_path / "c.fnl")
    params, _ = io._split_tensors(file)
    params["0.kernel"] = np.zeros(kernel_shape, dtype=np.float32)  # a crafted file
    layers = [io._make_layer(file, i, entry, {}) for i, entry in enumerate(file.doc["model"]["layers"])]
    assert layers[0].kernel is None  # nothing allocated from the file's settings before the check
    with pytest.raises(ModelFileError, match=r"Conv2D layer 0 \(2 filters of \(3, 3\), input \(8, 8, 1\)\) finds a "
                                             r"kernel of shape"):
        io._build_layers(file, layers, params)
