"""pytest fixtures: a Cloudflare Workflows emulator in a thread of the test process, strict contract validation on.

Teardown fails the test when the emulator recorded a contract violation (of the client's requests or of its own
responses; cloudflare-contract.json) or crashed in a handler; clear ``handle.openapi_violations`` in tests that
send invalid requests on purpose, or pass ``strict=False`` to the factory.
"""

import pytest

from . import api as cloudflare
from ..core.fixtures import managed_emulators


@pytest.fixture
def cloudflare_emulator_factory():
    """``make(scenario=None, **switches)`` -> a started ``CloudflareHandle``; every one is stopped and checked at teardown."""
    yield from managed_emulators(cloudflare.start, "Cloudflare", strict=True)


@pytest.fixture
def cloudflare_emulator(cloudflare_emulator_factory):  # pylint: disable=redefined-outer-name
    """A Cloudflare emulator on 127.0.0.1 with the default scenario (see ``state.default_scenario``)."""
    return cloudflare_emulator_factory()
