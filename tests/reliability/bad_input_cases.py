"""The bad-input battery: every public entry point fed one wrong thing at a time.

Each :class:`Case` names the entry point, the bad input, the exception class fnlearn documents for it
and words its message must contain (the argument, what was given, what was expected). The test
(``test_bad_inputs.py``) also checks that nothing changed: the models' weights, their optimizers'
iteration counts and slots, and every file in the working folder. ``make_errors_doc.py`` runs the
same table to write ``docs/errors.md``, so the documented messages are the real ones.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import fnlearn as fl
from fnlearn import errors
from fnlearn.errors import ConfigError, DataError, DatasetError, ModelFileError, NotReadyError, SaveError, ShapeError


class Ctx:
    """Small trained models (with optimizer state) and a folder holding one good model file."""

    def __init__(self, folder: Path) -> None:
        fl.set_seed(0)
        self.folder = folder
        rng = np.random.default_rng(0)
        self.x = rng.normal(size=(12, 4))
        self.y_reg = rng.normal(size=(12, 1))
        self.labels = np.arange(12) % 3
        self.onehot = fl.data.to_categorical(self.labels, 3)
        self.reg = self._trained("sgd", "mse", 1, self.y_reg)
        self.sparse = self._trained("adam", "sparse_categorical_crossentropy", 3, self.labels, "softmax")
        self.cat = self._trained("rmsprop", "categorical_crossentropy", 3, self.onehot, "softmax")
        self.bce = self._trained("adam", "binary_crossentropy", 1, (self.labels == 0).astype(float), "sigmoid")
        self.uncompiled = fl.Sequential([fl.layers.Dense(2, input_dim=4, name="only")])
        self.unbuilt = fl.Sequential([fl.layers.Dense(2, name="unbuilt")])
        self.unbuilt.compile("sgd", "mse")
        self.good_file = folder / "good.fnl"
        self.reg.save(self.good_file)
        good = self.good_file.read_bytes()
        # the bad files exist before the snapshot, so "no file changed" covers them too
        for name, content in {"empty.fnl": b"", "half.fnl": good[: len(good) // 2],
                              "p.fnl": b"\x80\x04\x95" + b"\x00" * 40, "z.fnl": b"PK\x03\x04" + b"\x00" * 40,
                              "tb.fnl": _terabyte_header(), "flip.fnl": _flip_last(good),
                              "bad.idx": b"hello world, not idx", "a.csv": b"day,views\n2021-01-01,4\n",
                              "b.csv": b'day,views\n2021-01-01,"1,234"\n', "c.csv": b"day,views\n01/02/2021,4\n",
                              "evil_archive": _climbing_tar(), "k.keras": _keras_zip_without_config(),
                              "w.h5": _keras2_weights_of_another_model()}.items():
            (folder / name).write_bytes(content)

    def _trained(self, optimizer: str, loss: str, units: int, y: Any, act: str | None = None) -> Any:
        # named layers keep the documented messages free of automatic counters
        model = fl.Sequential([fl.layers.Dense(3, activation="relu", input_dim=4, name="hidden"),
                               fl.layers.Dense(units, activation=act, name="output")])
        model.compile(optimizer, loss, metrics=["accuracy"] if act else None)
        model.fit(self.x, y, batch_size=6, epochs=1, verbose=0)
        return model

    def models(self) -> list[Any]:
        return [self.reg, self.sparse, self.cat, self.bce, self.uncompiled, self.unbuilt]

    def file(self, name: str) -> Path:
        return self.folder / name

    def snapshot(self) -> tuple[Any, ...]:
        """Everything a failed call must leave alone: weights, optimizer steps and slots, the folder's files."""
        state = []
        for m in self.models():
            weights = [w.copy() for w in m.get_weights()] if m.built else None
            opt = m.optimizer
            opt_state = None
            if opt is not None:
                opt_state = (opt.iterations, repr(opt.get_config()),
                             [(k, np.array(v, copy=True)) for k, v in _flat(opt.state_dict())])
            state.append((m.built, m.compiled, weights, opt_state))
        files = sorted((p.name, p.read_bytes(), p.stat().st_mtime_ns) for p in self.folder.iterdir())
        return tuple(state), tuple(files)


def _flat(obj: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(obj, dict):
        return [item for k in sorted(obj, key=str) for item in _flat(obj[k], f"{prefix}/{k}")]
    if isinstance(obj, (list, tuple)):
        return [item for i, v in enumerate(obj) for item in _flat(v, f"{prefix}/{i}")]
    return [(prefix, obj)]


def same_state(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    def eq(u: Any, v: Any) -> bool:
        if isinstance(u, np.ndarray) or isinstance(v, np.ndarray):
            return np.array_equal(np.asarray(u), np.asarray(v), equal_nan=True) and \
                np.asarray(u).dtype == np.asarray(v).dtype
        if isinstance(u, (list, tuple)) and isinstance(v, (list, tuple)):
            return len(u) == len(v) and all(eq(p, q) for p, q in zip(u, v))
        return u == v

    return eq(a, b)


def _keras_zip_without_config() -> bytes:
    """The bytes of a zip named like a Keras 3 model file whose config.json is missing."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("metadata.json", "{}")
    return buffer.getvalue()


def _keras2_weights_of_another_model() -> bytes:
    """The bytes of a Keras 2 weights file (``save_weights("w.h5")``) of a model whose one layer is "other"."""
    import io

    import h5py

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        h5.attrs["layer_names"] = [b"other"]
        h5.attrs["keras_version"] = b"2.15.0"
        layer = h5.create_group("other")
        layer.attrs["weight_names"] = [b"other/kernel:0"]
        layer.create_dataset("other/kernel:0", data=np.zeros((4, 3), "float32"))
    return buffer.getvalue()


def _keras_json(layer: dict[str, Any], sample_shape: tuple[int, ...]) -> str:
    """Real Keras 3's JSON of a Sequential model of one ``layer`` after its Input, as ``model.to_json()`` writes it."""
    import json

    layers = [{"module": "keras.layers", "class_name": "InputLayer",
               "config": {"batch_shape": [None, *sample_shape], "name": "inputs"}}, {"module": "keras.layers", **layer}]
    return json.dumps({"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": layers}})


@dataclass(frozen=True)
class Case:
    id: str
    entry: str  # the public entry point, as the docs table groups them
    given: str  # the bad input, in words
    call: Callable[[Ctx], Any]
    exc: type[BaseException]
    words: tuple[str, ...]  # case-insensitive fragments the message must contain


def _nan_at(x: np.ndarray, row: int, col: int, value: float = np.nan) -> np.ndarray:
    x = x.copy()
    x[row, col] = value
    return x


class _NoResult(fl.metrics.Metric):
    """A stateful metric of the user's own that forgot result()."""

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        pass


class _NoneResult(_NoResult):
    """A stateful metric whose result() gives nothing."""

    def result(self) -> Any:
        return None


def _fit_with_metric(ctx: Ctx, metric: Any) -> Any:
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(1, activation="sigmoid", input_dim=4)])
    model.compile("adam", "binary_crossentropy", metrics=[metric])
    return model.fit(ctx.x, (ctx.labels == 0).astype(float), verbose=0)


def _fit_with_regularizer_of_squares(ctx: Ctx) -> Any:
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(1, input_dim=4, kernel_regularizer=lambda w: 0.01 * w * w,
                                           name="dense")])
    model.compile("sgd", "mse")
    return model.fit(ctx.x, ctx.y_reg, verbose=0)


def _early_stopping_on_each_class(ctx: Ctx) -> Any:
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(3, activation="softmax", input_dim=4)])
    model.compile("adam", "categorical_crossentropy", metrics=[fl.metrics.F1Score()])
    return model.fit(ctx.x, ctx.onehot, verbose=0, callbacks=[fl.callbacks.EarlyStopping(monitor="f1_score")])


def _keras() -> Any:
    from fnlearn import keras

    return keras


def _two_input_model() -> Any:
    keras = _keras()
    a, b = keras.Input(shape=(2,), name="a"), keras.Input(shape=(3,), name="b")
    model = keras.Model([a, b], keras.layers.Dense(1)(keras.layers.concatenate([a, b])), name="two_inputs")
    model.compile("sgd", "mse")
    return model


def _train_step_model() -> Any:
    keras = _keras()

    class Custom(keras.Model):
        def __init__(self) -> None:
            super().__init__(name="custom")
            self.out = keras.layers.Dense(1)

        def call(self, inputs: Any) -> Any:
            return self.out(inputs)

        def train_step(self, data: Any) -> Any:
            return [0.0]  # not the dict of logs a step returns

    model = Custom()
    model.compile("sgd", "mse")
    return model


def _cnn_model() -> Any:
    keras = _keras()
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Conv2D(4, 3, name="conv"),
                              keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def _lambda_model() -> Any:
    keras = _keras()
    return keras.Sequential([keras.Input(shape=(4,)), keras.layers.Lambda(lambda x: x * 2, name="double"),
                             keras.layers.Dense(1, name="out")], name="with_lambda")


def _two_output_model() -> Any:
    keras = _keras()
    x = keras.Input(shape=(2,))
    # named outputs keep the documented messages free of automatic counters
    return keras.Model(x, [keras.layers.Dense(1, name="price")(x), keras.layers.Dense(2, name="kind")(x)],
                       name="two_outputs")


def _fit_two_outputs(sample_weight: Any) -> Any:
    model = _two_output_model()
    model.compile("sgd", "mse")
    return model.fit(np.ones((4, 2)), {"price": np.zeros(4), "kind": np.zeros((4, 2))}, sample_weight=sample_weight,
                     verbose=0)


def _cli(argv: list[str]) -> Callable[[Ctx], Any]:
    """A command line: :func:`run_case` runs ``fnlearn.cli.main(argv)`` and reads its exit code and stderr."""

    def call(ctx: Ctx) -> Any:
        return ("cli", argv)

    return call


MODEL = "fit / evaluate / predict"
CASES: list[Case] = [
    # ---------------------------------------------------------------- tensors and ops
    Case("tensor-string", "fl.tensor", "a string", lambda c: fl.tensor("abc"), DataError,
         ("data", "<U3", "text", "numbers")),
    Case("tensor-object", "fl.tensor", "a list of mixed objects", lambda c: fl.tensor([1, None, "a"]), DataError,
         ("object",)),
    Case("tensor-complex", "fl.tensor", "complex numbers", lambda c: fl.tensor([1 + 2j]), DataError,
         ("complex",)),
    Case("tensor-ragged", "fl.tensor", "a ragged nested list", lambda c: fl.tensor([[1, 2], [3]]), DataError,
         ("data", "rows", "different lengths")),
    Case("matmul-shapes", "ops", "(2, 3) @ (2, 3)",
         lambda c: fl.matmul(fl.tensor(np.ones((2, 3))), fl.tensor(np.ones((2, 3)))), ShapeError,
         ("(2, 3)",)),
    Case("add-broadcast", "ops", "(2, 3) + (4,)", lambda c: fl.tensor(np.ones((2, 3))) + fl.tensor(np.ones(4)),
         ShapeError, ("(2, 3)", "(4,)")),
    Case("reshape-size", "ops", "reshape 6 values to (4,)", lambda c: fl.reshape(fl.tensor(np.ones(6)), (4,)),
         ShapeError, ("6", "(4,)")),
    Case("backward-nonscalar", "ops", "backward() on a vector",
         lambda c: (fl.tensor(np.ones(3), requires_grad=True) * 2).backward(), ShapeError, ("backward",)),
    # ---------------------------------------------------------------- layers
    Case("dense-units-zero", "layers", "Dense(0)", lambda c: fl.layers.Dense(0), ConfigError, ("units", "0")),
    Case("dense-units-float", "layers", "Dense(2.5)", lambda c: fl.layers.Dense(2.5), ConfigError,
         ("units", "2.5")),
    Case("dense-activation-typo", "layers", "activation='rleu'", lambda c: fl.layers.Dense(3, activation="rleu"),
         ConfigError, ("activation", "'rleu'", "did you mean 'relu'")),
    Case("dense-initializer-typo", "layers", "kernel_initializer='glorot_unifrom'",
         lambda c: fl.layers.Dense(3, kernel_initializer="glorot_unifrom"), ConfigError,
         ("initializer", "glorot_unifrom", "did you mean 'glorot_uniform'")),
    Case("dense-unknown-kwarg", "layers", "Dense(3, unitz=4)", lambda c: fl.layers.Dense(3, unitz=4), ConfigError,
         ("unitz",)),
    Case("activation-layer-typo", "layers", "Activation('sigmod')", lambda c: fl.layers.Activation("sigmod"),
         ConfigError, ("activation", "'sigmod'", "did you mean 'sigmoid'")),
    Case("default-dtype", "layers", "set_default_dtype('float16')", lambda c: fl.set_default_dtype("float16"),
         ConfigError, ("dtype", "'float16'", "float32", "float64")),
    Case("fuzz-factor", "layers", "keras.config.set_epsilon(0)", lambda c: fl.keras.config.set_epsilon(0),
         ConfigError, ("set_epsilon got 0", "between 0 and 0.5", "1e-7")),
    Case("keras-backend", "layers", "keras.config.set_backend('jax')", lambda c: fl.keras.config.set_backend("jax"),
         ConfigError, ("set_backend got 'jax'", "'numpy'", "fl.set_backend('cupy')")),
    Case("dropout-rate", "layers", "Dropout(1.5)", lambda c: fl.layers.Dropout(1.5), ConfigError, ("rate", "1.5")),
    Case("dropout-seed", "layers", "Dropout(0.5, seed=-1)", lambda c: fl.layers.Dropout(0.5, seed=-1), ConfigError,
         ("seed", "-1", "non-negative")),
    Case("layer-dict-of-placeholders", "layers", "a layer of one's own called on a dict of keras.Input placeholders",
         lambda c: fl.keras.layers.Layer()({"a": fl.keras.Input((2,))}), ConfigError,
         ("dict of keras.Input placeholders", "call it on a list")),
    Case("gqa-heads", "layers", "GroupQueryAttention with 4 query heads over 3 key/value heads",
         lambda c: fl.layers.GroupQueryAttention(8, 4, 3), ConfigError, ("multiple of num_key_value_heads",)),
    Case("spectral-normalization-no-kernel", "layers", "SpectralNormalization around a Dropout",
         lambda c: fl.layers.SpectralNormalization(fl.layers.Dropout(0.5)), ConfigError,
         ("kernel", "Dropout", "wrap a Dense")),
    Case("dense-input-shape", "layers", "input_shape=(0,)",
         lambda c: fl.layers.Dense(3, input_shape=(0,)), ConfigError, ("input_shape",)),
    Case("dense-call-features", "layers", "a Dense built for 4 features called on 5",
         lambda c: c.reg.layers[0](fl.tensor(np.ones((2, 5)))), ShapeError, ("4", "5")),
    Case("merge-shapes", "layers", "layers.Add()([(None, 3) placeholder, (None, 4) placeholder])",
         lambda c: _keras().layers.Add(name="sum")([_keras().Input(shape=(3,)), _keras().Input(shape=(4,))]),
         ShapeError, ("'sum'", "(None, 3) and (None, 4)", "one shape")),
    Case("merge-one-input", "layers", "layers.Concatenate()(one placeholder)",
         lambda c: _keras().layers.Concatenate(name="join")(_keras().Input(shape=(3,))), ConfigError,
         ("'join'", "one input alone", "a list of at least 1")),
    Case("functional-placeholder-arithmetic", "layers", "keras.Input(shape=(4,), name='features') ** 2",
         lambda c: _keras().Input(shape=(4,), name="features") ** 2, ConfigError,
         ("placeholder", "(None, 4)", "no values", "scale and shift by numbers")),
    Case("add-weight-constraint", "layers", "add_weight(..., constraint=3)",
         lambda c: fl.layers.Layer(name="mine").add_weight(shape=(2,), constraint=3), ConfigError,
         ("constraint must be a name", "got int 3", "None for no constraint")),
    Case("dense-regularizer", "layers", "Dense(2, kernel_regularizer=3)",
         lambda c: fl.layers.Dense(2, kernel_regularizer=3), ConfigError,
         ("regularizer must be a name", "a function of the weight", "got int 3", "None for no penalty")),
    Case("batchnorm-momentum", "layers", "BatchNormalization(momentum=1.5)",
         lambda c: fl.layers.BatchNormalization(momentum=1.5), ConfigError, ("momentum", "[0, 1]", "1.5")),
    Case("batchnorm-epsilon", "layers", "BatchNormalization(epsilon=0)",
         lambda c: fl.layers.BatchNormalization(epsilon=0), ConfigError, ("epsilon", "> 0", "got 0")),
    Case("batchnorm-axis", "layers", "BatchNormalization(axis=1) on samples of shape (4, 3)",
         lambda c: fl.layers.BatchNormalization(axis=1, name="bn")(np.ones((2, 4, 3))), ConfigError,
         ("'bn'", "axis=1", "last axis")),
    Case("batchnorm-renorm", "layers", "BatchNormalization(renorm=True)",
         lambda c: fl.layers.BatchNormalization(renorm=True), ConfigError, ("renorm=True", "leave it out")),
    Case("batchnorm-call-features", "layers", "a BatchNormalization built for 3 features called on 5",
         lambda c: fl.layers.BatchNormalization(input_shape=(3,), name="bn")(np.ones((2, 5))), ShapeError,
         ("'bn'", "3 features", "(2, 5)")),
    Case("conv-flat-rows", "layers", "Conv2D called on rows of 784 pixels",
         lambda c: fl.layers.Conv2D(8, 3, name="conv")(np.ones((2, 784))), ShapeError,
         ("'conv'", "(batch, height, width, channels)", "(784,)", "x.reshape(-1, height, width, channels)")),
    Case("rescaling-scale", "layers", "Rescaling given its scale as text",
         lambda c: fl.layers.Rescaling("1/255"), ConfigError, ("Rescaling scale", "'1/255'", "1 / 255")),
    Case("conv-no-channels", "layers", "Conv2D called on grayscale images of shape (2, 28, 28)",
         lambda c: fl.layers.Conv2D(8, 3, name="conv")(np.ones((2, 28, 28))), ShapeError,
         ("'conv'", "(28, 28)", "x[..., None]")),
    Case("conv-kernel-too-big", "layers", "a 5×5 Conv2D kernel on 3×3 images",
         lambda c: fl.layers.Conv2D(8, 5, name="conv")(np.ones((2, 3, 3, 1))), ShapeError,
         ("'conv'", "5×5 kernel", "3×3", "padding='same'")),
    Case("conv-channels", "layers", "a Conv2D built for 3 channels called on 1",
         lambda c: fl.layers.Conv2D(8, 3, input_shape=(6, 6, 3), name="conv")(np.ones((2, 6, 6, 1))), ShapeError,
         ("'conv'", "3 channels", "(2, 6, 6, 1)")),
    Case("conv-channels-first", "layers", "Conv2D(..., data_format='channels_first')",
         lambda c: fl.layers.Conv2D(8, 3, data_format="channels_first"), ConfigError,
         ("data_format='channels_first'", "channels_last", "np.moveaxis")),
    Case("conv-dilation", "layers", "Conv2D(..., strides=2, dilation_rate=2)",
         lambda c: fl.layers.Conv2D(8, 3, strides=2, dilation_rate=2), ConfigError,
         ("strides=2", "dilation_rate=2", "strides of 1", "pooling layer")),
    Case("conv-dilation-zero", "layers", "Conv1D(..., dilation_rate=0)",
         lambda c: fl.layers.Conv1D(8, 3, dilation_rate=0), ConfigError, ("dilation_rate", "at least 1", "got 0")),
    Case("conv-causal", "layers", "Conv2D(..., padding='causal')", lambda c: fl.layers.Conv2D(8, 3, padding="causal"),
         ConfigError, ("padding='causal'", "only Conv1D", "'valid' or 'same'")),
    Case("conv-groups", "layers", "Conv2D(8, ..., groups=3)", lambda c: fl.layers.Conv2D(8, 3, groups=3), ConfigError,
         ("groups=3", "8 filters", "divides filters")),
    Case("conv-padding", "layers", "Conv2D(..., padding='full')", lambda c: fl.layers.Conv2D(8, 3, padding="full"),
         ConfigError, ("padding", "'full'", "'valid'", "'same'")),
    Case("pool-too-big", "layers", "MaxPooling2D(3) on 2×2 images",
         lambda c: fl.layers.MaxPooling2D(3, name="pool")(np.ones((1, 2, 2, 1))), ShapeError,
         ("'pool'", "3×3 pool", "2×2")),
    Case("reshape-layer-size", "layers", "Reshape((5, 5)) of samples of 24 values",
         lambda c: fl.layers.Reshape((5, 5), name="reshape")(np.ones((2, 24))), ShapeError,
         ("'reshape'", "(24,)", "(5, 5)", "-1")),
    # ---------------------------------------------------------------- compile
    Case("upsampling-interpolation", "layers", "UpSampling2D(interpolation='bicubic')",
         lambda c: fl.layers.UpSampling2D(interpolation="bicubic"), ConfigError, ("bicubic", "nearest")),
    Case("cropping-too-much", "layers", "Cropping2D(2) of 4×6 images",
         lambda c: fl.layers.Cropping2D(2, name="crop")(np.ones((1, 4, 6, 1))), ShapeError, ("4 rows", "crop less")),
    Case("random-rotation-factor", "layers", "RandomRotation(1.5)", lambda c: fl.layers.RandomRotation(1.5),
         ConfigError, ("[-1, 1]",)),
    Case("random-flip-mode", "layers", "RandomFlip('diagonal')", lambda c: fl.layers.RandomFlip("diagonal"),
         ConfigError, ("diagonal", "horizontal")),
    Case("random-flip-grayscale", "layers", "RandomFlip on grayscale images of shape (2, 28, 28)",
         lambda c: fl.layers.RandomFlip(name="flip")(np.ones((2, 28, 28))), ShapeError, ("x[..., None]",)),
    Case("layer-norm-batch-axis", "layers", "LayerNormalization(axis=0)",
         lambda c: fl.layers.LayerNormalization(axis=0), ConfigError, ("axis=0", "batch axis", "axis=-1")),
    Case("layer-norm-axis-rank", "layers", "LayerNormalization(axis=2) on rows of 4 features",
         lambda c: fl.layers.LayerNormalization(axis=2, name="norm")(np.ones((3, 4))), ConfigError,
         ("'norm'", "axis=2", "2 axes", "fix axis")),
    Case("layer-norm-epsilon", "layers", "LayerNormalization(epsilon=0)",
         lambda c: fl.layers.LayerNormalization(epsilon=0), ConfigError, ("epsilon", "> 0", "got 0")),
    Case("spatial-dropout-rate", "layers", "SpatialDropout2D(1.2)", lambda c: fl.layers.SpatialDropout2D(1.2),
         ConfigError, ("rate", "[0, 1)", "1.2")),
    Case("spatial-dropout-rows", "layers", "SpatialDropout2D on rows of 8 features",
         lambda c: fl.layers.SpatialDropout2D(0.3, name="drop")(np.ones((2, 8)), training=True), ShapeError,
         ("'drop'", "(batch, height, width, channels)", "(8,)", "Dropout")),
    Case("conv-transpose-kernel-size", "layers", "Conv2DTranspose(8, kernel_size=0)",
         lambda c: fl.layers.Conv2DTranspose(8, 0), ConfigError, ("kernel_size", "positive integer", "0")),
    Case("conv-transpose-output-padding", "layers", "Conv2DTranspose(8, 3, strides=2, output_padding=2)",
         lambda c: fl.layers.Conv2DTranspose(8, 3, strides=2, output_padding=2), ConfigError,
         ("output_padding=2", "smaller than the strides (2, 2)")),
    Case("conv-transpose-channels-first", "layers", "Conv2DTranspose(..., data_format='channels_first')",
         lambda c: fl.layers.Conv2DTranspose(8, 3, data_format="channels_first"), ConfigError,
         ("Conv2DTranspose", "data_format='channels_first'", "channels_last")),
    Case("conv-transpose-flat-rows", "layers", "Conv2DTranspose called on rows of 49 values",
         lambda c: fl.layers.Conv2DTranspose(8, 3, name="up")(np.ones((2, 49))), ShapeError,
         ("'up'", "(batch, height, width, channels)", "(49,)")),
    Case("lambda-not-a-function", "layers", "Lambda('square')", lambda c: fl.layers.Lambda("square"), ConfigError,
         ("Lambda", "function", "'square'")),
    Case("lambda-numpy-result", "layers", "Lambda(lambda x: np.exp(x)) called on a batch",
         lambda c: fl.layers.Lambda(lambda x: np.exp(x), name="exp")(np.ones((2, 3))), ConfigError,
         ("'exp'", "ndarray", "not a tensor", "fl.exp")),
    Case("conv-unknown-image-size", "layers", "Conv2D called on keras.Input(shape=(None, None, 3))",
         lambda c: fl.layers.Conv2D(8, 3, name="c")(fl.keras.Input(shape=(None, None, 3))), ShapeError,
         ("'c'", "(None, None, 3)", "height or width is unknown", "Resizing")),
    Case("dense-unknown-features", "layers", "Dense called on keras.Input(shape=(None,)) of token indices",
         lambda c: fl.layers.Dense(8, name="d")(fl.keras.Input(shape=(None,))), ShapeError,
         ("'d'", "(None,)", "last size is unknown", "Embedding first")),
    Case("flatten-unknown-steps", "layers", "Flatten called on sequences of an unknown number of steps",
         lambda c: fl.layers.Flatten(name="f")(fl.layers.Embedding(10, 4)(fl.keras.Input(shape=(None,)))),
         ShapeError, ("'f'", "(None, 4)", "unknown size", "GlobalMaxPooling1D")),
    Case("sequential-duplicate-name", "layers", "a second layer named 'hidden' added to a model that has one",
         lambda c: fl.Sequential([fl.layers.Dense(2, input_dim=4, name="hidden")], name="net").add(
             fl.layers.Dense(1, name="hidden")), ConfigError,
         ("two layers named 'hidden'", "another name")),
    Case("embedding-index-beyond-table", "layers", "word index 10000 into Embedding(10000, 16)",
         lambda c: fl.layers.Embedding(10000, 16, name="words")(np.array([[3, 10000]])), DataError,
         ("from 0 to 9999", "got index 10000", "the largest index + 1")),
    Case("text-vectorization-numbers", "layers", "word indices (numbers) into TextVectorization",
         lambda c: fl.layers.TextVectorization(vocabulary=["good", "bad"], name="words")(np.array([[3, 1]])),
         DataError, ("'words'", "takes texts (strings)", "got int 3", "leave this layer out")),
    Case("text-vectorization-not-adapted", "layers", "TextVectorization called before adapt",
         lambda c: fl.layers.TextVectorization(name="words")(["a good film"]), NotReadyError,
         ("'words'", "no vocabulary yet", "words.adapt(train_texts)", "vocabulary=")),
    Case("text-vectorization-ragged", "layers", "TextVectorization(ragged=True)",
         lambda c: fl.layers.TextVectorization(ragged=True), ConfigError,
         ("ragged=True", "does not have", "padded with 0", "output_sequence_length")),
    Case("lstm-not-a-sequence", "layers", "LSTM(8) called on samples of shape (4,)",
         lambda c: fl.layers.LSTM(8, name="reader")(np.ones((2, 4))), ShapeError,
         ("'reader'", "takes sequences", "got samples of shape (4,)", "Embedding before it", "(steps, 1)")),
    Case("lstm-initial-state-count", "layers", "initial_state=[h] for an LSTM, which carries h and c",
         lambda c: fl.layers.LSTM(2, name="reader")(np.ones((3, 5, 4)), initial_state=[np.zeros((3, 2))]), DataError,
         ("'reader'", "initial_state with 1 states", "[h, c] (two states)", "(batch, 2)")),
    Case("conv-lstm-not-frames", "layers", "ConvLSTM2D(4, 3) called on sequences of vectors, samples of shape (5, 8)",
         lambda c: fl.layers.ConvLSTM2D(4, 3, name="film")(np.ones((2, 5, 8))), ShapeError,
         ("'film'", "sequences of frames", "(steps, height, width, channels)", "samples of shape (5, 8)", "5-D")),
    Case("gru-stateful", "layers", "GRU(4, stateful=True)", lambda c: fl.layers.GRU(4, stateful=True), ConfigError,
         ("stateful=True", "does not have", "initial_state=")),
    Case("bidirectional-dense", "layers", "Bidirectional(Dense(3))",
         lambda c: fl.layers.Bidirectional(fl.layers.Dense(3)), ConfigError,
         ("recurrent layer", "got Dense", "Bidirectional(LSTM(32))")),
    Case("sequential-input-then-model", "layers", "an Input of shape (4,) before a model that takes (5,)",
         lambda c: fl.keras.Sequential([fl.keras.Input(shape=(4,)), fl.keras.Sequential(
             [fl.layers.Dense(2, input_shape=(5,))], name="inner")]), ConfigError,
         ("model 'inner' takes samples of shape (5,)", "declares (4,)", "keep only one")),
    Case("functional-several-outputs-compile", "compile", "compile a model of two outputs with a list of one loss",
         lambda c: _two_output_model().compile("sgd", ["mse"]), ConfigError,
         ("list of 1", "2 outputs", "'price', 'kind'", "one entry per output")),
    Case("functional-several-outputs-no-loss", "compile", "loss=[None, None]: no output of two has a loss",
         lambda c: _two_output_model().compile("sgd", [None, None]), ConfigError,
         ("no output", "'price', 'kind'", "(each is None)", "at least one output a loss")),
    Case("compile-loss-typo", "compile", "loss='mse2'", lambda c: c.reg.compile("sgd", "mse2"), ConfigError,
         ("loss", "'mse2'", "did you mean 'mse'")),
    Case("compile-optimizer-typo", "compile", "optimizer='adma'", lambda c: c.reg.compile("adma", "mse"),
         ConfigError, ("optimizer", "'adma'", "did you mean 'adam'")),
    Case("compile-metric-typo", "compile", "metrics=['acuracy']",
         lambda c: c.reg.compile("sgd", "mse", metrics=["acuracy"]), ConfigError,
         ("metric", "'acuracy'", "did you mean 'accuracy'")),
    Case("compile-no-loss", "compile", "no loss", lambda c: c.reg.compile("sgd"), ConfigError, ("loss",)),
    Case("compile-loss-type", "compile", "loss=3", lambda c: c.reg.compile("sgd", 3), ConfigError,
         ("loss", "int")),
    Case("compile-metric-names-clash", "compile", "metrics=['mae', 'mae', a metric named 'mae_1']",
         lambda c: c.reg.compile("sgd", "mse", metrics=["mae", "mae", fl.metrics.Metric(fl.metrics.mse, "mae_1")]),
         ConfigError, ("'mae_1'", "both")),
    Case("fit-train-step", MODEL, "fit: a keras.Model subclass whose train_step returns a list, not a dict of logs",
         lambda c: _train_step_model().fit(np.ones((4, 2)), np.ones(4)), ConfigError,
         ("train_step returned list", "return {m.name: m.result()")),
    Case("compile-unknown-kwarg", "compile", "compile(..., lose='mse')",
         lambda c: c.reg.compile("sgd", "mse", lose="mse"), ConfigError, ("lose",)),
    Case("compile-metric-class", "compile", "metrics=[fl.metrics.AUC] (the class, not an object)",
         lambda c: c.reg.compile("sgd", "mse", metrics=[fl.metrics.AUC]), ConfigError, ("class AUC", "AUC()")),
    Case("metric-subclass-no-result", "compile", "a Metric subclass without result()",
         lambda c: c.reg.compile("sgd", "mse", metrics=[_NoResult()]), ConfigError,
         ("_NoResult", "result()", "define")),
    Case("metric-auc-curve", "compile", "AUC(curve='roc-ish')", lambda c: fl.metrics.AUC(curve="roc-ish"),
         ConfigError, ("curve", "'ROC'", "'roc-ish'")),
    Case("metric-thresholds", "compile", "Precision(thresholds=[0.5, 1.5])",
         lambda c: fl.metrics.Precision(thresholds=[0.5, 1.5]), ConfigError, ("thresholds", "[0, 1]", "1.5")),
    Case("metric-fscore-average", "compile", "F1Score(average='bogus')", lambda c: fl.metrics.F1Score(average="bogus"),
         ConfigError, ("average", "'micro'", "'bogus'")),
    Case("metric-fbeta-beta", "compile", "FBetaScore(beta=0)", lambda c: fl.metrics.FBetaScore(beta=0), ConfigError,
         ("beta", "> 0", "got 0")),
    Case("metric-at-recall", "compile", "PrecisionAtRecall(recall=1.5)",
         lambda c: fl.metrics.PrecisionAtRecall(recall=1.5), ConfigError, ("recall", "[0, 1]", "1.5")),
    Case("compile-metric-needs-target", "compile", "metrics=['precision_at_recall'] (a name without its target)",
         lambda c: c.bce.compile("adam", "binary_crossentropy", metrics=["precision_at_recall"]), ConfigError,
         ("'precision_at_recall'", "recall", "PrecisionAtRecall(recall=")),
    Case("sgd-lr-zero", "optimizers", "SGD(learning_rate=0)", lambda c: fl.optim.SGD(learning_rate=0),
         ConfigError, ("learning_rate", "0", "> 0")),
    Case("sgd-lr-negative", "optimizers", "SGD(learning_rate=-0.1)", lambda c: fl.optim.SGD(learning_rate=-0.1),
         ConfigError, ("learning_rate", "-0.1", "> 0")),
    Case("adam-lr-nan", "optimizers", "Adam(learning_rate=nan)", lambda c: fl.optim.Adam(learning_rate=float("nan")),
         ConfigError, ("learning_rate", "nan")),
    Case("adam-lr-string", "optimizers", "Adam(learning_rate='0.01')",
         lambda c: fl.optim.Adam(learning_rate="0.01"), ConfigError, ("learning_rate", "'0.01'")),
    Case("lr-setter-negative", "optimizers", "optimizer.learning_rate = -1",
         lambda c: setattr(c.reg.optimizer, "learning_rate", -1), ConfigError, ("learning_rate", "-1")),
    Case("adam-beta", "optimizers", "Adam(beta_1=1.0)", lambda c: fl.optim.Adam(beta_1=1.0), ConfigError,
         ("beta_1", "1.0")),
    Case("sgd-momentum", "optimizers", "SGD(momentum=-0.5)", lambda c: fl.optim.SGD(momentum=-0.5), ConfigError,
         ("momentum", "-0.5")),
    # ---------------------------------------------------------------- fit: arguments
    Case("adam-ema-momentum", "optimizers", "Adam(use_ema=True, ema_momentum=1.5)",
         lambda c: fl.optim.Adam(use_ema=True, ema_momentum=1.5), ConfigError, ("ema_momentum", "1.5", "[0, 1]")),
    Case("sgd-ema-overwrite", "optimizers", "SGD(use_ema=True, ema_overwrite_frequency=0)",
         lambda c: fl.optim.SGD(use_ema=True, ema_overwrite_frequency=0), ConfigError,
         ("ema_overwrite_frequency", "0", "None")),
    Case("fit-cnn-flat-rows", MODEL, "fit: rows of 784 pixels for a CNN of Input(shape=(28, 28, 1))",
         lambda c: _cnn_model().fit(np.ones((4, 784)), np.zeros(4), verbose=0), ShapeError,
         ("(28, 28, 1)", "(784,)")),
    Case("functional-one-array-for-two-inputs", MODEL, "fit: one array for a model of two Inputs",
         lambda c: _two_input_model().fit(np.ones((4, 5)), np.ones(4)), ConfigError,
         ("2 inputs", "'a' (None, 2)", "one ndarray", "a list [a, b, ...]", "dict by Input name")),
    Case("functional-dict-missing-input", MODEL, "predict: {'a': ...} for a model of Inputs 'a' and 'b'",
         lambda c: _two_input_model().predict({"a": np.ones((4, 2))}), ConfigError,
         ("no entry for Input 'b'", "one entry per Input")),
    Case("functional-sample-weight-output-name", MODEL, "fit: sample_weight={'price': ..., 'kind': ..., 'prize': ...}",
         lambda c: _fit_two_outputs({"price": np.ones(4), "kind": np.ones(4), "prize": np.ones(4)}), ConfigError,
         ("sample_weight", "'prize'", "no output's name", "'price', 'kind'", "np.ones(4)")),
    Case("functional-sample-weight-list", MODEL, "fit: sample_weight a list of 3 arrays for 2 outputs",
         lambda c: _fit_two_outputs([np.ones(4)] * 3), ConfigError,
         ("sample_weight", "list of 3", "2 outputs", "one entry per output", "dict by output name")),
    Case("functional-sample-weight-rows", MODEL, "fit: sample_weight={'price': 4 weights, 'kind': 3 weights}",
         lambda c: _fit_two_outputs({"price": np.ones(4), "kind": np.ones(3)}), ShapeError,
         ("sample_weight['kind']", "(3,)", "4 samples", "one weight per row")),
    Case("fit-metric-result", MODEL, "a stateful metric whose result() returns None",
         lambda c: _fit_with_metric(c, _NoneResult(name="mine")), ConfigError, ("'mine'", "result()", "None",
                                                                                "number")),
    Case("fit-monitor-array", MODEL, "EarlyStopping(monitor='f1_score') on an F1Score with one value per class",
         _early_stopping_on_each_class, ConfigError, ("EarlyStopping", "'f1_score'", "3 numbers", "one number",
                                                      "average='macro'")),
    Case("fit-regularizer-array", MODEL, "kernel_regularizer=lambda w: 0.01 * w * w: one number per weight",
         _fit_with_regularizer_of_squares, ConfigError, ("regularizer <lambda>", "array of shape (4, 1)",
                                                        "one number", "ops.sum")),
    Case("fit-before-compile", MODEL, "fit on a model never compiled",
         lambda c: c.uncompiled.fit(c.x, c.y_reg, verbose=0), NotReadyError, ("fit", "compile")),
    Case("fit-batch-zero", MODEL, "batch_size=0", lambda c: c.reg.fit(c.x, c.y_reg, batch_size=0, verbose=0),
         ConfigError, ("batch_size", "0", "positive integer")),
    Case("fit-batch-negative", MODEL, "batch_size=-1",
         lambda c: c.reg.fit(c.x, c.y_reg, batch_size=-1, verbose=0), ConfigError, ("batch_size", "-1")),
    Case("fit-batch-float", MODEL, "batch_size=2.5",
         lambda c: c.reg.fit(c.x, c.y_reg, batch_size=2.5, verbose=0), ConfigError, ("batch_size", "2.5")),
    Case("fit-batch-string", MODEL, "batch_size='32'",
         lambda c: c.reg.fit(c.x, c.y_reg, batch_size="32", verbose=0), ConfigError, ("batch_size", "'32'")),
    Case("fit-batch-bool", MODEL, "batch_size=True",
         lambda c: c.reg.fit(c.x, c.y_reg, batch_size=True, verbose=0), ConfigError, ("batch_size", "True")),
    Case("fit-epochs-negative", MODEL, "epochs=-1", lambda c: c.reg.fit(c.x, c.y_reg, epochs=-1, verbose=0),
         ConfigError, ("epochs", "-1")),
    Case("fit-epochs-float", MODEL, "epochs=2.5", lambda c: c.reg.fit(c.x, c.y_reg, epochs=2.5, verbose=0),
         ConfigError, ("epochs", "2.5")),
    Case("fit-epochs-string", MODEL, "epochs='10'", lambda c: c.reg.fit(c.x, c.y_reg, epochs="10", verbose=0),
         ConfigError, ("epochs", "'10'")),
    Case("fit-epochs-bool", MODEL, "epochs=True", lambda c: c.reg.fit(c.x, c.y_reg, epochs=True, verbose=0),
         ConfigError, ("epochs", "True")),
    Case("fit-initial-epoch", MODEL, "initial_epoch=-1",
         lambda c: c.reg.fit(c.x, c.y_reg, initial_epoch=-1, verbose=0), ConfigError, ("initial_epoch", "-1")),
    Case("fit-split-one", MODEL, "validation_split=1.0",
         lambda c: c.reg.fit(c.x, c.y_reg, validation_split=1.0, verbose=0), ConfigError,
         ("validation_split", "1.0", "[0, 1)")),
    Case("fit-split-negative", MODEL, "validation_split=-0.1",
         lambda c: c.reg.fit(c.x, c.y_reg, validation_split=-0.1, verbose=0), ConfigError,
         ("validation_split", "-0.1")),
    Case("fit-split-empty-side", MODEL, "validation_split=0.95 of 12 rows",
         lambda c: c.reg.fit(c.x, c.y_reg, validation_split=0.95, verbose=0), ConfigError,
         ("validation_split", "no training rows")),
    Case("fit-validation-data", MODEL, "validation_data=x_val only",
         lambda c: c.reg.fit(c.x, c.y_reg, validation_data=c.x, verbose=0), ConfigError,
         ("validation_data", "pair")),
    Case("fit-verbose", MODEL, "verbose=5", lambda c: c.reg.fit(c.x, c.y_reg, verbose=5), ConfigError,
         ("verbose", "5")),
    Case("fit-shuffle", MODEL, "shuffle='yes'", lambda c: c.reg.fit(c.x, c.y_reg, shuffle="yes", verbose=0),
         ConfigError, ("shuffle", "'yes'")),
    Case("fit-no-y", MODEL, "fit(x) without targets", lambda c: c.reg.fit(c.x, verbose=0), ConfigError,
         ("targets",)),
    Case("fit-unknown-kwarg", MODEL, "fit(..., epoch=3)", lambda c: c.reg.fit(c.x, c.y_reg, epoch=3, verbose=0),
         ConfigError, ("epoch",)),
    Case("evaluate-unknown-kwarg", MODEL, "evaluate(..., steps=1)", lambda c: c.reg.evaluate(c.x, c.y_reg, steps=1),
         ConfigError, ("evaluate", "steps")),
    Case("predict-unknown-kwarg", MODEL, "predict(..., epochs=2)", lambda c: c.reg.predict(c.x, epochs=2),
         ConfigError, ("predict", "epochs")),
    # ---------------------------------------------------------------- fit: data
    Case("fit-features", MODEL, "5 features for input_dim=4",
         lambda c: c.reg.fit(np.ones((12, 5)), c.y_reg, verbose=0), ShapeError, ("(4,)", "(5,)", "input_shape")),
    Case("fit-rows", MODEL, "12 rows of x, 10 of y", lambda c: c.reg.fit(c.x, c.y_reg[:10], verbose=0), ShapeError,
         ("12", "10", "rows")),
    Case("fit-target-columns", MODEL, "y with 2 columns for 1 output unit",
         lambda c: c.reg.fit(c.x, np.ones((12, 2)), verbose=0), ShapeError, ("1", "2", "per sample")),
    Case("fit-x-strings", MODEL, "x of strings", lambda c: c.reg.fit(np.full((12, 4), "a"), c.y_reg, verbose=0),
         DataError, ("x", "text", "numbers")),
    Case("fit-frame-text-column", MODEL, "a DataFrame with a categorical text column 'city'",
         lambda c: c.reg.fit(_frame_with_text(), c.y_reg, verbose=0), DataError, ("x", "column 'city'", "numbers")),
    Case("fit-x-ragged", MODEL, "x a nested list with rows of different lengths",
         lambda c: c.reg.fit([[1, 2, 3, 4], [1, 2]], [1, 2], verbose=0), DataError, ("x", "different lengths")),
    Case("fit-x-none", MODEL, "x=None", lambda c: c.reg.fit(None, c.y_reg, verbose=0), DataError, ("x", "None")),
    Case("fit-callback-type", MODEL, "callbacks=[3]", lambda c: c.reg.fit(c.x, c.y_reg, callbacks=[3], verbose=0),
         ConfigError, ("callbacks", "int")),
    Case("grad-norm-stopping", MODEL, "GradientNormStopping(threshold=0)",
         lambda c: fl.callbacks.GradientNormStopping(threshold=0), ConfigError, ("threshold", "0")),
    Case("tensorboard-update-freq", MODEL, "TensorBoard(update_freq='step')",
         lambda c: fl.callbacks.TensorBoard(update_freq="step"), ConfigError, ("update_freq", "'step'", "'batch'")),
    Case("tensorboard-profile-batch", MODEL, "TensorBoard(profile_batch=5)",
         lambda c: fl.callbacks.TensorBoard(profile_batch=5), ConfigError, ("profile_batch=5", "profile_batch=0")),
    Case("tensorboard-embeddings", MODEL, "TensorBoard(embeddings_freq=1)",
         lambda c: fl.callbacks.TensorBoard(embeddings_freq=1), ConfigError, ("embeddings_freq=1", "projector")),
    Case("swap-ema-without-average", MODEL, "SwapEMAWeights() with an optimizer without use_ema",
         lambda c: c.reg.fit(c.x, c.y_reg, epochs=1, verbose=0, callbacks=[fl.callbacks.SwapEMAWeights()]),
         ConfigError, ("SwapEMAWeights", "use_ema=True")),
    Case("fit-x-objects", MODEL, "x of Python objects",
         lambda c: c.reg.fit(np.full((12, 4), None, dtype=object), c.y_reg, verbose=0), DataError, ("x", "object")),
    Case("fit-x-complex", MODEL, "x of complex numbers",
         lambda c: c.reg.fit(c.x + 1j, c.y_reg, verbose=0), DataError, ("x", "complex")),
    Case("fit-y-strings", MODEL, "y of strings", lambda c: c.reg.fit(c.x, np.full((12, 1), "b"), verbose=0),
         DataError, ("y", "text", "numbers")),
    Case("fit-x-nan", MODEL, "NaN in x at row 3, column 2",
         lambda c: c.reg.fit(_nan_at(c.x, 3, 2), c.y_reg, verbose=0), DataError,
         ("x", "nan", "row 3", "column 2", "allow_nonfinite")),
    Case("fit-x-inf", MODEL, "inf in x at row 5, column 0",
         lambda c: c.reg.fit(_nan_at(c.x, 5, 0, np.inf), c.y_reg, verbose=0), DataError,
         ("x", "inf", "row 5", "column 0")),
    Case("fit-y-nan", MODEL, "NaN in y at row 7",
         lambda c: c.reg.fit(c.x, _nan_at(c.y_reg, 7, 0), verbose=0), DataError, ("y", "nan", "row 7")),
    Case("fit-val-nan", MODEL, "NaN in validation x",
         lambda c: c.reg.fit(c.x, c.y_reg, validation_data=(_nan_at(c.x, 1, 1), c.y_reg), verbose=0), DataError,
         ("nan", "row 1", "column 1")),
    Case("fit-empty", MODEL, "x and y with no rows",
         lambda c: c.reg.fit(np.ones((0, 4)), np.ones((0, 1)), verbose=0), DataError, ("no rows",)),
    Case("fit-x-scalar", MODEL, "x a single number", lambda c: c.reg.fit(3.0, c.y_reg, verbose=0), DataError,
         ("single number",)),
    Case("fit-sparse-label-range", MODEL, "label 3 for 3 output units",
         lambda c: c.sparse.fit(c.x, np.where(c.labels == 2, 3, c.labels), verbose=0), DataError,
         ("3", "label")),
    Case("fit-sparse-label-negative", MODEL, "label -1",
         lambda c: c.sparse.fit(c.x, np.where(c.labels == 2, -1, c.labels), verbose=0), DataError, ("-1",)),
    Case("fit-sparse-label-fraction", MODEL, "label 0.5",
         lambda c: c.sparse.fit(c.x, c.labels * 0.5, verbose=0), DataError, ("0.5",)),
    Case("fit-sparse-onehot", MODEL, "one-hot rows for sparse cross-entropy",
         lambda c: c.sparse.fit(c.x, c.onehot, verbose=0), ShapeError,
         ("sparse_categorical_crossentropy", "one-hot")),
    Case("fit-categorical-labels", MODEL, "integer labels for categorical cross-entropy",
         lambda c: c.cat.fit(c.x, c.labels, verbose=0), ShapeError, ("categorical_crossentropy", "to_categorical")),
    Case("fit-categorical-not-onehot", MODEL, "rows that are not one-hot (0.5, 0.5, 0)",
         lambda c: c.cat.fit(c.x, np.tile([0.5, 0.5, 0.0], (12, 1)) * 3, verbose=0), DataError,
         ("categorical_crossentropy", "row 0", "1.5, 1.5, 0", "to_categorical")),
    Case("fit-categorical-columns", MODEL, "one-hot rows with 4 classes for 3 units",
         lambda c: c.cat.fit(c.x, fl.data.to_categorical(np.arange(12) % 4, 4), verbose=0), ShapeError,
         ("3", "4")),
    Case("fit-bce-range", MODEL, "targets 2 for binary cross-entropy",
         lambda c: c.bce.fit(c.x, np.full(12, 2.0), verbose=0), DataError, ("binary_crossentropy", "[0, 1]", "2")),
    # ---------------------------------------------------------------- evaluate / predict
    Case("evaluate-before-compile", MODEL, "evaluate on a model never compiled",
         lambda c: c.uncompiled.evaluate(c.x, c.y_reg), NotReadyError, ("evaluate", "compile")),
    Case("evaluate-features", MODEL, "evaluate with 3 features",
         lambda c: c.reg.evaluate(np.ones((2, 3)), np.ones((2, 1))), ShapeError, ("4", "3")),
    Case("evaluate-nan", MODEL, "evaluate with NaN in y",
         lambda c: c.reg.evaluate(c.x, _nan_at(c.y_reg, 2, 0)), DataError, ("y", "nan", "row 2")),
    Case("evaluate-batch", MODEL, "evaluate batch_size=0",
         lambda c: c.reg.evaluate(c.x, c.y_reg, batch_size=0), ConfigError, ("batch_size", "0")),
    Case("predict-features", MODEL, "predict with 6 features", lambda c: c.reg.predict(np.ones((2, 6))),
         ShapeError, ("4", "6")),
    Case("predict-strings", MODEL, "predict on strings", lambda c: c.reg.predict([["a", "b", "c", "d"]]),
         DataError, ("x", "text", "numbers")),
    Case("predict-batch", MODEL, "predict batch_size=-3", lambda c: c.reg.predict(c.x, batch_size=-3),
         ConfigError, ("batch_size", "-3")),
    Case("set-weights-count", MODEL, "set_weights with one array too few",
         lambda c: c.reg.set_weights(c.reg.get_weights()[:-1]), ShapeError, ("3", "4")),
    Case("set-weights-shape", MODEL, "set_weights with a (4, 2) kernel for (4, 3)",
         lambda c: c.reg.set_weights([np.ones((4, 2))] + c.reg.get_weights()[1:]), ShapeError, ("(4, 2)", "(4, 3)")),
    # ---------------------------------------------------------------- save / load
    Case("save-unbuilt", "save / load", "save a model with no weights yet",
         lambda c: c.unbuilt.save(c.folder / "new.fnl"), NotReadyError, ("no weights",)),
    Case("save-lambda", "save / load", "save a model holding a Lambda layer",
         lambda c: _lambda_model().save(c.folder / "new.fnl"), ConfigError,
         ("'with_lambda'", "Lambda layer 'double'", "python code", "save_weights", "register_keras_serializable")),
    Case("save-missing-folder", "save / load", "save into a folder that does not exist",
         lambda c: c.reg.save(c.folder / "nope" / "m.fnl"), SaveError, ("folder", "does not exist")),
    Case("load-missing", "save / load", "a path that does not exist",
         lambda c: fl.load_model(c.folder / "missing.fnl"), ModelFileError, ("missing.fnl", "does not exist")),
    Case("load-folder", "save / load", "a folder", lambda c: fl.load_model(c.folder), ModelFileError, ("folder",)),
    Case("load-empty", "save / load", "an empty file", lambda c: fl.load_model(c.file("empty.fnl")),
         ModelFileError, ("empty",)),
    Case("load-truncated", "save / load", "the good file cut in half",
         lambda c: fl.load_model(c.file("half.fnl")),
         ModelFileError, ("truncated",)),
    Case("load-pickle", "save / load", "a pickle file",
         lambda c: fl.load_model(c.file("p.fnl")), ModelFileError,
         ("not an fnlearn model file", "pickle")),
    Case("load-zip", "save / load", "a zip (Keras .keras / PyTorch) file",
         lambda c: fl.load_model(c.file("z.fnl")), ModelFileError,
         ("not an fnlearn model file",)),
    Case("load-keras-no-config", "save / load", "a .keras zip without its config.json",
         lambda c: fl.load_model(c.file("k.keras")), ModelFileError, ("config.json", "model.save('m.keras')")),
    Case("load-keras2-weights-as-model", "save / load", "a Keras 2 weights file (.h5) given to load_model",
         lambda c: fl.load_model(c.file("w.h5")), ModelFileError, ("weights only", "model.load_weights(path)")),
    Case("load-keras2-weights-of-another-model", "save / load", "a Keras 2 weights file of other layers",
         lambda c: c.reg.load_weights(c.file("w.h5")), ModelFileError,
         ("no weights for layer 'hidden'", "['other']", "the model it was saved from")),
    Case("keras-json-unknown-layer", "save / load", "real Keras's JSON with a Hashing layer",
         lambda c: fl.keras.models.model_from_json(_keras_json({"class_name": "Hashing", "config": {
             "name": "c", "num_bins": 8}}, (4,))), ConfigError, ("Hashing", "custom_objects")),
    Case("keras-json-lora", "save / load", "real Keras's JSON with a LoRA rank",
         lambda c: fl.keras.models.model_from_json(_keras_json({"class_name": "Dense", "config": {
             "name": "d", "units": 2, "lora_rank": 4}}, (4,))), ConfigError, ("lora_rank=4", "LoRA")),
    Case("load-terabyte", "save / load", "a header claiming a 1 TB tensor",
         lambda c: fl.load_model(c.file("tb.fnl")), ModelFileError, ("claims",)),
    Case("load-bitflip", "save / load", "one flipped bit in the tensor data",
         lambda c: fl.load_model(c.file("flip.fnl")), ModelFileError,
         ("corrupted", "checksum")),
    Case("load-weights-shape", "save / load", "load_weights of a 4-3-1 file into a 4-2 model",
         lambda c: c.uncompiled.load_weights(c.good_file), ShapeError, ("do not fit",)),
    Case("clone-not-a-model", "save / load", "keras.models.clone_model('model')",
         lambda c: _keras().models.clone_model("model"), ConfigError,
         ("clone_model", "str 'model'", "keras.Sequential or functional keras.Model")),
    Case("clone-subclassed", "save / load", "clone_model of a keras.Model subclass with its own call()",
         lambda c: _keras().models.clone_model(_train_step_model()), ConfigError,
         ("custom", "subclass of keras.Model", "set_weights")),
    Case("json-malformed", "save / load", "model_from_json('{\"class_name\": ')",
         lambda c: _keras().models.model_from_json('{"class_name": '), ConfigError,
         ("not valid JSON", "model.to_json()")),
    Case("json-not-a-model", "save / load", "model_from_json of a Dense layer's JSON",
         lambda c: _keras().models.model_from_json('{"class_name": "Dense", "config": {"units": 2}}'), ConfigError,
         ("'Dense'", "model.to_json()", "was expected")),
    # ---------------------------------------------------------------- data helpers and data sets
    Case("to-categorical-negative", "fl.data", "to_categorical([0, -1])",
         lambda c: fl.data.to_categorical([0, -1]), DataError, ("-1",)),
    Case("to-categorical-classes", "fl.data", "to_categorical([0, 5], num_classes=3)",
         lambda c: fl.data.to_categorical([0, 5], num_classes=3), DataError, ("5", "3")),
    Case("to-categorical-fraction", "fl.data", "to_categorical([0, 1.5])",
         lambda c: fl.data.to_categorical([0, 1.5]), DataError, ("integer", "1.5", "position 1")),
    Case("split-test-size", "fl.data", "train_test_split(test_size=1.5)",
         lambda c: fl.data.train_test_split(c.x, test_size=1.5), ConfigError, ("test_size", "1.5")),
    Case("mnist-kind", "datasets", "load_mnist(kind='mnsit')",
         lambda c: fl.datasets.load_mnist(kind="mnsit", download=False), ConfigError,
         ("'mnsit'", "did you mean 'mnist'")),
    Case("mnist-missing", "datasets", "load_mnist(path=empty folder, download=False)",
         lambda c: fl.datasets.load_mnist(c.folder, download=False), DatasetError, ("mnist",)),
    Case("idx-garbage", "datasets", "read_idx of a text file",
         lambda c: fl.datasets.read_idx(c.file("bad.idx")), DatasetError, ("IDX",)),
    Case("csv-missing", "datasets", "load_series_csv of a missing file",
         lambda c: fl.datasets.load_series_csv(c.folder / "none.csv", "day", "views"), DatasetError,
         ("none.csv",)),
    Case("csv-column", "datasets", "load_series_csv with a column that is not there",
         lambda c: fl.datasets.load_series_csv(c.file("a.csv"), "day", "veiws"),
         DatasetError, ("veiws",)),
    Case("csv-text-value", "datasets", "a CSV cell '1,234' in the value column",
         lambda c: fl.datasets.load_series_csv(c.file("b.csv"), "day",
                                               "views"), DatasetError, ("row 1", "'1,234'", "not a number")),
    Case("csv-date", "datasets", "a CSV date '01/02/2021'",
         lambda c: fl.datasets.load_series_csv(c.file("c.csv"), "day", "views"),
         DatasetError, ("'01/02/2021'", "YYYY-MM-DD")),
    Case("lag-days", "datasets", "lag_windows(days=0)",
         lambda c: fl.datasets.lag_windows(np.arange(10.0), 0), ConfigError, ("days", "0")),
    # ---------------------------------------------------------------- datasets of batches, folders of images
    Case("images-missing-folder", "datasets", "image_dataset_from_directory of a missing folder",
         lambda c: _keras().utils.image_dataset_from_directory(c.folder / "no_such_folder", verbose=False),
         DatasetError, ("no_such_folder", "does not exist")),
    Case("images-none", "datasets", "image_dataset_from_directory of a folder without images",
         lambda c: _keras().utils.image_dataset_from_directory(c.folder, verbose=False), DatasetError,
         ("no images found", ".png")),
    Case("images-split-seed", "datasets", "image_dataset_from_directory(validation_split=0.2, subset='training'), "
         "no seed", lambda c: _keras().utils.image_dataset_from_directory(c.folder, validation_split=0.2,
                                                                           subset="training"),
         ConfigError, ("validation_split", "seed")),
    Case("images-subset-alone", "datasets", "image_dataset_from_directory(subset='validation'), no validation_split",
         lambda c: _keras().utils.image_dataset_from_directory(c.folder, subset="validation", seed=1), ConfigError,
         ("subset='validation'", "validation_split")),
    Case("images-label-count", "datasets", "image_dataset_from_directory(labels=[0, 1]) of a folder of 0 images",
         lambda c: _keras().utils.image_dataset_from_directory(c.folder, labels=[0, 1], verbose=False), DataError,
         ("labels has 2 entries", "0 image files")),
    Case("load-img-missing", "datasets", "load_img of a missing file", lambda c: _keras().utils.load_img(
        c.file("none.png")), DatasetError, ("none.png",)),
    Case("save-img-format", "datasets", "save_img to a name without an image extension",
         lambda c: _keras().utils.save_img(c.file("picture"), np.zeros((2, 2, 3))), ConfigError,
         ("picture", ".png")),
    Case("dataset-batch-zero", "datasets", "Dataset.from_tensor_slices(x).batch(0)",
         lambda c: fl.data.Dataset.from_tensor_slices(c.x).batch(0), ConfigError, ("batch_size", "0")),
    Case("pydataset-workers", "datasets", "keras.utils.PyDataset subclass made with workers=-1",
         lambda c: _no_batches(workers=-1), ConfigError, ("workers", "-1", "whole number")),
    # get_file's cache is the case's own folder (cache_subdir="."), so a refused call is seen to leave it alone
    Case("get-file-no-origin", "datasets", "keras.utils.get_file('data.csv') without origin",
         lambda c: _keras().utils.get_file("data.csv", cache_dir=c.folder, cache_subdir="."), ConfigError,
         ("origin=", "URL")),
    Case("get-file-hash-algorithm", "datasets", "get_file(..., hash_algorithm='sha1')",
         lambda c: _keras().utils.get_file(origin=c.file("a.csv").as_uri(), file_hash="0" * 40,
                                           hash_algorithm="sha1", cache_dir=c.folder, cache_subdir="."),
         ConfigError, ("hash_algorithm='sha1'", "'sha256'", "'md5'")),
    Case("get-file-hash-mismatch", "datasets", "get_file of a file whose SHA-256 is not file_hash",
         lambda c: _keras().utils.get_file("got.csv", c.file("a.csv").as_uri(), file_hash="0" * 64,
                                           cache_dir=c.folder, cache_subdir="."),
         DatasetError, ("SHA-256", "0" * 64, "refused", "nothing was kept")),
    Case("get-file-unreachable", "datasets", "get_file of an origin that cannot be reached",
         lambda c: _keras().utils.get_file(origin=c.file("none.csv").as_uri(), cache_dir=c.folder,
                                           cache_subdir="."), DatasetError, ("none.csv", "could not be downloaded")),
    Case("get-file-climbing-member", "datasets", "get_file(extract=True) of an archive holding '../evil.txt'",
         lambda c: _keras().utils.get_file("evil", "file:///unused/evil.tar", extract=True, cache_dir=c.folder,
                                           cache_subdir="."), DatasetError,
         ("'../evil.txt'", "outside the folder", "nothing was unpacked")),
    Case("fit-dataset-y", MODEL, "fit(dataset, y)",
         lambda c: c.sparse.fit(fl.data.Dataset.from_tensor_slices((c.x, c.labels)).batch(4), c.labels, verbose=0),
         ConfigError, ("got y", "x is a dataset", "targets")),
    Case("fit-dataset-batch-size", MODEL, "fit(dataset, batch_size=4)",
         lambda c: c.sparse.fit(fl.data.Dataset.from_tensor_slices((c.x, c.labels)).batch(4), batch_size=4,
                                verbose=0), ConfigError, ("batch_size", "x is a dataset")),
    Case("fit-dataset-no-targets", MODEL, "fit(a dataset of inputs only)",
         lambda c: c.sparse.fit(fl.data.Dataset.from_tensor_slices(c.x).batch(4), verbose=0), DataError,
         ("batch 1 of the dataset", "no targets", "(x, y)")),
    Case("fit-dataset-features", MODEL, "fit(a dataset of 3 features per sample) for a model of 4",
         lambda c: c.sparse.fit(fl.data.Dataset.from_tensor_slices((c.x[:, :3], c.labels)).batch(4), verbose=0),
         ShapeError, ("'hidden'", "(4,)", "batch 1 of the dataset", "(3,)")),
    Case("fit-steps-arrays", MODEL, "fit(x, y, steps_per_epoch=0)",
         lambda c: c.sparse.fit(c.x, c.labels, steps_per_epoch=0, verbose=0), ConfigError,
         ("steps_per_epoch", "≥ 1", "got 0")),
    Case("evaluate-dataset-y", MODEL, "evaluate(dataset, y)",
         lambda c: c.sparse.evaluate(fl.data.Dataset.from_tensor_slices((c.x, c.labels)).batch(4), c.labels),
         ConfigError, ("evaluate got y", "x is a dataset")),
    Case("fit-pydataset-empty", MODEL, "fit(a keras.utils.PyDataset of no batches)",
         lambda c: c.reg.fit(_no_batches(), verbose=0), DataError, ("gives no batches",)),
    Case("resizing-interpolation", "layers", "Resizing(8, 8, interpolation='gaussian')",
         lambda c: _keras().layers.Resizing(8, 8, interpolation="gaussian"), ConfigError,
         ("interpolation", "'gaussian'")),
    Case("resizing-crop-pad", "layers", "Resizing(8, 8, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)",
         lambda c: _keras().layers.Resizing(8, 8, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True),
         ConfigError, ("crop_to_aspect_ratio", "choose one")),
    # elastic transform and CLAHE
    Case("elastic-sigma", "ops", "keras.ops.image.elastic_transform(images, sigma=0)",
         lambda c: _keras().ops.image.elastic_transform(np.ones((1, 4, 4, 1)), sigma=0), ConfigError,
         ("sigma=0", "> 0")),
    Case("elastic-fill-mode", "layers", "RandomElasticTransform(fill_mode='edge')",
         lambda c: _keras().layers.RandomElasticTransform(fill_mode="edge"), ConfigError,
         ("fill_mode", "'edge'", "'mirror'")),
    Case("clahe-clip-limit", "layers", "ContrastLimitedAdaptiveHistogramEqualization(clip_limit=-1)",
         lambda c: _keras().layers.ContrastLimitedAdaptiveHistogramEqualization(clip_limit=-1), ConfigError,
         ("clip_limit", "≥ 0", "-1")),
    Case("clahe-tiles", "layers", "ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(0, 8))",
         lambda c: _keras().layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(0, 8)),
         ConfigError, ("tile_grid_size", "(0, 8)")),
    # ---------------------------------------------------------------- scikit-learn wrappers
    Case("sklearn-uncompiled", "keras.wrappers", "SKLearnRegressor(an uncompiled model).fit(x, y)",
         lambda c: _sklearn_wrapper("SKLearnRegressor", c.uncompiled).fit(c.x, c.y_reg),
         ConfigError, ("uncompiled model", "model.compile(")),
    Case("sklearn-multilabel", "keras.wrappers", "SKLearnClassifier.fit(x, a 0/1 column a label)",
         lambda c: _sklearn_wrapper("SKLearnClassifier", c.sparse).fit(c.x, np.eye(2, dtype=int)[c.labels % 2]),
         DataError, ("multilabel-indicator targets", "SKLearnRegressor")),
    # audio: stft, istft, spectrogram layers
    Case("stft-fft-length", "ops", "keras.ops.stft(x, sequence_length=8, sequence_stride=4, fft_length=4)",
         lambda c: _keras().ops.stft(np.ones(16), 8, 4, 4), ConfigError,
         ("fft_length=4", "sequence_length=8", "fft_length >= sequence_length")),
    Case("stft-window", "ops", "keras.ops.stft(x, 8, 4, 8, window='kaiser')",
         lambda c: _keras().ops.stft(np.ones(16), 8, 4, 8, window="kaiser"), ConfigError,
         ("window='kaiser'", "'hann'", "'hamming'")),
    Case("istft-rank", "ops", "keras.ops.istft(a pair of 1-D parts, 8, 4, 8)",
         lambda c: _keras().ops.istft((np.ones(5), np.ones(5)), 8, 4, 8), ShapeError,
         ("(5,)", "(…, frames, bins)")),
    Case("stft-spectrogram-rank", "layers", "STFTSpectrogram(frame_length=8) called on (batch, time)",
         lambda c: _keras().layers.STFTSpectrogram(frame_length=8, name="spectrogram")(np.ones((2, 16))), ShapeError,
         ("(batch, time, channels)", "(2, 16)", "x[..., None]")),
    Case("stft-spectrogram-step", "layers", "STFTSpectrogram(frame_length=8, frame_step=16)",
         lambda c: _keras().layers.STFTSpectrogram(frame_length=8, frame_step=16), ConfigError,
         ("frame_step=16", "frame_length=8")),
    Case("mel-spectrogram-max-freq", "layers", "MelSpectrogram(sampling_rate=8000, max_freq=6000)",
         lambda c: _keras().layers.MelSpectrogram(sampling_rate=8000, max_freq=6000), ConfigError,
         ("max_freq=6000", "sampling_rate / 2")),
    Case("remote-monitor-root", "callbacks", "RemoteMonitor(root='localhost:9000')",
         lambda c: _keras().callbacks.RemoteMonitor(root="localhost:9000"), ConfigError,
         ("root='localhost:9000'", "with its scheme", "http://localhost:9000")),
    Case("gallery-labels", "keras.visualization", "plot_image_gallery(images, y_true=labels) without a label_map",
         lambda c: _keras().visualization.plot_image_gallery(np.zeros((4, 2, 2, 3)), y_true=[0, 1, 0, 1]),
         ConfigError, ("no label_map", "{0: 'cat', 1: 'dog'}")),
    Case("audio-ragged", "datasets", "audio_dataset_from_directory(folder, ragged=True)",
         lambda c: _keras().utils.audio_dataset_from_directory(c.folder, ragged=True), ConfigError,
         ("ragged=True", "no ragged tensors", "output_sequence_length")),
    Case("smart-resize-rank", "keras.utils", "preprocessing.image.smart_resize(a (4, 4) array, (2, 2))",
         lambda c: _keras().preprocessing.image.smart_resize(np.ones((4, 4)), (2, 2)), ShapeError,
         ("(4, 4)", "channels axis")),
    # keras.applications
    Case("applications-weights", "keras.applications", "VGG16(weights='imagenett')",
         lambda c: _keras().applications.VGG16(weights="imagenett"), ConfigError,
         ("weights='imagenett'", "'imagenet'", "path")),
    Case("applications-classes", "keras.applications", "ResNet50(weights='imagenet', classes=10)",
         lambda c: _keras().applications.ResNet50(weights="imagenet", classes=10), ConfigError,
         ("classes=10", "1000", "include_top=False")),
    Case("applications-small-input", "keras.applications", "MobileNetV2(include_top=False, input_shape=(16, 16, 3))",
         lambda c: _keras().applications.MobileNetV2(include_top=False, input_shape=(16, 16, 3)), ShapeError,
         ("(16, 16, 3)", "32x32")),
    Case("applications-alpha", "keras.applications", "MobileNet(alpha=0.6, weights='imagenet')",
         lambda c: _keras().applications.MobileNet(alpha=0.6), ConfigError, ("alpha=0.6", "0.25", "weights=None")),
    Case("applications-convnext-name", "keras.applications", "ConvNeXtBase(name='mine', weights='imagenet')",
         lambda c: _keras().applications.ConvNeXtBase(name="mine"), ConfigError,
         ("name='mine'", "'convnext_base'", "Keras requires")),
    # ---------------------------------------------------------------- command line
    Case("cli-unknown-command", "CLI", "fnlearn frobnicate", _cli(["frobnicate"]), SystemExit,
         ("frobnicate",)),
    Case("cli-unknown-experiment", "CLI", "fnlearn run xro", _cli(["run", "xro"]), SystemExit, ("xro", "xor")),
    Case("cli-epochs", "CLI", "fnlearn run xor --epochs 0", _cli(["run", "xor", "--epochs", "0"]), SystemExit,
         ("--epochs", "0")),
    Case("cli-seed", "CLI", "fnlearn run xor --seed abc", _cli(["run", "xor", "--seed", "abc"]), SystemExit,
         ("--seed", "abc")),
    Case("cli-activation", "CLI", "fnlearn run xor --activation rleu", _cli(["run", "xor", "--activation", "rleu"]),
         SystemExit, ("rleu", "relu")),
]


def _frame_with_text() -> Any:
    import pandas as pd

    # a categorical column: its dtype prints the same in every pandas version (text prints object or str)
    city = pd.Categorical(["Taipei", "Tainan"] * 6)
    return pd.DataFrame({"a": np.ones(12), "b": np.ones(12), "city": city, "d": np.ones(12)})


def _sklearn_wrapper(name: str, model: Any) -> Any:
    """keras.wrappers' estimator ``name`` around ``model``."""
    from fnlearn.keras import wrappers

    return getattr(wrappers, name)(model, fit_kwargs={"verbose": 0})


def _no_batches(**kwargs: Any) -> Any:
    """A keras.utils.PyDataset of no batches."""

    class NoBatches(_keras().utils.PyDataset):
        def __len__(self) -> int:
            return 0

    return NoBatches(**kwargs)


def _climbing_tar() -> bytes:
    """A tar archive with a member that climbs out of the folder it is unpacked in."""
    import io
    import tarfile

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("../evil.txt")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"evil"))
    return raw.getvalue()


def _terabyte_header() -> bytes:
    import json
    import struct

    header = {"__metadata__": {"format": "fnlearn"},
              "param/0.kernel": {"dtype": "F64", "shape": [2 ** 20, 2 ** 17], "data_offsets": [0, 2 ** 40]}}
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + b"\x00" * 64


def _flip_last(content: bytes) -> bytes:
    data = bytearray(content)
    data[-3] ^= 0x10
    return bytes(data)


def run_case(case: Case, ctx: Ctx) -> tuple[type[BaseException] | None, str]:
    """Run one case: (exception class raised or None, its message). CLI cases return SystemExit when the
    command exits with code 2 and its stderr as the message."""
    import contextlib
    import io

    result_marker = case.call(ctx) if case.exc is SystemExit else None
    if result_marker is not None:
        from fnlearn.cli import main

        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(result_marker[1])
        return (SystemExit if code == 2 else None), err.getvalue()
    try:
        case.call(ctx)
    except Exception as exc:  # noqa: BLE001  (the battery records whatever came out)
        return type(exc), str(exc)
    return None, ""


def printable(message: str, folder: Path) -> str:
    """The message with the temporary folder replaced, as the docs show it."""
    message = message.replace(str(folder) + os.sep, "").replace(str(folder), ".")
    return re.sub(r"\s+", " ", message).strip()


__all__ = ["CASES", "Case", "Ctx", "errors", "printable", "run_case", "same_state"]
