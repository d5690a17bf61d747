# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: failure_line
short_description: A module's failure in one line naming what the user of a role or playbook set
version_added: 1.1.0
description:
  - Turns the registered result of a failed flowops.ipaas module into one line that says what failed and names what
    to fix as its user knows it, not as the module calls it.
  - An API token the platform refused (HTTP 401 or 403) is C(authentication:), naming the token's variable. A request
    that got no answer is C(connection:). A failure that concerns an option (the module's C(option) result, or the
    option its message starts with) names the variable the value came from, in this order; the role's connection
    mapping (O(connection_variable)C(.region)), the environment variable the module read (C(FLOWOPS_REGION)), the
    variable O(variables) maps the option to (C(occurred_after) to C(incident_recovery_since)); options named inside
    the message are renamed the same way. Anything else is the module's own line.
positional: variables, connection_variable, connection
options:
  _input:
    description: The registered result of the failed module task.
    type: dict
    required: true
  variables:
    description: Module option to the variable the user sets for it.
    type: dict
    default: {}
  connection_variable:
    description: The name of the role's connection mapping (its options reach every module with module_defaults).
    type: str
  connection:
    description: The value of that mapping.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Stop on a failed first read, naming what to fix
  ansible.builtin.fail:
    msg: >-
      {{ incident_recovery_flows | flowops.ipaas.failure_line({'abstract_flow_id': 'incident_recovery_abstract_flow_ids'},
         'incident_recovery_connection', incident_recovery_connection) }}
  when: incident_recovery_flows.msg is defined and incident_recovery_flows.summary is not defined
"""

RETURN = r"""
_value:
  description: One line, starting with what it concerns (a variable, C(authentication) or C(connection)).
  type: str
"""

import re

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.flowops.ipaas.plugins.module_utils._run.arguments import ENVIRONMENT_VARIABLES, TOKEN_VARIABLE
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import OPTION_PREFIX, without_option

# The hint the HTTP client adds to a 401; the line below says it with the user's names instead.
_TOKEN_HINT = re.compile(r": check api_token \(%s\) and that region/api_url point at the account's (\S+) host \(now ([^)]*)\)$"
                         % TOKEN_VARIABLE)
AUTHENTICATION = (401, 403)


def _renamed(text, variables):
    """``text`` with each option ``variables`` maps named by its variable (whole words only)."""
    for option in sorted(variables, key=len, reverse=True):
        text = re.sub(r"(?<![\w.])%s(?![\w])" % re.escape(option), variables[option].replace("\\", "\\\\"), text)
    return text


def _authentication(message, status, connection_variable, connection):
    in_mapping = connection_variable and "api_token" in connection
    token = "%s.api_token" % connection_variable if in_mapping else "%s (in AWX, the job's credential)" % TOKEN_VARIABLE
    host = ("%s.api_url or .region" % connection_variable if connection_variable and ("api_url" in connection or "region" in connection)
            else "FLOWOPS_API_URL or FLOWOPS_REGION")
    hint = _TOKEN_HINT.search(message)
    where = ""
    if hint:
        message, where = message[:hint.start()], " (now %s)" % hint.group(2)
    refused = "refused" if status == 401 else "refused access (HTTP 403: the token may lack the permission)"
    return "authentication: the API token was %s: %s; check %s, and that %s point at the account's host%s" % (
        refused, message, token, host, where)


def failure_line(result, variables=None, connection_variable=None, connection=None):
    """One line for a failed module ``result`` naming what its user set (see DOCUMENTATION)."""
    result = result if isinstance(result, dict) else {}
    variables = dict(variables or {})
    connection = connection if isinstance(connection, dict) else {}
    message = " ".join(to_text(result.get("msg") or "the task failed").split())
    status = result.get("status")
    if status in AUTHENTICATION:
        return _authentication(message, status, connection_variable, connection)
    named = OPTION_PREFIX.match(message)
    option = result.get("option") or (named.group(1) if named else None)
    environment = result.get("environment_variable") or (named.group(2) if named else None)
    if option:
        body = without_option(message) if named and named.group(1) == option else message
        if connection_variable and option in connection:
            return "%s.%s: %s" % (connection_variable, option, body)
        if environment:
            return "%s: %s" % (environment, _renamed(body, {"api_url": ENVIRONMENT_VARIABLES["api_url"]}))
        return "%s: %s" % (variables.get(option, option), _renamed(body, variables))
    if status is None and result.get("method") and result.get("path"):
        return "connection: %s" % message
    return _renamed(message, variables)


class FilterModule(object):
    def filters(self):
        return {"failure_line": failure_line}
