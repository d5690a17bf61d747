"""Cases 2, 6 and 14: persistent 503s, client errors that must not be retried, and broken responses -
through real ansible-playbook runs, asserted at the server."""

import json

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.faults.harness import assert_clean_failure, logged, posted_keys, small_scenario, task

CLIENT_ERRORS = (400, 401, 403, 404, 409, 422)


def test_persistent_503_fails_after_max_retries_saying_what_is_done_and_what_remains(
        celigo_emulator_factory, playbook, tmp_path):
    scenario = small_scenario(instances=2, steps=2, errors=6)
    flows = scenarios.instance_ids(scenario)
    flow_id, info_flow = flows[0], flows[1]
    steps = scenarios.step_ids(scenario, flow_id)
    first, second = steps[0], steps[1]
    faults = [
        # every retry POST of the second step is answered 503 (not processed) ...
        {"method": "POST", "path": "^/v1/flows/%s/%s/retry$" % (flow_id, second), "action": "status", "status": 503,
         "body": "Service Unavailable", "times": None},
        # ... and so is every read of its open errors after the first listing: the re-read cannot settle it
        {"method": "GET", "path": "^/v1/flows/%s/%s/errors$" % (flow_id, second), "action": "status", "status": 503,
         "body": "Service Unavailable", "skip": 1, "times": None},
        {"method": "GET", "path": "^/v1/flows/%s$" % info_flow, "action": "status", "status": 503,
         "body": "Service Unavailable", "times": None},
    ]
    emulator = celigo_emulator_factory(scenario, faults=faults)
    report = tmp_path / "retry-report.json"
    outcome = playbook(emulator.url, emulator.token).run([
        task("flow_instance_info", "info", ignore_errors=True, flow_ids=[info_flow], max_retries=2),
        task("flow_errors_retry", "retry", flow_ids=[flow_id], batch_size=3, max_retries=1, max_concurrency=1,
             report_file=str(report)),
    ])
    assert outcome.rc != 0
    assert "Traceback" not in outcome.output

    # a read: sent 1 + max_retries times, then one line naming the attempts
    info = outcome["info"]
    assert_clean_failure(info)
    assert "HTTP 503" in info["msg"] and "gave up after 2 retries" in info["msg"], info["msg"]
    assert len(logged(emulator, "GET", "^/v1/flows/%s$" % info_flow)) == 3

    # the retry: one line with how many keys were done and how many remain
    retry = outcome["retry"]
    assert_clean_failure(retry)
    assert retry["msg"].startswith("retried 6 of 12 selected keys; 6 keys remain not retried"), retry["msg"]
    assert "gave up after 1 retries" in retry["msg"], retry["msg"]
    assert retry["counts"]["retried"] == 6 and retry["counts"]["in_doubt"] == 6

    # at the server: the first step's keys retried once each, the second's never; each 503 POST sent once,
    # each re-read sent 1 + max_retries times
    assert emulator.retry_counts == dict.fromkeys(scenarios.retry_keys(scenario, flow_id, first), 1)
    assert len(logged(emulator, "POST", "/%s/retry$" % second)) == 2
    assert len(logged(emulator, "GET", "/%s/errors$" % second)) == 1 + 2 * 2

    # the report still lists every key with what happened to it
    written = json.loads(report.read_text())
    by_action = {}
    for item in written["keys"]:
        by_action.setdefault(item["action"], set()).add(item["retryDataKey"])
    assert by_action == {"retried": set(scenarios.retry_keys(scenario, flow_id, first)),
                         "in_doubt": set(scenarios.retry_keys(scenario, flow_id, second))}
    assert all(item["reason"] for item in written["keys"] if item["action"] == "in_doubt")
    assert not (tmp_path / "retry-report.json.journal").exists()


def _client_error_rule(method, path, status):
    message = "the API says no (%d)" % status
    if status == 401:  # Celigo's auth middleware answers a bare {"message"}
        return {"method": method, "path": path, "action": "raw", "status": 401, "body": {"message": message},
                "times": None}, message
    return {"method": method, "path": path, "action": "status", "status": status, "body": message, "times": None}, message


def test_client_errors_are_never_retried_and_give_one_line_with_the_api_message(celigo_emulator_factory, playbook):
    scenario = small_scenario(instances=2 * len(CLIENT_ERRORS), steps=1, errors=3)
    flows = scenarios.instance_ids(scenario)
    faults, tasks, expected = [], [], {}
    for index, status in enumerate(CLIENT_ERRORS):
        read_flow, write_flow = flows[2 * index], flows[2 * index + 1]
        rule, message = _client_error_rule("GET", "^/v1/flows/%s$" % read_flow, status)
        faults.append(rule)
        tasks.append(task("flow_instance_info", "read_%d" % status, ignore_errors=True, flow_ids=[read_flow]))
        rule, message = _client_error_rule("POST", "^/v1/flows/%s/[^/]+/retry$" % write_flow, status)
        faults.append(rule)
        tasks.append(task("flow_errors_retry", "write_%d" % status, ignore_errors=True, flow_ids=[write_flow]))
        expected[status] = (read_flow, write_flow, message)
    emulator = celigo_emulator_factory(scenario, faults=faults)
    outcome = playbook(emulator.url, emulator.token).run(tasks)
    assert "Traceback" not in outcome.output
    for status, (read_flow, write_flow, message) in expected.items():
        for kind, flow_id, method, path in (("read", read_flow, "GET", "^/v1/flows/%s$" % read_flow),
                                            ("write", write_flow, "POST", "^/v1/flows/%s/[^/]+/retry$" % write_flow)):
            result = outcome["%s_%d" % (kind, status)]
            assert_clean_failure(result)
            assert "HTTP %d" % status in result["msg"] and message in result["msg"], result["msg"]
            assert "gave up" not in result["msg"]
            assert len(logged(emulator, method, path)) == 1, "%s %s with HTTP %d was sent more than once" % (
                method, flow_id, status)
    assert emulator.retry_counts == {}


BROKEN = {
    "truncated-json": ({"action": "raw", "status": 200, "body": '{"_id": "6a0f", "name": "Orders to E'},
                       "not valid JSON"),
    "proxy-html-page": ({"action": "raw", "status": 502, "content_type": "text/html",
                         "body": "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway"
                                 "</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n"}, "text/html"),
    "empty-200": ({"action": "raw", "status": 200, "body": ""}, "empty response body"),
    "slower-than-timeout": ({"action": "delay", "seconds": 2.5}, "timeout"),
    # not in the brief's list, same promise: valid JSON of the wrong shape is a clean failure too
    "json-array-for-an-object": ({"action": "raw", "status": 200, "body": "[]"}, "expected"),
}


def test_broken_responses_are_a_clean_one_line_failure(celigo_emulator_factory, playbook):
    # One flow a kind of broken response, all in one playbook run.
    kinds = sorted(BROKEN)
    scenario = small_scenario(instances=len(kinds), steps=1, errors=2)
    flows = dict(zip(kinds, scenarios.instance_ids(scenario)))
    rules = [dict(BROKEN[kind][0], method="GET", path="^/v1/flows/%s$" % flows[kind], times=None) for kind in kinds]
    emulator = celigo_emulator_factory(scenario, faults=rules)
    outcome = playbook(emulator.url, emulator.token).run([
        task("flow_instance_info", kind.replace("-", "_"), ignore_errors=True, flow_ids=[flows[kind]], timeout=1, max_retries=1)
        for kind in kinds])
    assert "Traceback" not in outcome.output, outcome.output[-3000:]
    for kind in kinds:
        result = outcome[kind.replace("-", "_")]
        assert_clean_failure(result)
        assert BROKEN[kind][1] in result["msg"], (kind, result["msg"])
    assert not posted_keys(emulator)
