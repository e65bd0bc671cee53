"""The droplet statistic (training.metrics.style_spikes): the share of a
channel's variance held by its top 1% of pixels is small for noise and
near one for a planted spike; the layer-by-layer forward pass gives the
network's own output, and cutting the spike changes the output most where
the spike was."""

import numpy as np

from tests.zoo.helpers import randomize
from training.metrics import style_spikes
from zoo.models import FastStyle


def test_a_planted_spike_holds_a_channels_variance_and_noise_does_not():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (40, 50, 3))
    noise = style_spikes.spike_share(x)
    assert np.all(noise < 0.2)  # ~0.05 for a normal
    x[10:14, 20:24, 1] += 60.0  # 16 of 2,000 pixels
    shares = style_spikes.spike_share(x)
    assert shares[1] > 0.9 and np.allclose(shares[[0, 2]], noise[[0, 2]])
    mask = style_spikes.spike_mask(x, [1])
    assert mask[10:14, 20:24].all() and mask.sum() == 20  # 1% of 2,000 pixels


def test_the_forward_pass_is_the_networks_and_a_cut_spike_changes_only_its_place():
    net = FastStyle(filters=(4, 8, 8), residual_blocks=1)
    net.build()
    randomize(net, np.random.default_rng(1))
    rng = np.random.default_rng(2)
    image = rng.normal(128, 10, (48, 64, 3)).clip(0, 255)
    plain, records = style_spikes.forward(net, image)
    np.testing.assert_array_equal(plain, net.stylize(image))
    assert len(records) == 3 + 2 + 2  # every normalisation: 3 down, 2 in the block, 2 up
    image[20:24, 30:34] = 255.0  # a bright square: a spike in the first maps
    spiked, records = style_spikes.forward(net, image)
    first = records[0][2]
    assert first.max() > style_spikes.SPIKY
    cut, _ = style_spikes.forward(net, image, cut="before")
    change = np.abs(cut.astype(float) - spiked).mean(axis=-1)
    # The spike's own place changes most; the rest only through the
    # channel statistics it no longer sets.
    assert change[18:26, 28:36].mean() > 3 * change[:8].mean()
