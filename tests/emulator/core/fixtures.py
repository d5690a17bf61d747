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


def platform_fixtures(name, start, label, **defaults):
    """The two fixtures of one platform's emulator, strict contract validation on by default:
    ``<name>_emulator_factory`` (``make(scenario=None, **switches)`` -> a started handle; each is stopped and checked
    at teardown) and ``<name>_emulator`` (one with the platform's default scenario)."""
    defaults.setdefault("strict", True)

    @pytest.fixture(name=name + "_emulator_factory")
    def factory():
        yield from managed_emulators(start, label, **defaults)

    @pytest.fixture(name=name + "_emulator")
    def default(request):
        return request.getfixturevalue(name + "_emulator_factory")()

    return factory, default
