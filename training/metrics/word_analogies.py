"""Analogy questions for word vectors, written here by hand (SimLex-999
and WordSim-353, the similarity sets within reach as test data in
gensim's wheel, state no licence): pairs (a, b) sharing one relation, and
every question a : b :: c : ? built from two pairs of a group, answered by 3CosAdd
(`Word2Vec.analogy`). The words are everyday English that film reviews,
photo captions and phrase-book sentences use."""

import itertools

GROUPS = {
    "gender": [
        ("man", "woman"),
        ("boy", "girl"),
        ("king", "queen"),
        ("he", "she"),
        ("his", "her"),
        ("father", "mother"),
        ("brother", "sister"),
        ("son", "daughter"),
        ("husband", "wife"),
        ("actor", "actress"),
        ("men", "women"),
        ("boys", "girls"),
        ("uncle", "aunt"),
        ("prince", "princess"),
        ("himself", "herself"),
        ("boyfriend", "girlfriend"),
        ("dad", "mom"),
        ("grandfather", "grandmother"),
        ("brothers", "sisters"),
        ("sons", "daughters"),
    ],  # fmt: skip
    "plural": [
        ("dog", "dogs"),
        ("cat", "cats"),
        ("film", "films"),
        ("movie", "movies"),
        ("car", "cars"),
        ("book", "books"),
        ("house", "houses"),
        ("girl", "girls"),
        ("child", "children"),
        ("friend", "friends"),
        ("horse", "horses"),
        ("day", "days"),
        ("year", "years"),
        ("hand", "hands"),
        ("story", "stories"),
        ("character", "characters"),
        ("woman", "women"),
        ("tree", "trees"),
        ("scene", "scenes"),
        ("ball", "balls"),
    ],  # fmt: skip
    "past tense": [
        ("go", "went"),
        ("see", "saw"),
        ("take", "took"),
        ("make", "made"),
        ("play", "played"),
        ("walk", "walked"),
        ("run", "ran"),
        ("eat", "ate"),
        ("come", "came"),
        ("write", "wrote"),
        ("give", "gave"),
        ("tell", "told"),
        ("find", "found"),
        ("know", "knew"),
        ("think", "thought"),
        ("buy", "bought"),
        ("sit", "sat"),
        ("speak", "spoke"),
        ("begin", "began"),
        ("feel", "felt"),
    ],  # fmt: skip
    "comparative": [
        ("good", "better"),
        ("bad", "worse"),
        ("big", "bigger"),
        ("small", "smaller"),
        ("old", "older"),
        ("young", "younger"),
        ("fast", "faster"),
        ("long", "longer"),
        ("high", "higher"),
        ("strong", "stronger"),
        ("easy", "easier"),
        ("hard", "harder"),
        ("cold", "colder"),
        ("warm", "warmer"),
        ("happy", "happier"),
        ("funny", "funnier"),
        ("tall", "taller"),
        ("short", "shorter"),
        ("large", "larger"),
        ("dark", "darker"),
    ],  # fmt: skip
    "adverb": [
        ("quick", "quickly"),
        ("slow", "slowly"),
        ("easy", "easily"),
        ("sad", "sadly"),
        ("happy", "happily"),
        ("real", "really"),
        ("careful", "carefully"),
        ("quiet", "quietly"),
        ("beautiful", "beautifully"),
        ("complete", "completely"),
        ("perfect", "perfectly"),
        ("total", "totally"),
        ("bad", "badly"),
        ("rare", "rarely"),
        ("obvious", "obviously"),
        ("final", "finally"),
        ("usual", "usually"),
        ("clear", "clearly"),
        ("sudden", "suddenly"),
        ("actual", "actually"),
    ],  # fmt: skip
}
ANALOGIES = [
    (group, a, b, c, d)
    for group, pairs in GROUPS.items()
    for (a, b), (c, d) in itertools.permutations(pairs, 2)
]


def analogy_accuracy(model, questions=ANALOGIES):
    """(share answered right, {group: share}, questions asked): a question
    counts when its four words are in the vocabulary, and is right when
    the closest word to b - a + c (none of the three) is d."""
    table = model.table()  # zoo_runtime.word_vectors.WordTable, Keras' or an export's
    known = set(table.vocabulary)
    asked = [q for q in questions if set(q[1:]) <= known]
    right = {}
    for group, a, b, c, d in asked:
        right.setdefault(group, []).append(table.analogy(a, b, c)[0][0] == d)
    per_group = {g: sum(r) / len(r) for g, r in right.items()}
    total = sum(sum(r) for r in right.values()) / max(len(asked), 1)
    return total, per_group, len(asked)


def card_metrics(model):
    total, per_group, asked = analogy_accuracy(model)
    return {
        "analogy_accuracy": round(total, 4),
        **{f"analogy_{g.replace(' ', '_')}": round(s, 4) for g, s in per_group.items()},
        "analogy_questions": asked,
        "evaluation": f"3CosAdd on the {len(ANALOGIES)} hand-written analogy questions of "
        "training.metrics.word_analogies (those whose four words it knows), right when the "
        "closest word is the expected one",
    }
