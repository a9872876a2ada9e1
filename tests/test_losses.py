"""Losses: values against the formulas, reductions, edge probabilities, fusion, and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fnlearn as fl
from fnlearn.errors import ConfigError, DataError, ShapeError

L = fl.losses


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    return rng.normal(size=(5, 3)), rng.normal(size=(5, 3))


def test_regression_losses_match_formulas(float64, data):
    y, p = data
    assert np.isclose(L.mse(y, fl.tensor(p)).item(), np.mean((y - p) ** 2))
    assert np.isclose(L.mae(y, fl.tensor(p)).item(), np.mean(np.abs(y - p)))
    assert np.isclose(L.half_sse(y, fl.tensor(p)).item(), 0.5 * np.sum((y - p) ** 2))
    assert np.isclose(L.half_sse(y, fl.tensor(p), reduction="mean").item(), 0.5 * np.sum((y - p) ** 2) / 5)
    # keywords in Keras's order
    assert L.mse(y_true=y, y_pred=fl.tensor(p)).item() == L.mse(y, fl.tensor(p)).item()


@pytest.mark.parametrize("name", ["mse", "mae", "half_sse", "categorical_crossentropy",
                                  "sparse_categorical_crossentropy", "binary_crossentropy", "huber", "mape", "msle",
                                  "log_cosh", "hinge", "squared_hinge"])
def test_reductions_agree(float64, name):
    rng = np.random.default_rng(0)
    p = rng.uniform(0.1, 0.9, size=(4, 3))
    y = {"categorical_crossentropy": np.eye(3)[[0, 2, 1, 1]], "sparse_categorical_crossentropy": np.array([0, 2, 1, 1]),
         "binary_crossentropy": (rng.random((4, 3)) > 0.5) * 1.0}.get(name, rng.normal(size=(4, 3)))
    fn = L.get(name)
    none = fn(y, fl.tensor(p), reduction="none")
    assert none.shape == (4,)
    assert np.isclose(fn(y, fl.tensor(p), reduction="sum").item(), none.numpy().sum())
    assert np.isclose(fn(y, fl.tensor(p), reduction="mean").item(), none.numpy().mean())
    with pytest.raises(ConfigError, match="'mean', 'sum' or 'none'"):
        fn(y, fl.tensor(p), reduction="avg")


def test_cross_entropies_match_formulas(float64):
    rng = np.random.default_rng(1)
    z = rng.normal(size=(6, 4))
    labels = rng.integers(0, 4, size=6)
    onehot = np.eye(4)[labels]
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    expected = -logp[np.arange(6), labels].mean()
    assert np.isclose(L.categorical_crossentropy(onehot, fl.tensor(z), from_logits=True).item(), expected)
    assert np.isclose(L.sparse_categorical_crossentropy(labels, fl.tensor(z), from_logits=True).item(), expected)
    assert np.isclose(L.categorical_crossentropy(onehot, fl.softmax(fl.tensor(z))).item(), expected)
    probs = np.exp(logp)
    assert np.isclose(L.categorical_crossentropy(onehot, fl.tensor(probs)).item(), expected)
    assert np.isclose(L.sparse_categorical_crossentropy(labels, fl.tensor(probs)).item(), expected)
    yb = (rng.random((6, 4)) > 0.5) * 1.0
    s = 1 / (1 + np.exp(-z))
    bce = -np.mean(yb * np.log(s) + (1 - yb) * np.log(1 - s))
    assert np.isclose(L.binary_crossentropy(yb, fl.tensor(z), from_logits=True).item(), bce)
    assert np.isclose(L.binary_crossentropy(yb, fl.sigmoid(fl.tensor(z))).item(), bce)
    assert np.isclose(L.binary_crossentropy(yb, fl.tensor(s)).item(), bce)


def test_probabilities_of_exactly_zero_and_one_stay_finite(float64):
    cases = [
        (L.categorical_crossentropy, np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]),
        (L.sparse_categorical_crossentropy, np.array([0, 2]), [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
        (L.binary_crossentropy, np.array([[1.0, 0.0], [0.0, 1.0]]), [[0.0, 1.0], [0.0, 1.0]]),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn, y, probs in cases:
            for reduction in ("mean", "sum", "none"):
                p = fl.tensor(probs, requires_grad=True)
                value = fn(y, p, reduction=reduction)
                assert np.all(np.isfinite(value.numpy())), (fn.__name__, reduction)
                value.sum().backward()
                assert np.all(np.isfinite(fl.backend.to_numpy(p.grad))), (fn.__name__, reduction)
            # a confident wrong answer is expensive but finite: −log(1e-7)
            assert fn(y, fl.tensor(probs)).item() < 20


def test_softmax_saturated_by_huge_scores_still_gives_finite_loss_and_gradient(float64):
    z = fl.tensor([[1000.0, -1000.0, 0.0]], requires_grad=True)
    value = L.categorical_crossentropy([[0.0, 1.0, 0.0]], fl.softmax(z))
    assert np.isclose(value.item(), 2000.0)  # exact via log-sum-exp, not clipped at −log(1e-7)
    value.backward()
    np.testing.assert_allclose(fl.backend.to_numpy(z.grad), [[1.0, -1.0, 0.0]], atol=1e-12)
    zb = fl.tensor([[-1000.0, 1000.0]], requires_grad=True)
    value = L.binary_crossentropy([[1.0, 0.0]], fl.sigmoid(zb))
    assert np.isclose(value.item(), 1000.0)
    value.backward()
    assert np.all(np.isfinite(fl.backend.to_numpy(zb.grad)))


def test_only_softmax_outputs_fuse_into_categorical_crossentropy(float64):
    z = np.random.default_rng(2).normal(size=(3, 3))
    y = np.eye(3)
    sig = fl.sigmoid(fl.tensor(z))  # not a distribution: must be treated as plain probabilities
    same = fl.tensor(sig.numpy())
    assert np.isclose(L.categorical_crossentropy(y, sig).item(), L.categorical_crossentropy(y, same).item())
    soft = fl.softmax(fl.tensor(z))
    assert np.isclose(L.binary_crossentropy(y, soft).item(), L.binary_crossentropy(y, fl.tensor(soft.numpy())).item())


def test_targets_are_reshaped_when_only_the_layout_differs(float64):
    p = fl.tensor([[1.0], [2.0], [4.0]])
    assert L.mse([1.0, 2.0, 3.0], p).item() == pytest.approx(1 / 3)
    assert L.binary_crossentropy(np.array([1, 0, 1]), fl.tensor([[0.9], [0.2], [0.7]])).item() > 0


def test_sparse_cross_entropy_beyond_two_axes(float64):
    rng = np.random.default_rng(5)
    z = rng.normal(size=(2, 3, 4))
    labels = rng.integers(0, 4, size=(2, 3))
    flat = L.sparse_categorical_crossentropy(labels.ravel(), fl.tensor(z.reshape(6, 4)), from_logits=True).item()
    assert np.isclose(L.sparse_categorical_crossentropy(labels, fl.tensor(z), from_logits=True).item(), flat)
    probs = fl.softmax(fl.tensor(z)).numpy()
    assert np.isclose(L.sparse_categorical_crossentropy(labels, fl.tensor(probs)).item(), flat)


def test_bad_targets_are_explained():
    p = fl.tensor(np.full((3, 4), 0.25))
    with pytest.raises(ShapeError, match="sparse_categorical_crossentropy"):
        L.categorical_crossentropy(np.array([0, 1, 3]), p)
    with pytest.raises(DataError, match="label 4 is out of range for 4"):
        L.sparse_categorical_crossentropy(np.array([0, 1, 4]), p)
    with pytest.raises(DataError, match="integer"):
        L.sparse_categorical_crossentropy(np.array([0.5, 1, 2]), p)
    with pytest.raises(ShapeError, match="one integer label per sample"):
        L.sparse_categorical_crossentropy(np.array([0, 1]), p)
    with pytest.raises(ShapeError, match=r"\(3, 2\).*\(3, 4\)"):
        L.mse(np.ones((3, 2)), p)


def test_names_objects_and_errors():
    assert L.get("MSE") is L.mse and L.get("mean_absolute_error") is L.mae
    assert L.canonical_name("Mean_Squared_Error") == "mse"
    assert set(L.LOSSES) >= {"mse", "mae", "half_sse", "categorical_crossentropy",
                             "sparse_categorical_crossentropy", "binary_crossentropy"}
    with pytest.raises(ConfigError, match="did you mean 'mse'.*valid names are"):
        L.get("msee")
    loss = L.Loss("binary_crossentropy", from_logits=True, reduction="sum")
    z = fl.tensor([[0.0, 2.0]], dtype="float64")
    assert np.isclose(loss([[1.0, 0.0]], z).item(), L.binary_crossentropy([[1.0, 0.0]], z, True, "sum").item())
    assert loss.get_config() == {"name": "binary_crossentropy", "reduction": "sum", "from_logits": True}
    f = lambda y_true, y_pred: L.mse(y_true, y_pred)  # noqa: E731
    assert L.get(f) is f
    # an option the loss does not take is refused when the Loss is made, not at the first batch
    with pytest.raises(ConfigError, match="loss 'mse' got option.*from_logits.*takes only reduction"):
        L.Loss("mse", from_logits=False)


def test_integer_labels_are_not_copied_when_already_int64():
    """fit checks the labels of a whole data set: int64 labels are used as they are, other kinds converted."""
    labels = np.arange(6, dtype=np.int64) % 3
    assert L.integer_labels(labels, "test") is labels
    converted = L.integer_labels(labels.astype(np.int32), "test")
    assert converted.dtype == np.int64 and np.array_equal(converted, labels)


# ----------------------------------------------------------------------------- Keras's regression and hinge losses
# Keras's definitions (keras/src/losses/losses.py, Keras 3) written out in NumPy: each gives one value per
# sample, the mean over the last axis; Keras's default reduction then averages over the samples.

KERAS_EPSILON = 1e-7


def keras_huber(y, p, delta=1.0):
    e = p - y
    return np.mean(np.where(np.abs(e) <= delta, 0.5 * e**2, delta * np.abs(e) - 0.5 * delta**2), axis=-1)


def keras_mape(y, p):
    return 100.0 * np.mean(np.abs((y - p) / np.maximum(np.abs(y), KERAS_EPSILON)), axis=-1)


def keras_msle(y, p):
    first = np.log(np.maximum(p, KERAS_EPSILON) + 1.0)
    second = np.log(np.maximum(y, KERAS_EPSILON) + 1.0)
    return np.mean((first - second) ** 2, axis=-1)


def keras_log_cosh(y, p):
    x = p - y
    return np.mean(x + np.logaddexp(0.0, -2.0 * x) - np.log(2.0), axis=-1)  # x + softplus(−2x) − log 2


def keras_hinge_labels(y):
    return 2.0 * y - 1.0 if np.all((y == 0) | (y == 1)) else y


def keras_hinge(y, p):
    return np.mean(np.maximum(1.0 - keras_hinge_labels(y) * p, 0.0), axis=-1)


def keras_squared_hinge(y, p):
    return np.mean(np.maximum(1.0 - keras_hinge_labels(y) * p, 0.0) ** 2, axis=-1)


NEW_LOSSES = {"huber": keras_huber, "mape": keras_mape, "msle": keras_msle, "log_cosh": keras_log_cosh,
              "hinge": keras_hinge, "squared_hinge": keras_squared_hinge}


def new_loss_data(name, rng, shape):
    """Targets and predictions that exercise each loss's pieces: both Huber pieces, targets of 0 and
    negative predictions for mape/msle, 0/1 and ±1 labels for the hinges."""
    p = rng.normal(size=shape) * 2.0
    if name in ("hinge", "squared_hinge"):
        return (rng.random(shape) > 0.5) * 1.0, p
    y = rng.normal(size=shape) * 2.0
    if name in ("mape", "msle"):
        y.flat[0] = 0.0
    if name == "msle":
        y = np.abs(y)
    return y, p


@pytest.mark.parametrize("name", list(NEW_LOSSES))
@pytest.mark.parametrize("shape", [(7,), (5, 3), (2, 3, 4)])
def test_new_losses_match_kerass_formulas(float64, name, shape):
    rng = np.random.default_rng(len(name) * 10 + len(shape))
    y, p = new_loss_data(name, rng, shape)
    fn = L.get(name)
    per_sample = fn(y, fl.tensor(p), reduction="none").numpy()
    # fnlearn reads a 1-D batch as one output per sample; Keras's formulas want that axis written out
    expected = NEW_LOSSES[name](y, p) if len(shape) > 1 else NEW_LOSSES[name](y[:, None], p[:, None])
    np.testing.assert_allclose(per_sample, expected.reshape(per_sample.shape), rtol=1e-12, atol=1e-12)
    assert np.isclose(fn(y, fl.tensor(p)).item(), expected.mean(), rtol=1e-12)
    assert np.isclose(fn(y, fl.tensor(p), reduction="sum").item(), expected.sum(), rtol=1e-12)


def test_huber_delta_and_its_two_pieces(float64):
    y = np.zeros((1, 4))
    p = np.array([[0.5, -1.0, 3.0, -10.0]])
    for delta in (0.5, 1.0, 2.5):
        np.testing.assert_allclose(L.huber(y, fl.tensor(p), delta=delta, reduction="none").numpy(),
                                   keras_huber(y, p, delta), rtol=1e-14)
    # near 0 it is ½e² (mse / 2), far out δ·|e| − ½δ²
    assert L.huber([[0.0]], fl.tensor([[0.1]])).item() == pytest.approx(0.005)
    assert L.huber([[0.0]], fl.tensor([[-100.0]]), delta=2.0).item() == pytest.approx(198.0)
    for bad in (0, -1.0, float("inf"), "1", True):
        with pytest.raises(ConfigError, match="delta must be a finite number > 0"):
            L.huber(y, fl.tensor(p), delta=bad)


def test_mape_and_msle_clip_as_keras_does(float64):
    # a zero target divides by ε: huge but finite, and so is its gradient
    p = fl.tensor([[1e-3, 1.0]], requires_grad=True)
    value = L.mape([[0.0, 2.0]], p)
    assert value.item() == pytest.approx((1e-3 / 1e-7 * 100 + 50) / 2)
    value.backward()
    np.testing.assert_allclose(fl.backend.to_numpy(p.grad), [[100 / 1e-7 / 2, -100 / 2 / 2]])
    # predictions (and targets) below ε count as ε, so negative predictions give no NaN and no gradient
    p = fl.tensor([[-3.0, 0.5]], requires_grad=True)
    value = L.msle([[0.0, 0.5]], p)
    assert value.item() == pytest.approx(0.0, abs=1e-12)
    value.backward()
    np.testing.assert_array_equal(fl.backend.to_numpy(p.grad), [[0.0, 0.0]])


def test_hinge_reads_zero_one_labels_as_minus_one_plus_one(float64):
    p = fl.tensor(np.array([[0.3, -1.5], [2.0, -0.2]]))
    pm = np.array([[1.0, -1.0], [-1.0, 1.0]])
    for fn in (L.hinge, L.squared_hinge):
        assert fn((pm + 1) / 2, p).item() == fn(pm, p).item()
        # labels that are not all 0/1 are used as they are (Keras decides over the whole batch)
        mixed = np.array([[1.0, 0.0], [-1.0, 1.0]])
        assert np.isclose(fn(mixed, p).item(), NEW_LOSSES[fn.__name__](mixed, p.numpy()).mean())
        # a batch of only 1s or only 0s is binary too: 0s become −1
        assert np.isclose(fn(np.zeros((2, 2)), p).item(), fn(-np.ones((2, 2)), p).item())
    assert L.hinge(np.array([1, 0]), fl.tensor([[2.0], [-3.0]])).item() == 0.0  # integer labels, (n,) for (n, 1)


def gradcheck_weighted(fn, x, seed):
    """Central differences in float64 of sum(weights · fn(x)) with uneven weights (as tests/test_functional.py)."""
    probe = fn(fl.tensor(x))
    weights = np.random.default_rng(seed).normal(size=probe.shape) / max(probe.size, 1)
    assert fl.gradcheck(lambda t: fn(t) * fl.tensor(weights), [x], rtol=1e-6)


@pytest.mark.parametrize("name", list(NEW_LOSSES))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(6,), (4, 3), (2, 3, 2)])
def test_new_losses_gradients_match_finite_differences(float64, name, reduction, shape):
    rng = np.random.default_rng(sum(map(ord, name + reduction)) + len(shape))
    y, p = new_loss_data(name, rng, shape)
    # keep every point clear of a kink by more than the finite-difference step
    if name == "huber":
        e = p - y
        p = y + np.where(np.abs(np.abs(e) - 1.0) < 0.05, e * 1.2, e)
        p = np.where(np.abs(p - y) < 0.05, y + 0.3, p)
    elif name == "mape":
        # no zero target here: its 1e9-sized term would swamp every finite difference (tested on its own above)
        y = np.where(np.abs(y) < 0.2, 0.5, y)
        p = np.where(np.abs(p - y) < 0.05, y + 0.5, p)
    elif name == "msle":
        p = np.where(np.abs(p) < 0.05, 0.5, p)
    elif name in ("hinge", "squared_hinge"):
        signs = 2 * y - 1
        p = np.where(np.abs(1 - signs * p) < 0.05, p + 0.3, p)
    fn = L.get(name)
    gradcheck_weighted(lambda t: fn(y, t, reduction=reduction), p, seed=len(name))
    if name == "huber":
        gradcheck_weighted(lambda t: fn(y, t, delta=0.3, reduction=reduction), p, seed=1)


def test_log_cosh_is_stable_and_accurate_at_every_error():
    errors = np.array([[-1000.0, -30.0, -1.0, -1e-4, 0.0, 1e-4, 0.999, 1.0, 1.001, 30.0, 1000.0]])
    small = np.abs(errors) < 1e-2  # where log(cosh x) itself rounds badly: its series x²/2 − x⁴/12 + x⁶/45
    exact = np.where(small, errors**2 / 2 - errors**4 / 12 + errors**6 / 45,
                     np.where(np.abs(errors) < 20, np.log(np.cosh(np.clip(errors, -20, 20))),
                              np.abs(errors) - np.log(2.0)))
    for dtype in ("float64", "float32"):
        fl.set_default_dtype(dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no overflow in the value or the gradient
            p = fl.tensor(errors.T, requires_grad=True)
            value = L.log_cosh(np.zeros((errors.size, 1)), p, reduction="none")
            value.sum().backward()
        # relative accuracy even near 0, where Keras's x + softplus(−2x) − log 2 cancels to nothing in float32
        np.testing.assert_allclose(value.numpy().ravel(), exact.ravel(), rtol=1e-6 if dtype == "float32" else 1e-14)
        np.testing.assert_allclose(fl.backend.to_numpy(p.grad).ravel(), np.tanh(errors).ravel(),
                                   rtol=1e-6 if dtype == "float32" else 1e-14)


@pytest.mark.parametrize("name", list(NEW_LOSSES))
def test_new_losses_stay_finite_at_extreme_inputs(name):
    y = np.array([[0.0, 1.0, -1.0], [1e3, -1e3, 0.0]]) if name not in ("hinge", "squared_hinge") else \
        np.array([[0.0, 1.0, 1.0], [0.0, 0.0, 1.0]])
    p = np.array([[1e3, -1e3, 1e-30], [-1e4, 1e4, -1e3]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for reduction in ("mean", "sum", "none"):
            t = fl.tensor(p, requires_grad=True)
            value = L.get(name)(y, t, reduction=reduction)
            value.sum().backward()
            assert np.all(np.isfinite(value.numpy())) and np.all(np.isfinite(fl.backend.to_numpy(t.grad)))


def test_new_loss_names_aliases_and_errors():
    assert L.get("huber") is L.huber and L.get("Log_Cosh") is L.log_cosh and L.get("logcosh") is L.log_cosh
    assert L.get("mean_absolute_percentage_error") is L.get("MAPE") is L.mape
    assert L.get("mean_squared_logarithmic_error") is L.get("msle") is L.msle
    assert L.get("hinge") is L.hinge and L.get("squared_hinge") is L.squared_hinge
    assert [L.canonical_name(n) for n in ("mean_absolute_percentage_error", "MEAN_SQUARED_LOGARITHMIC_ERROR",
                                          "logcosh", "huber")] == ["mape", "msle", "log_cosh", "huber"]
    with pytest.raises(ConfigError, match="did you mean 'huber'.*log_cosh.*mape.*msle.*squared_hinge"):
        L.get("hubber")
    assert L.Loss("huber", delta=2.0).get_config() == {"name": "huber", "reduction": None, "delta": 2.0}
    with pytest.raises(ConfigError, match="loss 'mape' got option.*delta.*takes only reduction"):
        L.Loss("mape", delta=2.0)


KERAS_CLASSES = [
    ("MeanAbsolutePercentageError", {}, "mape", {}),
    ("MeanSquaredLogarithmicError", {}, "msle", {}),
    ("Huber", {}, "huber", {}),
    ("Huber", {"delta": 0.5, "reduction": "sum"}, "huber", {"delta": 0.5, "reduction": "sum"}),
    ("LogCosh", {"reduction": None}, "log_cosh", {"reduction": "none"}),
    ("Hinge", {}, "hinge", {}),
    ("SquaredHinge", {"reduction": "sum_over_batch_size"}, "squared_hinge", {}),
]


@pytest.mark.parametrize("cls, kwargs, name, options", KERAS_CLASSES)
def test_keras_loss_classes_compute_fnlearns_losses(float64, cls, kwargs, name, options):
    rng = np.random.default_rng(4)
    y, p = new_loss_data(name, rng, (4, 3))
    loss = getattr(fl.keras.losses, cls)(**kwargs)
    assert np.array_equal(loss(y, fl.tensor(p)).numpy(), L.get(name)(y, fl.tensor(p), **options).numpy())
    assert loss.get_config()["name"] == name


def test_keras_loss_function_names():
    K = fl.keras.losses  # noqa: N806
    assert K.huber.builtin is L.huber and K.log_cosh.builtin is L.log_cosh and K.hinge.builtin is L.hinge
    assert K.squared_hinge.builtin is L.squared_hinge
    assert K.mean_absolute_percentage_error is K.mape is K.MAPE and K.mape.builtin is L.mape
    assert K.mean_squared_logarithmic_error is K.msle is K.MSLE and K.msle.builtin is L.msle
    y, p = fl.tensor([[1.0], [2.0]]), fl.tensor([[1.5], [4.0]])
    np.testing.assert_array_equal(K.huber(y, p, delta=0.5).numpy(), L.huber(y, p, delta=0.5, reduction="none").numpy())
    # the default delta is left out of the config, so Huber() saves as plain "huber"
    assert K.Huber().get_config() == {"name": "huber", "reduction": "mean"}
    assert K.Huber(delta=2).get_config() == {"name": "huber", "reduction": "mean", "delta": 2.0}
    with pytest.raises(ConfigError, match=r"Huber\(delta=-1\)"):
        K.Huber(delta=-1)


REGRESSION_LOSSES = ["huber", "mape", "msle", "log_cosh", "mean_absolute_percentage_error",
                     "mean_squared_logarithmic_error"]


@pytest.mark.parametrize("loss", [*REGRESSION_LOSSES, "hinge", "squared_hinge", "keras-Huber", "keras-LogCosh"])
def test_a_model_compiled_with_each_new_loss_trains_on_the_general_path(loss):
    from fnlearn import fastpath

    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 3))
    score = x @ np.array([1.5, -2.0, 0.5])
    y = ((score > 0) * 1.0) if loss in ("hinge", "squared_hinge") else np.abs(score)[:, None] + 1.0
    spec = {"keras-Huber": fl.keras.losses.Huber(delta=0.5), "keras-LogCosh": fl.keras.losses.LogCosh()}.get(loss, loss)
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(16, activation="tanh", input_dim=3), fl.layers.Dense(1)])
    model.compile(optimizer=fl.optim.Adam(learning_rate=0.02), loss=spec)
    # the hand-written step knows only mse/mae/half_sse and the cross-entropies: these take autodiff
    assert fastpath._loss_spec(spec) is None
    assert fastpath.compile_step(model, model.loss, model.optimizer, (3,)) is None
    history = model.fit(x, y, epochs=40, batch_size=32, verbose=0).history["loss"]
    assert np.all(np.isfinite(history)) and history[-1] < 0.7 * history[0], history


def test_a_loss_class_of_ones_own_takes_sample_weights_and_saves_by_its_class_name(tmp_path):
    from fnlearn import keras
    from fnlearn.keras import ops

    class CustomMSE(keras.losses.Loss):
        def __init__(self, regularization_factor=0.1, name="custom_mse"):  # no reduction: as Keras's guide
            super().__init__(name=name)
            self.regularization_factor = regularization_factor

        def call(self, y_true, y_pred):
            return ops.mean(ops.square(y_true - y_pred), axis=-1) * (1 + self.regularization_factor)

        def get_config(self):
            return {**super().get_config(), "regularization_factor": self.regularization_factor}

    y, pred = np.array([[1.0], [2.0], [0.0]]), fl.tensor([[0.0], [0.0], [3.0]])
    w = np.array([1.0, 0.0, 2.0])
    per_sample = np.array([1.0, 4.0, 9.0]) * 1.5
    loss = CustomMSE(0.5)
    np.testing.assert_allclose(float(loss(y, pred, sample_weight=w)), np.sum(per_sample * w) / 3)
    np.testing.assert_allclose(CustomMSE(0.5)(y, pred).numpy(), per_sample.mean())
    class NoReduction(keras.losses.Loss):
        def call(self, y_true, y_pred):
            return ops.mean(ops.square(y_true - y_pred), axis=-1)

    np.testing.assert_allclose(NoReduction(reduction=None)(y, pred).numpy(), [1.0, 4.0, 9.0])  # Keras's None
    np.testing.assert_allclose(float(keras.losses.MeanSquaredError()(y, pred, sample_weight=w)), (1 + 18) / 3)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", loss=CustomMSE(0.5))
    x = np.random.default_rng(0).random((3, 2))
    model.save(tmp_path / "m.keras")
    with pytest.raises(fl.errors.ModelFileError, match=r"was compiled with the loss class 'CustomMSE' of your own; "
                                                       r"pass it as custom_objects=\{'CustomMSE': CustomMSE\}"):
        keras.models.load_model(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", custom_objects={"CustomMSE": CustomMSE})
    assert type(loaded.loss) is CustomMSE and loaded.loss.regularization_factor == 0.5
    assert loaded.evaluate(x, y) == model.evaluate(x, y)
