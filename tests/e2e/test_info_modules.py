"""flow_instance_info and flow_errors_info through real ansible-playbook against the emulator."""

import json

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios


@pytest.fixture
def emulator(celigo_emulator_factory):
    return celigo_emulator_factory(scenarios.generate(instances=12, steps=2, errors_per_step=15, disabled_instances=1, seed=7),
                                   page_size=7, flow_page_size=5)


@pytest.fixture
def run(emulator, playbook_for):
    return playbook_for(emulator).run


def abstract_id(emulator):
    return scenarios.abstract_flow_ids(emulator.scenario)[0]


def test_instance_info_lists_every_instance_over_link_pages_with_steps_and_counts(emulator, run):
    result = run([{"flowops.ipaas.flow_instance_info": {"abstract_flow_id": abstract_id(emulator)}}])
    assert result.rc == 0, result.output
    flows = result["r0"]["flows"]
    assert len(flows) == 12
    assert [f["_id"] for f in flows if f["disabled"]] == scenarios.instance_ids(emulator.scenario, disabled=True)
    first = flows[0]
    assert [s["_id"] for s in first["steps"]] == scenarios.step_ids(emulator.scenario, first["_id"])
    assert all(s["name"] for s in first["steps"])
    assert first["open_errors"] == len(scenarios.errors(emulator.scenario, flow_id=first["_id"]))
    assert result["r0"]["summary"]["open_errors"] == len(emulator.scenario["errors"])
    assert emulator.non_get_requests() == []


def test_errors_info_summary_matches_the_server_and_filters_apply(emulator, run):
    expected = emulator.scenario["errors"]
    retryable_rate = [e for e in expected if e["classification"] == "rate_limit" and e.get("retryDataKey")]
    result = run([
        {"flowops.ipaas.flow_errors_info": {"abstract_flow_id": abstract_id(emulator), "max_records": 10}},
        {"flowops.ipaas.flow_errors_info": {"abstract_flow_id": abstract_id(emulator), "classifications": ["rate_limit"],
                                            "retryable": True, "max_records": 5000}},
    ])
    assert result.rc == 0, result.output
    everything = result["r0"]
    assert everything["total"] == len(expected)
    assert len(everything["errors"]) == 10 and everything["truncated"] is True
    counts = {}
    for error in expected:
        counts[error["classification"]] = counts.get(error["classification"], 0) + 1
    assert everything["summary"]["by_classification"] == counts
    assert everything["summary"]["not_retryable"] == len([e for e in expected if not e.get("retryDataKey")])
    filtered = result["r1"]
    assert sorted(e["errorId"] for e in filtered["errors"]) == sorted(e["errorId"] for e in retryable_rate)
    assert filtered["truncated"] is False


def test_records_file_streams_every_match(emulator, run, tmp_path):
    target = tmp_path / "errors.jsonl"
    result = run([{"flowops.ipaas.flow_errors_info": {"abstract_flow_id": abstract_id(emulator), "max_records": 0,
                                                      "records_file": str(target)}}])
    assert result.rc == 0, result.output
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(lines) == len(emulator.scenario["errors"]) == result["r0"]["total"]
    assert result["r0"]["errors"] == []


def test_bad_token_fails_with_one_clear_line_and_no_traceback(emulator, run):
    result = run([{"flowops.ipaas.flow_errors_info": {"abstract_flow_id": abstract_id(emulator)}}], token="wrong-token")
    assert result.rc != 0
    message = result["r0"]["msg"]
    assert message == ("GET /v1/flows: HTTP 401 Bearer Authentication Failed: check api_token (FLOWOPS_API_TOKEN) and that "
                       "region/api_url point at the account's celigo host (now %s)" % emulator.url)
    assert "Traceback" not in result.output
    assert "wrong-token" not in result.output


def test_missing_token_names_the_option_and_the_variable(emulator, run):
    result = run([{"flowops.ipaas.flow_instance_info": {"flow_ids": ["x"]}}], token="")
    assert result.rc != 0
    assert "api_token" in result["r0"]["msg"] and "FLOWOPS_API_TOKEN" in result["r0"]["msg"]
    assert emulator.requests == []


def test_unknown_flow_is_a_clear_404(emulator, run):
    result = run([{"flowops.ipaas.flow_instance_info": {"flow_ids": ["000000000000000000000000"]}}])
    assert result.rc != 0
    assert result["r0"]["msg"].startswith("GET /v1/flows/000000000000000000000000: HTTP 404")


def test_time_window_and_sources_are_filtered_by_the_server(emulator, run):
    """occurred_after / occurred_before / sources go to Celigo as occurredAt_gte / occurredAt_lte / source."""
    expected = emulator.scenario["errors"]
    times = sorted(e["occurredAt"] for e in expected)
    after, before = times[len(times) // 4], times[3 * len(times) // 4]
    emulator.clear_requests()
    result = run([{"flowops.ipaas.flow_errors_info": {"abstract_flow_id": abstract_id(emulator), "occurred_after": after,
                                                      "occurred_before": before, "sources": ["connection"],
                                                      "max_records": 5000}}])
    assert result.rc == 0, result.output
    listings = [entry for entry in emulator.requests if entry["path"].endswith("/errors") and "/v1/flows/" in entry["path"]
                and entry["path"].count("/") == 5]
    assert listings, "no error listing was requested"
    for entry in listings:
        assert entry["query"].get("occurredAt_gte", "").startswith(after[:19])
        assert entry["query"].get("occurredAt_lte", "").startswith(before[:19])
        assert entry["query"].get("source") == "connection"
    want = sorted(e["errorId"] for e in expected if after <= e["occurredAt"] < before and e["source"] == "connection")
    assert sorted(e["errorId"] for e in result["r0"]["errors"]) == want


def test_error_report_takes_ids_as_text_and_fails_naming_the_variable_on_an_unknown_one(emulator, playbook_for):
    """The error_report playbook as an AWX survey fills it: ids as a textarea or comma text; an id that finds no
    flow fails in one line naming the variable unless error_report_allow_empty is true."""
    runner = playbook_for(emulator)
    plain = scenarios.plain_flow_ids(emulator.scenario)
    abstract = abstract_id(emulator)
    expected = len(emulator.scenario["errors"])
    text = runner.run_playbook("error_report.yml", {"error_report_abstract_flow_ids": " %s\n\n" % abstract,
                                                    "error_report_flow_ids": ",".join(plain)})
    assert text.rc == 0, text.output
    assert "[WARNING]" not in text.output, text.output  # started as README says (-i localhost,): no inventory warnings
    assert "Open errors: %d in %d flows" % (expected, len(scenarios.instance_ids(emulator.scenario)) + len(plain)) in text.stdout
    bogus = "6a0fc7eb7202049b32ea45ff"
    unknown = runner.run_playbook("error_report.yml", {"error_report_abstract_flow_ids": bogus})
    assert unknown.rc != 0
    assert "error_report_abstract_flow_ids: abstract flow %s has no flows (set error_report_allow_empty: true" % bogus in unknown.stdout
    allowed = runner.run_playbook("error_report.yml", {"error_report_abstract_flow_ids": bogus, "error_report_allow_empty": True})
    assert allowed.rc == 0, allowed.output
    assert "Open errors: 0 in 0 flows" in allowed.stdout
    assert emulator.non_get_requests() == []
