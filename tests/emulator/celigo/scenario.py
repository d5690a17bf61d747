"""Scenarios: load and save them as JSON, generate them deterministically, and find things in them.

A scenario is a JSON-serialisable dict: token, user_id, connections, integrations, exports, imports,
flows (abstract flows carry the steps; instances point at them with ``_abstractFlowId``) and errors
(``fail_again``, ``retry_data`` and ``fail_unless`` are the emulator's own and never returned by the API;
``fail_unless: {field: JSON type}`` makes a retry fail again until the record's retry data has that field with that
type, as a patched record fixes it).
"""

import random
from datetime import datetime, timedelta

from ..core.scenario_files import generator_spec

DEFAULT_CLASSIFICATIONS = {"intermittent": 4, "rate_limit": 2, "value": 2, "duplicate": 1}
# classification -> (source, code, message)
ERROR_TEXT = {
    "intermittent": ("connection", "ECONNRESET", "socket hang up: the connection was reset by the target system"),
    "rate_limit": ("application", "429", "Too Many Requests: the target API rate limit was exceeded"),
    "value": ("application", "INVALID_FIELD", "Invalid value for field 'amount': expected a number"),
    "duplicate": ("application", "DUPLICATE_RECORD", "A record with the same external id already exists"),
    "connection": ("connection", "401", "Authentication failed: the connection's credentials were rejected"),
}
SPEC_ALIASES = {"errors": "errors_per_step", "abstract": "abstract_flows", "plain": "plain_flows",
                "disabled": "disabled_instances", "retryable": "retryable_share", "fail_again": "fail_again_share"}


def _error_text(classification):
    return ERROR_TEXT.get(classification) or ("application", classification.upper(), "Error classified as %s" % classification)


def generate(instances=40, abstract_flows=1, steps=2, errors_per_step=30, retryable_share=0.9, fail_again_share=0.1,
             disabled_instances=1, classifications=None, seed=0, start="2026-11-20T00:00:00Z", plain_flows=0,
             fail_again_times=1, window_seconds=86400, lazy=False):  # pylint: disable=too-many-locals
    """A deterministic scenario for ``seed``.

    ``instances`` and ``disabled_instances`` (the last ones) are per abstract flow; ``steps`` counts the
    page generator export plus ``steps - 1`` imports; every instance and plain flow gets ``errors_per_step``
    errors on each step. An error has a retryDataKey with probability ``retryable_share`` and then a
    classification drawn from ``classifications`` (names or name -> weight); the others are connection
    errors without a key. ``fail_again_share`` of the retryable ones fail ``fail_again_times`` more retries.
    Connections: an HTTP sandbox and an HTTP production one (the imports use the sandbox one) and a
    NetSuite one (the exports). ``lazy=True`` makes ``errors`` an iterator, to load large scenarios lean.
    """
    if steps < 1:
        raise ValueError("steps must be at least 1")
    rng = random.Random(seed)

    def oid():
        return "%024x" % rng.getrandbits(96)

    weights = classifications or DEFAULT_CLASSIFICATIONS
    if not isinstance(weights, dict):
        weights = dict.fromkeys(weights, 1)
    names = [name for name in weights if name != "connection"] or ["intermittent"]
    sandbox, production, other = oid(), oid(), oid()
    scenario = {
        "token": "emulator-token", "user_id": oid(),
        "connections": [{"_id": sandbox, "name": "HTTP sandbox", "type": "http", "environment": "sandbox"},
                        {"_id": production, "name": "HTTP production", "type": "http", "environment": "production"},
                        {"_id": other, "name": "NetSuite production", "type": "netsuite", "environment": "production"}],
        "integrations": [{"_id": oid(), "name": "Order sync (multi-instance)"}, {"_id": oid(), "name": "Standalone flows"}],
        "exports": [], "imports": [], "flows": [],
    }
    multi, standalone = (item["_id"] for item in scenario["integrations"])
    targets = []  # (flow_id, step_ids) that get errors

    def add_steps(label):
        export = {"_id": oid(), "name": "Get %s" % label, "adaptorType": "NetSuiteExport", "_connectionId": other}
        imports = [{"_id": oid(), "name": "Post %s (%d)" % (label, i + 1), "adaptorType": "HTTPImport", "_connectionId": sandbox}
                   for i in range(steps - 1)]
        scenario["exports"].append(export)
        scenario["imports"].extend(imports)
        return ({"pageGenerators": [{"_exportId": export["_id"]}],
                 "pageProcessors": [{"type": "import", "_importId": item["_id"]} for item in imports]},
                [export["_id"]] + [item["_id"] for item in imports])

    for number in range(1, abstract_flows + 1):
        pipeline, steps_of_flow = add_steps("orders %d" % number)
        abstract = dict({"_id": oid(), "name": "Order sync %d" % number, "_integrationId": multi, "disabled": False,
                         "_abstractFlowId": None, "connection_overrides": {}}, **pipeline)
        scenario["flows"].append(abstract)
        for index in range(instances):
            instance = {"_id": oid(), "name": "Order sync %d - store %02d" % (number, index + 1), "_integrationId": multi,
                        "disabled": index >= instances - disabled_instances, "_abstractFlowId": abstract["_id"],
                        "connection_overrides": {}}
            scenario["flows"].append(instance)
            targets.append((instance["_id"], steps_of_flow))
    for number in range(1, plain_flows + 1):
        pipeline, steps_of_flow = add_steps("invoices %d" % number)
        plain = dict({"_id": oid(), "name": "Invoice sync %d" % number, "_integrationId": standalone, "disabled": False,
                      "_abstractFlowId": None, "connection_overrides": {}}, **pipeline)
        scenario["flows"].append(plain)
        targets.append((plain["_id"], steps_of_flow))

    plan = {"rng": rng, "oid": oid, "names": names, "weights": [weights[name] for name in names],
            "retryable_share": retryable_share, "fail_again_share": fail_again_share, "fail_again_times": fail_again_times,
            "start": datetime.fromisoformat(start.replace("Z", "+00:00")), "window_ms": int(window_seconds * 1000)}
    generated = _iter_errors(plan, targets, errors_per_step)
    scenario["errors"] = generated if lazy else list(generated)
    return scenario


def _iter_errors(plan, targets, errors_per_step):
    rng, oid = plan["rng"], plan["oid"]
    for flow_id, steps in targets:
        for step_id in steps:
            for dummy in range(errors_per_step):
                moment = plan["start"] + timedelta(milliseconds=rng.randrange(plan["window_ms"]))
                error = {"_flowId": flow_id, "_stepId": step_id, "errorId": oid(),
                         "occurredAt": moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)}
                if rng.random() < plan["retryable_share"]:
                    classification = rng.choices(plan["names"], plan["weights"])[0]
                    error["retryDataKey"] = "%032x" % rng.getrandbits(128)
                    error["fail_again"] = plan["fail_again_times"] if rng.random() < plan["fail_again_share"] else 0
                else:
                    classification = "connection"
                    error["fail_again"] = 0
                error["source"], error["code"], error["message"] = _error_text(classification)
                error["classification"] = classification
                error["tags"] = ["needs-review"] if classification == "value" and rng.random() < 0.25 else None
                yield error


def parse_spec(text):
    """``"instances=40,steps=2,errors=30"`` -> generate() keyword arguments (aliases: errors, abstract, plain,
    disabled, retryable, fail_again; classifications as ``intermittent:4/value:1`` or ``intermittent/value``)."""
    return generator_spec(text, generate, SPEC_ALIASES)


def default_scenario():
    """The small scenario the pytest fixture starts with: 4 instances (the last disabled) + 1 plain flow, 2 steps, 6 errors a step."""
    return generate(instances=4, steps=2, errors_per_step=6, plain_flows=1, seed=0)


def outage():
    """The demo's outage: 3 abstract flows x 15 instances, 2 steps, 40 errors a step (3,600), exactly one disabled instance."""
    scenario = generate(instances=15, abstract_flows=3, steps=2, errors_per_step=40, disabled_instances=0, seed=2026)
    scenario["flows"][15]["disabled"] = True  # the last instance of the first abstract flow
    return scenario


PRESETS = {"default": default_scenario, "outage": outage}


# Finding things in a scenario.

def flow(scenario, flow_id):
    return next(item for item in scenario["flows"] if item["_id"] == flow_id)


def abstract_flow_ids(scenario):
    return list(dict.fromkeys(item["_abstractFlowId"] for item in scenario["flows"] if item.get("_abstractFlowId")))


def instance_ids(scenario, abstract_flow_id=None, disabled=None):
    return [item["_id"] for item in scenario["flows"] if item.get("_abstractFlowId")
            and (abstract_flow_id is None or item["_abstractFlowId"] == abstract_flow_id)
            and (disabled is None or bool(item.get("disabled")) == disabled)]


def plain_flow_ids(scenario):
    abstract = set(abstract_flow_ids(scenario))
    return [item["_id"] for item in scenario["flows"] if not item.get("_abstractFlowId") and item["_id"] not in abstract]


def step_ids(scenario, flow_id):
    """Step ids in pipeline order (an instance's come from its abstract flow)."""
    base = flow(scenario, flow_id)
    if base.get("_abstractFlowId"):
        base = flow(scenario, base["_abstractFlowId"])
    ids = [item["_exportId"] for item in base.get("pageGenerators") or []]
    processors = list(base.get("pageProcessors") or [])
    for router in base.get("routers") or []:
        for branch in router.get("branches") or []:
            processors.extend(branch.get("pageProcessors") or [])
    ids += [item.get("_importId") or item.get("_exportId") for item in processors]
    return list(dict.fromkeys(ids))


def errors(scenario, flow_id=None, step_id=None, retryable=None, classification=None):
    """The scenario's errors matching every filter given (``retryable``: has a retryDataKey)."""
    return [item for item in scenario["errors"]
            if (flow_id is None or item["_flowId"] == flow_id) and (step_id is None or item["_stepId"] == step_id)
            and (retryable is None or bool(item.get("retryDataKey")) == retryable)
            and (classification is None or item.get("classification") == classification)]


def retry_keys(scenario, flow_id, step_id=None):
    return [item["retryDataKey"] for item in errors(scenario, flow_id, step_id, retryable=True)]


def connection_ids(scenario):
    """``{"sandbox", "production", "other_type"}`` ids of a generated scenario, for connection-swap tests."""
    by_name = {item["name"]: item["_id"] for item in scenario["connections"]}
    return {"sandbox": by_name["HTTP sandbox"], "production": by_name["HTTP production"],
            "other_type": by_name["NetSuite production"]}
