"""Property: flow_errors_retry's paging and retry logic against the emulator, under random page sizes, batch sizes,
concurrency, 429s (rate limiter, Retry-After 0), gateway errors and dropped connections, over several rounds in
which some keys fail again.

In every round, the keys the server sees retried are exactly the retryable keys open on enabled flows when the
round starts, each exactly once, and the task succeeds. ``run()`` is called in-process with a real adapter and
client; only the client's back-off step is shortened (``RetryPolicy.backoff``) to keep the search fast.
"""

from collections import Counter

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from ansible_collections.flowops.ipaas.tests.emulator import celigo
from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.faults.harness import posted_keys, run_inprocess, wait_until

SETTINGS = settings(max_examples=25, stateful_step_count=3, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck), print_blob=False)

READ_PATHS = (r"/errors$", r"^/v1/flows$", r"^/v1/flows/[^/]+$", r"^/v1/jobs/", r"/descendants$")
READ_FAULTS = st.fixed_dictionaries({
    "method": st.just("GET"),
    "path": st.sampled_from(READ_PATHS),
    "action": st.sampled_from(["status", "reset_before", "reset_after", "raw"]),
    "status": st.sampled_from([502, 503, 504]),
    "skip": st.integers(0, 6),
    "times": st.integers(1, 2),
})
WRITE_FAULTS = st.fixed_dictionaries({
    "method": st.just("POST"),
    "action": st.sampled_from(["status", "reset_before", "reset_after", "raw"]),
    "status": st.sampled_from([502, 503]),
    "skip": st.integers(0, 4),
    "times": st.just(1),
})


def _rule(spec, path=None):
    """A fault rule from a drawn spec; ``raw`` is a 429 with Retry-After 0."""
    rule_spec = dict(spec)
    if path:
        rule_spec["path"] = path
    if rule_spec["action"] == "raw":
        rule_spec.update(status=429, headers={"Retry-After": "0"},
                         body={"errors": [{"code": "too_many_requests", "message": "Rate limit exceeded."}]})
    elif rule_spec["action"] != "status":
        rule_spec.pop("status")
    return rule_spec


def _fast(adapter):
    adapter.client.policy.backoff = 0.001


class RetryRounds(RuleBasedStateMachine):
    """One emulator per example; each rule call is one flow_errors_retry run (a round)."""

    def __init__(self):
        super().__init__()
        self.handle = None
        self.scenario = None
        self.rounds = []

    @initialize(instances=st.integers(1, 3), steps=st.integers(1, 2), errors=st.integers(1, 8),
                retryable=st.sampled_from([0.5, 0.8, 1.0]), fail_again=st.sampled_from([0.0, 0.3, 1.0]),
                disabled=st.integers(0, 1), seed=st.integers(0, 10000))
    # pylint: disable-next=too-many-arguments,too-many-positional-arguments
    def start(self, instances, steps, errors, retryable, fail_again, disabled, seed):
        self.scenario = scenarios.generate(instances=instances, steps=steps, errors_per_step=errors,
                                           retryable_share=retryable, fail_again_share=fail_again,
                                           disabled_instances=min(disabled, instances), seed=seed, fail_again_times=1)
        self.handle = celigo.start(self.scenario, strict=True, job_seconds=0.02)

    def _enabled(self):
        return scenarios.instance_ids(self.scenario, disabled=False)

    def _open_keys(self):
        state = self.handle.state
        wait_until(lambda: state.advance_jobs() or not state.pending, timeout=10, what="the jobs of the last round")
        return {error["retryDataKey"] for flow_id in self._enabled() for step_id in scenarios.step_ids(self.scenario, flow_id)
                for error in state.open_errors(flow_id, step_id) if error.get("retryDataKey")}

    @rule(page_size=st.integers(1, 7), flow_page_size=st.integers(1, 3), batch_size=st.integers(1, 5),
          concurrency=st.integers(1, 3), rate_every=st.sampled_from([0, 3, 4, 7]),
          read_faults=st.lists(READ_FAULTS, max_size=2), write_fault=st.none() | WRITE_FAULTS)
    # pylint: disable-next=too-many-arguments,too-many-positional-arguments,too-many-locals
    def retry_round(self, page_size, flow_page_size, batch_size, concurrency, rate_every, read_faults, write_fault):
        expected = self._open_keys()
        before = dict(self.handle.retry_counts)
        faults = [_rule(spec) for spec in read_faults]
        if write_fault and self._enabled():
            faults.append(_rule(write_fault, "^/v1/flows/(%s)/[^/]+/retry$" % "|".join(self._enabled())))
        self.handle.clear_requests()
        self.handle.configure(page_size=page_size, flow_page_size=flow_page_size, rate_limit_every=rate_every,
                              retry_after=0, faults=faults)
        round_info = {"page_size": page_size, "batch_size": batch_size, "concurrency": concurrency, "rate_every": rate_every,
                      "faults": faults, "expected": len(expected)}
        self.rounds.append(round_info)
        try:
            result, _adapter = run_inprocess(
                "flow_errors_retry", self.handle.url, self.handle.token, setup=_fast,
                abstract_flow_id=scenarios.abstract_flow_ids(self.scenario), batch_size=batch_size,
                max_concurrency=concurrency, max_retries=10, wait=True, poll_interval=0.01, wait_timeout=30)
        finally:
            self.handle.configure(rate_limit_every=0, faults=[])
        after = self.handle.retry_counts
        delta = {key: count - before.get(key, 0) for key, count in after.items() if count != before.get(key, 0)}
        assert delta == dict.fromkeys(expected, 1), "round %s: retried %s" % (round_info, delta)
        sent = Counter(posted_keys(self.handle))
        assert set(sent.values()) <= {1}, "sent twice: %s" % [key for key, count in sent.items() if count > 1]
        assert result["counts"]["retried"] == len(expected), result["counts"]
        assert result["counts"]["in_doubt"] == result["counts"]["failed"] == 0, result["counts"]

    def teardown(self):
        if self.handle is not None:
            problems = self.handle.problems()
            self.handle.stop()
            assert not problems, problems


TestRetryRounds = RetryRounds.TestCase
TestRetryRounds.settings = SETTINGS
