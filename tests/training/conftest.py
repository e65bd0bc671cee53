from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
SHAKESPEARE = SHARED / "tinyshakespeare.txt"


@pytest.fixture(scope="session")
def shakespeare():
    if not SHAKESPEARE.is_file():
        pytest.fail(f"{SHAKESPEARE} is missing: the tests read the shared data from there")
    return SHAKESPEARE.read_text(encoding="utf-8")
