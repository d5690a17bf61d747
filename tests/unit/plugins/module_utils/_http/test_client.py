# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client: retry policy, Retry-After, error mapping, host check, token scrubbing, rate ceiling."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import html
import json
import re
import threading
import time

from http.client import RemoteDisconnected
from types import SimpleNamespace
from urllib.parse import quote, quote_plus

import pytest
import requests

from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from ansible_collections.flowops.ipaas.plugins.module_utils._http import client as client_module
from ansible_collections.flowops.ipaas.plugins.module_utils._http.client import MASK, WAIT_SLICE, Client, RetryPolicy, parse_retry_after
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError

OK = {"ok": True}


def refused(url="https://api.integrator.io/v1/flows"):
    """What requests raises when the TCP connect is refused: the request never left this host."""
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.exceptions.ConnectionError(MaxRetryError(None, url, reason=reason))


def dropped():
    """What requests raises when the server closes the connection without answering: it may have acted."""
    reason = ProtocolError("Connection aborted.", RemoteDisconnected("Remote end closed connection without response"))
    return requests.exceptions.ConnectionError(reason)


# -- auth and request plumbing ----------------------------------------------------------------------


def test_authorization_header_is_bearer_token(harness, token):
    client = harness.client()[0]
    prepared = client.session.prepare_request(requests.Request("GET", client.url_for("/v1/flows")))
    assert prepared.headers["Authorization"] == "Bearer " + token
    assert prepared.headers["Accept"] == "application/json"
    assert prepared.headers["User-Agent"].startswith("flowops.ipaas/")


def test_custom_auth_header_and_prefix(harness, token):
    client = harness.client(auth_header="X-Api-Key", auth_prefix="")[0]
    prepared = client.session.prepare_request(requests.Request("GET", client.url_for("/v1/flows")))
    assert prepared.headers["X-Api-Key"] == token
    assert "Authorization" not in prepared.headers


def test_request_passes_url_params_body_and_timeout(harness, raw):
    client, script, sleeps = harness.client([raw(201, {"_id": "j1"})], timeout=12)
    response = client.request("post", "/v1/flows/f1/run", params={"a": "b"}, body={"x": [1]})
    assert response.status == 201
    assert response.body == {"_id": "j1"}
    assert script.calls == [dict(method="POST", url="https://api.integrator.io/v1/flows/f1/run", params={"a": "b"},
                                 json={"x": [1]}, timeout=12, verify=True)]
    assert sleeps == []
    assert client.request_count == 1


def test_base_url_trailing_slash_and_path_without_slash(harness, raw):
    client, script = harness.client([raw(200, OK)], base_url="https://api.integrator.io/")[:2]
    client.request("GET", "v1/flows")
    assert script.urls == ["https://api.integrator.io/v1/flows"]


# -- 429 and Retry-After ----------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("7", 7), (" 12 ", 12), ("0", 0), (None, None), ("", None), ("1.5", None), ("-3", None), ("soon", None),
    ("Wed, 21 Oct 2015 07:28:00 GMT", None),
])
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value) == expected


def test_429_with_integer_retry_after_waits_exactly_that(harness, raw):
    client, script, sleeps = harness.client([raw(429, {"message": "slow down"}, headers={"Retry-After": "7"}),
                                             raw(200, OK)])
    assert client.request("GET", "/v1/flows").body == OK
    assert sleeps == [7]
    assert len(script.calls) == 2
    assert script.returned[0].closed, "a retried response is closed before the retry"
    assert client.request_count == 2


def test_429_is_retried_for_post_too(harness, raw):
    client, script, sleeps = harness.client([raw(429, headers={"Retry-After": "2"}), raw(200, OK)])
    assert client.request("POST", "/v1/flows/f/s/retry", body={"retryDataKeys": ["k"]}).body == OK
    assert sleeps == [2]
    assert [c["method"] for c in script.calls] == ["POST", "POST"]


def test_retry_after_equal_to_cap_is_honoured(harness, raw):
    policy = RetryPolicy(retry_after_cap=30)
    client, dummy, sleeps = harness.client([raw(429, headers={"Retry-After": "30"}), raw(200, OK)], policy=policy)
    client.request("GET", "/v1/flows")
    assert sleeps == [30]


def test_retry_after_above_cap_fails_without_sleeping(harness, raw):
    policy = RetryPolicy(retry_after_cap=60)
    client, script, sleeps = harness.client([raw(429, headers={"Retry-After": "3600"})], policy=policy)
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows")
    assert sleeps == []
    assert len(script.calls) == 1
    message = str(info.value)
    assert "retry_after_cap" in message
    assert "3600" in message and "60" in message
    assert info.value.status == 429
    assert info.value.code == "rate_limited"
    assert info.value.may_have_applied is False


@pytest.mark.parametrize("header", ["Wed, 21 Oct 2015 07:28:00 GMT", "1.5", "soon", None])
def test_non_integer_retry_after_falls_back_to_backoff(harness, raw, header):
    headers = {"Retry-After": header} if header is not None else {}
    policy = RetryPolicy(backoff=0.25)
    client, script, sleeps = harness.client([raw(429, headers=headers), raw(429, headers=headers), raw(200, OK)],
                                            policy=policy)
    assert client.request("GET", "/v1/flows").body == OK
    assert sleeps == [0.25, 0.5]
    assert len(script.calls) == 3


def test_429_forever_gives_up_after_max_retries(harness, raw):
    policy = RetryPolicy(max_retries=3)
    outcomes = [raw(429, {"message": "Too many requests"}, headers={"Retry-After": "1"}) for dummy in range(4)]
    client, script, sleeps = harness.client(outcomes, policy=policy)
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows")
    assert sleeps == [1, 1, 1]
    assert len(script.calls) == 4
    assert "gave up after 3 retries" in str(info.value)
    assert "Too many requests" in str(info.value)
    assert info.value.status == 429


# -- 5xx --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [502, 503, 504])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_transient_on_idempotent_method_is_retried_with_exponential_backoff(harness, raw, status, method):
    policy = RetryPolicy(max_retries=4, backoff=0.1, backoff_max=0.5)
    outcomes = [raw(status, {"message": "upstream unavailable"}) for dummy in range(5)]
    client, script, sleeps = harness.client(outcomes, policy=policy)
    with pytest.raises(FlowOpsError) as info:
        client.request(method, "/v1/flows/f1")
    assert sleeps == pytest.approx([0.1, 0.2, 0.4, 0.5])
    assert len(script.calls) == 5
    assert client.request_count == 5
    assert "gave up after 4 retries" in str(info.value)
    assert info.value.status == status
    assert info.value.method == method
    assert info.value.path == "/v1/flows/f1"
    assert all(r.closed for r in script.returned[:4])


def test_default_backoff_doubles_from_half_a_second(harness, raw):
    client, dummy, sleeps = harness.client([raw(503) for dummy in range(6)])
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows")
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert "gave up after 5 retries" in str(info.value)


def test_transient_then_success(harness, raw):
    client, script, sleeps = harness.client([raw(503), raw(502), raw(200, OK)])
    assert client.request("GET", "/v1/flows").body == OK
    assert sleeps == [0.5, 1.0]
    assert len(script.calls) == 3


def test_max_retries_zero_sends_once(harness, raw):
    client, script, sleeps = harness.client([raw(503, {"message": "busy"})], policy=RetryPolicy(max_retries=0))
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows")
    assert len(script.calls) == 1
    assert sleeps == []
    assert "gave up" not in str(info.value)


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("status", [502, 503, 504])
def test_transient_on_non_idempotent_method_is_not_retried(harness, raw, method, status):
    client, script, sleeps = harness.client([raw(status, {"message": "gateway timeout"})])
    with pytest.raises(FlowOpsError) as info:
        client.request(method, "/v1/flows/f1/s1/retry", body={"retryDataKeys": ["k1"]})
    assert len(script.calls) == 1
    assert sleeps == []
    assert info.value.may_have_applied is True
    assert info.value.status == status
    assert "gave up" not in str(info.value)


def test_500_is_not_a_transient_status(harness, raw):
    client, script, sleeps = harness.client([raw(500, {"message": "boom"})])
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows")
    assert len(script.calls) == 1
    assert sleeps == []
    assert str(info.value) == "GET /v1/flows: HTTP 500 boom"


# -- 4xx --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status, body, code, message", [
    (400, {"errors": [{"code": "invalid_ref", "message": "Invalid retryDataKey"}]}, "invalid_ref", "Invalid retryDataKey"),
    (401, {"message": "Bearer Authentication Failed"}, None, "Bearer Authentication Failed"),
    (403, {"errors": [{"code": "forbidden", "message": "Insufficient permissions"}]}, "forbidden", "Insufficient permissions"),
    (404, {"errors": [{"code": "not_found", "message": "Flow not found"}]}, "not_found", "Flow not found"),
    (409, {"errors": [{"code": "conflict", "message": "A retry job is already running"}]}, "conflict",
     "A retry job is already running"),
    (422, {"errors": [{"code": 42, "message": "Unprocessable"}]}, "42", "Unprocessable"),
])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_client_errors_are_never_retried_and_keep_the_api_message(harness, raw, status, body, code, message, method):
    client, script, sleeps = harness.client([raw(status, body)])
    with pytest.raises(FlowOpsError) as info:
        client.request(method, "/v1/flows/f1")
    error = info.value
    assert len(script.calls) == 1
    assert sleeps == []
    assert error.status == status
    assert error.code == code
    assert error.message == message
    assert error.may_have_applied is False
    prefix = "%s /v1/flows/f1: HTTP %d " % (method, status)
    assert str(error) == prefix + ("[%s] " % code if code else "") + message
    assert error.to_fail_kwargs()["msg"] == str(error)


def test_several_api_errors_are_joined(harness, raw):
    body = {"errors": [{"code": "a", "message": "first"}, {"code": "b", "message": "second"}, "third"]}
    client = harness.client([raw(400, body)])[0]
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows")
    assert info.value.code == "a"
    assert info.value.message == "first; second; third"


def test_error_without_body_uses_reason(harness, raw):
    client = harness.client([raw(404, text="")])[0]
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows/x")
    assert info.value.message == "Not Found"


# -- bodies that are not what was expected ----------------------------------------------------------


HTML = "<!DOCTYPE html>\n<html>\n  <head><title>502 Bad Gateway</title></head>\n  <body>\n" + "<p>x</p>\n" * 200 + "</body></html>"


def test_html_page_with_200_is_one_clean_error(harness, raw):
    client, script = harness.client([raw(200, text=HTML, headers={"Content-Type": "text/html"})])[:2]
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows")
    message = str(info.value)
    assert len(script.calls) == 1
    assert "not valid JSON" in message and "text/html" in message
    assert "\n" not in message
    assert len(message) < 300
    assert info.value.status == 200


def test_html_error_page_is_one_clean_error(harness, raw):
    client, script = harness.client([raw(500, text=HTML, headers={"Content-Type": "text/html"})])[:2]
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows")
    message = str(info.value)
    assert len(script.calls) == 1
    assert message.startswith("GET /v1/flows: HTTP 500 unexpected text/html response: <!DOCTYPE html> <html>")
    assert "\n" not in message
    assert len(message) < 300


def test_truncated_json_is_one_clean_error(harness, raw):
    client, script = harness.client([raw(200, text='{"flowErrors": [{"_expOrImpId": "e1", "numErr',
                                         headers={"Content-Type": "application/json"})])[:2]
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows/f1/errors")
    assert len(script.calls) == 1
    assert "not valid JSON" in str(info.value)
    assert "application/json" in str(info.value)
    assert info.value.status == 200


@pytest.mark.parametrize("text", ["", "  \n"])
def test_empty_200_body_is_an_error_unless_allowed(harness, raw, text):
    client, script = harness.client([raw(200, text=text), raw(200, text=text)])[:2]
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows")
    assert "empty response body" in str(info.value)
    assert len(script.calls) == 1
    response = client.request("PUT", "/v1/flows/f/s/resolved", body={"errors": []}, allow_empty=True)
    assert response.body is None
    assert response.status == 200


def test_204_gives_body_none(harness, raw):
    client = harness.client([raw(204, text="")])[0]
    response = client.request("POST", "/v1/flows/f/s/retry", body={"retryDataKeys": []})
    assert response.status == 204
    assert response.body is None


# -- transport errors -------------------------------------------------------------------------------


def test_refused_connection_on_post_is_resent(harness, raw):
    client, script, sleeps = harness.client([refused(), raw(200, OK)])
    assert client.request("POST", "/v1/flows/f/s/retry", body={"retryDataKeys": ["k"]}).body == OK
    assert len(script.calls) == 2
    assert sleeps == [0.5]


def test_refused_connection_forever_never_applied(harness):
    client, script, sleeps = harness.client([refused() for dummy in range(3)], policy=RetryPolicy(max_retries=2))
    with pytest.raises(FlowOpsError) as info:
        client.request("POST", "/v1/flows/f/run")
    assert len(script.calls) == 3
    assert sleeps == [0.5, 1.0]
    assert info.value.may_have_applied is False
    assert "connection failed" in str(info.value)
    assert "gave up after 2 retries" in str(info.value)


def test_connection_dropped_on_post_is_not_resent(harness):
    client, script, sleeps = harness.client([dropped()])
    with pytest.raises(FlowOpsError) as info:
        client.request("POST", "/v1/flows/f/s/retry", body={"retryDataKeys": ["k"]})
    assert len(script.calls) == 1
    assert sleeps == []
    assert info.value.may_have_applied is True
    assert info.value.method == "POST"
    assert "connection failed" in str(info.value)


@pytest.mark.parametrize("failure, method, path", [
    (dropped(), "GET", "/v1/flows"),
    (requests.exceptions.ReadTimeout("read timed out"), "GET", "/v1/flows"),
    (requests.exceptions.ConnectTimeout("connect timed out"), "POST", "/v1/flows/f/run"),  # never reached the server
], ids=["connection_dropped_on_get", "read_timeout_on_get", "connect_timeout_on_post"])
def test_a_failure_that_may_be_sent_again_is_sent_again_once(harness, raw, failure, method, path):
    client, script, sleeps = harness.client([failure, raw(200, OK)])
    assert client.request(method, path).body == OK
    assert len(script.calls) == 2
    assert sleeps == [0.5]


def test_read_timeout_on_post_is_not_resent(harness):
    client, script, sleeps = harness.client([requests.exceptions.ReadTimeout("read timed out")], timeout=7)
    with pytest.raises(FlowOpsError) as info:
        client.request("POST", "/v1/flows/f/run")
    assert len(script.calls) == 1
    assert sleeps == []
    assert info.value.may_have_applied is True
    assert "no response within 7 s" in str(info.value)


def test_read_timeouts_on_get_give_up(harness):
    outcomes = [requests.exceptions.ReadTimeout("read timed out") for dummy in range(3)]
    client, script, sleeps = harness.client(outcomes, policy=RetryPolicy(max_retries=2, backoff=0.01))
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows")
    assert len(script.calls) == 3
    assert sleeps == [0.01, 0.02]
    assert "gave up after 2 retries" in str(info.value)
    assert info.value.may_have_applied is True


# -- host check -------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "https://evil.example/v1/flows",
    "https://api.integrator.io.evil.example/v1/flows",
    "https://api.integrator.io:8443/v1/flows",
    "http://api.integrator.io/v1/flows",
    "https://api.integrator.io@evil.example/v1/flows",
    "https://api.eu.integrator.io/v1/flows",
])
def test_absolute_url_on_another_origin_is_refused_before_any_call(harness, token, url):
    client, script, sleeps = harness.client()
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", url)
    assert script.calls == []
    assert sleeps == []
    assert client.request_count == 0
    message = str(info.value)
    assert "refusing to send the API token" in message
    assert "https://api.integrator.io:443" in message
    assert token not in message


@pytest.mark.parametrize("url", [
    "https://api.integrator.io/v1/flows?page=2",
    "https://api.integrator.io:443/v1/flows?page=2",
    "https://API.Integrator.IO/v1/flows?page=2",
])
def test_absolute_url_on_the_same_origin_is_used_as_is(harness, raw, url):
    client, script = harness.client([raw(200, [])])[:2]
    client.request("GET", url)
    assert script.urls == [url]


def test_path_that_looks_like_a_host_stays_on_the_configured_host(harness, raw):
    client, script = harness.client([raw(200, [])])[:2]
    client.request("GET", "//evil.example/v1/flows")
    assert script.urls == ["https://api.integrator.io/evil.example/v1/flows"]


def test_http_base_url_other_port_is_refused(harness):
    client, script = harness.client(base_url="http://127.0.0.1:8080")[:2]
    with pytest.raises(FlowOpsError):
        client.request("GET", "http://127.0.0.1:8081/v1/flows")
    with pytest.raises(FlowOpsError):
        client.request("GET", "http://127.0.0.1/v1/flows")
    assert script.calls == []


@pytest.mark.parametrize("url", ["https://api.integrator.io:99999/v1/flows", "https://api.integrator.io:abc/v1/flows"])
def test_url_with_a_malformed_port_is_refused_cleanly(harness, url):
    """A server-supplied next-page URL with a bad port must fail as FlowOpsError, not a ValueError traceback."""
    client, script = harness.client()[:2]
    with pytest.raises(FlowOpsError):
        client.request("GET", url)
    assert script.calls == []


# -- token scrubbing --------------------------------------------------------------------------------


def _token_forms(token):
    return [token, quote(token, safe=""), base64.b64encode(token.encode("utf-8")).decode("ascii")]


def test_token_forms_are_distinct_in_this_test(token):
    assert len(set(_token_forms(token))) == 3


def test_token_is_scrubbed_from_api_error_messages(harness, raw, token):
    echoed = "bad token %s (encoded %s, basic %s)" % tuple(_token_forms(token))
    client = harness.client([raw(401, {"message": echoed})])[0]
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows")
    message = str(info.value)
    for form in _token_forms(token):
        assert form not in message
    assert message.count(MASK) == 3
    assert "bad token" in message


def test_token_is_scrubbed_from_errors_list(harness, raw, token):
    body = {"errors": [{"code": "auth", "message": "token %s rejected" % quote(token, safe="")}]}
    client = harness.client([raw(403, body)])[0]
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows")
    assert quote(token, safe="") not in str(info.value)
    assert MASK in str(info.value)


def test_token_is_scrubbed_from_non_json_bodies(harness, raw, token):
    client = harness.client([raw(200, text="<html>Authorization: Bearer %s</html>" % token),
                             raw(500, text="<html>%s</html>" % base64.b64encode(token.encode()).decode())])[0]
    for dummy in range(2):
        with pytest.raises(FlowOpsError) as info:
            client.request("GET", "/v1/flows")
        assert token not in str(info.value)
        assert base64.b64encode(token.encode()).decode() not in str(info.value)
        assert MASK in str(info.value)


def test_token_is_scrubbed_from_transport_errors(harness, token):
    client = harness.client([requests.exceptions.ConnectionError("proxy said: %s" % quote(token, safe=""))],
                            policy=RetryPolicy(max_retries=0))[0]
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows")
    assert quote(token, safe="") not in str(info.value)
    assert MASK in str(info.value)


@pytest.mark.parametrize("status", [200, 500])
def test_no_part_of_the_token_survives_snippet_truncation(harness, raw, token, status):
    """The 120-character snippet must not cut the token in half before it is scrubbed."""
    text = "<html>" + "x" * 80 + " Bearer " + token + " </html>"
    client = harness.client([raw(status, text=text, headers={"Content-Type": "text/html"})])[0]
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows")
    assert token[:8] not in str(info.value)


def test_no_part_of_the_token_survives_transport_error_truncation(harness, token):
    error = requests.exceptions.ConnectionError("HTTPSConnectionPool: " + "y" * 50 + " Authorization: Bearer " + token)
    client = harness.client([error], policy=RetryPolicy(max_retries=0))[0]
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows")
    assert token[:8] not in str(info.value)


def test_scrub_leaves_other_text_alone(harness, token):
    client = harness.client()[0]
    assert client.scrub("nothing secret here") == "nothing secret here"
    assert client.scrub("x%sy" % token) == "x%sy" % MASK


# -- rate ceiling -----------------------------------------------------------------------------------


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_rate_ceiling_spaces_requests(harness, raw, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(client_module, "time", SimpleNamespace(monotonic=clock.monotonic, sleep=clock.sleep))
    client, script = harness.client([raw(200, OK) for dummy in range(4)], max_requests_per_second=4,
                                    sleep=clock.sleep)[:2]
    for dummy in range(4):
        client.request("GET", "/v1/flows")
    assert len(script.calls) == 4
    assert clock.sleeps == pytest.approx([0.25, 0.25, 0.25], rel=0.011)  # the pacer keeps 1 % headroom


def test_rate_ceiling_does_not_wait_when_requests_are_already_slow(harness, raw, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(client_module, "time", SimpleNamespace(monotonic=clock.monotonic, sleep=clock.sleep))
    client = harness.client([raw(200, OK) for dummy in range(3)], max_requests_per_second=2, sleep=clock.sleep)[0]
    client.request("GET", "/v1/flows")
    clock.now += 5
    client.request("GET", "/v1/flows")
    clock.now += 0.2
    client.request("GET", "/v1/flows")
    assert clock.sleeps == pytest.approx([0.3], rel=0.02)  # the pacer keeps 1 % headroom


def test_rate_ceiling_applies_to_retries(harness, raw, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(client_module, "time", SimpleNamespace(monotonic=clock.monotonic, sleep=clock.sleep))
    client = harness.client([raw(503), raw(200, OK)], max_requests_per_second=1, sleep=clock.sleep,
                            policy=RetryPolicy(backoff=0.25))[0]
    client.request("GET", "/v1/flows")
    # backoff 0.25 s, then the ceiling tops it up to one second between the two sends
    assert clock.sleeps == pytest.approx([0.25, 0.75], rel=0.02)  # the pacer keeps 1 % headroom


def test_no_ceiling_means_no_waiting(harness, raw):
    client, dummy, sleeps = harness.client([raw(200, OK) for dummy in range(5)])
    for dummy in range(5):
        client.request("GET", "/v1/flows")
    assert sleeps == []


def test_rate_ceiling_holds_across_threads(harness, raw):
    """Real clock, 50 requests/s: six sends from three threads span at least five 20 ms slots.

    (A thread that wakes late can land close to the next one, so single gaps are not bounded; the span is.)"""
    stamps = []
    lock = threading.Lock()

    def send(call):
        with lock:
            stamps.append(time.monotonic())
        return raw(200, OK)

    client = harness.client([send] * 6, max_requests_per_second=50, sleep=time.sleep)[0]

    def worker():
        client.request("GET", "/v1/flows")
        client.request("GET", "/v1/flows")

    threads = [threading.Thread(target=worker) for dummy in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert len(stamps) == 6
    stamps.sort()
    assert stamps[-1] - stamps[0] >= 0.095
    assert client.request_count == 6


def test_401_says_to_check_the_token_and_the_host_without_quoting_the_token(harness, raw, token):
    client = harness.client([raw(401, {"message": "Bearer Authentication Failed " + token})],
                            base_url="https://api.eu.integrator.io", platform="celigo")[0]
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows/f1")
    assert str(info.value) == (
        "GET /v1/flows/f1: HTTP 401 Bearer Authentication Failed %s: check api_token (FLOWOPS_API_TOKEN) and that "
        "region/api_url point at the account's celigo host (now https://api.eu.integrator.io)" % MASK)
    assert token not in str(info.value)


def test_403_gets_no_token_hint(harness, raw):
    client = harness.client([raw(403, {"message": "Forbidden"})], platform="celigo")[0]
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows/f1")
    assert "api_token" not in str(info.value)


def test_a_request_waiting_out_a_retry_after_is_not_sent_again_once_the_run_must_stop(harness, raw):
    client, script, sleeps = harness.client([raw(429, {}, headers={"Retry-After": "3"}), raw(200, {})])
    client.stopped = lambda: bool(sleeps)  # the controller went away while the client slept
    with pytest.raises(FlowOpsError) as info:
        client.request("POST", "/v1/flows/f1/s1/retry", body={"retryDataKeys": ["k1"]})
    assert len(script.calls) == 1 and sleeps == [0.5]  # woke within one slice of the 3 s wait
    assert str(info.value) == "POST /v1/flows/f1/s1/retry: not sent again: the controller is gone (killed or cancelled)"
    assert info.value.may_have_applied is False


def test_a_wait_before_a_resend_ends_early_once_the_controller_is_gone():
    """A run whose controller is gone stops within a slice of a long Retry-After, not after it."""
    slept, looks = [], []
    client = Client("https://api.integrator.io", "token-123456", sleep=slept.append)
    client.stopped = lambda: looks.append(1) or len(looks) > 3
    client._wait(20)  # pylint: disable=protected-access
    assert len(slept) == 3 and all(0 < seconds <= WAIT_SLICE for seconds in slept)
    client.close()


SLASHY_TOKEN = "fl0w/0ps+T0ken=w1th&ch@rs?%x~9<>"


@pytest.mark.parametrize("form", [
    json.dumps(SLASHY_TOKEN)[1:-1].replace("/", "\\/"),  # JSON with escaped slashes (PHP, some Java encoders)
    re.sub("%[0-9A-F]{2}", lambda match: match.group(0).lower(), quote(SLASHY_TOKEN, safe="")),
    quote_plus(SLASHY_TOKEN, safe=""),
    base64.urlsafe_b64encode(SLASHY_TOKEN.encode()).decode(),
    base64.b64encode(SLASHY_TOKEN.encode()).decode().rstrip("="),
    html.escape(SLASHY_TOKEN),
], ids=["json-escaped", "lower-hex", "quote-plus", "base64-urlsafe", "base64-unpadded", "html"])
def test_escaped_and_encoded_echoes_of_the_token_are_scrubbed(harness, raw, form):
    assert form != SLASHY_TOKEN
    client = harness.client([raw(400, {"message": "rejected %s here" % form})], token=SLASHY_TOKEN)[0]
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows")
    assert str(info.value) == "GET /v1/flows: HTTP 400 rejected %s here" % MASK


def test_the_token_in_a_same_host_next_page_path_is_not_quoted(harness, raw, token):
    client = harness.client([raw(404, {"message": "gone"})])[0]
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/api/v1/flows/%s/errors?pageToken=%s" % (quote(token, safe=""), token))
    assert str(info.value) == "GET /api/v1/flows/%s/errors: HTTP 404 gone" % MASK


def test_the_token_surrounded_by_whitespace_is_sent_and_scrubbed_stripped(harness, raw, token):
    client = harness.client([raw(401, {"message": "bad %s" % token})], token=token + "\n")[0]
    with pytest.raises(FlowOpsError) as info:
        client.request("GET", "/v1/flows")
    assert token not in str(info.value)
