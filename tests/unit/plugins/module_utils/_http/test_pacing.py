# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AdaptivePacer on a fake clock: halves on 429, recovers additively, never above the cap, one decrease per burst."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
from types import SimpleNamespace

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._http import client as client_module
from ansible_collections.flowops.ipaas.plugins.module_utils._http.pacing import (
    HEADROOM, MIN_RATE, RECOVERY_PER_SECOND, AdaptivePacer)


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.sleeps = []
        self.lock = threading.Lock()

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        with self.lock:
            self.sleeps.append(seconds)
            self.now += seconds


def pacer(per_second, clock):
    return AdaptivePacer(per_second, sleep=clock.sleep, clock=clock.monotonic)


def send(paced, clock, count):
    """``count`` sends in a row; returns their send times."""
    return [paced.wait() for dummy in range(count)]


def gaps(times):
    return [later - earlier for earlier, later in zip(times, times[1:])]


def test_at_the_cap_requests_are_spaced_evenly():
    clock = FakeClock()
    paced = pacer(4, clock)
    times = send(paced, clock, 5)
    assert gaps(times) == pytest.approx([0.25 / HEADROOM] * 4)  # 1 % under the cap
    assert paced.rate() == 4


def test_a_429_halves_the_rate():
    clock = FakeClock()
    paced = pacer(10, clock)
    sent = paced.wait()
    paced.rate_limited(sent)
    assert paced.rate() == pytest.approx(5)
    times = send(paced, clock, 3)
    assert gaps(times) == pytest.approx([0.2 / HEADROOM] * 2, rel=0.02)  # 0.2 s, a little less as the rate recovers


def test_the_rate_recovers_gradually_and_never_above_the_cap():
    clock = FakeClock()
    paced = pacer(10, clock)
    paced.rate_limited(paced.wait())
    seen = []
    for dummy in range(30):
        clock.now += 1
        seen.append(paced.rate())
    # +5 % of the cap (0.5 a second) from 5 back up to 10, then flat at the cap
    assert seen[0] == pytest.approx(5 + RECOVERY_PER_SECOND * 10)
    assert seen[:10] == sorted(seen[:10])
    assert all(later - earlier <= RECOVERY_PER_SECOND * 10 + 1e-9 for earlier, later in zip(seen, seen[1:]))
    assert max(seen) == pytest.approx(10)
    assert seen[-1] == pytest.approx(10)


def test_sends_never_exceed_the_cap_over_any_second():
    clock = FakeClock()
    paced = pacer(5, clock)
    times = send(paced, clock, 20)
    paced.rate_limited(times[-1])
    times += send(paced, clock, 60)
    for index, start in enumerate(times):
        in_one_second = [t for t in times[index:] if t < start + 1.0]
        assert len(in_one_second) <= 5


def test_a_burst_of_429s_from_requests_in_flight_halves_only_once():
    clock = FakeClock()
    paced = pacer(8, clock)
    in_flight = send(paced, clock, 8)  # all sent before the server says no
    for sent in in_flight:
        paced.rate_limited(sent)
    assert paced.rate() == pytest.approx(4, rel=0.011)  # half the rate they went at (1 % under the cap)
    later = paced.wait()
    paced.rate_limited(later)  # a request sent after the decrease: a new signal
    assert paced.rate() == pytest.approx(2, rel=0.02)  # half of 4 plus what it regained in the meantime


def test_repeated_429s_stop_at_the_floor():
    clock = FakeClock()
    paced = pacer(1, clock)
    for dummy in range(20):
        paced.rate_limited(paced.wait())
    assert MIN_RATE <= paced.rate() < 1.5 * MIN_RATE  # each halving meets what the 5 s wait regained


def test_retry_after_holds_every_thread_back_but_not_the_one_that_waited_it_out():
    clock = FakeClock()
    paced = pacer(0, clock)
    sent = paced.wait()
    paced.rate_limited(sent, retry_after=3)
    assert paced.wait(resend=True) == pytest.approx(sent)  # its own Retry-After was slept by the client
    assert paced.wait() == pytest.approx(sent + 3)
    assert clock.sleeps == pytest.approx([3])


def test_without_a_cap_nothing_is_paced_until_a_429():
    clock = FakeClock()
    paced = pacer(0, clock)
    send(paced, clock, 50)
    assert clock.sleeps == []
    assert paced.rate() is None and paced.interval == 0


def test_without_a_cap_a_429_only_pauses_and_never_paces_the_run():
    clock = FakeClock()
    paced = pacer(0, clock)
    times = send(paced, clock, 30)
    paced.rate_limited(times[-1], retry_after=1)
    paced.rate_limited(times[-1], retry_after=1)
    assert paced.rate() is None and paced.decreases == 0
    send(paced, clock, 1)
    assert clock.sleeps == pytest.approx([1])  # the Retry-After, once
    send(paced, clock, 20)
    assert clock.sleeps == pytest.approx([1])  # then unpaced again


def test_thread_safe_sends_from_many_threads_keep_the_spacing():
    clock = FakeClock()
    paced = pacer(10, clock)
    times, lock = [], threading.Lock()

    def worker():
        for dummy in range(25):
            sent = paced.wait()
            with lock:
                times.append(sent)
            if len(times) == 40:
                paced.rate_limited(sent)

    threads = [threading.Thread(target=worker) for dummy in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    times.sort()
    assert len(times) == 100 and len(set(times)) == 100  # every send got its own slot
    assert min(gaps(times)) >= 1.0 / 10 - 1e-9  # never faster than the cap
    assert paced.decreases == 1


def test_the_client_tells_the_pacer_of_a_429_and_counts_it(harness, raw, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(client_module, "time", SimpleNamespace(monotonic=clock.monotonic, sleep=clock.sleep))
    client = harness.client([raw(429, headers={"Retry-After": "1"}), raw(200, {}), raw(200, {})],
                            max_requests_per_second=10, sleep=clock.sleep)[0]
    client.request("GET", "/v1/flows")
    assert client.rate_limited_count == 1
    # halved to 5, plus 5 % of the cap regained during the 1 s Retry-After
    assert client._ceiling.rate() == pytest.approx(5.5, rel=0.02)  # pylint: disable=protected-access
    assert clock.sleeps[0] == 1  # the Retry-After, slept once (not again by the pacer)
    before = clock.now
    client.request("GET", "/v1/flows")
    assert clock.now - before == pytest.approx(1 / (5.5 * HEADROOM), rel=0.05)  # paced at the lowered rate
