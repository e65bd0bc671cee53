"""TensorFlow Addons' "neural machine translation with attention" tutorial
(Spanish to English on the Anki pairs), ported to zoo.addons: the model
code is TFA's API as the tutorial uses it, after one changed import.

What else changed, and why (docs/tfa-migration.md has the whole list):

- Keras 3 has no `tf.keras.preprocessing.text.Tokenizer`: a small word
  vocabulary is built here.
- The loss is `tfa.seq2seq.sequence_loss` with the padding mask as weights,
  where the tutorial masked a SparseCategoricalCrossentropy by hand.
- Inference is one Keras model (`Translator`) so that it exports to a
  SavedModel with a serving signature (`--export`) and runs in `zoo serve`,
  which TFA's AttentionWrapper + BeamSearchDecoder could not do
  (tensorflow/addons#2675, #1961).

    python docs/examples/tfa_nmt.py --pairs 30000 --epochs 10 --export exports/

Data: ../shared/data/anki/spa-eng.txt.gz (Tatoeba via manythings.org/anki,
CC BY 2.0: attribute www.manythings.org/anki and tatoeba.org).
"""

import argparse
import gzip
import re
import unicodedata
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

import zoo.addons as tfa  # was: import tensorflow_addons as tfa

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "anki" / "spa-eng.txt.gz"
PAD, START, END, UNKNOWN = "<pad>", "<start>", "<end>", "<unk>"


# ---- data -----------------------------------------------------------------
def normalize(sentence):
    """Lower case, accents dropped, punctuation as words of its own."""
    text = unicodedata.normalize("NFD", sentence.lower().strip())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    text = re.sub(r"([?.!,¿¡])", r" \1 ", text)
    return re.sub(r"[^a-z?.!,¿¡]+", " ", text).split()


def read_pairs(path, count):
    """The first `count` (spanish words, english words) pairs (the file is
    sorted by length, so these are the shortest)."""
    pairs = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            english, spanish = line.rstrip("\n").split("\t")[:2]
            pairs.append((normalize(spanish), normalize(english)))
            if len(pairs) == count:
                break
    return pairs


class Vocabulary:
    """Words to ids: 0 pads, then <start>, <end>, <unk>, then by frequency."""

    def __init__(self, sentences, size=None):
        counts = {}
        for words in sentences:
            for word in words:
                counts[word] = counts.get(word, 0) + 1
        ranked = sorted(counts, key=lambda w: (-counts[w], w))[:size]
        self.words = [PAD, START, END, UNKNOWN, *ranked]
        self.ids = {word: i for i, word in enumerate(self.words)}

    def encode(self, words, length):
        ids = [self.ids[START], *(self.ids.get(w, self.ids[UNKNOWN]) for w in words)]
        ids = [*ids[: length - 1], self.ids[END]]
        return ids + [0] * (length - len(ids))

    def decode(self, ids):
        words = []
        for i in ids:
            if i == self.ids[END]:
                break
            words.append(self.words[i])
        return " ".join(words)


# ---- the model: the tutorial's encoder and decoder --------------------------
class Encoder(keras.Model):
    def __init__(self, vocab_size, embedding_dim, units, **kwargs):
        super().__init__(**kwargs)
        self.embedding = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True)
        self.lstm = keras.layers.LSTM(units, return_sequences=True, return_state=True)

    def call(self, source):
        return self.lstm(self.embedding(source))  # memory, h, c


class Decoder(keras.Model):
    """Teacher-forced training decoder: LSTMCell + Luong attention in an
    AttentionWrapper, run by a BasicDecoder with a TrainingSampler."""

    def __init__(self, vocab_size, embedding_dim, units, **kwargs):
        super().__init__(**kwargs)
        self.embedding = keras.layers.Embedding(vocab_size, embedding_dim)
        self.fc = keras.layers.Dense(vocab_size)
        self.attention_mechanism = tfa.seq2seq.LuongAttention(units)
        self.rnn_cell = tfa.seq2seq.AttentionWrapper(
            keras.layers.LSTMCell(units), self.attention_mechanism, attention_layer_size=units
        )
        self.decoder = tfa.seq2seq.BasicDecoder(
            self.rnn_cell, sampler=tfa.seq2seq.TrainingSampler(), output_layer=self.fc
        )

    def build(self, input_shape):
        self.built = True  # the layers build on the first decode (a loop Keras cannot trace)

    def initial_state(self, batch_size, encoder_state):
        state = self.rnn_cell.get_initial_state(batch_size=batch_size, dtype=tf.float32)
        return state.clone(cell_state=encoder_state)

    def call(self, target_in, initial_state):
        outputs, _, _ = self.decoder(
            self.embedding(target_in),
            initial_state=initial_state,
            sequence_length=tf.fill([tf.shape(target_in)[0]], tf.shape(target_in)[1]),
        )
        return outputs.rnn_output


class Translator(keras.Model):
    """Source ids (B, T) -> the best beam's target ids and log-probability:
    the tutorial's beam_evaluate_sentence as one exportable model."""

    def __init__(self, encoder, decoder, beam_width=3, max_length=12, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder, self.beam_width = encoder, decoder, beam_width
        self.search = tfa.seq2seq.BeamSearchDecoder(
            decoder.rnn_cell,
            beam_width=beam_width,
            embedding_fn=decoder.embedding,
            output_layer=decoder.fc,
            maximum_iterations=max_length,
            length_penalty_weight=0.6,
            coverage_penalty_weight=0.2,
        )

    def call(self, source):
        batch = tf.shape(source)[0]
        memory, h, c = self.encoder(source)
        lengths = tf.reduce_sum(tf.cast(source > 0, tf.int32), axis=1)
        tiled = tfa.seq2seq.tile_batch(memory, self.beam_width)
        self.decoder.attention_mechanism.setup_memory(
            tiled, memory_sequence_length=tfa.seq2seq.tile_batch(lengths, self.beam_width)
        )
        state = self.decoder.initial_state(
            batch * self.beam_width, tfa.seq2seq.tile_batch([h, c], self.beam_width)
        )
        outputs, final_state, _ = self.search(
            None, start_tokens=tf.fill([batch], 1), end_token=2, initial_state=state
        )
        return {
            "target_ids": outputs.predicted_ids[:, :, 0],
            "log_prob": final_state.log_probs[:, 0],
        }


# ---- training ---------------------------------------------------------------
def train(pairs, units=64, embedding_dim=64, epochs=1, batch_size=64, max_length=12, seed=0):
    """(encoder, decoder, source vocabulary, target vocabulary, losses per epoch)."""
    keras.utils.set_random_seed(seed)
    source_vocab = Vocabulary(p[0] for p in pairs)
    target_vocab = Vocabulary(p[1] for p in pairs)
    source = np.array([source_vocab.encode(s, max_length) for s, _ in pairs], "int32")
    target = np.array([target_vocab.encode(t, max_length + 1) for _, t in pairs], "int32")
    encoder = Encoder(len(source_vocab.words), embedding_dim, units)
    decoder = Decoder(len(target_vocab.words), embedding_dim, units)
    optimizer = keras.optimizers.Adam(1e-3)

    @tf.function
    def step(source, target):
        with tf.GradientTape() as tape:
            memory, h, c = encoder(source)
            decoder.attention_mechanism.setup_memory(memory, memory_mask=source > 0)
            state = decoder.initial_state(tf.shape(source)[0], [h, c])
            logits = decoder(target[:, :-1], state)
            weights = tf.cast(target[:, 1:] > 0, tf.float32)
            loss = tfa.seq2seq.sequence_loss(logits, target[:, 1:], weights)
        variables = encoder.trainable_variables + decoder.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss

    losses = []
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(pairs))
        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        losses.append(float(np.mean([step(source[b], target[b]) for b in batches])))
    return encoder, decoder, source_vocab, target_vocab, losses


def translate(translator, source_vocab, target_vocab, sentences, max_length=12):
    ids = np.array([source_vocab.encode(normalize(s), max_length) for s in sentences], "int32")
    found = translator(ids)["target_ids"].numpy()
    return [target_vocab.decode(row) for row in found]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--pairs", type=int, default=30000)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--export", type=Path, help="also export the Translator here")
    args = parser.parse_args(argv)
    pairs = read_pairs(args.data, args.pairs)
    encoder, decoder, source_vocab, target_vocab, losses = train(
        pairs, units=args.units, embedding_dim=args.units, epochs=args.epochs
    )
    print("loss per epoch:", " ".join(f"{x:.3f}" for x in losses))
    translator = Translator(encoder, decoder)
    for line in translate(
        translator, source_vocab, target_vocab, ["hace mucho frio aqui.", "esta es mi vida."]
    ):
        print(line)
    if args.export:
        from exports import export

        signature = [tf.TensorSpec((None, None), tf.int32, name="source")]
        print(
            export(
                translator,
                args.export,
                formats=("savedmodel",),
                name="tfa-nmt",
                input_signature=signature,
            )
        )


if __name__ == "__main__":
    main()
