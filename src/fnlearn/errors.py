"""The exceptions fnlearn raises, one per kind of mistake.

Every message is one sentence that names the argument, what was given, what was
expected and what to do. Each class also derives from the built-in exception a
Python user would reach for first (``ValueError``, ``TypeError``...), so existing
``except ValueError`` code keeps working.

Example:
    >>> import fnlearn as fl
    >>> try:
    ...     fl.layers.Dense(3, activation="rleu")
    ... except fl.errors.ConfigError as e:
    ...     print(e)  # doctest: +ELLIPSIS
    activation 'rleu' is not known; did you mean 'relu'? ...
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar


class FnlearnError(Exception):
    """Base class of every error fnlearn raises on purpose."""


class ShapeError(FnlearnError, ValueError):
    """Arrays whose shapes do not fit together (features vs input_shape, rows of x vs y, `@`)."""


class DataError(FnlearnError, ValueError):
    """Values that cannot be used: strings, objects, complex numbers, NaN or inf, bad labels, empty arrays."""


class ConfigError(FnlearnError, ValueError):
    """A setting that is unknown or out of range: names, learning rates, batch sizes, epochs."""


class NotReadyError(FnlearnError, RuntimeError):
    """A step called before the one it needs: fit before compile, predict before the model is built."""


class ModelFileError(FnlearnError, ValueError):
    """A model or checkpoint file that is truncated, corrupted, foreign or from an incompatible version."""


class DatasetError(FnlearnError, FileNotFoundError):
    """A data set that cannot be found or read: missing files, bad headers, missing columns."""


class SaveError(FnlearnError, FileNotFoundError):
    """A file that cannot be written where it was asked for: its folder does not exist."""


class DeviceError(FnlearnError, RuntimeError):
    """A device that cannot be used (no CuPy, no GPU) or tensors from two devices mixed in one op."""


class MissingDependencyError(FnlearnError, ImportError):
    """An optional package that a feature needs is not installed."""


def did_you_mean(given: object, valid: Iterable[str]) -> str:
    """Return ``"did you mean 'x'? "`` for the nearest valid name, or ``""`` when nothing is near.

    Of the names that look alike, the one fewest typing slips away wins (a swap of two neighbours is one slip),
    so ``'adma'`` is ``'adam'``, not the longer ``'adamax'`` that shares more letters.

    >>> did_you_mean("rleu", ["relu", "sigmoid"])
    "did you mean 'relu'? "
    >>> did_you_mean("adma", ["adam", "adamax", "nadam"])
    "did you mean 'adam'? "
    """
    import difflib  # here, not at the top: only a mistyped name needs it, and every import of fnlearn would pay

    word = str(given).lower()
    matches = difflib.get_close_matches(word, list(valid), n=3, cutoff=0.5)
    if not matches:
        return ""
    best = min(matches, key=lambda name: _slips(word, name.lower()))  # min keeps difflib's order on ties
    return f"did you mean '{best}'? "


def _slips(a: str, b: str) -> int:
    """Insertions, deletions, substitutions and swaps of neighbours that turn ``a`` into ``b`` (the optimal string
    alignment distance)."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


# Deep-learning libraries whose layers, losses, metrics and optimizers look like fnlearn's but are not:
# scikit-learn's metric functions, say, are plain functions of arrays and work as fnlearn metrics.
_OTHER_LIBRARIES = {"keras": "Keras", "tf_keras": "Keras", "tensorflow": "TensorFlow", "torch": "PyTorch"}


def foreign(kind: str, obj: object, instead: str | None = None) -> ConfigError | None:
    """The error for an object of another deep-learning library handed to fnlearn, else None.

    Such objects are often callable, and would otherwise be taken for a function of the user's own: a
    ``keras.metrics`` object keeps its own running totals, which fnlearn would never reset. ``instead`` names
    fnlearn's own equivalent (``"keras.initializers.HeNormal"``) where the caller knows it.

    >>> class Dense: ...
    >>> Dense.__module__ = "keras.src.layers.core.dense"
    >>> str(foreign("layer", Dense()))[:40]
    'the layer Dense comes from Keras, not fn'
    >>> "use fnlearn's own keras.layers.Dense (" in str(foreign("layer", Dense(), instead="keras.layers.Dense"))
    True
    """
    module = getattr(obj, "__module__", None) or type(obj).__module__ or ""
    library = _OTHER_LIBRARIES.get(module.split(".")[0]) if isinstance(module, str) else None
    if library is None:
        return None
    name = getattr(obj, "__name__", None) or type(obj).__name__
    own = f"fnlearn's own {instead}" if instead else "fnlearn's own"
    return ConfigError(f"the {kind} {name} comes from {library}, not fnlearn; use {own} (for a Keras program "
                       "write `from fnlearn import keras` or `from fnlearn.compat import tensorflow as tf` instead of "
                       "importing Keras or TensorFlow).")


def equivalent(obj: object, module: str, names: Iterable[str]) -> str | None:
    """fnlearn's own name for ``obj`` — ``module.Name`` when ``names`` (what ``module`` has) holds ``obj``'s name
    — for :func:`foreign`'s ``instead``; None when fnlearn has no such name.

    >>> class HeNormal: ...
    >>> equivalent(HeNormal(), "keras.initializers", ["HeNormal"]), equivalent(HeNormal(), "keras.layers", [])
    ('keras.initializers.HeNormal', None)
    """
    name = getattr(obj, "__name__", None) or type(obj).__name__
    return f"{module}.{name}" if name in names else None


def reject_foreign(kind: str, obj: object, instead: str | None = None) -> None:
    """Raise :func:`foreign`'s error when ``obj`` belongs to another deep-learning library.

    >>> reject_foreign("initializer", "he_normal")  # fnlearn's own things (and plain values) pass
    """
    error = foreign(kind, obj, instead)
    if error is not None:
        raise error


def unexpected_argument(who: str, given: Mapping[str, Any], accepted: Iterable[str]) -> ConfigError | None:
    """The one-sentence error for the first keyword argument in ``given`` that ``accepted`` lacks (a typo, most
    often), with the nearest accepted name and the full list; None when every one is accepted.

    ``who`` is what was called, as the user wrote it (``"ExponentialDecay"``); ``accepted`` lists the keyword
    names it takes, in the order its help gives them.

    >>> print(unexpected_argument("ExponentialDecay", {"decay_step": 10}, ["decay_steps", "decay_rate"]))
    ExponentialDecay got an unexpected argument decay_step=10; did you mean 'decay_steps'? it takes decay_steps,
    decay_rate.
    >>> unexpected_argument("ExponentialDecay", {"decay_rate": 0.5}, ["decay_steps", "decay_rate"]) is None
    True
    """
    accepted = list(accepted)
    name = next((key for key in given if key not in accepted), None)
    if name is None:
        return None
    return ConfigError(f"{who} got an unexpected argument {name}={given[name]!r}; {did_you_mean(name, accepted)}"
                       f"it takes {', '.join(accepted)}.")


def reject_unexpected_arguments(who: str, given: Mapping[str, Any], accepted: Iterable[str]) -> None:
    """Raise :func:`unexpected_argument`'s error when ``given`` holds a keyword that ``accepted`` lacks.

    Call it before anything changes, with the ``**kwargs`` a function collected:

    >>> def make(**kwargs):
    ...     reject_unexpected_arguments("make", kwargs, ["units", "activation"])
    >>> make(unit=3)
    Traceback (most recent call last):
    ...
    fnlearn.errors.ConfigError: make got an unexpected argument unit=3; did you mean 'units'? it takes units,
    activation.
    """
    error = unexpected_argument(who, given, accepted)
    if error is not None:
        raise error


def unknown_name(kind: str, given: object, valid: Iterable[str]) -> ConfigError:
    """Build the one-sentence error for an unknown string name, with the nearest match and the full list."""
    other = None if isinstance(given, str) else foreign(kind, given)
    if other is not None:
        return other
    valid = sorted(set(valid))
    return ConfigError(
        f"{kind} {given!r} is not known; {did_you_mean(given, valid)}"
        f"valid names are: {', '.join(valid)}."
    )


_Class = TypeVar("_Class", bound=type)


def arguments_checked(cls: _Class) -> _Class:
    """``cls`` with an ``__init__`` that turns a misspelled, missing or doubled argument into one ConfigError
    sentence naming ``cls`` (Python's TypeError would name ``__init__`` and suggest nothing), before anything runs.
    A class whose ``__init__`` takes ``**kwargs`` checks those itself.

    >>> @arguments_checked
    ... class Decay:
    ...     def __init__(self, rate, steps=10):
    ...         self.rate, self.steps = rate, steps
    >>> Decay(0.5, step=3)
    Traceback (most recent call last):
    ...
    fnlearn.errors.ConfigError: Decay got an unexpected argument step=3; did you mean 'steps'? it takes rate, steps.
    """
    import functools
    import inspect

    init = cls.__init__
    parameters = [p for p in inspect.signature(init).parameters.values() if p.name != "self"]
    open_keywords = any(p.kind is p.VAR_KEYWORD for p in parameters)
    named = [p for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    accepted = [p.name for p in named]
    positional = [p.name for p in named if p.kind is p.POSITIONAL_OR_KEYWORD]
    required = [p.name for p in named if p.default is inspect.Parameter.empty]
    who = cls.__name__

    @functools.wraps(init)
    def checked(self: Any, *args: Any, **kwargs: Any) -> None:
        if not open_keywords:
            reject_unexpected_arguments(who, kwargs, accepted)
        if len(args) > len(positional):
            raise ConfigError(f"{who} takes at most {len(positional)} arguments by position ({', '.join(positional)}),"
                              f" got {len(args)}; pass the others by name.")
        doubled = next((name for name in positional[:len(args)] if name in kwargs), None)
        if doubled is not None:
            raise ConfigError(f"{who} got {doubled} twice, by position and by name; give it once.")
        missing = [name for name in required if name not in positional[:len(args)] and name not in kwargs]
        if missing:
            needs = missing[0] if len(missing) == 1 else f"{', '.join(missing[:-1])} and {missing[-1]}"
            raise ConfigError(f"{who} needs {needs}; it takes {', '.join(accepted)}.")
        init(self, *args, **kwargs)

    cls.__init__ = checked  # type: ignore[misc]
    return cls


def require(module: str, feature: str, extra: str) -> object:
    """Import an optional dependency, or raise one sentence saying how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{feature} needs the '{module.split('.')[0]}' package, which is not installed; "
            f"install it with: pip install 'fnlearn[{extra}]'."
        ) from exc
