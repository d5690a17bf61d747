# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded, ordered fan-out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._run.concurrency import fan_out, fan_out_all
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError


class Gauge:
    """Counts calls running at once; each call waits (briefly) until the pool is full."""

    def __init__(self, max_workers):
        self.max_workers = max_workers
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0
        self.full = threading.Event()

    def __call__(self, item):
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
            if self.active >= self.max_workers:
                self.full.set()
        self.full.wait(0.5)
        time.sleep(0.002)
        with self.lock:
            self.active -= 1
        return item * 10


def test_results_come_back_in_input_order():
    delays = [0.03, 0.0, 0.02, 0.0, 0.01, 0.0]

    def work(index):
        time.sleep(delays[index])
        return "r%d" % index

    results = list(fan_out(work, range(len(delays)), max_workers=3))
    assert results == [(i, "r%d" % i, None) for i in range(len(delays))]


@pytest.mark.parametrize("max_workers", [1, 2, 4])
def test_parallelism_is_bounded_and_used(max_workers):
    gauge = Gauge(max_workers)
    results = list(fan_out(gauge, range(20), max_workers=max_workers))
    assert [result for dummy, result, dummy_error in results] == [i * 10 for i in range(20)]
    assert gauge.peak == max_workers


@pytest.mark.parametrize("value, expected", [(0, 1), (-3, 1), ("2", 2)])
def test_max_workers_is_coerced(value, expected):
    gauge = Gauge(expected)
    assert len(list(fan_out(gauge, range(6), max_workers=value))) == 6
    assert gauge.peak == expected


def test_flowops_error_is_returned_for_its_item_and_others_finish():
    finished = []

    def work(item):
        if item == "bad":
            raise FlowOpsError("flow bad: not found", status=404)
        time.sleep(0.01)
        finished.append(item)
        return item.upper()

    results = list(fan_out(work, ["a", "bad", "c", "d"], max_workers=2))
    assert [(item, result) for item, result, dummy in results] == [("a", "A"), ("bad", None), ("c", "C"), ("d", "D")]
    errors = [error for dummy, dummy_result, error in results]
    assert errors[0] is None and errors[2] is None and errors[3] is None
    assert isinstance(errors[1], FlowOpsError)
    assert errors[1].status == 404
    assert sorted(finished) == ["a", "c", "d"]


def test_other_exceptions_propagate():
    def work(item):
        if item == 2:
            raise KeyError("bug")
        return item

    with pytest.raises(KeyError):
        list(fan_out(work, range(5), max_workers=2))


def test_input_is_consumed_lazily():
    pulled = []

    def source():
        for index in range(100):
            pulled.append(index)
            yield index

    results = fan_out(lambda item: item, source(), max_workers=3)
    assert next(results) == (0, 0, None)
    assert len(pulled) == 12  # at most 4 * max_workers submitted ahead of what was yielded
    assert [item for item, dummy, dummy_error in results] == list(range(1, 100))


def test_a_slow_first_item_does_not_stall_the_others():
    """The first item waits (like a worker sleeping out a Retry-After) until the sixth has run."""
    sixth_ran = threading.Event()

    def work(item):
        if item == 0:
            return sixth_ran.wait(5)
        if item == 5:
            sixth_ran.set()
        return True

    assert [result for dummy, result, dummy_error in fan_out(work, range(8), max_workers=2)] == [True] * 8


def test_empty_input():
    assert not list(fan_out(lambda item: item, [], max_workers=4))
    assert fan_out_all(lambda item: item, [], max_workers=4) == []


def test_fan_out_all_returns_pairs_in_order():
    assert fan_out_all(lambda item: item * 2, [3, 1, 2], max_workers=2) == [(3, 6), (1, 2), (2, 4)]


def test_fan_out_all_raises_the_first_error_in_input_order():
    def work(item):
        if item == 1:
            time.sleep(0.05)
            raise FlowOpsError("first")
        if item == 3:
            raise FlowOpsError("second")
        return item

    with pytest.raises(FlowOpsError) as info:
        fan_out_all(work, range(5), max_workers=4)
    assert str(info.value) == "first"
