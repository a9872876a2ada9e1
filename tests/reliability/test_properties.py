"""Property-based tests that complete the ones in tests/test_functional.py (gradients of broadcasting ops)
and tests/test_io.py (random models round-trip; 2,000 randomly mutated files): here the error side.

- two shapes that do not broadcast always give ShapeError, never a bare NumPy error;
- any batch_size / epochs that is not a positive integer gives ConfigError and changes nothing;
- NaN or inf planted anywhere is reported at its first row and column;
- a signed (checksum-valid) file whose settings a forger changed anywhere either loads the same weights
  or raises ModelFileError: the deep checks behind the checksum hold too.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fnlearn as fl
from fnlearn import io
from fnlearn.errors import ConfigError, DataError, ModelFileError, ShapeError

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


def broadcasts(a: tuple, b: tuple) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
          "div": lambda a, b: a / b, "maximum": fl.maximum, "minimum": fl.minimum,
          "where": lambda a, b: fl.where(np.ones(a.shape, bool), a, b)}


@FAST
@given(shapes, shapes, st.sampled_from(sorted(BINARY)))
def test_binary_ops_broadcast_or_raise_shape_error(sa, sb, op):
    a = fl.tensor(np.ones(sa) * 2.0, requires_grad=True)
    b = fl.tensor(np.ones(sb) * 3.0, requires_grad=True)
    if broadcasts(sa, sb):
        out = BINARY[op](a, b)
        assert out.shape == np.broadcast_shapes(sa, sb)
        out.sum().backward()
        assert a.grad.shape == sa and b.grad.shape == sb
    else:
        with pytest.raises(ShapeError) as info:
            BINARY[op](a, b)
        assert str(sa) in str(info.value) or str(sb) in str(info.value)
        assert a.grad is None and b.grad is None


@FAST
@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
       hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
def test_matmul_works_or_raises_shape_error(sa, sb):
    a, b = np.ones(sa), np.ones(sb)
    try:
        expected = np.matmul(a, b).shape
    except ValueError:
        with pytest.raises(ShapeError):
            fl.matmul(fl.tensor(a), fl.tensor(b))
    else:
        assert fl.matmul(fl.tensor(a), fl.tensor(b)).shape == expected


not_positive_ints = st.one_of(
    st.integers(max_value=0), st.floats(allow_nan=True), st.booleans(), st.text(max_size=3),
    st.integers(1, 64).map(str), st.integers(1, 64).map(float), st.none().map(lambda _: [32]))


def small_model():
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(3, activation="relu", input_dim=2), fl.layers.Dense(1)])
    model.compile(fl.optim.Adam(learning_rate=0.01), "mse")
    return model


X = np.linspace(-1, 1, 20).reshape(10, 2)
Y = X.sum(axis=1, keepdims=True)


@settings(max_examples=80, deadline=None)
@given(not_positive_ints, st.sampled_from(["batch_size", "epochs"]))
def test_any_non_positive_integer_batch_size_or_epochs_is_refused_without_a_step(value, name):
    assume(not (name == "epochs" and type(value) is int and value == 0))  # epochs=0 trains nothing, as Keras
    model = small_model()
    model.fit(X, Y, epochs=1, verbose=0)
    before = [w.copy() for w in model.get_weights()], model.optimizer.iterations
    with pytest.raises(ConfigError) as info:
        model.fit(X, Y, verbose=0, **{name: value})
    assert name in str(info.value) and repr(value) in str(info.value)
    after = model.get_weights(), model.optimizer.iterations
    assert after[1] == before[1] and all(np.array_equal(p, q) for p, q in zip(after[0], before[0]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 1)), min_size=1, max_size=4),
       st.sampled_from([math.nan, math.inf, -math.inf]), st.sampled_from(["x", "y"]))
def test_nonfinite_values_are_reported_at_their_first_position(cells, value, where):
    x, y = X.copy(), np.repeat(Y, 2, axis=1)
    target = x if where == "x" else y
    for row, col in cells:
        target[row, col] = value
    first = min(cells)
    model = fl.Sequential([fl.layers.Dense(2, input_dim=2)])
    model.compile("sgd", "mse")
    model.build((2,))
    before = model.get_weights()
    with pytest.raises(DataError) as info:
        model.fit(x, y, verbose=0)
    message = str(info.value)
    assert message.startswith(f"{where} contains ") and f"row {first[0]}, column {first[1]}" in message
    assert all(np.array_equal(p, q) for p, q in zip(model.get_weights(), before))
    # the option lets the same data through; the loss then stops training, blaming the data first
    with pytest.warns(RuntimeWarning, match="allow_nonfinite=True: a NaN or inf in a batch"):
        model.fit(x, y, verbose=0, allow_nonfinite=True)


# ----------------------------------------------------------------------------- signed files changed by a forger

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12) | st.sampled_from(["Dense", "Flatten", "Dropout", "relu", "float64", "sgd", "mse"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8)


def paths_in(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from paths_in(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from paths_in(v, (*prefix, i))


def replaced(doc, path, value):
    if not path:
        return value
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[path[0]] = replaced(doc[path[0]], path[1:], value)
    return copy


@pytest.fixture(scope="module")
def signed_model(tmp_path_factory):
    import safetensors.numpy

    model = fl.Sequential([fl.layers.Dense(3, activation="relu", input_dim=2), fl.layers.Dropout(0.2),
                           fl.layers.Dense(2, activation="softmax")])
    model.compile(fl.optim.SGD(learning_rate=0.1, momentum=0.9), "categorical_crossentropy", metrics=["accuracy"])
    model.fit(np.ones((4, 2)), np.eye(2)[[0, 1, 0, 1]], epochs=1, verbose=0)
    path = tmp_path_factory.mktemp("signed") / "m.fnl"
    model.save(path)
    raw = path.read_bytes()
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
    doc = json.loads(header["__metadata__"][io.METADATA_KEY])
    return model, doc, safetensors.numpy.load_file(str(path))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_forged_but_signed_document_loads_or_raises_model_file_error(signed_model, tmp_path, data):
    model, doc, tensors = signed_model
    path = data.draw(st.sampled_from(list(paths_in(doc))))
    forged = replaced(doc, path, data.draw(json_values))
    target = tmp_path / "forged.fnl"
    target.write_bytes(io._encode(forged, tensors, target))
    try:
        loaded = fl.load_model(target)
    except ModelFileError as exc:
        assert str(exc).startswith("model file ") and "\n" not in str(exc)
        return
    assert all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), model.get_weights()))
