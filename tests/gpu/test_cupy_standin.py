"""The NumPy stand-in for CuPy keeps CuPy's rules, so that what it passes would pass on a GPU."""

from __future__ import annotations

import pickle

import cupy_standin
import numpy as np
import pytest


@pytest.fixture
def cp():
    return cupy_standin.module()


def test_device_arrays_are_not_host_arrays(cp):
    x = cp.arange(6.0).reshape(2, 3)
    assert not isinstance(x, np.ndarray) and isinstance(x, cp.ndarray)
    for convert in (np.asarray, np.array, lambda a: np.testing.assert_allclose(a, a)):
        with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
            convert(x)
    np.testing.assert_array_equal(x.get(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(cp.asnumpy(x), x.get())
    assert not np.shares_memory(cp.asarray(np.ones(3)).get(), np.ones(3))  # copies, both ways


def test_host_arrays_are_refused_inside_device_operations(cp):
    x, host = cp.ones(3), np.ones(3)
    for op in (lambda: x + host, lambda: host * x, lambda: cp.maximum(x, host), lambda: cp.where(x > 0, host, x),
               lambda: x.__iadd__(host), lambda: cp.exp(host)):
        with pytest.raises(TypeError, match="Unsupported type <class 'numpy.ndarray'>"):
            op()
    with pytest.raises(ValueError, match="non-scalar numpy.ndarray cannot be used for fill"):
        x[...] = host
    x[np.array([0, 2])] = np.array([5.0, 6.0])  # an advanced index takes host indices and values
    x[...] = np.float32(2.0) * x  # NumPy and Python scalars are fine
    assert x.tolist() == [10.0, 2.0, 12.0]


def test_numpy_functions_work_only_where_cupy_has_them(cp):
    x = cp.arange(4.0)
    assert isinstance(np.sum(x), cp.ndarray) and float(np.sum(x)) == 6.0  # a 0-d device array, as CuPy gives
    assert isinstance(x[1], cp.ndarray) and x[1].shape == ()
    assert isinstance(np.exp(x), cp.ndarray) and isinstance(np.concatenate([x, x]), cp.ndarray)
    with pytest.raises(TypeError):
        np.nanpercentile(x, 50)  # CuPy has no nanpercentile
    with pytest.raises(AttributeError):
        cp.nanpercentile  # noqa: B018
    with pytest.raises(AttributeError):
        x.ctypes  # noqa: B018  (NumPy only)
    assert pickle.loads(pickle.dumps(x)).tolist() == x.tolist()


def test_capture_records_without_running_and_the_graph_replays(cp):
    stream, a, b = cp.cuda.Stream(), cp.ones(3), cp.zeros(3)
    stream.begin_capture()
    b += a * 2
    total = b.sum()
    graph = stream.end_capture()
    assert b.tolist() == [0.0, 0.0, 0.0]  # recording ran nothing on the arrays that existed before
    assert np.isnan(float(total))  # and what it made holds garbage until the graph runs
    graph.launch(stream)
    assert b.tolist() == [2.0, 2.0, 2.0] and float(total) == 6.0
    a[...] = 10.0  # a replay reads the buffers as they are now
    graph.launch(stream)
    assert b.tolist() == [22.0, 22.0, 22.0] and float(total) == 66.0


@pytest.mark.parametrize("read", [float, bool, repr, lambda t: t.get(), lambda t: t.item(),
                                  lambda t: f"{t:.3f}"])
def test_a_read_back_while_capturing_raises_as_cuda_does(cp, read):
    stream, x = cp.cuda.Stream(), cp.ones(())
    stream.begin_capture()
    try:
        with pytest.raises(cupy_standin.CaptureError, match="while a stream is capturing"):
            read(x + 1)
        with pytest.raises(cupy_standin.CaptureError, match="copy from host memory"):
            cp.asarray(np.ones(2))
    finally:
        stream.end_capture()
    assert float(x) == 1.0  # fine again once the capture ended


def test_the_rules_a_real_gpu_run_found(cp):
    """Each was a failure on an H200 that the stand-in had let through, until it kept the rule too."""
    x = cp.asarray(np.array([[1.0, 2.0], [3.0, 4.0]]))
    old = x[0, 1]  # a 0-d view: the write below changes it
    x[0, 1] = 9.0
    assert float(old) == 9.0
    kept = x[0, 1].copy()
    x[0, 1] = 5.0
    assert float(kept) == 9.0
    y = cp.zeros(3)
    y[np.array([0, 0, 2])] = cp.asarray(np.array([1.0, 2.0, 3.0]))  # position 0 named twice: the first value
    assert y.tolist() == [1.0, 0.0, 3.0]
    with pytest.raises(TypeError, match="unhashable"):
        {x.device: 1}  # noqa: B018  (CuPy 14's Device)
    assert np.isnan(cp.linalg.cholesky(cp.asarray(np.array([[1.0, 2.0], [2.0, 1.0]]))).get()).all()
    stream = cp.cuda.Stream()
    stream.begin_capture()
    try:
        with pytest.raises(NotImplementedError, match="cuBLAS"):
            x @ x
        with pytest.raises(NotImplementedError, match="cuBLAS"):
            cp.dot(x, x)
    finally:
        stream.end_capture()
    np.testing.assert_array_equal((x @ x).get(), np.array([[1.0, 5.0], [3.0, 4.0]]) @ np.array([[1.0, 5.0],
                                                                                             [3.0, 4.0]]))
