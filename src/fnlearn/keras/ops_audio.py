"""Keras 3's short-time Fourier transforms on fnlearn tensors: ``stft`` cuts the last axis into overlapping
frames, windows each and gives the (real, imag) pair of their Fourier transforms, shape (…, frames,
fft_length // 2 + 1); ``istft`` goes back, overlapping and adding the windowed inverse transforms. Both are
differentiable with respect to their input (they are linear: framing, a window, :func:`~.ops_fft.rfft`, and the
overlap-add, whose gradient is the framing).

Where Keras's backends disagree they follow Keras on JAX (and on NumPy, the same SciPy rules): ``window=None``
is a rectangle ``fft_length`` long, and ``istft`` divides by the overlapped squared window sample by sample.
Keras on PyTorch agrees for a window as long as the transform (the usual case, and the default of
``MelSpectrogram``), and differs in a rectangle shorter than it and in ``istft``'s other cases.

Example:
    >>> import numpy as np
    >>> from fnlearn.keras import ops
    >>> x = np.arange(8.0)
    >>> re, im = ops.stft(x, sequence_length=4, sequence_stride=2, fft_length=4)
    >>> re.shape
    (5, 3)
    >>> ops.istft((re, im), sequence_length=4, sequence_stride=2, fft_length=4).numpy().round(6).tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..nn.initializers import check_window, window_values
from ..tensor import Tensor
from ._missing import not_provided
from .ops import _float
from .ops_fft import _pair, irfft, rfft

_WINDOWS = ("hann", "hamming")


def _whole(value: Any, who: str, name: str, least: int = 1) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < least:
        raise ConfigError(f"{who} got {name}={value!r}; it takes a whole number of at least {least}, e.g. "
                          f"{name}=256.")
    return int(value)


def _lengths(who: str, sequence_length: Any, sequence_stride: Any, fft_length: Any) -> tuple[int, int, int]:
    length = _whole(sequence_length, who, "sequence_length")
    stride = _whole(sequence_stride, who, "sequence_stride")
    n_fft = _whole(fft_length, who, "fft_length")
    if n_fft < length:
        raise ConfigError(f"{who} got fft_length={n_fft} shorter than sequence_length={length}; the transform "
                          "takes whole frames, so give fft_length >= sequence_length.")
    return length, stride, n_fft


def _window(window: Any, length: int, n_fft: int, dtype: Any, who: str) -> np.ndarray:
    """The window of ``length`` samples centred in ``n_fft`` zeros (a rectangle ``n_fft`` long for None), on the
    host: Keras's periodic Hann or Hamming window, or the values given."""
    if window is None:
        return np.ones(n_fft, dtype)
    if isinstance(window, str):
        if window not in _WINDOWS:
            raise ConfigError(f"{who} got window={window!r}; it takes 'hann', 'hamming', None (no window) or the "
                              f"window's {length} values.")
        # periodic: one sample of a window of length + 1 left out, as a transform's frames tile
        values = window_values(window, length, True, who)
    else:
        values = check_window(window, who)
        if values.shape != (length,):
            raise ShapeError(f"{who} got a window of shape {values.shape}; it takes sequence_length={length} "
                             "values, one per sample of a frame.")
    left = (n_fft - length) // 2
    return np.pad(values, (left, n_fft - length - left)).astype(dtype)


def _overlap_add(frames: Tensor, stride: int) -> Tensor:
    """Frames (…, count, n) laid ``stride`` apart and summed where they overlap: (…, (count − 1)·stride + n);
    the gradient cuts the same frames out of the output's gradient."""
    xp = backend.xp()
    *batch, count, n = frames.shape
    pieces = -(-n // stride)  # the stride-long pieces of one frame
    total = (count - 1) * stride + n

    def add(data: Any) -> Any:
        padded = xp.zeros((*batch, count, pieces * stride), data.dtype)
        padded[..., :n] = data
        padded = padded.reshape(*batch, count, pieces, stride)
        out = xp.zeros((*batch, (count + pieces - 1) * stride), data.dtype)
        for k in range(pieces):  # each piece of every frame at once: a frame's k-th piece starts k strides in
            out[..., k * stride:(k + count) * stride] += padded[..., :, k, :].reshape(*batch, count * stride)
        return out[..., :total]

    def backward(g: Any) -> tuple[Any]:
        starts = xp.arange(count)[:, None] * stride + xp.arange(n)[None, :]
        return (g[..., starts],)

    return Tensor._result(add(frames.data), (frames,), backward, "overlap_add")


def _frames(x: Tensor, n_fft: int, stride: int, center: bool, who: str) -> Tensor:
    """The frames (…, count, n_fft) of ``x``'s last axis, ``stride`` apart, after ``n_fft // 2`` samples
    mirrored on each side where ``center``; a gather, whose gradient adds each sample's share back."""
    size = x.shape[-1]
    pad = n_fft // 2 if center else 0
    if center and size < 2 and pad > 0:
        raise ShapeError(f"{who} got a signal of {size} sample(s) with center=True; mirroring its ends needs at "
                         "least 2 samples, so give a longer signal or center=False.")
    if size + 2 * pad < n_fft:
        raise ShapeError(f"{who} got a signal of {size} samples along its last axis, shorter than one frame of "
                         f"fft_length={n_fft} samples{' after the padding of center=True' if center else ''}; give a "
                         "longer signal or a smaller fft_length.")
    count = 1 + (size + 2 * pad - n_fft) // stride
    at = np.arange(count)[:, None] * stride + np.arange(n_fft)[None, :] - pad
    if pad:  # NumPy's "reflect": the signal mirrored about its end samples, again and again
        period = 2 * (size - 1)
        at = np.abs(at) % period
        at = np.where(at >= size, period - at, at)
    flat = F.reshape(x, (-1, size))
    out = F.getitem(flat, (slice(None), backend.to_device(at)))
    return F.reshape(out, (*x.shape[:-1], count, n_fft))


def stft(x: Any, sequence_length: int, sequence_stride: int, fft_length: int, window: Any = "hann",
         center: bool = True) -> tuple[Tensor, Tensor]:
    """The short-time Fourier transform over the last axis, Keras's ``ops.stft``: frames of ``fft_length``
    samples, ``sequence_stride`` apart (the signal mirrored ``fft_length // 2`` samples out at both ends where
    ``center``), each multiplied by ``window`` (``sequence_length`` samples centred in the frame), as the
    (real, imag) pair of shape (…, frames, fft_length // 2 + 1); differentiable with respect to ``x``.

    >>> import numpy as np
    >>> re, im = stft(np.array([0.0, 1.0, 2.0, 3.0, 4.0]), 3, 2, 3)
    >>> re.numpy().round(4).tolist(), im.numpy().round(4).tolist()
    ([[0.75, -0.375], [3.75, -1.875], [5.25, -2.625]], [[0.0, 0.6495], [0.0, 0.6495], [0.0, -0.6495]])
    """
    who = "keras.ops.stft"
    length, stride, n_fft = _lengths(who, sequence_length, sequence_stride, fft_length)
    x = _float(x)
    if x.ndim < 1:
        raise ShapeError(f"{who} takes signals along the last axis, shape (…, samples), got a scalar; give an "
                         "array of samples.")
    win = _window(window, length, n_fft, x.dtype, who)
    frames = _frames(x, n_fft, stride, bool(center), who)
    return rfft(F.mul(frames, Tensor(backend.to_device(win))), n_fft)


def istft(x: Any, sequence_length: int, sequence_stride: int, fft_length: int, length: int | None = None,
          window: Any = "hann", center: bool = True) -> Tensor:
    """The inverse of :func:`stft` given the same settings, Keras's ``ops.istft``: the inverse transform of each
    frame of the (real, imag) pair (…, frames, bins), windowed, overlapped and added, divided by the overlapped
    squared window; ``length`` samples if given (from the first where ``center``); differentiable with respect
    to both parts.

    >>> import numpy as np
    >>> x = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    >>> istft(stft(x, 1, 1, 1), 1, 1, 1).numpy().tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0]
    """
    who = "keras.ops.istft"
    win_length, stride, n_fft = _lengths(who, sequence_length, sequence_stride, fft_length)
    if length is not None:
        length = _whole(length, who, "length", least=0)
    re, im = _pair(x, who)
    if re.ndim < 2:
        raise ShapeError(f"{who} takes the (real, imag) pair of a transform, shape (…, frames, bins), got parts of "
                         f"shape {re.shape}; give what keras.ops.stft gives.")
    win = _window(window, win_length, n_fft, np.float64, who)
    frames = irfft((re, im), n_fft)
    count = re.shape[-2]
    # the overlapped squared window, sample by sample; where it is 0 nothing is divided (SciPy's rule)
    tiled = np.broadcast_to(win * win, (count, n_fft))
    norm = np.zeros((count - 1) * stride + n_fft)
    for k in range(count):
        norm[k * stride:k * stride + n_fft] += tiled[k]
    norm = np.where(norm > 1e-10, norm, 1.0)
    if window is None:  # SciPy's rectangle scaled by its length, which Keras's JAX backend divides by the stride
        norm = norm * stride / n_fft
    out = _overlap_add(F.mul(frames, Tensor(backend.to_device(win.astype(re.dtype)))), stride)
    out = F.mul(out, Tensor(backend.to_device((1.0 / norm).astype(re.dtype))))
    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = out.shape[-1] - n_fft // 2
    else:
        end = out.shape[-1]
    return F.getitem(out, (..., slice(start, max(start, min(end, out.shape[-1])))))


__all__ = ["stft", "istft"]

__getattr__ = not_provided(__name__, __all__)

