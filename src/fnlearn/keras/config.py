"""``keras.config``: the global settings Keras programs read or set.

fnlearn computes with NumPy (CuPy on a GPU), images channels last, and its model files never hold code, so
``enable_unsafe_deserialization()`` has nothing to unlock.

Example:
    >>> from fnlearn.keras import config
    >>> config.backend(), config.floatx(), config.image_data_format(), config.epsilon()
    ('numpy', 'float32', 'channels_last', 1e-07)
"""

from __future__ import annotations

from ..errors import ConfigError
from ._missing import not_provided
from .backend import epsilon, floatx, set_floatx


def backend() -> str:
    """The name of the library that computes: ``"numpy"`` (Keras names its NumPy backend so too)."""
    return "numpy"


def image_data_format() -> str:
    """Where images keep their channels: ``"channels_last"``, (height, width, channels), Keras's default."""
    return "channels_last"


def set_image_data_format(data_format: str) -> None:
    """Keep images channels last; ``"channels_first"`` is refused in one sentence (fnlearn's image layers take
    (height, width, channels))."""
    if data_format != "channels_last":
        raise ConfigError(f"set_image_data_format got {data_format!r}; fnlearn's image layers take images channels "
                          "last, (height, width, channels): transpose the images instead, e.g. "
                          "np.transpose(x, (0, 2, 3, 1)).")


def enable_unsafe_deserialization() -> None:
    """Accepted for Keras programs that call it before ``load_model``: fnlearn's model files never hold code (a
    Lambda layer's function, say), so loading one never runs any and there is nothing to enable."""


__all__ = ["backend", "floatx", "set_floatx", "epsilon", "image_data_format", "set_image_data_format",
           "enable_unsafe_deserialization"]

__getattr__ = not_provided(__name__, __all__)
