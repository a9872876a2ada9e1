"""Every glass-box figure from small, deterministic models — for the lecture pages and for a quick look.

The models are tiny and trained full-batch from a fixed local random generator (fnlearn's global
seed is neither read nor changed), so the same figures come out on every run.

Example:
    >>> from fnlearn.explain.figures import write_all
    >>> paths = write_all("figures")  # doctest: +SKIP
    >>> sorted(paths)  # doctest: +SKIP
    ['boundary', 'hard_sigmoid', 'layers', 'optimizers', 'pieces_relu', 'pieces_sigmoid', ...]
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .. import backend, optim
from ..errors import ConfigError, unknown_name
from ..nn import Dense, Sequential

SEED = 20210226


def red_curve(x: np.ndarray) -> np.ndarray:
    """The lecture's red curve: a constant plus three hard sigmoids (up, down, up again)."""
    def hard(x: np.ndarray, start: float, end: float, height: float) -> np.ndarray:
        return height * np.clip((x - start) / (end - start), 0.0, 1.0)

    return 1.0 + hard(x, 1.0, 3.0, 2.0) + hard(x, 4.5, 6.0, -2.5) + hard(x, 7.0, 9.0, 1.5)


def relu_model_of_red_curve() -> Sequential:
    """A network whose weights are set by hand: each hard sigmoid of :func:`red_curve` as two ReLUs."""
    ramps = [(1.0, 3.0, 2.0), (4.5, 6.0, -2.5), (7.0, 9.0, 1.5)]
    w, b, c = [], [], []
    for start, end, height in ramps:
        slope = height / (end - start)
        w += [1.0, 1.0]
        b += [-start, -end]
        c += [slope, -slope]
    model = _model([len(w), 1], ["relu", None])
    _set(model, "0.kernel", np.array([w]))
    _set(model, "0.bias", np.array(b))
    _set(model, "1.kernel", np.array(c)[:, None])
    _set(model, "1.bias", np.array([1.0]))
    return model


def write_all(out_dir: str | os.PathLike, fmt: str = "png", names: Iterable[str] | None = None) -> dict[str, Path]:
    """Write every figure (or those in ``names``) into ``out_dir`` as ``<name>.<fmt>`` (png or svg);
    returns {name: path}.

    Figures: pieces_sigmoid, pieces_relu, layers, hard_sigmoid, surface, surface_random, optimizers,
    boundary, training_curves, size_curve.
    """
    if fmt not in ("png", "svg"):
        raise ConfigError(f"fmt must be 'png' or 'svg', got {fmt!r}.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    chosen = list(FIGURES) if names is None else list(names)
    unknown = [n for n in chosen if n not in FIGURES]
    if unknown:
        raise unknown_name("figure", unknown[0], FIGURES)
    paths: dict[str, Path] = {}
    try:
        for name in chosen:
            target = out / f"{name}.{fmt}"
            FIGURES[name](target)
            paths[name] = target
    finally:
        # the trained models are shared by the figures of one call, not kept between calls
        _sigmoid_model.cache_clear()
        _deep_relu_model.cache_clear()
    return paths


# ----------------------------------------------------------------------------- tiny models, trained


def _model(units: list[int], activations: list[str | None], n_inputs: int = 1) -> Sequential:
    layers = [Dense(units[0], activation=activations[0], input_dim=n_inputs)]
    layers += [Dense(u, activation=a) for u, a in zip(units[1:], activations[1:])]
    model = Sequential(layers)
    rng = np.random.default_rng(SEED)
    for name, p in model.named_parameters():  # overwrite the global-generator draws with our own
        shape = p.shape
        values = rng.normal(0.0, 1.0 / np.sqrt(shape[0]), size=shape) if len(shape) == 2 else np.zeros(shape)
        _set(model, name, values)
    return model


def _set(model: Sequential, name: str, values: np.ndarray) -> None:
    p = dict(model.named_parameters())[name]
    p.data = backend.to_device(np.asarray(values, dtype=p.data.dtype).reshape(p.shape))


def _train(model: Sequential, x: np.ndarray, y: Any, loss: str, steps: int, lr: float,
           validation: tuple[np.ndarray, Any] | None = None) -> Any:
    """Full-batch Adam in order (no shuffling, so nothing random): one epoch is one step."""
    model.compile(optim.Adam(learning_rate=lr), loss)
    return model.fit(x, y, batch_size=len(x), epochs=steps, shuffle=False, verbose=0, validation_data=validation)


def _red_curve_data(n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    x = np.sort(rng.uniform(0.0, 10.0, n))
    return x[:, None], (red_curve(x) + rng.normal(0.0, 0.05, n))[:, None]


@functools.lru_cache(maxsize=1)
def _sigmoid_model() -> tuple[Sequential, np.ndarray, np.ndarray]:
    x, y = _red_curve_data()
    model = _model([3, 1], ["sigmoid", None])
    # start each sigmoid at a different place along x so the three pieces find the three steps
    _set(model, "0.kernel", np.array([[2.0, -2.0, 2.0]]))
    _set(model, "0.bias", np.array([-2.0 * 2.0, 2.0 * 5.2, -2.0 * 8.0]))
    _train(model, x, y, "mse", steps=1500, lr=0.05)
    return model, x, y


# ----------------------------------------------------------------------------- the figures


def _pieces_sigmoid(path: Path) -> None:
    from .pieces import pieces

    model, x, y = _sigmoid_model()
    pieces(model, x_range=(0, 10), data=(x, y), path=path)


def _pieces_relu(path: Path) -> None:
    from .pieces import pieces

    x, y = _red_curve_data()
    pieces(relu_model_of_red_curve(), x_range=(0, 10), data=(x, y), path=path)


@functools.lru_cache(maxsize=1)
def _deep_relu_model() -> tuple[Sequential, np.ndarray, np.ndarray]:
    x, y = _red_curve_data()
    x = x / 10  # inputs in [0, 1]
    model = _model([8, 8, 1], ["relu", "relu", None])
    # hinges spread over [0, 1] and a small positive bias in layer 2, so no unit starts dead
    w = dict(model.named_parameters())["0.kernel"].numpy()
    _set(model, "0.kernel", np.abs(w) * 4)
    _set(model, "0.bias", -np.abs(w[0]) * 4 * np.linspace(0.0, 0.9, 8))
    _set(model, "1.bias", np.full(8, 0.1))
    _train(model, x, y, "mse", steps=1500, lr=0.01)
    return model, x, y


def _layers(path: Path) -> None:
    from .pieces import layer_outputs

    model, _, _ = _deep_relu_model()
    layer_outputs(model, x_range=(0, 1), path=path)


def _hard_sigmoid(path: Path) -> None:
    from .pieces import hard_sigmoid_from_relus

    hard_sigmoid_from_relus(path=path)


def _surface(path: Path) -> None:
    from .surface import loss_surface

    model, x, y = _sigmoid_model()
    loss_surface(model, data=(x, y), params=("0.kernel[0,0]", "0.bias[0]"), span=(1.5, 4.0), resolution=41,
                 loss="mse", view="both", path=path)


def _surface_random(path: Path) -> None:
    from .surface import loss_surface

    model, x, y = _deep_relu_model()
    loss_surface(model, data=(x, y), directions="random", span=1.0, resolution=41, loss="mse",
                 view="both", path=path, seed=SEED)


def ravine(w: Any) -> Any:
    """A long narrow valley, 0.5·w₁² + 10·w₂²: steep across, shallow along — where plain gradient
    descent zig-zags and the adaptive optimizers pull ahead."""
    return 0.5 * w[0] ** 2 + 10.0 * w[1] ** 2


def _optimizers(path: Path) -> None:
    from .surface import compare_optimizers

    compare_optimizers(ravine, start=(-8.0, 2.0), steps=50,
                       learning_rate={"sgd": 0.095, "momentum": 0.02, "adagrad": 1.5, "rmsprop": 0.3, "adam": 0.5},
                       resolution=81, path=path)


def _boundary(path: Path) -> None:
    from .boundary import decision_boundary

    rng = np.random.default_rng(SEED)
    n = 200
    radius = np.concatenate([rng.uniform(0.0, 1.6, n // 2), rng.uniform(2.4, 4.0, n // 2)])
    angle = rng.uniform(0, 2 * np.pi, n)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    y = np.repeat([1.0, 0.0], n // 2)
    model = _model([6, 1], ["relu", "sigmoid"], n_inputs=2)
    _train(model, X, y[:, None], "binary_crossentropy", steps=600, lr=0.05)
    decision_boundary(model, X, y, resolution=150, path=path)


def _noisy_data(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-1.0, 1.0, (n, 1))
    return x, np.sin(3 * x) + rng.normal(0.0, 0.2, (n, 1))


def _training_curves(path: Path) -> None:
    from .curves import training_curves

    rng = np.random.default_rng(SEED)
    x, y = _noisy_data(12, rng)
    xv, yv = _noisy_data(200, rng)
    model = _model([64, 64, 1], ["relu", "relu", None])
    # full batch: one step is one epoch
    history = _train(model, x, y, "mse", steps=600, lr=0.01, validation=(xv, yv))
    training_curves(history, path=path)


def _size_curve(path: Path) -> None:
    from .curves import size_curve

    rng = np.random.default_rng(SEED)
    x, y = _noisy_data(12, rng)
    xv, yv = _noisy_data(200, rng)
    sizes, train, test = [1, 2, 4, 8, 16, 64], [], []
    for units in sizes:
        model = _model([units, units, 1], ["relu", "relu", None])
        _train(model, x, y, "mse", steps=1000, lr=0.01)
        train.append(model.evaluate(x, y, batch_size=len(x)))
        test.append(model.evaluate(xv, yv, batch_size=len(xv)))
    size_curve(sizes, train, test, labels=[f"{u}+{u}" for u in sizes], path=path)


FIGURES: dict[str, Callable[[Path], None]] = {
    "pieces_sigmoid": _pieces_sigmoid,
    "pieces_relu": _pieces_relu,
    "layers": _layers,
    "hard_sigmoid": _hard_sigmoid,
    "surface": _surface,
    "surface_random": _surface_random,
    "optimizers": _optimizers,
    "boundary": _boundary,
    "training_curves": _training_curves,
    "size_curve": _size_curve,
}
