"""search.onnx (exports.onnx_search): the whole greedy or beam search in
one onnxruntime call gives zoo.decoding's raw search, the reference: the
same ids and log-probabilities to 1e-4, for tiny random translators of
each cell and attention and for the shipped translators and captioner;
it stops once every beam has ended; bad beam widths and source ids are
refused inside the graph, naming the input."""

import numpy as np
import onnxruntime as ort
import pytest

from exports.exporter import export
from exports.onnx_search import FILE
from exports.verify import VerificationError, check_search
from tests.zoo.test_seq2seq import TEXTS, tiny

SEARCHES = [(1, 0.0), (2, 0.0), (3, 0.0), (3, 1.0), (5, 0.6), (12, 0.0)]


def run(session, feed, beam_width, length_penalty=0.0, no_repeat=0):
    scalars = {
        "beam_width": np.array(beam_width, np.int64),
        "length_penalty": np.array(length_penalty, np.float32),
        "no_repeat_ngram_size": np.array(no_repeat, np.int64),
    }
    names = [o.name for o in session.get_outputs()]
    assert names == ["ids", "log_prob", "log_prob_per_token", "steps"]
    return dict(zip(names, session.run(None, {**feed, **scalars}), strict=True))


def assert_same_search(got, want_ids, want_log_prob, pad):
    np.testing.assert_array_equal(got["ids"], want_ids)
    np.testing.assert_allclose(got["log_prob"], want_log_prob, atol=1e-4, rtol=0)
    # Per token: every id the search chose (END included), not the padding after.
    chosen = (np.asarray(want_ids) != pad).sum(axis=1)
    np.testing.assert_allclose(got["log_prob_per_token"], want_log_prob / chosen, atol=1e-4)


@pytest.fixture(scope="module", params=[("gru", "bahdanau"), ("lstm", "bahdanau"), ("gru", "none")])
def tiny_export(request, tmp_path_factory):
    cell, attention = request.param
    model = tiny(attention=attention, cell=cell, max_output_length=9, scale=1.2)
    directory = export(model, tmp_path_factory.mktemp("tiny"), formats=("onnx",), name="tiny")
    return model, ort.InferenceSession(str(directory / FILE))


def test_search_graph_gives_zoo_decodings_ids(tiny_export):
    model, session = tiny_export
    source = model.encode_texts(TEXTS)
    for beam_width, penalty in SEARCHES:
        got = run(session, {"source_ids": source}, beam_width, penalty)
        ids, log_prob, _ = model.decode(source, beam_width, penalty)
        assert_same_search(got, ids, log_prob, model.search.pad)
        assert 1 <= got["steps"] <= model.max_output_length
    greedy, log_prob, _ = model.search.greedy(*model.search_inputs(source), 9)  # not via beam
    assert_same_search(run(session, {"source_ids": source}, 1), greedy, log_prob, model.search.pad)


def test_search_graph_blocks_repeats_as_zoo_decoding_does(tiny_export):
    model, session = tiny_export
    source = model.encode_texts(TEXTS)
    changed = 0
    for n, (beam_width, penalty) in zip((1, 2, 3, 2, 3, 8), SEARCHES, strict=True):
        got = run(session, {"source_ids": source}, beam_width, penalty, no_repeat=n)
        ids, log_prob, _ = model.decode(source, beam_width, penalty, no_repeat_ngram_size=n)
        assert_same_search(got, ids, log_prob, model.search.pad)
        changed += not np.array_equal(ids, model.decode(source, beam_width, penalty)[0])
    assert changed  # the random decoders do repeat, and blocking changes their outputs
    with pytest.raises(Exception, match="no_repeat_ngram_size must be an integer from 0 to 8"):
        run(session, {"source_ids": source}, 1, no_repeat=9)


def test_beam_widths_and_ids_are_bounded_inside_the_graph(tiny_export):
    model, session = tiny_export
    assert len(model.source.tokens) == 31
    source = model.encode_texts(TEXTS[:2])
    allowed = len(model.target.tokens) - 3  # oov, pad and start are never chosen
    for beam_width in (0, -1, allowed + 1, 10**6):
        with pytest.raises(Exception, match=f"beam_width must be an integer from 1 to {allowed}"):
            run(session, {"source_ids": source}, beam_width)
    bad = source.copy()
    bad[1, 0] = len(model.source.tokens)
    empty = [source[:0], source[:, :0]]  # onnxruntime's GRU kernel crashed on no rows
    for ids in (bad, -source, *empty):
        with pytest.raises(Exception, match="source_ids must hold ids from 0 to 30, at least one"):
            run(session, {"source_ids": ids}, 2)
    assert run(session, {"source_ids": source}, allowed)["ids"].shape == (2, 9)


def test_verification_catches_a_search_that_differs(tiny_export, tmp_path):
    from exports.graphs import graphs_for

    model, _ = tiny_export
    directory = export(model, tmp_path, formats=("onnx",), name="tiny")
    graphs = graphs_for(model)
    examples = graphs.examples()
    assert check_search(graphs, directory, examples) < 1e-4
    real = graphs.decoded
    graphs.decoded = lambda *args: (np.roll(real(*args)[0], 1, axis=1), real(*args)[1])
    with pytest.raises(VerificationError, match="search.onnx, beam width 1.*ids"):
        check_search(graphs, directory, examples)


def test_shipped_translators_search_in_one_call_and_stop_early(exported_models):
    import zoo

    sentences = {
        "translate-spa-eng": ["¿Dónde está la estación?", "Tengo 3 gatos.", "Hace frío."],
        "date-normalizer": ["Tuesday, March 3rd 2015", "1 Feb 2003", "the 12th of October, 2021"],
    }
    for name, texts in sentences.items():
        model = zoo.load(name)
        session = ort.InferenceSession(str(exported_models[1][name] / FILE))
        source = model.encode_texts(texts)
        for beam_width in (1, 3, 5):
            got = run(session, {"source_ids": source}, beam_width)
            ids, log_prob, _ = model.decode(source, beam_width)
            assert_same_search(got, ids, log_prob, model.search.pad)
            if name == "translate-spa-eng":  # short sentences end long before 40 tokens
                assert got["steps"] < model.max_output_length / 2, got["steps"]


def test_shipped_captioner_searches_in_one_call(captioner_export):
    from exports.graphs.caption import example_images

    model, _, directory = captioner_export
    session = ort.InferenceSession(str(directory / FILE))
    square, _ = example_images()
    image = np.stack([square, square[:, ::-1]])
    features = model.features(list(image))
    for beam_width in (1, 3):
        got = run(session, {"image": image}, beam_width)
        ids, log_prob, _ = model.decode(features, beam_width)
        assert_same_search(got, ids, log_prob, model.search.pad)
        assert got["steps"] < model.max_length
