"""The fast training step computes what the general autodiff path computes."""

from __future__ import annotations

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import backend, blas, fastpath


@pytest.fixture
def float64():
    previous = fl.get_default_dtype()
    fl.set_default_dtype("float64")
    yield
    fl.set_default_dtype(previous)


def _model(out_act: str, out_units: int, hidden=("relu", "tanh"), seed=0):
    fl.set_seed(seed)
    return fl.Sequential([fl.layers.Dense(7, activation=hidden[0], input_dim=5),
                          fl.layers.Dense(6, activation=hidden[1]),
                          fl.layers.Dense(out_units, activation=out_act)])


rng = np.random.default_rng(1)
X = rng.normal(size=(64, 5)) * 3
CASES = [
    ("softmax", 3, "sparse_categorical_crossentropy", rng.integers(0, 3, 64)),
    ("softmax", 3, "categorical_crossentropy", np.eye(3)[rng.integers(0, 3, 64)]),
    ("sigmoid", 2, "binary_crossentropy", rng.integers(0, 2, (64, 2)).astype(float)),
    ("linear", 3, "mse", rng.normal(size=(64, 3))),
    ("linear", 3, "mae", rng.normal(size=(64, 3))),
    ("softmax", 3, "mse", np.eye(3)[rng.integers(0, 3, 64)]),
    ("linear", 3, "half_sse", rng.normal(size=(64, 3))),
    ("linear", 1, "mse", rng.normal(size=(64,))),
    ("linear", 3, fl.losses.Loss("sparse_categorical_crossentropy", from_logits=True), rng.integers(0, 3, 64)),
    ("linear", 2, fl.losses.Loss("binary_crossentropy", from_logits=True), rng.integers(0, 2, (64, 2)) * 1.0),
]
CASE_IDS = [f"{getattr(c[2], 'name', c[2])}{'-logits' if hasattr(c[2], 'name') else ''}-{c[0]}" for c in CASES]
OPTIMIZERS = [
    lambda: fl.optim.SGD(learning_rate=0.01),
    lambda: fl.optim.SGD(learning_rate=0.01, momentum=0.9, nesterov=True),
    lambda: fl.optim.Adam(learning_rate=0.01),
    lambda: fl.optim.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
    lambda: fl.optim.Adagrad(learning_rate=0.01),
    lambda: fl.optim.AdamW(learning_rate=0.01),
    lambda: fl.optim.SGD(learning_rate=0.01, clipnorm=0.1),
    lambda: fl.optim.Adam(learning_rate=0.01, global_clipnorm=0.1),
]


def _train(out_act, units, loss, y, make_opt, fast: bool | str, hidden=("relu", "tanh")):
    """fast: False (autodiff), True (the plan, step by step) or "exclusive" (the plan as fit runs it with
    no per-batch callback: no per-step checks, plain SGD's η folded into the backward pass, settled at the end)."""
    model = _model(out_act, units, hidden)
    opt = make_opt().bind(model.parameters())
    plan = fastpath.compile_step(model, loss, opt)
    assert plan is not None
    plan.exclusive = fast == "exclusive"
    loss_fn = fl.losses.get(loss)
    values = []
    for _ in range(3):
        for i in range(0, 64, 16):
            xb, yb = X[i:i + 16], y[i:i + 16]
            if fast:
                value, pred = plan(xb, yb)
            else:
                out = model(xb)
                total = loss_fn(yb, out)
                opt.zero_grad()
                total.backward()
                opt.step()
                value = total.item()
            values.append(value)
    plan.settle()
    weights = np.concatenate([p.numpy().ravel() for p in model.parameters()])
    grads = np.concatenate([fl.backend.to_numpy(p.grad).ravel() for p in model.parameters()])
    return weights, np.array(values), grads, opt.state_dict()


# kernel sizes of _model: 5×7, 7×6, 6×out. "in-product" lowers the size from which plain SGD's step is taken
# inside the gradient product (fnlearn.blas) so that every kernel, or only the middle one, takes it there
IN_PRODUCT = {"in-product": 0, "in-product-middle": 40}


def _needs_numpy_blas() -> None:
    if backend.backend_name() != "numpy":
        pytest.skip("the SGD step inside a product and the products in pieces are NumPy's BLAS, which the cupy "
                    "backend does not use")


def _count_in_product_steps(monkeypatch, mode) -> list:
    """Lowers the kernel size for the in-product step as ``mode`` says and counts the GEMM calls taking it."""
    calls: list = []
    if mode in IN_PRODUCT:
        _needs_numpy_blas()
        if blas.get(np.float64) is None:
            pytest.skip("NumPy's own BLAS cannot be called here (not NumPy's OpenBLAS wheel)")
        monkeypatch.setattr(fastpath, "_IN_PRODUCT_MIN", IN_PRODUCT[mode])
        real = blas.Blas.atb

        def counted(self, *args, **kwargs):
            if kwargs.get("beta") == 1.0:  # the step itself, not a weight gradient written into .grad
                calls.append(1)
            return real(self, *args, **kwargs)

        monkeypatch.setattr(blas.Blas, "atb", counted)
    return calls


@pytest.mark.parametrize("out_act,units,loss,y", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("make_opt", OPTIMIZERS)
@pytest.mark.parametrize("mode", [True, "exclusive", *IN_PRODUCT], ids=["step", "exclusive", *IN_PRODUCT])
def test_fast_step_matches_autodiff_in_float64(float64, monkeypatch, out_act, units, loss, y, make_opt, mode):
    calls = _count_in_product_steps(monkeypatch, mode)
    w_fast, l_fast, g_fast, s_fast = _train(out_act, units, loss, y, make_opt,
                                            fast="exclusive" if mode in IN_PRODUCT else mode)
    if mode in IN_PRODUCT:  # plain SGD takes its step in the products: 12 steps × 3 kernels, or × 1
        assert len(calls) == (12 * (3 if mode == "in-product" else 1) if make_opt is OPTIMIZERS[0] else 0)
    w_slow, l_slow, g_slow, s_slow = _train(out_act, units, loss, y, make_opt, fast=False)
    np.testing.assert_allclose(w_fast, w_slow, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(l_fast, l_slow, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g_fast, g_slow, rtol=1e-10, atol=1e-13)
    assert s_fast["iterations"] == s_slow["iterations"] == 12
    for a, b in zip(s_fast["state"], s_slow["state"]):
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_allclose(a[key], b[key], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("hidden", [("sigmoid", "hard_sigmoid"), ("leaky_relu", "softplus"), ("linear", "relu"),
                                    ("elu", "selu"), ("relu6", "elu"), ("gelu", "silu"), ("silu", "silu")])
def test_every_hidden_activation(float64, hidden):
    y = CASES[0][3]
    fast = _train("softmax", 3, "sparse_categorical_crossentropy", y, OPTIMIZERS[0], True, hidden)
    slow = _train("softmax", 3, "sparse_categorical_crossentropy", y, OPTIMIZERS[0], False, hidden)
    np.testing.assert_allclose(fast[0], slow[0], rtol=1e-12, atol=1e-13)


def test_huge_scores_stay_finite():
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(3, activation="softmax", input_dim=2)])
    model[0].kernel.data[...] = backend.to_device(np.array([[400.0, -400.0, 0.0], [0.0, 0.0, 0.0]]))
    opt = fl.optim.SGD(model.parameters(), learning_rate=0.1)
    plan = fastpath.compile_step(model, "sparse_categorical_crossentropy", opt)
    x = np.array([[1.0, 0.0], [-1.0, 0.0]], dtype=np.float32)
    value, pred = plan(x, np.array([1, 0]))
    assert np.isfinite(value) and value > 100  # both samples put ~all mass on the wrong class
    assert np.all(np.isfinite(pred)) and np.all(np.isfinite(model[0].kernel.grad))


def test_replaced_parameters_are_repacked():
    model = _model("softmax", 3)
    opt = fl.optim.Adam(model.parameters(), learning_rate=0.01)
    plan = fastpath.compile_step(model, "sparse_categorical_crossentropy", opt)
    plan(X[:16].astype(np.float32), CASES[0][3][:16])
    model[0].kernel.data = np.zeros_like(model[0].kernel.data)  # a new array, outside the plan's flat buffer
    before = model[0].kernel.numpy().copy()
    plan(X[:16].astype(np.float32), CASES[0][3][:16])
    assert np.all(before == 0)
    assert not np.all(model[0].kernel.numpy() == 0)  # the step updated the newly loaded weights


def _one_layer_twice():
    shared = fl.layers.Dense(2, activation="tanh")
    return fl.Sequential([fl.layers.Dense(2, activation="tanh", input_dim=2), shared, shared])


@pytest.mark.parametrize("make_model,loss", [
    (lambda: fl.Sequential([fl.layers.Dense(3, input_dim=2), fl.layers.Dropout(0.5)]), "mse"),
    (lambda: fl.Sequential([fl.layers.Dense(3, activation=lambda x: x, input_dim=2)]), "mse"),
    (lambda: fl.Sequential([fl.layers.Dense(3, input_dim=2)]), lambda yt, yp: fl.losses.mse(yt, yp)),
    (lambda: fl.Sequential([fl.layers.Dense(3, input_dim=2)]), "categorical_crossentropy"),
    (lambda: fl.Sequential([fl.layers.Dense(3, activation="softmax", input_dim=2),
                            fl.layers.Dense(3, activation="softmax")]), "mse"),
    # from_logits reads a softmax's or sigmoid's outputs as scores: nothing cancels, the general path computes it
    (lambda: fl.Sequential([fl.layers.Dense(3, activation="softmax", input_dim=2)]),
     fl.losses.Loss("sparse_categorical_crossentropy", from_logits=True)),
    (lambda: fl.Sequential([fl.layers.Dense(3, activation="softmax", input_dim=2)]),
     fl.losses.Loss("categorical_crossentropy", from_logits=True)),
    (lambda: fl.Sequential([fl.layers.Dense(2, activation="sigmoid", input_dim=2)]),
     fl.losses.Loss("binary_crossentropy", from_logits=True)),
    (_one_layer_twice, "mse"),
])
def test_unknown_structures_fall_back(make_model, loss):
    model = make_model()
    opt = fl.optim.SGD(model.parameters())
    assert fastpath.compile_step(model, loss, opt) is None


@pytest.mark.parametrize("out_act,units,loss,y", CASES, ids=CASE_IDS)
def test_the_step_hands_out_the_models_output(float64, out_act, units, loss, y):
    # what fit's metrics see: the model's output before the step (scores with from_logits, not probabilities)
    model = _model(out_act, units)
    plan = fastpath.compile_step(model, loss, fl.optim.SGD(learning_rate=0.01).bind(model.parameters()))
    expected = model.predict(X[:16])
    _, pred = plan(X[:16], y[:16])
    np.testing.assert_allclose(fl.backend.to_numpy(pred), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("make_model,loss", [
    (lambda: fl.Sequential([fl.layers.Dense(3, activation="softmax", input_dim=4)]),
     fl.losses.Loss("sparse_categorical_crossentropy", from_logits=True)),
    (_one_layer_twice, "mse"),
])
def test_fit_trains_what_the_model_computes(float64, make_model, loss):
    # the structures the plan declines train as the model is written (compared with autodiff by hand)
    fl.set_seed(3)
    model = make_model()
    x = rng.normal(size=(16, model.layers[0].kernel.shape[0]))
    y = rng.integers(0, 2, 16) if isinstance(loss, fl.losses.Loss) else rng.normal(size=(16, 2))
    by_hand = [p.numpy().copy() for p in model.parameters()]
    model.compile(optimizer=fl.optim.SGD(learning_rate=0.5), loss=loss)
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    twin = make_model()
    twin.set_weights(by_hand)
    loss_fn = fl.losses.get(loss)
    total = loss_fn(y, twin(x))
    total.backward()
    for p, trained in zip(twin.parameters(), model.parameters()):
        np.testing.assert_allclose(trained.numpy(), p.numpy() - 0.5 * fl.backend.to_numpy(p.grad), rtol=1e-12)


def test_non_finite_loss_changes_nothing():
    model = _model("linear", 3)
    opt = fl.optim.SGD(model.parameters(), learning_rate=0.1)
    plan = fastpath.compile_step(model, "mse", opt)
    before = [p.numpy().copy() for p in model.parameters()]
    y = np.full((16, 3), np.inf)
    value, _ = plan(X[:16].astype(np.float32), y)
    assert not np.isfinite(value)
    assert all(np.array_equal(b, p.numpy()) for b, p in zip(before, model.parameters()))
    assert opt.iterations == 0


def test_in_product_step_leaves_the_last_finite_gradient(float64, monkeypatch):
    """A step whose loss is not finite after in-product steps changes nothing, and settle() gives the gradient
    of the last finite step, as the checked step-by-step plan does."""
    calls = _count_in_product_steps(monkeypatch, "in-product")
    results = []
    for exclusive in (True, False):
        model = _model("linear", 3)
        plan = fastpath.compile_step(model, "mse", fl.optim.SGD(model.parameters(), learning_rate=0.1))
        plan.exclusive = exclusive
        plan(X[:16], CASES[3][3][:16])
        plan(X[16:32], CASES[3][3][16:32])
        before = [p.numpy().copy() for p in model.parameters()]
        value, _ = plan(X[32:48], np.full((16, 3), np.inf))
        assert not np.isfinite(value)
        assert all(np.array_equal(b, p.numpy()) for b, p in zip(before, model.parameters()))
        plan.settle()
        results.append(model)
    assert len(calls) == 6  # two finite exclusive steps, three kernels each
    for a, b in zip(*(m.parameters() for m in results)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(a.grad, b.grad, rtol=1e-10, atol=1e-13)


def test_in_product_step_takes_inputs_the_gemm_call_cannot(float64, monkeypatch):
    """A batch that is not C-contiguous takes the two-pass update, with the same result."""
    calls = _count_in_product_steps(monkeypatch, "in-product")
    weights = []
    for order in ("C", "F"):
        model = _model("linear", 3)
        plan = fastpath.compile_step(model, "mse", fl.optim.SGD(model.parameters(), learning_rate=0.1))
        plan.exclusive = True
        for i in range(0, 64, 16):
            plan(np.asarray(X[i:i + 16], order=order), CASES[3][3][i:i + 16])
        plan.settle()
        weights.append([(p.numpy().copy(), p.grad.copy()) for p in model.parameters()])
    assert len(calls) == 4 * 3 + 4 * 2  # with a Fortran-ordered batch only the first kernel takes two passes
    for (wa, ga), (wb, gb) in zip(*weights):
        np.testing.assert_allclose(wa, wb, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(ga, gb, rtol=1e-10, atol=1e-13)


def _fit(callbacks, epochs=3, learning_rate=0.05):
    model = _model("softmax", 3)
    model.compile(optimizer=fl.optim.SGD(learning_rate=learning_rate), loss="sparse_categorical_crossentropy")
    model.fit(X, CASES[0][3], batch_size=16, epochs=epochs, verbose=0, callbacks=callbacks)
    return model


def test_fit_without_batch_callbacks_keeps_true_gradients(float64):
    """With no per-batch callback fit runs the plan exclusively (η folded into plain SGD's backward pass); the
    weights and the .grad left behind are those of the checked step-by-step run."""
    exclusive = _fit([])
    seen = []
    checked = _fit([fl.callbacks.LambdaCallback(on_batch_end=lambda batch, logs: seen.append(batch))])
    assert len(seen) == 12
    for a, b in zip(exclusive.parameters(), checked.parameters()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(backend.to_numpy(a.grad), backend.to_numpy(b.grad), rtol=1e-10, atol=1e-13)


def test_fit_keeps_true_gradients_when_the_last_step_is_not_folded(float64, monkeypatch):
    """The learning rate reaches 0 on the last of 12 steps, so that step is not folded and takes no step in the
    products: the .grad left behind is still that step's, not an earlier in-product step's."""
    calls = _count_in_product_steps(monkeypatch, "in-product")
    schedule = fl.schedules.CosineDecay(0.05, decay_steps=11)
    exclusive = _fit([], epochs=3, learning_rate=schedule)
    checked = _fit([fl.callbacks.LambdaCallback(on_batch_end=lambda batch, logs: None)], epochs=3,
                   learning_rate=schedule)
    assert len(calls) == 3 * 11  # three kernels, eleven folded steps
    for a, b in zip(exclusive.parameters(), checked.parameters()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(a.grad, b.grad, rtol=1e-10, atol=1e-13)


class _LoadKernelAtEpochEnd(fl.callbacks.Callback):
    """Gives the first layer a new kernel array after every epoch (the step's flat buffer no longer holds it)."""

    def on_epoch_end(self, epoch, logs=None):
        if epoch < self.params["epochs"] - 1:
            kernel = self.model[0].kernel
            kernel.data = np.full_like(kernel.data, 0.1 * (epoch + 1))


class _LoadKernelChecked(_LoadKernelAtEpochEnd):
    def on_train_batch_end(self, batch, logs=None):  # only to make fit check the step before every batch
        pass


def test_weights_loaded_between_epochs_are_trained(float64):
    """Weights an epoch-end callback loads are the ones the next epoch's (exclusive) steps train."""
    exclusive = _fit([_LoadKernelAtEpochEnd()], epochs=3)
    checked = _fit([_LoadKernelChecked()], epochs=3)
    kernel = exclusive[0].kernel.numpy()
    assert not np.allclose(kernel, 0.2)  # the kernel given after epoch 2 was trained in epoch 3
    for a, b in zip(exclusive.parameters(), checked.parameters()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("hidden", ["relu", "sigmoid", "tanh", "hard_sigmoid", "leaky_relu", "softplus", "linear",
                                    "elu", "selu", "relu6", "gelu", "silu"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_predict_runs_the_written_out_forward(hidden, dtype):
    """predict on a Dense stack (Flatten first, Dropout and Activation layers included) skips the graph and gives
    what the layers compute."""
    fl.set_default_dtype(dtype)
    try:
        fl.set_seed(0)
        model = fl.Sequential([fl.layers.Flatten(input_shape=(2, 3)), fl.layers.Dense(7, activation=hidden),
                               fl.layers.Dropout(0.5), fl.layers.Dense(4), fl.layers.Activation("softmax")])
        x = np.random.default_rng(0).normal(size=(9, 2, 3)) * 3
        assert fastpath.dense_stack(model, inference=True) is not None
        assert fastpath.dense_stack(model) is None  # Dropout in training: only when the caller collects it
        model.eval()
        with fl.no_grad():
            expected = model(fl.tensor(x.astype(dtype))).numpy()
        got = model.predict(x, batch_size=4)
        whole = model.predict(x, batch_size=len(x))  # one batch: the forward's own array is the answer
        model.predict(x * 2, batch_size=len(x))
    finally:
        fl.set_default_dtype("float32")
    assert got.dtype == whole.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got, expected, rtol=1e-12 if dtype == "float64" else 1e-5, atol=1e-7)
    np.testing.assert_allclose(whole, expected, rtol=1e-12 if dtype == "float64" else 1e-5, atol=1e-7)
    assert whole.flags.writeable and whole.flags.c_contiguous
    assert not any(np.shares_memory(whole, p.numpy()) for p in model.parameters())  # on a GPU p.numpy() is a copy


def _three_layers(seed=0):
    fl.set_seed(seed)
    return fl.Sequential([fl.layers.Dense(8, activation="relu", input_dim=3), fl.layers.Dense(6, activation="tanh"),
                          fl.layers.Dense(2, activation="softmax")])


def _by_the_layers(model, x):
    with fl.no_grad():
        return model(fl.tensor(x.astype("float32"))).numpy()


def _host_arrays(kept):
    return [a for a in kept._arrays.values() if isinstance(a, np.ndarray)]  # device arrays share nothing


def test_predict_keeps_the_hidden_outputs_and_never_hands_them_out():
    """The hidden layers' outputs are kept from one predict to the next (a smaller batch writes the first rows of
    them); what predict returns is never one of them, so a later call leaves an earlier answer alone."""
    model = _three_layers()
    x = np.random.default_rng(0).normal(size=(20, 3))
    first = model.predict(x, batch_size=20)
    kept = fastpath.kept_outputs(model)
    arrays = dict(kept._arrays)
    assert sorted(arrays) == [0, 1]  # the two hidden layers, not the output layer
    assert [a.shape for a in arrays.values()] == [(20, 8), (20, 6)]
    second = model.predict(x * 2, batch_size=7)
    assert all(kept._arrays[i] is a for i, a in arrays.items())  # written again, not made again
    np.testing.assert_allclose(first, _by_the_layers(model, x), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(second, _by_the_layers(model, x * 2), rtol=1e-5, atol=1e-7)
    assert not any(np.shares_memory(out, a) for out in (first, second) for a in _host_arrays(kept))


def test_kept_outputs_stay_under_their_limit(monkeypatch):
    monkeypatch.setattr(fastpath.KeptOutputs, "LIMIT", 20 * 8 * 4 + 100)  # room for the first layer's only
    model = _three_layers()
    x = np.random.default_rng(1).normal(size=(20, 3))
    for _ in range(2):
        got = model.predict(x, batch_size=20)
        np.testing.assert_allclose(got, _by_the_layers(model, x), rtol=1e-5, atol=1e-7)
    assert [a.shape for a in fastpath.kept_outputs(model)._arrays.values()] == [(20, 8)]


def test_a_second_thread_computes_with_fresh_arrays_while_the_kept_ones_are_in_use():
    model = _three_layers()
    x = np.random.default_rng(2).normal(size=(5, 3))
    kept = fastpath.kept_outputs(model)
    with kept.borrow() as mine:
        assert mine is kept
        with kept.borrow() as theirs:
            assert theirs is None
        got = model.predict(x)  # what another thread's call would meet: the arrays are borrowed
        assert kept._arrays == {}
    np.testing.assert_allclose(got, _by_the_layers(model, x), rtol=1e-5, atol=1e-7)
    model.predict(x)
    assert sorted(kept._arrays) == [0, 1]


def test_kept_outputs_go_with_their_model():
    import gc
    import weakref

    model = _three_layers()
    model.predict(np.ones((4, 3)))
    kept = weakref.ref(fastpath.kept_outputs(model))
    del model
    gc.collect()
    assert kept() is None


def test_predict_with_layers_of_two_dtypes_takes_the_general_path():
    fl.set_default_dtype("float64")
    try:
        first = fl.layers.Dense(3, input_dim=2)  # built at once, float64
    finally:
        fl.set_default_dtype("float32")
    model = fl.Sequential([first, fl.layers.Dense(2, input_dim=3)])  # the second float32: it casts its input
    x = np.random.default_rng(0).normal(size=(3, 2))
    with fl.no_grad():
        expected = model(fl.tensor(x)).numpy()
    got = model.predict(x)
    assert got.dtype == expected.dtype == np.dtype("float32")
    np.testing.assert_array_equal(got, expected)


def _big_model(seed=0):
    """784 → 100 → 10: at batch 64 the first layer's products are big enough to run in pieces (fnlearn.blas)."""
    fl.set_seed(seed)
    return fl.Sequential([fl.layers.Dense(100, activation="relu", input_dim=784),
                          fl.layers.Dense(10, activation="softmax")])


def _two_blas_threads(monkeypatch, dtype):
    """Products in pieces as on a 2-core machine, whatever this one has (skips where there is no gemm_batch)."""
    _needs_numpy_blas()
    if blas.get(dtype) is None or blas.get(dtype)._gemm_batch is None:
        pytest.skip("NumPy's BLAS has no gemm_batch here (not NumPy's OpenBLAS wheel, or OpenBLAS < 0.3.28)")
    monkeypatch.setattr(blas.Blas, "threads", lambda self: 2)


BIG_X = np.random.default_rng(2).random((192, 784))
BIG_Y = np.random.default_rng(3).integers(0, 10, 192)


@pytest.mark.parametrize("make_opt", [OPTIMIZERS[0], OPTIMIZERS[2]], ids=["sgd", "adam"])
@pytest.mark.parametrize("exclusive", [False, True], ids=["step", "exclusive"])
@pytest.mark.parametrize("order", ["C", "F"])
def test_products_in_pieces_match_autodiff(float64, monkeypatch, make_opt, exclusive, order):
    """With two BLAS threads the first layer's forward product runs in two pieces along its 784 inputs and its
    weight gradient (or plain SGD's step inside it) in two pieces of its rows: the same weights, losses and
    gradients as the general path, in float64. A Fortran-ordered batch, which the pieces cannot take, runs
    whole with the same result."""
    _two_blas_threads(monkeypatch, np.float64)
    calls = []
    for kind in (blas.SplitProduct, blas.SplitAtb):
        real = kind.__call__
        monkeypatch.setattr(kind, "__call__", lambda self, *args, real=real: (
            calls.append((type(self).__name__, len(self._offsets))), real(self, *args))[1])
    results = []
    for fast in (True, False):
        model = _big_model()
        opt = make_opt().bind(model.parameters())
        plan = fastpath.compile_step(model, "sparse_categorical_crossentropy", opt)
        plan.exclusive = exclusive
        loss_fn = fl.losses.get("sparse_categorical_crossentropy")
        losses = []
        for i in range(0, 192, 64):
            xb, yb = np.asarray(BIG_X[i:i + 64], order=order), BIG_Y[i:i + 64]
            if fast:
                losses.append(plan(xb, yb)[0])
            else:
                total = loss_fn(yb, model(xb))
                opt.zero_grad()
                total.backward()
                opt.step()
                losses.append(total.item())
        plan.settle()
        results.append(([p.numpy().copy() for p in model.parameters()], [p.grad.copy() for p in model.parameters()],
                        losses))
    if order == "C":
        assert ("SplitProduct", 2) in calls and ("SplitAtb", 2) in calls  # the pieces really ran
    else:
        assert not calls  # layer 1 is the only one big enough, and its batch is not C-contiguous
    (w_fast, g_fast, l_fast), (w_slow, g_slow, l_slow) = results
    np.testing.assert_allclose(l_fast, l_slow, rtol=1e-12)
    for a, b in zip(w_fast, w_slow):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
    for a, b in zip(g_fast, g_slow):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_a_thread_count_change_is_followed(monkeypatch):
    """The pieces follow the BLAS thread count at each step: one thread, one ordinary product again."""
    _two_blas_threads(monkeypatch, np.float32)
    threads = [2]
    monkeypatch.setattr(blas.Blas, "threads", lambda self: threads[0])
    calls = []
    real = blas.SplitProduct.__call__
    monkeypatch.setattr(blas.SplitProduct, "__call__", lambda self, *args: (calls.append(1), real(self, *args))[1])
    model = _big_model()
    plan = fastpath.compile_step(model, "sparse_categorical_crossentropy",
                                 fl.optim.SGD(model.parameters(), learning_rate=0.1))
    xb = BIG_X[:64].astype(np.float32)
    plan(xb, BIG_Y[:64])
    assert len(calls) == 1
    threads[0] = 1
    plan(xb, BIG_Y[:64])
    assert len(calls) == 1
    threads[0] = 2
    plan(xb, BIG_Y[:64])
    assert len(calls) == 2


@pytest.mark.parametrize("spread", [1.0, 400.0])
def test_written_out_softmax_is_stable_for_any_spread(spread):
    """The written-out softmax shifts by the batch's largest score where the rows lie close together and by each
    row's own where one lies far below (it would underflow to 0/0): both give the layers' own probabilities."""
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(3, activation="softmax", input_dim=2)])
    model[0].kernel.data[...] = backend.to_device(np.array([[spread, -spread, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32))
    x = np.array([[1.0, 0.0], [-1.0, 0.5], [0.0, 2.0]], dtype=np.float32)
    with fl.no_grad():
        expected = model(fl.tensor(x)).numpy()
    got = model.predict(x)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("name", ["elu", "selu", "gelu", "silu"])
def test_kept_slopes_match_the_autodiff_ones_in_float32_far_below_zero(name):
    # elu's slope s·α·eᶻ, if recomputed from the output as a + s·α, cancels to 0 in float32 below z ≈ −16
    z = np.array([-30.0, -18.0, -16.0, -12.0, -0.5, 0.5, 3.0], dtype=np.float32)
    fwd, bwd = fastpath._sloped_pair(fastpath._SLOPED[name])
    out = fwd(backend.to_device(z.copy()))
    slope = backend.to_numpy(bwd(backend.to_device(np.ones_like(z)), out))
    t = fl.tensor(z, requires_grad=True)
    fl.functional.ACTIVATIONS[name](t).sum().backward()
    np.testing.assert_allclose(slope, backend.to_numpy(t.grad), rtol=1e-6, atol=0)
    np.testing.assert_allclose(backend.to_numpy(out), fl.functional.ACTIVATIONS[name](fl.tensor(z)).numpy(), rtol=1e-6)


def _dropout_model(hidden: str, optimizer) -> fl.Sequential:
    fl.set_seed(3)
    model = fl.Sequential([fl.layers.Dense(8, activation=hidden, input_dim=5), fl.layers.Dropout(0.3),
                           fl.layers.Dense(6), fl.layers.Activation("relu"), fl.layers.Dropout(0.5, seed=11),
                           fl.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer(), loss="sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize("hidden", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("optimizer", [lambda: fl.optim.SGD(learning_rate=0.05),
                                       lambda: fl.optim.Adam(learning_rate=0.01)], ids=["sgd", "adam"])
@pytest.mark.parametrize("in_product", [False, True], ids=["", "step-in-product"])
def test_dropout_after_hidden_layers_trains_as_the_general_step(monkeypatch, float64, hidden, optimizer, in_product):
    """fit's written-out step applies a hidden layer's Dropout itself (the same masks, drawn from the layers'
    own streams): the weights come out as the autodiff step leaves them, and the layers count their draws."""
    if in_product:
        monkeypatch.setattr(fastpath, "_IN_PRODUCT_MIN", 1)  # plain SGD's step inside every gradient product
    y = np.random.default_rng(2).integers(0, 3, 64)
    fast = _dropout_model(hidden, optimizer)
    found: dict = {}
    assert fastpath.dense_stack(fast, dropouts=found) is not None and sorted(found) == [0, 1]
    steps = []
    step = fastpath.StepPlan.__call__
    monkeypatch.setattr(fastpath.StepPlan, "__call__", lambda plan, *args: steps.append(1) or step(plan, *args))
    fast.fit(X, y, epochs=3, batch_size=16, verbose=0)
    assert len(steps) == 12  # every step was the written-out one
    monkeypatch.setattr(fastpath, "compile_step", lambda *args, **kwargs: None)
    slow = _dropout_model(hidden, optimizer)
    slow.fit(X, y, epochs=3, batch_size=16, verbose=0)
    for a, b in zip(fast.get_weights(), slow.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert [layer.draws for layer in fast.layers if isinstance(layer, fl.layers.Dropout)] == [12, 12]
    assert [layer.seed for layer in fast.layers if isinstance(layer, fl.layers.Dropout)] == \
        [layer.seed for layer in slow.layers if isinstance(layer, fl.layers.Dropout)]
    fresh = _dropout_model(hidden, optimizer)
    assert not np.allclose(fresh.get_weights()[0], fast.get_weights()[0])  # it did train


@pytest.mark.parametrize("layers", [
    lambda: [fl.layers.Dropout(0.2, input_shape=(5,)), fl.layers.Dense(3, activation="softmax")],
    lambda: [fl.layers.Dense(4, input_dim=5), fl.layers.Dense(3, activation="softmax"), fl.layers.Dropout(0.2)],
    lambda: [fl.layers.Dense(4, input_dim=5), fl.layers.Dropout(0.2), fl.layers.Activation("sigmoid"),
             fl.layers.Dense(3, activation="softmax")],
    lambda: [fl.layers.Dense(4, activation="relu", input_dim=5), fl.layers.Dropout(0.2), fl.layers.Dropout(0.3),
             fl.layers.Dense(3, activation="softmax")],
], ids=["on-inputs", "on-outputs", "before-activation", "twice"])
def test_dropout_elsewhere_leaves_the_model_to_the_general_step(layers):
    model = fl.Sequential(layers())
    assert fastpath.dense_stack(model, dropouts={}) is None
    assert fastpath.dense_stack(model, inference=True) is not None  # predict still skips the graph
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(X, np.eye(3)[np.random.default_rng(2).integers(0, 3, 64)], epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_a_dropout_rate_of_zero_is_no_layer_at_all():
    model = fl.Sequential([fl.layers.Dense(4, activation="relu", input_dim=5), fl.layers.Dropout(0.0),
                           fl.layers.Dense(3, activation="softmax")])
    found: dict = {}
    assert fastpath.dense_stack(model, dropouts=found) is not None and found == {}


def test_a_plan_with_dropout_is_not_captured_as_a_cuda_graph():
    """A replayed graph would apply the mask recorded with it at every step."""
    from fnlearn import gpu

    model = _dropout_model("relu", lambda: fl.optim.SGD(learning_rate=0.1))
    model.build((5,))
    plan = fastpath.compile_step(model, model.loss, model.optimizer.bind(model.parameters()))
    assert plan is not None and sorted(plan.dropouts) == [0, 1]
    assert "Dropout" in gpu.capture_refusal(plan)


# ---------------------------------------------------------------------------- batch normalisation

BN = fl.layers.BatchNormalization


def _normalised_model(placement: str, optimizer, seed: int = 0) -> fl.Sequential:
    """A classifier with BatchNormalization where models put it: before the activation (Dense, BN, Activation),
    after it (Dense with activation, BN), both, without scale or offset, before the output's softmax, with a
    Dropout after it."""
    fl.set_seed(seed)
    stages = {
        "before": [fl.layers.Dense(6, input_dim=5), BN(), fl.layers.Activation("relu")],
        "after": [fl.layers.Dense(6, activation="tanh", input_dim=5), BN(momentum=0.9)],
        "both": [fl.layers.Dense(6, input_dim=5), BN(scale=False), fl.layers.Activation("sigmoid"), BN(center=False)],
        "linear": [fl.layers.Dense(6, input_dim=5), BN(epsilon=0.1)],
        "dropout": [fl.layers.Dense(6, activation="relu", input_dim=5), BN(), fl.layers.Dropout(0.3)],
        "output": [fl.layers.Dense(6, activation="relu", input_dim=5)],
    }[placement]
    head = [fl.layers.Dense(3), BN(), fl.layers.Activation("softmax")] if placement == "output" else \
        [fl.layers.Dense(3, activation="softmax")]
    model = fl.Sequential([*stages, fl.layers.Dense(4, activation="relu"), *head])
    model.compile(optimizer=optimizer(), loss="sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize("placement", ["before", "after", "both", "linear", "dropout", "output"])
@pytest.mark.parametrize("optimizer", [lambda: fl.optim.SGD(learning_rate=0.05),
                                       lambda: fl.optim.Adam(learning_rate=0.01)], ids=["sgd", "adam"])
def test_batch_normalisation_trains_on_the_written_out_step_as_on_the_general_one(monkeypatch, float64, placement,
                                                                                  optimizer):
    """The same weights, moving statistics and gradients as the autodiff step, every step written out."""
    y = np.random.default_rng(2).integers(0, 3, 64)
    fast = _normalised_model(placement, optimizer)
    steps = []
    step = fastpath.StepPlan.__call__
    monkeypatch.setattr(fastpath.StepPlan, "__call__", lambda plan, *args: steps.append(plan) or step(plan, *args))
    fast.fit(X, y, epochs=3, batch_size=16, verbose=0)
    assert len(steps) == 12 and steps[0].norms  # every step was the written-out one, with the layers in it
    monkeypatch.setattr(fastpath, "compile_step", lambda *args, **kwargs: None)
    slow = _normalised_model(placement, optimizer)
    slow.fit(X, y, epochs=3, batch_size=16, verbose=0)
    # atol: a bias right before a normalisation has a gradient of rounding noise only (the batch mean takes it
    # out), which the two steps sum in different orders; Adam turns that noise into steps of ~1e-11
    for a, b in zip(fast.get_weights(), slow.get_weights()):  # moving statistics included
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
    for a, b in zip(fast.parameters(), slow.parameters()):
        assert (a.grad is None) == (b.grad is None)
        if a.grad is not None:
            np.testing.assert_allclose(backend.to_numpy(a.grad), backend.to_numpy(b.grad), rtol=1e-8, atol=1e-10)
    norms = [layer for layer in fast.layers if isinstance(layer, BN)]
    assert not np.allclose(norms[0].moving_mean.numpy(), 0.0)  # the statistics followed the batches
    np.testing.assert_allclose(fast.predict(X, verbose=0), slow.eval()(X).numpy(), rtol=1e-8)  # the moving ones


def test_predict_normalises_with_the_moving_statistics_on_the_written_out_forward():
    model = _normalised_model("both", lambda: fl.optim.SGD(learning_rate=0.1))
    model.fit(X, np.arange(64) % 3, epochs=2, batch_size=8, verbose=0)
    stack = fastpath.dense_stack(model, inference=True, sample_shape=(5,))
    assert stack is not None and sorted(stack.norms) == [(0, False), (0, True)]
    out = fastpath.forward(stack, backend.to_device(X.astype("float32")))
    np.testing.assert_allclose(backend.to_numpy(out), model.eval()(X).numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layers", [
    lambda: [BN(input_shape=(5,)), fl.layers.Dense(3, activation="softmax")],
    lambda: [fl.layers.Dense(4, activation="relu", input_dim=5), fl.layers.Dropout(0.2), BN(),
             fl.layers.Dense(3, activation="softmax")],
    lambda: [fl.layers.Dense(4, input_dim=5), BN(), BN(), fl.layers.Activation("relu"),
             fl.layers.Dense(3, activation="softmax")],
    lambda: [fl.layers.Dense(4, activation="relu", input_dim=5), BN(), BN(),
             fl.layers.Dense(3, activation="softmax")],
    lambda: [fl.layers.Dense(4, activation="relu", input_dim=5), fl.layers.Dense(3, activation="softmax"), BN()],
], ids=["on-inputs", "after-dropout", "activation-after-two", "twice-after", "on-outputs"])
def test_batch_normalisation_elsewhere_leaves_training_to_the_general_step(layers):
    model = fl.Sequential(layers())
    model.compile(optimizer="adam", loss="mse")
    assert fastpath.compile_step(model, model.loss, model.optimizer.bind(model.trainable_parameters()), (5,)) is None
    history = model.fit(X, np.eye(3)[np.arange(64) % 3], epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize("change", ["frozen", "regularized"])
def test_a_frozen_or_penalised_normalisation_trains_on_the_general_step(change):
    """A frozen BatchNormalization runs in inference inside fit (Keras 3); a penalty adds to the loss."""
    norm = BN(gamma_regularizer="l2") if change == "regularized" else BN()
    model = fl.Sequential([fl.layers.Dense(4, input_dim=5), norm, fl.layers.Activation("relu"),
                           fl.layers.Dense(3, activation="softmax")])
    norm.trainable = change != "frozen"
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert fastpath.compile_step(model, model.loss, model.optimizer.bind(model.trainable_parameters()), (5,)) is None
    assert fastpath.dense_stack(model, inference=True) is not None  # predict still skips the graph


def test_a_single_sample_batch_warns_on_the_written_out_step_too():
    model = _normalised_model("before", lambda: fl.optim.SGD(learning_rate=0.1))
    with pytest.warns(RuntimeWarning, match="training batch of one sample"):
        model.fit(X[:17], np.arange(17) % 3, epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(model.get_weights()[0]).all()


def test_a_plan_with_batch_normalisation_is_not_captured_as_a_cuda_graph():
    """The replayed step cannot keep the moving statistics of the last finite step without a host read."""
    from fnlearn import gpu

    model = _normalised_model("after", lambda: fl.optim.SGD(learning_rate=0.1))
    plan = fastpath.compile_step(model, model.loss, model.optimizer.bind(model.trainable_parameters()), (5,))
    assert plan is not None and sorted(plan.norms) == [(0, False)]
    assert "BatchNormalization" in gpu.capture_refusal(plan)
