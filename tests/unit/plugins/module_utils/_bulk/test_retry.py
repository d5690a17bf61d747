# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""retry.py and canary.py through flow_errors_retry's run() on an in-memory platform: a retry answered with success
but an unreadable body is in doubt (never failed, never re-sent), and bad number options are refused before any
request."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.base import malformed
from ansible_collections.flowops.ipaas.plugins.modules import flow_errors_retry

from ansible_collections.flowops.ipaas.tests.unit.plugins.modules.fake_platform import FakeAdapter, FakeModule, run_with
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.retry import key_outcome


def module(**params):
    params.setdefault("flow_ids", ["f0", "f1"])
    params.setdefault("poll_interval", 0.01)
    return FakeModule(flow_errors_retry.ARGUMENT_SPEC, **params)


@pytest.fixture
def platform():
    adapter = FakeAdapter()
    for flow_id in ("f0", "f1"):
        adapter.add_flow(flow_id, steps=("s1",))
        adapter.add_errors(flow_id, "s1", 4)
    return adapter


def answered_unreadably(flows=("f0", "f1")):
    """A fault: the retry POST of these flows is answered 200 with a body that is no job."""
    def fault(method, flow_id, step_id, payload):
        if method == "POST" and flow_id in flows:
            return malformed("the retry job: _id is missing, expected a string or a number", "POST",
                             "/v1/flows/%s/%s/retry" % (flow_id, step_id), status=200, may_have_applied=True)
        return None
    return fault


def client_error_after_200(method, flow_id, step_id, payload):
    """The client's own error for a 200 whose body is not JSON: status 200, not marked may_have_applied."""
    if method == "POST":
        return FlowOpsError("response is not valid JSON", status=200, method="POST", path="/v1/flows/%s/%s/retry" % (flow_id, step_id))
    return None


def listings(platform):
    return [call for call in platform.calls if call[1] == "errors"]


@pytest.mark.parametrize("fault", [answered_unreadably(), client_error_after_200])
def test_a_retry_answered_200_unreadably_is_in_doubt_and_never_sent_again(platform, fault):
    platform.faults.append(fault)
    with pytest.raises(FlowOpsError) as caught:
        run_with(flow_errors_retry.run, module(), platform)
    counts = caught.value.result["counts"]
    assert (counts["in_doubt"], counts["failed"], counts["retried"]) == (8, 0, 0)
    assert str(caught.value).startswith("retried 0 of 8 selected keys; 8 keys remain not retried (0 failed, 8 in doubt): "
                                        "the retry may have been applied: POST /v1/flows/f")
    assert len(platform.writes()) == 2  # one POST a flow: no re-send
    assert len(listings(platform)) == 2  # and no re-read of the open errors to "settle" it


def test_an_unanswered_retry_is_still_settled_by_re_reading(platform):
    state = {"sent": 0}

    def lost_once(method, flow_id, step_id, payload):
        if method == "POST" and not state["sent"]:
            state["sent"] += 1
            return FlowOpsError("no response within 30 s (timeout)", method="POST", path="/retry", may_have_applied=True)
        return None

    platform.faults.append(lost_once)
    result = run_with(flow_errors_retry.run, module(max_concurrency=1), platform)
    assert result["counts"]["retried"] == 8 and len(listings(platform)) == 3  # the lost batch was re-read, then re-sent


@pytest.mark.parametrize("max_retries", [1, 3])
def test_a_batch_lost_every_time_is_settled_max_retries_times_then_in_doubt(platform, max_retries):
    def always_lost(method, flow_id, step_id, payload):
        if method == "POST" and flow_id == "f0":
            return FlowOpsError("no response within 30 s (timeout)", method="POST", path="/retry", may_have_applied=True)
        return None

    platform.faults.append(always_lost)
    with pytest.raises(FlowOpsError) as caught:
        run_with(flow_errors_retry.run, module(max_concurrency=1, max_retries=max_retries), platform)
    counts = caught.value.result["counts"]
    assert (counts["retried"], counts["in_doubt"]) == (4, 4)
    assert "still undecided after %d settle rounds (max_retries)" % max_retries in str(caught.value)
    # The first send, then one re-send per settle round that found the keys provably untouched: max_retries at most.
    assert len([call for call in platform.writes() if call[2] == "f0"]) == 1 + max_retries


def test_a_canary_wave_in_doubt_trips_the_breaker(platform):
    platform.faults.append(answered_unreadably(flows=("f0", "f1")))
    with pytest.raises(FlowOpsError) as caught:
        run_with(flow_errors_retry.run, module(canary_keys=2, max_failed_again_ratio=0.5), platform)
    assert str(caught.value).startswith("canary: circuit breaker tripped after wave 1 of 2 keys: 2 keys are in doubt (the retry "
                                        "may have been applied: POST /v1/flows/")
    counts = caught.value.result["counts"]
    assert (counts["in_doubt"], counts["not_attempted_breaker"]) == (2, 6)
    assert len(platform.writes()) == 2  # the canary's two single-key batches, nothing more


BAD_NUMBERS = [
    ({"poll_interval": math.nan}, "poll_interval: nan is not a number"),
    ({"poll_interval": math.inf}, "poll_interval: inf is not a number"),
    ({"poll_interval": 0}, "poll_interval: 0 is out of range"),
    ({"poll_interval": 1e300}, "poll_interval: 1e+300 is out of range"),
    ({"wait_timeout": -1}, "wait_timeout: -1 is out of range"),
    ({"wait_timeout": 10 ** 400}, "wait_timeout: 1000"),
    ({"canary_keys": 10 ** 30}, "canary_keys: 10000000000000000000... is out of range"),
    ({"canary_keys": 2, "max_failed_again_ratio": math.nan}, "max_failed_again_ratio: nan is not a number"),
    ({"canary_keys": 2, "max_failed_again_ratio": -math.inf}, "max_failed_again_ratio: -inf is not a number"),
    ({"canary_keys": 2, "max_failed_again_ratio": 1.5}, "max_failed_again_ratio: 1.5 is out of range; use a value between 0 and 1"),
]


@pytest.mark.parametrize("params, start", BAD_NUMBERS)
def test_bad_numbers_are_refused_in_one_line_before_any_request(platform, params, start):
    with pytest.raises(ValidationError) as caught:
        run_with(flow_errors_retry.run, module(**params), platform)
    assert str(caught.value).startswith(start) and "\n" not in str(caught.value)
    assert platform.calls == []


@pytest.mark.parametrize("params", [{"poll_interval": 0.01, "wait_timeout": 0}, {"poll_interval": 3600, "wait_timeout": 604800},
                                    {"canary_keys": 1, "max_failed_again_ratio": 0}, {"canary_keys": 1, "max_failed_again_ratio": 1}])
def test_numbers_at_the_edges_are_taken(platform, params):
    assert run_with(flow_errors_retry.run, module(**params), platform)["counts"]["retried"] == 8


# -- issue #25: the reconcile rule over every open error id of a key --------------------------------


@pytest.mark.parametrize("open_now, job, expected", [
    ({"e1", "e2"}, ("completed", True), "failed_again"),  # the original stays open beside a new error
    ({"e2"}, ("completed", True), "failed_again"),  # the original resolved, a new error open
    (set(), ("completed", True), "succeeded"),
    ({"e1"}, ("completed", True), "pending"),  # only the listed id, after the job finished
    (set(), ("running", False), "pending"),
    ({"e1"}, ("canceled", True), "not_recovered"),
    (set(), ("failed", True), "not_recovered"),  # gone, but the platform reported no success
])
def test_key_outcome_is_what_the_platform_shows(open_now, job, expected):
    outcome, status = key_outcome(frozenset(open_now), frozenset({"e1"}), *job)
    assert outcome == expected
    if expected == "not_recovered":
        assert job[0] in status


class JobsListingAdapter(FakeAdapter):
    """A platform with a retry jobs listing (Celigo): ``jobs_in`` lists every retry job it made, finished at once,
    plus ``others`` (another actor's, by step); ``since`` is what each listing was asked with."""

    def __init__(self):
        super().__init__()
        self.others, self.asked, self.step_checks = {}, [], 0

    def retry_jobs_running(self, flow_id, step_id):
        self.step_checks += 1
        return []

    def retry_jobs_running_in(self, flow_id=None, integration_id=None, since=None):
        self.asked.append((flow_id, integration_id, since))
        found = dict((step, list(jobs)) for step, jobs in self.others.items())
        for job_id in self.jobs:  # ours too: the listing cannot tell whose a job is
            found.setdefault((flow_id, "s1"), []).append({"_id": job_id, "status": "completed", "done": True})
        return found


def test_a_finished_retry_of_another_actor_since_the_listing_leaves_the_keys_it_took_alone():
    platform = JobsListingAdapter()
    for flow_id in ("f0", "f1"):
        platform.add_flow(flow_id, steps=("s1",))
        platform.add_errors(flow_id, "s1", 3)
    taken = list(platform.open[("f0", "s1")].values())[0]
    original_iter = platform.iter_errors

    def colleague_after_listing(flow_id, step_id, resolved=False, filters=None):
        errors = list(original_iter(flow_id, step_id, resolved, filters))
        if (flow_id, step_id) == ("f0", "s1") and not platform.others:  # their retry ran and ended after our listing
            platform.open[("f0", "s1")].pop(taken["errorId"])
            platform.others[("f0", "s1")] = [{"_id": "theirs", "status": "completed", "done": True}]
        return iter(errors)

    platform.iter_errors = colleague_after_listing
    result = run_with(flow_errors_retry.run, module(wait=False), platform)
    assert result["counts"]["changed_since_listing"] == 1 and result["counts"]["retried"] == 5
    assert taken["retryDataKey"] not in platform.retry_counts
    assert sorted(asked[0] for asked in platform.asked) == ["f0", "f1"]  # one listing a flow (no integration), any order
    assert all(asked[2] is not None and asked[2].tzinfo is not None for asked in platform.asked)


def test_this_runs_own_jobs_of_an_earlier_canary_wave_are_not_another_actors():
    platform = JobsListingAdapter()
    platform.add_flow("f0", steps=("s1",))
    platform.add_errors("f0", "s1", 4)
    result = run_with(flow_errors_retry.run, module(flow_ids=["f0"], canary_keys=1, wait=True, wait_timeout=5), platform)
    assert len(platform.asked) >= 2 and platform.jobs  # every wave checked once; the later ones list our jobs
    assert platform.step_checks == 0  # ... which never make a step another actor's (no wait, no re-read)
    assert result["counts"]["retried"] == 4 and result["counts"].get("changed_since_listing", 0) == 0
    assert set(platform.retry_counts.values()) == {1}
