"""Steps of a model's own (fnlearn.steps): Keras's train_step / test_step / predict_step, written as Keras's
"Customizing what happens in fit()" guide writes them for its PyTorch backend, run by fit / evaluate / predict."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.callbacks import Callback
from fnlearn.errors import ConfigError, DataError
from fnlearn.steps import pack_x_y_sample_weight, unpack_x_y_sample_weight

# Keras's guide "Customizing what happens in fit() with PyTorch": its train_step (with sample weights) as written
# there, and a run() that both Keras (on PyTorch, in a subprocess) and fnlearn take
GUIDE_STEP = '''
class CustomModel(keras.Model):
    def train_step(self, data):
        if len(data) == 3:
            x, y, sample_weight = data
        else:
            sample_weight = None
            x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)
        return {m.name: m.result() for m in self.metrics}


def run(keras, arrays):
    inputs = keras.Input(shape=(6,))
    hidden = keras.layers.Dense(5, activation="tanh")(inputs)
    model = CustomModel(inputs, keras.layers.Dense(1)(hidden))
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="mse", metrics=["mae"])
    model.set_weights([arrays[f"w{i}"] for i in range(4)])
    history = model.fit(arrays["x"], arrays["y"], sample_weight=arrays["w"], batch_size=16, epochs=3, shuffle=False,
                        validation_data=(arrays["x"][:20], arrays["y"][:20]), verbose=0).history
    out = {f"after{i}": w for i, w in enumerate(model.get_weights())}
    out.update({f"log_{key}": np.array(values) for key, values in history.items()})
    out["evaluate"] = np.array(model.evaluate(arrays["x"], arrays["y"], verbose=0))
    out["predict"] = model.predict(arrays["x"][:5], verbose=0)
    return out
'''


RNG = np.random.default_rng(0)
X = RNG.random((96, 6))
Y = RNG.random((96, 1))
W = RNG.random(96)


# the guide's PyTorch step with its one torch line changed, as fnlearn's docs tell: its CustomModel and a run()
_GUIDE: dict = {"keras": keras, "np": np, "fl": fl}
exec(GUIDE_STEP.replace("torch.no_grad()", "fl.no_grad()"), _GUIDE)


class GuideModel(_GUIDE["CustomModel"]):
    """The guide's first train_step, with its sample_weight variant, and its test_step."""

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        for metric in self.metrics:
            if metric.name != "loss":
                metric.update_state(y, y_pred)
            else:
                metric.update_state(loss)
        return {m.name: m.result() for m in self.metrics}


class Plain(keras.Model):
    """A subclass built on a graph that keeps fnlearn's own steps."""


class CallsSuper(keras.Model):
    def train_step(self, data):
        self.steps_taken = getattr(self, "steps_taken", 0) + 1
        return super().train_step(data)

    def test_step(self, data):
        self.tests_taken = getattr(self, "tests_taken", 0) + 1
        return super().test_step(data)


def _model(cls, metrics=("mae",), seed=1, **compile_args):
    fl.set_seed(seed)
    inputs = keras.Input(shape=(6,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    model = cls(inputs, keras.layers.Dense(1)(hidden))
    model.compile(**{"optimizer": keras.optimizers.SGD(0.1, momentum=0.5), "loss": "mse", "metrics": list(metrics),
                     **compile_args})
    return model


def _fitted(cls, **fit_args):
    model = _model(cls)
    history = model.fit(X, Y, epochs=3, verbose=0, **fit_args)
    return model, history.history


def _same_weights(a, b, atol=0.0):
    for p, q in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(p, q, rtol=0, atol=atol)


# ----------------------------------------------------------------------------- training as fit's own step does

def test_the_guides_train_step_trains_and_logs_as_fits_own_step():
    ours, logs = _fitted(GuideModel, batch_size=32, sample_weight=W)
    plain, plain_logs = _fitted(Plain, batch_size=32, sample_weight=W)
    _same_weights(ours, plain, atol=1e-6)
    np.testing.assert_allclose(logs["loss"], plain_logs["loss"], rtol=1e-6)
    assert sorted(logs) == ["loss", "mae"]  # the compiled metrics' dict, flattened into the logs as in Keras
    assert ours.optimizer.iterations == 9 and ours.epochs_trained == 3


def test_super_train_step_is_fits_step_with_partial_batches_validation_and_shuffling():
    ours, logs = _fitted(CallsSuper, batch_size=20, validation_split=0.25)
    plain, plain_logs = _fitted(Plain, batch_size=20, validation_split=0.25)
    _same_weights(ours, plain, atol=1e-6)
    assert sorted(logs) == sorted(plain_logs) == ["loss", "mae", "val_loss", "val_mae"]
    for key in logs:
        np.testing.assert_allclose(logs[key], plain_logs[key], rtol=1e-5)
    assert ours.steps_taken == 3 * 4 and ours.tests_taken == 3 * 2  # 72 rows in batches of 20; 24 to validate
    assert ours.evaluate(X, Y) == pytest.approx(plain.evaluate(X, Y), rel=1e-5)


def test_compute_loss_and_metrics_of_a_model_of_several_outputs_pack_them_as_fit_does():
    def make(cls):
        fl.set_seed(0)
        x = keras.Input(shape=(6,))
        h = keras.layers.Dense(8, activation="relu")(x)
        model = cls(x, {"cls": keras.layers.Dense(3, activation="softmax")(h), "reg": keras.layers.Dense(1)(h)})
        model.compile(keras.optimizers.SGD(0.1), loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                      loss_weights=[1.0, 0.5], metrics={"cls": "accuracy", "reg": ["mae"]})
        return model

    labels = RNG.integers(0, 3, 96)
    targets = {"cls": labels, "reg": Y[:, 0]}
    ours = make(CallsSuper)  # each fit right after its model: the shuffle's seed is drawn at the first fit
    logs = ours.fit(X, targets, batch_size=16, epochs=2, verbose=0).history
    plain = make(Plain)
    plain_logs = plain.fit(X, targets, batch_size=16, epochs=2, verbose=0).history
    _same_weights(ours, plain, atol=1e-6)
    assert list(logs) == list(plain_logs) == ["cls_accuracy", "cls_loss", "loss", "reg_loss", "reg_mae"]
    for key in logs:
        np.testing.assert_allclose(logs[key], plain_logs[key], rtol=1e-5)


def test_a_steps_data_is_x_alone_or_a_tuple_of_tensors_in_the_form_given():
    seen = []

    class Records(keras.Model):
        def train_step(self, data):
            seen.append(data)
            return {}

    fl.set_seed(0)
    a, b = keras.Input(shape=(2,), name="a"), keras.Input(shape=(3,), name="b")
    model = Records([a, b], keras.layers.Dense(1)(keras.layers.Concatenate()([a, b])))
    model.compile(optimizer="sgd")  # no loss: the step computes its own
    xa, xb, labels = np.ones((5, 2)), np.zeros((5, 3)), np.arange(5)
    model.fit([xa, xb], labels, batch_size=4, shuffle=False, verbose=0, class_weight={0: 2.0, 1: 1.0, 2: 1.0,
                                                                                       3: 1.0, 4: 3.0})
    (x, y, w), second = seen[0], seen[1]
    assert isinstance(x, list) and [part.shape for part in x] == [(4, 2), (4, 3)]
    assert all(isinstance(part, fl.Tensor) and part.dtype == np.float32 for part in x)  # float64 cast, as Keras
    assert y.dtype.kind == "i" and y.data.tolist() == [0, 1, 2, 3]  # integer labels stay integer
    assert w.data.tolist() == [2.0, 1.0, 1.0, 1.0] and second[2].data.tolist() == [3.0]
    seen.clear()
    model.fit({"a": xa, "b": xb}, verbose=0, batch_size=5)  # no targets: data is x alone, a dict kept a dict
    assert isinstance(seen[0], dict) and sorted(seen[0]) == ["a", "b"]


def test_a_gan_with_two_optimizers_trains_on_a_dataset_of_x_alone():
    latent = 4
    fl.set_seed(3)
    discriminator = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(8),
                                      keras.layers.LeakyReLU(negative_slope=0.2), keras.layers.Dense(1)])
    generator = keras.Sequential([keras.Input(shape=(latent,)), keras.layers.Dense(8),
                                  keras.layers.LeakyReLU(negative_slope=0.2), keras.layers.Dense(6)])

    class GAN(keras.Model):  # the guide's GAN (its torch lines written with keras.ops and fl.no_grad)
        def __init__(self, discriminator, generator, latent_dim):
            super().__init__()
            self.discriminator = discriminator
            self.generator = generator
            self.latent_dim = latent_dim
            self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
            self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
            self.seed_generator = keras.random.SeedGenerator(1337)
            self.built = True

        @property
        def metrics(self):
            return [self.d_loss_tracker, self.g_loss_tracker]

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

        def train_step(self, real):
            if isinstance(real, (tuple, list)):
                real = real[0]
            batch_size = real.shape[0]
            noise = keras.random.normal(shape=(batch_size, self.latent_dim), seed=self.seed_generator)
            combined = keras.ops.concatenate([self.generator(noise), real], axis=0)
            labels = keras.ops.concatenate([keras.ops.ones((batch_size, 1)), keras.ops.zeros((batch_size, 1))], axis=0)
            self.zero_grad()
            d_loss = self.loss_fn(labels, self.discriminator(combined))
            d_loss.backward()
            with fl.no_grad():
                self.d_optimizer.apply([v.value.grad for v in self.discriminator.trainable_weights],
                                       self.discriminator.trainable_weights)
            noise = keras.random.normal(shape=(batch_size, self.latent_dim), seed=self.seed_generator)
            self.zero_grad()
            g_loss = self.loss_fn(keras.ops.zeros((batch_size, 1)), self.discriminator(self.generator(noise)))
            g_loss.backward()
            with fl.no_grad():
                self.g_optimizer.apply([v.value.grad for v in self.generator.trainable_weights],
                                       self.generator.trainable_weights)
            self.d_loss_tracker.update_state(d_loss)
            self.g_loss_tracker.update_state(g_loss)
            return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}

    gan = GAN(discriminator, generator, latent)
    gan.compile(keras.optimizers.Adam(3e-4), keras.optimizers.Adam(3e-4), keras.losses.BinaryCrossentropy(
        from_logits=True))
    before = {"d": discriminator.get_weights(), "g": generator.get_weights()}
    dataset = fl.data.Dataset.from_tensor_slices(RNG.random((64, 6)).astype("float32")).batch(16)
    history = gan.fit(dataset, epochs=2, verbose=0).history
    assert sorted(history) == ["d_loss", "g_loss"] and len(history["d_loss"]) == 2
    assert gan.d_loss_tracker.count.numpy() == 4  # reset at each epoch: the second epoch's 4 batches
    for part, model in (("d", discriminator), ("g", generator)):
        assert all(not np.array_equal(a, b) for a, b in zip(before[part], model.get_weights()))
    assert gan.d_optimizer.iterations == gan.g_optimizer.iterations == 8


def test_metrics_held_as_attributes_are_in_model_metrics_and_reset_every_epoch():
    class LowLevel(keras.Model):  # the guide's lower-level example: its own loss, tracker and metric
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = keras.losses.MeanSquaredError()

        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
            loss.backward()
            self.optimizer.apply([v.grad for v in self.trainable_weights], self.trainable_weights)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    fl.set_seed(0)
    inputs = keras.Input(shape=(6,))
    model = LowLevel(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer="adam")  # compile keeps the class's own loss_fn
    assert isinstance(model.loss_fn, keras.losses.MeanSquaredError)
    assert [m.name for m in model.metrics] == ["loss", "loss", "mae"]  # the tracker compile made, then its own
    history = model.fit(X, Y, batch_size=32, epochs=2, verbose=0).history
    assert model.loss_tracker.count.numpy() == 3 and model.mae_metric.result() == pytest.approx(history["mae"][-1])
    assert isinstance(model, LowLevel) and model.name == "low_level" and repr(model) == "LowLevel(name='low_level')"


def test_model_metrics_compute_metrics_and_reset_metrics_of_a_compiled_model():
    model = _model(Plain, metrics=("mae", "mse"))
    tracker, compiled = model.metrics
    assert (tracker.name, compiled.name) == ("loss", "compile_metrics")
    y_pred = model(X)
    logs = model.compute_metrics(X, Y, y_pred)
    expected = np.abs(y_pred.numpy() - Y).mean()
    assert sorted(logs) == ["loss", "mae", "mse"] and logs["mae"] == pytest.approx(expected, rel=1e-5)
    loss = model.compute_loss(y=Y, y_pred=y_pred)
    assert float(loss) == pytest.approx(((y_pred.numpy() - Y) ** 2).mean(), rel=1e-5) and loss.requires_grad
    model.reset_metrics()
    assert model.get_metrics_result() == {"loss": 0.0, "mae": 0.0, "mse": 0.0}


def test_compute_loss_adds_the_added_losses_and_the_weight_penalties():
    fl.set_seed(0)
    inputs = keras.Input(shape=(6,))
    model = Plain(inputs, keras.layers.Dense(1, kernel_regularizer=keras.regularizers.L2(0.1))(inputs))
    model.compile("sgd", "mse")
    y_pred = model(X)
    penalty = 0.1 * (model.get_weights()[0] ** 2).sum()
    mse = ((y_pred.numpy() - Y) ** 2).mean()
    assert float(model.compute_loss(y=Y, y_pred=y_pred)) == pytest.approx(mse + penalty, rel=1e-5)
    assert model.evaluate(X, Y) == pytest.approx(mse + penalty, rel=1e-5)  # what fit minimises, as evaluate says


# ----------------------------------------------------------------------------- evaluate and predict by own steps

def test_evaluate_and_validation_run_the_test_step_and_order_the_list_as_keras():
    calls = []

    class OwnTest(keras.Model):
        def test_step(self, data):
            calls.append(data if not isinstance(data, tuple) else len(data))
            x = data[0] if isinstance(data, tuple) else data
            y_pred = self(x, training=False)
            self.spread.update_state(keras.ops.std(y_pred))
            return {"spread": self.spread.result(), "zeta": 1.0}

    fl.set_seed(0)
    inputs = keras.Input(shape=(6,))
    model = OwnTest(inputs, keras.layers.Dense(2)(inputs))
    model.spread = keras.metrics.Mean(name="spread")
    model.compile("sgd", "mse")
    assert model.evaluate(X[:10], Y[:10].repeat(2, 1), batch_size=4) == [pytest.approx(
        model.spread.result()), 1.0]
    assert calls == [2, 2, 2]
    model.evaluate(X[:10], batch_size=10)  # no targets: its test_step gets x alone
    assert isinstance(calls[-1], fl.Tensor)
    history = model.fit(X, Y.repeat(2, 1), epochs=1, verbose=0, validation_data=(X[:8], Y[:8].repeat(2, 1)))
    # the default train_step logs every metric the model holds (spread, never updated in training), as Keras's does
    assert sorted(history.history) == ["loss", "spread", "val_spread", "val_zeta"]


def test_predict_step_outputs_are_joined_in_their_own_form():
    class TwoViews(keras.Model):
        def predict_step(self, data):
            out = self(data, training=False)
            return {"scores": out, "labels": keras.ops.argmax(out, axis=-1)}

    fl.set_seed(0)
    inputs = keras.Input(shape=(6,))
    model = TwoViews(inputs, keras.layers.Dense(3)(inputs))
    got = model.predict(X, batch_size=40)
    assert got["scores"].shape == (96, 3) and got["labels"].shape == (96,)
    np.testing.assert_array_equal(got["labels"], got["scores"].argmax(-1))
    dataset = fl.data.Dataset.from_tensor_slices(X).batch(50)
    np.testing.assert_allclose(model.predict(dataset)["scores"], got["scores"], rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------------------------- logs, callbacks, stopping

def test_callbacks_get_each_steps_logs_and_can_stop_training():
    class Stop(Callback):
        def __init__(self):
            super().__init__()
            self.batches = []

        def on_train_batch_end(self, batch, logs=None):
            self.batches.append(dict(logs))
            if batch == 1:
                self.model.stop_training = True

    model = _model(CallsSuper)
    stop = Stop()
    history = model.fit(X, Y, batch_size=16, epochs=5, verbose=0, callbacks=[stop])
    assert len(stop.batches) == 2 and sorted(stop.batches[0]) == ["loss", "mae"]
    assert len(history.history["loss"]) == 1 and history.history["loss"][0] == stop.batches[-1]["loss"]


def test_a_non_finite_loss_from_the_step_stops_fit_with_a_warning():
    class Diverges(keras.Model):
        def train_step(self, data):
            self.taken = getattr(self, "taken", 0) + 1
            return {"d_loss": float("nan") if self.taken == 3 else 1.0}

    model = _model(Diverges)
    with pytest.warns(RuntimeWarning, match=r"train_step returned d_loss=nan in epoch 1, batch 3, so training stopped; "
                                            r"train_step had already taken its step"):
        history = model.fit(X, Y, batch_size=16, epochs=2, verbose=0)
    assert model.taken == 3 and list(history.history) == ["d_loss"] and np.isnan(history.history["d_loss"][0])
    model.taken = 0
    history = model.fit(X, Y, batch_size=16, epochs=1, verbose=0, terminate_on_nan=False)
    assert model.taken == 6 and history.history == {"d_loss": [1.0]}  # went on; the last step's logs, as Keras's


def test_steps_per_epoch_reads_on_across_epochs_for_an_own_step():
    seen = []

    class Counts(keras.Model):
        def train_step(self, data):
            seen.append(data[0].shape[0])
            return {}

    model = _model(Counts)
    with pytest.warns(UserWarning, match="ran out of batches"):  # a pass is 40 + 40 + 16
        model.fit(X, Y, batch_size=40, steps_per_epoch=2, epochs=3, verbose=0)
    assert seen == [40, 40, 16, 40, 40]


# ----------------------------------------------------------------------------- bad input, one sentence each

def test_steps_returning_no_dict_or_no_number_are_named():
    class Lists(keras.Model):
        def train_step(self, data):
            return [1.0]

    class Words(keras.Model):
        def train_step(self, data):
            return {"note": "fine"}

    with pytest.raises(ConfigError, match=r"train_step returned list, but it must return a dict of the values to log"):
        _model(Lists).fit(X, Y, verbose=0)
    with pytest.raises(ConfigError, match=r"train_step returned 'note': 'fine', which is no number"):
        _model(Words).fit(X, Y, verbose=0)


def test_data_are_checked_before_the_first_step():
    model = _model(GuideModel)
    bad = X.copy()
    bad[5, 2] = np.nan
    before = model.get_weights()
    with pytest.raises(DataError, match=r"x contains nan at row 5, column 2"):
        model.fit(bad, Y, verbose=0)
    with pytest.raises(Exception, match=r"rows"):
        model.fit(X, Y[:10], verbose=0)
    _same_weights(model, _model(GuideModel))
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    with pytest.raises(ConfigError, match=r"trains by its own train_step, which trace cannot follow"):
        model.fit(X, Y, verbose=0, trace=[])


def test_a_model_compiled_without_a_loss_says_where_the_loss_must_come_from():
    class NoLoss(keras.Model):
        def train_step(self, data):
            return super().train_step(data)

    model = _model(NoLoss, metrics=(), loss=None)
    with pytest.raises(ConfigError, match=r"compute_loss has no loss to compute: the model was compiled without one"):
        model.fit(X, Y, verbose=0)
    with pytest.raises(ConfigError, match=r"evaluate computes the compiled loss, but NoLoss was compiled without one"):
        model.evaluate(X, Y)
    with pytest.raises(ConfigError, match=r"compile needs a loss"):  # fit's own step needs one: refused at compile
        _model(Plain, loss=None)


def test_pack_and_unpack_follow_keras():
    assert unpack_x_y_sample_weight((1, 2, 3)) == (1, 2, 3) and unpack_x_y_sample_weight((1,)) == (1, None, None)
    assert pack_x_y_sample_weight((1, 2)) == ((1, 2),) and pack_x_y_sample_weight(1, 2, 3) == (1, 2, 3)
    assert keras.utils.unpack_x_y_sample_weight is unpack_x_y_sample_weight
    with pytest.raises(DataError, match=r"a step's data is a tuple of 4 items"):
        unpack_x_y_sample_weight((1, 2, 3, 4))
    weight = fl.Parameter(np.ones(2))
    assert weight.value is weight


# ----------------------------------------------------------------------------- against Keras's PyTorch backend


@pytest.mark.keras_backend("torch")  # the guide's step is written for Keras on PyTorch
def test_the_guides_pytorch_train_step_trains_as_keras_pytorch_backend_runs_it():
    """The guide's step (sample weights, metrics loop) on Keras 3 with PyTorch, and in fnlearn with only its torch line
    changed: the same weights, logs, evaluation and predictions."""
    real = real_keras()
    import torch

    rng = np.random.default_rng(5)
    arrays = {"x": rng.normal(size=(40, 6)).astype("float32"), "y": rng.normal(size=(40, 1)).astype("float32"),
              "w": rng.random(40).astype("float32"), "w0": rng.normal(size=(6, 5)).astype("float32") * 0.5,
              "w1": rng.normal(size=5).astype("float32") * 0.1, "w2": rng.normal(size=(5, 1)).astype("float32"),
              "w3": np.zeros(1, "float32")}
    guide: dict = {"keras": real, "np": np, "torch": torch}
    exec(GUIDE_STEP, guide)
    theirs = guide["run"](real, arrays)
    ours = _GUIDE["run"](keras, arrays)
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=2e-5, atol=2e-6, err_msg=key)


def test_super_steps_update_kerass_trackers_whatever_metrics_a_class_lists():
    class OwnList(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.calls = keras.metrics.Sum(name="calls")

        @property
        def metrics(self):  # its own list, first: super().train_step must not take it for the loss tracker
            return [self.calls, *super().metrics]

        def train_step(self, data):
            self.calls.update_state(1.0)
            return super().train_step(data)

    ours, logs = _fitted(OwnList, batch_size=32)
    plain, plain_logs = _fitted(Plain, batch_size=32)
    _same_weights(ours, plain, atol=1e-6)
    np.testing.assert_allclose(logs["loss"], plain_logs["loss"], rtol=1e-6)
    assert logs["calls"] == [3.0, 3.0, 3.0]  # reset every epoch, as a metric the model lists
