# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The built tarball ships what users need (galaxy.yml build_ignore) and nothing local to a checkout.

The collection is copied to a temporary folder, local clutter is planted in the copy (a venv, caches, build
output, benchmark results, an old tarball), and `ansible-galaxy collection build` runs on it. Needs galaxy.yml,
so it runs from a checkout; on an installed collection (no galaxy.yml) it is skipped.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys
import tarfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Too big or too private to copy; clutter is planted in their place instead.
NOT_COPIED = (".git", ".venv", ".build", ".ansible", ".ci", "tests/output", "benchmarks/results")

# Files every tarball must have, and folders whose every file must ship (as found in the checkout).
REQUIRED_FILES = (
    "LICENSE", "README.md", "requirements.txt", "execution-environment.yml", "meta/runtime.yml",
    "meta/execution-environment.yml", "changelogs/changelog.yaml", "changelogs/config.yaml",
    "tests/conftest.py",
)
REQUIRED_TREES = ("plugins", "roles", "playbooks", "docs", "meta", "requirements", "tests", "extensions")
# Under tests/, only what ansible-test runs (units and what they import) ships; these suites run from a clone.
CLONE_ONLY_TREES = ("tests/e2e", "tests/faults", "tests/output")

CLUTTER = (
    ".venv/bin/python",
    ".build/release/flowops-ipaas-0.9.0.tar.gz",
    ".ci/run",
    ".ansible/collections/marker",
    ".pytest_cache/v/cache/lastfailed",
    "tests/unit/.pytest_cache/v/cache/nodeids",
    ".hypothesis/examples/abc",
    "plugins/modules/__pycache__/flow_errors_retry.cpython-311.pyc",
    "plugins/module_utils/stale.pyc",
    "tests/output/junit/python3.11-units.xml",
    "benchmarks/results/latest.json",
    "flowops-ipaas-0.0.1.tar.gz",
    "context/_build/collections/flowops-ipaas-0.0.1.tar.gz",
    "changelogs/.plugin-cache.yaml",
)
# No path in the tarball may start with one of these, or contain one of the components.
FORBIDDEN_PREFIXES = (".venv", ".build", ".ci", ".ansible", ".git", "tests/output", "tests/e2e", "tests/faults",
                      "benchmarks", "scripts", "context", "Makefile")
FORBIDDEN_COMPONENTS = ("__pycache__", ".pytest_cache", ".hypothesis")
FORBIDDEN_SUFFIXES = (".tar.gz", ".pyc", ".pyo")


def is_cache(path):
    parts = path.split("/")
    return any(part in FORBIDDEN_COMPONENTS for part in parts) or path.endswith(FORBIDDEN_SUFFIXES)


def checkout_files(tree):
    """Relative paths of the files under tree in the checkout, caches left out."""
    found = []
    for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, tree)):
        dirnames[:] = [name for name in dirnames if name not in FORBIDDEN_COMPONENTS]
        for name in filenames:
            path = os.path.relpath(os.path.join(dirpath, name), ROOT).replace(os.sep, "/")
            if not is_cache(path) and not path.startswith(CLONE_ONLY_TREES):
                found.append(path)
    return found


def copy_ignore(directory, names):
    rel = os.path.relpath(directory, ROOT).replace(os.sep, "/")
    rel = "" if rel == "." else rel + "/"
    return [name for name in names if rel + name in NOT_COPIED or name == "__pycache__"]


@pytest.fixture(scope="module")
def tarball_names(tmp_path_factory):
    if not os.path.isfile(os.path.join(ROOT, "galaxy.yml")):
        pytest.skip("no galaxy.yml: this is an installed collection, not a checkout")
    # ansible-test units runs each test in a forked process, so a module fixture's value dies with its test: the
    # names are kept in the session's temp folder, and the tarball is built once per worker rather than per test.
    saved = tmp_path_factory.getbasetemp() / "tarball-names.json"
    if saved.is_file():
        return set(json.loads(saved.read_text()))
    names = build_tarball_names(tmp_path_factory.mktemp("build"))
    partial = saved.with_name("%s.%d" % (saved.name, os.getpid()))
    partial.write_text(json.dumps(sorted(names)))
    partial.replace(saved)
    return names


def build_tarball_names(work):
    """The file names in a tarball built from a copy of the checkout with local clutter planted in it."""
    source = str(work / "ipaas")
    shutil.copytree(ROOT, source, ignore=copy_ignore)
    for path in CLUTTER:
        target = os.path.join(source, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as handle:
            handle.write("local clutter\n")
    output = str(work / "out")
    result = subprocess.run([sys.executable, "-m", "ansible.cli.galaxy", "collection", "build", "--output-path", output,
                             source], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    built = os.listdir(output)
    assert len(built) == 1 and built[0].endswith(".tar.gz"), built
    with tarfile.open(os.path.join(output, built[0])) as tar:
        return set(member.name for member in tar.getmembers() if member.isfile())


def test_tarball_has_the_files_users_need(tarball_names):
    required = REQUIRED_FILES + (("CHANGELOG.rst",) if os.path.isfile(os.path.join(ROOT, "CHANGELOG.rst")) else ())
    missing = [path for path in required if path not in tarball_names]
    assert missing == []


@pytest.mark.parametrize("tree", REQUIRED_TREES)
def test_tarball_has_every_file_of(tree, tarball_names):
    expected = checkout_files(tree)
    assert expected, "nothing found under %s in the checkout" % tree
    missing = sorted(set(expected) - tarball_names)
    assert missing == []


def test_tarball_has_the_unit_tests_and_what_they_import(tarball_names):
    assert any(name.startswith("tests/unit/plugins/modules/test_") for name in tarball_names)
    assert any(name.startswith("tests/emulator/celigo/") for name in tarball_names)
    assert "tests/unit/test_build_contents.py" in tarball_names


def test_tarball_has_the_event_driven_ansible_content(tarball_names):
    # Where ansible-rulebook looks for a collection's sources and rulebooks (extensions/eda/...), and the playbook
    # the rulebook runs by its collection name (playbooks/).
    assert {"extensions/eda/plugins/event_source/flow_errors.py", "extensions/eda/rulebooks/incident_recovery.yml",
            "extensions/eda/rulebooks/incident_recovery_controller.yml", "playbooks/recover_on_settled.yml",
            "meta/extensions.yml", "plugins/module_utils/_select/error_watch.py"} <= tarball_names


def test_tarball_leaves_out_local_and_development_files(tarball_names):
    unwanted = sorted(name for name in tarball_names if name.startswith(FORBIDDEN_PREFIXES) or is_cache(name))
    assert unwanted == []
    assert "changelogs/.plugin-cache.yaml" not in tarball_names


def test_tarball_has_the_collection_metadata(tarball_names):
    assert {"MANIFEST.json", "FILES.json"} <= tarball_names
    assert "galaxy.yml" not in tarball_names
