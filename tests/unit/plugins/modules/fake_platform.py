"""An in-memory platform adapter and module stand-in for testing modules' ``run()`` directly."""

import importlib
import itertools

from ansible_collections.flowops.ipaas.plugins.module_utils._run.runner import build_context
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.base import OPERATIONS, PlatformAdapter

_ids = itertools.count(1)


def new_id(prefix="e"):
    return "%s%06d" % (prefix, next(_ids))


class FakeModule:
    """What ``run()`` uses of AnsibleModule: params (with the spec's defaults), check mode, diff, warn."""

    def __init__(self, spec, check_mode=False, diff=False, **params):
        self.params = {}
        for name, option in spec.items():
            self.params[name] = option.get("default")
        unknown = set(params) - set(spec)
        assert not unknown, "unknown options %s" % unknown
        self.params.update(params)
        self.check_mode = check_mode
        self._diff = diff
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)


def run_with(run, module, adapter):
    """Call a module's ``run()`` the way the runner does: its context and collaborators built once by
    ``build_context`` with the module's own ``build``."""
    ctx, collaborators = build_context(module, adapter, getattr(importlib.import_module(run.__module__), "build", None))
    return run(ctx, **collaborators)


class FakeAdapter(PlatformAdapter):
    """Flows with steps and open errors; retries apply at once; every call is logged."""

    name = "fake"
    retry_strategies = ("retry", "exponential_decay")
    capabilities = frozenset(OPERATIONS) - {"get_connection", "flow_connections", "replace_connection", "run_flow"}

    def __init__(self):
        super().__init__(client=None)
        self.flows = {}
        self.open = {}        # (flow, step) -> {errorId: error}
        self.resolved = {}    # errorId -> error
        self.fail_again = {}  # retryDataKey -> remaining failures
        self.calls = []
        self.retry_counts = {}
        self.jobs = {}
        self.faults = []      # callables (method, flow_id, step_id, payload) -> exception or None

    # scenario -------------------------------------------------------------------------------------
    def add_flow(self, flow_id, steps=("s1",), disabled=False, abstract=None):
        self.flows[flow_id] = {"_id": flow_id, "name": "Flow %s" % flow_id, "disabled": disabled,
                               "_abstractFlowId": abstract, "_integrationId": None, "steps": list(steps)}
        for step in steps:
            self.open.setdefault((flow_id, step), {})

    def add_errors(self, flow_id, step_id, count, retryable=True, classification="intermittent", fail_again=0):
        added = []
        for dummy in range(count):
            error = {"errorId": new_id("e"), "occurredAt": "2026-11-20T04:00:00Z", "source": "application",
                     "code": "503", "message": "Service Unavailable", "classification": classification}
            if retryable:
                error["retryDataKey"] = new_id("k")
                self.fail_again[error["retryDataKey"]] = fail_again
            self.open[(flow_id, step_id)][error["errorId"]] = error
            added.append(error)
        return added

    def writes(self):
        return [call for call in self.calls if call[0] != "GET"]

    def _log(self, method, what, flow_id=None, step_id=None, payload=None):
        self.calls.append((method, what, flow_id, step_id, payload))
        for fault in list(self.faults):
            exc = fault(method, flow_id, step_id, payload)
            if exc is not None:
                raise exc

    # adapter --------------------------------------------------------------------------------------
    def get_flow(self, flow_id):
        self._log("GET", "flow", flow_id)
        if flow_id not in self.flows:
            raise FlowOpsError("flow not found", status=404, method="GET", path="/v1/flows/%s" % flow_id)
        return {k: v for k, v in self.flows[flow_id].items() if k != "steps"}

    def list_flows(self, abstract_flow_id=None, integration_id=None):
        self._log("GET", "flows")
        for flow in self.flows.values():
            if abstract_flow_id and flow["_abstractFlowId"] == abstract_flow_id:
                yield {k: v for k, v in flow.items() if k != "steps"}

    def flow_steps(self, flow_id):
        self._log("GET", "steps", flow_id)
        return [{"_id": step, "name": "Step %s" % step, "type": "import"} for step in self.flows[flow_id]["steps"]]

    def error_summary(self, flow_id):
        self._log("GET", "summary", flow_id)
        return {step: {"open_errors": len(self.open[(flow_id, step)]), "last_error_at": None}
                for step in self.flows[flow_id]["steps"]}

    def iter_errors(self, flow_id, step_id, resolved=False, filters=None):
        self._log("GET", "errors", flow_id, step_id)
        source = [e for e in self.resolved.values() if e["_flowId"] == flow_id and e["_stepId"] == step_id] if resolved \
            else list(self.open[(flow_id, step_id)].values())
        for error in source:
            yield dict(error, _flowId=flow_id, _stepId=step_id)

    def retry(self, flow_id, step_id, keys, strategy, options=None, listed=None):
        self._log("POST", "retry", flow_id, step_id, list(keys))
        if self.flows[flow_id]["disabled"]:
            raise FlowOpsError("Flow is disabled", status=422, code="inactive_flow", method="POST", path="retry")
        step_errors = self.open[(flow_id, step_id)]
        matched = [e for e in list(step_errors.values()) if e.get("retryDataKey") in set(keys)]
        if not matched:
            return None
        for error in matched:
            key = error["retryDataKey"]
            self.retry_counts[key] = self.retry_counts.get(key, 0) + 1
            del step_errors[error["errorId"]]
            self.resolved[error["errorId"]] = dict(error, _flowId=flow_id, _stepId=step_id)
            if self.fail_again.get(key):
                self.fail_again[key] -= 1
                again = dict(error, errorId=new_id("e"))
                step_errors[again["errorId"]] = again
        job = {"_id": new_id("j"), "type": "retry", "status": "queued"}
        self.jobs[job["_id"]] = job
        return dict(job, done=False)

    def get_job(self, job_id):
        self._log("GET", "job", job_id)
        job = self.jobs[job_id]
        job["status"] = "completed"
        return dict(job, done=True)

    def resolve(self, flow_id, step_id, error_ids):
        self._log("PUT", "resolve", flow_id, step_id, list(error_ids))
        step_errors = self.open[(flow_id, step_id)]
        for error_id in error_ids:
            if error_id in step_errors:
                self.resolved[error_id] = dict(step_errors.pop(error_id), _flowId=flow_id, _stepId=step_id)

    def retry_data(self, flow_id, step_id, key):
        self._log("GET", "retry_data", flow_id, step_id)
        return {"retryDataKey": key, "data": {"order": key}, "stage": "page_processor_import", "oneToMany": False}


class FakeConnectionsAdapter(FakeAdapter):
    """Adds connections: each flow step uses one, and replace_connection swaps it for that flow only."""

    capabilities = frozenset(OPERATIONS)

    def __init__(self):
        super().__init__()
        self.connections = {}
        self.step_connections = {}  # flow_id -> {step_id: connection_id}

    def add_connection(self, connection_id, kind):
        self.connections[connection_id] = {"_id": connection_id, "name": "Conn %s" % connection_id, "type": kind}

    def use(self, flow_id, step_id, connection_id):
        self.step_connections.setdefault(flow_id, {})[step_id] = connection_id

    def get_connection(self, connection_id):
        self._log("GET", "connection", connection_id)
        if connection_id not in self.connections:
            raise FlowOpsError("Not found", status=404, method="GET", path="/v1/connections/%s" % connection_id)
        return dict(self.connections[connection_id])

    def flow_connections(self, flow_id):
        self._log("GET", "descendants", flow_id)
        return [{"step_id": step, "name": "Step %s" % step, "type": "import", "_connectionId": conn}
                for step, conn in sorted(self.step_connections.get(flow_id, {}).items())]

    def replace_connection(self, flow_id, old_id, new_id):
        self._log("PUT", "replaceConnection", flow_id, None, (old_id, new_id))
        if self.connections[old_id]["type"] != self.connections[new_id]["type"]:
            raise FlowOpsError("type mismatch", status=422, method="PUT", path="replaceConnection")
        for step, conn in self.step_connections.get(flow_id, {}).items():
            if conn == old_id:
                self.step_connections[flow_id][step] = new_id
