"""The fresh process that measures peak memory: its arguments, and that it holds nothing but the work."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from bench.probe import parse_args  # noqa: E402


def test_arguments_and_their_defaults():
    assert parse_args(["memory", "--peer", "numpy"]) == {"peer_name": "numpy", "n": 60_000, "batch": 100,
                                                          "threads": 1}
    assert parse_args(["memory", "--threads", "2", "--peer", "fnlearn", "--n", "10"])["threads"] == 2


@pytest.mark.parametrize("argv, words", [
    ([], "usage"),
    (["memory", "--peer"], "usage"),
    (["memory", "--n", "10"], "no --peer"),
    (["memory", "--peer", "numpy", "--bacth", "3"], "--bacth"),
    (["memory", "--peer", "numpy", "--n", "ten"], "whole numbers"),
])
def test_bad_arguments_say_what_was_given_and_the_usage(argv, words):
    with pytest.raises(SystemExit) as exc:
        parse_args(argv)
    assert words in str(exc.value) and "usage: python -m bench.probe memory" in str(exc.value)


# What a process that trains a network need not hold: the bench's own harness, and the modules it
# loads. Each would count in every peer's peak (the harness was some 2 MiB of it).
HARNESS = ("bench.workloads", "bench.cli", "bench.report", "bench.timing", "argparse", "subprocess", "statistics",
           "pathlib", "decimal")


@pytest.mark.parametrize("peer", ["none", "numpy", "fnlearn"])
def test_the_probe_process_loads_no_part_of_the_harness(peer):
    held = f"print(json.dumps(sorted(m for m in {HARNESS!r} if m in sys.modules)))"
    # what Python itself starts with here (an editable install's path finder may bring pathlib) is not the probe's
    bare = subprocess.run([sys.executable, "-c", f"import sys, json; {held}"], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=60)
    code = (f"import sys, json; sys.argv = ['probe', 'memory', '--peer', {peer!r}, '--n', '300', '--threads', '1'];"
            f"import bench.probe; bench.probe.main(); {held}")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    measured, loaded = (json.loads(line) for line in done.stdout.splitlines()[-2:])
    assert measured["peer"] == peer and measured["maxrss_mib"] > 0
    added = sorted(set(loaded) - set(json.loads(bare.stdout)))
    assert added == [], f"the probe for {peer} loaded {added}"
