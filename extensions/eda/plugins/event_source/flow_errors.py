# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Event-Driven Ansible source ``flowops.ipaas.flow_errors``: the logic is ErrorWatch (module_utils/_select/error_watch.py);
this file parses the arguments, builds the platform adapter as the modules do, and polls."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: flow_errors
short_description: Events when the errors of integration-platform flows spike and when they settle
version_added: 1.1.0
description:
  - Polls the open errors of the selected flows every O(interval) seconds through the same platform adapters as the
    modules (Celigo integrator.io, Activepieces, Cloudflare Workflows, SuperAI) and puts events under the key
    C(flowops) in the rulebook's queue.
  - C(type=error_spike) when at least O(spike_threshold) new open errors appeared since the previous poll. The first
    poll counts the errors that occurred since O(since). Every poll that reaches the threshold sends one, with the
    counts of that poll.
  - C(type=errors_settled) when, after a spike, no new error appeared for O(settle_seconds). The outage looks over;
    time to recover. Its counts cover the whole spike. This is what C(flowops.ipaas.incident_recovery) (the rulebook)
    acts on.
  - C(type=source_unavailable) once per API outage (a poll that fails after the client's retries); polling goes on
    and the first poll that succeeds ends the outage. The source never stops on an API failure; invalid arguments
    stop it at once with one line naming the argument.
  - "Every event holds C(platform), C(group) (the flow group, see O(group)), C(flows) (the flow ids watched),
    C(selection) (O(flow_ids), O(abstract_flow_id), O(integration_id)), C(connection) (platform, api_url, region,
    project_id, account_id as set, never the token) and C(observed_at). Spike and settled events add C(open_errors)
    (open now on the watched flows), C(new_errors), C(by_classification), C(by_step) (flow id, step id, count),
    C(spike_start) and C(spike_end) (the first and last new error's time, ISO 8601 UTC) and C(samples) (at most
    O(max_samples) of C(flow_id), C(step_id), C(classification), C(code), C(occurred_at), C(message)).
    C(errors_settled) adds C(quiet_seconds) and C(settle_seconds); C(source_unavailable) C(message), C(status) and
    C(since)."
  - "Which errors are new: those that occurred after the newest one already counted on their step (errors others
    resolve or retry between polls cannot hide them), or the rise of the step's open count when that is larger (an
    error filed late, with an earlier time; counted as classification C(unknown)). Memory is bounded by the number
    of flows and steps, never by the number of errors."
  - HTTP 429 waits for C(Retry-After) (at most O(retry_after_cap) seconds) and sends again; gateway errors and
    connection failures are retried O(max_retries) times (2 unless set; the modules' default is 5, but the next poll
    tries again anyway), then the poll counts as an outage.
  - The API token is never put in an event, a log line or an error message. Give it in the E(FLOWOPS_API_TOKEN)
    environment variable, which the recovery playbook reads too, rather than as O(api_token) in a rulebook.
author:
  - flowops.ipaas contributors (@flowops)
options:
  flow_ids:
    description: Flow ids to watch (Cloudflare workflow names, SuperAI flow ids). A list, or text with ids separated
      by commas or new lines.
    type: list
    elements: str
    default: []
  abstract_flow_id:
    description:
      - Abstract flow ids (Celigo); every instance is watched. The instances are listed at every poll, so a new
        instance is watched from the next poll on.
    type: list
    elements: str
    default: []
    aliases: [abstract_flow_ids]
  integration_id:
    description: Every flow of this integration (Celigo), folder or project (Activepieces) or Worker script (Cloudflare).
    type: str
  interval:
    description: Seconds between two polls (more than 0).
    type: float
    default: 60
  spike_threshold:
    description: New open errors in one poll that make a spike (at least 1).
    type: int
    default: 10
  settle_seconds:
    description: Seconds without any new error after a spike before C(errors_settled) is sent.
    type: float
    default: 300
  since:
    description:
      - Where the first poll starts counting, an ISO 8601 time (V(2026-11-20T04:00:00Z)) or a number of seconds back
        from the start of the source (V(3600)); a relative age such as V(2h) works too.
    type: raw
    default: 3600
  max_samples:
    description: Sample error messages in an event (0 to 50).
    type: int
    default: 3
  group:
    description:
      - The flow group named in every event (C(group)), which the rulebook throttles recoveries by. Default, the
        platform and a short hash of the selection, so two sources watching the same flows share a group.
    type: str
  platform:
    description:
      - The platform, as in the modules; the E(FLOWOPS_PLATFORM) environment variable when not set.
      - The other connection options are the modules' too, each with its environment variable when not set (an empty
        variable counts as unset) - O(api_url) (E(FLOWOPS_API_URL)), O(region) (E(FLOWOPS_REGION)), O(api_token)
        (E(FLOWOPS_API_TOKEN)), O(auth_header) (E(FLOWOPS_AUTH_HEADER)), O(project_id) (E(FLOWOPS_PROJECT_ID),
        Activepieces), O(account_id) (E(FLOWOPS_ACCOUNT_ID), Cloudflare) - and O(validate_certs), O(timeout),
        O(max_retries), O(retry_after_cap), O(max_concurrency), O(max_requests_per_second), O(max_pages) and
        O(allow_insecure_http); see the connection options of any module, for example C(flowops.ipaas.flow_errors_info).
    type: str
    default: celigo
    choices: [celigo, activepieces, superai, cloudflare]
notes:
  - Needs C(requests) and ansible-core on the host that runs ansible-rulebook (the decision environment); docs/eda.md
    says how to build one.
"""

EXAMPLES = r"""
- name: Recover the order sync flows after an outage
  hosts: localhost
  sources:
    - name: Errors of the order sync flows
      flowops.ipaas.flow_errors:
        abstract_flow_id: [6a0fc7eb7202049b32ea45b0]
        interval: 60
        spike_threshold: 25
        settle_seconds: 600
  rules:
    - name: Say when errors spike
      condition: event.flowops.type == "error_spike"
      action:
        debug:
          msg: "{{ event.flowops.new_errors }} new errors on {{ event.flowops.flows | length }} flows"
    - name: Recover once the errors settle
      condition: event.flowops.type == "errors_settled"
      throttle:
        once_within: 1 hour
        group_by_attributes:
          - event.flowops.group
      action:
        run_playbook:
          name: flowops.ipaas.recover_on_settled

- name: Watch two Cloudflare workflows, counting from a given time
  hosts: localhost
  sources:
    - flowops.ipaas.flow_errors:
        platform: cloudflare
        account_id: 0123456789abcdef0123456789abcdef
        flow_ids: [orders-sync, invoices-sync]
        since: "2026-11-20T04:00:00Z"
        interval: 120
  rules:
    - name: Tell when the platform cannot be reached
      condition: event.flowops.type == "source_unavailable"
      action:
        print_event:
"""

import asyncio
import importlib.util
import logging
import os
import sys
import traceback


def _collections_root(path):
    """The folder holding the ``ansible_collections`` folder this file is in, or None."""
    here = os.path.dirname(os.path.abspath(path))
    while os.path.dirname(here) != here:
        if os.path.basename(here) == "ansible_collections":
            return os.path.dirname(here)
        here = os.path.dirname(here)
    return None


def _make_collection_importable():
    """ansible-rulebook runs this file by path, with no collection loader: the collection's module_utils are
    imported through the namespace, from the collections folder this file was found in."""
    try:
        found = importlib.util.find_spec("ansible_collections.flowops.ipaas") is not None
    except ImportError:
        found = False
    root = _collections_root(globals().get("__file__") or "")
    if not found and root and root not in sys.path:
        sys.path.append(root)


_make_collection_importable()

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError  # noqa: E402
from ansible_collections.flowops.ipaas.plugins.module_utils._run import arguments  # noqa: E402
from ansible_collections.flowops.ipaas.plugins.module_utils._select import error_watch  # noqa: E402

LOGGER = logging.getLogger("flowops.ipaas.flow_errors")
# Arguments ansible-rulebook adds itself.
RULEBOOK_ARGUMENTS = ("eda_feedback_queue",)
# Re-sends of one request before a poll counts as an outage (the modules' default is 5): the next poll tries again.
SOURCE_MAX_RETRIES = 2


def build_watch(args):
    """The ErrorWatch for the source's arguments: the connection as the modules read it (arguments, then FLOWOPS_*
    variables, then defaults) and the watch options; a one-line ``ValidationError`` for anything invalid."""
    args = dict((name, value) for name, value in (args or {}).items() if name not in RULEBOOK_ARGUMENTS)
    known = set(arguments.CONNECTION_SPEC) | set(error_watch.WATCH_SPEC)
    known.update(alias for spec in error_watch.WATCH_SPEC.values() for alias in spec.get("aliases", ()))
    unknown = sorted(name for name in args if name not in known)
    if unknown:
        raise ValidationError("%s: not an argument of flowops.ipaas.flow_errors; use %s"
                              % (unknown[0], ", ".join(sorted(known))))
    options = error_watch.watch_options(args)
    given = dict((name, args.get(name)) for name in arguments.CONNECTION_SPEC)
    if given["max_retries"] is None:
        given["max_retries"] = SOURCE_MAX_RETRIES
    connection = arguments.connection_params(given)
    params = dict(connection, flow_ids=options["flow_ids"], abstract_flow_id=options["abstract_flow_id"],
                  integration_id=options["integration_id"])
    adapter = arguments.adapter_from_params(params, warn=LOGGER.warning)
    shown = dict((name, connection.get(name)) for name in ("api_url", "region", "project_id", "account_id"))
    return error_watch.ErrorWatch(adapter, options, connection=shown, scrub=getattr(adapter.client, "scrub", None),
                                  workers=connection["max_concurrency"])


def _describe(event):
    body = event["flowops"]
    if body["type"] == error_watch.UNAVAILABLE:
        return "%s for group %s: %s" % (body["type"], body["group"], body["message"])
    return "%s for group %s: %d new errors, %d open on %d flows" % (
        body["type"], body["group"], body["new_errors"], body["open_errors"], len(body["flows"]))


async def main(queue, args):
    """Poll until cancelled; every event goes to ``queue`` (``await queue.put(event)``)."""
    try:
        watch = build_watch(args)
    except FlowOpsError as exc:
        raise FlowOpsError("flowops.ipaas.flow_errors: %s" % " ".join(str(exc).split())) from None
    scrub = watch.scrub
    loop = asyncio.get_running_loop()
    interval = watch.options["interval"]
    LOGGER.info("flow_errors: watching group %s on %s every %g s", watch.group, watch.platform, interval)
    try:
        while True:
            started = loop.time()
            was_down = watch.outage_since is not None
            events = await asyncio.to_thread(watch.poll)
            if was_down and watch.outage_since is None:
                LOGGER.info("flow_errors: the %s API answers again (group %s)", watch.platform, watch.group)
            for event in events:
                log = LOGGER.warning if event["flowops"]["type"] == error_watch.UNAVAILABLE else LOGGER.info
                log("flow_errors: %s", _describe(event))
                await queue.put(event)
            await asyncio.sleep(max(0.0, interval - (loop.time() - started)))
    except Exception as exc:  # pylint: disable=broad-except
        # A defect, not an API failure (those are events): one scrubbed line; the traceback, scrubbed, at debug level.
        LOGGER.debug("flow_errors: %s", scrub(traceback.format_exc()))
        raise FlowOpsError("flowops.ipaas.flow_errors stopped: %s: %s"
                           % (type(exc).__name__, " ".join(scrub(str(exc)).split()))) from None
    finally:
        close = getattr(watch.adapter.client, "close", None)
        if close is not None:
            close()
