"""fl.gradcheck, the finite-difference check users can call on their own functions."""

from __future__ import annotations

import numpy as np
import pytest

import fnlearn as fl
from fnlearn.errors import ShapeError


def _bad_square(t):
    # forward t², but a backward that claims 3t
    return fl.Tensor._result(t.data ** 2, (t,), lambda g: (g * 3 * t.data,), "bad_square")


def test_passes_right_gradients_and_catches_wrong_ones():
    assert fl.gradcheck(lambda t: t ** 2, [np.array([1.0, 2.0])])
    with pytest.raises(fl.GradcheckError, match=r"input 0 differs at \(1,\): analytic 6, numerical 4"):
        fl.gradcheck(_bad_square, [np.array([1.0, 2.0])])
    assert fl.gradcheck(_bad_square, [np.array([1.0, 2.0])], raise_exception=False) is False
    assert isinstance(fl.GradcheckError("x"), AssertionError)


def _nan_square(t):
    # forward t², but a backward whose slope is NaN at the second element
    slope = fl.backend.to_device(np.array([2.0, np.nan]))
    return fl.Tensor._result(t.data ** 2, (t,), lambda g: (g * slope * t.data,), "nan_square")


def test_a_nan_gradient_is_a_difference_and_is_named():
    with pytest.raises(fl.GradcheckError, match=r"differs at \(1,\): analytic nan, numerical 4"):
        fl.gradcheck(_nan_square, [np.array([1.0, 2.0])])


def test_an_infinite_difference_quotient_against_a_finite_gradient_is_a_difference():
    def steep(t):  # forward 0·t, whose slope is 0, with a backward that claims an infinite one
        return fl.Tensor._result(t.data * 0.0, (t,), lambda g: (g * fl.backend.to_device(np.array([np.inf])),), "steep")

    with pytest.raises(fl.GradcheckError, match=r"analytic inf, numerical 0"):
        fl.gradcheck(steep, [np.array([0.0])])


def test_names_the_input_that_is_wrong():
    with pytest.raises(fl.GradcheckError, match="input 1"):
        fl.gradcheck(lambda a, b: a * _bad_square(b), [np.array([1.0]), np.array([2.0])])


def test_checks_in_float64_and_leaves_the_inputs_alone():
    x = fl.tensor(np.array([0.3, -0.7], dtype=np.float32))
    seen = []

    def fn(t):
        seen.append(t.dtype)
        return fl.sigmoid(t) * t

    assert fl.gradcheck(fn, [x])
    assert set(seen) == {np.dtype(np.float64)}
    assert x.dtype == np.float32 and x.numpy().tolist() == pytest.approx([0.3, -0.7])
    arr = np.array([[1.0, 2.0], [3.0, 4.0]])
    fl.gradcheck(lambda t: (t @ t).sum(), [arr])
    assert arr.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_tolerances_and_step():
    # a kink inside ±eps: the numerical slope of |x| at 1e-9 is ~0, the analytic one is 1
    with pytest.raises(fl.GradcheckError):
        fl.gradcheck(fl.abs, [np.array([1e-9])])
    assert fl.gradcheck(fl.abs, [np.array([1e-9])], eps=1e-12, rtol=1e-3)
    assert fl.gradcheck(lambda t: t ** 3, [np.array([100.0])], rtol=1e-6)
    assert fl.gradcheck(lambda t: t * 0, [np.array([1.0])], atol=0.0)


def test_fn_must_return_a_tensor():
    with pytest.raises(ShapeError, match="return a tensor"):
        fl.gradcheck(lambda t: 3.0, [np.array([1.0])])
