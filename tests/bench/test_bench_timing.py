"""The interleaved runner: order, counting, failures, self-timed samples, statistics, ratios."""

import sys
from pathlib import Path

import pytest

# the harness lives at the repository root, outside the installed package
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.timing import Sample, interleaved_schedule, ratio, run_interleaved, summarize  # noqa: E402


def test_schedule_interleaves_peers_round_by_round():
    assert interleaved_schedule(["A", "B"], warmups=1, repeats=2) == [
        ("A", False), ("B", False), ("A", True), ("B", True), ("A", True), ("B", True),
    ]


def test_schedule_rejects_no_counted_runs():
    with pytest.raises(ValueError, match="repeats"):
        interleaved_schedule(["A"], warmups=1, repeats=0)


def test_runner_calls_tasks_in_ABAB_order_and_counts_only_after_warmup():
    calls = []
    tasks = {name: (lambda i, n=name: calls.append((n, i))) for name in ("A", "B")}
    result = run_interleaved(tasks, warmups=1, repeats=3)
    assert calls == [("A", 0), ("B", 0), ("A", 1), ("B", 1), ("A", 2), ("B", 2), ("A", 3), ("B", 3)]
    assert [n for n, _ in result.order] == ["A", "B"] * 4
    assert [counted for _, counted in result.order] == [False, False] + [True] * 6
    assert {n: len(s) for n, s in result.samples.items()} == {"A": 3, "B": 3}
    assert all(s.seconds >= 0 for samples in result.samples.values() for s in samples)


def test_runner_pauses_off_the_clock_before_every_run(monkeypatch):
    import bench.timing as timing

    clock, events = [0.0], []

    def sleep(seconds):
        events.append(("sleep", seconds))
        clock[0] += seconds

    def task(name):
        events.append(name)
        clock[0] += 1.0

    monkeypatch.setattr(timing.time, "perf_counter", lambda: clock[0])
    monkeypatch.setattr(timing.time, "sleep", sleep)
    tasks = {name: (lambda i, n=name: task(n)) for name in ("A", "B")}
    result = run_interleaved(tasks, warmups=0, repeats=2, pause=0.25)
    assert events == [("sleep", 0.25), "A", ("sleep", 0.25), "B"] * 2
    assert [s.seconds for samples in result.samples.values() for s in samples] == [1.0] * 4
    events.clear()
    run_interleaved(tasks, warmups=0, repeats=1)  # no pause unless asked
    assert events == ["A", "B"]


def test_a_failing_task_is_reported_and_dropped_while_the_others_go_on():
    calls = []

    def broken(i):
        calls.append("bad")
        raise RuntimeError("no such layer")

    result = run_interleaved({"good": lambda i: calls.append("good"), "bad": broken}, warmups=1, repeats=2)
    assert calls == ["good", "bad", "good", "good"]
    assert result.errors == {"bad": "RuntimeError: no such layer"}
    assert "bad" not in result.samples and len(result.samples["good"]) == 2


def test_a_task_can_report_its_own_time_and_a_value():
    result = run_interleaved({"A": lambda i: Sample(0.25 * (i + 1), value=float(i))}, warmups=1, repeats=2)
    assert [(s.seconds, s.value) for s in result.samples["A"]] == [(0.5, 1.0), (0.75, 2.0)]


def test_summarize_and_ratio():
    assert summarize([0.3, 0.1, 0.2, 0.5]) == {"median": 0.25, "min": 0.1, "max": 0.5,
                                                "runs": [0.3, 0.1, 0.2, 0.5]}
    assert ratio(0.2, 0.8) == pytest.approx(0.25)
    assert ratio(0.2, 0.0) is None and ratio(None, 1.0) is None and ratio(1.0, None) is None
    with pytest.raises(ValueError):
        summarize([])
