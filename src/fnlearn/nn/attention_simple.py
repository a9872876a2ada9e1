"""Single-head attention without projections: ``Attention`` (Luong's dot-product attention) and
``AdditiveAttention`` (Bahdanau's), Keras 3's layers of the same names, as seq2seq and text tutorials use them.

Called on ``[query, value]`` or ``[query, value, key]`` (the key is the value when left out), sequences (batch,
steps, dim): each query step scores every key step, the scores become weights by a softmax over the key steps, and
the output is the weighted sum of the value steps, (batch, Tq, value dim). Luong's score is ``q · k`` (times a
trained ``scale`` with ``use_scale=True``; ``score_mode="concat"`` takes ``Σ tanh(q + k)`` instead), Bahdanau's is
``Σ scale · tanh(q + k)`` with one trained ``scale`` per feature.

Masks are Keras's: ``mask=[query_mask, value_mask]`` (or read from inputs that carry one, from
``Embedding(mask_zero=True)``): padding value steps get no weight, padding query steps give zeros, and the output
carries the query's mask. ``use_causal_mask=True`` lets query step t see key steps ≤ t only. Every piece is one of
fnlearn's differentiable ops, so the gradients come from the autodiff.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> q, v = np.ones((2, 3, 4), "float32"), np.ones((2, 5, 4), "float32")
    >>> out, scores = fl.layers.Attention()([q, v], return_attention_scores=True)
    >>> out.shape, scores.shape
    ((2, 3, 4), (2, 3, 5))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..data import check_flag
from ..errors import ConfigError, ShapeError
from ..tensor import Parameter, Tensor
from . import initializers
from .attention import _bool_mask
from .layers import LAYERS, Layer, _float_of, _reject_unknown_kwargs, as_input, dropout_mask, dropout_rate

# Keras's shift of a padding step's score before the softmax (for float32 and float64)
_PADDING_SHIFT = 1e9


class Attention(Layer):
    """Dot-product attention (Luong-style), Keras 3's ``layers.Attention``: ``layer([query, value])`` or
    ``layer([query, value, key])`` on (batch, steps, dim) sequences; the output is (batch, Tq, value dim).

    ``use_scale=True`` multiplies the scores by a trained scalar ``scale`` (1 at first); ``score_mode="concat"``
    scores ``concat_score_weight · Σ tanh(q + k)`` (a trained scalar too). ``dropout`` drops attention weights in
    training, from a seeded stream as :class:`Dropout`'s. Call options, as in Keras: ``mask=[query_mask,
    value_mask]``, ``return_attention_scores=True`` for ``(output, weights)`` with weights (batch, Tq, Tv),
    ``use_causal_mask=True``, ``training``.

    >>> import fnlearn as fl, numpy as np
    >>> q = np.array([[[1.0, 0.0]]]); v = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    >>> out, w = fl.layers.Attention()([q, v], return_attention_scores=True)
    >>> w.numpy().round(3).tolist()
    [[[0.731, 0.269]]]
    """

    takes_list_only = True  # [query, value] or [query, value, key], as Keras's
    supports_masking = True

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", dropout: float = 0.0,
                 seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        who = type(self).__name__
        _reject_unknown_kwargs(who, kwargs)
        self.use_scale = check_flag(use_scale, f"{who} use_scale")
        if score_mode not in ("dot", "concat"):
            raise ConfigError(f"{who} got score_mode={score_mode!r}; it takes 'dot' (q · k, the default) or "
                              "'concat' (Σ tanh(q + k)).")
        self.score_mode = score_mode
        self.dropout = dropout_rate(dropout, f"{who} dropout", "attention weights")
        self.seed: int | None = None if seed is None else backend.check_seed(
            seed, f"{who} seed", "e.g. seed=0, or None for one drawn from fl.set_seed's generator")
        self.draws = 0  # training calls that drew dropout masks: the stream Dropout's masks come from
        super().__init__(name=name, trainable=kwargs.get("trainable", True), dtype=kwargs.get("dtype"))
        self.scale: Parameter | None = None
        self.concat_score_weight: Parameter | None = None

    # ------------------------------------------------------------------ shapes and weights
    def _shapes(self, shapes: Any) -> list[tuple[Any, ...]]:
        """[query, value, key] sample shapes (batch axis excluded) from a list of two or three; one sentence for
        what does not fit."""
        who = f"{type(self).__name__} layer {self.name!r}"
        if not isinstance(shapes, list) or not all(isinstance(s, (tuple, list)) for s in shapes) \
                or len(shapes) not in (2, 3):
            given = f"a list of {len(shapes)}" if isinstance(shapes, list) else "one input"
            raise ShapeError(f"{who} was called on {given}; it takes a list [query, value] or [query, value, key] "
                             f"of sequences, e.g. layers.{type(self).__name__}()([query, value]).")
        query, value, *rest = (tuple(s) for s in shapes)
        key = rest[0] if rest else value
        for what, shape in (("query", query), ("value", value), ("key", key)):
            if len(shape) != 2:
                raise ShapeError(f"{who} takes sequences, samples of shape (steps, dim), but its {what} has samples "
                                 f"of shape {shape}; reshape each sample to (steps, dim).")
        if None not in (value[0], key[0]) and value[0] != key[0]:
            raise ShapeError(f"{who}'s value and key must have as many steps, got samples of shape {value} and "
                             f"{key}; give a key of the value's steps.")
        if None not in (query[1], key[1]) and query[1] != key[1]:
            raise ShapeError(f"{who} compares query and key feature by feature, but got samples of shape {query} "
                             f"and {key}; give them the same dim (a Dense layer can bring one to the other's).")
        return [query, value, key]

    def build(self, input_shape: Any) -> None:
        self._shapes(input_shape)
        with backend.using_dtype(self.dtype):
            if self.use_scale:
                self.scale = Parameter(initializers.get("ones")(()), name="scale")
            if self.score_mode == "concat":
                self.concat_score_weight = Parameter(initializers.get("ones")(()), name="concat_score_weight")
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        query, value, _ = self._shapes(input_shape)
        return (query[0], value[1])

    # ------------------------------------------------------------------ the call
    def _scores(self, q: Tensor, k: Tensor) -> Tensor:
        """(batch, Tq, Tv) scores of each query step against each key step."""
        if self.score_mode == "dot":
            scores = F.matmul(q, F.transpose(k, (0, 2, 1)))
            return scores if self.scale is None else F.mul(scores, self.scale)
        pairs = F.add(F.expand_dims(q, 2), F.expand_dims(k, 1))  # (batch, Tq, Tv, dim)
        if self.scale is not None:
            pairs = F.mul(pairs, self.scale)
        return F.mul(F.sum(F.tanh(pairs), axis=-1), self.concat_score_weight)

    def forward(self, inputs: Any, mask: Any = None, training: bool | None = None,
                return_attention_scores: bool = False, use_causal_mask: bool = False) -> Any:
        who = f"{type(self).__name__} layer {self.name!r}"
        if not isinstance(inputs, (list, tuple)):
            self._shapes(None)
        items = list(inputs)
        masks = self._given_masks(items, mask)
        dtype = np.dtype(self.dtype) if self.built else _float_of(items[0])
        tensors = [as_input(item, dtype, self.name) for item in items]
        shapes = self._shapes([tuple(t.shape[1:]) for t in tensors])
        q, v = tensors[0], tensors[1]
        k = tensors[2] if len(tensors) > 2 else v
        if len({t.shape[0] for t in tensors}) != 1:
            raise ShapeError(f"{who} got batches of {', '.join(str(t.shape[0]) for t in tensors)} samples for its "
                             "inputs; give them the same batch size.")
        if not self.built:
            self.build(shapes)
        if self.scale is not None and self.scale.ndim and self.scale.shape[0] != q.shape[-1]:
            raise ShapeError(f"{who} was built for queries of {self.scale.shape[0]} features per step but got shape "
                             f"{tuple(q.shape)}; give it inputs of the features it was built for.")
        if not isinstance(use_causal_mask, (bool, np.bool_)):
            raise ConfigError(f"{who} got use_causal_mask={use_causal_mask!r}; it takes True (each query step "
                              "attends to the key steps up to its own) or False.")
        query_mask, value_mask = self._checked_masks(masks, q, v)
        scores = self._scores(q, k)
        allowed = None if value_mask is None else value_mask[:, None, :]
        if use_causal_mask:
            xp = backend.xp()
            causal = xp.tril(xp.ones(scores.shape[1:], dtype=bool))[None]
            allowed = causal if allowed is None else allowed & causal
        if allowed is not None:  # Keras shifts the padding steps' scores down rather than replacing them
            shift = backend.xp().where(allowed, 0.0, _PADDING_SHIFT).astype(scores.dtype)
            scores = F.sub(scores, Tensor(shift))
        weights = F.softmax(scores, axis=-1)
        train = self.training if training is None else bool(training)
        if train and self.dropout > 0.0:
            weights = F.mul(weights, Tensor(dropout_mask(self, tuple(weights.shape), weights.dtype, self.dropout)))
        out = F.matmul(weights, v)
        if query_mask is not None:
            out = F.where(query_mask[:, :, None], out, 0.0)
            out._mask = query_mask
        return (out, weights) if return_attention_scores else out

    def _given_masks(self, items: list[Any], mask: Any) -> list[Any]:
        """The masks of the call (``mask=[query_mask, value_mask(, key_mask)]``), or those the inputs carry."""
        if mask is None:
            return [getattr(item, "_mask", None) for item in items]
        if not isinstance(mask, (list, tuple)) or len(mask) not in (2, 3):
            raise ConfigError(f"{type(self).__name__} layer {self.name!r} got mask={type(mask).__name__}; it takes "
                              "a list [query_mask, value_mask] of (batch, steps) booleans (None for no mask).")
        return list(mask)

    def _checked_masks(self, masks: list[Any], q: Tensor, v: Tensor) -> tuple[Any, Any]:
        """The query's and the value's masks as boolean arrays (None for none), each (batch, its steps)."""
        checked = []
        for what, given, t in (("query_mask", masks[0], q), ("value_mask", masks[1], v)):
            m = None if given is None else _bool_mask(given, what)
            if m is not None and tuple(m.shape) != tuple(t.shape[:2]):
                raise ShapeError(f"{type(self).__name__} layer {self.name!r} got a {what} of shape {tuple(m.shape)};"
                                 f" it takes one of shape (batch, steps) = {tuple(t.shape[:2])}, True for the steps "
                                 "that are not padding.")
            checked.append(m)
        return checked[0], checked[1]

    def compute_mask(self, inputs: Any, mask: Any) -> Any:
        """The query's mask (Keras's rule): the output has the query's steps."""
        if isinstance(mask, (list, tuple)):
            return mask[0] if mask else None
        return mask

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout, "seed": self.seed}


class AdditiveAttention(Attention):
    """Additive attention (Bahdanau-style), Keras 3's ``layers.AdditiveAttention``: the scores are
    ``Σ scale · tanh(q + k)`` over the features, with ``scale`` one trained weight per feature (glorot-uniform at
    first; ``use_scale=False`` leaves it out). Called and masked as :class:`Attention`.

    >>> import fnlearn as fl, numpy as np
    >>> att = fl.layers.AdditiveAttention()
    >>> att([np.ones((2, 3, 4)), np.ones((2, 5, 4))]).shape, att.scale.shape
    ((2, 3, 4), (4,))
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, seed: int | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        if kwargs.pop("score_mode", "dot") != "dot":
            raise ConfigError("AdditiveAttention got a score_mode; its scores are always Σ scale · tanh(q + k), so "
                              "leave score_mode out (Attention(score_mode='concat') is the unscaled variant).")
        super().__init__(use_scale=use_scale, dropout=dropout, seed=seed, name=name, **kwargs)

    def build(self, input_shape: Any) -> None:
        query = self._shapes(input_shape)[0]
        if query[1] is None:
            raise ShapeError(f"AdditiveAttention layer {self.name!r} makes one scale per feature, but its query's "
                             f"samples of shape {query} leave the features unknown (None); give their number.")
        with backend.using_dtype(self.dtype):
            if self.use_scale:
                self.scale = Parameter(initializers.get("glorot_uniform")((int(query[1]),)), name="scale")
        self.built = True

    def _scores(self, q: Tensor, k: Tensor) -> Tensor:
        pairs = F.tanh(F.add(F.expand_dims(q, 2), F.expand_dims(k, 1)))  # (batch, Tq, Tv, dim)
        return F.sum(pairs if self.scale is None else F.mul(pairs, self.scale), axis=-1)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["score_mode"]
        return config


LAYERS.update({"Attention": Attention, "AdditiveAttention": AdditiveAttention})  # classes a model file may name
