"""``keras.tree``: Keras 3's functions for nested structures — the lists, tuples, dicts and named tuples a model's
inputs, outputs, losses and data come in — flattened to their leaves, mapped leaf by leaf, and packed again.

As in Keras (its documented rules, its JAX backend's results): lists, tuples, named tuples, deques and dicts are
nested; anything else, ``None`` included, is a leaf. A dict's values come in the order of its sorted keys (in
insertion order where the keys cannot be sorted, and always for an ``OrderedDict``), and a dict is packed again
with its keys in their original order. Structures that differ where they must match are refused with one
sentence (a ``ValueError``, as Keras's).

Example:
    >>> from fnlearn.keras import tree
    >>> tree.flatten({"b": 2, "a": [1, None]})
    [1, None, 2]
    >>> tree.map_structure(lambda x: x * 10, {"b": 2, "a": (1, 3)})
    {'b': 20, 'a': (10, 30)}
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import ShapeError
from ._missing import not_provided


class MAP_TO_NONE:  # noqa: N801  (Keras's name)
    """What a :func:`traverse` function returns to put ``None`` in place of a part (``None`` means "go on")."""


def _is_namedtuple(value: Any) -> bool:
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


def _keys(value: Any) -> list[Any]:
    """A dict's keys in the order its values are taken: sorted, or as inserted for an OrderedDict or keys that
    cannot be compared."""
    if isinstance(value, collections.OrderedDict):
        return list(value)
    try:
        return sorted(value)
    except TypeError:
        return list(value)


def is_nested(structure: Any) -> bool:
    """Whether ``structure`` has parts: a list, tuple, named tuple, deque or dict.

    >>> is_nested([1]), is_nested(None), is_nested("ab")
    (True, False, False)
    """
    return isinstance(structure, (list, tuple, dict, collections.deque))


def _children(value: Any) -> list[tuple[Any, Any]]:
    """(key, child) of each part of a nested ``value``, in Keras's order."""
    if isinstance(value, dict):
        return [(key, value[key]) for key in _keys(value)]
    return list(enumerate(value))  # a named tuple's parts too, by position, as Keras's paths give them


def _rebuilt(value: Any, children: list[Any]) -> Any:
    """A node like ``value`` holding ``children`` (given in Keras's order), its keys in their original order."""
    if isinstance(value, dict):
        by_key = dict(zip(_keys(value), children))
        if isinstance(value, collections.defaultdict):
            return collections.defaultdict(value.default_factory, ((k, by_key[k]) for k in value))
        return type(value)((k, by_key[k]) for k in value)
    if _is_namedtuple(value):
        return type(value)(*children)
    if isinstance(value, collections.deque):
        return collections.deque(children, maxlen=value.maxlen)
    return type(value)(children)


def _kind(value: Any) -> Any:
    """What two nodes must share to have the same structure: their type and their keys."""
    if isinstance(value, dict):
        return (dict if not isinstance(value, collections.OrderedDict) else collections.OrderedDict,
                tuple(_keys(value)))
    return type(value), len(value)


def _walk(structure: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if not is_nested(structure):
        yield path, structure
        return
    for key, child in _children(structure):
        yield from _walk(child, (*path, key))


def flatten(structure: Any) -> list[Any]:
    """The leaves of ``structure``, in order (a leaf alone gives a list of it).

    >>> flatten(((1, 2), {"x": 3}))
    [1, 2, 3]
    """
    return [leaf for _, leaf in _walk(structure)]


def flatten_with_path(structure: Any) -> list[tuple[tuple[Any, ...], Any]]:
    """(path, leaf) for each leaf: the path the indices and keys leading to it.

    >>> flatten_with_path({"a": [5, 6]})
    [(('a', 0), 5), (('a', 1), 6)]
    """
    return list(_walk(structure))


def _mismatch(what: str) -> ShapeError:
    return ShapeError(f"the structures given do not have the same nested structure ({what}); give structures of "
                      "the same kinds of lists, tuples and dicts, with the same keys and lengths.")


def _zip(structures: tuple[Any, ...], none_is_leaf: bool = True) -> Any:
    """The first structure's nodes with the others' parts beside them: raises where they differ."""
    first = structures[0]
    nested = [is_nested(s) for s in structures]
    if not nested[0]:
        if any(nested[1:]):
            raise _mismatch(f"a leaf {first!r} where another has {type(structures[nested.index(True)]).__name__}")
        return None
    kinds = [_kind(s) if n else None for s, n in zip(structures, nested)]
    for other in kinds[1:]:
        if other != kinds[0]:
            raise _mismatch(f"{kinds[0][0].__name__} of {kinds[0][1]!r} against "
                            f"{'a leaf' if other is None else f'{other[0].__name__} of {other[1]!r}'}")
    return [[child for _, child in _children(s)] for s in structures]


def map_structure(func: Callable[..., Any], *structures: Any, none_is_leaf: bool = True) -> Any:
    """``func`` of the leaves at the same place in each structure, packed as the first is (all must match).
    With ``none_is_leaf=False`` a ``None`` stays ``None`` and ``func`` is not called on it.

    >>> map_structure(lambda a, b: a + b, [1, (2, 3)], [10, (20, 30)])
    [11, (22, 33)]
    """
    if not structures:
        raise ShapeError("map_structure takes a function and at least one structure, got none; e.g. "
                         "map_structure(lambda x: x * 2, [1, 2]).")

    def go(parts: tuple[Any, ...]) -> Any:
        children = _zip(parts)
        if children is None:
            if not none_is_leaf and parts[0] is None:
                return None
            return func(*parts)
        return _rebuilt(parts[0], [go(tuple(column)) for column in zip(*children)])

    return go(structures)


def map_structure_up_to(shallow_structure: Any, func: Callable[..., Any], *structures: Any) -> Any:
    """``func`` of the parts of ``structures`` found at the leaves of ``shallow_structure`` (which the structures
    share down to there, deeper parts passed whole).

    >>> map_structure_up_to((None, None), lambda a: len(a), ([1, 2], {"x": 1}))
    (2, 1)
    """
    if not structures:
        raise ShapeError("map_structure_up_to takes a shallow structure, a function and at least one structure, "
                         "got no structure; e.g. map_structure_up_to((None,), len, ([1, 2],)).")

    def go(shallow: Any, parts: tuple[Any, ...]) -> Any:
        if not is_nested(shallow):
            return func(*parts)
        children = _zip((shallow, *parts))
        if children is None:
            raise _mismatch(f"{type(shallow).__name__} where a structure has a leaf")
        return _rebuilt(shallow, [go(column[0], tuple(column[1:])) for column in zip(*children)])

    return go(shallow_structure, structures)


def assert_same_structure(a: Any, b: Any, check_types: Any = None) -> None:
    """Raises (one sentence) unless ``a`` and ``b`` nest alike: the same kinds of nodes, keys and lengths.
    ``check_types`` is accepted and ignored, as Keras 3 ignores it.

    >>> assert_same_structure([1, (2,)], [5, (6,)])
    """
    map_structure(lambda *_: None, a, b)


def assert_same_paths(a: Any, b: Any) -> None:
    """Raises (one sentence) unless ``a`` and ``b`` have the same paths to their leaves — a looser check than
    :func:`assert_same_structure`: a list and a tuple of the same length match.

    >>> assert_same_paths([1, 2], (3, 4))
    """
    paths_a, paths_b = ({path for path, _ in _walk(s)} for s in (a, b))
    if paths_a != paths_b:
        only_a, only_b = sorted(paths_a - paths_b, key=repr), sorted(paths_b - paths_a, key=repr)
        raise ShapeError(f"a and b do not have the same paths: a alone has {only_a}, b alone has {only_b}; give "
                         "structures with the same keys and lengths.")


def pack_sequence_as(structure: Any, flat_sequence: Any) -> Any:
    """The leaves of ``flat_sequence``, in order, packed into the nesting of ``structure``.

    >>> pack_sequence_as({"b": None, "a": [None, None]}, [1, 2, 3])
    {'b': 3, 'a': [1, 2]}
    """
    leaves = list(flat_sequence)
    wanted = len(flatten(structure))
    if len(leaves) != wanted:
        raise ShapeError(f"pack_sequence_as got {len(leaves)} values for a structure of {wanted} leaves; give one "
                         "value per leaf, as flatten(structure) lists them.")
    it = iter(leaves)

    def go(node: Any) -> Any:
        if not is_nested(node):
            return next(it)
        return _rebuilt(node, [go(child) for _, child in _children(node)])

    return go(structure)


def traverse(func: Callable[[Any], Any], structure: Any, top_down: bool = True) -> Any:
    """``structure`` rebuilt by ``func`` of each part, whole nodes included: top down, a part for which ``func``
    returns something other than ``None`` is replaced by it (and not entered); bottom up, ``func`` sees each node
    with its parts already traversed. Returning :class:`MAP_TO_NONE` puts ``None`` there.

    >>> traverse(lambda x: tuple(x) if isinstance(x, list) else None, [1, [2, 3]], top_down=False)
    (1, (2, 3))
    """
    def children_of(node: Any) -> Any:
        if not is_nested(node):
            return node
        return _rebuilt(node, [traverse(func, child, top_down) for _, child in _children(node)])

    if top_down:
        result = func(structure)
        if result is None:
            return children_of(structure)
    else:
        inner = children_of(structure)
        result = func(inner)
        if result is None:
            return inner
    return None if result is MAP_TO_NONE else result


def lists_to_tuples(structure: Any) -> Any:
    """Every list in ``structure`` made a tuple.

    >>> lists_to_tuples({"a": [1, [2]]})
    {'a': (1, (2,))}
    """
    return traverse(lambda node: tuple(node) if isinstance(node, list) else None, structure, top_down=False)


def map_shape_structure(func: Callable[[Any], Any], structure: Any) -> Any:
    """``func`` of each shape in ``structure``: a list or tuple of whole numbers and ``None`` is a shape (a leaf),
    not a node.

    >>> map_shape_structure(lambda s: s[1:], {"x": (None, 28, 28), "y": [(None, 10)]})
    {'x': (28, 28), 'y': [(10,)]}
    """
    def is_shape(value: Any) -> bool:
        return isinstance(value, (list, tuple)) and all(isinstance(v, (int, type(None))) for v in value)

    if is_shape(structure) or not is_nested(structure):
        return func(structure)
    return _rebuilt(structure, [map_shape_structure(func, child) for _, child in _children(structure)])


__all__ = ["MAP_TO_NONE", "is_nested", "traverse", "flatten", "flatten_with_path", "map_structure",
           "map_structure_up_to", "assert_same_structure", "assert_same_paths", "pack_sequence_as",
           "lists_to_tuples", "map_shape_structure"]

__getattr__ = not_provided(__name__, __all__)
