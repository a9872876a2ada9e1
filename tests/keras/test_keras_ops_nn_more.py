"""``keras.ops``' sparsemax, sparse_sigmoid, polar, unfold/fold and the CTC pair: values against real Keras 3,
gradients against central differences (float64) and, where PyTorch has the op, against PyTorch's."""

from __future__ import annotations

import re

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn.errors import ConfigError, DataError, ShapeError
from fnlearn.keras import ops

RNG = np.random.default_rng(23)
X = RNG.normal(size=(3, 5)).astype(np.float32) * 2
IMG = RNG.normal(size=(2, 3, 7, 6)).astype(np.float32)
# logits (batch, time, classes), labels (blank 0) with a repeat, an empty target and lengths short of the padding
B, T, C, L = 4, 12, 6, 5
LOGITS = (RNG.normal(size=(B, T, C)) * 3).astype(np.float32)
TARGET = RNG.integers(1, C, size=(B, L))
TARGET[1, 1] = TARGET[1, 0]
TARGET_LENGTH = np.array([5, 3, 0, 4])
OUTPUT_LENGTH = np.array([12, 9, 4, 10])
WEIGHTS = np.arange(1.0, B + 1)  # a distinct weight per sample, so a gradient mixed up between samples shows

BLOCKS = [
    {"kernel_size": 2},
    {"kernel_size": (3, 2), "dilation": (2, 1), "padding": (1, 2), "stride": (2, 3)},
    {"kernel_size": 3, "stride": 2, "padding": 1},
]


def _keras_array(value):
    """A real Keras result as a NumPy array (its PyTorch tensors may require grad)."""
    return np.asarray(value.detach() if hasattr(value, "detach") else value)


def _one_sentence(message: str) -> None:
    assert message.endswith(".") and re.search(r"[.;] [A-Z]", message) is None, message


# ----------------------------------------------------------------------------- activations


def test_sparse_sigmoid_matches_keras_and_its_gradient():
    real = real_keras()
    z = np.array([-6.0, -1.5, -0.4, 0.0, 0.3, 0.9, 2.0, 6.0], np.float32)
    np.testing.assert_allclose(ops.sparse_sigmoid(z).numpy(), _keras_array(real.ops.sparse_sigmoid(z)), atol=1e-7)
    assert ops.nn.sparse_sigmoid is ops.sparse_sigmoid
    assert fl.gradcheck(lambda t: ops.sparse_sigmoid(t) * np.arange(1.0, 7.0), [z[1:-1].astype(np.float64)])


def test_sparsemax_matches_keras_where_one_score_leads_and_projects_onto_the_simplex():
    real = real_keras()
    lead = np.array([[4.0, 0.5, -1.0, 1.2], [-3.0, 0.2, 2.9, 0.1]], np.float32)  # one score in the support per row
    np.testing.assert_allclose(ops.sparsemax(lead).numpy(), _keras_array(real.ops.sparsemax(lead)), atol=1e-7)
    np.testing.assert_allclose(ops.sparsemax(lead.T, axis=0).numpy(),
                               _keras_array(real.ops.sparsemax(lead.T, axis=0)), atol=1e-7)
    # several scores in the support: the Euclidean projection onto the simplex (Martins & Astudillo), which sums
    # to 1 and is the closest such point; checked against a direct minimisation over the simplex's support sets
    out = ops.sparsemax(X, axis=-1).numpy()
    np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-6)
    assert (out >= 0).all() and ((out > 0).sum(axis=-1) > 1).any()
    for row, got in zip(X.astype(np.float64), out):
        support = got > 0
        tau = (row[support].sum() - 1) / support.sum()
        np.testing.assert_allclose(got, np.maximum(row - tau, 0), atol=1e-6)
        assert np.all(row[~support] <= tau + 1e-6)
    np.testing.assert_allclose(ops.sparsemax(X, axis=0).numpy().sum(axis=0), 1.0, rtol=1e-6)
    assert fl.gradcheck(lambda t: ops.sparsemax(t) * np.arange(15.0).reshape(3, 5), [X.astype(np.float64)])


# ----------------------------------------------------------------------------- polar


def test_polar_is_kerass_complex_number_as_a_real_imag_pair_and_differentiable():
    real = real_keras()
    angle = RNG.normal(size=(3, 5)).astype(np.float32) * 3
    re_, im_ = ops.polar(np.abs(X), angle)
    theirs = _keras_array(real.ops.polar(np.abs(X), angle))
    np.testing.assert_allclose(re_.numpy(), theirs.real, atol=1e-6)
    np.testing.assert_allclose(im_.numpy(), theirs.imag, atol=1e-6)
    # the pair goes straight into the Fourier ops, which take complex values the same way
    back_re, back_im = ops.ifft2(ops.fft2((re_, im_)))
    np.testing.assert_allclose(back_re.numpy(), re_.numpy(), atol=1e-5)
    assert fl.gradcheck(lambda r, a: fl.functional.add(*ops.polar(r, a)) * np.arange(15.0).reshape(3, 5),
                        [np.abs(X).astype(np.float64), angle.astype(np.float64)])


# ----------------------------------------------------------------------------- unfold / fold


@pytest.mark.parametrize("settings", BLOCKS)
def test_unfold_and_fold_match_keras(settings):
    real = real_keras()
    ours = ops.unfold(IMG, **settings)
    theirs = _keras_array(real.ops.unfold(real.ops.convert_to_tensor(IMG), **settings))
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours.numpy(), theirs, atol=1e-7)
    folded = ops.fold(ours, output_size=(7, 6), **settings)
    np.testing.assert_allclose(folded.numpy(), _keras_array(real.ops.fold(real.ops.convert_to_tensor(theirs),
                                                                          output_size=(7, 6), **settings)),
                               atol=1e-6)
    assert ops.nn.unfold is ops.unfold and ops.nn.fold is ops.fold


@pytest.mark.parametrize("settings", BLOCKS)
def test_unfold_and_fold_gradients_match_central_differences_and_pytorch(settings):
    small = IMG[:1, :2].astype(np.float64)
    cols = ops.unfold(small, **settings).numpy()
    w_cols = RNG.normal(size=cols.shape)
    w_img = RNG.normal(size=small.shape)
    assert fl.gradcheck(lambda t: ops.unfold(t, **settings) * w_cols, [small])
    assert fl.gradcheck(lambda t: ops.fold(t, output_size=(7, 6), **settings) * w_img, [cols])
    torch = pytest.importorskip("torch")
    x = fl.tensor(small, requires_grad=True)
    (ops.unfold(x, **settings) * w_cols).sum().backward()
    tx = torch.tensor(small, requires_grad=True)
    (torch.nn.functional.unfold(tx, **settings) * torch.tensor(w_cols)).sum().backward()
    np.testing.assert_allclose(fl.backend.to_numpy(x.grad), tx.grad.numpy(), atol=1e-12)
    c = fl.tensor(cols, requires_grad=True)
    (ops.fold(c, output_size=(7, 6), **settings) * w_img).sum().backward()
    tc = torch.tensor(cols, requires_grad=True)
    (torch.nn.functional.fold(tc, output_size=(7, 6), **settings) * torch.tensor(w_img)).sum().backward()
    np.testing.assert_allclose(fl.backend.to_numpy(c.grad), tc.grad.numpy(), atol=1e-12)


def test_fold_of_unfold_counts_each_pixels_blocks():
    ones = np.ones((1, 1, 4, 4))
    counts = ops.fold(ops.unfold(ones, kernel_size=2), output_size=4, kernel_size=2).numpy()[0, 0]
    assert counts.tolist() == [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]


# ----------------------------------------------------------------------------- CTC


def test_ctc_loss_matches_keras_with_either_blank():
    real = real_keras()
    ours = ops.ctc_loss(TARGET, LOGITS, TARGET_LENGTH, OUTPUT_LENGTH)
    theirs = _keras_array(real.ops.ctc_loss(TARGET, LOGITS, TARGET_LENGTH, OUTPUT_LENGTH))
    assert ours.shape == (B,) and ours.dtype == np.float32
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-5)
    target = RNG.integers(0, C - 1, size=(B, L))
    ours = ops.ctc_loss(target, LOGITS, TARGET_LENGTH, OUTPUT_LENGTH, mask_index=C - 1)
    theirs = _keras_array(real.ops.ctc_loss(target, LOGITS, TARGET_LENGTH, OUTPUT_LENGTH, mask_index=C - 1))
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-5)
    assert ops.nn.ctc_loss is ops.ctc_loss


def test_ctc_loss_by_brute_force_over_every_path():
    # every path of 3 steps over 3 classes that collapses (repeats merged, blanks dropped) to the label "1 2"
    logits = RNG.normal(size=(1, 3, 3))
    p = np.exp(logits[0]) / np.exp(logits[0]).sum(-1, keepdims=True)
    total = 0.0
    for path in np.ndindex(3, 3, 3):
        merged = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
        if [c for c in merged if c != 0] == [1, 2]:
            total += p[0, path[0]] * p[1, path[1]] * p[2, path[2]]
    np.testing.assert_allclose(ops.ctc_loss([[1, 2]], logits, [2], [3]).numpy(), [-np.log(total)], rtol=1e-12)


def test_ctc_loss_gradient_matches_central_differences_and_pytorch():
    logits = LOGITS.astype(np.float64)
    assert fl.gradcheck(lambda z: ops.ctc_loss(TARGET, z, TARGET_LENGTH, OUTPUT_LENGTH) * WEIGHTS, [logits],
                        atol=1e-7, rtol=1e-5)
    torch = pytest.importorskip("torch")
    z = fl.tensor(logits, requires_grad=True)
    ours = ops.ctc_loss(TARGET, z, TARGET_LENGTH, OUTPUT_LENGTH)
    (ours * WEIGHTS).sum().backward()
    tz = torch.tensor(logits, requires_grad=True)
    theirs = torch.nn.functional.ctc_loss(torch.log_softmax(tz, -1).transpose(0, 1), torch.tensor(TARGET),
                                          torch.tensor(OUTPUT_LENGTH), torch.tensor(TARGET_LENGTH), reduction="none")
    (theirs * torch.tensor(WEIGHTS)).sum().backward()
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(fl.backend.to_numpy(z.grad), tz.grad.numpy(), atol=1e-10)
    assert not np.any(z.grad[3, 10:])  # steps past a sample's output_length get no gradient


def test_ctc_loss_is_stable_on_long_confident_sequences_and_infinite_where_no_alignment_exists():
    long = np.zeros((1, 400, 4), np.float32)
    long[0, :, 1] = 60.0  # every step almost surely class 1: p(label "1") = 1 − tiny
    loss = ops.ctc_loss([[1]], long, [1], [400]).numpy()
    assert np.isfinite(loss).all() and 0 <= loss[0] < 1e-6
    x = fl.tensor(LOGITS[:1, :4], requires_grad=True)
    out = ops.ctc_loss([[1, 1, 1]], x, [3], [4])  # "1 1 1" needs 5 steps (blanks between repeats); 4 are given
    assert np.isinf(out.numpy()[0])
    out.sum().backward()
    assert np.all(x.grad == 0)


def test_ctc_decode_greedy_matches_keras():
    real = real_keras()
    for settings in ({}, {"merge_repeated": False, "mask_index": 2}):
        decoded, scores = ops.ctc_decode(LOGITS, OUTPUT_LENGTH, **settings)
        their_decoded, their_scores = real.ops.ctc_decode(LOGITS, OUTPUT_LENGTH, **settings)
        assert decoded.shape == (1, B, T) and decoded.dtype == np.int32 and scores.shape == (B, 1)
        np.testing.assert_array_equal(decoded.numpy(), _keras_array(their_decoded))
        np.testing.assert_allclose(scores.numpy(), _keras_array(their_scores), rtol=1e-6)
    assert ops.nn.ctc_decode is ops.ctc_decode


@pytest.mark.parametrize("beam_width, top_paths, mask_index", [(5, 3, 0), (100, 4, 2), (2, 2, 0), (10, 10, 5)])
def test_ctc_decode_beam_search_matches_keras(beam_width, top_paths, mask_index):
    real = real_keras()
    settings = {"strategy": "beam_search", "beam_width": beam_width, "top_paths": top_paths, "mask_index": mask_index}
    decoded, scores = ops.ctc_decode(LOGITS, OUTPUT_LENGTH, **settings)
    their_decoded, their_scores = real.ops.ctc_decode(LOGITS, OUTPUT_LENGTH, **settings)
    assert decoded.shape == (top_paths, B, T) and decoded.dtype == np.int32 and scores.shape == (B, top_paths)
    np.testing.assert_array_equal(decoded.numpy(), _keras_array(their_decoded))
    np.testing.assert_allclose(scores.numpy(), _keras_array(their_scores), rtol=1e-5)


def test_ctc_decode_beam_search_scores_are_the_probabilities_ctc_loss_gives():
    # with a beam wide enough to keep every prefix, a sequence's score is log p(sequence), −ctc_loss
    logits = RNG.normal(size=(1, 5, 3))
    decoded, scores = ops.ctc_decode(logits, [5], strategy="beam_search", beam_width=1000, top_paths=3)
    for path, score in zip(decoded.numpy()[:, 0], scores.numpy()[0]):
        labels = path[path >= 0]
        loss = ops.ctc_loss(labels[None], logits, [labels.size], [5]).numpy()[0]
        assert score == pytest.approx(-loss, rel=1e-9)


@pytest.mark.keras_backend("jax")  # Keras on JAX's results: its PyTorch backend orders tied sequences by a hash
def test_ctc_decode_beam_search_breaks_ties_as_keras_on_jax():
    real = real_keras()
    settings = {"strategy": "beam_search", "beam_width": 100, "top_paths": 5}
    flat = np.zeros((1, 4, 3), np.float32)  # every class equally likely: many sequences tie
    decoded, scores = ops.ctc_decode(flat, [4], **settings)
    their_decoded, their_scores = real.ops.ctc_decode(flat, np.array([4]), **settings)
    np.testing.assert_array_equal(decoded.numpy(), _keras_array(their_decoded))
    np.testing.assert_allclose(scores.numpy(), _keras_array(their_scores), rtol=1e-6)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("call, error, words", [
    (lambda: ops.sparsemax(X, axis=1.5), ConfigError, "axis must be one integer"),
    (lambda: ops.sparsemax(X, axis=4), ShapeError, "out of range"),
    (lambda: ops.polar(X, X[:2, :2]), ShapeError, "do not broadcast"),
    (lambda: ops.unfold(IMG[0], kernel_size=2), ShapeError, "channels-first batch"),
    (lambda: ops.unfold(IMG, kernel_size=0), ConfigError, "kernel_size must be an integer"),
    (lambda: ops.unfold(IMG, kernel_size=2, stride=(1, 2, 3)), ConfigError, "stride must be"),
    (lambda: ops.unfold(IMG, kernel_size=8), ShapeError, "does not fit"),
    (lambda: ops.fold(IMG, output_size=4, kernel_size=2), ShapeError, "3-D tensor"),
    (lambda: ops.fold(np.ones((1, 5, 9)), output_size=4, kernel_size=2), ShapeError, "do not fit"),
    (lambda: ops.fold(np.ones((1, 4, 8)), output_size=4, kernel_size=2), ShapeError, "do not fit"),
    (lambda: ops.ctc_loss(TARGET, LOGITS[0], TARGET_LENGTH, OUTPUT_LENGTH), ShapeError, "batch, time, classes"),
    (lambda: ops.ctc_loss(TARGET[:2], LOGITS, TARGET_LENGTH, OUTPUT_LENGTH), ShapeError, "one row"),
    (lambda: ops.ctc_loss(TARGET, LOGITS, TARGET_LENGTH[:2], OUTPUT_LENGTH), ShapeError, "one target_length"),
    (lambda: ops.ctc_loss(TARGET, LOGITS, TARGET_LENGTH + 1, OUTPUT_LENGTH), ShapeError, "from 0 to 5"),
    (lambda: ops.ctc_loss(TARGET, LOGITS, TARGET_LENGTH, OUTPUT_LENGTH + 1), ShapeError, "from 1 to 12"),
    (lambda: ops.ctc_loss(TARGET, LOGITS, TARGET_LENGTH, OUTPUT_LENGTH, mask_index=C), ConfigError, "blank class"),
    (lambda: ops.ctc_loss(np.where(TARGET == TARGET, 0, 0), LOGITS, TARGET_LENGTH, OUTPUT_LENGTH), DataError,
     "other than the blank"),
    (lambda: ops.ctc_loss(TARGET + 0.5, LOGITS, TARGET_LENGTH, OUTPUT_LENGTH), DataError, "non-integer"),
    (lambda: ops.ctc_decode(LOGITS, OUTPUT_LENGTH, strategy="beam"), ConfigError, "'greedy' or 'beam_search'"),
    (lambda: ops.ctc_decode(LOGITS, OUTPUT_LENGTH, strategy="beam_search", beam_width=0), ConfigError,
     "beam_width must be"),
    (lambda: ops.ctc_decode(LOGITS, OUTPUT_LENGTH, top_paths=1.5), ConfigError, "top_paths must be"),
    (lambda: ops.ctc_decode(LOGITS, OUTPUT_LENGTH + 1), ShapeError, "from 0 to 12"),
    (lambda: ops.ctc_decode(LOGITS, OUTPUT_LENGTH[:2]), ShapeError, "one sequence length"),
    (lambda: ops.ctc_decode(LOGITS, OUTPUT_LENGTH, mask_index=-1), ConfigError, "blank class"),
])
def test_bad_input_is_refused_in_one_sentence(call, error, words):
    with pytest.raises(error, match=words) as caught:
        call()
    _one_sentence(str(caught.value))
