# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The event source flowops.ipaas.flow_errors as ansible-rulebook runs it (the file run by path, ``main(queue, args)``)
with a fake queue, against the Celigo emulator over HTTP while errors appear."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import contextlib
import importlib.util
import logging
import os
import time

import pytest
import yaml

from ansible_collections.flowops.ipaas.plugins.module_utils._select import error_watch
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError
from ansible_collections.flowops.ipaas.tests.emulator.celigo import live
from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 6))
PLUGIN = os.path.join(ROOT, "extensions", "eda", "plugins", "event_source", "flow_errors.py")
TOKEN = "emulator-token"


class FakeQueue:
    """What the source uses of ansible-rulebook's queue: ``await put(event)``."""

    def __init__(self):
        self.events = []

    async def put(self, event):
        self.events.append(event)

    def types(self):
        return [event["flowops"]["type"] for event in self.events]


@pytest.fixture(scope="module")
def plugin():
    """The plugin's globals, from the file run by path as ansible-rulebook runs it (``runpy.run_path``, whose path
    hooks ansible-test's collection loader takes over: the file is loaded by its own loader here)."""
    spec = importlib.util.spec_from_file_location("flow_errors", PLUGIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return vars(module)


@pytest.fixture
def emulator(celigo_emulator_factory):
    """Two instances of one abstract flow with two steps each and no error yet."""
    return celigo_emulator_factory(scenarios.generate(instances=2, steps=2, errors_per_step=0, disabled_instances=0,
                                                      seed=28), job_seconds=0.1)


def source_args(emulator, **extra):
    args = {"api_url": emulator.url, "api_token": emulator.token,
            "abstract_flow_id": scenarios.abstract_flow_ids(emulator.scenario), "interval": 0.1,
            "settle_seconds": 0.6, "spike_threshold": 5, "since": 60, "max_retries": 0}
    args.update(extra)
    return args


async def until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def burst(emulator, count, classification="intermittent"):
    """``count`` errors on one step of one flow: one listing shows all of them, so one poll counts them all."""
    flow_id = scenarios.instance_ids(emulator.scenario)[0]
    step_id = scenarios.step_ids(emulator.scenario, flow_id)[-1]
    return live.new_errors(emulator.scenario, count, flow_ids=[flow_id], step_ids=[step_id], classification=classification)


def polled(emulator):
    return sum(1 for entry in emulator.requests if entry["path"].endswith("/errors") and entry["path"].count("/") == 4)


def run_source(plugin, args, script):
    """Run ``main(queue, args)`` while ``await script(queue)`` plays the outage; returns the queue."""
    async def body():
        queue = FakeQueue()
        task = asyncio.ensure_future(plugin["main"](queue, args))
        try:
            await script(queue, task)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        return queue
    return asyncio.run(body())


def token_free(queue, caplog):
    assert TOKEN not in repr(queue.events)
    assert TOKEN not in caplog.text


def test_spike_then_settled_through_main(plugin, emulator, caplog):
    caplog.set_level(logging.DEBUG)

    async def script(queue, task):
        await until(lambda: polled(emulator) >= 2)
        emulator.state.add_errors(burst(emulator, 4) + burst(emulator, 3, classification="rate_limit"))
        await until(lambda: queue.types() == ["error_spike", "errors_settled"])
        await asyncio.sleep(1.0)  # calm goes on: nothing more

    queue = run_source(plugin, source_args(emulator), script)
    assert queue.types() == ["error_spike", "errors_settled"]
    spike, settled = (event["flowops"] for event in queue.events)
    flows = scenarios.instance_ids(emulator.scenario)
    assert spike["platform"] == "celigo" and spike["flows"] == flows
    assert (spike["new_errors"], spike["open_errors"]) == (7, 7)
    assert spike["by_classification"] == {"intermittent": 4, "rate_limit": 3}
    flow_id = scenarios.instance_ids(emulator.scenario)[0]
    assert spike["by_step"] == {flow_id: {scenarios.step_ids(emulator.scenario, flow_id)[-1]: 7}}
    assert (settled["new_errors"], settled["open_errors"]) == (7, 7) and settled["quiet_seconds"] >= 0.6
    assert settled["spike_start"] == spike["spike_start"] and settled["connection"]["api_url"] == emulator.url
    assert "errors_settled for group %s: 7 new errors, 7 open on 2 flows" % spike["group"] in caplog.text
    token_free(queue, caplog)


def test_first_poll_counts_since_and_reads_the_connection_from_the_environment(plugin, emulator, monkeypatch, caplog):
    emulator.state.add_errors(live.new_errors(emulator.scenario, 5, occurred_at="2026-11-20T04:00:00.000Z"))
    emulator.state.add_errors(live.new_errors(emulator.scenario, 6))
    monkeypatch.setenv("FLOWOPS_API_URL", emulator.url)
    monkeypatch.setenv("FLOWOPS_API_TOKEN", TOKEN + "\n")
    args = dict(source_args(emulator), api_url=None, api_token=None)

    async def script(queue, task):
        await until(lambda: queue.events)

    queue = run_source(plugin, args, script)
    spike = queue.events[0]["flowops"]
    assert spike["type"] == "error_spike" and (spike["new_errors"], spike["open_errors"]) == (6, 11)
    older = run_source(plugin, dict(args, since="2026-11-20T03:00:00Z"), script)
    assert older.events[0]["flowops"]["new_errors"] == 11
    token_free(queue, caplog)


def test_rate_limit_waits_retry_after_then_sends_again(plugin, emulator, caplog):
    emulator.state.add_errors(live.new_errors(emulator.scenario, 6))
    emulator.configure(faults=[{"method": "GET", "path": r"/v1/flows/[^/]+/errors$", "action": "status", "status": 429,
                                "headers": {"Retry-After": "1"}, "times": 1}])

    async def script(queue, task):
        await until(lambda: queue.events)

    queue = run_source(plugin, source_args(emulator, max_retries=2), script)
    assert queue.types()[0] == "error_spike" and "source_unavailable" not in queue.types()  # the 429 was waited out
    limited = next(entry for entry in emulator.requests if entry["status"] == 429)
    again = next(entry for entry in emulator.requests if entry["path"] == limited["path"] and entry["ts"] > limited["ts"])
    assert again["status"] == 200 and again["ts"] - limited["ts"] >= 0.95
    token_free(queue, caplog)


def test_an_outage_is_one_source_unavailable_event_per_outage(plugin, emulator, caplog):
    caplog.set_level(logging.INFO)
    down = [{"method": "GET", "path": "/v1/flows", "action": "status", "status": 503, "times": None,
             "body": "upstream refused the token %s" % TOKEN}]

    async def script(queue, task):
        await until(lambda: polled(emulator) >= 1)
        emulator.configure(faults=down)
        await until(lambda: queue.events)
        count = len(emulator.requests)
        await until(lambda: len(emulator.requests) >= count + 5)  # five more failed polls
        emulator.configure(faults=[])
        emulator.state.add_errors(burst(emulator, 5))
        await until(lambda: len(queue.events) == 2)
        emulator.configure(faults=down)
        await until(lambda: len(queue.events) == 3)
        await asyncio.sleep(0.5)
        assert not task.done()

    queue = run_source(plugin, source_args(emulator, settle_seconds=60), script)
    assert queue.types() == ["source_unavailable", "error_spike", "source_unavailable"]
    outage = queue.events[0]["flowops"]
    assert outage["status"] == 503 and "upstream refused the token ********" in outage["message"]
    assert "\n" not in outage["message"] and outage["flows"] == scenarios.instance_ids(emulator.scenario)
    assert "answers again" in caplog.text
    token_free(queue, caplog)


def test_a_dropped_connection_is_an_outage_reported_after_two_retries(plugin, emulator, caplog):
    args = source_args(emulator)
    del args["max_retries"]  # the source's default: 2 re-sends (0.5 s and 1 s apart), then the poll is an outage

    async def script(queue, task):
        await until(lambda: polled(emulator) >= 1)
        emulator.configure(faults=[{"path": "/errors$", "action": "reset_before", "times": None}])
        started = time.monotonic()
        await until(lambda: queue.events, timeout=10)
        assert time.monotonic() - started < 5

    queue = run_source(plugin, args, script)
    assert queue.types() == ["source_unavailable"]
    message = queue.events[0]["flowops"]["message"]
    assert "connection failed" in message and "3 attempts over" in message and "gave up after 2 retries" in message
    token_free(queue, caplog)


def test_the_token_is_scrubbed_from_sample_messages(plugin, emulator, caplog):
    errors = live.new_errors(emulator.scenario, 5)
    errors[0]["message"] = "the target echoed Bearer %s back" % TOKEN
    emulator.state.add_errors(errors)

    async def script(queue, task):
        await until(lambda: queue.events)

    queue = run_source(plugin, source_args(emulator, max_samples=5), script)
    messages = [sample["message"] for sample in queue.events[0]["flowops"]["samples"]]
    assert "the target echoed Bearer ******** back" in messages
    token_free(queue, caplog)


@pytest.mark.parametrize("extra, message", [
    ({"colour": "blue"}, "flowops.ipaas.flow_errors: colour: not an argument of flowops.ipaas.flow_errors; use "),
    ({"interval": -1}, "flowops.ipaas.flow_errors: interval: -1.0 is out of range"),
    ({"api_token": "short"}, "flowops.ipaas.flow_errors: api_token: the token is 5 characters long"),
    ({"abstract_flow_id": []}, "flowops.ipaas.flow_errors: select flows with flow_ids, abstract_flow_id or integration_id"),
    ({"platform": "cloudflare"}, "flowops.ipaas.flow_errors: account_id: platform 'cloudflare' needs the account id"),
    ({"api_url": "http://example.com"}, "flowops.ipaas.flow_errors: api_url: 'http://example.com' is plain http://"),
])
def test_invalid_arguments_stop_the_source_in_one_line(plugin, emulator, extra, message, monkeypatch):
    monkeypatch.delenv("FLOWOPS_ACCOUNT_ID", raising=False)
    with pytest.raises(FlowOpsError) as caught:
        asyncio.run(plugin["main"](FakeQueue(), source_args(emulator, **extra)))
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value) and TOKEN not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_defect_stops_the_source_in_one_scrubbed_line(plugin, emulator, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)

    def broken(self):
        raise RuntimeError("unexpected\nstate near %s" % TOKEN)

    monkeypatch.setattr(error_watch.ErrorWatch, "poll", broken)
    with pytest.raises(FlowOpsError) as caught:
        asyncio.run(plugin["main"](FakeQueue(), source_args(emulator)))
    assert str(caught.value) == "flowops.ipaas.flow_errors stopped: RuntimeError: unexpected state near ********"
    assert TOKEN not in caplog.text and "Traceback" in caplog.text


def test_rulebook_arguments_are_ignored(plugin, emulator):
    async def script(queue, task):
        await until(lambda: polled(emulator) >= 2)

    run_source(plugin, source_args(emulator, eda_feedback_queue=object()), script)


def test_documentation_names_every_argument_and_the_examples_use_only_those(plugin):
    documentation = yaml.safe_load(plugin["DOCUMENTATION"])
    assert documentation["name"] == "flow_errors"
    options = documentation["options"]
    assert set(options) == set(error_watch.WATCH_SPEC) | {"platform"}
    for name, spec in error_watch.WATCH_SPEC.items():
        assert options[name].get("default") == spec.get("default"), name
        assert options[name].get("aliases", []) == spec.get("aliases", []), name
    known = set(options) | {"api_url", "region", "api_token", "auth_header", "project_id", "account_id",
                            "abstract_flow_ids", "validate_certs", "timeout", "max_retries", "retry_after_cap",
                            "max_concurrency", "max_requests_per_second", "max_pages", "allow_insecure_http"}
    for name in known - set(options):
        assert "O(%s)" % name in " ".join(options["platform"]["description"]) or name == "abstract_flow_ids", name
    examples = yaml.safe_load(plugin["EXAMPLES"])
    for ruleset in examples:
        for source in ruleset["sources"]:
            args = source["flowops.ipaas.flow_errors"]
            assert set(args) <= known, set(args) - known
