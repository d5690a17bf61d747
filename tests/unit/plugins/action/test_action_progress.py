# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bulk modules' action plugin: progress lines from the module's progress file while it runs, only where the
module runs here and writes it (local connection, no async, become or check mode), a temporary file removed
afterwards, and a result with no trace of it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import threading
import time
from unittest.mock import Mock

import pytest

from ansible.plugins.action.normal import ActionModule as NormalAction

from ansible_collections.flowops.ipaas.plugins.action.flow_errors_resolve import ActionModule as ResolveAction
from ansible_collections.flowops.ipaas.plugins.action.flow_errors_retry import ActionModule as RetryAction
from ansible_collections.flowops.ipaas.plugins.plugin_utils import progress
from ansible_collections.flowops.ipaas.plugins.plugin_utils.progress import ProgressWatch, describe, interval_of


class Clock:
    def __init__(self, now=100.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.mark.parametrize("value, seconds", [(None, 5.0), ("", 5.0), (0, 0.0), ("0", 0.0), ("2", 2.0), (0.5, 0.5), (30, 30.0)])
def test_the_interval_comes_from_the_variable(value, seconds):
    assert interval_of(value) == seconds


@pytest.mark.parametrize("value", ["soon", -1, "nan", "inf", True, [5]])
def test_a_wrong_interval_is_one_line_naming_the_variable(value):
    with pytest.raises(ValueError) as raised:
        interval_of(value)
    assert str(raised.value) == ("flowops_progress_interval: %r is not a number of seconds; use 0 (no progress lines) or more, "
                                 "default 5" % (value,))


@pytest.mark.parametrize("record, text", [
    (None, "selecting the errors to retry"),
    ({"phase": "retrying", "done": 1200, "total": 2400, "jobs_running": 3}, "retried 1,200 of 2,400 keys, 3 jobs running"),
    ({"phase": "retrying", "done": 2, "total": 4, "jobs_running": 1}, "retried 2 of 4 keys, 1 job running"),
    ({"phase": "waiting", "done": 3000, "total": 3600, "jobs_running": 0},
     "waiting for the retry jobs: 3,000 of 3,600 keys done, 0 jobs running"),
    ({"phase": "resolving", "done": 10, "total": 1500}, "resolved 10 of 1,500 errors"),
    ({"phase": "listing", "done": 1, "total": "x"}, "listing 1 of ?"),
])
def test_a_record_in_words(record, text):
    assert describe(record, "retry") == text


def write(path, **record):
    path.write_text(json.dumps(dict({"jobs_running": 0}, **record)))


def test_a_line_when_the_file_says_something_new_and_a_heartbeat_when_it_does_not(tmp_path):
    shown, clock, path = [], Clock(), tmp_path / "progress.json"
    watch = ProgressWatch(str(path), "flow_errors_retry [h1]", "retry", 5, shown.append, clock=clock)
    clock.now += 5
    assert watch.tick() == "flow_errors_retry [h1]: selecting the errors to retry (5 s)"
    clock.now += 5
    assert watch.tick() is None
    write(path, phase="retrying", done=1, total=4, jobs_running=1)
    clock.now += 5
    assert watch.tick() == "flow_errors_retry [h1]: retried 1 of 4 keys, 1 job running (15 s)"
    for dummy in range(11):
        clock.now += 5
        assert watch.tick() is None
    clock.now += 5  # twelve intervals unchanged: said again, so a long wait is not silent
    assert watch.tick() == "flow_errors_retry [h1]: retried 1 of 4 keys, 1 job running (75 s)"
    assert len(shown) == 3


def test_a_file_left_by_an_earlier_run_is_not_read(tmp_path):
    path = tmp_path / "progress.json"
    write(path, phase="retrying", done=4, total=4)
    os.utime(str(path), (time.time() - 60, time.time() - 60))
    shown = []
    watch = ProgressWatch(str(path), "x", "resolve", 1, shown.append)
    assert watch.tick().startswith("x: selecting the errors to resolve (")
    write(path, phase="resolving", done=1, total=4)
    assert watch.tick().startswith("x: resolved 1 of 4 errors (")


def test_the_watch_prints_while_the_block_runs_and_stops_with_it(tmp_path):
    shown, path = [], tmp_path / "progress.json"
    write(path, phase="retrying", done=1, total=2)
    with ProgressWatch(str(path), "x", "retry", 0.02, shown.append):
        deadline = time.monotonic() + 5
        while not shown and time.monotonic() < deadline:
            time.sleep(0.01)
    count = len(shown)
    time.sleep(0.1)
    assert count == len(shown) == 1 and shown[0].startswith("x: retried 1 of 2 keys, 0 jobs running (")
    assert not [t for t in threading.enumerate() if t.name == "flowops-progress"]


def test_a_failing_display_never_fails_the_run(tmp_path):
    def broken(line):
        raise OSError("queue closed")
    with ProgressWatch(str(tmp_path / "p.json"), "x", "retry", 0.01, broken) as watch:
        time.sleep(0.1)
    assert not watch._thread.is_alive()


FAST = 0.02  # seconds between two lines in the action plugin's tests


# -- the action plugin ---------------------------------------------------------------------------------------------

def action(cls, args, transport="local", async_val=0, check_mode=False, become=False, action_name="flowops.ipaas.flow_errors_retry"):
    task = Mock(args=dict(args), async_val=async_val, action=action_name)
    connection = Mock(transport=transport)
    play_context = Mock(check_mode=check_mode, become=become)
    templar = Mock(template=lambda value: value)
    return cls(task, connection, play_context, loader=Mock(), templar=templar, shared_loader_obj=None)


@pytest.fixture(name="module")
def fake_module(monkeypatch, tmp_path):
    """The module run ``ansible.builtin.normal`` does, faked: records the args it got, writes progress to the file
    it was given (as the module does) until a line was shown, and returns a result with its invocation."""
    seen = {"args": [], "shown": []}
    monkeypatch.setattr(progress, "_display_line", lambda stderr: lambda line: seen["shown"].append((line, stderr)))

    def run(self, tmp=None, task_vars=None):
        args = dict(self._task.args)
        seen["args"].append(args)
        path = args.get("progress_file")
        if path:
            seen["dir_existed"] = os.path.isdir(os.path.dirname(path))
            with open(path, "w") as stream:
                json.dump({"phase": "retrying", "done": 1, "total": 2, "jobs_running": 1}, stream)
            deadline = time.monotonic() + 5
            while not seen["shown"] and time.monotonic() < deadline:
                time.sleep(0.01)
        return {"changed": True, "invocation": {"module_args": dict({"progress_file": None}, **args)}}

    monkeypatch.setattr(NormalAction, "run", run)
    monkeypatch.setattr(progress.C, "DEFAULT_LOCAL_TMP", str(tmp_path / "local-tmp"))
    (tmp_path / "local-tmp").mkdir()
    return seen


def test_on_the_local_connection_the_module_gets_a_temporary_progress_file_and_lines_are_shown(module, tmp_path):
    plugin = action(RetryAction, {"flow_ids": ["f1"]})
    result = plugin.run(task_vars={"inventory_hostname": "h1", "flowops_progress_interval": FAST})
    path = module["args"][0]["progress_file"]
    assert module["dir_existed"] and os.path.dirname(os.path.dirname(path)) == str(tmp_path / "local-tmp")
    assert module["shown"][0][0].startswith("flow_errors_retry [h1]: retried 1 of 2 keys, 1 job running (")
    assert module["shown"][0][1] is False  # stdout
    # Removed afterwards, the task's args as they were, and the result as without the plugin.
    assert os.listdir(str(tmp_path / "local-tmp")) == []
    assert plugin._task.args == {"flow_ids": ["f1"]}
    assert result == {"changed": True, "invocation": {"module_args": {"flow_ids": ["f1"], "progress_file": None}}}


def test_a_progress_file_the_task_sets_is_read_and_kept(module, tmp_path):
    own = tmp_path / "mine.json"
    plugin = action(ResolveAction, {"progress_file": str(own)}, action_name="flow_errors_resolve")
    result = plugin.run(task_vars={"inventory_hostname": "h1", "flowops_progress_interval": FAST})
    assert module["args"] == [{"progress_file": str(own)}]
    assert module["shown"][0][0].startswith("flow_errors_resolve [h1]: retried 1 of 2 keys")
    assert own.exists() and result["invocation"]["module_args"]["progress_file"] == str(own)


@pytest.mark.parametrize("where", [dict(transport="ssh"), dict(async_val=60), dict(check_mode=True), dict(become=True)],
                         ids=["remote", "async", "check_mode", "become"])
def test_elsewhere_the_module_runs_as_before_without_lines(module, where):
    plugin = action(RetryAction, {"flow_ids": ["f1"]}, **where)
    result = plugin.run(task_vars={"flowops_progress_interval": FAST})
    assert module["args"] == [{"flow_ids": ["f1"]}] and module["shown"] == []
    assert result["invocation"]["module_args"]["progress_file"] is None


def test_interval_0_turns_the_lines_off_and_a_wrong_one_fails_before_the_module_runs(module):
    action(RetryAction, {"flow_ids": ["f1"]}).run(task_vars={"flowops_progress_interval": 0})
    assert module["args"] == [{"flow_ids": ["f1"]}] and module["shown"] == []
    result = action(RetryAction, {"flow_ids": ["f1"]}).run(task_vars={"flowops_progress_interval": "5s"})
    assert result == {"failed": True,
                      "msg": "flowops_progress_interval: '5s' is not a number of seconds; use 0 (no progress lines) or more, default 5"}
    assert len(module["args"]) == 1


def test_under_a_json_stdout_callback_the_lines_go_to_stderr(module, monkeypatch):
    monkeypatch.setattr(progress.C.config, "get_config_value",
                        lambda name, *args, **kwargs: "ansible.posix.json" if name == "DEFAULT_STDOUT_CALLBACK" else None)
    action(RetryAction, {"flow_ids": ["f1"]}).run(task_vars={"flowops_progress_interval": FAST})
    assert module["shown"][0][1] is True


def test_without_room_for_a_temporary_file_the_module_runs_as_before(module, monkeypatch, tmp_path):
    monkeypatch.setattr(progress.C, "DEFAULT_LOCAL_TMP", str(tmp_path / "gone"))
    result = action(RetryAction, {"flow_ids": ["f1"]}).run(task_vars={"flowops_progress_interval": FAST})
    assert module["args"] == [{"flow_ids": ["f1"]}] and module["shown"] == []
    assert result["changed"] is True
