"""keras.tree: Keras 3's flatten, paths, maps, packing, traversal and structure checks on the structures Keras
programs nest (lists, tuples, named tuples, dicts sorted by key, OrderedDicts, None as a leaf), the same results
as Keras's own functions, and one sentence for structures that do not match."""

from __future__ import annotations

import collections
import re

import pytest
from real_keras import real_keras

from fnlearn.errors import ShapeError
from fnlearn.keras import tree

Point = collections.namedtuple("Point", ["y", "x"])
STRUCTURES = [
    7,
    None,
    [1, 2],
    (3,),
    {"b": 1, "a": [2, None], "c": (3, {"z": 4, "y": 5})},
    collections.OrderedDict([("b", 1), ("a", 2)]),
    [Point(1, (2, 3)), {"k": Point(4, 5)}],
    {1: "one", 0: ["zero"]},
    ((), [], {}),
]


@pytest.mark.keras_backend("jax")  # Keras on JAX orders dicts as its docs say (sorted keys); on PyTorch it does not
@pytest.mark.parametrize("structure", STRUCTURES, ids=range(len(STRUCTURES)))
def test_the_same_results_as_keras(structure):
    real = real_keras()
    assert tree.flatten(structure) == real.tree.flatten(structure)
    assert tree.flatten_with_path(structure) == real.tree.flatten_with_path(structure)
    assert tree.is_nested(structure) == real.tree.is_nested(structure)
    mapped = tree.map_structure(lambda v: None if v is None else [v], structure)
    assert mapped == real.tree.map_structure(lambda v: None if v is None else [v], structure)
    if tree.is_nested(structure):
        assert type(mapped) is type(structure)
    leaves = list(range(len(tree.flatten(structure))))
    assert tree.pack_sequence_as(structure, leaves) == real.tree.pack_sequence_as(structure, leaves)
    assert tree.lists_to_tuples(structure) == real.tree.lists_to_tuples(structure)
    both = tree.map_structure(lambda a, b: (a, b), structure, structure)
    assert both == real.tree.map_structure(lambda a, b: (a, b), structure, structure)


def test_keys_keep_their_order_and_named_tuples_their_type():
    packed = tree.pack_sequence_as({"b": 0, "a": 0}, [1, 2])
    assert list(packed) == ["b", "a"] and packed == {"a": 1, "b": 2}
    point = tree.map_structure(lambda v: v * 2, Point(1, 2))
    assert type(point) is Point and point == Point(2, 4)
    counts = collections.defaultdict(int, {"b": 1, "a": 2})
    doubled = tree.map_structure(lambda v: v * 2, counts)
    assert isinstance(doubled, collections.defaultdict) and doubled["missing"] == 0 and doubled["a"] == 4
    assert tree.map_structure(lambda v: v, [None, 1], none_is_leaf=False) == [None, 1]
    assert tree.map_structure(lambda v: "leaf", [None], none_is_leaf=True) == ["leaf"]


def test_traverse_top_down_and_bottom_up():
    structure = [1, [2, [3]], {"a": 4}]
    assert tree.traverse(lambda x: "cut" if isinstance(x, list) and len(x) == 2 else None, structure) == \
        [1, "cut", {"a": 4}]
    assert tree.traverse(lambda x: tree.MAP_TO_NONE if x == 4 else None, structure) == [1, [2, [3]], {"a": None}]
    sums = tree.traverse(lambda x: sum(tree.flatten(x)) if isinstance(x, list) else None, structure, top_down=False)
    assert sums == 10  # [3] became 3, then [2, 3] 5, then [1, 5, {"a": 4}] 1 + 5 + 4


def test_up_to_shallow_structures_and_shapes():
    assert tree.map_structure_up_to({"a": None, "b": None}, len, {"a": [1, 2], "b": (3,)}) == {"a": 2, "b": 1}
    assert tree.map_shape_structure(lambda s: (None, *s[1:]), {"x": (32, 28, 28), "y": [(32, 10)]}) == \
        {"x": (None, 28, 28), "y": [(None, 10)]}
    tree.assert_same_structure([1, {"a": 2}], [3, {"a": 4}], check_types=False)
    tree.assert_same_paths([1, 2], (3, 4))  # the looser check: a list and a tuple of the same length match


@pytest.mark.parametrize("call, words", [
    (lambda: tree.map_structure(lambda a, b: a, [1, 2], [1, 2, 3]), "list of 2 against list of 3"),
    (lambda: tree.map_structure(lambda a, b: a, {"a": 1}, {"b": 1}), "same nested structure"),
    (lambda: tree.assert_same_structure([1, 2], (1, 2)), "list of 2 against tuple of 2"),
    (lambda: tree.assert_same_structure(1, [1]), "a leaf 1 where another has list"),
    (lambda: tree.assert_same_paths({"a": 1}, {"b": 1}), "a alone has [('a',)], b alone has [('b',)]"),
    (lambda: tree.pack_sequence_as([None, (None,)], [1, 2, 3]), "got 3 values for a structure of 2 leaves"),
    (lambda: tree.map_structure(len), "at least one structure"),
    (lambda: tree.map_structure_up_to((None, None), len, [1]), "same nested structure"),
])
def test_mismatches_are_one_sentence_value_errors(call, words):
    with pytest.raises(ValueError) as caught:  # Keras raises ValueError: programs catching it still do
        call()
    assert isinstance(caught.value, ShapeError) and words in str(caught.value)
    assert re.search(r"(?<!e\.g)[.;] [A-Z]", str(caught.value)) is None and str(caught.value).endswith(".")
