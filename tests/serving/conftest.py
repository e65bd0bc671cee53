import pytest

# What most server tests need: a text model, a generator and an image model.
# A server over these three loads in a second or two; over every export, ten.
THREE = ("date-normalizer", "char-rnn-shakespeare", "fast-style-wave")


@pytest.fixture(scope="session")
def three_models(exported_models, tmp_path_factory):
    """A base path holding three of the exported models (links)."""
    base = tmp_path_factory.mktemp("three")
    for name in THREE:
        (base / name).symlink_to(exported_models[1][name].parent, target_is_directory=True)
    return base
