"""pytest fixtures: a Cloudflare Workflows emulator in a thread of the test process.

Teardown fails the test when the emulator crashed in a handler (``handle.problems()``).
"""

import pytest

from . import cloudflare


@pytest.fixture
def cloudflare_emulator_factory():
    """``make(scenario=None, **switches)`` -> a started ``CloudflareHandle``; every one is stopped and checked at teardown."""
    handles = []

    def make(scenario=None, **switches):
        handle = cloudflare.start(scenario, **switches)
        handles.append(handle)
        return handle

    yield make
    problems = []
    for handle in handles:
        problems.extend(handle.problems())
        handle.stop()
    if problems:
        pytest.fail("the Cloudflare emulator recorded %d problem(s):\n%s" % (len(problems), "\n".join(problems[:50])),
                    pytrace=False)


@pytest.fixture
def cloudflare_emulator(cloudflare_emulator_factory):  # pylint: disable=redefined-outer-name
    """A Cloudflare emulator on 127.0.0.1 with the default scenario (see ``cloudflare_state.default_scenario``)."""
    return cloudflare_emulator_factory()
