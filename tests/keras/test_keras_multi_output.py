"""Functional models with several outputs train as Keras 3 trains them: one loss per output (a list, a dict by
output name, or one for all; None for an output left out of the loss), loss_weights, metrics per output, targets
as a list or a dict by output name, sample weights for all outputs or per output. Checked side by side with real
Keras (the same weights in give the same weights, logs and log keys out), through a file, with callbacks watching
one output's entries, and with wrong targets and weights refused in one sentence before anything changes."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, DataError, ShapeError
from fnlearn.keras.graph import FunctionalGraph

RNG = np.random.default_rng(3)
X = RNG.normal(size=(50, 8)).astype(np.float32)
WIDE = RNG.normal(size=(50, 3)).astype(np.float32)
LABELS = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.5)  # classes 0, 1, 2
AMOUNT = (X[:, :3].sum(1, keepdims=True) + 0.1 * RNG.normal(size=(50, 1))).astype(np.float32)
FLAG = (X[:, 2] > 0).astype(np.float32)
WEIGHTS = RNG.uniform(0.5, 2.0, 50)


def three_heads(k):
    """One trunk, three heads: classes (softmax), an amount (linear), a flag (one sigmoid unit)."""
    x = k.Input(shape=(8,), name="x")
    h = k.layers.Dense(16, activation="relu", name="trunk")(x)
    cls = k.layers.Dense(3, activation="softmax", name="cls")(h)
    reg = k.layers.Dense(1, name="reg")(h)
    flag = k.layers.Dense(1, activation="sigmoid", name="flag")(k.layers.Dense(4, activation="tanh", name="f1")(h))
    return k.Model(x, [cls, reg, flag])


def two_in_two_out(k):
    """Two Inputs joined, two heads; the outputs' names sort the other way round from their order."""
    x, wide = k.Input(shape=(8,), name="x"), k.Input(shape=(3,), name="wide")
    h = k.layers.Dense(8, activation="tanh", name="h")(x)
    joined = k.layers.concatenate([h, wide], name="join")
    return k.Model([x, wide], [k.layers.Dense(1, name="z_amount")(joined),
                               k.layers.Dense(3, activation="softmax", name="a_class")(h)])


TARGETS = [LABELS, AMOUNT, FLAG]
BY_NAME = {"flag": FLAG, "cls": LABELS, "reg": AMOUNT}


def _twins(real, make):
    theirs, ours = make(real), make(keras)
    assert isinstance(ours, FunctionalGraph)
    ours.set_weights(theirs.get_weights())
    return ours, theirs


def _assert_close_logs(ours, theirs, rtol=2e-5):
    assert list(ours) == list(theirs)  # the same keys in the same order
    for key in ours:
        np.testing.assert_allclose(ours[key], np.asarray(theirs[key]), rtol=rtol, atol=2e-6, err_msg=key)


COMPILED = {
    "lists": dict(loss=["sparse_categorical_crossentropy", "mse", "binary_crossentropy"], loss_weights=[1.0, 0.5, 2.0],
                  metrics=[["accuracy"], ["mae", "mse"], ["accuracy"]]),
    "dicts": dict(loss={"reg": "mae", "flag": "binary_crossentropy", "cls": "sparse_categorical_crossentropy"},
                  loss_weights={"flag": 0.3, "cls": 1.0, "reg": 2.0}, metrics={"cls": "accuracy", "reg": ["mse"]}),
    "weighted": dict(loss=["sparse_categorical_crossentropy", "mse", "binary_crossentropy"],
                     metrics=[None, ["mae", "mae"], "accuracy"],
                     weighted_metrics={"reg": ["mae"], "cls": ["accuracy"]}),
}


# each compile form once, and momentum once: the update rule does not depend on how the losses were given (a
# Keras comparison costs seconds of JAX compiling, and the suite must stay quick)
@pytest.mark.parametrize("compiled, optimizer", [("lists", "sgd"), ("dicts", "momentum"), ("weighted", "sgd")])
def test_the_same_weights_in_give_the_same_weights_logs_and_keys_out_as_keras(compiled, optimizer):
    real = real_keras()
    ours, theirs = _twins(real, three_heads)
    histories = []
    for model, k in ((ours, keras), (theirs, real)):
        opt = k.optimizers.SGD(0.1) if optimizer == "sgd" else k.optimizers.SGD(0.05, momentum=0.9)
        model.compile(opt, **COMPILED[compiled])
        weights = WEIGHTS if compiled == "weighted" else None
        # batches of one size throughout (the validation's and evaluate's too): Keras compiles one step per shape
        histories.append(model.fit(X, TARGETS, batch_size=25, epochs=2, shuffle=False, verbose=0,
                                   sample_weight=weights, validation_data=(X[:25], {k: v[:25] for k, v in
                                                                                    BY_NAME.items()})).history)
    _assert_close_logs(*histories)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    _assert_close_logs(ours.evaluate(X, BY_NAME, batch_size=25, return_dict=True),
                       theirs.evaluate(X, BY_NAME, batch_size=25, return_dict=True, verbose=0))
    # the list: loss, each output's loss in the outputs' order, then the metrics by key, as Keras's
    np.testing.assert_allclose(ours.evaluate(X, TARGETS, batch_size=25),
                               theirs.evaluate(X, TARGETS, batch_size=25, verbose=0), rtol=2e-5, atol=2e-6)
    listed = dict(zip(ours.metrics_names, ours.evaluate(X, TARGETS)))
    assert listed == ours.evaluate(X, TARGETS, return_dict=True)


def test_keras_log_keys_of_three_heads_are_checked_by_name():
    model = three_heads(keras)
    model.compile("adam", **COMPILED["lists"])
    assert model.metrics_names == ["loss", "cls_loss", "reg_loss", "flag_loss", "cls_accuracy", "flag_accuracy",
                                   "reg_mae", "reg_mse"]
    history = model.fit(X, TARGETS, epochs=1, verbose=0, validation_split=0.2).history
    assert list(history) == ["cls_accuracy", "cls_loss", "flag_accuracy", "flag_loss", "loss", "reg_loss", "reg_mae",
                             "reg_mse", "val_cls_accuracy", "val_cls_loss", "val_flag_accuracy", "val_flag_loss",
                             "val_loss", "val_reg_loss", "val_reg_mae", "val_reg_mse"]
    logs = history  # the total is the weighted sum of the outputs' losses
    np.testing.assert_allclose(logs["val_loss"][0], logs["val_cls_loss"][0] + 0.5 * logs["val_reg_loss"][0]
                               + 2.0 * logs["val_flag_loss"][0], rtol=1e-5)
    model.compile("adam", **COMPILED["weighted"])
    assert model.metrics_names == ["loss", "cls_loss", "reg_loss", "flag_loss", "cls_accuracy", "flag_accuracy",
                                   "reg_mae", "reg_mae_1", "reg_weighted_mae"]


def test_two_inputs_and_two_outputs_and_one_loss_for_all_train_as_keras_with_the_outputs_named_out_of_order():
    real = real_keras()
    ours, theirs = _twins(real, two_in_two_out)
    hot = np.eye(3, dtype=np.float32)[LABELS]
    histories = []
    for model, k in ((ours, keras), (theirs, real)):
        model.compile(k.optimizers.SGD(0.05), loss="mse", metrics={"a_class": ["categorical_accuracy"]})
        histories.append(model.fit({"x": X, "wide": WIDE}, {"a_class": hot, "z_amount": AMOUNT}, batch_size=10,
                                   epochs=2, shuffle=False, verbose=0, validation_data=([X, WIDE], [AMOUNT, hot]))
                         .history)
    _assert_close_logs(*histories)
    assert list(histories[0])[:4] == ["a_class_categorical_accuracy", "a_class_loss", "loss", "val_a_class_"
                                      "categorical_accuracy"]  # sorted, val_ entries among them
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert ours.metrics_names == ["loss", "z_amount_loss", "a_class_loss", "a_class_categorical_accuracy"]
    np.testing.assert_allclose(ours.evaluate([X, WIDE], [AMOUNT, hot]), theirs.evaluate([X, WIDE], [AMOUNT, hot],
                                                                                        verbose=0), rtol=2e-5)


# few samples and two epochs of two batches; evaluate batches as the validation did, so that Keras runs the step it
# compiled for it rather than compiling another (its compiling is most of each comparison's time)
FEW = 16
PER_OUTPUT = [WEIGHTS[:FEW], WEIGHTS[FEW:2 * FEW], np.linspace(0.0, 2.0, FEW)]  # a weight of 0 among them


def _few(values, start=0):
    return [v[start:start + FEW] for v in values]


def test_weights_per_output_as_a_list_or_a_dict_weigh_each_outputs_loss_and_weighted_metrics_as_keras():
    """Keras 3 weighs each output's loss by that output's own weights (Σ wᵢ·lossᵢ / batch size, its
    "sum_over_batch_size"), and its weighted metrics too; fit, validation_data and evaluate all take them."""
    real = real_keras()
    ours, theirs = _twins(real, three_heads)
    start = ours.get_weights()
    compiled = dict(loss=["sparse_categorical_crossentropy", "mse", "binary_crossentropy"],
                    loss_weights=[1.0, 0.5, 2.0], metrics={"flag": "accuracy"},
                    weighted_metrics={"reg": ["mae"], "cls": ["accuracy"]})
    validation = (X[FEW:2 * FEW], _few(TARGETS, FEW), PER_OUTPUT[::-1])
    theirs.compile(real.optimizers.SGD(0.1), **compiled)
    expected = theirs.fit(X[:FEW], _few(TARGETS), sample_weight=PER_OUTPUT, validation_data=validation,
                          batch_size=8, epochs=2, shuffle=False, verbose=0).history
    evaluated = theirs.evaluate(X[:FEW], _few(TARGETS), sample_weight=PER_OUTPUT, batch_size=8, verbose=0)
    assert {"reg_mae", "val_reg_mae", "cls_accuracy", "flag_accuracy"} <= set(expected)
    # Keras 3 takes a dict of weights only for a model whose outputs are a dict; fnlearn takes it by output name
    by_name = dict(zip(ours.output_names, PER_OUTPUT))
    named = (X[FEW:2 * FEW], dict(zip(ours.output_names, validation[1])), dict(zip(ours.output_names, validation[2])))
    for targets, weights, validating in ((_few(TARGETS), PER_OUTPUT, validation),
                                         (dict(zip(ours.output_names, _few(TARGETS))), by_name, named)):
        ours.set_weights(start)
        ours.compile(keras.optimizers.SGD(0.1), **compiled)
        history = ours.fit(X[:FEW], targets, sample_weight=weights, validation_data=validating, batch_size=8,
                           epochs=2, shuffle=False, verbose=0).history
        _assert_close_logs(history, expected)
        for a, b in zip(ours.get_weights(), theirs.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours.evaluate(X[:FEW], targets, sample_weight=weights, batch_size=8), evaluated,
                                   rtol=2e-5, atol=2e-6)
    # Keras's reduction, written out: the output's weighted sum over the batch, divided by the batch's size
    logs = ours.evaluate(X[:FEW], _few(TARGETS), sample_weight=by_name, batch_size=FEW, return_dict=True)
    reg = ours.predict(X[:FEW])[1]
    np.testing.assert_allclose(logs["reg_loss"], np.sum(PER_OUTPUT[1] * (AMOUNT[:FEW] - reg).ravel() ** 2) / FEW,
                               rtol=1e-5)
    np.testing.assert_allclose(logs["loss"], logs["cls_loss"] + 0.5 * logs["reg_loss"] + 2.0 * logs["flag_loss"],
                               rtol=1e-5)


@pytest.mark.parametrize("compiled, keys", [
    # two outputs keep a loss: each is logged, the one without is not; its metrics are
    (dict(loss={"cls": None, "reg": "mse", "flag": "binary_crossentropy"}, loss_weights={"cls": None, "reg": 0.5,
                                                                                        "flag": 2.0},
          metrics={"cls": "accuracy", "reg": ["mae"]}),
     ["loss", "reg_loss", "flag_loss", "cls_accuracy", "reg_mae"]),
    # one output keeps a loss: Keras then logs no output's loss, only the total (a weight of None: 1.0)
    (dict(loss=["sparse_categorical_crossentropy", None, None], loss_weights=[None, 0.5, 0.5],
          metrics=[None, ["mae"], None]), ["loss", "reg_mae"]),
])
def test_an_output_without_a_loss_adds_nothing_and_is_logged_as_keras_logs_it(compiled, keys):
    real = real_keras()
    ours, theirs = _twins(real, three_heads)
    histories, evaluated = [], []
    for model, k in ((ours, keras), (theirs, real)):
        model.compile(k.optimizers.SGD(0.1), **compiled)
        histories.append(model.fit(X[:FEW], _few(TARGETS), batch_size=8, epochs=2, shuffle=False, verbose=0,
                                   validation_data=(X[FEW:2 * FEW], _few(TARGETS, FEW))).history)
        evaluated.append(model.evaluate(X[:FEW], _few(TARGETS), batch_size=8, verbose=0))
    _assert_close_logs(*histories)
    assert list(histories[0]) == sorted(keys + [f"val_{key}" for key in keys])
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert ours.metrics_names == keys
    np.testing.assert_allclose(evaluated[0], evaluated[1], rtol=2e-5, atol=2e-6)  # loss, the losses, the metrics


def test_an_output_without_a_loss_is_saved_and_loaded_and_a_model_with_no_loss_at_all_is_refused(tmp_path):
    fl.set_seed(6)
    model = three_heads(keras)
    model.compile("adam", loss={"cls": None, "reg": "mse", "flag": "binary_crossentropy"},
                  metrics={"cls": "accuracy"})
    model.fit(X, TARGETS, epochs=1, verbose=0, sample_weight={"cls": WEIGHTS, "reg": WEIGHTS, "flag": 2 * WEIGHTS})
    assert model.compile_config()["outputs"]["cls"]["loss"] is None
    model.save(tmp_path / "heads.keras")
    loaded = keras.models.load_model(tmp_path / "heads.keras")
    assert loaded.compile_config() == model.compile_config()
    assert loaded.evaluate(X, BY_NAME) == model.evaluate(X, BY_NAME)
    before = model.get_weights()
    with pytest.raises(ConfigError, match=r"loss gives no output of model '.*' \('cls', 'reg', 'flag'\) a loss "
                                          r"\(each is None\), so fit would have nothing to train; give at least one "
                                          r"output a loss, e.g. loss=\{'cls': 'mse', 'reg': None, 'flag': None\}"):
        model.compile("sgd", loss=[None, None, None])
    assert model.compile_config() == loaded.compile_config()
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_targets_as_a_list_a_tuple_or_a_dict_train_alike_and_predict_gives_a_list():
    results = []
    for targets in (TARGETS, tuple(TARGETS), BY_NAME, [LABELS.reshape(-1, 1), AMOUNT.ravel(), FLAG.reshape(-1, 1)]):
        fl.set_seed(4)
        model = three_heads(keras)
        model.compile("adam", **COMPILED["dicts"])
        history = model.fit(X, targets, batch_size=8, epochs=2, validation_split=0.2, verbose=0).history
        results.append((history, model.get_weights(), model.evaluate(X, targets)))
    for history, weights, evaluated in results[1:]:
        assert history == results[0][0] and evaluated == results[0][2]
        for a, b in zip(weights, results[0][1]):
            np.testing.assert_array_equal(a, b)
    assert results[0][0]["loss"][-1] < results[0][0]["loss"][0]
    outs = model.predict(X, batch_size=7)
    assert [o.shape for o in outs] == [(50, 3), (50, 1), (50, 1)]
    np.testing.assert_allclose(outs[0].sum(1), 1.0, rtol=1e-5)


def test_one_batch_steps_and_sample_weights_weigh_every_output():
    fl.set_seed(1)
    model = three_heads(keras)
    model.compile("sgd", **COMPILED["lists"])
    plain = model.evaluate(X, TARGETS, return_dict=True)
    doubled = model.evaluate(X, TARGETS, sample_weight=np.full(50, 2.0), return_dict=True)
    for key in ("loss", "cls_loss", "reg_loss", "flag_loss"):
        np.testing.assert_allclose(doubled[key], 2 * plain[key], rtol=1e-5)
    assert doubled["reg_mae"] == pytest.approx(plain["reg_mae"])  # metrics= are never weighted, as in Keras
    step = model.train_on_batch(X, BY_NAME, return_dict=True)
    assert list(step) == list(plain)
    now = model.evaluate(X, TARGETS, batch_size=50, return_dict=True)
    np.testing.assert_allclose(model.test_on_batch(X, TARGETS), [now[key] for key in model.metrics_names], rtol=1e-6)


def test_losses_of_ones_own_and_loss_objects_per_output():
    def halved_mse(y_true, y_pred):  # one value per sample, as Keras's custom losses
        return 0.5 * keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)

    fl.set_seed(2)
    model = three_heads(keras)
    model.compile("sgd", loss=[keras.losses.SparseCategoricalCrossentropy(), halved_mse,
                               keras.losses.binary_crossentropy], metrics={"reg": [halved_mse]})
    logs = model.evaluate(X, TARGETS, sample_weight=WEIGHTS, return_dict=True)
    reg = model.predict(X)[1]
    expected = np.sum(WEIGHTS * 0.5 * ((AMOUNT - reg) ** 2).ravel()) / 50
    np.testing.assert_allclose(logs["reg_loss"], expected, rtol=1e-5)
    np.testing.assert_allclose(logs["reg_halved_mse"], np.mean(0.5 * (AMOUNT - reg) ** 2), rtol=1e-5)
    history = model.fit(X, TARGETS, epochs=2, sample_weight=WEIGHTS, verbose=0).history
    assert history["loss"][1] < history["loss"][0]


def test_callbacks_watch_one_outputs_entries():
    fl.set_seed(0)
    model = three_heads(keras)
    model.compile("sgd", **COMPILED["lists"])
    seen = []

    class Keys(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 0:
                seen.append(list(logs))

        def on_epoch_end(self, epoch, logs=None):
            seen.append(list(logs))

    stop = keras.callbacks.EarlyStopping(monitor="val_cls_accuracy", patience=2, min_delta=2.0)  # never better
    history = model.fit(X, TARGETS, epochs=10, validation_split=0.2, callbacks=[stop, Keys()], verbose=0)
    assert stop.mode == "max" and len(history.epoch) == 3  # an accuracy: better up, as Keras's mode="auto"
    assert seen[0] == ["cls_accuracy", "cls_loss", "flag_accuracy", "flag_loss", "loss", "reg_loss", "reg_mae",
                       "reg_mse"]
    assert seen[1] == list(history.history)
    with pytest.warns(RuntimeWarning, match=r"monitors 'val_reg_mea', which is not in the logs \(available: "
                                            r"cls_accuracy, cls_loss, .*val_reg_mae"):  # as for one output
        model.fit(X, TARGETS, epochs=1, validation_split=0.2, verbose=0,
                  callbacks=[keras.callbacks.EarlyStopping(monitor="val_reg_mea")])


def test_saved_and_loaded_it_is_compiled_the_same_and_resumes_training(tmp_path):
    fl.set_seed(5)
    model = three_heads(keras)
    model.compile("adam", loss={"cls": "sparse_categorical_crossentropy", "reg": keras.losses.Huber(delta=2.0),
                                "flag": "binary_crossentropy"}, loss_weights=[1.0, 0.5, 2.0],
                  metrics={"cls": ["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2)], "reg": "mae"},
                  weighted_metrics=[None, ["mse"], None])
    model.fit(X, TARGETS, epochs=2, verbose=0)
    model.save(tmp_path / "heads.keras")
    loaded = keras.models.load_model(tmp_path / "heads.keras")
    assert loaded.metrics_names == model.metrics_names
    assert loaded.compile_config() == model.compile_config()
    assert loaded.evaluate(X, TARGETS) == model.evaluate(X, TARGETS)
    for m in (model, loaded):
        m.fit(X, BY_NAME, epochs=2, verbose=0, sample_weight=WEIGHTS)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "best.keras"), monitor="val_reg_loss",
                                                 save_best_only=True)
    model.fit(X, TARGETS, epochs=2, validation_split=0.2, callbacks=[checkpoint], verbose=0)
    assert keras.models.load_model(tmp_path / "best.keras").metrics_names == model.metrics_names


def test_summary_lists_every_head_as_keras_does():
    real = real_keras()
    ours, theirs = _twins(real, three_heads)
    lines: list[str] = []
    ours.summary(print_fn=lines.append)
    rows = {line.split()[0]: line.split() for line in lines if line.startswith(" ") and "(" in line}
    for layer in theirs.layers:
        name, shape = layer.name, layer.output.shape
        assert rows[name][1] == f"({type(layer).__name__})"
        assert " ".join(rows[name][2:2 + len(shape)]) == str(tuple(shape))
        assert rows[name][2 + len(shape)] == f"{layer.count_params():,}"
    assert rows["flag"][-1] == "f1" and rows["reg"][-1] == "trunk"
    assert any(line.startswith(f"Total params: {theirs.count_params():,}") for line in lines)


# ----------------------------------------------------------------------------- wrong targets: one sentence, no change


@pytest.mark.parametrize("targets,error,message", [
    (LABELS, ConfigError, r"model '.*' has 3 outputs \('cls', 'reg', 'flag'\), but y is one ndarray; pass a list "
                          r"\[targets of 'cls', ...\] in the order of its outputs, or a dict by output name"),
    ([LABELS, AMOUNT], ConfigError, r"y is a list of 2 but model '.*' has 3 outputs \('cls', 'reg', 'flag'\); give "
                                    r"one array of targets per output, in that order, or a dict by output name"),
    ({"cls": LABELS, "reg": AMOUNT}, ConfigError, r"y has no entry for output 'flag'; model '.*' takes a dict with "
                                                  r"the targets of each output: 'cls', 'reg', 'flag'"),
    ({**BY_NAME, "amount": AMOUNT}, ConfigError, r"y has an entry 'amount', which is no output's name"),
    ([LABELS, AMOUNT[:40], FLAG], ShapeError, r"x has 50 rows but y\[1\] has 40; give one target per sample"),
    ([LABELS, np.ones((50, 2)), FLAG], ShapeError, r"the last layer 'reg' outputs 1 value\(s\) per sample, but y\[1\] "
                                                   r"has 2 per sample"),
    ([np.eye(3)[LABELS], AMOUNT, FLAG], ShapeError, r"y\[0\] has shape \(50, 3\), one-hot rows, but "
                                                    r"sparse_categorical_crossentropy needs one integer label"),
    ({**BY_NAME, "flag": FLAG * 3}, DataError, r"binary_crossentropy needs targets in \[0, 1\], but y\['flag'\] holds "
                                               r"3"),
    ([LABELS, np.where(X[:, :1] > 1, np.nan, AMOUNT), FLAG], DataError, r"y\[1\]"),
    ([LABELS + 3, AMOUNT, FLAG], DataError, r"label \d is out of range for 3 output units"),
])
def test_targets_that_do_not_fit_the_outputs_are_one_sentence_and_change_nothing(targets, error, message):
    model = three_heads(keras)
    model.compile("sgd", **COMPILED["lists"])
    before = model.get_weights()
    with pytest.raises(error, match=message):
        model.fit(X, targets, verbose=0)
    with pytest.raises(error, match=message):
        model.evaluate(X, targets)
    with pytest.raises(error):  # the same checks on the validation targets
        model.fit(X, TARGETS, verbose=0, validation_data=(X, targets))
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert model.optimizer.iterations == 0


ONES = r"e.g. sample_weight=\{'cls': np.ones\(50\), 'reg': np.ones\(50\), 'flag': np.ones\(50\)\}"


@pytest.mark.parametrize("weights,error,message", [
    ({**dict(zip(["cls", "reg", "flag"], [WEIGHTS] * 3)), "amount": WEIGHTS}, ConfigError,
     r"sample_weight has an entry 'amount', which is no output's name; model '.*' has the outputs 'cls', 'reg', "
     r"'flag', " + ONES),
    ({"cls": WEIGHTS, "flag": WEIGHTS}, ConfigError,
     r"sample_weight has no entry for output 'reg'; model '.*' has the outputs 'cls', 'reg', 'flag', and a dict for "
     r"sample_weight names each of them, " + ONES),
    ([WEIGHTS, WEIGHTS], ConfigError,
     r"sample_weight is a list of 2 but model '.*' has 3 outputs \('cls', 'reg', 'flag'\); give one entry per output, "
     r"in that order, or a dict by output name, " + ONES),
    ([WEIGHTS, WEIGHTS[:40], WEIGHTS], ShapeError, r"sample_weight\[1\] has shape \(40,\), but there are 50 samples; "
                                                   r"give one weight per row of x"),
    ({"cls": WEIGHTS, "reg": WEIGHTS, "flag": -WEIGHTS}, DataError, r"sample_weight\['flag'\] holds -\d.* at row 0; "
                                                                   r"weights must be finite numbers ≥ 0"),
])
def test_weights_per_output_that_do_not_fit_the_outputs_are_one_sentence_and_change_nothing(weights, error, message):
    model = three_heads(keras)
    model.compile("sgd", **COMPILED["weighted"])
    before = model.get_weights()
    with pytest.raises(error, match=message):
        model.fit(X, TARGETS, verbose=0, sample_weight=weights)
    with pytest.raises(error, match=message):
        model.evaluate(X, BY_NAME, sample_weight=weights)
    with pytest.raises(error, match=message.replace("sample_weight", "validation sample weights")):
        model.fit(X, TARGETS, verbose=0, validation_data=(X, TARGETS, weights))
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert model.optimizer.iterations == 0


@pytest.mark.parametrize("fit_kwargs,message", [
    (dict(class_weight={0: 1.0, 1: 2.0, 2: 1.0}), r"class_weight is for a model of one output \(as in Keras\), and "
                                                  r"model '.*' has 3; weigh the samples with sample_weight"),
    (dict(validation_data=(X, TARGETS[:2])), r"validation y is a list of 2 but model '.*' has 3 outputs"),
])
def test_class_weight_and_validation_targets_that_do_not_fit_are_one_sentence(fit_kwargs, message):
    model = three_heads(keras)
    model.compile("sgd", **COMPILED["lists"])
    before = model.get_weights()
    with pytest.raises(ConfigError, match=message):
        model.fit(X, TARGETS, verbose=0, **fit_kwargs)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@pytest.mark.parametrize("compiled,message", [
    (dict(loss=["mse", "mse"]), r"loss is a list of 2 but model '.*' has 3 outputs \('cls', 'reg', 'flag'\); give one "
                                r"entry per output, in that order, or a dict by output name"),
    (dict(loss={"cls": "mse", "reg": "mse"}), r"loss has no entry for output 'flag'; model '.*' has the outputs 'cls', "
                                              r"'reg', 'flag', and a dict for loss names each of them"),
    (dict(loss={"cls": "mse", "reg": "mse", "flag": "mse", "other": "mse"}), r"loss has an entry 'other', which is no "
                                                                             r"output's name"),
    (dict(loss={"cls": None, "reg": None, "flag": None}), r"loss gives no output of model '.*' \('cls', 'reg', "
                                                          r"'flag'\) a loss \(each is None\)"),
    (dict(loss=["mse", "mse", "nope"]), r"nope"),
    (dict(loss="mse", loss_weights=[1.0, 1.0, 1.0]), r"loss_weights weigh one loss per output, but loss='mse' is one "
                                                     r"loss for all of model '.*'s outputs"),
    (dict(loss=["mse"] * 3, loss_weights={"cls": 1.0}), r"loss_weights has no entry for output 'reg'"),
    (dict(loss=["mse"] * 3, loss_weights=[1.0, "a", 1.0]), r"loss_weights gives output 'reg' the weight 'a'; each "
                                                           r"weight must be a finite number \(1.0 or None"),
    (dict(loss=["mse"] * 3, loss_weights=0.5), r"loss_weights for model '.*', which has 3 outputs .* must be a list"),
    (dict(loss="mse", metrics=["mae"]), r"metrics is a list of 1 but model '.*' has 3 outputs"),
    (dict(loss="mse", metrics="mae"), r"metrics for model '.*', which has 3 outputs \('cls', 'reg', 'flag'\), must be "
                                      r"a list with one entry per output or a dict by output name, e.g. metrics="
                                      r"\[\['mae'\], \['mae'\], \['mae'\]\]; got str 'mae'"),
    (dict(loss="mse", weighted_metrics={"amount": "mae"}), r"weighted_metrics has an entry 'amount', which is no "
                                                           r"output's name"),
    (dict(loss="mse", metrics={"cls": keras.metrics.AUC(name="the_auc")}, weighted_metrics=None), None),
    (dict(loss="mse", metrics=[["mse"], [keras.metrics.MeanSquaredError(name="loss")], None]),
     r"two entries of model '.*'s logs would both be 'reg_loss'"),
])
def test_compile_settings_that_do_not_fit_the_outputs_are_one_sentence_and_keep_the_last_compile(compiled, message):
    model = three_heads(keras)
    model.compile("adam", **COMPILED["lists"])
    names, optimizer = model.metrics_names, model.optimizer
    if message is None:  # one metric object listed for two outputs: each needs its own state
        shared = compiled["metrics"]["cls"]
        compiled = dict(loss="mse", metrics={"cls": shared, "flag": shared})
        message = r"the metric object 'the_auc' is listed in metrics of output 'cls' and in metrics of output 'flag'"
    with pytest.raises(ConfigError, match=message):
        model.compile("sgd", **compiled)
    assert model.metrics_names == names and model.optimizer is optimizer


def test_a_model_of_one_output_is_compiled_as_before():
    x = keras.Input(shape=(8,))
    one = keras.Model(x, keras.layers.Add()([x, keras.layers.Dense(8)(x)]))
    with pytest.raises(ConfigError, match=r"compile got argument\(s\) fnlearn does not support: loss_weights"):
        one.compile("adam", "mse", loss_weights=[1.0])
    one.compile("adam", "mse", metrics=["mse", "mae"])
    assert one.metrics_names == ["loss", "mse", "mae"]  # the compiled order, not sorted
    assert list(one.fit(X, X, epochs=1, verbose=0).history) == ["loss", "mse", "mae"]


def test_outputs_given_as_a_dict_are_named_and_given_back_by_their_keys(tmp_path):
    """Keras 3's Model(x, {"priority": p, "department": d}) (the functional API guide's ticket model): the keys
    name the outputs for losses, metrics and logs, and predict and a call give a dict by them, saved and loaded
    as such."""
    real = real_keras()

    def ticket(k):
        x = k.Input(shape=(4,), name="x")
        h = k.layers.Dense(6, activation="relu", name="h")(x)
        return k.Model(x, {"priority": k.layers.Dense(1, name="pri")(h),
                           "department": k.layers.Dense(3, activation="softmax", name="dep")(h)})

    theirs, ours = ticket(real), ticket(keras)
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    got, want = ours.predict(x, verbose=0), theirs.predict(x, verbose=0)
    assert set(got) == set(want) == {"priority", "department"}
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-5, atol=1e-6)
    assert set(ours(x)) == {"priority", "department"}
    losses = {"priority": "mse", "department": "sparse_categorical_crossentropy"}
    ours.compile("sgd", losses, metrics={"department": ["accuracy"]})
    history = ours.fit(x, {"priority": np.ones((5, 1)), "department": np.zeros(5)}, verbose=0)
    assert set(history.history) == {"loss", "priority_loss", "department_loss", "department_accuracy"}
    ours.save(tmp_path / "ticket.keras")
    loaded = keras.models.load_model(tmp_path / "ticket.keras")
    assert loaded.output_names == ["department", "priority"]  # Keras 3 flattens a dict in the order of its keys
    np.testing.assert_array_equal(loaded.predict(x, verbose=0)["department"], ours.predict(x, verbose=0)["department"])
    h = keras.Input(shape=(2,))
    with pytest.raises(ConfigError, match=r"outputs= as a dict needs one distinct name \(a string\) per output"):
        keras.Model(h, {1: keras.layers.Dense(1)(h), 2: keras.layers.Dense(1)(h)})


def test_an_output_with_a_mask_of_padding_steps_takes_its_loss_over_the_real_steps():
    # as Keras, and as a model of one output: a tagger's loss beside another output's averages the real steps only
    from fnlearn import keras as fk

    rng = np.random.default_rng(3)
    words = rng.integers(1, 7, size=(10, 5))
    words[:, 3:] = 0  # padding
    tags = np.where(words != 0, 0, 1)  # the padding steps' tag costs far more than the real steps' (the bias below)
    inputs = fk.Input(shape=(5,))
    steps = fk.layers.LSTM(4, return_sequences=True)(fk.layers.Embedding(7, 3, mask_zero=True)(inputs))
    tagger = fk.layers.TimeDistributed(fk.layers.Dense(7, activation="softmax"), name="tok")(steps)
    other = fk.layers.Dense(2, name="sc")(fk.layers.Flatten()(fk.layers.Embedding(7, 2)(inputs)))
    model = fk.Model(inputs, [tagger, other])
    model.compile(optimizer="sgd", loss=["sparse_categorical_crossentropy", "mse"])
    dense = model.get_layer("tok").layer
    dense.set_weights([dense.get_weights()[0], np.array([4.0, 0, 0, 0, 0, 0, 0], "float32")])
    logs = model.evaluate(words, [tags, np.zeros((10, 2))], verbose=0, return_dict=True)
    p = model.predict(words, verbose=0)[0]
    per_step = -np.log(np.take_along_axis(p, tags[..., None], -1))[..., 0]
    assert logs["tok_loss"] == pytest.approx(per_step[words != 0].mean(), rel=1e-5)
    assert per_step.mean() > 2 * logs["tok_loss"]  # the padding steps, had they counted
