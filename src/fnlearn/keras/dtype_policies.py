"""``keras.dtype_policies``: the dtype policies by name, as Keras's files and configs write them.

A policy is fnlearn's :class:`~fnlearn.keras.mixed_precision.DTypePolicy` (``FloatDTypePolicy`` is Keras's other
name for it): ``"float32"`` or ``"float64"``. Keras's half-precision and quantized policies are refused in one
sentence, as ``keras.mixed_precision`` refuses them.

Example:
    >>> from fnlearn.keras import dtype_policies
    >>> policy = dtype_policies.get("float64")
    >>> dtype_policies.serialize(policy)["config"], dtype_policies.deserialize(dtype_policies.serialize(policy))
    ({'name': 'float64'}, <DTypePolicy "float64">)
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from ._missing import not_provided
from .mixed_precision import DTypePolicy, dtype_policy

FloatDTypePolicy = DTypePolicy  # Keras 3's other name


def serialize(dtype_policy: DTypePolicy) -> dict[str, Any]:
    """The policy as Keras writes it in a layer's config: ``{"module": "keras", "class_name": "DTypePolicy",
    "config": {"name": ...}, "registered_name": None}``."""
    if not isinstance(dtype_policy, DTypePolicy):
        raise ConfigError(f"dtype_policies.serialize takes a DTypePolicy, got {type(dtype_policy).__name__}; make one "
                          "with keras.DTypePolicy('float32').")
    return {"module": "keras", "class_name": "DTypePolicy", "config": dtype_policy.get_config(),
            "registered_name": None}


def deserialize(config: dict[str, Any], custom_objects: Any = None) -> DTypePolicy:
    """The policy a Keras config of one describes (what :func:`serialize` writes)."""
    if not isinstance(config, dict) or config.get("class_name") not in ("DTypePolicy", "FloatDTypePolicy") \
            or not isinstance(config.get("config"), dict):
        raise ConfigError(f"dtype_policies.deserialize takes a dict such as {{'class_name': 'DTypePolicy', 'config': "
                          f"{{'name': 'float32'}}}}, got {config!r}.")
    return DTypePolicy.from_config(config["config"])


def get(identifier: Any) -> DTypePolicy:
    """A policy from a name (``"float32"``), a policy, a config of one, or None (the global policy)."""
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    return DTypePolicy(identifier)


__all__ = ["DTypePolicy", "FloatDTypePolicy", "get", "serialize", "deserialize"]

__getattr__ = not_provided(__name__, __all__)
