# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""input_problems: a role's variables checked with the modules' rules, before any request, in lines naming them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.flowops.ipaas.plugins.filter.input_problems import FilterModule, input_problems, role_variables

ROLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "roles")
RECOVERY = os.path.join(ROLES, "incident_recovery")


def test_the_filter_is_registered():
    assert FilterModule().filters() == {"input_problems": input_problems}


@pytest.mark.parametrize("value", [None, "", "6h", "now", "2026-11-20T04:00:00Z", "30m ago"])
def test_times_the_modules_take_pass(value):
    assert input_problems([{"check": "time", "variable": "incident_recovery_since", "value": value}]) == []


def test_a_bad_time_is_named_by_the_role_variable():
    assert input_problems([{"check": "time", "variable": "incident_recovery_since", "value": "6 hours"}]) == [
        "incident_recovery_since: '6 hours' is not a time; use ISO 8601 (2026-11-20T04:00:00Z), 'now' or a relative age "
        "such as '2h' or '30m'"]


def test_a_window_must_run_forward_and_each_end_must_be_a_time():
    names = ["error_report_since", "error_report_until"]
    assert input_problems([{"check": "window", "variable": names, "value": ["1h", "2h"]}]) == [
        "error_report_since: '1h' must be earlier than error_report_until ('2h')"]
    assert input_problems([{"check": "window", "variable": names, "value": ["2h", "1h"]}]) == []
    assert input_problems([{"check": "window", "variable": names, "value": [None, "soon"]}])[0].startswith(
        "error_report_until: 'soon' is not a time")


def test_classifications_say_did_you_mean_and_take_the_role_choices():
    check = {"check": "classifications", "variable": "incident_recovery_retry_classifications", "value": ["intermitent"],
             "choices": ["intermittent", "rate_limit"]}
    assert input_problems([check]) == ["incident_recovery_retry_classifications: unknown classification 'intermitent' "
                                       "(did you mean 'intermittent'?); choose from intermittent, rate_limit"]
    assert input_problems([dict(check, value="stale", choices=None)]) == []  # the modules' list by default


def test_minimum_and_one_of():
    assert input_problems([{"check": "minimum", "variable": "incident_recovery_rounds", "value": 0, "minimum": 1}]) == [
        "incident_recovery_rounds: 0 is out of range; use a value at least 1"]
    assert input_problems([{"check": "minimum", "variable": "r", "value": "many", "minimum": 1}]) == [
        "r: 'many' is not a number; use a number of at least 1"]
    names = ["a_flow_ids", "a_abstract_flow_ids", "a_integration_id"]
    assert input_problems([{"check": "one_of", "variable": names, "value": [[], [], None]}]) == [
        "a_flow_ids: nothing selected; set a_flow_ids or a_abstract_flow_ids or a_integration_id"]
    assert input_problems([{"check": "one_of", "variable": names, "value": [[], [], "int1"]}]) == []


@pytest.mark.parametrize("value, problem", [
    ({"region": "euu"}, "conn.region: 'euu' is not a celigo region (did you mean 'eu'?); use one of au, ca, eu, us or set api_url"),
    ({"regoin": "eu"}, "conn.regoin: not a connection option (did you mean 'region'?); use "),
    ({"platform": "cloudflair"}, "conn.platform: 'cloudflair' is not a platform (did you mean 'cloudflare'?)"),
    ({"api_url": "api.example.com"}, "conn.api_url: 'api.example.com' must start with https://"),
    ("eu", "conn: must be a mapping of connection options"),
])
def test_the_connection_mapping_is_checked_like_the_modules_check_it(monkeypatch, value, problem):
    monkeypatch.setenv("FLOWOPS_REGION", "euu")  # the same value in the environment: still named by the mapping
    problems = input_problems([{"check": "connection", "variable": "conn", "value": value}])
    assert len(problems) == 1 and problems[0].startswith(problem), problems


@pytest.mark.parametrize("value", [{}, None, {"region": "EU"}, {"region": "euu", "api_url": "https://emulator.example"},
                                   {"platform": "Cloudflare", "account_id": "a"}])
def test_good_connection_mappings_pass(value):
    assert input_problems([{"check": "connection", "variable": "conn", "value": value}]) == []


def test_role_variables_know_the_options_and_what_the_role_sets_itself():
    options, internal = role_variables(RECOVERY)
    assert {"incident_recovery_since", "incident_recovery_abstract_flow_ids", "incident_recovery_allow_empty"} <= options
    # set_fact, register and task vars of its tasks, its vars, set_stats published to the next AWX job
    assert {"incident_recovery_lists", "incident_recovery_flows", "incident_recovery_classifications",
            "incident_recovery_checks", "incident_recovery_plan"} <= internal


def test_a_misspelt_role_variable_says_did_you_mean():
    names = ["incident_recovery_sinse", "incident_recovery_abstract_flow_id", "incident_recovery_since",
             "incident_recovery_plan_files", "incident_recovery_lists", "incident_recovery_something_else", "other_var"]
    problems = input_problems([{"check": "names", "value": names, "prefix": "incident_recovery_", "role_path": RECOVERY,
                                "of": "the incident_recovery role"}])
    assert problems == [
        "incident_recovery_abstract_flow_id: not a variable of the incident_recovery role "
        "(did you mean 'incident_recovery_abstract_flow_ids'?)",
        "incident_recovery_sinse: not a variable of the incident_recovery role (did you mean 'incident_recovery_since'?)"]


def test_every_name_a_role_sets_itself_passes_so_a_second_run_in_the_same_play_is_not_refused():
    for role in ("incident_recovery", "environment_promotion"):
        path = os.path.join(ROLES, role)
        options, internal = role_variables(path)
        prefix = role + "_"
        assert input_problems([{"check": "names", "value": sorted(options | internal), "prefix": prefix, "role_path": path}]) == []


def test_names_with_a_known_list_and_no_role():
    known = ["error_report_flow_ids", "error_report_abstract_flow_ids"]
    assert input_problems([{"check": "names", "value": ["error_report_abstract_flow_id"], "prefix": "error_report_",
                            "known": known, "of": "the error_report playbook"}]) == [
        "error_report_abstract_flow_id: not a variable of the error_report playbook (did you mean 'error_report_abstract_flow_ids'?)"]


@pytest.mark.parametrize("checks", ["x", [{"check": "nope"}], [42]])
def test_a_malformed_check_is_a_filter_error(checks):
    with pytest.raises(AnsibleFilterError):
        input_problems(checks)
