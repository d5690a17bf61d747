"""Errors that appear while the emulator serves: an outage as it happens, for the tests of the event source
(``flowops.ipaas.flow_errors``), which watches errors appear over time rather than a scenario loaded at the start.

``handle.state.add_errors(new_errors(handle.scenario, 12))`` adds 12 open errors occurring now, spread over the
scenario's enabled instances and their steps; jobs, retry counts and the request log are left alone.
"""

import uuid
from datetime import datetime, timezone

from ..core.app import iso
from . import scenario as scenarios
from .records import new_object_id


def new_errors(scenario, count, flow_ids=None, classification="intermittent", occurred_at=None, fail_again=0,
               step_ids=None):
    """``count`` retryable errors of one classification, occurring at ``occurred_at`` (default now), one after the
    other on the steps of ``flow_ids`` (default every enabled instance; ``step_ids``, default all) in turn; each with a
    new id and key. Errors on one flow and step are listed by one request: a poller sees all of them or none."""
    flow_ids = flow_ids or scenarios.instance_ids(scenario, disabled=False)
    targets = [(flow_id, step_id) for flow_id in flow_ids for step_id in scenarios.step_ids(scenario, flow_id)
               if not step_ids or step_id in step_ids]
    when = occurred_at or iso(datetime.now(timezone.utc))
    default = ("application", classification.upper(), "Error classified as %s" % classification)
    source, code, message = scenarios.ERROR_TEXT.get(classification) or default
    errors = []
    for index in range(count):
        flow_id, step_id = targets[index % len(targets)]
        errors.append({"_flowId": flow_id, "_stepId": step_id, "errorId": new_object_id(),
                       "retryDataKey": uuid.uuid4().hex, "occurredAt": when, "source": source, "code": code,
                       "message": message, "classification": classification, "tags": None, "fail_again": fail_again})
    return errors
