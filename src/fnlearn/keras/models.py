"""``keras.models``: ``Sequential``, ``load_model`` and ``save_model``.

``Sequential`` is fnlearn's model (compile / fit / evaluate / predict / save) that also accepts a leading
``Input(shape=...)``, as Keras does.

Example:
    >>> from fnlearn.keras.models import Sequential
    >>> from fnlearn.keras.layers import Dense
    >>> model = Sequential()
    >>> model.add(Dense(100, activation="relu", input_dim=784))
    >>> model.add(Dense(100, activation="relu")); model.add(Dense(10, activation="softmax"))
    >>> model.num_parameters()
    89610
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from .. import io
from .. import nn as _nn
from ..errors import ConfigError
from ..nn import module as _module
from ._missing import not_provided


class Sequential(_nn.Sequential):
    """fnlearn's ``Sequential`` with Keras's constructor; a leading ``Input`` gives the next layer its shape.

    >>> from fnlearn.keras.layers import Input, Dense
    >>> Sequential([Input(shape=(3,)), Dense(2)]).layers[0].input_shape
    (3,)
    """

    def __init__(self, layers: Iterable[Any] | None = None, trainable: bool = True,
                 name: str | None = None) -> None:
        super().__init__(None, name=name)
        if layers is not None:
            for layer in [layers] if isinstance(layers, _nn.Module) else layers:
                self.add(layer)
        if trainable is not True:
            self.trainable = trainable

    def __call__(self, *args: Any, training: bool | None = None, **kwargs: Any) -> Any:
        """Run the model; as in Keras, a call runs in inference mode (Dropout off) unless ``training=True``.

        A Keras model inside another model's forward pass (fit's too) runs in that pass's mode instead, as
        Keras passes ``training`` down. ``fit``, ``evaluate`` and ``predict`` set the mode themselves;
        fnlearn's own ``fl.Sequential`` keeps PyTorch's rule (the module's mode, ``model.train()`` /
        ``model.eval()``).
        """
        if training is None and not _module.inside_forward():
            training = False
        return super().__call__(*args, training=training, **kwargs)


class Model:
    """Keras's functional and subclassed ``Model``, which fnlearn does not have: making one says so.

    >>> Model(inputs=None, outputs=None)
    Traceback (most recent call last):
    ...
    fnlearn.errors.ConfigError: keras.Model (the functional API, or a subclass with call()) is not part of fnlearn; ...
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise ConfigError("keras.Model (the functional API, or a subclass with call()) is not part of fnlearn; "
                          "build the network as keras.Sequential([...]) of layers, or write a fl.nn.Module "
                          "with forward() and train it by hand.")


def load_model(filepath: str | os.PathLike, custom_objects: Mapping[str, Any] | None = None,
               compile: bool = True, safe_mode: bool = True) -> Sequential:  # noqa: A002  (Keras's name)
    """Load a model written by ``model.save``; see :func:`fnlearn.io.load_model`.

    fnlearn files never hold code, so ``safe_mode`` is always on; ``safe_mode=False`` changes nothing.
    """
    return io._load_model(filepath, compile=compile, custom_objects=custom_objects, model_class=Sequential)


def save_model(model: Any, filepath: str | os.PathLike, overwrite: bool = True,
               include_optimizer: bool = True) -> None:
    """Write ``model`` to ``filepath`` (atomically); ``overwrite=False`` refuses to replace a file."""
    if not overwrite and os.path.exists(filepath):
        raise ConfigError(f"{os.fspath(filepath)!r} exists and overwrite=False; choose another path or pass "
                          "overwrite=True.")
    io.save_model(model, filepath, include_optimizer=include_optimizer)


__all__ = ["Sequential", "Model", "load_model", "save_model"]

__getattr__ = not_provided(__name__, __all__)
