# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Watching flows for an error spike and for the calm after it: the logic of the ``flowops.ipaas.flow_errors``
event source (extensions/eda/plugins/event_source/flow_errors.py), which only parses its arguments and runs
``ErrorWatch.poll`` every ``interval`` seconds.

A poll reads each watched flow's error summary (one request a flow) and lists only the steps whose newest open error
may be new, with the platform's ``occurred_after`` filter where it has one. What is kept between polls is bounded by
the flows and their steps, never by the errors: per step a high-water mark (the newest ``occurredAt`` counted), the
ids of the errors at exactly that time, and the open count; per spike its counters and a few sample messages.

Which errors are new. A step's open count alone would lie: when another actor resolves or retries 20 errors while
20 new ones appear, the count does not move. So a step's new errors are its open errors that occurred after its
high-water mark (at the mark itself, those whose id was not counted yet), which resolving or retrying others between
polls cannot hide. An error the platform files late, with an ``occurredAt`` older than the mark, escapes that rule;
the rise of the step's open count since the last poll catches it. Each of the two is a lower bound of the errors that
appeared, so a step counts the larger; the surplus of the rise has no record to classify and counts as classification
``unknown``. An error without ``occurredAt`` is never new. The first time a step is seen its mark is ``since``, so the
first poll counts the errors that occurred since then.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError, check_range
from ansible_collections.flowops.ipaas.plugins.module_utils._select.selection import iso_time, occurred_at, parse_time

SPIKE, SETTLED, UNAVAILABLE = "error_spike", "errors_settled", "source_unavailable"
UNKNOWN = "unknown"  # the classification of new errors only the rise of an open count tells of
MESSAGE_WIDTH = 200
MAX_IDS_AT_MARK = 1000  # ids kept per step at its exact high-water time (errors sharing one millisecond)

WATCH_SPEC = dict(
    flow_ids=dict(type="list", default=[]),
    abstract_flow_id=dict(type="list", default=[], aliases=["abstract_flow_ids"]),
    integration_id=dict(type="str"),
    interval=dict(type="float", default=60),
    spike_threshold=dict(type="int", default=10),
    settle_seconds=dict(type="float", default=300),
    since=dict(type="raw", default=3600),
    max_samples=dict(type="int", default=3),
    group=dict(type="str"),
)


def _as_list(name, value):
    if value is None:
        return []
    if isinstance(value, str):
        value = value.replace("\n", ",").split(",")
    if not isinstance(value, (list, tuple)):
        raise ValidationError("%s: expected a list of ids, got %s" % (name, type(value).__name__))
    items = [str(item).strip() for item in value if item is not None and str(item).strip()]
    return list(dict.fromkeys(items))


def _as_number(name, value, kind):
    if isinstance(value, bool):
        raise ValidationError("%s: %r is not a number" % (name, value))
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ValidationError("%s: %r is not a number" % (name, value))


def since_time(value, now):
    """``since`` as an aware UTC datetime: a number is seconds back from ``now``; text is ISO 8601 (or ``2h``)."""
    if isinstance(value, bool):
        raise ValidationError("since: %r is neither a time nor a number of seconds" % value)
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().replace(".", "", 1).isdigit()):
        seconds = float(value)
        check_range("since", seconds, 0, 3650 * 86400)
        return now - timedelta(seconds=seconds)
    return parse_time(value, "since", now)


def watch_options(args, now=None):
    """The watch's options from the source's arguments (every name in ``WATCH_SPEC``; connection options are the
    caller's), checked and converted; one-line ``ValidationError`` naming the option otherwise."""
    now = now or datetime.now(timezone.utc)
    options = {}
    for name, spec in WATCH_SPEC.items():
        value = args.get(name)
        for alias in spec.get("aliases", ()):
            if value is None:
                value = args.get(alias)
        if value is None:
            value = spec.get("default")
        if spec["type"] == "list":
            value = _as_list(name, value)
        elif spec["type"] == "int":
            value = _as_number(name, value, int)
        elif spec["type"] == "float":
            value = _as_number(name, value, float)
        elif spec["type"] == "str" and value is not None:
            value = str(value).strip() or None
        options[name] = value
    if not (options["flow_ids"] or options["abstract_flow_id"] or options["integration_id"]):
        raise ValidationError("select flows with flow_ids, abstract_flow_id or integration_id")
    check_range("interval", options["interval"], 0.001, 86400)
    check_range("spike_threshold", options["spike_threshold"], 1)
    check_range("settle_seconds", options["settle_seconds"], 0, 7 * 86400)
    check_range("max_samples", options["max_samples"], 0, 50)
    options["since"] = since_time(options["since"], now)
    return options


def group_of(platform, options):
    """The flow group an event belongs to: ``group`` when given, else a short stable hash of the selection."""
    if options.get("group"):
        return options["group"]
    text = "\n".join([platform, ",".join(sorted(options["flow_ids"])), ",".join(sorted(options["abstract_flow_id"])),
                      options.get("integration_id") or ""])
    return "%s-%s" % (platform, hashlib.sha256(text.encode("utf-8")).hexdigest()[:12])


def iso(moment):
    """``2026-11-20T04:00:00.123Z`` for an aware datetime (None stays None)."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def _occurred(error):
    """When an error occurred, or None when the platform gave no time or one that is not ISO 8601 (never new)."""
    try:
        return occurred_at(error)
    except FlowOpsError:
        return None


def _bump(counts, key, amount=1):
    counts[key] = counts.get(key, 0) + amount


class StepMark:
    """What a step keeps between polls: its high-water mark, the ids counted at it (None: more than
    ``MAX_IDS_AT_MARK`` shared that time, and every error at it counts as seen), its open count."""

    __slots__ = ("mark", "at_mark", "open")

    def __init__(self, mark, at_mark=(), open_count=None):
        self.mark = mark
        self.at_mark = None if at_mark is None else frozenset(at_mark)
        self.open = open_count

    def seen(self, moment, error_id):
        return moment < self.mark or (moment == self.mark and (self.at_mark is None or error_id in self.at_mark))


class Tally:
    """New errors counted by classification and step, their time span and a few samples."""

    def __init__(self, max_samples):
        self.max_samples = max_samples
        self.new = 0
        self.by_classification = {}
        self.by_step = {}
        self.samples = []
        self.first = self.last = None

    def add(self, flow_id, step_id, error=None, moment=None, classification=None, amount=1):
        self.new += amount
        _bump(self.by_classification, classification or (error.get("classification") or "none" if error else UNKNOWN),
              amount)
        _bump(self.by_step.setdefault(flow_id, {}), step_id, amount)
        if moment is not None:
            self.first = moment if self.first is None or moment < self.first else self.first
            self.last = moment if self.last is None or moment > self.last else self.last
        if error is not None and len(self.samples) < self.max_samples:
            self.samples.append({"flow_id": flow_id, "step_id": step_id, "classification": error.get("classification"),
                                 "code": error.get("code"), "occurred_at": error.get("occurredAt"),
                                 "message": " ".join(str(error.get("message") or "").split())[:MESSAGE_WIDTH]})

    def merge(self, other):
        self.new += other.new
        for key, amount in other.by_classification.items():
            _bump(self.by_classification, key, amount)
        for flow_id, steps in other.by_step.items():
            for step_id, amount in steps.items():
                _bump(self.by_step.setdefault(flow_id, {}), step_id, amount)
        for moment in (other.first, other.last):
            if moment is not None:
                self.first = moment if self.first is None or moment < self.first else self.first
                self.last = moment if self.last is None or moment > self.last else self.last
        self.samples.extend(other.samples[:max(0, self.max_samples - len(self.samples))])

    def counts(self):
        return {"new_errors": self.new, "by_classification": dict(self.by_classification),
                "by_step": dict((flow, dict(steps)) for flow, steps in self.by_step.items()),
                "samples": list(self.samples)}


class ErrorWatch:
    """Polls the flows of one selection through a platform adapter and says what happened, as events.

    ``poll()`` returns the events of one poll (dicts under the key ``flowops``): ``error_spike`` when at least
    ``spike_threshold`` new open errors appeared since the previous poll, ``errors_settled`` when after a spike no
    new error appeared for ``settle_seconds``, and ``source_unavailable`` once per API outage (a poll that fails;
    the next poll that succeeds ends the outage). ``scrub(text)`` removes the token from everything an event holds.
    """

    def __init__(self, adapter, options, connection=None, scrub=None, clock=time.monotonic, now=None, workers=4):
        self.adapter = adapter
        self.options = options
        self.platform = adapter.name
        self.group = group_of(self.platform, options)
        self.connection = dict((k, v) for k, v in (connection or {}).items() if v not in (None, ""))
        self.scrub = scrub or (lambda text: text)
        self.clock = clock
        self.now = now or (lambda: datetime.now(timezone.utc))
        self.workers = max(1, workers)
        self.marks = {}  # (flow_id, step_id) -> StepMark
        self.flows = []
        self.spike = None  # the Tally of the spike under way
        self.last_new = None  # clock() of the last poll that found a new error during the spike
        self.outage_since = None
        self.polls = 0

    # -- one poll --------------------------------------------------------------------------------

    def poll(self):
        """The events of one poll; an API failure is an outage (one ``source_unavailable`` event), never raised."""
        moment, tick = self.now(), self.clock()
        try:
            flows = self._resolve_flows()
            self.flows = flows  # the flows watched, named by an outage that cuts this very poll short
            with ThreadPoolExecutor(max_workers=min(self.workers, max(1, len(flows)))) as pool:
                read = list(pool.map(self._read_flow, flows))
        except (FlowOpsError, OSError) as exc:  # OSError: a network failure below the client (requests' errors are)
            return self._outage(exc, moment)
        events = []
        self.outage_since = None
        self.polls += 1
        tally, open_errors = Tally(self.options["max_samples"]), 0
        marks = {}
        for flow_marks, flow_tally, flow_open in read:
            marks.update(flow_marks)
            tally.merge(flow_tally)
            open_errors += flow_open
        self.marks = marks  # steps of flows no longer selected are forgotten
        if tally.new >= self.options["spike_threshold"]:
            if self.spike is None:
                self.spike = Tally(self.options["max_samples"])
                self.spike.first = tally.first or moment
            events.append(self._event(SPIKE, moment, open_errors, tally.counts(), self.spike.first,
                                      max(filter(None, (tally.last, self.spike.last, self.spike.first)))))
        if self.spike is not None:
            if tally.new:
                self.spike.merge(tally)
                self.last_new = tick
            elif tick - self.last_new >= self.options["settle_seconds"]:
                spike, self.spike = self.spike, None
                events.append(self._event(SETTLED, moment, open_errors, spike.counts(), spike.first,
                                          spike.last or spike.first, quiet_seconds=round(tick - self.last_new, 3),
                                          settle_seconds=self.options["settle_seconds"]))
        return events

    def _resolve_flows(self):
        """Flow ids of the selection, each once, in the order the options name them (lists are read every poll, so
        a new instance of an abstract flow is watched from the next poll on)."""
        flows = list(self.options["flow_ids"])
        for abstract_id in self.options["abstract_flow_id"]:
            flows.extend(flow["_id"] for flow in self.adapter.list_flows(abstract_flow_id=abstract_id))
        if self.options["integration_id"]:
            flows.extend(flow["_id"] for flow in self.adapter.list_flows(integration_id=self.options["integration_id"]))
        return list(dict.fromkeys(str(flow_id) for flow_id in flows))

    def _read_flow(self, flow_id):
        """``(marks, tally, open errors)`` of one flow: nothing is committed until the whole poll succeeded."""
        marks, tally, open_errors = {}, Tally(self.options["max_samples"]), 0
        for step_id, entry in self.adapter.error_summary(flow_id).items():
            count = entry.get("open_errors") or 0
            open_errors += count
            before = self.marks.get((flow_id, step_id)) or StepMark(self.options["since"])
            marks[(flow_id, step_id)] = self._read_step(flow_id, step_id, before, count, entry.get("last_error_at"),
                                                        tally)
        return marks, tally, open_errors

    def _read_step(self, flow_id, step_id, before, count, last_error_at, tally):
        mark, at_mark, found = before.mark, None if before.at_mark is None else set(before.at_mark), 0
        if count and not self._older(last_error_at, before.mark):
            filters = {"occurred_after": before.mark, "occurred_before": None, "sources": []}
            for error in self.adapter.iter_errors(flow_id, step_id, False, filters):
                moment = _occurred(error)
                if moment is None or before.seen(moment, error.get("errorId")):
                    continue
                found += 1
                tally.add(flow_id, step_id, error, moment)
                if moment > mark:
                    mark, at_mark = moment, set()
                if moment == mark and at_mark is not None:
                    at_mark.add(error.get("errorId"))
                    if len(at_mark) > MAX_IDS_AT_MARK:
                        at_mark = None
        rise = count - before.open if before.open is not None else 0
        if rise > found:
            tally.add(flow_id, step_id, classification=UNKNOWN, amount=rise - found)
        return StepMark(mark, at_mark, count)

    @staticmethod
    def _older(last_error_at, mark):
        """True when the summary's newest open error is older than the mark: nothing new to list."""
        if not last_error_at:
            return False
        try:
            return iso_time(str(last_error_at)) < mark
        except (ValueError, OverflowError):
            return False

    # -- events ----------------------------------------------------------------------------------

    def _outage(self, exc, moment):
        if self.outage_since is not None:
            return []
        self.outage_since = moment
        message = str(exc) if isinstance(exc, FlowOpsError) else "%s: %s" % (type(exc).__name__, exc)
        return [self._wrap(UNAVAILABLE, moment, {"message": " ".join(message.split()), "since": iso(moment),
                                                 "status": getattr(exc, "status", None)})]

    def _event(self, kind, moment, open_errors, counts, start, end, **extra):
        body = {"open_errors": open_errors, "spike_start": iso(start), "spike_end": iso(end)}
        body.update(counts)
        body.update(extra)
        return self._wrap(kind, moment, body)

    def _wrap(self, kind, moment, fields):
        body = {"type": kind, "platform": self.platform, "group": self.group, "flows": list(self.flows),
                "selection": {"flow_ids": list(self.options["flow_ids"]),
                              "abstract_flow_ids": list(self.options["abstract_flow_id"]),
                              "integration_id": self.options["integration_id"]},
                "connection": dict(self.connection, platform=self.platform), "observed_at": iso(moment)}
        body.update(fields)
        return {"flowops": self._scrubbed(body)}

    def _scrubbed(self, value):
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return dict((self._scrubbed(key), self._scrubbed(item)) for key, item in value.items())
        if isinstance(value, (list, tuple)):
            return [self._scrubbed(item) for item in value]
        return value
