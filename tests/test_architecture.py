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
    probe.write_text("import os\nfrom training.data.copy_task import train\n")
    assert ("training", 2) in set(imported_packages(probe))


def test_dispatcher_imports_other_packages_only_lazily():
    tree = ast.parse((ROOT / DISPATCHER).read_text())
    top_level = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    names = {alias.name.split(".")[0] for n in top_level for alias in n.names}
    names |= {n.module.split(".")[0] for n in top_level if isinstance(n, ast.ImportFrom)}
    assert not names & {"training", "exports", "serving"}


# ---- one task name per family, one registry per stage ---------------------------
PACKAGES = ("zoo", "zoo_runtime", "training", "exports", "serving")
# Each stage's registry: the package holding one module per task (named for
# it, `-` as `_`), and the modules there that are shared bases, not tasks.
REGISTRIES = {
    "training/tasks": set(),
    "exports/graphs": {"base", "checks", "sampling", "encoder_decoder"},
    "serving/tasks": {"encoder_decoder"},
    "tests/serving/cases": set(),  # what the serving tests ask each family
}
# A stage a family has nothing in: Gatys optimisation exports no graph, so
# apps have nothing of it to run.
NOT_IN = {("serving/tasks", "style-transfer"), ("tests/serving/cases", "style-transfer")}
# A name prefix of a shipped model, used to guess its family.
NAME_GUESS = r"""(startswith\(\s*["'](char|sentiment|translate|caption|date|fast-style|style)-)"""


def project_files(packages=PACKAGES):
    return [path for package in packages for path in sorted((ROOT / package).rglob("*.py"))]


def shipped_tasks():
    """The tasks of every package here: shipped, or a specimen (a family
    that ships no pretrained model but is trained, exported and served)."""
    import json

    folders = (ROOT / "zoo" / "pretrained", ROOT / "training" / "specimens")
    cards = [card for folder in folders for card in folder.glob("*/card.json")]
    return {json.loads(card.read_text())["task"] for card in cards}


def registry_modules(folder):
    return {p.stem for p in (ROOT / folder).glob("*.py") if p.stem != "__init__"}


@pytest.mark.parametrize("folder", REGISTRIES)
def test_every_shipped_task_has_its_module_in_every_stage(folder):
    tasks = {t for t in shipped_tasks() if (folder, t) not in NOT_IN}
    assert len(tasks) >= 5
    missing = {t for t in tasks if t.replace("-", "_") not in registry_modules(folder)}
    assert not missing, f"{folder} has no module for {sorted(missing)}"


def test_every_exportable_shipped_task_can_judge_an_int8_export():
    import importlib

    trained = registry_modules("training/tasks") & {t.replace("-", "_") for t in shipped_tasks()}
    graphs = {n: importlib.import_module(f"exports.graphs.{n}").GRAPHS for n in trained}
    exportable = {n for n, g in graphs.items() if isinstance(g, type)}  # not Gatys' optimisation
    assert len(exportable) >= 5
    for name in exportable:
        module = importlib.import_module(f"training.tasks.{name}")
        assert callable(getattr(module, "held_out_judge", None)), name


def test_each_apps_module_runs_the_task_it_is_named_for():
    import importlib

    for name in registry_modules("serving/tasks") - REGISTRIES["serving/tasks"]:
        module = importlib.import_module(f"serving.tasks.{name}")
        assert module.MODEL.task == name.replace("_", "-"), name


def test_the_zoo_model_classes_name_their_tasks():
    import zoo.models

    tasks = {getattr(zoo.models, name).task for name in zoo.models.__all__}
    assert tasks == shipped_tasks()


def name_guesses(files):
    import re

    pattern = re.compile(NAME_GUESS)
    return [
        f"{path.name}:{number}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]


def test_nothing_guesses_a_family_from_a_model_name():
    files = project_files() + sorted((ROOT / "tests").rglob("*.py"))
    files = [path for path in files if path != Path(__file__)]
    assert not name_guesses(files)


def private_imports(files):
    """`from module import _name` across modules: a private name used
    where it was not defined."""
    return [
        f"{path.name}:{node.lineno} imports {alias.name} from {node.module}"
        for path in files
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]


def test_no_private_name_is_imported_across_modules():
    assert not private_imports(project_files())


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(files):
    """{module: modules of the project it imports}, function-level imports
    included; `from package import module` counts as importing the module."""
    known = {module_name(path): path for path in files}
    graph = {}
    for name, path in known.items():
        edges = graph.setdefault(name, set())
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name in known}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                subs = {f"{node.module}.{a.name}" for a in node.names}
                edges |= (subs & set(known)) or ({node.module} & set(known))
        edges.discard(name)
    return graph


def cycles(graph):
    """One module of every import cycle (depth-first search)."""
    found, state = [], {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_no_module_imports_itself_back_through_others():
    assert not cycles(import_graph(project_files()))


def test_the_new_rules_fail_on_a_violation(tmp_path):
    (tmp_path / "exports").mkdir()
    hub, family = tmp_path / "exports" / "hub.py", tmp_path / "exports" / "family.py"
    hub.write_text("def f():\n    from exports.family import Graphs\n")
    family.write_text("from exports.hub import _checked\nok = name.startswith('char-')\n")
    files = [hub, family]
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert cycles(import_graph(files)) == [["exports.family", "exports.hub", "exports.family"]]
    finally:
        ROOT = saved
    assert private_imports(files) == ["family.py:1 imports _checked from exports.hub"]
    assert name_guesses(files) == ["family.py:2"]


# ---- Keras internals -----------------------------------------------------------------
COMPAT = Path("zoo/compat.py")
# Keras' own suites reach their layers as keras.src.layers.*; the plugin that
# swaps in the drop-ins must patch them there.
KERAS_SUITES = Path("tests/keras_suites")


def internals_uses(files):
    return [
        f"{path.name}:{number}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "keras.src" in line and not line.lstrip().startswith("#")
    ]


def test_keras_internals_are_reached_only_through_the_compat_module():
    files = project_files() + sorted((ROOT / "tests").rglob("*.py"))
    files += sorted((ROOT / "benchmarks").rglob("*.py")) + sorted((ROOT / "tools").rglob("*.py"))
    allowed = {COMPAT, Path(__file__).relative_to(ROOT)}
    files = [
        path
        for path in files
        if path.relative_to(ROOT) not in allowed
        and KERAS_SUITES not in path.relative_to(ROOT).parents
    ]
    assert not internals_uses(files)
    assert internals_uses([ROOT / COMPAT])


def test_the_internals_rule_fails_on_a_violation(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import keras\n# keras.src in a comment is fine\nfrom keras.src import ops\n")
    assert internals_uses([probe]) == ["probe.py:3"]


def test_the_compat_module_checks_the_keras_version():
    import warnings

    from zoo import compat

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert compat.check_version("3.15.1")
        with pytest.raises(RuntimeWarning, match="this is Keras 3.17.0"):
            compat.check_version("3.17.0")
