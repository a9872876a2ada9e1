"""The one place that knows which array library does the math.

Every other module asks this one for the array namespace (``xp()``), the default float dtype and
the random generator. That seam is what lets the same model run on NumPy (CPU) or CuPy (GPU).

Random numbers are always drawn on the host from one NumPy generator and then moved to the device,
so a seed gives the same initial weights and the same batch order on every backend.

Example:
    >>> import fnlearn as fl
    >>> fl.set_seed(0)
    >>> fl.set_default_dtype("float64")
    >>> fl.get_default_dtype()
    'float64'
    >>> fl.set_default_dtype("float32")
"""

from __future__ import annotations

import contextlib
import random as _pyrandom
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

from .errors import ConfigError, DeviceError, unknown_name

_FLOAT_DTYPES = {"float32": np.float32, "float64": np.float64}


class _State:
    """Process-wide backend settings; a small object so tests can save and restore it."""

    def __init__(self) -> None:
        self.xp: Any = np
        self.name = "numpy"
        self.dtype: type = np.float32
        self.seed: int | None = None
        self.rng = np.random.default_rng()
        self.epsilon = 1e-7


_state = _State()


def xp() -> Any:
    """The array namespace of the current backend (``numpy`` or ``cupy``)."""
    return _state.xp


def backend_name() -> str:
    """``"numpy"`` or ``"cupy"``."""
    return _state.name


def device() -> str:
    """``"cpu"`` for NumPy, ``"cuda"`` for CuPy."""
    return "cuda" if _state.name == "cupy" else "cpu"


def set_default_dtype(dtype: str | type) -> None:
    """Choose the float dtype of new tensors and parameters: ``"float32"`` (default) or ``"float64"``.

    >>> import fnlearn as fl
    >>> fl.set_default_dtype("float64"); fl.tensor([1.0]).dtype
    dtype('float64')
    >>> fl.set_default_dtype("float32")
    """
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in _FLOAT_DTYPES:
        raise unknown_name("default dtype", dtype, _FLOAT_DTYPES)
    _state.dtype = _FLOAT_DTYPES[name]


def get_default_dtype() -> str:
    """The name of the default float dtype, ``"float32"`` unless changed."""
    return np.dtype(_state.dtype).name


@contextlib.contextmanager
def using_dtype(dtype: str | type) -> Iterator[None]:
    """The default float dtype set to ``dtype`` inside the ``with`` block, and put back after it.

    >>> import fnlearn as fl
    >>> with fl.backend.using_dtype("float64"):
    ...     fl.tensor([1.0]).dtype
    dtype('float64')
    """
    previous = get_default_dtype()
    set_default_dtype(dtype)
    try:
        yield
    finally:
        set_default_dtype(previous)


def float_dtype() -> type:
    """The default float dtype as a NumPy type."""
    return _state.dtype


def epsilon() -> float:
    """The fuzz factor ε, 1e-7 unless set: what probabilities are clipped into [ε, 1 − ε] by before a log and what
    is added to a denominator that may be 0 (in losses, metrics, norms and constraints), Keras's ``epsilon()``.

    >>> epsilon()
    1e-07
    """
    return _state.epsilon


def set_epsilon(value: float) -> None:
    """Set the fuzz factor ε that :func:`epsilon` gives, as Keras's ``set_epsilon``; read each time it is used.

    >>> set_epsilon(1e-5); epsilon()
    1e-05
    >>> set_epsilon(1e-7)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not 0 < float(value) < 0.5:
        raise ConfigError(f"set_epsilon got {value!r}; the fuzz factor is a number between 0 and 0.5 (Keras's default "
                          "is 1e-7): pass e.g. set_epsilon(1e-7).")
    _state.epsilon = float(value)


def set_seed(seed: int) -> None:
    """Seed everything fnlearn draws: initial weights, dropout masks, shuffling, validation splits.

    Python's ``random`` is seeded too, so user code that mixes it in stays reproducible.

    >>> import fnlearn as fl
    >>> fl.set_seed(42); a = fl.layers.Dense(2, input_dim=3).kernel.numpy()
    >>> fl.set_seed(42); b = fl.layers.Dense(2, input_dim=3).kernel.numpy()
    >>> bool((a == b).all())
    True
    """
    seed = check_seed(seed, "seed", "pass e.g. fl.set_seed(0)")
    _state.seed = seed
    _state.rng = np.random.default_rng(seed)
    _pyrandom.seed(seed)


def check_seed(seed: Any, name: str, example: str) -> int:
    """``seed`` as an int, or one ConfigError sentence when it is not a non-negative integer.

    >>> check_seed(3, "seed", "e.g. seed=0")
    3
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"{name} must be a non-negative integer, got {seed!r}; {example}.")
    return int(seed)


def rng() -> np.random.Generator:
    """The host random generator every fnlearn draw comes from."""
    return _state.rng


def to_device(array: Any) -> Any:
    """Move a host (NumPy) array to the current backend; a no-op on NumPy."""
    if _state.xp is np:
        return array
    return _state.xp.asarray(array)


def to_numpy(array: Any) -> np.ndarray:
    """Copy an array of any backend to a NumPy array on the host."""
    if isinstance(array, np.ndarray):
        return array
    get = getattr(array, "get", None)
    if get is not None:
        return get()
    return np.asarray(array)


def device_key(array: Any) -> Any:
    """A hashable name of the device ``array`` lives on, for keying caches: ``"cpu"`` for a NumPy array, the GPU's
    number for a CuPy one (whose ``Device`` objects cannot be hashed since CuPy 14), None for anything else.

    >>> device_key(np.zeros(2))
    'cpu'
    """
    if isinstance(array, np.ndarray):
        return "cpu"
    device = getattr(array, "device", None)
    return getattr(device, "id", device)


def check_device(obj: Any, name: str = "data") -> None:
    """Refuse an array that lives on a device the current backend cannot use.

    The rule: host (NumPy) data is always accepted and moved to the current device; a GPU array
    (anything exposing ``__cuda_array_interface__``, e.g. CuPy's) is accepted only on the cupy backend.

    >>> check_device([1.0, 2.0])  # host data is fine on every backend
    """
    if _state.name != "cupy" and hasattr(obj, "__cuda_array_interface__"):
        raise DeviceError(f"{name} is a GPU array ({type(obj).__module__}.{type(obj).__name__}) but the backend is "
                          "'numpy'; call fl.set_backend('cupy') first, or pass a NumPy copy (x.get()).")


def synchronize() -> None:
    """Wait until the device has finished all queued work (for timing); a no-op on NumPy."""
    if _state.name == "cupy":
        _state.xp.cuda.get_current_stream().synchronize()


def is_array(obj: Any) -> bool:
    """True for an array of the current backend."""
    return isinstance(obj, _state.xp.ndarray)


def set_backend(name: str) -> None:
    """Switch the array library: ``"numpy"`` (CPU) or ``"cupy"`` (an NVIDIA GPU).

    Tensors made before the switch stay where they are; make models after switching, or move them
    with ``model.to(...)``.
    """
    if name in ("numpy", "cpu"):
        _state.xp, _state.name = np, "numpy"
        return
    if name not in ("cupy", "cuda", "gpu"):
        raise unknown_name("backend", name, ["numpy", "cupy", "cpu", "cuda"])
    try:
        import cupy
    except ImportError as exc:
        raise DeviceError(
            "backend 'cupy' needs the CuPy package, which is not installed; install it with "
            "pip install 'fnlearn[gpu]' on a machine with an NVIDIA GPU, or stay on 'numpy'."
        ) from exc
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CuPy raises its own CUDA errors when no driver is present
        raise DeviceError(
            f"backend 'cupy' found no usable GPU ({exc.__class__.__name__}: {exc}); "
            "check the NVIDIA driver, or stay on 'numpy'."
        ) from exc
    if count < 1:
        raise DeviceError("backend 'cupy' found no GPU on this machine; stay on 'numpy'.")
    _state.xp, _state.name = cupy, "cupy"


def set_device(name: str) -> None:
    """Alias of :func:`set_backend` in device words: ``"cpu"`` or ``"cuda"``."""
    set_backend(name)


class Workspace:
    """Scratch arrays an op writes again at every step instead of asking for new ones.

    A convolution's column matrix is the largest array of a small CNN's step (6 MiB for 32 images of 13×13×32
    and a 3×3 kernel). Allocated afresh, an array that large comes from the operating system as new pages, each
    faulted in on first write: a third of the step's time went to that (measured). A layer keeps one workspace
    and its op takes an array from it only when nothing else holds that array any more (no graph still waiting
    for its backward), so reuse can never change a value that is still needed.

    >>> ws = Workspace()
    >>> first = id(ws.empty("cols", (2, 3), "float32"))  # dropped by its user: free again
    >>> id(ws.empty("cols", (2, 3), "float32")) == first
    True
    >>> held = ws.empty("cols", (2, 3), "float32"); ws.empty("cols", (2, 3), "float32") is held
    False
    """

    largest = 64 * 2**20  # bytes: a bigger array (a huge batch) is not kept after its step

    def __init__(self) -> None:
        self._arrays: dict[str, Any] = {}

    def empty(self, key: str, shape: tuple[int, ...], dtype: Any) -> Any:
        xp_ = xp()
        kept = self._arrays.get(key)
        # 3 references: the dict's, the local name's and getrefcount's own argument; a view holds its base
        free = kept is not None and sys.getrefcount(kept) <= 3
        if free and isinstance(kept, xp_.ndarray) and kept.shape == shape and kept.dtype == np.dtype(dtype):
            return kept
        kept = None
        array = xp_.empty(shape, dtype=dtype)
        if array.nbytes <= self.largest:
            self._arrays[key] = array
        else:
            self._arrays.pop(key, None)
        return array

    def __deepcopy__(self, memo: dict[int, Any]) -> Workspace:
        return Workspace()  # scratch space is never part of a copy (nor of a saved model)

    def __getstate__(self) -> dict[str, Any]:
        return {"_arrays": {}}
