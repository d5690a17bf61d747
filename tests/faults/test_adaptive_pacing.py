"""Adaptive pacing against an emulator that enforces a rate window (like Cloudflare's 1,200 requests per 5 minutes,
scaled down): a paced run completes with few 429s; an unpaced one adapts after its first 429s and completes too.
Counts are asserted, not times (speed is measured in benchmarks/, case "pacing")."""

# pylint: disable=redefined-outer-name

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.faults.harness import logged, posted_keys, run_inprocess, small_scenario

WINDOW = [20, 1.0]  # 20 requests in any 1 s


@pytest.fixture
def scenario():
    return small_scenario(instances=10, steps=2, errors=6)


def rate_limited(emulator):
    return [entry for entry in logged(emulator) if entry["status"] == 429]


def test_a_run_paced_at_the_window_rate_completes_with_few_429s(celigo_emulator_factory, scenario):
    emulator = celigo_emulator_factory(scenario, rate_window=WINDOW)
    result, adapter = run_inprocess("flow_errors_retry", emulator.url, emulator.token,
                                    abstract_flow_id=scenarios.abstract_flow_ids(scenario),
                                    max_requests_per_second=WINDOW[0] / WINDOW[1])
    keys = [key for flow_id in scenarios.instance_ids(scenario) for key in scenarios.retry_keys(scenario, flow_id)]
    assert result["counts"]["retried"] == len(keys)
    assert sorted(posted_keys(emulator)) == sorted(keys)  # each key sent once, none lost to a 429
    assert len(logged(emulator)) > 2 * WINDOW[0]  # the job outlasts the window: pacing had to hold it back
    assert len(rate_limited(emulator)) <= 2
    assert adapter.client.rate_limited_count == len(rate_limited(emulator))


def test_an_unpaced_run_waits_out_429s_and_completes(celigo_emulator_factory, scenario):
    emulator = celigo_emulator_factory(scenario, rate_window=WINDOW)
    result, adapter = run_inprocess("flow_errors_retry", emulator.url, emulator.token,
                                    abstract_flow_id=scenarios.abstract_flow_ids(scenario), max_concurrency=8)
    keys = [key for flow_id in scenarios.instance_ids(scenario) for key in scenarios.retry_keys(scenario, flow_id)]
    assert result["counts"]["retried"] == len(keys)
    assert sorted(posted_keys(emulator)) == sorted(keys)
    refused = len(rate_limited(emulator))
    assert refused >= 1  # it did run into the window ...
    assert refused < len(logged(emulator)) / 2  # ... and waited out each Retry-After instead of hammering
    assert adapter.client._ceiling.decreases == 0  # pylint: disable=protected-access  # no cap: never paced
