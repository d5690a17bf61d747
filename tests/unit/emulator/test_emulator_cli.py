"""``python -m emulator``: serving, port file, token, SIGTERM, and refusing non-loopback addresses."""

import os
import signal
import subprocess
import sys

import pytest
import requests

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.emulator.core import scenario_files
from ansible_collections.flowops.ipaas.tests.emulator.celigo import CeligoApp
from ansible_collections.flowops.ipaas.tests.emulator.core.server import EmulatorServer, check_loopback

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def launch(*args):
    env = dict(os.environ, PYTHONPATH=TESTS_DIR)
    return subprocess.Popen([sys.executable, "-m", "emulator", "celigo", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_cli_serves_until_sigterm(tmp_path):
    port_file = tmp_path / "port"
    saved = tmp_path / "scenario.json"
    proc = launch("--generate", "instances=2,errors=3,seed=4", "--port-file", str(port_file), "--token", "cli-token",
                  "--page-size", "2", "--save-scenario", str(saved))
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:")
        url = line[len("listening on "):]
        assert port_file.read_text().strip() == url.rsplit(":", 1)[1]
        assert requests.get(url + "/v1/flows", headers={"Authorization": "Bearer emulator-token"}, timeout=10).status_code == 401
        flows = requests.get(url + "/v1/flows", headers={"Authorization": "Bearer cli-token"}, timeout=10).json()
        scenario = scenario_files.load(str(saved))
        assert [flow["_id"] for flow in flows] == [flow["_id"] for flow in scenario["flows"]]
        assert scenario == dict(scenarios.generate(instances=2, errors_per_step=3, seed=4), token="cli-token")
        flow_id = scenarios.instance_ids(scenario)[0]
        page = requests.get("%s/v1/flows/%s/%s/errors" % (url, flow_id, scenarios.step_ids(scenario, flow_id)[0]),
                            headers={"Authorization": "Bearer cli-token"}, timeout=10).json()
        assert len(page["errors"]) == 2 and "nextPageURL" in page
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        proc.stderr.close()


def test_cli_loads_a_scenario_file(tmp_path):
    path = tmp_path / "scenario.json"
    scenario_files.save(scenarios.generate(instances=1, errors_per_step=1, seed=9), str(path))
    proc = launch("--scenario", str(path), "--rate-limit-every", "1", "--retry-after", "soon")
    try:
        url = proc.stdout.readline().strip()[len("listening on "):]
        response = requests.get(url + "/v1/flows", headers={"Authorization": "Bearer emulator-token"}, timeout=10)
        assert (response.status_code, response.headers["Retry-After"]) == (429, "soon")
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        proc.stderr.close()


def test_cli_preset(tmp_path):
    saved = tmp_path / "scenario.json"
    proc = launch("--preset", "outage", "--save-scenario", str(saved))
    try:
        url = proc.stdout.readline().strip()[len("listening on "):]
        flows = requests.get(url + "/v1/flows", headers={"Authorization": "Bearer emulator-token"}, timeout=10).json()
        assert len(flows) == 48
        assert scenario_files.load(str(saved)) == scenarios.outage()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        proc.stderr.close()


def test_cli_refuses_a_non_loopback_host():
    proc = launch("--generate", "instances=1", "--host", "0.0.0.0")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "loopback" in err and "listening" not in out


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "::", "example.com", "192.168.0.1"])
def test_server_refuses_non_loopback_addresses(host):
    with pytest.raises(ValueError, match="loopback"):
        EmulatorServer(CeligoApp({}), host, 0)


def test_loopback_addresses_are_accepted():
    assert check_loopback("127.0.0.1") == "127.0.0.1"
    assert check_loopback("127.0.0.2") == "127.0.0.2"
    assert check_loopback("localhost") == "127.0.0.1"
    assert check_loopback("::1") == "::1"
