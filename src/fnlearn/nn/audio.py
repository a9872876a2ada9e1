"""Keras 3's audio layers: ``STFTSpectrogram``, a short-time Fourier transform whose kernels are trainable
weights, and ``MelSpectrogram``, the mel-scaled power of :func:`fnlearn.keras.ops.stft` in decibels.

``STFTSpectrogram`` computes each frame's transform as Keras does, as a strided convolution with a cosine and a
sine kernel (frame_length, 1, fft_length // 2 + 1) that the :class:`~fnlearn.nn.initializers.STFT` initializer
starts at the windowed Fourier basis; the kernels are weights, trained with the model unless ``trainable=False``.
Each input channel is transformed alike. ``MelSpectrogram`` has no weights; both are differentiable with respect
to their input.

Example:
    >>> import numpy as np
    >>> from fnlearn.keras import layers
    >>> signal = np.random.default_rng(0).normal(size=(2, 400, 1))
    >>> layers.STFTSpectrogram(frame_length=64, frame_step=32)(signal).shape
    (2, 11, 33)
    >>> layers.MelSpectrogram(fft_length=128, sequence_stride=64, num_mel_bins=20)(signal[..., 0]).shape
    (2, 20, 7)
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..tensor import Parameter, Tensor
from . import initializers
from .layers import LAYERS, Layer, _reject_unknown_kwargs, as_input

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")
_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _whole(value: Any, owner: str, name: str, example: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{owner} got {name}={value!r}; it takes a whole number of at least 1, e.g. {example}.")
    return int(value)


def _number(value: Any, owner: str, name: str, expected: str, low: float = -math.inf,
            above: bool = False) -> float:
    """``value`` as a finite float at least ``low`` (above it where ``above``), or one ConfigError sentence."""
    ok = not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, float, np.integer, np.floating)) \
        and math.isfinite(value) and (value > low if above else value >= low)
    if not ok:
        raise ConfigError(f"{owner} got {name}={value!r}; it takes {expected}.")
    return float(value)


def _flag(value: Any, owner: str, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"{owner} got {name}={value!r}; it takes True or False.")
    return bool(value)


class STFTSpectrogram(Layer):
    """The short-time Fourier transform of signals as a layer, Keras's ``layers.STFTSpectrogram``: frames of
    ``frame_length`` samples, ``frame_step`` apart (half a frame by default), each channel's frames multiplied by
    trainable cosine and sine kernels (the windowed Fourier basis of ``fft_length`` points, the next power of two
    by default, at the start), ``padding`` "valid" or "same" as a convolution's. ``mode`` gives the log magnitude
    ("log"), the magnitude, the power spectral density ("psd", the inner bins counted twice), the real or
    imaginary part, the phase ("angle"), or the real and imaginary parts side by side ("stft").

    Inputs (batch, time, channels) give (batch, frames, channels · bins), or with ``expand_dims`` (batch, frames,
    bins, channels); ``data_format="channels_first"`` takes (batch, channels, time) and gives (batch, channels ·
    bins, frames) or (batch, channels, frames, bins).

    >>> import numpy as np, fnlearn as fl
    >>> layer = fl.layers.STFTSpectrogram(mode="magnitude", frame_length=8, frame_step=8, window=None,
    ...                                   scaling=None)
    >>> out = layer(np.ones((1, 16, 1))).numpy()
    >>> out.shape, out[0, :, 0].tolist()  # two frames, five frequencies: a constant is all frequency 0
    ((1, 2, 5), [8.0, 8.0])
    >>> [name for name, _ in layer.named_parameters()]
    ['real_kernel', 'imag_kernel']
    """

    def __init__(self, mode: str = "log", frame_length: int = 256, frame_step: int | None = None,
                 fft_length: int | None = None, window: Any = "hann", periodic: bool = False,
                 scaling: str | None = "density", padding: str = "valid", expand_dims: bool = False,
                 data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        owner = "STFTSpectrogram"
        _reject_unknown_kwargs(owner, kwargs, allow=("input_shape",))
        self.frame_length = _whole(frame_length, owner, "frame_length", "frame_length=256")
        if frame_step is not None and (_whole(frame_step, owner, "frame_step", "frame_step=128") > frame_length):
            raise ConfigError(f"{owner} got frame_step={frame_step} longer than frame_length={frame_length}, which "
                              "would skip samples; give a frame_step of at most frame_length.")
        if fft_length is not None and _whole(fft_length, owner, "fft_length", "fft_length=512") < frame_length:
            raise ConfigError(f"{owner} got fft_length={fft_length} shorter than frame_length={frame_length}; give "
                              "fft_length >= frame_length (or leave it out: the next power of two).")
        if fft_length is not None and fft_length & (fft_length - 1):
            warnings.warn(f"`fft_length` is recommended to be a power of two. Received fft_length={fft_length}",
                          stacklevel=2)
        if mode not in _MODES:
            raise ConfigError(f"{owner} got mode={mode!r}; it takes one of {', '.join(map(repr, _MODES))}.")
        if scaling not in (None, "density", "spectrum"):
            raise ConfigError(f"{owner} got scaling={scaling!r}; it takes 'density' (the window's L2 norm), "
                              "'spectrum' (its sum) or None.")
        if padding not in ("valid", "same"):
            raise ConfigError(f"{owner} got padding={padding!r}; it takes 'valid' (whole frames only) or 'same' "
                              "(zeros around: frames = ceil(time / frame_step)).")
        if data_format not in (None, "channels_last", "channels_first"):
            raise ConfigError(f"{owner} got data_format={data_format!r}; it takes 'channels_last' (batch, time, "
                              "channels) or 'channels_first' (batch, channels, time).")
        self.window = initializers.check_window(window, owner)
        self.periodic = _flag(periodic, owner, "periodic")
        self.expand_dims = _flag(expand_dims, owner, "expand_dims")
        self.mode, self.scaling, self.padding = mode, scaling, padding
        self.frame_step, self.fft_length = frame_step, fft_length
        self.data_format = data_format or "channels_last"
        self._frame_step = int(frame_step or self.frame_length // 2)
        if self._frame_step < 1:
            raise ConfigError(f"{owner} got frame_length={frame_length} and no frame_step, whose default, half a "
                              "frame, is 0 samples; give frame_step=1.")
        self._fft_length = int(fft_length or 2 ** int(math.ceil(math.log2(self.frame_length))))
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.real_kernel: Parameter | None = None
        self.imag_kernel: Parameter | None = None

    @property
    def bins(self) -> int:
        """The frequencies of each frame's transform, fft_length // 2 + 1."""
        return self._fft_length // 2 + 1

    def build(self, input_shape: tuple[int, ...] | None = None) -> None:
        shape = (self.frame_length, 1, self.bins)
        with backend.using_dtype(self.dtype):
            if self.mode != "imag":
                init = initializers.STFT("real", self.window, self.scaling, self.periodic)
                self.real_kernel = Parameter(init(shape), name="real_kernel")
            if self.mode != "real":
                init = initializers.STFT("imag", self.window, self.scaling, self.periodic)
                self.imag_kernel = Parameter(init(shape), name="imag_kernel")
        self.built = True

    def _time_and_channels(self, shape: tuple[Any, ...]) -> tuple[Any, Any]:
        if len(shape) != 2:
            takes = "(time, channels)" if self.data_format == "channels_last" else "(channels, time)"
            raise ShapeError(f"STFTSpectrogram layer {self.name!r} takes signals of shape (batch, {takes[1:]}, got "
                             f"samples of shape {tuple(shape)}; add a channels axis, e.g. x[..., None].")
        return (shape[0], shape[1]) if self.data_format == "channels_last" else (shape[1], shape[0])

    def _frames_and_padding(self, time: int) -> tuple[int, int, int]:
        """(frames, zeros before, zeros after) for signals of ``time`` samples, as a strided convolution pads."""
        step, length = self._frame_step, self.frame_length
        if self.padding == "same":
            count = -(-time // step)
            total = max((count - 1) * step + length - time, 0)
            return count, total // 2, total - total // 2
        if time < length:
            raise ShapeError(f"STFTSpectrogram layer {self.name!r} got signals of {time} samples, shorter than one "
                             f"frame of frame_length={length}; give longer signals or padding='same'.")
        return (time - length) // step + 1, 0, 0

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        time, channels = self._time_and_channels(tuple(input_shape))
        count = None if time is None else self._frames_and_padding(int(time))[0]
        bins = self.bins * (2 if self.mode == "stft" else 1)
        if self.expand_dims:
            return (count, bins, channels) if self.data_format == "channels_last" else (channels, count, bins)
        features = None if channels is None else channels * bins
        return (count, features) if self.data_format == "channels_last" else (features, count)

    def _transform(self, signals: Tensor, kernel: Tensor, at: Any) -> Tensor:
        """Each frame of ``signals`` (rows, time) times ``kernel``: (rows, frames, bins)."""
        frames = F.getitem(signals, (slice(None), at))
        return F.matmul(frames, F.reshape(kernel, (self.frame_length, self.bins)))

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, np.dtype(self.dtype), self.name)
        if x.ndim != 3:
            layout = "(batch, time, channels)" if self.data_format == "channels_last" else "(batch, channels, time)"
            raise ShapeError(f"STFTSpectrogram layer {self.name!r} takes signals of shape {layout}, got shape "
                             f"{x.shape}; add the missing axes, e.g. x[..., None] for one channel.")
        time, channels = self._time_and_channels(x.shape[1:])
        count, before, after = self._frames_and_padding(time)
        if not self.built:
            self.build(x.shape[1:])
        batch = x.shape[0]
        signals = F.transpose(x, (0, 2, 1)) if self.data_format == "channels_last" else x
        signals = F.reshape(signals, (batch * channels, time))
        if before or after:
            signals = F.pad(signals, ((0, 0), (before, after)))
        at = backend.to_device(np.arange(count)[:, None] * self._frame_step + np.arange(self.frame_length))
        real = None if self.real_kernel is None else self._transform(signals, self.real_kernel, at)
        imag = None if self.imag_kernel is None else self._transform(signals, self.imag_kernel, at)
        if self.mode == "real":
            out = real
        elif self.mode == "imag":
            out = imag
        elif self.mode == "angle":
            from ..keras.ops import arctan2

            out = arctan2(imag, real)
        elif self.mode == "stft":
            out = F.concatenate([real, imag], axis=-1)
        else:
            power = F.add(F.mul(real, real), F.mul(imag, imag))
            if self.mode == "psd":  # the inner bins stand for their mirror images too
                inner = F.pad(F.getitem(power, (..., slice(1, -1))), ((0, 0), (0, 0), (1, 1)))
                out = F.add(power, inner)
            else:
                out = F.sqrt(F.maximum(power, backend.epsilon()))
                if self.mode == "log":
                    out = F.log(F.maximum(out, backend.epsilon()))
        return self._arrange(F.reshape(out, (batch, channels, count, out.shape[-1])))

    def _arrange(self, out: Tensor) -> Tensor:
        """(batch, channels, frames, bins) in the layout of ``data_format`` and ``expand_dims``."""
        batch, channels, count, bins = out.shape
        if self.data_format == "channels_last":
            if self.expand_dims:
                return F.transpose(out, (0, 2, 3, 1))
            return F.reshape(F.transpose(out, (0, 2, 1, 3)), (batch, count, channels * bins))
        if self.expand_dims:
            return out
        return F.reshape(F.transpose(out, (0, 1, 3, 2)), (batch, channels * bins, count))

    def get_config(self) -> dict[str, Any]:
        window = self.window.tolist() if isinstance(self.window, np.ndarray) else self.window
        return {**super().get_config(), "mode": self.mode, "frame_length": self.frame_length,
                "frame_step": self.frame_step, "fft_length": self.fft_length, "window": window,
                "periodic": self.periodic, "scaling": self.scaling, "padding": self.padding,
                "data_format": self.data_format, "expand_dims": self.expand_dims}


class MelSpectrogram(Layer):
    """Mel spectrograms of audio signals, Keras's ``layers.MelSpectrogram``: the magnitude of
    :func:`fnlearn.keras.ops.stft` (frames of ``fft_length`` samples, ``sequence_stride`` apart, centred, the
    ``window`` ``sequence_length`` samples long) to the power ``mag_exp``, summed into ``num_mel_bins``
    triangular bands evenly spaced on the mel scale from ``min_freq`` to ``max_freq`` Hz (HTK's mel, as Keras's),
    and with ``power_to_db`` in decibels relative to ``ref_power``, floored ``top_db`` below the largest value
    of the batch. Signals (batch, samples) give (batch, num_mel_bins, frames); one signal (samples,) gives
    (num_mel_bins, frames).

    >>> import numpy as np, fnlearn as fl
    >>> tone = np.sin(2 * np.pi * 1000 * np.arange(2048) / 8000)
    >>> mel = fl.layers.MelSpectrogram(fft_length=256, sequence_stride=128, sampling_rate=8000, num_mel_bins=16)
    >>> spec = mel(tone).numpy()
    >>> spec.shape, int(spec[:, 8].argmax())  # the band of 1 kHz is the loudest
    ((16, 17), 7)
    """

    def __init__(self, fft_length: int = 2048, sequence_stride: int = 512, sequence_length: int | None = None,
                 window: Any = "hann", sampling_rate: int = 16000, num_mel_bins: int = 128, min_freq: float = 20.0,
                 max_freq: float | None = None, power_to_db: bool = True, top_db: float = 80.0,
                 mag_exp: float = 2.0, min_power: float = 1e-10, ref_power: float = 1.0, name: str | None = None,
                 **kwargs: Any) -> None:
        owner = "MelSpectrogram"
        _reject_unknown_kwargs(owner, kwargs, allow=("input_shape",))
        self.fft_length = _whole(fft_length, owner, "fft_length", "fft_length=2048")
        self.sequence_stride = _whole(sequence_stride, owner, "sequence_stride", "sequence_stride=512")
        self.sequence_length = self.fft_length if sequence_length is None else \
            _whole(sequence_length, owner, "sequence_length", "sequence_length=1024")
        if self.fft_length < self.sequence_length:
            raise ConfigError(f"{owner} got fft_length={fft_length} shorter than sequence_length={sequence_length}; "
                              "give fft_length >= sequence_length (or leave sequence_length out: fft_length).")
        if isinstance(window, str) and window not in ("hann", "hamming"):
            raise ConfigError(f"{owner} got window={window!r}; it takes 'hann', 'hamming', None (no window) or the "
                              f"window's {self.sequence_length} values.")
        window = initializers.check_window(window, owner)
        if isinstance(window, np.ndarray) and window.shape != (self.sequence_length,):
            raise ConfigError(f"{owner} got a window of {window.shape[0]} values for frames of "
                              f"sequence_length={self.sequence_length} samples; give one value per sample.")
        self.window = window
        _number(sampling_rate, owner, "sampling_rate", "the samples per second, a number > 0", 0.0, above=True)
        self.sampling_rate = sampling_rate  # kept as given: the config shows it as Keras's does
        self.num_mel_bins = _whole(num_mel_bins, owner, "num_mel_bins", "num_mel_bins=128")
        self.min_freq = _number(min_freq, owner, "min_freq", "a frequency in Hz >= 0", 0.0)
        self.max_freq = max_freq or int(sampling_rate / 2)
        top = _number(self.max_freq, owner, "max_freq", "a frequency in Hz above min_freq (or None: half the "
                      "sampling_rate)", self.min_freq, above=True)
        if top > sampling_rate / 2:
            raise ConfigError(f"{owner} got max_freq={top} above half the sampling_rate ({sampling_rate / 2}), "
                              "where a signal has no frequencies; give max_freq <= sampling_rate / 2.")
        self.power_to_db = _flag(power_to_db, owner, "power_to_db")
        self.top_db = _number(top_db, owner, "top_db", "the decibels kept below the loudest value, a number >= 0",
                              0.0)
        self.mag_exp = _number(mag_exp, owner, "mag_exp", "the power of the magnitude, a number > 0 (2 for power)",
                               0.0, above=True)
        self.min_power = _number(min_power, owner, "min_power", "the power's floor, a number > 0", 0.0, above=True)
        self.ref_power = _number(ref_power, owner, "ref_power", "the power of 0 dB, a finite number")
        self.top_db, self.mag_exp, self.min_power, self.ref_power = top_db, mag_exp, min_power, ref_power
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    def linear_to_mel_weight_matrix(self, num_mel_bins: int = 20, num_spectrogram_bins: int = 129,
                                    sampling_rate: float = 8000, lower_edge_hertz: float = 125.0,
                                    upper_edge_hertz: float = 3800.0, dtype: Any = "float32") -> Tensor:
        """The (num_spectrogram_bins, num_mel_bins) matrix that sums a linear spectrum's bins into mel bands,
        HTK's triangles of peak 1 (the first, constant bin left out), as Keras's method of the same name.

        >>> m = MelSpectrogram().linear_to_mel_weight_matrix(4, 9, 8000, 100.0, 3000.0).numpy()
        >>> m.shape, float(m[0].sum()), bool((m <= 1).all())
        ((9, 4), 0.0, True)
        """
        def mel(hertz: Any) -> Any:
            return _MEL_HIGH_FREQUENCY_Q * np.log(1.0 + np.asarray(hertz, np.float64) / _MEL_BREAK_FREQUENCY_HERTZ)

        bins_mel = mel(np.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins)[1:])[:, None]
        edges = np.linspace(mel(lower_edge_hertz), mel(upper_edge_hertz), num_mel_bins + 2)
        lower, center, upper = edges[None, :-2], edges[None, 1:-1], edges[None, 2:]
        with np.errstate(divide="ignore", invalid="ignore"):
            weights = np.maximum(0.0, np.minimum((bins_mel - lower) / (center - lower),
                                                 (upper - bins_mel) / (upper - center)))
        weights = np.pad(weights, ((1, 0), (0, 0)))
        return Tensor(backend.to_device(weights.astype(np.dtype(dtype))))

    def _frames(self, samples: int) -> int:
        return 1 + (samples + 2 * (self.fft_length // 2) - self.fft_length) // self.sequence_stride

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        shape = tuple(input_shape)
        if len(shape) != 1:
            raise ShapeError(f"MelSpectrogram layer {self.name!r} takes signals of shape (batch, samples), got "
                             f"samples of shape {shape}; give one row of samples per signal.")
        return self.num_mel_bins, None if shape[0] is None else self._frames(int(shape[0]))

    def forward(self, x: Any) -> Tensor:
        from ..keras.ops_audio import stft

        x = as_input(x, np.dtype(self.dtype), self.name)
        if x.ndim not in (1, 2):
            raise ShapeError(f"MelSpectrogram layer {self.name!r} takes signals of shape (batch, samples) or one "
                             f"signal (samples,), got shape {x.shape}; drop the channels axis, e.g. x[..., 0].")
        real, imag = stft(x, self.sequence_length, self.sequence_stride, self.fft_length, self.window, center=True)
        spec = F.pow(F.sqrt(F.add(F.mul(real, real), F.mul(imag, imag))), self.mag_exp)
        matrix = self.linear_to_mel_weight_matrix(self.num_mel_bins, spec.shape[-1], self.sampling_rate,
                                                  self.min_freq, self.max_freq, self.dtype)
        out = F.matmul(spec, matrix)
        if self.power_to_db:
            out = F.mul(F.log(F.maximum(out, self.min_power)), 10.0 / math.log(10.0))
            out = F.sub(out, 10.0 * math.log10(max(abs(self.ref_power), self.min_power)))
            out = F.maximum(out, F.sub(F.max(out), self.top_db))  # below the loudest of the whole batch
        return F.transpose(out, (*range(out.ndim - 2), out.ndim - 1, out.ndim - 2))

    def get_config(self) -> dict[str, Any]:
        window = self.window.tolist() if isinstance(self.window, np.ndarray) else self.window
        return {**super().get_config(), "fft_length": self.fft_length, "sequence_stride": self.sequence_stride,
                "sequence_length": self.sequence_length, "window": window, "sampling_rate": self.sampling_rate,
                "num_mel_bins": self.num_mel_bins, "min_freq": self.min_freq, "max_freq": self.max_freq,
                "power_to_db": self.power_to_db, "top_db": self.top_db, "mag_exp": self.mag_exp,
                "min_power": self.min_power, "ref_power": self.ref_power}


AUDIO: dict[str, type[Layer]] = {"STFTSpectrogram": STFTSpectrogram, "MelSpectrogram": MelSpectrogram}
LAYERS.update(AUDIO)  # the classes a model file may name

__all__ = ["STFTSpectrogram", "MelSpectrogram"]
