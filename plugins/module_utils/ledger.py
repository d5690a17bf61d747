# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Accounting by key: every selected error ends with an action (and, once reconciled, an outcome)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import datetime, timezone

# Entry slots are kept in a list, not a dict: a run can account for 100,000 keys.
FLOW, STEP, ERROR_ID, ACTION, OUTCOME, JOB, REASON = range(7)


def utc_now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Ledger:
    """What happened to each selected key, with totals per flow and step.

    ``actions`` name what the module did (``retried``, ``resolved``, ``not_retryable`` ...);
    ``outcomes`` what reconciliation found afterwards (``succeeded``, ``failed_again``, ``pending``).
    """

    def __init__(self, flows, actions, outcomes=()):
        self.flows = dict((flow["_id"], flow) for flow in flows)
        self.actions = tuple(actions)
        self.outcomes = tuple(outcomes)
        self.entries = {}

    def add(self, flow_id, step_id, key, error_id, action, reason=None):
        """Account for a key the first time it is seen; returns False when it already is (a duplicate).

        A key listed again with the same action (another actor retried it between two pages) keeps the
        error id seen last: listings run oldest first, so that is the one now open.
        """
        entry = self.entries.get(key)
        if entry is not None:
            if entry[ACTION] == action:
                entry[ERROR_ID] = error_id
            return False
        self.entries[key] = [flow_id, step_id, error_id, action, None, None, reason]
        return True

    def set_action(self, key, action, job=None, reason=None):
        entry = self.entries[key]
        entry[ACTION] = action
        if job is not None:
            entry[JOB] = job
        if reason is not None:
            entry[REASON] = reason

    def set_outcome(self, key, outcome):
        self.entries[key][OUTCOME] = outcome

    def keys(self, action=None, flow_id=None, step_id=None):
        return [
            key for key, entry in self.entries.items()
            if (action is None or entry[ACTION] == action)
            and (flow_id is None or entry[FLOW] == flow_id)
            and (step_id is None or entry[STEP] == step_id)
        ]

    def groups(self, action):
        """``{(flow_id, step_id): [key, ...]}`` for keys with this action, in the order they were added."""
        grouped = {}
        for key, entry in self.entries.items():
            if entry[ACTION] == action:
                grouped.setdefault((entry[FLOW], entry[STEP]), []).append(key)
        return grouped

    def error_id(self, key):
        return self.entries[key][ERROR_ID]

    def _empty_counts(self):
        counts = dict((name, 0) for name in self.actions + self.outcomes)
        counts["selected"] = 0
        return counts

    def _count_into(self, counts, entry):
        counts["selected"] += 1
        counts[entry[ACTION]] = counts.get(entry[ACTION], 0) + 1
        if entry[OUTCOME]:
            counts[entry[OUTCOME]] = counts.get(entry[OUTCOME], 0) + 1

    def counts(self):
        counts = self._empty_counts()
        for entry in self.entries.values():
            self._count_into(counts, entry)
        return counts

    def per_flow(self):
        """``{flow_id: {"name", "disabled", "counts", "steps": {step_id: counts}}}`` for flows with selected keys."""
        result = {}
        for entry in self.entries.values():
            flow = self.flows.get(entry[FLOW], {})
            item = result.setdefault(entry[FLOW], {
                "name": flow.get("name"), "disabled": flow.get("disabled", False),
                "counts": self._empty_counts(), "steps": {},
            })
            self._count_into(item["counts"], entry)
            self._count_into(item["steps"].setdefault(entry[STEP], self._empty_counts()), entry)
        return result

    def key_records(self, key_name):
        """Every key with its outcome, for the report file."""
        for key, entry in self.entries.items():
            yield {
                key_name: key, "errorId": entry[ERROR_ID], "_flowId": entry[FLOW], "_stepId": entry[STEP],
                "action": entry[ACTION], "outcome": entry[OUTCOME], "job": entry[JOB], "reason": entry[REASON],
            }
