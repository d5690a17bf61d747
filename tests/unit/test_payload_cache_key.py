# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The key of the test runs' module payload cache (tests/callback_plugins/flowops_ansiballz_cache.py): any change to
a module or module_utils source gives a new key, so a payload is never reused for sources it was not built from."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import os

CALLBACK = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "callback_plugins",
                        "flowops_ansiballz_cache.py")


def load_callback():
    spec = importlib.util.spec_from_file_location("flowops_ansiballz_cache", CALLBACK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def collection(root):
    for relative, text in (("plugins/modules/probe.py", "A = 1\n"), ("plugins/module_utils/util.py", "B = 1\n"),
                           ("plugins/module_utils/platforms/one.py", "C = 1\n"), ("README.md", "readme\n")):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_every_source_change_gives_a_new_digest_and_nothing_else_does(tmp_path):
    digest = load_callback().sources_digest
    root = collection(tmp_path / "collection")
    seen = {digest(str(root))}
    assert digest(str(collection(tmp_path / "copy"))) in seen  # the same sources elsewhere: the same digest

    (root / "README.md").write_text("changed\n")
    (root / "plugins" / "module_utils" / "__pycache__").mkdir()
    (root / "plugins" / "module_utils" / "__pycache__" / "util.cpython-311.pyc").write_bytes(b"\0")
    assert digest(str(root)) in seen  # neither docs nor bytecode are in a payload

    for change in (lambda: (root / "plugins" / "module_utils" / "platforms" / "one.py").write_text("C = 2\n"),
                   lambda: (root / "plugins" / "modules" / "probe.py").write_text("A = 2\n"),
                   lambda: (root / "plugins" / "module_utils" / "added.py").write_text(""),
                   lambda: (root / "plugins" / "module_utils" / "util.py").rename(root / "plugins" / "module_utils" / "moved.py")):
        change()
        current = digest(str(root))
        assert current not in seen
        seen.add(current)


def test_only_finished_payloads_of_covered_modules_are_kept():
    is_payload = load_callback().is_payload
    assert is_payload("ansible.modules.stat-ZIP_DEFLATED-none")
    assert is_payload("ansible_collections.flowops.ipaas.plugins.modules.flow_errors_info-ZIP_DEFLATED-none")
    for name in ("ansible.legacy.flowops_cache_probe-ZIP_DEFLATED-none",
                 "ansible_collections.community.general.plugins.modules.x-ZIP_DEFLATED-none",
                 "ansible.modules.stat-ZIP_DEFLATED-none-part", "ansible.modules.stat-ZIP_DEFLATED-none.lock",
                 "ansible.modules.stat-ZIP_DEFLATED-none.123.tmp"):
        assert not is_payload(name), name
