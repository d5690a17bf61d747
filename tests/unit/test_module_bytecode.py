# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The test runs' bytecode cache for module processes (tests/module_bytecode/sitecustomize.py): a module imported from
a zip, as AnsiballZ ships it, runs the same code with and without the cache, a changed source is never served old code,
and tracebacks name the zip the process ran."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys
import zipfile

SITE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "module_bytecode")
PROBE = """
VALUE = %d


def fail():
    raise ValueError("probe")
"""
RUN = """
import sys, traceback
sys.path.insert(0, sys.argv[1])
import flowops_bytecode_probe as probe
try:
    probe.fail()
except ValueError:
    print(probe.VALUE, traceback.extract_tb(sys.exc_info()[2])[-1].filename)
"""


def payload(path, value):
    with zipfile.ZipFile(str(path), "w") as archive:
        archive.writestr("flowops_bytecode_probe.py", PROBE % value)
    return str(path)


def run(archive, cache):
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": SITE}
    if cache:
        env["FLOWOPS_TEST_BYTECODE_CACHE"] = cache
    result = subprocess.run([sys.executable, "-c", RUN, archive], env=env, capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    value, filename = result.stdout.split()
    return int(value), filename


def test_a_zip_import_is_compiled_once_and_runs_the_same_code(tmp_path):
    cache = str(tmp_path / "cache")
    first = payload(tmp_path / "first.zip", 1)
    assert run(first, None) == (1, os.path.join(first, "flowops_bytecode_probe.py"))
    assert not os.path.exists(cache)
    assert run(first, cache) == (1, os.path.join(first, "flowops_bytecode_probe.py"))
    (entry,) = os.listdir(cache)
    stored = os.stat(os.path.join(cache, entry))
    # Another run's zip with the same source: the cached code, with the traceback naming this run's zip; the entry is
    # read, not written again (a rewrite is a new file: os.replace).
    second = payload(tmp_path / "second.zip", 1)
    assert run(second, cache) == (1, os.path.join(second, "flowops_bytecode_probe.py"))
    assert os.listdir(cache) == [entry]
    again = os.stat(os.path.join(cache, entry))
    assert (again.st_ino, again.st_mtime_ns) == (stored.st_ino, stored.st_mtime_ns)


def test_a_changed_source_is_compiled_again(tmp_path):
    cache = str(tmp_path / "cache")
    assert run(payload(tmp_path / "old.zip", 1), cache)[0] == 1
    assert run(payload(tmp_path / "new.zip", 2), cache)[0] == 2
    assert len(os.listdir(cache)) == 2


def test_an_unreadable_cache_entry_falls_back_to_compiling(tmp_path):
    cache = tmp_path / "cache"
    archive = payload(tmp_path / "probe.zip", 3)
    run(archive, str(cache))
    for entry in cache.iterdir():
        entry.write_bytes(b"not marshal data")
    assert run(archive, str(cache))[0] == 3
