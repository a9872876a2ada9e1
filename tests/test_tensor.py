"""Tensor and reverse-mode autodiff: worked examples, graph handling, dtype rules, errors."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest

import fnlearn as fl
from fnlearn.errors import ConfigError, DataError, ShapeError


def test_tsai_worked_example_exactly():
    """L(w1, w2, b1) = (b1 + 2·w1 − w2 − 3)² at (1, −1, 2): L = 4, ∇L = (8, −4, 4), exactly."""
    for dtype in ("float32", "float64"):
        w1, w2, b1 = (fl.tensor(v, requires_grad=True, dtype=dtype) for v in (1.0, -1.0, 2.0))
        loss = (b1 + 2 * w1 - w2 - 3) ** 2
        loss.backward()
        assert loss.item() == 4.0
        assert (float(w1.grad), float(w2.grad), float(b1.grad)) == (8.0, -4.0, 4.0)
        assert w1.grad.shape == () and w1.grad.dtype == np.dtype(dtype)


def test_chain_of_10000_ops_backpropagates():
    x = fl.tensor(1.0, requires_grad=True, dtype="float64")
    y = x
    for _ in range(5000):
        y = y * 1.0001
        y = y - 0.001
    assert y._parents  # a real 10,000-node chain, not folded
    y.backward()
    assert math.isclose(float(x.grad), 1.0001 ** 5000, rel_tol=1e-12)


def test_wide_graph_that_reuses_a_leaf_many_times():
    x = fl.tensor([2.0], requires_grad=True, dtype="float64")
    total = x * 0
    for k in range(1, 2001):
        total = total + x * k
    total.sum().backward()
    assert x.grad.tolist() == [2001 * 2000 / 2]


def test_backward_on_non_scalar_needs_grad():
    x = fl.tensor([[1.0, 2.0]], requires_grad=True)
    y = x * 3
    with pytest.raises(ShapeError, match=r"one-element output.*\(1, 2\)"):
        y.backward()
    y.backward(np.array([[1.0, 10.0]]))
    assert x.grad.tolist() == [[3.0, 30.0]]
    with pytest.raises(ShapeError, match=r"got shape \(2,\).*\(1, 2\)"):
        (x * 3).backward(np.ones(2))


def test_backward_without_requires_grad_is_a_clear_error():
    with pytest.raises(DataError, match="requires_grad"):
        fl.tensor([1.0]).sum().backward()


def test_backward_does_not_keep_the_callers_gradient_array():
    x = fl.tensor([1.0, 2.0], requires_grad=True)
    g = np.array([1.0, 1.0], dtype=np.float32)
    (x + 0).backward(g)
    g[:] = 99
    assert x.grad.tolist() == [1.0, 1.0]


def test_gradients_accumulate_into_leaves_and_intermediates_are_not_kept():
    w = fl.tensor([1.0, 2.0], requires_grad=True)
    hidden = w * 3
    loss = (hidden * hidden).sum()
    loss.backward()
    assert w.grad.tolist() == [18.0, 36.0]
    assert hidden.grad is None and loss.grad is None
    (w * 2).sum().backward()
    assert w.grad.tolist() == [20.0, 38.0]
    w.zero_grad()
    assert w.grad is None


def test_a_gradient_shared_by_two_leaves_is_not_aliased():
    a = fl.tensor([1.0, 2.0], requires_grad=True)
    b = fl.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad += 5  # changing one leaf's gradient must not change the other's
    assert b.grad.tolist() == [1.0, 1.0]
    # NumPy marks read-only arrays (CuPy's have no such flag: all can be written)
    assert getattr(a.grad.flags, "writeable", True) and getattr(b.grad.flags, "writeable", True)
    c = fl.tensor([[1.0, 2.0]], requires_grad=True)
    d = fl.tensor([3.0, 4.0], requires_grad=True)
    ((c + d.reshape(1, 2)) * 2.0).sum().backward()  # d's gradient would be a view of c's
    c.grad *= 0
    assert d.grad.tolist() == [2.0, 2.0] and not np.shares_memory(c.grad, d.grad)


def test_leaf_gradients_have_the_leaf_shape_and_dtype():
    w = fl.Parameter(np.ones((3, 1), dtype=np.float32))
    x = np.arange(6, dtype=np.float64).reshape(2, 3)  # float64 data with a float32 parameter
    y = x @ w
    assert y.dtype == np.float64  # float32 with float64 gives float64 (the documented rule)
    y.sum().backward()
    assert w.grad.shape == (3, 1) and w.grad.dtype == np.float32
    assert w.grad.ravel().tolist() == [3.0, 5.0, 7.0]


def test_dtype_rules():
    assert fl.tensor([1.0, 2.0]).dtype == np.float32
    assert fl.tensor(3).dtype == np.float32
    assert fl.tensor([[1, 2]]).dtype == np.float32
    assert fl.tensor(np.ones(2)).dtype == np.float64  # NumPy float arrays keep their dtype
    assert fl.tensor(np.ones(2, dtype=np.float16)).dtype == np.float32
    assert fl.tensor(np.arange(3)).dtype == np.int64  # integer arrays are labels or indices
    assert fl.tensor(np.array([True])).dtype == np.bool_
    t32 = fl.tensor([1.0, 2.0])
    assert (t32 * 2.5).dtype == np.float32  # a Python number takes the tensor's dtype
    assert (t32 + np.float64(1.0)).dtype == np.float32
    assert (t32 + fl.tensor(np.ones(2))).dtype == np.float64
    assert (fl.tensor(np.arange(2)) + 0.5).dtype == np.float32
    assert (fl.tensor(np.arange(2)) * t32).dtype == np.float32
    assert (fl.tensor(np.arange(2)) * fl.tensor(np.ones(2))).dtype == np.float64
    fl.set_default_dtype("float64")
    assert fl.tensor([1.0]).dtype == np.float64 and fl.get_default_dtype() == "float64"


def test_set_default_dtype_rejects_unknown_names():
    with pytest.raises(fl.errors.ConfigError, match="float32"):
        fl.set_default_dtype("float16")


def test_refuses_text_objects_and_complex_numbers():
    with pytest.raises(DataError, match="text"):
        fl.tensor(["a", "b"])
    with pytest.raises(DataError, match="complex"):
        fl.tensor(np.array([1 + 2j]))
    with pytest.raises(DataError):
        fl.tensor([[1.0, 2.0], [3.0]])
    with pytest.raises(DataError, match="float"):
        fl.tensor(np.arange(3), requires_grad=True)


def test_no_grad_detach_numpy_item_shape_dtype():
    w = fl.tensor([[1.0, 2.0]], requires_grad=True)
    assert fl.is_grad_enabled()
    with fl.no_grad():
        assert not fl.is_grad_enabled()
        y = w * 2
    assert fl.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    d = w.detach()
    assert not d.requires_grad and np.shares_memory(d.data, w.data)
    (d * w).sum().backward()
    assert w.grad.tolist() == [[1.0, 2.0]]
    arr = w.numpy()
    assert isinstance(arr, np.ndarray) and arr.tolist() == [[1.0, 2.0]]
    assert w.sum().item() == 3.0 and isinstance(w.sum().item(), float)
    with pytest.raises(ShapeError, match="one element"):
        w.item()
    assert w.shape == (1, 2) and w.dtype == np.float32 and w.ndim == 2 and w.size == 2 and len(w) == 1
    assert float(w.sum()) == 3.0 and np.asarray(w).shape == (1, 2)


def test_numpy_reductions_and_formats_take_a_tensor_as_the_tutorials_use_them():
    """``100 * np.max(tf.nn.softmax(logits))`` formatted with ``{:.2f}``, as the image tutorial prints it."""
    score = fl.softmax(fl.tensor([1.0, 3.0, 0.0]))
    expected = np.exp([1.0, 3.0, 0.0]) / np.exp([1.0, 3.0, 0.0]).sum()
    assert np.argmax(score) == 1 and f"{100 * np.max(score):.2f}" == f"{100 * expected.max():.2f}"
    assert float(np.sum(score)) == pytest.approx(1.0) and float(np.min(score)) == pytest.approx(expected.min())
    assert float(np.mean(score)) == pytest.approx(1 / 3) and f"{score.max():.3f}" == f"{expected.max():.3f}"
    assert f"{score}" == str(score)  # no format given: the tensor as printed
    with pytest.raises(ShapeError, match=r"the format '\.2f' needs a tensor with one element, but this one has "
                                         r"shape \(3,\)"):
        f"{score:.2f}"  # noqa: B018
    with pytest.raises(ConfigError, match="np.max on a tensor takes no out= or dtype="):
        np.max(score, out=np.zeros(()))


def test_no_grad_restores_state_after_an_error():
    with pytest.raises(RuntimeError), fl.no_grad():
        raise RuntimeError("boom")
    assert fl.is_grad_enabled()


def test_iteration_comparisons_and_repr():
    t = fl.tensor([[1.0, 2.0], [3.0, 4.0]])
    rows = list(t)
    assert len(rows) == 2 and rows[1].numpy().tolist() == [3.0, 4.0]
    assert (t > 2).numpy().tolist() == [[False, False], [True, True]]
    assert (t <= 2).dtype == np.bool_
    assert "requires_grad=True" in repr(fl.tensor([1.0], requires_grad=True))
    assert repr(fl.Parameter(np.zeros(1))).startswith("Parameter(")


def test_numpy_operands_on_either_side():
    t = fl.tensor([1.0, 2.0], requires_grad=True)
    for y in (np.ones(2) + t, np.ones(2) * t, np.ones((2, 2)) @ t, 2.0 - t, 1 / t, np.float64(2) * t, 2 ** t):
        assert isinstance(y, fl.Tensor) and y.requires_grad


def test_matmul_shape_error_names_both_shapes():
    a, b = fl.tensor(np.ones((2, 3))), fl.tensor(np.ones((4, 5)))
    with pytest.raises(ShapeError, match=r"\(2, 3\) @ \(4, 5\)"):
        a @ b
    with pytest.raises(ShapeError, match=r"\(3,\).*\(2,\)"):
        fl.tensor(np.ones(3)) @ fl.tensor(np.ones(2))
    with pytest.raises(ShapeError, match="at least one axis"):
        fl.tensor(2.0) @ a
    with pytest.raises(ShapeError, match="do not broadcast"):
        fl.tensor(np.ones((3,))) + fl.tensor(np.ones((4,)))
    with pytest.raises(ShapeError, match="reshape"):
        fl.tensor(np.ones(6)).reshape(4, 2)
    with pytest.raises(ShapeError, match="out of range"):
        fl.tensor(np.ones((2, 2))).sum(axis=2)


def test_parameter_owns_its_data_and_follows_the_default_dtype():
    source = np.ones(3)
    p = fl.Parameter(source)
    p.data -= 1  # what an optimizer does
    assert source.tolist() == [1.0, 1.0, 1.0]
    assert p.dtype == np.float32 and p.requires_grad
    assert fl.Parameter(np.arange(3)).dtype == np.float32
    assert fl.Parameter(source, dtype="float64").dtype == np.float64
    fl.set_default_dtype("float64")
    assert fl.Parameter([1.0, 2.0]).dtype == np.float64


def test_stable_sigmoid_softmax_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = fl.sigmoid(fl.tensor([-1000.0, 1000.0], dtype="float64")).numpy()
        assert s.tolist() == [0.0, 1.0]
        s32 = fl.sigmoid(fl.tensor([-1000.0, 1000.0])).numpy()
        assert s32.tolist() == [0.0, 1.0]
        z = fl.tensor([[1e30, -1e30, 0.0], [5000.0, 4999.0, -5000.0]], requires_grad=True, dtype="float64")
        p = fl.softmax(z)
        lp = fl.log_softmax(z)
        assert np.all(np.isfinite(p.numpy())) and np.all(np.isfinite(lp.numpy()))
        np.testing.assert_allclose(p.numpy().sum(axis=1), 1.0)
        (lp * fl.tensor(np.eye(3)[:2])).sum().backward()
        assert np.all(np.isfinite(z.grad))
        assert np.isfinite(fl.logsumexp(z).numpy()).all()
        assert np.isfinite(fl.softplus(fl.tensor([1000.0, -1000.0])).numpy()).all()


@pytest.mark.host_only
def test_import_stays_light():
    code = ("import sys, fnlearn; heavy = [m for m in ('matplotlib', 'rich', 'pandas', 'torch', 'safetensors', "
            "'openpyxl', 'scipy', 'sklearn', 'difflib', 'csv') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


# ----------------------------------------------------------------------------- fl.grad: gradients without .grad

def test_grad_gives_backwards_gradients_and_leaves_every_grad_as_it_was():
    rng = np.random.default_rng(3)
    w, b = fl.Parameter(rng.normal(size=(3, 2))), fl.Parameter(rng.normal(size=2))
    x = fl.tensor(rng.normal(size=(4, 3)))
    w.grad = fl.backend.xp().full((3, 2), 7.0, dtype=w.dtype)  # a gradient already there stays
    loss = fl.functional.mean(fl.functional.tanh(x @ w + b) ** 2)
    gw, gb = fl.grad(loss, [w, b])
    assert b.grad is None and np.all(fl.backend.to_numpy(w.grad) == 7.0)
    w.grad = None
    loss.backward()  # the graph may be walked again: the same values through .grad
    np.testing.assert_allclose(gw.numpy(), fl.backend.to_numpy(w.grad), rtol=1e-6)
    np.testing.assert_allclose(gb.numpy(), fl.backend.to_numpy(b.grad), rtol=1e-6)


def test_grad_adds_the_outputs_gradients_and_names_unconnected_and_inner_inputs():
    a, c = fl.Parameter([1.0, 2.0]), fl.Parameter([5.0])
    first, second = (a * 3.0).sum(), (a * a).sum()
    ga, gc = fl.grad([first, second], [a, c])
    assert ga.numpy().tolist() == [5.0, 7.0] and gc is None  # 3 + 2a; c is not used
    (g,) = fl.grad(a * 2.0, [a], grad_outputs=[np.array([1.0, 10.0])])
    assert g.numpy().tolist() == [2.0, 20.0]
    inner = a * 2.0
    with pytest.raises(DataError, match=r"was computed by an op; ask for the gradient of the tensors it was computed"):
        fl.grad(inner.sum(), [inner])
    with pytest.raises(DataError, match=r"grad takes fl.Tensor outputs and inputs, got a ndarray"):
        fl.grad(first, [np.ones(2)])


def test_grad_matches_central_differences_in_float64():
    rng = np.random.default_rng(4)
    w = fl.Parameter(rng.normal(size=(3, 3)), dtype="float64")
    x = rng.normal(size=(5, 3))

    def loss(weights):
        return fl.functional.sum(fl.functional.sigmoid(fl.tensor(x) @ weights) ** 3)

    from fnlearn.gradcheck import numerical_grad

    (g,) = fl.grad(loss(w), [w])
    numeric = numerical_grad(loss, [fl.tensor(w.data, requires_grad=True)], 0, 1e-6)
    np.testing.assert_allclose(g.numpy(), numeric, rtol=1e-6, atol=1e-9)
