"""The body every emulator's pytest factory fixture shares."""

import pytest

# Lists that want every emulator a factory starts (a test-wide check registers one for the test's duration).
WATCHERS = []


def managed_emulators(start, label, **defaults):
    """Generator body of an emulator factory fixture: yields ``make(scenario=None, **switches)``; at teardown
    stops every emulator it made and fails the test on any recorded violation or handler crash."""
    handles = []

    def make(scenario=None, **switches):
        for name, value in defaults.items():
            switches.setdefault(name, value)
        handle = start(scenario, **switches)
        handles.append(handle)
        for watcher in WATCHERS:
            watcher.append(handle)
        return handle

    yield make
    problems = []
    for handle in handles:
        problems.extend(handle.problems())
        handle.stop()
    if problems:
        pytest.fail("the %s emulator recorded %d problem(s):\n%s" % (label, len(problems), "\n".join(problems[:50])),
                    pytrace=False)
