"""The examples in the public constructors' docstrings run and give what
they show (doctest), so the documentation cannot drift from the code."""

import doctest
import importlib

import pytest

MODULES = [
    "zoo.models.char_lm",
    "zoo.models.seq2seq",
    "zoo.models.text_classifier",
    "zoo.models.captioner",
    "zoo.models.fast_style",
    "zoo.models.style_transfer",
    "zoo.layers.lstm",
    "zoo.layers.gru",
    "zoo.layers.simple_rnn",
    "zoo.layers.attention",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert attempted > 0 or name.endswith("style_transfer"), f"{name} shows no example"
    assert failed == 0, f"{failed} docstring example(s) of {name} failed (see the output above)"


def test_a_wrong_example_fails():
    def wrong():
        """
        >>> 1 + 1
        3
        """

    runner = doctest.DocTestRunner(verbose=False)
    for test in doctest.DocTestFinder().find(wrong, "wrong", globs={}):
        runner.run(test, out=lambda _: None)
    assert runner.failures == 1
