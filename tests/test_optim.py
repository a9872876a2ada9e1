"""Optimizers: update rules written out by hand, binding, clipping, validation, state round trips."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fnlearn as fl
from fnlearn.errors import ConfigError, NotReadyError, ShapeError

O = fl.optim


def _param(values, grad=None, dtype="float64"):
    p = fl.Parameter(np.array(values, dtype=float), dtype=dtype)
    if grad is not None:
        p.grad = fl.backend.to_device(np.array(grad, dtype=p.dtype))
    return p


def test_sgd_momentum_follows_the_lecture_form():
    """m ← λm − ηg; θ ← θ + m, checked against the arithmetic written out."""
    p = _param([1.0])
    opt = O.SGD([p], learning_rate=0.1, momentum=0.5)
    theta, m = 1.0, 0.0
    for _ in range(4):
        p.grad = 2 * p.data.copy()  # L = θ²
        g = 2 * theta
        m = 0.5 * m - 0.1 * g
        theta = theta + m
        opt.step()
        assert p.numpy()[0] == pytest.approx(theta, rel=1e-15)


def test_plain_sgd_and_nesterov_by_hand():
    p = _param([1.0, -2.0], grad=[0.5, 1.0])
    O.SGD([p], lr=0.2).step()
    np.testing.assert_allclose(p.numpy(), [0.9, -2.2])
    q = _param([1.0], grad=[1.0])
    opt = O.SGD([q], learning_rate=0.1, momentum=0.9, nesterov=True)
    opt.step()  # m = −0.1; θ = 1 + 0.9·(−0.1) − 0.1
    assert q.numpy()[0] == pytest.approx(0.81)
    opt.step()  # m = 0.9·(−0.1) − 0.1 = −0.19; θ = 0.81 + 0.9·(−0.19) − 0.1
    assert q.numpy()[0] == pytest.approx(0.81 - 0.171 - 0.1)


def test_adagrad_rmsprop_adam_first_steps_by_hand():
    p = _param([1.0], grad=[2.0])
    O.Adagrad([p], learning_rate=0.1, initial_accumulator_value=0.0, epsilon=0.0).step()
    assert p.numpy()[0] == pytest.approx(1.0 - 0.1 * 2 / 2)
    p = _param([1.0], grad=[2.0])
    O.RMSprop([p], learning_rate=0.1, rho=0.9, epsilon=0.0).step()
    assert p.numpy()[0] == pytest.approx(1.0 - 0.1 * 2 / math.sqrt(0.1 * 4))
    p = _param([1.0, 1.0], grad=[3.0, -0.001])
    O.Adam([p], learning_rate=0.01).step()  # bias correction: the first step is ≈ η·sign(g)
    np.testing.assert_allclose(p.numpy(), [0.99, 1.01], rtol=1e-5)
    p = _param([2.0], grad=[0.0])
    O.AdamW([p], learning_rate=0.1, weight_decay=0.5).step()
    assert p.numpy()[0] == pytest.approx(2.0 * (1 - 0.1 * 0.5))
    adam = O.Adam()
    assert (adam.beta_1, adam.beta_2, adam.epsilon, adam.learning_rate) == (0.9, 0.999, 1e-8, 0.001)


@pytest.mark.parametrize("make", [lambda p: O.SGD(p, 0.1), lambda p: O.SGD(p, 0.1, momentum=0.9),
                                  lambda p: O.Adagrad(p), lambda p: O.RMSprop(p, momentum=0.5, centered=True),
                                  lambda p: O.Adam(p), lambda p: O.AdamW(p)])
def test_updates_are_in_place_keep_dtype_and_skip_parameters_without_gradient(make):
    a = _param([1.0, 2.0], grad=[0.3, -0.2], dtype="float32")
    b = _param([5.0], dtype="float32")
    before_a, before_b = a.data, b.numpy().copy()
    opt = make([a, b])
    opt.step()
    assert a.data is before_a and a.dtype == np.float32
    assert not np.array_equal(a.numpy(), [1.0, 2.0])
    assert np.array_equal(b.numpy(), before_b)
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_keras_style_construction_binds_later():
    opt = O.SGD(learning_rate=0.087)
    assert opt.params is None and opt.learning_rate == 0.087
    with pytest.raises(NotReadyError, match="no parameters"):
        opt.step()
    model = fl.Sequential([fl.layers.Dense(2, input_dim=3)])
    opt.bind(model)
    assert opt.params == model.parameters()
    assert O.SGD(lr=0.5).learning_rate == 0.5
    with pytest.raises(ConfigError, match=r"learning_rate=0.1"):
        O.SGD(0.1)
    with pytest.raises(ConfigError, match="non-empty list"):
        O.Adam([])


@pytest.mark.parametrize("bad", [0, -0.1, float("nan"), float("inf"), "fast", None, True])
def test_bad_learning_rates_raise(bad):
    with pytest.raises(ConfigError, match="learning_rate"):
        O.SGD(learning_rate=bad)
    opt = O.Adam(learning_rate=0.01)
    with pytest.raises(ConfigError):
        opt.learning_rate = bad
    assert opt.learning_rate == 0.01


def test_bad_hyper_parameters_raise():
    with pytest.raises(ConfigError, match="momentum"):
        O.SGD(momentum=1.5)
    with pytest.raises(ConfigError, match="nesterov"):
        O.SGD(nesterov=True)
    with pytest.raises(ConfigError, match="beta_1"):
        O.Adam(beta_1=1.0)
    with pytest.raises(ConfigError, match="rho"):
        O.RMSprop(rho=-0.1)
    with pytest.raises(ConfigError, match="clipnorm"):
        O.SGD(clipnorm=0)
    with pytest.raises(ConfigError, match="weight_decay"):
        O.AdamW(weight_decay=-1)


def test_learning_rate_is_settable_and_schedules_follow_iterations():
    p = _param([0.0], grad=[1.0])
    sched = O.schedules.StepDecay(0.1, drop_every=2, factor=0.5)
    opt = O.SGD([p], learning_rate=sched)
    rates = []
    for _ in range(5):
        rates.append(opt.current_learning_rate())
        opt.step()
    assert rates == [0.1, 0.1, 0.05, 0.05, 0.025]
    assert p.numpy()[0] == pytest.approx(-sum(rates))
    opt.learning_rate = 0.3
    assert opt.current_learning_rate() == 0.3 and opt.lr == 0.3


def test_clipping_by_value_norm_and_global_norm():
    def stepped(**clip):
        a, b = _param([0.0, 0.0], grad=[3.0, 4.0]), _param([0.0], grad=[12.0])
        O.SGD([a, b], learning_rate=1.0, **clip).step()
        return -a.numpy(), -b.numpy()

    a, b = stepped(clipvalue=3.5)
    np.testing.assert_allclose(a, [3.0, 3.5]) and np.testing.assert_allclose(b, [3.5])
    a, b = stepped(clipnorm=1.0)  # per parameter: ‖(3, 4)‖ = 5, ‖12‖ = 12
    np.testing.assert_allclose(a, [0.6, 0.8]) and np.testing.assert_allclose(b, [1.0])
    a, b = stepped(global_clipnorm=6.5)  # ‖(3, 4, 12)‖ = 13
    np.testing.assert_allclose(a, [1.5, 2.0]) and np.testing.assert_allclose(b, [6.0])
    a, b = stepped(clipnorm=100.0)  # under the limit: unchanged
    np.testing.assert_allclose(a, [3.0, 4.0])


def _trained(opt_factory, steps, start_state=None):
    rng = np.random.default_rng(0)
    params = [_param(rng.normal(size=3)), _param(rng.normal(size=(2, 2)))]
    opt = opt_factory(params)
    for _ in range(steps):
        for p in params:
            p.grad = np.sin(p.data) + 0.5 * p.data  # some smooth gradient field
        opt.step()
    return params, opt


@pytest.mark.parametrize("factory", [lambda p: O.SGD(p, 0.1, momentum=0.9), lambda p: O.Adagrad(p, 0.1),
                                     lambda p: O.RMSprop(p, 0.01, momentum=0.3, centered=True),
                                     lambda p: O.Adam(p, 0.05), lambda p: O.AdamW(p, 0.05),
                                     lambda p: O.Adamax(p, 0.05), lambda p: O.Nadam(p, 0.05)])
def test_state_dict_round_trip_resumes_exactly(factory):
    params, opt = _trained(factory, 5)
    saved_params = [p.numpy().copy() for p in params]
    state = opt.state_dict()
    assert state["iterations"] == 5
    # continue the original 5 more steps
    for _ in range(5):
        for p in params:
            p.grad = np.sin(p.data) + 0.5 * p.data
        opt.step()
    # a fresh optimizer on copies of the saved parameters, loaded from the state dict
    copies = [_param(v) for v in saved_params]
    resumed = factory(copies)
    resumed.load_state_dict(state)
    assert resumed.iterations == 5
    for _ in range(5):
        for p in copies:
            p.grad = np.sin(p.data) + 0.5 * p.data
        resumed.step()
    for p, q in zip(params, copies):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_state_dict_is_a_copy_and_bad_state_changes_nothing():
    params, opt = _trained(lambda p: O.Adam(p, 0.05), 3)
    state = opt.state_dict()
    state["state"][0]["m"][:] = 123.0
    assert not np.any(opt.state[0]["m"] == 123.0)
    before = opt.state_dict()
    bad = {"iterations": 9, "state": [state["state"][0], {"m": np.zeros(3), "v": np.zeros(3)}]}
    with pytest.raises(ConfigError, match=r"shape \(3,\).*\(2, 2\)"):
        opt.load_state_dict(bad)
    with pytest.raises(ConfigError, match="1 parameter slots"):
        opt.load_state_dict({"iterations": 1, "state": [{}]})
    after = opt.state_dict()
    assert after["iterations"] == before["iterations"] == 3
    for s0, s1 in zip(before["state"], after["state"]):
        for k in s0:
            np.testing.assert_array_equal(s0[k], s1[k])


def test_config_round_trip_and_names():
    sched = O.schedules.CosineDecay(0.1, decay_steps=100, alpha=0.1)
    for opt in (O.SGD(learning_rate=0.087, momentum=0.9, nesterov=True, clipnorm=1.0),
                O.Adagrad(learning_rate=0.2, initial_accumulator_value=0.0, epsilon=1e-10),
                O.RMSprop(learning_rate=sched, rho=0.8, momentum=0.1, centered=True),
                O.Adam(learning_rate=0.003, beta_1=0.8, global_clipnorm=2.0),
                O.AdamW(weight_decay=0.1, clipvalue=0.5), O.Adamax(beta_2=0.99), O.Nadam(epsilon=1e-6)):
        config = opt.get_config()
        again = O.from_config(config)
        assert type(again) is type(opt) and again.get_config() == config
    assert isinstance(O.get("adam"), O.Adam) and isinstance(O.get("SGD"), O.SGD)
    assert isinstance(O.get(O.RMSprop), O.RMSprop)
    opt = O.Adam()
    assert O.get(opt) is opt
    with pytest.raises(ConfigError, match="did you mean 'adam'.*valid names are"):
        O.get("adma")
    assert "learning_rate=0.087" in repr(O.SGD(learning_rate=0.087))


@pytest.mark.parametrize("make", [lambda p: O.SGD(p, 0.1), lambda p: O.SGD(p, 0.1, momentum=0.9),
                                  lambda p: O.Adagrad(p, initial_accumulator_value=0.3),
                                  lambda p: O.RMSprop(p), lambda p: O.RMSprop(p, momentum=0.5, centered=True),
                                  lambda p: O.Adam(p), lambda p: O.AdamW(p), lambda p: O.Adamax(p),
                                  lambda p: O.Nadam(p)])
def test_declared_slots_are_the_ones_update_keeps(make):
    """slot_init() (used to run one update over all parameters at once) matches what update() creates."""
    p = _param([1.0, -2.0])
    opt = make([p])
    slots = opt.slot_init()
    p.grad = fl.backend.to_device(np.zeros(2))  # a zero gradient leaves every slot at its initial fill
    opt.step()
    assert set(opt.state[0]) == set(slots)
    for name, fill in slots.items():
        if name in ("m", "v", "u", "b", "mean_grad", "accumulator"):
            np.testing.assert_array_equal(fl.backend.to_numpy(opt.state[0][name]), np.full(2, fill))
    assert make([p]).__class__(learning_rate=0.1, clipnorm=1.0).slot_init() is None


def _textbook_step(opt, p, g, state, lr):
    """Each rule as plain NumPy expressions, allocating a temporary per operation: the forms that the
    optimizers' in-place updates must reproduce bit for bit (the same roundings in the same order)."""
    if isinstance(opt, O.AdamW):
        p *= 1 - lr * opt.weight_decay
    if isinstance(opt, O.Adam):
        m, v = state.setdefault("m", np.zeros_like(p)), state.setdefault("v", np.zeros_like(p))
        m *= opt.beta_1
        m += (1 - opt.beta_1) * g
        v *= opt.beta_2
        v += (1 - opt.beta_2) * g * g
        t = opt.iterations
        denom = np.sqrt(v) / math.sqrt(1 - opt.beta_2 ** t)
        denom += opt.epsilon
        p -= lr / (1 - opt.beta_1 ** t) * m / denom
    elif isinstance(opt, O.RMSprop):
        v = state.setdefault("v", np.zeros_like(p))
        v *= opt.rho
        v += (1 - opt.rho) * g * g
        if opt.centered:
            mg = state.setdefault("mean_grad", np.zeros_like(p))
            mg *= opt.rho
            mg += (1 - opt.rho) * g
            denom = np.sqrt(v - mg * mg) + opt.epsilon
        else:
            denom = np.sqrt(v) + opt.epsilon
        if opt.momentum:
            b = state.setdefault("b", np.zeros_like(p))
            b *= opt.momentum
            b += g / denom
            p -= lr * b
        else:
            p -= lr * g / denom
    elif isinstance(opt, O.Adagrad):
        acc = state.setdefault("accumulator", np.full_like(p, opt.initial_accumulator_value))
        acc += g * g
        p -= lr * g / (np.sqrt(acc) + opt.epsilon)
    else:
        step = lr * g
        if not opt.momentum:
            p -= step
            return
        m = state.setdefault("m", np.zeros_like(p))
        m *= opt.momentum
        m -= step
        p += opt.momentum * m - step if opt.nesterov else m


_RULES = [lambda: O.SGD(learning_rate=0.1), lambda: O.SGD(learning_rate=0.1, momentum=0.9),
          lambda: O.SGD(learning_rate=0.1, momentum=0.9, nesterov=True), lambda: O.Adagrad(learning_rate=0.1),
          lambda: O.RMSprop(learning_rate=0.01), lambda: O.RMSprop(learning_rate=0.01, momentum=0.5),
          lambda: O.RMSprop(learning_rate=0.01, centered=True), lambda: O.Adam(learning_rate=0.01),
          lambda: O.AdamW(learning_rate=0.01)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("make", _RULES)
def test_updates_in_pieces_match_the_textbook_expressions_bit_for_bit(make, dtype) -> None:
    """apply_rule() runs a large array in cache-sized pieces through scratch buffers; every weight must still
    get exactly what the rule written as plain expressions gives it (a size that is not a whole number
    of pieces checks the last, shorter piece)."""
    if fl.backend.xp() is not np:
        pytest.skip("pieces are a CPU form; the GPU runs each update whole")
    rng = np.random.default_rng(0)
    n = 3 * (256 * 1024 // np.dtype(dtype).itemsize) + 123
    ours, ref = rng.normal(size=n).astype(dtype), None
    ref = ours.copy()
    opt, twin = make(), make()
    ours_state, ref_state = {}, {}
    for step in range(1, 4):
        g = rng.normal(size=n).astype(dtype)
        g[:1000] = 0.0  # weights whose gradient is zero, as a dead unit's
        opt.iterations = twin.iterations = step
        opt.apply_rule(ours, g, ours_state, 0.05)
        _textbook_step(twin, ref, g, ref_state, 0.05)
        np.testing.assert_array_equal(ours, ref)
        assert set(ours_state) == set(ref_state)
        for name in ref_state:
            assert ours_state[name].shape == (n,)
            np.testing.assert_array_equal(ours_state[name], ref_state[name])


def test_an_update_a_subclass_writes_runs_on_the_whole_array() -> None:
    """A rule of one's own may not be elementwise (here: a step of fixed length), so apply_rule() never cuts it."""
    seen = []

    class FixedLength(O.SGD):
        def update(self, param, grad, state, lr):
            seen.append(param.size)
            param -= lr * grad / np.linalg.norm(grad)

    w = np.ones(1_000_000, dtype="float32")
    FixedLength(learning_rate=0.5).apply_rule(w, np.ones_like(w), {}, 0.5)
    assert seen == [1_000_000]
    np.testing.assert_allclose(np.linalg.norm(1 - w.astype(np.float64)), 0.5, rtol=1e-3)


def test_subnormal_slot_values_are_flushed_every_16_steps_and_change_no_step() -> None:
    """Weights with a zero gradient let Adam's moments shrink into the subnormal range, where x86
    arithmetic is ~100 times slower; they are zeroed every 16th step, and the weights come out as they
    would have without it."""
    if fl.backend.xp() is not np:
        pytest.skip("the flush is a CPU measure; GPUs handle subnormal numbers at full speed")
    tiny = np.finfo(np.float32).tiny
    rng = np.random.default_rng(1)
    ours, ref = (rng.normal(size=64).astype("float32") for _ in range(2))
    ref[:] = ours
    opt, twin = O.Adam(learning_rate=0.01), O.Adam(learning_rate=0.01)
    ours_state, ref_state = {}, {}
    subnormal_seen = 0
    for step in range(1, 1201):
        g = rng.normal(size=64).astype("float32") if step < 20 else np.zeros(64, "float32")
        g[32:] = rng.normal(size=32) * (step % 3)  # half of the weights keep getting gradients
        opt.iterations = twin.iterations = step
        opt.apply_rule(ours, g, ours_state, 0.01)
        _textbook_step(twin, ref, g, ref_state, 0.01)
        m = ref_state["m"]
        subnormal_seen += int(np.sum((m != 0) & (np.abs(m) < tiny)))
        if step % 16 == 0:
            for slot in ours_state.values():
                assert not np.any((slot != 0) & (np.abs(slot) < tiny))
    assert subnormal_seen > 0  # without the flush, the moments do become subnormal
    np.testing.assert_array_equal(ours, ref)


def test_the_flush_leaves_normal_values_and_other_steps_alone() -> None:
    opt = O.RMSprop()
    values = np.array([1e-40, -1e-33, 1e-30, -3e-31, 0.5], dtype="float32")
    state = {"v": values.copy(), "count": 3}
    opt.iterations = 15
    opt.flush_subnormal(state)
    np.testing.assert_array_equal(state["v"], values)
    opt.iterations = 32
    opt.flush_subnormal(state)
    # zeroed: subnormal, and within 2^24 of it (|x| < 2e-31) on either side of 0; kept: everything larger
    np.testing.assert_array_equal(state["v"], np.array([0.0, 0.0, 1e-30, -3e-31, 0.5], dtype="float32"))
    assert state["count"] == 3


def test_a_subclass_rule_over_the_whole_step_is_never_cut_into_pieces() -> None:
    """SGD's update calls update_prescaled: a subclass that makes it a rule over the whole array (a step
    scaled by its largest value) must see the whole array, as its own update would."""
    seen = []

    class Normalised(O.SGD):
        def update_prescaled(self, param, step, state):
            seen.append(param.size)
            param -= step / float(abs(step).max())

    n, xp = 1_000_000, fl.backend.xp()
    g = xp.linspace(0.0, 2.0, n, dtype="float32")
    w = xp.zeros(n, dtype="float32")
    Normalised(learning_rate=0.5).apply_rule(w, g, {}, 0.5)
    assert seen == [n]
    assert float(w[-1]) == pytest.approx(-1.0)


def test_the_flush_leaves_the_state_of_a_rule_of_ones_own_alone() -> None:
    """A subclass's own state may hold tiny values its rule divides by; only the built-in slots are flushed."""

    class Scaled(O.Optimizer):
        def update(self, param, grad, state, lr):
            # tiny (within the flush's margin), but normal: a GPU's arithmetic flushes subnormal float32 itself
            scale = state.setdefault("scale", fl.backend.xp().full_like(param, 2e-38))
            param -= lr * grad * (scale / scale)

    p = fl.Parameter(np.ones(4, dtype="float32"))
    opt = Scaled([p], learning_rate=0.1)
    for _ in range(16):
        p.grad = fl.backend.xp().ones(4, dtype="float32")
        opt.step()
    assert opt.iterations == 16 and np.all(fl.backend.to_numpy(opt.state[0]["scale"]) != 0)
    np.testing.assert_allclose(p.numpy(), np.full(4, 1 - 1.6), rtol=1e-5)


def test_scratch_arrays_are_kept_per_shape_and_made_again_when_a_larger_one_is_needed() -> None:
    xp, opt = fl.backend.xp(), O.SGD(learning_rate=0.1)
    small, large = xp.zeros((3, 4), "float32"), xp.zeros(50, "float32")
    first = opt._scratch(small)
    assert opt._scratch(small) is first and first.shape == (3, 4)
    first[...] = 0.0
    grown = opt._scratch(large)
    opt._scratch(small)[0, 1] = 7.0  # a view of the grown buffer, not of the one it replaced
    assert grown.shape == (50,) and float(grown[1]) == 7.0 and float(first[0, 1]) != 7.0
    assert opt._scratch(small, 1) is not opt._scratch(small)


def test_misspelled_or_doubled_arguments_are_one_sentence():
    with pytest.raises(ConfigError, match=r"Adam got an unexpected argument learning_rat=0.1; did you mean "
                                          r"'learning_rate'\? it takes learning_rate, lr, clipnorm"):
        fl.optim.Adam(learning_rat=0.1)
    with pytest.raises(ConfigError, match=r"SGD got an unexpected argument momentom=0.9; did you mean 'momentum'"):
        fl.optim.SGD(momentom=0.9)
    with pytest.raises(ConfigError, match=r"SGD got lr=0.1 and learning_rate=0.2; lr is the old name of "
                                          r"learning_rate, so give only one of them"):
        fl.optim.SGD(lr=0.1, learning_rate=0.2)
    assert fl.optim.SGD(lr=0.2).learning_rate == 0.2 and fl.optim.SGD(learning_rate=0.3, lr=0.3).learning_rate == 0.3


def test_the_learning_rate_takes_assign_as_keras_variable_does_and_the_next_step_uses_it():
    from fnlearn import keras

    model = fl.Sequential([fl.layers.Dense(1, input_dim=1, kernel_initializer="zeros", use_bias=False)])
    model.compile(fl.optim.SGD(learning_rate=0.1), "mse")
    rates = []

    class Halve(fl.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.optimizer.learning_rate.assign(self.model.optimizer.learning_rate / 2)
            rates.append(keras.backend.get_value(self.model.optimizer.learning_rate))

    x, y = np.ones((1, 1)), np.ones((1, 1))
    model.fit(x, y, epochs=2, batch_size=1, verbose=0, callbacks=[Halve()])
    assert rates == [0.05, 0.025]
    # w₁ = 0 + 0.1·2·(1 − 0) = 0.2; w₂ = 0.2 + 0.05·2·(1 − 0.2) = 0.28
    np.testing.assert_allclose(model.get_weights()[0], [[0.28]], rtol=1e-6)
    keras.backend.set_value(model.optimizer.learning_rate, 0.5)
    assert model.optimizer.learning_rate == 0.5 and type(float(model.optimizer.learning_rate)) is float
    with pytest.raises(ConfigError, match=r"set_value needs something that takes assign\(\)"):
        keras.backend.set_value(3.0, 1.0)


def test_a_schedule_of_the_real_keras_is_refused_with_the_import_to_use():
    from real_keras import real_keras

    real = real_keras()
    with pytest.raises(ConfigError, match=r"comes from Keras, not fnlearn; use fnlearn's own "
                                          r"keras.optimizers.schedules.ExponentialDecay"):
        fl.optim.SGD(learning_rate=real.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5))


@pytest.mark.parametrize("name", ["Adamax", "Nadam"])
def test_adamax_and_nadam_take_kerass_steps(name):
    """Keras's rules (Nadam with Keras's momentum schedule, which PyTorch's NAdam does not share), over gradients
    of sizes from 1e-3 to 1, from the real Keras step for step; in pieces (a large array) exactly as whole."""
    from real_keras import real_keras

    keras = real_keras()
    rng = np.random.default_rng(3)
    start = rng.normal(size=(5, 3)).astype(np.float32)
    grads = [rng.normal(size=(5, 3)).astype(np.float32) * np.float32(10.0 ** rng.integers(-3, 1)) for _ in range(30)]
    theirs, their_opt = keras.Variable(start.copy()), getattr(keras.optimizers, name)(learning_rate=0.01)
    ours = _param(start.copy())
    our_opt = getattr(fl.keras.optimizers, name)(learning_rate=0.01).bind([ours])
    for g in grads:
        their_opt.apply_gradients([(keras.ops.convert_to_tensor(g), theirs)])
        ours.grad = fl.backend.to_device(g.copy())
        our_opt.step()
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-5, atol=1e-6)
    assert np.abs(ours.numpy() - start).max() > 0.01  # they moved: the comparison means something
    big, whole = (fl.backend.to_device(np.linspace(-1, 1, 300_000).astype(np.float32)) for _ in range(2))
    rule = getattr(O, name)
    opts = [rule(learning_rate=0.01), rule(learning_rate=0.01)]
    states: list[dict] = [{}, {}]
    for step in range(3):
        g = fl.backend.to_device(np.cos(np.linspace(-1, 1, 300_000) * (step + 1)).astype(np.float32))
        for opt in opts:
            opt.iterations = step + 1
        opts[0].apply_rule(big, g, states[0], 0.01)  # in pieces: the array is larger than two of them
        opts[1].update(whole, g, states[1], 0.01)
    np.testing.assert_array_equal(fl.backend.to_numpy(big), fl.backend.to_numpy(whole))


def test_keras_apply_and_apply_gradients_step_as_the_bound_gradients_would():
    """Keras 3's optimizer.apply(grads, variables) (a custom loop's step) moves the weights as step() does with
    those gradients, keeps the moments per parameter, and leaves the parameters' own .grad alone."""
    rng = np.random.default_rng(4)
    start = [rng.normal(size=(3, 2)), rng.normal(size=(2,))]
    grads = [[rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=(2,)).astype(np.float32)]
             for _ in range(3)]
    by_step = [fl.Parameter(a.copy()) for a in start]
    by_apply = [fl.Parameter(a.copy()) for a in start]
    by_pairs = [fl.Parameter(a.copy()) for a in start]
    reference, ours, pairs = (fl.optim.Adam(learning_rate=0.1) for _ in range(3))
    reference.bind(by_step)
    marker = fl.backend.to_device(np.full((2,), 7.0))
    by_apply[1].grad = marker
    for g in grads:
        for p, gi in zip(by_step, g):
            p.grad = fl.backend.to_device(gi)
        reference.step()
        ours.apply([fl.tensor(gi) for gi in g], by_apply)
        pairs.apply_gradients(zip(g, by_pairs))
    for a, b, c in zip(by_step, by_apply, by_pairs):
        np.testing.assert_allclose(fl.backend.to_numpy(b.data), fl.backend.to_numpy(a.data), rtol=1e-12)
        np.testing.assert_allclose(fl.backend.to_numpy(c.data), fl.backend.to_numpy(a.data), rtol=1e-12)
    assert by_apply[1].grad is marker and by_apply[0].grad is None
    before = fl.backend.to_numpy(by_apply[0].data).copy()
    ours.apply([None, np.ones(2)], by_apply)  # None: that parameter is left as it is
    np.testing.assert_array_equal(fl.backend.to_numpy(by_apply[0].data), before)


@pytest.mark.parametrize("grads, variables, error, words", [
    ([np.ones(2)], "two", ConfigError, "1 gradients for 2 variables"),
    ([np.ones(3), np.ones(2)], "two", ShapeError, r"gradient of shape \(3,\) for a parameter of shape \(2, 2\)"),
    ([np.ones(2)], "array", ConfigError, "a ndarray among the variables"),
])
def test_keras_apply_refuses_what_does_not_match_in_one_sentence(grads, variables, error, words):
    params = [fl.Parameter(np.zeros((2, 2))), fl.Parameter(np.zeros(2))] if variables == "two" else [np.zeros(2)]
    with pytest.raises(error, match=words):
        fl.optim.SGD(learning_rate=0.1).apply(grads, params)
    with pytest.raises(NotReadyError, match=r"optimizer.apply\(grads\) got no trainable_variables"):
        fl.optim.SGD(learning_rate=0.1).apply([np.ones(2)])
