# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded fan-out: one task works on many flows and steps at once without unbounded threads."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import deque
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError


def _settle(item, future):
    try:
        return item, future.result(), None
    except FlowOpsError as exc:
        return item, None, exc


def fan_out(func, items, max_workers):
    """Call ``func(item)`` for every item with at most ``max_workers`` running at once.

    Yields ``(item, result, error)`` in input order, so results are deterministic; ``error`` is the
    ``FlowOpsError`` a call raised (one failing flow does not abort the others). Any other exception
    is a bug and propagates. At most ``2 * max_workers`` results are held at a time.
    """
    max_workers = max(1, int(max_workers))
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        window = deque()
        for item in items:
            window.append((item, pool.submit(func, item)))
            if len(window) >= max_workers * 2:
                yield _settle(*window.popleft())
        while window:
            yield _settle(*window.popleft())


def fan_out_all(func, items, max_workers):
    """Like ``fan_out`` but all-or-nothing: ``[(item, result)]`` in input order, or the first error raised."""
    collected = []
    for item, result, error in fan_out(func, items, max_workers):
        if error is not None:
            raise error
        collected.append((item, result))
    return collected
