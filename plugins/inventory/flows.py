# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: flows
short_description: Flows of an integration platform as inventory hosts
version_added: 1.1.0
description:
  - One inventory host per flow, named by the flow id, with C(ansible_connection=local). The hosts are not machines;
    every task runs on the controller, so AWX forks, job slicing and C(--limit) spread work such as
    C(flowops.ipaas.inventory_recovery) across the platform's own flows.
  - Which flows, as the modules select them. The instances of each O(abstract_flow_id), the flows of
    O(integration_id) (on Activepieces the project id is the whole project), the O(flow_ids); any mix, each flow
    once. With none of them, every flow the account or project holds (not on SuperAI, which lists no flows).
  - "Host variables: C(flowops_flow) (C(id), C(name), C(platform), C(disabled), C(abstract_flow_id),
    C(integration_id), and with O(include_error_counts) C(open_errors), C(open_errors_by_step) and with
    O(errors_by_classification) C(open_errors_by_classification)), C(flowops_connection) (the connection options
    without the token) and C(incident_recovery_flow_ids) (the flow id), which the C(incident_recovery) role and the
    C(inventory_recovery) playbook read; C(flowops_api_token_env) with O(api_token_env)."
  - Groups C(flowops_targets) (every host), C(flowops_<platform>), C(flowops_abstract_<abstract flow id>),
    C(flowops_integration_<integration id>), C(flowops_has_errors) and C(flowops_disabled); ids are made safe for a
    group name the way Ansible does it (any character other than a letter, digit or C(_) becomes C(_)).
  - The API token is never put in a host variable, a group, the cache or an error message.
  - The configuration file name must end with C(flowops.yml) or C(flowops.yaml).
extends_documentation_fragment:
  - flowops.ipaas.connection
  - flowops.ipaas.selection
  - constructed
  - inventory_cache
options:
  plugin:
    description: The name of this plugin; it makes the configuration file this plugin's.
    type: str
    required: true
    choices: [flowops.ipaas.flows]
  include_error_counts:
    description:
      - Read each flow's open errors (one request per flow) for C(flowops_flow.open_errors),
        C(flowops_flow.open_errors_by_step) and the C(flowops_has_errors) group.
    type: bool
    default: true
  errors_by_classification:
    description:
      - Count the open errors of every step that has some by classification (C(flowops_flow.open_errors_by_classification)
        and C(by_classification) of each step). This lists those errors (one listing per step, streamed and counted,
        never kept), so it costs a request per page of errors; the counts then are what the modules would act on
        (errors dismissed locally on Cloudflare left out).
      - Needs O(include_error_counts).
    type: bool
    default: true
  api_token_env:
    description:
      - The environment variable holding the token, instead of E(FLOWOPS_API_TOKEN), when O(api_token) is not set.
      - Hosts get it as C(flowops_api_token_env), so C(flowops.ipaas.inventory_recovery) reads the same variable.
    type: str
  dismissed_file:
    description:
      - Cloudflare Workflows only. The file C(flow_errors_resolve) records dismissed errors in; errors it names are not
        counted as open. Default, the modules' default path for the account.
    type: path
notes:
  - "C(flowops.ipaas.inventory_recovery) builds its run id as C(<run id>-<inventory_hostname>-round-N), at most 64
    letters, digits, C(.), C(_) or C(-): with its default run id a host name (flow id) of up to 39 of those
    characters fits. Celigo, Activepieces and SuperAI ids always do; the plugin warns about a flow whose id does not."
"""

EXAMPLES = r"""
---
# celigo.flowops.yml: every instance of two abstract flows, the token from FLOWOPS_API_TOKEN
plugin: flowops.ipaas.flows
platform: celigo
region: eu
abstract_flow_id:
  - 6a0fc7eb7202049b32ea45b0
  - 6a0fc7eb7202049b32ea45c0
---
# activepieces.flowops.yml: every flow of a project, counts only, the token from ACTIVEPIECES_TOKEN
plugin: flowops.ipaas.flows
platform: activepieces
project_id: pJ4fXk2m9QeT7wZb1cVn8
api_token_env: ACTIVEPIECES_TOKEN
errors_by_classification: false
---
# cloudflare.flowops.yml: every workflow of an account, with constructed groups and a cache
plugin: flowops.ipaas.flows
platform: cloudflare
account_id: 023e105f4ecef8ad9ca31a8372d0c353
groups:
  flowops_many_errors: flowops_flow.open_errors > 100
keyed_groups:
  - key: flowops_flow.open_errors_by_classification.keys() | list
    prefix: flowops_class
compose:
  incident_recovery_retry_classifications: "['intermittent', 'rate_limit']"
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: /var/cache/flowops-inventory
cache_timeout: 300
"""

import hashlib
import json
import os
import re

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

try:
    from ansible.template import trust_as_template  # noqa: F401 pylint: disable=unused-import
except ImportError:  # ansible-core before 2.19: strings are templates unless marked unsafe
    from ansible.utils.unsafe_proxy import wrap_var as _unsafe
else:  # ansible-core 2.19+: what an inventory plugin sets is data, never templated
    def _unsafe(value):
        return value

from ansible_collections.flowops.ipaas.plugins.module_utils._http.client import scrub_token
from ansible_collections.flowops.ipaas.plugins.module_utils._run.arguments import (
    CONNECTION_SPEC, adapter_from_params, connection_params)
from ansible_collections.flowops.ipaas.plugins.module_utils._run.concurrency import fan_out
from ansible_collections.flowops.ipaas.plugins.module_utils._select.flow_inventory import (
    SELECTION_OPTIONS, InventoryContext, describe_flows, inventory_selection)
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError

# The connection options a host carries in flowops_connection: what names the account, never the token.
HOST_CONNECTION_OPTIONS = ("platform", "api_url", "region", "project_id", "account_id", "auth_header")
# flowops.ipaas.inventory_recovery runs "<run id>-<inventory_hostname>-round-N" (at most 64 of [A-Za-z0-9._-]):
# with its default run id (20260522T042212Z) a host name of up to 39 such characters fits.
SAFE_HOSTNAME = re.compile(r"[A-Za-z0-9._-]{1,39}")
CACHE_VERSION = 1


def _failure(message, token):
    """The one line a failed parse shows: named after the plugin (Ansible names the ``auto`` plugin), never the token."""
    return "%s: %s" % (InventoryModule.NAME, " ".join(scrub_token(str(message), token).split()))


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "flowops.ipaas.flows"

    def verify_file(self, path):
        """Only configuration files named ``*flowops.yml`` or ``*flowops.yaml``."""
        return super(InventoryModule, self).verify_file(path) and path.endswith(("flowops.yml", "flowops.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        config = self._read_config_data(path)
        token = None
        try:
            params = self._connection(config)
            token = params.get("api_token")
            settings = self._settings()
            records = self._records(path, params, settings, cache)
        except FlowOpsError as exc:
            raise AnsibleParserError(_failure(str(exc), token))  # pylint: disable=raise-missing-from
        except Exception as exc:  # pylint: disable=broad-except
            # A traceback may quote a request (the token with it): one scrubbed line instead.
            raise AnsibleParserError(_failure("unexpected error, a bug in flowops.ipaas (please report it): %s: %s"  # pylint: disable=raise-missing-from
                                              % (type(exc).__name__, exc), token))
        self._populate(records, params)

    # Options --------------------------------------------------------------------------------------
    def _connection(self, config):
        """The connection options as the modules take them: those the file sets, else each one's environment variable
        (FLOWOPS_*), else its default; the token from ``api_token_env`` when that is set."""
        given = dict((name, self.get_option(name)) for name in CONNECTION_SPEC if config.get(name) is not None)
        token_env = self.get_option("api_token_env")
        if token_env and given.get("api_token") is None:
            value = os.environ.get(token_env, "")
            if not value.strip():
                raise ValidationError("api_token_env: the environment variable %s is not set" % token_env)
            given["api_token"] = value
        return connection_params(given)

    def _settings(self):
        settings = dict((name, self.get_option(name)) for name in SELECTION_OPTIONS)
        settings["flow_ids"] = [str(item) for item in settings["flow_ids"] or []]
        settings["abstract_flow_id"] = [str(item) for item in settings["abstract_flow_id"] or []]
        if settings["integration_id"] is not None:
            settings["integration_id"] = str(settings["integration_id"])
        settings["include_error_counts"] = self.get_option("include_error_counts")
        settings["errors_by_classification"] = self.get_option("errors_by_classification")
        if settings["errors_by_classification"] and not settings["include_error_counts"]:
            settings["errors_by_classification"] = False
        settings["dismissed_file"] = self.get_option("dismissed_file")
        return settings

    # Reading the platform (or the cache) ------------------------------------------------------------
    def _cache_key(self, path, params, settings):
        """The cache key of this file for this account and selection (never the token)."""
        scope = dict((name, params.get(name)) for name in HOST_CONNECTION_OPTIONS)
        scope.update(settings, version=CACHE_VERSION)
        digest = hashlib.sha256(json.dumps(scope, sort_keys=True).encode("utf-8")).hexdigest()[:12]
        return "%s_%s" % (self.get_cache_key(path), digest)

    def _records(self, path, params, settings, cache):
        use_cache = self.get_option("cache")
        key = self._cache_key(path, params, settings) if use_cache else None
        if use_cache and cache:
            try:
                return self._cache[key]
            except KeyError:
                pass
        records = self._fetch(params, settings)
        if use_cache:
            self._cache[key] = records
        return records

    def _fetch(self, params, settings):
        selection = inventory_selection(settings)
        adapter = adapter_from_params(dict(params, **dict((name, settings[name]) for name in SELECTION_OPTIONS)),
                                      self.display.warning)
        try:
            workers = params["max_concurrency"]
            ctx = InventoryContext(adapter, selection, lambda func, items: fan_out(func, items, workers),
                                   self.display.warning, {"dismissed_file": settings["dismissed_file"]})
            return describe_flows(ctx, settings["include_error_counts"], settings["errors_by_classification"])
        finally:
            adapter.client.close()

    # Hosts and groups ---------------------------------------------------------------------------------
    def _compose(self, template, variables, *args, **kwargs):
        """A ``compose`` or ``keyed_groups`` value: it may hold the platform's data (a flow name), so it is never a
        template itself (before ansible-core 2.19 a composed string would be templated again where it is used)."""
        return _unsafe(super(InventoryModule, self)._compose(template, variables, *args, **kwargs))

    def _group(self, name):
        return self.inventory.add_group(self._sanitize_group_name(name))

    def _populate(self, records, params):
        connection = dict((name, params[name]) for name in HOST_CONNECTION_OPTIONS if params.get(name) is not None)
        if params.get("api_url"):
            connection.pop("region", None)  # api_url wins
        if params.get("validate_certs") is False:
            connection["validate_certs"] = False
        if params.get("allow_insecure_http"):
            connection["allow_insecure_http"] = True
        token_env = self.get_option("api_token_env")
        strict = self.get_option("strict")
        targets = self._group("flowops_targets")
        unsafe_names = []
        for record in records:
            host = self.inventory.add_host(str(record["id"]), group=targets)
            if not SAFE_HOSTNAME.fullmatch(host):
                unsafe_names.append(host)
            variables = {
                "ansible_connection": "local",
                "flowops_flow": record,
                "flowops_connection": dict(connection),
                "incident_recovery_flow_ids": [host],  # the role's selection: this host's flow
            }
            if token_env:
                variables["flowops_api_token_env"] = token_env
            variables = _unsafe(variables)  # the platform's data (flow names are its users' text): never a template
            for name, value in variables.items():
                self.inventory.set_variable(host, name, value)
            for name in self._groups_of(record):
                self.inventory.add_child(self._group(name), host)
            self._set_composite_vars(self.get_option("compose"), variables, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), variables, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, host, strict=strict)
        if unsafe_names:
            self.display.warning(
                "%s: %d flow id(s) such as %r have more than 39 characters or characters other than letters, digits, "
                "'.', '_' and '-': flowops.ipaas.inventory_recovery cannot name its run after such a host with its "
                "default run id (pass a shorter -e inventory_recovery_run_id, or recover those flows by flow_ids)"
                % (self.NAME, len(unsafe_names), unsafe_names[0][:80]))

    @staticmethod
    def _groups_of(record):
        names = ["flowops_%s" % record["platform"]]
        if record.get("abstract_flow_id"):
            names.append("flowops_abstract_%s" % record["abstract_flow_id"])
        if record.get("integration_id"):
            names.append("flowops_integration_%s" % record["integration_id"])
        if record.get("open_errors"):
            names.append("flowops_has_errors")
        if record.get("disabled"):
            names.append("flowops_disabled")
        return names
