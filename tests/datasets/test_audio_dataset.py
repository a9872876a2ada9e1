"""keras.utils.audio_dataset_from_directory: .wav files decoded as Keras's decoder gives them, batches padded or
cut as Keras pads them, the folder's rules shared with the other *_dataset_from_directory loaders."""

from __future__ import annotations

import re
import wave

import numpy as np
import pytest

import fnlearn as fl
from fnlearn.errors import ConfigError, DatasetError
from fnlearn.keras.utils import audio_dataset_from_directory


def _wav(path, samples, width=2, rate=8000):
    """Write ``samples`` (steps, channels) of raw integers of ``width`` bytes as a PCM .wav file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = np.asarray(samples).reshape(len(samples), -1)
    if width == 3:
        raw = samples.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    else:
        raw = samples.astype(np.uint8 if width == 1 else f"<i{width}").tobytes()
    with wave.open(str(path), "wb") as file:
        file.setnchannels(samples.shape[1])
        file.setsampwidth(width)
        file.setframerate(rate)
        file.writeframes(raw)


@pytest.fixture
def folder(tmp_path):
    rng = np.random.default_rng(0)
    clips = {"no/a.wav": rng.integers(-32768, 32768, 5), "no/b.wav": rng.integers(-32768, 32768, 2),
             "yes/c.wav": rng.integers(-32768, 32768, 7), "yes/d.wav": rng.integers(-32768, 32768, 3)}
    for name, samples in clips.items():
        _wav(tmp_path / name, samples)
    return tmp_path, {name: (s / 32768.0).astype(np.float32) for name, s in clips.items()}


def test_batches_are_padded_to_their_longest_clip(folder):
    root, clips = folder
    ds = audio_dataset_from_directory(root, batch_size=2, shuffle=False, verbose=False)
    batches = list(ds)
    assert [b[0].shape for b in batches] == [(2, 5, 1), (2, 7, 1)] and ds.class_names == ["no", "yes"]
    np.testing.assert_array_equal(batches[0][0][1, :, 0], np.pad(clips["no/b.wav"], (0, 3)))
    np.testing.assert_array_equal(batches[1][0][0, :, 0], clips["yes/c.wav"])
    assert [b[1].tolist() for b in batches] == [[0, 0], [1, 1]] and batches[0][0].dtype == np.float32


def test_output_sequence_length_cuts_and_pads_every_clip_and_a_model_trains_on_them(folder):
    root, clips = folder
    ds = audio_dataset_from_directory(root, batch_size=3, output_sequence_length=4, label_mode="categorical",
                                      shuffle=False, verbose=False)
    audio, labels = next(iter(ds))
    assert audio.shape == (3, 4, 1) and labels.shape == (3, 2)
    order = [p.replace(str(root) + "/", "") for p in ds.file_paths]
    expected = [np.pad(clips[name][:4], (0, max(0, 4 - len(clips[name])))) for name in order]
    got = [a for batch, _ in ds for a in batch[:, :, 0]]
    np.testing.assert_array_equal(np.stack(got), np.stack(expected))
    model = fl.keras.Sequential([fl.keras.Input((4, 1)), fl.keras.layers.Flatten(),
                                 fl.keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    shuffled = audio_dataset_from_directory(root, batch_size=3, output_sequence_length=4, label_mode="categorical",
                                            seed=1, verbose=False)
    assert len(model.fit(shuffled, epochs=2, verbose=0).history["loss"]) == 2


@pytest.mark.parametrize("width, raw, expected", [
    (1, [0, 64, 128, 255], [-1.0, -0.5, 0.0, 127 / 128]),
    (3, [-2 ** 23, -2 ** 22, 0, 2 ** 23 - 1], [-1.0, -0.5, 0.0, (2 ** 23 - 1) / 2 ** 23]),
    (4, [-2 ** 31, 2 ** 30, 0, 1], [-1.0, 0.5, 0.0, 2.0 ** -31]),
])
def test_8_24_and_32_bit_samples_are_read_in_minus_one_to_one(tmp_path, width, raw, expected):
    _wav(tmp_path / "a" / "x.wav", np.array(raw), width=width)
    (audio, _), = audio_dataset_from_directory(tmp_path, shuffle=False, verbose=False)
    np.testing.assert_allclose(audio[0, :, 0], expected, rtol=0, atol=1e-7)


def test_stereo_clips_keep_their_channels_and_a_matching_sampling_rate_is_taken(tmp_path):
    _wav(tmp_path / "a" / "x.wav", np.array([[1, -1], [2, -2], [3, -3]]) * 8192, rate=16000)
    (audio, _), = audio_dataset_from_directory(tmp_path, sampling_rate=16000, verbose=False)
    np.testing.assert_array_equal(audio[0], np.array([[1, -1], [2, -2], [3, -3]]) / 4.0)


def test_bad_settings_and_files_are_refused_in_one_sentence(folder, tmp_path_factory):
    root, _ = folder
    with pytest.raises(ConfigError, match="ragged=True, but fnlearn has no ragged tensors"):
        audio_dataset_from_directory(root, ragged=True)
    with pytest.raises(DatasetError, match=re.escape("is sampled at 8000 Hz, but audio_dataset_from_directory was "
                                                     "given sampling_rate=16000 and fnlearn does not resample")):
        list(audio_dataset_from_directory(root, sampling_rate=16000, verbose=False))
    other = tmp_path_factory.mktemp("mixed")
    _wav(other / "a" / "1.wav", np.zeros(3))
    _wav(other / "a" / "2.wav", np.zeros((3, 2)))
    with pytest.raises(DatasetError, match="has 2 channel\\(s\\) where .*1.wav' has 1; give every file"):
        list(audio_dataset_from_directory(other, shuffle=False, verbose=False))
    (other / "a" / "2.wav").write_bytes(b"RIFF not really")
    with pytest.raises(DatasetError, match="cannot read .*2.wav' as a PCM .wav file"):
        list(audio_dataset_from_directory(other, shuffle=False, verbose=False))
