"""pytest fixtures: a SuperAI emulator in a thread of the test process, strict contract validation on.

Teardown fails the test when the emulator recorded a contract violation (of the client's requests or of its own
responses, against superai-contract.json) or crashed in a handler; call ``handle.clear_violations()`` in tests
that send invalid requests on purpose, or pass ``strict=False`` to the factory.
"""

import pytest

from . import api as superai
from ..core.fixtures import managed_emulators


@pytest.fixture
def superai_emulator_factory():
    """``make(scenario=None, **switches)`` -> a started ``SuperAIHandle``; every one is stopped and checked at teardown."""
    yield from managed_emulators(superai.start, "SuperAI", strict=True)


@pytest.fixture
def superai_emulator(superai_emulator_factory):  # pylint: disable=redefined-outer-name
    """A SuperAI emulator on 127.0.0.1 with the default scenario (see ``state.default_scenario``)."""
    return superai_emulator_factory()
