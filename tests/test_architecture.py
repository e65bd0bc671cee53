"""DESIGN.md's dependency rules, read from the import statements:
training -> zoo -> exports -> serving, serving reads files only, and
zoo_runtime, which every stage shares, imports numpy and the standard
library only."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "zoo": {"training", "exports", "serving"},
    "training": {"exports", "serving"},
    "exports": {"training", "serving"},
    "serving": {"zoo", "training", "exports"},
}
RUNTIME = "zoo_runtime"
RUNTIME_MAY_IMPORT = {"numpy", RUNTIME} | set(sys.stdlib_module_names)
# DESIGN.md: the `zoo` command line is the one dispatcher allowed to reach
# across packages (it imports them only when a subcommand runs).
DISPATCHER = Path("zoo/cli.py")


def imported_packages(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0], node.lineno


@pytest.mark.parametrize("package", FORBIDDEN)
def test_package_imports_only_what_design_allows(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"package {package} is missing"
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in files
        if path.relative_to(ROOT) != DISPATCHER
        for name, line in imported_packages(path)
        if name in FORBIDDEN[package]
    ]
    assert not offending, offending


def runtime_offences(files):
    return [
        f"{path.name}:{line} imports {name}"
        for path in files
        for name, line in imported_packages(path)
        if name not in RUNTIME_MAY_IMPORT
    ]


def test_the_runtime_imports_only_numpy_and_the_standard_library():
    files = sorted((ROOT / RUNTIME).rglob("*.py"))
    assert len(files) > 5
    assert not runtime_offences(files)


def test_the_runtime_rule_fails_on_a_violation(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import json\nimport numpy as np\nfrom zoo.words import PAD\nimport keras\n")
    assert runtime_offences([probe]) == ["probe.py:3 imports zoo", "probe.py:4 imports keras"]


def test_rule_checker_sees_imports(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import os\nfrom training.copy_task import train\n")
    assert ("training", 2) in set(imported_packages(probe))


def test_dispatcher_imports_other_packages_only_lazily():
    tree = ast.parse((ROOT / DISPATCHER).read_text())
    top_level = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    names = {alias.name.split(".")[0] for n in top_level for alias in n.names}
    names |= {n.module.split(".")[0] for n in top_level if isinstance(n, ast.ImportFrom)}
    assert not names & {"training", "exports", "serving"}
