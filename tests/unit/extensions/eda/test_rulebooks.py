# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rulebooks in extensions/eda/rulebooks against what they use: the source's arguments, the playbook's variables
and the AWX workflow's survey. Templates are rendered as ansible-rulebook renders them (Jinja2's native types,
undefined variables an error). tests/e2e/test_eda_rulebook.py runs the local one with ansible-rulebook itself."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest
import yaml
from jinja2 import StrictUndefined
from jinja2.nativetypes import NativeEnvironment

from ansible_collections.flowops.ipaas.plugins.module_utils._select.error_watch import watch_options

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4))
RULEBOOKS = os.path.join(ROOT, "extensions", "eda", "rulebooks")
EVENT = {"flowops": {"type": "errors_settled", "group": "celigo-0123456789ab", "platform": "celigo",
                     "spike_start": "2026-12-01T10:00:00.000Z", "observed_at": "2026-12-01T10:20:00.000Z",
                     "selection": {"flow_ids": ["f1", "f2"], "abstract_flow_ids": ["a1"], "integration_id": None}}}


def load(name):
    with open(os.path.join(RULEBOOKS, name)) as stream:
        return yaml.safe_load(stream)


def render(value, context):
    """ansible-rulebook's substitute_variables: every string rendered, lists and dicts walked."""
    if isinstance(value, str):
        if "{{" not in value:
            return value
        return NativeEnvironment(undefined=StrictUndefined).from_string(value).render(context)
    if isinstance(value, list):
        return [render(item, context) for item in value]
    if isinstance(value, dict):
        return dict((key, render(item, context)) for key, item in value.items())
    return value


def rule(ruleset, event_type):
    return next(item for item in ruleset["rules"] if item["condition"] == 'event.flowops.type == "%s"' % event_type)


@pytest.fixture(params=["incident_recovery.yml", "incident_recovery_controller.yml"])
def ruleset(request):
    rulesets = load(request.param)
    assert len(rulesets) == 1
    return rulesets[0]


def test_the_source_takes_the_activation_variables_or_its_defaults(ruleset):
    source, = ruleset["sources"]
    args = source["flowops.ipaas.flow_errors"]
    assert watch_options(render(args, {"flowops_abstract_flow_ids": ["a1"]}))["interval"] == 60
    options = watch_options(render(args, {"flowops_flow_ids": ["f1"], "flowops_interval": 5, "flowops_since": "2h",
                                          "flowops_spike_threshold": 3, "flowops_settle_seconds": 30}))
    assert (options["flow_ids"], options["interval"], options["spike_threshold"], options["settle_seconds"]) == (["f1"], 5, 3, 30)
    assert options["abstract_flow_id"] == [] and options["integration_id"] is None


def test_recovery_is_throttled_per_flow_group(ruleset):
    throttle = rule(ruleset, "errors_settled")["throttle"]
    assert throttle == {"once_within": "1 hour", "group_by_attributes": ["event.flowops.group"]}


def test_local_rulebook_runs_the_collection_playbook_with_variables_it_reads():
    settled = rule(load("incident_recovery.yml")[0], "errors_settled")["action"]["run_playbook"]
    assert settled["name"] == "flowops.ipaas.recover_on_settled"
    with open(os.path.join(ROOT, "playbooks", "recover_on_settled.yml")) as stream:
        play, = yaml.safe_load(stream)
    assert set(settled["extra_vars"]) <= set(play["vars"])
    assert render(settled["extra_vars"], {}) == {"flowops_eda_report_dir": "", "flowops_eda_canary_keys": 10,
                                                 "flowops_eda_recovery_vars": {}}


def test_controller_rulebook_fills_the_approval_workflow_survey():
    action = rule(load("incident_recovery_controller.yml")[0], "errors_settled")["action"]["run_workflow_template"]
    assert render(action["name"], {}) == "flowops.ipaas incident recovery with approval"  # awx_configure's default
    assert render(action["organization"], {}) == "Default"
    extra = render(action["job_args"]["extra_vars"], {"event": EVENT})
    assert extra == {"incident_recovery_flow_ids_text": "f1\nf2", "incident_recovery_abstract_flow_ids_text": "a1",
                     "incident_recovery_since": "2026-12-01T10:00:00.000Z",
                     "incident_recovery_until": "2026-12-01T10:20:00.000Z",
                     "incident_recovery_plan_file": "/var/lib/flowops/reports/incident-recovery-celigo-0123456789ab-plan.json"}
    with open(os.path.join(ROOT, "docs", "awx", "incident_recovery_survey.json")) as stream:
        survey = set(question["variable"] for question in json.load(stream)["spec"])
    with open(os.path.join(ROOT, "playbooks", "awx_configure.yml")) as stream:
        configure = yaml.safe_load(stream)[0]["vars"]
    survey |= {configure["awx_configure_since_question"]["variable"], configure["awx_configure_plan_question"]["variable"]}
    assert set(extra) <= survey
    workflow = next(task["awx.awx.workflow_job_template"] for task in yaml.safe_load(open_text("playbooks/awx_configure.yml"))[0]["tasks"]
                    if "awx.awx.workflow_job_template" in task)
    assert render(workflow["name"], {"awx_configure_prefix": configure["awx_configure_prefix"]}) == render(action["name"], {})


def open_text(path):
    with open(os.path.join(ROOT, path)) as stream:
        return stream.read()
