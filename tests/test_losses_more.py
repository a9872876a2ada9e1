"""Keras 3's loss options and losses beyond the first set: label smoothing, ignore_class, KLDivergence, Poisson and
CosineSimilarity, each against real Keras (values, reductions, sample weights, training), central finite
differences in float64 and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from real_keras import real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError

L = fl.losses
RNG = np.random.default_rng(7)
Z = RNG.normal(size=(6, 4)).astype("float32") * 2
LABELS = np.array([0, 3, 1, 2, 2, 0])
ONEHOT = np.eye(4, dtype="float32")[LABELS]
MULTI = (RNG.random((6, 4)) > 0.5).astype("float32")
WEIGHTS = RNG.random(6).astype("float32")
REDUCTIONS = ["sum_over_batch_size", "sum", None]


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _host(value):
    return np.asarray(fl.backend.to_numpy(value.data if isinstance(value, fl.Tensor) else value))


# ----------------------------------------------------------------------------- label smoothing


@pytest.mark.parametrize("cls, y", [("CategoricalCrossentropy", ONEHOT), ("BinaryCrossentropy", MULTI)])
@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.7])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_label_smoothing_gives_keras_values(cls, y, from_logits, smoothing, reduction):
    real = real_keras()
    pred = Z if from_logits else (_softmax(Z) if cls.startswith("Categorical") else _sigmoid(Z))
    for weights in (None, WEIGHTS):
        theirs = getattr(real.losses, cls)(from_logits=from_logits, label_smoothing=smoothing, reduction=reduction)
        ours = getattr(keras.losses, cls)(from_logits=from_logits, label_smoothing=smoothing, reduction=reduction)
        np.testing.assert_allclose(_host(ours(y, pred, sample_weight=weights)),
                                   np.asarray(theirs(y, pred, sample_weight=weights)), rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("name, y", [("categorical_crossentropy", ONEHOT), ("binary_crossentropy", MULTI)])
@pytest.mark.parametrize("from_logits", [True, False])
def test_the_functions_take_label_smoothing_as_keras(name, y, from_logits):
    real = real_keras()
    pred = Z if from_logits else (_softmax(Z) if name.startswith("categorical") else _sigmoid(Z))
    got = getattr(keras.losses, name)(y, pred, from_logits=from_logits, label_smoothing=0.2)
    want = getattr(real.losses, name)(y, pred, from_logits=from_logits, label_smoothing=0.2)
    assert got.shape == (6,)
    np.testing.assert_allclose(got.numpy(), np.asarray(want), rtol=2e-6, atol=1e-6)


def test_smoothing_moves_the_targets_as_keras_writes():
    # k = 4 classes, s = 0.2: the target class gets 0.85 and the others 0.05; BCE's targets go to 0.9 / 0.1
    z = fl.tensor(Z[:1])
    expected = -(np.array([0.85, 0.05, 0.05, 0.05]) * np.log(_softmax(Z[:1].astype(np.float64)))).sum()
    assert np.isclose(L.categorical_crossentropy(ONEHOT[:1], z, from_logits=True, label_smoothing=0.2).item(),
                      expected, rtol=1e-6)
    t = MULTI[:1] * 0.8 + 0.1
    p = _sigmoid(Z[:1].astype(np.float64))
    expected = -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean()
    assert np.isclose(L.binary_crossentropy(MULTI[:1], z, from_logits=True, label_smoothing=0.2).item(),
                      expected, rtol=1e-6)


@pytest.mark.parametrize("name, y, head", [("categorical_crossentropy", ONEHOT, fl.softmax),
                                           ("binary_crossentropy", MULTI, fl.sigmoid)])
def test_smoothing_keeps_the_fused_stable_path(name, y, head):
    # scores of ±1000 overflow a probability's log; the fused path stays finite with the exact gradient
    z = fl.tensor(np.sign(Z) * 1000.0, requires_grad=True)
    fn = getattr(L, name)
    for from_logits, pred in ((True, z), (False, head(z))):
        z.grad = None
        loss = fn(y, pred, from_logits=from_logits, label_smoothing=0.1)
        loss.backward()
        assert np.isfinite(loss.item()) and np.all(np.isfinite(_host(z.grad)))
        assert loss._op in ("softmax_cross_entropy", "sigmoid_binary_cross_entropy")


@pytest.mark.parametrize("name, y, head", [("categorical_crossentropy", ONEHOT, fl.softmax),
                                           ("binary_crossentropy", MULTI, fl.sigmoid)])
@pytest.mark.parametrize("fused", [True, False])
def test_smoothed_gradients_match_finite_differences(float64, name, y, head, fused):
    fn = getattr(L, name)
    if fused:
        assert fl.gradcheck(lambda z: fn(y, z, from_logits=True, label_smoothing=0.3), [Z])
    else:  # the probability path: a prediction that comes from no softmax or sigmoid of its own
        probs = head(fl.tensor(Z.astype(np.float64))).numpy()
        assert fl.gradcheck(lambda p: fn(y, p * 1.0, label_smoothing=0.3), [probs])


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_smoothed_categorical_crossentropy_matches_torch(float64, reduction):
    z = fl.tensor(Z.astype(np.float64), requires_grad=True)
    ours = L.categorical_crossentropy(ONEHOT, z, from_logits=True, label_smoothing=0.25, reduction=reduction)
    ours.backward()
    zt = torch.tensor(Z.astype(np.float64), requires_grad=True)
    theirs = torch.nn.functional.cross_entropy(zt, torch.tensor(LABELS), label_smoothing=0.25, reduction=reduction)
    theirs.backward()
    assert np.isclose(ours.item(), theirs.item(), rtol=1e-12)
    np.testing.assert_allclose(_host(z.grad), zt.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_smoothed_binary_crossentropy_matches_torch(float64):
    z = fl.tensor(Z.astype(np.float64), requires_grad=True)
    ours = L.binary_crossentropy(MULTI, z, from_logits=True, label_smoothing=0.25)
    ours.backward()
    zt = torch.tensor(Z.astype(np.float64), requires_grad=True)
    target = torch.tensor(MULTI.astype(np.float64)) * 0.75 + 0.125  # Keras's smoothing, written out
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(zt, target)
    theirs.backward()
    assert np.isclose(ours.item(), theirs.item(), rtol=1e-12)
    np.testing.assert_allclose(_host(z.grad), zt.grad.numpy(), rtol=1e-10, atol=1e-14)


def _trains_as_keras(make_loss, x, y, out_units, activation, weights=None, epochs=3):
    """Both libraries from the same weights, compiled with their own ``make_loss(library)``; weights after a few
    epochs of SGD on unshuffled batches must agree."""
    real = real_keras()

    def model(lib):
        return lib.Sequential([lib.Input((x.shape[1],)), lib.layers.Dense(5, activation="tanh"),
                               lib.layers.Dense(out_units, activation=activation)])

    theirs, ours = model(real), model(keras)
    ours.set_weights(theirs.get_weights())
    for m, lib in ((theirs, real), (ours, keras)):
        m.compile(lib.optimizers.SGD(0.2), make_loss(lib))
        m.fit(x, y, batch_size=4, epochs=epochs, shuffle=False, verbose=0, sample_weight=weights)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=2e-6)


X = RNG.normal(size=(12, 3)).astype("float32")
Y_LABELS = np.array([0, 1, 2, 3, 0, 1, 2, 3, 0, 0, 1, 2])


@pytest.mark.parametrize("cls, y, activation, from_logits", [
    ("CategoricalCrossentropy", np.eye(4, dtype="float32")[Y_LABELS], "softmax", False),
    ("CategoricalCrossentropy", np.eye(4, dtype="float32")[Y_LABELS], None, True),
    ("BinaryCrossentropy", (RNG.random((12, 4)) > 0.5).astype("float32"), "sigmoid", False),
    ("BinaryCrossentropy", (RNG.random((12, 4)) > 0.5).astype("float32"), None, True),
])
@pytest.mark.parametrize("weighted", [False, True])
def test_smoothed_losses_train_as_keras(cls, y, activation, from_logits, weighted):
    _trains_as_keras(lambda lib: getattr(lib.losses, cls)(from_logits=from_logits, label_smoothing=0.2), X, y, 4,
                     activation, RNG.random(12).astype("float32") if weighted else None)


def test_smoothing_is_saved_and_the_default_is_left_out():
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=0.1)
    config = loss.get_config()
    assert config["label_smoothing"] == 0.1
    again = fl.losses.Loss.from_config(config)
    assert float(again(ONEHOT, Z)) == float(loss(ONEHOT, Z))
    assert "label_smoothing" not in keras.losses.BinaryCrossentropy().get_config()


# ----------------------------------------------------------------------------- ignore_class

IGNORED = np.array([0, -1, 3, 2, -1, 0])


@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_ignore_class_gives_keras_values(from_logits, reduction, weighted):
    real = real_keras()
    pred = Z if from_logits else _softmax(Z)
    weights = WEIGHTS if weighted else None
    theirs = real.losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=-1, reduction=reduction)
    ours = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=-1, reduction=reduction)
    np.testing.assert_allclose(_host(ours(IGNORED, pred, sample_weight=weights)),
                               np.asarray(theirs(IGNORED, pred, sample_weight=weights)), rtol=2e-6, atol=1e-6)


def test_ignore_class_per_position_and_in_range_as_keras():
    real = real_keras()
    # a segmentation map: (2 images, 3 positions) of labels, class 255 'void'; and an ignored class inside 0..k-1
    labels = np.array([[0, 255, 2], [255, 255, 1]])
    scores = RNG.normal(size=(2, 3, 3)).astype("float32")
    for ignore, y in ((255, labels), (2, np.where(labels == 255, 0, labels))):
        theirs = real.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=ignore)(y, scores)
        ours = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=ignore)(y, scores)
        assert np.isclose(float(ours), float(theirs), rtol=2e-6)
        got = keras.losses.sparse_categorical_crossentropy(y, scores, from_logits=True, ignore_class=ignore)
        want = real.losses.sparse_categorical_crossentropy(y, scores, from_logits=True, ignore_class=ignore)
        np.testing.assert_allclose(got.numpy(), np.asarray(want), rtol=2e-6, atol=1e-7)


def test_every_label_ignored_gives_zero_as_keras():
    loss = keras.losses.SparseCategoricalCrossentropy(ignore_class=-1)
    assert float(loss(np.full(6, -1), _softmax(Z))) == 0.0
    assert float(loss(np.full(6, -1), _softmax(Z), sample_weight=WEIGHTS)) == 0.0


def test_ignored_labels_get_no_gradient_and_the_rest_match_torch(float64):
    z = fl.tensor(Z.astype(np.float64), requires_grad=True)
    loss = L.sparse_categorical_crossentropy(IGNORED, z, from_logits=True, ignore_class=-1)
    loss.backward()
    zt = torch.tensor(Z.astype(np.float64), requires_grad=True)
    theirs = torch.nn.functional.cross_entropy(zt, torch.tensor(IGNORED), ignore_index=-1)  # mean over the kept
    theirs.backward()
    assert np.isclose(loss.item(), theirs.item(), rtol=1e-12)
    grad = _host(z.grad)
    np.testing.assert_allclose(grad, zt.grad.numpy(), rtol=1e-10, atol=1e-14)
    assert not grad[IGNORED == -1].any() and grad[IGNORED != -1].any()
    assert fl.gradcheck(lambda p: L.sparse_categorical_crossentropy(IGNORED, p * 1.0, ignore_class=-1),
                        [_softmax(Z.astype(np.float64))])


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignored", [0, 255])
def test_ignore_class_trains_as_keras(weighted, ignored):
    y = Y_LABELS.copy()  # class 0 ignored: its samples teach nothing, the mean is over the others
    if ignored == 255:  # a void label outside the classes, as segmentation data mark it
        y[y == 0] = 255
    _trains_as_keras(lambda lib: lib.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=ignored), X,
                     y, 4, None, RNG.random(12).astype("float32") if weighted else None)


# ----------------------------------------------------------------------------- KLDivergence, Poisson, CosineSimilarity

T_PROB = _softmax(RNG.normal(size=(6, 4))).astype("float32")
T_PROB[0, 1] = 0.0  # a zero target: clipped to ε as Keras does
P_PROB = _softmax(RNG.normal(size=(6, 4))).astype("float32")
COUNTS = RNG.poisson(2.0, size=(6, 4)).astype("float32")
RATES = RNG.uniform(0.2, 4.0, size=(6, 4)).astype("float32")
VECTORS = RNG.normal(size=(6, 4)).astype("float32")
VECTORS_2 = RNG.normal(size=(6, 4)).astype("float32")
VECTORS_2[2] = 0.0  # a zero vector: similarity 0, as Keras's normalize gives

NEW = [("KLDivergence", "kl_divergence", T_PROB, P_PROB), ("Poisson", "poisson", COUNTS, RATES),
       ("CosineSimilarity", "cosine_similarity", VECTORS, VECTORS_2)]


@pytest.mark.parametrize("cls, fn, y, pred", NEW)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_new_loss_classes_give_keras_values(cls, fn, y, pred, reduction, weighted):
    real = real_keras()
    weights = WEIGHTS if weighted else None
    theirs = getattr(real.losses, cls)(reduction=reduction)(y, pred, sample_weight=weights)
    ours = getattr(keras.losses, cls)(reduction=reduction)(y, pred, sample_weight=weights)
    np.testing.assert_allclose(_host(ours), np.asarray(theirs), rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("cls, fn, y, pred", NEW)
def test_new_loss_functions_and_names_give_keras_values(cls, fn, y, pred):
    real = real_keras()
    want = np.asarray(getattr(real.losses, fn)(y, pred))
    np.testing.assert_allclose(getattr(keras.losses, fn)(y, pred).numpy(), want, rtol=2e-6, atol=1e-6)
    assert keras.losses.get(fn) is getattr(L, fn) and getattr(keras.losses, fn).builtin is getattr(L, fn)
    assert L.get(fn.upper()) is getattr(L, fn)


def test_kld_names_and_cosine_axis_as_keras():
    real = real_keras()
    assert keras.losses.kld is keras.losses.KLD is keras.losses.kl_divergence and L.get("kld") is L.kl_divergence
    assert L.canonical_name("KLD") == "kl_divergence"
    theirs = real.losses.CosineSimilarity(axis=0)(VECTORS, VECTORS_2)
    assert np.isclose(float(keras.losses.CosineSimilarity(axis=0)(VECTORS, VECTORS_2)), float(theirs), rtol=2e-6)
    assert keras.losses.CosineSimilarity(axis=0).get_config()["axis"] == 0
    assert "axis" not in keras.losses.CosineSimilarity().get_config()


@pytest.mark.parametrize("cls, fn, y, pred", NEW)
def test_new_losses_gradients_match_finite_differences(float64, cls, fn, y, pred):
    # away from a zero vector, where cosine's floor on the norm makes the slope 1/ε (as in Keras)
    pred = np.where(pred == 0, 0.3, pred).astype(np.float64)
    assert fl.gradcheck(lambda p: getattr(L, fn)(y, p), [pred], atol=1e-7, rtol=1e-5)


def test_new_losses_match_torch(float64):
    t = torch.tensor
    cases = [
        ("kl_divergence", T_PROB, P_PROB,
         lambda p: torch.nn.functional.kl_div(torch.log(p), t(np.clip(T_PROB, 1e-7, 1).astype(np.float64)),
                                              reduction="batchmean")),
        ("poisson", COUNTS, RATES,
         lambda p: torch.nn.functional.poisson_nll_loss(p, t(COUNTS.astype(np.float64)), log_input=False, eps=1e-7)),
        ("cosine_similarity", VECTORS, VECTORS * 2 + 0.5,
         lambda p: -torch.nn.functional.cosine_similarity(p, t(VECTORS.astype(np.float64)), dim=-1).mean()),
    ]
    for fn, y, pred, theirs_of in cases:
        p = fl.tensor(pred.astype(np.float64), requires_grad=True)
        ours = getattr(L, fn)(y, p)
        ours.backward()
        pt = torch.tensor(pred.astype(np.float64), requires_grad=True)
        theirs = theirs_of(pt)
        theirs.backward()
        assert np.isclose(ours.item(), theirs.item(), rtol=1e-10), fn
        np.testing.assert_allclose(_host(p.grad), pt.grad.numpy(), rtol=1e-8, atol=1e-12, err_msg=fn)


@pytest.mark.parametrize("loss, y, activation", [
    ("kld", T_PROB[np.arange(12) % 6], "softmax"),
    ("poisson", COUNTS[np.arange(12) % 6], "softplus"),
    ("cosine_similarity", VECTORS[np.arange(12) % 6], None),
])
def test_new_losses_train_as_keras_by_name(loss, y, activation):
    _trains_as_keras(lambda lib: loss, X, y, 4, activation)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("make, words", [
    (lambda: keras.losses.CategoricalCrossentropy(label_smoothing=1.5), ("label_smoothing=1.5", "[0, 1]")),
    (lambda: keras.losses.BinaryCrossentropy(label_smoothing=-0.1), ("label_smoothing=-0.1", "[0, 1]")),
    (lambda: keras.losses.BinaryCrossentropy(label_smoothing="0.1"), ("label_smoothing='0.1'",)),
    (lambda: L.categorical_crossentropy(ONEHOT, Z, label_smoothing=True), ("label_smoothing=True",)),
    (lambda: keras.losses.categorical_crossentropy(ONEHOT, Z, label_smoothing=2), ("label_smoothing=2",)),
    (lambda: keras.losses.SparseCategoricalCrossentropy(ignore_class=0.5), ("ignore_class=0.5", "integer")),
    (lambda: keras.losses.SparseCategoricalCrossentropy(ignore_class=True), ("ignore_class=True",)),
    (lambda: L.sparse_categorical_crossentropy(LABELS, Z, ignore_class="void"), ("ignore_class='void'",)),
    (lambda: keras.losses.sparse_categorical_crossentropy(IGNORED, Z, ignore_class=-1, label_smoothing=0.1),
     ("label_smoothing", "it takes")),
    (lambda: keras.losses.CosineSimilarity(axis="last"), ("axis='last'", "integer")),
    (lambda: L.cosine_similarity(VECTORS, VECTORS, axis=2), ("axis=2", "-2..1")),
    (lambda: keras.losses.kl_divergence(T_PROB, P_PROB, from_logits=True), ("from_logits", "it takes")),
])
def test_bad_options_get_one_sentence(make, words):
    with pytest.raises(ConfigError) as caught:
        make()
    message = str(caught.value)
    assert all(word in message for word in words), message
    assert message.count(". ") == 0 and message.endswith(".")


def test_a_label_out_of_range_is_still_refused_with_ignore_class():
    with pytest.raises(fl.errors.DataError, match="label 7 is out of range"):
        L.sparse_categorical_crossentropy(np.array([0, -1, 7, 1, 1, 1]), Z, ignore_class=-1)
