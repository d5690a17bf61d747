# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flows inventory plugin in process, against the platforms' emulators: hosts, host variables, groups, the
constructed options, the cache and one-line failures that never quote the token."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import json
import os

import pytest
import yaml

from ansible.errors import AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader, inventory_loader
from ansible.template import Templar
from ansible.utils.collection_loader import AnsibleCollectionConfig

from ansible_collections.flowops.ipaas.tests.emulator.activepieces import state as ap
from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as celigo_scenarios
from ansible_collections.flowops.ipaas.tests.emulator.cloudflare import state as cf
from ansible_collections.flowops.ipaas.tests.emulator.superai.state import flow_ids as superai_flow_ids
from ansible_collections.flowops.ipaas.tests.emulator.superai.state import generate as superai_generate

ENV_NAMES = ("FLOWOPS_PLATFORM", "FLOWOPS_API_URL", "FLOWOPS_REGION", "FLOWOPS_API_TOKEN", "FLOWOPS_AUTH_HEADER",
             "FLOWOPS_PROJECT_ID", "FLOWOPS_ACCOUNT_ID", "ANSIBLE_INVENTORY_CACHE", "ANSIBLE_CACHE_PLUGIN",
             "ANSIBLE_INVENTORY_CACHE_PLUGIN", "ANSIBLE_CACHE_PLUGIN_CONNECTION", "ANSIBLE_INVENTORY_CACHE_CONNECTION")
PROXIES = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


def _plugin():
    """A new instance of the plugin, loaded by name as ansible-inventory loads it."""
    if AnsibleCollectionConfig.collection_finder is None:
        # Plain pytest (ansible-test units installs Ansible's collection loader itself): the collection was imported
        # from .build/collections as a plain package (tests/conftest.py), so the loader goes in now and the package
        # gets the (empty) routing metadata the loader would have read from meta/runtime.yml.
        import ansible_collections  # pylint: disable=import-outside-toplevel
        init_plugin_loader([os.path.dirname(list(ansible_collections.__path__)[0])])
        collection = importlib.import_module("ansible_collections.flowops.ipaas")
        if getattr(collection, "_collection_meta", None) is None:
            collection._collection_meta = {}  # pylint: disable=protected-access
    plugin = inventory_loader.get("flowops.ipaas.flows")
    assert plugin is not None
    return plugin


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ENV_NAMES + PROXIES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


class Parsed:
    """What one parse left: the inventory data, the warnings and the plugin."""

    def __init__(self, inventory, warnings, plugin):
        self.inventory = inventory
        self.warnings = warnings
        self.plugin = plugin

    @property
    def hosts(self):
        return sorted(self.inventory.hosts)

    def vars(self, host):
        return self.inventory.get_host(host).get_vars()

    def group(self, name):
        group = self.inventory.groups.get(name)
        return sorted(host.name for host in group.get_hosts()) if group is not None else None

    def groups(self):
        return sorted(name for name in self.inventory.groups if name not in ("all", "ungrouped"))

    def dump(self):
        """Every host variable and group name as one text, to look for a token in."""
        return json.dumps([dict(self.vars(host)) for host in self.hosts] + self.groups(), default=str)


@pytest.fixture
def parse(tmp_path, monkeypatch):
    """``parse(config, token=None, cache=True, name=...)`` runs the plugin on a file holding ``config``."""

    def run(config, token=None, cache=True, name="test.flowops.yml"):
        if token is not None:
            monkeypatch.setenv("FLOWOPS_API_TOKEN", token)
        path = tmp_path / name
        path.write_text(yaml.safe_dump(dict({"plugin": "flowops.ipaas.flows"}, **config)))
        plugin = _plugin()
        warnings = []
        monkeypatch.setattr(plugin.display, "warning", lambda message, *args, **kwargs: warnings.append(message))
        inventory = InventoryData()
        plugin.parse(inventory, DataLoader(), str(path), cache=cache)
        return Parsed(inventory, warnings, plugin)

    return run


def failure(parse, config, token=None):
    with pytest.raises(AnsibleParserError) as caught:
        parse(config, token)
    message = str(caught.value.message) if hasattr(caught.value, "message") else str(caught.value)
    assert "\n" not in message.strip() and "Traceback" not in message, message
    assert message.startswith("flowops.ipaas.flows: "), message
    return message


def celigo_scenario(**kwargs):
    settings = dict(instances=3, abstract_flows=2, steps=2, errors_per_step=3, plain_flows=1, disabled_instances=1, seed=5)
    settings.update(kwargs)
    return celigo_scenarios.generate(**settings)


def expected_counts(scenario, flow_id):
    counts = {}
    for error in celigo_scenarios.errors(scenario, flow_id):
        counts[error["classification"]] = counts.get(error["classification"], 0) + 1
    return counts


# -- Celigo ------------------------------------------------------------------------------------------


def test_instances_of_abstract_flows_are_hosts_with_their_errors_and_groups(celigo_emulator_factory, parse):
    emulator = celigo_emulator_factory(celigo_scenario())
    scenario = emulator.scenario
    abstract = celigo_scenarios.abstract_flow_ids(scenario)
    parsed = parse({"api_url": emulator.url, "abstract_flow_id": abstract}, emulator.token)

    instances = celigo_scenarios.instance_ids(scenario)
    assert parsed.hosts == sorted(instances)
    assert parsed.group("flowops_targets") == sorted(instances)
    assert parsed.group("flowops_celigo") == sorted(instances)
    for abstract_id in abstract:
        assert parsed.group("flowops_abstract_%s" % abstract_id) == sorted(celigo_scenarios.instance_ids(scenario, abstract_id))
    assert parsed.group("flowops_disabled") == sorted(celigo_scenarios.instance_ids(scenario, disabled=True))
    assert parsed.group("flowops_has_errors") == sorted(instances)  # every instance has errors
    integration = celigo_scenarios.flow(scenario, instances[0])["_integrationId"]
    assert parsed.group("flowops_integration_%s" % integration) == sorted(instances)

    for flow_id in instances:
        variables = parsed.vars(flow_id)
        flow = variables["flowops_flow"]
        source = celigo_scenarios.flow(scenario, flow_id)
        assert variables["ansible_connection"] == "local"
        assert variables["incident_recovery_flow_ids"] == [flow_id]
        assert variables["flowops_connection"] == {"platform": "celigo", "api_url": emulator.url}
        assert (flow["id"], flow["name"], flow["platform"]) == (flow_id, source["name"], "celigo")
        assert flow["disabled"] == source["disabled"]
        assert (flow["abstract_flow_id"], flow["integration_id"]) == (source["_abstractFlowId"], integration)
        assert flow["open_errors"] == len(celigo_scenarios.errors(scenario, flow_id))
        assert flow["open_errors_by_classification"] == expected_counts(scenario, flow_id)
        assert set(flow["open_errors_by_step"]) == set(celigo_scenarios.step_ids(scenario, flow_id))
        for step_id, step in flow["open_errors_by_step"].items():
            assert step["open_errors"] == len(celigo_scenarios.errors(scenario, flow_id, step_id)) == sum(step["by_classification"].values())
            assert step["last_error_at"]
    assert emulator.token not in parsed.dump()
    assert not parsed.warnings


def test_without_a_selection_every_flow_of_the_account_is_a_host(celigo_emulator_factory, parse):
    emulator = celigo_emulator_factory(celigo_scenario(abstract_flows=1))
    parsed = parse({"api_url": emulator.url, "errors_by_classification": False}, emulator.token)
    assert parsed.hosts == sorted(flow["_id"] for flow in emulator.scenario["flows"])
    plain = celigo_scenarios.plain_flow_ids(emulator.scenario)[0]
    assert parsed.vars(plain)["flowops_flow"]["abstract_flow_id"] is None
    assert "open_errors_by_classification" not in parsed.vars(plain)["flowops_flow"]
    # The counts come from the summaries alone: no error listing was read.
    assert not [entry for entry in emulator.requests if entry["path"].endswith("/errors") and entry["path"].count("/") > 4]


def test_flow_ids_and_an_integration_select_each_flow_once(celigo_emulator_factory, parse):
    emulator = celigo_emulator_factory(celigo_scenario(abstract_flows=1))
    scenario = emulator.scenario
    plain = celigo_scenarios.plain_flow_ids(scenario)[0]
    instance = celigo_scenarios.instance_ids(scenario)[0]
    integration = celigo_scenarios.flow(scenario, plain)["_integrationId"]
    parsed = parse({"api_url": emulator.url, "flow_ids": [instance, plain], "integration_id": integration}, emulator.token)
    assert parsed.hosts == sorted([instance, plain])


def test_counts_can_be_left_out_entirely(celigo_emulator_factory, parse):
    emulator = celigo_emulator_factory(celigo_scenario(abstract_flows=1))
    parsed = parse({"api_url": emulator.url, "abstract_flow_ids": celigo_scenarios.abstract_flow_ids(emulator.scenario),
                    "include_error_counts": False}, emulator.token)  # the alias the modules take too
    assert parsed.hosts == sorted(celigo_scenarios.instance_ids(emulator.scenario))
    assert parsed.group("flowops_has_errors") is None
    assert all("open_errors" not in parsed.vars(host)["flowops_flow"] for host in parsed.hosts)
    assert [entry["path"] for entry in emulator.requests] == ["/v1/flows"]


def test_constructed_options_compose_group_and_key_hosts(celigo_emulator_factory, parse):
    scenario = celigo_scenario(abstract_flows=1, classifications={"intermittent": 1}, retryable_share=1.0)
    emulator = celigo_emulator_factory(scenario)
    parsed = parse({
        "api_url": emulator.url, "abstract_flow_id": celigo_scenarios.abstract_flow_ids(emulator.scenario),
        "compose": {"flow_label": "flowops_flow.name ~ ' (' ~ flowops_flow.open_errors ~ ')'"},
        "groups": {"enabled_with_errors": "flowops_flow.open_errors > 0 and not flowops_flow.disabled"},
        "keyed_groups": [{"key": "flowops_flow.open_errors_by_classification.keys() | list", "prefix": "class"}],
    }, emulator.token)
    enabled = celigo_scenarios.instance_ids(emulator.scenario, disabled=False)
    assert parsed.group("enabled_with_errors") == sorted(enabled)
    assert parsed.group("class_intermittent") == parsed.hosts
    assert [name for name in parsed.groups() if name.startswith("class_")] == ["class_intermittent"]
    host = parsed.hosts[0]
    flow = parsed.vars(host)["flowops_flow"]
    assert parsed.vars(host)["flow_label"] == "%s (%d)" % (flow["name"], flow["open_errors"])


def render(expression, variables):
    """``expression`` (a template the operator wrote, so trusted) rendered with ``variables``, as a playbook does."""
    try:
        from ansible.template import trust_as_template  # pylint: disable=import-outside-toplevel
        expression = trust_as_template(expression)
    except ImportError:  # before ansible-core 2.19 every string is a template unless marked unsafe
        pass
    return Templar(loader=DataLoader(), variables=variables).template(expression)


def test_a_flow_name_from_the_platform_is_never_templated(celigo_emulator_factory, parse):
    scenario = celigo_scenario(abstract_flows=1)
    plain = celigo_scenarios.plain_flow_ids(scenario)[0]
    celigo_scenarios.flow(scenario, plain)["name"] = "{{ 6 * 7 }}"
    emulator = celigo_emulator_factory(scenario)
    parsed = parse({"api_url": emulator.url, "flow_ids": [plain], "compose": {"label": "flowops_flow.name ~ '!'"}}, emulator.token)
    variables = dict(parsed.vars(plain))
    assert render("{{ flowops_flow.name }}", variables) == "{{ 6 * 7 }}"
    assert render("{{ label }}", variables) == "{{ 6 * 7 }}!"  # a composed value too


def test_strict_makes_a_bad_expression_fail(celigo_emulator_factory, parse):
    emulator = celigo_emulator_factory(celigo_scenario(abstract_flows=1))
    config = {"api_url": emulator.url, "flow_ids": celigo_scenarios.plain_flow_ids(emulator.scenario),
              "compose": {"broken": "flowops_flow.no_such_field.deeper"}}
    assert "broken" not in parse(dict(config), emulator.token).vars(config["flow_ids"][0])
    with pytest.raises(Exception) as caught:
        parse(dict(config, strict=True), emulator.token)
    assert "broken" in str(caught.value)


def test_the_cache_answers_without_requests_and_never_holds_the_token(celigo_emulator_factory, parse, tmp_path):
    emulator = celigo_emulator_factory(celigo_scenario(abstract_flows=1))
    cache_dir = tmp_path / "cache"
    config = {"api_url": emulator.url, "abstract_flow_id": celigo_scenarios.abstract_flow_ids(emulator.scenario),
              "cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(cache_dir)}
    first = parse(config, emulator.token)
    first.plugin.update_cache_if_changed()
    files = list(cache_dir.iterdir())
    assert len(files) == 1 and emulator.token not in files[0].read_text()
    emulator.clear_requests()

    second = parse(config, emulator.token)
    assert emulator.requests == []
    assert second.hosts == first.hosts
    assert second.vars(second.hosts[0])["flowops_flow"] == first.vars(first.hosts[0])["flowops_flow"]
    # cache=False (meta: refresh_inventory, --flush-cache) reads the platform again.
    parse(config, emulator.token, cache=False)
    assert emulator.requests


def test_a_flow_id_too_long_for_the_recovery_run_id_is_warned_about(parse, monkeypatch):
    flows_module = __import__("ansible_collections.flowops.ipaas.plugins.inventory.flows", fromlist=["x"])
    long_id = "x" * 40
    monkeypatch.setattr(flows_module.InventoryModule, "_fetch", lambda self, params, settings: [
        {"id": long_id, "name": "long", "platform": "cloudflare", "disabled": False, "abstract_flow_id": None,
         "integration_id": "a worker"}, {"id": "short", "name": "short", "platform": "cloudflare", "disabled": False,
                                         "abstract_flow_id": None, "integration_id": None}])
    parsed = parse({"platform": "cloudflare", "account_id": "a1"}, "a-token-12345")
    assert parsed.hosts == sorted([long_id, "short"])
    assert parsed.group("flowops_integration_a_worker") == [long_id]  # made safe as Ansible does
    assert len(parsed.warnings) == 1 and "1 flow id(s)" in parsed.warnings[0] and long_id in parsed.warnings[0]


# -- other platforms -----------------------------------------------------------------------------------


def test_cloudflare_workflows_of_an_account_with_dismissed_errors_left_out(cloudflare_emulator_factory, parse, tmp_path):
    emulator = cloudflare_emulator_factory(cf.generate(workflows=2, instances=6, errored_share=0.6, scripts=2, seed=3))
    scenario = emulator.scenario
    names = cf.workflow_names(scenario)
    dismissed = cf.errored(scenario, names[0])[0]
    dismissed_file = tmp_path / "dismissed.jsonl"
    dismissed_file.write_text(json.dumps({"errorId": "%s@%s" % (dismissed["id"], dismissed["ended_on"])}) + "\n")
    parsed = parse({"platform": "cloudflare", "api_url": emulator.url, "account_id": emulator.account_id,
                    "dismissed_file": str(dismissed_file)}, emulator.token)
    assert parsed.hosts == sorted(names)
    assert parsed.group("flowops_cloudflare") == sorted(names)
    for workflow in scenario["workflows"]:
        flow = parsed.vars(workflow["name"])["flowops_flow"]
        assert parsed.vars(workflow["name"])["flowops_connection"] == {
            "platform": "cloudflare", "api_url": emulator.url, "account_id": emulator.account_id}
        errored = [item for item in cf.errored(scenario, workflow["name"]) if item is not dismissed]
        assert flow["open_errors"] == len(errored) == sum(flow["open_errors_by_classification"].values())
        script_group = "flowops_integration_%s" % workflow["script_name"].replace("-", "_")
        assert workflow["name"] in parsed.group(script_group)
    assert emulator.token not in parsed.dump()


def test_activepieces_flows_of_a_project_with_the_disabled_ones_grouped(activepieces_emulator_factory, parse, monkeypatch):
    emulator = activepieces_emulator_factory(ap.generate(flows=3, disabled=1, failed_runs=2, succeeded_runs=1, seed=4))
    monkeypatch.setenv("AP_TOKEN", emulator.token)
    parsed = parse({"platform": "activepieces", "api_url": emulator.url, "project_id": emulator.project_id,
                    "integration_id": emulator.project_id, "api_token_env": "AP_TOKEN"})
    assert parsed.hosts == sorted(ap.flow_ids(emulator.scenario))
    assert parsed.group("flowops_disabled") == sorted(ap.flow_ids(emulator.scenario, disabled=True))
    assert parsed.group("flowops_activepieces") == parsed.hosts
    for host in parsed.hosts:
        assert parsed.vars(host)["flowops_api_token_env"] == "AP_TOKEN"
        assert parsed.vars(host)["flowops_flow"]["open_errors"] == 2
    assert emulator.token not in parsed.dump()


def test_superai_flows_by_id_and_no_listing_of_every_flow(superai_emulator_factory, parse):
    emulator = superai_emulator_factory(superai_generate(flows=2, executions=4, failed_share=0.5, seed=2))
    ids = superai_flow_ids(emulator.scenario)
    parsed = parse({"platform": "superai", "api_url": emulator.url, "flow_ids": ids}, emulator.token)
    assert parsed.hosts == sorted(ids)
    assert parsed.group("flowops_superai") == sorted(ids)
    message = failure(parse, {"platform": "superai", "api_url": emulator.url}, emulator.token)
    assert "does not support listing every flow" in message and "flow_ids" in message


# -- failures ----------------------------------------------------------------------------------------


def test_a_refused_token_is_one_line_without_the_token(celigo_emulator_factory, parse):
    emulator = celigo_emulator_factory(celigo_scenario(abstract_flows=1))
    wrong = "wrong-secret-token-42"
    message = failure(parse, {"api_url": emulator.url, "api_token": wrong})
    assert "HTTP 401" in message and wrong not in message


def test_bad_input_fails_in_one_line_before_any_request(celigo_emulator_factory, parse, monkeypatch):
    emulator = celigo_emulator_factory(celigo_scenario(abstract_flows=1))
    assert "duplicate" in failure(parse, {"api_url": emulator.url, "flow_ids": ["a", "a"]}, emulator.token)
    assert "api_token_env" in failure(parse, {"api_url": emulator.url, "api_token_env": "NOT_SET_ANYWHERE"})
    assert "account_id" in failure(parse, {"platform": "cloudflare", "api_url": emulator.url}, emulator.token)
    assert "abstract_flow_id" in failure(parse, {"platform": "superai", "api_url": emulator.url,
                                                 "abstract_flow_id": ["x"]}, emulator.token)
    monkeypatch.delenv("FLOWOPS_API_TOKEN")
    assert "api_token" in failure(parse, {"api_url": emulator.url})
    assert emulator.requests == []


def test_an_unexpected_error_is_one_scrubbed_line(celigo_emulator_factory, parse, monkeypatch):
    emulator = celigo_emulator_factory(celigo_scenario(abstract_flows=1))
    flows_module = __import__("ansible_collections.flowops.ipaas.plugins.inventory.flows", fromlist=["x"])

    def boom(ctx, include_error_counts, by_classification):
        raise RuntimeError("header Authorization: Bearer %s\nsecond line" % emulator.token)

    monkeypatch.setattr(flows_module, "describe_flows", boom)
    message = failure(parse, {"api_url": emulator.url}, emulator.token)
    assert "RuntimeError" in message and emulator.token not in message


@pytest.mark.parametrize("name, accepted", [
    ("celigo.flowops.yml", True), ("flowops.yaml", True), ("prod-flowops.yml", True),
    ("flowops.json", False), ("inventory.yml", False), ("flowops.yml.bak", False),
])
def test_only_files_named_flowops_yml_are_this_plugins(tmp_path, name, accepted):
    path = tmp_path / name
    path.write_text("plugin: flowops.ipaas.flows\n")
    assert bool(_plugin().verify_file(str(path))) is accepted
