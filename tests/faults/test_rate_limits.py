"""Case 1: HTTP 429 and Retry-After, measured on the emulator's request log time stamps."""

# pylint: disable=redefined-outer-name

import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError
from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.faults.harness import assert_one_line, logged, posted_keys, run_inprocess, small_scenario

BACKOFF = 0.5  # RetryPolicy's first backoff step, what a non-integer Retry-After falls back to


def rate_limited(path, retry_after, method="GET", times=1):
    return {"method": method, "path": path, "action": "raw", "status": 429, "headers": {"Retry-After": retry_after},
            "body": {"errors": [{"code": "too_many_requests", "message": "Rate limit exceeded. Retry later."}]},
            "times": times}


@pytest.fixture
def scenario():
    return small_scenario(steps=1, errors=4)


@pytest.fixture
def flow_id(scenario):
    return scenarios.instance_ids(scenario)[0]


def gap_between_first_two(emulator, method, path):
    entries = logged(emulator, method, path)
    assert len(entries) >= 2, entries
    assert entries[0]["status"] == 429 and entries[1]["status"] in (200, 204), entries[:2]
    return entries[1]["ts"] - entries[0]["ts"]


def test_integer_retry_after_is_honoured_on_a_read(celigo_emulator_factory, scenario, flow_id):
    path = "^/v1/flows/%s$" % flow_id
    emulator = celigo_emulator_factory(scenario, faults=[rate_limited(path, "1")])
    result, _adapter = run_inprocess("flow_instance_info", emulator.url, emulator.token, flow_ids=[flow_id])
    assert result["flows"][0]["_id"] == flow_id
    gap = gap_between_first_two(emulator, "GET", path)
    assert 1.0 <= gap < 2.5, "the retry came %.3f s after the 429 that asked for 1 s" % gap


def test_integer_retry_after_is_honoured_on_a_retry_post_without_a_duplicate(celigo_emulator_factory, scenario, flow_id):
    emulator = celigo_emulator_factory(scenario, faults=[rate_limited("/retry$", "1", method="POST")])
    result, _adapter = run_inprocess("flow_errors_retry", emulator.url, emulator.token, flow_ids=[flow_id])
    keys = scenarios.retry_keys(scenario, flow_id)
    assert result["counts"]["retried"] == len(keys)
    gap = gap_between_first_two(emulator, "POST", "/retry$")
    assert 1.0 <= gap < 2.5, gap
    assert len(logged(emulator, "POST")) == 2  # the 429 (not processed) and its one re-send
    assert sorted(posted_keys(emulator)) == sorted(keys)
    assert emulator.retry_counts == dict.fromkeys(keys, 1)


@pytest.mark.parametrize("asked, cap", [("86400", None), ("3", 1)], ids=["huge-vs-default-cap", "above-a-small-cap"])
def test_retry_after_above_the_cap_fails_at_once_and_clearly(celigo_emulator_factory, scenario, flow_id, asked, cap):
    path = "^/v1/flows/%s$" % flow_id
    emulator = celigo_emulator_factory(scenario, faults=[rate_limited(path, asked, times=None)])
    options = {} if cap is None else {"retry_after_cap": cap}
    started = time.monotonic()
    with pytest.raises(FlowOpsError) as failure:
        run_inprocess("flow_instance_info", emulator.url, emulator.token, flow_ids=[flow_id], **options)
    elapsed = time.monotonic() - started
    message = str(failure.value)
    assert_one_line(message)
    assert "retry_after_cap" in message and asked in message, message
    assert elapsed < 2.0, "waited %.1f s before failing" % elapsed
    assert len(logged(emulator, "GET", path)) == 1


def _http_date_in_an_hour():
    return format_datetime(datetime.now(timezone.utc) + timedelta(hours=1), usegmt=True)


@pytest.mark.parametrize("header", ["soon", "1.5", "-1", _http_date_in_an_hour(), "\u00b2"],
                         ids=["word", "fraction", "negative", "http-date", "superscript-two"])
def test_non_integer_retry_after_falls_back_to_backoff(celigo_emulator_factory, scenario, flow_id, header):
    path = "^/v1/flows/%s$" % flow_id
    emulator = celigo_emulator_factory(scenario, faults=[rate_limited(path, header)])
    result, _adapter = run_inprocess("flow_instance_info", emulator.url, emulator.token, flow_ids=[flow_id])
    assert result["flows"][0]["_id"] == flow_id
    gap = gap_between_first_two(emulator, "GET", path)
    assert BACKOFF * 0.9 <= gap < 1.4, "Retry-After %r: the retry came after %.3f s, expected the %.1f s backoff" % (
        header, gap, BACKOFF)
