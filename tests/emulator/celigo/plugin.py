"""pytest fixtures: a Celigo emulator in a thread of the test process, strict OpenAPI validation on.

Teardown fails the test when the emulator recorded an OpenAPI violation (of the client's requests or
of its own responses) or crashed in a handler; clear ``handle.openapi_violations`` in tests that send
invalid requests on purpose, or pass ``strict=False`` to the factory.
"""

import pytest

from . import api as celigo
from ..core.fixtures import managed_emulators


@pytest.fixture
def celigo_emulator_factory():
    """``make(scenario=None, **switches)`` -> a started ``CeligoHandle``; every one is stopped and checked at teardown."""
    yield from managed_emulators(celigo.start, "Celigo", strict=True)


@pytest.fixture
def celigo_emulator(celigo_emulator_factory):  # pylint: disable=redefined-outer-name
    """A Celigo emulator on 127.0.0.1 with the default scenario (see ``scenario.default_scenario``)."""
    return celigo_emulator_factory()
