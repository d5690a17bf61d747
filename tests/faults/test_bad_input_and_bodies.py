"""Security issue #24: bad numbers and bad bodies in one line - through one real ansible-playbook run against the
Celigo emulator, asserted at the server.

- number options that are NaN, infinite or out of range, and ages or times that would overflow, fail naming the
  option, before any request;
- a body of the wrong shape (list items that are no objects, a summary entry without ``_expOrImpId``, a
  ``nextPageURL`` that is no string, a flow lookup answered ``{}``) fails naming the endpoint, never as a traceback
  and never as a false all-clear;
- a retry POST answered 200 with a body that is no job leaves its keys ``in_doubt``: neither failed nor retried,
  and never sent twice;
- an endless chain of unique next-page URLs stops after ``max_pages`` pages.
"""

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.faults.harness import assert_clean_failure, logged, small_scenario, task

# name -> (module, options, the start of the expected message); each case gets a flow of its own.
BAD_INPUT = {
    "poll_interval_nan": ("flow_errors_retry", {"poll_interval": "nan"}, "poll_interval: nan is not a number"),
    "poll_interval_inf": ("flow_errors_retry", {"poll_interval": "inf"}, "poll_interval: inf is not a number"),
    "ratio_nan": ("flow_errors_retry", {"canary_keys": 2, "max_failed_again_ratio": "nan"},
                  "max_failed_again_ratio: nan is not a number"),
    "wait_timeout_huge": ("flow_errors_retry", {"wait_timeout": 10 ** 12}, "wait_timeout: 1000000000000 is out of range"),
    "age_overflow": ("flow_errors_info", {"occurred_after": "99999999999h"}, "occurred_after: '99999999999h' is too far back"),
    "time_overflow": ("flow_errors_retry", {"occurred_before": "9999-12-31T23:59:59-01:00"},
                      "occurred_before: '9999-12-31T23:59:59-01:00' is out of range"),
}
BAD_BODIES = ("items_not_objects", "summary_without_step", "next_url_not_a_string", "flow_lookup_empty", "retry_answer_empty",
              "endless_pages")
MAX_PAGES = 5


def _raw(method, path, body, **rule):
    return dict({"method": method, "path": path, "action": "raw", "status": 200, "body": body, "times": None}, **rule)


def _body_faults(scenario, flows):
    """The injected answers, and what each case's task expects its message to start with."""
    def errors_path(name):
        return "/v1/flows/%s/%s/errors" % (flows[name], scenarios.step_ids(scenario, flows[name])[0])

    endless = errors_path("endless_pages")
    faults = [
        _raw("GET", "^%s$" % errors_path("items_not_objects"), {"errors": [1, "two", None]}),
        _raw("GET", "^/v1/flows/%s/errors$" % flows["summary_without_step"], {"flowErrors": [{"numError": 3}]}),
        _raw("GET", "^%s$" % errors_path("next_url_not_a_string"), {"errors": [], "nextPageURL": 42}),
        _raw("GET", "^/v1/flows/%s$" % flows["flow_lookup_empty"], {}),
        _raw("POST", "^/v1/flows/%s/[^/]+/retry$" % flows["retry_answer_empty"], {}),
    ]
    # Each page a fresh next-page URL (one rule a page, used once); one rule more than max_pages pages.
    faults += [_raw("GET", "^%s$" % endless, {"errors": [], "nextPageURL": "/api%s?pageToken=t%d" % (endless, page)}, times=1)
               for page in range(MAX_PAGES + 1)]
    expected = {
        "items_not_objects": "GET %s: unexpected response: expected a listed error to be an object, got a number"
                             % errors_path("items_not_objects"),
        "summary_without_step": "GET /v1/flows/%s/errors: unexpected response: a flowErrors entry: _expOrImpId is missing"
                                % flows["summary_without_step"],
        "next_url_not_a_string": "GET %s: expected 'nextPageURL' to be a string, got int" % errors_path("next_url_not_a_string"),
        "flow_lookup_empty": "GET /v1/flows/%s: unexpected response: the flow: _id is missing" % flows["flow_lookup_empty"],
        "retry_answer_empty": "retried 0 of 3 selected keys; 3 keys remain not retried (0 failed, 3 in doubt): the retry may "
                              "have been applied: POST /v1/flows/%s/" % flows["retry_answer_empty"],
        "endless_pages": "GET %s: more than %d pages; stopping (raise max_pages if the listing is really that long)"
                         % (endless, MAX_PAGES),
    }
    return faults, expected, endless


def _body_tasks(flows, tmp_path):
    return [
        task("flow_errors_info", "items_not_objects", ignore_errors=True, flow_ids=[flows["items_not_objects"]]),
        task("flow_errors_info", "summary_without_step", ignore_errors=True, flow_ids=[flows["summary_without_step"]]),
        task("flow_errors_info", "next_url_not_a_string", ignore_errors=True, flow_ids=[flows["next_url_not_a_string"]]),
        task("flow_instance_info", "flow_lookup_empty", ignore_errors=True, flow_ids=[flows["flow_lookup_empty"]]),
        task("flow_errors_retry", "retry_answer_empty", ignore_errors=True, flow_ids=[flows["retry_answer_empty"]],
             report_file=str(tmp_path / "retry.json")),
        task("flow_errors_info", "endless_pages", ignore_errors=True, flow_ids=[flows["endless_pages"]], max_pages=MAX_PAGES),
    ]


def test_bad_numbers_and_bad_bodies_fail_in_one_line(celigo_emulator_factory, playbook, tmp_path):
    names = sorted(BAD_INPUT) + list(BAD_BODIES)
    scenario = small_scenario(instances=len(names), steps=1, errors=3)
    flows = dict(zip(names, scenarios.instance_ids(scenario)))
    faults, expected, endless = _body_faults(scenario, flows)
    emulator = celigo_emulator_factory(scenario, faults=faults)
    tasks = [task(module, name, ignore_errors=True, flow_ids=[flows[name]], **options)
             for name, (module, options, dummy) in sorted(BAD_INPUT.items())]
    outcome = playbook(emulator.url, emulator.token).run(tasks + _body_tasks(flows, tmp_path))
    assert "Traceback" not in outcome.output, outcome.output[-3000:]

    for name, (dummy, dummy_options, start) in BAD_INPUT.items():
        assert_clean_failure(outcome[name])
        assert outcome[name]["msg"].startswith(start), (name, outcome[name]["msg"])
        assert not logged(emulator, path=flows[name]), "%s sent a request" % name  # refused before any request

    for name in BAD_BODIES:
        assert_clean_failure(outcome[name])
        assert outcome[name]["msg"].startswith(expected[name]), (name, outcome[name]["msg"])
        assert "a bug in flowops.ipaas" not in outcome[name]["msg"]

    # The retry answered 200 {}: in doubt, neither failed nor retried, and sent once (no re-send, no settling re-read).
    retry = outcome["retry_answer_empty"]
    assert (retry["counts"]["in_doubt"], retry["counts"]["failed"], retry["counts"]["retried"]) == (3, 0, 0)
    assert len(logged(emulator, "POST", flows["retry_answer_empty"])) == 1
    assert len(logged(emulator, "GET", "^/v1/flows/%s/[^/]+/errors$" % flows["retry_answer_empty"])) == 1
    assert not set(emulator.retry_counts) & set(scenarios.retry_keys(scenario, flows["retry_answer_empty"]))

    # The endless chain: exactly max_pages pages were asked for.
    assert len(logged(emulator, "GET", "^%s$" % endless)) == MAX_PAGES
