"""Ratios from given timings, the Markdown report, and refreshing the docs page in place."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.report import DOCS_END, DOCS_START, fmt, to_markdown, update_docs, write_atomic  # noqa: E402
from bench.workloads import add_ratios  # noqa: E402


def ok(median, low=None, high=None):
    return {"status": "ok", "median": median, "min": low or median, "max": high or median, "runs": [median]}


def test_ratios_are_fnlearn_over_each_peer_and_each_peer_over_the_floor():
    result = add_ratios({"peers": {
        "fnlearn": ok(0.30), "numpy": ok(0.25), "torch": ok(0.60), "sklearn": ok(1.20),
        "keras": {"status": "not installed", "reason": "needs keras"},
    }})
    assert result["ratios"] == pytest.approx({"numpy": 1.2, "torch": 0.5, "sklearn": 0.25})
    assert result["vs_floor"] == pytest.approx({"fnlearn": 1.2, "torch": 2.4, "sklearn": 4.8})


def test_no_ratios_without_the_subject():
    result = add_ratios({"peers": {"fnlearn": {"status": "error", "reason": "x"}, "torch": ok(0.5),
                                   "numpy": ok(0.25)}})
    assert result["ratios"] == {}
    assert result["vs_floor"] == pytest.approx({"torch": 2.0})


def small_result():
    peers = {"fnlearn": ok(0.3, 0.28, 0.35), "numpy": ok(0.25), "torch": ok(0.6),
             "sklearn": {"status": "unsupported", "reason": "no MAE"}}
    return {
        "command": "python -m bench --only mlp100",
        "date": "2030-01-01T00:00:00",
        "machine": {"cpu": "Test CPU", "cores": 2, "platform": "Linux", "versions": {"python": "3.11"},
                    "thread_pools": [], "load_before": 0.1, "load_after": 0.2},
        "settings": {"peers": ["fnlearn", "numpy", "torch", "sklearn"], "warmups": 1, "repeats": 5,
                     "threads": 2, "quick": False, "predict_rounds_factor": 4, "memory_rounds": 3},
        "workloads": {"mlp100": add_ratios({"peers": dict(peers)})},
    }


def test_markdown_report_has_the_header_the_cells_and_the_ratios():
    text = to_markdown(small_result())
    assert "`python -m bench --only mlp100`" in text and "Test CPU, 2 cores" in text
    assert "| mlp100 | s/epoch | 0.3 (0.28–0.35) | 0.25 | 0.6 | n/a |" in text
    assert "| mlp100 | 1.2 | 0.5 | — |" in text  # fnlearn / numpy, / torch, / sklearn
    assert "mlp100, scikit-learn: unsupported — no MAE" in text
    assert "pause" not in text  # a result from before the pause existed
    paused = small_result()
    paused["settings"]["sizes"] = {"pause_s": 0.25}
    assert "memory 3), a 0.25 s pause before each; cells" in to_markdown(paused)


def test_update_docs_replaces_only_the_marked_block(tmp_path):
    page = tmp_path / "benchmarks.md"
    page.write_text(f"# B\n\nintro\n\n{DOCS_START}\nold table\n{DOCS_END}\n\nafter\n", encoding="utf-8")
    update_docs(page, "new table\n")
    text = page.read_text(encoding="utf-8")
    assert "old table" not in text
    assert text == f"# B\n\nintro\n\n{DOCS_START}\nnew table\n{DOCS_END}\n\nafter\n"
    assert [p.name for p in tmp_path.iterdir()] == ["benchmarks.md"]  # no temporary file left


def test_write_atomic_keeps_the_file_mode(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("x", encoding="utf-8")
    page.chmod(0o640)
    write_atomic(page, "y")
    assert page.read_text(encoding="utf-8") == "y" and page.stat().st_mode & 0o777 == 0o640
    fresh = tmp_path / "fresh.md"
    write_atomic(fresh, "z")
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() would make it, not private


def test_update_docs_appends_a_section_when_the_page_has_no_markers(tmp_path):
    page = tmp_path / "benchmarks.md"
    page.write_text("# B\n", encoding="utf-8")
    update_docs(page, "table")
    assert page.read_text(encoding="utf-8").endswith(f"{DOCS_START}\ntable\n{DOCS_END}\n")


def test_fmt():
    assert [fmt(0.012345), fmt(2.5), fmt(236.4), fmt(None)] == ["0.0123", "2.5", "236", "—"]
