"""pytest fixtures: an Activepieces emulator in a thread of the test process.

Teardown fails the test when the emulator crashed in a handler.
"""

import pytest

from . import activepieces
from .pytest_plugin import managed_emulators


@pytest.fixture
def activepieces_emulator_factory():
    """``make(scenario=None, **switches)`` -> a started ``ActivepiecesHandle``; every one is stopped and checked at teardown."""
    yield from managed_emulators(activepieces.start, "Activepieces")


@pytest.fixture
def activepieces_emulator(activepieces_emulator_factory):  # pylint: disable=redefined-outer-name
    """An Activepieces emulator on 127.0.0.1 with the default scenario (see ``activepieces_state.default_scenario``)."""
    return activepieces_emulator_factory()
