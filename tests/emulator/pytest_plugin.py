"""pytest fixtures: a Celigo emulator in a thread of the test process, strict OpenAPI validation on.

Teardown fails the test when the emulator recorded an OpenAPI violation (of the client's requests or
of its own responses) or crashed in a handler; clear ``handle.openapi_violations`` in tests that send
invalid requests on purpose, or pass ``strict=False`` to the factory.
"""

import pytest

from . import celigo


def managed_emulators(start, label, **defaults):
    """Generator body of an emulator factory fixture: yields ``make(scenario=None, **switches)``; at teardown
    stops every emulator it made and fails the test on any recorded violation or handler crash."""
    handles = []

    def make(scenario=None, **switches):
        for name, value in defaults.items():
            switches.setdefault(name, value)
        handle = start(scenario, **switches)
        handles.append(handle)
        return handle

    yield make
    problems = []
    for handle in handles:
        problems.extend(handle.problems())
        handle.stop()
    if problems:
        pytest.fail("the %s emulator recorded %d problem(s):\n%s" % (label, len(problems), "\n".join(problems[:50])),
                    pytrace=False)


@pytest.fixture
def celigo_emulator_factory():
    """``make(scenario=None, **switches)`` -> a started ``CeligoHandle``; every one is stopped and checked at teardown."""
    yield from managed_emulators(celigo.start, "Celigo", strict=True)


@pytest.fixture
def celigo_emulator(celigo_emulator_factory):  # pylint: disable=redefined-outer-name
    """A Celigo emulator on 127.0.0.1 with the default scenario (see ``scenario.default_scenario``)."""
    return celigo_emulator_factory()
