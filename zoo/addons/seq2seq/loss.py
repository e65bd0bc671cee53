"""`tfa.seq2seq.loss`: zoo.losses, which holds TF Addons' sequence loss."""

from zoo.losses import SequenceLoss, sequence_loss

__all__ = ["SequenceLoss", "sequence_loss"]
