"""Keras 3's Fourier transforms on fnlearn tensors, complex values as Keras passes them: a (real, imag) pair.

``fft`` and ``ifft2``/``fft2`` take and give a pair, over the last axis (last two for the 2-D ones); ``rfft`` takes
a real tensor and gives the pair of its ``fft_length // 2 + 1`` non-negative frequencies, ``irfft`` goes back. All
five are differentiable (each is linear: its gradient is the adjoint transform).

Example:
    >>> import numpy as np
    >>> from fnlearn.keras import ops
    >>> re, im = ops.rfft(np.array([1.0, 0.0, -1.0, 0.0]))
    >>> re.numpy().tolist(), im.numpy().tolist()
    ([0.0, 2.0, 0.0], [0.0, 0.0, 0.0])
    >>> ops.irfft((re, im)).numpy().tolist()
    [1.0, 0.0, -1.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..errors import ShapeError
from ..tensor import Tensor
from ._missing import not_provided
from .ops import _float


def _pair(x: Any, who: str) -> tuple[Tensor, Tensor]:
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ShapeError(f"{who} takes a complex tensor as a (real, imag) pair of real tensors, as Keras does; got "
                         f"{type(x).__name__}. Pass (x, ops.zeros_like(x)) for real values.")
    re, im = _float(x[0]), _float(x[1])
    if re.shape != im.shape:
        raise ShapeError(f"{who} got a real part of shape {re.shape} and an imaginary part of shape {im.shape}; "
                         "they must match.")
    return re, im


def _complex_op(re: Tensor, im: Tensor, forward: Callable[[Any], Any], adjoint: Callable[[Any], Any],
                name: str) -> tuple[Tensor, Tensor]:
    """(Re, Im) of ``forward(re + i·im)``, each differentiable through ``adjoint`` (the transform's adjoint)."""
    z = backend.to_numpy(re.data) + 1j * backend.to_numpy(im.data)
    out = forward(z)
    dtype = re.dtype

    def grads(g: Any) -> tuple[Any, Any]:
        back = adjoint(g)
        return backend.to_device(back.real.astype(dtype)), backend.to_device(back.imag.astype(dtype))

    out_re = Tensor._result(backend.to_device(out.real.astype(dtype)), (re, im),
                            lambda g: grads(backend.to_numpy(g) + 0j), name)
    out_im = Tensor._result(backend.to_device(out.imag.astype(dtype)), (re, im),
                            lambda g: grads(1j * backend.to_numpy(g)), name)
    return out_re, out_im


def fft(x: Any) -> tuple[Tensor, Tensor]:
    """The discrete Fourier transform over the last axis of a (real, imag) pair; differentiable."""
    re, im = _pair(x, "fft")
    n = re.shape[-1]
    return _complex_op(re, im, lambda z: np.fft.fft(z), lambda g: n * np.fft.ifft(g), "fft")


def fft2(x: Any) -> tuple[Tensor, Tensor]:
    """The 2-D discrete Fourier transform over the last two axes of a (real, imag) pair; differentiable."""
    re, im = _pair(x, "fft2")
    n = re.shape[-1] * re.shape[-2]
    return _complex_op(re, im, lambda z: np.fft.fft2(z), lambda g: n * np.fft.ifft2(g), "fft2")


def ifft2(x: Any) -> tuple[Tensor, Tensor]:
    """The inverse 2-D discrete Fourier transform over the last two axes of a (real, imag) pair; differentiable."""
    re, im = _pair(x, "ifft2")
    n = re.shape[-1] * re.shape[-2]
    return _complex_op(re, im, lambda z: np.fft.ifft2(z), lambda g: np.fft.fft2(g) / n, "ifft2")


def rfft(x: Any, fft_length: int | None = None) -> tuple[Tensor, Tensor]:
    """The Fourier transform of real values over the last axis (cut or zero-padded to ``fft_length``): the
    (real, imag) pair of its ``fft_length // 2 + 1`` frequencies; differentiable."""
    x = _float(x)
    n_in = x.shape[-1]
    n = n_in if fft_length is None else int(fft_length)

    def adjoint(g: Any) -> Any:
        full = np.zeros((*g.shape[:-1], n), complex)
        full[..., :g.shape[-1]] = g
        back = n * np.fft.ifft(full)
        out = np.zeros((*g.shape[:-1], n_in), complex)
        k = min(n, n_in)
        out[..., :k] = back[..., :k]
        return out.real + 0j  # the input is real: its imaginary part gets nothing

    zero = Tensor(backend.xp().zeros_like(x.data))
    out_re, out_im = _complex_op(x, zero, lambda z: np.fft.rfft(z.real, n=n), adjoint, "rfft")
    return out_re, out_im


def irfft(x: Any, fft_length: int | None = None) -> Tensor:
    """The real values whose ``rfft`` is the (real, imag) pair ``x`` (``fft_length`` of them, by default
    2·(m − 1)); differentiable."""
    re, im = _pair(x, "irfft")
    m = re.shape[-1]
    n = 2 * (m - 1) if fft_length is None else int(fft_length)
    z = backend.to_numpy(re.data) + 1j * backend.to_numpy(im.data)
    out = np.fft.irfft(z, n=n)
    used = min(m, n // 2 + 1)
    weight = np.full(used, 2.0 / n)
    weight[0] = 1.0 / n
    if n % 2 == 0 and used == n // 2 + 1:
        weight[-1] = 1.0 / n

    def backward(g: Any) -> tuple[Any, Any]:
        spec = np.fft.rfft(backend.to_numpy(g), n=n)[..., :used] * weight
        gre, gim = np.zeros(re.shape), np.zeros(im.shape)
        gre[..., :used] = spec.real
        gim[..., :used] = spec.imag
        gim[..., 0] = 0
        if n % 2 == 0 and used == n // 2 + 1:
            gim[..., used - 1] = 0
        return backend.to_device(gre.astype(re.dtype)), backend.to_device(gim.astype(im.dtype))

    return Tensor._result(backend.to_device(out.astype(re.dtype)), (re, im), backward, "irfft")


__all__ = ["fft", "fft2", "ifft2", "rfft", "irfft"]

__getattr__ = not_provided(__name__, __all__)
