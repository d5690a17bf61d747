# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  flow_ids:
    description:
      - Ids of the flows to work on (Cloudflare workflow names, SuperAI flow ids).
      - A module needs at least one of O(flow_ids), O(abstract_flow_id) or O(integration_id); the
        P(flowops.ipaas.flows#inventory) inventory plugin lists every flow of the account without them.
    type: list
    elements: str
    default: []
  abstract_flow_id:
    description:
      - Id of an abstract (multi-instance) flow (Celigo), or a list of them; every instance is included.
    type: list
    elements: str
    default: []
    aliases: [abstract_flow_ids]
  integration_id:
    description:
      - Include every flow of this integration (Celigo), folder or project (Activepieces) or Worker script (Cloudflare).
    type: str
  allow_empty:
    description:
      - Accept an O(abstract_flow_id) or O(integration_id) that finds no flow, with a warning.
      - By default such an id fails the task before any error is read or anything is changed, naming the option; an
        abstract flow id that is a flow (instance) id says so and points at O(flow_ids) (one more request, on that
        failure only). A flow id the platform does not know fails either way, and one that is an abstract flow's id
        points at O(abstract_flow_id).
      - Modules only. The C(flowops.ipaas.flows) inventory plugin always accepts such an id with a warning.
    type: bool
    default: false
    version_added: 1.1.0
"""

    ERRORS = r"""
options:
  step_ids:
    description:
      - Only these steps (export or import ids). Default is every step of each flow.
    type: list
    elements: str
    default: []
  occurred_after:
    description:
      - Only errors that occurred at or after this time. ISO 8601 (V(2026-11-20T04:00:00Z)), V(now), or a
        relative age such as V(2h), V(30m), V(1d).
    type: str
  occurred_before:
    description:
      - Only errors that occurred before this time; same formats as O(occurred_after).
    type: str
  sources:
    description:
      - Only errors from these sources, for example V(application), V(connection), V(mapping).
    type: list
    elements: str
    default: []
  classifications:
    description:
      - Only errors with these classifications, each one of V(connection), V(duplicate), V(governance), V(intermittent),
        V(missing), V(parse), V(value), V(rate_limit), V(too_large), V(none) or V(stale). Unclassified errors count as
        V(none). Another name fails before any request, with the closest one suggested.
      - V(stale) (SuperAI executions that completed on outdated data) is left out of M(flowops.ipaas.flow_errors_retry)
        and M(flowops.ipaas.flow_errors_resolve) unless named here; retried, a stale execution re-runs only its stale
        tasks (C(only_stale=true)).
    type: list
    elements: str
    default: []
  codes:
    description:
      - Only errors with these codes, for example V(500) or V(script_error).
    type: list
    elements: str
    default: []
  message_regex:
    description:
      - Only errors whose message matches this Python regular expression (searched, not anchored).
    type: str
  retryable:
    description:
      - V(true) keeps only errors that carry a C(retryDataKey); V(false) only those without one.
    type: bool
  tags:
    description:
      - Only errors carrying at least one of these tags.
    type: list
    elements: str
    default: []
  error_ids:
    description:
      - Only these error ids.
    type: list
    elements: str
    default: []
  retry_data_keys:
    description:
      - Only errors with these retry data keys.
    type: list
    elements: str
    default: []
  dismissed_file:
    description:
      - On platforms with no call that dismisses a finished item (Cloudflare Workflows), M(flowops.ipaas.flow_errors_resolve)
        records each resolved error in this JSON-lines file instead of sending anything, and every module skips the
        errors it names when it lists open errors. Other platforms ignore it.
      - Default C(~/.flowops/dismissed/<platform>-<account id>.jsonl) on the host running the module. Under AWX
        put it on a persistent path every job reaches.
    type: path
"""
