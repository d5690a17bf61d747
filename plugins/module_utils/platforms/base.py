# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The seam between modules and platforms.

Modules speak in flows, steps, errors, jobs and connections; an adapter maps those onto one
platform's REST API. Records an adapter returns are normalised:

- flow: ``{"_id", "name", "disabled", "_abstractFlowId", "_integrationId"}``
- step: ``{"_id", "name", "type"}`` in flow order
- error: the platform's record plus ``_flowId`` and ``_stepId``; ``errorId`` identifies it,
  ``retryDataKey`` (absent when not retryable) is what a retry takes
- job: ``{"_id", "status", "done"}`` plus the platform's fields

Anything a platform cannot do raises ``UnsupportedOperation`` naming the platform.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.parse import quote

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import UnsupportedOperation, ValidationError


def path_segment(value):
    """One URL path segment; '.' and '..' are escaped so an id can never climb the path."""
    segment = quote(str(value), safe="")
    return segment.replace(".", "%2E") if segment in (".", "..") else segment


class PlatformAdapter:
    name = None
    # region -> base URL; the first entry is the default.
    regions = {}
    auth_header = "Authorization"
    auth_prefix = "Bearer "
    retry_strategies = ()
    max_retry_batch = 1000
    # operation -> what to tell the operator instead, for operations the platform lacks
    unsupported_hints = {}

    def __init__(self, client, params=None):
        self.client = client
        self.params = params or {}

    @classmethod
    def validate(cls, params):
        """Platform-specific checks of the connection options (e.g. a required project id), before any request."""

    @classmethod
    def base_url(cls, api_url, region):
        if api_url:
            return api_url
        region = region or next(iter(cls.regions))
        if region not in cls.regions:
            raise ValidationError("region: '%s' is not a %s region; use one of %s or set api_url"
                                  % (region, cls.name, ", ".join(sorted(cls.regions))))
        return cls.regions[region]

    def unsupported(self, operation, hint=None):
        return UnsupportedOperation(self.name, operation, hint or self.unsupported_hints.get(operation))

    def require(self, method, what):
        """Fail before any request when this platform does not implement ``method`` (named ``what`` to the user)."""
        if getattr(type(self), method) is getattr(PlatformAdapter, method):
            raise self.unsupported(what)

    # Flows ---------------------------------------------------------------------------------------
    def get_flow(self, flow_id):
        raise self.unsupported("reading a flow")

    def list_flows(self, abstract_flow_id=None, integration_id=None):
        raise self.unsupported("listing flows")

    def flow_steps(self, flow_id):
        raise self.unsupported("reading flow steps")

    def error_summary(self, flow_id):
        """``{step_id: {"open_errors": n, "last_error_at": ts or None}}`` for every step of the flow."""
        raise self.unsupported("error summaries")

    # Errors --------------------------------------------------------------------------------------
    def iter_errors(self, flow_id, step_id, resolved=False):
        raise self.unsupported("listing errors")

    def retry(self, flow_id, step_id, keys, strategy):
        """Submit keys for retry; returns a job dict, or None when the platform matched nothing."""
        raise self.unsupported("retrying errors")

    def resolve(self, flow_id, step_id, error_ids):
        raise self.unsupported("resolving errors")

    def get_job(self, job_id):
        raise self.unsupported("reading jobs")

    def retry_data(self, flow_id, step_id, key):
        raise self.unsupported("reading retry data", "set backup_retry_data: false")

    # Connections ---------------------------------------------------------------------------------
    def get_connection(self, connection_id):
        raise self.unsupported("reading connections")

    def flow_connections(self, flow_id):
        raise self.unsupported("reading a flow's connections")

    def replace_connection(self, flow_id, old_id, new_id):
        raise self.unsupported("flow_connection_replace")

    def run_flow(self, flow_id):
        raise self.unsupported("running a flow")
