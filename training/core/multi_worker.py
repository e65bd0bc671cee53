"""What `--distribute multi-worker` needs beyond creating the strategy.

Keras 3.15's TensorFlow trainer fails under MultiWorkerMirroredStrategy
(keras-team/keras#20585) in two places, both reductions over replicas that
only work when every replica lives in this process:
- before the first step it all-reduces a whole input batch (int token ids)
  just to learn its shapes: the collective rejects it;
- it averages the per-replica metric scalars with `reduce(..., axis=0)`,
  which has no axis 0 on a scalar.
`patch_keras()` replaces both, for multi-worker strategies only: the shapes
come from this worker's first replica's batch, and the scalars are averaged
across replicas (`axis=None`), which is what Keras does for replicas in one
process. The two-worker test (tests/training/test_multi_worker.py) checks
the result against single-worker training, so a Keras upgrade that changes
these internals fails there rather than in a user's cluster.

Nothing here imports TensorFlow until a multi-worker strategy is made.

Files: every worker reads the chief's backup (so all resume from the same
epoch), and only the chief writes it and the run's files; other workers
write theirs under run_dir/workers/<index>/.
"""

from pathlib import Path

from keras import tree

WORKERS = "workers"


def is_multi_worker(strategy):
    resolver = getattr(strategy, "cluster_resolver", None)
    return resolver is not None and bool(resolver.cluster_spec().as_dict())


def worker_index(strategy):
    return strategy.cluster_resolver.task_id


def is_chief(strategy):
    """True unless this is a non-chief worker of a multi-worker cluster."""
    if not is_multi_worker(strategy):
        return True
    resolver = strategy.cluster_resolver
    return resolver.task_type == "chief" or (
        resolver.task_type == "worker" and resolver.task_id == 0
    )


def files_dir(strategy, run_dir):
    """Where this worker writes its logs, history and best weights."""
    run_dir = Path(run_dir)
    if is_chief(strategy):
        return run_dir
    return run_dir / WORKERS / str(worker_index(strategy))


def patch_keras():
    """Idempotent; see the module docstring."""
    from zoo.compat import tensorflow_trainer

    tf_trainer = tensorflow_trainer()

    if getattr(tf_trainer, "_zoo_multi_worker", False):
        return
    symbolic_build = tf_trainer.TensorFlowTrainer._maybe_symbolic_build
    reduce_per_replica = tf_trainer.reduce_per_replica

    def maybe_symbolic_build(self, iterator=None, data_batch=None):
        strategy = self._distribute_strategy
        if iterator is None or not is_multi_worker(strategy):
            return symbolic_build(self, iterator=iterator, data_batch=data_batch)
        for _, _, batches in iterator:
            data_batch = tree.map_structure(lambda v: _first_local(strategy, v), next(batches))
            break
        with strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    def reduce_replicas(values, strategy, reduction):
        if is_multi_worker(strategy) and reduction in ("auto", "mean"):
            return tree.map_structure(lambda v: strategy.reduce("MEAN", v, axis=None), values)
        return reduce_per_replica(values, strategy, reduction)

    tf_trainer.TensorFlowTrainer._maybe_symbolic_build = maybe_symbolic_build
    tf_trainer.reduce_per_replica = reduce_replicas
    tf_trainer._zoo_multi_worker = True


def _first_local(strategy, value):
    import tensorflow as tf

    if isinstance(value, tf.distribute.DistributedValues):
        return strategy.experimental_local_results(value)[0]
    return value


def lost_peer(error):
    """True for the errors a worker gets when another worker of the cluster
    has stopped (its heartbeats end, collectives abort)."""
    import tensorflow as tf

    return isinstance(error, tf.errors.UnavailableError | tf.errors.AbortedError)


LOST_PEER_MESSAGE = (
    "a worker of the cluster stopped, so this one stopped too. Start every "
    "worker again with the same command: training resumes from the chief's "
    "last finished epoch."
)
