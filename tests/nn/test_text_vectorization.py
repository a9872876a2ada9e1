"""TextVectorization: Keras 3's rules, case by case, with the values Keras 3.15's own layer gave on TensorFlow 2.21
for the same inputs written in (so these tests need no TensorFlow); invariants that hold for any texts; the
text-classification pipelines of Keras's tutorials; a model that starts with one, saved and loaded."""

from __future__ import annotations

import re
import string

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnlearn as fl
from fnlearn import io, keras
from fnlearn.errors import ConfigError, DataError, ModelFileError, NotReadyError, ShapeError

TV = fl.layers.TextVectorization


def values(out):
    return out.numpy().tolist()


# ---------------------------------------------------------------------------------------------- Keras's own values
def test_keras_docstring_example_pads_with_zeros_and_cuts_at_the_end():
    layer = TV(max_tokens=5000, output_mode="int", output_sequence_length=4)
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    assert layer.get_vocabulary() == ["", "[UNK]", "baz", "bar", "foo", "boom", "bada"]
    assert values(layer([["foo qux bar"], ["qux baz"]])) == [[4, 1, 3, 0], [1, 2, 0, 0]]
    assert values(layer(["foo bar baz bada boom qux"])) == [[4, 3, 2, 6]]
    out = layer(np.array(["foo qux bar"]))
    assert out.dtype == np.int64 and out.shape == (1, 4)


def test_without_a_length_each_batch_is_padded_to_its_longest_text():
    layer = TV(vocabulary=["baz", "bar", "foo", "boom", "bada"])
    assert values(layer(["foo qux bar", "qux baz", ""])) == [[4, 1, 3], [1, 2, 0], [0, 0, 0]]
    assert layer(["", " "]).shape == (2, 0)
    assert values(layer("foo bar")) == [4, 3]  # one text: no batch axis, as Keras gives it


def test_ties_in_frequency_go_from_the_highest_token_down():
    layer = TV()
    layer.adapt(["b a c b a d", "e"])
    assert layer.get_vocabulary() == ["", "[UNK]", "b", "a", "e", "d", "c"]
    layer.adapt(["z é a b", "Z"])
    assert layer.get_vocabulary() == ["", "[UNK]", "z", "é", "b", "a"]


def test_standardization_lowercases_ascii_letters_and_strips_ascii_punctuation_only():
    lower = TV(standardize="lower", split=None)
    lower.adapt(["ÉCOLE Straße ΑΒΓ"])
    assert lower.get_vocabulary() == ["", "[UNK]", "École straße ΑΒΓ"]
    both = TV(split=None)
    both.adapt(["“Quoted”—it's a-b_c! (x) [y] {z} <w> ~^`|\\ 5.5"])
    assert both.get_vocabulary() == ["", "[UNK]", "“quoted”—its abc x y z w  55"]


@pytest.mark.parametrize("standardize, tokens", [
    ("lower_and_strip_punctuation", ["hello", "world"]),
    ("lower", ["hello,", "world!"]),
    ("strip_punctuation", ["Hello", "World"]),
    (None, ["Hello,", "World!"]),
])
def test_each_standardization_gives_its_tokens(standardize, tokens):
    layer = TV(standardize=standardize)
    layer.adapt(["Hello, World!"])
    assert sorted(layer.get_vocabulary(include_special_tokens=False)) == sorted(tokens)


def test_texts_split_at_ascii_white_space_only():
    layer = TV(standardize=None)
    layer.adapt(["a\u00a0b c\u3000d e\u2003f g\x1ch i\vj k\fl m\tn o\r\np"])
    assert layer.get_vocabulary(include_special_tokens=False) == \
        ["p", "o", "n", "m", "l", "k", "j", "i", "g\x1ch", "e\u2003f", "c\u3000d", "a\xa0b"]


def test_character_split_gives_code_points():
    layer = TV(split="character", standardize=None)
    layer.adapt(["ab c", "e\u0301"])
    assert layer.get_vocabulary() == ["", "[UNK]", "\u0301", "e", "c", "b", "a", " "]
    assert values(layer(["ab c", ""])) == [[6, 5, 7, 4], [0, 0, 0, 0]]


@pytest.mark.parametrize("ngrams, adapted, vocabulary, texts, expected", [
    (2, "a b c", ["c", "b c", "b", "a b", "a"], ["a b c", "c", ""], [[6, 4, 2, 5, 3], [2, 0, 0, 0, 0], [0] * 5]),
    ((2,), "a b c", ["b c", "a b"], ["a b c", "c"], [[3, 2], [0, 0]]),
    ((1, 3), "a b c d", ["d", "c", "b c d", "b", "a b c", "a"], ["a b c d"], [[7, 5, 3, 2, 6, 4]]),
    ((3, 1), "a b c d", ["d", "c", "b c d", "b", "a b c", "a"], ["a b c d"], [[6, 4, 7, 5, 3, 2]]),
])
def test_ngrams_follow_the_words_in_the_order_of_their_widths(ngrams, adapted, vocabulary, texts, expected):
    layer = TV(ngrams=ngrams)
    layer.adapt([adapted])
    assert layer.get_vocabulary(include_special_tokens=False) == vocabulary
    assert values(layer(texts)) == expected


REVIEWS = ["the cat sat on the mat", "the dog ate the cat", "a dog"]
BAG_VOCABULARY = ["[UNK]", "the", "dog", "cat", "sat", "on", "mat", "ate", "a"]
IDF = [0.8326119184494019, 0.6931471824645996, 0.6931471824645996, 0.6931471824645996, 0.9162907600402832,
       0.9162907600402832, 0.9162907600402832, 0.9162907600402832, 0.9162907600402832]


@pytest.mark.parametrize("mode, expected", [
    ("multi_hot", [[1, 1, 0, 1, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 1, 0, 0], [0] * 9]),
    ("count", [[1, 2, 0, 2, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 1, 0, 0], [0] * 9]),
    ("tf_idf", [[0.8326119184494019, 1.3862943649291992, 0, 1.3862943649291992, 0, 0, 0, 0, 0],
                [0, 0, 0.6931471824645996, 0, 0, 0, 0.9162907600402832, 0, 0], [0] * 9]),
])
def test_bag_of_words_modes_give_one_vector_per_text_unknown_words_at_index_0(mode, expected):
    layer = TV(output_mode=mode)
    layer.adapt(REVIEWS)
    assert layer.get_vocabulary() == BAG_VOCABULARY and layer.vocabulary_size() == 9
    out = layer(["the cat the cat zebra", "mat dog", ""])
    assert out.dtype == np.float32  # Keras gives int64 for multi_hot and count: floats are what Dense computes with
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    if mode == "tf_idf":
        np.testing.assert_allclose(layer.idf_weights, IDF, rtol=1e-6)
    else:
        assert layer.idf_weights is None


@pytest.mark.parametrize("mode, expected", [
    ("multi_hot", [1, 1, 0, 1]), ("count", [1, 2, 0, 2]),
    ("tf_idf", [0.6931471824645996, 1.3862943649291992, 0, 1.3862943649291992]),
])
def test_max_tokens_keeps_the_most_frequent_and_pad_to_max_tokens_pads_the_vectors(mode, expected):
    layer = TV(output_mode=mode, max_tokens=4, pad_to_max_tokens=True)
    layer.adapt(REVIEWS)
    assert layer.get_vocabulary() == ["[UNK]", "the", "dog", "cat"]
    np.testing.assert_allclose(layer(["the cat the cat zebra"]).numpy(), [expected], rtol=1e-6)
    small = TV(output_mode=mode, max_tokens=6, pad_to_max_tokens=True)
    small.adapt(["a b", "a"])
    wanted = [0.6019864082336426, 0.5108256340026855, 0.6931471824645996, 0, 0, 0] if mode == "tf_idf" \
        else [1, 1, 1, 0, 0, 0]
    np.testing.assert_allclose(small(["a b c"]).numpy(), [wanted], rtol=1e-6)
    if mode == "tf_idf":
        np.testing.assert_allclose(small.idf_weights, [0.6019864082336426, 0.5108256340026855, 0.6931471824645996,
                                                       0, 0, 0], rtol=1e-6)
    words = TV(max_tokens=4)
    words.adapt(REVIEWS)
    assert words.get_vocabulary() == ["", "[UNK]", "the", "dog"] and values(words(["the cat dog"])) == [[2, 1, 3]]


def test_tf_idf_of_words_and_pairs_of_words():
    layer = TV(output_mode="tf_idf", ngrams=2)
    layer.adapt(REVIEWS)
    assert layer.get_vocabulary() == ["[UNK]", "the", "the cat", "dog", "cat", "the mat", "the dog", "sat on", "sat",
                                      "on the", "on", "mat", "dog ate", "cat sat", "ate the", "ate", "a dog", "a"]
    np.testing.assert_allclose(layer.idf_weights, [0.8637863397598267] + [0.6931471824645996] * 4
                               + [0.9162907600402832] * 13, rtol=1e-6)
    expected = np.zeros(18)
    expected[[1, 2, 4]], expected[[8, 13]] = 0.6931471824645996, 0.9162907600402832
    np.testing.assert_allclose(layer(["the cat sat"]).numpy(), [expected], rtol=1e-6)


@pytest.mark.parametrize("mode, expected", [
    ("multi_hot", [1, 1, 1, 0, 0, 0, 0, 1, 0, 0]),
    ("count", [4, 1, 1, 0, 0, 0, 0, 1, 0, 0]),
    ("tf_idf", [3.7242770195007324, 0.8472978472709656, 0.8472978472709656, 0, 0, 0, 0, 0.8472978472709656, 0, 0]),
])
def test_the_bag_of_bigrams_model_of_keras_tutorials(mode, expected):
    texts = ["The movie was great, great fun!", "The plot was bad.", "Great acting; bad plot?", "fun fun fun"]
    layer = TV(max_tokens=10, output_mode=mode, ngrams=2)
    layer.adapt(texts)
    assert layer.get_vocabulary() == ["[UNK]", "fun", "great", "was", "the", "plot", "fun fun", "bad", "was great",
                                      "was bad"]
    np.testing.assert_allclose(layer(["great fun, bad movie"]).numpy(), [expected], rtol=1e-6)
    if mode == "tf_idf":
        np.testing.assert_allclose(layer.idf_weights[:2], [0.9310692548751831, 0.8472978472709656], rtol=1e-6)


def test_tf_idf_in_float64_when_that_is_the_default(float64):
    layer = TV(output_mode="tf_idf")
    layer.adapt(["a b", "a"])
    out = layer(["a b c"])
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), [[0.601986402162968, 0.5108256237659906, 0.6931471805599453]],
                               rtol=1e-12)


def test_without_split_each_string_is_one_token():
    colours = TV(split=None)
    colours.adapt(["Red", "blue", "red", "", "Green!"])
    assert colours.get_vocabulary() == ["", "[UNK]", "red", "green", "blue"]
    assert values(colours([["red"], ["pink"], [""]])) == [[2], [1], [0]]
    assert values(colours(["red", "pink"])) == [[2], [1]]  # (batch,) reads as (batch, 1)
    padded = TV(split=None, output_sequence_length=3)
    padded.adapt(["red", "blue"])
    assert values(padded([["red"], ["pink"]])) == [[2, 0, 0], [1, 0, 0]]
    assert values(padded([["red", "blue"], ["pink", "red"]])) == [[2, 3, 0], [1, 2, 0]]  # words split already
    bag = TV(split=None, output_mode="multi_hot")
    bag.adapt(["red", "blue", "red"])
    np.testing.assert_array_equal(bag([["red"], ["pink"], [""]]).numpy(), [[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    pairs = TV(split=None, ngrams=2, standardize=None)
    pairs.adapt([["a", "b"], ["c", ""]])
    assert pairs.get_vocabulary() == ["", "[UNK]", "c ", "c", "b", "a b", "a"]
    assert values(pairs([["a", "b"], ["c", ""]])) == [[6, 4, 5], [3, 0, 2]]


@pytest.mark.parametrize("mode, vocabulary, expected", [
    ("int", ["earth", "wind", "and", "fire"], ["", "[UNK]", "earth", "wind", "and", "fire"]),
    ("int", ["", "[UNK]", "earth"], ["", "[UNK]", "earth"]),
    ("int", ["[UNK]", "earth"], ["", "[UNK]", "[UNK]", "earth"]),  # "[UNK]" alone is a token, as in Keras
    ("multi_hot", ["earth", "wind"], ["[UNK]", "earth", "wind"]),
    ("multi_hot", ["[UNK]", "earth", "wind"], ["[UNK]", "earth", "wind"]),
])
def test_a_given_vocabulary_gets_the_special_tokens_in_front(mode, vocabulary, expected):
    layer = TV(output_mode=mode, vocabulary=vocabulary)
    assert layer.get_vocabulary() == expected
    assert layer.get_vocabulary(include_special_tokens=False) == expected[2 if mode == "int" else 1:]
    other = TV(output_mode=mode)
    other.set_vocabulary(np.array(vocabulary))
    assert other.get_vocabulary() == expected


def test_a_given_vocabulary_is_matched_after_standardization():
    assert values(TV(vocabulary=["Earth"])(["Earth earth"])) == [[1, 1]]
    assert values(TV(vocabulary=["é"])(np.array(["é a".encode()], dtype=object))) == [[2, 1]]  # bytes: UTF-8


@pytest.mark.parametrize("vocabulary, weights, idf, out", [
    (["a", "b"], [0.5, 2.0], [1.25, 0.5, 2.0], [1.25, 0.5, 4.0]),  # "[UNK]" weighs the mean of the others
    (["[UNK]", "a", "b"], [9.0, 0.5, 2.0], [9.0, 0.5, 2.0], [9.0, 0.5, 4.0]),
])
def test_given_idf_weights(vocabulary, weights, idf, out):
    layer = TV(output_mode="tf_idf", vocabulary=vocabulary, idf_weights=weights)
    assert layer.get_vocabulary() == ["[UNK]", "a", "b"]
    np.testing.assert_allclose(layer.idf_weights, idf)
    np.testing.assert_allclose(layer(["a b b c"]).numpy(), [out])
    padded = TV(output_mode="tf_idf", vocabulary=vocabulary, idf_weights=weights, max_tokens=5,
                pad_to_max_tokens=True)
    np.testing.assert_allclose(padded(["a b b c"]).numpy(), [[*out, 0, 0]])


def test_a_vocabulary_file_holds_one_token_per_line(tmp_path):
    path = tmp_path / "vocabulary.txt"
    path.write_text("earth\nwind\nfire\n", encoding="utf-8")
    assert TV(vocabulary=str(path)).get_vocabulary() == ["", "[UNK]", "earth", "wind", "fire"]
    layer = TV()
    layer.adapt(["b a a"])
    path.write_text("\n".join(layer.get_vocabulary()), encoding="utf-8")  # as get_vocabulary gives it, specials too
    assert TV(vocabulary=path).get_vocabulary() == layer.get_vocabulary()


def test_adapt_reads_datasets_of_texts_or_of_text_label_pairs():
    texts = np.array(["a b", "b c", "b"])
    idf = [0.79739910364151, 0.5596157908439636, 0.9162907600402832, 0.9162907600402832]  # a text is a document
    for data in (texts, texts[:, None], fl.data.Dataset.from_tensor_slices(texts),
                 fl.data.Dataset.from_tensor_slices(texts).batch(2),
                 fl.data.Dataset.from_tensor_slices((texts, np.arange(3))).batch(2), iter([texts[:2], texts[2:]])):
        layer = TV(output_mode="tf_idf")
        layer.adapt(data)
        assert layer.get_vocabulary() == ["[UNK]", "b", "c", "a"]
        np.testing.assert_allclose(layer.idf_weights, idf, rtol=1e-6)
    layer = TV()
    layer.adapt(fl.data.Dataset.from_tensor_slices(texts).batch(1), steps=2, batch_size=8)
    assert layer.get_vocabulary() == ["", "[UNK]", "b", "c", "a"]


def test_adapt_starts_afresh_and_a_set_vocabulary_may_be_adapted_but_not_one_given_when_made():
    layer = TV()
    layer.adapt(["a a b"])
    layer.adapt(["c"])
    assert layer.get_vocabulary() == ["", "[UNK]", "c"]
    layer.set_vocabulary(["a"])
    layer.adapt(["b b c"])
    assert layer.get_vocabulary() == ["", "[UNK]", "b", "c"]
    fixed = TV(vocabulary=["a"])
    with pytest.raises(ConfigError, match="made with its vocabulary"):
        fixed.adapt(["b"])
    assert fixed.get_vocabulary() == ["", "[UNK]", "a"]


def custom_standardization(texts):
    """Keras's tutorial's, written with NumPy's string functions."""
    lower = np.char.lower(texts)
    no_html = np.char.replace(lower, "<br />", " ")
    return np.array([re.sub(f"[{re.escape(string.punctuation)}]", "", text) for text in no_html])


def test_functions_of_ones_own_standardize_and_split():
    layer = TV(standardize=custom_standardization, output_sequence_length=6)
    layer.adapt(["I loved it!<br />Great acting.", "Bad<br />bad PLOT"])
    assert layer.get_vocabulary() == ["", "[UNK]", "bad", "plot", "loved", "it", "i", "great", "acting"]
    assert values(layer(["Great<br />plot, bad acting"])) == [[7, 3, 2, 8, 0, 0]]
    commas = TV(standardize=None, split=lambda texts: [text.split(",") for text in texts])
    commas.adapt(["a,b", "b,,c"])
    assert commas.get_vocabulary() == ["", "[UNK]", "b", "c", "a"]
    assert values(commas(["b,,x", "c"])) == [[2, 0, 1], [3, 0, 0]]  # the empty token is padding


# ---------------------------------------------------------------------------------------------- invariants
WORDS = st.sampled_from(["a", "b", "Cat", "dog!", "é", "the", "x-y", "[UNK]"])
TEXTS = st.lists(st.lists(WORDS, max_size=7).map(" ".join), min_size=1, max_size=8)


def tokens_of(text):
    return [t for t in text.lower().translate(str.maketrans("", "", string.punctuation)).split()]


@settings(max_examples=60, deadline=None)
@given(corpus=TEXTS, batch=TEXTS, length=st.none() | st.integers(1, 6), limit=st.none() | st.integers(3, 8))
def test_word_indices_are_the_vocabulary_positions_then_padding(corpus, batch, length, limit):
    layer = TV(max_tokens=limit, output_sequence_length=length)
    try:
        layer.adapt(corpus)
    except DataError:
        assert not any(t != "unk" and t for text in corpus for t in tokens_of(text))  # only when there is no word
        return
    vocabulary = layer.get_vocabulary()
    counts = {t: sum(tokens_of(text).count(t) for text in corpus) for t in vocabulary[2:]}
    order = [(counts[t], t) for t in vocabulary[2:]]
    assert order == sorted(order, reverse=True) and len(vocabulary) <= (limit or 99)
    unlimited = TV()
    unlimited.adapt(corpus)
    assert unlimited.get_vocabulary()[:len(vocabulary)] == vocabulary  # max_tokens keeps a prefix
    out = layer(batch).numpy()
    longest = max(len(tokens_of(text)) for text in batch)
    assert out.shape == (len(batch), length if length is not None else longest) and out.dtype == np.int64
    for row, text in zip(out, batch):
        words = tokens_of(text)[:out.shape[1]]
        assert row.tolist() == [vocabulary.index(w) if w in vocabulary[2:] else 1 for w in words] \
            + [0] * (out.shape[1] - len(words))


@settings(max_examples=60, deadline=None)
@given(corpus=TEXTS, batch=TEXTS, ngrams=st.sampled_from([None, 2, (2,), (1, 3)]), pad=st.booleans())
def test_counts_sum_to_the_tokens_and_the_other_modes_follow_from_them(corpus, batch, ngrams, pad):
    corpus = [*corpus, "a b c"]
    layers = {mode: TV(output_mode=mode, ngrams=ngrams, max_tokens=12 if pad else None, pad_to_max_tokens=pad)
              for mode in ("count", "multi_hot", "tf_idf")}
    for layer in layers.values():
        layer.adapt(corpus)
    count, hot, tf_idf = (layers[mode](batch).numpy() for mode in ("count", "multi_hot", "tf_idf"))
    widths = {None: (1,), 2: (1, 2), (2,): (2,), (1, 3): (1, 3)}[ngrams]
    grams = [sum(max(len(tokens_of(text)) - w + 1, 0) for w in widths) for text in batch]
    np.testing.assert_array_equal(count.sum(axis=1), grams)
    np.testing.assert_array_equal(hot, count > 0)
    np.testing.assert_allclose(tf_idf, count * layers["tf_idf"].idf_weights, rtol=1e-6)
    assert count.shape[1] == (12 if pad else layers["count"].vocabulary_size())
    size = layers["count"].vocabulary_size()
    held = (layers["count"](corpus).numpy()[:, 1:size] > 0).sum(axis=0)  # the texts holding each token
    np.testing.assert_allclose(layers["tf_idf"].idf_weights[1:size], np.log(1 + len(corpus) / (1 + held)), rtol=1e-6)
    np.testing.assert_allclose(layers["tf_idf"].idf_weights[0], np.log(1 + len(corpus) / (1 + held)).mean(),
                               rtol=1e-6)


@settings(max_examples=40, deadline=None)
@given(texts=st.lists(st.text(max_size=20), min_size=1, max_size=5))
def test_standardizing_twice_changes_nothing_and_a_text_of_known_words_has_no_unknown(texts):
    layer = TV(split=None)
    if not any(layer._standardized(np.array([t], dtype=object), "x")[0] for t in texts):
        return
    layer.adapt(texts)
    once = layer._standardized(np.array(texts, dtype=object), "x")
    np.testing.assert_array_equal(layer._standardized(once, "x"), once)
    # object dtype: a fixed-width NumPy string array drops a text's trailing NUL characters itself
    out = layer(np.array(texts, dtype=object)).numpy()
    assert not (out == 1).any()  # every text was adapted to: none is unknown


# ---------------------------------------------------------------------------------------------- one-sentence errors
@pytest.mark.parametrize("settings_, words", [
    ({"sparse": True}, "sparse=True"),
    ({"ragged": True}, "ragged=True"),
    ({"output_mode": "one_hot"}, "use 'multi_hot'"),
    ({"output_mode": "tfidf"}, "did you mean 'tf_idf'"),
    ({"standardize": "upper"}, "standardize must be"),
    ({"split": "comma"}, "split must be"),
    ({"ngrams": 0}, "ngrams must be"),
    ({"ngrams": ()}, "ngrams must be"),
    ({"max_tokens": 2}, "at least 3 in output_mode='int'"),
    ({"max_tokens": 1, "output_mode": "count"}, "at least 2"),
    ({"output_sequence_length": 0}, "output_sequence_length must be"),
    ({"output_mode": "count", "output_sequence_length": 3}, "is for output_mode='int'"),
    ({"output_mode": "count", "pad_to_max_tokens": True}, "without max_tokens"),
    ({"encoding": "no-such-codec"}, "encoding must be"),
    ({"input_shape": (1,)}, "unexpected argument"),
    ({"vocabulary": []}, "no tokens besides"),
    ({"vocabulary": ["a", "b", "a"]}, "repeats 'a'"),
    ({"vocabulary": ["a", "", "b"]}, "empty string at position 1"),
    ({"vocabulary": ["a", 3]}, "int 3 at position 1"),
    ({"vocabulary": ["a", "b"], "max_tokens": 3}, "exceed max_tokens=3"),
    ({"vocabulary": ["a"], "idf_weights": [1.0]}, "for output_mode='tf_idf' only"),
    ({"idf_weights": [1.0]}, "without vocabulary"),
    ({"vocabulary": ["a", "b"], "output_mode": "tf_idf"}, "without idf_weights"),
    ({"vocabulary": ["a", "b"], "output_mode": "tf_idf", "idf_weights": [0.5]}, "as 2 finite numbers"),
    ({"vocabulary": ["a"], "output_mode": "tf_idf", "idf_weights": [np.nan]}, "finite numbers"),
    ({"vocabulary": "no/such/file.txt"}, "cannot read the vocabulary file"),
])
def test_bad_settings_are_refused_in_one_sentence(settings_, words):
    with pytest.raises(ConfigError, match=re.escape(words)):
        TV(**settings_)


def test_bad_inputs_are_refused_in_one_sentence_and_change_nothing():
    layer = TV(name="words")
    with pytest.raises(NotReadyError, match="no vocabulary yet; call words.adapt"):
        layer(["a"])
    with pytest.raises(DataError, match="found no tokens in the 2 text"):
        layer.adapt(["", "!?"])
    with pytest.raises(DataError, match="got int 1 at position 0"):
        layer.adapt(np.array([1, 2]))
    with pytest.raises(ConfigError, match="steps is for a dataset"):
        layer.adapt(["a"], steps=1)
    with pytest.raises(DataError, match="dataset of dicts"):
        layer.adapt(fl.data.Dataset.from_tensor_slices({"text": np.array(["a"])}))
    layer.adapt(["good film"])
    before = layer.get_vocabulary()
    with pytest.raises(DataError, match="found no tokens"):
        layer.adapt(["..."])
    with pytest.raises(ConfigError, match="repeats"):
        layer.set_vocabulary(["x", "x"])
    assert layer.get_vocabulary() == before
    with pytest.raises(ShapeError, match=re.escape("(batch,) or (batch, 1), got shape (1, 2)")):
        layer([["a", "b"]])
    with pytest.raises(DataError, match="takes texts"):
        layer(fl.tensor([[1.0, 2.0]]))
    with pytest.raises(DataError, match="got float 1.5 at position 1"):
        layer(["a", 1.5])
    with pytest.raises(DataError, match="standardize function returned"):
        TV(standardize=lambda texts: texts[:1], vocabulary=["a"])(["a", "b"])
    with pytest.raises(DataError, match="split function returned"):
        TV(split=lambda texts: ["a"], vocabulary=["a"])(["a", "b"])
    with pytest.raises(ShapeError, match="output_sequence_length="):
        layer.compute_output_shape((1,))


# ---------------------------------------------------------------------------------------------- in models and files
def _reviews():
    """(texts, labels, a dataset of batches of both, a TextVectorization adapted to them), as the tutorial has them."""
    fl.set_seed(0)
    texts = np.array(["a great movie", "a bad movie", "great fun", "bad plot, bad acting", "great!", "so bad"] * 8)
    labels = np.array([1, 0, 1, 0, 1, 0] * 8)
    raw_ds = fl.data.Dataset.from_tensor_slices((texts, labels)).batch(8)
    vectorize_layer = keras.layers.TextVectorization(max_tokens=50, output_mode="int", output_sequence_length=6)
    vectorize_layer.adapt(raw_ds.map(lambda x, y: x))
    return texts, labels, raw_ds, vectorize_layer


def test_the_tutorial_pipeline_vectorizes_in_the_dataset_and_trains_an_embedding_model():
    _, _, raw_train_ds, vectorize_layer = _reviews()
    train_ds = raw_train_ds.map(lambda x, y: (vectorize_layer(x), y))
    first, _ = next(iter(train_ds))
    assert first.dtype == np.int64 and first.shape == (8, 6)
    model = keras.Sequential([keras.layers.Embedding(50, 8), keras.layers.GlobalAveragePooling1D(),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(train_ds, epochs=30, verbose=0)
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]

    end_to_end = keras.Sequential([vectorize_layer, model])  # called on texts, as Keras's exported model is
    np.testing.assert_allclose(end_to_end(["great movie", "bad movie"]).numpy(),
                               model(vectorize_layer(["great movie", "bad movie"])).numpy(), rtol=1e-6)
    with pytest.raises(DataError, match="text"):  # without a string Input, fit, evaluate and predict take numbers
        end_to_end.predict(np.array(["great movie"]), verbose=0)
    with pytest.raises(ConfigError, match=re.escape("called on a keras.Input of numbers, but it takes strings; start "
                                                    "a model of raw texts at keras.Input(shape=(1,), dtype='string')")):
        vectorize_layer(keras.Input(shape=(1,)))


def test_the_tutorials_end_to_end_model_takes_raw_texts_in_evaluate_predict_fit_and_files(tmp_path):
    """Keras's "text classification from scratch": a model of word indices, then one of raw texts around it."""
    texts, labels, raw_test_ds, vectorize_layer = _reviews()
    inputs = keras.Input(shape=(None,), dtype="int64")
    x = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(50, 8)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid", name="predictions")(x))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(raw_test_ds.map(lambda x, y: (vectorize_layer(x), y)), epochs=20, verbose=0)

    inputs = keras.Input(shape=(1,), dtype="string")  # a string input
    end_to_end_model = keras.Model(inputs, model(vectorize_layer(inputs)))
    end_to_end_model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    indices = vectorize_layer(texts).numpy()
    assert end_to_end_model.evaluate(raw_test_ds) == pytest.approx(model.evaluate(indices, labels), rel=1e-6)
    expected = model.predict(indices[:2])
    np.testing.assert_allclose(end_to_end_model.predict(texts[:2]), expected, rtol=1e-6)
    np.testing.assert_allclose(end_to_end_model.predict(list(texts[:2])), expected, rtol=1e-6)  # a list, (n,)
    np.testing.assert_allclose(end_to_end_model(texts[:2]).numpy(), expected, rtol=1e-6)
    history = end_to_end_model.fit(texts, labels, epochs=2, batch_size=8, verbose=0, validation_split=0.25)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    end_to_end_model.save(tmp_path / "texts.keras")
    again = keras.models.load_model(tmp_path / "texts.keras")
    np.testing.assert_allclose(again.predict(texts[:6]), end_to_end_model.predict(texts[:6]), rtol=1e-6)
    assert again.layers[0].get_config()["dtype"] == "string"
    with pytest.raises(DataError, match=r"x holds float 1.5 at position 1, but the model starts at "
                                        r"keras.Input\(dtype='string'\) and takes texts"):
        end_to_end_model.predict(np.array(["good", 1.5], dtype=object))


def test_a_bag_of_words_model_trains_on_vectors():
    fl.set_seed(1)
    texts = ["good great fine", "bad awful poor", "great good", "poor bad", "fine good", "awful bad"] * 5
    labels = np.array([1, 0, 1, 0, 1, 0] * 5)
    vectorize = TV(output_mode="tf_idf", ngrams=2, max_tokens=40, pad_to_max_tokens=True)
    vectorize.adapt(texts)
    x = vectorize(texts).numpy()
    model = fl.Sequential([fl.layers.Dense(1, activation="sigmoid", input_dim=40)])
    model.compile(fl.optim.Adam(learning_rate=0.1), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, labels, epochs=20, verbose=0)
    assert history.history["accuracy"][-1] == 1.0


def test_the_output_lives_where_the_backend_computes():
    out = TV(vocabulary=["a"])(["a b"])
    assert type(out.data) is type(fl.backend.xp().zeros(1))


@pytest.mark.parametrize("settings_", [
    {"max_tokens": 30, "output_sequence_length": 5, "ngrams": (1, 2)},
    {"output_mode": "tf_idf", "max_tokens": 30, "pad_to_max_tokens": True},
    {"output_mode": "multi_hot", "split": "character", "standardize": "lower"},
])
def test_a_model_that_starts_with_one_saves_and_loads_its_vocabulary(tmp_path, settings_):
    texts = ["The cat sat.", "The dog sat!", "A cat, a dog", "é à ß"]
    vectorize = TV(**settings_)
    vectorize.adapt(texts)
    width = settings_.get("output_sequence_length")
    tail = [fl.layers.Embedding(30, 4), fl.layers.GlobalAveragePooling1D()] if width else []
    model = fl.Sequential([vectorize, *tail, fl.layers.Dense(2)])
    expected = model(texts).numpy()
    model.save(tmp_path / "texts.fnl")
    again = fl.load_model(tmp_path / "texts.fnl")
    loaded = again.layers[0]
    assert loaded.get_vocabulary() == vectorize.get_vocabulary() and all(type(t) is str for t in
                                                                          loaded.get_vocabulary())
    np.testing.assert_allclose(again(texts).numpy(), expected, rtol=1e-6)
    if vectorize.idf_weights is not None:
        np.testing.assert_array_equal(loaded.idf_weights, vectorize.idf_weights)
    loaded.adapt(["new words"])  # adapted, not given when made: it may be adapted again
    copy = TV.from_config(vectorize.get_config())
    assert copy.get_vocabulary() == vectorize.get_vocabulary()


def test_a_standardize_function_of_ones_own_comes_back_through_custom_objects(tmp_path):
    vectorize = TV(standardize=custom_standardization, output_mode="count")
    vectorize.adapt(["Great<br />film", "bad film"])
    model = fl.Sequential([vectorize, fl.layers.Dense(1)])
    expected = model(["great FILM<br />"]).numpy()
    model.save(tmp_path / "m.fnl")
    with pytest.raises(ModelFileError, match="custom_objects"):
        fl.load_model(tmp_path / "m.fnl")
    again = fl.load_model(tmp_path / "m.fnl", custom_objects={"custom_standardization": custom_standardization})
    np.testing.assert_allclose(again(["great FILM<br />"]).numpy(), expected, rtol=1e-6)

    def lower(texts):
        return np.char.lower(texts)

    with pytest.raises(ConfigError, match="rename the function"):
        TV(standardize=lower).get_config()


@pytest.mark.parametrize("vocabulary, words", [
    ("/etc/hostname", "malformed vocabulary"),  # a file never makes loading read another file
    (["", "[UNK]", 7], "malformed vocabulary"),
    (["", "[UNK]", "a", "a"], "repeats 'a'"),
])
def test_a_forged_vocabulary_is_refused_when_loading(tmp_path, vocabulary, words):
    model = fl.Sequential([TV(vocabulary=["a", "b"]), fl.layers.Embedding(4, 2)])
    model(["a b"])
    model.save(tmp_path / "m.fnl")
    doc = io._read(tmp_path / "m.fnl").doc
    doc["model"]["layers"][0]["config"]["vocabulary"] = vocabulary
    tensors = {f"param/{name}": p.numpy() for name, p in model.named_parameters()}
    (tmp_path / "forged.fnl").write_bytes(io._encode(doc, tensors, tmp_path / "forged.fnl"))
    with pytest.raises(ModelFileError, match=re.escape(words)):
        fl.load_model(tmp_path / "forged.fnl")
