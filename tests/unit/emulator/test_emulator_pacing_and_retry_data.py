"""The rate window switch (Cloudflare-like N requests per window) and the Celigo retry data PUT."""

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.core.cli import parse_rate_window


def test_the_rate_window_lets_n_requests_through_then_answers_429_until_the_window_frees(celigo_emulator, api):
    celigo_emulator.configure(rate_window=[5, 30])
    statuses = [api.get("/v1/flows").status_code for dummy in range(7)]
    assert statuses == [200] * 5 + [429, 429]
    refused = api.get("/v1/flows")
    assert refused.json()["errors"][0]["code"] == "too_many_requests"
    assert 28 <= int(refused.headers["Retry-After"]) <= 30  # seconds until the oldest request leaves the window
    celigo_emulator.configure(rate_window=None)
    assert api.get("/v1/flows").status_code == 200


def test_the_rate_window_slides(celigo_emulator, api):
    now = [1000.0]
    celigo_emulator.app.clock = lambda: now[0]
    celigo_emulator.configure(rate_window=[2, 5])
    assert [api.get("/v1/flows").status_code for dummy in range(3)] == [200, 200, 429]
    now[0] += 5.01
    assert api.get("/v1/flows").status_code == 200


@pytest.mark.parametrize("text, expected", [("1200/300", [1200, 300.0]), ("60/5", [60, 5.0]), ("3/0.5", [3, 0.5])])
def test_rate_window_switch_parses(text, expected):
    assert parse_rate_window(text) == expected


@pytest.mark.parametrize("text", ["60", "0/5", "60/0", "a/b", "60/-1"])
def test_rate_window_switch_refuses_junk(text):
    with pytest.raises(Exception, match="REQUESTS/SECONDS"):
        parse_rate_window(text)


def _first_key(celigo_emulator, instance):
    flow_id, steps = instance
    error = next(e for e in celigo_emulator.state.open_errors(flow_id, steps[1]) if e.get("retryDataKey"))
    return "/v1/flows/%s/%s/%s/data" % (flow_id, steps[1], error["retryDataKey"])


def test_put_retry_data_replaces_the_envelope_and_the_next_get_returns_it(celigo_emulator, api, instance):
    path = _first_key(celigo_emulator, instance)
    envelope = api.get(path).json()
    envelope["data"] = {"id": "REC-1", "amount": 12.5}
    assert api.put(path, json=envelope).status_code == 204
    assert api.get(path).json() == envelope


def test_put_retry_data_refuses_a_changed_stage_and_an_unknown_key(celigo_emulator, api, instance):
    path = _first_key(celigo_emulator, instance)
    envelope = api.get(path).json()
    changed = api.put(path, json=dict(envelope, stage="page_generator" if envelope["stage"] != "page_generator" else "x"))
    assert changed.status_code == 400 and "stage" in changed.json()["errors"][0]["message"]
    flow_id, steps = instance
    missing = api.put("/v1/flows/%s/%s/%s/data" % (flow_id, steps[1], "0" * 32), json=dict(envelope, retryDataKey="0" * 32))
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "no_retrydata_found"
    assert api.get(path).json() == envelope
    celigo_emulator.openapi_violations.clear()  # the 400s are on purpose
