# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""failure_line: a module's failure said with the names its role's user set."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flowops.ipaas.plugins.filter.failure_line import FilterModule, failure_line
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError

ROLE = {"flow_ids": "incident_recovery_flow_ids", "abstract_flow_id": "incident_recovery_abstract_flow_ids",
        "allow_empty": "incident_recovery_allow_empty", "occurred_after": "incident_recovery_since"}


def failed(error):
    """The registered result of a module that failed with ``error`` (what runner.run_module hands fail_json)."""
    return dict(error.to_fail_kwargs(), failed=True, changed=False)


def test_the_filter_is_registered():
    assert FilterModule().filters() == {"failure_line": failure_line}


def test_a_401_is_authentication_with_the_token_variable_never_the_flow_ids():
    error = FlowOpsError("Bearer Authentication Failed: check api_token (FLOWOPS_API_TOKEN) and that region/api_url point at "
                         "the account's celigo host (now https://api.integrator.io)", status=401, method="GET", path="/v1/flows")
    assert failure_line(failed(error), ROLE) == (
        "authentication: the API token was refused: GET /v1/flows: HTTP 401 Bearer Authentication Failed; check "
        "FLOWOPS_API_TOKEN (in AWX, the job's credential), and that FLOWOPS_API_URL or FLOWOPS_REGION point at the "
        "account's host (now https://api.integrator.io)")
    in_mapping = failure_line(failed(error), ROLE, "incident_recovery_connection", {"api_token": "x", "api_url": "https://h"})
    assert "check incident_recovery_connection.api_token, and that incident_recovery_connection.api_url or .region" in in_mapping


def test_a_403_is_authentication_too():
    error = FlowOpsError("Forbidden", status=403, method="GET", path="/v1/flows", option="flow_ids")
    assert failure_line(failed(error), ROLE).startswith(
        "authentication: the API token was refused access (HTTP 403: the token may lack the permission): GET /v1/flows")


def test_no_answer_is_a_connection_failure():
    error = FlowOpsError("connection failed: refused by 127.0.0.1:9 (1 attempt over 0.0 s)", method="GET", path="/v1/flows")
    assert failure_line(failed(error), ROLE) == "connection: GET /v1/flows: connection failed: refused by 127.0.0.1:9 (1 attempt over 0.0 s)"


def test_an_option_is_named_by_the_role_variable_also_inside_the_message():
    error = FlowOpsError("abstract_flow_id: abstract flow a1 has no flows (set allow_empty: true to accept it)", option="abstract_flow_id")
    assert failure_line(failed(error), ROLE) == ("incident_recovery_abstract_flow_ids: abstract flow a1 has no flows "
                                                 "(set incident_recovery_allow_empty: true to accept it)")
    instance = FlowOpsError("abstract_flow_id: i1 is a flow (instance) id, not an abstract flow id: use flow_ids", option="abstract_flow_id")
    assert failure_line(failed(instance), ROLE) == ("incident_recovery_abstract_flow_ids: i1 is a flow (instance) id, not an "
                                                    "abstract flow id: use incident_recovery_flow_ids")
    assert failure_line(failed(ValidationError("occurred_after: '6 hours' is not a time")), ROLE) == (
        "incident_recovery_since: '6 hours' is not a time")


def test_a_404_of_a_flow_names_the_flow_ids_variable():
    error = FlowOpsError("flow not found", status=404, method="GET", path="/v1/flows/ff", option="flow_ids")
    assert failure_line(failed(error), ROLE) == "incident_recovery_flow_ids: GET /v1/flows/ff: HTTP 404 flow not found"


def test_an_option_from_the_environment_names_the_environment_variable():
    error = ValidationError("region (from the FLOWOPS_REGION environment variable): 'euu' is not a celigo region (did you "
                            "mean 'eu'?); use one of au, ca, eu, us or set api_url")
    assert failure_line(failed(error), ROLE) == ("FLOWOPS_REGION: 'euu' is not a celigo region (did you mean 'eu'?); use one of "
                                                 "au, ca, eu, us or set FLOWOPS_API_URL")


def test_an_option_of_the_role_connection_mapping_is_named_with_it():
    error = ValidationError("region: 'euu' is not a celigo region; use one of au, ca, eu, us or set api_url")
    assert failure_line(failed(error), ROLE, "incident_recovery_connection", {"region": "euu"}).startswith(
        "incident_recovery_connection.region: 'euu' is not a celigo region")


@pytest.mark.parametrize("result, line", [
    ({"msg": "value of strategy must be one of: retry, got: x", "failed": True}, "value of strategy must be one of: retry, got: x"),
    ({"msg": "two\n  lines", "failed": True}, "two lines"),
    ({}, "the task failed"),
    (None, "the task failed"),
])
def test_anything_else_is_the_module_line_on_one_line(result, line):
    assert failure_line(result, ROLE) == line
