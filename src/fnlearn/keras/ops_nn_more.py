"""More of Keras 3's ``keras.ops.nn``: ``sparsemax``, ``sparse_sigmoid``, ``unfold``/``fold`` (im2col and col2im),
``polar``, and the CTC pair ``ctc_loss``/``ctc_decode``, on fnlearn tensors.

``unfold`` and ``fold`` take channels-first images (N, C, H, W), as Keras's and PyTorch's do. ``ctc_loss`` takes
logits (batch, time, classes) and integer targets (batch, max_label_length) and runs the forward–backward
algorithm in log space, so long sequences neither underflow nor overflow; its gradient is the exact one of the
loss. ``polar`` gives its complex result as Keras's Fourier ops take complex values here: a (real, imag) pair.
All but ``ctc_decode`` (a search, as in Keras) are differentiable.

Example:
    >>> import numpy as np
    >>> from fnlearn.keras import ops
    >>> ops.sparsemax([1.0, 0.5, -1.0]).numpy().tolist()
    [0.75, 0.25, 0.0]
    >>> patches = ops.unfold(np.arange(16.0).reshape(1, 1, 4, 4), kernel_size=2, stride=2)
    >>> patches.shape, patches.numpy()[0, :, 0].tolist()
    ((1, 4, 4), [0.0, 1.0, 4.0, 5.0])
    >>> ops.fold(patches, output_size=4, kernel_size=2, stride=2).numpy()[0, 0, 0].tolist()
    [0.0, 1.0, 2.0, 3.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, DataError, ShapeError
from ..tensor import Tensor
from ._missing import not_provided
from .ops import _float

# ----------------------------------------------------------------------------- activations


def sparse_sigmoid(x: Any) -> Tensor:
    """0 for x ≤ −1, (x + 1)/2 between, 1 for x ≥ 1, elementwise; differentiable (slope ½ inside, 0 outside).

    >>> sparse_sigmoid([-6.0, 0.0, 0.5, 6.0]).numpy().tolist()
    [0.0, 0.5, 0.75, 1.0]
    """
    return F.sparse_sigmoid(_float(x))


def sparsemax(x: Any, axis: int = -1) -> Tensor:
    """The Euclidean projection of ``x`` onto the probability simplex along ``axis`` (Martins & Astudillo 2016):
    values that sum to 1 like softmax's, small scores exactly 0; differentiable.

    >>> sparsemax([[-1.0, 0.0, 1.0]]).numpy().tolist()
    [[0.0, 0.0, 1.0]]
    """
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ConfigError(f"sparsemax(axis={axis!r}): axis must be one integer axis of x (Keras's default is -1).")
    return F.sparsemax(_float(x), int(axis))


# ----------------------------------------------------------------------------- complex values


def polar(abs_: Any, angle: Any) -> tuple[Tensor, Tensor]:
    """The complex numbers of magnitude ``abs_`` and angle ``angle`` (radians), as the (real, imag) pair
    (abs_·cos(angle), abs_·sin(angle)) that fnlearn's Fourier ops take; differentiable in both.

    Keras gives one complex tensor; fnlearn's tensors are real, so the pair stands for it, as in ``ops.fft``.

    >>> re, im = polar([2.0], [0.0])
    >>> re.numpy().tolist(), im.numpy().tolist()
    ([2.0], [0.0])
    """
    r, theta = _float(abs_), _float(angle)
    F._check_broadcast(r, theta, "combine the magnitudes and angles of")
    return F.mul(r, F.cos(theta)), F.mul(r, F.sin(theta))


# ----------------------------------------------------------------------------- unfold / fold


def _two(value: Any, name: str, who: str, least: int) -> tuple[int, int]:
    """An int or a pair of ints (height, width), each at least ``least``, or one ConfigError sentence."""
    pair = (value, value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    ok = isinstance(pair, (tuple, list)) and len(pair) == 2 and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= least for v in pair)
    if not ok:
        raise ConfigError(f"{who}({name}={value!r}): {name} must be an integer ≥ {least} or a pair of them "
                          "(height, width); pass e.g. 2 or (2, 3).")
    return int(pair[0]), int(pair[1])


def _blocks(who: str, size: tuple[int, int], kernel: Any, dilation: Any, padding: Any, stride: Any
            ) -> tuple[tuple[int, int], tuple[int, int], Any]:
    """(padding, number of blocks along height and width, flat positions) of the sliding blocks over an image of
    ``size``: ``positions[k, l]`` is where kernel point k of block l lies in the padded image, flattened."""
    (kh, kw), (dh, dw) = _two(kernel, "kernel_size", who, 1), _two(dilation, "dilation", who, 1)
    (ph, pw), (sh, sw) = _two(padding, "padding", who, 0), _two(stride, "stride", who, 1)
    h, w = size[0] + 2 * ph, size[1] + 2 * pw
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    if span_h > h or span_w > w:
        raise ShapeError(f"{who}: a kernel spanning {span_h}×{span_w} pixels (kernel_size times dilation) does not "
                         f"fit an image of {size[0]}×{size[1]} padded by ({ph}, {pw}); use a smaller kernel or "
                         "more padding.")
    nh, nw = (h - span_h) // sh + 1, (w - span_w) // sw + 1
    # kernel points (row-major over the kernel) by blocks (row-major over the image): PyTorch's order
    rows = (np.arange(kh) * dh)[:, None, None, None] + (np.arange(nh) * sh)[None, None, :, None]
    cols = (np.arange(kw) * dw)[None, :, None, None] + (np.arange(nw) * sw)[None, None, None, :]
    positions = (rows * w + cols).reshape(kh * kw, nh * nw)
    return (ph, pw), (nh, nw), backend.to_device(positions)


def _scatter(cols: Any, positions: Any, shape: tuple[int, ...]) -> Any:
    """col2im of arrays: each kernel point's values (N, C, K, L) added at its positions of a flat (N, C, H·W)."""
    out = backend.xp().zeros(shape, dtype=cols.dtype)
    for k in range(positions.shape[0]):  # within one kernel point no two blocks share a pixel: no add.at needed
        out[:, :, positions[k]] += cols[:, :, k]
    return out


def unfold(x: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """The sliding blocks of a channels-first batch of images (N, C, H, W) as columns (im2col): shape
    (N, C·kH·kW, L) for L blocks, PyTorch's ``unfold`` order; differentiable (its gradient is :func:`fold`).

    >>> unfold(np.ones((1, 2, 4, 4)), kernel_size=2, stride=2).shape
    (1, 8, 4)
    """
    x = _float(x)
    if x.ndim != 4:
        raise ShapeError(f"unfold takes a channels-first batch of images (N, C, H, W), got shape {x.shape}; add the "
                         "missing axes (e.g. x[None] for one image).")
    n, c, h, w = x.shape
    (ph, pw), _, positions = _blocks("unfold", (h, w), kernel_size, dilation, padding, stride)
    xp = backend.xp()
    padded_shape = (n, c, (h + 2 * ph) * (w + 2 * pw))
    flat = xp.pad(x.data, ((0, 0), (0, 0), (ph, ph), (pw, pw))).reshape(padded_shape)
    k, blocks = positions.shape
    out = flat[:, :, positions].reshape(n, c * k, blocks)

    def backward(g):
        full = _scatter(g.reshape(n, c, k, blocks), positions, padded_shape).reshape(n, c, h + 2 * ph, w + 2 * pw)
        return (full[:, :, ph:ph + h, pw:pw + w].astype(x.dtype, copy=False),)

    return Tensor._result(out, (x,), backward, "unfold")


def fold(x: Any, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """Columns of sliding blocks (N, C·kH·kW, L) summed back into channels-first images (N, C, oH, oW) (col2im),
    where blocks overlap their values add; the inverse arrangement of :func:`unfold` and differentiable.

    >>> fold(np.ones((1, 4, 9)), output_size=4, kernel_size=2).numpy()[0, 0, 1].tolist()
    [2.0, 4.0, 4.0, 2.0]
    """
    x = _float(x)
    if x.ndim != 3:
        raise ShapeError(f"fold takes columns of blocks (N, C·kH·kW, L), a 3-D tensor, got shape {x.shape}; pass "
                         "what unfold gives.")
    oh, ow = _two(output_size, "output_size", "fold", 1)
    (ph, pw), (nh, nw), positions = _blocks("fold", (oh, ow), kernel_size, dilation, padding, stride)
    n, ckk, blocks = x.shape
    k = positions.shape[0]
    if ckk % k or blocks != nh * nw:
        raise ShapeError(f"fold: columns of shape {x.shape} do not fit a kernel of {k} points over an output of "
                         f"{oh}×{ow}, which needs (N, a multiple of {k}, {nh * nw}); check kernel_size, "
                         "output_size, dilation, padding and stride against the unfold that made them.")
    c = ckk // k
    padded_shape = (n, c, (oh + 2 * ph) * (ow + 2 * pw))
    full = _scatter(x.data.reshape(n, c, k, blocks), positions, padded_shape).reshape(n, c, oh + 2 * ph, ow + 2 * pw)
    out = full[:, :, ph:ph + oh, pw:pw + ow]

    def backward(g):
        padded = backend.xp().pad(g, ((0, 0), (0, 0), (ph, ph), (pw, pw))).reshape(padded_shape)
        return (padded[:, :, positions].reshape(n, ckk, blocks),)

    return Tensor._result(backend.xp().ascontiguousarray(out), (x,), backward, "fold")


# ----------------------------------------------------------------------------- CTC


def _host_ints(value: Any, name: str, who: str) -> np.ndarray:
    """An integer array on the host, or one DataError sentence for fractional or non-numeric values."""
    arr = np.asarray(backend.to_numpy(value.data if isinstance(value, Tensor) else value))
    if arr.dtype.kind == "f" and arr.size and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
        raise DataError(f"{who}: {name} holds non-integer values; give whole numbers (labels and lengths).")
    if arr.dtype.kind not in "iuf" and arr.size:
        raise DataError(f"{who}: {name} has dtype {arr.dtype}, not numbers; give integer labels and lengths.")
    return arr.astype(np.int64)


def _logsumexp(*terms: np.ndarray) -> np.ndarray:
    """log Σ exp(terms), elementwise; −inf where every term is −inf (no alignment reaches that state)."""
    stacked = np.stack(terms)
    top = stacked.max(axis=0)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return safe + np.log(np.exp(stacked - safe).sum(axis=0))


def _shift(a: np.ndarray, by: int, toward_end: bool = True) -> np.ndarray:
    """``a`` moved ``by`` states along its last axis, −inf filling in: state s then holds s − by (or s + by)."""
    out = np.full_like(a, -np.inf)
    if toward_end:
        out[..., by:] = a[..., :a.shape[-1] - by]
    else:
        out[..., :a.shape[-1] - by] = a[..., by:]
    return out


def _ctc_arrays(logits: np.ndarray, target: np.ndarray, target_length: np.ndarray, output_length: np.ndarray,
                blank: int) -> tuple[np.ndarray, np.ndarray]:
    """(−log p(target | logits) per sample, its gradient with respect to the logits), float64, by Graves's
    forward–backward recursions over the target with blanks between and around its labels."""
    b, t_max, _ = logits.shape
    logp = logits - logits.max(axis=-1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(axis=-1, keepdims=True))
    states = 2 * target.shape[1] + 1
    ext = np.full((b, states), blank, dtype=np.int64)
    ext[:, 1::2] = np.where(np.arange(target.shape[1]) < target_length[:, None], target, blank)
    n_states = 2 * target_length + 1
    valid = np.arange(states) < n_states[:, None]
    # a label may be reached from two states back (skipping a blank) unless it repeats the label before it
    skip = np.zeros((b, states), dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    emit = np.take_along_axis(logp, np.broadcast_to(ext[:, None, :], (b, t_max, states)), axis=2)  # (B, T, S)
    emit = np.where(valid[:, None, :], emit, -np.inf)

    alpha = np.full((t_max, b, states), -np.inf)
    alpha[0, :, :2] = emit[:, 0, :2]
    for t in range(1, t_max):
        prev = alpha[t - 1]
        stay = _logsumexp(prev, _shift(prev, 1), np.where(skip, _shift(prev, 2), -np.inf))
        alpha[t] = stay + emit[:, t]
    beta = np.full((t_max, b, states), -np.inf)
    last = output_length - 1
    ends = (np.arange(states) == n_states[:, None] - 1) | (np.arange(states) == n_states[:, None] - 2)
    following = np.full((b, states), -np.inf)
    for t in range(t_max - 1, -1, -1):
        step = _logsumexp(following, _shift(following, 1, toward_end=False),
                          _shift(np.where(skip, following, -np.inf), 2, toward_end=False)) + emit[:, t]
        start = np.where(ends, emit[:, t], -np.inf)
        beta[t] = np.where((t == last)[:, None], start, np.where((t < last)[:, None], step, -np.inf))
        following = beta[t]
    final = alpha[last, np.arange(b)]
    log_likelihood = _logsumexp(*np.moveaxis(np.where(ends, final, -np.inf), -1, 0))
    # occupation of each state at each step, α·β / (p · y): α and β both hold step t's emission, divided out once
    reachable = np.isfinite(log_likelihood)
    with np.errstate(invalid="ignore"):
        occupation = np.exp(alpha + beta - np.where(reachable, log_likelihood, 0.0)[None, :, None]
                            - np.transpose(emit, (1, 0, 2)))
    occupation = np.where(np.isfinite(occupation), occupation, 0.0)
    per_class = np.einsum("tbs,bsc->tbc", occupation, np.eye(logits.shape[2])[ext])  # states of one class add
    in_time = (np.arange(t_max)[:, None] < output_length[None, :])[:, :, None]
    grad = np.where(in_time & reachable[None, :, None], np.exp(np.transpose(logp, (1, 0, 2))) - per_class, 0.0)
    return -log_likelihood, np.transpose(grad, (1, 0, 2))


def ctc_loss(target: Any, output: Any, target_length: Any, output_length: Any, mask_index: int = 0) -> Tensor:
    """The CTC loss (Graves et al. 2006), −log p(target | output) per sample: shape (batch,).

    ``output`` holds logits (batch, time, classes), not probabilities; ``target`` integer labels
    (batch, max_label_length), of which the first ``target_length[i]`` count; ``output_length[i]`` of the steps of
    sample i count; ``mask_index`` is the blank class. Computed in log space and differentiable in ``output``. A
    target that no alignment within its steps can spell (too long, or repeats with no room for a blank between)
    gives an infinite loss and a zero gradient, where PyTorch and Keras on PyTorch give ``inf`` too.

    >>> logits = np.zeros((1, 2, 3))  # two steps, classes blank, a, b all equally likely
    >>> round(float(ctc_loss([[1]], logits, [1], [2])[0]), 6)  # paths "a-", "-a", "aa": p = 3/9
    1.098612
    """
    logits = _float(output)
    if logits.ndim != 3:
        raise ShapeError(f"ctc_loss takes output of shape (batch, time, classes), logits, got shape {logits.shape}; "
                         "give the model's per-step scores.")
    b, t_max, classes = logits.shape
    target = _host_ints(target, "target", "ctc_loss")
    target_length = _host_ints(target_length, "target_length", "ctc_loss").reshape(-1)
    output_length = _host_ints(output_length, "output_length", "ctc_loss").reshape(-1)
    if target.ndim != 2 or target.shape[0] != b:
        raise ShapeError(f"ctc_loss takes target of shape (batch, max_label_length) with {b} rows for output of "
                         f"shape {logits.shape}, got shape {target.shape}; give one row of integer labels per sample.")
    if target_length.shape != (b,) or output_length.shape != (b,):
        raise ShapeError(f"ctc_loss takes one target_length and one output_length per sample ({b}), got "
                         f"{target_length.size} and {output_length.size}; give arrays of shape ({b},).")
    if isinstance(mask_index, bool) or not isinstance(mask_index, (int, np.integer)) or not 0 <= mask_index < classes:
        raise ConfigError(f"ctc_loss(mask_index={mask_index!r}): the blank class must be an integer from 0 to "
                          f"{classes - 1} (output has {classes} classes, Keras's default is 0).")
    if b and (target_length.min() < 0 or target_length.max() > target.shape[1]):
        raise ShapeError(f"ctc_loss: target_length holds {int(target_length.min())}..{int(target_length.max())}, "
                         f"but target rows have {target.shape[1]} labels; give lengths from 0 to {target.shape[1]}.")
    if b and (output_length.min() < 1 or output_length.max() > t_max):
        raise ShapeError(f"ctc_loss: output_length holds {int(output_length.min())}..{int(output_length.max())}, "
                         f"but output has {t_max} steps; give lengths from 1 to {t_max}.")
    counted = np.arange(target.shape[1]) < target_length[:, None]
    bad = counted & ((target < 0) | (target >= classes) | (target == mask_index))
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise DataError(f"ctc_loss: target[{row}, {col}] is {int(target[row, col])}, but labels must be classes "
                        f"0..{classes - 1} other than the blank mask_index={int(mask_index)}; fix the labels or "
                        "target_length.")
    values = np.asarray(backend.to_numpy(logits.data), dtype=np.float64)
    loss, grad = _ctc_arrays(values, np.where(counted, target, 0), target_length, output_length, int(mask_index))
    dtype = logits.dtype

    def backward(g):
        upstream = np.asarray(backend.to_numpy(g), dtype=np.float64)[:, None, None]
        return (backend.to_device((grad * upstream).astype(dtype)),)

    return Tensor._result(backend.to_device(loss.astype(dtype)), (logits,), backward, "ctc_loss")


def _best(scores: np.ndarray, keys: Any, k: int) -> np.ndarray:
    """Indices of the ``k`` highest finite ``scores``, best first; among equal scores the larger ``keys(i)`` first."""
    finite = np.flatnonzero(np.isfinite(scores))
    if finite.size > k:  # only the candidates at the cut need their keys compared
        cut = np.partition(scores[finite], finite.size - k)[finite.size - k]
        finite = finite[scores[finite] >= cut]
    return np.array(sorted(finite.tolist(), key=lambda i: (scores[i], keys(i)), reverse=True)[:k], dtype=np.int64)


def _beam_search(logp: np.ndarray, length: int, blank: int, beam_width: int, top_paths: int
                 ) -> tuple[list[tuple[int, ...]], list[float]]:
    """CTC prefix beam search over one sample's log-probabilities (time, classes): the ``top_paths`` best label
    sequences and their log-probabilities, each the sum over its alignments kept in the beam (Keras's algorithm).

    Each prefix carries two scores, of its alignments ending in a label and ending in a blank, because a repeated
    label extends the prefix only after a blank. Ties are broken as Keras on JAX breaks them: Keras sorts the
    classes reversed and, among equal scores, keeps the lexicographically last prefix."""
    classes = logp.shape[1]

    def key(prefix: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(classes - 1 - c for c in prefix)

    first = _best(logp[0], lambda c: -c, min(classes, beam_width))  # Keras's first beam: the best classes
    prefixes = [() if c == blank else (int(c),) for c in first]
    emit = np.array([-np.inf if c == blank else logp[0, c] for c in first])
    gap = np.array([logp[0, c] if c == blank else -np.inf for c in first])
    for t in range(1, length):
        row = logp[t]
        both = np.logaddexp(emit, gap)
        tails = np.array([p[-1] if p else -1 for p in prefixes], dtype=np.int64)
        ended = tails >= 0
        # staying: a blank (either track to the blank track), or the last label again from the label track
        stay_gap = both + row[blank]
        stay_emit = np.where(ended, emit + row[np.maximum(tails, 0)], -np.inf)
        # growing by class c: from either track, but by the last label again only after a blank
        grow = both[:, None] + row[None, :]
        grow[ended, tails[ended]] = gap[ended] + row[tails[ended]]
        grow[:, blank] = -np.inf
        # a prefix grown into one already in the beam is the same sequence: its scores add
        where = {p: i for i, p in enumerate(prefixes)}
        for i, p in enumerate(prefixes):
            parent = where.get(p[:-1]) if p else None
            if parent is not None:
                stay_emit[i] = np.logaddexp(stay_emit[i], grow[parent, p[-1]])
                grow[parent, p[-1]] = -np.inf
        n = len(prefixes)
        totals = np.concatenate([np.logaddexp(stay_emit, stay_gap), grow.ravel()])

        def named(i: int, n: int = n, prefixes: list = prefixes) -> tuple[int, ...]:
            return prefixes[i] if i < n else (*prefixes[(i - n) // classes], (i - n) % classes)

        kept = _best(totals, lambda i, named=named: key(named(i)), beam_width)
        new_emit = np.concatenate([stay_emit, grow.ravel()])
        new_gap = np.concatenate([stay_gap, np.full(grow.size, -np.inf)])
        prefixes, emit, gap = [named(i) for i in kept], new_emit[kept], new_gap[kept]
    totals = np.logaddexp(emit, gap)
    best = _best(totals, lambda i: key(prefixes[i]), top_paths)
    return [prefixes[i] for i in best], [float(totals[i]) for i in best]


def ctc_decode(inputs: Any, sequence_lengths: Any, strategy: str = "greedy", beam_width: int = 100,
               top_paths: int = 1, merge_repeated: bool = True, mask_index: int = 0) -> tuple[Tensor, Tensor]:
    """The most likely label sequences of CTC logits (batch, time, classes), Keras's ``(decoded, scores)``.

    ``strategy="greedy"`` takes the best class of each step within ``sequence_lengths``, merges repeats (unless
    ``merge_repeated=False``) and drops the blank ``mask_index``: ``decoded`` is int32 (1, batch, time), the
    labels first and −1 after them; ``scores`` (batch, 1) is minus the sum of the picked logits.
    ``strategy="beam_search"`` keeps the ``beam_width`` best label prefixes at each step (the probability of a
    prefix summed over its alignments): ``decoded`` (top_paths, batch, time) holds the ``top_paths`` best sequences,
    ``scores`` (batch, top_paths) their log-probabilities (rows of −1 scored −inf where fewer sequences are
    possible). Values only, no gradient, as in Keras.

    >>> logits = np.log([[[0.1, 0.8, 0.1], [0.1, 0.8, 0.1], [0.8, 0.1, 0.1], [0.1, 0.1, 0.8]]])
    >>> decoded, scores = ctc_decode(logits, [4])
    >>> decoded.numpy().tolist()
    [[[1, 2, -1, -1]]]
    >>> ctc_decode(logits, [4], strategy="beam_search", top_paths=2)[0].numpy()[:, 0, :3].tolist()
    [[1, 2, -1], [1, -1, -1]]
    """
    if strategy not in ("greedy", "beam_search"):
        raise ConfigError(f"ctc_decode(strategy={strategy!r}): strategy must be 'greedy' or 'beam_search', as in "
                          "Keras.")
    for name, value in (("beam_width", beam_width), ("top_paths", top_paths)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ConfigError(f"ctc_decode({name}={value!r}): {name} must be an integer ≥ 1 (Keras's defaults are "
                              "beam_width=100, top_paths=1).")
    logits = _float(inputs)
    if logits.ndim != 3:
        raise ShapeError(f"ctc_decode takes inputs of shape (batch, time, classes), logits, got shape "
                         f"{logits.shape}; give the model's per-step scores.")
    b, t_max, classes = logits.shape
    lengths = _host_ints(sequence_lengths, "sequence_lengths", "ctc_decode").reshape(-1)
    if lengths.shape != (b,):
        raise ShapeError(f"ctc_decode takes one sequence length per sample ({b}), got {lengths.size}; give an "
                         f"array of shape ({b},).")
    if b and (lengths.min() < 0 or lengths.max() > t_max):
        raise ShapeError(f"ctc_decode: sequence_lengths holds {int(lengths.min())}..{int(lengths.max())}, but "
                         f"inputs have {t_max} steps; give lengths from 0 to {t_max}.")
    if isinstance(mask_index, bool) or not isinstance(mask_index, (int, np.integer)) or not 0 <= mask_index < classes:
        raise ConfigError(f"ctc_decode(mask_index={mask_index!r}): the blank class must be an integer from 0 to "
                          f"{classes - 1} (inputs have {classes} classes, Keras's default is 0).")
    values = np.asarray(backend.to_numpy(logits.data))
    if strategy == "beam_search":
        logp = values.astype(np.float64)
        logp = logp - logp.max(axis=-1, keepdims=True)
        logp = logp - np.log(np.exp(logp).sum(axis=-1, keepdims=True))
        decoded = np.full((top_paths, b, t_max), -1, dtype=np.int32)
        scores = np.full((b, top_paths), -np.inf)
        for i in range(b):
            paths, found = _beam_search(logp[i], int(lengths[i]), int(mask_index), int(beam_width), int(top_paths))
            for k, (path, score) in enumerate(zip(paths, found)):
                decoded[k, i, :len(path)] = path
                scores[i, k] = score
        return Tensor(backend.to_device(decoded)), Tensor(backend.to_device(scores.astype(logits.dtype)))
    best = values.argmax(axis=-1)
    past_end = np.arange(t_max)[None, :] >= lengths[:, None]
    best = np.where(past_end, mask_index, best)
    picked = np.where(past_end, 0.0, values.max(axis=-1))
    if merge_repeated:
        repeat = np.zeros_like(past_end)
        repeat[:, 1:] = best[:, 1:] == best[:, :-1]
        best = np.where(repeat, mask_index, best)
    blank = best == mask_index
    # the kept labels in their order first, −1 for every dropped step after them (a stable sort on "dropped")
    order = np.argsort(blank, axis=-1, kind="stable")
    decoded = np.take_along_axis(np.where(blank, -1, best), order, axis=-1).astype(np.int32)[None]
    scores = -picked.sum(axis=1, keepdims=True).astype(logits.dtype)
    return Tensor(backend.to_device(decoded)), Tensor(backend.to_device(scores))


__all__ = ["sparse_sigmoid", "sparsemax", "polar", "unfold", "fold", "ctc_loss", "ctc_decode"]

__getattr__ = not_provided(__name__, __all__)
