"""The README table and curves come from the model cards."""

from tools import report


def card(name, bits, units):
    history = [{"loss": 2.0, "val_loss": 2.1, "seconds": 30.0}] * 2
    return {
        "name": name,
        "metrics": {
            "test": {"bits_per_char": bits, "nats_per_char": bits * 0.6931},
            "validation": {"bits_per_char": bits - 0.1},
        },
        "architecture": {"cell": "lstm", "units": units},
        "parameters": 1234,
        "training": {"seconds": 600.0, "epochs": 2, "history": history},
    }


def test_table_rows_sorted_by_test_bits_per_char():
    table = report.char_lm_table([card("b", 2.5, 8), card("a", 2.2, 16)])
    rows = table.splitlines()[2:]
    assert rows[0].startswith("| `a` | lstm | 16 | 1,234 | 2.200 | 1.525 | 2.100 | 10.0 min | 2 |")
    assert rows[1].startswith("| `b` |")


def test_curves_are_a_png(tmp_path):
    report.plot_curves([card("a", 2.2, 16)], tmp_path / "c.png")
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"


def test_seq2seq_table():
    card = {
        "name": "date-normalizer",
        "architecture": {"attention": "bahdanau"},
        "parameters": 1000,
        "metrics": {
            "test_exact_match": 0.999,
            "test_unseen_exact_match": 0.9,
            "test_distractor_exact_match": 0.95,
        },
        "training": {"seconds": 120.0},
    }
    row = report.seq2seq_table([card]).splitlines()[2]
    assert row == "| `date-normalizer` | bahdanau | 1,000 | 99.90% | 90.00% | 95.00% | 2.0 min |"


def test_card_tables_put_each_figure_in_its_column():
    sentiment = {
        "name": "s",
        "parameters": 10,
        "training": {"seconds": 90.0},
        "dataset": {"name": "Set, Someone 2000", "splits": {"test": 1500}},
        "metrics": {
            "test_accuracy": 0.9,
            "cross_domain_accuracy": 0.8,
            "cross_domain_unseen_accuracy": 0.7,
        },
    }
    row = report.sentiment_table([sentiment]).splitlines()[2]
    assert row == "| `s` | Set, 1,500 | 90.00% | 80.00% | 70.00% | 10 | 1.5 min |"
    figures = dict(bleu1=1.0, bleu2=2.0, bleu3=3.0, bleu4=4.0, cider=5.0)
    metrics = {
        f"{s}_{k}{b}": v + (10 if b else 0)
        for s in ("test", "coco_mini")
        for b in ("", "_beam3")
        for k, v in figures.items()
    }
    table = report.caption_table([{"name": "d", "metrics": {}}, {"name": "c", "metrics": metrics}])
    assert table.splitlines()[2:] == [
        "| `c` | Flickr8k test | greedy | 1.00 | 2.00 | 3.00 | 4.00 | 5.00 |",
        "| `c` | Flickr8k test | beam 3 | 11.00 | 12.00 | 13.00 | 14.00 | 15.00 |",
        "| `c` | COCO-MINI | greedy | 1.00 | 2.00 | 3.00 | 4.00 | 5.00 |",
        "| `c` | COCO-MINI | beam 3 | 11.00 | 12.00 | 13.00 | 14.00 | 15.00 |",
    ]
    held = dict(
        photos=2, mean_style=0.5, max_style=2.0, mean_content=0.25, mean_blob=0.01, max_blob=0.5
    )
    style = {"name": "f", "metrics": {"held_out": held}, "training": {"seconds": 600}}
    row = report.style_table([style]).splitlines()[2]
    assert row == "| `f` | 2 | 50.0% | 200.0% | 0.25 | 1.00% | 50.00% | 10 min |"


def test_every_generated_block_is_the_one_the_cards_give():
    import zoo

    found = report.blocks()
    assert len(found) >= 2
    for name, (path, body) in found.items():
        text = path.read_text()
        assert report.with_block(text, name, body) == text, "run python -m tools.report --write"
    assert found["models table"][1].count("| `") == len(zoo.list_models())


def test_the_benchmarks_page_is_the_one_the_scripts_give():
    page = report.BENCHMARKS_PAGE.read_text()
    assert page == report.benchmarks_page() + "\n", "run python -m tools.report --write"
    assert "## `python -m benchmarks.cells`" in page


def test_a_page_without_the_markers_is_refused():
    import pytest

    with pytest.raises(ValueError, match="no markers"):
        report.with_block("# Zoo\n", "models table", "| table |")
    begin, end = report.markers("models table")
    marked = f"a\n{begin}\nold\n{end}\nb"
    assert report.with_block(marked, "models table", "new") == marked.replace("old", "new")


def test_every_local_link_in_the_readme_and_docs_resolves():
    import re

    pages = [
        report.README,
        report.ROOT / "CONTRIBUTING.md",
        *sorted((report.ROOT / "docs").glob("*.md")),
    ]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)", page.read_text()):
            if "://" in target or (page.parent / target).exists():
                continue
            broken.append(f"{page.name}: {target}")
    assert not broken, broken


def test_benchmark_blocks_are_refilled_from_their_command_only():
    from tools import benchmark_docs

    page = (
        "intro\n<!-- benchmark: python -m benchmarks.cells --rounds 3 -->\nold table\n"
        "<!-- end of benchmark -->\nmiddle\n<!-- benchmark: python -m benchmarks.char_lm -->\n"
        "other\n<!-- end of benchmark -->\n"
    )
    calls = []

    def runner(module, arguments):
        calls.append((module, arguments))
        return f"| new | {module} |"

    out = benchmark_docs.rewrite(page, only="benchmarks.cells", runner=runner)
    assert calls == [("benchmarks.cells", "--rounds 3")]
    assert "| new | benchmarks.cells |" in out and "old table" not in out
    assert "other" in out and out.startswith("intro\n") and "\nmiddle\n" in out


def test_only_selects_blocks_by_their_command_prefix():
    from tools import benchmark_docs

    page = "".join(
        f"<!-- benchmark: python -m {command} -->\nold\n<!-- end of benchmark -->\n"
        for command in ("benchmarks.cells --rounds 9", "benchmarks.cells --bidirectional")
    )
    calls = []

    def runner(module, arguments):
        calls.append(arguments)
        return "| new |"

    benchmark_docs.rewrite(page, only="benchmarks.cells --bidirectional", runner=runner)
    benchmark_docs.rewrite(page, only="benchmarks.cell", runner=runner)  # not a word prefix
    assert calls == ["--bidirectional"]


def test_an_empty_block_is_filled_without_touching_the_next_one():
    from tools import benchmark_docs

    page = (
        "<!-- benchmark: python -m benchmarks.serving --rows latency -->\n"
        "<!-- end of benchmark -->\nprose\n"
        "<!-- benchmark: python -m benchmarks.serving --rows faults -->\n| old |\n"
        "<!-- end of benchmark -->\n"
    )
    assert [body for _, _, body in benchmark_docs.blocks(page)] == ["", "| old |"]
    out = benchmark_docs.rewrite(page, "benchmarks.serving --rows latency", lambda *_: "| new |")
    assert out == page.replace("latency -->\n", "latency -->\n| new |\n")


def test_a_refill_keeps_edits_made_to_the_page_while_it_ran(tmp_path, monkeypatch):
    from tools import benchmark_docs

    page = tmp_path / "p.md"
    page.write_text(
        "<!-- benchmark: python -m benchmarks.cells -->\nold\n<!-- end of benchmark -->\n" * 2
    )
    runs = []

    def slow_run(module, arguments):  # someone edits the page during the run
        runs.append(module)
        page.write_text("edited\n" + page.read_text())
        return "| new |"

    monkeypatch.setattr(benchmark_docs, "run", slow_run)
    benchmark_docs.main(["--page", str(page)])
    assert page.read_text().startswith("edited\n") and page.read_text().count("| new |") == 2
    assert runs == ["benchmarks.cells"], "the same command twice on a page runs once"


def test_every_benchmark_block_in_the_docs_names_a_benchmark_script():
    from tools import benchmark_docs

    found = [
        (page.name, module, body)
        for page in sorted(benchmark_docs.DOCS.glob("*.md"))
        for module, _, body in benchmark_docs.blocks(page.read_text())
    ]
    assert found, "no benchmark block in docs/"
    for page, module, body in found:
        script = report.ROOT / (module.replace(".", "/") + ".py")
        assert script.is_file(), (page, module)
        assert "|---" in body, (page, module, "holds no table")
