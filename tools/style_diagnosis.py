"""Is a fast style network's blob the droplet? (training.metrics.style_spikes)

    python -m tools.style_diagnosis fast-style-wave [--photos 12]
    python -m tools.style_diagnosis fast-style-wave --figure docs/style-droplet.jpg
    python -m tools.style_diagnosis runs/my-style/model

The network: a specimen's name (training/specimens) or a package folder.

For each held-out photo (BSDS500 test, the cards' set): the largest blob's
share of the image; per instance normalisation, the channels whose top 1%
of pixels hold over half of the variance (the spike) and whether the
spike's pixels fall inside the blob (mapped to the output's size); then the
blob again with those spike pixels flattened to the channel median, before
normalising (the statistics lose the spike) and after (they keep it).
--figure: one photo (BSDS500 test 100099.jpg) as four panels: the photo,
the network's output, the spike pixels of the last normalisation's spiky
channels, and the output when those pixels are left out of that
normalisation's statistics. Needs $ZOO_DATA_DIR.
"""

import argparse
from pathlib import Path

import numpy as np

import zoo
from training import specimens
from training.core.paths import data_dir
from training.metrics import style_quality, style_spikes
from zoo.images import read_image


def inside(mask, blob):
    """Share of the spike pixels (a coarse mask) that land in `blob`."""
    rows = np.arange(blob.shape[0]) * mask.shape[0] // blob.shape[0]
    cols = np.arange(blob.shape[1]) * mask.shape[1] // blob.shape[1]
    spike = mask[rows][:, cols]
    return float((spike & blob).sum() / max(spike.sum(), 1))


def rows(name, photos):
    net = zoo.registry.load_name_or_path(specimens.source(name))
    folder = data_dir(None)
    painting = read_image(folder / net.card["recipe"]["data"]["style"])
    for path in sorted((folder / "bsds500" / "test").glob("*.jpg"))[:photos]:
        photo = read_image(path)
        result, records = style_spikes.forward(net, photo)
        blob = style_quality.blob_mask(result, painting, photo)
        spiky = []
        for layer, array, shares in records:
            channels = style_spikes.spiky_channels(shares)
            if len(channels):
                mask = style_spikes.spike_mask(array, channels)
                spiky.append(
                    f"{layer}: {len(channels)} (max {shares.max():.2f}, "
                    f"{inside(mask, blob):.0%} in blob)"
                )
        cuts = [
            style_quality.largest_blob(style_spikes.forward(net, photo, cut)[0], painting, photo)
            for cut in style_spikes.CUTS
        ]
        yield (
            f"| {Path(path).name} | {blob.mean():.2%} | {'; '.join(spiky) or '-'} | "
            + " | ".join(f"{c:.2%}" for c in cuts)
            + " |"
        )


FIGURE_PHOTO = "bsds500/test/100099.jpg"


def figure(name, target):
    """The four panels (see above) side by side, written to `target`."""
    from PIL import Image

    net = zoo.registry.load_name_or_path(specimens.source(name))
    photo = read_image(data_dir(None) / FIGURE_PHOTO)
    result, records = style_spikes.forward(net, photo)
    layer, array, shares = records[-1]
    mask = style_spikes.spike_mask(array, style_spikes.spiky_channels(shares))
    size = (photo.shape[1], photo.shape[0])
    spikes = np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).resize(size))
    cut, _ = style_spikes.forward(net, photo, "before", only=[layer])
    panels = [photo, result, np.repeat(spikes[..., None], 3, axis=-1), cut]
    Image.fromarray(np.concatenate(panels, axis=1)).save(target, quality=85)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a shipped fast style network")
    parser.add_argument("--photos", type=int, default=12)
    parser.add_argument("--figure", help="write the four-panel figure here instead")
    args = parser.parse_args(argv)
    if args.figure:
        figure(args.model, args.figure)
        return
    print(
        "| photo | blob | spiky channels per norm (top 1% > half the variance) "
        "| blob, cut before norm | blob, cut after norm |"
    )
    print("|---|---:|---|---:|---:|")
    for row in rows(args.model, args.photos):
        print(row, flush=True)


if __name__ == "__main__":
    main()
