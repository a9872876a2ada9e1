"""keras.utils.PyDataset (and its older name Sequence): batches made by Python code, read by fit, evaluate and
predict one pass at a time, with on_epoch_begin / on_epoch_end around each pass, as Keras 3 reads them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn import errors, keras


def _data(rows: int = 22, features: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32") + 0.3).astype("float32")
    weights = rng.uniform(0.5, 2.0, size=rows).astype("float32")
    return x, y, weights


def _batches_class(base: type) -> type:
    """A PyDataset of (x, y) or (x, y, w) batches over arrays, recording every call, on ``base`` (fnlearn's or
    Keras's class)."""

    class Rows(base):
        def __init__(self, x, y=None, w=None, batch_size=4, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.w, self.batch_size = x, y, w, batch_size
            self.log: list = []

        def __len__(self):
            return math.ceil(len(self.x) / self.batch_size)

        def __getitem__(self, index):
            self.log.append(index)
            rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
            if self.y is None:
                return self.x[rows]
            if self.w is None:
                return self.x[rows], self.y[rows]
            return self.x[rows], self.y[rows], self.w[rows]

        def on_epoch_begin(self):
            self.log.append("begin")

        def on_epoch_end(self):
            self.log.append("end")

    return Rows


Rows = _batches_class(keras.utils.PyDataset)


def _model(seed: int = 0, optimizer: str = "sgd") -> keras.Sequential:
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(5, activation="tanh"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    return model


def _passes(log: list) -> list[list[int]]:
    """The batch indices read in each pass (each between a "begin" and its "end")."""
    passes, current = [], None
    for item in log:
        if item == "begin":
            assert current is None, f"on_epoch_begin twice without on_epoch_end: {log}"
            current = []
        elif item == "end":
            assert current is not None, f"on_epoch_end without on_epoch_begin: {log}"
            passes.append(current)
            current = None
        else:
            assert current is not None, f"batch {item} read outside a pass: {log}"
            current.append(item)
    assert current is None, f"a pass that never ended: {log}"
    return passes


# --------------------------------------------------------------------------- training


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("weighted", [False, True])
def test_fit_trains_to_the_weights_of_the_same_batches_as_arrays(optimizer, weighted):
    x, y, w = _data()
    by_arrays, by_dataset = _model(optimizer=optimizer), _model(optimizer=optimizer)
    assert all(np.array_equal(a, b) for a, b in zip(by_arrays.get_weights(), by_dataset.get_weights()))
    sample_weight = w if weighted else None
    expected = by_arrays.fit(x, y, batch_size=4, epochs=3, shuffle=False, sample_weight=sample_weight, verbose=0)
    got = by_dataset.fit(Rows(x, y, sample_weight), epochs=3, shuffle=False, verbose=0)
    for a, b in zip(by_arrays.get_weights(), by_dataset.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
    assert sorted(got.history) == sorted(expected.history) == ["loss", "mae"]
    np.testing.assert_allclose(got.history["loss"], expected.history["loss"], rtol=1e-6)


def test_one_pass_per_epoch_in_index_order_with_the_hooks_around_it():
    x, y, _ = _data()
    train, val = Rows(x, y), Rows(x[:10], y[:10], batch_size=3)
    history = _model().fit(train, epochs=3, validation_data=val, shuffle=False, verbose=0)
    assert _passes(train.log) == [list(range(6))] * 3
    assert train.log.count("end") == 3 and train.log.count("begin") == 3
    assert _passes(val.log) == [list(range(4))] * 3  # validated once per epoch, never shuffled
    assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"]


def test_shuffle_reorders_the_batches_every_epoch_as_keras_does():
    x, y, _ = _data(rows=40)
    fl.set_seed(3)
    first = Rows(x, y)
    _model().fit(first, epochs=4, verbose=0)  # shuffle=True, fit's default
    orders = _passes(first.log)
    assert len(orders) == 4 and all(sorted(order) == list(range(10)) for order in orders)
    assert len({tuple(order) for order in orders}) > 1
    fl.set_seed(3)
    second = Rows(x, y)
    _model().fit(second, epochs=4, verbose=0)
    assert _passes(second.log) == orders  # fl.set_seed makes the orders repeatable


def test_evaluate_and_predict_read_one_pass_and_agree_with_arrays():
    x, y, w = _data()
    model = _model()
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    data = Rows(x, y)
    assert model.evaluate(data, return_dict=True) == pytest.approx(
        model.evaluate(x, y, batch_size=4, return_dict=True), rel=1e-6)
    assert _passes(data.log) == [list(range(6))]
    weighted = Rows(x, y, w)
    assert model.evaluate(weighted) == pytest.approx(model.evaluate(x, y, batch_size=4, sample_weight=w), rel=1e-6)
    inputs = Rows(x)  # batches of x alone
    predicted = model.predict(inputs)
    assert predicted.shape == (22, 1) and _passes(inputs.log) == [list(range(6))]
    np.testing.assert_allclose(predicted, model.predict(x), rtol=1e-6)
    assert model.predict(Rows(x, y)).shape == (22, 1)  # (x, y) batches: the outputs for x, as in Keras


def test_on_epoch_end_may_change_the_data_for_the_next_epoch():
    class Reversing(Rows):
        def on_epoch_end(self):
            super().on_epoch_end()
            self.x, self.y = self.x[::-1], self.y[::-1]

    x, y, _ = _data()
    data = Reversing(x, y)
    by_arrays, by_dataset = _model(), _model()
    by_dataset.fit(data, epochs=2, shuffle=False, verbose=0)
    by_arrays.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    by_arrays.fit(x[::-1], y[::-1], batch_size=4, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(by_arrays.get_weights(), by_dataset.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)


def test_an_endless_dataset_needs_steps_per_epoch():
    x, y, _ = _data()

    class Endless(Rows):
        @property
        def num_batches(self):
            return None

        def __getitem__(self, index):
            return super().__getitem__(index % 6)

    model = _model()
    with pytest.raises(errors.ConfigError, match="steps_per_epoch"):
        model.fit(Endless(x, y), epochs=1, verbose=0)
    data = Endless(x, y)
    history = model.fit(data, epochs=2, steps_per_epoch=4, verbose=0)
    assert len(history.history["loss"]) == 2 and data.log == ["begin", *range(6), 0, 1]  # one pass, never ended


def test_iterating_by_hand_gives_the_batches_without_the_hooks():
    x, y, _ = _data()
    data = Rows(x, y)
    batches = list(data)
    assert len(batches) == 6 == data.num_batches and batches[-1][0].shape == (2, 3)
    assert data.log == list(range(6))


# --------------------------------------------------------------------------- the class itself


def test_the_names_and_the_constructor():
    from fnlearn.compat import tensorflow as tf

    assert keras.utils.Sequence is keras.utils.PyDataset
    assert tf.keras.utils.PyDataset is keras.utils.PyDataset and tf.keras.utils.Sequence is keras.utils.PyDataset
    x, y, _ = _data()
    data = Rows(x, y, workers=4, use_multiprocessing=True, max_queue_size=3)
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (4, True, 3)
    assert (Rows(x, y).workers, Rows(x, y).use_multiprocessing, Rows(x, y).max_queue_size) == (1, False, 10)
    _model().fit(data, epochs=1, verbose=0)  # the batches are made in this thread, whatever workers says
    assert _passes(data.log)[0] != []


def test_a_subclass_that_skips_super_init_still_works():
    x, y, _ = _data()

    class NoSuper(keras.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, index):
            return x[index * 4:(index + 1) * 4], y[index * 4:(index + 1) * 4]

    data = NoSuper()
    assert data.workers == 1
    assert len(_model().fit(data, epochs=2, verbose=0).history["loss"]) == 2


@pytest.mark.parametrize("kwargs, words", [
    ({"workers": -1}, "workers must be a whole number"),
    ({"workers": 1.5}, "workers must be a whole number"),
    ({"use_multiprocessing": "yes"}, "use_multiprocessing must be True or False"),
    ({"max_queue_size": 0}, "max_queue_size must be a whole number ≥ 1"),
])
def test_bad_constructor_arguments(kwargs, words):
    with pytest.raises(errors.ConfigError, match=words):
        Rows(np.zeros((4, 3)), np.zeros((4, 1)), **kwargs)


def test_an_empty_or_badly_sized_dataset_is_refused_in_one_sentence():
    model = _model()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(errors.DataError, match="gives no batches"):
        model.fit(Rows(np.zeros((0, 3), "float32"), np.zeros((0, 1), "float32")), verbose=0)

    class FloatLength(Rows):
        def __len__(self):
            return 2.5

    with pytest.raises(errors.DataError, match=r"FloatLength.__len__ must give the number of batches") as info:
        model.fit(FloatLength(np.zeros((4, 3)), np.zeros((4, 1))), verbose=0)
    assert "\n" not in str(info.value)

    class NoItems(keras.utils.PyDataset):
        def __len__(self):
            return 1

    with pytest.raises(NotImplementedError, match="NoItems defines no __getitem__"):
        model.predict(NoItems())
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_refused_with_y_or_batch_size_as_other_datasets_are():
    x, y, _ = _data()
    with pytest.raises(errors.ConfigError, match="x is a dataset"):
        _model().fit(Rows(x, y), y, verbose=0)
    with pytest.raises(errors.ConfigError, match="batch_size"):
        _model().fit(Rows(x, y), batch_size=4, verbose=0)


# --------------------------------------------------------------------------- the same as Keras 3


def test_fit_evaluate_predict_as_keras():
    real = real_keras()
    x, y, _ = _data()
    TheirRows = _batches_class(real.utils.PyDataset)
    theirs = real.Sequential([real.Input(shape=(3,)), real.layers.Dense(5, activation="tanh"), real.layers.Dense(1)])
    ours = _model()
    ours.set_weights(theirs.get_weights())
    theirs.compile(optimizer=real.optimizers.SGD(0.01), loss="mse", metrics=["mae"])
    ours.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse", metrics=["mae"])
    their_data, their_val = TheirRows(x, y), TheirRows(x[:10], y[:10], batch_size=3)
    our_data, our_val = Rows(x, y), Rows(x[:10], y[:10], batch_size=3)
    their_history = theirs.fit(their_data, epochs=3, validation_data=their_val, shuffle=False, verbose=0)
    our_history = ours.fit(our_data, epochs=3, validation_data=our_val, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert sorted(our_history.history) == sorted(their_history.history)
    for key in their_history.history:
        np.testing.assert_allclose(our_history.history[key], their_history.history[key], rtol=1e-5, atol=1e-6)
    # the batches each read, in order; Keras also reads one batch ahead to build its step and calls
    # on_epoch_end once more when it resets, so the indices are compared, not the hooks' counts
    training = [i for i in their_data.log if i not in ("begin", "end")]
    assert [i for i in our_data.log if i not in ("begin", "end")] == training[-18:] == list(range(6)) * 3
    assert _passes(our_val.log) == [list(range(4))] * 3
    assert ours.evaluate(Rows(x, y)) == pytest.approx(theirs.evaluate(TheirRows(x, y), verbose=0), rel=1e-5)
    their_out, our_out = theirs.predict(TheirRows(x), verbose=0), ours.predict(Rows(x))
    assert our_out.shape == their_out.shape == (22, 1)
    np.testing.assert_allclose(our_out, their_out, rtol=1e-5, atol=1e-6)


def _keras_passes(log: list) -> list[list[int]]:
    """The indices read between each on_epoch_begin and the next on_epoch_end in Keras's log (Keras also calls
    on_epoch_end alone when it resets its iterator)."""
    passes, current = [], None
    for item in log:
        if item == "begin":
            current = []
        elif item == "end":
            if current is not None:
                passes.append(current)
            current = None
        elif current is not None:
            current.append(item)
    return passes


def test_shuffled_fit_reads_every_batch_once_per_epoch_as_keras():
    real = real_keras()
    x, y, _ = _data(rows=40)
    TheirRows = _batches_class(real.utils.PyDataset)
    theirs = real.Sequential([real.Input(shape=(3,)), real.layers.Dense(1)])
    theirs.compile(optimizer="sgd", loss="mse")
    their_data, our_data = TheirRows(x, y), Rows(x, y)
    theirs.fit(their_data, epochs=3, verbose=0)
    _model().fit(our_data, epochs=3, verbose=0)
    # Keras may first read a batch to build its step, in a pass of its own; its last three passes are the epochs
    for passes in (_keras_passes(their_data.log)[-3:], _passes(our_data.log)):
        assert len(passes) == 3 and all(sorted(p) == list(range(10)) for p in passes)
        assert len({tuple(p) for p in passes}) > 1
