"""``keras.mixed_precision``: Keras's dtype policies, for the programs that set one.

fnlearn computes in float32 (float64 on request), so the policies it takes are ``"float32"`` and ``"float64"``
(setting one sets ``keras.config.floatx``, the dtype of new layers); a half-precision policy (``"mixed_float16"``,
``"mixed_bfloat16"``, ``"float16"``, ``"bfloat16"``), which only speeds up Keras on a GPU's tensor cores, is refused in
one sentence before anything changes, rather than run silently at another precision than the program asked for.

Example:
    >>> from fnlearn.keras import mixed_precision
    >>> mixed_precision.set_global_policy("float32")
    >>> policy = mixed_precision.global_policy()
    >>> policy.name, policy.compute_dtype, policy.variable_dtype
    ('float32', 'float32', 'float32')
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from ._missing import not_provided
from .backend import floatx, set_floatx

_TAKEN = ("float32", "float64")
_HALF = ("mixed_float16", "mixed_bfloat16", "float16", "bfloat16")


def _checked(name: Any) -> str:
    if isinstance(name, DTypePolicy):
        return name.name
    if name in _TAKEN:
        return str(name)
    if name in _HALF:
        raise ConfigError(f"the dtype policy {name!r} computes in half precision, which fnlearn does not do (it "
                          "speeds up Keras on a GPU's tensor cores); remove the line, or use 'float32'.")
    raise ConfigError(f"the dtype policy must be 'float32' or 'float64' (fnlearn's precisions), got {name!r}; e.g. "
                      "set_global_policy('float32').")


class DTypePolicy:
    """A dtype policy, Keras's ``DTypePolicy`` (also ``Policy``): its ``name``, and the ``compute_dtype`` and
    ``variable_dtype`` it gives layers, both the name's.

    >>> DTypePolicy("float64").compute_dtype
    'float64'
    """

    def __init__(self, name: str | None = None) -> None:
        self._name = _checked(floatx() if name is None else name)

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> str:
        return self._name

    @property
    def variable_dtype(self) -> str:
        return self._name

    def get_config(self) -> dict[str, Any]:
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DTypePolicy:
        return cls(**config)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self._name)

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self._name}">'


Policy = DTypePolicy  # Keras's other name


def set_dtype_policy(policy: Any) -> None:
    """Make new layers compute and keep their weights in ``policy``'s dtype (``"float32"`` or ``"float64"``, or a
    :class:`DTypePolicy`), as ``keras.config.set_floatx`` does.

    >>> set_dtype_policy("float32"); dtype_policy().name
    'float32'
    """
    set_floatx(_checked(policy))


def dtype_policy() -> DTypePolicy:
    """The policy of new layers: the one of ``keras.config.floatx()``."""
    return DTypePolicy(floatx())


set_global_policy = set_dtype_policy  # Keras's other names
global_policy = dtype_policy

__all__ = ["DTypePolicy", "Policy", "dtype_policy", "set_dtype_policy", "global_policy", "set_global_policy"]

__getattr__ = not_provided(__name__, __all__)
