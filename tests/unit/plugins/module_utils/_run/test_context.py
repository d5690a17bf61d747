# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RunContext: built once per module run and never changed afterwards; settings read once from the options, warnings
reach the module once, fan-out width from max_concurrency, the stop check from the controller."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._run.context import RunContext, RunHooks, RunSettings
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import ControllerGone, FlowOpsError
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.base import PlatformAdapter


class Module:
    def __init__(self, check_mode=False, **params):
        self.params = params
        self.check_mode = check_mode
        self._diff = True
        self.tmpdir = "/tmp/module-tmp"
        self.warned = []

    def warn(self, message):
        self.warned.append(message)


class FakeController:
    controller_pid = 4242

    def __init__(self):
        self.is_gone = False

    def gone(self):
        return self.is_gone


def context(module=None, controller=None, **kwargs):
    module = module or Module()
    hooks = RunHooks(module.warn, module.params.get("max_concurrency"), module.params.get("progress_file"), controller)
    return RunContext(RunSettings(module), PlatformAdapter(client=None), hooks, **kwargs)


def test_settings_are_read_once_from_the_validated_options():
    module = Module(check_mode=True, max_concurrency=3, run_id="r1")
    ctx = context(module)
    assert (ctx.concurrency, ctx.run_id, ctx.diff, ctx.check_mode, ctx.tmpdir) == (3, "r1", True, True, "/tmp/module-tmp")
    assert ctx.params["run_id"] == "r1" and ctx.selection is None and ctx.dismissed is None and ctx.ledger is None


def test_the_options_are_a_read_only_view():
    module = Module(flow_ids=["f1"])
    ctx = context(module)
    with pytest.raises(TypeError):
        ctx.params["flow_ids"] = ["f2"]
    assert module.params["flow_ids"] == ["f1"] and ctx.params["flow_ids"] == ["f1"]


@pytest.mark.parametrize("name", ["selection", "ledger", "dismissed", "adapter", "params", "replay", "anything_new"])
def test_the_context_refuses_new_or_changed_attributes(name):
    ctx = context()
    before = getattr(ctx, name, None)
    with pytest.raises(AttributeError, match="^RunContext is built once: '%s' cannot be set or added afterwards" % name):
        setattr(ctx, name, object())
    assert getattr(ctx, name, None) is before
    with pytest.raises(AttributeError, match="built once"):
        delattr(ctx, "adapter")
    assert not hasattr(ctx, "__dict__")  # nothing to add attributes to behind the guard


def test_settings_and_hooks_are_built_once_too():
    module = Module()
    settings, hooks = RunSettings(module), RunHooks(module.warn)
    with pytest.raises(AttributeError, match="RunSettings is built once"):
        settings.run_id = "other"
    with pytest.raises(AttributeError, match="RunHooks is built once"):
        hooks.concurrency = 64


def test_with_ledger_is_a_new_context_sharing_the_rest():
    ctx = context(selection="the selection")
    ledger = object()
    work = ctx.with_ledger(ledger)
    assert work is not ctx and work.ledger is ledger and ctx.ledger is None
    assert (work.selection, work.run_id, work.adapter) == (ctx.selection, ctx.run_id, ctx.adapter)
    assert work.warnings is ctx.warnings and work.progress_file is ctx.progress_file  # one sink, one progress throttle
    with pytest.raises(AttributeError):
        work.ledger = None


def test_a_run_id_is_made_when_none_is_given():
    first, second = context(), context()
    assert len(first.run_id) == 32 and first.run_id != second.run_id


@pytest.mark.parametrize("run_id", ["r1", "2026-01-01T00.00_Z", "a" * 64, "..x", "-"])
def test_a_plain_run_id_is_kept(run_id):
    assert RunSettings(Module(run_id=run_id)).run_id == run_id


@pytest.mark.parametrize("run_id", ["/../../tmp/pwn", "../x", "a/b", ".", "..", "", "a" * 65, "r 1", "r\n1", "é"])
def test_a_run_id_that_is_not_a_plain_name_is_refused_in_one_line(run_id):
    with pytest.raises(FlowOpsError) as info:
        RunSettings(Module(run_id=run_id))
    message = str(info.value)
    assert message.startswith("run_id: %r " % run_id) and "\n" not in message
    assert message.endswith("use 1 to 64 letters, digits, '.', '_' or '-'; nothing was sent")


def test_warnings_reach_the_module_once_and_are_kept_for_the_result():
    module = Module()
    ctx = context(module)
    ctx.warn("abstract flow a has no flows")
    ctx.warn("abstract flow a has no flows")
    ctx.warn("another")
    assert module.warned == ctx.warnings == ["abstract flow a has no flows", "another"]


def test_fan_out_is_bounded_by_the_run_concurrency():
    ctx = context(Module(max_concurrency=2))
    running, peak, lock = [0], [0], threading.Lock()
    gate = threading.Event()

    def work(item):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        gate.wait(0.05)
        with lock:
            running[0] -= 1
        return item * 2

    assert ctx.fan_out_all(work, range(6)) == [(i, i * 2) for i in range(6)]
    assert peak[0] == 2


def test_stop_if_controller_gone_says_what_was_done():
    controller = FakeController()
    ctx = context(controller=controller)
    ctx.stop_if_controller_gone("nothing")
    assert ctx.controller_gone() is False
    controller.is_gone = True
    assert ctx.controller_gone() is True
    with pytest.raises(ControllerGone) as info:
        ctx.stop_if_controller_gone("4 keys were retried")
    assert str(info.value) == ("the controller (pid 4242) is gone, killed or cancelled: stopped before sending more; "
                               "4 keys were retried")


def test_the_stop_check_also_watches_the_polling_play(tmp_path):
    progress = tmp_path / "progress.json"
    hooks = RunHooks(lambda message: None, progress_path=str(progress), controller=FakeController())
    assert hooks.stopped() is False  # never polled: the play is not watched yet
    hooks.poller.clock = lambda: hooks.poller.started + 3600  # an hour after the last poll
    (tmp_path / "progress.json.poll").write_text("")
    assert hooks.poller.gone() is True and hooks.stopped() is True


def test_hooks_warn_and_fan_out_without_a_context():
    heard = []
    hooks = RunHooks(heard.append, concurrency=0)
    hooks.warn("once")
    hooks.warn("once")
    assert heard == ["once"] and hooks.concurrency == 1
    assert [(item, result) for item, result, dummy in hooks.fan_out(lambda i: -i, [1, 2])] == [(1, -1), (2, -2)]
