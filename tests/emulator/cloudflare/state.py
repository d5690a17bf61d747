"""The state behind the Cloudflare Workflows emulator, and its deterministic scenario generator.

A scenario is a JSON-serialisable dict: token, account_id, workflows (name, script_name, steps) and instances
(workflow, id, status, times, params, trigger, error, failed_step). ``classification`` and ``fail_again``
(restarts that end in an error again) are the emulator's own and never returned by the API.

Status changes follow the workers-sdk engine (packages/workflows-shared/src/engine.ts, changeInstanceStatus):
terminate is refused on a final instance, restart is allowed from any status (``from`` must name a step in the
execution history), pause and resume are silent no-ops where they do not apply.
"""

import copy
import random
import time
import uuid
from datetime import timedelta

from ..core.state import EmulatorState
from ..core.app import Abort, Reply, iso, now_iso, parse_iso
from ..core.scenario_files import generator_spec

DEFAULT_TOKEN = "cloudflare-emulator-token"
DEFAULT_ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
STATUSES = ("queued", "running", "paused", "errored", "terminated", "complete", "waitingForPause", "waiting", "rollingBack")
FINAL = ("complete", "errored", "terminated")
ACTIONS = ("resume", "pause", "terminate", "restart")
# from.type of a restart -> the step type GET reports (lib/restart.ts maps "do" to step.do; the default).
FROM_TYPES = {"do": "step", "sleep": "sleep", "waitForEvent": "waitForEvent"}
# Failure codes: 10001 is what the local explorer answers for a bad body and for engine errors (HTTP 400 / 500);
# 10400 is the engine binding's instance-not-found code, 10501 the local explorer's workflow-not-found code.
ENGINE_ERROR = 10001
INSTANCE_NOT_FOUND = 10400
WORKFLOW_NOT_FOUND = 10501
CANNOT_TERMINATE = "(instance.cannot_terminate) Cannot terminate instance since its on a finite state"
STEP_CONFIG = {"retries": {"limit": 3, "delay": 1000, "backoff": "exponential"}, "timeout": "30 seconds"}
# classification -> (error name, message); the adapter derives the classification from these texts alone.
ERROR_TEXT = {
    "intermittent": ("TimeoutError", "step timed out after 30 seconds waiting for the upstream API"),
    "rate_limit": ("Error", "upstream answered 429 Too Many Requests"),
    "value": ("NonRetryableError", "order has no line items"),
    "duplicate": ("Error", "invoice already exists in the ledger"),
    "connection": ("Error", "upstream answered 401 Unauthorized"),
    "governance": ("Error", "Worker exceeded CPU time limit."),
    "none": ("Error", "something went wrong"),
}
DEFAULT_CLASSIFICATIONS = {"intermittent": 4, "rate_limit": 2, "value": 2, "duplicate": 1}
OTHER_STATUSES = ("complete", "complete", "complete", "running", "paused", "terminated", "waiting", "queued", "rollingBack",
                  "waitingForPause")


def envelope(result=None, errors=None, result_info=None):
    """Cloudflare's v4 response body."""
    body = {"success": not errors, "errors": errors or [], "messages": [], "result": result}
    if result_info is not None:
        body["result_info"] = result_info
    return body


class CfError(Abort):
    """An API error in the envelope: ``{"success": false, "errors": [{"code", "message"}], "result": null}``."""

    def __init__(self, status, code, message):
        super().__init__(Reply(status, envelope(errors=[{"code": code, "message": message}])))
        self.status = status


class Instance:
    """One workflow instance; ``stage`` tracks a run started by restart, resume or terminate-with-rollback
    (None: not running); ``kept`` are the steps a restart from a step kept from the previous run."""

    def __init__(self, workflow, raw):
        self.workflow = workflow
        self.id = raw["id"]
        self.status = raw.get("status", "queued")
        if self.status not in STATUSES:
            raise ValueError("instance %s: unknown status %r" % (self.id, self.status))
        self.created_on = raw.get("created_on") or now_iso()
        self.started_on = raw.get("started_on")
        self.ended_on = raw.get("ended_on")
        self.modified_on = raw.get("modified_on") or self.ended_on or self.started_on or self.created_on
        self.params = copy.deepcopy(raw.get("params"))
        self.trigger = raw.get("trigger", "api")
        self.error = copy.deepcopy(raw.get("error"))
        self.failure = copy.deepcopy(self.error) or {"name": "Error", "message": "failed again"}  # what a failing rerun raises
        self.failed_step = raw.get("failed_step")
        self.classification = raw.get("classification")
        self.fail_again = int(raw.get("fail_again") or 0)
        self.version_id = raw.get("version_id") or workflow["version_id"]
        self.kept, self.rollback, self.ending = [], None, None
        self.stage, self.run_started, self.polls = None, 0.0, 0

    def list_view(self):
        return {"id": self.id, "created_on": self.created_on, "ended_on": self.ended_on, "modified_on": self.modified_on,
                "started_on": self.started_on, "status": self.status, "version_id": self.version_id,
                "workflow_id": self.workflow["id"], "trigger_source": self.trigger}

    def detail_view(self, simple=False, order="asc"):
        steps = self.steps()
        shown = [] if simple else (steps if order == "asc" else list(reversed(steps)))
        return {"end": self.ended_on, "error": copy.deepcopy(self.error), "output": "ok" if self.status == "complete" else None,
                "params": copy.deepcopy(self.params), "queued": self.created_on, "rollback": copy.deepcopy(self.rollback),
                "start": self.started_on, "status": self.status, "step_count": len(steps), "steps": shown,
                "success": {"complete": True, "errored": False}.get(self.status), "trigger": {"source": self.trigger},
                "versionId": self.version_id}

    def steps(self):
        """The execution history: steps before the failed one succeeded, the failed one's attempts carry the error."""
        names = self.workflow["steps"]
        if self.status == "complete":
            done, failed = names, None
        elif self.status == "errored" and self.failed_step in names:
            done, failed = names[:names.index(self.failed_step)], self.failed_step
        else:
            done, failed = self.kept, None
        start, end = self.started_on or self.created_on, self.ended_on
        out = [{"type": "step", "name": name, "start": start, "end": end or start, "success": True, "output": "ok",
                "attempts": [{"start": start, "end": end or start, "success": True, "error": None}], "config": copy.deepcopy(STEP_CONFIG)}
               for name in done]
        if failed:
            attempt = {"start": start, "end": end, "success": False, "error": copy.deepcopy(self.error)}
            out.append({"type": "step", "name": failed, "start": start, "end": end, "success": False, "output": None,
                        "attempts": [dict(attempt) for dummy in range(STEP_CONFIG["retries"]["limit"] + 1)],
                        "config": copy.deepcopy(STEP_CONFIG)})
        return out

    def restart_point(self, source):
        """The steps a restart ``from`` keeps (those before the count-th run of the named step), or a 500 like the
        engine's stepNotFoundError when the history has no such step (lib/restart.ts resolveGroupKeysToWipe)."""
        wanted, count = FROM_TYPES[source.get("type", "do")], source.get("count", 1)
        history = self.steps()
        found = [index for index, step in enumerate(history) if step["name"] == source["name"] and step["type"] == wanted]
        if len(found) < count:
            raise CfError(500, ENGINE_ERROR, '(instance.cannot_restart) Step "%s" not found in execution history' % source["name"])
        return [step["name"] for step in history[:found[count - 1]]]


class CloudflareState(EmulatorState):
    """The Cloudflare emulator's state (see ``EmulatorState``)."""

    SWITCHES = {"run_seconds": 0.3}

    def load(self, scenario):
        with self.lock:
            self.token = scenario.get("token", DEFAULT_TOKEN)
            self.account_id = scenario.get("account_id", DEFAULT_ACCOUNT)
            self.workflows = {}
            for raw in scenario.get("workflows", []):
                workflow = dict(raw, steps=list(raw.get("steps") or ["run"]))
                for key, default in (("id", str(uuid.uuid4())), ("version_id", str(uuid.uuid4())), ("class_name", "Workflow"),
                                     ("script_name", "worker"), ("created_on", now_iso())):
                    workflow.setdefault(key, default)
                workflow.setdefault("modified_on", workflow["created_on"])
                self.workflows[workflow["name"]] = workflow
            self.instances = {name: {} for name in self.workflows}
            for raw in scenario.get("instances", []):
                workflow = self.workflows.get(raw["workflow"])
                if workflow is None:
                    raise ValueError("instance %s: unknown workflow %s" % (raw["id"], raw["workflow"]))
                if raw["id"] in self.instances[workflow["name"]]:
                    raise ValueError("duplicate instance id %s in workflow %s" % (raw["id"], workflow["name"]))
                self.instances[workflow["name"]][raw["id"]] = Instance(workflow, raw)
            self.running, self.restart_counts, self.terminate_counts, self.restarts = [], {}, {}, []
            self.other_actions = []  # what the ``other_actors`` switch did: (when, instance, action, applied)

    # Lookups.

    def check_account(self, account_id):
        if account_id != self.account_id:
            raise CfError(404, 7003, "No route for the URI")

    def workflow(self, name):
        workflow = self.workflows.get(name)
        if workflow is None:
            raise CfError(404, WORKFLOW_NOT_FOUND, "Workflow '%s' not found." % name)
        return workflow

    def instance(self, name, instance_id):
        self.workflow(name)
        instance = self.instances[name].get(instance_id)
        if instance is None:
            raise CfError(404, INSTANCE_NOT_FOUND, "workflows.api.error.instance.not_found")
        return instance

    # Workflows.

    def workflow_view(self, name):
        """The workflow with its instance counts by status; statuses with no instance are left out (every key is optional)."""
        with self.lock:
            workflow = self.workflow(name)
            counts = {}
            for instance in self.instances[name].values():
                counts[instance.status] = counts.get(instance.status, 0) + 1
            view = {key: workflow[key] for key in ("id", "name", "class_name", "script_name", "created_on", "modified_on")}
            view["triggered_on"] = max((i.created_on for i in self.instances[name].values()), default=None)
            view["instances"] = counts
            return view

    def workflow_names(self, search=None):
        with self.lock:
            return sorted(name for name in self.workflows if not search or search.lower() in name.lower())

    # Instances.

    def matching(self, name, status=None, date_start=None, date_end=None):
        """Instances of a workflow newest first (created_on, id), filtered. Which time date_start/date_end bound is
        not established (the SDK says only "ISO 8601 ... in UTC"); the emulator bounds created_on."""
        with self.lock:
            self.workflow(name)
            found = [i for i in self.instances[name].values()
                     if (status is None or i.status == status)
                     and (date_start is None or parse_iso(i.created_on) >= date_start)
                     and (date_end is None or parse_iso(i.created_on) < date_end)]
            return sorted(found, key=lambda i: (i.created_on, i.id), reverse=True)

    def detail(self, name, instance_id, simple=False, order="asc"):
        with self.lock:
            instance = self.instance(name, instance_id)
            if instance.stage is not None:
                instance.polls += 1
                self._advance(instance)
            return instance.detail_view(simple, order)

    def change_status(self, name, instance_id, body):
        """PATCH .../status with a body the app checked: ``{"status", "from"?, "rollback"?}``."""
        with self.lock:
            instance = self.instance(name, instance_id)
            action, current, when = body["status"], instance.status, now_iso()
            if action == "restart":
                kept = instance.restart_point(body["from"]) if body.get("from") else []
                self.restarts.append({"instance": instance_id, "from": copy.deepcopy(body.get("from"))})
                self.restart_counts[instance_id] = self.restart_counts.get(instance_id, 0) + 1
                instance.error, instance.started_on, instance.ended_on = None, None, None
                instance.status, instance.kept, instance.rollback, instance.ending = "queued", kept, None, None
                self._start_run(instance)
            elif action == "terminate":
                if current in FINAL:
                    raise CfError(500, ENGINE_ERROR, CANNOT_TERMINATE)
                self._stop_run(instance)
                self.terminate_counts[instance_id] = self.terminate_counts.get(instance_id, 0) + 1
                if body.get("rollback"):
                    instance.status, instance.ending = "rollingBack", "terminated"  # ends at the next poll or by time
                    self._start_run(instance, stage=1)
                else:
                    instance.status, instance.ended_on = "terminated", when
            elif action == "pause" and current in ("running", "waiting"):
                self._stop_run(instance)  # the engine passes through waitingForPause while a step finishes
                instance.status = "paused"
            elif action == "resume" and current in ("paused", "waitingForPause"):
                instance.status = "running"
                self._start_run(instance, stage=1)
            instance.modified_on = when
            return {"status": instance.status, "timestamp": when}

    # Other actors (the ``other_actors`` switch): someone else acting on an instance after our listing or restart.

    def act_as_other(self, when, name, instance_ids):
        """Apply the ``other_actors`` rules ``{"when": "listed" | "restarted", "instance", "action", "times"?}`` that match:
        ``restart`` (engine.ts: from any status), ``terminate`` (engine.ts: refused on a final status, then nothing
        happens), ``delete`` (workers-sdk 30c2d479 instances delete: the instance vanishes). Counted apart from ours."""
        with self.lock:
            for rule in self.other_actor_rules(when, "instance", instance_ids):
                instance = self.instances.get(name, {}).get(rule["instance"])
                if instance is None:
                    continue
                applied = True
                if rule["action"] == "delete":
                    self._stop_run(instance)
                    del self.instances[name][instance.id]
                elif rule["action"] == "terminate" and instance.status in FINAL:
                    applied = False  # CANNOT_TERMINATE: the engine refuses it
                else:
                    counts, restarts = dict(self.restart_counts), list(self.restarts)
                    self.change_status(name, instance.id, {"status": rule["action"]})
                    self.restart_counts, self.restarts = counts, restarts
                self.other_actions.append({"when": when, "instance": instance.id, "action": rule["action"], "applied": applied})

    # Runs: queued -> running -> complete or errored, one stage per poll of the instance or by time.

    def _start_run(self, instance, stage=0):
        self._stop_run(instance)
        instance.stage, instance.run_started, instance.polls = stage, time.monotonic(), 0
        self.running.append(instance)

    def _stop_run(self, instance):
        if instance.stage is not None:
            instance.stage = None
            self.running.remove(instance)

    def advance(self):
        with self.lock:
            for instance in list(self.running):
                self._advance(instance)

    def _advance(self, instance):
        seconds = float(self.switches.get("run_seconds", 0.3))
        elapsed = time.monotonic() - instance.run_started
        by_time = 2 if elapsed >= seconds else (1 if elapsed >= seconds / 2 else 0)
        target = min(2, max(by_time, instance.polls))
        if instance.stage < 1 <= target:
            instance.status, instance.stage = "running", 1
            instance.started_on = instance.modified_on = now_iso()
        if target == 2:
            self._finish(instance)

    def _finish(self, instance):
        self._stop_run(instance)
        instance.ended_on = instance.modified_on = now_iso()
        if instance.ending == "terminated":
            instance.status, instance.rollback, instance.ending = "terminated", {"error": None, "outcome": "complete"}, None
        elif instance.fail_again > 0:
            instance.fail_again -= 1
            instance.status = "errored"
            instance.error = copy.deepcopy(instance.failure)
        else:
            instance.status, instance.error = "complete", None
        instance.kept = []

    def summary(self):
        with self.lock:
            self.advance()
            counts = {name: {} for name in self.workflows}
            for name, instances in self.instances.items():
                for instance in instances.values():
                    counts[name][instance.status] = counts[name].get(instance.status, 0) + 1
            return {"statuses": counts, "restart_counts": dict(self.restart_counts), "restarts": copy.deepcopy(self.restarts),
                    "other_actions": copy.deepcopy(self.other_actions),
                    "terminate_counts": dict(self.terminate_counts), "running": len(self.running)}

    def statuses(self, name):
        """``{instance_id: status}`` of a workflow now, for tests (due runs are applied first)."""
        with self.lock:
            self.advance()
            return {instance_id: instance.status for instance_id, instance in self.instances[name].items()}


# The scenario generator.

def _uuid(rng):
    value = "%032x" % rng.getrandbits(128)
    return "%s-%s-4%s-a%s-%s" % (value[:8], value[8:12], value[13:16], value[17:20], value[20:32])


def generate(workflows=2, instances=20, errored_share=0.5, classifications=None, fail_again_share=0.2,
             fail_again_times=1, scripts=1, steps=3, seed=0, start="2026-11-20T00:00:00Z", window_seconds=86400):
    """A deterministic scenario for ``seed``: ``instances`` per workflow, ``errored_share`` of them errored with a
    classification drawn from ``classifications`` (names or name -> weight); ``fail_again_share`` of the errored
    ones error again on their next ``fail_again_times`` restarts. The others get a mix of other statuses."""
    rng = random.Random(seed)
    weights = classifications or DEFAULT_CLASSIFICATIONS
    if not isinstance(weights, dict):
        weights = dict.fromkeys(weights, 1)
    unknown = set(weights) - set(ERROR_TEXT)
    if unknown:
        raise ValueError("unknown classifications %s (known: %s)" % (", ".join(sorted(unknown)), ", ".join(sorted(ERROR_TEXT))))
    names = sorted(weights)
    begin = parse_iso(start)
    scenario = {"token": DEFAULT_TOKEN, "account_id": DEFAULT_ACCOUNT, "workflows": [], "instances": []}
    step_names = ["validate order", "charge card", "send receipt", "update ledger", "notify"][:max(1, steps)]
    for number in range(1, workflows + 1):
        workflow = {"name": "order-sync-%d" % number, "id": _uuid(rng), "class_name": "OrderSync%d" % number,
                    "script_name": "orders-worker-%d" % ((number - 1) % max(1, scripts) + 1), "version_id": _uuid(rng),
                    "created_on": iso(begin - timedelta(days=30)), "steps": step_names}
        scenario["workflows"].append(workflow)
        for dummy in range(instances):
            created = begin + timedelta(milliseconds=rng.randrange(int(window_seconds * 1000)))
            ended = created + timedelta(seconds=rng.randrange(1, 120))
            instance = {"workflow": workflow["name"], "id": _uuid(rng), "created_on": iso(created),
                        "started_on": iso(created), "trigger": rng.choice(["api", "binding", "cron"]),
                        "params": {"order": "ORD-%06d" % rng.randrange(1000000)}}
            if rng.random() < errored_share:
                classification = rng.choices(names, [weights[name] for name in names])[0]
                error_name, message = ERROR_TEXT[classification]
                instance.update(status="errored", ended_on=iso(ended), classification=classification,
                                error={"name": error_name, "message": message}, failed_step=rng.choice(step_names),
                                fail_again=fail_again_times if rng.random() < fail_again_share else 0)
            else:
                instance["status"] = rng.choice(OTHER_STATUSES)
                if instance["status"] in FINAL:
                    instance["ended_on"] = iso(ended)
            scenario["instances"].append(instance)
    return scenario


def parse_spec(text):
    """``"workflows=2,instances=40,seed=1"`` -> generate() keywords (classifications as ``intermittent:4/value``)."""
    return generator_spec(text, generate)


def default_scenario():
    """The small scenario the fixture starts with: 2 workflows x 12 instances, about half errored."""
    return generate(workflows=2, instances=12, seed=0)


def errored(scenario, workflow=None, classification=None):
    """Scenario instances that start errored, optionally of one workflow and classification."""
    return [item for item in scenario["instances"] if item["status"] == "errored"
            and (workflow is None or item["workflow"] == workflow)
            and (classification is None or item.get("classification") == classification)]


def workflow_names(scenario):
    return [item["name"] for item in scenario["workflows"]]
