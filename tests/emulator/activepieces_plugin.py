"""pytest fixtures: an Activepieces emulator in a thread of the test process.

Teardown fails the test when the emulator crashed in a handler.
"""

import pytest

from . import activepieces


@pytest.fixture
def activepieces_emulator_factory():
    """``make(scenario=None, **switches)`` -> a started ``ActivepiecesHandle``; every one is stopped and checked at teardown."""
    handles = []

    def make(scenario=None, **switches):
        handle = activepieces.start(scenario, **switches)
        handles.append(handle)
        return handle

    yield make
    problems = []
    for handle in handles:
        problems.extend(handle.problems())
        handle.stop()
    if problems:
        pytest.fail("the Activepieces emulator recorded %d problem(s):\n%s" % (len(problems), "\n".join(problems[:50])),
                    pytrace=False)


@pytest.fixture
def activepieces_emulator(activepieces_emulator_factory):  # pylint: disable=redefined-outer-name
    """An Activepieces emulator on 127.0.0.1 with the default scenario (see ``activepieces_state.default_scenario``)."""
    return activepieces_emulator_factory()
