# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  plan_file:
    description:
      - Plan, then apply exactly the plan.
      - In check mode the plan is written (atomically) to this file on the host running the module, with the options
        that made the selection, every selected key with its flow, step, error id and action, the counts per action
        and C(plan_sha256), also returned.
      - C(plan_sha256) is the SHA-256 of the keys in canonical order, sorted by flow id, step id and key, one line
        per key C(<flowId> TAB <stepId> TAB <key> TAB <errorId> TAB <action> LF) in UTF-8; the same selection
        always hashes the same, and a plan whose keys or error ids changed hashes differently.
      - In a real run the plan is read before any request (a missing, malformed or edited file, a plan of another
        module or platform, or one made with other selection options is refused), the live selection is read
        again and compared with it, and the run goes on only when they match. Otherwise the task fails with one
        line naming how many keys differ (added, removed, changed) and nothing is sent or written.
    type: path
  plan_tolerance:
    description:
      - How a real run with O(plan_file) treats a live selection that differs from the plan.
      - V(exact) refuses any difference.
      - V(subset) applies the planned keys that are still selected unchanged, when some cleared meanwhile; a key
        not in the plan (new since) or changed since (for example failed again under a new error id) is left
        untouched and counted as C(not_in_plan). A key that is not in the plan is never acted on.
    type: str
    default: exact
    choices: [exact, subset]
  plan_sha256:
    description:
      - The C(plan_sha256) an approver saw. With O(plan_file) in a real run, a plan file whose hash (recorded or
        recomputed from its keys) differs is refused with one line and nothing is sent. Empty means not checked.
      - Ignored in check mode, where the plan is written.
    type: str
"""
