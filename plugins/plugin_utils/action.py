# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin every flowops.ipaas module runs under: ansible.builtin.normal, with the module's payload built
with the garbage collector paused.

Building the payload (AnsiballZ) parses the module and every module_util it imports into syntax trees, about
50,000 nodes for these modules, and Ansible links each node to its parent: hundreds of thousands of new
container objects, which set off collections that each walk the worker's whole heap (the play, the inventory, the
loaded plugins) and free nothing, since everything built is still in use. That was about 50 ms of each task's
~190 ms build on the benchmark workload (benchmarks/README.md). The collector is paused for the build only, in the
worker process forked for this one task, and resumed (as it was) afterwards, when the trees, now garbage, go in the
next collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gc

from ansible.plugins.action.normal import ActionModule as NormalAction


class FlowopsAction(NormalAction):
    """ansible.builtin.normal, building the module's payload with the garbage collector paused."""

    def _configure_module(self, *args, **kwargs):  # pylint: disable=arguments-differ  # passed through unchanged
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return super(FlowopsAction, self)._configure_module(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()
