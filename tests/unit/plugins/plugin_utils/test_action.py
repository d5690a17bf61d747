# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin every module runs under: the payload built with the garbage collector paused, and the
collector left as it was found, whatever the build does."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gc
import importlib

import pytest

from ansible.plugins.action import ActionBase

from ansible_collections.flowops.ipaas.plugins.plugin_utils.action import FlowopsAction

MODULES = ("flow_instance_info", "flow_errors_info", "flow_errors_retry", "flow_errors_resolve", "flow_connection_replace")


@pytest.fixture
def collector():
    """Restores the collector's state after the test, whatever it did."""
    was_enabled = gc.isenabled()
    yield
    if was_enabled:
        gc.enable()
    else:
        gc.disable()


def _action():
    return FlowopsAction.__new__(FlowopsAction)  # _configure_module uses none of the plugin's state here


def test_the_payload_is_built_with_the_collector_paused_and_resumed_after(collector, monkeypatch):
    seen = []

    def build(self, module_name, module_args, task_vars):
        seen.append((module_name, module_args, task_vars, gc.isenabled()))
        return "payload", "python"

    monkeypatch.setattr(ActionBase, "_configure_module", build)
    gc.enable()
    assert _action()._configure_module("flowops.ipaas.flow_errors_retry", {"a": 1}, task_vars={"v": 2}) == (
        "payload", "python")
    assert seen == [("flowops.ipaas.flow_errors_retry", {"a": 1}, {"v": 2}, False)]
    assert gc.isenabled()


def test_a_failed_build_resumes_the_collector_and_raises_as_it_was(collector, monkeypatch):
    def build(self, module_name, module_args, task_vars):
        raise RuntimeError("module not found")

    monkeypatch.setattr(ActionBase, "_configure_module", build)
    gc.enable()
    with pytest.raises(RuntimeError, match="^module not found$"):
        _action()._configure_module("flowops.ipaas.flow_errors_retry", {}, {})
    assert gc.isenabled()


def test_a_collector_found_paused_stays_paused(collector, monkeypatch):
    monkeypatch.setattr(ActionBase, "_configure_module", lambda self, *args: ("payload", "python"))
    gc.disable()
    _action()._configure_module("flowops.ipaas.flow_errors_info", {}, {})
    assert not gc.isenabled()


@pytest.mark.parametrize("module", MODULES)
def test_every_module_runs_under_the_plugin(module):
    plugin = importlib.import_module("ansible_collections.flowops.ipaas.plugins.action." + module)
    assert issubclass(plugin.ActionModule, FlowopsAction)
