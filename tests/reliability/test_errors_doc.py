"""docs/errors.md is generated from the battery; it must match what the battery produces now."""

from __future__ import annotations

import make_errors_doc
import pytest


# a file of the repository, written from the NumPy run's messages; the GPU's code path gives its own messages to the
# battery itself (tests/reliability/test_bad_inputs.py runs on every backend)
@pytest.mark.host_only
def test_errors_doc_is_up_to_date() -> None:
    expected = make_errors_doc.render()
    assert make_errors_doc.DOC.read_text(encoding="utf-8") == expected, (
        "docs/errors.md is out of date; run: python tests/reliability/make_errors_doc.py")
    assert "nothing raised" not in expected
