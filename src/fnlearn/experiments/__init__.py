"""The lecture's experiments, each one function and one command (``fnlearn run NAME``).

========== ============================================================================
name       what it shows
========== ============================================================================
views      ``fnlearn demo``: linear models and ReLU networks predicting tomorrow's views
mnist      Tsai's 784-100-100-10 network on handwritten digits
xor        a line cannot separate XOR; a 2-4-1 network can
students   the iThome Excel exercise, round by round, as CSV and a live spreadsheet
classifier the iThome "likes" network on random labels: about 50 % is the honest result
========== ============================================================================

Each prints a table, writes ``results.json`` and PNG figures to ``runs/<name>-<timestamp>/``
(or ``out=``) and is deterministic under ``seed``.

Example:
    >>> from fnlearn import experiments
    >>> sorted(experiments.EXPERIMENTS)
    ['classifier', 'mnist', 'students', 'views', 'xor']
"""

from __future__ import annotations

import importlib
from types import ModuleType

EXPERIMENTS = {
    "views": "fnlearn.experiments.views",
    "mnist": "fnlearn.experiments.mnist",
    "xor": "fnlearn.experiments.xor",
    "students": "fnlearn.experiments.students",
    "classifier": "fnlearn.experiments.classifier",
}


def load(name: str) -> ModuleType:
    """The module of experiment ``name`` (it has ``NAME``, ``HELP``, ``add_arguments``, ``main``, ``run``)."""
    from fnlearn import errors

    if name not in EXPERIMENTS:
        raise errors.unknown_name("experiment", name, EXPERIMENTS)
    return importlib.import_module(EXPERIMENTS[name])


def run(name: str, **options):
    """Run experiment ``name`` with keyword options (``seed``, ``out``, ``full``, ``quick``, ...).

    Returns its results dict, which also gives the run folder as ``out_dir``.
    """
    return load(name).run(**options)


__all__ = ["EXPERIMENTS", "load", "run"]
