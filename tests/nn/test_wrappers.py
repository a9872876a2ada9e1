"""TimeDistributed and RepeatVector: Keras's numbers from Keras's weights, gradients, masks, saving, errors."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import io, keras
from fnlearn.errors import ConfigError, ModelFileError, ShapeError

RNG = np.random.default_rng(11)


def _float(shape: tuple[int, ...]) -> np.ndarray:
    return RNG.normal(size=shape).astype(np.float32)


# ------------------------------------------------------------------------------------------- Keras parity


def test_time_distributed_dense_trains_as_keras():
    real = real_keras()
    x, y = _float((16, 5, 4)), _float((16, 5, 3))

    def tagger(library):
        return library.Sequential([library.Input(shape=(5, 4)),
                                   library.layers.TimeDistributed(library.layers.Dense(6, activation="tanh")),
                                   library.layers.TimeDistributed(library.layers.Dense(3))])

    theirs, ours = tagger(real), tagger(keras)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    assert [w.path.rpartition("/")[2] for w in theirs.weights] == \
        [name.rpartition(".")[2] for name, _ in ours.named_parameters()]  # kernel, bias, kernel, bias
    assert_trains_as_keras(real, theirs, ours, x, y, "mse", 0.1, batch_size=4)


def test_time_distributed_conv2d_on_video_frames_trains_as_keras():
    real = real_keras()
    x, y = _float((8, 3, 7, 7, 2)), _float((8, 2))

    def video(library):
        return library.Sequential([library.Input(shape=(3, 7, 7, 2)),
                                   library.layers.TimeDistributed(library.layers.Conv2D(4, 3, activation="relu")),
                                   library.layers.TimeDistributed(library.layers.GlobalAveragePooling2D()),
                                   library.layers.GlobalAveragePooling1D(),
                                   library.layers.Dense(2)])

    theirs, ours = video(real), video(keras)
    assert ours.layers[0](np.ones((2, 3, 7, 7, 2))).shape == (2, 3, 5, 5, 4)
    assert_trains_as_keras(real, theirs, ours, x, y, "mse", 0.05, batch_size=4, rtol=1e-4, atol=1e-5)


def _addition_rnn(library, chars: int = 12, maxlen: int = 7, digits: int = 3):
    """keras.io's addition RNN: an LSTM encoder, its vector repeated for each answer digit, an LSTM decoder."""
    return library.Sequential([library.Input(shape=(maxlen, chars)),
                               library.layers.LSTM(8),
                               library.layers.RepeatVector(digits + 1),
                               library.layers.LSTM(8, return_sequences=True),
                               library.layers.TimeDistributed(library.layers.Dense(chars, activation="softmax"))])


def _addition_data(n: int = 16) -> tuple[np.ndarray, np.ndarray]:
    x = np.eye(12, dtype=np.float32)[RNG.integers(0, 12, (n, 7))]
    y = np.eye(12, dtype=np.float32)[RNG.integers(0, 12, (n, 4))]
    return x, y


def test_the_addition_rnn_with_repeat_vector_trains_as_keras():
    real = real_keras()
    x, y = _addition_data()
    theirs, ours = _addition_rnn(real), _addition_rnn(keras)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    assert_trains_as_keras(real, theirs, ours, x, y, "categorical_crossentropy", 0.5, batch_size=4, rtol=1e-4,
                           atol=1e-5)


def test_a_mask_passes_through_time_distributed_as_in_keras():
    real = real_keras()
    x = _float((6, 5, 3))
    x[:3, 3:] = 0.0  # padding steps at the end of half the sequences

    def masked(library, steps=5):
        return library.Sequential([library.Input(shape=(steps, 3)), library.layers.Masking(0.0),
                                   library.layers.TimeDistributed(library.layers.Dense(4, activation="relu")),
                                   library.layers.LSTM(3), library.layers.Dense(1)])

    theirs, ours = masked(real), masked(keras)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    out = ours.layers[1](ours.layers[0](x))
    np.testing.assert_array_equal(fl.backend.to_numpy(out._mask), (x != 0).any(axis=-1))
    # the padding steps change nothing: the padded sequences give what they give cut to their 3 steps
    short = masked(keras, steps=None)  # the same model, for sequences of any length
    short.set_weights(theirs.get_weights())
    np.testing.assert_allclose(short.predict(x[:3, :3], verbose=0), ours.predict(x[:3], verbose=0), rtol=1e-5,
                               atol=1e-6)


# ------------------------------------------------------------------------------------------- values and gradients


def test_every_step_goes_through_the_same_layer():
    dense = fl.layers.Dense(3, activation="sigmoid")
    x = _float((4, 6, 5))
    out = fl.layers.TimeDistributed(dense)(x).numpy()
    for t in range(6):
        np.testing.assert_allclose(out[:, t], dense(x[:, t]).numpy(), rtol=1e-6, atol=1e-7)
    repeated = fl.layers.RepeatVector(3)(x[:, 0]).numpy()
    assert repeated.shape == (4, 3, 5) and all((repeated[:, k] == x[:, 0]).all() for k in range(3))


def _numeric(loss, array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    grad = np.zeros(array.shape)
    for i in np.ndindex(array.shape):
        keep = array[i].copy()  # on CuPy a 0-d view, which the next line would change
        array[i] = keep + eps
        up = loss()
        array[i] = keep - eps
        down = loss()
        array[i] = keep
        grad[i] = (up - down) / (2 * eps)
    return grad


@pytest.mark.parametrize("make, shape", [
    (lambda: fl.layers.Dense(3, activation="tanh"), (2, 4, 5)),
    (lambda: fl.layers.Conv2D(2, 2, activation="sigmoid"), (2, 3, 4, 4, 2)),
])
def test_time_distributed_gradients_match_central_differences(float64, make, shape):
    wrapped = fl.layers.TimeDistributed(make())
    x = RNG.normal(size=shape)
    wrapped.build_for(shape[1:])
    weights = fl.tensor(RNG.normal(size=wrapped.output_shape_for(shape[1:])))  # a loss that weighs every output
    assert fl.gradcheck(lambda t: wrapped(t) * weights, [x], atol=1e-7, rtol=1e-6)
    for _, param in wrapped.named_parameters():
        param.grad = None
    (wrapped(x) * weights).sum().backward()
    for _, param in wrapped.named_parameters():
        numeric = _numeric(lambda: float((wrapped(x) * weights).sum().numpy()), param.data)
        np.testing.assert_allclose(fl.backend.to_numpy(param.grad), numeric, rtol=1e-6, atol=1e-7)


def test_repeat_vector_gradient_sums_the_copies(float64):
    x = RNG.normal(size=(3, 4))
    weights = fl.tensor(RNG.normal(size=(3, 5, 4)))
    assert fl.gradcheck(lambda t: fl.layers.RepeatVector(5)(t) * weights, [x], atol=1e-7, rtol=1e-6)
    t = fl.tensor(x, requires_grad=True)
    (fl.layers.RepeatVector(5)(t) * weights).sum().backward()
    np.testing.assert_allclose(fl.backend.to_numpy(t.grad), weights.numpy().sum(axis=1))


def test_unknown_steps_and_the_dropout_flag():
    model = keras.Sequential([keras.Input(shape=(None, 5)),
                              keras.layers.TimeDistributed(keras.layers.Dense(4)),
                              keras.layers.TimeDistributed(keras.layers.Dropout(0.5, seed=1))])
    assert model.output_shape[-2:] == (None, 4)
    for steps in (2, 9):
        assert model.predict(np.ones((3, steps, 5), np.float32), verbose=0).shape == (3, steps, 4)
    drop = fl.layers.TimeDistributed(fl.layers.Dropout(0.5, seed=3))
    ones = np.ones((4, 6, 5), np.float32)
    np.testing.assert_array_equal(drop(ones, training=False).numpy(), ones)
    dropped = drop(ones, training=True).numpy()
    assert set(np.unique(dropped).tolist()) == {0.0, 2.0}


def test_a_model_inside_time_distributed_runs_on_every_step():
    inner = fl.Sequential([fl.layers.Dense(4, activation="relu"), fl.layers.Dense(2)])
    wrapped = fl.layers.TimeDistributed(inner)
    x = _float((3, 5, 6))
    out = wrapped(x).numpy()
    assert out.shape == (3, 5, 2) and len(wrapped.get_weights()) == 4
    np.testing.assert_allclose(out[:, 2], inner(x[:, 2]).numpy(), rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------------------------------- saving and summaries


@pytest.mark.parametrize("make, shape", [
    (lambda: _addition_rnn(keras), (7, 12)),
    (lambda: keras.Sequential([keras.Input(shape=(3, 6, 6, 2)),
                               keras.layers.TimeDistributed(keras.layers.Conv2D(3, 3, padding="same")),
                               keras.layers.TimeDistributed(keras.layers.MaxPooling2D()),
                               keras.layers.TimeDistributed(keras.layers.Flatten()),
                               keras.layers.LSTM(4)]), (3, 6, 6, 2)),
    (lambda: keras.Sequential([keras.Input(shape=(None, 6)),
                               keras.layers.TimeDistributed(keras.Sequential([keras.layers.Dense(5, activation="relu"),
                                                                              keras.layers.Dense(2)]))]), (4, 6)),
    (lambda: fl.Sequential([fl.layers.TimeDistributed(fl.layers.Dense(3, kernel_initializer="he_normal")),
                            fl.layers.Flatten(), fl.layers.Dense(1)]), (4, 6)),
])
def test_models_with_wrappers_save_and_load(tmp_path, make, shape):
    model = make()
    x = _float((5, *shape))
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "m.fnl")
    again = keras.models.load_model(tmp_path / "m.fnl")
    np.testing.assert_array_equal(again.predict(x, verbose=0), before)
    assert [type(layer).__name__ for layer in again.layers] == [type(layer).__name__ for layer in model.layers]
    again.compile("sgd", "mse")
    again.fit(x, _float(before.shape), epochs=1, verbose=0)  # the loaded wrapped layers train
    assert not np.array_equal(again.predict(x, verbose=0), before)


def test_a_file_that_wraps_a_layer_not_in_the_list_or_with_other_weights_is_refused(tmp_path):
    model = keras.Sequential([keras.Input(shape=(4, 3)), keras.layers.TimeDistributed(keras.layers.Dense(2))])
    model.save(tmp_path / "m.fnl")
    doc = io._read(tmp_path / "m.fnl").doc
    tensors = {f"param/{name}": p.numpy() for name, p in model.named_parameters()}
    layers = doc["model"]["layers"]
    entry = next(e for e in layers if e["class_name"] == "TimeDistributed")
    entry["config"]["layer"]["config"]["units"] = 10**6
    (tmp_path / "big.fnl").write_bytes(io._encode(doc, tensors, tmp_path / "big.fnl"))
    with pytest.raises(ModelFileError, match=r"Dense layer \d \(1000000 units, input \(3,\)\) finds weights of "
                                             r"shape \(3, 2\); it is damaged"):
        io.load_model(tmp_path / "big.fnl")
    entry["config"]["layer"]["class_name"] = "Lambda"
    (tmp_path / "code.fnl").write_bytes(io._encode(doc, tensors, tmp_path / "code.fnl"))
    with pytest.raises(ModelFileError, match="names layer class 'Lambda' for layer \\d's wrapped layer"):
        io.load_model(tmp_path / "code.fnl")


def test_summary_shows_keras_shapes_and_parameter_counts(capsys):
    real = real_keras()
    theirs, ours = _addition_rnn(real), _addition_rnn(keras)
    ours.summary()
    text = capsys.readouterr().out
    for layer in theirs.layers:
        shape = str(tuple(layer.output.shape))
        assert shape in text, shape
        assert f"{layer.count_params():,}" in text or str(layer.count_params()) in text
    assert "RepeatVector" in text and "TimeDistributed" in text


# ------------------------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize("make, error, words", [
    (lambda: fl.layers.TimeDistributed("dense"), ConfigError, "TimeDistributed takes a layer to apply to every "
                                                              "step, got str"),
    (lambda: fl.layers.TimeDistributed(fl.layers.Dense(2), go_backwards=True), ConfigError,
     "TimeDistributed got unexpected argument"),
    (lambda: fl.layers.TimeDistributed({"class_name": "Exec", "config": {}}), ConfigError,
     "must name one of fnlearn's layers"),
    (lambda: fl.layers.TimeDistributed(fl.layers.Dense(2))(np.ones((3, 4))), ShapeError,
     r"takes sequences, samples of shape \(steps, \.\.\.\) .* got samples of shape \(4,\)"),
    (lambda: fl.layers.RepeatVector(0), ConfigError, "RepeatVector n must be a whole number of at least 1"),
    (lambda: fl.layers.RepeatVector(2.5), ConfigError, "RepeatVector n must be a whole number"),
    (lambda: fl.layers.RepeatVector(True), ConfigError, "RepeatVector n must be a whole number"),
    (lambda: fl.layers.RepeatVector(2)(np.ones((3, 4, 5))), ShapeError,
     r"takes samples of shape \(features,\), got samples of shape \(4, 5\)"),
])
def test_bad_arguments_are_one_sentence(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_keras_names_and_configs():
    wrapped = keras.layers.TimeDistributed(keras.layers.Dense(2, name="d"), name="td")
    config = wrapped.get_config()
    assert config["layer"]["class_name"] == "Dense" and config["layer"]["config"]["units"] == 2
    again = fl.layers.TimeDistributed.from_config(config)
    assert again.layer.units == 2 and again.name == "td"
    assert keras.layers.RepeatVector(4).get_config()["n"] == 4
    assert fl.layers.RepeatVector is keras.layers.RepeatVector and "TimeDistributed" in keras.layers.__all__
