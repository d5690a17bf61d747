"""The SuperAI emulator's state (flows and flow executions) and its deterministic scenario generator.

A scenario is a JSON-serialisable dict: token, api_key, organization_id, user_id, flows and executions.
``fail_again`` (further re-executions that fail) and ``terminable`` (False: SuperAI cannot terminate the
workflow while it runs, so re-execute answers 409) are the emulator's own and never returned.
Executions loaded as queued/running stay so (a long-running workflow); re-executed ones finish after
``run_seconds`` or their second poll, whichever is first. Every behaviour here is pinned to the contract
(superai-contract.json) in docs/platforms/superai.md.
"""

import copy
import random
import time
import uuid
from datetime import datetime, timedelta, timezone
from ..core.scenario_files import generator_spec
from ..core.state import EmulatorState

DEFAULT_TOKEN = "superai-emulator-token"
DEFAULT_API_KEY = "saf_emulator_key"
STATUSES = ("queued", "running", "completed", "failed", "deleted", "stale", "edited", "awaiting_input",
            "cancel_requested", "cancelled")
ACTIVE = ("queued", "running", "awaiting_input", "cancel_requested")
# ExecutionStatus: "running/awaiting_input -> cancel_requested -> cancelled"; cancel on any other status is not
# established by the spec, so it changes nothing (and answers 204, the only success documented).
CANCELLABLE = ("running", "awaiting_input")
_PRIVATE = ("fail_again", "terminable")


def stamp(moment):
    """``2026-11-20T04:22:12.852113Z``: pydantic's UTC datetime shape."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_stamp(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class StateError(Exception):
    """A refusal the app turns into SuperAI's error envelope."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class SuperAIState(EmulatorState):  # pylint: disable=too-many-instance-attributes
    """The SuperAI emulator's state (see ``EmulatorState``)."""

    SWITCHES = {"run_seconds": 0.3}

    def load(self, scenario):
        with self.lock:
            self.token = scenario.get("token", DEFAULT_TOKEN)
            self.api_key = scenario.get("api_key", DEFAULT_API_KEY)
            self.organization_id = scenario.get("organization_id", str(uuid.UUID(int=1)))
            self.user_id = scenario.get("user_id", str(uuid.UUID(int=2)))
            self.flows = {flow["id"]: copy.deepcopy(flow) for flow in scenario.get("flows", [])}
            self.executions, self.by_flow, self.in_flight = {}, {}, {}
            for raw in scenario.get("executions", []):
                if raw["flow_id"] not in self.flows:
                    raise ValueError("execution %s: unknown flow %s" % (raw["id"], raw["flow_id"]))
                if raw["id"] in self.executions:
                    raise ValueError("duplicate execution id %s" % raw["id"])
                execution = copy.deepcopy(raw)
                execution.setdefault("fail_again", 0)
                execution.setdefault("terminable", True)
                self.executions[raw["id"]] = execution
                self.by_flow.setdefault(raw["flow_id"], []).append(raw["id"])
            self.execute_calls, self.cancel_calls, self.delete_calls = {}, {}, {}  # id -> [only_stale, ...] / count / count
            self.other_actions = []  # what the ``other_actors`` switch did

    # Reading.

    def flow(self, flow_id):
        flow = self.flows.get(flow_id)
        if flow is None or flow.get("deleted"):
            raise StateError(404, "not_found", "Flow not found")
        return flow

    def flow_view(self, flow_id):
        with self.lock:
            flow = self.flow(flow_id)
            view = {"created_at": flow["created_at"], "updated_at": flow["updated_at"], "modified_by": self.user_id,
                    "description": None, "status": "published", "is_latest": True, "organization_id": self.organization_id,
                    "definition": {}, "settings": None, "tags": [], "deleted": False,
                    "flow_executions_count": len(self.by_flow.get(flow_id, []))}
            view.update(copy.deepcopy(flow))
            return view

    def _execution(self, execution_id):
        execution = self.executions.get(execution_id)
        if execution is None or execution["status"] == "deleted":
            raise StateError(404, "not_found", "Resource not found")
        return execution

    def _view(self, execution):
        view = {key: copy.deepcopy(value) for key, value in execution.items() if key not in _PRIVATE}
        view.update(organization_id=self.organization_id, pricing_config_id=None, total_credits=None,
                    triggered_task_executor_name=None, run_number=None)
        view.setdefault("modified_by", "system")
        return view

    def execution_view(self, execution_id, poll=True):
        """GET /flow-executions/{id}; a poll moves a re-executed run on (see ``_advance``)."""
        with self.lock:
            execution = self._execution(execution_id)
            if poll and execution_id in self.in_flight:
                self.in_flight[execution_id][1] += 1
            self._advance(execution_id)
            return self._view(execution)

    def list_executions(self, flow_id, statuses=(), excluded=(), sort_field="created_at", descending=True, page=1,
                        page_size=10, bounds=None):
        """One page of a flow's executions (soft-deleted ones never), sorted with the id as tie-break.

        ``bounds`` is ``{(field, "after" | "before"): aware datetime}``, every bound inclusive.
        """
        with self.lock:
            self.flow(flow_id)
            rows = [self.executions[i] for i in self.by_flow.get(flow_id, [])]
            rows = [row for row in rows if row["status"] != "deleted" and (not statuses or row["status"] in statuses)
                    and row["status"] not in excluded and _within(row, bounds or {})]
            rows.sort(key=lambda row: (row[sort_field], row["id"]), reverse=descending)
            return [self._view(row) for row in rows[(page - 1) * page_size:page * page_size]]

    # Writing.

    def _touch(self, execution, status):
        """Set the status and move updated_at strictly forward (scenario times may lie in the future)."""
        now = datetime.now(timezone.utc)
        previous = parse_stamp(execution["updated_at"])
        execution["updated_at"] = stamp(max(now, previous + timedelta(microseconds=1)))
        execution["status"] = status

    @staticmethod
    def _refuse_if_stuck(execution):
        if execution["status"] in ACTIVE and not execution["terminable"]:
            raise StateError(409, "conflict", "Workflow is currently running and cannot be terminated")

    def execute(self, execution_id, only_stale):
        """POST /flow-executions/{id}/execute: any status -> running on the flow's latest version, same id."""
        with self.lock:
            execution = self._execution(execution_id)
            self._refuse_if_stuck(execution)
            execution["flow_version"] = self.flows[execution["flow_id"]]["version"]
            execution["modified_by"] = self.user_id
            self._touch(execution, "running")
            self.in_flight[execution_id] = [time.monotonic(), 0]
            self.execute_calls.setdefault(execution_id, []).append(only_stale)

    def cancel(self, execution_id):
        """POST /flow-executions/{id}/cancel: running/awaiting_input -> cancel_requested -> cancelled; else no change."""
        with self.lock:
            execution = self._execution(execution_id)
            self.cancel_calls[execution_id] = self.cancel_calls.get(execution_id, 0) + 1
            if execution["status"] in CANCELLABLE:
                self._touch(execution, "cancel_requested")
                self.in_flight[execution_id] = [0.0, 2]  # cancelled on the next request

    def delete(self, execution_id):
        """DELETE /flow-executions/{id}: soft delete, any status -> deleted; again is a success; unknown ids 404."""
        with self.lock:
            execution = self.executions.get(execution_id)
            if execution is None:
                raise StateError(404, "not_found", "Resource not found")
            self.delete_calls[execution_id] = self.delete_calls.get(execution_id, 0) + 1
            if execution["status"] != "deleted":
                self._touch(execution, "deleted")  # a run still in flight goes on, but the record stays deleted

    def act_as_other(self, when, execution_ids):
        """Apply the ``other_actors`` rules ``{"when": "listed" | "executed", "execution", "action", "times"?}`` that
        match: ``execute`` (any status -> running), ``cancel`` (running/awaiting_input -> cancel_requested ->
        cancelled), ``delete`` (any status -> deleted; never listed or returned again), as the OpenAPI's
        ExecutionStatus transitions and the cancel/delete operations describe them. Our own call counts are untouched."""
        with self.lock:
            for rule in self.other_actor_rules(when, "execution", execution_ids):
                counts = copy.deepcopy((self.execute_calls, self.cancel_calls, self.delete_calls))
                try:
                    {"execute": lambda key: self.execute(key, False), "cancel": self.cancel,
                     "delete": self.delete}[rule["action"]](rule["execution"])
                    applied = True
                except StateError:
                    applied = False
                self.execute_calls, self.cancel_calls, self.delete_calls = counts
                self.other_actions.append({"when": when, "execution": rule["execution"], "action": rule["action"],
                                           "applied": applied})

    def _advance(self, execution_id):
        flight = self.in_flight.get(execution_id)
        if flight is None:
            return
        started, polls = flight
        if time.monotonic() - started < float(self.switches.get("run_seconds", 0.3)) and polls < 2:
            return
        del self.in_flight[execution_id]
        execution = self.executions[execution_id]
        if execution["status"] == "deleted":
            return  # "Deletion is permanent - no undelete functionality exists"
        if execution["status"] == "cancel_requested":
            self._touch(execution, "cancelled")
        elif execution["fail_again"] > 0:
            execution["fail_again"] -= 1
            self._touch(execution, "failed")
        else:
            self._touch(execution, "completed")

    def advance_all(self):
        with self.lock:
            for execution_id in list(self.in_flight):
                self._advance(execution_id)

    # For tests and the admin endpoint.

    def statuses(self, flow_id=None):
        """``{execution_id: status}`` (deleted ones included), after due runs finish."""
        with self.lock:
            self.advance_all()
            return {i: e["status"] for i, e in self.executions.items() if flow_id is None or e["flow_id"] == flow_id}

    def summary(self):
        with self.lock:
            counts = {}
            for execution_id, status in self.statuses().items():
                flow_counts = counts.setdefault(self.executions[execution_id]["flow_id"], {})
                flow_counts[status] = flow_counts.get(status, 0) + 1
            return {"executions_by_flow": counts, "execute_calls": copy.deepcopy(self.execute_calls),
                    "cancel_calls": dict(self.cancel_calls), "delete_calls": dict(self.delete_calls),
                    "in_flight": len(self.in_flight)}


def _within(row, bounds):
    for (field, side), moment in bounds.items():
        value = parse_stamp(row[field])
        if (side == "after" and value < moment) or (side == "before" and value > moment):
            return False
    return True


# Scenarios.

def generate(flows=3, executions=12, failed_share=0.4, stale_share=0.1, cancelled_share=0.05, fail_again_share=0.2,
             fail_again_times=1, running=1, deleted=1, seed=0, start="2026-11-20T00:00:00Z", window_seconds=86400):
    """A deterministic scenario for ``seed``.

    Each flow gets ``executions`` executions: failed, stale, cancelled or completed by the shares; ``fail_again_share``
    of the failed and stale ones fail ``fail_again_times`` more re-executions. Each flow also gets ``running``
    running executions SuperAI cannot terminate (409s) and ``deleted`` soft-deleted failed ones (never listed).
    """
    rng = random.Random(seed)

    def new_uuid():
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    begin = parse_stamp(start)
    scenario = {"token": DEFAULT_TOKEN, "api_key": DEFAULT_API_KEY, "organization_id": new_uuid(), "user_id": new_uuid(),
                "flows": [], "executions": []}

    def moment():
        return begin + timedelta(microseconds=rng.randrange(int(window_seconds * 1000000)))

    for number in range(1, flows + 1):
        created = stamp(begin - timedelta(days=30))
        flow = {"id": new_uuid(), "display_name": "Invoice extraction %d" % number, "version": rng.randint(1, 3),
                "created_at": created, "updated_at": created,
                "definition": {"tasks": [{"name": "receive_file"}, {"name": "extract_fields"}, {"name": "post_to_erp"}]}}
        scenario["flows"].append(flow)
        plan = [None] * executions + ["running"] * running + ["deleted"] * deleted
        for index, fixed in enumerate(plan):
            roll = rng.random()
            status = fixed or ("failed" if roll < failed_share else "stale" if roll < failed_share + stale_share
                               else "cancelled" if roll < failed_share + stale_share + cancelled_share else "completed")
            created_at = moment()
            retries = fail_again_times if status in ("failed", "stale") and rng.random() < fail_again_share else 0
            scenario["executions"].append({
                "id": new_uuid(), "flow_id": flow["id"], "flow_version": rng.randint(1, flow["version"]),
                "status": status, "input": {"file_key": "documents/invoice-%d-%03d.pdf" % (number, index)},
                "created_at": stamp(created_at), "updated_at": stamp(created_at + timedelta(seconds=rng.randint(1, 90))),
                "modified_by": "system", "fail_again": retries, "terminable": status != "running"})
    return scenario


def parse_spec(text):
    """``"flows=3,executions=12,seed=1"`` -> generate() keyword arguments."""
    return generator_spec(text, generate)


def default_scenario():
    """What the pytest fixture starts with: 3 flows x 12 executions (+ 1 stuck running and 1 deleted each)."""
    return generate()


# Finding things in a scenario (what the API should list; deleted ones never).

def execution_ids(scenario, flow_id=None, statuses=None, fail_again=None):
    return [e["id"] for e in scenario["executions"]
            if (flow_id is None or e["flow_id"] == flow_id) and (statuses is None or e["status"] in statuses)
            and (fail_again is None or bool(e.get("fail_again")) == fail_again)]


def flow_ids(scenario):
    return [flow["id"] for flow in scenario["flows"]]
