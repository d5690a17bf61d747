"""Every failure names what the user set (issue 27, item 1): real ansible-playbook runs of the playbooks and modules
against the Celigo emulator. Each message is one line naming the variable (or the environment variable, or what failed:
authentication, connection), and an input that is wrong is refused before any request."""

import json
import socket
import threading

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.playbook_env import ignoring_errors


@pytest.fixture(scope="module")
def outage():
    return scenarios.generate(abstract_flows=1, instances=3, steps=1, errors_per_step=3, seed=27)


@pytest.fixture
def emulator(celigo_emulator_factory, outage):
    return celigo_emulator_factory(outage, page_size=20)


@pytest.fixture
def runner(emulator, playbook_for):
    return playbook_for(emulator)


def recovery_vars(emulator, tmp_path, **extra):
    return dict({"incident_recovery_abstract_flow_ids": scenarios.abstract_flow_ids(emulator.scenario),
                 "incident_recovery_report_dir": str(tmp_path / "reports"), "incident_recovery_run_id": "messages"}, **extra)


def fatal(outcome):
    """The one failure of a playbook run: its message, after checking it is the only one, on one line, and that no
    traceback was shown."""
    assert outcome.rc != 0, outcome.output
    lines = [line for line in outcome.stdout.splitlines() if line.startswith("fatal:")]
    assert len(lines) == 1, outcome.output
    assert "Traceback" not in outcome.output and "Exception" not in outcome.output
    message = json.loads(lines[0].split(" => ", 1)[1])["msg"]
    assert isinstance(message, str) and "\n" not in message, message
    return message


WITHOUT_EMULATOR = {"FLOWOPS_API_URL": None}  # the connection settings under test decide where requests would go


def test_a_refused_token_is_reported_as_authentication_not_under_the_flow_id_variable(runner, emulator, tmp_path):
    outcome = runner.run_playbook("incident_recovery.yml", recovery_vars(emulator, tmp_path),
                                  env={"FLOWOPS_API_TOKEN": "refused-token-27"})
    message = fatal(outcome)
    assert message == ("authentication: the API token was refused: GET /v1/flows: HTTP 401 Bearer Authentication Failed; "
                       "check FLOWOPS_API_TOKEN (in AWX, the job's credential), and that FLOWOPS_API_URL or FLOWOPS_REGION "
                       "point at the account's host (now %s)" % emulator.url)
    assert "refused-token-27" not in outcome.output
    assert [entry["path"] for entry in emulator.requests] == ["/v1/flows"]  # the first read only


def test_error_report_and_promotion_say_authentication_too(runner, emulator, tmp_path):
    abstract = scenarios.abstract_flow_ids(emulator.scenario)[0]
    report = runner.run_playbook("error_report.yml", {"error_report_abstract_flow_ids": [abstract]},
                                 env={"FLOWOPS_API_TOKEN": "refused-token-27"})
    promotion = runner.run_playbook("environment_promotion.yml", {"environment_promotion_abstract_flow_ids": [abstract],
                                                                  "environment_promotion_connection_map": {"a": "b"},
                                                                  "environment_promotion_report_dir": str(tmp_path)},
                                    env={"FLOWOPS_API_TOKEN": "refused-token-27"})
    for outcome in (report, promotion):
        assert fatal(outcome).startswith("authentication: the API token was refused: GET /v1/flows: HTTP 401 ")
    assert emulator.non_get_requests() == []


def test_a_region_typo_in_the_role_connection_names_it_before_any_request(runner, emulator, tmp_path):
    outcome = runner.run_playbook("incident_recovery.yml", recovery_vars(emulator, tmp_path,
                                                                         incident_recovery_connection={"region": "euu"}),
                                  env=WITHOUT_EMULATOR)
    assert fatal(outcome) == ("incident_recovery_connection.region: 'euu' is not a celigo region (did you mean 'eu'?); "
                              "use one of au, ca, eu, us or set api_url")
    assert emulator.requests == []


def test_a_region_typo_in_flowops_region_names_the_environment_variable(runner, emulator, tmp_path):
    outcome = runner.run_playbook("incident_recovery.yml", recovery_vars(emulator, tmp_path),
                                  env=dict(WITHOUT_EMULATOR, FLOWOPS_REGION="euu"))
    assert fatal(outcome) == ("FLOWOPS_REGION: 'euu' is not a celigo region (did you mean 'eu'?); use one of au, ca, eu, us "
                              "or set FLOWOPS_API_URL")
    assert emulator.requests == []


class ProxyRecorder:
    """A proxy that only notes where each CONNECT goes and hangs up: it shows which host a run would have reached,
    without reaching it."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.targets = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.getsockname()[1]

    def _serve(self):
        while True:
            try:
                conn, dummy = self.server.accept()
            except OSError:
                return
            with conn:
                head = conn.recv(4096).decode("latin-1")
                self.targets.append(head.split("\r\n", 1)[0])

    def close(self):
        self.server.close()


def test_flowops_region_in_capitals_is_accepted_and_picks_the_eu_host(runner, emulator, tmp_path):
    """FLOWOPS_REGION=EU is eu: the run goes to api.eu.integrator.io (seen by a recording proxy, never reached); the
    failure to get through is a connection failure, not a region one."""
    proxy = ProxyRecorder()
    try:
        outcome = runner.run_playbook("incident_recovery.yml",
                                      recovery_vars(emulator, tmp_path, incident_recovery_connection={"max_retries": 0}),
                                      env=dict(WITHOUT_EMULATOR, FLOWOPS_REGION="EU", HTTPS_PROXY=proxy.url, https_proxy=proxy.url))
    finally:
        proxy.close()
    message = fatal(outcome)
    assert message.startswith("connection: GET /v1/flows: connection failed"), message
    assert "region" not in message.split(";")[0]
    assert proxy.targets and all(target.startswith("CONNECT api.eu.integrator.io:443 ") for target in proxy.targets), proxy.targets
    assert emulator.requests == []


def test_an_unreachable_api_is_a_connection_failure_not_a_flow_id_one(runner, emulator, tmp_path):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: refused
    outcome = runner.run_playbook("incident_recovery.yml",
                                  recovery_vars(emulator, tmp_path, incident_recovery_connection={"max_retries": 0}),
                                  env={"FLOWOPS_API_URL": "http://127.0.0.1:%d" % port})
    message = fatal(outcome)
    assert message.startswith("connection: GET /v1/flows: connection failed: refused by 127.0.0.1:%d (1 attempt over " % port), message
    assert "incident_recovery_abstract_flow_ids" not in message


def test_a_bad_time_names_the_role_variable_before_any_request(runner, emulator, tmp_path):
    outcome = runner.run_playbook("incident_recovery.yml", recovery_vars(emulator, tmp_path, incident_recovery_since="6 hours"))
    assert fatal(outcome) == ("incident_recovery_since: '6 hours' is not a time; use ISO 8601 (2026-11-20T04:00:00Z), 'now' "
                              "or a relative age such as '2h' or '30m'")
    report = runner.run_playbook("error_report.yml", {"error_report_abstract_flow_ids": scenarios.abstract_flow_ids(emulator.scenario),
                                                      "error_report_since": "1h", "error_report_until": "2h"})
    assert fatal(report) == "error_report_since: '1h' must be earlier than error_report_until ('2h')"
    assert emulator.requests == []


def test_a_misspelt_variable_says_did_you_mean_before_any_request(runner, emulator, tmp_path):
    abstract = scenarios.abstract_flow_ids(emulator.scenario)
    report = runner.run_playbook("error_report.yml", {"error_report_abstract_flow_id": abstract})
    assert fatal(report) == ("error_report_abstract_flow_id: not a variable of the error_report playbook "
                             "(did you mean 'error_report_abstract_flow_ids'?); "
                             "error_report_flow_ids: nothing selected; set error_report_flow_ids or error_report_abstract_flow_ids "
                             "or error_report_integration_id")
    recovery = runner.run_playbook("incident_recovery.yml", recovery_vars(emulator, tmp_path, incident_recovery_sinse="6h"))
    assert fatal(recovery) == ("incident_recovery_sinse: not a variable of the incident_recovery role "
                               "(did you mean 'incident_recovery_since'?)")
    assert emulator.requests == []


def test_an_unknown_classification_says_did_you_mean_in_the_role_and_the_module(runner, emulator, tmp_path):
    recovery = runner.run_playbook("incident_recovery.yml", recovery_vars(emulator, tmp_path,
                                                                          incident_recovery_retry_classifications="intermitent, rate_limit"))
    assert fatal(recovery) == ("incident_recovery_retry_classifications: unknown classification 'intermitent' "
                               "(did you mean 'intermittent'?); choose from connection, duplicate, governance, intermittent, "
                               "missing, parse, value, rate_limit, too_large, none")
    module = runner.run([{"flowops.ipaas.flow_errors_info": {"abstract_flow_id": scenarios.abstract_flow_ids(emulator.scenario),
                                                             "classifications": ["rate_limt"]}}])
    assert module["r0"]["msg"] == ("classifications: unknown classification 'rate_limt' (did you mean 'rate_limit'?); choose "
                                   "from connection, duplicate, governance, intermittent, missing, parse, value, rate_limit, "
                                   "too_large, none, stale")
    assert module["r0"]["option"] == "classifications"
    assert module.rc != 0 and emulator.requests == []


def test_module_options_with_a_typo_say_did_you_mean_and_name_the_option(runner, emulator):
    outcome = runner.run(ignoring_errors([
        {"flowops.ipaas.flow_instance_info": {"flow_ids": ["x"], "platform": "celgio"}},
        {"flowops.ipaas.flow_instance_info": {"flow_ids": ["x"], "region": "Euu", "api_url": None}},
    ]), env={"FLOWOPS_API_URL": None})
    first, second = outcome.failure_messages(2)
    assert first == ("platform: 'celgio' is not a platform (did you mean 'celigo'?); use one of activepieces, celigo, "
                     "cloudflare, superai")
    assert second == "region: 'Euu' is not a celigo region (did you mean 'eu'?); use one of au, ca, eu, us or set api_url"
    assert (outcome["r0"]["option"], outcome["r1"]["option"]) == ("platform", "region")
    assert emulator.requests == []


def test_a_wrong_abstract_flow_id_fails_the_module_unless_allow_empty(runner, emulator):
    bogus = "6a0fc7eb7202049b32ea45ff"
    outcome = runner.run(ignoring_errors([
        {"flowops.ipaas.flow_instance_info": {"abstract_flow_id": bogus}},
        {"flowops.ipaas.flow_errors_info": {"abstract_flow_id": bogus}},
    ]) + [{"flowops.ipaas.flow_errors_info": {"abstract_flow_id": bogus, "allow_empty": True}}])
    assert outcome.failure_messages(2) == ["abstract_flow_id: abstract flow %s has no flows (set allow_empty: true to accept it)"
                                           % bogus] * 2
    assert outcome["r0"]["option"] == "abstract_flow_id"
    allowed = outcome["r2"]
    assert not allowed.get("failed") and allowed["summary"]["flows"] == 0
    assert allowed["warnings"] == ["abstract flow %s has no flows" % bogus]
    assert emulator.non_get_requests() == []


def test_an_instance_id_given_as_an_abstract_id_says_use_flow_ids(runner, emulator, tmp_path):
    instance = scenarios.instance_ids(emulator.scenario)[0]
    module = runner.run([{"flowops.ipaas.flow_instance_info": {"abstract_flow_id": [instance]}}])
    assert module["r0"]["msg"] == "abstract_flow_id: %s is a flow (instance) id, not an abstract flow id: use flow_ids" % instance
    assert "allow_empty" not in module["r0"]["msg"]  # the flag would hide the mistake
    # One more request on the failure path only: the listing, then the look-up that tells what the id is.
    assert [(entry["path"], entry["query"].get("_abstractFlowId")) for entry in emulator.requests] == [
        ("/v1/flows", instance), ("/v1/flows/%s" % instance, None)]
    emulator.clear_requests()
    recovery = runner.run_playbook("incident_recovery.yml", recovery_vars(emulator, tmp_path,
                                                                          incident_recovery_abstract_flow_ids=instance))
    assert fatal(recovery) == ("incident_recovery_abstract_flow_ids: %s is a flow (instance) id, not an abstract flow id: "
                               "use incident_recovery_flow_ids" % instance)
    assert emulator.non_get_requests() == []
