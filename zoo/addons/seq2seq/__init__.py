"""`tfa.seq2seq` over zoo.decoding, zoo.losses and zoo's attention layers."""

from zoo.addons.seq2seq import beam_search_decoder, loss
from zoo.addons.seq2seq.beam_search_decoder import gather_tree, tile_batch
from zoo.addons.seq2seq.loss import SequenceLoss, sequence_loss

__all__ = [
    "SequenceLoss",
    "beam_search_decoder",
    "gather_tree",
    "loss",
    "sequence_loss",
    "tile_batch",
]
