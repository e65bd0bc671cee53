"""Gatys style transfer (zoo.models.StyleTransfer) has no graphs to export."""

from exports.graphs.base import NotExportable


def GRAPHS(model, limits=None):  # noqa: N802  (stands where a Graphs class does)
    raise NotExportable(
        "style-transfer-vgg19 is an optimisation (hundreds of gradient steps through VGG19 per "
        "image), not a feed-forward graph; export a fast-style-* network, or run it with "
        "`zoo stylize`"
    )
