"""fnlearn against PyTorch in float64: the same MLP, the same loss, the same optimizer steps.

Weights are copied across (a torch ``Linear`` stores ``kernel.T``); forward values, every parameter
gradient and 20-step optimizer trajectories must agree to 1e-10 relative.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import fnlearn as fl

torch = pytest.importorskip("torch", reason="PyTorch is not installed; the parity checks need it "
                                            "(pip install torch==2.13.0)")
tF = torch.nn.functional

RTOL = 1e-10

HIDDEN = {
    "sigmoid": torch.sigmoid,
    # torch's own hardsigmoid backward multiplies by 1/6 rounded to float32 (relative error 1.2e-7 in
    # float64), so the exact formula clip(x/6 + 1/2, 0, 1) is the reference here
    "hard_sigmoid": lambda z: torch.clamp(z / 6 + 0.5, 0.0, 1.0),
    "relu": torch.relu,
    "leaky_relu": lambda z: tF.leaky_relu(z, 0.01),
    "tanh": torch.tanh,
    "softplus": tF.softplus,
    "elu": tF.elu,
    "selu": tF.selu,
    "gelu": tF.gelu,
    "silu": tF.silu,
    "swish": tF.silu,
    "relu6": tF.relu6,
    "linear": lambda z: z,
}

OUTPUT = {"linear": lambda z: z, "sigmoid": torch.sigmoid, "softmax": lambda z: torch.softmax(z, dim=-1)}


def _torch_loss(name, y, out, from_logits):
    if name == "mse":
        return ((y - out) ** 2).mean()
    if name == "mae":
        return (y - out).abs().mean()
    if name == "half_sse":
        return 0.5 * ((y - out) ** 2).sum()
    if name == "categorical_crossentropy":
        logp = torch.log_softmax(out, -1) if from_logits else torch.log(out)
        return -(y * logp).sum(-1).mean()
    if name == "sparse_categorical_crossentropy":
        logp = torch.log_softmax(out, -1) if from_logits else torch.log(out)
        return tF.nll_loss(logp, y)
    if name == "binary_crossentropy":
        return tF.binary_cross_entropy_with_logits(out, y) if from_logits else tF.binary_cross_entropy(out, y)
    raise AssertionError(name)


# (loss, output activation, from_logits)
LOSS_CASES = [
    ("mse", "linear", False), ("mse", "sigmoid", False), ("mse", "softmax", False),
    ("mae", "linear", False), ("half_sse", "linear", False), ("half_sse", "sigmoid", False),
    ("categorical_crossentropy", "softmax", False), ("categorical_crossentropy", "linear", True),
    ("sparse_categorical_crossentropy", "softmax", False), ("sparse_categorical_crossentropy", "linear", True),
    ("binary_crossentropy", "sigmoid", False), ("binary_crossentropy", "linear", True),
]


def _assert_close(ours, theirs, what):
    theirs = np.asarray(theirs)
    scale = max(float(np.max(np.abs(theirs))), 1e-300) if theirs.size else 1.0
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=RTOL * 1e-2 * scale, err_msg=what)


def _build_pair(rng, n_in, hidden, n_out, act, out_act):
    layers = [fl.layers.Dense(hidden[0], activation=act, input_dim=n_in)]
    layers += [fl.layers.Dense(h, activation=act) for h in hidden[1:]]
    layers.append(fl.layers.Dense(n_out, activation=out_act))
    model = fl.Sequential(layers)
    model.build((n_in,))
    linears = []
    for layer in model.layers:
        # draw fresh weights (biases too) so zero biases cannot hide a bias bug
        layer.kernel.data[...] = fl.backend.to_device(rng.normal(0, 0.8, size=layer.kernel.shape))
        layer.bias.data[...] = fl.backend.to_device(rng.normal(0, 0.5, size=layer.bias.shape))
        lin = torch.nn.Linear(*layer.kernel.shape, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(layer.kernel.numpy().T.copy()))
            lin.bias.copy_(torch.from_numpy(layer.bias.numpy().copy()))
        linears.append(lin)
    return model, linears


def _torch_forward(linears, x, act, out_act, from_logits):
    h = x
    for lin in linears[:-1]:
        h = HIDDEN[act](lin(h))
    z = linears[-1](h)
    return z if from_logits else OUTPUT[out_act](z)


def _targets(rng, loss, batch, n_out):
    if loss == "sparse_categorical_crossentropy":
        labels = rng.integers(0, n_out, size=batch)
        return labels, torch.from_numpy(labels)
    if loss == "categorical_crossentropy":
        y = np.eye(n_out)[rng.integers(0, n_out, size=batch)]
    elif loss == "binary_crossentropy":
        y = (rng.random((batch, n_out)) > 0.5).astype(np.float64)
    else:
        y = rng.normal(size=(batch, n_out))
    return y, torch.from_numpy(y)


@pytest.mark.parametrize("act", list(HIDDEN))
@pytest.mark.parametrize("loss,out_act,from_logits", LOSS_CASES)
def test_mlp_forward_and_gradients_match_torch(float64, act, loss, out_act, from_logits):
    rng = np.random.default_rng(zlib.crc32(f"{act}/{loss}/{out_act}/{from_logits}".encode()))
    n_layers = int(rng.integers(1, 5))
    hidden = [int(h) for h in rng.integers(2, 7, size=n_layers)]
    n_in, n_out, batch = 4, 3, 7
    model, linears = _build_pair(rng, n_in, hidden, n_out, act, out_act)
    x = rng.normal(size=(batch, n_in)) * 1.5
    y, y_t = _targets(rng, loss, batch, n_out)

    out = model(x)
    value = fl.losses.get(loss)(y, out, **({"from_logits": True} if from_logits else {}))
    value.backward()

    out_t = _torch_forward(linears, torch.from_numpy(x), act, out_act, from_logits)
    value_t = _torch_loss(loss, y_t, out_t, from_logits)
    value_t.backward()

    _assert_close(out.numpy(), out_t.detach().numpy(), "model output")
    _assert_close(value.numpy(), value_t.detach().numpy(), "loss value")
    for i, (layer, lin) in enumerate(zip(model.layers, linears)):
        _assert_close(fl.backend.to_numpy(layer.kernel.grad), lin.weight.grad.numpy().T, f"layer {i} kernel gradient")
        _assert_close(fl.backend.to_numpy(layer.bias.grad), lin.bias.grad.numpy(), f"layer {i} bias gradient")


# ----------------------------------------------------------------------------- optimizers

OPTIMIZERS = {
    "sgd": (lambda p: fl.optim.SGD(p, learning_rate=0.1),
            lambda p: torch.optim.SGD(p, lr=0.1)),
    "momentum": (lambda p: fl.optim.SGD(p, learning_rate=0.05, momentum=0.9),
                 lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    "nesterov": (lambda p: fl.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True),
                 lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True)),
    "adagrad": (lambda p: fl.optim.Adagrad(p, learning_rate=0.1, initial_accumulator_value=0.1, epsilon=1e-10),
                lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0, initial_accumulator_value=0.1, eps=1e-10)),
    "rmsprop": (lambda p: fl.optim.RMSprop(p, learning_rate=0.01, rho=0.9, epsilon=1e-8),
                lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-8)),
    "rmsprop_momentum": (lambda p: fl.optim.RMSprop(p, learning_rate=0.01, rho=0.8, momentum=0.7, epsilon=1e-8),
                         lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.8, momentum=0.7, eps=1e-8)),
    "rmsprop_centered": (lambda p: fl.optim.RMSprop(p, learning_rate=0.01, rho=0.9, centered=True, epsilon=1e-8),
                         lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, centered=True, eps=1e-8)),
    "rmsprop_centered_momentum": (
        lambda p: fl.optim.RMSprop(p, learning_rate=0.01, rho=0.9, momentum=0.5, centered=True, epsilon=1e-8),
        lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5, centered=True, eps=1e-8)),
    "adam": (lambda p: fl.optim.Adam(p, learning_rate=0.02, beta_1=0.9, beta_2=0.999, epsilon=1e-8),
             lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.9, 0.999), eps=1e-8)),
    "adam_betas": (lambda p: fl.optim.Adam(p, learning_rate=0.02, betas=(0.8, 0.99), eps=1e-7),
                   lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-7)),
    "adamw": (lambda p: fl.optim.AdamW(p, learning_rate=0.02, weight_decay=0.05, beta_1=0.9, beta_2=0.999,
                                       epsilon=1e-8),
              lambda p: torch.optim.AdamW(p, lr=0.02, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05)),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_trajectory_matches_torch(float64, name):
    make_ours, make_theirs = OPTIMIZERS[name]
    rng = np.random.default_rng(7)
    model, linears = _build_pair(rng, 3, [5], 2, "tanh", "linear")
    x = rng.normal(size=(8, 3))
    y = rng.normal(size=(8, 2))
    x_t, y_t = torch.from_numpy(x), torch.from_numpy(y)
    opt = make_ours(model.parameters())
    torch_params = [t for lin in linears for t in (lin.weight, lin.bias)]
    opt_t = make_theirs(torch_params)
    for step in range(20):
        opt.zero_grad()
        fl.losses.mse(y, model(x)).backward()
        opt.step()
        opt_t.zero_grad()
        _torch_loss("mse", y_t, _torch_forward(linears, x_t, "tanh", "linear", False), False).backward()
        opt_t.step()
        for i, (layer, lin) in enumerate(zip(model.layers, linears)):
            _assert_close(layer.kernel.numpy(), lin.weight.detach().numpy().T, f"step {step}, layer {i} kernel")
            _assert_close(layer.bias.numpy(), lin.bias.detach().numpy(), f"step {step}, layer {i} bias")
    assert opt.iterations == 20


@pytest.mark.parametrize("options, reference", [
    (dict(max_value=6.0), tF.relu6),
    (dict(negative_slope=0.3), lambda z: tF.leaky_relu(z, 0.3)),
    (dict(negative_slope=0.1, max_value=2.0), lambda z: torch.clamp(tF.leaky_relu(z, 0.1), max=2.0)),
    (dict(threshold=0.5, negative_slope=0.2), lambda z: torch.where(z > 0.5, z, 0.2 * (z - 0.5))),
])
def test_relu_options_values_and_gradients_match_torch(options, reference):
    x = np.random.default_rng(3).uniform(-8, 8, size=(6, 5))
    _assert_op_matches_torch(lambda t: fl.functional.relu(t, **options), reference, x)


def _assert_op_matches_torch(ours, reference, x: np.ndarray) -> None:
    """Values and the gradient of a random weighting of the outputs, in float64, against PyTorch's."""
    mine = fl.tensor(x, dtype="float64", requires_grad=True)
    out = ours(mine)
    weights = np.random.default_rng(4).normal(size=x.shape)
    (out * fl.tensor(weights, dtype="float64")).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    ref = reference(theirs)
    (ref * torch.tensor(weights)).sum().backward()
    _assert_close(out.numpy(), ref.detach().numpy(), "values")
    _assert_close(fl.backend.to_numpy(mine.grad), theirs.grad.numpy(), "gradients")


@pytest.mark.parametrize("ours, reference", [
    (fl.functional.elu, tF.elu),
    (lambda t: fl.functional.elu(t, alpha=0.4), lambda z: tF.elu(z, alpha=0.4)),
    (fl.functional.selu, tF.selu),
    (fl.functional.gelu, tF.gelu),
    (lambda t: fl.functional.gelu(t, approximate=True), lambda z: tF.gelu(z, approximate="tanh")),
    (fl.functional.silu, tF.silu),
    (fl.functional.relu6, tF.relu6),
], ids=["elu", "elu_alpha", "selu", "gelu", "gelu_tanh", "silu", "relu6"])
def test_smooth_relu_relatives_values_and_gradients_match_torch(ours, reference):
    # wide enough for both tails (gelu's is where 1 + erf cancels: torch's values there are ~1e-16 absolute)
    x = np.concatenate([np.random.default_rng(5).uniform(-12, 12, size=60), [-40.0, -7.5, 0.3, 5.9, 6.1, 40.0]])
    _assert_op_matches_torch(ours, reference, x)


# ----------------------------------------------------------------------------- Keras's regression and hinge losses
# PyTorch has Huber (huber_loss); the others are written in torch from Keras's definitions, so autograd
# checks fnlearn's hand-written gradients. Every loss here averages over outputs, then over samples.

EPS = 1e-7


def _torch_new_loss(name, y, p, delta=1.0):
    """One value per sample, PyTorch's autograd behind it."""
    if name == "huber":
        return tF.huber_loss(p, y, reduction="none", delta=delta).mean(-1)
    if name == "mape":
        return 100 * ((y - p).abs() / y.abs().clamp(min=EPS)).mean(-1)
    if name == "msle":
        return ((p.clamp(min=EPS) + 1).log() - (y.clamp(min=EPS) + 1).log()).pow(2).mean(-1)
    if name == "log_cosh":
        return torch.log(torch.cosh(p - y)).mean(-1)  # fine in float64 for the moderate errors used here
    if name in ("hinge", "squared_hinge"):
        gap = (1 - (2 * y - 1) * p).clamp(min=0)
        return (gap if name == "hinge" else gap**2).mean(-1)
    raise AssertionError(name)


def _new_loss_data(name, rng, shape):
    p = rng.normal(size=shape) * 2
    if name in ("hinge", "squared_hinge"):
        return (rng.random(shape) > 0.5) * 1.0, p
    y = rng.normal(size=shape) * 2
    return (np.abs(y) + 0.1 if name in ("mape", "msle") else y), p


NEW_LOSSES = ["huber", "mape", "msle", "log_cosh", "hinge", "squared_hinge"]


@pytest.mark.parametrize("name", NEW_LOSSES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_new_loss_values_and_gradients_match_torch(float64, name, reduction):
    rng = np.random.default_rng(zlib.crc32(f"{name}/{reduction}".encode()))
    y, p = _new_loss_data(name, rng, (9, 4))
    if name == "msle":
        p[0, :2] = [-0.5, 1e-9]  # below ε: clipped, no gradient
    mine = fl.tensor(p, requires_grad=True)
    value = fl.losses.get(name)(y, mine, reduction=reduction)
    weights = rng.normal(size=value.shape)
    (value * fl.tensor(weights)).sum().backward()
    theirs = torch.tensor(p, requires_grad=True)
    per_sample = _torch_new_loss(name, torch.from_numpy(y), theirs)
    ref = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]
    (ref * torch.from_numpy(np.asarray(weights))).sum().backward()
    _assert_close(value.numpy(), ref.detach().numpy(), f"{name} values")
    _assert_close(fl.backend.to_numpy(mine.grad), theirs.grad.numpy(), f"{name} gradients")


@pytest.mark.parametrize("delta", [0.25, 1.0, 3.0])
def test_huber_default_mean_is_torchs_huber_loss(float64, delta):
    """Keras averages over the last axis, then the batch; PyTorch over every element: for a batch of equal
    rows the same number. With reduction='sum' they differ: fnlearn (Keras) sums per-sample means, PyTorch
    sums elements, n_outputs times more."""
    rng = np.random.default_rng(int(delta * 100))
    y, p = rng.normal(size=(8, 5)) * 2, rng.normal(size=(8, 5)) * 2
    y[0, 0], p[0, 0] = 0.0, delta  # exactly on the seam |e| = δ: both pieces give the slope δ·sign(e)
    mine = fl.tensor(p, requires_grad=True)
    value = fl.losses.huber(y, mine, delta=delta)
    value.backward()
    theirs = torch.tensor(p, requires_grad=True)
    ref = torch.nn.HuberLoss(delta=delta)(theirs, torch.from_numpy(y))
    ref.backward()
    _assert_close(value.numpy(), ref.detach().numpy(), "huber mean")
    _assert_close(fl.backend.to_numpy(mine.grad), theirs.grad.numpy(), "huber gradient")
    summed = fl.losses.huber(y, fl.tensor(p), delta=delta, reduction="sum").item()
    _assert_close(summed * 5, tF.huber_loss(torch.from_numpy(p), torch.from_numpy(y), reduction="sum", delta=delta)
                  .numpy(), "huber sum")


@pytest.mark.parametrize("loss", NEW_LOSSES)
def test_mlp_gradients_with_new_losses_match_torch(float64, loss):
    rng = np.random.default_rng(zlib.crc32(f"mlp/{loss}".encode()))
    model, linears = _build_pair(rng, 4, [6, 5], 3, "tanh", "linear")
    x = rng.normal(size=(7, 4))
    y, _ = _new_loss_data(loss, rng, (7, 3))
    value = fl.losses.get(loss)(y, model(x))
    value.backward()
    value_t = _torch_new_loss(loss, torch.from_numpy(y),
                              _torch_forward(linears, torch.from_numpy(x), "tanh", "linear", False)).mean()
    value_t.backward()
    _assert_close(value.numpy(), value_t.detach().numpy(), "loss value")
    for i, (layer, lin) in enumerate(zip(model.layers, linears)):
        _assert_close(fl.backend.to_numpy(layer.kernel.grad), lin.weight.grad.numpy().T, f"layer {i} kernel gradient")
        _assert_close(fl.backend.to_numpy(layer.bias.grad), lin.bias.grad.numpy(), f"layer {i} bias gradient")


def _pieces(t):
    """Three column blocks, last first: each merge sees its inputs in another order than they lie in x."""
    return [t[:, 8:], t[:, :4], t[:, 4:8]]


@pytest.mark.parametrize("layer, reference", [
    (fl.layers.Add, lambda a, b, c: a + b + c),
    (fl.layers.Multiply, lambda a, b, c: a * b * c),
    (fl.layers.Average, lambda a, b, c: (a + b + c) / 3),
    (fl.layers.Maximum, lambda a, b, c: torch.maximum(torch.maximum(a, b), c)),
    (fl.layers.Minimum, lambda a, b, c: torch.minimum(torch.minimum(a, b), c)),
    (fl.layers.Concatenate, lambda a, b, c: torch.cat([a, b, c], dim=-1)),
], ids=["add", "multiply", "average", "maximum", "minimum", "concatenate"])
def test_merge_layers_values_and_gradients_match_torch(float64, layer, reference):
    x = np.random.default_rng(5).normal(size=(6, 12))
    copies = 1 if layer is fl.layers.Concatenate else 3  # the output tiled to x's shape, for the weighting
    _assert_op_matches_torch(lambda t: fl.functional.concatenate([layer()(_pieces(t))] * copies, axis=1),
                             lambda z: reference(*_pieces(z)).repeat(1, copies), x)
