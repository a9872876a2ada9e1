"""``keras.backend``: the few session helpers Keras programs call.

``clear_session()`` starts layer names afresh (``dense``, ``dense_1``, … begin again at ``dense``), as in
Keras; fnlearn keeps no graph or session besides, so nothing else needs clearing.

Example:
    >>> from fnlearn.keras import backend, layers
    >>> backend.clear_session(); layers.Dense(2).name
    'dense'
"""

from __future__ import annotations

from typing import Any

from .. import backend as _backend
from ..backend import epsilon, set_epsilon  # Keras's fuzz factor is fnlearn's own
from ..errors import ConfigError
from ..nn import layers as _layers
from ._missing import not_provided


def clear_session() -> None:
    """Forget the layer names (and :func:`get_uid`'s counts) given so far, so new layers are named from ``dense``
    again."""
    _layers._name_counters.clear()
    _UIDS.clear()


def floatx() -> str:
    """The default float type of new parameters and data: ``"float32"`` unless set otherwise."""
    return _backend.get_default_dtype()


def set_floatx(value: str) -> None:
    """Set the default float type (``"float32"`` or ``"float64"``), as ``fl.set_default_dtype``."""
    _backend.set_default_dtype(value)


def get_value(x: Any) -> Any:
    """A number or array out of what Keras programs read with it: ``get_value(model.optimizer.learning_rate)``.

    >>> import fnlearn as fl
    >>> get_value(fl.optim.SGD(learning_rate=0.1).learning_rate)
    0.1
    """
    value = x.numpy() if hasattr(x, "numpy") else x
    return float(value) if isinstance(value, float) else value


def set_value(x: Any, value: Any) -> None:
    """Keras's ``set_value(variable, value)``, for what takes ``assign``: ``set_value(model.optimizer.learning_rate,
    1e-4)`` (a learning rate, a weight)."""
    if not hasattr(x, "assign"):
        raise ConfigError(f"set_value needs something that takes assign(), such as model.optimizer.learning_rate or "
                          f"a layer's weight, got {type(x).__name__}; set a plain value directly instead.")
    x.assign(value)


def image_data_format() -> str:
    """``"channels_last"``, as ``keras.config.image_data_format``."""
    return "channels_last"


def set_image_data_format(data_format: str) -> None:
    """Keep ``"channels_last"``; see ``keras.config.set_image_data_format``."""
    from .config import set_image_data_format as set_format

    set_format(data_format)


def backend() -> str:
    """``"numpy"``, as ``keras.config.backend``."""
    return "numpy"


def standardize_dtype(dtype: Any) -> str:
    """A dtype's Keras name; see ``keras.utils.standardize_dtype``."""
    from .utils import standardize_dtype as standardize

    return standardize(dtype)


def is_float_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is a floating-point type; see ``keras.config.is_float_dtype``."""
    from .config import is_float_dtype as is_float

    return is_float(dtype)


def is_int_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is an integer type; see ``keras.config.is_int_dtype``."""
    from .config import is_int_dtype as is_int

    return is_int(dtype)


def result_type(*dtypes: Any) -> str:
    """The dtype an operation on ``dtypes`` gives; see ``keras.config.result_type``."""
    from .config import result_type as result

    return result(*dtypes)


_UIDS: dict[str, int] = {}


def get_uid(prefix: str = "") -> int:
    """1, 2, 3… at each call for the same ``prefix`` (Keras's counter for names such as ``dense_1``), again from 1
    after ``clear_session()``.

    >>> clear_session(); get_uid("block"), get_uid("block"), get_uid("head")
    (1, 2, 1)
    """
    _UIDS[prefix] = _UIDS.get(prefix, 0) + 1
    return _UIDS[prefix]


def is_keras_tensor(x: Any) -> bool:
    """Whether ``x`` is a placeholder of the functional API; see ``keras.utils.is_keras_tensor``."""
    from .utils import is_keras_tensor as check

    return check(x)


__all__ = ["clear_session", "floatx", "set_floatx", "epsilon", "set_epsilon", "get_value", "set_value",
           "image_data_format", "set_image_data_format", "backend", "standardize_dtype", "is_float_dtype",
           "is_int_dtype", "result_type", "get_uid", "is_keras_tensor"]

__getattr__ = not_provided(__name__, __all__)
