# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resuming a run: the journal beside the report and what an earlier run with the same run id did."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat
import subprocess
import sys
from types import SimpleNamespace

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._bulk import resume
from ansible_collections.flowops.ipaas.plugins.module_utils._output import reports
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


# -- the lock and the journal never follow a link ---------------------------------------------------


@pytest.fixture
def victim(tmp_path):
    """A file a link pre-placed beside the report points at; ``victim.unchanged()`` says it was not touched."""
    path = tmp_path / "victim.txt"
    path.write_text("precious\n")
    path.chmod(0o644)
    before = path.stat()

    def unchanged():
        after = path.stat()
        return path.read_text() == "precious\n" and (after.st_mode, after.st_size, after.st_mtime_ns) == (
            before.st_mode, before.st_size, before.st_mtime_ns)
    return SimpleNamespace(path=path, unchanged=unchanged)


def link_beside(report, suffix, target):
    os.symlink(str(target), str(report) + suffix)
    return str(report) + suffix


def test_the_lock_refuses_a_link_at_its_path_and_leaves_the_target_alone(tmp_path, victim):
    report = tmp_path / "report.json"
    lock = link_beside(report, ".lock", victim.path)
    with pytest.raises(FlowOpsError) as info:
        resume.ReportLock(str(report), "run-1", wait=0)
    assert str(info.value) == ("report_file: %s is a symbolic link; it is never followed: remove it or use another "
                               "report_file" % lock)
    assert victim.unchanged() and os.path.islink(lock)


def test_the_journal_refuses_a_link_at_its_path_and_leaves_the_target_alone(tmp_path, victim):
    report = tmp_path / "report.json"
    journal = link_beside(report, ".journal", victim.path)
    with pytest.raises(FlowOpsError) as info:
        resume.Journal(str(report), "run-1")
    assert str(info.value).startswith("report_file: %s is a symbolic link; " % journal)
    assert "\n" not in str(info.value)
    assert victim.unchanged()


def test_done_keys_does_not_read_a_journal_through_a_link(tmp_path):
    report = tmp_path / "report.json"
    elsewhere = tmp_path / "forged.journal"
    elsewhere.write_text(json.dumps({"run_id": "run-1", "key": "k1", "action": "retried", "job": "forged"}) + "\n")
    link_beside(report, ".journal", elsewhere)
    with pytest.raises(FlowOpsError, match=r"^report_file: .*report\.json\.journal is a symbolic link"):
        resume.done_keys(str(report), "run-1", ("retried",))


def test_a_dangling_link_is_refused_and_its_target_never_created(tmp_path):
    report = tmp_path / "report.json"
    link_beside(report, ".lock", tmp_path / "made-lock")
    link_beside(report, ".journal", tmp_path / "made-journal")
    with pytest.raises(FlowOpsError, match="is a symbolic link"):
        resume.ReportLock(str(report), "run-1", wait=0)
    with pytest.raises(FlowOpsError, match="is a symbolic link"):
        resume.Journal(str(report), "run-1")
    assert not (tmp_path / "made-lock").exists() and not (tmp_path / "made-journal").exists()


def test_the_lock_and_the_journal_are_created_private(tmp_path):
    report = tmp_path / "report.json"
    lock = resume.ReportLock(str(report), "run-1")
    journal = resume.Journal(str(report), "run-1")
    try:
        assert stat.S_IMODE(os.stat(lock.path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(journal.path).st_mode) == 0o600
    finally:
        journal.close()
        lock.release()


def test_a_rerun_appends_to_the_existing_journal(tmp_path):
    report = tmp_path / "report.json"
    first = resume.Journal(str(report), "run-1")
    first.record(["k1"], "retried", job="j1")
    first.close()
    second = resume.Journal(str(report), "run-1")
    second.record(["k2"], "retried", job="j2")
    second.close()
    assert sorted(resume.done_keys(str(report), "run-1", ("retried",))) == ["k1", "k2"]


# -- one run at a time per report_file ------------------------------------------------------------


def test_a_second_run_on_the_same_report_file_is_refused_with_one_line(tmp_path):
    report = tmp_path / "report.json"
    first = resume.ReportLock(str(report), "run-1")
    try:
        with pytest.raises(FlowOpsError) as info:
            resume.ReportLock(str(report), "run-2", wait=0)
        assert str(info.value) == ("report_file %s is in use by another run (run_id run-1): wait for it to finish or "
                                   "use another report_file" % report)
    finally:
        first.release()
    second = resume.ReportLock(str(report), "run-2", wait=0)  # free again once the first run is done
    second.release()
    assert not os.path.exists(str(report) + ".lock")


def test_the_lock_waits_a_bounded_time_for_the_holder(tmp_path):
    report = tmp_path / "report.json"
    first = resume.ReportLock(str(report), "run-1")
    sleeps = []

    def sleep(seconds):  # the holder finishes while the second run waits
        sleeps.append(seconds)
        if len(sleeps) == 3:
            first.release()
    second = resume.ReportLock(str(report), "run-2", wait=5, sleep=sleep)
    assert len(sleeps) == 3
    with open(second.path) as stream:
        assert stream.read() == "run-2"
    second.release()


def test_a_killed_holder_releases_the_lock_at_once(tmp_path):
    report = tmp_path / "report.json"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, sys, time\n"
        "stream = open(sys.argv[1], 'a+'); fcntl.flock(stream, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)"),
        str(report) + ".lock"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(FlowOpsError):
            resume.ReportLock(str(report), "run-2", wait=0)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    resume.ReportLock(str(report), "run-2", wait=0).release()


def test_report_lock_is_held_only_by_a_real_run_that_writes_a_report(tmp_path):
    report = str(tmp_path / "report.json")
    with resume.report_lock(report, "run-1", check_mode=False) as lock:
        assert lock is not None and os.path.exists(report + ".lock")
        with pytest.raises(FlowOpsError, match="is in use by another run"):
            resume.ReportLock(report, "run-2", wait=0)
    assert not os.path.exists(report + ".lock")  # released when the block ends
    with resume.report_lock(report, "run-1", check_mode=True) as lock:
        assert lock is None and not os.path.exists(report + ".lock")
    with resume.report_lock(None, "run-1", check_mode=False) as lock:
        assert lock is None


def test_the_journal_is_opened_only_when_sending_starts(tmp_path):
    report = str(tmp_path / "report.json")
    assert resume.journal_opener(None, "run-1") is None
    opener = resume.journal_opener(report, "run-1")
    assert not os.path.exists(report + ".journal")  # building the run opens nothing
    journal = opener()
    journal.record(["k1"], "retried", job="j1")
    journal.close()
    assert resume.done_keys(report, "run-1", ("retried",)) == {"k1": {"action": "retried", "job": "j1", "errorId": None}}
