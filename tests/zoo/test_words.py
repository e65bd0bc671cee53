"""zoo.words, the sentiment models' tokenisation: its documented rules on
hand-worked examples, the truncation rule, and the vocabulary's ids."""

import numpy as np
import pytest

from zoo.words import OOV, PAD, WordVocabulary, tokenize, truncate


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("A Wonderful FILM.", ["a", "wonderful", "film", "."]),
        ("I didn't like it", ["i", "did", "n't", "like", "it"]),
        ("does n't", ["does", "n't"]),  # SST-2's pre-tokenised spelling agrees
        ("It’s ‘great’", ["it", "'s", "'great", "'"]),  # curly apostrophes straightened
        ("one<br />two<BR/>three<br   />four", ["one", "two", "three", "four"]),
        ("café NAÏVE Ça", ["café", "naÏve", "Ça"]),  # only ASCII is lower-cased
        ("a-b...c", ["a", "-", "b", ".", ".", ".", "c"]),
        ("x\ty\nz\x01w\x7fv", ["x", "y", "z", "w", "v"]),  # ASCII controls separate
        ("9/10 :-)", ["9", "/", "10", ":", "-", ")"]),
        ("😀ok 日本語", ["😀ok", "日本語"]),
        (" \t\n ", []),
    ],
)
def test_tokens_follow_the_documented_rules(text, tokens):
    assert tokenize(text) == tokens


def test_truncation_keeps_the_head_and_the_tail():
    items = list(range(10))
    assert truncate(items, 10, 3) == items
    assert truncate(items, 6, 2) == [0, 1, 6, 7, 8, 9]
    assert truncate(items, 4, 4) == [0, 1, 2, 3]
    assert truncate(items, 4, 0) == [6, 7, 8, 9]


def test_vocabulary_ranks_by_count_and_maps_unknown_words_to_oov():
    vocabulary = WordVocabulary.from_texts(["b a b c", "b a d"], size=4, min_count=1)
    assert vocabulary.tokens == [PAD, OOV, "b", "a"]
    ids, tokens = vocabulary.encode(["a b zzz", "b"], max_tokens=10, head_tokens=5)
    np.testing.assert_array_equal(ids, [[3, 2, 1], [2, 0, 0]])
    assert tokens == [["a", "b", "zzz"], ["b"]]
    # A text spelling a special token is an unknown word, never padding.
    assert vocabulary.ids([PAD, OOV]).tolist() == [1, 1]


def test_a_text_without_tokens_is_refused_by_index():
    vocabulary = WordVocabulary([PAD, OOV, "a"])
    with pytest.raises(ValueError, match="input 1 is empty or only whitespace"):
        vocabulary.encode(["a", " \n\x01"], 5, 2)


def test_bad_vocabularies_are_refused():
    with pytest.raises(ValueError, match="starts with PAD"):
        WordVocabulary(["a", "b"])
    with pytest.raises(ValueError, match="distinct"):
        WordVocabulary([PAD, OOV, "a", "a"])
