# -*- coding: utf-8 -*-
"""The SQLite-backed ledger: accounting by key, counts, per-flow totals, streaming reads."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._bulk import states
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.ledger import Ledger
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.states import IllegalMove

FLOWS = [{"_id": "f1", "name": "One", "disabled": False}, {"_id": "f2", "name": "Two", "disabled": True}]


@pytest.fixture
def ledger(tmp_path):
    book = Ledger(FLOWS, ("retried", "not_retryable"), ("succeeded", "failed_again"), directory=str(tmp_path))
    yield book
    book.close()


def test_add_counts_each_key_once_and_keeps_the_latest_error_id(ledger):
    assert ledger.add("f1", "s1", "k1", "e1", "to_retry") is True
    assert ledger.add("f1", "s1", "k1", "e9", "to_retry") is False
    assert ledger.error_id_of(["k1"]) == {"k1": "e9"}
    assert ledger.add("f1", "s1", "k1", "e10", "not_retryable") is False
    assert ledger.error_id_of(["k1"]) == {"k1": "e9"}
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
    book.add("f1", "s1", "k", "e", "to_retry")
    assert len(os.listdir(str(tmp_path))) == 1
    book.close()
    book.close()
    assert os.listdir(str(tmp_path)) == []


# -- the state machine (states.py) guards every name and move ----------------------------------------------------


def test_an_unknown_action_or_outcome_is_refused(ledger):
    ledger.add("f1", "s1", "k1", "e1", "to_retry")
    with pytest.raises(IllegalMove) as info:
        ledger.set_action("k1", "retired")
    assert str(info.value).startswith("ledger: 'retired' is not an action of the key state machine")
    with pytest.raises(IllegalMove):
        ledger.add("f1", "s1", "k2", "e2", "retired")
    with pytest.raises(IllegalMove):
        ledger.set_outcome("k1", "sucess")
    with pytest.raises(IllegalMove):
        Ledger(FLOWS, ("retried", "retired"))
    assert ledger.counts() == {"selected": 1, "retried": 0, "not_retryable": 0, "succeeded": 0, "failed_again": 0,
                               "to_retry": 1}


@pytest.mark.parametrize("start, moves, illegal", [
    ("to_retry", ["retried"], "to_retry"),  # retried -> to_retry: a key is never sent twice
    ("to_retry", ["retried"], "resolved"),
    ("to_retry", ["failed"], "retried"),  # failed is final
    ("not_retryable", [], "retried"),
    ("to_resolve", [], "retried"),
    ("to_retry", ["held_for_wave"], "retried"),  # a held key goes back to to_retry (its wave) first
])
def test_an_illegal_move_is_refused_and_the_key_keeps_its_action(ledger, start, moves, illegal):
    ledger.add("f1", "s1", "k1", "e1", start)
    for action in moves:
        ledger.set_action("k1", action)
    before = list(ledger.key_records("retryDataKey"))
    with pytest.raises(IllegalMove) as info:
        ledger.set_action("k1", illegal)
    assert str(info.value).startswith("ledger: key k1 cannot move from '%s' to '%s'" % ((moves or [start])[-1], illegal))
    assert list(ledger.key_records("retryDataKey")) == before


def test_an_outcome_only_for_a_key_the_platform_took(ledger):
    ledger.add("f1", "s1", "k1", "e1", "to_retry")
    with pytest.raises(IllegalMove) as info:
        ledger.set_outcome("k1", "succeeded")
    assert str(info.value) == ("ledger: key k1 at 'to_retry' cannot have the outcome 'succeeded' (only retried or "
                               "retried_in_earlier_wave keys have one)")
    ledger.set_action("k1", "retried")
    ledger.set_outcome("k1", "pending")
    ledger.set_outcome("k1", "succeeded")  # a later reconcile may settle a pending key
    assert ledger.keys(outcome="succeeded") == ["k1"]


def test_a_key_not_in_the_ledger_cannot_move(ledger):
    with pytest.raises(IllegalMove) as info:
        ledger.set_action(["ghost"], "retried")
    assert str(info.value) == "ledger: key ghost is not in the ledger (cannot move it to 'retried')"


def test_a_relabel_follows_the_machine_too(ledger):
    ledger.add("f1", "s1", "k1", "e1", "to_resolve")
    with pytest.raises(IllegalMove):
        ledger.relabel("to_resolve", "retried", "check mode")
    ledger.relabel("to_resolve", "resolved", "check mode")
    assert ledger.count("resolved") == 1


def test_the_canary_path_through_the_machine(ledger):
    """held -> to_retry (its wave) -> retried -> set aside while the next wave runs -> retried; the rest of the held
    keys stop at the breaker."""
    for key in ("a", "b", "c"):
        ledger.add("f1", "s1", key, "e-" + key, "to_retry")
    ledger.set_action(["a", "b", "c"], "held_for_wave")
    ledger.set_action(["a"], "to_retry")
    ledger.set_action(["a"], "retried")
    ledger.set_outcome(["a"], "failed_again")
    ledger.set_action(["a"], "retried_in_earlier_wave")
    ledger.set_action(["b", "c"], "not_attempted_breaker")
    ledger.set_action(["a"], "retried")
    assert (ledger.count("retried"), ledger.count("not_attempted_breaker"), ledger.keys(outcome="failed_again")) == (1, 2, ["a"])


def test_every_action_is_reachable_and_every_move_names_known_actions():
    reachable = set(states.ENTRY)
    frontier = list(states.ENTRY)
    while frontier:
        for target in states.MOVES.get(frontier.pop(), ()):
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    assert reachable == set(states.ACTIONS)
    for names in (states.RETRY_ACTIONS, states.RESOLVE_ACTIONS, states.PLAN_ACTIONS, states.CANARY_ACTIONS,
                  states.REPLAY_ACTIONS):
        assert set(names) <= set(states.ACTIONS)
    assert set(states.RETRY_OUTCOMES) <= set(states.OUTCOMES)


def test_a_key_listed_with_two_open_errors_is_counted_once_and_keeps_both_ids(tmp_path):
    ledger = Ledger([{"_id": "f", "name": "f"}], ("to_retry",), directory=str(tmp_path))
    assert ledger.add("f", "s", "k1", "e1", "to_retry") is True
    assert ledger.add("f", "s", "k1", "e2", "to_retry") is False
    assert ledger.add("f", "s", "k1", "e2", "to_retry") is False
    assert len(ledger) == 1 and ledger.counts()["to_retry"] == 1
    assert ledger.error_ids("k1") == ["e1", "e2"] and ledger.error_id_of(["k1"]) == {"k1": "e2"}
    assert ledger.error_ids_of(["k1"]) == {"k1": frozenset({"e1", "e2"})}
    assert next(ledger.key_records("retryDataKey"))["errorIds"] == ["e1", "e2"]


def test_add_listed_tells_a_new_key_a_new_error_id_and_a_repeat():
    ledger = Ledger([], ("resolved", "failed"))
    assert ledger.add_listed("f", "s", "k1", "e1", "to_resolve") == (True, True)
    assert ledger.add_listed("f", "s", "k1", "e2", "to_resolve") == (False, True)
    assert ledger.add_listed("f", "s", "k1", "e2", "to_resolve") == (False, False)
    assert ledger.add_listed("f", "s2", "k1", "e3", "to_resolve") == (None, False)  # the key lives on another step
    assert ledger.error_ids("k1") == ["e1", "e2"]


def test_error_counts_count_every_error_id_of_a_key():
    ledger = Ledger([], ("resolved", "failed"), list_error_ids=True)
    ledger.add("f", "s", "k1", "e1", "to_resolve")
    ledger.add("f", "s", "k1", "e2", "to_resolve")
    ledger.add("f", "s", "k2", "e3", "to_resolve")
    ledger.set_action(["k1"], "resolved")
    ledger.set_action(["k2"], "failed", reason="HTTP 500")
    assert ledger.counts() == {"selected": 2, "resolved": 1, "failed": 1}
    assert ledger.error_counts() == {"selected": 3, "resolved": 2, "failed": 1}
    records = dict((record["retryDataKey"], record) for record in ledger.key_records("retryDataKey"))
    assert records["k1"]["errorIds"] == ["e1", "e2"] and records["k2"]["errorIds"] == ["e3"]  # listed for every key


def test_job_ids_and_when_the_listing_began():
    ledger = Ledger([], ("retried",))
    assert ledger.started.tzinfo is not None
    ledger.add("f", "s", "k1", "e1", "to_retry")
    ledger.add("f", "s", "k2", "e2", "to_retry")
    assert ledger.job_ids() == set()
    ledger.set_action(["k1"], "retried", job="j1")
    assert ledger.job_ids() == {"j1"}


def _records(book):
    return [(r["retryDataKey"], r["errorId"], r.get("errorIds"), r["_flowId"], r["_stepId"], r["action"], r["reason"])
            for r in book.key_records("retryDataKey")]


def test_add_many_accounts_a_page_as_add_does_key_by_key(tmp_path):
    rows = [("f1", "s1", "k1", "e1", "to_retry", None), ("f1", "s1", "k2", "e2", "not_retryable", "no key"),
            ("f1", "s1", "k1", "e3", "to_retry", None),  # listed twice in one page: a second open error of the key
            ("f1", "s2", "k2", "e4", "not_retryable", None),  # the same key on another step keeps its first entry
            ("f1", "s1", "k1", "e1", "to_retry", None),  # a repeated listing adds nothing
            ("f2", "s1", "k3", "e5", "to_retry", None)]
    one, many = (Ledger(FLOWS, ("retried", "not_retryable"), directory=str(tmp_path)) for dummy in range(2))
    try:
        for row in rows[:2]:
            one.add(*row)
        many.add_many(rows[:2])
        for row in rows[2:]:
            one.add(*row)
        many.add_many(rows[2:])
        many.add_many([])
        assert _records(many) == _records(one)
        assert many.error_ids("k1") == ["e1", "e3"] and many.error_id_of(["k1"]) == {"k1": "e3"} and len(many) == 3
        assert many.error_id_of(["k3", "k1", "zz"]) == {"k3": "e5", "k1": "e3"}
        assert list(many.error_id_of(["k3", "k1"])) == ["k3", "k1"]  # in the order asked
    finally:
        one.close()
        many.close()


@pytest.mark.parametrize("chunk", [1, 2, 4, 1000])
def test_add_many_takes_a_stream_in_chunks_as_one_list(tmp_path, chunk):
    rows = [("f1", "s1", "k1", "e1", "to_retry", None), ("f1", "s1", "k2", "e2", "not_retryable", "no key"),
            ("f1", "s1", "k1", "e3", "to_retry", None), ("f1", "s2", "k2", "e4", "not_retryable", None),
            ("f2", "s1", "k3", "e5", "to_retry", None)]
    whole, streamed = (Ledger(FLOWS, ("retried", "not_retryable"), directory=str(tmp_path)) for dummy in range(2))
    try:
        whole.add_many(rows)
        streamed.add_many((row for row in rows), chunk=chunk)  # a generator: read chunk rows at a time
        assert _records(streamed) == _records(whole) and streamed.error_ids("k1") == ["e1", "e3"]
    finally:
        whole.close()
        streamed.close()


def test_job_of_gives_the_jobs_of_a_group_of_keys(ledger):
    ledger.add_many([("f1", "s1", key, "e-" + key, "to_retry", None) for key in ("k1", "k2", "k3")])
    ledger.set_action(["k1", "k2"], "retried", job="j1")
    assert ledger.job_of(["k2", "k3", "zz", "k1"]) == {"k2": "j1", "k1": "j1"}


def test_add_many_refuses_an_unknown_action_before_adding_any_key(ledger):
    with pytest.raises(IllegalMove):
        ledger.add_many([("f1", "s1", "k1", "e1", "to_retry", None), ("f1", "s1", "k2", "e2", "retired", None)])
    assert len(ledger) == 0


def test_a_key_given_twice_in_one_move_is_refused(ledger):
    ledger.add_many([("f1", "s1", "k1", "e1", "to_retry", None), ("f1", "s1", "k2", "e2", "to_retry", None)])
    with pytest.raises(IllegalMove) as info:
        ledger.set_action(["k1", "k2", "k1"], "retried")
    assert str(info.value) == ("ledger: key k1 cannot move from 'retried' to 'retried' (allowed from: "
                               "retried_in_earlier_wave, to_retry)")
    ledger.add_many([("f1", "s1", "k3", "e3", "to_retry", None), ("f1", "s1", "k4", "e4", "to_retry", None)])
    ledger.set_action(["k3", "k4"], "retried", job="j1")
    assert ledger.keys("retried") == ["k1", "k2", "k3", "k4"] and ledger.job("k4") == "j1"
