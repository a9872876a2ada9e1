"""The glass box: draw what a network learned and how it got there.

Every view returns its numbers (arrays in a small dataclass) and draws them on request: pass
``path="fig.png"`` (or ``.svg``) to write the figure, or call ``result.plot()`` for a matplotlib
Figure (matplotlib is imported only then).

- :func:`pieces` — the learned function as ``b + Σᵢ cᵢ·act(bᵢ + wᵢx)``: blue pieces, red sum; for
  ReLU the pairs that make hard sigmoids; :func:`layer_outputs` for deeper networks;
- :func:`hard_sigmoid_from_relus` — two ReLUs make one hard sigmoid (11 − 1 = 12 − 2 = … = 10);
- :func:`loss_surface`, :func:`compare_optimizers` — the error surface and optimizers walking it;
- :func:`decision_boundary` — class regions of a 2-input classifier and its hidden units;
- :func:`filters`, :func:`feature_maps` — a convolutional network's filters as images, and where each fired
  on one picture;
- :func:`training_curves`, :func:`size_curve` — training against validation, loss against size;
- :func:`architecture` — the layers as boxes and arrows (``keras.utils.plot_model`` draws it);
- :class:`Trace` — every update of a small model as a table (``fit(..., trace="trace.csv")``);
- :func:`training_hints` / :func:`print_hints` — what the numbers say went wrong.

Example:
    >>> import fnlearn as fl
    >>> from fnlearn import explain
    >>> h = explain.hard_sigmoid_from_relus(x=[11, 12, 13])
    >>> h.total.tolist()
    [10.0, 10.0, 10.0]
"""

from __future__ import annotations

from .architecture import Architecture, architecture
from .boundary import Boundary, decision_boundary
from .curves import Curves, SizeCurve, size_curve, training_curves
from .filters import FeatureMaps, Filters, feature_maps, filters
from .hints import Hint, print_hints, training_hints
from .pieces import (
    HardSigmoidFromRelus,
    LayerOutputs,
    Pieces,
    ReluPair,
    find_relu_pairs,
    hard_sigmoid_from_relus,
    layer_outputs,
    pieces,
)
from .surface import (
    OptimizerComparison,
    Surface,
    compare_optimizers,
    filter_normalized_direction,
    loss_surface,
)
from .trace import Trace

__all__ = [
    "pieces", "layer_outputs", "find_relu_pairs", "hard_sigmoid_from_relus", "Pieces", "LayerOutputs",
    "ReluPair", "HardSigmoidFromRelus", "loss_surface", "compare_optimizers", "filter_normalized_direction",
    "Surface", "OptimizerComparison", "decision_boundary", "Boundary", "training_curves", "size_curve",
    "Curves", "SizeCurve", "Trace", "Hint", "training_hints", "print_hints", "filters", "feature_maps", "Filters",
    "FeatureMaps", "architecture", "Architecture",
]
