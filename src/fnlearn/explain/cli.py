"""``fnlearn explain pieces|surface|boundary|filters|maps|architecture MODEL.fnl``: the glass-box figures for a saved
model.

    fnlearn explain pieces   model.fnl [--x-range -3 3] [--data d.csv]   # blue pieces, red sum
    fnlearn explain surface  model.fnl --data d.csv [--params 0.kernel[0,0] 0.bias[0]]
    fnlearn explain boundary model.fnl --data d.csv                     # class regions, hidden units
    fnlearn explain filters  model.fnl [--layer conv2d]                 # a Conv2D layer's filters
    fnlearn explain maps     model.fnl --data images.npz [--sample 3]   # where each filter fired on one image
    fnlearn explain architecture model.fnl                              # the layers as boxes and arrows

``--layer`` takes a layer's name or its index in ``model.layers`` (``--layer 0`` is the first).

Data files: CSV (an optional header row; the model's input columns first, then the targets) or
NumPy ``.npz`` with arrays ``x`` and ``y`` (``X``/``y`` and ``x_train``/``y_train`` work too).
Figures go to ``--out`` (default: the current folder) as ``<view>.png`` (``--format svg`` for SVG).

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="fnlearn"); sub = parser.add_subparsers()
    >>> _ = add_subparser(sub)
    >>> parser.parse_args(["explain", "pieces", "m.fnl", "--x-range", "-1", "1"]).x_range
    [-1.0, 1.0]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, DatasetError, ShapeError

VIEWS = ("pieces", "surface", "boundary", "filters", "maps", "architecture")


def add_subparser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``explain`` command to an ``argparse`` sub-parser collection; returns its parser."""
    p = subparsers.add_parser(
        "explain", help="figures of what a saved model learned: pieces, error surface, decision boundary, filters",
        description="Draw what a saved model learned: 'pieces' (the learned function as a constant plus "
                    "blue pieces adding up to the red curve), 'surface' (the loss around the trained "
                    "weights), 'boundary' (class regions of a 2-input classifier), 'filters' (a convolutional "
                    "layer's filters as images), 'maps' (the feature maps of one image), 'architecture' (the "
                    "layers as boxes and arrows, with their shapes).")
    p.add_argument("view", choices=VIEWS, help="which figure to draw")
    p.add_argument("model", help="a model file written by model.save (.fnl), or a Keras 3 .keras file")
    p.add_argument("--data", metavar="FILE", help="data as .csv (inputs then targets) or .npz (x, y)")
    p.add_argument("--out", metavar="DIR", default=".", help="folder for the figures (default: .)")
    p.add_argument("--x-range", nargs=2, type=float, metavar=("LO", "HI"), dest="x_range",
                   help="pieces: the range of x to draw (default: the data's, or every bend)")
    p.add_argument("--params", nargs=2, metavar=("P1", "P2"),
                   help="surface: two numbers to vary, e.g. '0.kernel[0,0]' '0.bias[0]' "
                        "(default: two random filter-normalised directions)")
    p.add_argument("--span", type=float, default=1.0, help="surface: how far the grid reaches each side")
    p.add_argument("--view-3d", dest="view_3d", action="store_true", help="surface: add the 3-D view")
    p.add_argument("--loss", help="surface: the loss if the model file has none (e.g. mse)")
    p.add_argument("--resolution", type=int, default=None, help="grid points per side (surface 41, boundary 200)")
    p.add_argument("--layer", action="append", metavar="LAYER",
                   help="filters / maps: a layer's name or its index in model.layers (maps: repeat it for several; "
                        "default: every Conv2D)")
    p.add_argument("--sample", type=int, default=0, help="maps: which image of --data's x to draw (default: 0)")
    p.add_argument("--scale", choices=("layer", "map"), default="layer",
                   help="maps: one colour scale per layer, with a colour bar (default), or each map on its own")
    p.add_argument("--format", choices=("png", "svg"), default="png", help="image format (default: png)")
    p.set_defaults(_explain_run=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Load the model (and data), write the figure, print its path; returns the exit code 0."""
    from ..io import load_model
    from .boundary import decision_boundary
    from .filters import feature_maps, filters, model_image
    from .pieces import pieces
    from .surface import loss_surface

    model = load_model(args.model)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {str(out)!r} is a file; give a folder for the figures.")
    target = out / f"{args.view}.{args.format}"
    chosen = None if not args.layer else [layer_spec(model, text) for text in args.layer]
    if args.view == "architecture":
        from .architecture import architecture

        architecture(model, target, show_layer_activations=True)
        print(target)
        return 0
    if args.view == "filters":
        filters(model, layer=None if chosen is None else chosen[0], path=target)
        print(target)
        return 0
    if args.view == "maps":
        if args.data is None:
            raise ConfigError("'fnlearn explain maps' needs --data: an .npz file whose x holds the images.")
        picture, _ = model_image(model, load_image(args.data, args.sample), f"x[{args.sample}] of {args.data!r}")
        maps = feature_maps(model, picture, layers=chosen)
        maps.plot(target, scale=args.scale)
        print(target)
        return 0
    n_inputs = _n_inputs(model)
    data = None if args.data is None else load_data(args.data, n_inputs)
    if args.view == "pieces":
        outputs = int(_stages(model)[-1].kernel.shape[1])
        if data is not None and data[1] is not None and data[1].shape[1] != outputs:
            raise ShapeError(f"--data {args.data!r} has {n_inputs} input column(s) and {data[1].shape[1]} target "
                             f"column(s), but the model has {outputs} output(s); give one target column per "
                             "output, after the inputs.")
        pieces(model, x_range=args.x_range, path=target,
               data=None if data is None else (data[0][:, 0], data[1].reshape(len(data[1]), -1)[:, 0]))
    elif args.view == "surface":
        if data is None or data[1] is None:
            raise ConfigError("'fnlearn explain surface' needs --data with inputs and targets: the loss is "
                              "measured on them.")
        if args.loss is None and getattr(model, "loss_fn", None) is None:
            raise ConfigError(f"the model file {args.model!r} holds no loss (it was saved uncompiled); name one with "
                              "--loss, e.g. --loss mse.")
        params = tuple(args.params) if args.params else None
        loss_surface(model, data=data, params=params, directions=None if params else "random", span=args.span,
                     resolution=41 if args.resolution is None else args.resolution, path=target,
                     view="both" if args.view_3d else "contour", loss=args.loss)
    else:
        if data is None:
            raise ConfigError("'fnlearn explain boundary' needs --data: the points whose classes are drawn.")
        decision_boundary(model, data[0], data[1], path=target,
                          resolution=200 if args.resolution is None else args.resolution)
    print(target)
    return 0


def _stages(model: Any) -> list[Any]:
    from . import _common as C

    return C.stages(model)


def _n_inputs(model: Any) -> int:
    return int(_stages(model)[0].kernel.shape[0])


def layer_spec(model: Any, text: str) -> str | int:
    """``--layer``'s text as the layer's name, or as an index in ``model.layers`` when it is a whole number no
    layer is named.

    >>> import fnlearn as fl
    >>> m = fl.Sequential([fl.layers.Dense(2, input_dim=3, name="hidden")])
    >>> layer_spec(m, "hidden"), layer_spec(m, "0"), layer_spec(m, "-1")
    ('hidden', 0, -1)
    """
    from ._common import all_layers

    if any(getattr(layer, "name", None) == text for layer in all_layers(model)):
        return text
    try:
        return int(text)
    except ValueError:
        return text


def load_image(path: str | Path, sample: int) -> np.ndarray:
    """Image number ``sample`` of the array ``x`` (or ``X``, ``x_train``, ``x_test``) in an .npz file, as stored
    (``feature_maps`` takes a flat row of 784 values for a 28×28×1 model, as it takes the picture)."""
    path = Path(path)
    if not path.is_file() or path.suffix.lower() != ".npz":
        raise DatasetError(f"--data {str(path)!r} is not an .npz file; save the images with np.savez(path, x=x).")
    with np.load(path, allow_pickle=False) as f:
        key = next((k for k in ("x", "X", "x_train", "x_test") if k in f), None)
        if key is None:
            raise DatasetError(f"{str(path)!r} holds arrays {list(f.keys())}; name the images 'x' "
                               "(np.savez(path, x=x)).")
        x = np.asarray(f[key], dtype=np.float64)
    if not 0 <= sample < len(x):
        raise ConfigError(f"--sample {sample} is not an image of {str(path)!r}, which holds {len(x)}; give 0 to "
                          f"{len(x) - 1}.")
    return x[sample]


def load_data(path: str | Path, n_inputs: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Read (x, y) from a .csv (inputs first, then targets; y is None without target columns) or .npz."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"data file {str(path)!r} does not exist; pass a .csv or .npz file.")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as f:
            keys = list(f.keys())
            for xk, yk in (("x", "y"), ("X", "y"), ("x_train", "y_train"), ("X", "Y")):
                if xk in f and yk in f:
                    x, y = f[xk], f[yk]
                    break
            else:
                raise DatasetError(f"{str(path)!r} holds arrays {keys}; name them 'x' and 'y' "
                                   "(np.savez(path, x=x, y=y)).")
        x = np.asarray(x, dtype=np.float64)
        x = x.reshape(len(x), -1)
        if x.shape[1] != n_inputs:
            raise ShapeError(f"x in {str(path)!r} has {x.shape[1]} features but the model takes {n_inputs}.")
        return x, np.asarray(y)
    if suffix != ".csv":
        raise DatasetError(f"data file {str(path)!r} is neither .csv nor .npz; save the data in one of them.")
    table = _read_csv(path)
    if table.shape[1] < n_inputs:
        raise ShapeError(f"{str(path)!r} has {table.shape[1]} columns but the model takes {n_inputs} inputs; "
                         "put the inputs first, then the targets.")
    x, rest = table[:, :n_inputs], table[:, n_inputs:]
    return x, (rest if rest.shape[1] else None)


def _read_csv(path: Path) -> np.ndarray:
    import csv

    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [r for r in csv.reader(f) if r and any(cell.strip() for cell in r)]
    if rows and not _numeric(rows[0]):
        rows = rows[1:]  # a header row
    if not rows:
        raise DatasetError(f"{str(path)!r} has no data rows.")
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise DatasetError(f"{str(path)!r} has rows of different lengths {sorted(widths)}; every row needs "
                           "the same columns.")
    for k, r in enumerate(rows):
        if not _numeric(r):
            raise DatasetError(f"row {k + 1} of {str(path)!r} has a value that is not a number: {r}.")
    return np.array([[float(c) for c in r] for r in rows], dtype=np.float64)


def _numeric(row: list[str]) -> bool:
    try:
        [float(c) for c in row]
    except ValueError:
        return False
    return True
