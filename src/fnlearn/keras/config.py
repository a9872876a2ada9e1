"""``keras.config``: the global settings Keras programs read or set.

fnlearn computes with NumPy (CuPy on a GPU), images channels last, and its model files never hold code, so
``enable_unsafe_deserialization()`` has nothing to unlock.

Example:
    >>> from fnlearn.keras import config
    >>> config.backend(), config.floatx(), config.image_data_format(), config.epsilon()
    ('numpy', 'float32', 'channels_last', 1e-07)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ConfigError
from ..progress import INTERACTIVE
from ._missing import not_provided
from .backend import epsilon, floatx, set_epsilon, set_floatx
from .mixed_precision import dtype_policy, set_dtype_policy


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


def standardize_dtype(dtype: Any) -> str:
    """A dtype's Keras name, e.g. ``standardize_dtype(np.float64) == "float64"``; see ``keras.utils``."""
    from .utils import standardize_dtype as standardize

    return standardize(dtype)


def is_float_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is a floating-point type (float16/32/64, bfloat16).

    >>> is_float_dtype("float32"), is_float_dtype("int8")
    (True, False)
    """
    name = standardize_dtype(dtype)
    return name.startswith("float") or name == "bfloat16"


def is_int_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is a signed or unsigned integer type.

    >>> is_int_dtype("uint8"), is_int_dtype("bool")
    (True, False)
    """
    return standardize_dtype(dtype).startswith(("int", "uint"))


def result_type(*dtypes: Any) -> str:
    """The dtype an operation on these dtypes gives, with Keras's rule for Python numbers: ``int`` and ``float``
    (the types or values) are weak, so they do not widen an array's dtype; with no array dtype, ``floatx()``.

    >>> import numpy as np
    >>> result_type("int32", "float32"), result_type("float32", float), result_type("int8", 3)
    ('float32', 'float32', 'int8')
    """
    strong = [standardize_dtype(getattr(d, "dtype", d)) for d in dtypes
              if not (d in (int, float, bool) or (isinstance(d, (int, float, bool)) and not isinstance(d, np.generic)))]
    weak = [d if isinstance(d, type) else type(d) for d in dtypes if d not in strong and
            (d in (int, float, bool) or isinstance(d, (int, float, bool)))]
    if not strong:
        return "float32" if float in weak else "int32" if int in weak else "bool" if weak else floatx()
    floats = [d for d in strong if is_float_dtype(d)]
    # Keras's (JAX's) lattice: an integer array meeting a float array takes the float's type, not a wider one
    name = np.result_type(*(floats or strong)).name
    if float in weak and not is_float_dtype(name):
        return floatx()
    return name


def enable_interactive_logging() -> None:
    """Let ``fit``, ``evaluate`` and ``Progbar`` print their progress again (the default)."""
    INTERACTIVE["enabled"] = True


def disable_interactive_logging() -> None:
    """Keep ``fit``'s progress bars and lines (and ``Progbar``'s) off, whatever ``verbose`` says.

    >>> disable_interactive_logging(); is_interactive_logging_enabled()
    False
    >>> enable_interactive_logging()
    """
    INTERACTIVE["enabled"] = False


def is_interactive_logging_enabled() -> bool:
    """Whether progress is printed (see :func:`disable_interactive_logging`)."""
    return INTERACTIVE["enabled"]


# Keras's global switches that change how Keras runs, not what it computes: kept so programs can set and read them
_SWITCHES: dict[str, bool | None] = {"traceback_filtering": True, "flash_attention": None}


def enable_traceback_filtering() -> None:
    """Keras trims its own frames from tracebacks; fnlearn's errors are one sentence raised where the bad input
    enters, so there is nothing to trim: the switch is kept for programs that set and read it."""
    _SWITCHES["traceback_filtering"] = True


def disable_traceback_filtering() -> None:
    """See :func:`enable_traceback_filtering`.

    >>> disable_traceback_filtering(); is_traceback_filtering_enabled()
    False
    >>> enable_traceback_filtering()
    """
    _SWITCHES["traceback_filtering"] = False


def is_traceback_filtering_enabled() -> bool:
    """The traceback-filtering switch (True unless disabled)."""
    return bool(_SWITCHES["traceback_filtering"])


def enable_flash_attention() -> None:
    """Keras's switch for fused attention kernels, which speed up half precision on a GPU; fnlearn's attention layers
    compute the same numbers either way, so the switch is kept for programs that set and read it."""
    _SWITCHES["flash_attention"] = None  # as Keras: "on where possible", not a demand


def disable_flash_attention() -> None:
    """See :func:`enable_flash_attention`.

    >>> disable_flash_attention(); is_flash_attention_enabled()
    False
    >>> enable_flash_attention(); print(is_flash_attention_enabled())
    None
    """
    _SWITCHES["flash_attention"] = False


def is_flash_attention_enabled() -> bool | None:
    """Keras's answer: False when disabled, otherwise None (used where possible)."""
    return _SWITCHES["flash_attention"]


def is_nnx_enabled() -> bool:
    """Whether Keras's Flax NNX features are on: never, as fnlearn does not run on JAX."""
    return False


def set_backend(backend: str) -> None:
    """Keras reloads itself on another library; fnlearn computes with NumPy, so ``"numpy"`` is accepted and any
    other name is refused in one sentence (for a GPU, ``fl.set_backend("cupy")``).

    >>> set_backend("numpy")
    """
    if backend != "numpy":
        raise ConfigError(f"keras.config.set_backend got {backend!r}; fnlearn computes with NumPy, so its one backend "
                          "is 'numpy': remove the call (for a GPU, call fl.set_backend('cupy') instead).")


def enable_unsafe_deserialization() -> None:
    """Accepted for Keras programs that call it before ``load_model``: fnlearn's model files never hold code (a
    Lambda layer's function, say), so loading one never runs any and there is nothing to enable."""


def _limit(value: Any, name: str) -> int | None:
    if value is not None and (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer))
                              or value < 1):
        raise ConfigError(f"set_{name} takes a whole number ≥ 1 (a cap on every fit) or None (no cap), got "
                          f"{value!r}; e.g. set_{name}(2).")
    return None if value is None else int(value)


def set_max_epochs(max_epochs: int | None) -> None:
    """Cap the epochs of every ``fit`` (with a warning where it cuts), Keras's quick trial run of a long program
    (also from the environment variable ``KERAS_MAX_EPOCHS``); None removes the cap.

    >>> set_max_epochs(2); max_epochs()
    2
    >>> set_max_epochs(None)
    """
    from ..model import FIT_LIMITS

    FIT_LIMITS["epochs"] = _limit(max_epochs, "max_epochs")


def max_epochs() -> int | None:
    """The cap :func:`set_max_epochs` (or ``KERAS_MAX_EPOCHS``) put on ``fit``'s epochs, or None."""
    from ..model import FIT_LIMITS

    return FIT_LIMITS["epochs"]


def set_max_steps_per_epoch(max_steps_per_epoch: int | None) -> None:
    """Cap the training batches of every epoch of ``fit`` (also from ``KERAS_MAX_STEPS_PER_EPOCH``); None removes
    the cap. Unlike Keras's, the cap leaves ``evaluate`` and ``predict`` whole, so a trial run's later steps get
    every prediction they expect.

    >>> set_max_steps_per_epoch(10); max_steps_per_epoch()
    10
    >>> set_max_steps_per_epoch(None)
    """
    from ..model import FIT_LIMITS

    FIT_LIMITS["steps_per_epoch"] = _limit(max_steps_per_epoch, "max_steps_per_epoch")


def max_steps_per_epoch() -> int | None:
    """The cap :func:`set_max_steps_per_epoch` (or ``KERAS_MAX_STEPS_PER_EPOCH``) put on an epoch's batches, or
    None."""
    from ..model import FIT_LIMITS

    return FIT_LIMITS["steps_per_epoch"]


__all__ = ["backend", "floatx", "set_floatx", "epsilon", "image_data_format", "set_image_data_format",
           "enable_unsafe_deserialization", "standardize_dtype", "is_float_dtype", "is_int_dtype", "result_type",
           "enable_interactive_logging", "disable_interactive_logging", "is_interactive_logging_enabled",
           "set_max_epochs", "max_epochs", "set_max_steps_per_epoch", "max_steps_per_epoch", "dtype_policy",
           "set_dtype_policy", "set_epsilon", "enable_traceback_filtering", "disable_traceback_filtering",
           "is_traceback_filtering_enabled", "enable_flash_attention", "disable_flash_attention",
           "is_flash_attention_enabled", "is_nnx_enabled", "set_backend"]

__getattr__ = not_provided(__name__, __all__)
