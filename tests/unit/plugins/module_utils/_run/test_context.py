# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RunContext: one per module run; warnings reach the module once; fan-out width from max_concurrency."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

from ansible_collections.flowops.ipaas.plugins.module_utils._run.context import RunContext
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.base import PlatformAdapter


class Module:
    def __init__(self, **params):
        self.params = params
        self.check_mode = False
        self._diff = True
        self.warned = []

    def warn(self, message):
        self.warned.append(message)


def test_context_binds_the_adapter_and_reads_the_run_settings():
    adapter = PlatformAdapter(client=None)
    ctx = RunContext(Module(max_concurrency=3, run_id="r1"), adapter)
    assert adapter.ctx is ctx
    assert (ctx.concurrency, ctx.run_id, ctx.diff, ctx.check_mode) == (3, "r1", True, False)


def test_a_run_id_is_made_when_none_is_given():
    first = RunContext(Module(), PlatformAdapter(client=None))
    second = RunContext(Module(), PlatformAdapter(client=None))
    assert len(first.run_id) == 32 and first.run_id != second.run_id


def test_warnings_reach_the_module_once_and_are_kept_for_the_result():
    module = Module()
    ctx = RunContext(module, PlatformAdapter(client=None))
    ctx.warn("abstract flow a has no flows")
    ctx.warn("abstract flow a has no flows")
    ctx.adapter.warn("from the adapter")
    assert module.warned == ctx.warnings == ["abstract flow a has no flows", "from the adapter"]


def test_fan_out_is_bounded_by_the_run_concurrency():
    ctx = RunContext(Module(max_concurrency=2), PlatformAdapter(client=None))
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

    assert ctx.adapter.fan_out_all(work, range(6)) == [(i, i * 2) for i in range(6)]
    assert peak[0] == 2


def test_an_unbound_adapter_fans_out_one_at_a_time():
    adapter = PlatformAdapter(client=None)
    assert adapter.fan_out_all(lambda item: item + 1, [1, 2]) == [(1, 2), (2, 3)]
