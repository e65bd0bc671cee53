"""The base of every family's graphs, and the limits they enforce."""

import tensorflow as tf

from zoo_runtime import limits

# What one request may ask for; export(..., limits={...}) changes them.
LIMITS = {
    "max_prompt_chars": limits.MAX_PROMPT_CHARS,  # characters of one generate prompt
    "max_text_chars": 4096,  # characters of one text to translate (at most the model's own)
    "max_generate_length": limits.MAX_GENERATE_LENGTH,  # characters one request may ask for
    "max_image_pixels": limits.MAX_IMAGE_PIXELS,  # decoded pixels of one image
    "max_review_chars": limits.MAX_REVIEW_CHARS,  # characters of one text to classify
    "max_word_chars": limits.MAX_WORD_CHARS,  # characters of one word to look up
}
GENERIC_TASK = "tensors"  # any Keras model that is not a zoo family: tensors in and out


class NotExportable(ValueError):
    """This model has no exportable inference graph."""


def check_limits(limits):
    unknown = set(limits or {}) - set(LIMITS)
    if unknown:
        raise ValueError(f"unknown limit(s) {sorted(unknown)}; known: {sorted(LIMITS)}")
    merged = {**LIMITS, **(limits or {})}
    for key, value in merged.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"limit {key} must be a positive int, got {value!r}")
    return merged


def spec(shape, dtype, name):
    return tf.TensorSpec(shape, dtype, name=name)


class Graphs:
    LIMITS = ()  # the keys of LIMITS this kind of graph enforces
    CALIBRATED = ()  # ONNX files of uint8 images quantized statically (exports.quantize)

    def __init__(self, model, limits=None):
        self.model = model
        self.limits = {k: v for k, v in check_limits(limits).items() if k in self.LIMITS}

    def contract(self):
        task = getattr(self.model, "task", GENERIC_TASK)  # what an app runs these graphs as
        signatures = self.work()
        return {
            "task": task,
            "limits": self.limits,
            "work": signatures,
            "onnx_work": self.onnx_work(signatures),
        }

    def work(self):
        """{signature: cost terms} (exports.work): what a server charges
        a request against its budget before running it."""
        return {}

    def onnx_work(self, signatures):
        """{ONNX file: cost terms}: what the embedded server charges a
        request to an ONNX-only version (an int8 export) before running
        it; `signatures` is work()'s."""
        return {}

    def composed(self, protos):
        """ONNX graphs built from the ones `onnx` gives ({file name:
        ModelProto}), as {file name: ModelProto}: what tf2onnx does not write."""
        return {}

    def calibration_feeds(self, photos):
        """{file: [feed]}: the CALIBRATED graphs' inputs for int8
        calibration, one uint8 HWC photo per feed."""
        return {f: [{"image": photo[None]} for photo in photos] for f in self.CALIBRATED}

    def kept_float(self, filename, proto):
        """Names of the nodes of a CALIBRATED graph that int8 leaves in
        float32 (where rounding does the most harm)."""
        return []

    def resources(self):
        """Graph resources (lookup tables) the SavedModel must track."""
        return []

    def reference(self, signature, feed):
        """What the zoo API gives for a signature's inputs."""
        raise NotImplementedError
