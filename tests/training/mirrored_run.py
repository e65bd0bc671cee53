"""Subprocess body for the MirroredStrategy test: TensorFlow's logical
devices must be configured before anything else touches it."""

import json
import sys
from pathlib import Path

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

from tests.training.recipes import tiny_recipe  # noqa: E402
from training.core import fit  # noqa: E402
from training.tasks import char_lm  # noqa: E402

tmp = Path(sys.argv[1])
text = Path(sys.argv[2]).read_text(encoding="utf-8")[:40_000]
recipe = tiny_recipe(tmp, text, epochs=1)
result = {"replicas": fit.make_strategy("mirrored").num_replicas_in_sync}
for mode in ("none", "mirrored"):
    char_lm.train(recipe, tmp / mode, data_dir=tmp, distribute=mode, verbose=0)
    result[mode] = fit.read_history(tmp / mode)[-1]
print(json.dumps(result))
