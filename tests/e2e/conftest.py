"""Integration harness: real ``ansible-playbook`` runs against the emulator over HTTP."""

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.core.fixtures import WATCHERS
from ansible_collections.flowops.ipaas.tests.playbook_env import Playbook, collections_dir


def pytest_configure(config):
    config.addinivalue_line("markers", "rejected_writes: the test provokes writes the platform refuses on purpose")


@pytest.fixture(autouse=True)
def every_write_is_accepted(request):
    """Every write an adapter sends in a normal run gets a 2xx: any other answer an emulator gives a write of its own
    accord fails the test (injected faults and 429s do not count), unless the test is marked ``rejected_writes``."""
    handles = []
    WATCHERS.append(handles)
    yield
    WATCHERS.remove(handles)
    if request.node.get_closest_marker("rejected_writes"):
        return
    rejected = [entry for handle in handles for entry in handle.rejected_writes()]
    assert not rejected, "writes the emulator refused: %s" % rejected[:5]


class PlaybookRunner(Playbook):
    """A ``Playbook`` against one emulator handle (its URL and token)."""

    def __init__(self, emulator, workdir):
        super().__init__(workdir, emulator.url, emulator.token)
        self.emulator = emulator


@pytest.fixture
def collections_path():
    """The collections dir that makes flowops.ipaas importable for ansible-playbook."""
    return collections_dir()


@pytest.fixture
def playbook_for(tmp_path):
    """``playbook_for(emulator).run(tasks, ...)`` runs ansible-playbook against that emulator."""
    return lambda emulator: PlaybookRunner(emulator, tmp_path)
