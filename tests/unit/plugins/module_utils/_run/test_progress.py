# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ProgressFile: throttled atomic rewrites; Poller: the polling play of an async run, gone once its touches stop."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.flowops.ipaas.plugins.module_utils._run.progress import Poller, ProgressFile


class Clock:
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


def test_progress_is_written_at_most_once_a_second_except_the_last_word(tmp_path):
    clock, path = Clock(), tmp_path / "p.json"
    progress = ProgressFile(str(path), clock)
    assert progress.update("retrying", 1, 10, 1)
    clock.now += 0.5
    assert not progress.update("retrying", 2, 10, 2)
    assert json.loads(path.read_text())["done"] == 1
    assert progress.update("retrying", 3, 10, 2, final=True)
    clock.now += 1
    assert progress.update("waiting", 4, 10, 1)
    assert json.loads(path.read_text()) == {"phase": "waiting", "done": 4, "total": 10, "jobs_running": 1,
                                            "updated": "1970-01-01T00:16:41Z"}
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]  # no temporary file left beside it


def test_no_path_writes_nothing_and_no_poller_is_ever_gone(tmp_path):
    assert not ProgressFile(None).update("retrying", 1, 2)
    assert not Poller(None).gone()


def touch(path, when):
    path.touch()
    os.utime(str(path), (when, when))


def test_the_poller_is_gone_once_its_touches_stop_and_only_after_it_polled(tmp_path):
    clock = Clock()
    poll = tmp_path / "p.json.poll"
    touch(poll, clock.now - 600)  # a former run's
    poller = Poller(str(tmp_path / "p.json"), clock)
    clock.now += 100
    assert not poller.gone()  # no poll of this run yet: nothing to judge by
    for dummy in range(3):  # polled every 5 s
        touch(poll, clock.now)
        clock.now += 5
        assert not poller.gone()
    clock.now += 16  # 21 s silent: longer than 15 s and than four gaps of 5 s
    assert poller.gone()


def test_a_slow_poller_gets_four_of_its_longest_gaps(tmp_path):
    clock = Clock()
    poll = tmp_path / "p.json.poll"
    poller = Poller(str(tmp_path / "p.json"), clock)
    touch(poll, clock.now)
    assert not poller.gone()
    clock.now += 10
    touch(poll, clock.now)
    clock.now += 39
    assert not poller.gone()
    clock.now += 2
    assert poller.gone()
