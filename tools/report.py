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
from training import specimens
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
        source = path.read_text()
        doc = ast.get_docstring(ast.parse(source))
        if '__name__ == "__main__"' not in source or not doc:  # a helper, not a script
            continue
        summary = " ".join(doc.split("\n\n")[0].split())
        lines += [f"## `python -m benchmarks.{path.stem}`", "", summary, ""]
    return "\n".join(lines)


def blocks():
    """{block name: (file, its text from the cards)}: every generated block."""
    cards = zoo.list_models()
    of = lambda task: [c for c in cards if c["task"] == task]  # noqa: E731
    docs = ROOT / "docs"
    return {
        "models table": (README, models_table(cards)),
        "char-lm table": (docs / "char-lm.md", char_lm_table(of("char-lm"))),
        "sentiment table": (docs / "sentiment.md", sentiment_table(of("sentiment"))),
        "translation table": (
            docs / "seq2seq.md",
            translation_table([c for c in of("seq2seq") if "test_bleu" in c["metrics"]]),
        ),
        "caption table": (docs / "caption.md", caption_table(of("caption"))),
        # The feed-forward networks trained so far are withdrawn specimens.
        "style table": (docs / "style.md", style_table(specimens.cards())),
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


def card_table(cards, columns, key=lambda card: card["name"]):
    """A markdown table, one row per card (sorted by `key`), from columns of
    (title, right-aligned?, card -> cell text)."""
    rows = [
        "| " + " | ".join(title for title, _, _ in columns) + " |",
        "|" + "|".join("---:" if right else "---" for _, right, _ in columns) + "|",
    ]
    for card in sorted(cards, key=key):
        rows.append("| " + " | ".join(cell(card) for _, _, cell in columns) + " |")
    return "\n".join(rows)


def _name(card):
    return f"`{card['name']}`"


def _minutes(digits):
    return lambda card: f"{card['training']['seconds'] / 60:.{digits}f} min"


def _metric(path, form):
    """A cell reading card["metrics"][path...], formatted by `form`."""

    def cell(card):
        value = card["metrics"]
        for key in path.split("."):
            value = value[key]
        return format(value, form)

    return cell


def char_lm_table(cards):
    columns = [
        ("model", False, _name),
        ("cell", False, lambda c: c["architecture"]["cell"]),
        ("units", True, lambda c: str(c["architecture"]["units"])),
        ("parameters", True, lambda c: f"{c['parameters']:,}"),
        ("test bits/char", True, _metric("test.bits_per_char", ".3f")),
        ("test nats/char", True, _metric("test.nats_per_char", ".3f")),
        ("validation bits/char", True, _metric("validation.bits_per_char", ".3f")),
        ("training time", True, _minutes(1)),
        ("epochs", True, lambda c: str(c["training"]["epochs"])),
    ]
    return card_table(cards, columns, key=lambda c: c["metrics"]["test"]["bits_per_char"])


def seq2seq_table(cards):
    columns = [
        ("model", False, _name),
        ("attention", False, lambda c: c["architecture"]["attention"]),
        ("parameters", True, lambda c: f"{c['parameters']:,}"),
        ("test (training formats)", True, _metric("test_exact_match", ".2%")),
        ("unseen formats", True, _metric("test_unseen_exact_match", ".2%")),
        ("inside long filler text", True, _metric("test_distractor_exact_match", ".2%")),
        ("training time", True, _minutes(1)),
    ]
    return card_table(cards, columns)


def sentiment_table(cards):
    columns = [
        ("model", False, _name),
        (
            "test split",
            False,
            lambda c: f"{c['dataset']['name'].split(',')[0]}, {c['dataset']['splits']['test']:,}",
        ),
        ("test accuracy", True, _metric("test_accuracy", ".2%")),
        ("Rotten Tomatoes, all", True, _metric("cross_domain_accuracy", ".2%")),
        ("RT sentences in none of its data", True, _metric("cross_domain_unseen_accuracy", ".2%")),
        ("parameters", True, lambda c: f"{c['parameters']:,}"),
        ("training time", True, _minutes(1)),
    ]
    return card_table(cards, columns)


def translation_table(cards):
    columns = [
        ("model", False, _name),
        ("test BLEU greedy", True, _metric("test_bleu", ".2f")),
        ("chrF greedy", True, _metric("test_chrf", ".2f")),
        ("BLEU beam 5", True, _metric("test_bleu_beam5", ".2f")),
        ("chrF beam 5", True, _metric("test_chrf_beam5", ".2f")),
        ("validation BLEU", True, _metric("validation_bleu", ".2f")),
        ("training time", True, _minutes(0)),
    ]
    return card_table(cards, columns)


def style_table(cards):
    columns = [
        ("network", False, _name),
        ("held-out photos", True, _metric("held_out.photos", "d")),
        ("mean style", True, _metric("held_out.mean_style", ".1%")),
        ("worst style", True, _metric("held_out.max_style", ".1%")),
        ("mean content", True, _metric("held_out.mean_content", ".2f")),
        ("mean blob", True, _metric("held_out.mean_blob", ".2%")),
        ("worst blob", True, _metric("held_out.max_blob", ".2%")),
        ("training time", True, _minutes(0)),
    ]
    return card_table(cards, columns)


def caption_table(cards):
    """Each captioner's BLEU and CIDEr-D on every image set and decoding its
    card holds (keys <set>_<figure>[_beam3])."""
    lines = [
        "| model | images | decoding | BLEU-1 | BLEU-2 | BLEU-3 | BLEU-4 | CIDEr-D |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    sets = (
        ("validation", "Flickr8k validation"),
        ("test", "Flickr8k test"),
        ("coco_mini", "COCO-MINI"),
    )
    for card in sorted(cards, key=lambda c: c["name"]):
        m = card["metrics"]
        for prefix, label in sets:
            for suffix, how in (("", "greedy"), ("_beam3", "beam 3")):
                if f"{prefix}_bleu1{suffix}" in m:
                    cells = " | ".join(
                        f"{m[f'{prefix}_{k}{suffix}']:.2f}"
                        for k in ("bleu1", "bleu2", "bleu3", "bleu4", "cider")
                    )
                    lines.append(f"| `{card['name']}` | {label} | {how} | {cells} |")
    return "\n".join(lines)


def plot_curves(cards, path):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for card in cards:
        rows = card["training"]["history"]
        epochs = range(1, len(rows) + 1)
        (line,) = ax.plot(
            epochs, [r["val_loss"] for r in rows], marker="o", markersize=3, label=card["name"]
        )
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
    # The seq2seq task holds date normalisers and translators, scored apart.
    seq2seq = [c for c in zoo.list_models() if c["task"] == "seq2seq"]
    translators = [c for c in seq2seq if "test_bleu" in c["metrics"]]
    dates = [c for c in seq2seq if c not in translators]
    for cards, table in ((dates, seq2seq_table), (translators, translation_table)):
        if cards:
            print()
            print(table(cards))


if __name__ == "__main__":
    main()
