"""The README's tables of shipped models (character LMs with their loss
curves, seq2seq exact-match accuracy), read from their model cards.

    python -m tools.report [--plot docs/char-lm-curves.png]
"""

import argparse

import zoo
from training.core.fit import save_figure


def char_lm_table(cards):
    lines = [
        "| model | cell | units | parameters | test bits/char | test nats/char "
        "| validation bits/char | training time | epochs |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for card in sorted(cards, key=lambda c: c["metrics"]["test"]["bits_per_char"]):
        test, val = card["metrics"]["test"], card["metrics"]["validation"]
        arch, train = card["architecture"], card["training"]
        lines.append(
            f"| `{card['name']}` | {arch['cell']} | {arch['units']} | {card['parameters']:,} "
            f"| {test['bits_per_char']:.3f} | {test['nats_per_char']:.3f} "
            f"| {val['bits_per_char']:.3f} | {train['seconds'] / 60:.1f} min | {train['epochs']} |"
        )
    return "\n".join(lines)


def seq2seq_table(cards):
    lines = [
        "| model | attention | parameters | test (training formats) | unseen formats "
        "| inside long filler text | training time |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for card in sorted(cards, key=lambda c: c["name"]):
        m, minutes = card["metrics"], card["training"]["seconds"] / 60
        lines.append(
            f"| `{card['name']}` | {card['architecture']['attention']} | {card['parameters']:,} "
            f"| {m['test_exact_match']:.2%} | {m['test_unseen_exact_match']:.2%} "
            f"| {m['test_distractor_exact_match']:.2%} | {minutes:.1f} min |"
        )
    return "\n".join(lines)


def plot_curves(cards, path):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for card in cards:
        rows = card["training"]["history"]
        epochs = range(1, len(rows) + 1)
        (line,) = ax.plot(epochs, [r["val_loss"] for r in rows], marker="o", label=card["name"])
        ax.plot(epochs, [r["loss"] for r in rows], color=line.get_color(), ls=":", alpha=0.6)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (nats/char): validation solid, training dotted")
    ax.grid(alpha=0.3)
    ax.legend()
    save_figure(fig, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", help="also write the validation curves to this PNG")
    args = parser.parse_args(argv)
    cards = [c for c in zoo.list_models() if c["task"] == "char-lm"]
    print(char_lm_table(cards))
    if args.plot:
        plot_curves(cards, args.plot)
    translators = [c for c in zoo.list_models() if c["task"] == "seq2seq"]
    if translators:
        print()
        print(seq2seq_table(translators))


if __name__ == "__main__":
    main()
