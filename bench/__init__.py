"""fnlearn's benchmark harness: identical workloads for fnlearn and its peers, timed side by side.

Run it from the repository root with ``python -m bench`` (``--help`` lists the options); the
method and the latest table are in ``docs/benchmarks.md``. This package must stay light to import:
the probe processes that measure memory import it first.
"""
