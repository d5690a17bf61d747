"""Body paging of open and resolved errors, stable cursors, resolving."""

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios


def walk(api, path, key):
    """Every page of a body-paged listing: (items, pages, nextPageURLs seen)."""
    items, pages, links = [], 0, []
    while path:
        body = api.get(path).json()
        pages += 1
        items += body[key]
        path = body.get("nextPageURL")
        if path:
            links.append(path)
            path = path[len("/api"):]
    return items, pages, links


def test_open_errors_page_with_api_prefixed_next_url_omitted_on_last_page(api, celigo_emulator, instance):
    flow_id, steps = instance
    celigo_emulator.configure(page_size=4)
    first = api.get("/v1/flows/%s/%s/errors" % (flow_id, steps[1])).json()
    assert len(first["errors"]) == 4
    assert first["nextPageURL"].startswith("/api/v1/flows/%s/%s/errors?pageToken=" % (flow_id, steps[1]))
    last = api.get(first["nextPageURL"]).json()  # the /api-prefixed URL is served as is
    assert len(last["errors"]) == 2
    assert "nextPageURL" not in last
    errors, pages = walk(api, "/v1/flows/%s/%s/errors" % (flow_id, steps[1]), "errors")[:2]
    assert pages == 2
    assert sorted(error["errorId"] for error in errors) == sorted(
        error["errorId"] for error in scenarios.errors(celigo_emulator.scenario, flow_id, steps[1]))
    assert [error["occurredAt"] for error in errors] == sorted(error["occurredAt"] for error in errors)


def test_exact_page_multiple_has_no_empty_trailing_page(api, celigo_emulator, instance):
    flow_id, steps = instance
    celigo_emulator.configure(page_size=3)
    pages, links = walk(api, "/v1/flows/%s/%s/errors" % (flow_id, steps[0]), "errors")[1:]
    assert (pages, len(links)) == (2, 1)


def test_error_fields_follow_the_scenario_and_hide_emulator_fields(api, celigo_emulator, instance):
    flow_id, steps = instance
    errors = api.get("/v1/flows/%s/%s/errors" % (flow_id, steps[0])).json()["errors"]
    expected = {error["errorId"]: error for error in scenarios.errors(celigo_emulator.scenario, flow_id, steps[0])}
    for error in errors:
        source = expected[error["errorId"]]
        assert "fail_again" not in error and "_flowId" not in error
        for field in ("occurredAt", "source", "code", "message", "classification", "tags"):
            assert error[field] == source[field]
        assert error.get("retryDataKey") == source.get("retryDataKey")


def test_paging_is_stable_when_errors_are_resolved_between_pages(api, celigo_emulator, instance):
    flow_id, steps = instance
    celigo_emulator.configure(page_size=2)
    path = "/v1/flows/%s/%s/errors" % (flow_id, steps[1])
    all_ids = [error["errorId"] for error in celigo_emulator.state.open_errors(flow_id, steps[1])]
    first = api.get(path).json()
    assert [error["errorId"] for error in first["errors"]] == all_ids[:2]
    # Resolve one already seen and one not yet seen: no error may be skipped or repeated.
    api.put("/v1/flows/%s/%s/resolved" % (flow_id, steps[1]), json={"errors": [all_ids[0], all_ids[3]]})
    rest = walk(api, first["nextPageURL"][len("/api"):], "errors")[0]
    assert [error["errorId"] for error in rest] == [all_ids[2], all_ids[4], all_ids[5]]


def test_new_errors_appear_after_the_cursor(celigo_emulator_factory, api_for):
    scenario = scenarios.default_scenario()
    flow_id = scenarios.instance_ids(scenario)[0]
    step_id = scenarios.step_ids(scenario, flow_id)[1]
    failing = scenarios.errors(scenario, flow_id, step_id, retryable=True)[0]
    failing["fail_again"] = 1
    handle = celigo_emulator_factory(scenario, page_size=5, job_seconds=0)
    api = api_for(handle)
    first = api.get("/v1/flows/%s/%s/errors" % (flow_id, step_id)).json()
    # A failing retry resolves the old error and adds a new one while the client is between pages.
    assert api.post("/v1/flows/%s/%s/retry" % (flow_id, step_id), json={"retryDataKeys": [failing["retryDataKey"]]}).status_code == 200
    rest = walk(api, first["nextPageURL"][len("/api"):], "errors")[0]
    seen = [error["errorId"] for error in first["errors"] + rest]
    assert len(seen) == len(set(seen)) == 7  # the six of the scenario and the new one
    assert rest[-1]["retryDataKey"] == failing["retryDataKey"] and rest[-1]["errorId"] != failing["errorId"]


def test_resolve_moves_errors_to_resolved_with_resolver(api, celigo_emulator, instance):
    flow_id, steps = instance
    ids = [error["errorId"] for error in celigo_emulator.state.open_errors(flow_id, steps[0])]
    response = api.put("/v1/flows/%s/%s/resolved" % (flow_id, steps[0]), json={"errors": ids[:2] + ["f" * 24]})
    assert response.status_code == 204 and response.content == b""
    open_ids = [error["errorId"] for error in api.get("/v1/flows/%s/%s/errors" % (flow_id, steps[0])).json()["errors"]]
    assert open_ids == ids[2:]
    resolved = api.get("/v1/flows/%s/%s/resolved" % (flow_id, steps[0])).json()["resolved"]
    assert [error["errorId"] for error in resolved] == ids[:2]
    assert all(error["resolvedBy"] == celigo_emulator.scenario["user_id"] and error["resolvedAt"] for error in resolved)
    # Resolving again is a silent no-op.
    assert api.put("/v1/flows/%s/%s/resolved" % (flow_id, steps[0]), json={"errors": ids[:2]}).status_code == 204
    assert len(api.get("/v1/flows/%s/%s/resolved" % (flow_id, steps[0])).json()["resolved"]) == 2


def test_resolved_listing_pages_too(api, celigo_emulator, instance):
    flow_id, steps = instance
    celigo_emulator.configure(page_size=4)
    ids = [error["errorId"] for error in celigo_emulator.state.open_errors(flow_id, steps[0])]
    api.put("/v1/flows/%s/%s/resolved" % (flow_id, steps[0]), json={"errors": ids})
    resolved, pages, links = walk(api, "/v1/flows/%s/%s/resolved" % (flow_id, steps[0]), "resolved")
    assert [error["errorId"] for error in resolved] == ids
    assert pages == 2 and links[0].startswith("/api/v1/flows/%s/%s/resolved?pageToken=" % (flow_id, steps[0]))


@pytest.mark.parametrize("body", [{}, {"errors": "abc"}, {"errors": []}, {"errorIds": ["x"]}, {"errors": [1]}])
def test_malformed_resolve_body_is_400(celigo_emulator_factory, api_for, body):
    handle = celigo_emulator_factory(strict=False)  # these bodies break the spec on purpose
    flow_id = scenarios.instance_ids(handle.scenario)[0]
    step_id = scenarios.step_ids(handle.scenario, flow_id)[0]
    response = api_for(handle).put("/v1/flows/%s/%s/resolved" % (flow_id, step_id), json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


def test_unknown_step_or_flow_is_404(api, instance):
    flow_id = instance[0]
    assert api.get("/v1/flows/%s/%s/errors" % (flow_id, "a" * 24)).status_code == 404
    assert api.get("/v1/flows/%s/%s/errors" % ("a" * 24, "b" * 24)).status_code == 404


def test_bad_page_token_is_400(api, instance):
    flow_id, steps = instance
    response = api.get("/v1/flows/%s/%s/errors" % (flow_id, steps[0]), params={"pageToken": "nope"})
    assert response.status_code == 400


def test_open_errors_filter_on_occurred_at_and_repeated_source(api, celigo_emulator, instance):
    """Celigo "Errors API endpoints": occurredAt_gte / occurredAt_lte (UTC ISO 8601) and source."""
    flow_id, steps = instance
    celigo_emulator.configure(page_size=2)
    expected = scenarios.errors(celigo_emulator.scenario, flow_id, steps[1])
    times = sorted(error["occurredAt"] for error in expected)
    low, high = times[1], times[-2]
    sources = sorted(set(error["source"] for error in expected))
    path = "/v1/flows/%s/%s/errors" % (flow_id, steps[1])
    got = []
    params = {"occurredAt_gte": low, "occurredAt_lte": high, "source": sources[:1]}
    while path:
        body = api.get(path, params=params).json()
        got += body["errors"]
        path = body.get("nextPageURL", "")[len("/api"):]
        assert "occurredAt" not in path  # the next URL carries only the page token
    want = [e["errorId"] for e in expected if low <= e["occurredAt"] <= high and e["source"] == sources[0]]
    assert sorted(e["errorId"] for e in got) == sorted(want) and want


def test_bad_occurred_at_filter_is_a_400(api, instance):
    flow_id, steps = instance
    response = api.get("/v1/flows/%s/%s/errors" % (flow_id, steps[1]), params={"occurredAt_gte": "yesterday"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_query_params"
