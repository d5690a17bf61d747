# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Counting errors by flow, step, classification and code without keeping the records."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

MESSAGE_WIDTH = 100


def _bump(counts, key, amount=1):
    counts[key] = counts.get(key, 0) + amount


class ErrorSummary:
    def __init__(self, flows=()):
        self.flows = len(flows)
        self.total = 0
        self.retryable = 0
        self.by_flow = {}
        self.retryable_by_flow = {}
        self.retryable_by_flow_and_classification = {}
        self.by_step = {}
        self.by_classification = {}
        self.by_code = {}

    def add(self, error):
        flow_id, step_id = error.get("_flowId"), error.get("_stepId")
        self.total += 1
        if error.get("retryDataKey"):
            self.retryable += 1
            _bump(self.retryable_by_flow, flow_id)
            _bump(self.retryable_by_flow_and_classification.setdefault(flow_id, {}), error.get("classification") or "none")
        _bump(self.by_flow, flow_id)
        _bump(self.by_step.setdefault(flow_id, {}), step_id)
        _bump(self.by_classification, error.get("classification") or "none")
        message = " ".join(str(error.get("message") or "").split())[:MESSAGE_WIDTH]
        _bump(self.by_code, "%s: %s" % (error.get("code"), message))

    def as_dict(self):
        return dict(
            flows=self.flows,
            retryable=self.retryable,
            not_retryable=self.total - self.retryable,
            by_flow=self.by_flow,
            retryable_by_flow=self.retryable_by_flow,
            retryable_by_flow_and_classification=self.retryable_by_flow_and_classification,
            by_step=self.by_step,
            by_classification=self.by_classification,
            by_code=self.by_code,
        )
