"""Fixtures of the fault-injection and security suite (see docs/fault-suite.md).

The emulator fixtures (``celigo_emulator_factory``) come from tests/conftest.py; this file adds a playbook
runner of its own (faults/harness.py) and loopback relays (faults/servers.py).
"""

import pytest

from ansible_collections.flowops.ipaas.tests.faults.harness import Playbook
from ansible_collections.flowops.ipaas.tests.faults.servers import Relay


@pytest.fixture
def playbook(tmp_path):
    """``playbook(api_url, token)`` -> a ``Playbook`` running ansible-playbook in this test's tmp dir."""
    workdir = tmp_path / "play"
    workdir.mkdir()
    return lambda api_url, token: Playbook(workdir, api_url, token)


@pytest.fixture
def relays():
    """``relays(upstream=None, host="127.0.0.1", **options)`` -> a started ``Relay``; all stopped at teardown."""
    started = []

    def make(upstream=None, host="127.0.0.1", **options):
        relay = Relay(upstream, host=host, **options)
        started.append(relay)
        return relay

    yield make
    for relay in started:
        relay.stop()


@pytest.fixture
def home(tmp_path):
    """An empty HOME for runs that must not see the real one (~/.netrc, ~/.flowops)."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture(autouse=True)
def hypothesis_storage(tmp_path_factory):
    """Hypothesis keeps caches under ./.hypothesis even without an example database: keep them out of the tree."""
    configuration = pytest.importorskip("hypothesis.configuration")
    configuration.set_hypothesis_home_dir(tmp_path_factory.getbasetemp() / "hypothesis")
    yield
    configuration.set_hypothesis_home_dir(None)
