"""``Dot``, Keras 3's ``layers.Dot``: the dot product of two inputs, sample by sample, along one axis of each — the
score of a recommender (a user's embedding against an item's) or the similarity of a siamese network's two branches
(``normalize=True``: the cosine of the angle between them).

Inputs of shapes (batch, …, n, …) and (batch, …, n, …) give the products over the axes of size n: the output has the
first input's other axes, then the second's (batch first, once), as Keras's ``batch_dot``; when nothing is left but
the batch, the output is (batch, 1). The product is one einsum, whose gradient is the autodiff's.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.Dot(axes=1)([np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])]).numpy().tolist()
    [[11.0]]
    >>> fl.layers.Dot(axes=(1, 2))([np.ones((2, 3, 5)), np.ones((2, 4, 3))]).shape
    (2, 5, 4)
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from .. import functional as F
from ..data import check_flag
from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from .layers import LAYERS
from .merge import Merge, Shapes


def _axes_setting(axes: Any) -> int | list[int]:
    """``axes`` as Keras takes it (an int, or a pair of ints, one per input), the batch axis 0 refused."""
    def whole(a: Any) -> bool:
        return isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_))

    pair = isinstance(axes, (list, tuple)) and len(axes) == 2 and all(whole(a) for a in axes)
    if not (whole(axes) or pair) or (0 in (list(axes) if pair else [axes])):
        raise ConfigError(f"Dot axes must be a nonzero integer or a pair of them (one axis per input, counting the "
                          f"batch axis as 0, which cannot be summed over), got {axes!r}; e.g. axes=1 for two "
                          "(batch, features) inputs, or axes=(2, 2) for two sequences.")
    return [int(a) for a in axes] if pair else int(axes)


class Dot(Merge):
    """The dot product of two inputs along ``axes``, Keras 3's ``layers.Dot``: ``axes=1`` for two (batch, n)
    inputs gives their products (batch, 1); ``axes=(a, b)`` pairs axis ``a`` of the first input with axis ``b`` of
    the second (counting the batch axis as 0; negative axes count from the end). ``normalize=True`` first divides
    each input by its length along its axis, so the output is the cosine similarity.

    The output carries no mask, as in Keras. No weights.

    >>> import fnlearn as fl, numpy as np
    >>> users, items = np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([[3.0, 4.0], [3.0, 4.0]])
    >>> fl.layers.Dot(axes=1, normalize=True)([users, items]).numpy().round(2).tolist()
    [[0.6], [0.8]]
    """

    _fewest = _most = 2
    _verb = "take the dot product of"

    def __init__(self, axes: Any, normalize: bool = False, name: str | None = None, **kwargs: Any) -> None:
        self.axes: int | list[int] = _axes_setting(axes)
        self.normalize = check_flag(normalize, "Dot normalize")
        super().__init__(name=name, **kwargs)

    def _pair(self, ranks: tuple[int, int]) -> tuple[int, int]:
        """The two summed axes for inputs of ``ranks`` axes (batch included), as nonnegative axes."""
        given = [self.axes, self.axes] if isinstance(self.axes, int) else self.axes
        return given[0] % ranks[0] if -ranks[0] <= given[0] < ranks[0] else -1, \
            given[1] % ranks[1] if -ranks[1] <= given[1] < ranks[1] else -1

    def merged_shape(self, shapes: Shapes) -> tuple[int, ...]:
        self._count_check(len(shapes))
        first, second = (tuple(s) for s in shapes)
        a0, a1 = self._pair((len(first) + 1, len(second) + 1))
        given = f"{(None, *first)} and {(None, *second)}"
        if not first or not second or a0 < 1 or a1 < 1:
            raise ShapeError(f"Dot layer {self.name!r} (axes={self.axes!r}) cannot pair axes of inputs of shapes "
                             f"{given}: each input needs an axis besides the batch and the axes must exist; "
                             "choose axes within each input's (e.g. axes=-1 for the last).")
        n0, n1 = first[a0 - 1], second[a1 - 1]
        if n0 is not None and n1 is not None and n0 != n1:
            raise ShapeError(f"Dot layer {self.name!r} (axes={self.axes!r}) got inputs of shapes {given}, whose "
                             f"summed axes have sizes {n0} and {n1}; they must be equal: bring one input to the "
                             "other's size (a Dense layer), or choose axes of one size.")
        rest = [s for i, s in enumerate(first) if i != a0 - 1] + [s for i, s in enumerate(second) if i != a1 - 1]
        return tuple(rest) if rest else (1,)

    def combine(self, tensors: list[Tensor]) -> Tensor:
        x, y = tensors
        a0, a1 = self._pair((x.ndim, y.ndim))
        if x.shape[0] != y.shape[0]:
            raise ShapeError(f"Dot layer {self.name!r} got batches of {x.shape[0]} and {y.shape[0]} samples; give "
                             "both inputs the same batch size.")
        if self.normalize:
            x, y = F.l2_normalize(x, a0), F.l2_normalize(y, a1)
        letters = iter(string.ascii_letters)
        xs = [next(letters) for _ in range(x.ndim)]
        ys = [xs[0] if i == 0 else xs[a0] if i == a1 else next(letters) for i in range(y.ndim)]
        out = [xs[0], *(c for i, c in enumerate(xs) if i not in (0, a0)),
               *(c for i, c in enumerate(ys) if i not in (0, a1))]
        result = F.einsum(f"{''.join(xs)},{''.join(ys)}->{''.join(out)}", x, y)
        return F.reshape(result, (x.shape[0], 1)) if result.ndim == 1 else result

    def _joined_mask_shape(self, masks: list[Any], shapes: Shapes) -> tuple[int, ...]:
        """Nothing to check: the output carries no mask, so the masks need not agree (a query's and a document's
        steps differ)."""
        return ()

    def compute_mask(self, inputs: Any, mask: Any) -> Any:
        return None  # Keras's: the steps are summed away

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


LAYERS["Dot"] = Dot  # a class a model file may name
