"""The README's table of shipped character LMs, read from their model cards.

python -m training.report
"""

import zoo


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


def main():
    print(char_lm_table([c for c in zoo.list_models() if c["task"] == "char-lm"]))


if __name__ == "__main__":
    main()
