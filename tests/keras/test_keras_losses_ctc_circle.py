"""``keras.losses``' CTC and Circle: values against real Keras 3 (functions, classes, reductions), gradients against
central differences (float64) and PyTorch's CTC, training with ``compile``/``fit``, and the round trip of a model
compiled with them through fnlearn's model files and Keras's."""

from __future__ import annotations

import re

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, DataError, ShapeError
from fnlearn.keras import losses as L

RNG = np.random.default_rng(31)
# label rows padded with the blank 0 (Keras's ctc counts the non-zero labels), a repeated label, an empty row
LABELS = np.array([[1, 2, 3, 0], [2, 2, 0, 0], [0, 0, 0, 0], [3, 1, 3, 1]])
LOGITS = (RNG.normal(size=(4, 10, 4)) * 2).astype(np.float32)
EMB = RNG.normal(size=(10, 6)).astype(np.float32)
EMB /= np.linalg.norm(EMB, axis=1, keepdims=True)
IDS = np.array([0, 1, 0, 2, 1, 3, 0, 2, 1, 4])  # classes 3 and 4 have one sample each: no positive, loss 0


def _keras_array(value):
    return np.asarray(value.detach() if hasattr(value, "detach") else value)


def test_ctc_function_and_class_match_keras():
    real = real_keras()
    np.testing.assert_allclose(L.ctc(LABELS, LOGITS).numpy(), _keras_array(real.losses.ctc(LABELS, LOGITS)),
                               rtol=1e-5)
    for reduction in ("sum_over_batch_size", "sum", None):
        ours = L.CTC(reduction=reduction)(LABELS, LOGITS).numpy()
        theirs = _keras_array(real.losses.CTC(reduction=reduction)(LABELS, LOGITS))
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, err_msg=str(reduction))
    weights = np.array([1.0, 0.5, 2.0, 0.0])
    np.testing.assert_allclose(float(L.CTC()(LABELS, LOGITS, sample_weight=weights)),
                               float(_keras_array(real.losses.CTC()(LABELS, LOGITS, sample_weight=weights))),
                               rtol=1e-5)


def test_ctc_gradient_matches_central_differences_and_pytorch():
    logits = LOGITS.astype(np.float64)
    weights = np.arange(1.0, 5.0)
    assert fl.gradcheck(lambda z: L.ctc(LABELS, z) * weights, [logits], atol=1e-7, rtol=1e-5)
    torch = pytest.importorskip("torch")
    z = fl.tensor(logits, requires_grad=True)
    L.CTC(reduction="sum")(LABELS, z).backward()
    tz = torch.tensor(logits, requires_grad=True)
    lengths = torch.tensor((LABELS != 0).sum(1))
    torch.nn.functional.ctc_loss(torch.log_softmax(tz, -1).transpose(0, 1), torch.tensor(LABELS),
                                 torch.full((4,), 10), lengths, reduction="sum").backward()
    np.testing.assert_allclose(fl.backend.to_numpy(z.grad), tz.grad.numpy(), atol=1e-10)


def test_a_model_compiled_with_ctc_trains_and_round_trips(tmp_path):
    fl.set_seed(0)
    x = RNG.normal(size=(24, 8, 5)).astype(np.float32)
    y = RNG.integers(1, 4, size=(24, 3))
    y[::4, 2] = 0  # shorter label rows
    model = keras.Sequential([keras.Input((8, 5)), keras.layers.Dense(16, activation="tanh"), keras.layers.Dense(4)])
    model.compile(keras.optimizers.Adam(0.02), L.CTC())
    history = model.fit(x, y, epochs=8, batch_size=8, verbose=0).history["loss"]
    assert history[-1] < 0.85 * history[0]
    loss = model.evaluate(x, y, verbose=0)
    assert loss == pytest.approx(float(L.CTC()(y, model.predict(x, verbose=0))), rel=1e-5)
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    assert again.loss.get_config() == {"name": "ctc", "reduction": "mean"}
    assert again.evaluate(x, y, verbose=0) == pytest.approx(loss, rel=1e-6)
    again.fit(x, y, epochs=1, verbose=0, sample_weight=np.ones(24))  # weighted: CTC gives one value per sample
    # by name and as the Keras function, as Keras takes them
    for spec in ("ctc", L.ctc):
        model.compile("adam", spec)
        assert model.evaluate(x, y, verbose=0) == pytest.approx(loss, rel=1e-6)


def test_circle_function_and_class_match_keras():
    real = real_keras()
    ref = RNG.normal(size=(5, 6)).astype(np.float32)
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    ref_ids = np.array([0, 1, 2, 3, 0])
    calls = [{}, {"gamma": 10.0, "margin": 0.25}, {"remove_diagonal": False},
             {"ref_labels": ref_ids, "ref_embeddings": ref}]
    for settings in calls:
        np.testing.assert_allclose(L.circle(IDS, EMB, **settings).numpy(),
                                   _keras_array(real.losses.circle(IDS, EMB, **settings)), rtol=1e-5, atol=1e-5,
                                   err_msg=str(settings.keys()))
    for settings in ({}, {"gamma": 10.0, "margin": 0.25, "remove_diagonal": False}):
        for reduction in ("sum_over_batch_size", "sum", None):
            ours = L.Circle(**settings, reduction=reduction)(IDS, EMB).numpy()
            theirs = _keras_array(real.losses.Circle(**settings, reduction=reduction)(IDS, EMB))
            np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5, err_msg=f"{settings} {reduction}")
    # the samples with no positive give 0 and do not count in the mean, as Keras's mask says
    values = L.circle(IDS, EMB).numpy()
    assert values[5] == 0 and values[9] == 0
    assert float(L.Circle()(IDS, EMB)) == pytest.approx(values.sum() / 8, rel=1e-6)
    weights = np.linspace(0.0, 2.0, 10)
    np.testing.assert_allclose(float(L.Circle(gamma=10.0)(IDS, EMB, sample_weight=weights)),
                               float(_keras_array(real.losses.Circle(gamma=10.0)(IDS, EMB, sample_weight=weights))),
                               rtol=1e-5)


def test_circle_gradient_matches_central_differences():
    emb = EMB.astype(np.float64)
    weights = np.arange(1.0, 11.0)
    assert fl.gradcheck(lambda e: L.circle(IDS, e, gamma=4.0) * weights, [emb], atol=1e-7, rtol=1e-5)
    ref = RNG.normal(size=(4, 6))
    assert fl.gradcheck(lambda e, r: L.circle(IDS, e, ref_labels=[0, 1, 2, 3], ref_embeddings=r, gamma=2.0,
                                              margin=0.1) * weights, [emb, ref], atol=1e-7, rtol=1e-5)


def test_a_model_compiled_with_circle_trains_and_round_trips(tmp_path):
    fl.set_seed(1)
    x = RNG.normal(size=(64, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int) + 2 * (x[:, 1] > 0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.UnitNormalization()])
    model.compile(keras.optimizers.Adam(0.01), L.Circle(gamma=16.0, margin=0.25, remove_diagonal=True))
    before = model.evaluate(x, y, batch_size=64, verbose=0)
    model.fit(x, y, epochs=10, batch_size=16, verbose=0)
    after = model.evaluate(x, y, batch_size=64, verbose=0)
    assert after < 0.8 * before
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    assert again.loss.get_config() == {"name": "circle", "reduction": "mean", "gamma": 16.0, "margin": 0.25}
    assert again.evaluate(x, y, batch_size=64, verbose=0) == pytest.approx(after, rel=1e-6)
    changed = L.Circle(margin=-0.1, remove_diagonal=False)
    model.compile("adam", changed)
    model.save(tmp_path / "n.keras")
    assert keras.models.load_model(tmp_path / "n.keras").loss.options == changed.options


def test_a_keras_file_compiled_with_circle_loads_compiled(tmp_path):
    real = real_keras()
    theirs = real.Sequential([real.Input((4,)), real.layers.Dense(3), real.layers.UnitNormalization()])
    theirs.compile("adam", real.losses.Circle(gamma=20.0, margin=0.3, remove_diagonal=False))
    theirs.save(tmp_path / "k.keras")
    ours = keras.models.load_model(tmp_path / "k.keras")
    assert ours.compiled and ours.loss.options == {"gamma": 20.0, "margin": 0.3, "remove_diagonal": False}


def test_serialize_round_trip_and_keras_names():
    for loss in (L.CTC(), L.CTC(reduction="sum"), L.Circle(), L.Circle(gamma=8.0, remove_diagonal=False)):
        again = L.deserialize(L.serialize(loss))
        assert type(again) is type(loss) and again.options == loss.options and again.reduction == loss.reduction
    assert L.deserialize("ctc") is L.ctc and L.deserialize("circle") is L.circle
    assert L.Circle(gamma=80, margin=0.4).options == {}  # at Keras's defaults it saves as plain "circle"


@pytest.mark.parametrize("call, error, words", [
    (lambda: L.ctc(LABELS[:, :, None], LOGITS), ShapeError, "batch, max_label_length"),
    (lambda: L.ctc(LABELS, LOGITS[0]), ShapeError, "batch, time, classes"),
    (lambda: L.ctc(LABELS * 2, LOGITS), DataError, "labels must be classes"),
    (lambda: L.ctc(LABELS + 0.5, LOGITS), DataError, "integer class labels"),
    (lambda: L.CTC(reduction="avg"), ConfigError, "reduction"),
    (lambda: L.Circle(gamma=-1.0), ConfigError, "gamma must be"),
    (lambda: L.Circle(margin=float("nan")), ConfigError, "margin must be"),
    (lambda: L.Circle(remove_diagonal="yes"), ConfigError, "remove_diagonal must be"),
    (lambda: L.circle(IDS[:3], EMB), ShapeError, "one label per row"),
    (lambda: L.circle(IDS, EMB, ref_embeddings=EMB[:, :3]), ShapeError, "same dim"),
    (lambda: L.circle(IDS, EMB[None]), ShapeError, "embeddings as rows"),
])
def test_bad_input_is_refused_in_one_sentence(call, error, words):
    with pytest.raises(error, match=words) as caught:
        call()
    message = str(caught.value)
    assert message.endswith(".") and re.search(r"[.;] [A-Z]", message) is None, message
