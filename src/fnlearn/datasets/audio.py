"""A folder of ``.wav`` files as a dataset: Keras's ``keras.utils.audio_dataset_from_directory``.

The files are listed, ordered, shuffled and split by the rules of ``image_dataset_from_directory`` (Keras 3's: one
subfolder per class, sorted; ``validation_split`` holds out the last files). A batch reads its files when the loop
asks for it, with Python's own ``wave`` module (no other package): each file's samples as float32 in [−1, 1), as
Keras's decoder gives them (16-bit samples divided by 32768; 8-, 24- and 32-bit PCM likewise), shaped (steps,
channels). A batch is (batch, steps, channels): every clip cut or zero-padded at its end to
``output_sequence_length``, or, without one, padded to the batch's longest clip, as Keras pads them.

Example:
    >>> import os, tempfile, wave, numpy as np
    >>> root = tempfile.mkdtemp()
    >>> for name, n in (("no", 3), ("yes", 5)):
    ...     os.makedirs(os.path.join(root, name))
    ...     with wave.open(os.path.join(root, name, "1.wav"), "wb") as f:
    ...         f.setnchannels(1); f.setsampwidth(2); f.setframerate(8000)
    ...         f.writeframes(np.full(n, 16384, np.int16).tobytes())
    >>> ds = audio_dataset_from_directory(root, batch_size=2, shuffle=False)
    Found 2 files belonging to 2 classes.
    >>> audio, labels = next(iter(ds))
    >>> audio.shape, audio[0, :, 0].tolist(), labels.tolist()
    ((2, 5, 1), [0.5, 0.5, 0.5, 0.0, 0.0], [0, 1])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError, DatasetError
from ._directory import dataset_from_directory, whole

AUDIO_FORMATS = (".wav",)


def _read_wav(path: str) -> tuple[np.ndarray, int]:
    """(the file's samples as float32 (steps, channels) in [−1, 1), its sampling rate)."""
    import wave

    try:
        with wave.open(path, "rb") as file:
            width, channels, rate = file.getsampwidth(), file.getnchannels(), file.getframerate()
            raw = file.readframes(file.getnframes())
    except (OSError, EOFError, wave.Error) as exc:
        raise DatasetError(f"audio_dataset_from_directory cannot read {path!r} as a PCM .wav file ({exc}); "
                           "convert it to 16-bit PCM WAV, or move it out of the folder.") from None
    if width == 1:  # 8-bit samples are unsigned, centred on 128
        samples = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 3:  # 24-bit little-endian: widened to 32 bits, the sign carried by the top byte
        bytes3 = np.frombuffer(raw, np.uint8).reshape(-1, 3)
        wide = np.zeros((len(bytes3), 4), np.uint8)
        wide[:, 1:] = bytes3
        samples = wide.view("<i4")[:, 0].astype(np.float32) / 2.0 ** 31
    else:
        samples = np.frombuffer(raw, f"<i{width}").astype(np.float32) / 2.0 ** (8 * width - 1)
    return samples.reshape(-1, channels), rate


def audio_dataset_from_directory(directory: Any, labels: Any = "inferred", label_mode: str | None = "int",
                                 class_names: Sequence[str] | None = None, batch_size: int | None = 32,
                                 sampling_rate: int | None = None, output_sequence_length: int | None = None,
                                 ragged: bool = False, shuffle: bool = True, seed: int | None = None,
                                 validation_split: float | None = None, subset: str | None = None,
                                 follow_links: bool = False, verbose: bool = True) -> Any:
    """A :class:`fnlearn.pipeline.Dataset` of ``(audio, labels)`` batches from a folder with one subfolder of
    ``.wav`` files per class, as Keras 3's ``keras.utils.audio_dataset_from_directory`` makes it (see the module's
    description for the samples and the padding).

    Args:
        directory: the folder; with ``labels="inferred"`` it holds one subfolder per class.
        labels: ``"inferred"`` (class = subfolder), None (audio only) or a list of integer labels, one per
            ``.wav`` file in the sorted order of their paths.
        label_mode: ``"int"``, ``"categorical"``, ``"binary"`` or None, as ``image_dataset_from_directory``.
        class_names: the subfolders to read, in the order of their labels (default: all, sorted).
        batch_size: clips per batch (default 32); None yields single clips.
        sampling_rate: the files' sampling rate, checked against each file (fnlearn does not resample; Keras
            resamples with TensorFlow I/O); None takes the files' own.
        output_sequence_length: every clip cut or zero-padded to this many steps; None pads each batch to its
            longest clip.
        ragged: must stay False: fnlearn has no ragged tensors (the padded batches, or ``output_sequence_length``,
            hold clips of different lengths).
        shuffle, seed, validation_split, subset, follow_links, verbose: as ``image_dataset_from_directory``.

    Returns:
        The dataset, with ``class_names`` and ``file_paths``; for ``subset="both"`` a list of two.
    """
    who = "audio_dataset_from_directory"
    if output_sequence_length is not None:
        output_sequence_length = whole(output_sequence_length, f"{who} output_sequence_length", 1,
                                       "output_sequence_length=16000 (one second at 16 kHz)")
    if sampling_rate is not None:
        sampling_rate = whole(sampling_rate, f"{who} sampling_rate", 1, "sampling_rate=16000")
    if ragged:
        raise ConfigError(f"{who} got ragged=True, but fnlearn has no ragged tensors; leave ragged=False: each batch "
                          "is padded to its longest clip, or give output_sequence_length to cut or pad every clip.")

    def read(paths: list[str]) -> np.ndarray:
        """The clips at ``paths``: one float32 array of fixed-length clips, or an object array of clips."""
        clips = []
        for path in paths:
            samples, rate = _read_wav(path)
            if sampling_rate is not None and rate != sampling_rate:
                raise DatasetError(f"{path!r} is sampled at {rate} Hz, but {who} was given sampling_rate="
                                   f"{sampling_rate} and fnlearn does not resample; resample the files, or leave "
                                   "sampling_rate=None.")
            if clips and samples.shape[1] != clips[0].shape[1]:
                raise DatasetError(f"{path!r} has {samples.shape[1]} channel(s) where {paths[0]!r} has "
                                   f"{clips[0].shape[1]}; give every file of the folder the same channels.")
            if output_sequence_length is not None:
                samples = samples[:output_sequence_length]
                samples = np.pad(samples, ((0, output_sequence_length - len(samples)), (0, 0)))
            clips.append(samples)
        if output_sequence_length is not None:
            return np.stack(clips) if clips else np.zeros((0, output_sequence_length, 1), np.float32)
        held = np.empty(len(clips), dtype=object)  # of different lengths: padded_batch pads each batch
        for position, clip in enumerate(clips):
            held[position] = clip
        return held

    return dataset_from_directory(directory, labels, label_mode, class_names, batch_size, shuffle, seed,
                                  validation_split, subset, follow_links, "tf", verbose, who=who,
                                  formats=AUDIO_FORMATS, kind=".wav", noun="audio files", read=read,
                                  padded=output_sequence_length is None)


__all__ = ["audio_dataset_from_directory", "AUDIO_FORMATS"]
