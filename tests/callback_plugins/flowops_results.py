# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: saves every registered task result of a playbook run to a JSON file.

The test harnesses read the results from it instead of adding a task that copies them out, which would cost
two more module runs (about 1.7 s) per ansible-playbook run. Enabled by tests/playbook_env.py with the file
in FLOWOPS_TEST_RESULTS.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: flowops_results
type: aggregate
short_description: Save registered task results to a JSON file (flowops.ipaas tests only)
description:
  - Writes each registered result, by its register name, to the file named by E(FLOWOPS_TEST_RESULTS)
    when the playbook ends, whether it passed or failed.
requirements:
  - the FLOWOPS_TEST_RESULTS environment variable set to the path to write
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "flowops_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.results = {}

    def _save(self, result, **flags):
        task = getattr(result, "task", None) or result._task
        name = getattr(task, "register", None)
        if name:
            data = getattr(result, "result", None)
            data = dict(data if data is not None else result._result)
            data.update(flags)
            self.results[name] = data

    def v2_runner_on_ok(self, result):
        self._save(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._save(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._save(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._save(result, unreachable=True)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("FLOWOPS_TEST_RESULTS")
        if path:
            with open(path, "w") as stream:
                json.dump(self.results, stream, default=str)
