# -*- coding: utf-8 -*-
"""The plan file of issue 15: canonical order, plan_sha256, diffing a plan against the live selection, the gate a real
run passes (built from typed PlanOptions, never from the options dict)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.ledger import Ledger
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.plan import (
    NOT_IN_PLAN, PlanGate, PlanOptions, canonical, diff, plan_sha256)


def entry(flow, step, key, error_id=None, action="retry"):
    return {"_flowId": flow, "_stepId": step, "key": key, "errorId": error_id or "e-" + key, "action": action}


ENTRIES = [entry("f2", "s1", "k3"), entry("f1", "s2", "k1"), entry("f1", "s1", "k2"), entry("f1", "s1", "k0")]


def test_canonical_order_is_flow_step_key():
    assert [(e["_flowId"], e["_stepId"], e["key"]) for e in canonical(ENTRIES)] == [
        ("f1", "s1", "k0"), ("f1", "s1", "k2"), ("f1", "s2", "k1"), ("f2", "s1", "k3")]


def test_plan_sha256_is_the_documented_digest_and_ignores_listing_order():
    text = "f1\ts1\tk0\te-k0\tretry\nf1\ts1\tk2\te-k2\tretry\nf1\ts2\tk1\te-k1\tretry\nf2\ts1\tk3\te-k3\tretry\n"
    assert plan_sha256(ENTRIES) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert plan_sha256(list(reversed(ENTRIES))) == plan_sha256(ENTRIES)
    assert plan_sha256([]) == hashlib.sha256(b"").hexdigest()


@pytest.mark.parametrize("change", [
    {"errorId": "another"}, {"action": "not_retryable"}, {"_stepId": "s9"}, {"key": "k9"},
])
def test_plan_sha256_changes_with_any_field_of_a_key(change):
    changed = [dict(ENTRIES[0], **change)] + ENTRIES[1:]
    assert plan_sha256(changed) != plan_sha256(ENTRIES)


def test_plan_sha256_of_a_missing_error_id_is_stable():
    assert plan_sha256([dict(ENTRIES[0], errorId=None)]) == plan_sha256([dict(ENTRIES[0], errorId="")])


def test_diff_names_added_removed_and_changed_keys():
    live = [ENTRIES[0], dict(ENTRIES[1], errorId="new-id"), entry("f3", "s1", "k7")]
    assert diff(ENTRIES, live) == {"added": ["k7"], "removed": ["k0", "k2"], "changed": ["k1"]}
    assert diff(ENTRIES, list(reversed(ENTRIES))) == {"added": [], "removed": [], "changed": []}


def ledger_with(tmp_path, rows):
    ledger = Ledger([{"_id": "f1"}, {"_id": "f2"}], ("retried", "not_retryable", NOT_IN_PLAN), directory=str(tmp_path))
    for flow, step, key, error_id, action in rows:
        ledger.add(flow, step, key, error_id, action)
    return ledger


ROWS = [("f1", "s1", "k1", "e1", "to_retry"), ("f1", "s1", "c1", "c1", "not_retryable"), ("f2", "s1", "k2", "e2", "to_retry")]


def gate(tmp_path, check_mode, **params):
    params = dict({"plan_file": str(tmp_path / "plan.json"), "classifications": ["intermittent"], "plan_tolerance": "exact",
                   "plan_sha256": None, "report_file": None}, **params)
    return PlanGate(PlanOptions.from_params(params, ("classifications",)), "flow_errors_retry", "retryDataKey",
                    {"to_retry": "retry"}, "celigo", "run-1", check_mode)


def test_plan_options_read_the_options_once_and_normalise_the_hash():
    options = PlanOptions.from_params({"plan_file": "p.json", "plan_tolerance": None, "plan_sha256": " AB ",
                                       "classifications": ["x"], "report_file": "r.json"}, ("classifications", "codes"))
    assert (options.path, options.tolerance, options.expected) == ("p.json", "exact", "ab")
    assert options.recorded == {"classifications": ["x"], "codes": None}
    assert options.elsewhere == {"report_file": "r.json", "backup_file": None, "from_backup": None}


def test_written_plan_holds_every_key_its_counts_and_a_hash_that_checks(tmp_path):
    written = gate(tmp_path, True).write(ledger_with(tmp_path, ROWS))
    document = json.loads((tmp_path / "plan.json").read_text())
    assert written["plan_sha256"] == document["plan_sha256"] == plan_sha256(document["keys"])
    assert written["counts_planned"] == {"selected": 3, "retry": 2, "not_retryable": 1}
    assert [e["key"] for e in document["keys"]] == ["c1", "k1", "k2"]
    assert document["options"] == {"classifications": ["intermittent"]} and document["module"] == "flow_errors_retry"

    real = gate(tmp_path, False, plan_sha256=written["plan_sha256"].upper())
    real.check()
    assert real.hold_to_plan(ledger_with(tmp_path, ROWS), "to_retry")["changed"] == 0


def test_exact_refuses_any_difference_in_one_line(tmp_path):
    gate(tmp_path, True).write(ledger_with(tmp_path, ROWS))
    real = gate(tmp_path, False)
    real.check()
    live = ledger_with(tmp_path, ROWS[1:] + [("f2", "s1", "k3", "e3", "to_retry")])
    with pytest.raises(ValidationError) as failure:
        real.hold_to_plan(live, "to_retry")
    assert str(failure.value).startswith("plan_file: the live selection differs from the plan in 2 keys (1 added, 1 removed, "
                                         "0 changed)")


def test_subset_keeps_planned_keys_and_leaves_new_or_changed_ones_alone(tmp_path):
    gate(tmp_path, True).write(ledger_with(tmp_path, ROWS))
    real = gate(tmp_path, False, plan_tolerance="subset")
    real.check()
    live = ledger_with(tmp_path, [ROWS[1], ("f2", "s1", "k2", "e2-again", "to_retry"), ("f2", "s1", "k3", "e3", "to_retry")])
    summary = real.hold_to_plan(live, "to_retry")
    assert (summary["added"], summary["removed"], summary["changed"]) == (1, 1, 1)
    assert live.keys("to_retry") == [] and sorted(live.keys(NOT_IN_PLAN)) == ["k2", "k3"]


@pytest.mark.parametrize("tamper, fragment", [
    (lambda doc: doc["keys"].pop(), "its keys hash to"),
    (lambda doc: doc.update(module="flow_errors_resolve"), "is a plan of flow_errors_resolve"),
    (lambda doc: doc.update(platform="superai"), "for platform 'superai'"),
    (lambda doc: doc["options"].update(classifications=["duplicate"]), "made with other options (classifications differ)"),
    (lambda doc: doc.update(format="other"), "is not a flowops.ipaas plan"),
])
def test_a_changed_plan_file_is_refused_before_any_request(tmp_path, tamper, fragment):
    gate(tmp_path, True).write(ledger_with(tmp_path, ROWS))
    path = tmp_path / "plan.json"
    document = json.loads(path.read_text())
    tamper(document)
    path.write_text(json.dumps(document))
    with pytest.raises(ValidationError) as failure:
        gate(tmp_path, False).check()
    assert fragment in str(failure.value) and "nothing was sent" in str(failure.value)


def test_plan_options_are_checked(tmp_path):
    with pytest.raises(ValidationError, match="^plan_sha256: give plan_file too"):
        gate(tmp_path, False, plan_file=None, plan_sha256="ab").check()
    with pytest.raises(ValidationError, match="does not exist; write it with a check-mode run first"):
        gate(tmp_path, False).check()
    with pytest.raises(ValidationError, match="is also report_file"):
        gate(tmp_path, False, report_file=str(tmp_path / "plan.json")).check()
    with pytest.raises(ValidationError, match="^plan_sha256: the plan file"):
        gate(tmp_path, True).write(ledger_with(tmp_path, ROWS))
        gate(tmp_path, False, plan_sha256="0" * 64).check()


def test_keys_an_interrupted_apply_already_took_are_not_compared_when_it_is_resumed(tmp_path):
    gate(tmp_path, True).write(ledger_with(tmp_path, ROWS))
    real = gate(tmp_path, False)
    real.check()
    # k1 was retried by the interrupted run (gone); k2 failed again since under a new error id (already_done).
    live = ledger_with(tmp_path, [ROWS[1], ("f2", "s1", "k2", "e2-again", "already_done")])
    summary = real.hold_to_plan(live, "to_retry", resumed={"k1": {}, "k2": {}})
    assert (summary["added"], summary["removed"], summary["changed"]) == (0, 0, 0)
    with pytest.raises(ValidationError):
        real.hold_to_plan(live, "to_retry")  # without the earlier run's keys: 1 removed, 1 changed
