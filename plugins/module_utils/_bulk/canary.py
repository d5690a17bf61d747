# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A canary wave with a circuit breaker for flow_errors_retry.

The first wave retries ``canary_keys`` keys picked round-robin over flows, and over each flow's steps, so one
flow or step cannot make up the whole canary. Each wave is sent, waited for and reconciled before the next; every
later wave is twice the size of the one before (N, 2N, 4N ... keys), so a large job needs few waves and a bad one
is stopped early. After each wave the breaker trips when more than ``max_failed_again_ratio`` of the wave's retried
keys failed again, or when any of its outcomes is still unknown (pending after ``wait_timeout``, or in doubt: the
retry's answer could not be read): every key not yet sent is then left untouched (``not_attempted_breaker``) and
nothing more is sent.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError, check_range
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.retry import wait_and_reconcile
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.states import (
    FAILED_AGAIN, HELD_FOR_WAVE, IN_DOUBT, NOT_ATTEMPTED_BREAKER, PENDING, RETRIED, RETRIED_IN_EARLIER_WAVE, TO_RETRY,
)

CANARY_SPEC = dict(
    canary_keys=dict(type="int", default=0, no_log=False),  # a count, not a secret
    max_failed_again_ratio=dict(type="float"),
)
DEFAULT_RATIO = 0.5
MAX_CANARY_KEYS = 1000000  # 0 turns the canary off
FIRST_FAILURES = 3


class CanaryOptions:
    """The canary options, typed: read once from the validated options when the run is built."""

    def __init__(self, canary_keys=0, max_failed_again_ratio=None):
        self.canary_keys = canary_keys or 0
        self.max_failed_again_ratio = max_failed_again_ratio

    @classmethod
    def from_params(cls, params):
        return cls(params.get("canary_keys"), params.get("max_failed_again_ratio"))

    def settings(self):
        """``(canary_keys, ratio)`` when a canary is asked for, else None; bad values fail naming the option."""
        count, ratio = self.canary_keys, self.max_failed_again_ratio
        check_range("canary_keys", count, 0, MAX_CANARY_KEYS)
        check_range("max_failed_again_ratio", ratio, 0, 1)
        if not count:
            if ratio is not None:
                raise ValidationError("max_failed_again_ratio: needs canary_keys (the breaker watches the canary and later waves)")
            return None
        return count, DEFAULT_RATIO if ratio is None else ratio


def spread(groups, count):
    """Up to ``count`` ``(flow_id, step_id, key)`` picked round-robin over flows, and over each flow's steps."""
    steps_of, flows = {}, []
    for (flow_id, step_id), keys in groups:
        if flow_id not in steps_of:
            steps_of[flow_id] = []
            flows.append(flow_id)
        steps_of[flow_id].append([(flow_id, step_id, key) for key in reversed(keys)])
    turn = dict.fromkeys(flows, 0)
    picked = []
    while flows and len(picked) < count:
        for flow_id in list(flows):
            if len(picked) >= count:
                break
            steps = steps_of[flow_id]
            index = turn[flow_id] % len(steps)
            picked.append(steps[index].pop())
            if steps[index]:
                turn[flow_id] = index + 1
            else:
                steps.pop(index)
                turn[flow_id] = index
            if not steps:
                flows.remove(flow_id)
    return picked


def _one_line(text):
    return " ".join(str(text or "").split())


class CanaryWaves:
    """Sends the ``to_retry`` keys of ``ctx.ledger`` wave by wave, watched by the breaker (see the module docstring)."""

    def __init__(self, ctx, settings, send, waiting):
        """``send()`` submits the ledger's ``to_retry`` keys and returns the jobs (retry.submit with the run's
        strategy, batch size and journal); ``waiting`` is ``(wait_timeout, poll_interval)``."""
        self.ctx, self.ledger, self.send = ctx, ctx.ledger, send
        self.canary_keys, self.ratio = settings
        self.wait_timeout, self.poll_interval = waiting
        self.jobs = []
        self.waves = []
        self.tripped = None  # the one-line message once the breaker trips

    def run(self):
        """Send every wave until done or tripped; returns the jobs created. Keys end as they would without waves."""
        ledger = self.ledger
        ledger.set_action(ledger.keys(TO_RETRY), HELD_FOR_WAVE)
        try:
            size = self.canary_keys
            while not self.tripped:
                groups = list(ledger.groups(HELD_FOR_WAVE))
                if not groups:
                    break
                self._wave(spread(groups, size))
                size *= 2
            if self.tripped:
                held = ledger.keys(HELD_FOR_WAVE)
                ledger.set_action(held, NOT_ATTEMPTED_BREAKER, reason="not sent: the circuit breaker tripped after wave %d (%s)"
                                  % (len(self.waves), self.waves[-1]["why"]))
        finally:
            ledger.set_action(ledger.keys(RETRIED_IN_EARLIER_WAVE), RETRIED)
            ledger.set_action(ledger.keys(HELD_FOR_WAVE), TO_RETRY)  # never sent (the controller went away)
        return self.jobs

    def _wave(self, picked):
        ledger, number = self.ledger, len(self.waves) + 1
        place = dict((key, (flow_id, step_id)) for flow_id, step_id, key in picked)
        ledger.set_action(list(place), TO_RETRY)
        jobs = self.send()
        self.jobs.extend(jobs)
        retried = ledger.keys(RETRIED)  # this wave's only: earlier waves' keys are settled
        unknown = self._settle(jobs, retried)
        in_wave = set(retried)
        failed = [key for key in ledger.keys(outcome=FAILED_AGAIN) if key in in_wave]
        pending = [key for key in ledger.keys(outcome=PENDING) if key in in_wave]
        ledger.set_action(retried, RETRIED_IN_EARLIER_WAVE)
        ratio = float(len(failed)) / len(retried) if retried else 0.0
        wave = {"wave": number, "keys": len(picked), "retried": len(retried), "failed_again": len(failed),
                "pending": len(pending), "failed_again_ratio": round(ratio, 4), "why": None}
        self.waves.append(wave)
        doubtful = [key for key in ledger.keys(IN_DOUBT) if key in place]
        if unknown or pending:
            wave["why"] = "the outcome of %d retried keys is unknown (%s)" % (
                len(pending) or len(retried), unknown or "still pending after wait_timeout %s s" % self.wait_timeout)
        elif doubtful:  # a server that answers retries unreadably is not sent more
            wave["why"] = "%d keys are in doubt (%s)" % (len(doubtful), _one_line(ledger.first_reason((IN_DOUBT,))))
        elif ratio > self.ratio:
            wave["why"] = "%d of %d retried keys failed again, ratio %.2f > max_failed_again_ratio %s" % (
                len(failed), len(retried), ratio, self.ratio)
        if wave["why"]:
            self.tripped = self._message(wave, failed, place)

    def _settle(self, jobs, retried):
        """Wait for the wave's jobs and reconcile its keys; returns why the outcome is unknown, or None."""
        if not retried:
            return None
        dummy, error = wait_and_reconcile(self.ctx, jobs, retried, self.wait_timeout, self.poll_interval)
        return "the retries could not be reconciled: %s" % _one_line(error) if error else None

    def _message(self, wave, failed, place):
        left = len(self.ledger.keys(HELD_FOR_WAVE))
        return "canary: circuit breaker tripped after wave %d of %d keys: %s; stopped, %d keys left untouched " \
               "(not_attempted_breaker)%s" % (wave["wave"], wave["keys"], wave["why"], left,
                                              self._first_failures(failed, place))

    def _first_failures(self, failed, place):
        """`` First failures: key: message; ...`` read from the open errors the failed-again keys left."""
        wanted = failed[:FIRST_FAILURES]
        messages = {}
        for target in sorted(set(place[key] for key in wanted)):
            try:
                for error in self.ctx.adapter.iter_errors(target[0], target[1]):
                    if error.get("retryDataKey") in wanted:
                        messages[error["retryDataKey"]] = _one_line(error.get("message"))
            except FlowOpsError:
                continue  # the first messages are a courtesy; the breaker already tripped
        if not wanted:
            return ""
        return ". First failures: " + "; ".join("%s: %s" % (key, messages.get(key, "(message not read)")) for key in wanted)
