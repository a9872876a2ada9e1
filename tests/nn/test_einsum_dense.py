"""EinsumDense: Keras's weight shapes, output shapes and outputs for each form of equation, its gradients against
central differences, its kernel's starting scale, a model of it that trains as Keras's and crosses files both ways."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import assert_files_cross_both_ways, assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.gradcheck import numerical_grad

RNG = np.random.default_rng(13)

CASES = [  # equation, output_shape, bias_axes, the samples' shape
    ("ab,bc->ac", 4, "c", (6,)),
    ("ab,bc->ac", 3, None, (5,)),
    ("abc,cde->abde", (None, 4, 5), "de", (3, 6)),
    ("abc,cde->abde", (3, 2, 5), "e", (3, 6)),
    ("abcd,cde->abe", (None, 6), "e", (3, 4, 5)),
    ("abc,cd->abd", (None, 4), "d", (3, 5)),
    ("...b,bc->...c", 6, "c", (3, 5)),
    ("...b,bc->...c", (2,), None, (4, 3, 5)),
    ("ab...,bc->ac...", 6, "c", (5, 3)),
    ("abc...,cd->abd...", (None, 2), "d", (3, 4, 2)),
]


@pytest.mark.parametrize("equation, output_shape, bias_axes, sample", CASES)
def test_weights_shapes_and_outputs_are_kerass(equation, output_shape, bias_axes, sample):
    real = real_keras()
    x = RNG.normal(size=(2, *sample)).astype(np.float32)
    theirs = real.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, activation="tanh")
    expected = np.asarray(theirs(x))
    ours = keras.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, activation="tanh")
    ours(x)
    assert [tuple(w.shape) for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(ours(x).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert ours.compute_output_shape(sample) == expected.shape[1:]
    again = keras.layers.EinsumDense.from_config(ours.get_config())
    again(x)
    again.set_weights(ours.get_weights())
    np.testing.assert_array_equal(again(x).numpy(), ours(x).numpy())


@pytest.mark.parametrize("equation, output_shape, bias_axes, sample", CASES[::2])
def test_gradients_match_central_differences_in_float64(float64, equation, output_shape, bias_axes, sample):
    layer = fl.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, activation="tanh",
                                  bias_initializer="random_normal")
    x = fl.tensor(RNG.normal(size=(2, *sample)), requires_grad=True)
    weights = fl.tensor(RNG.normal(size=layer(x).shape))
    (layer(x) * weights).sum().backward()
    inputs = [x, *layer.parameters()]  # central differences move each value of the input and of the weights
    assert len(inputs) == (3 if bias_axes else 2)
    for k, tensor in enumerate(inputs):
        numeric = numerical_grad(lambda *_: layer(x) * weights, inputs, k, 1e-6)
        np.testing.assert_allclose(fl.backend.to_numpy(tensor.grad), numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("initializer, bound", [
    ("glorot_uniform", lambda fan_in, fan_out: np.sqrt(6 / (fan_in + fan_out))),
    ("he_uniform", lambda fan_in, fan_out: np.sqrt(6 / fan_in)),
])
def test_the_kernel_starts_at_kerass_scale_its_fans_counted_on_the_einsums_axes(initializer, bound):
    real = real_keras()
    sample, fan_in, fan_out = (5, 48), 48, 4 * 32  # "abc,cde->abde": c is summed, d and e are made
    limit = bound(fan_in, fan_out)
    for library in (real, keras):
        layer = library.layers.EinsumDense("abc,cde->abde", (None, 4, 32), kernel_initializer=initializer)
        layer(np.zeros((1, *sample), np.float32))
        kernel = np.asarray(layer.get_weights()[0])
        assert kernel.shape == (48, 4, 32)
        assert limit * 0.95 < np.abs(kernel).max() <= limit, library.__name__


def _encoder(library):
    """Attention-style projections: features to (heads, head_dim) and back, then a Dense head."""
    layers = library.layers
    inputs = library.Input((5, 6))
    heads = layers.EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="de", activation="relu")(inputs)
    back = layers.EinsumDense("abcd,cde->abe", (None, 4), bias_axes="e")(heads)
    pooled = layers.GlobalAveragePooling1D()(back)
    return library.Model(inputs, layers.EinsumDense("ab,bc->ac", 1, bias_axes="c", activation="sigmoid")(pooled))


def test_a_model_of_einsum_layers_trains_as_keras_and_its_files_cross_both_ways(tmp_path):
    real = real_keras()
    x = RNG.normal(size=(8, 5, 6)).astype(np.float32)
    y = (RNG.random((8, 1)) < 0.5).astype(np.float32)
    theirs, ours = _encoder(real), _encoder(keras)
    assert_trains_as_keras(real, theirs, ours, x, y, "binary_crossentropy", learning_rate=0.1, batch_size=4,
                           rtol=2e-4, atol=2e-5)
    assert_files_cross_both_ways(real, theirs, ours, x, tmp_path)


@pytest.mark.parametrize("make, error, words", [
    (lambda: keras.layers.EinsumDense("ab->b", 3), ConfigError, "got equation='ab->b'; it takes one of Keras's forms"),
    (lambda: keras.layers.EinsumDense("...ab,bc->ac", 3), ConfigError, "it takes one of Keras's forms"),
    (lambda: keras.layers.EinsumDense("ab,bc->ac", (0,)), ConfigError, "got output_shape=(0,)"),
    (lambda: keras.layers.EinsumDense("ab,bc->ac", 3, bias_axes="b"), ConfigError,
     "bias_axes='b', but 'b' is not an axis of the output 'ac'"),
    (lambda: keras.layers.EinsumDense("ab,bc->ac", 3, lora_rank=4), ConfigError, "has neither LoRA adapters"),
    (lambda: keras.layers.EinsumDense("ab,bc->ac", (3, 4))(np.ones((2, 5))), ConfigError,
     "takes an output_shape of 1 sizes"),
    (lambda: keras.layers.EinsumDense("abc,cd->abd", (4, 2))(np.ones((2, 3, 5))), ShapeError,
     "axis 'b' of 'abc,cd->abd' has size 3 in the inputs but 4 in output_shape"),
    (lambda: keras.layers.EinsumDense("abc,cd->abd", (None, 2))(np.ones((2, 5))), ShapeError,
     "takes inputs of 3 axes (the batch's included), but got inputs of shape (None, 5)"),
    (lambda: keras.layers.EinsumDense("ab,bcd->acd", (3, None))(np.ones((2, 5))), ShapeError,
     "kernel axis 'd' of 'ab,bcd->acd' has an unknown size (None)"),
])
def test_bad_input_is_one_sentence(make, error, words):
    with pytest.raises(error) as caught:
        make()
    assert words in str(caught.value) and str(caught.value).endswith(".")
