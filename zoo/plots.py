"""Pictures of what models do: attention heatmaps (matplotlib, imported
only when a picture is drawn)."""

from pathlib import Path


def word_heatmap(tokens, weights, path, title=None, per_line=12):
    """Save `tokens` as text, each on a patch whose colour is its weight
    (PNG): which words a classifier's pooling found decisive."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = max(1, -(-len(tokens) // per_line))
    fig, ax = plt.subplots(figsize=(min(14.0, 1.1 * per_line), 0.45 * lines + 1.0))
    top = max(float(max(weights, default=0.0)), 1e-12)
    colours = plt.get_cmap("Reds")
    for i, (token, weight) in enumerate(zip(tokens, weights, strict=True)):
        x, y = i % per_line, -(i // per_line)
        ax.text(
            x,
            y,
            token,
            ha="center",
            va="center",
            fontsize=10,
            bbox={"facecolor": colours(0.85 * weight / top), "edgecolor": "none"},
        )
    ax.set_xlim(-0.6, per_line - 0.4)
    ax.set_ylim(-lines + 0.4, 0.6)
    ax.axis("off")
    if title:
        ax.set_title(title)
    _save(fig, path)


def attention_heatmap(weights, source, output, path, title=None, unit="characters"):
    """Save a heatmap of attention `weights` (output steps x source
    `unit`s) to `path` (PNG): which input characters (or words) the decoder
    looked at while writing each output one (the last row is END)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [*output, "<end>"][: len(weights)]
    width = max(4.0, (0.28 if unit == "characters" else 0.8) * len(source) + 1.5)
    fig, ax = plt.subplots(figsize=(width, max(2.5, 0.3 * len(rows) + 1.2)))
    image = ax.imshow(weights, cmap="viridis", aspect="auto", vmin=0.0)
    chars = unit == "characters"
    ax.set_xticks(
        range(len(source)),
        [c if c != " " else "␣" for c in source],
        rotation=0 if chars else 45,
        ha="center" if chars else "right",
    )
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel(f"input {unit}")
    ax.set_ylabel(f"output {unit}")
    if title:
        ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.03)
    _save(fig, path)


def caption_attention(image, words, maps, path, title=None, per_row=5):
    """Save the photo once per word with that word's attention (14 x 14,
    upsampled smoothly) laid over it, as in Xu et al.'s figures (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from PIL import Image

    labels = [*words, "<end>"][: len(maps)]
    height, width = image.shape[:2]
    cols = min(per_row, len(labels) + 1)
    rows = -(-(len(labels) + 1) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.3 * cols, 2.3 * rows * height / width + 0.4))
    axes = np.atleast_1d(axes).ravel()
    axes[0].imshow(image)
    axes[0].set_title("photo", fontsize=9)
    for ax, label, weights in zip(axes[1:], labels, maps, strict=False):
        grid = Image.fromarray((255 * weights / max(weights.max(), 1e-12)).astype("uint8"))
        overlay = np.asarray(grid.resize((width, height), Image.Resampling.BICUBIC)) / 255.0
        ax.imshow(image)
        ax.imshow(overlay, cmap="gray", alpha=0.65, vmin=0.0, vmax=1.0)
        ax.set_title(label, fontsize=9)
    for ax in axes:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    _save(fig, path)


def _save(fig, path):
    import matplotlib.pyplot as plt

    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
