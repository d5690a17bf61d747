# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resuming a run: the journal beside the report and what an earlier run with the same run id did."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils import reports, resume
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError


def test_journal_and_done_keys_resume_a_run(tmp_path):
    report = tmp_path / "report.json"
    journal = resume.Journal(str(report), "run-1")
    journal.record(["k1", "k2"], "retried", job="j1")
    journal.record(["k3"], "failed")
    journal.close()
    with open(str(report) + ".journal", "a") as stream:
        stream.write(json.dumps({"run_id": "run-0", "key": "old", "action": "retried", "job": None}) + "\n")
        stream.write('{"run_id": "run-1", "key": "cut sh')

    def jobs(done):
        return {key: value["job"] for key, value in done.items()}

    assert jobs(resume.done_keys(str(report), "run-1", ("retried",))) == {"k1": "j1", "k2": "j1"}
    assert jobs(resume.done_keys(str(report), "run-0", ("retried",))) == {"old": None}
    assert resume.done_keys(str(report), None, ("retried",)) == {}


def test_journal_submitting_lines_carry_error_ids_and_the_latest_line_wins(tmp_path):
    report = tmp_path / "report.json"
    journal = resume.Journal(str(report), "run-1")
    journal.record(["k1", "k2"], "submitting", error_ids=["e1", "e2"])
    journal.record(["k1"], "retried", job="j1")
    journal.close()
    done = resume.done_keys(str(report), "run-1", ("retried", "submitting"))
    assert done == {"k1": {"action": "retried", "job": "j1", "errorId": None},
                    "k2": {"action": "submitting", "job": None, "errorId": "e2"}}


def test_done_keys_reads_a_finished_report(tmp_path):
    report = tmp_path / "report.json"
    reports.write_report(str(report), {"run_id": "run-1"}, [
        {"retryDataKey": "k1", "action": "retried", "job": "j1"},
        {"retryDataKey": "k2", "action": "skipped", "job": None},
        {"errorId": "e3", "action": "retried", "job": "j2"},
    ])
    assert {key: value["job"] for key, value in resume.done_keys(str(report), "run-1", ("retried",)).items()} == {
        "k1": "j1", "e3": "j2"}
    assert resume.done_keys(str(report), "run-2", ("retried",)) == {}


def test_done_keys_unreadable_report_is_a_clean_error(tmp_path):
    report = tmp_path / "report.json"
    report.write_text("{not json")
    with pytest.raises(FlowOpsError) as info:
        resume.done_keys(str(report), "run-1", ("retried",))
    assert "cannot be read" in str(info.value)


def test_journal_close_can_remove(tmp_path):
    journal = resume.Journal(str(tmp_path / "report.json"), "r")
    journal.record(["k"], "retried")
    journal.close(remove=True)
    assert os.listdir(str(tmp_path)) == []


def test_journal_unwritable_directory(tmp_path):
    with pytest.raises(FlowOpsError) as info:
        resume.Journal(str(tmp_path / "missing" / "report.json"), "r")
    assert "cannot write journal" in str(info.value)
