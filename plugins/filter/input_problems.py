# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: input_problems
short_description: What is wrong with a role's or playbook's variables, before any request
version_added: 1.1.0
description:
  - Checks variables with the rules the modules use (times, classifications, connection options), so a role can stop
    before its first API call with one line per problem that names the variable its user set, not a module option.
  - >-
    Each check is a mapping with C(check), C(variable) and C(value). C(check) is V(time) (ISO 8601, V(now) or a
    relative age such as V(6h)), V(window) (C(variable) and C(value) are two-item lists, since then until; each a
    time, the first earlier), V(classifications) (each item a known classification), V(minimum) (a number at least
    C(minimum)), V(one_of) (C(variable) and C(value) are lists: at least one value set), V(connection) (a mapping of
    the modules' connection options: known names, platform, region, api_url) or V(names) (C(value) is the list of
    variable names set, for example from the C(ansible.builtin.varnames) lookup; a name with C(prefix) that is not
    known but close to a known one is a misspelling. The known names are C(known) and, with C(role_path), the role's
    argument spec, defaults and vars and the names its tasks register, set, publish or use as task vars; C(of) names
    the role or playbook in the message).
  - Returns the problems, one line each, in the order of the checks; an empty list when all is well.
options:
  _input:
    description: The checks.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the variables before any request
  ansible.builtin.fail:
    msg: "{{ problems | join('; ') }}"
  vars:
    problems: >-
      {{ [{'check': 'time', 'variable': 'incident_recovery_since', 'value': incident_recovery_since},
          {'check': 'names', 'value': lookup('ansible.builtin.varnames', '^incident_recovery_', wantlist=True),
           'role_path': role_path}] | flowops.ipaas.input_problems }}
  when: problems | length > 0
"""

RETURN = r"""
_value:
  description: One line per problem, each starting with the variable it concerns.
  type: list
  elements: str
"""

import difflib
import os

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.flowops.ipaas.plugins.module_utils._run.arguments import (
    check_api_url, not_connection_options, platform_class, region_of,
)
from ansible_collections.flowops.ipaas.plugins.module_utils._select.selection import choice_problem, parse_time
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, check_range, without_option
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.classification import CLASSIFICATIONS

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML comes with ansible-core
    yaml = None

# How close (difflib ratio, on the part after the shared prefix) an unknown name must be to a known one to count as
# its misspelling: 'sinse' for 'since', 'abstract_flow_id' for 'abstract_flow_ids', 'wiat' for 'wait'.
MISSPELT_CUTOFF = 0.75


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _renamed(error, name):
    """The message of ``error`` with its leading ``option:`` (the module's name for it) replaced by ``name``."""
    return "%s: %s" % (name, without_option(to_text(error.message)))


def _time(check):
    if _blank(check["value"]):
        return []
    try:
        parse_time(to_text(check["value"]), check["variable"])
    except FlowOpsError as exc:
        return [to_text(exc.message)]
    return []


def _window(check):
    names, values = check["variable"], check["value"]
    problems = [problem for name, value in zip(names, values)
                for problem in _time({"variable": name, "value": value})]
    if problems or any(_blank(value) for value in values):
        return problems
    since, until = (parse_time(to_text(value), name) for name, value in zip(names, values))
    if since >= until:
        return ["%s: '%s' must be earlier than %s ('%s')" % (names[0], values[0], names[1], values[1])]
    return []


def _classifications(check):
    values = check["value"]
    values = [values] if isinstance(values, str) else list(values or [])
    problem = choice_problem(check["variable"], [to_text(value) for value in values], check.get("choices") or CLASSIFICATIONS,
                             "classification")
    return [problem] if problem else []


def _minimum(check):
    try:
        check_range(check["variable"], check["value"], check["minimum"])
    except FlowOpsError as exc:
        return [to_text(exc.message)]
    except TypeError:
        return ["%s: '%s' is not a number; use a number of at least %s" % (check["variable"], check["value"], check["minimum"])]
    return []


def _one_of(check):
    names, values = check["variable"], check["value"]
    if any(not _blank(value) and value != [] for value in values):
        return []
    return ["%s: nothing selected; set %s" % (names[0], " or ".join(names))]


def _connection(check):
    """The connection mapping a role hands to every module: names the modules know, then platform, region, api_url."""
    name, value = check["variable"], check["value"]
    if _blank(value) or value == {}:
        return []
    if not isinstance(value, dict):
        return ["%s: must be a mapping of connection options (platform, api_url, region, api_token, ...)" % name]
    unknown = not_connection_options(value, prefix=name + ".")
    if unknown:
        return unknown
    params = dict(value)
    try:
        adapter_class = platform_class(params)
        region_of(adapter_class, params)
        check_api_url(params, lambda message: None)
    except FlowOpsError as exc:
        return [_renamed(exc, "%s.%s" % (name, exc.option))]
    return []


def role_variables(role_path):
    """``(options, internal)``: the names a role's user sets (its argument spec's options and defaults), and the names
    the role sets itself (its vars, and what its tasks register, set or publish with set_stats: those stay set when
    the role runs again in the same play, and an AWX workflow hands set_stats to the next job as extra vars)."""
    options, internal = set(), set()
    if yaml is None or not role_path:
        return options, internal

    def load(*parts):
        path = os.path.join(role_path, *parts)
        if not os.path.isfile(path):
            return None
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)

    specs = (load("meta", "argument_specs.yml") or {}).get("argument_specs") or {}
    for entry in specs.values():
        options.update((entry or {}).get("options") or {})
    options.update(load("defaults", "main.yml") or {})
    internal.update(load("vars", "main.yml") or {})
    tasks = os.path.join(role_path, "tasks")
    for file_name in sorted(os.listdir(tasks)) if os.path.isdir(tasks) else ():
        if file_name.endswith((".yml", ".yaml")):
            internal.update(_set_by(load("tasks", file_name) or []))
    return options, internal


def _set_by(tasks):
    """Names a task list registers, sets with set_fact or loops with, blocks included."""
    names = set()
    for task in tasks if isinstance(tasks, list) else ():
        if not isinstance(task, dict):
            continue
        if isinstance(task.get("register"), str):
            names.add(task["register"])
        for key in ("ansible.builtin.set_fact", "set_fact"):
            if isinstance(task.get(key), dict):
                names.update(task[key])
        for key in ("ansible.builtin.set_stats", "set_stats"):
            if isinstance(task.get(key), dict) and isinstance(task[key].get("data"), dict):
                names.update(task[key]["data"])
        loop_var = (task.get("loop_control") or {}).get("loop_var") if isinstance(task.get("loop_control"), dict) else None
        if loop_var:
            names.add(loop_var)
        if isinstance(task.get("vars"), dict):
            names.update(task["vars"])
        for key in ("block", "rescue", "always"):
            names.update(_set_by(task.get(key)))
    return names


def _names(check):
    """Set names that look like a known one but are not: a misspelt variable is otherwise silently ignored."""
    options, internal = role_variables(check.get("role_path"))
    settable = options | set(check.get("known") or [])
    known = settable | internal
    prefix = check.get("prefix") or os.path.commonprefix(sorted(settable))
    suffixes = dict((name[len(prefix):], name) for name in settable if name.startswith(prefix))
    problems = []
    for name in sorted(set(check["value"] or [])):
        if name in known or not name.startswith(prefix):
            continue
        close = difflib.get_close_matches(name[len(prefix):], sorted(suffixes), n=1, cutoff=MISSPELT_CUTOFF)
        if close:
            problems.append("%s: not a variable of %s (did you mean '%s'?)" % (name, check.get("of") or "this role", suffixes[close[0]]))
    return problems


CHECKS = {"time": _time, "window": _window, "classifications": _classifications, "minimum": _minimum,
          "one_of": _one_of, "connection": _connection, "names": _names}


def input_problems(checks):
    """One line per problem of ``checks`` (see DOCUMENTATION)."""
    if not isinstance(checks, list):
        raise AnsibleFilterError("input_problems: expects a list of checks, got %s" % type(checks).__name__)
    problems = []
    for check in checks:
        kind = check.get("check") if isinstance(check, dict) else None
        if kind not in CHECKS:
            raise AnsibleFilterError("input_problems: unknown check %r; use one of %s" % (kind, ", ".join(sorted(CHECKS))))
        problems.extend(CHECKS[kind](check))
    return problems


class FilterModule(object):
    def filters(self):
        return {"input_problems": input_problems}
