"""loss_surface() and compare_optimizers(): the grid centre is the trained point, weights come back
exactly, each optimizer's path starts at the start and ends where that optimizer ends."""

from __future__ import annotations

import numpy as np
import pytest
from explain_helpers import assert_png

import fnlearn as fl
from fnlearn.errors import ConfigError, DataError, ShapeError
from fnlearn.explain import OptimizerComparison, Surface, Trace, compare_optimizers, loss_surface
from fnlearn.explain.surface import filter_normalized_direction


def _trained():
    fl.set_seed(1)
    x = np.linspace(-2, 2, 24)[:, None]
    y = np.sin(2 * x)
    model = fl.Sequential([fl.layers.Dense(3, activation="sigmoid", input_dim=1), fl.layers.Dense(1)])
    model.compile(fl.optim.Adam(learning_rate=0.05), "mse")
    model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    return model, x, y


def _snapshot(model):
    return {n: (p.data, p.data.copy(), p.grad) for n, p in model.named_parameters()}


def _assert_restored(model, snap):
    for n, p in model.named_parameters():
        obj, values, grad = snap[n]
        assert p.data is obj, f"{n} got a new array"
        np.testing.assert_array_equal(p.numpy(), fl.backend.to_numpy(values))
        assert p.grad is grad


def test_centre_of_the_parameter_grid_is_model_evaluate():
    model, x, y = _trained()
    snap = _snapshot(model)
    s = loss_surface(model, data=(x, y), params=("0.kernel[0,1]", "1.bias[0]"), span=0.5, resolution=5)
    assert isinstance(s, Surface) and s.loss.shape == (5, 5)
    expected = model.evaluate(x, y, batch_size=len(x))
    assert s.center_loss == pytest.approx(expected, rel=1e-6)
    assert s.loss[2, 2] == pytest.approx(expected, rel=1e-6)
    assert s.center == (pytest.approx(float(model[0].kernel.numpy()[0, 1])),
                        pytest.approx(float(model[1].bias.numpy()[0])))
    assert s.labels == ("0.kernel[0,1]", "1.bias[0]")
    _assert_restored(model, snap)


def test_an_off_centre_grid_point_is_the_loss_with_those_two_numbers_changed():
    model, x, y = _trained()
    s = loss_surface(model, data=(x, y), params=("0.kernel[0,0]", "0.bias[2]"), span=(1.0, 2.0), resolution=3)
    assert s.a[0] == pytest.approx(s.center[0] - 1.0) and s.b[2] == pytest.approx(s.center[1] + 2.0)
    other = fl.Sequential([fl.layers.Dense(3, activation="sigmoid", input_dim=1), fl.layers.Dense(1)])
    other.load_state_dict(model.state_dict())
    other.compile("sgd", "mse")
    other[0].kernel.data[0, 0] = s.a[0]
    other[0].bias.data[2] = s.b[2]
    assert s.loss[2, 0] == pytest.approx(other.evaluate(x, y, batch_size=len(x)), rel=1e-6)


def test_random_filter_normalised_directions():
    model, x, y = _trained()
    snap = _snapshot(model)
    s = loss_surface(model, data=(x, y), directions="random", span=0.3, resolution=3, seed=7)
    assert s.center_loss == pytest.approx(model.evaluate(x, y, batch_size=len(x)), rel=1e-6)
    assert s.loss[1, 1] == pytest.approx(s.center_loss, rel=1e-12)
    _assert_restored(model, snap)
    for d in s.directions:
        for name, p in model.named_parameters():
            theta = p.numpy().astype(np.float64)
            if theta.ndim == 1:
                assert np.all(d[name] == 0)  # biases do not move (Li et al.)
            else:  # each unit's column has the norm of that unit's weights
                np.testing.assert_allclose(np.linalg.norm(d[name], axis=0), np.linalg.norm(theta, axis=0),
                                           rtol=1e-9)
    again = loss_surface(model, data=(x, y), directions="random", span=0.3, resolution=3, seed=7)
    np.testing.assert_array_equal(again.loss, s.loss)  # the seed fixes the directions
    d = filter_normalized_direction(model, np.random.default_rng(0))
    assert set(d) == set(dict(model.named_parameters()))


def test_function_surface_values():
    s = loss_surface(lambda w: (w[0] - 1) ** 2 + 3 * w[1] ** 2, center=(1.0, 0.0), span=2.0, resolution=5)
    aa, bb = np.meshgrid(s.a, s.b)
    np.testing.assert_allclose(s.loss, (aa - 1) ** 2 + 3 * bb ** 2, atol=1e-12)
    assert s.center_loss == 0.0
    raw = loss_surface(lambda w: (w.data ** 2).sum(), center=(0.5, 0.5), span=1.0, resolution=3)  # an array back
    aa, bb = np.meshgrid(raw.a, raw.b)
    np.testing.assert_allclose(raw.loss, aa ** 2 + bb ** 2, atol=1e-12)


def test_paths_from_a_trace_and_from_arrays():
    fl.set_seed(0)
    x = np.linspace(-1, 1, 8)[:, None]
    y = 2 * x + 1
    model = fl.Sequential([fl.layers.Dense(1, input_dim=1)])
    model.compile(fl.optim.SGD(learning_rate=0.1), "mse")
    trace = Trace()
    model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[trace])
    s = loss_surface(model, data=(x, y), params=("0.kernel[0,0]", "0.bias[0]"), resolution=3, span=3,
                     paths={"sgd": trace, "line": np.array([[0.0, 0.0], [1.0, 1.0]])})
    assert s.path_labels == ["sgd", "line"]
    walk = s.paths[0]
    assert walk.shape == (4, 2)
    assert walk[-1] == pytest.approx([float(model[0].kernel.numpy()[0, 0]), float(model[0].bias.numpy()[0])])
    assert walk[0] == pytest.approx([trace.rows[0]["0.kernel[0,0]"], trace.rows[0]["0.bias[0]"]])
    r = loss_surface(model, data=(x, y), directions="random", resolution=3, paths=[trace.states()])
    assert r.paths[0].shape == (4, 2) and np.allclose(r.paths[0][-1], 0.0, atol=1e-6)  # ends at the centre


def test_bad_surface_arguments_say_what_is_wrong():
    model, x, y = _trained()
    with pytest.raises(ConfigError, match=r"valid names are: 0\.kernel \(1, 3\), 0\.bias \(3,\)"):
        loss_surface(model, data=(x, y), params=("0.kernal[0,0]", "0.bias[0]"))
    with pytest.raises(ConfigError, match="did you mean '0.kernel'"):
        loss_surface(model, data=(x, y), params=("0.kernal[0,0]", "0.bias[0]"))
    with pytest.raises(ConfigError, match="does not fit parameter '0.kernel' of shape"):
        loss_surface(model, data=(x, y), params=("0.kernel[0,5]", "0.bias[0]"))
    with pytest.raises(ConfigError, match="pick one number"):
        loss_surface(model, data=(x, y), params=("0.kernel", "0.bias[0]"))
    for span in (0, -1.0, float("nan")):
        with pytest.raises(ConfigError, match="span must be a positive number"):
            loss_surface(model, data=(x, y), span=span)
    with pytest.raises(ConfigError, match="resolution"):
        loss_surface(model, data=(x, y), resolution=1)
    with pytest.raises(ConfigError, match="view"):
        loss_surface(model, data=(x, y), view="top")
    with pytest.raises(ConfigError, match="data"):
        loss_surface(model)
    with pytest.raises(ShapeError, match="samples"):
        loss_surface(model, data=(x, y[:3]))
    with pytest.raises(ConfigError, match="same number twice"):
        loss_surface(model, data=(x, y), params=("0.bias[0]", "0.bias[0]"))
    uncompiled = fl.Sequential([fl.layers.Dense(1, input_dim=1)])
    with pytest.raises(ConfigError, match="loss="):
        loss_surface(uncompiled, data=(x, y))


def ravine(w):
    return 0.5 * w[0] ** 2 + 10.0 * w[1] ** 2


def _manual_run(make_opt, start, steps):
    w = fl.Parameter(np.array(start, dtype=np.float64), dtype="float64")
    opt = make_opt([w])
    points = [w.numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        ravine(w).backward()
        opt.step()
        points.append(w.numpy().copy())
    return np.array(points)


def test_each_path_starts_at_the_start_and_ends_where_the_optimizer_ends():
    start = (-4.0, 1.0)
    lrs = {"sgd": 0.05, "momentum": 0.02, "adagrad": 0.8, "rmsprop": 0.1, "adam": 0.3}
    r = compare_optimizers(ravine, start=start, steps=25, learning_rate=lrs, resolution=5)
    assert isinstance(r, OptimizerComparison)
    assert list(r.trajectories) == ["sgd", "momentum", "adagrad", "rmsprop", "adam"]
    reference = {
        "sgd": lambda p: fl.optim.SGD(p, learning_rate=lrs["sgd"]),
        "momentum": lambda p: fl.optim.SGD(p, learning_rate=lrs["momentum"], momentum=0.9),
        "adagrad": lambda p: fl.optim.Adagrad(p, learning_rate=lrs["adagrad"]),
        "rmsprop": lambda p: fl.optim.RMSprop(p, learning_rate=lrs["rmsprop"]),
        "adam": lambda p: fl.optim.Adam(p, learning_rate=lrs["adam"]),
    }
    for name, path in r.trajectories.items():
        assert path.shape == (26, 2)
        assert path[0].tolist() == list(start)
        manual = _manual_run(reference[name], start, 25)
        np.testing.assert_allclose(path, manual, rtol=1e-12, atol=1e-12)
        assert r.losses[name][-1] == pytest.approx(float(ravine(path[-1])))
    # different optimizers really walk differently
    assert not np.allclose(r.trajectories["sgd"][-1], r.trajectories["adam"][-1])
    with pytest.raises(ConfigError, match="learning_rate names 'SGD', which is not one of the optimizers compared"):
        compare_optimizers(ravine, start=start, steps=2, learning_rate={"SGD": 0.5}, resolution=5)


def test_optimizer_objects_and_labels_are_accepted():
    r = compare_optimizers(ravine, start=(1.0, 1.0), steps=3, resolution=3,
                           optimizers={"slow": fl.optim.SGD(learning_rate=0.001), "fast": "adam"},
                           learning_rate=0.1)
    assert list(r.trajectories) == ["slow", "fast"]
    assert r.trajectories["slow"][1] == pytest.approx([1 - 0.001, 1 - 0.02])


def test_compare_on_a_model_moves_only_two_numbers_and_restores_the_model():
    model, x, y = _trained()
    snap = _snapshot(model)
    before = model.evaluate(x, y, batch_size=len(x))
    r = compare_optimizers(model, data=(x, y), params=("1.kernel[0,0]", "1.bias[0]"), steps=10,
                           optimizers=("sgd", "adam"), learning_rate=0.05, resolution=3)
    _assert_restored(model, snap)
    for name, path in r.trajectories.items():
        assert path[0] == pytest.approx([float(model[1].kernel.numpy()[0, 0]), float(model[1].bias.numpy()[0])])
        assert r.losses[name][0] == pytest.approx(before, rel=1e-5)
        # the recorded final loss is the model's loss with the two numbers at the path's end
        other = fl.Sequential([fl.layers.Dense(3, activation="sigmoid", input_dim=1), fl.layers.Dense(1)])
        other.load_state_dict(model.state_dict())
        other.compile("sgd", "mse")
        other[1].kernel.data[0, 0], other[1].bias.data[0] = path[-1]
        assert r.losses[name][-1] == pytest.approx(other.evaluate(x, y, batch_size=len(x)), rel=1e-5)
        assert r.losses[name][-1] < r.losses[name][0]


def test_compare_bad_input():
    with pytest.raises(ConfigError, match="start"):
        compare_optimizers(ravine)
    with pytest.raises(ConfigError, match="optimizer 'adamm' is not known; did you mean 'adam'"):
        compare_optimizers(ravine, start=(1, 1), optimizers=("adamm",), steps=1)
    with pytest.raises(ShapeError, match="two numbers"):
        compare_optimizers(ravine, start=(1, 1, 1), steps=1)
    with pytest.raises(DataError, match="diverged"):
        compare_optimizers(ravine, start=(1, 1), optimizers=("sgd",), learning_rate=5.0, steps=400)


def test_surface_figures(tmp_path):
    model, x, y = _trained()
    for view in ("contour", "3d", "both"):
        loss_surface(model, data=(x, y), resolution=5, view=view, path=tmp_path / f"{view}.png",
                     paths=[np.array([[0.0, 0.0], [0.5, -0.5]])])
        assert_png(tmp_path / f"{view}.png")
    compare_optimizers(ravine, start=(-3.0, 1.0), steps=5, resolution=5, learning_rate=0.05,
                       path=tmp_path / "opt.png")
    assert_png(tmp_path / "opt.png")


def test_the_default_numbers_are_the_first_layer_with_weights_in_a_functional_model_too():
    from fnlearn import keras

    fl.set_seed(5)
    x = keras.Input(shape=(2,))
    model = keras.Model(x, keras.layers.Dense(1)(keras.layers.Dense(3, activation="tanh")(x)))
    model.compile("sgd", "mse")
    data = (np.random.default_rng(0).normal(size=(20, 2)), np.zeros(20))
    s = loss_surface(model, data=data, resolution=3)
    assert s.labels == ("1.kernel[0,0]", "1.bias[0]")  # layer 0 is the Input
    assert s.center == (pytest.approx(float(model.layers[1].kernel.numpy()[0, 0])), pytest.approx(0.0))
    walked = compare_optimizers(model, data=data, optimizers=("sgd",), steps=2, resolution=3)
    assert walked.trajectories["sgd"].shape == (3, 2)
    no_bias = fl.Sequential([fl.layers.Dense(1, use_bias=False, input_dim=3)])
    no_bias.compile("sgd", "mse")
    assert loss_surface(no_bias, data=(np.ones((4, 3)), np.ones(4)), resolution=3).labels == \
        ("0.kernel[0,0]", "0.kernel[1,0]")


def test_data_given_as_params_is_one_sentence():
    model, x, y = _trained()
    with pytest.raises(ConfigError, match=r"loss_surface params must name two numbers such as \('0.kernel\[0,0\]', "
                                          r"'0.bias\[0\]'\), got a ndarray; the data go in as data=\(x, y\)"):
        loss_surface(model, x, y)
