# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""canary.py: the typed canary options, the round-robin pick, and waves of N, 2N, 4N ... keys watched by the circuit
breaker (through flow_errors_retry's run() on an in-memory platform)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.canary import CanaryOptions, spread
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError
from ansible_collections.flowops.ipaas.plugins.modules import flow_errors_retry

from ansible_collections.flowops.ipaas.tests.unit.plugins.modules.fake_platform import FakeAdapter, FakeModule, run_with


def test_spread_picks_round_robin_over_flows_then_steps():
    groups = [(("f1", "s1"), ["a1", "a2", "a3"]), (("f1", "s2"), ["b1"]), (("f2", "s1"), ["c1", "c2"])]
    picked = [key for dummy, dummy2, key in spread(groups, 10)]
    assert picked == ["a1", "c1", "b1", "c2", "a2", "a3"]
    assert [key for dummy, dummy2, key in spread(groups, 2)] == ["a1", "c1"]
    assert spread([], 5) == [] and spread(groups, 0) == []


@pytest.mark.parametrize("params, expected", [
    ({}, None), ({"canary_keys": 0}, None), ({"canary_keys": 5}, (5, 0.5)),
    ({"canary_keys": 5, "max_failed_again_ratio": 0.0}, (5, 0.0)), ({"canary_keys": 1, "max_failed_again_ratio": 1}, (1, 1)),
])
def test_canary_options_read_once_and_give_the_settings(params, expected):
    assert CanaryOptions.from_params(params).settings() == expected


@pytest.mark.parametrize("options, message", [
    (CanaryOptions(-1), "canary_keys: -1 is out of range; use a value between 0 and 1000000"),
    (CanaryOptions(5, 1.5), "max_failed_again_ratio: 1.5 is out of range; use a value between 0 and 1"),
    (CanaryOptions(0, 0.2), "max_failed_again_ratio: needs canary_keys"),
])
def test_bad_canary_options_fail_naming_the_option(options, message):
    with pytest.raises(ValidationError) as info:
        options.settings()
    assert str(info.value).startswith(message)


def platform_with(keys_per_flow=5, fail_again=0):
    adapter = FakeAdapter()
    for index in range(4):
        adapter.add_flow("f%d" % index, steps=("s1",), abstract="abs")
        adapter.add_errors("f%d" % index, "s1", keys_per_flow, fail_again=fail_again)
    return adapter


def module(**params):
    return FakeModule(flow_errors_retry.ARGUMENT_SPEC, abstract_flow_id=["abs"], poll_interval=0.01, **params)


def sent_keys(platform):
    return [len(call[4]) for call in platform.writes() if call[1] == "retry"]


def test_waves_double_until_every_key_is_sent_once():
    platform = platform_with()
    result = run_with(flow_errors_retry.run, module(canary_keys=2), platform)
    assert [wave["keys"] for wave in result["waves"]] == [2, 4, 8, 6]
    assert all(wave["why"] is None and wave["failed_again"] == 0 for wave in result["waves"])
    assert result["counts"]["retried"] == result["counts"]["succeeded"] == 20 and result["counts"]["not_attempted_breaker"] == 0
    assert set(platform.retry_counts.values()) == {1} and len(platform.retry_counts) == 20
    first_wave = [call[2] for call in platform.writes()[:2]]
    assert sorted(first_wave) == ["f0", "f1"]  # the canary is spread over flows, not taken from one (sent concurrently)


def test_the_breaker_trips_after_a_bad_wave_and_leaves_every_other_key_untouched():
    platform = platform_with(fail_again=1)
    with pytest.raises(FlowOpsError) as info:
        run_with(flow_errors_retry.run, module(canary_keys=2), platform)
    message = str(info.value)
    assert message.startswith("canary: circuit breaker tripped after wave 1 of 2 keys: 2 of 2 retried keys failed again, "
                              "ratio 1.00 > max_failed_again_ratio 0.5; stopped, 18 keys left untouched (not_attempted_breaker). "
                              "First failures: ")
    result = info.value.result
    assert (result["counts"]["retried"], result["counts"]["failed_again"], result["counts"]["not_attempted_breaker"]) == (2, 2, 18)
    assert sent_keys(platform) == [1, 1] and len(result["waves"]) == 1


def test_a_ratio_at_the_limit_does_not_trip_the_breaker():
    platform = platform_with(keys_per_flow=1)
    platform.fail_again[platform.open[("f0", "s1")][next(iter(platform.open[("f0", "s1")]))]["retryDataKey"]] = 1
    result = run_with(flow_errors_retry.run, module(canary_keys=2, max_failed_again_ratio=0.5), platform)
    assert [wave["failed_again_ratio"] for wave in result["waves"]] == [0.5, 0.0]
    assert result["counts"]["retried"] == 4 and result["counts"]["failed_again"] == 1


def test_check_mode_sends_no_wave():
    platform = platform_with()
    result = run_with(flow_errors_retry.run, FakeModule(flow_errors_retry.ARGUMENT_SPEC, check_mode=True, abstract_flow_id=["abs"],
                                                        canary_keys=2), platform)
    assert platform.writes() == [] and "waves" not in result and result["counts"]["retried"] == 20
