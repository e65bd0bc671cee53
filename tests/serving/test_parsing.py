"""serving.parsing's process: big bodies go there, small ones stay; a
parser that dies answers RESOURCE_EXHAUSTED and is replaced once, however
many gRPC threads found it broken together."""

import functools
import os
import signal
import threading

import pytest

from serving.errors import ServingError
from serving.parsing import BIG_BODY, Parser

BIG = b"x" * (BIG_BODY + 1)


@pytest.fixture
def parser():
    parser = Parser().start()
    yield parser
    parser.stop()


def test_big_bodies_are_parsed_in_another_process_small_ones_here(parser):
    assert parser.call(os.getpid, 10) == os.getpid()
    assert parser.call(os.getpid, len(BIG)) != os.getpid()


def test_a_dead_parser_is_replaced_once_for_many_threads(parser):
    parser.call(int, len(BIG))  # its process has started
    first = parser._pool
    for pid in list(first._processes):
        os.kill(pid, signal.SIGKILL)
    codes, lock, starts = [], threading.Lock(), []
    start = parser.start
    parser.start = lambda: starts.append(1) or start()

    def parse():
        try:
            parser.call(functools.partial(len, BIG), len(BIG))
            code = "parsed"
        except ServingError as error:
            code = error.code
        with lock:
            codes.append(code)

    threads = [threading.Thread(target=parse) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert codes and set(codes) <= {"RESOURCE_EXHAUSTED", "parsed"}
    assert "RESOURCE_EXHAUSTED" in codes
    assert parser._pool is not first and len(starts) == 1
    assert parser.call(functools.partial(len, BIG), len(BIG)) == len(BIG)
