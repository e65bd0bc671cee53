"""Every recipe file parses with its task's defaults and names itself."""

import pytest

from training.core.recipe import list_recipes, load_recipe, task_module


@pytest.mark.parametrize("name", list_recipes())
def test_recipe_loads(name):
    recipe = load_recipe(name)
    assert recipe["name"] == name
    assert task_module(recipe["task"]).DEFAULTS["task"] == recipe["task"]


def test_tables_inside_a_section_are_replaced_whole(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text(
        'name = "x"\ntask = "fast-style"\n[loss]\nstyle_layers = {block1_conv1 = 1.0}\n'
    )
    assert load_recipe(path)["loss"]["style_layers"] == {"block1_conv1": 1.0}


def test_unknown_task_is_refused(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text('name = "x"\ntask = "image-captioning"\n')
    with pytest.raises(ValueError, match="unknown task"):
        load_recipe(path)
