# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module documents every return value with a `sample` or `contains`, and samples match their type.

RETURN is read from the module source (no import), so a module that does not import still gets checked.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import glob
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = sorted(glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")))
PYTHON_TYPES = {"str": str, "int": int, "bool": bool, "float": (int, float), "list": list, "dict": dict}


def module_return(path):
    """The RETURN block of a module file, parsed."""
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", None) == "RETURN" for target in node.targets):
            return yaml.safe_load(ast.literal_eval(node.value))
    raise AssertionError("%s has no RETURN block" % path)


def return_values(path):
    return sorted(module_return(path).items())


def test_modules_found():
    assert len(MODULES) >= 5


@pytest.mark.parametrize("path", MODULES, ids=os.path.basename)
def test_every_return_value_has_a_sample_or_contains(path):
    returns = module_return(path)
    assert isinstance(returns, dict) and returns, "RETURN of %s is empty" % path
    undocumented = [name for name, spec in sorted(returns.items()) if "sample" not in spec and "contains" not in spec]
    assert not undocumented, "%s: no sample or contains for %s" % (os.path.basename(path), ", ".join(undocumented))


@pytest.mark.parametrize("path", MODULES, ids=os.path.basename)
def test_every_return_value_says_what_when_and_which_type(path):
    incomplete = [name for name, spec in return_values(path)
                  if not spec.get("description") or not spec.get("returned") or spec.get("type") not in PYTHON_TYPES]
    assert incomplete == []


@pytest.mark.parametrize("path", MODULES, ids=os.path.basename)
def test_samples_match_their_type(path):
    wrong = []
    for name, spec in return_values(path):
        if "sample" not in spec:
            continue
        sample, expected = spec["sample"], PYTHON_TYPES[spec["type"]]
        if not isinstance(sample, expected) or (spec["type"] == "int" and isinstance(sample, bool)):
            wrong.append(name)
        elif spec["type"] == "list" and spec.get("elements") in PYTHON_TYPES:
            wrong.extend(name for item in sample if not isinstance(item, PYTHON_TYPES[spec["elements"]]))
    assert wrong == []
