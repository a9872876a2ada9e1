"""fnlearn.keras.ops: Keras 3's ``keras.ops`` names, with Keras's arguments, as differentiable fnlearn ops.

The expected values are written with NumPy (what keras.ops gives on these inputs)."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import real_keras
from value_checks import assert_custom_loss_trains_as_mse, assert_like_numpy

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras import ops

RNG = np.random.default_rng(0)
X = RNG.normal(size=(2, 3)).astype(np.float32)
Y = RNG.normal(size=(2, 3)).astype(np.float32)
W = RNG.normal(size=(3, 4)).astype(np.float32)
A3 = RNG.normal(size=(2, 3, 4))
B3 = RNG.normal(size=(5, 4, 2))
TINY = np.array([1e-10, -3e-12, 0.5])


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# (id, the ops call, NumPy's value); each is built inside the test, after the backend fixture ran
CASES = [
    ("mean", lambda: ops.mean(fl.tensor(X)), lambda: X.mean()),
    ("mean_axis", lambda: ops.mean(X, axis=-1), lambda: X.mean(axis=-1)),
    ("mean_axes_keepdims", lambda: ops.mean(X, axis=(0, 1), keepdims=True), lambda: X.mean(axis=(0, 1), keepdims=True)),
    ("mean_of_ints", lambda: ops.mean(np.array([1, 2])), lambda: np.float32(1.5)),
    ("sum", lambda: ops.sum(X, axis=0, keepdims=True), lambda: X.sum(axis=0, keepdims=True)),
    ("sum_all", lambda: ops.sum(fl.tensor(X)), lambda: X.sum()),
    ("max", lambda: ops.max(X, axis=1), lambda: X.max(axis=1)),
    ("max_initial", lambda: ops.max(X, initial=10.0), lambda: np.float32(10.0)),
    ("min", lambda: ops.min(fl.tensor(X)), lambda: X.min()),
    ("min_keepdims", lambda: ops.min(X, axis=0, keepdims=True), lambda: X.min(axis=0, keepdims=True)),
    ("logsumexp_all", lambda: ops.logsumexp(X), lambda: np.log(np.exp(X).sum())),
    ("logsumexp_axis", lambda: ops.logsumexp(X, axis=1, keepdims=True),
     lambda: np.log(np.exp(X).sum(axis=1, keepdims=True))),
    ("square", lambda: ops.square(X), lambda: X ** 2),
    ("sqrt", lambda: ops.sqrt(np.abs(X)), lambda: np.sqrt(np.abs(X))),
    ("abs", lambda: ops.abs(fl.tensor(X)), lambda: np.abs(X)),
    ("exp", lambda: ops.exp(X), lambda: np.exp(X)),
    ("log", lambda: ops.log(np.abs(X) + 0.1), lambda: np.log(np.abs(X) + 0.1)),
    ("log1p_tiny", lambda: ops.log1p(TINY), lambda: np.log1p(TINY)),
    ("negative", lambda: ops.negative(X), lambda: -X),
    ("add", lambda: ops.add(X, 1.5), lambda: X + 1.5),
    ("subtract", lambda: ops.subtract(Y, fl.tensor(X)), lambda: Y - X),
    ("multiply", lambda: ops.multiply(X, Y), lambda: X * Y),
    ("divide", lambda: ops.divide(X, np.abs(Y) + 1), lambda: X / (np.abs(Y) + 1)),
    ("power", lambda: ops.power(np.abs(X), 1.5), lambda: np.abs(X) ** 1.5),
    ("clip", lambda: ops.clip(X, -0.5, 0.5), lambda: np.clip(X, -0.5, 0.5)),
    ("maximum", lambda: ops.maximum(X, 0.2), lambda: np.maximum(X, 0.2)),
    ("minimum", lambda: ops.minimum(fl.tensor(X), Y), lambda: np.minimum(X, Y)),
    ("where", lambda: ops.where(X > 0, X, Y), lambda: np.where(X > 0, X, Y)),
    ("matmul", lambda: ops.matmul(X, fl.tensor(W)), lambda: X @ W),
    ("dot_2d", lambda: ops.dot(fl.tensor(X), W), lambda: np.dot(X, W)),
    ("dot_nd", lambda: ops.dot(A3, B3), lambda: np.dot(A3, B3)),
    ("dot_1d_nd", lambda: ops.dot(A3[0, 0], B3), lambda: np.dot(A3[0, 0], B3)),
    ("dot_scalar", lambda: ops.dot(2.0, X), lambda: 2.0 * X),
    ("reshape", lambda: ops.reshape(X, (3, 2)), lambda: X.reshape(3, 2)),
    ("reshape_int", lambda: ops.reshape(fl.tensor(X), -1), lambda: X.reshape(-1)),
    ("transpose", lambda: ops.transpose(X), lambda: X.T),
    ("transpose_axes", lambda: ops.transpose(A3, (1, 0, 2)), lambda: A3.transpose(1, 0, 2)),
    ("expand_dims", lambda: ops.expand_dims(X, 1), lambda: X[:, None, :]),
    ("squeeze", lambda: ops.squeeze(X[:, None, :]), lambda: X),
    ("squeeze_axis", lambda: ops.squeeze(X[None, :, :, None], axis=0), lambda: X[:, :, None]),
    ("concatenate", lambda: ops.concatenate([X, fl.tensor(Y)], axis=1), lambda: np.concatenate([X, Y], axis=1)),
    ("stack", lambda: ops.stack([fl.tensor(X), Y], axis=1), lambda: np.stack([X, Y], axis=1)),
    ("softmax", lambda: ops.softmax(X), lambda: _softmax(X)),
    ("softmax_axis0", lambda: ops.softmax(X, axis=0), lambda: _softmax(X, axis=0)),
    ("log_softmax", lambda: ops.log_softmax(X), lambda: np.log(_softmax(X))),
    ("sigmoid", lambda: ops.sigmoid(X), lambda: 1 / (1 + np.exp(-X))),
    ("relu", lambda: ops.relu(X), lambda: np.maximum(X, 0)),
    ("tanh", lambda: ops.tanh(X), lambda: np.tanh(X)),
    ("softplus", lambda: ops.softplus(X), lambda: np.log1p(np.exp(X))),
    ("cast_float64", lambda: ops.cast(X, "float64"), lambda: X.astype(np.float64)),
    ("cast_int32", lambda: ops.cast(X * 3, "int32"), lambda: (X * 3).astype(np.int32)),
    ("cast_bool", lambda: ops.cast(np.array([0.0, 2.0]), "bool"), lambda: np.array([False, True])),
    ("convert_to_tensor", lambda: ops.convert_to_tensor(X), lambda: X),
    ("convert_to_tensor_dtype", lambda: ops.convert_to_tensor(X, dtype="float64"), lambda: X.astype(np.float64)),
    ("argmax", lambda: ops.argmax(X), lambda: np.argmax(X).astype(np.int32)),
    ("argmax_axis", lambda: ops.argmax(fl.tensor(X), axis=1), lambda: np.argmax(X, axis=1).astype(np.int32)),
    ("argmin_keepdims", lambda: ops.argmin(X, axis=0, keepdims=True),
     lambda: np.argmin(X, axis=0, keepdims=True).astype(np.int32)),
    ("equal", lambda: ops.equal(np.round(X), 0.0), lambda: np.round(X) == 0),
    ("not_equal", lambda: ops.not_equal(np.round(X), 0.0), lambda: np.round(X) != 0),
    ("greater", lambda: ops.greater(fl.tensor(X), Y), lambda: X > Y),
    ("greater_equal", lambda: ops.greater_equal(X, 0), lambda: X >= 0),
    ("less", lambda: ops.less(X, Y), lambda: X < Y),
    ("less_equal", lambda: ops.less_equal(X, 0.1), lambda: X <= np.float32(0.1)),
    ("ones_like", lambda: ops.ones_like(X), lambda: np.ones_like(X)),
    ("zeros_like", lambda: ops.zeros_like(fl.tensor(X), dtype="int32"), lambda: np.zeros(X.shape, np.int32)),
    ("var", lambda: ops.var(X, axis=1, keepdims=True), lambda: X.var(axis=1, keepdims=True)),
    ("std", lambda: ops.std(fl.tensor(X)), lambda: X.std()),
    ("round", lambda: ops.round(X * 3), lambda: np.round(X * 3)),
    ("round_decimals", lambda: ops.round(X, decimals=1), lambda: np.round(X, 1)),
    ("floor_ceil_sign", lambda: ops.floor(X) + ops.ceil(X) + ops.sign(X),
     lambda: np.floor(X) + np.ceil(X) + np.sign(X)),
    ("isnan_isinf_isfinite", lambda: ops.logical_or(ops.isnan(np.array([np.nan, 1.0])),
                                                    ops.isinf(np.array([1.0, np.inf]))),
     lambda: np.array([True, True])),
    ("logical", lambda: ops.logical_xor(ops.logical_and(X > 0, Y > 0), ops.logical_not(Y > 0)),
     lambda: np.logical_xor((X > 0) & (Y > 0), ~(Y > 0))),
]


@pytest.mark.parametrize(("call", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_name_gives_numpys_values(call, expected):
    assert_like_numpy(call(), expected())


def test_float_results_keep_keras_dtypes():
    assert ops.mean(X).dtype == np.float32 and ops.sqrt(np.array([4, 9])).dtype == np.float32
    assert ops.log1p(np.array([0, 1])).dtype == np.float32 and ops.exp(np.float64(1.0)).dtype == np.float64
    assert ops.cast(X, "float64").dtype == np.float64


def test_log1p_keeps_the_digits_of_tiny_values():
    out = ops.log1p(np.array([1e-12, -1e-15]))
    np.testing.assert_allclose(out.numpy(), [1e-12 - 5e-25, -1e-15], rtol=1e-15)
    assert abs(np.log(1 + 1e-15) / 1e-15 - 1) > 0.1  # log of 1 + x is 11% off there


def test_argmax_and_argmin_give_integers_without_a_gradient():
    p = fl.tensor(X, requires_grad=True)
    for out in (ops.argmax(p, axis=-1), ops.argmin(p), ops.argmax(p, axis=0, keepdims=True)):
        assert out.dtype == np.int32 and not out.requires_grad
    assert ops.argmax(p, axis=-1).numpy().tolist() == np.argmax(X, axis=-1).tolist()


def test_comparisons_give_booleans_and_casts_to_integers_cut_the_graph():
    p = fl.tensor(X, requires_grad=True)
    for out in (ops.equal(p, Y), ops.greater(p, 0), ops.less(p, fl.tensor(Y)), ops.not_equal(p, p)):
        assert out.dtype == np.bool_ and not out.requires_grad
    assert not ops.cast(p, "int32").requires_grad and ops.cast(p, "int32").dtype == np.int32
    assert not ops.ones_like(p).requires_grad and not ops.zeros_like(p).requires_grad
    accuracy = ops.mean(ops.cast(ops.equal(ops.argmax(p, axis=-1), ops.argmax(Y, axis=-1)), "float32"))
    assert float(accuracy) == pytest.approx(np.mean(np.argmax(X, -1) == np.argmax(Y, -1)))


def test_cast_to_a_float_type_keeps_the_graph():
    p = fl.tensor(X, requires_grad=True)
    ops.sum(ops.cast(p, "float64") * 2).backward()
    assert p.grad.dtype == np.float32
    np.testing.assert_array_equal(fl.backend.to_numpy(p.grad), np.full(X.shape, 2, np.float32))
    assert ops.cast(p, "float32") is p and ops.convert_to_tensor(p) is p


def test_shape_where_without_values_and_one_missing_value():
    assert ops.shape(X) == (2, 3) and ops.shape(fl.tensor(A3)) == (2, 3, 4) and ops.shape([[1, 2]]) == (1, 2)
    rows, cols = ops.where(X > 0)
    want = np.nonzero(X > 0)
    assert rows.dtype == np.int32 and rows.numpy().tolist() == want[0].tolist()
    assert cols.numpy().tolist() == want[1].tolist()
    with pytest.raises(ConfigError, match="both x1 and x2"):
        ops.where(X > 0, X)


T = RNG.normal(size=(4, 3))
P = RNG.normal(size=(4, 3))

GRADIENT_CASES = [
    ("keras_mse_loss", lambda p: ops.mean(ops.mean(ops.square(T - p), axis=-1))),
    ("mae_with_abs", lambda p: ops.mean(ops.abs(ops.subtract(p, T)), axis=-1)),
    ("log_cosh_like", lambda p: ops.sum(ops.log(ops.exp(p - T) + ops.exp(T - p)) * 0.5)),
    ("log1p_sqrt", lambda p: ops.log1p(ops.sqrt(ops.square(p) + 1.0))),
    ("logsumexp_softmax", lambda p: ops.logsumexp(p, axis=-1) + ops.max(ops.softmax(p), axis=1)),
    ("clip_where_max_min", lambda p: ops.where(ops.greater(p, 0), ops.clip(p, -0.5, 0.7), ops.minimum(p, T))
     + ops.maximum(p, 0.1) * ops.max(p, initial=-5.0) + ops.min(p, axis=1, keepdims=True)),
    ("shapes", lambda p: ops.squeeze(ops.expand_dims(ops.transpose(ops.reshape(p, (3, 4))), 0))
     * ops.stack([ops.sum(p, axis=0), ops.mean(p, axis=0), ops.sum(p, axis=0), ops.mean(p, axis=0)], axis=0)),
    ("concatenate_matmul_dot", lambda p: ops.sum(ops.dot(ops.concatenate([p, p * 2], axis=0), ops.transpose(p)))
     + ops.matmul(p, ops.transpose(T))),
    ("dot_nd", lambda p: ops.dot(p, ops.reshape(ops.concatenate([p, p], axis=0), (2, 3, 4)))),
    ("activations", lambda p: ops.sigmoid(p) * ops.tanh(p) + ops.relu(p) + ops.softplus(p) + ops.log_softmax(p)),
    ("arithmetic", lambda p: ops.divide(ops.power(ops.abs(p) + 1, 1.5), ops.add(ops.multiply(p, p), 1.0))
     + ops.negative(ops.cast(p, "float64"))),
    ("var_std", lambda p: ops.var(p, axis=0) + ops.std(p, axis=1, keepdims=True)),
    ("crossentropies", lambda p: ops.binary_crossentropy(T > 0, ops.sigmoid(p))
     + ops.binary_crossentropy(T > 0, p, from_logits=True)
     + ops.expand_dims(ops.categorical_crossentropy(ops.softmax(T), p, from_logits=True)
                       + ops.categorical_crossentropy(ops.softmax(T), ops.softmax(p))
                       + ops.sparse_categorical_crossentropy([0, 2, 1, 1], p, from_logits=True), -1)),
]


@pytest.mark.parametrize("fn", [c[1] for c in GRADIENT_CASES], ids=[c[0] for c in GRADIENT_CASES])
def test_differentiable_names_propagate_gradients(fn):
    assert fl.gradcheck(fn, [P])


def test_crossentropies_are_keras_ops_values():
    from real_keras import real_keras

    real = real_keras()
    target, probs = np.eye(3, dtype=np.float32)[[1, 0]], _softmax(X)
    for name, args in [("binary_crossentropy", ((X > 0).astype(np.float32), 1 / (1 + np.exp(-X)))),
                       ("categorical_crossentropy", (target, probs)),
                       ("sparse_categorical_crossentropy", (np.array([1, 0]), probs))]:
        for from_logits in (False, True):
            given = (args[0], X) if from_logits else args
            np.testing.assert_allclose(ops.convert_to_numpy(getattr(ops, name)(*given, from_logits=from_logits)),
                                       np.asarray(getattr(real.ops, name)(*given, from_logits=from_logits)),
                                       rtol=1e-5, atol=1e-6)


def test_a_keras3_custom_loss_trains_exactly_as_mse():
    assert_custom_loss_trains_as_mse(lambda t, p: ops.mean(ops.square(t - p), axis=-1))


def test_ops_is_a_keras_module_and_importable_through_tf_keras():
    from fnlearn.compat.tensorflow.keras import ops as tf_keras_ops

    assert keras.ops is ops and "ops" in keras.__all__ and tf_keras_ops is ops
    for name in ops.__all__:  # functions, and Keras's namespaces of ops
        assert callable(getattr(ops, name)) or name in ("image", "linalg", "numpy", "nn"), name
    assert all(callable(getattr(ops.image, name)) for name in ops.image.__all__)


def test_unknown_names_keep_the_clear_message():
    with pytest.raises(AttributeError, match=r"fnlearn.keras.ops.view_as_real is a Keras name that fnlearn does "
                                             r"not provide; fnlearn.keras.ops has: .*logsumexp"):
        ops.view_as_real  # noqa: B018
    with pytest.raises(AttributeError, match="has no attribute '__wrapped__'"):
        ops.__wrapped__  # noqa: B018


def test_integers_divided_or_joined_to_floats_give_keras_float_dtypes():
    from fnlearn.keras import ops as keras_ops

    ints = np.array([1, 2], np.int32)
    assert keras_ops.divide(ints, np.array([2, 4], np.int32)).dtype == np.float32
    joined = keras_ops.concatenate([np.zeros(2, np.float32), ints])
    assert joined.dtype == np.float32 and joined.numpy().tolist() == [0, 0, 1, 2]


def test_keras_random_refuses_whole_number_dtypes_and_names_dropout_in_its_message():
    from fnlearn.keras import random as kr

    with pytest.raises(ConfigError, match=r"random draws of dtype int32 would be cut to whole numbers"):
        kr.normal((4,), dtype="int32", seed=1)
    with pytest.raises(ConfigError, match=r"^dropout rate must be a number in \[0, 1\), got -0.1"):
        kr.dropout(np.ones(3), -0.1)


@pytest.mark.parametrize("name, args, kwargs", [
    ("conv", ((2, 3, 3, 2),), {"strides": 2, "padding": "same"}),
    ("conv", ((3, 3, 3, 2),), {}),
    ("conv", ((2, 2, 3, 2),), {"dilation_rate": 2, "padding": "same"}),
    ("max_pool", (), {"pool_size": 2, "strides": 2, "padding": "same"}),
    ("average_pool", (), {"pool_size": (2, 3), "strides": 1}),
    ("average_pool", (), {"pool_size": 2, "strides": 2, "padding": "same"}),
])
def test_image_ops_give_kerass_values_and_check_their_gradients(name, args, kwargs):
    from real_keras import real_keras

    real = real_keras()
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 5, 5, 3))
    extra = [rng.normal(size=shape) for shape in args]
    ours = getattr(ops, name)(x, *extra, **kwargs).numpy()
    theirs = np.asarray(getattr(real.ops, name)(x.astype("float32"), *[e.astype("float32") for e in extra], **kwargs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    assert fl.gradcheck(lambda *t: (getattr(ops, name)(*t, **kwargs) ** 2).sum(), [x, *extra])


@pytest.mark.parametrize("x_shape, kernel_shape, kwargs", [
    ((2, 9, 3), (3, 3, 2), {"strides": 2, "padding": "same"}),
    ((2, 9, 3), (2, 3, 2), {"dilation_rate": 3}),
    ((2, 4, 5, 4, 2), (2, 3, 2, 2, 3), {"strides": (1, 2, 1)}),
    ((2, 4, 4, 5, 2), (3, 2, 2, 2, 2), {"padding": "same", "dilation_rate": (1, 2, 1)}),
])
def test_conv_of_sequences_and_volumes_gives_kerass_values_and_checks_its_gradients(float64, x_shape, kernel_shape,
                                                                                   kwargs):
    from real_keras import real_keras

    real = real_keras()
    rng = np.random.default_rng(7)
    x, kernel = rng.normal(size=x_shape), rng.normal(size=kernel_shape)
    theirs = np.asarray(real.ops.conv(x.astype("float32"), kernel.astype("float32"), **kwargs))
    np.testing.assert_allclose(ops.conv(x, kernel, **kwargs).numpy(), theirs, rtol=1e-4, atol=1e-5)
    weights = fl.tensor(rng.normal(size=theirs.shape))  # a loss linear in the output: no rounding from its size
    assert fl.gradcheck(lambda *t: (ops.conv(*t, **kwargs) * weights).sum(), [x, kernel], atol=1e-7, rtol=1e-6)



@pytest.mark.parametrize("name, x_shape, kernel_shapes, kwargs", [
    ("conv_transpose", (2, 4, 3), [(3, 2, 3)], {"strides": 2}),
    ("conv_transpose", (2, 5, 2), [(3, 4, 2)], {"strides": 2, "padding": "same", "output_padding": 1}),
    ("conv_transpose", (2, 3, 4, 2), [(3, 2, 3, 2)], {"strides": (2, 1), "padding": "same"}),
    ("conv_transpose", (1, 2, 3, 3, 2), [(2, 2, 3, 2, 2)], {"strides": 2}),
    ("depthwise_conv", (2, 9, 3), [(3, 3, 2)], {"strides": 2, "padding": "same"}),
    ("depthwise_conv", (2, 9, 2), [(2, 2, 2)], {"dilation_rate": 3}),
    ("depthwise_conv", (2, 5, 6, 2), [(3, 2, 2, 3)], {"strides": (1, 2), "padding": "same"}),
    ("separable_conv", (2, 8, 3), [(3, 3, 2), (1, 6, 4)], {"padding": "same"}),
    ("separable_conv", (2, 6, 5, 2), [(2, 3, 2, 2), (1, 1, 4, 3)], {"strides": 2}),
    ("separable_conv", (2, 7, 7, 2), [(3, 3, 2, 1), (1, 1, 2, 3)], {"dilation_rate": 2, "padding": "same"}),
])
def test_transposed_depthwise_and_separable_convs_give_kerass_values_and_check_their_gradients(
        float64, name, x_shape, kernel_shapes, kwargs):
    from real_keras import real_keras

    real = real_keras()
    rng = np.random.default_rng(8)
    x, kernels = rng.normal(size=x_shape), [rng.normal(size=shape) for shape in kernel_shapes]
    theirs = np.asarray(getattr(real.ops, name)(x.astype("float32"), *[k.astype("float32") for k in kernels],
                                                **kwargs))
    op = getattr(ops, name)
    np.testing.assert_allclose(op(x, *kernels, **kwargs).numpy(), theirs, rtol=1e-4, atol=1e-5)
    weights = fl.tensor(rng.normal(size=theirs.shape))  # a loss linear in the output: no rounding from its size
    assert fl.gradcheck(lambda *t: (op(*t, **kwargs) * weights).sum(), [x, *kernels], atol=1e-7, rtol=1e-6)
    assert getattr(keras.ops.nn, name) is op

def test_image_ops_refuse_what_fnlearn_does_not_have():
    with pytest.raises(ConfigError, match="conv2d dilation_rate must be a positive integer"):
        ops.conv(np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1)), dilation_rate=0)
    with pytest.raises(ConfigError, match="ops.max_pool got data_format='channels_first'"):
        ops.max_pool(np.ones((1, 1, 4, 4)), 2, data_format="channels_first")
    with pytest.raises(ShapeError, match=r"got inputs of shape \(1, 5, 5, 1\) and a kernel of shape \(3, 1, 1\)"):
        ops.conv(np.ones((1, 5, 5, 1)), np.ones((3, 1, 1)))
    with pytest.raises(ConfigError, match=r"ops.conv_transpose got dilation_rate=2; .* have dilation_rate=1 only"):
        ops.conv_transpose(np.ones((1, 5, 1)), np.ones((3, 1, 1)), dilation_rate=2)
    with pytest.raises(ShapeError, match=r"ops.depthwise_conv takes channels-last inputs over 1-D or 2-D"):
        ops.depthwise_conv(np.ones((1, 3, 3, 3, 1)), np.ones((2, 2, 2, 1, 1)))
    with pytest.raises(ShapeError, match=r"needs a pointwise_kernel of shape \(1, 4, 'filters'\) .* got one of "
                                         r"shape \(1, 3, 2\)"):
        ops.separable_conv(np.ones((1, 5, 2)), np.ones((3, 2, 2)), np.ones((1, 3, 2)))


# ----------------------------------------------------------------------------- the names keras.io's examples use

Q = RNG.normal(size=(2, 3, 4)).astype(np.float32)
K4 = RNG.normal(size=(2, 5, 4)).astype(np.float32)
M = RNG.normal(size=(4, 4)).astype(np.float32)
IDS = np.array([[2, 0], [1, 1]])

# (id, the call, given the ops module: fnlearn's or real Keras's); values compared with real Keras
KERAS_CASES = [
    ("arange_keywords", lambda o: o.arange(start=0, stop=5, step=1)),
    ("arange_one", lambda o: o.arange(4)),
    ("arange_float", lambda o: o.arange(0.5, 3.0, 0.5)),
    ("linspace", lambda o: o.linspace(0.0, 1.0, num=5)),
    ("linspace_open", lambda o: o.linspace(-1.0, 1.0, num=4, endpoint=False)),
    ("eye", lambda o: o.eye(3, 4, k=1)),
    ("identity", lambda o: o.identity(3)),
    ("tri", lambda o: o.tri(3, 4, k=-1)),
    ("full", lambda o: o.full((2, 3), 0.5)),
    ("full_like", lambda o: o.full_like(X, 2.0)),
    ("zeros_like", lambda o: o.zeros_like(X)),
    ("tril", lambda o: o.tril(M)),
    ("triu_k", lambda o: o.triu(Q, k=1)),
    ("causal_mask", lambda o: o.tril(o.ones((4, 4)))),
    ("take_axis0", lambda o: o.take(M, IDS, axis=0)),
    ("take_flat", lambda o: o.take(M, np.array([3, 15, 3]))),
    ("take_along_axis", lambda o: o.take_along_axis(M, np.array([[0, 3], [1, 1], [2, 0], [3, 3]]), axis=1)),
    ("tile", lambda o: o.tile(X, (2, 3))),
    ("repeat", lambda o: o.repeat(X, 2, axis=1)),
    ("repeat_flat", lambda o: o.repeat(X, 2)),
    ("pad", lambda o: o.pad(X, ((1, 0), (2, 1)))),
    ("pad_value", lambda o: o.pad(X, ((0, 1), (1, 1)), constant_values=3.0)),
    ("cumsum", lambda o: o.cumsum(X, axis=1)),
    ("cumsum_flat", lambda o: o.cumsum(X)),
    ("einsum_attention", lambda o: o.einsum("bqd,bkd->bqk", Q, K4)),
    ("einsum_ellipsis", lambda o: o.einsum("...d,de->...e", Q, M)),
    ("einsum_heads", lambda o: o.einsum("abc,cd->abd", Q, M)),
    ("tensordot", lambda o: o.tensordot(Q, M, axes=1)),
    ("tensordot_pairs", lambda o: o.tensordot(Q, K4, axes=([0, 2], [0, 2]))),
    ("outer", lambda o: o.outer(X[0], Y[1])),
    ("sort", lambda o: o.sort(X, axis=-1)),
    ("sort_axis0", lambda o: o.sort(X, axis=0)),
    ("argsort", lambda o: o.argsort(X)),
    ("top_k_values", lambda o: o.top_k(M, 2)[0]),
    ("top_k_indices", lambda o: o.top_k(M, 3)[1]),
    ("segment_sum", lambda o: o.segment_sum(M, np.array([0, 2, 0, 1]), num_segments=3)),
    ("logical", lambda o: o.logical_or(o.logical_and(X > 0, Y > 0), o.logical_not(X > 0))),
    ("where", lambda o: o.where(X > 0, X, 0.0)),
    ("cast", lambda o: o.cast(X > 0, "float32")),
    ("flip", lambda o: o.flip(X, axis=1)),
    ("roll", lambda o: o.roll(X, 1, axis=1)),
    ("roll_flat", lambda o: o.roll(X, -2)),
    ("roll_axes", lambda o: o.roll(Q, (1, 2), axis=(0, 2))),
    ("moveaxis_pairs", lambda o: o.moveaxis(Q, [0, 1], [2, 0])),
    ("broadcast_to", lambda o: o.broadcast_to(X[:1], (3, 3))),
    ("moveaxis", lambda o: o.moveaxis(Q, 0, -1)),
    ("swapaxes", lambda o: o.swapaxes(Q, 1, 2)),
    ("ravel", lambda o: o.ravel(X)),
    ("split", lambda o: o.split(M, 2, axis=1)[1]),
    ("split_at", lambda o: o.split(M, [1, 3])[1]),
    ("unstack", lambda o: o.unstack(X, axis=1)[2]),
    ("hstack", lambda o: o.hstack([X, Y])),
    ("vstack", lambda o: o.vstack([X, Y[0]])),
    ("slice", lambda o: o.slice(Q, (1, 0, 1), (1, 2, 3))),
    ("stop_gradient", lambda o: o.stop_gradient(X)),
    ("sin_cos", lambda o: o.sin(X) + o.cos(X)),
    ("reciprocal_rsqrt", lambda o: o.reciprocal(np.abs(X) + 1) + o.rsqrt(np.abs(X) + 1)),
    ("log2_log10", lambda o: o.log2(np.abs(X) + 1) + o.log10(np.abs(X) + 1)),
    ("absolute_amax_amin", lambda o: o.absolute(X) + o.amax(X, axis=0) + o.amin(X, axis=0)),
    ("norm", lambda o: o.norm(X)),
    ("norm_axis", lambda o: o.norm(X, axis=-1, keepdims=True)),
    ("moments_mean", lambda o: o.moments(Q, axes=[0, 1])[0]),
    ("moments_var", lambda o: o.moments(Q, axes=[0, 1])[1]),
    ("any_all", lambda o: o.logical_xor(o.any(X > 1, axis=0), o.all(X > -1, axis=0))),
    ("count_nonzero", lambda o: o.count_nonzero(X > 0, axis=1)),
    ("nonzero", lambda o: o.nonzero(X > 0)[1]),
    ("floor_divide_mod", lambda o: o.floor_divide(X * 5, 2.0) + o.mod(X * 5, 2.0)),
    ("gelu", lambda o: o.gelu(X)),
    ("gelu_exact", lambda o: o.gelu(X, approximate=False)),
    ("silu_swish", lambda o: o.silu(X) + o.swish(Y)),
    ("elu_selu", lambda o: o.elu(X, alpha=0.5) + o.selu(X)),
    ("leaky_relu", lambda o: o.leaky_relu(X)),
    ("hard_sigmoid_relu6", lambda o: o.hard_sigmoid(X * 4) + o.relu6(X * 10)),
    ("log_sigmoid", lambda o: o.log_sigmoid(X * 30)),
    ("meshgrid", lambda o: o.meshgrid(np.arange(3.0), np.arange(2.0))[0]),
]


@pytest.mark.keras_backend("jax")  # Keras on JAX's results: its PyTorch backend's differ here
@pytest.mark.parametrize("call", [c[1] for c in KERAS_CASES], ids=[c[0] for c in KERAS_CASES])
def test_new_names_give_real_keras_values(call):
    from real_keras import real_keras

    real = real_keras()
    ours, theirs = call(ops), np.asarray(call(real.ops))
    assert ours.shape == theirs.shape
    if theirs.dtype.kind == "f":
        np.testing.assert_allclose(ops.convert_to_numpy(ours), theirs, rtol=2e-5, atol=2e-6)
    else:
        np.testing.assert_array_equal(ops.convert_to_numpy(ours), theirs)
        assert ours.dtype.kind == theirs.dtype.kind


def test_new_names_keep_kerass_dtypes():
    assert ops.arange(5).dtype == np.int32 and ops.arange(0, 1, 0.5).dtype == np.float32
    assert ops.arange(3, dtype="float32").dtype == np.float32 and ops.full((2,), 1).dtype == np.int32
    assert ops.eye(2).dtype == np.float32 and ops.linspace(0, 1, 3).dtype == np.float32
    assert ops.argsort(X).dtype == np.int32 and ops.top_k(X, 1)[1].dtype == np.int32
    assert ops.tril(np.ones((2, 2), np.int32)).dtype == np.int32


def test_positional_embedding_and_causal_mask_as_keras_io_writes_them():
    """keras.io's text examples: positions from ``ops.arange`` into an embedding table, a causal mask from
    ``tril(ones)``, attention weights from ``einsum`` and ``softmax``; the gradient reaches the table."""
    maxlen, dim = 4, 3
    table = fl.tensor(RNG.normal(size=(maxlen, dim)), requires_grad=True)
    positions = ops.arange(start=0, stop=maxlen, step=1)
    assert not positions.requires_grad
    x = ops.take(table, positions, axis=0)[None]  # (1, maxlen, dim)
    mask = ops.cast(ops.tril(ops.ones((maxlen, maxlen))), "bool")
    scores = ops.where(mask, ops.einsum("bqd,bkd->bqk", x, x), -1e9)
    out = ops.matmul(ops.softmax(scores, axis=-1), x)
    ops.sum(ops.square(out)).backward()
    assert table.grad.shape == (maxlen, dim) and np.isfinite(table.grad).all()
    weights = ops.softmax(scores, axis=-1).numpy()[0]
    assert np.allclose(np.triu(weights, 1), 0) and np.allclose(weights.sum(-1), 1)


GRADIENT_CASES_NEW = [
    ("tril_triu", lambda p: ops.tril(p) * 2 + ops.triu(p, k=1)),
    ("take", lambda p: ops.take(p, [[3, 0], [0, 0]], axis=0)),
    ("take_along_axis", lambda p: ops.take_along_axis(p, np.array([[2], [0], [1], [1]]), axis=-1)),
    ("tile_repeat", lambda p: ops.tile(p, (1, 2)) * ops.repeat(p, 2, axis=1)),
    ("repeat_counts", lambda p: ops.repeat(p, [1, 0, 3], axis=1)),
    ("pad_cumsum", lambda p: ops.cumsum(ops.pad(p, ((1, 0), (0, 2)), constant_values=1.0), axis=0)),
    ("einsum", lambda p: ops.einsum("ij,kj->ik", p, ops.sin(p))),
    ("tensordot_outer", lambda p: ops.tensordot(p, T, axes=([1], [1])) + ops.sum(ops.outer(p[0], p[1]))),
    ("sort", lambda p: ops.sort(p, axis=0) * np.arange(12.0).reshape(4, 3)),
    ("top_k", lambda p: ops.top_k(p, 2)[0] * np.array([1.0, 3.0])),
    ("segment_sum", lambda p: ops.segment_sum(p, [1, 0, 1, 2]) ** 2),
    ("flip_roll", lambda p: ops.flip(p, axis=0) * ops.roll(p, 1, axis=1) + ops.roll(p, 5)),
    ("broadcast_moveaxis_swapaxes", lambda p: ops.broadcast_to(p, (2, 4, 3)) * ops.moveaxis(
        ops.swapaxes(ops.broadcast_to(p, (2, 4, 3)), 1, 2), 1, 2)),
    ("split_unstack_stack", lambda p: ops.hstack(ops.split(p, [1], axis=1)[::-1]) + ops.vstack(ops.unstack(p))),
    ("slice_ravel", lambda p: ops.ravel(ops.slice(p, (1, 1), (2, 2)))),
    ("elementwise", lambda p: ops.cos(p) + ops.reciprocal(ops.abs(p) + 1) + ops.rsqrt(ops.abs(p) + 1)
     + ops.log2(ops.abs(p) + 1) + ops.log10(ops.abs(p) + 2) + ops.amax(p, axis=0) + ops.amin(p)),
    ("norm_moments", lambda p: ops.norm(p, axis=1) + ops.sum(ops.moments(p, axes=[0])[1]) + ops.norm(p)),
    ("activations", lambda p: ops.gelu(p) + ops.gelu(p, approximate=False) + ops.silu(p) + ops.elu(p)
     + ops.selu(p) + ops.leaky_relu(p) + ops.hard_sigmoid(p * 2) + ops.relu6(p) + ops.log_sigmoid(p)),
]


@pytest.mark.parametrize("fn", [c[1] for c in GRADIENT_CASES_NEW], ids=[c[0] for c in GRADIENT_CASES_NEW])
def test_new_differentiable_names_match_central_differences(fn):
    assert fl.gradcheck(fn, [P], atol=1e-8, rtol=1e-7)


def test_new_differentiable_names_match_pytorch_gradients():
    torch = pytest.importorskip("torch")
    p = fl.tensor(P, requires_grad=True)
    out = (ops.sum(ops.tril(p[:3]) * 2) + ops.sum(ops.top_k(p, 2)[0] ** 2) + ops.sum(ops.sort(p, axis=0) * T)
           + ops.sum(ops.repeat(p, [1, 0, 3], axis=1) ** 2) + ops.sum(ops.roll(p, 1, axis=1) * T)
           + ops.sum(ops.tensordot(p, T, axes=([1], [1])) ** 2) + ops.sum(ops.cumsum(p, axis=0) * T))
    out.backward()
    tp = torch.tensor(P, requires_grad=True)
    tt = torch.tensor(T)
    ref = ((torch.tril(tp[:3]) * 2).sum() + (torch.topk(tp, 2).values ** 2).sum()
           + (torch.sort(tp, dim=0).values * tt).sum()
           + (torch.repeat_interleave(tp, torch.tensor([1, 0, 3]), dim=1) ** 2).sum()
           + (torch.roll(tp, 1, dims=1) * tt).sum() + (torch.tensordot(tp, tt, dims=([1], [1])) ** 2).sum()
           + (torch.cumsum(tp, 0) * tt).sum())
    ref.backward()
    assert float(out) == pytest.approx(float(ref.detach()), rel=1e-12)
    np.testing.assert_allclose(fl.backend.to_numpy(p.grad), tp.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_new_names_without_a_gradient_cut_the_graph():
    p = fl.tensor(X, requires_grad=True)
    for out in (ops.arange(3), ops.eye(2), ops.tri(2), ops.full((2,), 1.0), ops.full_like(p, 1.0),
                ops.argsort(p), ops.top_k(p, 2)[1], ops.stop_gradient(p), ops.any(p > 0), ops.count_nonzero(p),
                ops.floor_divide(p, 2.0), ops.nonzero(p)[0], ops.linspace(0.0, 1.0, 3)):
        assert not out.requires_grad
    assert ops.top_k(p, 2)[0].requires_grad and ops.tril(fl.tensor(M, requires_grad=True)).requires_grad
    assert ops.size(X) == 6 and ops.ndim(Q) == 3


def test_boolean_operators_on_tensors_combine_masks():
    a, b = fl.tensor(X), fl.tensor(Y)
    np.testing.assert_array_equal(((a > 0) & (b > 0)).numpy(), (X > 0) & (Y > 0))
    np.testing.assert_array_equal(((a > 0) | (b > 0)).numpy(), (X > 0) | (Y > 0))
    np.testing.assert_array_equal(((a > 0) ^ (b > 0)).numpy(), (X > 0) ^ (Y > 0))
    np.testing.assert_array_equal((~(a > 0)).numpy(), ~(X > 0))
    np.testing.assert_array_equal((True & (a > 0)).numpy(), X > 0)
    np.testing.assert_array_equal((fl.tensor(np.array([6, 3])) & 2).numpy(), [2, 2])
    with pytest.raises(fl.errors.DataError, match=r"'&' combines boolean masks .* dtype float32"):
        a & (b > 0)  # noqa: B018


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: ops.arange(0, 5, 0), ConfigError, "step must not be 0"),
    (lambda: ops.linspace(0.0, 1.0, num=-1), ConfigError, "num must be a whole number"),
    (lambda: ops.tril(np.ones(3)), ShapeError, "tril needs a matrix"),
    (lambda: ops.take(X, [7]), ShapeError, "outside the 6 positions"),
    (lambda: ops.repeat(X, [1, 2], axis=1), ConfigError, "one per slice"),
    (lambda: ops.pad(X, 1, mode="reflect"), ConfigError, "mode='reflect'"),
    (lambda: ops.top_k(X, 4), ConfigError, "k must be a whole number from 0"),
    (lambda: ops.einsum("ij,jk->ik", X, X), ShapeError, "index 'j'"),
    (lambda: ops.einsum("ij->i", X, optimize=True), ConfigError, "only the subscripts"),
    (lambda: ops.split(X, 2, axis=1), ShapeError, "does not split into 2 equal parts"),
    (lambda: ops.roll(X, (1, 2), axis=(0, 1, 1)), ConfigError, "one shift per axis"),
    (lambda: ops.norm(X, ord=1), ConfigError, "Euclidean norm"),
    (lambda: ops.unstack(X, num=3), ShapeError, "num=3 but axis 0 has length 2"),
])
def test_new_names_refuse_bad_input_in_one_sentence(call, error, words):
    with pytest.raises(error, match=words):
        call()


@pytest.mark.keras_backend("jax")  # Keras on JAX's results: its PyTorch backend's differ here
def test_convert_to_tensor_keeps_integers_and_booleans_as_keras_does():
    real = real_keras()
    for value in ([0, 2], 3, [True, False], 2.5, [[1.0, 2.0]]):
        ours, theirs = keras.ops.convert_to_tensor(value), real.ops.convert_to_tensor(value)
        assert str(ours.dtype) == str(theirs.dtype), value
    indices = keras.ops.convert_to_tensor([0, 2])
    np.testing.assert_array_equal(keras.ops.take(np.arange(10.0), indices).numpy(), [0.0, 2.0])
    assert keras.ops.convert_to_tensor(np.arange(3, dtype=np.int64)).dtype == np.int64  # an array keeps its own
    assert keras.ops.convert_to_tensor([1, 2], dtype="float32").dtype == np.float32
