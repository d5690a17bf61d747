"""Activepieces emulator scenarios: a deterministic generator and the scenario format.

A scenario is ``{"token", "project_id", "flows": [...], "runs": [...]}``. A run is ``{"id", "flowId", "created",
"status", "tags"}`` plus, for a failed run, ``failed_step`` (the step it failed at, or None), ``message`` (that
step's error message, served only by GET /v1/flow-runs/{id} as ``steps[<step>].errorMessage``), ``kind`` and
``fail_again`` (how many retries of it fail again). Optional: ``finishTime``, ``archivedAt``, ``parentRunId``,
``payload``.
"""

import random
from datetime import timedelta

from ..core.app import iso, parse_iso
from ..core.scenario_files import generator_spec

DEFAULT_TOKEN = "sk-emulator" + "0" * 53  # an API key: 'sk-' + 61 characters, like api-key-service generates
ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
# kind -> (status, failed step or None, message); the generator draws kinds by weight.
KINDS = {
    "timeout": ("TIMEOUT", "step_2", "Step exceeded the maximum execution time of 600 seconds"),
    "internal_error": ("INTERNAL_ERROR", None, None),
    "quota": ("QUOTA_EXCEEDED", None, None),
    "memory": ("MEMORY_LIMIT_EXCEEDED", None, None),
    "rate_limit": ("FAILED", "step_2", "Request failed with status code 429: Too Many Requests"),
    "connection_reset": ("FAILED", "step_1", "socket hang up (ECONNRESET)"),
    "value": ("FAILED", "step_2", "Invalid value for field 'amount': expected a number"),
    "duplicate": ("FAILED", "step_2", "A record with the same external id already exists"),
}
DEFAULT_KINDS = {"timeout": 2, "internal_error": 1, "quota": 1, "rate_limit": 2, "connection_reset": 2, "value": 2, "duplicate": 1}
STEP_NAMES = {"trigger": "New order", "step_1": "Look up customer", "step_2": "Create invoice"}


def new_id(rng):
    """An ApId: 21 alphanumerics."""
    return "".join(rng.choice(ALPHABET) for dummy in range(21))


def generate(*, flows=4, disabled=1, failed_runs=6, succeeded_runs=2,  # pylint: disable=too-many-arguments,too-many-locals
             fail_again_share=0.2, kinds=None, seed=0, start="2026-11-20T00:00:00Z", window_seconds=86400):
    """A deterministic scenario for ``seed``: ``flows`` flows in two folders (the last ``disabled`` of them
    DISABLED), each with ``failed_runs`` failed runs of ``kinds`` (names or name -> weight, see ``KINDS``)
    and ``succeeded_runs`` succeeded ones; ``fail_again_share`` of the failed runs fail their first retry."""
    rng = random.Random(seed)
    weights = kinds or DEFAULT_KINDS
    if not isinstance(weights, dict):
        weights = dict.fromkeys(weights, 1)
    names = sorted(weights)
    begin = parse_iso(start)
    folders = [new_id(rng), new_id(rng)]
    scenario = {"token": DEFAULT_TOKEN, "project_id": new_id(rng), "flows": [], "runs": []}
    for number in range(flows):
        flow = {"id": new_id(rng), "displayName": "Order sync %02d" % (number + 1), "versionId": new_id(rng),
                "status": "DISABLED" if number >= flows - disabled else "ENABLED", "folderId": folders[number % 2]}
        scenario["flows"].append(flow)
        for index in range(failed_runs + succeeded_runs):
            created = iso(begin + timedelta(milliseconds=rng.randrange(int(window_seconds * 1000))))
            run = {"id": new_id(rng), "flowId": flow["id"], "created": created, "tags": ["vip"] if rng.random() < 0.2 else []}
            if index < failed_runs:
                kind = rng.choices(names, [weights[name] for name in names])[0]
                run["status"], run["failed_step"], run["message"] = KINDS[kind]
                run.update(kind=kind, fail_again=1 if rng.random() < fail_again_share else 0)
            else:
                run["status"] = "SUCCEEDED"
            scenario["runs"].append(run)
    return scenario


def parse_spec(text):
    """``"flows=4,failed_runs=6,seed=1"`` -> generate() keyword arguments (``kinds=timeout:2/value``)."""
    return generator_spec(text, generate, weights=("kinds",))


def default_scenario():
    """4 flows (the last disabled), 6 failed and 2 succeeded runs each."""
    return generate(seed=0)


def flow_ids(scenario, disabled=None):
    return [flow["id"] for flow in scenario["flows"] if disabled is None or (flow["status"] == "DISABLED") == disabled]
