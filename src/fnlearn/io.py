"""Saving and loading models: one safetensors file, no pickle, no code from the file ever runs.

A model file holds the weights as safetensors tensors (``param/<name>``, e.g. ``param/0.kernel``) and,
in the safetensors metadata, one JSON document (key ``"fnlearn"``) with the architecture
(``model.get_config()``), the compile settings, the dtype, the fnlearn version and the optimizer's step
count; the optimizer's per-parameter slots are tensors ``optimizer/<index>/<slot>``. A SHA-256 digest
of that document and of every tensor (key ``"fnlearn.sha256"``) lets a flipped bit be noticed.

Writes are atomic: the bytes go to a temporary file beside the target, named
``.<file name>.<pid>.<random>.fnlearn-tmp``, which is flushed, synced and then renamed over the target,
so a crash or a full disk leaves the previous file intact. A temporary file left by a process that was
killed mid-save is removed by the next save to the same path.

Loading checks the file before trusting it: the header length against the file size, the JSON header
(tensor dtypes, shapes, byte ranges that must tile the data exactly), the format name and version, and
layer classes from a fixed list. Anything wrong — a missing, empty, truncated, corrupted or foreign file —
raises :class:`~fnlearn.errors.ModelFileError` with one sentence naming the file.

Example:
    >>> import fnlearn as fl, numpy as np, tempfile, os
    >>> model = fl.Sequential([fl.layers.Dense(2, activation="relu", input_shape=(3,))])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.fnl")
    >>> fl.io.save_model(model, path)
    >>> again = fl.load_model(path)
    >>> x = np.ones((1, 3), dtype="float32")
    >>> bool((again(x).numpy() == model(x).numpy()).all())
    True
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import math
import os
import secrets
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from . import backend, data
from .errors import ConfigError, FnlearnError, ModelFileError, NotReadyError, SaveError, ShapeError, require

FORMAT = "fnlearn"
FORMAT_VERSION = 1
METADATA_KEY = "fnlearn"
DIGEST_KEY = "fnlearn.sha256"
TEMP_SUFFIX = ".fnlearn-tmp"
MAX_HEADER_BYTES = 100 * 2**20  # real headers are a few kB; anything near this is not ours
MAX_RANK = 8

# The only dtypes fnlearn writes; anything else in a header means the file is not one of ours.
_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8")}
_FLOAT_NAMES = ("float32", "float64")

# Recognisable starts of files people mistake for model files, to name what was given.
_FOREIGN_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"PK\x03\x04", "a zip archive (a Keras .keras file or a PyTorch checkpoint?)"),
    (b"\x89HDF", "an HDF5 file (a Keras .h5 model?)"),
    (b"\x93NUMPY", "a NumPy .npy array"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"%PDF", "a PDF document"),
)


# --------------------------------------------------------------------------- atomic writes


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one.

    The bytes go to a temporary file in the same folder, are flushed and synced to disk, and the
    temporary file is renamed over ``path``. On any error the temporary file is removed and the
    previous file is untouched.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> write_atomic(p, b"hello"); open(p, "rb").read()
    b'hello'
    """
    given = path = os.fsdecode(path)
    name = os.path.basename(path)
    if not name or os.path.isdir(path):
        raise SaveError(f"cannot save to {given!r}: it names a folder, not a file; give a file name such as "
                        f"{os.path.join(path, 'model.fnl')!r}.")
    if os.path.islink(path):
        path = os.path.realpath(path)  # write the file the link points to, and keep the link
        name = os.path.basename(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise SaveError(f"cannot save to {given!r}: the folder {folder!r} does not exist; create it first "
                        "(os.makedirs(folder, exist_ok=True)).")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise SaveError(f"cannot save to {given!r}: the file is read-only; make it writable or save elsewhere.")
    _remove_stale_temps(folder, name)
    tmp = os.path.join(folder, f"{_temp_prefix(name)}{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        # Keep the permissions of the file being replaced; a new file gets the usual rw-r--r--.
        mode = os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:  # a full disk, a name too long for the file system, no permission, ...
        raise SaveError(f"cannot save to {given!r}: {exc.strerror or exc}; nothing was changed there.") from None
    finally:
        # After a successful rename the temporary name is gone; after any failure nothing is left behind.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    _sync_folder(folder)


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX); harmless where folders cannot be opened."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _temp_prefix(name: str) -> str:
    """The start of a temporary file's name for saves to ``name``: short enough that the whole temporary name
    fits where ``name`` itself fits (255 bytes on most file systems)."""
    while len(os.fsencode(name)) > 200:
        name = name[:-1]
    return f".{name}."


def _remove_stale_temps(folder: str, name: str) -> None:
    """Delete temporary files of earlier saves to the same name whose writing process has died."""
    if os.name != "posix":
        return  # without a safe liveness check, leave them: they never shadow the real file
    prefix = _temp_prefix(name)
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for entry in entries:
        if not (entry.startswith(prefix) and entry.endswith(TEMP_SUFFIX)):
            continue
        parts = entry[len(prefix):-len(TEMP_SUFFIX)].split(".")
        if len(parts) != 2 or not parts[0].isdigit():
            continue
        pid = int(parts[0])
        if pid != os.getpid() and not _process_alive(pid):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, entry))


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists but belongs to someone else
    return True


# --------------------------------------------------------------------------- saving


def save_model(model: Any, path: str | os.PathLike, include_optimizer: bool = True) -> None:
    """Write ``model`` (architecture, weights, compile settings, optimizer state) to one file, atomically.

    Args:
        model: a built ``fl.Sequential``.
        path: the file to write, conventionally ending in ``.fnl``.
        include_optimizer: also store the optimizer's step count and slots (momentum, Adam's moments), so
            that training resumed from the file continues exactly where it stopped.

    >>> import fnlearn as fl, tempfile, os
    >>> m = fl.Sequential([fl.layers.Dense(1, input_dim=2)])
    >>> fl.io.save_model(m, os.path.join(tempfile.mkdtemp(), "line.fnl"))
    """
    from .model import Trainer  # here: fnlearn.model imports this module

    inner = next((layer for layer in _all_layers(model) if isinstance(layer, Trainer)
                  and type(layer).__name__ not in _MODEL_NAMES), None)
    if inner is not None:
        raise ConfigError(f"model {getattr(model, 'name', '?')!r} holds the model {inner.name!r} "
                          f"({type(inner).__name__}) as one of its layers, and a model file holds Sequential and "
                          "functional models only, not a model class's own code; save its weights with "
                          "model.save_weights(path) and load them into the same model made again.")
    _refuse_lambda(model)
    tensors = _model_tensors(model)
    doc: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": "model",
        "fnlearn_version": _version(),
        "dtype": _model_dtype(model),
        "model": _architecture(model),
        "compile": _compile_config(model),
        "optimizer_state": None,
    }
    own = _own_functions_with_builtin_names(model)
    if own:
        doc["own_functions"] = own
    doc.update(_training_doc(model))
    if include_optimizer and doc["compile"] is not None:
        doc["optimizer_state"] = _optimizer_doc(model, tensors)
    write_atomic(path, _encode(doc, tensors, path))


def export_keras(model: Any, path: str | os.PathLike) -> None:
    """Write ``model`` (a Sequential or functional model) as a real Keras 3 ``.keras`` file, which
    ``keras.models.load_model(path)`` in Keras reads; :func:`save_model` keeps writing fnlearn's own format.
    See :func:`fnlearn.keras.keras_export.export_keras` for what is written and what is refused.

    >>> import fnlearn as fl, tempfile, os
    >>> from fnlearn import keras
    >>> m = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
    >>> fl.io.export_keras(m, os.path.join(tempfile.mkdtemp(), "line.keras"))
    """
    from .keras.keras_export import export_keras as export

    export(model, path)


def _training_doc(model: Any) -> dict[str, Any]:
    """The file's training state: the epochs trained, and the shuffle seed once drawn, so that a resumed fit keeps
    the validation split and the shuffled orders (with or without the optimizer's state)."""
    return {"training": {"shuffle_seed": getattr(model, "shuffle_seed", None),
                         "epochs_trained": getattr(model, "epochs_trained", 0)}}


def _optimizer_doc(model: Any, tensors: dict[str, np.ndarray]) -> dict[str, Any] | None:
    """The optimizer's step count, slot names and the dropout streams' positions, its slots added to
    ``tensors``; None when no optimizer holds the model's parameters yet."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(optimizer, "params", None):
        return None
    slots, slot_tensors = _optimizer_tensors(model, optimizer)
    tensors.update(slot_tensors)
    return {"iterations": int(optimizer.state_dict()["iterations"]), "slots": slots,
            "dropout_draws": [layer.draws for layer in _dropouts(model)]}


def _subclassed(model: Any) -> bool:
    """Whether ``model`` is a subclass of ``keras.Model`` of one's own, with a ``call`` of its own."""
    from .keras.models import Model

    return Model in type(model).__mro__


def _architecture(model: Any) -> dict[str, Any]:
    """What the file records to make the model again: its config; for a subclass of ``keras.Model`` of one's own,
    as Keras records one, its class's name (found again among the registered classes or ``custom_objects``, never
    imported), its ``get_config()`` and the sample shape it was built for."""
    if not _subclassed(model):
        return model.get_config()
    config = model.get_config()
    _check_remakeable(type(model), config)
    return {"subclassed": True, "class_name": type(model).__name__, "config": config,
            "build_input_shape": list(model._sample_input_shape)}


def _check_remakeable(cls: type, config: Any) -> None:
    """Refuse, before anything is written, a model class that ``from_config`` could not make again from its
    ``get_config()``: an ``__init__`` argument without a default that the config lacks (Keras refuses it too)."""
    import inspect

    from .keras.models import Model

    if getattr(cls.from_config, "__func__", None) is not getattr(Model.from_config, "__func__", None):
        return  # a from_config of its own decides
    if not isinstance(config, dict):
        raise ConfigError(f"model class {cls.__name__}'s get_config() gave a {type(config).__name__}; it must give "
                          "a dict of its __init__ arguments, e.g. {**super().get_config(), 'units': self.units}.")
    needed = [p.name for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
              if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    missing = [name for name in needed if name not in config]
    if missing:
        raise ConfigError(f"model class {cls.__name__}'s get_config() gives {sorted(config)} but its __init__ needs "
                          f"{', '.join(missing)}, so load_model could not make it again; give {cls.__name__} a "
                          f"get_config() returning its __init__ arguments, e.g. {{**super().get_config(), "
                          f"{missing[0]!r}: self.{missing[0]}}}, as Keras needs too (nothing was written).")


def _subclassed_model(file: _ModelFile, config: dict[str, Any], custom: dict[str, Any]) -> Any:
    """A subclass of ``keras.Model`` of one's own made again: its class from ``custom`` by name, the model from its
    ``get_config()`` by ``from_config``, built for the saved sample shape (its weights are loaded after)."""
    from .model import Trainer
    from .nn.layers import _shape_tuple

    name, settings, shape = config.get("class_name"), config.get("config"), config.get("build_input_shape")
    if not isinstance(name, str) or not isinstance(settings, dict) or not isinstance(shape, list):
        raise file.error("has a malformed entry for its model class; it is damaged.")
    cls = custom.get(name)
    if not (isinstance(cls, type) and issubclass(cls, Trainer)):
        raise file.error(f"holds a model of class {name!r}, a subclass of keras.Model of your own; pass "
                         f"custom_objects={{{name!r}: {name}}} or register the class with "
                         "keras.saving.register_keras_serializable().")
    try:
        shape = _shape_tuple(shape, "build_input_shape")
    except FnlearnError:
        raise file.error(f"has an invalid input shape {shape!r}; it is damaged.") from None
    with _building(file.doc["dtype"]):
        try:
            model = cls.from_config(dict(settings))
            model.build(shape)
        except FnlearnError as exc:
            raise file.error(f"cannot make its model of class {name!r} again: {_clause(exc)}.") from None
    return model


def _all_layers(model: Any) -> Iterator[Any]:
    """The model's layers, and the layers of each model used as one of them, depth first."""
    from .model import Trainer

    for layer in getattr(model, "layers", ()):
        yield layer
        if isinstance(layer, Trainer):
            yield from _all_layers(layer)


def _refuse_lambda(model: Any) -> None:
    """Refuse, before anything is written, a model holding a Lambda layer: its function is Python code, which a
    model file never holds (Keras writes its bytecode, and refuses to run it back by default)."""
    from .nn.layers import Lambda

    modules = model.modules() if callable(getattr(model, "modules", None)) else ()
    found = next((m for m in modules if isinstance(m, Lambda)), None)
    if found is not None:
        raise ConfigError(f"model {getattr(model, 'name', '?')!r} holds the Lambda layer {found.name!r}, whose "
                          "function is Python code, and a model file never holds code; save the weights with "
                          "model.save_weights(path) and make the model again in code, or write the function as a "
                          "Layer subclass registered with keras.saving.register_keras_serializable.")


def _own_functions_with_builtin_names(model: Any) -> list[str]:
    """Names of the user's own activations, loss and metrics that are also names of fnlearn's built-ins.

    Files record functions by name; without this list a loaded model would quietly use the built-in of
    that name, so :func:`load_model` asks for ``custom_objects`` for each of them."""
    from . import functional as F
    from . import losses
    from . import metrics as metrics_module

    names = set()
    for layer in _all_layers(model):
        name = getattr(layer, "activation_name", None)
        if "activation" not in getattr(layer, "get_config", dict)():
            continue  # a layer such as ReLU(max_value=6) makes its function from its own settings
        if isinstance(name, str) and name in F.ACTIVATIONS and getattr(layer, "activation", None) is not \
                F.ACTIVATIONS[name]:
            names.add(name)
    loss = getattr(model, "loss", None)
    name = getattr(loss, "__name__", None)
    if isinstance(name, str) and losses.LOSSES.get(name.lower(), loss) is not loss:
        names.add(name)
    for metric in getattr(model, "_metrics", ()):  # a stateful metric is recorded by its class, not its name
        if metric.host and not metric.stateful and metric.name.lower() in metrics_module.METRIC_NAMES:
            names.add(metric.name)
    return sorted(names)


def save_weights(model: Any, path: str | os.PathLike) -> None:
    """Write only the weights (a state dict) of ``model`` to ``path``, atomically.

    Load them into a model of the same architecture with :func:`load_weights`.

    >>> import fnlearn as fl, tempfile, os
    >>> m = fl.Sequential([fl.layers.Dense(1, input_dim=2)])
    >>> p = os.path.join(tempfile.mkdtemp(), "w.fnl"); fl.io.save_weights(m, p); fl.io.load_weights(m, p)
    """
    tensors = _model_tensors(model)
    doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": "weights",
           "fnlearn_version": _version(), "dtype": _model_dtype(model)}
    write_atomic(path, _encode(doc, tensors, path))


def save_training_state(model: Any, path: str | os.PathLike) -> None:
    """Write what a fit needs to go on exactly where it is, atomically: the weights, the optimizer's step count
    and slots, the dropout streams' positions, the shuffle seed and the epochs trained. It is the backup of
    ``keras.callbacks.BackupAndRestore``; unlike :func:`save_model` it holds no architecture, so any model (a
    ``Lambda`` layer's, a subclass's) can be backed up. :func:`load_training_state` reads it back.

    >>> import fnlearn as fl, numpy as np, tempfile, os
    >>> m = fl.Sequential([fl.layers.Dense(1, input_dim=2)]); m.compile("adam", "mse")
    >>> _ = m.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0)
    >>> p = os.path.join(tempfile.mkdtemp(), "state.fnl"); fl.io.save_training_state(m, p)
    >>> fl.io.load_training_state(m, p)
    2
    """
    tensors = _model_tensors(model)
    doc: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": "weights",
                           "fnlearn_version": _version(), "dtype": _model_dtype(model), **_training_doc(model)}
    doc["optimizer_state"] = _optimizer_doc(model, tensors)
    # a model file keeps each stream's seed in the layer's config; this file has none, and a stream that drew its
    # seed lazily (from fl.set_seed's generator) would draw another one in the program run again
    doc["stream_seeds"] = [getattr(layer, "seed", None) for layer in _dropouts(model)]
    write_atomic(path, _encode(doc, tensors, path))


def load_training_state(model: Any, path: str | os.PathLike | _ModelFile) -> int:
    """Put back into ``model`` (built and compiled, its optimizer holding its parameters, as in ``fit``) what
    :func:`save_training_state` wrote, and return the number of epochs trained when it was written. Everything is
    checked before anything changes: a file that does not fit leaves the model as it was. ``path`` may be the file
    already read (``_read(path)``).

    Raises:
        ModelFileError: the file is missing or damaged.
        ShapeError: its weights or optimizer slots belong to a different model.
    """
    file = path if isinstance(path, _ModelFile) else _read(path)
    params, slot_tensors = _split_tensors(file)
    shuffle_seed, epochs_trained = _training_state(file)
    state = file.doc.get("optimizer_state")
    streams = _dropouts(model)
    seeds = file.doc.get("stream_seeds", [layer.seed for layer in streams])
    if not isinstance(seeds, list) or len(seeds) != len(streams) or \
            not all(seed is None or (_is_int(seed) and seed >= 0) for seed in seeds):
        raise file.error("has seeds of random layers that do not match this model's; load a backup of the same model.")
    kept = model.state_dict()
    _load_weights_into(file, model, params)
    try:
        if state is not None:
            _restore_optimizer(file, model, state, slot_tensors)
    except FnlearnError:
        model.load_state_dict(kept)  # the optimizer's part did not fit: the weights go back as they were
        raise
    if shuffle_seed is not None:
        model.shuffle_seed = shuffle_seed
    for layer, seed in zip(streams, seeds):
        layer.seed = seed
    model.epochs_trained = epochs_trained
    return epochs_trained


def _version() -> str:
    from . import __version__

    return __version__


def _model_tensors(model: Any) -> dict[str, np.ndarray]:
    if not hasattr(model, "named_parameters") or not hasattr(model, "get_config"):
        raise ConfigError(f"save_model expects an fl.Sequential model, got {type(model).__name__}.")
    if not getattr(model, "built", True):
        raise NotReadyError("the model has no weights yet, so there is nothing to save; give the first layer "
                            "input_shape=(n_features,), call model.build((n_features,)), or fit it first.")
    return {f"param/{name}": _host(p.data) for name, p in model.named_parameters()}


def _host(array: Any) -> np.ndarray:
    arr = np.asarray(backend.to_numpy(array))
    if arr.dtype.name not in _FLOAT_NAMES:
        arr = arr.astype(backend.float_dtype())
    return np.asarray(arr, dtype=arr.dtype.newbyteorder("<"), order="C")  # keeps 0-d arrays 0-d


def _model_dtype(model: Any) -> str:
    dtypes = {p.data.dtype.name for p in model.parameters()}
    if len(dtypes) == 1:
        return dtypes.pop()
    return backend.get_default_dtype()


def _compile_config(model: Any) -> dict[str, Any] | None:
    if not getattr(model, "compiled", False) or not callable(getattr(model, "compile_config", None)):
        return None
    config = model.compile_config()
    optimizer = getattr(model, "optimizer", None)
    opt_config = config.get("optimizer") if isinstance(config, dict) else None
    if isinstance(opt_config, dict) and opt_config.get("learning_rate") is None and optimizer is not None:
        # A plain function as learning rate cannot be written down; keep the rate it gives now.
        rate = optimizer.current_learning_rate()
        warnings.warn(f"the optimizer's learning rate is a function that cannot be saved; the file stores "
                      f"its current value {rate:g}. Use a schedule from fl.optim.schedules to save it whole.",
                      stacklevel=3)
        config = {**config, "optimizer": {**opt_config, "learning_rate": rate}}
    return config


def _optimizer_tensors(model: Any, optimizer: Any) -> tuple[list[list[str]], dict[str, np.ndarray]]:
    """Slots per model parameter (in the model's order), and the tensors that hold them."""
    position = {id(p): i for i, p in enumerate(optimizer.params)}
    per_param = optimizer.state_dict()["state"]
    slots: list[list[str]] = []
    tensors: dict[str, np.ndarray] = {}
    for index, param in enumerate(model.parameters()):
        state = per_param[position[id(param)]] if id(param) in position else {}
        names = []
        for slot, value in state.items():
            if not isinstance(slot, str) or not slot or "/" in slot or not hasattr(value, "shape"):
                raise ConfigError(f"optimizer slot {slot!r} cannot be saved: slots must be arrays named by "
                                  "plain words; save with include_optimizer=False.")
            tensors[f"optimizer/{index}/{slot}"] = _host(value)
            names.append(slot)
        slots.append(names)
    return slots, tensors


def _encode(doc: dict[str, Any], tensors: dict[str, np.ndarray], path: Any) -> bytes:
    st = require("safetensors.numpy", "saving models", "io")
    try:
        doc_json = json.dumps(doc, allow_nan=False, separators=(",", ":"), sort_keys=True, default=_config_form)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"the model's settings cannot be written to {os.fspath(path)!r} "
                          f"({_clause(exc)}); custom layers, losses or metrics must be given by name to be "
                          "saved.") from None
    digest = _digest(doc_json, tensors)
    return st.save(tensors, metadata={METADATA_KEY: doc_json, DIGEST_KEY: digest})


def _config_form(value: Any) -> Any:
    """A setting a layer's config holds as an object, in the form a config is written in (what JSON cannot
    write otherwise): a regularizer or constraint as Keras's ``serialize`` writes it, an initializer's config,
    which ``initializers.get`` takes back (Keras serializes them the same way), a NumPy number or array as
    numbers."""
    from .nn import constraints, initializers, regularizers

    if isinstance(value, regularizers.Regularizer):
        return regularizers.serialize(value)
    if isinstance(value, constraints.Constraint):
        return constraints.serialize(value)
    if hasattr(value, "get_config") and type(value).__module__ == initializers.__name__:
        return initializers.name_of(value)
    if isinstance(value, (np.generic, np.ndarray)) and value.dtype.kind in "biuf":
        return value.tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _digest(doc_json: str, tensors: Mapping[str, np.ndarray]) -> str:
    h = hashlib.sha256(doc_json.encode("utf-8"))
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        h.update(f"\0{name}\0{arr.dtype.str}\0{list(arr.shape)}\0".encode())
        h.update(memoryview(arr).cast("B"))
    return h.hexdigest()


# --------------------------------------------------------------------------- reading and checking


class _ModelFile:
    """A checked file: its JSON document and its tensors."""

    def __init__(self, path: str, doc: dict[str, Any], tensors: dict[str, np.ndarray]) -> None:
        self.path, self.doc, self.tensors = path, doc, tensors

    def error(self, what: str) -> ModelFileError:
        return ModelFileError(f"model file {self.path!r} {what}")


def _read(path: str | os.PathLike) -> _ModelFile:
    """Open, check and decode a model file; every problem becomes one ModelFileError sentence."""
    path = os.fspath(path)

    def bad(what: str) -> ModelFileError:
        return ModelFileError(f"model file {path!r} {what}")

    if not os.path.exists(path):
        raise bad("does not exist; check the path and the current folder.")
    if os.path.isdir(path):
        raise bad("is a folder, not a file; pass the path of the .fnl file itself.")
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                raise bad("is empty (0 bytes); the save that made it did not finish — save the model again.")
            head = f.read(min(size, 16))
            foreign = _foreign_kind(head)
            if foreign:
                keras_hint = " (for a Keras model's weights, build the same model with fnlearn.keras and " \
                    "pass it keras_model.get_weights() with set_weights)" if "Keras" in foreign else ""
                raise bad(f"is not an fnlearn model file: it is {foreign}; fnlearn loads only files written "
                          f"by model.save() or save_weights(){keras_hint}.")
            if size < 8:
                raise bad(f"is only {size} bytes long, too short to be a model file; it is truncated or "
                          "not a model file.")
            header_len = int.from_bytes(head[:8], "little")
            if header_len > size - 8:
                raise bad(f"is truncated or not a model file: its header claims {header_len} bytes but the "
                          f"file has only {size - 8} bytes after the length field.")
            if header_len > MAX_HEADER_BYTES:
                raise bad(f"claims a {header_len}-byte header, more than the {MAX_HEADER_BYTES}-byte "
                          "limit; it is not a model file fnlearn wrote.")
            if header_len < 2:
                raise bad("has an empty header; it is not a model file fnlearn wrote.")
            f.seek(8)
            header_bytes = f.read(header_len)
            header = _parse_json(header_bytes, bad, "header")
            entries, metadata = _check_header(header, size - 8 - header_len, bad)
            doc = _check_doc(metadata, bad)
            f.seek(0)
            raw = f.read()
    except OSError as exc:
        raise bad(f"cannot be read ({exc.strerror or exc}); check its permissions.") from None
    if len(raw) != size:
        raise bad("changed while it was being read; try again.")
    tensors = _decode_tensors(raw, entries, bad)
    expected = metadata.get(DIGEST_KEY)
    if not isinstance(expected, str) or _digest(metadata[METADATA_KEY], tensors) != expected:
        raise bad("is corrupted: its checksum does not match its contents (a damaged copy or disk); "
                  "use another copy of the file.")
    return _ModelFile(path, doc, tensors)


def _foreign_kind(head: bytes) -> str | None:
    """What a file that does not start like safetensors is, to name it in the error (None: looks fine)."""
    if head[8:9] == b"{":
        return None  # the 8-byte length may happen to start like a pickle; trust the JSON that follows
    for magic, kind in _FOREIGN_MAGIC:
        if head.startswith(magic):
            return kind
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "a Python pickle (fnlearn never loads pickles: they can run code)"
    if len(head) > 8:
        return "in some other format (it does not start like a safetensors file)"
    return None


def _parse_json(raw: bytes, bad: Any, what: str) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) != len(pairs):
            raise ValueError("duplicate key")
        return out

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not allowed")

    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError, TypeError):
        raise bad(f"is corrupted: its {what} is not valid JSON; it is damaged or not a model file.") from None


def _clause(exc: BaseException) -> str:
    """An error's sentence without its final period, to nest inside another sentence."""
    return str(exc).rstrip().rstrip(".")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_header(header: Any, data_size: int, bad: Any) -> tuple[dict[str, tuple], dict[str, str]]:
    """Check every tensor entry against the data size before anything is allocated."""
    if not isinstance(header, dict):
        raise bad("is corrupted: its header is not a JSON object; it is damaged or not a model file.")
    metadata = header.get("__metadata__")
    if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in metadata.items()):
        raise bad("has no valid metadata; it is a safetensors file but not one written by fnlearn's "
                  "model.save().")
    entries: dict[str, tuple] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise bad(f"is corrupted: the entry of tensor {name!r} is malformed.")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in _DTYPES:
            raise bad(f"has tensor {name!r} of dtype {dtype!r}; fnlearn model files hold only "
                      f"{' and '.join(_DTYPES)} tensors.")
        if not isinstance(shape, list) or len(shape) > MAX_RANK \
                or not all(_is_int(s) and s >= 0 for s in shape):
            raise bad(f"is corrupted: tensor {name!r} has an invalid shape {shape!r}.")
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_int(o) for o in offsets) \
                or not 0 <= offsets[0] <= offsets[1]:
            raise bad(f"is corrupted: tensor {name!r} has invalid byte offsets {offsets!r}.")
        nbytes = math.prod(shape) * _DTYPES[dtype].itemsize
        if offsets[1] > data_size:
            raise bad(f"is truncated or corrupted: tensor {name!r} claims bytes up to {offsets[1]}, but the "
                      f"file holds only {data_size} bytes of tensor data.")
        if offsets[1] - offsets[0] != nbytes:
            raise bad(f"is corrupted: tensor {name!r} of shape {tuple(shape)} needs {nbytes} bytes but its "
                      f"byte range holds {offsets[1] - offsets[0]}.")
        entries[name] = (dtype, tuple(shape), offsets[0], offsets[1])
    position = 0
    for name, (_, _, begin, end) in sorted(entries.items(), key=lambda item: item[1][2:]):
        if begin != position:
            raise bad(f"is corrupted: tensor {name!r} starts at byte {begin} where byte {position} was "
                      "expected (overlapping or missing data).")
        position = end
    if position != data_size:
        raise bad(f"is corrupted: its tensors cover {position} bytes but the file holds {data_size} bytes "
                  "of data.")
    return entries, metadata


def _check_doc(metadata: dict[str, str], bad: Any) -> dict[str, Any]:
    if METADATA_KEY not in metadata:
        raise bad("has no fnlearn settings in its metadata; it is a safetensors file but not one written by "
                  "fnlearn's model.save().")
    doc = _parse_json(metadata[METADATA_KEY].encode("utf-8"), bad, "settings block")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        given = doc.get("format") if isinstance(doc, dict) else None
        raise bad(f"has format {given!r} where {FORMAT!r} was expected; it was not written by fnlearn.")
    version = doc.get("format_version")
    if not _is_int(version) or version < 1:
        raise bad(f"has an invalid format version {version!r}; it is damaged.")
    if version > FORMAT_VERSION:
        raise bad(f"uses format version {version}, newer than the {FORMAT_VERSION} this fnlearn "
                  f"({_version()}) reads; upgrade fnlearn (pip install -U fnlearn) to load it.")
    if doc.get("kind", "model") not in ("model", "weights"):
        raise bad(f"has an unknown kind {doc.get('kind')!r}; it is damaged or from another program.")
    if doc.get("dtype") not in _FLOAT_NAMES:
        raise bad(f"has an invalid dtype setting {doc.get('dtype')!r}; expected 'float32' or 'float64'.")
    return doc


def _decode_tensors(raw: bytes, entries: dict[str, tuple], bad: Any) -> dict[str, np.ndarray]:
    st = require("safetensors.numpy", "loading models", "io")
    try:
        tensors = st.load(raw)
    except Exception:  # noqa: BLE001  (any parser failure is a damaged file, said in one sentence)
        raise bad("is corrupted: its tensor data cannot be decoded; it is damaged or not a model "
                  "file.") from None
    if set(tensors) != set(entries):
        raise bad("is corrupted: its tensor list does not match its header.")
    for name, arr in tensors.items():
        dtype, shape = entries[name][:2]
        if arr.dtype != _DTYPES[dtype] or tuple(arr.shape) != shape:
            raise bad(f"is corrupted: tensor {name!r} decoded with an unexpected dtype or shape.")
    return tensors


# --------------------------------------------------------------------------- loading


_LAYER_NAMES = ("Dense", "Activation", "Flatten", "Dropout", "Softmax", "ReLU", "LeakyReLU", "Normalization",
                "BatchNormalization", "InputLayer", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
                "Concatenate", "Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
                "GlobalMaxPooling2D", "Reshape", "Rescaling", "ZeroPadding2D", "Cropping2D", "UpSampling2D", "Resizing",
                "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast",
                "LayerNormalization", "SpatialDropout1D", "SpatialDropout2D", "Conv2DTranspose", "Embedding",
                "GlobalAveragePooling1D",
                "GlobalMaxPooling1D", "Conv1D", "MaxPooling1D", "AveragePooling1D", "SimpleRNN", "LSTM", "GRU",
                "Bidirectional", "Masking", "TextVectorization", "MultiHeadAttention", "TimeDistributed",
                "RepeatVector", "StringLookup", "IntegerLookup", "CategoryEncoding", "Discretization",
                "DepthwiseConv2D", "SeparableConv2D", "RNN", "SimpleRNNCell", "LSTMCell", "GRUCell",
                "StackedRNNCells", "Permute", "Identity", "GaussianNoise", "GaussianDropout", "UpSampling1D",
                "ZeroPadding1D", "Cropping1D", "ELU", "PReLU", "UnitNormalization", "Dot", "Attention",
                "AdditiveAttention", "GroupNormalization", "RMSNormalization", "AlphaDropout",
                "ActivityRegularization", "Conv1DTranspose", "DepthwiseConv1D", "SeparableConv1D", "CenterCrop",
                "RandomCrop", "RandomBrightness", "Conv3D", "MaxPooling3D", "AveragePooling3D",
                "GlobalAveragePooling3D", "GlobalMaxPooling3D", "ZeroPadding3D", "Cropping3D", "UpSampling3D",
                "SpatialDropout3D", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
                "Conv3DTranspose",
                "AdaptiveAveragePooling1D", "AdaptiveMaxPooling1D", "AdaptiveAveragePooling2D",
                "AdaptiveMaxPooling2D", "AdaptiveAveragePooling3D", "AdaptiveMaxPooling3D",
                "EinsumDense", "GroupedQueryAttention", "GroupQueryAttention", "Pipeline",
                "ReversibleEmbedding",
                "SpectralNormalization", "RandomInvert", "Solarization", "RandomPosterization", "RandomSharpness",
                "RandomColorDegeneration", "RandomGrayscale", "AutoContrast", "MixUp", "CutMix",
                "RandomSaturation", "RandomHue", "RandomColorJitter", "RandomGaussianBlur", "RandomErasing",
                "RandomShear", "RandomPerspective", "Equalization", "RandAugment", "AugMix", "STFTSpectrogram",
                "MelSpectrogram", "RandomElasticTransform",
                "ContrastLimitedAdaptiveHistogramEqualization",
                "LayerScale", "StochasticDepth", "CustomScaleLayer")  # not Lambda


def _layer_class(name: str) -> type | None:
    """The only classes a file may name (a fixed list); nothing else is ever looked up or imported."""
    if name == "InputLayer":
        from .keras.layers import InputLayer

        return InputLayer
    from .nn.layers import LAYERS

    return LAYERS.get(name) if name in _LAYER_NAMES else None


def load_model(path: str | os.PathLike, compile: bool = True,  # noqa: A002  (Keras's argument name)
               custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Rebuild a model written by ``model.save`` / :func:`save_model`: layers, weights and, with
    ``compile=True``, its optimizer (with its saved state), loss and metrics.

    Args:
        path: the model file.
        compile: recompile the model with the saved settings, so ``fit`` resumes training.
        custom_objects: functions the model used that are not built in (an activation, loss or metric
            passed as a Python function), by the name the file records.

    Raises:
        ModelFileError: the file is missing, empty, truncated, corrupted, foreign or from a newer fnlearn.

    Loading does not draw from fnlearn's random generator, so a seeded run resumed from a file continues
    with the same random numbers as an uninterrupted one.

    >>> import fnlearn as fl, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "m.fnl")
    >>> fl.Sequential([fl.layers.Dense(4, input_dim=2), fl.layers.Dense(1)]).save(p)
    >>> fl.load_model(p).num_parameters()
    17
    """
    return _load_model(path, compile=compile, custom_objects=custom_objects)


def _load_model(path: str | os.PathLike, compile: bool = True,  # noqa: A002
                custom_objects: Mapping[str, Any] | None = None, model_class: type | None = None) -> Any:
    if _starts_with(path, b"PK\x03\x04"):  # a zip: perhaps a .keras file of real Keras 3 (fnlearn's are not zips)
        from .keras import keras_files  # only then: fnlearn's own files load without the Keras front end

        if keras_files.is_keras_archive(path):
            return keras_files.load_keras_file(path, custom_objects, compile, model_class)
    if _starts_with(path, b"\x89HDF"):  # HDF5 is Keras's (model.save("m.h5") of Keras 2 or 3); fnlearn's never are
        from .keras import keras_h5

        return keras_h5.load_h5_model(path, custom_objects, compile, model_class)
    file = _read(path)
    if file.doc.get("kind", "model") != "model":
        raise file.error("holds only weights (written by save_weights); build the model in code and call "
                         "model.load_weights(path) instead.")
    custom = {**_registered(), **(custom_objects or {})}
    own = file.doc.get("own_functions", [])
    if not isinstance(own, list) or not all(isinstance(n, str) for n in own):
        raise file.error("has a malformed list of its own functions; it is damaged.")
    missing = [n for n in own if n not in custom]
    if missing:
        names = ", ".join(repr(n) for n in missing)
        raise file.error(f"was saved with function(s) of your own named {names}, like fnlearn's built-ins; pass "
                         f"them as custom_objects={{{missing[0]!r}: your_function, ...}} so the loaded model "
                         "computes what the saved one did.")
    params, slot_tensors = _split_tensors(file)
    shuffle_seed, epochs_trained = _training_state(file)
    model = _build(file, custom, params, model_class)
    try:
        model.load_state_dict(_with_counts(_numbered_past_input(file, params), model))
    except FnlearnError as exc:
        raise file.error(f"does not match its own architecture ({_clause(exc)}); it is damaged.") from None
    model.shuffle_seed, model.epochs_trained = shuffle_seed, epochs_trained
    if compile and file.doc.get("compile") is not None:
        _recompile(file, model, custom, slot_tensors)
    return model


def _registered() -> dict[str, Any]:
    """Classes and functions registered with ``keras.saving.register_keras_serializable`` (when that module has
    been imported: only a program that registered something needs it)."""
    import sys

    saving = sys.modules.get("fnlearn.keras.saving")
    return dict(saving.get_custom_objects()) if saving is not None else {}


def _training_state(file: _ModelFile) -> tuple[int | None, int]:
    """(shuffle seed, epochs trained): a resumed fit shuffles its epochs and splits off its validation rows
    as the original run did. Files from before fnlearn kept these beside the weights have the seed in their
    optimizer state, or none."""
    state = file.doc.get("training")
    if state is None:
        old = file.doc.get("optimizer_state")
        state = {"shuffle_seed": old.get("shuffle_seed")} if isinstance(old, dict) else {}
    if not isinstance(state, dict):
        raise file.error("has a malformed training state; it is damaged.")
    seed, epochs = state.get("shuffle_seed"), state.get("epochs_trained", 0)
    if (seed is not None and (not _is_int(seed) or seed < 0)) or not _is_int(epochs) or epochs < 0:
        raise file.error("has a malformed training state (shuffle seed or epoch count); it is damaged.")
    return seed, epochs


def _functional(file: _ModelFile) -> bool:
    """Whether the file holds a model of Keras's functional API, whose InputLayer is a layer of its own."""
    return file.doc["model"].get("functional") is True


def _numbered_past_input(file: _ModelFile, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The weights numbered by the model's layers. A file written before a leading ``Input`` stopped being
    a layer of its own counts the Input as layer 0; the model built from it has no such layer."""
    layers = file.doc["model"].get("layers")
    first = layers[0] if isinstance(layers, list) and layers else None
    if not isinstance(first, dict) or first.get("class_name") != "InputLayer" or _functional(file):
        return params
    shifted = {}
    for key, array in params.items():
        index, dot, rest = key.partition(".")
        shifted[f"{int(index) - 1}{dot}{rest}" if index.isdigit() and int(index) > 0 else key] = array
    return shifted


def load_weights(model: Any, path: str | os.PathLike) -> None:
    """Copy the weights stored in ``path`` (by :func:`save_weights` or :func:`save_model`) into ``model``.

    Every name and shape is checked before any weight changes; an unbuilt model is built from the file.

    Raises:
        ModelFileError: the file is missing or damaged.
        ShapeError: the file's weights belong to a different architecture.
    """
    if _starts_with(path, b"\x89HDF"):  # a weights file written by real Keras 3 (keras_model.save_weights(...))
        from .keras.keras_files import load_keras_weights

        return load_keras_weights(model, path)
    file = _read(path)
    params, _ = _split_tensors(file)
    if isinstance(file.doc.get("model"), dict):  # a whole-model file, perhaps from before a leading Input was folded
        params = _numbered_past_input(file, params)
    if not getattr(model, "built", True):
        # Built and filled on a copy first, so that a file that does not fit leaves the model unbuilt; and
        # without drawing initial weights from the seeded stream, which the file's weights replace anyway.
        try:
            trial = copy.deepcopy(model)
        except Exception:  # noqa: BLE001  (a module holding a lock or a file cannot be copied: build it directly)
            trial = None
        with _building(backend.get_default_dtype()):
            if trial is not None:
                _build_from_weights(file, trial, params)
                _load_weights_into(file, trial, params)
            _build_from_weights(file, model, params)
    _load_weights_into(file, model, params)


def _starts_with(path: str | os.PathLike, magic: bytes) -> bool:
    """Whether the file at ``path`` begins with ``magic`` (False where it cannot be read: the reader says why)."""
    try:
        with open(path, "rb") as f:
            return f.read(len(magic)) == magic
    except OSError:
        return False


def _in_layer_order(params: dict[str, np.ndarray], model: Any) -> dict[str, np.ndarray]:
    """``params`` renumbered to ``model``'s layers when both hold the same weights layer after layer but number
    the layers differently, as Keras matches weights by layer order: a Sequential's layer 0 is layer 1 of the same
    chain built as a functional model, whose layer 0 is its Input. Anything else is returned as it is."""
    own = [name for name, _ in model.named_parameters()] if hasattr(model, "named_parameters") else []
    if not own or set(own) == set(params):
        return params

    def by_layer(names: Any) -> dict[int, list[str]] | None:
        layers: dict[int, list[str]] = {}
        for name in names:
            index, dot, rest = name.partition(".")
            if not (index.isdigit() and dot):
                return None
            layers.setdefault(int(index), []).append(rest)
        return {index: sorted(layers[index]) for index in sorted(layers)}

    theirs, ours = by_layer(params), by_layer(own)
    if theirs is None or ours is None or list(theirs.values()) != list(ours.values()):
        return params
    renumber = dict(zip(theirs, ours))
    return {f"{renumber[int(name.partition('.')[0])]}.{name.partition('.')[2]}": array
            for name, array in params.items()}


def _load_weights_into(file: _ModelFile, model: Any, params: dict[str, np.ndarray]) -> None:
    params = _with_counts(_in_layer_order(params, model), model)
    layers = getattr(model, "layers", [])
    unbuilt = [getattr(layer, "name", "?") for layer in layers if not getattr(layer, "built", True)]
    if unbuilt:
        raise ShapeError(f"the weights in {file.path!r} do not fit this model: they hold none for layer(s) "
                         f"{', '.join(map(repr, unbuilt))}; load weights saved from the same architecture.")
    try:
        model.load_state_dict(params)
    except ShapeError as exc:
        raise ShapeError(f"the weights in {file.path!r} do not fit this model: {exc}") from None


def _with_counts(params: dict[str, np.ndarray], model: Any) -> dict[str, np.ndarray]:
    """``params`` with a 0 for each Normalization layer's ``count`` (Keras's, always 0) that a file written
    before fnlearn kept one lacks: the layer's statistics are there, its count is not."""
    if not hasattr(model, "named_parameters"):
        return params
    missing = {}
    for name, _ in model.named_parameters():
        prefix = name[:-len("count")]
        if name.rpartition(".")[2] == "count" and name not in params and f"{prefix}mean" in params:
            missing[name] = np.zeros((), dtype=params[f"{prefix}mean"].dtype)
    return {**params, **missing} if missing else params


def _split_tensors(file: _ModelFile) -> tuple[dict[str, np.ndarray], dict[tuple[int, str], np.ndarray]]:
    params: dict[str, np.ndarray] = {}
    slots: dict[tuple[int, str], np.ndarray] = {}
    for name, arr in file.tensors.items():
        kind, _, rest = name.partition("/")
        if kind == "param" and rest:
            params[rest] = arr
            continue
        index, _, slot = rest.partition("/")
        if kind == "optimizer" and index.isdigit() and slot:
            slots[(int(index), slot)] = arr
            continue
        raise file.error(f"has an unexpected tensor {name!r}; it is damaged or not written by fnlearn.")
    return params, slots


@contextlib.contextmanager
def _building(dtype: str) -> Iterator[None]:
    """Create layers in the saved dtype without advancing the random stream (weights are loaded anyway)."""
    generator = backend.rng()
    state = generator.bit_generator.state
    try:
        with backend.using_dtype(dtype):
            yield
    finally:
        generator.bit_generator.state = state


def _build(file: _ModelFile, custom: dict[str, Any], params: dict[str, np.ndarray],
           model_class: type | None) -> Any:
    return _build_model(file, file.doc.get("model"), custom, params, model_class, "")


# Model classes a file may name for a model used as a layer of another (the tutorials' data_augmentation, a
# base model); each is rebuilt as the outer model is, from its own entry and the weights under its index.
_MODEL_NAMES = ("Sequential", "Functional", "FunctionalGraph")
_MAX_NESTING = 16  # a crafted file cannot recurse without end


def _build_model(file: _ModelFile, config: Any, custom: dict[str, Any], params: dict[str, np.ndarray],
                 model_class: type | None, where: str) -> Any:
    """The model ``config`` describes, its layers checked against ``params`` (its own weights, numbered by its
    layers); ``where`` names a model inside another ("layer 1's ") in messages."""
    from .nn.layers import _shape_tuple

    if isinstance(config, dict) and config.get("subclassed") is True and not where:
        return _subclassed_model(file, config, custom)
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list) or not config["layers"]:
        raise file.error(f"has no valid architecture ({where or 'model.'}layers is missing or empty); it is damaged.")
    name = config.get("name", "sequential")
    if not isinstance(name, str):
        raise file.error(f"has an invalid model name {name!r}; it is damaged.")
    entries = config["layers"]
    built_for = config.get("build_input_shape")
    if built_for is not None:
        try:
            built_for = _shape_tuple(built_for, "build_input_shape")
        except FnlearnError:
            raise file.error(f"has an invalid input shape {built_for!r}; it is damaged.") from None
    functional = config.get("functional") is True
    if config.get("trainable", True) not in (True, False):
        raise file.error(f"has an invalid trainable flag for {where or 'the '}model; it is damaged.")
    with _building(file.doc["dtype"]):
        layers = [_make_layer(file, i, entry, custom, params, model_class, where) for i, entry in enumerate(entries)]
        graph = config.get("graph") if functional else None
        try:
            model = None if graph is None else _build_graph(file, layers, params, graph, name)
        except ModelFileError:
            raise
        except FnlearnError as exc:
            raise file.error(f"holds layers that do not fit together ({_clause(exc)}); it is damaged.") from None
        if graph is None:
            model = _chain(file, layers, params, built_for, name, functional, model_class)
    if config.get("trainable", True) is False:
        model.trainable = False
    return model


def _chain(file: _ModelFile, layers: list[Any], params: dict[str, np.ndarray], built_for: tuple[int, ...] | None,
           name: str, functional: bool, model_class: type | None) -> Any:
    """A Sequential (or a functional chain) of ``layers``, each checked against its weights first."""
    from .nn import Sequential

    _build_layers(file, layers, params, built_for)
    try:
        if functional:
            from .keras.models import Functional

            return Functional.from_layers(layers, name=name)
        model = (model_class or Sequential)(layers, name=name)
        if built_for is not None and model._sample_input_shape is None:
            model.build(built_for)  # the shape its first data gave it, where no layer declares one
        return model
    except FnlearnError as exc:
        raise file.error(f"holds layers that do not fit together ({_clause(exc)}); it is damaged.") from None


def _inner_model(file: _ModelFile, index: int, entry: dict[str, Any], custom: dict[str, Any],
                 params: dict[str, np.ndarray], model_class: type | None, where: str) -> Any:
    """Layer ``index``, a model of its own: built from its entry with the weights saved under its index."""
    if where.count("layer ") >= _MAX_NESTING:
        raise file.error(f"nests models more than {_MAX_NESTING} deep; it is damaged.")
    prefix = f"{index}."
    own = {key[len(prefix):]: array for key, array in params.items() if key.startswith(prefix)}
    return _build_model(file, entry["config"], custom, own, model_class, f"{where}layer {index}'s ")


def _make_layer(file: _ModelFile, index: int, entry: Any, custom: dict[str, Any],
                params: dict[str, np.ndarray] | None = None, model_class: type | None = None, where: str = "") -> Any:
    """One layer from its saved settings, not yet built (so nothing is allocated from the settings); a model
    used as a layer is built whole, from its own entries."""
    from .nn import constraints, initializers, regularizers
    from .nn.layers import BatchNormalization, Dense, Layer, _shape_tuple

    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        raise file.error(f"has a malformed entry for {where}layer {index}; it is damaged.")
    class_name = entry.get("class_name")
    if class_name in _MODEL_NAMES:
        return _inner_model(file, index, entry, custom, params or {}, model_class, where)
    cls = _layer_class(class_name) if isinstance(class_name, str) else None
    own = custom.get(class_name) if isinstance(class_name, str) else None
    if cls is None and isinstance(own, type) and issubclass(own, Layer):
        cls = own  # a layer class of the caller's own, handed over by name as Keras takes it
    if cls is None:
        raise file.error(f"names layer class {class_name!r} for {where}layer {index}, which is not one of fnlearn's "
                         f"({', '.join(sorted(_LAYER_NAMES))}); if it is a layer class of your own, pass "
                         f"custom_objects={{{class_name!r}: {class_name}}}.")
    config = dict(entry["config"])
    if not all(isinstance(k, str) for k in config):
        raise file.error(f"has a malformed configuration for layer {index}; it is damaged.")
    if isinstance(config.get("activation"), str) and config["activation"] in custom:
        config["activation"] = custom[config["activation"]]
    if class_name == "TextVectorization":
        _text_vectorization_settings(file, index, config, custom)
    if class_name in ("StringLookup", "IntegerLookup"):
        _lookup_vocabulary(file, index, config, class_name)
    if class_name in ("TimeDistributed", "Bidirectional", "SpectralNormalization"):
        # its layer, made as a model's are (a TimeDistributed's weights are under "layer.", a Bidirectional's two
        # copies load their own)
        if where.count("layer ") >= _MAX_NESTING:
            raise file.error(f"nests layers more than {_MAX_NESTING} deep; it is damaged.")
        config["layer"] = _make_layer(file, index, config.get("layer"), custom, _wrapped(params or {}, index),
                                      model_class, f"{where}layer {index}'s wrapped ")
    if class_name in ("RNN", "StackedRNNCells", "Pipeline"):  # its cells or layers, made as layers are (one's own
        # from custom_objects)
        if where.count("layer ") >= _MAX_NESTING:
            raise file.error(f"nests layers more than {_MAX_NESTING} deep; it is damaged.")
        key = {"RNN": "cell", "StackedRNNCells": "cells", "Pipeline": "layers"}[class_name]
        inner = config.get(key)
        config[key] = [_make_layer(file, index, item, custom, None, model_class, f"{where}layer {index}'s cell ")
                       for item in inner] if isinstance(inner, list) else \
            _make_layer(file, index, inner, custom, None, model_class, f"{where}layer {index}'s cell ")
    for key in [k for k in config if k.endswith("_initializer")]:  # Dense's two, BatchNormalization's four
        value = config[key]
        if isinstance(value, str) and value in custom:
            config[key] = custom[value]
        else:
            try:
                config[key] = initializers.from_config(value, custom)
            except (FnlearnError, TypeError, ValueError) as exc:
                raise file.error(f"cannot rebuild layer {index} ({class_name}): {_clause(exc)}; pass "
                                 "custom_objects={name: function} for functions of your own.") from None
    # Keras's serialized form, a name, or fnlearn's earlier form; one's own from custom_objects
    for suffix, kind in (("_regularizer", regularizers), ("_constraint", constraints)):
        for key in [k for k in config if k.endswith(suffix) and config[k] is not None]:
            try:
                config[key] = kind.deserialize(config[key], custom)
            except FnlearnError as exc:
                raise file.error(f"cannot rebuild layer {index} ({class_name}): {_clause(exc)}.") from None
    # A Dense, BatchNormalization or Conv2D given its input shape allocates at once; its shape is set after checking
    # it against the file.
    from .nn.conv import _Convolution
    from .nn.depthwise import _Depthwise
    from .nn.recurrent import Bidirectional, _Recurrent
    from .nn.text import Embedding
    from .nn.wrappers import TimeDistributed

    declared = None
    if cls in (Dense, BatchNormalization, Embedding, Bidirectional, TimeDistributed) \
            or issubclass(cls, (_Convolution, _Recurrent, _Depthwise)):
        declared = config.pop("input_shape", None)
        dim = config.pop("input_dim", None) if cls is not Embedding else None  # an Embedding's is its word count
        declared = (dim,) if declared is None and dim is not None else declared
    try:
        # a class of one's own with a from_config of its own makes its layer so (e.g. one holding a sublayer that
        # its config records with serialize_keras_object), as Keras calls it
        own_maker = getattr(cls.from_config, "__func__", None) is not Layer.from_config.__func__
        layer = cls.from_config(config) if own_maker else cls(**config)
        if declared is not None:
            layer.input_shape = _shape_tuple(declared, "input_shape")
    except (FnlearnError, TypeError, ValueError) as exc:
        raise file.error(f"cannot rebuild layer {index} ({class_name}) from its saved settings: "
                         f"{_clause(exc)}; if it uses a function of your own, pass "
                         "custom_objects={name: function}.") from None
    return layer


def _text_vectorization_settings(file: _ModelFile, index: int, config: dict[str, Any], custom: dict[str, Any]) -> None:
    """A TextVectorization's saved vocabulary must be a list of strings (a path would make loading read another
    file); its own standardize / split functions come back by name from ``custom_objects``."""
    vocabulary = config.get("vocabulary")
    if vocabulary is not None and not (isinstance(vocabulary, list) and all(isinstance(t, str) for t in vocabulary)):
        raise file.error(f"has a malformed vocabulary for layer {index} (TextVectorization): a model file holds its "
                         "tokens as a list of strings; it is damaged.")
    for key in ("standardize", "split"):
        if isinstance(config.get(key), str) and config[key] in custom:
            config[key] = custom[config[key]]


def _lookup_vocabulary(file: _ModelFile, index: int, config: dict[str, Any], class_name: str) -> None:
    """A StringLookup's or IntegerLookup's saved vocabulary must be a list of strings or of whole numbers (a path
    would make loading read another file)."""
    vocabulary = config.get("vocabulary")
    strings = class_name == "StringLookup"
    if vocabulary is not None and not (isinstance(vocabulary, list) and all(
            isinstance(t, str) if strings else isinstance(t, int) and not isinstance(t, bool) for t in vocabulary)):
        raise file.error(f"has a malformed vocabulary for layer {index} ({class_name}): a model file holds it as a "
                         f"list of {'strings' if strings else 'whole numbers'}; it is damaged.")


def _build_layers(file: _ModelFile, layers: list[Any], params: dict[str, np.ndarray],
                  shape: tuple[int, ...] | None = None) -> None:
    """Check every Dense, Conv2D and BatchNormalization layer's shapes (and a Normalization's statistics) against
    the weights in the file, then build it.

    This is what keeps a crafted file from making fnlearn allocate more than the file itself holds.
    """
    for index, layer in enumerate(layers):
        shape = _build_layer(file, index, layer, shape, params)
        shape = layer.output_shape_for(shape) if shape is not None else None


def _build_layer(file: _ModelFile, index: int, layer: Any, shape: Any, params: dict[str, np.ndarray]) -> Any:
    """Check layer ``index`` against the weights in the file for inputs of ``shape`` (None: not known before
    it, a list for a layer called on several) and build it; return its input shape."""
    from .model import sample_input_shape
    from .nn.conv import _Convolution
    from .nn.depthwise import _Depthwise
    from .nn.layers import BatchNormalization, Dense, LayerNormalization, Normalization
    from .nn.recurrent import Bidirectional, _Recurrent
    from .nn.text import Embedding
    from .nn.wrappers import SpectralNormalization, TimeDistributed

    declared = sample_input_shape(layer)
    if declared is not None:
        # a size the declaration leaves unknown (a model of Input(shape=(None,)) after a TextVectorization) takes any
        if shape is not None and not data.shape_fits(tuple(declared), shape):
            before = "the model was built for" if index == 0 else "the layer before it outputs"
            raise file.error(f"is inconsistent: layer {index} declares input shape {tuple(declared)} but "
                             f"{before} {shape}; it is damaged.")
        shape = tuple(declared) if shape is None else shape
    if isinstance(layer, Dense):
        kernel = params.get(f"{index}.kernel")
        if kernel is None or kernel.ndim != 2 or kernel.shape[1] != layer.units \
                or (shape is not None and (not isinstance(shape, tuple) or shape[-1] != kernel.shape[0])):
            found = "none" if kernel is None else f"shape {kernel.shape}"
            raise file.error(f"is inconsistent: Dense layer {index} ({layer.units} units, input "
                             f"{shape}) finds weights of {found}; it is damaged.")
        layer.dtype = kernel.dtype.name  # each layer in its saved dtype (models may mix)
        layer.build(shape if shape is not None else (int(kernel.shape[0]),))
    elif isinstance(layer, Normalization):
        mean, variance = params.get(f"{index}.mean"), params.get(f"{index}.variance")
        if mean is not None or variance is not None:  # saved adapted: the statistics' shape, from the file
            wanted = 0 if layer.axis is None else 1
            if mean is None or variance is None or mean.shape != variance.shape or mean.ndim != wanted \
                    or (wanted and shape is not None and shape[-1] != mean.shape[0]):
                raise file.error(f"is inconsistent: Normalization layer {index} (input {shape}) finds "
                                 "statistics of other shapes; it is damaged.")
            layer.dtype = mean.dtype.name
            layer._set_statistics(np.zeros(mean.shape), np.ones(mean.shape))  # filled when the weights load
    elif isinstance(layer, BatchNormalization):
        _build_batch_norm(file, index, layer, shape, params)
    elif isinstance(layer, Embedding):
        table = params.get(f"{index}.embeddings")
        if table is None or table.shape != (layer.input_dim, layer.output_dim):
            found = "none" if table is None else f"shape {table.shape}"
            raise file.error(f"is inconsistent: Embedding layer {index} ({layer.input_dim} words of "
                             f"{layer.output_dim} numbers) finds a table of {found}; it is damaged.")
        layer.dtype = table.dtype.name
        layer.build(shape)
    elif isinstance(layer, _Convolution):
        _build_convolution(file, index, layer, shape, params)
    elif isinstance(layer, _Depthwise):  # the depthwise and separable convolutions: a kernel or two and a bias
        _build_by_shapes(file, index, layer, shape, params)
    elif isinstance(layer, LayerNormalization):
        _build_layer_norm(file, index, layer, shape, params)
    elif isinstance(layer, _Recurrent) or (isinstance(layer, Bidirectional)
                                           and isinstance(layer.forward_layer, _Recurrent)):
        # (an RNN of a cell, alone or in a Bidirectional, builds from its first input: its cell may be one's own)
        _build_recurrent(file, index, layer, shape, params)
    elif isinstance(layer, TimeDistributed):  # its layer, for one step of the samples, with the weights under it
        step = shape[1:] if isinstance(shape, tuple) and len(shape) > 1 else None
        _build_layer(file, index, layer.layer, step, _wrapped(params, index))
    elif isinstance(layer, SpectralNormalization):  # its layer, with the kernel the wrapper lists as its own
        inner = _wrapped(params, index)
        if f"{index}.kernel" in params:
            name = "kernel" if hasattr(layer.layer, "kernel") else "embeddings"
            inner[f"{index}.{name}"] = params[f"{index}.kernel"]
        _build_layer(file, index, layer.layer, shape, inner)
        if layer.layer.built:
            layer.build(shape)
    return shape


def _wrapped(params: dict[str, np.ndarray], index: int) -> dict[str, np.ndarray]:
    """The weights of layer ``index``'s wrapped layer (a TimeDistributed's, under "layer."), as its own."""
    prefix = f"{index}.layer."
    return {f"{index}.{name[len(prefix):]}": array for name, array in params.items() if name.startswith(prefix)}


def _build_recurrent(file: _ModelFile, index: int, layer: Any, shape: Any, params: dict[str, np.ndarray]) -> None:
    """Build a recurrent layer (each of a Bidirectional's two) for the weights in the file, which must be the ones
    its settings give for ``shape``'s features per step (the file's own kernel where the shape is not known)."""
    from .nn.recurrent import Bidirectional, _Recurrent

    inner = [("", layer)] if isinstance(layer, _Recurrent) else \
        [("forward_layer.", layer.forward_layer), ("backward_layer.", layer.backward_layer)]
    for prefix, rnn in inner:
        kernel = params.get(f"{index}.{prefix}kernel")
        features = None if kernel is None or kernel.ndim != 2 else int(kernel.shape[0])
        fits = features is not None and (shape is None or (isinstance(shape, tuple) and len(shape) == 2
                                                           and shape[1] == features))
        if fits:
            found = {name: params.get(f"{index}.{prefix}{name}") for name in rnn.weight_shapes(features)}
            fits = all(w is not None and tuple(w.shape) == want
                       for w, want in zip(found.values(), rnn.weight_shapes(features).values()))
        if not fits:
            raise file.error(f"is inconsistent: {type(rnn).__name__} layer {index} ({rnn.units} units, input "
                             f"{shape}) finds weights of other shapes than its settings give; it is damaged.")
        rnn.dtype = kernel.dtype.name
        rnn.build((1 if shape is None else shape[0], features))
    layer.dtype = layer.forward_layer.dtype if isinstance(layer, Bidirectional) else layer.dtype
    layer.built = True


def _build_layer_norm(file: _ModelFile, index: int, layer: Any, shape: Any, params: dict[str, np.ndarray]) -> None:
    """Build a LayerNormalization layer for the weights in the file: γ and β (those its settings have) of the
    sizes of the normalised axes of ``shape``, or of the file's own shape where ``shape`` is not known."""
    weights = [params.get(f"{index}.{name}") for name, present in (("gamma", layer.scale), ("beta", layer.center))
               if present]
    if not weights and shape is None:
        return  # no weights to check: it builds from its first input, allocating nothing the input does not fix
    try:
        expected = layer.weight_shape(shape) if isinstance(shape, tuple) else \
            None if weights[0] is None else tuple(weights[0].shape)
    except FnlearnError as exc:
        raise file.error(f"is inconsistent: LayerNormalization layer {index} cannot take inputs of {shape} "
                         f"({_clause(exc)}); it is damaged.") from None
    axes = len(layer.axis) if isinstance(layer.axis, list) else 1
    if expected is None or len(expected) != axes or any(w is None or tuple(w.shape) != expected for w in weights):
        found = ", ".join("none" if w is None else str(w.shape) for w in weights)
        raise file.error(f"is inconsistent: LayerNormalization layer {index} (input {shape}) finds weights of shapes "
                         f"{found}; it is damaged.")
    if weights:
        layer.dtype = weights[0].dtype.name
    layer.make_weights(expected)


def _build_convolution(file: _ModelFile, index: int, layer: Any, shape: Any, params: dict[str, np.ndarray]) -> None:
    """Build a convolution layer (Conv1D, Conv2D, Conv2DTranspose) for the kernel in the file, which must be the
    one its settings give for inputs of ``shape``."""
    kernel = params.get(f"{index}.kernel")
    fits = kernel is not None and isinstance(shape, tuple) and len(shape) == layer.sample_rank \
        and tuple(kernel.shape) == layer.kernel_shape(shape)
    if not fits:
        found = "none" if kernel is None else f"shape {kernel.shape}"
        raise file.error(f"is inconsistent: {type(layer).__name__} layer {index} ({layer.filters} filters of "
                         f"{layer.kernel_size}, input {shape}) finds a kernel of {found}; it is damaged.")
    layer.dtype = kernel.dtype.name
    try:
        layer.build(shape)
    except FnlearnError as exc:
        raise file.error(f"is inconsistent: {type(layer).__name__} layer {index} cannot take inputs of {shape} "
                         f"({_clause(exc)}); it is damaged.") from None


def _build_by_shapes(file: _ModelFile, index: int, layer: Any, shape: Any, params: dict[str, np.ndarray]) -> None:
    """Build a layer that names its weights' shapes for an input (``weight_shapes``) once the file's weights are
    exactly those."""
    try:
        expected = layer.weight_shapes(shape) if isinstance(shape, tuple) and len(shape) == layer.sample_rank \
            else None
    except FnlearnError:
        expected = None
    found = {name[len(f"{index}."):]: array for name, array in params.items() if name.startswith(f"{index}.")}
    if expected is None or {name: tuple(array.shape) for name, array in found.items()} != expected:
        listed = ", ".join(f"{name} {tuple(array.shape)}" for name, array in found.items()) or "none"
        raise file.error(f"is inconsistent: {type(layer).__name__} layer {index} (input {shape}) finds weights "
                         f"{listed}; it is damaged.")
    layer.dtype = next(iter(found.values())).dtype.name
    try:
        layer.build(shape)
    except FnlearnError as exc:
        raise file.error(f"is inconsistent: {type(layer).__name__} layer {index} cannot take inputs of {shape} "
                         f"({_clause(exc)}); it is damaged.") from None


# The shapes of a call given more placeholders or settings (attention's value, use_causal_mask=True): known only
# when the call is made again, which builds its layer for all its inputs
_FOUND_WHEN_MADE = object()


def _call_extras_fit(extra: Any) -> bool:
    """Whether a graph call's fourth entry has the form a saved model writes: a dict of "initial_state" and
    "args" (lists of values) and "kwargs" (each a {"value": v}, {"values": [...]} or {"setting": number, string,
    bool or None})."""
    if not isinstance(extra, dict) or not set(extra) <= {"initial_state", "args", "kwargs"}:
        return False
    if any(not isinstance(extra[key], list) for key in ("initial_state", "args") if key in extra):
        return False
    keywords = extra.get("kwargs", {})
    if not isinstance(keywords, dict):
        return False
    for key, recorded in keywords.items():
        if not (isinstance(key, str) and key.isidentifier() and isinstance(recorded, dict) and len(recorded) == 1):
            return False
        (kind, value), = recorded.items()
        if kind == "setting" and not (value is None or isinstance(value, (bool, int, float, str))):
            return False
        if kind not in ("value", "values", "setting"):
            return False
    return True


def _build_graph(file: _ModelFile, layers: list[Any], params: dict[str, np.ndarray], graph: Any,
                 name: str) -> Any:
    """A functional model that is a graph: its structure checked, each layer checked against its weights
    for the shapes the graph gives it (as :func:`_build_layers` does along a chain), then the calls made.

    Each value a call reads is checked to exist before that call's layer is built (and the outputs before the
    model is made): the index of an Input or of an earlier call, or ``[index, k]``, output ``k`` of a call that
    gives several (an LSTM's ``[output, h, c]``)."""
    from .keras.graph import FunctionalGraph
    from .keras.layers import InputLayer, several_outputs

    def malformed() -> ModelFileError:
        return file.error("has a malformed graph of layers (which layer takes which values); it is damaged.")

    def index_list(value: Any, below: int) -> bool:
        return isinstance(value, list) and bool(value) and all(_is_int(i) and 0 <= i < below for i in value)

    def shape_of(source: Any) -> Any:
        """The sample shape of the value ``source`` names."""
        pair = isinstance(source, list) and len(source) == 2 and all(_is_int(i) for i in source)
        at = source[0] if pair else source
        if not _is_int(at) or not 0 <= at < len(shapes) or (pair and source[1] < 0):
            raise malformed()
        if shapes[at] is _FOUND_WHEN_MADE:
            return None
        several = several_outputs(shapes[at])
        if several is None and not pair:
            return shapes[at]
        layer = layers[inputs[at]] if at < len(inputs) else layers[calls[at - len(inputs)][0]]
        if several is None or not pair:
            gives = "one output" if several is None else f"{len(several)} outputs"
            raise file.error(f"has a graph that reads {source!r} where value {at} (layer {layer.name!r}) gives "
                             f"{gives}; it is damaged.")
        if not 0 <= source[1] < len(several):
            raise file.error(f"has a graph that reads output {source[1]} of value {at} (layer {layer.name!r}), "
                             f"which gives {len(several)} outputs; it is damaged.")
        return several[source[1]]

    def shapes_of(value: Any) -> list[Any]:
        if not isinstance(value, list) or not value:
            raise malformed()
        return [shape_of(source) for source in value]

    inputs = graph.get("inputs") if isinstance(graph, dict) else None
    calls = graph.get("calls") if isinstance(graph, dict) else None
    if not (index_list(inputs, len(layers)) and len(set(inputs)) == len(inputs)
            and all(isinstance(layers[i], InputLayer) for i in inputs) and isinstance(calls, list) and calls):
        raise malformed()
    shapes: list[Any] = [tuple(layers[i].input_shape) for i in inputs]
    built: set[int] = set()
    for call in calls:
        # a fourth entry where the call was given more: a recurrent layer's states, {"initial_state": [...]};
        # more placeholders, "args": [...]; keywords, "kwargs": {name: {"value"|"values"|"setting": ...}}
        extra = call[3] if isinstance(call, list) and len(call) == 4 else {}
        if not (isinstance(call, list) and len(call) in (3, 4) and _is_int(call[0]) and 0 <= call[0] < len(layers)
                and not isinstance(layers[call[0]], InputLayer) and isinstance(call[2], bool)
                and (call[2] or (isinstance(call[1], list) and len(call[1]) == 1))
                and _call_extras_fit(extra)):
            raise malformed()
        given = shapes_of(call[1])
        for key in ("initial_state", "args"):  # their shapes are checked against the layer's when the call is made
            if key in extra:
                shapes_of(extra[key])
        for recorded in extra.get("kwargs", {}).values():
            if "value" in recorded:
                shape_of(recorded["value"])
            elif "values" in recorded:
                shapes_of(recorded["values"])
        shape = given if call[2] else given[0]
        if "args" in extra or "kwargs" in extra or any(item is None for item in given):
            # the call builds the layer for all its inputs when it is made (and the calls after it, their shapes
            # known then): their weights are checked when they load
            shapes.append(_FOUND_WHEN_MADE)
            continue
        if call[0] not in built:
            _build_layer(file, call[0], layers[call[0]], shape, params)
            built.add(call[0])
        shapes.append(layers[call[0]].output_shape_for(shape))
    shapes_of(graph.get("outputs"))
    return FunctionalGraph.from_graph(layers, graph, name=name)


def _batch_norm_weights(layer: Any) -> list[str]:
    """The weight names a BatchNormalization layer has with its settings, in its order."""
    return [name for name, present in (("gamma", layer.scale), ("beta", layer.center), ("moving_mean", True),
                                       ("moving_variance", True)) if present]


def _build_batch_norm(file: _ModelFile, index: int, layer: Any, shape: tuple[int, ...] | None,
                      params: dict[str, np.ndarray]) -> None:
    """Build a BatchNormalization layer for the weights in the file: one vector per feature each."""
    weights = [params.get(f"{index}.{name}") for name in _batch_norm_weights(layer)]
    features = shape[-1] if shape else None
    if features is None and weights[-1] is not None and weights[-1].ndim == 1:
        features = int(weights[-1].shape[0])  # an unbuilt first layer: the file's vectors say
    if not features or any(w is None or w.shape != (features,) for w in weights):
        found = ", ".join("none" if w is None else str(w.shape) for w in weights)
        raise file.error(f"is inconsistent: BatchNormalization layer {index} (input {shape}) finds weights of shapes "
                         f"{found}; it is damaged.")
    layer.dtype = weights[-1].dtype.name
    try:
        layer.build(shape if shape else (features,))
    except FnlearnError as exc:
        raise file.error(f"cannot rebuild layer {index} (BatchNormalization): {_clause(exc)}; it is damaged.") \
            from None


def _build_from_weights(file: _ModelFile, model: Any, params: dict[str, np.ndarray]) -> None:
    """Give an unbuilt model's lazily built layers the shapes of the weights in the file."""
    for index, layer in enumerate(getattr(model, "layers", [])):
        kernel = params.get(f"{index}.kernel")
        moving = params.get(f"{index}.moving_mean")  # a BatchNormalization's: one value per feature
        if not getattr(layer, "built", True) and kernel is not None and kernel.ndim == 2:
            layer.build((int(kernel.shape[0]),))
        elif not getattr(layer, "built", True) and moving is not None and moving.ndim == 1 and moving.size:
            layer.build((int(moving.shape[0]),))


def _recompile(file: _ModelFile, model: Any, custom: dict[str, Any],
               slot_tensors: dict[tuple[int, str], np.ndarray]) -> None:
    from . import optim

    config = file.doc["compile"]
    if not isinstance(config, dict) or not isinstance(config.get("optimizer"), dict):
        raise file.error("has malformed compile settings; load it with compile=False and compile it again.")
    try:
        optimizer = optim.from_config(config["optimizer"])
    except (FnlearnError, TypeError, ValueError) as exc:
        raise file.error(f"has optimizer settings that cannot be rebuilt ({_clause(exc)}); load it with "
                         "compile=False and compile it again.") from None
    settings: dict[str, Any] = {}
    if "outputs" in config:  # a model of several outputs: each output's loss, weight and metrics by its name
        settings = _per_output_settings(file, config["outputs"], custom)
        loss, metrics, weighted = settings.pop("loss"), settings.pop("metrics"), settings.pop("weighted_metrics")
    else:
        loss = _resolve_loss(file, config.get("loss"), custom)
        metrics, weighted = config.get("metrics") or [], config.get("weighted_metrics") or []
        if not isinstance(metrics, list) or not isinstance(weighted, list):
            raise file.error("has malformed metric settings; load it with compile=False and compile it again.")
        metrics = [_resolve_metric(file, m, custom) for m in metrics]
        weighted = [_resolve_metric(file, m, custom) for m in weighted]
    try:
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics, weighted_metrics=weighted or None, **settings)
    except FnlearnError as exc:
        raise file.error(f"has compile settings this fnlearn cannot use ({_clause(exc)}); load it with "
                         "compile=False.") from None
    state = file.doc.get("optimizer_state")
    if state is not None:
        _restore_optimizer(file, model, state, slot_tensors)


def _per_output_settings(file: _ModelFile, outputs: Any, custom: dict[str, Any]) -> dict[str, Any]:
    """compile's loss, loss_weights, metrics and weighted_metrics, each a dict by output name, from the settings
    a model of several outputs saved for each output."""
    if not isinstance(outputs, dict) or not outputs or not all(
            isinstance(name, str) and isinstance(entry, dict) and isinstance(entry.get("metrics", []), list)
            and isinstance(entry.get("weighted_metrics", []), list) for name, entry in outputs.items()):
        raise file.error("has malformed per-output compile settings; load it with compile=False and compile it "
                         "again.")
    settings: dict[str, Any] = {"loss": {}, "loss_weights": {}, "metrics": {}, "weighted_metrics": {}}
    for name, entry in outputs.items():
        weight = entry.get("loss_weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)):
            raise file.error(f"has a malformed loss weight {weight!r} for output {name!r}; it is damaged.")
        loss = entry.get("loss")  # None: an output left out of the loss, whose metrics still run
        settings["loss"][name] = None if loss is None else _resolve_loss(file, loss, custom)
        settings["loss_weights"][name] = weight
        for kind in ("metrics", "weighted_metrics"):
            settings[kind][name] = [_resolve_metric(file, m, custom) for m in entry.get(kind, [])]
    return settings


def _resolve_metric(file: _ModelFile, spec: Any, custom: dict[str, Any]) -> Any:
    """A metric by name, one of the metric classes with its settings (from_logits, thresholds), or a metric
    class of the user's own, given back in ``custom_objects`` under its class name (the class, or an object)."""
    from .keras import metrics as keras_metrics

    if not isinstance(spec, dict):
        return _resolve_named(file, spec, custom, "metric")
    class_name, config = spec.get("class_name"), spec.get("config")
    if not isinstance(class_name, str) or not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
        raise file.error(f"has a metric setting {spec!r} that fnlearn cannot rebuild; load it with compile=False.")
    own = custom.get(class_name)
    if own is not None and not isinstance(own, type):
        return own  # an object of the user's own, used as given
    if own is None and spec.get("custom"):
        raise file.error(f"was compiled with the metric class {class_name!r} of your own; pass it as "
                         f"custom_objects={{{class_name!r}: {class_name}}}, or load it with compile=False.")
    if own is None and (class_name not in keras_metrics.SAVED_CLASSES
                        or not all(_plain_setting(v) for v in config.values())):
        raise file.error(f"has a metric setting {spec!r} that fnlearn cannot rebuild; load it with compile=False.")
    make = own if own is not None else keras_metrics.SAVED_CLASSES[class_name]
    try:
        from_config = getattr(make, "from_config", None) if isinstance(make, type) else None
        return from_config(config) if from_config is not None else make(**config)
    except (FnlearnError, TypeError, ValueError) as exc:
        raise file.error(f"has a metric setting {spec!r} that fnlearn cannot rebuild ({_clause(exc)}); load it "
                         "with compile=False.") from None


def _plain_setting(value: Any) -> bool:
    """A metric setting a file may hold: a name, flag, number, None, or a list of numbers (thresholds)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return True
    return isinstance(value, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)


def _resolve_named(file: _ModelFile, spec: Any, custom: dict[str, Any], kind: str) -> Any:
    if isinstance(spec, str):
        return custom.get(spec, spec)
    raise file.error(f"has a {kind} setting {spec!r} that is not a name; it is damaged.")


def _resolve_loss(file: _ModelFile, spec: Any, custom: dict[str, Any]) -> Any:
    from . import losses

    if isinstance(spec, str):
        if spec in custom:
            return custom[spec]
        if spec.lower() in losses.LOSSES:
            return spec
        raise file.error(f"was compiled with loss {spec!r}, which is not built in; pass "
                         f"custom_objects={{{spec!r}: your_loss_function}} or load it with compile=False.")
    if isinstance(spec, dict) and isinstance(spec.get("class_name"), str):  # a loss class of the user's own
        class_name, config = spec["class_name"], spec.get("config")
        own = custom.get(class_name)
        if isinstance(own, losses.Loss):
            return own  # an object, used as given
        if not (isinstance(own, type) and issubclass(own, losses.Loss)):
            raise file.error(f"was compiled with the loss class {class_name!r} of your own; pass it as "
                             f"custom_objects={{{class_name!r}: {class_name}}}, or load it with compile=False.")
        if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
            raise file.error(f"has loss settings {spec!r} that fnlearn cannot rebuild; it is damaged.")
        try:
            return own.from_config(config)
        except (FnlearnError, TypeError, ValueError) as exc:
            raise file.error(f"cannot rebuild the loss {class_name} from its saved settings ({_clause(exc)}); give "
                             "it a get_config() with what its __init__ takes.") from None
    if isinstance(spec, dict) and isinstance(spec.get("name"), str):
        options = {k: v for k, v in spec.items() if k not in ("name", "reduction")}
        if spec["name"].lower() not in losses.LOSSES or not all(_saved_loss_option(k, v) for k, v in options.items()):
            raise file.error(f"has loss settings {spec!r} that fnlearn cannot rebuild; load it with "
                             "compile=False.")
        reduction = spec.get("reduction")
        if reduction not in (None, "mean", "sum", "none"):
            raise file.error(f"has an invalid loss reduction {reduction!r}; it is damaged.")
        try:  # an option the named loss does not take (delta on mse) is refused by Loss itself
            return losses.Loss(spec["name"], reduction=reduction, **options)
        except FnlearnError as exc:
            raise file.error(f"has loss settings {spec!r} that fnlearn cannot rebuild ({_clause(exc)}); load it "
                             "with compile=False.") from None
    raise file.error(f"has a loss setting {spec!r} that is neither a name nor a loss config; it is damaged.")


def _saved_loss_option(key: str, value: Any) -> bool:
    """Whether a loss option read from a file is of the kind the option takes: from_logits, apply_class_balancing
    and remove_diagonal True/False; axis an int or a list of them; the focal losses' (and Circle's) γ, α (one number,
    or one per class) and Tversky's β finite numbers ≥ 0; Circle's margin any finite number; the others (Huber's
    delta) finite numbers > 0."""
    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

    if key in ("from_logits", "apply_class_balancing", "remove_diagonal"):
        return isinstance(value, bool)
    if key == "margin":  # Circle's relaxation: any finite number
        return number(value)
    if key == "axis":
        return isinstance(value, int) or isinstance(value, list) and all(isinstance(a, int) for a in value)
    if key == "alpha" and isinstance(value, list):
        return bool(value) and all(number(a) and a >= 0 for a in value)
    return number(value) and (value >= 0 if key in ("gamma", "alpha", "beta") else value > 0)


def _restore_optimizer(file: _ModelFile, model: Any, state: Any,
                       slot_tensors: dict[tuple[int, str], np.ndarray]) -> None:
    params = model.parameters()
    slots = state.get("slots") if isinstance(state, dict) else None
    iterations = state.get("iterations") if isinstance(state, dict) else None
    if not _is_int(iterations) or iterations < 0 or not isinstance(slots, list) or len(slots) != len(params) \
            or not all(isinstance(s, list) and all(isinstance(n, str) for n in s) for s in slots):
        raise file.error("has malformed optimizer state; load it with compile=False, or retrain.")
    listed = {(i, name) for i, names in enumerate(slots) for name in names}
    if listed != set(slot_tensors):
        raise file.error("has optimizer state whose slots do not match their tensors; it is damaged.")
    per_param: list[dict[str, np.ndarray]] = []
    for i, (names, param) in enumerate(zip(slots, params)):
        entry = {}
        for name in names:
            arr = slot_tensors[(i, name)]
            if arr.shape != model.optimizer.slot_shape(name, tuple(param.shape)):
                raise file.error(f"has optimizer slot {name!r} of shape {arr.shape} for a parameter of shape "
                                 f"{tuple(param.shape)}; it is damaged.")
            entry[name] = arr
        per_param.append(entry)
    optimizer = model.optimizer
    by_id = {id(p): i for i, p in enumerate(params)}
    order = [by_id.get(id(p)) for p in optimizer.params]
    if None in order:
        raise file.error("cannot restore its optimizer state: the compiled optimizer does not hold the "
                         "model's parameters.")
    dropouts = _dropouts(model)
    draws = state.get("dropout_draws", [0] * len(dropouts))  # files from before fnlearn saved them: none
    if isinstance(draws, list) and len(draws) != len(dropouts) and len(draws) == len(_dropouts(model, True)):
        dropouts = _dropouts(model, True)
    if not isinstance(draws, list) or len(draws) != len(dropouts) or not all(_is_int(d) and d >= 0 for d in draws):
        raise file.error("has a malformed dropout state in its training state; load it with compile=False.")
    optimizer.load_state_dict({"iterations": iterations, "state": [per_param[i] for i in order]})
    for layer, count in zip(dropouts, draws):
        layer.draws = count  # ... and draws the dropout masks it would have drawn


def _dropouts(model: Any, before_attention: bool = False) -> list[Any]:
    """The layers that draw from a stream of their own at each training call (Dropout's masks, the augmentation
    layers' transforms, attention's and cells' dropout: a ``seed`` and a count of ``draws``), in the model's
    order: a resumed fit goes on drawing where the saved one was. ``before_attention``: the layers files listed
    before attention layers and cells had their place in the list (their streams then start afresh)."""
    if not hasattr(model, "modules"):
        return []
    if before_attention:
        from .nn.image import _RandomImageLayer
        from .nn.layers import Dropout, _SpatialDropout
        from .nn.recurrent import _Recurrent
        from .nn.shape_layers import _NoiseLayer

        kinds = (Dropout, _SpatialDropout, _RandomImageLayer, _Recurrent, _NoiseLayer)
        return [m for m in model.modules() if isinstance(m, kinds)]
    return [m for m in model.modules() if type(getattr(m, "draws", None)) is int and hasattr(m, "seed")]


__all__ = ["save_model", "load_model", "save_weights", "load_weights", "save_training_state", "load_training_state",
           "export_keras", "write_atomic", "FORMAT",
           "FORMAT_VERSION", "TEMP_SUFFIX"]
