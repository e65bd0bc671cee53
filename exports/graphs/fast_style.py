"""What a fast style network (zoo.models.FastStyle) exports: uint8 NHWC
images in, stylised uint8 images out; the SavedModel also takes encoded
JPEG/PNG bytes and returns PNG bytes."""

import numpy as np
import tensorflow as tf

from exports import work
from exports.graphs.base import Graphs, spec
from exports.graphs.checks import checked, declared_pixels
from exports.onnx_norm import with_instance_norm


class FastStyleGraphs(Graphs):
    """uint8 NHWC images in, stylised uint8 images out; the SavedModel also
    takes encoded JPEG/PNG bytes and returns PNG bytes."""

    LIMITS = ("max_image_pixels",)
    CALIBRATED = ("model.onnx",)

    @property
    def onnx(self):
        return {"model.onnx": (self.stylize, [spec((None, None, None, 3), tf.uint8, "image")])}

    def kept_float(self, filename, proto):
        # The two upsampling convolutions and the output one: int8 there
        # moved pixels by 29 levels on average, 3.6 with them in float32.
        return [n.name for n in proto.graph.node if n.op_type == "Conv"][-3:]

    def composed(self, protos):
        # tf2onnx's GroupNormalization (one group per channel) as
        # InstanceNormalization: the same numbers, half the time in onnxruntime.
        return {"model.onnx": with_instance_norm(protos["model.onnx"])}

    def stylize(self, image):
        shape = tf.shape(image, out_type=tf.int64)
        pixels = shape[1] * shape[2]
        image = checked(pixels, 0, self.limits["max_image_pixels"], "image pixels", image)
        out = self.model(tf.cast(image, tf.float32))
        return {"stylized": tf.cast(tf.round(tf.clip_by_value(out, 0.0, 255.0)), tf.uint8)}

    @property
    def signatures(self):
        return {
            "serving_default": self.onnx["model.onnx"],
            "encoded": (self.stylize_encoded, [spec((None,), tf.string, "image_bytes")]),
        }

    def work(self):
        return work.image_signatures(*work.image_macs(self.stylize))

    def onnx_work(self, signatures):
        return {"model.onnx": signatures["serving_default"]}

    def stylize_encoded(self, image_bytes):
        most = self.limits["max_image_pixels"]

        def one(data):
            data = checked(declared_pixels(data), 0, most, "image pixels", data)
            image = tf.io.decode_image(data, channels=3, expand_animations=False)
            image = tf.ensure_shape(image, (None, None, 3))
            return tf.io.encode_png(self.stylize(image[None])["stylized"][0])

        return {"stylized_png_bytes": tf.map_fn(one, image_bytes, fn_output_signature=tf.string)}

    def reference(self, signature, feed):
        if signature == "serving_default":
            return {"stylized": self.model.stylize(feed["image"])}
        decoded = [tf.io.decode_image(b, channels=3).numpy() for b in feed["image_bytes"]]
        pngs = [tf.io.encode_png(self.model.stylize(image)).numpy() for image in decoded]
        return {"stylized_png_bytes": np.array(pngs, object)}

    def examples(self):
        rng = np.random.default_rng(0)
        images = rng.integers(0, 256, (2, 48, 40, 3)).astype(np.uint8)
        return {
            "model.onnx": [{"image": images}, {"image": images[:1, :33, :17]}],
            "serving_default": [{"image": images[:1]}],
            "encoded": [{"image_bytes": np.array([tf.io.encode_png(images[0]).numpy()], object)}],
        }


GRAPHS = FastStyleGraphs
