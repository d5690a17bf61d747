# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""run_module: the context and the module's collaborators are built once before run(), FlowOpsError becomes fail_json,
the client is always closed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from unittest.mock import Mock

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._run import runner
from ansible_collections.flowops.ipaas.plugins.module_utils._run.arguments import CONNECTION_SPEC
from ansible_collections.flowops.ipaas.plugins.module_utils._run.context import RunContext, RunSettings
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils._select.selection import SELECTION_SPEC


class Exited(Exception):
    def __init__(self, failed, kwargs):
        super(Exited, self).__init__(kwargs)
        self.failed = failed
        self.kwargs = kwargs


class FakeModule:
    instances = []

    def __init__(self, argument_spec, **kwargs):
        self.argument_spec = argument_spec
        self.kwargs = kwargs
        self.params = {"api_token": "runner-test-token-0123"}
        self.check_mode = False
        FakeModule.instances.append(self)

    def warn(self, message):
        pass

    def fail_json(self, **kwargs):
        raise Exited(True, kwargs)

    def exit_json(self, **kwargs):
        raise Exited(False, kwargs)


class FakeAdapter:
    def __init__(self):
        self.client = self
        self.closed = 0
        self.bound = None
        self.stopped = None

    def bind(self, warn=None, fan_out_all=None):
        self.bound = dict(warn=warn, fan_out_all=fan_out_all)

    def watch(self, stopped):
        self.stopped = stopped

    def close(self):
        self.closed += 1


@pytest.fixture
def patched(monkeypatch):
    adapter = FakeAdapter()
    FakeModule.instances = []
    monkeypatch.setattr(runner, "AnsibleModule", FakeModule)

    def build_adapter(params, warn=None, stopped=None):
        adapter.stopped = stopped  # given at construction, as the real client is
        return adapter

    monkeypatch.setattr(runner, "adapter_from_params", build_adapter)
    return adapter


def test_module_spec_merges():
    spec = runner.module_spec(SELECTION_SPEC, dict(extra=dict(type="str")))
    assert set(spec) == set(CONNECTION_SPEC) | set(SELECTION_SPEC) | {"extra"}
    assert "extra" not in CONNECTION_SPEC


def test_success_exits_with_the_result(patched):
    with pytest.raises(Exited) as info:
        runner.run_module(lambda ctx: dict(changed=False, count=3), {"x": {}})
    assert info.value.failed is False
    assert info.value.kwargs == dict(changed=False, count=3)
    assert patched.closed == 1
    assert FakeModule.instances[0].kwargs == dict(supports_check_mode=True)
    assert FakeModule.instances[0].argument_spec == {"x": {}}


def test_supports_check_mode_can_be_overridden(patched):
    with pytest.raises(Exited):
        runner.run_module(lambda ctx: {}, {}, supports_check_mode=False, mutually_exclusive=[["a", "b"]])
    assert FakeModule.instances[0].kwargs == dict(supports_check_mode=False, mutually_exclusive=[["a", "b"]])


def test_flowops_error_fails_with_its_fields_and_partial_result(patched):
    def run(ctx):
        error = FlowOpsError("Flow not found", status=404, method="GET", path="/v1/flows/f9", code="not_found")
        error.result = dict(changed=True, retried=5, msg="stale")
        raise error

    with pytest.raises(Exited) as info:
        runner.run_module(run, {})
    assert info.value.failed is True
    assert info.value.kwargs == dict(changed=True, retried=5, msg="GET /v1/flows/f9: HTTP 404 [not_found] Flow not found",
                                     status=404, method="GET", path="/v1/flows/f9", code="not_found")
    assert patched.closed == 1


def test_validation_error_before_the_adapter_exists(monkeypatch):
    def refuse(params, warn=None, stopped=None):
        raise ValidationError("api_token: no API token; set api_token or the FLOWOPS_API_TOKEN environment variable")

    monkeypatch.setattr(runner, "AnsibleModule", FakeModule)
    monkeypatch.setattr(runner, "adapter_from_params", refuse)
    with pytest.raises(Exited) as info:
        runner.run_module(lambda ctx: {}, {})
    assert info.value.failed is True
    assert info.value.kwargs == dict(msg="api_token: no API token; set api_token or the FLOWOPS_API_TOKEN environment variable",
                                     option="api_token")


def test_other_exceptions_fail_in_one_scrubbed_line_and_close_the_client(patched):
    def run(ctx):
        raise KeyError("bug near %s" % ctx.params["api_token"])

    with pytest.raises(Exited) as info:
        runner.run_module(run, {})
    assert info.value.failed is True
    assert info.value.kwargs == dict(msg="unexpected error, a bug in flowops.ipaas (please report it with the task): "
                                         "KeyError: 'bug near ********'")
    assert patched.closed == 1


def test_missing_requests_fails_before_anything_else(patched, monkeypatch):
    monkeypatch.setattr(runner, "HAS_REQUESTS", False)
    monkeypatch.setattr(runner, "REQUESTS_IMPORT_ERROR", "Traceback: no requests")
    with pytest.raises(Exited) as info:
        runner.run_module(lambda ctx: {}, {})
    assert info.value.failed is True
    assert "requests" in info.value.kwargs["msg"]
    assert info.value.kwargs["exception"] == "Traceback: no requests"
    assert patched.closed == 0


def test_run_gets_one_context_and_the_adapter_only_callables(patched):
    seen = []
    with pytest.raises(Exited):
        runner.run_module(lambda ctx: seen.append(ctx) or {}, {})
    ctx = seen[0]
    assert ctx.adapter is patched and ctx.params == FakeModule.instances[0].params
    assert ctx not in vars(patched).values() and all(getattr(f, "__self__", None) is not ctx for f in patched.bound.values())
    patched.bound["warn"]("from the adapter")
    assert ctx.warnings == ["from the adapter"]  # the adapter's warnings reach the run without a reference to it
    assert patched.bound["fan_out_all"](lambda item: item * 2, [1, 2]) == [(1, 2), (2, 4)]
    assert patched.stopped() is False and patched.stopped() == ctx.controller_gone()


def test_the_modules_build_makes_its_collaborators_once_before_run(patched):
    calls = []

    def build(settings, adapter):
        calls.append((settings, adapter))
        return dict(selection="the selection", dismissed="the dismissed", gate="the gate")

    def run(ctx, gate):
        calls.append(ctx)
        return dict(changed=False, gate=gate, selection=ctx.selection, dismissed=ctx.dismissed)

    with pytest.raises(Exited) as info:
        runner.run_module(run, {}, build)
    assert info.value.kwargs == dict(changed=False, gate="the gate", selection="the selection", dismissed="the dismissed")
    (settings, adapter), ctx = calls
    assert isinstance(settings, RunSettings) and adapter is patched and settings.run_id == ctx.run_id


def test_a_build_that_refuses_the_options_fails_before_run_and_closes_the_client(patched):
    def build(settings, adapter):
        raise ValidationError("from_backup: /x holds no records; nothing was sent")

    run = Mock()
    with pytest.raises(Exited) as info:
        runner.run_module(run, {}, build)
    assert info.value.kwargs == dict(msg="from_backup: /x holds no records; nothing was sent", option="from_backup")
    run.assert_not_called()
    assert patched.closed == 1


def test_build_context_gives_run_doubles_of_its_collaborators():
    module = FakeModule({})
    adapter = FakeAdapter()
    gate = Mock(spec=["check", "active"])
    ctx, collaborators = runner.build_context(module, adapter, lambda settings, adapter: dict(gate=gate))
    assert isinstance(ctx, RunContext) and collaborators == {"gate": gate} and ctx.selection is None
