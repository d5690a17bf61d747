"""Loads the emulator fixtures. Every test helper is imported through the collection's namespace
(``ansible_collections.flowops.ipaas.tests...``), the way ``ansible-test units`` imports the tests: see
"How a test imports helpers" in docs/testing.md.

Under ``ansible-test units`` the collection loader makes the namespace importable; under plain ``pytest`` from a
checkout, ``.build/collections`` (a symlink to this checkout, as scripts/bootstrap.sh makes it) is put on
``sys.path`` when PYTHONPATH does not already have it.
"""

import importlib
import os
import sys

import pytest

COLLECTION = "ansible_collections.flowops.ipaas"
# Helper modules that exist only under the collection's name; imported bare they would be second copies.
HELPERS = ("emulator", "playbook_env", "fake_platform", "faults.harness", "faults.servers", "awx_job")


def _ensure_collection_importable():
    try:
        importlib.import_module(COLLECTION)
        return
    except ImportError:
        pass
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    base = os.path.join(root, ".build", "collections")
    link = os.path.join(base, "ansible_collections", "flowops", "ipaas")
    if not os.path.lexists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(os.path.join("..", "..", "..", ".."), link, target_is_directory=True)
    sys.path.insert(0, base)
    for name in [n for n in sys.modules if n == "ansible_collections" or n.startswith("ansible_collections.")]:
        del sys.modules[name]
    importlib.invalidate_caches()
    importlib.import_module(COLLECTION)


_ensure_collection_importable()

pytest_plugins = ["%s.tests.emulator.%s.plugin" % (COLLECTION, name) for name in ("celigo", "activepieces", "superai", "cloudflare")]


def pytest_runtest_setup(item):  # pylint: disable=unused-argument
    """A helper imported by its bare name works by accident under pytest (tests/ lands on sys.path) and fails under
    ansible-test units; it also makes a second copy of shared state (the emulator watchers). Fail every test then
    (a check in each test's setup, so it also reports under pytest-xdist)."""
    bare = [name for name in HELPERS if name in sys.modules]
    if bare:
        pytest.fail("test helpers imported as top-level modules: %s; import them as %s.tests.<path> "
                    "(docs/testing.md, 'How a test imports helpers')" % (", ".join(bare), COLLECTION), pytrace=False)
