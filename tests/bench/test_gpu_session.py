"""``bench/gpu_session.sh`` keeps to its time budget, runs its stages in order and packs what they wrote.

The script is run with a stand-in Python (``PYTHON``) that answers each stage at once, so these tests check
the orchestration — order, limits, the summary, the archive — on any machine, GPU or not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "gpu_session.sh"

# A Python stand-in: each stage's command is recognised by its arguments and answered quickly; every call is
# logged, with the test backend it was given, so the tests can see what ran and in which order.
FAKE_PYTHON = r"""#!/usr/bin/env bash
echo "$* | path=${PYTHONPATH:-} | backend=${FNLEARN_TEST_BACKEND:-}" >>"$CALLS"
case "$*" in
  "-m pip install -q --no-index"*) [ -n "${WHEELS_FAIL:-}" ] && exit 1; exit 0 ;;
  *"import xdist"*|*"import pytest_timeout"*) exit 1 ;;
  *"import sys, pathlib, fnlearn"*) exit 0 ;;
  *"import sys, numpy, cupy"*) echo "python 3.12 | cupy 14 | device Fake GPU" ;;
  "-m bench.gpu"*)
    sleep "${BENCH_SLEEP:-0}"
    while [ $# -gt 0 ]; do [ "$1" = --markdown ] && echo "| model | batch |" >"$2"; shift; done
    echo "bench table" ;;
  "-m pytest"*) echo "..."; echo "7 passed, 2 skipped in 0.10s" ;;
  *) echo "unexpected call: $*" >&2; exit 3 ;;
esac
"""


def _run(tmp_path: Path, *stages: str, **env: str) -> tuple[subprocess.CompletedProcess, Path, list[str]]:
    fake = tmp_path / "python"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    calls = tmp_path / "calls.txt"
    calls.touch()
    out = tmp_path / "results"
    full_env = {
        **os.environ,
        "PYTHON": str(fake),
        "CALLS": str(calls),
        "FNLEARN_SESSION_ARCHIVE": str(tmp_path / "archive"),
        **env,
    }
    full_env.pop("FNLEARN_TEST_BACKEND", None)
    proc = subprocess.run(
        ["bash", str(SCRIPT), str(out), *stages],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return proc, out, calls.read_text().splitlines()


needs_bash = pytest.mark.skipif(
    shutil.which("bash") is None or shutil.which("timeout") is None,
    reason="the session script is a bash script that uses coreutils' timeout",
)


@needs_bash
def test_default_stages_measure_first_then_run_the_suite_on_cupy(tmp_path):
    proc, out, calls = _run(tmp_path)
    assert proc.returncode == 0, proc.stderr
    stage_calls = [c for c in calls if c.startswith("-m ")]
    assert [c.split()[1] for c in stage_calls] == ["bench.gpu", "pytest"]
    assert stage_calls[1].endswith("backend=cupy")
    summary = (out / "summary.txt").read_text()
    assert "== bench.gpu: exit 0" in summary
    assert "== suite on CuPy: exit 0" in summary
    assert "7 passed, 2 skipped" in summary
    assert "device Fake GPU" in summary


@needs_bash
def test_the_archive_holds_every_stage_output_in_three_files(tmp_path):
    proc, out, _ = _run(tmp_path)
    assert proc.returncode == 0, proc.stderr
    archive = tmp_path / "archive"
    assert sorted(p.name for p in archive.iterdir()) == ["gpu-session.tar.gz", "gpu.md", "summary.txt"]
    with tarfile.open(archive / "gpu-session.tar.gz") as tar:
        names = {Path(n).name for n in tar.getnames()}
    assert {"summary.txt", "device.txt", "bench_gpu.log", "suite_cupy.log", "gpu.md"} <= names
    assert (archive / "summary.txt").read_text() == (out / "summary.txt").read_text()


@needs_bash
def test_a_stage_over_its_limit_is_stopped_and_the_next_still_runs(tmp_path):
    proc, out, calls = _run(tmp_path, FNLEARN_STAGE_SECONDS="1", BENCH_SLEEP="10")
    assert proc.returncode == 0, proc.stderr
    summary = (out / "summary.txt").read_text()
    assert "== bench.gpu: exit 124" in summary  # timeout's exit status
    assert "limit 1 s" in summary
    assert "7 passed" in summary


@needs_bash
def test_no_stage_starts_without_time_left_in_the_session(tmp_path):
    proc, out, calls = _run(tmp_path, "bench", "suite", FNLEARN_SESSION_SECONDS="10")
    assert proc.returncode == 0, proc.stderr
    summary = (out / "summary.txt").read_text()
    assert "== bench.gpu: not run" in summary
    assert "== suite on CuPy: not run" in summary
    assert not [c for c in calls if c.startswith("-m ")]


@needs_bash
def test_an_unknown_stage_is_refused_before_anything_runs(tmp_path):
    proc, out, calls = _run(tmp_path, "bench", "benchmark")
    assert proc.returncode == 2
    assert "unknown stage benchmark" in proc.stdout
    assert calls == []
    assert not out.exists()


@needs_bash
def test_the_last_stage_gets_all_that_is_left_of_the_session(tmp_path):
    proc, out, _ = _run(tmp_path, "bench", "suite", FNLEARN_STAGE_SECONDS="30", FNLEARN_SESSION_SECONDS="100")
    assert proc.returncode == 0, proc.stderr
    summary = (out / "summary.txt").read_text().splitlines()
    bench = next(line for line in summary if line.startswith("== bench.gpu"))
    suite = next(line for line in summary if line.startswith("== suite on CuPy"))
    assert "limit 30 s" in bench
    limit = int(suite.split("limit ")[1].split(" s")[0])
    assert 30 < limit <= 95  # what is left of 100 s, less the 5 s kept for the summary


@needs_bash
def test_wheels_given_are_installed_offline_and_put_on_the_path_of_every_stage(tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "keras-3.0-py3-none-any.whl").write_bytes(b"")
    proc, out, calls = _run(tmp_path, "tests", FNLEARN_WHEELS=str(wheels))
    assert proc.returncode == 0, proc.stderr
    (install,) = [c for c in calls if c.startswith("-m pip install -q --no-index")]
    assert "--no-deps" in install and f"--target {out}/.wheels-site" in install and "keras-3.0" in install
    (stage,) = [c for c in calls if c.startswith("-m pytest")]
    assert f"path={out}/.wheels-site" in stage
    assert f"wheels from {wheels} installed" in (out / "summary.txt").read_text()


@needs_bash
def test_wheels_that_do_not_install_are_said_and_the_stages_run_without_them(tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    proc, out, calls = _run(tmp_path, "tests", FNLEARN_WHEELS=str(wheels), WHEELS_FAIL="1")
    assert proc.returncode == 0, proc.stderr
    (stage,) = [c for c in calls if c.startswith("-m pytest")]
    assert ".wheels-site" not in stage
    assert "did not install (wheels.log); going on without them" in (out / "summary.txt").read_text()
