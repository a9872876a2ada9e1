"""Keras's ``TensorBoard`` callback: training logs that the ``tensorboard`` tool shows.

The event files are written with the ``tensorboard`` package's own writer and summary protobufs (no TensorFlow
needed), in Keras 3's layout: ``log_dir/train`` and ``log_dir/validation``, with Keras's tags and steps. The package
is imported only when a :class:`TensorBoard` is made, so ``import fnlearn`` does not pay for it.

Example:
    >>> import fnlearn as fl, numpy as np, os
    >>> model = fl.Sequential([fl.layers.Dense(1, input_dim=2)]); model.compile("sgd", "mse")
    >>> _ = model.fit(np.ones((8, 2)), np.ones(8), epochs=2, validation_split=0.25, verbose=0,
    ...               callbacks=[TensorBoard(log_dir="logs")])
    >>> sorted(os.listdir("logs"))
    ['train', 'validation']
"""

from __future__ import annotations

import os
import time
from types import SimpleNamespace
from typing import Any

import numpy as np

from . import backend
from .callbacks import Callback
from .errors import ConfigError, MissingDependencyError, arguments_checked

_IMAGES_PER_WEIGHT = 3  # tf.summary.image's max_outputs, which Keras leaves at its default


def _tensorboard() -> SimpleNamespace:
    """The parts of the ``tensorboard`` package the callback writes with, imported on first use."""
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.plugins.histogram.summary_v2 import histogram_pb
        from tensorboard.plugins.image import metadata as image_metadata
        from tensorboard.plugins.scalar.summary_v2 import scalar_pb
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
        from tensorboard.util import tensor_util
    except ImportError as exc:
        raise MissingDependencyError(
            "TensorBoard writes its event files with the 'tensorboard' package, which is not installed; install it "
            "with: pip install tensorboard (or pip install 'fnlearn[tensorboard]')."
        ) from exc
    return SimpleNamespace(Event=event_pb2.Event, Summary=summary_pb2.Summary, histogram_pb=histogram_pb,
                           scalar_pb=scalar_pb, image_metadata=image_metadata, EventFileWriter=EventFileWriter,
                           tensor_util=tensor_util)


def _is_count(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


@arguments_checked
class TensorBoard(Callback):
    """Write the training's losses, metrics and weight histograms as TensorBoard event files, as Keras does.

    What is written, in Keras 3's files and tags (view them with ``tensorboard --logdir <log_dir>``):

    - ``log_dir/train``: ``epoch_<name>`` at each epoch's end (step: the epoch, from 0) for every training log
      (``epoch_loss``, ``epoch_accuracy``…), ``epoch_learning_rate`` (the optimizer's rate, a schedule's value
      included) and, with ``write_steps_per_second=True``, ``epoch_steps_per_second``;
    - ``log_dir/validation``: ``epoch_<name>`` for every ``val_<name>`` log, and ``evaluation_<name>_vs_iterations``
      (step: the optimizer's ``iterations``) each time the model is evaluated, by fit's validation or by
      ``evaluate(callbacks=[...])``;
    - with ``update_freq="batch"`` or ``N``: ``batch_<name>`` (the running means since the epoch began, step: the
      batch counted from 1 across the fit) every N batches, and ``batch_steps_per_second`` when asked;
    - with ``histogram_freq=N``: ``<model>/<layer>/<weight>/histogram`` (a Functional model's tags leave out the
      model's name, as Keras's do) every N epochs, and with ``write_images=True`` the weights as
      ``<...>/image`` pictures, Keras's way (values clipped to [0, 1]).

    Logs holding several numbers (one per class) are not scalars and are left out. ``write_graph`` writes nothing:
    the graph Keras writes is TensorFlow's, which fnlearn has none of; it may stay at its default ``True``.
    TensorFlow's profiler (``profile_batch``) and the embedding projector (``embeddings_freq``) are not there, and
    asking for them is refused. Each ``fit`` adds new event files to the folders, as Keras does; they are flushed
    at every epoch's end and closed when training ends.

    >>> TensorBoard(log_dir="logs", update_freq="batch").update_freq  # "batch" is every batch
    1
    """

    def __init__(self, log_dir: str | os.PathLike[str] = "logs", histogram_freq: int = 0, write_graph: bool = True,
                 write_images: bool = False, write_steps_per_second: bool = False, update_freq: str | int = "epoch",
                 profile_batch: int = 0, embeddings_freq: int = 0,
                 embeddings_metadata: str | dict[str, str] | None = None) -> None:
        super().__init__()
        if not isinstance(log_dir, (str, os.PathLike)) or not os.fspath(log_dir):
            raise ConfigError(f"TensorBoard log_dir must be a folder path for the event files, got {log_dir!r}; "
                              "e.g. log_dir='logs'.")
        if not _is_count(histogram_freq) or histogram_freq < 0:
            raise ConfigError(f"TensorBoard histogram_freq must be a number of epochs ≥ 0 (0: no histograms), got "
                              f"{histogram_freq!r}.")
        if update_freq not in ("epoch", "batch") and (not _is_count(update_freq) or update_freq <= 0):
            raise ConfigError(f"TensorBoard update_freq must be 'epoch', 'batch' or a number of batches ≥ 1, got "
                              f"{update_freq!r}.")
        if not (_is_count(profile_batch) and profile_batch == 0):
            raise ConfigError(f"TensorBoard got profile_batch={profile_batch!r}, but profiling batches needs "
                              "TensorFlow's profiler, which fnlearn does not have; leave profile_batch=0.")
        if not (_is_count(embeddings_freq) and embeddings_freq == 0):
            raise ConfigError(f"TensorBoard got embeddings_freq={embeddings_freq!r}, but the embedding projector "
                              "reads TensorFlow checkpoints, which fnlearn does not write; leave embeddings_freq=0 "
                              "(histogram_freq shows an Embedding layer's weights).")
        _tensorboard()  # a missing package is told now, not at the first epoch's end
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = int(histogram_freq)
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq: str | int = 1 if update_freq == "batch" else update_freq
        self.profile_batch = 0
        self.embeddings_freq = 0
        self.embeddings_metadata = embeddings_metadata
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._writers: dict[str, Any] = {}  # made on first write, so no empty event files
        self._training = False
        self._global_train_batch = 0
        self._batch_start_time = 0.0
        self._epoch_start_time = 0.0
        self._previous_epoch_iterations = 0
        if self.update_freq != "epoch":
            # instance hooks: logging per epoch keeps fit's batches free of per-batch work, as fit only calls
            # the batch hooks of callbacks that define them
            self.on_train_batch_begin = self._batch_begin
            self.on_train_batch_end = self._batch_end

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        self._close_writers()  # as in Keras, each fit writes new event files

    # ------------------------------------------------------------------ writing

    def _writer(self, which: str) -> Any:
        if which not in self._writers:
            folder = self._train_dir if which == "train" else self._val_dir
            # ".v2": the suffix of the files TensorFlow's writer makes for Keras
            self._writers[which] = _tensorboard().EventFileWriter(folder, filename_suffix=".v2")
        return self._writers[which]

    def _write(self, which: str, summary: Any, step: int) -> None:
        tb = _tensorboard()
        self._writer(which).add_event(tb.Event(wall_time=time.time(), step=int(step), summary=summary))

    def _scalars(self, which: str, values: dict[str, Any], prefix: str, step: int, suffix: str = "") -> None:
        tb = _tensorboard()
        for name, value in values.items():
            number = _scalar(value)
            if number is not None:
                self._write(which, tb.scalar_pb(f"{prefix}{name}{suffix}", np.float32(number)), step)

    def _flush(self) -> None:
        for writer in self._writers.values():
            writer.flush()

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # ------------------------------------------------------------------ hooks

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._training = True
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self._training = False
        self._close_writers()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.write_steps_per_second:
            self._previous_epoch_iterations = self._iterations()
            self._epoch_start_time = time.time()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        if logs:  # Keras writes nothing for an epoch without logs
            train = {k: v for k, v in logs.items() if not k.startswith("val_")}
            lr = self._learning_rate()
            if lr is not None:
                train["learning_rate"] = lr
            if self.write_steps_per_second:
                seconds = time.time() - self._epoch_start_time
                train["steps_per_second"] = (self._iterations() - self._previous_epoch_iterations) / max(seconds,
                                                                                                        1e-12)
            self._scalars("train", train, "epoch_", epoch)
            val = {k[len("val_"):]: v for k, v in logs.items() if k.startswith("val_")}
            if val:
                self._scalars("validation", val, "epoch_", epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        self._flush()  # an interrupted run keeps every finished epoch

    def _batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    def _batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        step = self._global_train_batch
        if step % int(self.update_freq) != 0:
            return
        if self.write_steps_per_second:
            seconds = max(time.time() - self._batch_start_time, 1e-12)
            self._scalars("train", {"steps_per_second": 1.0 / seconds}, "batch_", step)
        if isinstance(logs, dict):
            self._scalars("train", logs, "batch_", step)

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "iterations") and logs:
            self._scalars("validation", logs, "evaluation_", self._iterations(), "_vs_iterations")
        if self._training:
            return
        self._close_writers()  # evaluate() outside fit: no train end will close the files

    # ------------------------------------------------------------------ model readings

    def _iterations(self) -> int:
        return int(getattr(getattr(self.model, "optimizer", None), "iterations", 0) or 0)

    def _learning_rate(self) -> float | None:
        optimizer = getattr(self.model, "optimizer", None)
        read = getattr(optimizer, "current_learning_rate", None)
        return None if read is None else float(read())

    def _named_weights(self) -> list[tuple[str, Any]]:
        """(Keras's weight path, weight) per weight: ``model/layer/weight``, without the model's name for a
        Functional model, whose layers Keras builds outside the model's name scope."""
        model = self.model
        layers = getattr(model, "layers", None)
        if layers is None:
            return [(name.replace(".", "/"), p) for name, p in model.named_parameters()]
        prefix = "" if type(model).__name__ == "Functional" else f"{getattr(model, 'name', 'model')}/"
        return [(f"{prefix}{layer.name}/{name.replace('.', '/')}", p)
                for layer in layers for name, p in layer.named_parameters()]

    def _log_weights(self, epoch: int) -> None:
        tb = _tensorboard()
        for path, weight in self._named_weights():
            name = path.replace(":", "_")
            values = np.asarray(backend.to_numpy(weight.data), dtype=np.float64)  # histograms are made on the host
            self._write("train", tb.histogram_pb(f"{name}/histogram", values), epoch)
            if self.write_images:
                image = _weight_image(values)
                if image is not None:
                    self._write("train", _image_summary(tb, f"{name}/image", image), epoch)


def _scalar(value: Any) -> float | None:
    """``value`` as one float, or None for what is not one number (a per-class array, text)."""
    try:
        array = np.asarray(backend.to_numpy(value))
    except (TypeError, ValueError):
        return None
    if array.size != 1 or array.dtype.kind not in "biuf":
        return None
    return float(array.reshape(()))


def _weight_image(w: np.ndarray) -> np.ndarray | None:
    """A weight as Keras draws it: images of shape (k, height, width, channels), or None when Keras draws none."""
    w = np.squeeze(w)
    if w.ndim == 1:  # a bias: one row
        w = w.reshape(1, w.shape[0], 1, 1)
    elif w.ndim == 2:  # a Dense kernel, lying down
        if w.shape[0] > w.shape[1]:
            w = w.T
        w = w.reshape(1, w.shape[0], w.shape[1], 1)
    elif w.ndim == 3:  # a convolution kernel with channels last: one image per filter
        w = np.transpose(w, (2, 0, 1))
        w = w.reshape(w.shape[0], w.shape[1], w.shape[2], 1)
    if w.ndim != 4 or w.shape[-1] not in (1, 3, 4):
        return None
    return w


def _image_summary(tb: SimpleNamespace, tag: str, images: np.ndarray) -> Any:
    """tf.summary.image's summary: [width, height, PNG…] as text, values clipped to [0, 1] then scaled to bytes."""
    import io

    from PIL import Image  # a dependency of the tensorboard package

    pixels = np.clip(images * 255.5, 0, 255).astype(np.uint8)  # tf.image.convert_image_dtype(saturate=True)
    mode = {1: "L", 3: "RGB", 4: "RGBA"}[pixels.shape[-1]]
    encoded = []
    for picture in pixels[:_IMAGES_PER_WEIGHT]:
        buffer = io.BytesIO()
        Image.fromarray(picture[..., 0] if mode == "L" else picture).save(buffer, format="PNG")
        encoded.append(buffer.getvalue())
    height, width = pixels.shape[1], pixels.shape[2]
    content = np.array([str(width).encode(), str(height).encode(), *encoded], dtype=object)
    summary = tb.Summary()
    summary.value.add(tag=tag, metadata=tb.image_metadata.create_summary_metadata(display_name=None, description=None),
                      tensor=tb.tensor_util.make_tensor_proto(content))
    return summary


__all__ = ["TensorBoard"]
