"""keras.callbacks.TensorBoard: the event files, read back with tensorboard's own reader, hold what fit logged."""

from __future__ import annotations

import builtins
import io
import os

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, MissingDependencyError

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

TensorBoard = keras.callbacks.TensorBoard


def read_events(folder: str | os.PathLike[str]) -> dict[str, list[tuple[int, np.ndarray, str]]]:
    """tag → [(step, value, plugin)] over every event file of ``folder``, in file and write order."""
    found: dict[str, list[tuple[int, np.ndarray, str]]] = {}
    for name in sorted(os.listdir(folder)):
        for event in EventFileLoader(os.path.join(folder, name)).Load():
            for value in event.summary.value:
                found.setdefault(value.tag, []).append(
                    (event.step, tensor_util.make_ndarray(value.tensor), value.metadata.plugin_data.plugin_name))
    return found


def scalars(found: dict[str, list[tuple[int, np.ndarray, str]]], tag: str) -> tuple[list[int], list[float]]:
    assert all(plugin == "scalars" for _, _, plugin in found[tag])
    return [step for step, _, _ in found[tag]], [float(v) for _, v, _ in found[tag]]


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3))
    return x, (x.sum(axis=1) > 0).astype(float)


def small_model() -> keras.Sequential:
    fl.set_seed(0)
    # named: the automatic names count up across the tests
    model = keras.Sequential([keras.layers.Input((3,)), keras.layers.Dense(4, activation="relu", name="hidden"),
                              keras.layers.Dense(1, activation="sigmoid", name="output")], name="net")
    model.compile(keras.optimizers.SGD(0.1), "binary_crossentropy", metrics=["accuracy"])
    return model


def test_epoch_scalars_and_evaluations_are_the_history_in_keras_files_and_tags(tmp_path):
    x, y = data()
    model = small_model()
    halve = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    history = model.fit(x[:24], y[:24], epochs=3, batch_size=8, validation_data=(x[24:], y[24:]), verbose=0,
                        callbacks=[TensorBoard(log_dir=tmp_path / "logs"), halve])

    assert sorted(os.listdir(tmp_path / "logs")) == ["train", "validation"]
    for folder in ("train", "validation"):
        files = os.listdir(tmp_path / "logs" / folder)
        assert len(files) == 1 and files[0].startswith("events.out.tfevents.") and files[0].endswith(".v2")
    train, val = read_events(tmp_path / "logs" / "train"), read_events(tmp_path / "logs" / "validation")
    assert sorted(train) == ["epoch_accuracy", "epoch_learning_rate", "epoch_loss"]  # no graph, no batch tags
    for key in ("loss", "accuracy", "learning_rate"):
        steps, values = scalars(train, f"epoch_{key}")
        assert steps == [0, 1, 2]
        assert values == pytest.approx(history.history[key], rel=1e-6)
    assert history.history["learning_rate"] == pytest.approx([0.05, 0.025, 0.0125])
    assert sorted(val) == ["epoch_accuracy", "epoch_loss", "evaluation_accuracy_vs_iterations",
                           "evaluation_loss_vs_iterations"]
    for key in ("loss", "accuracy"):
        steps, values = scalars(val, f"epoch_{key}")
        assert steps == [0, 1, 2]
        assert values == pytest.approx(history.history[f"val_{key}"], rel=1e-6)
        steps, values = scalars(val, f"evaluation_{key}_vs_iterations")
        assert steps == [3, 6, 9]  # the optimizer's iterations: 3 batches an epoch
        assert values == pytest.approx(history.history[f"val_{key}"], rel=1e-6)

    model.evaluate(x, y, callbacks=[TensorBoard(log_dir=tmp_path / "logs")])  # outside fit: a file of its own
    assert len(os.listdir(tmp_path / "logs" / "validation")) == 2
    steps, values = scalars(read_events(tmp_path / "logs" / "validation"), "evaluation_loss_vs_iterations")
    assert steps[-1] == 9 and values[-1] == pytest.approx(model.evaluate(x, y)[0], rel=1e-6)


def test_batch_scalars_every_update_freq_batches_are_the_running_means(tmp_path):
    x, y = data()
    model = small_model()
    seen: list[dict[str, float]] = []
    record = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(dict(logs)))
    model.fit(x, y, epochs=2, batch_size=8, verbose=0,
              callbacks=[TensorBoard(log_dir=tmp_path, update_freq=2, write_steps_per_second=True), record])

    train = read_events(tmp_path / "train")
    for key in ("loss", "accuracy"):
        steps, values = scalars(train, f"batch_{key}")
        assert steps == [2, 4, 6, 8]  # counted from 1 across the epochs, as Keras counts
        assert values == pytest.approx([seen[s - 1][key] for s in steps], rel=1e-6)
    for tag in ("batch_steps_per_second", "epoch_steps_per_second"):
        assert all(v > 0 for v in scalars(train, tag)[1])
    assert scalars(train, "batch_steps_per_second")[0] == [2, 4, 6, 8]


def test_histograms_and_images_of_every_weight_with_keras_tags(tmp_path):
    from PIL import Image

    x, y = data()
    model = small_model()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0,
              callbacks=[TensorBoard(log_dir=tmp_path, histogram_freq=1, write_images=True)])

    train = read_events(tmp_path / "train")
    names = ["net/hidden/kernel", "net/hidden/bias", "net/output/kernel", "net/output/bias"]
    assert {tag for tag in train if tag.endswith("/histogram")} == {f"{n}/histogram" for n in names}
    for name, weight in zip(names, model.get_weights()):
        entries = train[f"{name}/histogram"]
        assert [step for step, _, _ in entries] == [0, 1]
        buckets = entries[-1][1]  # (left, right, count) rows
        assert entries[-1][2] == "histograms" and buckets.shape == (30, 3)
        assert buckets[:, 2].sum() == weight.size
        assert buckets[0, 0] == pytest.approx(weight.min()) and buckets[-1, 1] == pytest.approx(weight.max())
    # as Keras: a kernel wider than tall as it is (a taller one turned), a bias as a row; a one-number bias squeezes
    # to no picture
    assert {tag for tag in train if tag.endswith("/image")} == {f"{n}/image" for n in names[:3]}
    step, image, plugin = train["net/hidden/kernel/image"][-1]
    assert (step, plugin) == (1, "images")
    width, height, png = image
    picture = Image.open(io.BytesIO(png))
    assert (int(width), int(height)) == (4, 3) and picture.size == (4, 3)
    kernel = model.get_weights()[0]
    assert np.asarray(picture) == pytest.approx(np.clip(kernel * 255.5, 0, 255).astype(np.uint8))


def test_a_functional_models_tags_leave_out_the_models_name(tmp_path):
    fl.set_seed(0)
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(1, name="out")(inputs))
    model.compile("sgd", "mse")
    x, y = data()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[TensorBoard(log_dir=tmp_path, histogram_freq=1)])
    assert {tag for tag in read_events(tmp_path / "train") if tag.endswith("/histogram")} == {
        "out/kernel/histogram", "out/bias/histogram"}


def test_a_second_fit_into_the_same_folder_adds_new_event_files(tmp_path):
    x, y = data()
    model = small_model()
    callback = TensorBoard(log_dir=tmp_path)
    first = model.fit(x, y, epochs=2, verbose=0, callbacks=[callback])
    second = model.fit(x, y, epochs=2, verbose=0, callbacks=[callback])

    files = sorted(os.listdir(tmp_path / "train"))
    assert len(files) == 2
    for name, history in zip(files, (first, second)):
        one = tmp_path / "one"
        one.mkdir()
        os.replace(tmp_path / "train" / name, one / name)
        assert scalars(read_events(one), "epoch_loss") == ([0, 1], pytest.approx(history.history["loss"], rel=1e-6))
        os.replace(one / name, tmp_path / "train" / name)
        one.rmdir()


@pytest.mark.parametrize(("arguments", "words"), [
    ({"histogram_freq": -1}, ("histogram_freq", "-1", "≥ 0")),
    ({"histogram_freq": 1.5}, ("histogram_freq", "1.5")),
    ({"update_freq": "step"}, ("update_freq", "'step'", "'epoch'", "'batch'")),
    ({"update_freq": 0}, ("update_freq", "0", "≥ 1")),
    ({"profile_batch": 5}, ("profile_batch=5", "profiler", "profile_batch=0")),
    ({"profile_batch": (10, 20)}, ("profile_batch=(10, 20)", "profile_batch=0")),
    ({"embeddings_freq": 1}, ("embeddings_freq=1", "embedding projector", "embeddings_freq=0")),
    ({"log_dir": None}, ("log_dir", "None")),
    ({"histogram_frequency": 1}, ("histogram_frequency", "histogram_freq")),
])
def test_bad_arguments_are_one_sentence_before_anything_is_written(tmp_path, monkeypatch, arguments, words):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        TensorBoard(**arguments)
    message = str(info.value)
    assert message.startswith("TensorBoard") and message.endswith(".") and "\n" not in message
    for word in words:
        assert word in message
    assert os.listdir(tmp_path) == []


def test_write_graph_is_accepted_and_writes_nothing(tmp_path):
    x, y = data()
    model = small_model()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[TensorBoard(log_dir=tmp_path, write_graph=True)])
    assert sorted(read_events(tmp_path / "train")) == ["epoch_accuracy", "epoch_learning_rate", "epoch_loss"]


def test_without_the_tensorboard_package_the_constructor_says_how_to_install_it(tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_tensorboard(name, *args, **kwargs):
        if name == "tensorboard" or name.startswith("tensorboard."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorboard)
    with pytest.raises(MissingDependencyError, match=r"TensorBoard .*'tensorboard' package.*pip install tensorboard"):
        TensorBoard(log_dir=tmp_path / "logs")
    assert not (tmp_path / "logs").exists()


@pytest.mark.host_only
def test_the_package_is_imported_only_by_the_callback():
    import subprocess
    import sys

    code = ("import sys, fnlearn, fnlearn.callbacks, fnlearn.tensorboard; "
            "print(any(m.split('.')[0] == 'tensorboard' for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
