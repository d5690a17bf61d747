"""pytest fixtures: a Celigo emulator in a thread of the test process, strict OpenAPI validation on.

Teardown fails the test when the emulator recorded an OpenAPI violation (of the client's requests or
of its own responses) or crashed in a handler; clear ``handle.openapi_violations`` in tests that send
invalid requests on purpose, or pass ``strict=False`` to the factory.
"""

import pytest

from . import celigo


@pytest.fixture
def celigo_emulator_factory():
    """``make(scenario=None, **switches)`` -> a started ``CeligoHandle``; every one is stopped and checked at teardown."""
    handles = []

    def make(scenario=None, **switches):
        switches.setdefault("strict", True)
        handle = celigo.start(scenario, **switches)
        handles.append(handle)
        return handle

    yield make
    problems = []
    for handle in handles:
        problems.extend(handle.problems())
        handle.stop()
    if problems:
        pytest.fail("the Celigo emulator recorded %d problem(s):\n%s" % (len(problems), "\n".join(problems[:50])),
                    pytrace=False)


@pytest.fixture
def celigo_emulator(celigo_emulator_factory):  # pylint: disable=redefined-outer-name
    """A Celigo emulator on 127.0.0.1 with the default scenario (see ``scenario.default_scenario``)."""
    return celigo_emulator_factory()
