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
                                  "sparse_categorical_crossentropy", "binary_crossentropy"])
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
