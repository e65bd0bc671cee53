"""`tfa.seq2seq` over zoo.layers.attention, zoo.decoding and zoo.losses."""

from zoo.addons.seq2seq import (
    attention_wrapper,
    basic_decoder,
    beam_search_decoder,
    decoder,
    loss,
    sampler,
)
from zoo.addons.seq2seq.attention_wrapper import (
    AttentionMechanism,
    AttentionWrapper,
    AttentionWrapperState,
    BahdanauAttention,
    BahdanauMonotonicAttention,
    LuongAttention,
    LuongMonotonicAttention,
    hardmax,
    monotonic_attention,
    safe_cumprod,
)
from zoo.addons.seq2seq.basic_decoder import BasicDecoder, BasicDecoderOutput
from zoo.addons.seq2seq.beam_search_decoder import gather_tree, tile_batch
from zoo.addons.seq2seq.decoder import BaseDecoder, Decoder, dynamic_decode
from zoo.addons.seq2seq.loss import SequenceLoss, sequence_loss
from zoo.addons.seq2seq.sampler import (
    CustomSampler,
    GreedyEmbeddingSampler,
    InferenceSampler,
    SampleEmbeddingSampler,
    Sampler,
    ScheduledEmbeddingTrainingSampler,
    ScheduledOutputTrainingSampler,
    TrainingSampler,
)

__all__ = [
    "AttentionMechanism",
    "AttentionWrapper",
    "AttentionWrapperState",
    "BahdanauAttention",
    "BahdanauMonotonicAttention",
    "BaseDecoder",
    "BasicDecoder",
    "BasicDecoderOutput",
    "CustomSampler",
    "Decoder",
    "GreedyEmbeddingSampler",
    "InferenceSampler",
    "LuongAttention",
    "LuongMonotonicAttention",
    "SampleEmbeddingSampler",
    "Sampler",
    "ScheduledEmbeddingTrainingSampler",
    "ScheduledOutputTrainingSampler",
    "SequenceLoss",
    "TrainingSampler",
    "attention_wrapper",
    "basic_decoder",
    "beam_search_decoder",
    "decoder",
    "dynamic_decode",
    "gather_tree",
    "hardmax",
    "loss",
    "monotonic_attention",
    "safe_cumprod",
    "sampler",
    "sequence_loss",
    "tile_batch",
]
