"""``keras.ops.image.elastic_transform`` (fnlearn.keras.ops_image_more): Keras 3's pixels for the same random draws,
the draws' law and seeds, the gradient with central differences in float64, and bad input refused in one sentence.

Keras draws the displacements from its backend's own generator (on PyTorch, torch's global one, whatever the seed;
on JAX one draw serves both displacements), which fnlearn cannot reproduce: the comparison gives fnlearn's
deterministic part, ``_elastic_warp``, the very draws Keras on PyTorch makes, read back by seeding torch's generator
alike."""

from __future__ import annotations

import re

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras import ops
from fnlearn.keras.ops_image_more import _elastic_warp

RNG = np.random.default_rng(11)
IMAGES = RNG.uniform(0, 1, (2, 9, 11, 3)).astype(np.float32)


def _keras_and_its_draws(real, x, **settings):
    """Keras's elastic_transform of ``x`` on PyTorch, and the standard normal draws (2, batch, height, width) it
    made: torch's generator seeded alike before the draws are read and before Keras draws them."""
    import torch

    if real.backend.backend() != "torch":
        pytest.skip("Keras's draws are read back from PyTorch's generator")
    n, h, w = (1, *x.shape[:2]) if x.ndim == 3 else x.shape[:3]
    with torch.random.fork_rng():
        torch.manual_seed(7)
        noise = [torch.normal(0.0, 1.0, size=(n, h, w), dtype=torch.float32).numpy() for _ in range(2)]
        torch.manual_seed(7)
        out = np.asarray(real.ops.image.elastic_transform(x, **settings))
    return out, np.stack(noise)


SETTINGS = [
    {"alpha": 3.0, "sigma": 1.2},
    {"alpha": 8.0, "sigma": 2.5, "fill_mode": "constant", "fill_value": 0.5},
    {"alpha": 5.0, "sigma": 0.7, "interpolation": "nearest", "fill_mode": "wrap"},
    {"alpha": 6.0, "sigma": 1.0, "fill_mode": "mirror"},
    {"alpha": 4.0, "sigma": 1.6, "fill_mode": "nearest"},
    {},  # Keras's defaults: alpha 20, sigma 5 (a kernel of 31 taps, wider than the images)
]


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: "-".join(f"{k}={v}" for k, v in s.items()) or "defaults")
def test_the_same_draws_give_keras_pixels(settings):
    expected, noise = _keras_and_its_draws(real_keras(), IMAGES, **settings)
    full = {"alpha": 20.0, "sigma": 5.0, "interpolation": "bilinear", "fill_mode": "reflect", "fill_value": 0.0,
            **settings}
    out = _elastic_warp(fl.tensor(IMAGES), noise, *full.values())
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-5)
    assert np.abs(expected - IMAGES).max() > 0.1  # the images did move


def test_one_image_gives_keras_pixels_and_the_op_warps_its_own_draws():
    expected, noise = _keras_and_its_draws(real_keras(), IMAGES[0], alpha=4.0, sigma=1.5)
    np.testing.assert_allclose(_elastic_warp(fl.tensor(IMAGES[:1]), noise, 4.0, 1.5, "bilinear", "reflect", 0.0)
                               .numpy()[0], expected, rtol=1e-5, atol=1e-5)
    # the public op: its draws from the seed's generator, the columns' then the rows', warped as above
    drawn = np.random.default_rng(3).standard_normal((2, 1, 9, 11))
    mine = ops.image.elastic_transform(IMAGES[0], 4.0, 1.5, seed=3)
    assert mine.shape == (9, 11, 3)
    np.testing.assert_allclose(mine.numpy(), _elastic_warp(fl.tensor(IMAGES[:1]), drawn, 4.0, 1.5, "bilinear",
                                                           "reflect", 0.0).numpy()[0], rtol=1e-6)


def test_displacements_are_smooth_independent_gaussians_of_the_documented_size():
    # pixels that hold their own column and row: each output pixel then holds where it read from
    n, size = 6, 40
    rows, cols = np.meshgrid(np.arange(size, dtype=np.float64), np.arange(size, dtype=np.float64), indexing="ij")
    x = np.broadcast_to(np.stack([cols, rows], -1), (n, size, size, 2))
    alpha, sigma = 2.0, 1.5
    out = ops.image.elastic_transform(x, alpha, sigma, fill_mode="nearest", seed=0).numpy()
    inner = (slice(None), slice(6, -6), slice(6, -6))  # away from the blur's zeros around the images
    dx, dy = (out[..., 0] - x[..., 0])[inner], (out[..., 1] - x[..., 1])[inner]
    taps = np.exp(-0.5 * ((np.arange(int(6 * sigma) | 1) - (int(6 * sigma) | 1) // 2) / sigma) ** 2)
    taps /= taps.sum()
    expected = alpha * sigma * (taps ** 2).sum()  # the deviation of blurred noise: σ·‖kernel‖, times alpha
    for d in (dx, dy):
        assert abs(d.mean()) < 0.15 * expected and abs(d.std() / expected - 1) < 0.15
        assert np.corrcoef(d[:, 1:].ravel(), d[:, :-1].ravel())[0, 1] > 0.6  # smooth: neighbours move alike
    assert abs(np.corrcoef(dx.ravel(), dy.ravel())[0, 1]) < 0.1  # two draws (Keras on JAX gives both one)


def test_seeds_give_keras_s_repeatability():
    x = IMAGES.astype(np.float64)
    same = [ops.image.elastic_transform(x, 3.0, 1.0, seed=5).numpy() for _ in range(2)]
    assert np.array_equal(*same)  # an integer seed: the same draw every call
    a, b = (fl.keras.random.SeedGenerator(2) for _ in range(2))
    first = ops.image.elastic_transform(x, 3.0, 1.0, seed=a).numpy()
    assert np.array_equal(first, ops.image.elastic_transform(x, 3.0, 1.0, seed=b).numpy())
    assert not np.array_equal(first, ops.image.elastic_transform(x, 3.0, 1.0, seed=a).numpy())  # the next draw
    fl.set_seed(4)
    unseeded = ops.image.elastic_transform(x, 3.0, 1.0).numpy()
    fl.set_seed(4)
    assert np.array_equal(unseeded, ops.image.elastic_transform(x, 3.0, 1.0).numpy())
    assert np.array_equal(ops.image.elastic_transform(x, alpha=0.0).numpy(), x)  # no displacement


def _weighted(fn, seed=0):
    """``fn`` times fixed random weights, so that gradcheck (which sums the output) sees every output."""
    def weighted(x):
        out = fn(x)
        return out * fl.tensor(np.random.default_rng(seed).normal(size=out.shape))
    return weighted


@pytest.mark.parametrize("interpolation, fill_mode", [("bilinear", "reflect"), ("bilinear", "constant"),
                                                      ("nearest", "mirror")])
def test_gradient_against_central_differences(interpolation, fill_mode):
    x = RNG.normal(size=(2, 5, 6, 2))
    fn = _weighted(lambda t: ops.image.elastic_transform(t, 3.0, 1.0, interpolation, fill_mode, 0.5, seed=1))
    assert fl.gradcheck(fn, [x], atol=1e-7, rtol=1e-5)


def _one_sentence(error):
    message = str(error.value)
    assert message.endswith(".") and re.search(r"[.;] [A-Z]", message) is None, message
    return message


BAD = [
    ("interpolation", ConfigError, lambda: ops.image.elastic_transform(IMAGES, interpolation="bicubic"), "'bicubic'"),
    ("fill_mode", ConfigError, lambda: ops.image.elastic_transform(IMAGES, fill_mode="edge"), "'edge'"),
    ("fill_value", ConfigError, lambda: ops.image.elastic_transform(IMAGES, fill_value=None), "fill_value"),
    ("alpha", ConfigError, lambda: ops.image.elastic_transform(IMAGES, alpha=np.nan), "alpha=nan"),
    ("sigma", ConfigError, lambda: ops.image.elastic_transform(IMAGES, sigma=0.0), "sigma=0.0"),
    ("seed", ConfigError, lambda: ops.image.elastic_transform(IMAGES, seed="abc"), "seed"),
    ("rank", ShapeError, lambda: ops.image.elastic_transform(IMAGES[0, 0]), "(11, 3)"),
    ("channels_first", ConfigError, lambda: ops.image.elastic_transform(IMAGES, data_format="channels_first"),
     "channels_first"),
]


@pytest.mark.parametrize("error,call,words", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_input_is_refused_in_one_sentence_before_any_draw(error, call, words):
    fl.set_seed(0)
    before = fl.backend.rng().bit_generator.state
    with pytest.raises(error) as raised:
        call()
    assert words in _one_sentence(raised)
    assert fl.backend.rng().bit_generator.state == before


def test_the_module_lists_it():
    from fnlearn.keras import ops_image

    assert "elastic_transform" in ops_image.__all__ and ops.image.elastic_transform is ops_image.elastic_transform
