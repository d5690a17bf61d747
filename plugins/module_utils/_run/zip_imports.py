# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inside an AnsiballZ payload, compile each module_utils file once instead of twice.

Python's zipimport (3.10 to 3.13 at least) compiles a module's source when the import system asks it for a spec (to
tell the file name) and again when it runs the module. A module process imports this collection's module_utils from
the payload's zip file, so it paid for compiling them twice (about 35 ms of a retry module's start-up). The finder
here answers for this collection's modules in a zip file with a spec that already names the file, and zipimport then
compiles each source once, when it runs it. Outside a zip file (a checkout, an installed collection, the controller)
it answers nothing and the usual finders import as always.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys
import zipimport
from importlib.machinery import ModuleSpec


class ZipSourceFinder:
    """A ``sys.meta_path`` finder for the modules below ``package`` that live in a zip file."""

    def __init__(self, package):
        self.package = package

    def find_spec(self, fullname, path=None, target=None):
        if not path or not fullname.startswith(self.package + "."):
            return None
        name = fullname.rpartition(".")[2]
        for entry in path:
            try:
                importer = zipimport.zipimporter(entry)
                is_package = importer.is_package(fullname)
            except (zipimport.ZipImportError, OSError, TypeError):
                continue  # not in a zip file, or not there: the usual finders take it
            where = "%s/%s" % (entry, name)
            spec = ModuleSpec(fullname, importer, origin=where + ("/__init__.py" if is_package else ".py"),
                              is_package=is_package)
            spec.has_location = True  # __file__, as zipimport's own spec would set it
            if is_package:
                spec.submodule_search_locations = [where]
            return spec
        return None

    def invalidate_caches(self):
        """Nothing is cached here (zipimport keeps the zip file's directory)."""


def install(package):
    """Put a ``ZipSourceFinder`` for ``package`` first on ``sys.meta_path`` when ``package`` itself was imported from a
    zip file, once. Returns whether one is installed."""
    loader = getattr(getattr(sys.modules.get(package), "__spec__", None), "loader", None)
    if not isinstance(loader, zipimport.zipimporter):
        return False
    if not any(isinstance(finder, ZipSourceFinder) and finder.package == package for finder in sys.meta_path):
        sys.meta_path.insert(0, ZipSourceFinder(package))
    return True
