# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""states.py: the one per-key state machine as data (the ledger's use of it is in test_ledger.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._bulk import states
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.states import IllegalMove


def test_every_name_a_module_counts_is_an_action_or_outcome_of_the_machine():
    for names in (states.RETRY_ACTIONS, states.RESOLVE_ACTIONS, states.PLAN_ACTIONS, states.CANARY_ACTIONS,
                  states.REPLAY_ACTIONS, states.PLATFORM_RETRY_ACTIONS):
        assert set(names) <= states.ACTIONS
    assert set(states.RETRY_OUTCOMES) == set(states.OUTCOMES) and not set(states.OUTCOMES) & states.ACTIONS


def test_the_documented_paths_are_moves_of_the_machine():
    moves = states.MOVES
    assert states.RETRIED in moves[states.TO_RETRY] and states.RESOLVED in moves[states.TO_RESOLVE]
    assert moves[states.HELD_FOR_WAVE] == {states.TO_RETRY, states.NOT_ATTEMPTED_BREAKER}
    assert states.NOT_IN_PLAN in moves[states.TO_RETRY] and states.NOT_IN_PLAN in moves[states.TO_RESOLVE]
    assert moves[states.RETRIED] == {states.RETRIED_IN_EARLIER_WAVE} and moves[states.RETRIED_IN_EARLIER_WAVE] == {states.RETRIED}


@pytest.mark.parametrize("final", [states.NOT_RETRYABLE, states.ALREADY_DONE, states.CANNOT_RETRY, states.RESOLVED,
                                   states.FAILED, states.IN_DOUBT, states.NOT_ATTEMPTED_BREAKER, states.SCHEDULED_BY_PLATFORM])
def test_a_final_action_has_no_way_out(final):
    assert final not in states.MOVES
    assert all(final not in sources for sources in states.SOURCES.values())


def test_sources_are_the_moves_read_backwards():
    for action, sources in states.SOURCES.items():
        assert sources == frozenset(source for source, targets in states.MOVES.items() if action in targets)
    assert states.SOURCES[states.TO_RETRY] == {states.HELD_FOR_WAVE}
    assert states.SOURCES[states.NOT_RETRYABLE] == frozenset()  # an entry action only


def test_only_a_key_the_platform_took_has_an_outcome():
    assert states.HAS_OUTCOME == {states.RETRIED, states.RETRIED_IN_EARLIER_WAVE}


@pytest.mark.parametrize("check, name, message", [
    (states.check_action, "retired", "ledger: 'retired' is not an action of the key state machine (known: "),
    (states.check_outcome, "retried", "ledger: 'retried' is not an outcome of the key state machine (known: succeeded, "),
    (states.check_entry, "retried", "ledger: a key cannot enter the ledger as 'retried' (entry actions: "),
    (states.check_entry, "bogus", "ledger: 'bogus' is not an action"),
])
def test_unknown_names_and_wrong_entries_are_refused_in_one_line(check, name, message):
    with pytest.raises(IllegalMove) as info:
        check(name)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_known_names_and_entries_pass():
    for action in states.ACTIONS:
        states.check_action(action)
    for outcome in states.OUTCOMES:
        states.check_outcome(outcome)
    for entry in states.ENTRY:
        states.check_entry(entry)
    assert issubclass(IllegalMove, ValueError)
