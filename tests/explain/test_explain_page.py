"""docs/explain.md: its Python runs as printed, its commands run on the files the Python wrote, and the README
links to it."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
from pathlib import Path

import pytest
from explain_helpers import assert_png

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "explain.md"


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """The page's Python blocks, run in order in a fresh folder: (folder, what they printed)."""
    folder = tmp_path_factory.mktemp("page")
    printed = io.StringIO()
    here = os.getcwd()
    os.chdir(folder)  # the page writes its figures and files next to it
    try:
        with contextlib.redirect_stdout(printed):
            for block in _blocks("python"):
                exec(compile(block, PAGE.name, "exec"), {"__name__": "explain_page"})  # the page's own code
    finally:
        os.chdir(here)
    return folder, printed.getvalue().splitlines()


def test_the_page_code_runs_and_prints_what_it_says(ran):
    folder, printed = ran
    assert len(_blocks("python")) == 2
    assert printed[0] == "(4, 3, 3, 1)" and printed[1] == "['conv'] (4, 6, 6)"
    assert printed[-1] == "['not_probabilities']"
    assert printed[-2].startswith("hint: ") and "give its last layer activation='softmax'" in printed[-2]
    assert_png(folder / "filters.png")
    assert_png(folder / "maps.png")


def test_the_page_commands_run_on_the_saved_model(ran, monkeypatch, capsys):
    from fnlearn.cli import main

    folder, _ = ran
    monkeypatch.chdir(folder)
    commands = [line for block in _blocks("sh") for line in block.strip().splitlines()]
    assert len(commands) == 3
    for line in commands:
        assert main(shlex.split(line)[1:]) == 0, line
    assert capsys.readouterr().out.split() == ["filters.png", "maps.png", str(Path("figures") / "maps.png")]
    assert_png(folder / "figures" / "maps.png")


def test_the_readme_links_the_page():
    assert "(docs/explain.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
