"""The fuzz factor ε (backend.epsilon / set_epsilon, Keras's ``keras.config.set_epsilon``): every place Keras reads
``backend.epsilon()`` — probabilities clipped before a log, denominators that may be 0, norm floors — reads fnlearn's
setting when it computes, and gives real Keras's numbers with the same ε; a bad value is one sentence that changes
nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn import backend, keras
from fnlearn.errors import ConfigError

LARGE = 1e-2  # an ε that shows: each case below comes out differently under it than under Keras's default 1e-7

Y = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
P = np.array([[1.0, 0.0], [0.3, 0.7]], np.float32)  # saturated probabilities: the clip decides the loss
SMALL = np.array([[0.003, 0.004], [0.3, -0.4]], np.float32)  # a row whose norm (0.005) is below the large ε
ROWS = np.array([[0.0, 0.01, 0.02], [1.0, 2.0, 4.0]], np.float32)  # a row whose variance is below the large ε


def _metric(name: str, y: Any, p: Any, **kwargs: Any) -> Callable[[Any], Any]:
    def run(k: Any) -> Any:
        m = getattr(k.metrics, name)(**kwargs)
        m.update_state(y, p)
        return m.result()
    return run


def _masked_batch_norm(k: Any) -> Any:
    x = np.array([[[1.0, 2.0], [3.0, 5.0], [7.0, -1.0]]], np.float32)
    layer = k.layers.BatchNormalization(momentum=0.5)
    out = layer(x, training=True, mask=np.array([[True, False, False]]))  # one real row: μ = x / (1 + ε)
    return np.concatenate([_host(k, out).ravel(), *(_host(k, w).ravel() for w in layer.get_weights())])


CASES: dict[str, Callable[[Any], Any]] = {
    "binary_crossentropy": lambda k: k.losses.binary_crossentropy(Y, P),
    "categorical_crossentropy": lambda k: k.losses.categorical_crossentropy(Y, P),
    "sparse_categorical_crossentropy": lambda k: k.losses.sparse_categorical_crossentropy(np.array([0, 1]), P),
    "binary_focal_crossentropy": lambda k: k.losses.binary_focal_crossentropy(Y, P[::-1].copy()),  # sure and wrong
    "categorical_focal_crossentropy": lambda k: k.losses.categorical_focal_crossentropy(Y, P),
    "kl_divergence": lambda k: k.losses.kl_divergence(Y, P),
    "poisson": lambda k: k.losses.poisson(Y, P),
    "mean_absolute_percentage_error": lambda k: k.losses.mean_absolute_percentage_error(
        np.array([[0.0, 0.005]]), np.array([[0.5, 1.0]])),
    "mean_squared_logarithmic_error": lambda k: k.losses.mean_squared_logarithmic_error(
        np.array([[-1.0, 0.0]]), np.array([[0.0, 0.002]])),
    "cosine_similarity": lambda k: k.losses.cosine_similarity(SMALL, np.ones((2, 2), np.float32)),
    "dice": lambda k: k.losses.Dice()(np.array([[0.001, 0.0]]), np.array([[0.002, 0.001]])),
    "tversky": lambda k: k.losses.Tversky(alpha=0.3, beta=0.7)(np.array([[0.001, 0.0]]), np.array([[0.002, 0.001]])),
    "ops.binary_crossentropy": lambda k: k.ops.binary_crossentropy(Y, P),
    "ops.categorical_crossentropy": lambda k: k.ops.categorical_crossentropy(Y, P),
    "ops.normalize": lambda k: k.ops.normalize(SMALL),
    "ops.layer_normalization": lambda k: k.ops.layer_normalization(ROWS),
    "ops.rms_normalization": lambda k: k.ops.rms_normalization(ROWS * 0.01),
    "F1Score": _metric("F1Score", Y, P),
    "FBetaScore weighted": _metric("FBetaScore", Y, P, average="weighted", beta=2.0, threshold=0.5),
    "MeanIoU": _metric("MeanIoU", np.array([0, 1, 1]), np.array([0, 0, 1]), num_classes=2),
    "CosineSimilarity": _metric("CosineSimilarity", SMALL, np.ones((2, 2), np.float32)),
    "ConcordanceCorrelation": _metric("ConcordanceCorrelation", ROWS[:1] * 0.1, ROWS[:1] * 0.2),
    "MaxNorm": lambda k: k.constraints.MaxNorm(1.0, axis=1)(SMALL),
    "UnitNorm": lambda k: k.constraints.UnitNorm(axis=1)(SMALL),
    "MinMaxNorm": lambda k: k.constraints.MinMaxNorm(0.0, 1.0, axis=1)(SMALL),
    # a weight as a layer holds it (given a NumPy array, Keras's normalize divides by the plain norm)
    "OrthogonalRegularizer": lambda k: k.regularizers.OrthogonalRegularizer(1.0)(k.ops.convert_to_tensor(
        np.array([[0.003, 0.004, 0.0], [0.001, 0.0, 0.002], [1.0, 0.5, 0.2]], np.float32))),
    "Dot normalize": lambda k: k.layers.Dot(axes=1, normalize=True)([SMALL, np.ones((2, 2), np.float32)]),
    "Normalization of a constant feature": lambda k: k.layers.Normalization(mean=[0.5, 1.0], variance=[0.0, 4.0])(
        np.array([[0.51, 3.0]], np.float32)),
    "masked BatchNormalization": _masked_batch_norm,
    "RandomSaturation's factor": lambda k: k.layers.RandomSaturation((0.5, 0.5), value_range=(0, 1), seed=1)
    .get_random_transformation(np.full((2, 3, 3, 3), 0.5, np.float32), training=True)["factor"],
    "STFTSpectrogram in log": lambda k: k.layers.STFTSpectrogram(mode="log", frame_length=8, frame_step=4,
                                                                 fft_length=8)(
        np.linspace(-1e-3, 1e-3, 32, dtype=np.float32).reshape(1, 32, 1)),
}


def _host(k: Any, value: Any) -> np.ndarray:
    if k is keras:
        data = value.data if isinstance(value, fl.Tensor) else value
        return np.asarray(backend.to_numpy(data) if backend.is_array(data) else data, dtype=np.float64)
    return np.asarray(k.ops.convert_to_numpy(value), dtype=np.float64)


@contextmanager
def fuzz(real: Any, value: float) -> Iterator[None]:
    """ε set to ``value`` in fnlearn and in real Keras, both put back after (a process-wide setting there too)."""
    ours, theirs = backend.epsilon(), real.config.epsilon()
    backend.set_epsilon(value)
    real.config.set_epsilon(value)
    try:
        yield
    finally:
        backend.set_epsilon(ours)
        real.config.set_epsilon(theirs)


@pytest.mark.parametrize("case", list(CASES))
def test_each_use_of_the_fuzz_factor_gives_keras_numbers_with_the_same_epsilon(case):
    real = real_keras()
    run = CASES[case]
    default = _host(keras, run(keras))
    with fuzz(real, LARGE):
        ours, theirs = _host(keras, run(keras)), _host(real, run(real))
    np.testing.assert_allclose(ours, theirs, rtol=2e-5, atol=1e-6)
    assert not np.allclose(ours, default, rtol=1e-4, atol=0), "the case does not show ε; make it one that does"
    np.testing.assert_allclose(_host(keras, run(keras)), default, rtol=1e-6)  # read when used: back as before


def test_set_epsilon_is_keras_config_and_backend_and_reads_back():
    assert backend.epsilon() == keras.config.epsilon() == keras.backend.epsilon() == 1e-7
    keras.config.set_epsilon(1e-5)
    assert backend.epsilon() == keras.backend.epsilon() == 1e-5
    keras.backend.set_epsilon(np.float32(0.25))
    assert isinstance(keras.config.epsilon(), float) and keras.config.epsilon() == 0.25
    # a metric made now keeps the ε it was made with, as Keras's AUC does for its end thresholds
    auc = fl.metrics.AUC(num_thresholds=3)
    backend.set_epsilon(1e-7)
    auc.update_state([0.0, 1.0], [1.0, 1.0])  # the prediction 1.0 lies below the end threshold 1.25
    assert auc.result() == pytest.approx(0.5)


@pytest.mark.parametrize("value", [0, -1e-7, 0.5, 2.0, float("nan"), float("inf"), True, "1e-7", None])
def test_a_bad_epsilon_is_one_sentence_and_changes_nothing(value):
    backend.set_epsilon(1e-6)
    with pytest.raises(ConfigError, match=r"set_epsilon got .*between 0 and 0\.5.*set_epsilon\(1e-7\)"):
        keras.config.set_epsilon(value)
    assert backend.epsilon() == 1e-6


def test_the_loss_gradient_follows_the_clip():
    """Below ε the probability is clipped: no gradient flows to it; above, −1/p (halved: the mean of 2 outputs)."""
    backend.set_epsilon(0.1)
    p = fl.Tensor(np.array([[0.05, 0.5]]), requires_grad=True)
    fl.losses.binary_crossentropy(np.array([[1.0, 1.0]]), p, reduction="sum").backward()
    np.testing.assert_allclose(backend.to_numpy(p.grad), [[0.0, -1.0]])
