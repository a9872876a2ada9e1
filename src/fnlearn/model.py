"""The Keras-style training front end: compile / fit / evaluate / predict / save.

``Trainer`` is mixed into :class:`fnlearn.Sequential`; it relies only on the model's
``forward``, ``layers`` and ``parameters()``.
"""

from __future__ import annotations


class Trainer:
    """compile / fit / evaluate / predict for a model (filled in by the front end)."""
