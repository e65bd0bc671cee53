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


def chosen(module, arguments, only=None):
    """Whether `only` (a module, or a module and its first arguments; None:
    every block) picks the block of `python -m module arguments`."""
    command = f"{module} {arguments}".strip()
    return not only or (command + " ").startswith(only + " ")


def rewrite(text, only=None, runner=run):
    """`text` with each block that `only` picks (see `chosen`) refilled."""

    def refill(match):
        module, arguments = match[2], match[3].strip()
        if not chosen(module, arguments, only):
            return match[0]
        return match[1] + runner(module, arguments) + "\n" + match[5]

    return BLOCK.sub(refill, text)


def refill_page(page, only=None):
    """Run the page's chosen commands (each once), then re-read the page and
    put their output in: a run may take an hour, and edits made meanwhile stay."""
    commands = [(m, a) for m, a, _ in blocks(page.read_text()) if chosen(m, a, only)]
    printed = {command: run(*command) for command in dict.fromkeys(commands)}
    if printed:
        page.write_text(rewrite(page.read_text(), only, lambda *command: printed[command]))
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
