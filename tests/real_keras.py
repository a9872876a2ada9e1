"""The real Keras, for tests that compare fnlearn's numbers with it."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import numpy as np
import pytest

# Keras runs on PyTorch here unless a test needs JAX: eager, it costs a comparison milliseconds where JAX compiles
# each model's step and each op's shape (a cold run of the suite spent minutes compiling). Keras's backends agree on
# almost everything fnlearn is compared with; the few results where they differ (image resizing kernels, average
# pooling's "same" borders, integer dtypes, ties in top-k…) follow Keras on JAX, as fnlearn does, and the tests of
# those are marked ``keras_backend("jax")``: the autouse fixture in conftest.py sets ``WANTED`` for them, and they
# run last, so that a worker reloads Keras on JAX once at most.
DEFAULT_BACKEND = "torch" if importlib.util.find_spec("torch") is not None else "jax"
WANTED: str | None = None


def real_keras(reason: str = "Keras 3 (with PyTorch or JAX) is not installed; the comparison needs it") -> ModuleType:
    """``import keras``, on the backend the running test wants (``WANTED``) or on the one already loaded, or skip
    the test where Keras is not installed.

    Without Keras, ``import keras`` finds this suite's own ``tests/keras`` folder (a namespace package, since
    the folder is on the path): that is no Keras, so the test skips too, and the folder is not left in
    ``sys.modules`` for later imports to find.
    """
    os.environ.setdefault("KERAS_BACKEND", WANTED or DEFAULT_BACKEND)
    os.environ.setdefault("KERAS_TORCH_DEVICE", "cpu")  # the comparisons' arrays are NumPy's, on a GPU machine too
    try:
        module = importlib.import_module("keras")
    except ImportError:
        pytest.skip(reason)
    if getattr(module, "__file__", None) is None:
        sys.modules.pop("keras", None)
        pytest.skip(reason)
    if WANTED is not None and module.backend.backend() != WANTED:
        if importlib.util.find_spec(WANTED) is None:
            pytest.skip(f"this comparison needs Keras on {WANTED}, which is not installed")
        module.config.set_backend(WANTED)  # reloads the whole package on the other backend
        module = importlib.import_module("keras")
    if module.backend.backend() == "torch":
        _keras_on_torch_as_numpy_reads_it()
    return module


def _keras_on_torch_as_numpy_reads_it() -> None:
    """Keras's outputs on PyTorch require grad (their weights do), and PyTorch's ``__array__`` refuses those:
    ``np.asarray`` reads their values here. And Keras files fnlearn writes say ``jit_compile=True``, as Keras on
    JAX writes them, which on PyTorch means ``torch.compile`` — tens of seconds a model, for the same numbers."""
    import torch
    import torch._dynamo

    torch._dynamo.config.disable = True
    if getattr(torch.Tensor.__array__, "_detaches", False):
        return
    plain = torch.Tensor.__array__

    def detached(self: Any, *args: Any, **kwargs: Any) -> Any:
        return plain(self.detach().cpu(), *args, **kwargs)

    detached._detaches = True  # type: ignore[attr-defined]
    torch.Tensor.__array__ = detached


def compiled(real: ModuleType, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)``, a computation with real Keras, run as one compiled JAX program, its arrays given back as NumPy.

    Run eagerly, JAX compiles each op apart for each shape and dtype it meets (tens of milliseconds apiece): a
    comparison of a few dozen ops costs seconds, one program of them a fraction of that. On another backend ``fn``
    simply runs.
    """
    if real.backend.backend() != "jax":
        return real.tree.map_structure(real.ops.convert_to_numpy, fn(*args))
    import jax

    return jax.tree_util.tree_map(np.asarray, jax.jit(fn)(*args))


def assert_trains_as_keras(real: ModuleType, theirs: Any, ours: Any, x: Any, y: Any, loss: str,
                           learning_rate: float, batch_size: int, epochs: int = 2, rtol: float = 1e-5,
                           atol: float = 1e-6) -> None:
    """Give fnlearn's model Keras's weights; check the predictions, then the weights after a few epochs of plain
    SGD on unshuffled batches, both models compiled alike."""
    from fnlearn import keras

    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=rtol, atol=atol)
    for model, library in ((theirs, real), (ours, keras)):
        model.compile(library.optimizers.SGD(learning_rate), loss)
        model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def assert_files_cross_both_ways(real: ModuleType, theirs: Any, ours: Any, x: Any, folder: Any) -> None:
    """fnlearn's model saved and loaded, written for Keras and read by it, and Keras's model read by fnlearn: the
    same predictions each way."""
    from fnlearn import keras

    ours.save(folder / "m.keras")
    np.testing.assert_array_equal(keras.models.load_model(folder / "m.keras").predict(x, verbose=0),
                                  ours.predict(x, verbose=0))
    keras.saving.export_keras(ours, folder / "k.keras")
    np.testing.assert_allclose(real.models.load_model(folder / "k.keras").predict(x, verbose=0),
                               ours.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    theirs.save(folder / "theirs.keras")
    np.testing.assert_allclose(keras.models.load_model(folder / "theirs.keras").predict(x, verbose=0),
                               theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def assert_augmenting_model_crosses_and_trains(real: ModuleType, make: Callable[[ModuleType], Any], images: Any,
                                              folder: Any) -> Any:
    """A model of augmentation layers, ``make(library)`` for either library, with Keras's weights: its files cross
    both ways (the augmentations passing in inference), fnlearn's trains on the images (augmenting them), and its
    layers come back from its file with the same configs; gives the model read back from Keras's file."""
    from fnlearn import keras

    theirs, ours = make(real), make(keras)
    ours.set_weights(theirs.get_weights())
    assert_files_cross_both_ways(real, theirs, ours, images, folder)
    ours.compile("adam", "mse")
    history = ours.fit(images, np.ones((len(images), ours.output_shape[-1])), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    back = keras.models.load_model(folder / "m.keras")
    assert [layer.get_config() for layer in back.layers] == [layer.get_config() for layer in ours.layers]
    return keras.models.load_model(folder / "theirs.keras")


# what a layer's config holds that is not a setting of the layer's computation
CONFIG_IGNORED = ("name", "dtype", "trainable", "seed", "data_format")


def plain(value: Any) -> Any:
    """Tuples as lists, all the way down: a config as its JSON holds it."""
    return [plain(v) for v in value] if isinstance(value, (tuple, list)) else value


def assert_config_as_keras(ours: Any, theirs: Any) -> None:
    """fnlearn's layer has each of Keras's settings (but its name, dtype, trainable, seed, data format), as Keras
    gives it."""
    config = ours.get_config()
    for key, value in theirs.get_config().items():
        if key not in CONFIG_IGNORED:
            assert plain(config[key]) == plain(value), key


def keras_transformations(theirs: Any, images: Any, rounds: int = 3) -> Iterator[Any]:
    """Transformations Keras's augmentation layer ``theirs`` draws for ``images``, ``rounds`` of them."""
    for _ in range(rounds):
        yield theirs.get_random_transformation(images, training=True)


def assert_keras_pixels(theirs: Any, ours: Any, images: Any, transformation: Any, atol: float = 1e-4) -> None:
    """fnlearn's augmentation layer turns ``images`` into Keras's pixels for Keras's ``transformation``."""
    from fnlearn.backend import to_numpy

    np.testing.assert_allclose(to_numpy(ours.transform_images(images, transformation).data),
                               np.asarray(theirs.transform_images(images, transformation)), rtol=1e-5, atol=atol)
