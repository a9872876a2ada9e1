"""Attention: ``MultiHeadAttention``, Keras 3's ``layers.MultiHeadAttention`` (Vaswani et al., 2017), the layer of
keras.io's Transformer examples (text classification, time-series classification, named entities).

Each query step asks every key step how well they match: the scores ``q · k / √key_dim``, one table per head, become
weights by a softmax over the key steps (padding steps, masked, get none), and the output is the weighted mean of the
value steps, the heads side by side, projected back to the query's features. Every piece is one of fnlearn's
differentiable ops (dense projections, reshapes, batched matmuls, the stable softmax), so the gradients come from
the autodiff and were checked against central differences once, there.

The weights have Keras's shapes and order, so ``layer.set_weights(keras_layer.get_weights())`` gives Keras's
outputs: query kernel (d_q, heads, key_dim) and bias (heads, key_dim); key kernel (d_k, heads, key_dim) and bias;
value kernel (d_v, heads, value_dim) and bias (heads, value_dim); output kernel (heads, value_dim, *output_shape)
and bias (*output_shape).

Example:
    >>> import fnlearn as fl, numpy as np
    >>> att = fl.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    >>> x = np.ones((3, 5, 8), dtype="float32")
    >>> out, scores = att(x, x, return_attention_scores=True)
    >>> out.shape, scores.shape
    ((3, 5, 8), (3, 2, 5, 5))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..tensor import Parameter, Tensor
from . import constraints, initializers, regularizers
from .layers import (
    LAYERS,
    Layer,
    _float_of,
    _reject_unknown_kwargs,
    as_input,
    dropout_mask,
    dropout_rate,
    known_features,
)

# Keras's value for "no attention" before the softmax (its Softmax layer's, for float32 and float64)
_MASKED_SCORE = -1e9
# the projections, in the order Keras makes them (the gate's only with use_gate)
_PARTS = ("query", "key", "gate", "value", "output")



def _whole(value: Any, name: str, example: str, who: str = "MultiHeadAttention") -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{who} {name} must be a whole number of at least 1, got {value!r}; {example}.")
    return int(value)


def _output_shape(value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    sizes = (value,) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    try:
        sizes = tuple(sizes)
    except TypeError:
        sizes = ()
    if not sizes or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in sizes):
        raise ConfigError(f"MultiHeadAttention output_shape must be None (the query's features), a whole number or "
                          f"a tuple of them, got {value!r}; e.g. output_shape=64.")
    return tuple(int(s) for s in sizes)


def _bool_mask(mask: Any, what: str, who: str = "MultiHeadAttention") -> Any:
    """A mask as a boolean array on the backend's device (Keras casts: nonzero is True)."""
    raw = mask.data if isinstance(mask, Tensor) else mask
    raw = backend.to_device(np.asarray(backend.to_numpy(raw)))
    if raw.dtype.kind not in "biuf":
        raise ConfigError(f"{who} {what} must hold booleans (True: attend), got values of type "
                          f"{raw.dtype}; give a boolean array.")
    return raw.astype(bool) if raw.dtype != bool else raw


class MultiHeadAttention(Layer):
    """Multi-head attention, Keras 3's ``layers.MultiHeadAttention``: called as ``layer(query, value)`` (or with
    ``key=``) on sequences (batch, steps, features); self-attention is ``layer(x, x)``.

    ``num_heads`` heads each compare query and key in ``key_dim`` numbers and read the values in ``value_dim``
    (``key_dim`` by default); the output has the query's steps and ``output_shape`` features (the query's by
    default). ``dropout`` drops attention weights in training, from a seeded stream as :class:`Dropout`'s.

    Call options, as in Keras: ``attention_mask`` (batch, T, S) of booleans (True: may attend),
    ``use_causal_mask=True`` (step t sees steps ≤ t), ``query_mask`` / ``value_mask`` / ``key_mask`` (batch, steps)
    (also read from inputs that carry one, from ``Embedding(mask_zero=True)``), ``return_attention_scores=True``
    for ``(output, scores)`` with scores (batch, heads, T, S), ``training``. The output carries the query's mask.
    ``use_gate=True`` multiplies each head's output by a sigmoid gate projected from the query (a ``gate_kernel``
    (d_q, heads, value_dim) and bias, Keras's "gated attention") before the output projection;
    ``sliding_window=w`` lets step t attend to steps s with |t − s| < w only (Mistral's band), with any other mask.
    ``attention_axes`` other than the steps and flash attention are refused.
    ``kernel_constraint`` and ``bias_constraint`` apply to all the projections' kernels and biases, as in Keras.

    >>> import fnlearn as fl, numpy as np
    >>> att = fl.layers.MultiHeadAttention(2, 3, value_dim=5, output_shape=6)
    >>> att(np.ones((1, 4, 8)), np.ones((1, 7, 10))).shape, [w.shape for w in att.get_weights()][::2]
    ((1, 4, 6), [(8, 2, 3), (10, 2, 3), (10, 2, 5), (2, 5, 6)])
    """

    supports_masking = True
    keras_name = "MultiHeadAttention"  # the class's name in Keras's API, which messages give
    _weight_constraints = {f"{part}_{kind}": f"{kind}_constraint" for part in _PARTS for kind in ("kernel", "bias")}
    _weight_regularizers = {f"{part}_{kind}": f"{kind}_regularizer" for kind in ("kernel", "bias") for part in _PARTS}

    def __init__(self, num_heads: int, key_dim: int, value_dim: int | None = None, dropout: float = 0.0,
                 use_bias: bool = True, output_shape: Any = None, attention_axes: Any = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, seed: int | None = None,
                 use_gate: bool = False, sliding_window: int | None = None, flash_attention: bool | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        who = self.keras_name
        found = constraints.checked(kwargs, ("kernel_constraint", "bias_constraint"))
        if flash_attention not in (None, False):
            raise ConfigError(f"{who} got flash_attention={flash_attention!r}, which fnlearn does not have; leave it "
                              "out (fnlearn computes Keras's plain scaled dot-product attention, the same numbers).")
        _reject_unknown_kwargs(who, kwargs)
        self.num_heads = _whole(num_heads, "num_heads", "e.g. num_heads=2", who)
        self.key_dim = _whole(key_dim, "key_dim", "give the size of each head, e.g. key_dim=32", who)
        self.value_dim = self.key_dim if value_dim is None else _whole(value_dim, "value_dim",
                                                                       "or None for key_dim", who)
        self.dropout = dropout_rate(dropout, f"{who} dropout", "attention weights")
        for key, flag in (("use_bias", use_bias), ("use_gate", use_gate)):
            if not isinstance(flag, (bool, np.bool_)):
                raise ConfigError(f"{who} {key} must be True or False, got {flag!r}.")
        self.use_bias, self.use_gate = bool(use_bias), bool(use_gate)
        self.sliding_window = None if sliding_window is None else _whole(
            sliding_window, "sliding_window", "step t then attends to steps s with |t - s| < sliding_window, or None "
            "for all", who)
        self.output_shape = _output_shape(output_shape)
        axes = (attention_axes,) if isinstance(attention_axes, (int, np.integer)) else attention_axes
        if axes is not None and (not isinstance(axes, (tuple, list)) or list(axes) not in ([1], [-2])):
            raise ConfigError(f"{who} got attention_axes={attention_axes!r}; fnlearn attends over the "
                              "steps of (batch, steps, features) sequences only: leave attention_axes out (or "
                              "reshape the inputs to sequences).")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint, self.bias_constraint = found["kernel_constraint"], found["bias_constraint"]
        self.seed: int | None = None if seed is None else backend.check_seed(
            seed, f"{who} seed", "e.g. seed=0, or None for one drawn from fl.set_seed's generator")
        self.draws = 0  # training calls that drew dropout masks: the stream Dropout's masks come from
        super().__init__(name=name, trainable=kwargs.get("trainable", True), dtype=kwargs.get("dtype"))
        # the heads of the keys and values: all of them here, fewer in GroupedQueryAttention
        self.kv_heads = self.num_heads
        # made in Keras's order, which is the order of get_weights()
        self.query_kernel: Parameter | None = None
        self.query_bias: Parameter | None = None
        self.key_kernel: Parameter | None = None
        self.key_bias: Parameter | None = None
        self.gate_kernel: Parameter | None = None
        self.gate_bias: Parameter | None = None
        self.value_kernel: Parameter | None = None
        self.value_bias: Parameter | None = None
        self.output_kernel: Parameter | None = None
        self.output_bias: Parameter | None = None

    # ------------------------------------------------------------------ shapes and weights
    @classmethod
    def _unpacked(cls, query: Any, value: Any, key: Any, listed: bool) -> tuple[Any, Any, Any]:
        """(query, value, key) from a call's arguments (or their shapes), or from the list [query, value(, key)]
        that ``query`` is when ``listed``; a call without a value refused in one sentence."""
        who = cls.keras_name
        if value is None and listed:
            if len(query) not in (2, 3):
                raise ShapeError(f"{who} takes [query, value] or [query, value, key], got a list of "
                                 f"{len(query)} inputs; e.g. layer(x, x) for self-attention.")
            query, value, *rest = query
            key = rest[0] if rest else None
        if value is None:
            raise ShapeError(f"{who} takes a query and a value (and optionally a key) but was given one "
                             "input; call it as layer(query, value), e.g. layer(x, x) for self-attention.")
        return query, value, key

    @classmethod
    def _shapes(cls, query_shape: Any, value_shape: Any = None, key_shape: Any = None) -> list[tuple[Any, ...]]:
        """[query, value, key] sample shapes (batch axis excluded) from the arguments of build or
        compute_output_shape: three shapes, or a list of two or three (a call on a list)."""
        who = cls.keras_name
        listed = isinstance(query_shape, list) and bool(query_shape) and isinstance(query_shape[0], (tuple, list))
        query_shape, value_shape, key_shape = cls._unpacked(query_shape, value_shape, key_shape, listed)
        shapes = [tuple(query_shape), tuple(value_shape), tuple(value_shape if key_shape is None else key_shape)]
        for what, shape in zip(("query", "value", "key"), shapes):
            if len(shape) != 2:
                raise ShapeError(f"{who} takes sequences, samples of shape (steps, features), but its "
                                 f"{what} has samples of shape {shape}; reshape each sample to (steps, features).")
        if shapes[1][0] is not None and shapes[2][0] is not None and shapes[1][0] != shapes[2][0]:
            raise ShapeError(f"{who}'s value and key must have as many steps, got samples of shape "
                             f"{shapes[1]} and {shapes[2]}; give a key of the value's steps.")
        return shapes

    def build(self, input_shape: Any, value_shape: Any = None, key_shape: Any = None) -> None:
        query, value, key = self._shapes(input_shape, value_shape, key_shape)
        who = f"{self.keras_name} layer {self.name!r}"
        d_q, d_v, d_k = (known_features(shape, who) for shape in (query, value, key))
        h, out = self.num_heads, self.output_shape or (d_q,)
        projections = [("query", d_q, h, self.key_dim), ("key", d_k, self.kv_heads, self.key_dim),
                       ("gate", d_q, h, self.value_dim), ("value", d_v, self.kv_heads, self.value_dim)]
        if not self.use_gate:
            del projections[2]
        with backend.using_dtype(self.dtype):
            for part, features, count, width in projections:
                setattr(self, f"{part}_kernel", Parameter(self.kernel_initializer((features, count, width)),
                                                          name=f"{part}_kernel"))
                if self.use_bias:
                    setattr(self, f"{part}_bias", Parameter(self.bias_initializer((count, width)),
                                                            name=f"{part}_bias"))
            self.output_kernel = Parameter(self.kernel_initializer((h, self.value_dim, *out)), name="output_kernel")
            if self.use_bias:
                self.output_bias = Parameter(self.bias_initializer(tuple(out)), name="output_bias")
        self.built = True

    def compute_output_shape(self, query_shape: Any, value_shape: Any = None, key_shape: Any = None) -> tuple:
        query = self._shapes(query_shape, value_shape, key_shape)[0]
        return (query[0], *(self.output_shape or (query[1],)))

    @property
    def input_features(self) -> int | None:
        return None if self.query_kernel is None else int(self.query_kernel.shape[0])

    # ------------------------------------------------------------------ the call
    def forward(self, query: Any, value: Any = None, key: Any = None, query_mask: Any = None,
                value_mask: Any = None, key_mask: Any = None, attention_mask: Any = None,
                return_attention_scores: bool = False, training: bool | None = None,
                use_causal_mask: bool = False) -> Any:
        query, value, key = self._unpacked(query, value, key, isinstance(query, (list, tuple)))
        who = f"{self.keras_name} layer {self.name!r}"
        # the masks the inputs carry (Embedding(mask_zero=True)), read before the inputs are cast
        if query_mask is None:
            query_mask = getattr(query, "_mask", None)
        if value_mask is None:
            value_mask = getattr(value, "_mask", None)
        if key_mask is None and key is not None:
            key_mask = getattr(key, "_mask", None)
        dtype = np.dtype(self.dtype) if self.query_kernel is not None else _float_of(query)
        q, v = as_input(query, dtype, self.name), as_input(value, dtype, self.name)
        k = v if key is None else as_input(key, dtype, self.name)
        shapes = self._shapes(tuple(q.shape[1:]), tuple(v.shape[1:]), tuple(k.shape[1:]))
        if not (q.shape[0] == v.shape[0] == k.shape[0]):
            raise ShapeError(f"{who} got batches of {q.shape[0]} queries, {v.shape[0]} values and {k.shape[0]} "
                             "keys; give them the same batch size.")
        if self.query_kernel is None:
            self.build(*shapes)
        for what, t, kernel in (("query", q, self.query_kernel), ("value", v, self.value_kernel),
                                ("key", k, self.key_kernel)):
            if t.shape[-1] != kernel.shape[0]:
                raise ShapeError(f"{who} was built for a {what} of {kernel.shape[0]} features per step but got "
                                 f"shape {tuple(t.shape)}; give it inputs of the features it was built for.")
        train = self.training if training is None else bool(training)
        mask = self._attention_mask(q, v, query_mask, value_mask, key_mask, attention_mask, use_causal_mask)
        batch, steps, sources, h, kv = q.shape[0], q.shape[1], v.shape[1], self.num_heads, self.kv_heads

        def project(x: Tensor, part: str) -> Tensor:
            """x (B, steps, d) projected to (B, steps, heads·width), one matmul for all heads."""
            kernel, bias = getattr(self, f"{part}_kernel"), getattr(self, f"{part}_bias")
            width = kernel.shape[1] * kernel.shape[2]
            return F.dense(x, F.reshape(kernel, (kernel.shape[0], width)),
                           None if bias is None else F.reshape(bias, (width,)))

        def heads(x: Tensor, part: str, count: int, width: int) -> Tensor:
            """x projected, as (B, count, steps·(h / count), width): each key (value) head with the h / count
            query heads that share it stacked along the steps, so that one batched matmul serves them all
            (Keras repeats the shared heads instead: the same numbers)."""
            y = F.transpose(F.reshape(project(x, part), (x.shape[0], x.shape[1], h, width)), (0, 2, 1, 3))
            return y if count == h else F.reshape(y, (x.shape[0], count, (h // count) * x.shape[1], width))

        qh = F.mul(heads(q, "query", kv, self.key_dim), 1.0 / math.sqrt(self.key_dim))  # Keras scales the query
        kh = F.transpose(F.reshape(project(k, "key"), (batch, sources, kv, self.key_dim)), (0, 2, 3, 1))
        vh = F.transpose(F.reshape(project(v, "value"), (batch, sources, kv, self.value_dim)), (0, 2, 1, 3))
        scores = F.reshape(F.matmul(qh, kh), (batch, h, steps, sources))
        if mask is not None:
            scores = F.where(mask, scores, _MASKED_SCORE)
        weights = F.softmax(scores, axis=-1)
        if mask is not None:  # a query step that may attend to nothing gets no weights (Keras's Softmax)
            weights = F.where(mask, weights, 0.0)
        attended = weights
        if train and self.dropout > 0.0:
            attended = F.mul(weights, Tensor(dropout_mask(self, tuple(weights.shape), weights.dtype, self.dropout)))
        if kv != h:
            attended = F.reshape(attended, (batch, kv, (h // kv) * steps, sources))
        mixed = F.reshape(F.matmul(attended, vh), (batch, h, steps, self.value_dim))
        mixed = F.reshape(F.transpose(mixed, (0, 2, 1, 3)), (batch, steps, h * self.value_dim))
        if self.use_gate:
            mixed = F.mul(mixed, F.sigmoid(project(q, "gate")))
        out_dims = tuple(self.output_kernel.shape[2:])
        width = int(np.prod(out_dims))
        out = F.dense(mixed, F.reshape(self.output_kernel, (h * self.value_dim, width)),
                      None if self.output_bias is None else F.reshape(self.output_bias, (width,)))
        if len(out_dims) != 1:
            out = F.reshape(out, (batch, steps, *out_dims))
        if query_mask is not None:
            out._mask = _bool_mask(query_mask, "query_mask", self.keras_name)
        return (out, weights) if return_attention_scores else out

    def _attention_mask(self, q: Tensor, v: Tensor, query_mask: Any, value_mask: Any, key_mask: Any,
                        attention_mask: Any, use_causal_mask: Any) -> Any:
        """Where each query step may attend to each key step, (B or 1, 1, T, S) booleans, or None for
        everywhere: Keras's rule, every mask given ANDed."""
        xp = backend.xp()
        batch, steps, sources = q.shape[0], q.shape[1], v.shape[1]
        kind = self.keras_name
        who = f"{kind} layer {self.name!r}"
        mask = None
        for what, given, size, axis in (("query_mask", query_mask, steps, -1), ("value_mask", value_mask, sources, -2),
                                        ("key_mask", key_mask, sources, -2)):
            if given is None:
                continue
            m = _bool_mask(given, what, kind)
            if tuple(m.shape) != (batch, size):
                raise ShapeError(f"{who} got a {what} of shape {tuple(m.shape)}; it takes one of shape (batch, "
                                 f"steps) = ({batch}, {size}), True for the steps that are not padding.")
            m = xp.expand_dims(m, axis)  # the query's (B, T, 1), the value's and key's (B, 1, S)
            mask = m if mask is None else mask & m
        if not isinstance(use_causal_mask, (bool, np.bool_)):
            raise ConfigError(f"{who} got use_causal_mask={use_causal_mask!r}; it takes True (each step attends to "
                              "itself and the steps before it) or False.")
        if use_causal_mask:
            m = xp.tril(xp.ones((steps, sources), dtype=bool))[None]
            mask = m if mask is None else mask & m
        if self.sliding_window is not None:
            m = xp.abs(xp.arange(steps)[:, None] - xp.arange(sources)[None, :])[None] < self.sliding_window
            mask = m if mask is None else mask & m
        if attention_mask is not None:
            m = _bool_mask(attention_mask, "attention_mask", kind)
            try:
                if m.ndim > 3:
                    raise ValueError
                np.broadcast_shapes(tuple(m.shape), (batch, steps, sources))
            except ValueError:
                raise ShapeError(f"{who} got an attention_mask of shape {tuple(m.shape)}; it takes booleans of "
                                 f"shape (batch, T, S) = ({batch}, {steps}, {sources}), True where query step t "
                                 "may attend to key step s.") from None
            mask = m if mask is None else mask & m
        if mask is None:
            return None
        while mask.ndim < 3:
            mask = mask[None]
        return mask[:, None]  # one mask for every head

    def compute_mask(self, inputs: Any, mask: Any) -> Any:
        return mask  # the query's: the output has the query's steps

    # ------------------------------------------------------------------ regularizers and settings
    def _settings(self) -> dict[str, Any]:
        """The settings every attention of this kind has, in Keras's words."""
        config = {"dropout": self.dropout, "use_bias": self.use_bias, "use_gate": self.use_gate,
                  "sliding_window": self.sliding_window,
                  "kernel_initializer": initializers.name_of(self.kernel_initializer),
                  "bias_initializer": initializers.name_of(self.bias_initializer), "seed": self.seed}
        return config

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim,
                "output_shape": None if self.output_shape is None else list(self.output_shape), **self._settings()}


class GroupedQueryAttention(MultiHeadAttention):
    """Grouped-query attention, Keras 3's ``layers.GroupQueryAttention`` (Ainslie et al., 2023, the attention of
    Llama 2 and Mistral): ``num_query_heads`` query heads of ``head_dim`` numbers share ``num_key_value_heads``
    key and value heads, each shared by ``num_query_heads / num_key_value_heads`` query heads in a row, so the
    keys and values cost fewer weights. With as many key/value heads as query heads it is
    :class:`MultiHeadAttention`; with one, multi-query attention. The output has the query's features.

    Called, masked, gated (``use_gate``), banded (``sliding_window``) and dropped out as
    :class:`MultiHeadAttention`; the weights are Keras's: query kernel (d_q, query heads, head_dim), key and
    value kernels (d, key/value heads, head_dim), output kernel (query heads, head_dim, d_q), with biases.

    >>> import fnlearn as fl, numpy as np
    >>> gqa = fl.layers.GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
    >>> out, scores = gqa(np.ones((3, 5, 8)), np.ones((3, 6, 8)), return_attention_scores=True)
    >>> out.shape, scores.shape, [w.shape for w in gqa.get_weights()][::2]
    ((3, 5, 8), (3, 4, 5, 6), [(8, 4, 4), (8, 2, 4), (8, 2, 4), (4, 4, 8)])
    """

    keras_name = "GroupQueryAttention"

    def __init__(self, head_dim: int, num_query_heads: int, num_key_value_heads: int, dropout: float = 0.0,
                 use_bias: bool = True, sliding_window: int | None = None, flash_attention: bool | None = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, use_gate: bool = False,
                 seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        who = self.keras_name
        _reject_unknown_kwargs(who, kwargs, allow=("kernel_constraint", "bias_constraint"))
        heads = _whole(num_query_heads, "num_query_heads", "e.g. num_query_heads=8", who)
        kv = _whole(num_key_value_heads, "num_key_value_heads", "e.g. num_key_value_heads=2", who)
        width = _whole(head_dim, "head_dim", "give the size of each head, e.g. head_dim=32", who)
        if heads % kv:
            raise ConfigError(f"GroupQueryAttention got {heads} query heads and {kv} key/value heads; each key/value "
                              f"head serves the same number of query heads, so num_query_heads must be a multiple "
                              f"of num_key_value_heads, e.g. num_key_value_heads={math.gcd(heads, kv)}.")
        super().__init__(heads, width, dropout=dropout, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, seed=seed, use_gate=use_gate,
                         sliding_window=sliding_window, flash_attention=flash_attention, name=name, **kwargs)
        self.kv_heads = kv

    @property
    def head_dim(self) -> int:
        return self.key_dim

    @property
    def num_query_heads(self) -> int:
        return self.num_heads

    @property
    def num_key_value_heads(self) -> int:
        return self.kv_heads

    def get_config(self) -> dict[str, Any]:
        return {**Layer.get_config(self), "head_dim": self.key_dim, "num_query_heads": self.num_heads,
                "num_key_value_heads": self.kv_heads, **self._settings()}


LAYERS["MultiHeadAttention"] = MultiHeadAttention  # classes a model file may name
LAYERS["GroupedQueryAttention"] = LAYERS["GroupQueryAttention"] = GroupedQueryAttention
GroupQueryAttention = GroupedQueryAttention  # Keras's public name for the class
