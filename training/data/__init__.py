"""Data sets and tf.data pipelines the tasks train on."""
