"""The bad-input battery (see ``bad_input_cases.py``): each wrong input raises its documented exception,
with one line naming the argument, what was given and what was expected, and changes nothing."""

from __future__ import annotations

import pytest
from bad_input_cases import CASES, Case, Ctx, printable, run_case, same_state

from fnlearn import errors


def test_the_battery_is_large_and_distinct() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)
    assert len({(c.entry, c.given) for c in CASES}) == len(CASES)
    entries = {c.entry for c in CASES}
    for entry in ("fl.tensor", "ops", "layers", "compile", "optimizers", "fit / evaluate / predict", "save / load",
                  "datasets", "CLI"):
        assert entry in entries


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path) -> None:
    ctx = Ctx(tmp_path)
    before = ctx.snapshot()
    raised, message = run_case(case, ctx)
    after = ctx.snapshot()
    assert raised is not None, f"{case.id}: nothing was raised"
    assert issubclass(raised, case.exc), f"{case.id}: {raised.__name__} instead of {case.exc.__name__}: {message}"
    if case.exc is not SystemExit:
        assert issubclass(raised, errors.FnlearnError)
    # one line: the CLI prints exactly one line on stderr, every other message is one line of text
    assert message.strip() and "\n" not in message.strip(), message
    lowered = message.lower()
    missing = [w for w in case.words if w.lower() not in lowered]
    assert not missing, f"{case.id}: message lacks {missing}: {printable(message, tmp_path)}"
    assert same_state(before, after), f"{case.id}: a model, its optimizer or a file changed"


def test_state_check_would_notice_a_change(tmp_path) -> None:
    """The battery's "unchanged" check is not vacuous: a real step, a renamed file, a touched slot all show."""
    ctx = Ctx(tmp_path)
    before = ctx.snapshot()
    ctx.sparse.fit(ctx.x, ctx.labels, epochs=1, verbose=0)
    assert not same_state(before, ctx.snapshot())
    before = ctx.snapshot()
    (tmp_path / "extra.txt").write_text("x")
    assert not same_state(before, ctx.snapshot())
    before = ctx.snapshot()
    ctx.cat.optimizer.learning_rate = 0.5
    assert not same_state(before, ctx.snapshot())
