"""The tables of the README and docs/, read from the model cards and the
benchmark scripts, never typed by hand (tests/training/test_report.py
checks that the committed files hold what these functions print).

    python -m tools.report [--plot docs/char-lm-curves.png]   # char LM and seq2seq tables
    python -m tools.report --write      # the marked blocks in README and docs/, docs/benchmarks.md
"""

import argparse
import ast
import re
from pathlib import Path

import zoo
from training.core.fit import save_figure
from zoo.cli import headline

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BENCHMARKS_PAGE = ROOT / "docs" / "benchmarks.md"


def models_table(cards):
    """Every shipped model: task, data, size and its card's headline figure."""
    rows = [
        "| model | task | trained on | parameters | on held-out data |",
        "|---|---|---|---:|---|",
    ]
    for card in sorted(cards, key=lambda c: (c["task"], c["name"])):
        figure = headline(card.get("metrics", {})) or "see its card"
        rows.append(
            f"| `{card['name']}` | [{card['task']}](docs/{page_of(card['task'])}.md) | "
            f"{data_of(card)} | {card['parameters']:,} | {figure} |"
        )
    return "\n".join(rows)


def page_of(task):
    return {"fast-style": "style", "style-transfer": "style"}.get(task, task)


def data_of(card):
    """The data set's name, up to its first comma outside brackets."""
    data = card.get("dataset") or {}
    name = data.get("name") or {"dates": "generated dates"}.get(data.get("source"))
    if name:
        depth = 0
        for i, ch in enumerate(name):
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if name.startswith(", ", i) and depth == 0:
                return name[:i]
        return name
    style = (card.get("data") or {}).get("style")
    return f"painting `{style}`" if style else "none (an optimisation)"


def benchmarks_page():
    """docs/benchmarks.md: each benchmark script, its command and what it measures."""
    lines = [
        "# Benchmarks",
        "",
        "Scripts in `benchmarks/` print ratio tables measured side by side in one run; "
        "the family pages hold their last tables with the command that printed them. "
        "A table between `<!-- benchmark: COMMAND -->` and `<!-- end of benchmark -->` is "
        "that command's output, put there by `python -m tools.benchmark_docs`, which runs "
        "it again. This page is written by `python -m tools.report --write` from the "
        "scripts' docstrings.",
        "",
    ]
    for path in sorted((ROOT / "benchmarks").glob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text()))
        if path.stem == "__init__" or not doc:
            continue
        summary = " ".join(doc.split("\n\n")[0].split())
        lines += [f"## `python -m benchmarks.{path.stem}`", "", summary, ""]
    return "\n".join(lines)


def blocks():
    """{block name: (file, its text from the cards)}: every generated block."""
    cards = zoo.list_models()
    char_lms = [c for c in cards if c["task"] == "char-lm"]
    return {
        "models table": (README, models_table(cards)),
        "char-lm table": (ROOT / "docs" / "char-lm.md", char_lm_table(char_lms)),
    }


def markers(name):
    return f"<!-- {name}: python -m tools.report --write -->", f"<!-- end of {name} -->"


def with_block(text, name, body):
    """`text` with the block between `name`'s markers replaced by `body`."""
    begin, end = markers(name)
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise ValueError(f"no markers {begin} ... {end}")
    return pattern.sub(lambda _: f"{begin}\n{body}\n{end}", text)


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
    parser.add_argument(
        "--write",
        action="store_true",
        help="rewrite README.md's model table and docs/benchmarks.md",
    )
    args = parser.parse_args(argv)
    if args.write:
        for name, (path, body) in blocks().items():
            path.write_text(with_block(path.read_text(), name, body))
        BENCHMARKS_PAGE.write_text(benchmarks_page() + "\n")
        return
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
