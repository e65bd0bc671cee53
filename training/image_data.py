"""tf.data image pipelines for style networks: decode, random rescale and
crop, flip, colour jitter, batch, prefetch. With a few content photos the
augmentation is what makes the training set: every crop differs in scale,
position, mirroring and colour."""

import tensorflow as tf


def decode(path):
    """A JPEG/PNG/GIF/BMP file -> float32 HWC RGB 0-255."""
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    return tf.cast(image, tf.float32)


def augment(image, crop, seed, max_zoom=2.0, jitter=0.1):
    """A random `crop` x `crop` patch: the shorter side rescaled to between
    `crop` and max_zoom * crop, a random window, a random left-right flip,
    and brightness/contrast/saturation each within +-jitter. `seed`: shape
    (2,) int, so the same seed gives the same patch."""
    seeds = tf.random.experimental.stateless_split(seed, 6)
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    shorter = tf.random.stateless_uniform([], seeds[0], crop, max_zoom * crop)
    size = tf.cast(tf.math.ceil(shape * shorter / tf.reduce_min(shape)), tf.int32)
    image = tf.image.resize(image, tf.maximum(size, crop), antialias=True)
    image = tf.image.stateless_random_crop(image, [crop, crop, 3], seeds[1])
    image = tf.image.stateless_random_flip_left_right(image, seeds[2])
    if jitter:
        image = tf.image.stateless_random_brightness(image, 255 * jitter, seeds[3])
        image = tf.image.stateless_random_contrast(image, 1 - jitter, 1 + jitter, seeds[4])
        image = tf.image.stateless_random_saturation(image, 1 - jitter, 1 + jitter, seeds[5])
    return tf.clip_by_value(image, 0.0, 255.0)


def training_batches(paths, crop, batch_size, seed, max_zoom=2.0, jitter=0.1, start_step=0):
    """An endless dataset of augmented (batch, crop, crop, 3) patches.
    Element k depends only on (seed, k), so a run resumed at step
    `start_step` sees the patches it would have seen."""
    paths = [str(p) for p in paths]
    if not paths:
        raise ValueError("no content images given")
    images = [decode(p) for p in paths]  # a handful of photos: decode once
    count = len(images)

    def patch(k):
        index = tf.random.stateless_uniform([], [seed, k], 0, count, tf.int32)
        branches = [lambda i=i: tf.identity(images[i]) for i in range(count)]
        image = tf.switch_case(index, branches)
        return augment(image, crop, tf.stack([tf.cast(seed, tf.int64) + 1, k]), max_zoom, jitter)

    start = start_step * batch_size
    ds = tf.data.Dataset.counter(start).map(patch, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def evaluation_batches(paths, size):
    """Each image resized to `size` x `size` (whole photo, no crop), as one
    batch: a fixed validation set."""
    images = [tf.image.resize(decode(str(p)), [size, size], antialias=True) for p in paths]
    return tf.data.Dataset.from_tensors(tf.stack(images))
