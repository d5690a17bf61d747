"""pytest fixtures: a Cloudflare Workflows emulator in a thread of the test process.

Teardown fails the test when the emulator crashed in a handler (``handle.problems()``).
"""

import pytest

from . import cloudflare
from .pytest_plugin import managed_emulators


@pytest.fixture
def cloudflare_emulator_factory():
    """``make(scenario=None, **switches)`` -> a started ``CloudflareHandle``; every one is stopped and checked at teardown."""
    yield from managed_emulators(cloudflare.start, "Cloudflare")


@pytest.fixture
def cloudflare_emulator(cloudflare_emulator_factory):  # pylint: disable=redefined-outer-name
    """A Cloudflare emulator on 127.0.0.1 with the default scenario (see ``cloudflare_state.default_scenario``)."""
    return cloudflare_emulator_factory()
