# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ErrorWatch, the event source's logic, against an in-memory platform with a clock the test moves."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import itertools
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._select import error_watch
from ansible_collections.flowops.ipaas.plugins.module_utils._select.error_watch import ErrorWatch, watch_options
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.base import PlatformAdapter

START = datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)
IDS = itertools.count(1)


def stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


class Watched(PlatformAdapter):
    """Flows (some instances of abstract flows), each with steps holding open errors; ``down`` makes every call
    fail like an unreachable API; ``filters`` says whether the listing honours ``occurred_after``."""

    name = "fake"

    def __init__(self, honour_filters=True):
        super(Watched, self).__init__(client=None)
        self.instances = {}  # abstract id -> [flow ids]
        self.steps = {}  # flow id -> [step ids]
        self.open = {}  # (flow, step) -> {errorId: error}
        self.down = None
        self.honour_filters = honour_filters
        self.listings = []

    def add_flow(self, flow_id, steps=("export", "import"), abstract=None):
        self.steps[flow_id] = list(steps)
        for step in steps:
            self.open[(flow_id, step)] = {}
        if abstract:
            self.instances.setdefault(abstract, []).append(flow_id)

    def add(self, flow_id, step_id, count, when, classification="intermittent", message="socket hang up"):
        errors = []
        for dummy in range(count):
            error = {"errorId": "e%06d" % next(IDS), "occurredAt": when if isinstance(when, str) else stamp(when),
                     "classification": classification, "code": "ECONNRESET", "message": message,
                     "retryDataKey": "k%06d" % next(IDS)}
            self.open[(flow_id, step_id)][error["errorId"]] = error
            errors.append(error)
        return errors

    def resolve(self, flow_id, step_id, error_ids):
        for error_id in error_ids:
            self.open[(flow_id, step_id)].pop(error_id)

    def _check(self):
        if isinstance(self.down, Exception):
            raise self.down  # pylint: disable=raising-bad-type  # narrowed by the isinstance above
        if self.down:
            raise FlowOpsError(self.down, status=503, method="GET", path="/v1/flows")

    def list_flows(self, abstract_flow_id=None, integration_id=None):
        self._check()
        return [{"_id": flow_id} for flow_id in self.instances.get(abstract_flow_id, [])]

    def error_summary(self, flow_id):
        self._check()
        summary = {}
        for step_id in self.steps[flow_id]:
            errors = self.open[(flow_id, step_id)].values()
            summary[step_id] = {"open_errors": len(errors),
                                "last_error_at": max((e["occurredAt"] for e in errors), default=None)}
        return summary

    def iter_errors(self, flow_id, step_id, resolved=False, filters=None):
        self._check()
        self.listings.append((flow_id, step_id))
        after = (filters or {}).get("occurred_after")
        for error in list(self.open[(flow_id, step_id)].values()):
            if self.honour_filters and after and error["occurredAt"] < stamp(after):
                continue
            yield dict(error, _flowId=flow_id, _stepId=step_id)


class Clock:
    def __init__(self):
        self.tick = 1000.0
        self.wall = START

    def advance(self, seconds):
        self.tick += seconds
        self.wall += timedelta(seconds=seconds)

    def monotonic(self):
        return self.tick

    def now(self):
        return self.wall


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def platform():
    adapter = Watched()
    adapter.add_flow("f1", abstract="abs")
    adapter.add_flow("f2", abstract="abs")
    return adapter


def make_watch(platform, clock, **args):
    args.setdefault("abstract_flow_id", ["abs"])
    args.setdefault("since", 600)
    options = watch_options(dict({"spike_threshold": 10, "settle_seconds": 300}, **args), now=clock.now())
    return ErrorWatch(platform, options, connection={"api_url": "https://api.example", "region": None},
                      clock=clock.monotonic, now=clock.now, workers=2)


def events_of(watch, clock, seconds=60):
    clock.advance(seconds)
    return [event["flowops"] for event in watch.poll()]


def types(events):
    return [event["type"] for event in events]


def test_spike_then_settled_with_the_counts_of_the_poll_and_of_the_whole_spike(platform, clock):
    watch = make_watch(platform, clock)
    platform.add("f1", "export", 2, clock.now() - timedelta(hours=2))  # before since: never new
    assert events_of(watch, clock, 0) == []
    first = clock.now() + timedelta(seconds=10)
    platform.add("f1", "export", 7, first, classification="intermittent")
    platform.add("f2", "import", 5, first + timedelta(seconds=20), classification="rate_limit", message="429 Too Many")
    spike, = events_of(watch, clock)
    assert spike["type"] == "error_spike"
    assert (spike["new_errors"], spike["open_errors"]) == (12, 14)
    assert spike["by_classification"] == {"intermittent": 7, "rate_limit": 5}
    assert spike["by_step"] == {"f1": {"export": 7}, "f2": {"import": 5}}
    assert spike["spike_start"] == stamp(first) and spike["spike_end"] == stamp(first + timedelta(seconds=20))
    assert len(spike["samples"]) == 3 and {"flow_id", "step_id", "message", "classification"} <= set(spike["samples"][0])
    assert spike["flows"] == ["f1", "f2"] and spike["platform"] == "fake"
    assert spike["selection"] == {"flow_ids": [], "abstract_flow_ids": ["abs"], "integration_id": None}
    assert spike["connection"] == {"platform": "fake", "api_url": "https://api.example"}
    assert spike["group"] == watch.group and spike["group"].startswith("fake-")

    later = clock.now() + timedelta(seconds=5)
    platform.add("f2", "export", 3, later)  # below the threshold: no event, but the spike goes on
    assert events_of(watch, clock) == []
    assert events_of(watch, clock, 299) == []  # 299 s without a new error
    settled, = events_of(watch, clock, 1)
    assert settled["type"] == "errors_settled"
    assert (settled["new_errors"], settled["open_errors"]) == (15, 17)
    assert settled["by_classification"] == {"intermittent": 10, "rate_limit": 5}
    assert settled["by_step"] == {"f1": {"export": 7}, "f2": {"import": 5, "export": 3}}
    assert settled["spike_start"] == stamp(first) and settled["spike_end"] == stamp(later)
    assert settled["quiet_seconds"] == 300 and settled["settle_seconds"] == 300
    assert [events_of(watch, clock, 600) for dummy in range(3)] == [[], [], []]  # settled once


def test_every_poll_that_reaches_the_threshold_is_a_spike_event_of_one_spike(platform, clock):
    watch = make_watch(platform, clock)
    events_of(watch, clock, 0)
    platform.add("f1", "export", 10, clock.now())
    first, = events_of(watch, clock)
    platform.add("f1", "import", 11, clock.now())
    second, = events_of(watch, clock)
    assert (first["new_errors"], second["new_errors"]) == (10, 11)
    assert second["spike_start"] == first["spike_start"]
    settled, = events_of(watch, clock, 300)
    assert settled["new_errors"] == 21


@pytest.mark.parametrize("new, expected", [(9, []), (10, ["error_spike"])])
def test_threshold(platform, clock, new, expected):
    watch = make_watch(platform, clock)
    events_of(watch, clock, 0)
    platform.add("f1", "export", new, clock.now())
    assert types(events_of(watch, clock)) == expected


def test_first_poll_counts_errors_since_since(platform, clock):
    platform.add("f1", "export", 4, clock.now() - timedelta(seconds=700))
    platform.add("f1", "export", 6, clock.now() - timedelta(seconds=600))  # exactly at since: counted
    platform.add("f2", "export", 5, clock.now() - timedelta(seconds=10))
    spike, = [event["flowops"] for event in make_watch(platform, clock, spike_threshold=11).poll()]
    assert (spike["new_errors"], spike["open_errors"]) == (11, 15)
    iso = make_watch(platform, clock, since=stamp(clock.now() - timedelta(seconds=60)), spike_threshold=1)
    assert [event["flowops"]["new_errors"] for event in iso.poll()] == [5]
    relative = make_watch(platform, clock, since="2h", spike_threshold=1)
    assert [event["flowops"]["new_errors"] for event in relative.poll()] == [15]


def test_errors_resolved_by_others_do_not_hide_new_ones(platform, clock):
    watch = make_watch(platform, clock)
    old = platform.add("f1", "export", 12, clock.now() - timedelta(seconds=30))
    assert types(events_of(watch, clock, 0)) == ["error_spike"]
    platform.resolve("f1", "export", [e["errorId"] for e in old])  # another actor resolves them
    platform.add("f1", "export", 12, clock.now() + timedelta(seconds=30))  # while as many new ones appear
    spike, = events_of(watch, clock)
    assert (spike["new_errors"], spike["open_errors"]) == (12, 12)


def test_errors_filed_late_count_through_the_rise_of_the_open_count(platform, clock):
    watch = make_watch(platform, clock, spike_threshold=3)
    platform.add("f1", "export", 1, clock.now())
    events_of(watch, clock, 0)
    platform.add("f1", "export", 4, clock.now() - timedelta(seconds=100))  # older than the newest one counted
    spike, = events_of(watch, clock)
    assert spike["new_errors"] == 4 and spike["by_classification"] == {"unknown": 4}
    assert spike["by_step"] == {"f1": {"export": 4}}


def test_errors_sharing_the_time_of_the_mark_are_counted_once(platform, clock):
    watch = make_watch(platform, clock, spike_threshold=1)
    moment = clock.now() + timedelta(seconds=1)
    platform.add("f1", "export", 3, moment)
    assert [e["new_errors"] for e in events_of(watch, clock)] == [3]
    platform.add("f1", "export", 2, moment)  # the same millisecond, after the poll
    assert [e["new_errors"] for e in events_of(watch, clock)] == [2]
    assert events_of(watch, clock) == []


def test_a_platform_that_ignores_the_time_filter_is_filtered_here(clock):
    platform = Watched(honour_filters=False)
    platform.add_flow("f1", abstract="abs")
    watch = make_watch(platform, clock, spike_threshold=1)
    platform.add("f1", "export", 5, clock.now() - timedelta(days=1))
    assert events_of(watch, clock, 0) == []
    platform.add("f1", "export", 2, clock.now() + timedelta(seconds=1))
    assert [e["new_errors"] for e in events_of(watch, clock)] == [2]


def test_steps_with_nothing_newer_than_their_mark_are_not_listed(platform, clock):
    watch = make_watch(platform, clock)
    platform.add("f1", "export", 5, clock.now())
    events_of(watch, clock, 0)
    assert platform.listings == [("f1", "export")]
    del platform.listings[:]
    events_of(watch, clock)
    events_of(watch, clock)
    assert platform.listings == [("f1", "export")] * 2  # the newest error is at the mark: a small listing from it
    platform.add("f1", "export", 1, clock.now() - timedelta(seconds=500))
    del platform.listings[:]
    events_of(watch, clock)
    assert platform.listings == [("f1", "export")]


def test_errors_without_a_usable_time_are_never_new(platform, clock):
    watch = make_watch(platform, clock, spike_threshold=1)
    events_of(watch, clock, 0)
    platform.add("f1", "export", 1, "not a time")
    platform.add("f1", "export", 1, "")
    assert [e["by_classification"] for e in events_of(watch, clock)] == [{"unknown": 2}]  # only the open count rose
    assert events_of(watch, clock) == []


def test_an_outage_is_one_source_unavailable_event_and_polling_goes_on(platform, clock):
    watch = make_watch(platform, clock)
    watch.scrub = lambda text: text.replace("s3cr3t-token", "********")
    events_of(watch, clock, 0)
    platform.down = "connection failed: token s3cr3t-token refused"
    down = [events_of(watch, clock) for dummy in range(4)]
    assert [types(events) for events in down] == [["source_unavailable"], [], [], []]
    event = down[0][0]
    assert event["status"] == 503 and "s3cr3t-token" not in str(event) and "********" in event["message"]
    assert event["since"] == event["observed_at"] and event["flows"] == ["f1", "f2"]
    platform.down = None
    platform.add("f1", "export", 10, clock.now() - timedelta(seconds=30))  # errors of the outage are caught up
    assert types(events_of(watch, clock)) == ["error_spike"]
    platform.down = "HTTP 502"
    assert types(events_of(watch, clock)) == ["source_unavailable"]  # a new outage: a new event


def test_a_network_failure_below_the_client_is_an_outage_too(platform, clock):
    watch = make_watch(platform, clock)
    platform.down = ConnectionError("connection refused")
    event, = events_of(watch, clock, 0)
    assert event["type"] == "source_unavailable" and event["message"] == "ConnectionError: connection refused"
    assert event["status"] is None and events_of(watch, clock) == []


def test_a_defect_is_not_an_outage(platform, clock):
    watch = make_watch(platform, clock)
    platform.down = KeyError("flowErrors")
    with pytest.raises(KeyError):
        watch.poll()


def test_no_settled_event_while_the_api_is_down_nor_before_the_quiet_time(platform, clock):
    watch = make_watch(platform, clock, settle_seconds=100)
    events_of(watch, clock, 0)
    platform.add("f1", "export", 10, clock.now())
    assert types(events_of(watch, clock, 10)) == ["error_spike"]
    platform.down = "HTTP 503"
    assert types(events_of(watch, clock, 200)) == ["source_unavailable"]
    platform.down = None
    platform.add("f2", "export", 1, clock.now() - timedelta(seconds=50))  # occurred during the outage
    assert events_of(watch, clock, 10) == []
    assert types(events_of(watch, clock, 100)) == ["errors_settled"]


def test_memory_is_bounded_by_flows_and_steps_not_errors(platform, clock):
    sizes = []
    for errors in (20, 4000):
        adapter = Watched()
        for number in range(3):
            adapter.add_flow("f%d" % number, abstract="abs")
        watch = make_watch(adapter, clock, max_samples=3, spike_threshold=1)
        events_of(watch, clock, 0)
        for dummy in range(3):
            for flow_id in ("f0", "f1", "f2"):
                for number in range(errors // 9):
                    adapter.add(flow_id, "import", 1, clock.now() + timedelta(milliseconds=number))
            events_of(watch, clock)
        sizes.append((len(watch.marks), sum(len(mark.at_mark) for mark in watch.marks.values()),
                      len(watch.spike.samples), len(watch.spike.by_step), len(watch.spike.by_classification)))
        assert watch.spike.new == 3 * 3 * (errors // 9)
    assert sizes[0] == sizes[1] == (6, 3, 3, 3, 1)


def test_a_burst_sharing_one_millisecond_is_kept_as_a_bounded_marker(platform, clock, monkeypatch):
    monkeypatch.setattr(error_watch, "MAX_IDS_AT_MARK", 5)
    watch = make_watch(platform, clock, spike_threshold=1)
    moment = clock.now() + timedelta(seconds=1)
    platform.add("f1", "export", 8, moment)
    assert [e["new_errors"] for e in events_of(watch, clock)] == [8]
    assert watch.marks[("f1", "export")].at_mark is None  # more than 5 at the mark: all of them count as seen
    assert events_of(watch, clock) == []
    platform.add("f1", "export", 1, moment + timedelta(milliseconds=1))
    assert [e["new_errors"] for e in events_of(watch, clock)] == [1]
    assert len(watch.marks[("f1", "export")].at_mark) == 1


def test_flows_that_leave_the_selection_are_forgotten_and_new_instances_watched(platform, clock):
    watch = make_watch(platform, clock, spike_threshold=1)
    events_of(watch, clock, 0)
    platform.instances["abs"] = ["f2", "f3"]
    platform.add_flow("f3")
    platform.add("f3", "export", 2, clock.now() - timedelta(seconds=30))
    spike, = events_of(watch, clock)
    assert spike["flows"] == ["f2", "f3"] and spike["by_step"] == {"f3": {"export": 2}}
    assert sorted(set(flow for flow, dummy in watch.marks)) == ["f2", "f3"]


def test_flow_ids_and_integration_are_watched_each_once(clock):
    class Integration(Watched):
        def list_flows(self, abstract_flow_id=None, integration_id=None):
            return [{"_id": "f1"}, {"_id": "f2"}] if integration_id == "int" else []

    platform = Integration()
    platform.add_flow("f1")
    platform.add_flow("f2")
    watch = make_watch(platform, clock, abstract_flow_id=None, flow_ids="f2, f1", integration_id="int")
    events_of(watch, clock, 0)
    assert watch.flows == ["f2", "f1"]


@pytest.mark.parametrize("args, message", [
    ({}, "select flows with flow_ids, abstract_flow_id or integration_id"),
    ({"flow_ids": ["a"], "interval": 0}, "interval: 0.0 is out of range; use a value between 0.001 and 86400"),
    ({"flow_ids": ["a"], "interval": "soon"}, "interval: 'soon' is not a number"),
    ({"flow_ids": ["a"], "spike_threshold": 0}, "spike_threshold: 0 is out of range"),
    ({"flow_ids": ["a"], "settle_seconds": -1}, "settle_seconds: -1.0 is out of range"),
    ({"flow_ids": ["a"], "since": "yesterday"}, "since: 'yesterday' is not a time"),
    ({"flow_ids": ["a"], "since": True}, "since: True is neither a time nor a number of seconds"),
    ({"flow_ids": {"a": 1}}, "flow_ids: expected a list of ids, got dict"),
    ({"flow_ids": ["a"], "max_samples": 51}, "max_samples: 51 is out of range"),
])
def test_invalid_options_fail_in_one_line(args, message):
    with pytest.raises(ValidationError) as caught:
        watch_options(args)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_options_defaults_aliases_and_since_forms(clock):
    options = watch_options({"abstract_flow_ids": "a, b\nc"}, now=clock.now())
    assert options["abstract_flow_id"] == ["a", "b", "c"]
    assert (options["interval"], options["spike_threshold"], options["settle_seconds"], options["max_samples"]) == (60, 10, 300, 3)
    assert options["since"] == clock.now() - timedelta(seconds=3600)
    assert watch_options({"flow_ids": ["x"], "since": "90"}, now=clock.now())["since"] == clock.now() - timedelta(seconds=90)
    assert watch_options({"flow_ids": ["x"], "since": "2026-11-19T00:00:00Z"})["since"] == datetime(2026, 11, 19, tzinfo=timezone.utc)


def test_group_is_stable_for_a_selection_and_can_be_named():
    one = error_watch.group_of("celigo", watch_options({"flow_ids": ["b", "a"]}))
    assert one == error_watch.group_of("celigo", watch_options({"flow_ids": ["a", "b"], "interval": 5}))
    assert one != error_watch.group_of("celigo", watch_options({"flow_ids": ["a"]}))
    assert error_watch.group_of("celigo", watch_options({"flow_ids": ["a"], "group": "orders"})) == "orders"
