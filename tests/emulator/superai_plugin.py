"""pytest fixtures: a SuperAI emulator in a thread of the test process.

Teardown fails the test when the emulator crashed in a handler (there is no OpenAPI document to validate
SuperAI traffic against; the handlers answer invalid requests with 422 themselves).
"""

import pytest

from . import superai
from .pytest_plugin import managed_emulators


@pytest.fixture
def superai_emulator_factory():
    """``make(scenario=None, **switches)`` -> a started ``SuperAIHandle``; every one is stopped and checked at teardown."""
    yield from managed_emulators(superai.start, "SuperAI")


@pytest.fixture
def superai_emulator(superai_emulator_factory):  # pylint: disable=redefined-outer-name
    """A SuperAI emulator on 127.0.0.1 with the default scenario (see ``superai_state.default_scenario``)."""
    return superai_emulator_factory()
