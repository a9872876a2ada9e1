"""keras.losses' focal, hinge, overlap and generalized cross-entropy losses: Keras's values, float64 gradients
against finite differences, reductions and sample weights, saving, serialize / deserialize and errors."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import compiled, real_keras

import fnlearn as fl
from fnlearn.errors import ConfigError, DataError, ShapeError
from fnlearn.keras import losses as L

RNG = np.random.default_rng(0)
Z = RNG.normal(size=(6, 4))
P = np.exp(Z) / np.exp(Z).sum(-1, keepdims=True)
ONE_HOT = np.eye(4)[RNG.integers(0, 4, 6)]
BIN = (RNG.random((6, 4)) > 0.5).astype(float)
U = RNG.uniform(0.05, 0.95, (6, 4))

# (class, settings, y_true, y_pred)
CASES = [("CategoricalHinge", {}, ONE_HOT, Z),
         ("BinaryFocalCrossentropy", {}, BIN, U),
         ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5, "from_logits": True,
                                      "label_smoothing": 0.1}, BIN, Z),
         ("CategoricalFocalCrossentropy", {}, ONE_HOT, P),
         ("CategoricalFocalCrossentropy", {"alpha": 0.5, "gamma": 3.0, "from_logits": True, "label_smoothing": 0.2},
          ONE_HOT, Z),
         ("Dice", {}, BIN, U), ("Dice", {"axis": 1}, BIN, U),
         ("Tversky", {"alpha": 0.3, "beta": 0.7}, BIN, U), ("Tversky", {"axis": -1}, BIN, U),
         ("CategoricalGeneralizedCrossEntropy", {"q": 0.7}, ONE_HOT.argmax(-1), P)]


@pytest.mark.parametrize("name,kw,t,p", CASES)
def test_values_and_gradients(name, kw, t, p):
    keras = real_keras()
    reductions = ("sum_over_batch_size", None)
    theirs = compiled(keras, lambda: [getattr(keras.losses, name)(**kw, reduction=reduction)(t, p.astype("float32"))
                                      for reduction in reductions])
    for reduction, value in zip(reductions, theirs):
        ours = getattr(L, name)(**kw, reduction=reduction)(t, p.astype("float32")).numpy()
        np.testing.assert_allclose(ours, value, rtol=3e-6, atol=3e-7, err_msg=str(reduction))
    loss = getattr(L, name)(**kw)
    assert fl.gradcheck(lambda q: loss(t, q * 1.0), [p], atol=1e-7, rtol=1e-5)


def test_functions_weights_and_compile(tmp_path):
    keras = real_keras()
    w = np.arange(6.0)
    calls = (("categorical_hinge", ONE_HOT, Z), ("binary_focal_crossentropy", BIN, U),
             ("categorical_focal_crossentropy", ONE_HOT, P), ("dice", BIN, U), ("tversky", BIN, U))
    *theirs, weighted = compiled(keras, lambda: [getattr(keras.losses, fn)(t, p) for fn, t, p in calls]
                                 + [keras.losses.BinaryFocalCrossentropy(gamma=0.0)(BIN, U, sample_weight=w)])
    for (fn, t, p), value in zip(calls, theirs):
        np.testing.assert_allclose(getattr(L, fn)(t, p).numpy(), value, rtol=3e-6, err_msg=fn)
    bfce = L.BinaryFocalCrossentropy(gamma=0.0)
    assert float(bfce(BIN, U, sample_weight=w)) == pytest.approx(float(weighted), rel=1e-6)
    model = fl.keras.Sequential([fl.keras.Input((4,)), fl.keras.layers.Dense(4, activation="softmax")])
    model.compile(loss=L.CategoricalFocalCrossentropy(gamma=0.0, alpha=1.0), optimizer="sgd")
    model.fit(Z, ONE_HOT, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    again = fl.keras.models.load_model(tmp_path / "m.keras")
    assert again.evaluate(Z, ONE_HOT, verbose=0) == pytest.approx(model.evaluate(Z, ONE_HOT, verbose=0))


def test_serialize_round_trip():
    for loss in (L.Tversky(alpha=0.2, axis=(1,)), L.BinaryFocalCrossentropy(apply_class_balancing=True),
                 L.CategoricalGeneralizedCrossEntropy(q=0.3), L.Huber(delta=2.0)):
        again = L.deserialize(L.serialize(loss))
        assert type(again) is type(loss) and again.options == loss.options
    assert L.deserialize(L.serialize(L.dice)) is L.dice


@pytest.mark.parametrize("make,error", [
    (lambda: L.BinaryFocalCrossentropy(gamma=-1.0), ConfigError),
    (lambda: L.CategoricalFocalCrossentropy(alpha="a"), ConfigError),
    (lambda: L.CategoricalGeneralizedCrossEntropy(q=1.0), ConfigError),
    (lambda: L.Tversky(beta=-0.5), ConfigError),
    (lambda: L.Dice(axis="rows"), ConfigError),
    (lambda: L.dice(BIN, U, axis=5), ConfigError),
    (lambda: L.categorical_hinge(ONE_HOT[:, :3], Z), ShapeError),
    (lambda: L.categorical_generalized_cross_entropy([0, 7], P[:2]), DataError),
    (lambda: L.deserialize("no_such_loss"), ConfigError),
])
def test_bad_input(make, error):
    with pytest.raises(error) as info:
        make()
    assert info.value.args[0].count(". ") <= 1


def test_categorical_focal_per_class_alpha():
    # Keras takes alpha as one weight per class too (broadcast along the classes)
    keras = real_keras()
    alpha = [0.1, 0.2, 0.3, 0.4]
    theirs = compiled(keras, lambda: [keras.losses.CategoricalFocalCrossentropy(alpha=alpha, **kw)(ONE_HOT, p)
                                      for kw, p in (({}, P.astype("float32")),
                                                    ({"from_logits": True, "gamma": 0.5}, Z.astype("float32")))])
    for (kw, p), value in zip((({}, P), ({"from_logits": True, "gamma": 0.5}, Z)), theirs):
        loss = L.CategoricalFocalCrossentropy(alpha=alpha, **kw)
        np.testing.assert_allclose(loss(ONE_HOT, p.astype("float32")).numpy(), value, rtol=3e-6, atol=3e-7)
    assert fl.gradcheck(lambda q: L.CategoricalFocalCrossentropy(alpha=alpha)(ONE_HOT, q * 1.0), [P],
                        atol=1e-7, rtol=1e-5)
    loss = L.CategoricalFocalCrossentropy(alpha=alpha)
    assert L.deserialize(L.serialize(loss)).options == loss.options
    with pytest.raises(ShapeError):
        L.CategoricalFocalCrossentropy(alpha=[0.5, 0.5])(ONE_HOT, P)
    for bad in ([[0.1, 0.2]], [], [0.1, "a"], [0.1, float("nan")]):
        with pytest.raises(ConfigError):
            L.CategoricalFocalCrossentropy(alpha=bad)
    with pytest.raises(ConfigError):
        L.BinaryFocalCrossentropy(alpha=[0.1, 0.9])  # Keras's binary loss takes one number


def test_fit_takes_class_indices_for_generalized_cross_entropy_and_trains_as_keras():
    from fnlearn import keras

    real = real_keras()
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(12, 4)).astype(np.float32), rng.integers(0, 3, size=12)
    theirs, ours = (lib.Sequential([lib.Input((4,)), lib.layers.Dense(3, activation="softmax")])
                    for lib in (real, keras))
    ours.set_weights(theirs.get_weights())
    for model, lib in ((theirs, real), (ours, keras)):
        model.compile(lib.optimizers.SGD(0.5), lib.losses.CategoricalGeneralizedCrossEntropy(q=0.7))
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)
    with pytest.raises(ShapeError, match=r"one integer class label per sample \(shape \(n,\)\); pass y.argmax"):
        ours.fit(x, np.eye(3)[y], verbose=0)  # one-hot rows: Keras's loss takes indices
