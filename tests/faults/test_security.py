"""Cases 7, 8, 9 and 15: where the token may appear and where it may be sent; TLS verification."""

# pylint: disable=redefined-outer-name

import importlib
import json
import os

import pytest
import requests

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError
from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.faults.harness import ROOT, assert_clean_failure, run_inprocess, small_scenario, task, token_forms
from ansible_collections.flowops.ipaas.tests.faults.servers import self_signed_context

# Characters that URL-encode (/ + = & @ ? %), so the three forms differ.
TOKEN = "fl0w/0ps+T0ken=w1th&ch@rs?%x~9"
FORMS = token_forms(TOKEN)


def _echo(prefix="rejected"):
    return "%s: raw=%s base64=%s url=%s" % (prefix, FORMS["raw"], FORMS["base64"], FORMS["url"])


def _leaks(text):
    return sorted(name for name, form in FORMS.items() if form in text)


def test_the_three_token_forms_are_distinct():
    assert len(set(FORMS.values())) == 3


@pytest.fixture
def token_scenario():
    scenario = small_scenario(instances=6, steps=1, errors=3)
    scenario["token"] = TOKEN
    return scenario


def test_token_never_appears_in_results_messages_verbose_output_reports_or_backups(celigo_emulator_factory, playbook,
                                                                                   token_scenario, tmp_path):
    flows = scenarios.instance_ids(token_scenario)
    faults = [
        {"method": "GET", "path": "^/v1/flows/%s$" % flows[0], "action": "raw", "status": 401,
         "body": {"message": _echo("Bearer Authentication Failed")}, "times": None},
        {"method": "GET", "path": "^/v1/flows/%s$" % flows[1], "action": "status", "status": 400, "body": _echo(),
         "times": None},
        {"method": "GET", "path": "^/v1/flows/%s$" % flows[2], "action": "raw", "status": 502, "content_type": "text/html",
         "body": "<html><body><h1>502</h1><p>%s</p></body></html>" % _echo(), "times": None},
        {"method": "POST", "path": "^/v1/flows/%s/" % flows[3], "action": "status", "status": 409, "body": _echo(),
         "times": None},
        {"method": "GET", "path": "^/v1/flows/%s$" % flows[5], "action": "status", "status": 403, "body": _echo(),
         "times": None},
    ]
    emulator = celigo_emulator_factory(token_scenario, faults=faults)
    files = tmp_path / "files"
    files.mkdir()
    outcome = playbook(emulator.url, TOKEN).run([
        task("flow_errors_info", "raw_401", ignore_errors=True, flow_ids=[flows[0]]),
        task("flow_instance_info", "errors_400", ignore_errors=True, flow_ids=[flows[1]]),
        task("flow_instance_info", "html_502", ignore_errors=True, flow_ids=[flows[2]], max_retries=0),
        task("flow_errors_retry", "retry_409", ignore_errors=True, flow_ids=[flows[3]], report_file=str(files / "retry.json")),
        task("flow_errors_resolve", "resolve", flow_ids=[flows[4]], backup=True, backup_retry_data=True,
             backup_file=str(files / "backup.jsonl"), report_file=str(files / "resolve.json")),
        task("flow_instance_info", "param_403", ignore_errors=True, flow_ids=[flows[5]], api_token=TOKEN),
    ], verbosity=4)
    assert outcome.rc == 0, outcome.output[-3000:]
    assert "ESTABLISH LOCAL CONNECTION" in outcome.output and "module_args" in outcome.output  # -vvvv took effect
    for name in ("raw_401", "errors_400", "html_502", "retry_409", "param_403"):
        assert_clean_failure(outcome[name])
        assert "rejected" in outcome[name]["msg"] or "Bearer Authentication Failed" in outcome[name]["msg"], outcome[name]
    assert outcome["resolve"]["counts"]["resolved"] == 3
    written = sorted(files.iterdir())
    assert [path.name for path in written] == ["backup.jsonl", "resolve.json", "retry.json"]
    places = {"-vvvv output": outcome.output, "registered results": json.dumps(outcome.results)}
    places.update(("file %s" % path.name, path.read_text()) for path in written)
    found = {place: _leaks(text) for place, text in places.items() if _leaks(text)}
    assert not found, "token forms found: %s" % found


def test_token_echoed_in_a_repeated_next_page_url_is_not_quoted_in_the_failure(celigo_emulator_factory, token_scenario):
    flow_id = scenarios.instance_ids(token_scenario)[0]
    step_id = scenarios.step_ids(token_scenario, flow_id)[0]
    cursor = "/api/v1/flows/%s/%s/errors?pageToken=%s" % (flow_id, step_id, FORMS["url"])
    emulator = celigo_emulator_factory(token_scenario, strict=False, faults=[
        {"method": "GET", "path": "^/v1/flows/%s/%s/errors$" % (flow_id, step_id), "action": "raw", "status": 200,
         "body": {"errors": [], "nextPageURL": cursor}, "times": None}])
    with pytest.raises(FlowOpsError) as failure:
        run_inprocess("flow_errors_info", emulator.url, TOKEN, flow_ids=[flow_id])
    message = str(failure.value)
    assert "same next page twice" in message, message
    assert not _leaks(message), "token forms %s in the failure: %s" % (_leaks(message), message)


def test_token_echoed_in_the_http_reason_phrase_is_not_quoted_in_the_failure(relays):
    relay = relays(None, hook=lambda seen: (401, {}, b"", "Unauthorized " + _echo()))
    with pytest.raises(FlowOpsError) as failure:
        run_inprocess("flow_instance_info", relay.url, TOKEN, flow_ids=["6a0fc7eb7202049b32ea45b1"])
    message = str(failure.value)
    assert "HTTP 401" in message, message
    assert not _leaks(message), "token forms %s in the failure: %s" % (_leaks(message), message)


# -- case 8: ~/.netrc ----------------------------------------------------------------------------------


@pytest.fixture
def netrc_home(home):
    netrc = home / ".netrc"
    netrc.write_text("machine 127.0.0.1 login netrc-user password netrc-secret\n")
    os.chmod(str(netrc), 0o600)
    return home


def _authorizations(relay):
    return [(seen.method, seen.path, seen.header("Authorization")) for seen in relay.seen]


def test_netrc_entry_for_the_api_host_does_not_replace_the_bearer(celigo_emulator_factory, playbook, relays, netrc_home,
                                                                  monkeypatch):
    scenario = small_scenario(steps=1, errors=3)
    flow_id = scenarios.instance_ids(scenario)[0]
    emulator = celigo_emulator_factory(scenario)
    relay = relays(emulator.url)
    monkeypatch.setenv("HOME", str(netrc_home))
    requests.get(relay.url + "/probe", timeout=5).close()  # the .netrc is live: plain requests picks it up
    assert relay.seen[0].header("Authorization").startswith("Basic ")
    del relay.seen[:]

    outcome = playbook(relay.url, emulator.token).run([
        task("flow_instance_info", "info", abstract_flow_id=scenarios.abstract_flow_ids(scenario)),
        task("flow_errors_retry", "retry", flow_ids=[flow_id]),
    ], env={"HOME": str(netrc_home)})
    assert outcome.rc == 0, outcome.output[-3000:]
    assert {seen.method for seen in relay.seen} == {"GET", "POST"}
    wrong = [item for item in _authorizations(relay) if item[2] != "Bearer " + emulator.token]
    assert not wrong, wrong


def test_netrc_entry_does_not_replace_the_bearer_after_a_same_host_redirect(celigo_emulator_factory, playbook, relays,
                                                                            netrc_home):
    scenario = small_scenario(steps=1, errors=3)
    flow_id = scenarios.instance_ids(scenario)[0]
    emulator = celigo_emulator_factory(scenario)
    moved = "/v1/flows/%s" % flow_id
    relay = relays(emulator.url)
    relay.hook = lambda seen: (307, {"Location": relay.url + "/api" + moved}, b"") if seen.path == moved else None
    outcome = playbook(relay.url, emulator.token).run([task("flow_instance_info", "info", ignore_errors=True,
                                                            flow_ids=[flow_id])], env={"HOME": str(netrc_home)})
    wrong = [item for item in _authorizations(relay) if item[2] != "Bearer " + emulator.token]
    assert not wrong, "after a redirect on the API host the bearer was replaced: %s" % wrong
    if any(seen.path == "/api" + moved for seen in relay.seen):
        assert outcome["info"].get("failed") is not True, outcome["info"]
    else:  # refusing to follow redirects at all is acceptable too, as a clean failure
        assert_clean_failure(outcome["info"])


# -- case 9: other hosts ------------------------------------------------------------------------------


def test_next_page_and_link_to_another_host_are_refused_before_any_request(celigo_emulator_factory, playbook, relays):
    scenario = small_scenario(instances=2, steps=1, errors=3)
    abstract_id = scenarios.abstract_flow_ids(scenario)[0]
    flows = scenarios.instance_ids(scenario)
    elsewhere = {"other_ip": relays(None, host="127.0.0.2"), "other_port": relays(None)}
    faults, tasks = [], []
    for index, (name, catcher) in enumerate(sorted(elsewhere.items())):
        flow_id = flows[index]
        step_id = scenarios.step_ids(scenario, flow_id)[0]
        faults.append({"method": "GET", "path": "^/v1/flows/%s/%s/errors$" % (flow_id, step_id), "action": "raw",
                       "status": 200, "times": None, "body": {
                           "errors": [],
                           "nextPageURL": "%s/api/v1/flows/%s/%s/errors?pageToken=9" % (catcher.url, flow_id, step_id)}})
        tasks.append(task("flow_errors_info", "next_%s" % name, ignore_errors=True, flow_ids=[flow_id]))
        faults.append({"method": "GET", "path": "^/v1/flows$", "action": "raw", "status": 200, "times": 1,
                       "headers": {"Link": '<%s/v1/flows?_abstractFlowId=%s&page=2>; rel="next"' % (catcher.url, abstract_id)},
                       "body": [{"_id": flows[0], "name": "one", "disabled": False, "_abstractFlowId": abstract_id}]})
        tasks.append(task("flow_instance_info", "link_%s" % name, ignore_errors=True, abstract_flow_id=[abstract_id]))
    emulator = celigo_emulator_factory(scenario, faults=faults)
    outcome = playbook(emulator.url, emulator.token).run(tasks)
    for name, catcher in elsewhere.items():
        for kind in ("next", "link"):
            result = outcome["%s_%s" % (kind, name)]
            assert_clean_failure(result)
            assert "refusing to send the API token to %s" % catcher.url in result["msg"], result["msg"]
        assert catcher.connections == 0 and catcher.seen == [], "%s was contacted" % catcher.url


# -- case 15: TLS ------------------------------------------------------------------------------------


CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@pytest.mark.parametrize("ca_bundle_env", [False, True], ids=["no-ca-bundle-variable", "REQUESTS_CA_BUNDLE-set"])
def test_certificates_are_verified_by_default_and_validate_certs_false_is_explicit(
        celigo_emulator_factory, playbook, relays, tmp_path, ca_bundle_env):
    """``REQUESTS_CA_BUNDLE`` is common in execution environments and CI images (it is set to the system
    bundle here, which does not hold the test certificate): ``validate_certs: false`` must still win."""
    scenario = small_scenario(steps=1, errors=3)
    flow_id = scenarios.instance_ids(scenario)[0]
    emulator = celigo_emulator_factory(scenario)
    relay = relays(emulator.url, tls=self_signed_context(tmp_path))
    assert relay.url.startswith("https://127.0.0.1:")
    env = dict.fromkeys(CA_VARIABLES)
    if ca_bundle_env:
        env["REQUESTS_CA_BUNDLE"] = requests.certs.where()
    outcome = playbook(relay.url, emulator.token).run([
        task("flow_instance_info", "verified", ignore_errors=True, flow_ids=[flow_id]),
        task("flow_instance_info", "unverified", ignore_errors=True, flow_ids=[flow_id], validate_certs=False),
    ], env=env)
    assert outcome.rc == 0, outcome.output[-3000:]
    verified = outcome["verified"]
    assert_clean_failure(verified)
    assert "certificate" in verified["msg"].lower() and "validate_certs" in verified["msg"], verified["msg"]
    unverified = outcome["unverified"]
    assert unverified.get("failed") is not True, "validate_certs: false did not turn verification off: %s" % unverified["msg"]
    assert unverified["flows"][0]["_id"] == flow_id
    assert relay.connections >= 2 and relay.seen, "the TLS relay was not used"
    # default and documentation
    spec = importlib.import_module("ansible_collections.flowops.ipaas.plugins.module_utils._run.arguments").CONNECTION_SPEC
    assert spec["validate_certs"] == {"type": "bool", "default": True}
    fragment = (ROOT / "plugins" / "doc_fragments" / "connection.py").read_text()
    assert "default: true" in fragment.split("validate_certs:", 1)[1][:300]
    assert "validate_certs: false" in (ROOT / "docs" / "security.md").read_text()


# -- issue #24: token hygiene, one URL parser for trust, https unless loopback ---------------------------------


def test_a_token_ending_in_a_newline_works_and_a_token_that_cannot_be_one_fails_in_one_line(
        celigo_emulator_factory, playbook, token_scenario):
    """Tokens read from files or Kubernetes secrets often end in a newline: stripped. A token with a control character
    inside, or one letter long, is refused before any request, naming where it came from and never quoting it."""
    flow_id = scenarios.instance_ids(token_scenario)[0]
    emulator = celigo_emulator_factory(token_scenario)
    runner = playbook(emulator.url, TOKEN)
    for ending in ("\n", "\r\n"):
        outcome = runner.run([task("flow_instance_info", "info", flow_ids=[flow_id])], token=TOKEN + ending)
        assert outcome.rc == 0, outcome.output[-3000:]
        assert outcome["info"]["flows"][0]["_id"] == flow_id
    before = len(emulator.requests)
    inner = TOKEN[:10] + "\n" + TOKEN[10:]
    outcome = runner.run([task("flow_instance_info", "inner", ignore_errors=True, flow_ids=[flow_id])], token=inner,
                         verbosity=4)
    assert_clean_failure(outcome["inner"])
    assert outcome["inner"]["msg"].startswith("api_token (from the FLOWOPS_API_TOKEN environment variable): the token "
                                              "has a space, control or non-ASCII character inside it"), outcome["inner"]
    for part in inner.split("\n"):
        assert part not in outcome.output and part not in json.dumps(outcome.results)
    outcome = runner.run([task("flow_instance_info", "short", ignore_errors=True, flow_ids=[flow_id])], token="q")
    assert_clean_failure(outcome["short"])
    assert "too short to be an API token" in outcome["short"]["msg"], outcome["short"]
    assert len(emulator.requests) == before, "a request was sent with a token that cannot be one"


def test_next_page_urls_read_two_ways_never_reach_the_other_host(celigo_emulator_factory, playbook, relays):
    """``http://OTHER\\@CONFIGURED/`` is CONFIGURED to urlsplit and OTHER to requests: the probe must get nothing."""
    scenario = small_scenario(instances=3, steps=1, errors=3)
    flows = scenarios.instance_ids(scenario)
    probe = relays(None, host="127.0.0.2")
    emulator = celigo_emulator_factory(scenario)
    here, there = emulator.url.split("//", 1)[1], "127.0.0.2:%d" % probe.port
    shapes = ["http://%s\\@%s" % (there, here), "http://%s@%s" % (there, here), "http://%s\\%s" % (here, there)]
    faults, tasks = [], []
    for index, origin in enumerate(shapes):
        flow_id = flows[index]
        step_id = scenarios.step_ids(scenario, flow_id)[0]
        faults.append({"method": "GET", "path": "^/v1/flows/%s/%s/errors$" % (flow_id, step_id), "action": "raw",
                       "status": 200, "times": None, "body": {
                           "errors": [], "nextPageURL": "%s/api/v1/flows/%s/%s/errors?pageToken=2" % (origin, flow_id, step_id)}})
        tasks.append(task("flow_errors_info", "shape_%d" % index, ignore_errors=True, flow_ids=[flow_id]))
    emulator.configure(faults=faults)
    outcome = playbook(emulator.url, emulator.token).run(tasks)
    for index in range(len(shapes)):
        result = outcome["shape_%d" % index]
        assert_clean_failure(result)
        assert "refusing" in result["msg"], result["msg"]
    assert probe.connections == 0 and probe.seen == [], "the probe on 127.0.0.2 was contacted"


def test_redirects_to_another_host_are_not_followed_for_reads_or_writes(celigo_emulator_factory, playbook, relays):
    """A 307 on the retry POST would re-send the retryDataKeys elsewhere, and a 302 on a flow lookup made the other
    host's ``{}`` a flow with no open errors: neither is followed, each fails in one line naming the target."""
    scenario = small_scenario(instances=2, steps=1, errors=5)
    flows = scenarios.instance_ids(scenario)
    probe = relays(None, host="127.0.0.2", hook=lambda seen: (200, {}, {}))
    emulator = celigo_emulator_factory(scenario, faults=[
        {"method": "POST", "path": "^/v1/flows/%s/" % flows[0], "action": "raw", "status": 307, "body": "",
         "headers": {"Location": probe.url + "/v1/flows/%s/retry" % flows[0]}, "times": None},
        {"method": "GET", "path": "^/v1/flows/%s$" % flows[1], "action": "raw", "status": 302, "body": "",
         "headers": {"Location": probe.url + "/landing?x=1"}, "times": None}])
    outcome = playbook(emulator.url, emulator.token).run([
        task("flow_errors_retry", "retry", ignore_errors=True, flow_ids=[flows[0]]),
        task("flow_instance_info", "lookup", ignore_errors=True, flow_ids=[flows[1]]),
    ])
    for name in ("retry", "lookup"):
        assert_clean_failure(outcome[name])
        assert "the server redirected to %s/" % probe.url in outcome[name]["msg"], outcome[name]["msg"]
        assert "not followed, nothing was sent there" in outcome[name]["msg"]
    assert "x=1" not in outcome["lookup"]["msg"]
    counts = outcome["retry"]["counts"]
    assert (counts["retried"], counts["succeeded"], counts["in_doubt"]) == (0, 0, 5), counts  # not "retried: 5"
    assert probe.connections == 0 and probe.seen == [], "the probe on 127.0.0.2 was contacted"


def test_plain_http_to_a_remote_host_is_refused_before_the_proxy_sees_anything(playbook, relays):
    """``http://api.integrator.io`` would carry the token in clear text (here through a local proxy): refused unless
    both validate_certs: false and allow_insecure_http: true are set."""
    proxy = relays(None, host="127.0.0.2", hook=lambda seen: (200, {}, []))
    proxied = {"HTTP_PROXY": proxy.url, "http_proxy": proxy.url, "NO_PROXY": None, "no_proxy": None}
    outcome = playbook("http://api.integrator.io", "proxy-probe-token-0123456789").run([
        task("flow_instance_info", "plain", ignore_errors=True, abstract_flow_id=["6a0fc7eb7202049b32ea45b0"]),
        task("flow_instance_info", "half", ignore_errors=True, abstract_flow_id=["6a0fc7eb7202049b32ea45b0"],
             validate_certs=False),
        task("flow_instance_info", "region", ignore_errors=True, abstract_flow_id=["6a0fc7eb7202049b32ea45b0"],
             api_url="https://", region="eu"),
    ], env=proxied)
    for name in ("plain", "half"):
        assert_clean_failure(outcome[name])
        assert outcome[name]["msg"].startswith("api_url (from the FLOWOPS_API_URL environment variable): "
                                               "'http://api.integrator.io' is plain http:// to api.integrator.io"), \
            outcome[name]["msg"]
    assert_clean_failure(outcome["region"])
    assert outcome["region"]["msg"].startswith("api_url: 'https://' has no host"), outcome["region"]["msg"]
    assert proxy.connections == 0 and proxy.seen == [], "the proxy on 127.0.0.2 was contacted"
