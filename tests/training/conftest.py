import pytest

from training.data.text_data import data_dir

# ../shared/data beside the checkout, or $ZOO_DATA_DIR.
SHAKESPEARE = data_dir() / "tinyshakespeare.txt"


@pytest.fixture(scope="session")
def shakespeare():
    if not SHAKESPEARE.is_file():
        pytest.fail(
            f"{SHAKESPEARE} is missing: the tests read the shared data from ../shared/data "
            "beside the checkout, or from $ZOO_DATA_DIR"
        )
    return SHAKESPEARE.read_text(encoding="utf-8")
