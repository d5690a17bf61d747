# -*- coding: utf-8 -*-
"""The SQLite-backed ledger: accounting by key, counts, per-flow totals, streaming reads."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.ledger import Ledger

FLOWS = [{"_id": "f1", "name": "One", "disabled": False}, {"_id": "f2", "name": "Two", "disabled": True}]


@pytest.fixture
def ledger(tmp_path):
    book = Ledger(FLOWS, ("retried", "not_retryable"), ("succeeded", "failed_again"), directory=str(tmp_path))
    yield book
    book.close()


def test_add_counts_each_key_once_and_keeps_the_latest_error_id(ledger):
    assert ledger.add("f1", "s1", "k1", "e1", "to_retry") is True
    assert ledger.add("f1", "s1", "k1", "e9", "to_retry") is False
    assert ledger.error_id("k1") == "e9"
    assert ledger.add("f1", "s1", "k1", "e10", "not_retryable") is False
    assert ledger.error_id("k1") == "e9"
    assert len(ledger) == 1


def test_groups_stream_per_step_in_first_seen_order(ledger):
    for key, flow, step in (("a", "f1", "s2"), ("b", "f1", "s1"), ("c", "f1", "s2"), ("d", "f2", "s1")):
        ledger.add(flow, step, key, "e-" + key, "to_retry")
    ledger.add("f1", "s1", "x", "e-x", "not_retryable")
    assert list(ledger.groups("to_retry")) == [(("f1", "s2"), ["a", "c"]), (("f1", "s1"), ["b"]), (("f2", "s1"), ["d"])]


def test_actions_outcomes_counts_and_per_flow(ledger):
    for key in ("a", "b", "c"):
        ledger.add("f1", "s1", key, "e-" + key, "to_retry")
    ledger.add("f2", "s1", "d", "e-d", "not_retryable", "no key")
    ledger.set_action(["a", "b", "c"], "retried", job="j1")
    ledger.set_outcome(["a", "b"], "succeeded")
    ledger.set_outcome("c", "failed_again")
    assert ledger.counts() == {"selected": 4, "retried": 3, "not_retryable": 1, "succeeded": 2, "failed_again": 1}
    per_flow = ledger.per_flow()
    assert per_flow["f1"]["counts"]["retried"] == 3 and per_flow["f1"]["name"] == "One"
    assert per_flow["f2"]["disabled"] is True and per_flow["f2"]["steps"]["s1"]["not_retryable"] == 1
    assert ledger.keys(outcome="failed_again") == ["c"]
    assert ledger.job("a") == "j1" and ledger.count("retried") == 3
    assert ledger.first_reason(("not_retryable",)) == "no key"
    assert ledger.missing(["a", "zz", "d"]) == ["zz"]


def test_relabel_and_key_records_read_in_pages(ledger):
    for number in range(25):
        ledger.add("f1", "s1", "k%02d" % number, "e%02d" % number, "to_retry")
    ledger.relabel("to_retry", "retried", "check mode")
    records = list(ledger.key_records("retryDataKey", page=7))
    assert [r["retryDataKey"] for r in records] == ["k%02d" % n for n in range(25)]
    assert {r["action"] for r in records} == {"retried"} and records[0]["reason"] == "check mode"


def test_close_removes_the_file(tmp_path):
    book = Ledger(FLOWS, ("retried",), directory=str(tmp_path))
    book.add("f1", "s1", "k", "e", "retried")
    assert len(os.listdir(str(tmp_path))) == 1
    book.close()
    book.close()
    assert os.listdir(str(tmp_path)) == []
