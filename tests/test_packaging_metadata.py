"""pyproject.toml metadata that setuptools would otherwise warn about on
every install (PEP 639: `project.license` is an SPDX expression string)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_license_is_an_spdx_string_with_its_file():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = pyproject["project"]
    assert isinstance(project["license"], str), "use an SPDX string, not a table"
    assert all((ROOT / f).is_file() for f in project["license-files"])
    assert "Apache License" in (ROOT / "LICENSE").read_text()
    # setuptools reads SPDX strings from 77 on; older ones would reject them.
    assert any(
        r.replace(" ", "").startswith("setuptools>=77")
        for r in pyproject["build-system"]["requires"]
    )
