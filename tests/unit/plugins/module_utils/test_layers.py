# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The layers of module_utils (docs/architecture.md): dependencies point one way, read from the imports."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os

import pytest

PLUGINS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins")
PACKAGE = "ansible_collections.flowops.ipaas.plugins.module_utils"

# A file may import from a layer below its own, never from its own rank's other packages or above.
RANKS = {
    "errors": 0,
    "_http": 1,
    "platforms": 2, "_output": 2,
    "_run": 3, "_select": 3, "_bulk": 3,
    "modules": 4,
}
TOP_LEVEL_FILES_AT_MOST = 6


def layer_of(relative_path):
    """The layer of a file under plugins/: ``modules``, or the module_utils package (or top-level file) it is in."""
    parts = relative_path.replace(os.sep, "/").split("/")
    if parts[0] == "modules":
        return "modules"
    inner = parts[1:]
    return inner[0] if len(inner) > 1 else inner[0][:-len(".py")]


def imported_layers(source):
    """The module_utils layers ``source`` imports from, with the line of each import."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + ["%s.%s" % (node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            if name.startswith(PACKAGE + "."):
                found.append((name[len(PACKAGE) + 1:].split(".")[0], node.lineno))
                break
    return found


def violations(layer, source, where):
    """Imports of ``source`` (a file of ``layer``) that point sideways or up."""
    wrong = []
    for target, line in imported_layers(source):
        if target != layer and RANKS[target] >= RANKS[layer]:
            wrong.append("%s:%d: %s (rank %d) imports %s (rank %d)"
                         % (where, line, layer, RANKS[layer], target, RANKS[target]))
    return wrong


def plugin_files():
    for directory in ("module_utils", "modules"):
        for root, dummy, files in os.walk(os.path.join(PLUGINS, directory)):
            for name in sorted(files):
                if name.endswith(".py"):
                    path = os.path.join(root, name)
                    yield os.path.relpath(path, PLUGINS), path


def test_every_plugin_file_is_in_a_known_layer():
    unknown = sorted(set(layer_of(relative) for relative, dummy in plugin_files()) - set(RANKS))
    assert not unknown, "files outside the layers of docs/architecture.md: %s" % unknown


def test_dependencies_point_one_way():
    wrong = []
    for relative, path in plugin_files():
        with open(path) as stream:
            wrong.extend(violations(layer_of(relative), stream.read(), relative))
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("layer, imported", [
    ("_http", "platforms.base"), ("errors", "_http.client"), ("platforms", "_run.arguments"),
    ("_bulk", "_run.context"), ("_select", "_bulk.ledger"), ("_output", "_select.selection"),
])
def test_an_import_pointing_up_or_sideways_is_caught(layer, imported):
    source = "from %s.%s import something\n" % (PACKAGE, imported)
    assert violations(layer, source, "x.py") == ["x.py:1: %s (rank %d) imports %s (rank %d)" % (
        layer, RANKS[layer], imported.split(".")[0], RANKS[imported.split(".")[0]])]


def test_an_import_pointing_down_is_allowed():
    assert violations("_bulk", "from %s._http.client import Client\nfrom %s import errors\n" % (PACKAGE, PACKAGE), "x.py") == []


def test_module_utils_keeps_few_files_at_its_top():
    top = sorted(name for name in os.listdir(os.path.join(PLUGINS, "module_utils")) if name.endswith(".py"))
    assert len(top) <= TOP_LEVEL_FILES_AT_MOST, top
