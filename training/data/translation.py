"""Translation data and metrics: Anki/Tatoeba sentence pairs split by
source sentence, and sacrebleu BLEU / chrF against every reference."""

import gzip

import numpy as np

# manythings.org/anki files: English<TAB>translation[<TAB>attribution] per line.
ANKI_NAME = "Tatoeba sentence pairs as published by manythings.org/anki"
ANKI_TERMS = "CC BY 2.0 (Tatoeba sentences): attribute www.manythings.org/anki and tatoeba.org"


def read_anki(path, from_english=False):
    """[(source, target)] in file order; the English side is the target
    unless `from_english`."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t")[:2] for line in f if "\t" in line]
    return [(e, x) if from_english else (x, e) for e, x in rows]


def split_by_source(pairs, held_out, seed):
    """{train, validation, test}: `held_out` distinct source sentences each
    for test and validation, drawn by a seeded permutation, with all their
    pairs; no source sentence of those two splits appears in train."""
    sources = list(dict.fromkeys(s for s, _ in pairs))
    if len(sources) < 3 * held_out:
        raise ValueError(f"{len(sources)} distinct sources are too few for splits of {held_out}")
    order = np.random.default_rng(seed).permutation(len(sources))
    split_of = {sources[i]: "test" for i in order[:held_out]}
    split_of.update({sources[i]: "validation" for i in order[held_out : 2 * held_out]})
    splits = {"train": [], "validation": [], "test": []}
    for pair in pairs:
        splits[split_of.get(pair[0], "train")].append(pair)
    return splits


def anki_splits(path, from_english, held_out, seed):
    return split_by_source(read_anki(path, from_english), held_out, seed)


def references(pairs):
    """(distinct sources in first-seen order, their references: one list
    of target strings per source)."""
    refs = {}
    for source, target in pairs:
        refs.setdefault(source, []).append(target)
    return list(refs), list(refs.values())


def scores(hypotheses, refs):
    """{"bleu", "chrf"} of hypotheses against per-sentence reference lists
    (any number each), sacrebleu's defaults (13a tokenisation, chrF2)."""
    import sacrebleu

    most = max(map(len, refs))
    streams = [[r[i] if i < len(r) else None for r in refs] for i in range(most)]
    return {
        "bleu": round(sacrebleu.corpus_bleu(hypotheses, streams).score, 2),
        "chrf": round(sacrebleu.corpus_chrf(hypotheses, streams).score, 2),
    }


def translations(model, sources, beam_width=1, length_penalty=None):
    """The model's translations (length_penalty None: the model's default);
    "" for a source over its token limit (it refuses those), so they count
    against it instead of dropping out."""
    fits = [0 < len(model.source.encode(s)) <= model.max_input_length for s in sources]
    done = iter(
        model.translate(
            [s for s, ok in zip(sources, fits, strict=True) if ok],
            beam_width,
            length_penalty=length_penalty,
        )
    )
    return [next(done) if ok else "" for ok in fits]


def evaluate(model, pairs, beam_width=1, length_penalty=None):
    """BLEU and chrF of the model's translations of the distinct sources."""
    sources, refs = references(pairs)
    return scores(translations(model, sources, beam_width, length_penalty), refs)


def by_length(model, pairs, edges=(5, 10, 15, 20, 30), beam_width=1):
    """[(label, sentences, BLEU)] by source length in words (Bahdanau et
    al. 2015, figure 2)."""
    sources, refs = references(pairs)
    hypotheses = translations(model, sources, beam_width)
    words = np.array([len(s.split()) for s in sources])
    bounds = [0, *edges, 10**9]
    rows = []
    for low, high in zip(bounds, bounds[1:], strict=False):
        picked = np.flatnonzero((words > low) & (words <= high))
        if len(picked):
            label = f"{low + 1}-{high}" if high < 10**9 else f">{low}"
            bleu = scores([hypotheses[i] for i in picked], [refs[i] for i in picked])["bleu"]
            rows.append((label, len(picked), bleu))
    return rows
