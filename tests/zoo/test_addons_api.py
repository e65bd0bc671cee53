"""zoo.addons as TF Addons code sees it: TFA's weight names (as Keras 3
paths), the Keras 2 `get_initial_state(inputs=, batch_size=, dtype=)` form,
and TFA's argument semantics where they differ from zoo's defaults."""

import numpy as np
import pytest
import tensorflow as tf

import zoo.addons as tfa
from tests.zoo.reference import lstm_reference


def test_layer_norm_lstm_weights_have_tfa_names_and_order():
    cell = tfa.rnn.LayerNormLSTMCell(10, name="layer_norm_lstm_cell")
    cell(np.ones((12, 20), "float32"), cell.get_initial_state(batch_size=12, dtype="float32"))
    # TFA's names were "layer_norm_lstm_cell/kernel:0"...; Keras 3 calls that the path.
    assert [w.path for w in cell.weights] == [
        "layer_norm_lstm_cell/kernel",
        "layer_norm_lstm_cell/recurrent_kernel",
        "layer_norm_lstm_cell/bias",
        "layer_norm_lstm_cell/kernel_norm_gamma",
        "layer_norm_lstm_cell/kernel_norm_beta",
        "layer_norm_lstm_cell/recurrent_norm_gamma",
        "layer_norm_lstm_cell/recurrent_norm_beta",
        "layer_norm_lstm_cell/state_norm_gamma",
        "layer_norm_lstm_cell/state_norm_beta",
    ]


def test_tfa_layer_norm_lstm_carries_the_normalised_state(rng):
    """TFA's LayerNormLSTMCell feeds LN(c_t) to the next step (zoo's own
    LayerNormLSTMCell keeps c_t as the paper does)."""
    cell = tfa.rnn.LayerNormLSTMCell(4)
    x = rng.normal(size=(2, 3)).astype("float32")
    h, c = cell.get_initial_state(inputs=x, dtype="float32")
    out, (h1, c1) = cell(x, [h, c])
    weights = {v.name: np.asarray(v, "float64") for v in cell.weights}
    _, want_h, want_c = lstm_reference(
        x[:, None].astype("float64"), weights, 4, layer_norm_eps=1e-3, normalize_carry=True
    )
    np.testing.assert_allclose(np.asarray(h1), want_h, atol=1e-5)
    np.testing.assert_allclose(np.asarray(c1), want_c, atol=1e-5)
    np.testing.assert_allclose(np.asarray(c1).mean(-1), 0.0, atol=1e-5)  # normalised


def test_tfa_peepholes_are_drawn_with_the_kernel_initializer():
    cell = tfa.rnn.PeepholeLSTMCell(3, kernel_initializer="ones")
    cell.build((None, 2))
    for name in ("input_peephole", "forget_peephole", "output_peephole"):
        np.testing.assert_array_equal(np.asarray(getattr(cell, name)), np.ones(3))


@pytest.mark.parametrize("cls", [tfa.rnn.NASCell, tfa.rnn.ESNCell, tfa.rnn.LayerNormSimpleRNNCell])
def test_tfa_configs_round_trip(cls):
    cell = cls(5)
    config = cell.get_config()
    assert config["dtype"] == "float32"  # tf.keras 2's form
    assert cls.from_config(config).get_config() == config


def raffel_monotonic(p, previous):
    """Raffel et al. 2017, eq. 13, step by step: q_j = (1 - p_{j-1}) q_{j-1}
    + previous_j, attention_j = p_j q_j."""
    out = np.zeros_like(p)
    for b in range(p.shape[0]):
        q = 0.0
        for j in range(p.shape[1]):
            q = (1 - p[b, j - 1]) * q + previous[b, j] if j else previous[b, 0]
            out[b, j] = p[b, j] * q
    return out


@pytest.mark.parametrize("mode", ["recursive", "parallel"])
def test_monotonic_attention_follows_raffel_recurrence(mode, rng):
    p = rng.uniform(0.05, 0.95, size=(3, 7))
    previous = rng.dirichlet(np.ones(7), size=3)
    got = np.asarray(
        tfa.seq2seq.monotonic_attention(p.astype("float32"), previous.astype("float32"), mode)
    )
    np.testing.assert_allclose(got, raffel_monotonic(p, previous), atol=1e-5)


def test_hard_monotonic_attention_picks_the_first_chosen_step_from_the_last():
    p = np.array([[1, 0, 1, 1, 0], [0, 0, 0, 1, 1]], "float32")
    previous = np.array([[0, 0, 1, 0, 0], [1, 0, 0, 0, 0]], "float32")
    got = np.asarray(tfa.seq2seq.monotonic_attention(p, previous, "hard"))
    np.testing.assert_array_equal(got, [[0, 0, 1, 0, 0], [0, 0, 0, 1, 0]])


def _shared_bahdanau(rng, normalize, monotonic):
    """A zoo BahdanauAttention and a tfa one with the same weights."""
    from zoo import layers

    memory = rng.normal(size=(2, 6, 5)).astype("float32")
    query = rng.normal(size=(2, 4)).astype("float32")
    cls = tfa.seq2seq.BahdanauMonotonicAttention if monotonic else tfa.seq2seq.BahdanauAttention
    theirs = cls(3, memory=memory, memory_sequence_length=[6, 4], normalize=normalize)
    ours = layers.BahdanauAttention(
        3, normalize=normalize, monotonic="parallel" if monotonic else None
    )
    ours.build((None, 4), (None, 6, 5))
    theirs.query_layer.build((None, 4))
    for v in ours.weights:
        v.assign(rng.normal(size=v.shape).astype("float32"))
    theirs.query_layer.kernel.assign(ours.query_kernel)
    theirs.memory_layer.kernel.assign(ours.memory_kernel)
    theirs.attention_v.assign(ours.v)
    if normalize:
        theirs.attention_g.assign(ours.g)
        theirs.attention_b.assign(ours.b)
    if monotonic:
        theirs.attention_score_bias.assign(ours.score_bias)
    theirs.setup_memory(memory, memory_sequence_length=[6, 4])  # keys from the new kernel
    return ours, theirs, memory, query


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("monotonic", [False, True])
def test_native_and_tfa_attention_agree(normalize, monotonic, rng):
    ours, theirs, memory, query = _shared_bahdanau(rng, normalize, monotonic)
    mask = np.array([[True] * 6, [True] * 4 + [False] * 2])
    previous = theirs.initial_alignments(2, "float32")
    alignments, _ = theirs([query, previous])
    context, weights = ours(
        query, memory, memory_mask=mask, previous=previous if monotonic else None
    )
    np.testing.assert_allclose(np.asarray(weights), np.asarray(alignments), atol=1e-6)
    want = np.einsum("bt,btd->bd", np.asarray(alignments), memory * mask[..., None])
    np.testing.assert_allclose(np.asarray(context), want, atol=1e-5)


def test_attention_wrapper_runs_in_keras_rnn_with_keras_3_cells():
    """TFA issue 1095 in Keras 3 terms: implicit and explicit initial state,
    zoo's and Keras 3's own LSTMCell."""
    import keras

    from zoo import layers

    for cell in (layers.LSTMCell(8), keras.layers.LSTMCell(8)):
        mechanism = tfa.seq2seq.LuongAttention(units=8, memory=np.ones((2, 4, 8), "float32"))
        wrapped = tfa.seq2seq.AttentionWrapper(cell, mechanism, attention_layer_size=5)
        rnn = keras.layers.RNN(wrapped)
        x = np.ones((2, 3, 8), "float32")
        first = np.asarray(rnn(x))
        initial = wrapped.get_initial_state(batch_size=2, dtype="float32")
        np.testing.assert_allclose(np.asarray(rnn(x, initial_state=initial)), first, atol=1e-6)
        assert first.shape == (2, 5)


def test_memory_must_be_set_up_and_batch_sizes_must_agree():
    from zoo import layers

    mechanism = tfa.seq2seq.BahdanauAttention(4)
    wrapper = tfa.seq2seq.AttentionWrapper(layers.LSTMCell(4), mechanism)
    with pytest.raises(ValueError, match="setup_memory"):
        wrapper.get_initial_state(batch_size=2, dtype="float32")
    with pytest.raises(ValueError, match="memory_sequence_length and memory_mask"):
        mechanism.setup_memory(np.ones((2, 3, 4), "float32"), [3, 2], np.ones((2, 3), bool))
    with pytest.raises(Exception, match="different batch sizes"):
        mechanism.setup_memory(np.ones((2, 3, 4), "float32"), memory_sequence_length=[3, 2, 1])
    mechanism.setup_memory(np.ones((2, 3, 4), "float32"))
    with pytest.raises(Exception, match="tile_batch"):  # a beam search's batch without tiling
        wrapper.get_initial_state(batch_size=6, dtype="float32")


VOCAB, START, END, PAD = 9, 1, 2, 0


def _decoder_parts(rng, batch, width):
    """An attentional decoder both APIs can run: embedding, AttentionWrapper
    over zoo's LSTMCell and an output layer, memory tiled for `width` beams."""
    import keras

    from zoo import layers

    memory = rng.normal(size=(batch, 5, 6)).astype("float32")
    lengths = np.array([5, 3][:batch])
    mechanism = tfa.seq2seq.BahdanauAttention(4)
    mechanism.setup_memory(
        tfa.seq2seq.tile_batch(memory, width),
        memory_sequence_length=tfa.seq2seq.tile_batch(lengths, width),
    )
    cell = tfa.seq2seq.AttentionWrapper(layers.LSTMCell(8), mechanism, attention_layer_size=6)
    output = keras.layers.Dense(VOCAB)
    embedding = rng.normal(size=(VOCAB, 5)).astype("float32")
    state = cell.get_initial_state(batch_size=batch * width, dtype="float32")
    cell(embedding[np.zeros(batch * width, int)], state)  # build
    output.build((None, 6))
    for v in [*cell.weights, *output.weights]:
        v.assign(rng.normal(scale=0.8, size=v.shape).astype("float32"))
    bias = np.asarray(output.bias)
    bias[END] += 2.0  # beams end at different steps, and before the limit
    output.bias.assign(bias)
    return cell, output, embedding, memory


def _zoo_search(cell, output, embedding, batch, width):
    """zoo.decoding.Search over the same cell, its states flattened."""
    from zoo import decoding

    template = cell.get_initial_state(batch_size=batch * width, dtype="float32")
    flat = tf.nest.flatten(template)

    def step(tokens, states, context):
        state = tf.nest.pack_sequence_as(template, list(states))
        out, state = cell(tf.nn.embedding_lookup(embedding, tokens), state)
        return output(out), tf.nest.flatten(state), state.alignments

    search = decoding.Search(step, VOCAB, banned=(), start=START, end=END, pad=PAD)
    return search, flat


def _until_end(row):
    row = [int(t) for t in row]
    return row[: row.index(END) + 1] if END in row else row


def test_native_and_tfa_greedy_decoding_agree():
    rng = np.random.default_rng(0)
    cell, output, embedding, memory = _decoder_parts(rng, 2, 1)
    search, states = _zoo_search(cell, output, embedding, 2, 1)
    context = (np.zeros((2, 5, 1), "float32"),)
    tokens, logp, _ = search.greedy(states, context, 2, 7)
    sampler = tfa.seq2seq.GreedyEmbeddingSampler()
    decoder = tfa.seq2seq.BasicDecoder(cell, sampler, output_layer=output, maximum_iterations=7)
    outputs, _, _ = decoder(
        embedding,
        start_tokens=np.full(2, START),
        end_token=END,
        initial_state=cell.get_initial_state(batch_size=2, dtype="float32"),
    )
    theirs = np.asarray(outputs.sample_id)
    ours = [_until_end(row) for row in np.asarray(tokens)]
    assert ours == [_until_end(row) for row in theirs]
    assert any(len(row) > 1 for row in ours), ours  # a real decode, not END at once


def test_native_and_tfa_beam_search_agree():
    rng = np.random.default_rng(0)
    width = 3
    cell, output, embedding, memory = _decoder_parts(rng, 2, width)
    search, states = _zoo_search(cell, output, embedding, 2, width)
    # zoo tiles its own states and context: give it the untiled batch.
    untiled = cell.get_initial_state(batch_size=2 * width, dtype="float32")
    states = [s[::width] for s in tf.nest.flatten(untiled)]
    context = (np.zeros((2, 5, 1), "float32"),)
    tokens, scores, _ = search.beam(states, context, 2, 7, width, all_beams=True)
    decoder = tfa.seq2seq.BeamSearchDecoder(cell, width, output_layer=output, maximum_iterations=7)
    outputs, final_state, _ = decoder(
        embedding,
        start_tokens=np.full(2, START),
        end_token=END,
        initial_state=cell.get_initial_state(batch_size=2 * width, dtype="float32"),
    )
    theirs = np.asarray(outputs.predicted_ids)  # (B, T, K), best first
    ours = [[_until_end(beam) for beam in row] for row in np.asarray(tokens)]
    assert ours == [[_until_end(theirs[b, :, k]) for k in range(width)] for b in range(2)]
    assert len({len(beam) for row in ours for beam in row}) > 1, ours  # beams end apart
    np.testing.assert_allclose(np.asarray(scores), np.asarray(final_state.log_probs), atol=1e-4)


def test_zoo_greedy_stops_early_with_the_same_answer():
    """zoo.decoding's early stop (the loop dynamic_decode runs): the tokens
    and log-probabilities of the fixed-length search, in fewer steps."""
    rng = np.random.default_rng(0)
    cell, output, embedding, _ = _decoder_parts(rng, 2, 1)
    bias = np.asarray(output.bias)
    bias[END] += 2.0  # both sequences end well before the limit
    output.bias.assign(bias)
    search, states = _zoo_search(cell, output, embedding, 2, 1)
    context = (np.zeros((2, 5, 1), "float32"),)
    tokens, logp, _ = search.greedy(states, context, 2, 12)
    early, early_logp, _, taken = search.greedy_until_done(states, context, 2, 12)
    np.testing.assert_array_equal(np.asarray(early), np.asarray(tokens))
    np.testing.assert_allclose(np.asarray(early_logp), np.asarray(logp), atol=1e-5)
    ends = [list(row).index(END) + 1 for row in np.asarray(tokens)]
    assert int(taken) == max(ends) < 12


def test_beam_search_refuses_an_untiled_initial_state():
    """A state for the batch, not batch x beam: TFA's most common mistake,
    named with its fix."""
    from zoo import layers

    cell = layers.LSTMCell(4)
    decoder = tfa.seq2seq.BeamSearchDecoder(cell, 3, output_layer=None, maximum_iterations=4)
    embedding = np.random.default_rng(0).normal(size=(6, 3)).astype("float32")
    untiled = cell.get_initial_state(batch_size=2, dtype="float32")
    with pytest.raises(ValueError, match="tile_batch"):
        decoder(embedding, start_tokens=np.ones(2, "int32"), end_token=2, initial_state=untiled)
