"""BatchNormalization with a sequence mask, as Keras 3: training's mean and variance over the real steps only
(against real Keras and a NumPy reference), the moving statistics that follow them, the mask passed on, the
gradient through the masked moments against central differences and PyTorch, models that train as Keras's, and
the mistakes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ShapeError
from fnlearn.nn import layers as nn_layers
from fnlearn.nn.layers import masked_batch_norm_train

BN = fl.layers.BatchNormalization
RNG = np.random.default_rng(21)


def _masked(x, mask):
    """``x`` as a Tensor carrying ``mask`` (as Embedding(mask_zero=True) leaves it)."""
    out = fl.tensor(x)
    out._mask = fl.backend.to_device(mask)
    return out


def _moments(x, mask):
    """Keras's masked moments by hand, in float64: sums over the real positions, divided by their count + 1e-7."""
    rows = np.asarray(x, dtype=np.float64).reshape(-1, x.shape[-1])
    real = np.broadcast_to(mask, x.shape[:-1]).reshape(-1)
    n = real.sum() + 1e-7
    mean = rows[real].sum(axis=0) / n
    return mean, ((rows[real] - mean) ** 2).sum(axis=0) / n


def _weights(features, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=features) + 1, rng.normal(size=features), rng.normal(size=features),
            rng.uniform(0.5, 2.0, features)]


def _pair(real, features, sample_shape, **settings):
    """Keras's layer and fnlearn's, built alike with the same weights (as many as the settings make)."""
    theirs = real.layers.BatchNormalization(**settings)
    theirs.build((None, *sample_shape))
    ours = BN(**settings)
    ours.build(sample_shape)
    keep = [settings.get("scale", True), settings.get("center", True), True, True]
    weights = [w.astype(np.float32) for w, k in zip(_weights(features, 1), keep) if k]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return theirs, ours


SHAPES = [((4, 6, 3), (4, 6)), ((2, 3, 4, 2), (2, 3, 4)), ((5, 3), (5,))]
SETTINGS = [{}, {"momentum": 0.5, "epsilon": 1e-2}, {"center": False}, {"scale": False},
            {"center": False, "scale": False}]


# ----------------------------------------------------------------------------- values and the moving statistics


@pytest.mark.parametrize("shape, mask_shape", SHAPES, ids=["steps", "image", "rows"])
@pytest.mark.parametrize("settings", SETTINGS, ids=["default", "momentum", "no-center", "no-scale", "neither"])
def test_training_takes_the_statistics_of_the_real_steps_as_keras(shape, mask_shape, settings):
    real = real_keras()
    x = (RNG.normal(size=shape) * 3 + 2).astype(np.float32)
    mask = RNG.random(mask_shape) > 0.4
    mask.reshape(-1)[0] = True
    theirs, ours = _pair(real, shape[-1], shape[1:], **settings)
    expected = np.asarray(theirs(x, training=True, mask=mask))
    out = ours(_masked(x, mask), training=True)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(fl.backend.to_numpy(out._mask), mask)  # passed on, as supports_masking
    # by hand: the moving statistics moved towards the masked moments, not the plain ones
    mean, var = _moments(x, mask)
    momentum = settings.get("momentum", 0.99)
    start = _weights(shape[-1], 1)[2:]
    np.testing.assert_allclose(ours.moving_mean.numpy(), start[0] * momentum + mean * (1 - momentum), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(ours.moving_variance.numpy(), start[1] * momentum + var * (1 - momentum),
                               rtol=1e-5, atol=1e-6)
    assert not np.allclose(mean, x.reshape(-1, shape[-1]).mean(axis=0), rtol=1e-3)


def test_every_step_padding_too_is_normalised_by_the_real_steps_statistics(float64):
    x = RNG.normal(size=(3, 5, 2)) * 2 + 1
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 1, 0]], dtype=bool)
    x[~mask] = 1e6  # padding values that would swamp the plain statistics
    gamma, beta = np.array([2.0, 0.5]), np.array([-1.0, 3.0])
    out, mean, var = masked_batch_norm_train(fl.tensor(x), mask, fl.tensor(gamma), fl.tensor(beta), 1e-3)
    ref_mean, ref_var = _moments(x, mask)
    np.testing.assert_allclose(fl.backend.to_numpy(mean), ref_mean, rtol=1e-12)
    np.testing.assert_allclose(fl.backend.to_numpy(var), ref_var, rtol=1e-12)
    np.testing.assert_allclose(out.numpy(), gamma * (x - ref_mean) / np.sqrt(ref_var + 1e-3) + beta, rtol=1e-12)


def test_padding_that_holds_nan_or_inf_leaves_the_real_steps_finite(float64):
    x = RNG.normal(size=(2, 4, 3))
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], dtype=bool)
    x[0, 2], x[1, 3] = np.nan, np.inf
    out = BN()(_masked(x, mask), training=True).numpy()
    assert np.isfinite(out[mask]).all()


def test_a_batch_that_is_all_padding_gives_mean_0_and_variance_0_as_keras():
    real = real_keras()
    x = RNG.normal(size=(2, 3, 4)).astype(np.float32)
    mask = np.zeros((2, 3), dtype=bool)
    theirs, ours = _pair(real, 4, (3, 4), momentum=0.5)
    expected = np.asarray(theirs(x, training=True, mask=mask))
    np.testing.assert_allclose(ours(_masked(x, mask), training=True).numpy(), expected, rtol=1e-5, atol=1e-5)
    start = _weights(4, 1)[2:]
    np.testing.assert_allclose(ours.moving_mean.numpy(), start[0] * 0.5, rtol=1e-6)
    np.testing.assert_allclose(ours.moving_variance.numpy(), start[1] * 0.5, rtol=1e-6)


def test_inference_uses_the_moving_statistics_whatever_the_mask_and_passes_it_on():
    real = real_keras()
    x = RNG.normal(size=(3, 5, 2)).astype(np.float32)
    mask = RNG.random((3, 5)) > 0.5
    theirs, ours = _pair(real, 2, (5, 2))
    before = [w.copy() for w in ours.get_weights()]
    out = ours(_masked(x, mask), training=False)
    np.testing.assert_allclose(out.numpy(), np.asarray(theirs(x, training=False, mask=mask)), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(out.numpy(), ours(x, training=False).numpy())  # the mask changes no value here
    np.testing.assert_array_equal(fl.backend.to_numpy(out._mask), mask)
    for a, b in zip(ours.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_an_all_real_mask_is_plain_batch_normalisation(float64):
    x = RNG.normal(size=(4, 6, 3)) * 2 + 5
    masked, plain = BN(), BN()
    out = masked(_masked(x, np.ones((4, 6), dtype=bool)), training=True).numpy()
    # equal up to the 1e-7 Keras adds to the count
    np.testing.assert_allclose(out, plain(x, training=True).numpy(), rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(masked.moving_variance.numpy(), plain.moving_variance.numpy(), rtol=1e-9)


def test_the_layer_uses_a_mask_without_a_warning_and_the_unmasked_step_keeps_its_own_path(monkeypatch):
    x = RNG.normal(size=(2, 4, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        BN()(_masked(x, np.array([[1, 1, 0, 0], [1, 0, 0, 0]], dtype=bool)), training=True)

    def refuse(*args, **kwargs):
        raise AssertionError("the masked statistics were computed for inputs without a mask")

    monkeypatch.setattr(nn_layers, "masked_batch_norm_train", refuse)
    BN()(x, training=True)  # no mask: the plain batch statistics, as before masks were supported


# ----------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("center, scale", [(True, True), (False, True), (True, False), (False, False)])
@pytest.mark.parametrize("shape, mask_shape", SHAPES[:2], ids=["steps", "image"])
def test_the_masked_gradient_matches_central_differences(float64, center, scale, shape, mask_shape):
    rng = np.random.default_rng(22)
    x = rng.normal(size=shape) * rng.uniform(0.5, 3, shape[-1]) + rng.normal(size=shape[-1])
    mask = rng.random(mask_shape) > 0.4
    mask.reshape(-1)[:2] = True
    weights = fl.tensor(rng.normal(size=shape), dtype="float64")  # padding positions' outputs count too
    gamma, beta = rng.normal(size=shape[-1]) + 1, rng.normal(size=shape[-1])

    def run(t, g, b):
        out = masked_batch_norm_train(t, mask, g if scale else None, b if center else None, 1e-3)[0]
        return (out * weights).sum()

    assert fl.gradcheck(run, [x, gamma, beta], atol=1e-7, rtol=1e-6)


def test_the_layers_gradient_with_a_mask_matches_central_differences(float64):
    rng = np.random.default_rng(23)
    bn = BN(input_shape=(4, 2))
    bn.set_weights([rng.normal(size=2) + 1, rng.normal(size=2), np.zeros(2), np.ones(2)])
    mask = fl.backend.to_device(np.array([[1, 1, 1, 0], [1, 0, 1, 0], [1, 1, 1, 1]], dtype=bool))
    weights = fl.tensor(rng.normal(size=(3, 4, 2)), dtype="float64")

    def run(t):
        t._mask = mask
        return (bn(t, training=True) * weights).sum()

    assert fl.gradcheck(run, [rng.normal(size=(3, 4, 2)) * 2 + 1], atol=1e-7, rtol=1e-6)


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; the parity checks need it")


def test_on_the_real_steps_it_is_pytorchs_batch_norm_of_those_steps_alone(torch, float64):
    """PyTorch has no masked batch norm; where the padding's outputs get no gradient (a masked loss, a recurrent
    layer after it), masking is batch norm of the real rows alone, up to Keras's 1e-7 in the count."""
    rng = np.random.default_rng(24)
    x = rng.normal(size=(4, 6, 3)) * 2 + 1
    mask = rng.random((4, 6)) > 0.3
    g = rng.normal(size=x.shape) * mask[..., None]
    gamma, beta = rng.normal(size=3) + 1, rng.normal(size=3)
    ours_x, ours_g, ours_b = (fl.tensor(v, requires_grad=True, dtype="float64") for v in (x, gamma, beta))
    out, mean, var = masked_batch_norm_train(ours_x, fl.backend.to_device(mask), ours_g, ours_b, 1e-3)
    out.backward(fl.tensor(g))

    tx = torch.tensor(x[mask], requires_grad=True)
    tg, tb = torch.tensor(gamma, requires_grad=True), torch.tensor(beta, requires_grad=True)
    tout = torch.nn.functional.batch_norm(tx, None, None, tg, tb, training=True, eps=1e-3)
    tout.backward(torch.tensor(g[mask]))
    np.testing.assert_allclose(out.numpy()[mask], tout.detach().numpy(), rtol=1e-6, atol=1e-7)
    grad = fl.backend.to_numpy(ours_x.grad)
    np.testing.assert_allclose(grad[mask], tx.grad.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(grad[~mask], 0.0)  # no gradient reaches padding whose output gets none
    np.testing.assert_allclose(fl.backend.to_numpy(ours_g.grad), tg.grad.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(fl.backend.to_numpy(ours_b.grad), tb.grad.numpy(), rtol=1e-9)


# ----------------------------------------------------------------------------- in a model


def _tagger(library):
    """Token ids → Embedding(mask_zero=True) → BatchNormalization → a recurrent layer → Dense."""
    return library.Sequential([library.Input(shape=(7,), dtype="int32"),
                               library.layers.Embedding(15, 4, mask_zero=True),
                               library.layers.BatchNormalization(momentum=0.8),
                               library.layers.LSTM(3), library.layers.Dense(1)])


def _pooled(library):
    """Values → Masking → BatchNormalization → GlobalAveragePooling1D → Dense."""
    return library.Sequential([library.Input(shape=(5, 3)), library.layers.Masking(mask_value=0.0),
                               library.layers.BatchNormalization(momentum=0.7),
                               library.layers.GlobalAveragePooling1D(), library.layers.Dense(2)])


def test_a_masked_recurrent_model_with_batch_norm_trains_as_keras():
    real = real_keras()
    real.utils.set_random_seed(5)
    rng = np.random.default_rng(25)
    ids = rng.integers(1, 15, (8, 7))
    ids[np.arange(7) >= rng.integers(2, 8, 8)[:, None]] = 0
    y = rng.normal(size=(8, 1)).astype(np.float32)
    assert_trains_as_keras(real, _tagger(real), _tagger(keras), ids, y, "mse", learning_rate=0.1, batch_size=4,
                           rtol=2e-5, atol=2e-6)


def test_a_masked_pooling_model_with_batch_norm_trains_as_keras():
    real = real_keras()
    real.utils.set_random_seed(6)
    rng = np.random.default_rng(26)
    x = (rng.normal(size=(8, 5, 3)) * 2 + 3).astype(np.float32)
    x[np.arange(5) >= rng.integers(1, 6, 8)[:, None]] = 0.0
    y = rng.normal(size=(8, 2)).astype(np.float32)
    theirs, ours = _pooled(real), _pooled(keras)
    assert_trains_as_keras(real, theirs, ours, x, y, "mse", learning_rate=0.05, batch_size=4, rtol=2e-5, atol=2e-6)


# ----------------------------------------------------------------------------- mistakes


@pytest.mark.parametrize("mask_shape", [(3, 5, 2), (3,), (3, 4)])
def test_a_mask_of_the_wrong_shape_is_one_sentence_and_changes_nothing(mask_shape):
    x = RNG.normal(size=(3, 5, 2)).astype(np.float32)
    fresh = BN(name="norm")
    with pytest.raises(ShapeError, match=rf"layer 'norm' got a mask of shape \({mask_shape[0]},.*for inputs of "
                                         r"shape \(3, 5, 2\); .* shape \(3, 5\)") as info:
        fresh(x, mask=np.ones(mask_shape, dtype=bool), training=True)
    assert str(info.value).count(". ") == 0 and not fresh.built
    built = BN(name="norm", input_shape=(5, 2))
    before = [w.copy() for w in built.get_weights()]
    with pytest.raises(ShapeError):
        built(x, mask=np.ones(mask_shape, dtype=bool), training=True)
    for a, b in zip(built.get_weights(), before):
        np.testing.assert_array_equal(a, b)
