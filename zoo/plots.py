"""Pictures of what models do: attention heatmaps (matplotlib, imported
only when a picture is drawn)."""

from pathlib import Path


def attention_heatmap(weights, source, output, path, title=None):
    """Save a heatmap of attention `weights` (output steps x source
    characters) to `path` (PNG): which input characters the decoder looked
    at while writing each output character (the last row is END)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [*output, "<end>"][: len(weights)]
    width = max(4.0, 0.28 * len(source) + 1.5)
    fig, ax = plt.subplots(figsize=(width, max(2.5, 0.3 * len(rows) + 1.2)))
    image = ax.imshow(weights, cmap="viridis", aspect="auto", vmin=0.0)
    ax.set_xticks(range(len(source)), [c if c != " " else "␣" for c in source])
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel("input characters")
    ax.set_ylabel("output characters")
    if title:
        ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.03)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
