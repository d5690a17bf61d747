"""Integration harness: real ``ansible-playbook`` runs against the emulator over HTTP."""

import pytest

from playbook_env import Playbook, collections_dir


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
