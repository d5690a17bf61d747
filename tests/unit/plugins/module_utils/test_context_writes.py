# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A context built once (issue 26): read from the code itself, nothing assigns to a run context's attributes or
rewrites the run's options, and only the runner builds a ``RunContext``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
CHECKED = ("plugins/module_utils", "plugins/modules", "plugins/inventory", "extensions/eda/plugins")
CONTEXT_NAMES = ("ctx",)  # what the code calls a run context: ``ctx`` or ``<something>.ctx``
MUTATORS = ("update", "pop", "popitem", "setdefault", "clear", "__setitem__", "__delitem__")
BUILDERS = ("plugins/module_utils/_run/runner.py",)  # the one place a RunContext is made


def _is_context(node):
    return (isinstance(node, ast.Name) and node.id in CONTEXT_NAMES) or \
        (isinstance(node, ast.Attribute) and node.attr in CONTEXT_NAMES)


def _options_names(function):
    """Local names bound to the run's options (``params = ctx.params``, ``params, adapter = settings.params, ...``)."""
    names = set()
    for node in ast.walk(function):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            pairs = [(target, node.value)]
            if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                pairs = list(zip(target.elts, node.value.elts))
            for name, value in pairs:
                if isinstance(name, ast.Name) and isinstance(value, ast.Attribute) and value.attr == "params":
                    names.add(name.id)
    return names


def _is_options(node, local_names):
    return (isinstance(node, ast.Attribute) and node.attr == "params") or \
        (isinstance(node, ast.Name) and node.id in local_names)


def _targets(node):
    if isinstance(node, ast.Assign):
        found = list(node.targets)
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        found = [node.target]
    elif isinstance(node, ast.Delete):
        found = list(node.targets)
    else:
        return []
    flat = []
    while found:
        target = found.pop()
        if isinstance(target, (ast.Tuple, ast.List)):
            found.extend(target.elts)
        else:
            flat.append(target)
    return flat


def writes(source, where):
    """Every place ``source`` assigns to (or deletes) a run context's attribute, or writes into the run's options."""
    found = []
    tree = ast.parse(source)
    scopes = [tree] + [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for scope in scopes:
        local_names = _options_names(scope)
        body = scope.body if scope is tree else [scope]
        for statement in body:
            for node in ast.walk(statement):
                for target in _targets(node):
                    if isinstance(target, ast.Attribute) and _is_context(target.value):
                        found.append("%s:%d: assigns ctx.%s" % (where, node.lineno, target.attr))
                    elif isinstance(target, ast.Subscript) and _is_options(target.value, local_names):
                        found.append("%s:%d: writes into the run's options" % (where, node.lineno))
                if isinstance(node, ast.Call):
                    func = node.func
                    if isinstance(func, ast.Name) and func.id in ("setattr", "delattr") and node.args \
                            and _is_context(node.args[0]):
                        found.append("%s:%d: %s on the context" % (where, node.lineno, func.id))
                    elif isinstance(func, ast.Attribute) and func.attr in MUTATORS and _is_options(func.value, local_names):
                        found.append("%s:%d: %s on the run's options" % (where, node.lineno, func.attr))
    return sorted(set(found))


def contexts_made(source, where):
    tree = ast.parse(source)
    return ["%s:%d" % (where, node.lineno) for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "RunContext"]


def checked_files():
    for top in CHECKED:
        for root, dummy, files in os.walk(os.path.join(ROOT, top)):
            for name in sorted(files):
                if name.endswith(".py"):
                    path = os.path.join(root, name)
                    yield os.path.relpath(path, ROOT).replace(os.sep, "/"), path


def test_the_checked_trees_hold_the_code():
    relatives = [relative for relative, dummy in checked_files()]
    assert "plugins/module_utils/_run/context.py" in relatives and "plugins/modules/flow_errors_retry.py" in relatives


def test_no_code_assigns_to_the_context_or_rewrites_the_options():
    found = []
    for relative, path in checked_files():
        with open(path) as stream:
            found.extend(writes(stream.read(), relative))
    assert not found, "\n".join(found)


def test_only_the_runner_builds_a_run_context():
    found = []
    for relative, path in checked_files():
        if relative not in BUILDERS:
            with open(path) as stream:
                found.extend(contexts_made(stream.read(), relative))
    assert not found, "\n".join(found)


@pytest.mark.parametrize("source, expected", [
    ("def run(ctx):\n    ctx.selection = 1\n", "x.py:2: assigns ctx.selection"),
    ("def run(ctx):\n    ctx.ledger = ledger = make()\n", "x.py:2: assigns ctx.ledger"),
    ("def run(self):\n    self.ctx.replay, b = 1, 2\n", "x.py:2: assigns ctx.replay"),
    ("def run(ctx):\n    ctx.params['flow_ids'] = []\n", "x.py:2: writes into the run's options"),
    ("def run(ctx):\n    params = ctx.params\n    params['flow_ids'] = []\n", "x.py:3: writes into the run's options"),
    ("def run(ctx):\n    params, a = ctx.params, ctx.adapter\n    params['n'] += 1\n", "x.py:3: writes into the run's options"),
    ("def run(ctx):\n    del ctx.params['flow_ids']\n", "x.py:2: writes into the run's options"),
    ("def run(settings):\n    settings.params.update(flow_ids=[])\n", "x.py:2: update on the run's options"),
    ("def run(ctx):\n    setattr(ctx, 'dismissed', None)\n", "x.py:2: setattr on the context"),
])
def test_a_write_to_the_context_or_the_options_is_caught(source, expected):
    assert writes(source, "x.py") == [expected]


@pytest.mark.parametrize("source", [
    "def run(ctx):\n    ctx = ctx.with_ledger(ledger)\n    result['x'] = 1\n",
    "def page(path):\n    params = {}\n    params['cursor'] = 'c'\n",  # a request's query, not the run's options
    "def run(ctx):\n    options = dict(ctx.params, flow_ids=[])\n",
    "def build(self, params):\n    self.params = dict(params)\n",
])
def test_reading_the_context_or_copying_the_options_is_allowed(source):
    assert writes(source, "x.py") == []


def test_a_run_context_made_outside_the_runner_is_caught():
    assert contexts_made("ctx = context.RunContext(settings, adapter, hooks)\n", "x.py") == ["x.py:1"]


# Below a module, features get typed option objects or plain values: only the runner's package reads the options.
OPTIONS_READERS = ("plugins/module_utils/_run/",)


def options_reads(source, where):
    """Every ``<...>ctx.params`` in ``source``: code that reads the run's options through a context."""
    return ["%s:%d" % (where, node.lineno) for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Attribute) and node.attr == "params" and _is_context(node.value)]


def test_nothing_below_a_module_reads_the_options_through_the_context():
    found = []
    for relative, path in checked_files():
        if relative.startswith("plugins/module_utils/") and not relative.startswith(OPTIONS_READERS):
            with open(path) as stream:
                found.extend(options_reads(stream.read(), relative))
    assert not found, "\n".join(found)


def test_a_read_of_the_options_through_the_context_is_caught():
    assert options_reads("def send(self):\n    n = self.ctx.params.get('max_retries')\n", "x.py") == ["x.py:2"]
    assert options_reads("def send(ctx, rounds):\n    n = rounds\n", "x.py") == []
