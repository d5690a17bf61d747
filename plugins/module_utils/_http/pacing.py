# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adaptive pacing of one module run's requests, shared by every worker thread.

``max_requests_per_second`` is the cap. A 429 halves the rate (multiplicative decrease) and holds every
thread back for the server's Retry-After; the rate then climbs back by a twentieth of the cap per second
(additive increase), never above the cap. Without a cap the run is never paced: a 429 only holds every thread
back for its Retry-After. (Adapting to a rate measured at the first 429 was tried and dropped: 429s that come from
elsewhere than a rate window, such as a busy platform's, drove a slow, sequential phase down to the floor, where a
run crawled for minutes.)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

# Requests go 1 % under the rate: a request sent exactly at the cap reaches the server with network jitter, and a
# platform counting a window (Cloudflare: 1,200 requests per 5 minutes) would then see one too many; 1 % of the
# window (3 s of Cloudflare's 5 minutes) absorbs that.
HEADROOM = 0.99
RECOVERY_PER_SECOND = 0.05  # share of the cap regained per second after a decrease: half to full in 10 s
MIN_RATE = 0.2  # requests per second: the rate never halves below one request every 5 s


class AdaptivePacer:
    """Spaces requests so the whole run stays under its current rate; adapts that rate to the server's 429s.

    ``clock`` and ``sleep`` are injected (time.monotonic and time.sleep in a run, a fake clock in tests).
    """

    def __init__(self, per_second=0, sleep=time.sleep, clock=time.monotonic):
        self.cap = float(per_second) if per_second else None
        self.sleep = sleep
        self.clock = clock
        self.lock = threading.Lock()
        self.next_at = 0.0  # the earliest moment the next request may go
        self.paused_until = 0.0  # Retry-After: no thread sends before this
        self.base_rate = self.cap  # the rate at ``since``; None: not paced
        self.since = 0.0  # when the rate was last decreased (recovery counts from here)
        self.decreases = 0

    # -- the current rate ---------------------------------------------------------------------------

    def _rate(self, now):
        """Requests per second allowed at ``now``: the decreased rate plus what it has regained since."""
        if self.base_rate is None:
            return None
        regained = RECOVERY_PER_SECOND * self.cap * max(0.0, now - self.since)
        return min(self.cap, self.base_rate + regained)

    def rate(self):
        """The rate allowed now (None: not paced)."""
        with self.lock:
            return self._rate(self.clock())

    @property
    def interval(self):
        """Seconds between two requests at the current rate (0: not paced)."""
        rate = self.rate()
        return _interval(rate) if rate else 0.0

    # -- sending ------------------------------------------------------------------------------------

    def wait(self, resend=False):
        """Block until this thread may send; returns the moment of sending (pass it to ``rate_limited``).

        ``resend``: the thread has just waited out its own Retry-After, so the run-wide pause is already served.
        """
        return self.wait_turn(resend)[0]

    def wait_turn(self, resend=False):
        """``wait``, returning ``(moment of sending, whether this thread was held back)``."""
        with self.lock:
            now = self.clock()
            start = now if resend else max(now, self.paused_until)
            rate = self._rate(start)
            if rate:
                start = max(start, self.next_at)
                self.next_at = start + _interval(rate)
        if start > now:
            self.sleep(start - now)
            return start, True
        return start, False

    def rate_limited(self, sent_at, retry_after=None):
        """A request sent at ``sent_at`` got a 429: halve the rate once (429s of requests sent before the last
        decrease tell nothing new) and hold every thread back for ``retry_after`` seconds."""
        with self.lock:
            now = self.clock()
            if retry_after:
                self.paused_until = max(self.paused_until, now + retry_after)
            if self.decreases and sent_at <= self.since:
                return
            if self.cap is None:
                return  # not paced: the Retry-After pause is all
            self.base_rate = max(MIN_RATE, self._rate(now) / 2.0)
            self.since = now
            self.decreases += 1
            self.next_at = max(self.next_at, now)


def _interval(rate):
    return 1.0 / (rate * HEADROOM)
