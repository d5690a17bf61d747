# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded fan-out: one task works on many flows and steps at once without unbounded threads."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError


_END = object()


def _settle(item, future):
    try:
        return item, future.result(), None
    except FlowOpsError as exc:
        return item, None, exc


def fan_out(func, items, max_workers):
    """Call ``func(item)`` for every item with at most ``max_workers`` running at once.

    Yields ``(item, result, error)`` in input order, so results are deterministic; ``error`` is the
    ``FlowOpsError`` a call raised (one failing flow does not abort the others). Any other exception
    is a bug and propagates. Work goes on past a slow item (one sleeping out a Retry-After, say) while
    at most ``4 * max_workers`` items are submitted but not yet yielded.
    """
    max_workers = max(1, int(max_workers))
    limit = max_workers * 4
    items = iter(items)
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        running, ready = {}, {}  # future -> (index, item); index -> settled result
        submitted = next_index = 0
        exhausted = False
        while True:
            while not exhausted and submitted - next_index < limit:
                item = next(items, _END)
                if item is _END:
                    exhausted = True
                    break
                running[pool.submit(func, item)] = (submitted, item)
                submitted += 1
            while next_index in ready:
                yield ready.pop(next_index)
                next_index += 1
            if not running:
                if exhausted and not ready:
                    return
                continue
            done, dummy = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                index, item = running.pop(future)
                ready[index] = _settle(item, future)


def fan_out_all(func, items, max_workers):
    """Like ``fan_out`` but all-or-nothing: ``[(item, result)]`` in input order, or the first error raised."""
    collected = []
    for item, result, error in fan_out(func, items, max_workers):
        if error is not None:
            raise error
        collected.append((item, result))
    return collected
