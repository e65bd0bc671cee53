"""Benchmark tables in docs/ are the printed output of the command their
marker names, put there by this tool, never typed by hand:

    <!-- benchmark: python -m benchmarks.date_normalizer -->
    (what that command printed)
    <!-- end of benchmark -->

    python -m tools.benchmark_docs [--only 'benchmarks.cells --bidirectional']
        [--page docs/cells.md]

It runs each command again (minutes to hours: see docs/benchmarks.md) and
replaces the block with what it printed.
"""

import argparse
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
BEGIN = r"(<!-- benchmark: python -m (benchmarks\.\w+)([^>]*?) -->\n)"
BODY = r"((?:(?!<!-- (?:benchmark:|end of benchmark)).)*?)\n?"  # may be empty, never nested
BLOCK = re.compile(BEGIN + BODY + r"(<!-- end of benchmark -->)", re.S)


def blocks(text):
    """[(module, arguments, body)] of every benchmark block in `text`."""
    return [(m[2], m[3].strip(), m[4]) for m in BLOCK.finditer(text)]


def run(module, arguments):
    """What `python -m module arguments` prints (stdout), from the checkout."""
    command = [sys.executable, "-m", module, *shlex.split(arguments)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip()


def rewrite(text, only=None, runner=run):
    """`text` with each benchmark block refilled; with `only` (a module, or a
    module and its first arguments), only the blocks whose command starts so."""

    def refill(match):
        command = f"{match[2]} {match[3].strip()}".strip()
        if only and not (command + " ").startswith(only + " "):
            return match[0]
        return match[1] + runner(match[2], match[3].strip()) + "\n" + match[5]

    return BLOCK.sub(refill, text)


def refill_page(page, only=None):
    """Run the page's commands, then re-read it and put their output in:
    a run may take an hour, and edits made to the page meanwhile stay."""
    printed = {}

    def remember(module, arguments):
        printed[module, arguments] = run(module, arguments)
        return printed[module, arguments]

    rewrite(page.read_text(), only, remember)
    if printed:
        page.write_text(rewrite(page.read_text(), only, lambda *key: printed[key]))
    return len(printed)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        help="refill only blocks whose command starts so: 'benchmarks.cells', "
        "'benchmarks.cells --bidirectional'",
    )
    parser.add_argument("--page", type=Path, help="only this page (default: every docs/*.md)")
    args = parser.parse_args(argv)
    for page in [args.page] if args.page else sorted(DOCS.glob("*.md")):
        refilled = refill_page(page, args.only)
        if refilled:
            print(f"{page}: {refilled} block(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
