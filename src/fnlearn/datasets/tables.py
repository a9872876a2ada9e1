"""Small tables from the lecture notes: XOR, the students' ROI table, and the "likes" generator.

Example:
    >>> from fnlearn.datasets import xor, students, likes
    >>> X, y = xor()
    >>> y.ravel().tolist()
    [0.0, 1.0, 1.0, 0.0]
    >>> names, X, y = students()
    >>> names[0], X[0].tolist(), y[0].tolist()
    ('A', [0.85, 0.5, 0.45], [0.5])
    >>> likes()["height"][:3].tolist()
    [188, 178, 164]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from fnlearn import errors


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points no straight line can separate: ``X`` (4, 2) and ``y`` (4, 1), float64.

    Example:
        >>> X, y = xor()
        >>> X.tolist()
        [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    """
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([[0], [1], [1], [0]], dtype=np.float64)
    return X, y


class Students(NamedTuple):
    """The iThome post's students table: ``names``, scores ``X`` (5, 3) and ROI ``y`` (5, 1).

    Unpacks as ``names, X, y``; ``feature_names`` and ``target_name`` name the columns.
    """

    names: tuple[str, ...]
    X: np.ndarray
    y: np.ndarray

    @property
    def feature_names(self) -> tuple[str, str, str]:
        """The columns of ``X``: English, Math, Science (英文, 數學, 自然 in the post)."""
        return ("english", "math", "science")

    @property
    def target_name(self) -> str:
        """The column of ``y``: return on investment (投資報酬率 in the post)."""
        return "roi"


def students() -> Students:
    """The five-row table the post trains by hand in Excel, values exactly as printed there.

    ======  =======  ====  =======  ====
    name    english  math  science  roi
    ======  =======  ====  =======  ====
    A       0.85     0.5   0.45     0.5
    B       0.65     0.4   0.35     0.39
    C       0.55     0.75  0.8      0.76
    D       0.35     0.98  0.97     0.92
    E       0.5      0.9   0.88     0.89
    ======  =======  ====  =======  ====

    Example:
        >>> names, X, y = students()
        >>> w, b = np.full(3, 0.33), 0.0
        >>> round(float(np.mean((y.ravel() - (X @ w + b)) ** 2)), 9)   # the post's round-0 MSE
        0.012672752
    """
    X = np.array([
        [0.85, 0.5, 0.45],
        [0.65, 0.4, 0.35],
        [0.55, 0.75, 0.8],
        [0.35, 0.98, 0.97],
        [0.5, 0.9, 0.88],
    ], dtype=np.float64)
    y = np.array([[0.5], [0.39], [0.76], [0.92], [0.89]], dtype=np.float64)
    return Students(("A", "B", "C", "D", "E"), X, y)


LIKES_COLUMNS = ("height", "age", "income", "considerate", "distance", "liked")


def likes(n: int = 100, seed: int = 42, as_frame: bool = False):
    """The post's random "does she like you" table, drawn exactly as the post's code draws it.

    The post runs ``np.random.seed(42)`` then, in this order, ``randint(150, 200)`` for
    height, ``randint(18, 40)`` for age, ``randint(30000, 100000)`` for income and
    ``randint(0, 2)`` for considerate, distance and liked, each of ``size=n``. This uses a
    private ``RandomState(seed)``, which yields the same numbers without touching NumPy's
    global random state. The label ``liked`` is drawn independently of everything else,
    so no model can beat chance on it: about 50 % accuracy is the honest result.

    Returns a dict of ``int64`` column arrays in the post's order, or a pandas DataFrame
    with ``as_frame=True``.

    Example:
        >>> data = likes()
        >>> list(data), data["liked"].shape
        (['height', 'age', 'income', 'considerate', 'distance', 'liked'], (100,))
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise errors.ConfigError(f"n must be a whole number of rows, at least 1, got {n!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise errors.ConfigError(f"seed must be a whole number from 0 to 2**32 - 1, got {seed!r}.")
    rng = np.random.RandomState(seed)
    bounds = ((150, 200), (18, 40), (30000, 100000), (0, 2), (0, 2), (0, 2))
    # One draw per column, in the post's order: the order is what makes the numbers match.
    data = {col: rng.randint(lo, hi, size=int(n)).astype(np.int64)
            for col, (lo, hi) in zip(LIKES_COLUMNS, bounds)}
    if as_frame:
        pd = errors.require("pandas", "likes(as_frame=True)", "test")
        return pd.DataFrame(data)
    return data
