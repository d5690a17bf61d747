# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""controller.py: is the ansible-playbook that started this module still there? Read from a fake process table."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.flowops.ipaas.plugins.module_utils._run import controller


def tree(parents, sessions):
    """A ``parent_of`` over a fake process table: ``{pid: ppid}`` and ``{pid: session}``."""
    return lambda pid: (parents[pid], sessions[pid]) if pid in parents else None


def test_proc_parent_reads_this_process_and_nothing_for_a_missing_one():
    assert controller.proc_parent(os.getpid()) == (os.getppid(), os.getsid(0))
    assert controller.proc_parent(2 ** 22 + 12345) is None  # above any pid_max


def test_watched_parents_go_up_to_the_first_process_outside_the_session():
    # module 40 <- sh 30 <- worker 20 (session leader) <- ansible-playbook 10 (its own session) <- shell 5
    parents, sessions = {40: 30, 30: 25, 25: 20, 20: 10, 10: 5, 5: 1}, {40: 20, 30: 20, 25: 20, 20: 20, 10: 10, 5: 5}
    assert controller.watched_parents(40, tree(parents, sessions), 20) == {40: 30, 30: 25, 25: 20, 20: 10}
    assert controller.watched_parents(40, tree({40: 30, 30: 1}, {40: 30, 30: 30}), 40) == {40: 30}
    assert controller.watched_parents(40, lambda pid: None, 40) == {}


def test_watched_parents_stop_after_max_depth_in_one_long_session():
    parents = dict((pid, pid - 1) for pid in range(2, 100))
    watched = controller.watched_parents(99, tree(parents, dict.fromkeys(parents, 7)), 7)
    assert len(watched) == controller.MAX_DEPTH and min(watched) == 99 - controller.MAX_DEPTH + 1


def test_controller_is_gone_once_a_watched_parent_changes():
    me, session = os.getpid(), os.getsid(0)
    parents = {me: os.getppid(), os.getppid(): 12345, 12345: 999, 999: 1}
    watched = controller.Controller(tree(parents, {me: session, os.getppid(): session, 12345: session, 999: 999}))
    assert watched.watched == {me: os.getppid(), os.getppid(): 12345, 12345: 999}
    assert watched.controller_pid == 999
    assert not watched.gone()
    parents[12345] = 1  # the worker was reparented: ansible-playbook is gone
    assert watched.gone()
    parents[12345] = 999
    assert watched.gone()  # once gone, always gone


def test_a_watched_process_that_vanished_means_gone():
    me, session = os.getpid(), os.getsid(0)
    parents = {me: os.getppid(), os.getppid(): 555, 555: 1}
    watched = controller.Controller(tree(parents, {me: session, os.getppid(): session, 555: 555}))
    assert not watched.gone()
    del parents[os.getppid()]
    assert watched.gone()


def test_without_proc_only_the_modules_own_parent_is_watched():
    watched = controller.Controller(lambda pid: None)
    assert watched.watched == {os.getpid(): os.getppid()} and watched.controller_pid == os.getppid()
    assert not watched.gone()
