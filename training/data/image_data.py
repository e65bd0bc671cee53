"""tf.data feeding of the style networks' crops (training.data.crops): the same
numpy function of (seed, step) the TensorFlow-free path calls, run on
tf.data's parallel threads and prefetched, so both give identical batches."""

import tensorflow as tf

from training.data.crops import Crops


def training_batches(photos, crop, batch_size, seed, max_zoom=2.0, jitter=0.1, start_step=0):
    """An endless dataset of (batch, batch) pairs, float32 (batch_size, crop,
    crop, 3): input and content target. Batch s is Crops(...).batch(s)."""
    crops = Crops(photos, crop, batch_size, seed, max_zoom, jitter)

    def batch(step):
        images = tf.numpy_function(crops.batch, [step], tf.float32, stateful=False)
        images.set_shape((batch_size, crop, crop, 3))
        return images, images

    ds = tf.data.Dataset.counter(start_step).map(batch, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)
