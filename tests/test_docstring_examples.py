"""Every example in fnlearn's docstrings runs and prints what it shows."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import fnlearn

MODULES = sorted(m.name for m in pkgutil.walk_packages(fnlearn.__path__, "fnlearn.")
                 if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that save files write here
    module = importlib.import_module(name)
    previous = fnlearn.get_default_dtype()
    try:
        with np.printoptions(legacy=False):
            result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                                     report=False)
    finally:
        fnlearn.set_default_dtype(previous)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"


def test_the_examples_are_many():
    """So that the test above cannot pass by finding nothing."""
    attempted = sum(doctest.testmod(importlib.import_module(name), report=False,
                                    optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE).attempted
                    for name in ("fnlearn.tensor", "fnlearn.optim", "fnlearn.nn.layers", "fnlearn.fastpath"))
    assert attempted >= 10
