"""Keras's serialized form of a constraint or regularizer — ``{"module", "class_name", "config",
"registered_name"}`` — written and read back, one of the user's own classes or functions included (found again by
name in ``custom_objects``). Both kinds of weight setting share this code; each module keeps its own classes.

Example:
    >>> from fnlearn.nn import regularizers
    >>> form = serialize("regularizer", regularizers.L2(0.5), regularizers.Regularizer, regularizers.CLASSES,
    ...                  "keras.regularizers")
    >>> form["class_name"], form["config"]
    ('L2', {'l2': 0.5})
    >>> deserialize("regularizer", form, regularizers.CLASSES, None, "{'class_name': 'L2', 'config': {'l2': 0.01}}")
    L2(l1=0, l2=0.5)
"""

from __future__ import annotations

import inspect
from typing import Any

from ..errors import ConfigError


def serialize(kind: str, obj: Any, base: type, classes: dict[str, type], module: str) -> dict[str, Any] | None:
    """``obj`` (a ``base`` object, or a plain function) in Keras's form; None stays None. A class of the user's own
    is recorded with its name as ``registered_name``, a function by its name, to be given back in
    ``custom_objects`` when loading."""
    if obj is None:
        return None
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return {"module": getattr(obj, "__module__", None), "class_name": "function", "config": obj.__name__,
                "registered_name": "function"}
    if isinstance(obj, base):
        name = type(obj).__name__
        own = classes.get(name) is type(obj)
        return {"module": module if own else type(obj).__module__, "class_name": name,
                "config": obj.get_config(), "registered_name": None if own else name}
    article = "an" if base.__name__[0] in "AEIOU" else "a"
    raise ConfigError(f"the {kind} {obj!r} cannot be written into a config: it is neither {article} "
                      f"{module}.{base.__name__} nor a function; subclass {base.__name__} (with a get_config) to "
                      "save it.")


def deserialize(kind: str, config: dict[str, Any], classes: dict[str, type],
                custom_objects: dict[str, Any] | None, example: str) -> Any:
    """The object :func:`serialize` wrote, one of ``custom_objects`` by its class or function name for those of the
    user's own; ``example`` shows a well-formed config in the error for a malformed one."""
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ConfigError(f"a {kind}'s config must be a dict with a 'class_name' (as Keras's serialize writes it), "
                          f"got {config!r}; e.g. {example}.")
    custom = custom_objects or {}
    name, settings = config["class_name"], config.get("config") or {}
    if name == "function":
        found = custom.get(settings) if isinstance(settings, str) else None
        if not callable(found):
            raise ConfigError(f"the {kind} is the function {settings!r}, which is not known here; pass the "
                              f"function in custom_objects under the name {settings!r}.")
        return found
    cls = custom.get(name) or custom.get(config.get("registered_name") or "") or classes.get(name)
    if cls is None:
        known = f"it takes one of {', '.join(classes)}, or a class of your own passed" if classes else \
            "pass your class"
        raise ConfigError(f"{kind} class {name!r} is not known; {known} in custom_objects under the name {name!r}.")
    if not isinstance(settings, dict):
        raise ConfigError(f"the settings of {kind} {name!r} must be a dict, got {settings!r}.")
    if not inspect.isclass(cls):
        return cls
    try:
        return cls.from_config(settings) if hasattr(cls, "from_config") else cls(**settings)
    except TypeError as exc:
        raise ConfigError(f"{kind} {name!r} cannot be made from the settings {settings!r} ({exc}); give "
                          "those its get_config wrote.") from None


def settings_of(kind: str, obj: Any) -> dict[str, Any]:
    """The base classes' ``get_config``: no settings, or one sentence when ``obj``'s class takes some in its
    ``__init__`` and has no ``get_config`` of its own to record them (Keras's base classes raise there too)."""
    own_init = type(obj).__init__
    if own_init is not object.__init__ and len(inspect.signature(own_init).parameters) > 1:
        raise ConfigError(f"the {kind} {type(obj).__name__} takes settings but has no get_config, so a model using "
                          "it cannot be saved; give it a get_config returning its __init__'s arguments as a dict.")
    return {}
