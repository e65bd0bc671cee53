"""zoo.subwords: pre-tokens, the greedy longest-match rule, byte-pair
learning and the exact round trip, checked against hand-worked examples
and a plain restatement of the rules."""

import gzip
import re

import numpy as np
import pytest

from zoo.subwords import SPACE, SubwordVocabulary, detokenize, greedy_pieces, learn_merges
from zoo.subwords import pretokenize as pre
from zoo_runtime.chars import OOV, PAD

DATA = __import__("training.data.text_data", fromlist=["data_dir"]).data_dir()


def spanish(count=3000):
    with gzip.open(DATA / "anki" / "spa-eng.txt.gz", "rt", encoding="utf-8") as f:
        lines = [line.rstrip("\n").split("\t")[1] for line in f]
    return lines[:: len(lines) // count]


def single_spaced(text):
    """The text the round trip promises: separator runs as one space, no
    space at either end."""
    return re.sub("[\x00-\x20\x7f]+", " ", text).strip(" ")


def test_pretokens_mark_where_spaces_were():
    assert pre("¿Dónde está la estación?") == ["▁¿", "Dónde", "▁está", "▁la", "▁estación", "?"]
    assert pre("  «Hola»,\tdijo…\x01Tom ") == ["▁«", "Hola", "»", ",", "▁dijo", "…", "▁Tom"]
    assert pre("3.5 km—no") == ["▁3", ".", "5", "▁km", "—", "no"]
    assert pre("naïve 😀😀") == ["▁naïve", "▁😀😀"]
    assert pre("") == [] and pre(" \t\x00 ") == []


def test_greedy_takes_the_longest_known_piece_first():
    known = {"▁ab", "▁a", "b", "bc", "abcd", "c", "d"}
    assert greedy_pieces("▁abcd", known) == ["▁ab", "c", "d"]  # not ▁a + bc + d
    assert greedy_pieces("▁abxd", known) == ["▁ab", None, "d"]  # x is covered by nothing
    assert greedy_pieces("abcd", known) == ["abcd"]


def test_byte_pair_merges_join_the_most_frequent_pair_first():
    counts = {"▁low": 5, "▁lower": 2, "▁newest": 6, "▁widest": 3}
    alphabet = set("".join(counts))
    merged = learn_merges(counts, alphabet, 3)
    # e+s and s+t both occur 9 times: ties go to the alphabetically first pair.
    assert merged == ["es", "est", "lo"]  # then l+o, o+w, ▁+l (7 each): "l" sorts first


def test_text_round_trips_and_unseen_words_become_pieces():
    texts = spanish()
    vocabulary = SubwordVocabulary.from_texts(texts, 2000)
    assert len(vocabulary) == 2000 and vocabulary.tokens[:2] == [OOV, PAD]
    alphabet = set("".join(vocabulary.tokens))
    for text in texts + ["  Tom  no\tquería hacerlo ,pero  lo hizo... "]:
        if set(single_spaced(text)) <= alphabet:
            assert vocabulary.decode(vocabulary.encode(text)) == single_spaced(text)
    ids = vocabulary.encode("El ornitorrinco desayunaba")  # unseen in these texts
    assert 0 not in ids and len(ids) > 3


def test_characters_never_seen_read_as_oov_and_keep_their_place():
    vocabulary = SubwordVocabulary.from_texts(spanish(500), 500)
    pieces = vocabulary.pieces("sí ☃ no")
    assert pieces[0] == "▁s" or pieces[0].startswith("▁")
    assert pieces.count(OOV) == 1 and pieces[pieces.index(OOV) - 1] == SPACE
    ids = vocabulary.encode("sí ☃ no")
    assert ids.dtype == np.int32 and (ids == 0).sum() == 1


def test_detokenize_undoes_the_space_marks():
    assert detokenize(["▁Where", "▁is", "▁the", "▁st", "ation", "?"]) == "Where is the station?"
    assert detokenize([]) == ""


def test_bad_vocabularies_and_inputs_are_refused():
    with pytest.raises(ValueError, match="OOV"):
        SubwordVocabulary(["a", OOV])
    with pytest.raises(ValueError, match="distinct"):
        SubwordVocabulary([OOV, "a", "a"])
    with pytest.raises(ValueError, match="at most 16"):
        SubwordVocabulary([OOV, "x" * 17])
    vocabulary = SubwordVocabulary([OOV, PAD, "▁a"])
    with pytest.raises(TypeError, match="takes a str"):
        vocabulary.encode(b"a")
    with pytest.raises(ValueError, match="must lie in"):
        vocabulary.decode([3])
