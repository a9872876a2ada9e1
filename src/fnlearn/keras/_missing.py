"""One clear sentence for a Keras name fnlearn's Keras modules do not have, instead of a bare AttributeError.

Each module ends with ``__getattr__ = not_provided(__name__, __all__)``; Python calls it only for names the
module does not define.

Example:
    >>> from fnlearn.keras import layers
    >>> layers.TFSMLayer
    Traceback (most recent call last):
    ...
    AttributeError: fnlearn.keras.layers.TFSMLayer is a Keras name that fnlearn does not provide; ...
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any


def not_provided(module: str, names: Iterable[str], lazy: Iterable[str] = ()) -> Callable[[str], Any]:
    """A module ``__getattr__`` that names what ``module`` has when asked for something it has not, and imports
    its submodules named in ``lazy`` when first asked for them (those that import a heavy library)."""
    lazy = tuple(lazy)
    have = ", ".join(sorted(n for n in (*names, *lazy) if not n.startswith("_")))

    def __getattr__(name: str) -> Any:  # noqa: N807  (the module hook's own name)
        if name in lazy:
            return importlib.import_module(f"{module}.{name}")
        if name.startswith("_"):  # Python's and tools' own probes (__path__, _fields...) stay plain
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        raise AttributeError(f"{module}.{name} is a Keras name that fnlearn does not provide; {module} has: "
                             f"{have}.")

    return __getattr__
