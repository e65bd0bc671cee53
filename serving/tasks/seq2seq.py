"""Translators (seq2seq): `translate`, greedy or beam search, with the
source tokenised and the target detokenised from zoo.json's contract."""

import functools

import numpy as np

from serving.tasks.encoder_decoder import EncoderDecoderOnnx
from zoo_runtime.chars import CharVocabulary
from zoo_runtime.checks import check_beam_width, check_ngram_size, check_texts
from zoo_runtime.dates import output_check
from zoo_runtime.search import per_token_log_prob
from zoo_runtime.subwords import Subwords


class Seq2SeqOnnx(EncoderDecoderOnnx):
    task = "seq2seq"

    def translate(
        self,
        texts,
        beam_width=1,
        length_penalty=None,
        return_log_prob=False,
        no_repeat_ngram_size=None,
    ):
        """Strings in, strings out, as zoo's Seq2Seq.translate (greedy, or
        beam search with `beam_width` > 1); with return_log_prob, also each
        output's log-probability per token (END included); with
        no_repeat_ngram_size n, no output holds any n-gram twice. None
        takes zoo.json's decoding_defaults, as Keras takes the model's."""
        length_penalty, no_repeat_ngram_size = self.chosen_decoding(
            length_penalty, no_repeat_ngram_size
        )
        texts = check_texts(texts)
        rows = self._source_rows(texts)
        check_beam_width(beam_width)
        check_ngram_size(no_repeat_ngram_size)
        if not rows:
            return ([], []) if return_log_prob else []
        c = self.contract
        source = np.full((len(rows), max(map(len, rows))), self.special["source_pad"], np.int32)
        for i, row in enumerate(rows):
            source[i, : len(row)] = row
        vocab_size, longest = len(c["target_vocabulary"]), c["max_output_length"]
        feed = {"source_ids": source}
        search = (beam_width, length_penalty, no_repeat_ngram_size)
        tokens, log_prob = self.decode(feed, vocab_size, longest, *search)
        decode = self._codecs[1]
        outputs = [decode(self.kept(row)) for row in tokens]
        if self._check:  # no answer (None) where it cannot be a date
            outputs = [self._check.answer(t, o) for t, o in zip(texts, outputs, strict=True)]
        if not return_log_prob:
            return outputs
        return outputs, per_token_log_prob(log_prob, tokens, self.special["pad"]).tolist()

    @functools.cached_property
    def _check(self):
        """zoo.json's output_check (zoo_runtime.dates), or None."""
        return output_check(self.contract.get("output_check"))

    @functools.cached_property
    def _codecs(self):
        """(source encode: str -> ids, target decode: ids -> str), from zoo.json."""
        c = self.contract
        spec = c.get("tokenisation", {"kind": "chars"})
        if spec["kind"] == "subwords":
            source = Subwords(spec, c["source_vocabulary"])
            return source.encode, Subwords(spec, c["target_vocabulary"]).decode
        source, target = c["source_vocabulary"], c["target_vocabulary"]
        return CharVocabulary(source).encode, CharVocabulary(target).decode

    def _source_rows(self, texts):
        """Source ids per text, refused (naming the input) as the
        SavedModel refuses them: blank, too many characters or tokens."""
        texts = check_texts(texts)
        # max_text_chars is at most max_input_length; exports before limits lack it.
        limit = self.limits.get("max_text_chars", self.contract["max_input_length"])
        longest = self.contract["max_input_length"]
        blank = self.contract.get("blank_characters", " \t\n\r\f\v")
        encode_text = self._codecs[0]
        rows = []
        for i, text in enumerate(texts):
            if not text.strip(blank):
                raise ValueError(f"input {i} is empty or only whitespace")
            if len(text) > limit:
                raise ValueError(
                    f"input {i} has {len(text)} characters; this model reads at most {limit}"
                )
            rows.append(encode_text(text))
            if not len(rows[-1]):
                raise ValueError(f"input {i} is empty or only whitespace: it has no tokens")
            if len(rows[-1]) > longest:
                raise ValueError(
                    f"input {i} has {len(rows[-1])} tokens; this model reads at most {longest}"
                )
        return rows


MODEL = Seq2SeqOnnx
