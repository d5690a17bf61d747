"""pytest fixtures: an Activepieces emulator in a thread of the test process, strict contract validation on.

Teardown fails the test when the emulator recorded a contract violation (of the client's requests or of its own
responses; activepieces-contract.json) or crashed in a handler; clear ``handle.openapi_violations`` in tests that
send invalid requests on purpose, or pass ``strict=False`` to the factory.
"""

import pytest

from . import api as activepieces
from ..core.fixtures import managed_emulators


@pytest.fixture
def activepieces_emulator_factory():
    """``make(scenario=None, **switches)`` -> a started ``ActivepiecesHandle``; every one is stopped and checked at teardown."""
    yield from managed_emulators(activepieces.start, "Activepieces", strict=True)


@pytest.fixture
def activepieces_emulator(activepieces_emulator_factory):  # pylint: disable=redefined-outer-name
    """An Activepieces emulator on 127.0.0.1 with the default scenario (see ``scenario.default_scenario``)."""
    return activepieces_emulator_factory()
