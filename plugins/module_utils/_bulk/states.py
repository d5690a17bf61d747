# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one per-key state machine of a bulk run: every action and outcome a key can have, and the moves allowed.

A key enters the ledger with an entry action, moves between actions as the run works on it (retry, resolve, plan
gate, canary waves, replay all move keys through ``Ledger.set_action``), and a retried key gets an outcome once
reconciled. ``Ledger`` refuses a name not defined here and a move not in ``MOVES``::

    (selected) -> to_retry -> retried -> outcome: succeeded | failed_again | pending | not_recovered
                     |  \\-> failed | in_doubt | nothing_to_do | skipped_disabled | changed_since_listing
                     |  \\-> not_in_plan (plan gate)
                     \\-> held_for_wave -> to_retry (its wave) | not_attempted_breaker (breaker tripped)
               retried <-> retried_in_earlier_wave (canary: a finished wave's keys, set aside while the next runs)
    (selected) -> to_resolve -> resolved | failed | not_in_plan | changed_since_listing
    (selected) -> not_retryable | skipped_disabled | already_done | cannot_retry | scheduled_by_platform (final)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Actions: what the run did (or decided) for a key.
TO_RETRY = "to_retry"
TO_RESOLVE = "to_resolve"
RETRIED = "retried"
RESOLVED = "resolved"
NOT_RETRYABLE = "not_retryable"
SKIPPED_DISABLED = "skipped_disabled"
NOTHING_TO_DO = "nothing_to_do"
ALREADY_DONE = "already_done"
IN_DOUBT = "in_doubt"
FAILED = "failed"
CANNOT_RETRY = "cannot_retry"
NOT_IN_PLAN = "not_in_plan"
NOT_ATTEMPTED_BREAKER = "not_attempted_breaker"
CHANGED_SINCE_LISTING = "changed_since_listing"
SCHEDULED_BY_PLATFORM = "scheduled_by_platform"
# Held only while canary waves run; never in a result.
HELD_FOR_WAVE = "held_for_wave"
RETRIED_IN_EARLIER_WAVE = "retried_in_earlier_wave"
# Journaled before a batch is sent; on resume a key still open under the same error id was never applied.
SUBMITTING = "submitting"

# Outcomes: what reconciliation found on the platform afterwards, for retried keys only.
SUCCEEDED = "succeeded"
FAILED_AGAIN = "failed_again"
PENDING = "pending"
NOT_RECOVERED = "not_recovered"
OUTCOMES = (SUCCEEDED, FAILED_AGAIN, PENDING, NOT_RECOVERED)

# Where a key may enter the ledger, and where it may move from each action (an action missing here is final).
ENTRY = frozenset((TO_RETRY, TO_RESOLVE, NOT_RETRYABLE, SKIPPED_DISABLED, ALREADY_DONE, CANNOT_RETRY,
                   SCHEDULED_BY_PLATFORM))
MOVES = {
    TO_RETRY: frozenset((RETRIED, FAILED, IN_DOUBT, NOTHING_TO_DO, SKIPPED_DISABLED, NOT_IN_PLAN, HELD_FOR_WAVE,
                         CHANGED_SINCE_LISTING)),
    HELD_FOR_WAVE: frozenset((TO_RETRY, NOT_ATTEMPTED_BREAKER)),
    RETRIED: frozenset((RETRIED_IN_EARLIER_WAVE,)),
    RETRIED_IN_EARLIER_WAVE: frozenset((RETRIED,)),
    TO_RESOLVE: frozenset((RESOLVED, FAILED, NOT_IN_PLAN, CHANGED_SINCE_LISTING)),
}
# Only a key the platform took has an outcome.
HAS_OUTCOME = frozenset((RETRIED, RETRIED_IN_EARLIER_WAVE))

ACTIONS = frozenset(ENTRY) | frozenset(MOVES) | frozenset(target for targets in MOVES.values() for target in targets)

# The names each module's ``counts`` always hold (its RETURN docs), and those a feature adds when it is on.
RETRY_ACTIONS = (RETRIED, NOT_RETRYABLE, SKIPPED_DISABLED, NOTHING_TO_DO, ALREADY_DONE, IN_DOUBT, FAILED)
RETRY_OUTCOMES = (SUCCEEDED, FAILED_AGAIN, PENDING, NOT_RECOVERED)
RESOLVE_ACTIONS = (RESOLVED, FAILED)
PLAN_ACTIONS = (NOT_IN_PLAN,)
CANARY_ACTIONS = (NOT_ATTEMPTED_BREAKER,)
REPLAY_ACTIONS = (CANNOT_RETRY,)
PLATFORM_RETRY_ACTIONS = (SCHEDULED_BY_PLATFORM,)

# The reason a key-less error is never retried.
NO_KEY = "no retryDataKey (connection-level error): fix the connection, then rerun the flow"

# Moves allowed *into* each action: the ledger's guard, computed once.
SOURCES = dict((action, frozenset(source for source, targets in MOVES.items() if action in targets)) for action in ACTIONS)


class IllegalMove(ValueError):
    """A move the machine does not allow (a bug in the caller, never the platform's doing)."""


def check_action(action):
    if action not in ACTIONS:
        raise IllegalMove("ledger: '%s' is not an action of the key state machine (known: %s)"
                          % (action, ", ".join(sorted(ACTIONS))))


def check_outcome(outcome):
    if outcome not in OUTCOMES:
        raise IllegalMove("ledger: '%s' is not an outcome of the key state machine (known: %s)"
                          % (outcome, ", ".join(OUTCOMES)))


def check_entry(action):
    check_action(action)
    if action not in ENTRY:
        raise IllegalMove("ledger: a key cannot enter the ledger as '%s' (entry actions: %s)"
                          % (action, ", ".join(sorted(ENTRY))))
