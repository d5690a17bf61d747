# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: keeps the module payloads ansible-playbook builds from one test run to the next.

ansible-playbook builds a module's payload (AnsiballZ: the module and every module_utils file it imports, found by
parsing them) once per run and keeps it in a folder of its own temporary directory, which goes when the run ends:
0.2 to 0.3 s of CPU per module per run, about a quarter of what an incident_recovery role run costs. This callback
fills that folder from FLOWOPS_TEST_ANSIBALLZ_CACHE when the run starts and adds what the run built when it ends.

The store has one folder per key: ansible-core's version and location, the Python version, and the path and content
of every module and module_utils file of flowops.ipaas as this run imports it; a changed source gets a new key and is
built anew. Only the payloads of ansible-core's own modules and of flowops.ipaas's are kept (a module from anywhere
else is not covered by the key). Nothing here changes what a payload holds; the product never uses this callback.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: flowops_ansiballz_cache
type: aggregate
short_description: Reuse module payloads between ansible-playbook runs (flowops.ipaas tests only)
description:
  - Links the payloads saved under E(FLOWOPS_TEST_ANSIBALLZ_CACHE) into the run's own payload cache at the start,
    and saves the payloads the run built there at the end.
requirements:
  - the FLOWOPS_TEST_ANSIBALLZ_CACHE environment variable set to the store's folder
"""

import hashlib
import importlib.util
import os
import sys
import time

import ansible
from ansible import constants as C
from ansible.plugins.callback import CallbackBase

# The folder of ansible-playbook's own payload cache, inside its per-run temporary directory (module_common).
RUN_CACHE = "ansiballz_cache"
CACHED = ("ansible.modules.", "ansible_collections.flowops.ipaas.")
STALE_SECONDS = 24 * 3600


def collection_root():
    """The folder flowops.ipaas is imported from in this run, or None."""
    try:
        spec = importlib.util.find_spec("ansible_collections.flowops.ipaas")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.realpath(list(spec.submodule_search_locations)[0])


def sources_digest(root):
    """SHA-256 over the path and content of every .py file under ``root``'s plugins/modules and plugins/module_utils."""
    digest = hashlib.sha256()
    for sub in ("plugins/modules", "plugins/module_utils"):
        for folder, dummy, files in sorted(os.walk(os.path.join(root, sub))):
            for name in sorted(files):
                if name.endswith(".py"):
                    with open(os.path.join(folder, name), "rb") as stream:
                        content = stream.read()
                    relative = os.path.relpath(os.path.join(folder, name), root)
                    digest.update(relative.encode("utf-8") + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()


def store_key():
    """The store folder's name for this run, or None when flowops.ipaas cannot be found."""
    root = collection_root()
    if root is None:
        return None
    digest = hashlib.sha256()
    for part in (ansible.__version__, os.path.realpath(os.path.dirname(ansible.__file__)), sys.version, root, sources_digest(root)):
        digest.update(part.encode("utf-8") + b"\0")
    return "ansible-core-%s-%s" % (ansible.__version__, digest.hexdigest()[:24])


def is_payload(name):
    return name.startswith(CACHED) and not name.endswith(("-part", ".lock", ".tmp"))


def link_or_copy(source, target):
    """Put ``source`` at ``target`` whole or not at all: a hard link, else a copy renamed into place."""
    temp = "%s.%d.tmp" % (target, os.getpid())
    try:
        try:
            os.link(source, temp)
        except OSError:
            with open(source, "rb") as reader, open(temp, "wb") as writer:
                writer.write(reader.read())
        os.replace(temp, target)
    except OSError:
        try:
            os.unlink(temp)
        except OSError:
            pass


def prune(store, keep):
    """Remove the store folders other than ``keep`` that no run has used for a day (run when a new key appears: a
    source changed)."""
    now = time.time()
    for name in os.listdir(store):
        path = os.path.join(store, name)
        try:
            stale = name != keep and now - os.stat(path).st_mtime > STALE_SECONDS
            if stale:
                for entry in os.listdir(path):
                    os.unlink(os.path.join(path, entry))
                os.rmdir(path)
        except OSError:
            pass


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "flowops_ansiballz_cache"
    CALLBACK_NEEDS_ENABLED = True
    store = run_cache = None
    new_key = False  # the store had no folder for this run's key: older keys may be stale

    def v2_playbook_on_start(self, playbook):
        store = os.environ.get("FLOWOPS_TEST_ANSIBALLZ_CACHE")
        key = store_key() if store else None
        if key is None:
            return
        self.store = os.path.join(store, key)
        self.run_cache = os.path.join(C.DEFAULT_LOCAL_TMP, RUN_CACHE)
        self.new_key = not os.path.isdir(self.store)
        try:
            os.makedirs(self.run_cache, exist_ok=True)
            names = os.listdir(self.store)
            os.utime(self.store)  # in use: not stale
        except OSError:
            return
        for name in names:
            if is_payload(name):
                link_or_copy(os.path.join(self.store, name), os.path.join(self.run_cache, name))

    def v2_playbook_on_stats(self, stats):
        if self.store is None:
            return
        try:
            os.makedirs(self.store, exist_ok=True)
            names = os.listdir(self.run_cache)
            saved = set(os.listdir(self.store))
        except OSError:
            return
        for name in names:
            if is_payload(name) and name not in saved:
                link_or_copy(os.path.join(self.run_cache, name), os.path.join(self.store, name))
        if self.new_key:
            prune(os.path.dirname(self.store), os.path.basename(self.store))
