"""Benchmark scenarios: what each case generates, what the API must at least be asked, and what must be retried.

The data comes from the emulator's own deterministic generator (tests/emulator/scenario.py), so the
emulator process and this file see the same flows, errors and keys for the same settings and seed.
"""

import math
from collections import Counter

from emulator.celigo import scenario as generator

# The emulator's defaults, which the benchmark keeps (see `python -m emulator celigo --help`).
EMULATOR_PAGE_SIZE = 100
EMULATOR_FLOW_PAGE_SIZE = 100
RETRY_BATCH = 1000  # keys per POST .../retry: the API's limit and the module's default batch_size


def spec(size):
    """The emulator's ``--generate`` setting for one abstract flow: ``size`` has instances, steps and errors (a step)
    and optionally retryable, fail_again (shares), disabled (instances) and seed."""
    settings = dict(retryable=0.9, fail_again=0.1, disabled=0, seed=0)
    settings.update(size)
    return "abstract=1,instances=%(instances)d,steps=%(steps)d,errors=%(errors)d,retryable=%(retryable)s," \
        "fail_again=%(fail_again)s,disabled=%(disabled)d,seed=%(seed)d" % settings


def _count_errors(errors, disabled):
    """Errors, retryable errors and failing-again errors per (flow, step); the keys to retry (enabled flows only)."""
    counts = {"errors_per_step": Counter(), "retryable_per_step": Counter(), "fail_again_per_step": Counter(),
              "keys_to_retry": set()}
    for error in errors:
        target = (error["_flowId"], error["_stepId"])
        counts["errors_per_step"][target] += 1
        if not error.get("retryDataKey"):
            continue
        counts["retryable_per_step"][target] += 1
        if error["_flowId"] not in disabled:
            counts["keys_to_retry"].add(error["retryDataKey"])
            if error.get("fail_again"):
                counts["fail_again_per_step"][target] += 1
    return counts


def describe(generate_spec, page_size=EMULATOR_PAGE_SIZE, flow_page_size=EMULATOR_FLOW_PAGE_SIZE):
    """What the API holds for a ``--generate`` setting: ids, errors and keys per step, the keys to retry.

    Streams the generator (100,000 errors take well under a second) and keeps only counts and keys.
    """
    scenario = generator.generate(**generator.parse_spec(generate_spec), lazy=True)
    instances = [flow for flow in scenario["flows"] if flow.get("_abstractFlowId")]
    disabled = set(flow["_id"] for flow in instances if flow.get("disabled"))
    info = {
        "abstract_flow_id": next(flow["_id"] for flow in scenario["flows"] if not flow.get("_abstractFlowId")),
        "instances": len(instances),
        "enabled_instances": len(instances) - len(disabled),
        "disabled": disabled,
        "page_size": page_size,
        "flow_page_size": flow_page_size,
    }
    info.update(_count_errors(scenario["errors"], disabled))
    info["errors"] = sum(info["errors_per_step"].values())
    return info


def _pages(count, size):
    """Pages of a listing with ``count`` items: the emulator, like the API, sends no empty trailing page."""
    return max(1, int(math.ceil(count / float(size))))


def _step_bounds(info, wait):
    """``(listing pages, retry requests, listing pages after the retry jobs)`` per enabled step with errors."""
    for target, count in info["errors_per_step"].items():
        if target[0] in info["disabled"] or not count:
            yield None
            continue
        keys = info["retryable_per_step"][target]
        batches = int(math.ceil(keys / float(RETRY_BATCH)))
        left_open = count - keys + info["fail_again_per_step"][target]
        relisting = _pages(left_open, info["page_size"]) if wait and batches else 0
        yield _pages(count, info["page_size"]), batches, relisting


def lower_bound(info, wait=False):
    """The fewest API requests the job needs, by kind.

    Retrying everything needs: the pages of the instance list; one error summary per enabled instance
    (a disabled instance is known from the list and can be left alone); for every step with errors, its
    listing pages; one retry per 1000 keys. With ``wait``: one poll per retry job and one fresh listing
    of every retried step after its job finished (to reconcile failed-again keys).
    """
    flow_pages = _pages(info["instances"], info["flow_page_size"])
    steps = [step for step in _step_bounds(info, wait) if step is not None]
    listing = sum(step[0] for step in steps)
    retries = sum(step[1] for step in steps)
    kinds = {"flow_list_pages": flow_pages, "summaries": info["enabled_instances"], "error_list_pages": listing,
             "retries": retries}
    if wait:
        kinds.update(job_polls=retries, reconcile_list_pages=sum(step[2] for step in steps))
    # The longest chain of requests that must follow one another: list -> summary -> pages -> retry (-> poll -> relist).
    chain = flow_pages + 1 + max([step[0] for step in steps] or [0]) + 1 + (2 if wait else 0)
    return {"requests": sum(kinds.values()), "by_kind": kinds, "chain": chain}


def lower_bound_seconds(bound, concurrency, latency_ms, throttle=None, job_seconds=0.0):
    """Time for the lower-bound requests at ``concurrency`` requests in flight, each taking ``latency_ms``.

    No client or server CPU time is counted, and never less than the longest chain of dependent requests.
    ``throttle`` is ``(every, retry_after)`` for a 429 on every Nth request: N-1 of every N requests get
    through, and each 429 holds its request slot for the latency plus ``retry_after`` seconds.
    ``job_seconds`` (with ``wait``) is how long the last retry job runs before a poll can find it done.
    """
    latency = latency_ms / 1000.0
    requests = bound["requests"]
    slot_seconds = requests * latency
    if throttle and throttle[0] > 1:
        rejected = int(math.ceil(requests / float(throttle[0] - 1)))
        slot_seconds += rejected * (latency + throttle[1])
    seconds = max(slot_seconds / concurrency, bound["chain"] * latency)
    return seconds + (job_seconds if "job_polls" in bound["by_kind"] else 0.0)
