"""XOR, the students table (checked against the post's hand-computed numbers) and likes()."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from fnlearn import errors
from fnlearn.datasets import likes, students, xor


def test_xor_is_the_truth_table():
    X, y = xor()
    assert X.shape == (4, 2) and y.shape == (4, 1) and X.dtype == y.dtype == np.float64
    np.testing.assert_array_equal(y.ravel(), np.logical_xor(X[:, 0], X[:, 1]))


def test_students_values_are_the_posts():
    table = students()
    names, X, y = table
    assert names == ("A", "B", "C", "D", "E")
    assert table.feature_names == ("english", "math", "science") and table.target_name == "roi"
    assert X.shape == (5, 3) and y.shape == (5, 1)
    assert X[3].tolist() == [0.35, 0.98, 0.97] and y.ravel().tolist() == [0.5, 0.39, 0.76, 0.92, 0.89]


def test_students_reproduce_the_posts_round_zero():
    # The post starts from w = (0.33, 0.33, 0.33), b = 0 and prints MSE = 0.012672752;
    # its averaged changes are error * score per subject and the error itself for b.
    _, X, y = students()
    error = y.ravel() - (X @ np.full(3, 0.33) + 0.0)
    assert abs(np.mean(error**2) - 0.012672752) < 1e-12
    np.testing.assert_allclose((error[:, None] * X).mean(axis=0), [0.00706, 0.051214, 0.0526716], atol=1e-12)
    assert abs(error.mean() - 0.03992) < 1e-12


def _posts_code():
    """The post's generator, run on NumPy's global state exactly as written there."""
    np.random.seed(42)
    return {
        "height": np.random.randint(150, 200, size=100),
        "age": np.random.randint(18, 40, size=100),
        "income": np.random.randint(30000, 100000, size=100),
        "considerate": np.random.randint(0, 2, size=100),
        "distance": np.random.randint(0, 2, size=100),
        "liked": np.random.randint(0, 2, size=100),
    }


def test_likes_equals_the_posts_generator():
    saved = np.random.get_state()
    try:
        expected = _posts_code()
    finally:
        np.random.set_state(saved)
    got = likes()
    assert list(got) == list(expected)
    for col in expected:
        np.testing.assert_array_equal(got[col], expected[col])
        assert got[col].dtype == np.int64 and got[col].shape == (100,)
    assert got["height"][:5].tolist() == expected["height"][:5].tolist()
    assert got["height"].min() >= 150 and got["height"].max() < 200
    assert set(np.unique(got["liked"])) == {0, 1}


def test_likes_leaves_the_global_random_state_alone():
    np.random.seed(7)
    before = np.random.random(3)
    np.random.seed(7)
    likes(n=50, seed=1)
    assert np.random.random(3).tolist() == before.tolist()


def test_likes_other_sizes_and_seeds():
    a, b = likes(n=10, seed=0), likes(n=10, seed=1)
    assert all(len(v) == 10 for v in a.values())
    assert not all(np.array_equal(a[c], b[c]) for c in a)


def test_likes_as_frame():
    pd = pytest.importorskip("pandas")
    frame = likes(as_frame=True)
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == list(likes())
    assert frame.shape == (100, 6)
    np.testing.assert_array_equal(frame["income"].to_numpy(), likes()["income"])


def test_likes_as_frame_without_pandas(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(errors.MissingDependencyError, match="pandas"):
        likes(as_frame=True)


@pytest.mark.parametrize("kwargs, words", [
    ({"n": 0}, "n must be"), ({"n": 2.5}, "n must be"), ({"n": True}, "n must be"),
    ({"seed": -1}, "seed must be"), ({"seed": "42"}, "seed must be"),
])
def test_likes_bad_arguments(kwargs, words):
    with pytest.raises(errors.ConfigError, match=words):
        likes(**kwargs)


def test_importing_datasets_stays_light():
    heavy = "('pandas', 'rich', 'urllib.request', 'matplotlib')"
    code = f"import sys, fnlearn.datasets; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
