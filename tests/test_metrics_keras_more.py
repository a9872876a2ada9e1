"""keras.metrics' regression, correlation and IoU metrics and metric functions: Keras's numbers in evaluate and by
update_state / result, their log names, serialize / deserialize, and their errors."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import compiled, real_keras

import fnlearn as fl
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras import metrics as M

RNG = np.random.default_rng(3)
N, BATCH = 13, 8  # two batches, the last one short
X = RNG.normal(size=(N, 4)).astype("float32")
Y_REG = RNG.normal(size=(N, 3)).astype("float32") + 2.0
Y_CLS = np.eye(3, dtype="float32")[RNG.integers(0, 3, N)]
LABELS = RNG.integers(0, 3, N)
BATCHES = [slice(start, min(start + BATCH, N)) for start in range(0, N, BATCH)]

# (class name, settings, target kind)
CASES = [("Hinge", {}, "cls"), ("SquaredHinge", {}, "cls"), ("CategoricalHinge", {}, "cls"),
         ("LogCoshError", {}, "reg"), ("MeanAbsolutePercentageError", {}, "reg"),
         ("MeanSquaredLogarithmicError", {}, "reg"), ("PearsonCorrelation", {}, "reg"),
         ("ConcordanceCorrelation", {}, "reg"), ("OneHotIoU", {"num_classes": 3, "target_class_ids": [0, 2]}, "cls"),
         ("OneHotMeanIoU", {"num_classes": 3}, "cls"),
         ("MeanIoU", {"num_classes": 3, "sparse_y_pred": False}, "sparse"),
         ("IoU", {"num_classes": 3, "target_class_ids": [1], "sparse_y_pred": False}, "sparse"),
         ("BinaryIoU", {"threshold": 0.3}, "bin")]
FUNCTIONS = ["hinge", "squared_hinge", "categorical_hinge", "log_cosh", "mean_absolute_percentage_error",
             "mean_squared_logarithmic_error", "binary_crossentropy", "categorical_crossentropy", "huber",
             "binary_focal_crossentropy", "categorical_focal_crossentropy", "pearson_correlation",
             "concordance_correlation"]
# target kind: targets, output activation, loss and the Keras class that compile makes of it
KINDS = {"reg": (Y_REG, "softplus", "mse", "MeanSquaredError"), "cls": (Y_CLS, "softmax", "mse", "MeanSquaredError"),
         "sparse": (LABELS, "softmax", "sparse_categorical_crossentropy", "SparseCategoricalCrossentropy")}


def _keras_results(keras, metrics, arguments):
    """Keras's metric objects fed BATCHES from a fresh state through stateless_update_state (update_state without
    side effects), all in one compiled program: one compile rather than one for each op. ``arguments(part)`` gives
    update_state's arguments for each metric for the batch ``part``; it runs in the program."""
    def run():
        states = [[v.value for v in metric.variables] for metric in metrics]
        for part in BATCHES:
            states = [metric.stateless_update_state(state, *args)
                      for metric, state, args in zip(metrics, states, arguments(part), strict=True)]
        return [metric.stateless_result(state) for metric, state in zip(metrics, states)]

    return [float(value) for value in compiled(keras, run)]


def _metrics(library, kind):
    """The metrics of one target kind compiled into a model: the classes, then (for "cls") the functions."""
    objects = [getattr(library.metrics, name)(**kw) for name, kw, k in CASES if k == kind]
    return objects + [getattr(library.metrics, f) for f in FUNCTIONS if kind == "cls"]


@pytest.mark.parametrize("kind", list(KINDS))
def test_evaluate_matches_keras(kind):
    """fnlearn's evaluate against Keras's metric objects fed the same batches of the same predictions, as Keras's
    evaluate feeds them: the loss averaged over the batches weighted by their sizes, a function wrapped in a
    MeanMetricWrapper named after it, a repeated name numbered."""
    keras = real_keras()
    y, act, loss, loss_class = KINDS[kind]
    model = fl.keras.Sequential([fl.keras.Input((4,)), fl.keras.layers.Dense(3, activation=act)])
    model.compile(loss=loss, metrics=_metrics(fl.keras, kind))
    ours = model.evaluate(X, y, batch_size=BATCH, verbose=0, return_dict=True)
    pred = model.predict(X, batch_size=BATCH, verbose=0)
    keras.utils.clear_session()  # Keras numbers the default names of its IoU metrics within a session
    tracker, loss_fn = keras.metrics.Mean(name="loss"), getattr(keras.losses, loss_class)()
    metrics = [m if isinstance(m, keras.metrics.Metric) else keras.metrics.MeanMetricWrapper(m, name=m.__name__)
               for m in _metrics(keras, kind)]
    # the loss tracker is fed each batch's loss weighted by the batch's size, as in Keras's evaluate
    loss_value, *values = _keras_results(keras, [tracker, *metrics], lambda part: [
        (loss_fn(y[part], pred[part]), len(pred[part])), *[(y[part], pred[part])] * len(metrics)])
    theirs, seen = {"loss": loss_value}, {}
    for metric, value in zip(metrics, values):  # a repeated name gets a suffix, as in Keras's CompileMetrics.result
        seen[metric.name] = seen.get(metric.name, -1) + 1
        theirs[f"{metric.name}_{seen[metric.name]}" if seen[metric.name] else metric.name] = value
    assert set(ours) == set(theirs)
    for key, value in theirs.items():
        assert ours[key] == pytest.approx(value, rel=2e-5, abs=2e-6), key


@pytest.mark.parametrize("kind", ["reg", "cls", "sparse", "bin"])
def test_update_state_matches_keras(kind):
    keras = real_keras()
    rng = np.random.default_rng(len(kind))
    p = rng.random((N, 3)).astype("float32")
    t = {"reg": p + rng.normal(size=p.shape).astype("float32"),
         "cls": np.eye(3, dtype="float32")[rng.integers(0, 3, N)],
         "sparse": rng.integers(0, 3, N), "bin": (rng.random((N, 3)) > 0.5).astype("float32")}[kind]
    w = rng.integers(0, 3, N).astype("float32")
    if kind == "bin":  # Keras's BinaryIoU takes one weight per value
        t, p = t[:, 0], p[:, 0]
    cases = [(name, kw) for name, kw, k in CASES if k == kind]
    theirs = _keras_results(keras, [getattr(keras.metrics, name)(**kw) for name, kw in cases],
                            lambda part: [(t[part], p[part], w[part])] * len(cases))
    assert len(theirs) == len(cases)
    for (name, kw), value in zip(cases, theirs):
        ours = getattr(M, name)(**kw)
        for part in BATCHES:
            ours.update_state(t[part], p[part], sample_weight=w[part])
        assert ours.result() == pytest.approx(value, rel=2e-5, abs=2e-6), name
        ours.reset_state()
        assert ours.result() == 0.0, name


def test_functions_match_keras():
    keras = real_keras()
    p = np.random.default_rng(1).random((BATCH, 3)).astype("float32") + 0.1
    t = Y_CLS[:BATCH]
    theirs = compiled(keras, lambda: [getattr(keras.metrics, name)(t, p) for name in FUNCTIONS])
    for name, value in zip(FUNCTIONS, theirs, strict=True):
        np.testing.assert_allclose(getattr(M, name)(t, p).numpy(), value, rtol=2e-5, atol=2e-6, err_msg=name)


def test_names_serialize_and_saving(tmp_path):
    assert fl.metrics.get("pearson_correlation").name == "pearson_correlation"
    assert fl.metrics.get("hinge")([[1.0]], [[0.5]]) == 0.5
    for metric in (M.MeanIoU(num_classes=3, ignore_class=0), M.BinaryIoU(threshold=0.2), M.LogCoshError(),
                   M.PearsonCorrelation(axis=0)):
        again = M.deserialize(M.serialize(metric))
        assert type(again) is type(metric) and again.get_config() == metric.get_config()
    assert M.deserialize(M.serialize(M.hinge)) is M.hinge
    model = fl.keras.Sequential([fl.keras.Input((4,)), fl.keras.layers.Dense(3, activation="softmax")])
    model.compile(loss="mse", metrics=[M.OneHotMeanIoU(num_classes=3), M.concordance_correlation])
    before = model.evaluate(X, Y_CLS, verbose=0, return_dict=True)
    model.save(tmp_path / "m.keras")
    after = fl.keras.models.load_model(tmp_path / "m.keras").evaluate(X, Y_CLS, verbose=0, return_dict=True)
    assert after == pytest.approx(before)


@pytest.mark.parametrize("make,error", [
    (lambda: M.IoU(num_classes=2, target_class_ids=[2]), ConfigError),
    (lambda: M.MeanIoU(num_classes=0), ConfigError),
    (lambda: M.BinaryIoU(threshold="high"), ConfigError),
    (lambda: M.PearsonCorrelation(axis=1.5), ConfigError),
    (lambda: fl.metrics.get("mean_io_u"), ConfigError),
    (lambda: M.PearsonCorrelation()([[1.0, 2.0]], [[1.0, 2.0, 3.0]]), ShapeError),
    (lambda: M.IoU(num_classes=2, target_class_ids=[0])([0, 1, 1], [0, 1]), ShapeError),
    (lambda: M.deserialize({"class_name": "Nope", "config": {}}), ConfigError),
])
def test_bad_input(make, error):
    with pytest.raises(error) as info:
        make()
    assert info.value.args[0].count(". ") <= 1
