"""CallbackList for training loops of one's own (as real Keras's runs them), ProgbarLogger and RemoteMonitor."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
import fnlearn.keras as keras
from fnlearn.errors import ConfigError

X = np.linspace(-1, 1, 12, dtype=np.float32).reshape(-1, 1)
Y = 2 * X + 1


def _model(k):
    model = k.Sequential([k.Input((1,)), k.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _loop(k, losses):
    """Keras's "training loop from scratch" pattern, its logs given: (history, epochs run, stop_training)."""
    model = _model(k)
    stopper = k.callbacks.EarlyStopping(monitor="loss", patience=1)
    callbacks = k.callbacks.CallbackList([stopper], add_history=True, model=model, epochs=len(losses), steps=2,
                                         verbose=0)
    callbacks.on_train_begin()
    ran = 0
    for epoch, loss in enumerate(losses):
        callbacks.on_epoch_begin(epoch)
        for step in range(2):
            callbacks.on_train_batch_begin(step)
            callbacks.on_train_batch_end(step, {"loss": loss})
        callbacks.on_epoch_end(epoch, {"loss": loss})
        ran += 1
        if model.stop_training:
            break
    callbacks.on_train_end()
    return {key: [float(v) for v in values] for key, values in model.history.history.items()}, ran, \
        model.stop_training


def test_a_loop_of_ones_own_runs_its_callbacks_as_keras_does():
    real = real_keras()
    losses = [1.0, 0.5, 0.7, 0.6, 0.2]
    assert _loop(keras, losses) == _loop(real, losses) == ({"loss": [1.0, 0.5, 0.7]}, 3, True)


def test_fit_takes_a_callback_list_and_nested_lists():
    seen = []
    count = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    model = _model(keras)
    model.fit(X, Y, epochs=2, verbose=0, callbacks=keras.callbacks.CallbackList([count]))
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[[count], []])
    assert seen == [0, 1, 0]
    with pytest.raises(ConfigError, match="callbacks must be fl.callbacks.Callback objects, got str"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[["early"]])


def _lines(text):
    return [line for line in text.splitlines() if line.strip()]


def test_progbar_logger_draws_fit_evaluate_and_predict_in_place_of_fits_own(capsys):
    model = _model(keras)
    model.fit(X, Y, epochs=2, batch_size=4, verbose=2, callbacks=[keras.callbacks.ProgbarLogger()])
    lines = _lines(capsys.readouterr().out)
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 1/2", "3/3", "Epoch 2/2", "3/3"]  # not fit's too
    assert all(line.endswith(f"loss: {fl.progress.format_value(v)}")
               for line, v in zip(lines[1::2], model.history.history["loss"]))
    model.fit(X, Y, epochs=2, batch_size=4, verbose=0, validation_split=0.25,
              callbacks=[keras.callbacks.ProgbarLogger()])
    assert capsys.readouterr().out == ""
    model.fit(X, Y, epochs=1, batch_size=4, verbose=2, validation_split=0.25,
              callbacks=[keras.callbacks.ProgbarLogger()])
    assert len(_lines(capsys.readouterr().out)) == 1  # validation inside fit stays silent
    result = model.evaluate(X, Y, batch_size=6, verbose=2, callbacks=[keras.callbacks.ProgbarLogger()])
    (line,) = _lines(capsys.readouterr().out)
    assert line.startswith("2/2 - ") and line.endswith(f"loss: {fl.progress.format_value(result)}")
    model.predict(X, batch_size=5, verbose=2, callbacks=[keras.callbacks.ProgbarLogger()])
    (line,) = _lines(capsys.readouterr().out)
    assert line.startswith("3/3 - ") and "loss" not in line


def test_progbar_logger_counts_the_steps_of_a_loop_that_does_not_say_them(capsys):
    logger = keras.callbacks.ProgbarLogger()
    callbacks = keras.callbacks.CallbackList([logger], add_progbar=True, verbose=2, epochs=1)
    assert callbacks.callbacks == [logger]  # the one given, not a second
    callbacks.on_epoch_begin(0)
    for step in range(5):
        callbacks.on_train_batch_end(step, {"loss": 0.5})
    callbacks.on_epoch_end(0, {"loss": 0.25})
    (line,) = _lines(capsys.readouterr().out)
    assert line.startswith("5/5 - ") and line.endswith("loss: 0.2500")
    with pytest.raises(ConfigError, match="verbose must be 0"):
        keras.callbacks.CallbackList(add_progbar=True, verbose=3)


class _Server:
    """A local HTTP server keeping what is posted to it, answering with ``status``."""

    def __init__(self, status=200):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                received.append((self.path, dict(self.headers), body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.root = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_remote_monitor_posts_every_epochs_logs_as_a_form_or_as_json():
    server = _Server()
    try:
        model = _model(keras)
        history = model.fit(X, Y, epochs=2, verbose=0, callbacks=[
            keras.callbacks.RemoteMonitor(server.root, headers={"X-Run": "lecture"}),
            keras.callbacks.RemoteMonitor(server.root, path="/json", send_as_json=True)])
    finally:
        server.close()
    form = [r for r in server.received if r[0] == "/publish/epoch/end/"]
    sent = [r for r in server.received if r[0] == "/json"]
    assert len(form) == len(sent) == 2 and form[0][1]["X-Run"] == "lecture"
    assert form[0][1]["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent[0][1]["Content-Type"] == "application/json"
    as_form = [json.loads(urllib.parse.parse_qs(body)["data"][0]) for _, _, body in form]
    as_json = [json.loads(body) for _, _, body in sent]
    expected = [{"epoch": e, "loss": pytest.approx(v)} for e, v in enumerate(history.history["loss"])]
    assert as_form == as_json == expected


def test_remote_monitor_warns_and_training_goes_on_when_the_server_fails():
    server = _Server(status=500)
    try:
        with pytest.warns(UserWarning, match="answered 500 Internal Server Error to the logs of epoch 1; training "):
            history = _model(keras).fit(X, Y, epochs=2, verbose=0,
                                        callbacks=[keras.callbacks.RemoteMonitor(server.root)])
    finally:
        server.close()
    assert len(history.history["loss"]) == 2
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server at http://127.0.0.1:1 "):
        _model(keras).fit(X, Y, epochs=1, verbose=0, callbacks=[keras.callbacks.RemoteMonitor("http://127.0.0.1:1")])


@pytest.mark.parametrize("kwargs, words", [
    ({"root": "localhost:9000"}, "root='localhost:9000'; give the server's address with its scheme"),
    ({"headers": {"X": 1}}, "headers={'X': 1}; give a dict of header names to string values"),
    ({"timeout": 0}, "timeout=0; give the seconds to wait"),
])
def test_remote_monitor_refuses_bad_settings_in_one_sentence(kwargs, words):
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(")", r"\)")):
        keras.callbacks.RemoteMonitor(**kwargs)
