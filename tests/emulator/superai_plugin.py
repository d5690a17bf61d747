"""pytest fixtures: a SuperAI emulator in a thread of the test process.

Teardown fails the test when the emulator crashed in a handler (there is no OpenAPI document to validate
SuperAI traffic against; the handlers answer invalid requests with 422 themselves).
"""

import pytest

from . import superai


@pytest.fixture
def superai_emulator_factory():
    """``make(scenario=None, **switches)`` -> a started ``SuperAIHandle``; every one is stopped and checked at teardown."""
    handles = []

    def make(scenario=None, **switches):
        handle = superai.start(scenario, **switches)
        handles.append(handle)
        return handle

    yield make
    problems = []
    for handle in handles:
        problems.extend(handle.problems())
        handle.stop()
    if problems:
        pytest.fail("the SuperAI emulator recorded %d problem(s):\n%s" % (len(problems), "\n".join(problems[:50])),
                    pytrace=False)


@pytest.fixture
def superai_emulator(superai_emulator_factory):  # pylint: disable=redefined-outer-name
    """A SuperAI emulator on 127.0.0.1 with the default scenario (see ``superai_state.default_scenario``)."""
    return superai_emulator_factory()
