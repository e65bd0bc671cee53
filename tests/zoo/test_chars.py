"""Character vocabularies: round trips, unknown characters, bad input."""

import numpy as np
import pytest

from zoo_runtime.chars import OOV, CharVocabulary


def test_round_trip_of_known_text():
    vocab = CharVocabulary.from_text("To be, or not to be: that is the question.\n")
    text = "be not the question, or be\n"
    ids = vocab.encode(text)
    assert ids.dtype == np.int32 and ids.shape == (len(text),)
    assert vocab.decode(ids) == text
    assert 0 not in ids


def test_ids_follow_the_token_list():
    vocab = CharVocabulary.from_text("cab")
    assert vocab.tokens == [OOV, "a", "b", "c"]
    np.testing.assert_array_equal(vocab.encode("abcab"), [1, 2, 3, 1, 2])


def test_unknown_characters_map_to_oov_and_never_crash():
    vocab = CharVocabulary.from_text("abc")
    ids = vocab.encode("a€z🙂c\x00")
    np.testing.assert_array_equal(ids, [1, 0, 0, 0, 3, 0])
    assert vocab.decode(ids) == f"a{OOV}{OOV}{OOV}c{OOV}"


def test_unicode_tokens_and_json_round_trip():
    vocab = CharVocabulary.from_text("naïve café — 東京")
    again = CharVocabulary.from_json(vocab.to_json())
    assert again == vocab
    assert again.decode(again.encode("café 東")) == "café 東"


def test_empty_vocabulary_encodes_everything_as_oov():
    vocab = CharVocabulary.from_text("")
    np.testing.assert_array_equal(vocab.encode("xy"), [0, 0])


@pytest.mark.parametrize(
    "tokens, message",
    [
        ([], "first token"),
        (["a", OOV], "first token"),
        ([OOV, "ab"], "one character"),
        ([OOV, "a", "a"], "distinct"),
    ],
)
def test_bad_token_lists_are_refused(tokens, message):
    with pytest.raises(ValueError, match=message):
        CharVocabulary(tokens)


def test_bad_input():
    vocab = CharVocabulary.from_text("abc")
    with pytest.raises(TypeError, match="str"):
        vocab.encode(b"abc")
    with pytest.raises(ValueError, match="token ids"):
        vocab.decode([1, 4])
