"""Weighted cross-entropy over sequences of logits (TF Addons'
`sequence_loss`), with its four reductions:

- average_across_timesteps / average_across_batch: sum, then divide by
  the summed weights over that axis (a weighted mean);
- sum_over_timesteps / sum_over_batch: sum, then divide by the number of
  non-zero weights over that axis (padding excluded from the count).

Both on one axis are contradictory, and averaging one axis while summing
the other is ambiguous (the order changes the answer), so both are errors.
"""

import keras
from keras import ops


def check_reductions(
    average_across_timesteps, average_across_batch, sum_over_timesteps, sum_over_batch
):
    pairs = (
        (
            average_across_timesteps and sum_over_timesteps,
            "average_across_timesteps and sum_over_timesteps",
        ),
        (average_across_batch and sum_over_batch, "average_across_batch and sum_over_batch"),
    )
    for clash, names in pairs:
        if clash:
            raise ValueError(f"{names} cannot be set to True at same time.")
    ambiguous = (
        (
            average_across_batch and sum_over_timesteps,
            "average_across_batch and sum_over_timesteps",
        ),
        (
            sum_over_batch and average_across_timesteps,
            "sum_over_batch and average_across_timesteps",
        ),
    )
    for clash, names in ambiguous:
        if clash:
            raise ValueError(
                f"{names} cannot be set to True at same time because of ambiguous order."
            )


def sequence_loss(
    logits,
    targets,
    weights,
    average_across_timesteps=True,
    average_across_batch=True,
    sum_over_timesteps=False,
    sum_over_batch=False,
    softmax_loss_function=None,
    name=None,
):
    """Cross-entropy of logits (B, T, V) against targets (B, T) ids or
    (B, T, V) one-hot, weighted by weights (B, T) -> a scalar, (T,), (B,)
    or (B, T), as the reductions leave it. `softmax_loss_function(labels=,
    logits=)` replaces the softmax cross-entropy on flat (B*T,) labels."""
    logits, targets, weights = (ops.convert_to_tensor(t) for t in (logits, targets, weights))
    if len(logits.shape) != 3:
        raise ValueError("Logits must be a [batch_size x sequence_length x logits] tensor")
    if len(targets.shape) not in (2, 3):
        raise ValueError(
            "Targets must be either a [batch_size x sequence_length] tensor of label ids "
            "or a [batch_size x sequence_length x num_classes] one-hot tensor"
        )
    if len(weights.shape) != 2:
        raise ValueError("Weights must be a [batch_size x sequence_length] tensor")
    check_reductions(
        average_across_timesteps, average_across_batch, sum_over_timesteps, sum_over_batch
    )
    classes = ops.shape(logits)[2]
    flat_logits = ops.reshape(logits, (-1, classes))
    if softmax_loss_function is not None:
        crossent = softmax_loss_function(labels=ops.reshape(targets, (-1,)), logits=flat_logits)
    elif len(targets.shape) == 2:
        crossent = ops.sparse_categorical_crossentropy(
            ops.reshape(targets, (-1,)), flat_logits, from_logits=True
        )
    else:
        crossent = ops.categorical_crossentropy(
            ops.reshape(targets, (-1, classes)), flat_logits, from_logits=True
        )
    weights = ops.cast(weights, crossent.dtype)
    crossent = ops.reshape(crossent, ops.shape(weights)) * weights
    average = average_across_timesteps or average_across_batch
    summed = sum_over_timesteps or sum_over_batch
    if not (average or summed):
        return crossent
    if (average_across_timesteps and average_across_batch) or (
        sum_over_timesteps and sum_over_batch
    ):
        axis = None
    else:
        axis = 0 if (average_across_batch or sum_over_batch) else 1
    if average:
        total = ops.sum(weights, axis=axis)
    else:
        total = ops.cast(ops.count_nonzero(weights, axis=axis), crossent.dtype)
    return ops.divide_no_nan(ops.sum(crossent, axis=axis), total)


@keras.saving.register_keras_serializable(package="zoo")
class SequenceLoss(keras.losses.Loss):
    """sequence_loss as a Keras loss: `loss(y_true ids, y_pred logits,
    sample_weight (B, T))`. By default the sum over every weighted
    position divided by their count (sum_over_timesteps and
    sum_over_batch), TF Addons' default."""

    def __init__(
        self,
        average_across_timesteps=False,
        average_across_batch=False,
        sum_over_timesteps=True,
        sum_over_batch=True,
        softmax_loss_function=None,
        name=None,
        **kwargs,
    ):
        super().__init__(name=name or "sequence_loss", **kwargs)
        check_reductions(
            average_across_timesteps, average_across_batch, sum_over_timesteps, sum_over_batch
        )
        self.average_across_timesteps = average_across_timesteps
        self.average_across_batch = average_across_batch
        self.sum_over_timesteps = sum_over_timesteps
        self.sum_over_batch = sum_over_batch
        self.softmax_loss_function = softmax_loss_function

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The reductions are the loss's own, so Keras' is bypassed."""
        if sample_weight is None:
            sample_weight = ops.ones(ops.shape(y_pred)[:2], dtype=y_pred.dtype)
        return sequence_loss(
            y_pred,
            y_true,
            sample_weight,
            average_across_timesteps=self.average_across_timesteps,
            average_across_batch=self.average_across_batch,
            sum_over_timesteps=self.sum_over_timesteps,
            sum_over_batch=self.sum_over_batch,
            softmax_loss_function=self.softmax_loss_function,
        )

    def call(self, y_true, y_pred):
        return self(y_true, y_pred)

    def get_config(self):
        return {
            "name": self.name,
            "average_across_timesteps": self.average_across_timesteps,
            "average_across_batch": self.average_across_batch,
            "sum_over_timesteps": self.sum_over_timesteps,
            "sum_over_batch": self.sum_over_batch,
        }
