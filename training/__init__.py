"""tf.data pipelines, data sets and training entry points (depends on zoo)."""
