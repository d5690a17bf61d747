# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""zip_imports: inside a zip file (an AnsiballZ payload) each module of the package is compiled once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import builtins
import collections
import glob
import importlib
import os
import sys
import zipfile

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._run import zip_imports
from ansible_collections.flowops.ipaas.plugins.module_utils._run.zip_imports import ZipSourceFinder, install

PACKAGE = "flowops_zip_demo"
FILES = {
    PACKAGE + "/__init__.py": "",
    PACKAGE + "/sub/__init__.py": "KIND = 'package'\n",
    PACKAGE + "/sub/leaf.py": "from flowops_zip_demo import other\nVALUE = other.BASE + 1\n",
    PACKAGE + "/other.py": "BASE = 41\n",
}


@pytest.fixture
def payload(tmp_path, monkeypatch):
    """A zip file holding a small package, first on sys.path; every trace of it is gone afterwards."""
    path = str(tmp_path / "payload.zip")
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in FILES.items():
            archive.writestr(name, text)
    monkeypatch.setattr(sys, "path", [path] + sys.path)
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    yield path
    for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    importlib.invalidate_caches()


@pytest.fixture
def compiles(monkeypatch):
    """How often each file name was compiled (zipimport compiles with the builtin)."""
    counts = collections.Counter()
    real = builtins.compile

    def counting(source, filename, *args, **kwargs):
        counts[os.path.basename(os.path.dirname(str(filename))) + "/" + os.path.basename(str(filename))] += 1
        return real(source, filename, *args, **kwargs)

    monkeypatch.setattr(builtins, "compile", counting)
    return counts


def test_each_module_of_a_zipped_package_is_compiled_once(payload, compiles):
    importlib.import_module(PACKAGE)
    assert install(PACKAGE) is True
    leaf = importlib.import_module(PACKAGE + ".sub.leaf")
    assert leaf.VALUE == 42
    assert sys.modules[PACKAGE + ".sub"].KIND == "package"
    assert compiles["sub/leaf.py"] == 1
    assert compiles["sub/__init__.py"] == 1
    assert compiles[PACKAGE + "/other.py"] == 1


def test_modules_found_by_the_finder_have_their_file_and_package_path(payload):
    importlib.import_module(PACKAGE)
    install(PACKAGE)
    leaf = importlib.import_module(PACKAGE + ".sub.leaf")
    sub = sys.modules[PACKAGE + ".sub"]
    assert leaf.__file__ == payload + "/" + PACKAGE + "/sub/leaf.py"
    assert sub.__file__ == payload + "/" + PACKAGE + "/sub/__init__.py"
    assert list(sub.__path__) == [payload + "/" + PACKAGE + "/sub"]
    assert isinstance(leaf.__loader__, zip_imports.zipimport.zipimporter)


def test_installed_once_however_often_asked(payload):
    importlib.import_module(PACKAGE)
    install(PACKAGE)
    install(PACKAGE)
    assert sum(1 for finder in sys.meta_path if isinstance(finder, ZipSourceFinder) and finder.package == PACKAGE) == 1


def test_a_module_missing_from_the_zip_is_still_an_import_error(payload):
    importlib.import_module(PACKAGE)
    install(PACKAGE)
    with pytest.raises(ImportError):
        importlib.import_module(PACKAGE + ".sub.missing")


def test_not_installed_for_a_package_outside_a_zip_file(monkeypatch):
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    before = list(sys.meta_path)
    assert install("ansible_collections.flowops.ipaas.plugins.module_utils") is False  # imported from the checkout
    assert install("a_package_never_imported") is False
    assert sys.meta_path == before


def test_the_finder_answers_only_for_its_package_in_a_zip_file(payload, tmp_path):
    finder = ZipSourceFinder(PACKAGE)
    assert finder.find_spec("json", None) is None
    assert finder.find_spec(PACKAGE + "x.other", [payload + "/" + PACKAGE + "x"]) is None
    assert finder.find_spec(PACKAGE + ".other", [str(tmp_path)]) is None  # a directory, not a zip file
    spec = finder.find_spec(PACKAGE + ".other", [payload + "/" + PACKAGE])
    assert spec.origin == payload + "/" + PACKAGE + "/other.py"
    assert spec.submodule_search_locations is None


def _first_module_utils_import(path):
    tree = ast.parse(open(path, "rb").read())
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ansible_collections.flowops.ipaas.plugins"):
            return node.module
    return None


PLUGINS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "plugins")
MODULE_FILES = sorted(path for path in glob.glob(os.path.join(PLUGINS, "modules", "*.py"))
                      if os.path.basename(path) != "__init__.py")


def test_there_are_modules_to_check():
    assert len(MODULE_FILES) == 5


@pytest.mark.parametrize("path", MODULE_FILES, ids=os.path.basename)
def test_every_module_imports_run_first(path):
    """Importing _run installs the finder: a module_utils file imported before it would still be compiled twice."""
    assert _first_module_utils_import(path).startswith("ansible_collections.flowops.ipaas.plugins.module_utils._run")
