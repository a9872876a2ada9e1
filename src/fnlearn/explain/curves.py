"""Training curves (train against validation) and the loss-against-model-size picture.

Example:
    >>> from fnlearn.explain import training_curves, size_curve
    >>> c = training_curves({"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.8]})
    >>> c.best_epoch("val_loss")
    1
    >>> size_curve([1, 2, 4, 8], [0.9, 0.5, 0.2, 0.05], [1.0, 0.6, 0.4, 0.7]).best
    2
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError, ShapeError
from . import _common as C


@dataclass
class Curves:
    """Every series of a History by name (``loss``, ``val_loss``, ``accuracy``…), one value per epoch.
    ``epochs`` are numbered from 1, as fit prints them."""

    epochs: np.ndarray
    series: dict[str, np.ndarray]
    # "max" / "min" for a metric whose compiled object says which way is better (a custom-named F1, say)
    directions: dict[str, str] = field(default_factory=dict)

    @property
    def groups(self) -> dict[str, list[str]]:
        """Series grouped by what they measure: ``{"loss": ["loss", "val_loss"], ...}``."""
        out: dict[str, list[str]] = {}
        for name in self.series:
            base = name[4:] if name.startswith("val_") else name
            out.setdefault(base, []).append(name)
        return out

    def best_epoch(self, name: str = "val_loss") -> int:
        """Index of the epoch with the lowest value of ``name`` (the highest for accuracy-like names)."""
        if name not in self.series:
            from ..errors import unknown_name

            raise unknown_name("series", name, self.series)
        values = self.series[name]
        base = (name[4:] if name.startswith("val_") else name).split("[")[0]
        higher = self.directions[base] == "max" if base in self.directions else _higher_is_better(name)
        return int(np.nanargmax(values) if higher else np.nanargmin(values))

    def plot(self, path: str | os.PathLike | None = None) -> Any:
        """One panel per measure: training in blue, validation in orange, the best validation epoch marked."""
        groups = self.groups
        fig = C.new_figure(5.2 * len(groups), 4.2)
        axes = fig.subplots(1, len(groups), squeeze=False)[0]
        for ax, (base, names) in zip(axes, groups.items()):
            for name in names:
                val = name.startswith("val_")
                ax.plot(self.epochs, self.series[name], color=C.VALIDATION_ORANGE if val else C.PIECE_BLUE,
                        lw=1.8, marker="o" if self.epochs.size <= 30 else None, ms=3.5,
                        label=("validation " if val else "training ") + base)
                if val:
                    k = self.best_epoch(name)
                    ax.axvline(self.epochs[k], color=C.CONSTANT_GREY, ls=":", lw=1)
                    ax.annotate(f"best {self.series[name][k]:.4g}\nepoch {self.epochs[k]}",
                                (self.epochs[k], self.series[name][k]), textcoords="offset points",
                                xytext=(6, 8), fontsize=8)
            values = np.concatenate([self.series[n] for n in names])
            if base == "loss" and np.all(values > 0) and values.max() / values.min() > 50:
                ax.set_yscale("log")
            ax.set_xlabel("epoch")
            ax.set_ylabel(base)
            ax.set_title(base)
            ax.grid(alpha=0.25)
            ax.legend(fontsize=8)
        return C.maybe_save(fig, path)


def _higher_is_better(name: str) -> bool:
    base = name[4:] if name.startswith("val_") else name
    base = base.split("[")[0]  # f1_score[2]: class 2 of a metric with one value per class
    return base in ("accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
                    "precision", "recall", "auc", "f1", "r2", "f1_score", "fbeta_score", "f_beta_score") \
        or base.endswith(("_at_recall", "_at_precision", "_at_specificity", "_at_sensitivity"))


def training_curves(history_or_dict: Any, path: str | os.PathLike | None = None) -> Curves:
    """Training against validation for a History (``model.fit``'s result) or a dict of lists. A metric with
    one value per class or threshold (``F1Score()``) gives one curve each: ``f1_score[0]``, ``f1_score[1]``…

    >>> training_curves({"loss": [3, 2, 1]}).series["loss"].tolist()
    [3.0, 2.0, 1.0]
    """
    raw = getattr(history_or_dict, "history", history_or_dict)
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"training_curves needs a History or a dict of lists such as {{'loss': [...]}}, got "
                          f"{type(history_or_dict).__name__}.")
    series = {}
    for name, values in raw.items():
        arr = np.asarray(values, dtype=np.float64)
        if arr.size == 0:
            raise DataError(f"history series {name!r} is empty; train at least one epoch first.")
        if arr.ndim == 2 and arr.shape[1] > 1:  # a metric with one value per class or threshold: a curve each
            series.update({f"{name}[{i}]": arr[:, i] for i in range(arr.shape[1])})
        else:
            series[str(name)] = arr.reshape(-1)
    lengths = {v.size for v in series.values()}
    if len(lengths) != 1:
        sizes = ", ".join(f"{k}: {v.size}" for k, v in series.items())
        raise ShapeError(f"history series have different lengths ({sizes}); give one value per epoch in each.")
    n = lengths.pop()
    epoch = getattr(history_or_dict, "epoch", None)
    # History.epoch counts from 0 (Keras's indices); a figure counts from 1, as fit's progress lines and hints do
    epochs = np.asarray(epoch, dtype=np.int64) + 1 if epoch is not None and len(epoch) == n else np.arange(1, n + 1)
    from ..callbacks import _metric_mode  # the direction the callbacks' mode="auto" reads too

    model = getattr(history_or_dict, "model", None)
    directions = {name: mode for name in raw if not name.startswith("val_")
                  if (mode := _metric_mode(model, name)) is not None}
    return C.drawn(Curves(epochs, series, directions), path)


@dataclass
class SizeCurve:
    """Final training and test loss against model size; ``best`` is the size with the lowest test loss."""

    sizes: np.ndarray
    train: np.ndarray
    test: np.ndarray
    labels: list[str] | None = None

    @property
    def best(self) -> int:
        return int(np.argmin(self.test))

    @property
    def overfits(self) -> bool:
        """Whether a model larger than the best has a test loss clearly (more than 5 %) above the best one's:
        the rise the lecture calls overfitting, not a flat stretch within noise."""
        b = self.best
        return b < self.test.size - 1 and float(np.max(self.test[b + 1:])) > self.test[b] + 0.05 * abs(self.test[b])

    def plot(self, path: str | os.PathLike | None = None) -> Any:
        """Both curves; left of the best size is model bias, right of it overfitting."""
        fig = C.new_figure(7.0, 4.6)
        ax = fig.subplots()
        pos = np.arange(self.sizes.size, dtype=np.float64) if self.labels else self.sizes.astype(np.float64)
        ax.plot(pos, self.train, color=C.PIECE_BLUE, marker="o", lw=1.8, label="training loss")
        ax.plot(pos, self.test, color=C.VALIDATION_ORANGE, marker="o", lw=1.8, label="test loss")
        b = self.best
        ax.axvline(pos[b], color=C.CONSTANT_GREY, ls=":", lw=1.2)
        if not self.labels and self.sizes.min() > 0 and self.sizes.max() / self.sizes.min() >= 20:
            ax.set_xscale("log")
        lo, hi = ax.get_xlim()
        bottom, top = ax.get_ylim()
        ax.set_ylim(bottom, top + 0.25 * (top - bottom))  # room above the curves for the two region labels
        if b > 0:
            ax.axvspan(lo, pos[b], color=C.PIECE_BLUE, alpha=0.06)
            ax.text(0.02, 0.96, "model bias:\ntoo simple", transform=ax.transAxes, va="top", fontsize=9,
                    color=C.PIECE_BLUE)
        if self.overfits:
            ax.axvspan(pos[b], hi, color=C.SUM_RED, alpha=0.05)
            ax.text(0.98, 0.96, "overfitting:\ntest loss rises", transform=ax.transAxes, va="top", ha="right",
                    fontsize=9, color=C.SUM_RED)
        elif b < self.sizes.size - 1:
            ax.text(0.98, 0.96, "larger models:\nno better on the test data", transform=ax.transAxes, va="top",
                    ha="right", fontsize=9, color=C.CONSTANT_GREY)
        ax.set_xlim(lo, hi)
        ax.annotate(f"best: {self.labels[b] if self.labels else f'{self.sizes[b]:g}'}\ntest {self.test[b]:.4g}",
                    (pos[b], self.test[b]), textcoords="offset points", xytext=(6, 10), fontsize=8)
        if self.labels:
            ax.set_xticks(pos)
            ax.set_xticklabels(self.labels, rotation=30 if max(len(s) for s in self.labels) > 6 else 0,
                               fontsize=8)
        ax.set_xlabel("model size")
        ax.set_ylabel("loss")
        ax.set_title("loss against model size")
        ax.grid(alpha=0.25)
        ax.legend(fontsize=8, loc="center right")
        return C.maybe_save(fig, path)


def size_curve(sizes: Any, train_losses: Any, test_losses: Any, labels: Any = None,
               path: str | os.PathLike | None = None) -> SizeCurve:
    """The "loss against model size" picture: training loss keeps falling with size, test loss falls
    (less model bias) and then rises again (overfitting).

    >>> size_curve([1, 10, 100], [1.0, 0.2, 0.01], [1.1, 0.3, 0.9], labels=["1", "10", "100"]).best
    1
    """
    s = C.as_float_array(sizes, "sizes").reshape(-1)
    train = C.as_float_array(train_losses, "train_losses").reshape(-1)
    test = C.as_float_array(test_losses, "test_losses").reshape(-1)
    if not (s.size == train.size == test.size):
        raise ShapeError(f"sizes, train_losses and test_losses need one value per model, got {s.size}, "
                         f"{train.size} and {test.size}.")
    if s.size < 2:
        raise ConfigError("size_curve needs at least two model sizes to compare.")
    names = None if labels is None else [str(v) for v in labels]
    if names is not None and len(names) != s.size:
        raise ShapeError(f"labels has {len(names)} names for {s.size} models; give one per size.")
    return C.drawn(SizeCurve(s, train, test, names), path)
