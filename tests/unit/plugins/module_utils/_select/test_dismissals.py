# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dismissed file of platforms that resolve locally: concurrent batches, re-reading, broken lines."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import threading

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._select.dismissals import DismissedErrors, default_path
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError


def test_batches_recorded_at_once_into_a_new_folder_all_land_whole(tmp_path):
    """Fan-out workers record batches at the same time; the folder does not exist yet (a race once seen in CI)."""
    store = DismissedErrors(str(tmp_path / "new" / "folder" / "dismissed.jsonl"))
    barrier = threading.Barrier(8)

    def record(worker):
        barrier.wait()
        store.record([{"errorId": "e%d-%d" % (worker, n), "_flowId": "f", "_stepId": "s"} for n in range(50)], "run-1")

    threads = [threading.Thread(target=record, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = [json.loads(line) for line in (tmp_path / "new" / "folder" / "dismissed.jsonl").read_text().splitlines()]
    assert len(lines) == 400 and len(store.ids) == 400
    assert DismissedErrors(store.path).ids == store.ids  # a later run reads them all back


def test_a_line_cut_short_by_a_killed_run_is_skipped(tmp_path):
    path = tmp_path / "dismissed.jsonl"
    path.write_text('{"errorId": "e1"}\n{"errorId": "e2"}\n{"errorI')
    store = DismissedErrors(str(path))
    assert "e1" in store and "e2" in store and len(store.ids) == 2


def test_an_unwritable_file_is_a_clean_error(tmp_path):
    (tmp_path / "file").write_text("")
    store = DismissedErrors(str(tmp_path / "file" / "dismissed.jsonl"))
    with pytest.raises(FlowOpsError, match="^dismissed_file: cannot write"):
        store.record([{"errorId": "e1", "_flowId": "f", "_stepId": "s"}], "run-1")


def test_default_path_is_per_platform_and_account(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_path("cloudflare", "acc/1") == str(tmp_path / ".flowops" / "dismissed" / "cloudflare-acc_1.jsonl")
