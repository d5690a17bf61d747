# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files written for the operator: atomic, cleaned up, and clean errors."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat
from pathlib import Path

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._select.dismissals import DismissedErrors
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils._output.files import (
    JsonLinesWriter, check_no_link, check_writable, default_backup_file, open_in_place, write_json)


def leftovers(directory):
    return sorted(name for name in os.listdir(str(directory)) if name.startswith(".flowops-"))


# -- JsonLinesWriter --------------------------------------------------------------------------------


def test_writer_is_atomic(tmp_path):
    target = tmp_path / "errors.jsonl"
    writer = JsonLinesWriter(str(target))
    writer.write({"b": 2, "a": 1})
    writer.write({"errorId": "e2"})
    assert not target.exists(), "nothing appears at the final path before commit"
    assert len(leftovers(tmp_path)) == 1
    assert writer.count == 2
    assert writer.commit() == str(target)
    assert target.read_text().splitlines() == ['{"a": 1, "b": 2}', '{"errorId": "e2"}']
    assert leftovers(tmp_path) == []


def test_writer_replaces_an_existing_file_only_on_commit(tmp_path):
    target = tmp_path / "errors.jsonl"
    target.write_text("old\n")
    writer = JsonLinesWriter(str(target))
    writer.write({"new": True})
    assert target.read_text() == "old\n"
    writer.commit()
    assert target.read_text() == '{"new": true}\n'


def test_writer_abort_leaves_no_file(tmp_path):
    target = tmp_path / "errors.jsonl"
    writer = JsonLinesWriter(str(target))
    writer.write({"a": 1})
    writer.abort()
    assert not target.exists()
    assert os.listdir(str(tmp_path)) == []


def test_writer_abort_keeps_a_previous_file(tmp_path):
    target = tmp_path / "errors.jsonl"
    target.write_text("previous\n")
    writer = JsonLinesWriter(str(target))
    writer.write({"a": 1})
    writer.abort()
    assert target.read_text() == "previous\n"
    assert leftovers(tmp_path) == []


def test_writer_relative_path_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    writer = JsonLinesWriter("out.jsonl")
    assert writer.path == str(tmp_path / "out.jsonl")
    writer.write({})
    assert writer.commit() == str(tmp_path / "out.jsonl")


def test_writer_empty_commit_writes_an_empty_file(tmp_path):
    target = tmp_path / "none.jsonl"
    JsonLinesWriter(str(target)).commit()
    assert target.read_text() == ""


@pytest.mark.parametrize("where", ["missing", "file"])
def test_writer_unwritable_directory_is_a_clean_error(tmp_path, where):
    if where == "file":
        (tmp_path / "plain").write_text("x")
        target = tmp_path / "plain" / "errors.jsonl"
    else:
        target = tmp_path / "no" / "such" / "dir" / "errors.jsonl"
    with pytest.raises(FlowOpsError) as info:
        JsonLinesWriter(str(target))
    assert str(info.value).startswith("cannot write %s: " % target)


def test_writer_commit_onto_a_directory_is_a_clean_error(tmp_path):
    (tmp_path / "taken").mkdir()
    writer = JsonLinesWriter(str(tmp_path / "taken"))
    writer.write({"a": 1})
    with pytest.raises(FlowOpsError):
        writer.commit()
    assert leftovers(tmp_path) == []


# -- write_json -------------------------------------------------------------------------------------


def test_write_json(tmp_path):
    target = tmp_path / "backup.json"
    assert write_json(str(target), {"b": [1, 2], "a": None}) == str(target)
    assert json.loads(target.read_text()) == {"a": None, "b": [1, 2]}
    assert target.read_text().endswith("}\n")
    assert leftovers(tmp_path) == []


def test_write_json_replaces(tmp_path):
    target = tmp_path / "backup.json"
    target.write_text("{}")
    write_json(str(target), [1])
    assert json.loads(target.read_text()) == [1]


def test_write_json_unwritable_directory_is_a_clean_error(tmp_path):
    target = tmp_path / "missing" / "backup.json"
    with pytest.raises(FlowOpsError) as info:
        write_json(str(target), {})
    assert str(info.value).startswith("cannot write %s: " % target)


def test_write_json_failure_leaves_no_temporary_file(tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(FlowOpsError):
        write_json(str(tmp_path / "taken"), {"a": 1})
    assert leftovers(tmp_path) == []


# -- reports and the journal ------------------------------------------------------------------------


# -- check_writable: before any request -------------------------------------------------------------


def test_check_writable_accepts_a_new_or_existing_file_and_leaves_nothing(tmp_path):
    (tmp_path / "old.json").write_text("{}")
    check_writable(str(tmp_path / "new.json"), "report_file")
    check_writable(str(tmp_path / "old.json"), "report_file")
    check_writable(None, "report_file")
    assert sorted(os.listdir(str(tmp_path))) == ["old.json"]


def test_check_writable_refuses_a_directory_in_one_line_naming_the_option(tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(ValidationError) as info:
        check_writable(str(tmp_path / "taken"), "report_file")
    assert str(info.value) == "report_file: cannot write %s (it is a directory); nothing was sent" % (tmp_path / "taken")


def test_check_writable_refuses_a_missing_folder():
    with pytest.raises(ValidationError) as info:
        check_writable("/nonexistent/p.json", "progress_file")
    assert str(info.value) == "progress_file: cannot write /nonexistent/p.json (No such file or directory); nothing was sent"


def test_check_writable_refuses_a_folder_it_may_not_write(tmp_path):
    """A 0500 folder; as root, which writes there anyway, sysfs (read-only or refused for everyone)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    if os.geteuid() == 0:
        folder = Path("/sys/kernel")
    try:
        with pytest.raises(ValidationError) as info:
            check_writable(str(folder / "r.json"), "backup_file")
    finally:
        (tmp_path / "ro").chmod(0o700)
    assert str(info.value) in ["backup_file: cannot write %s (%s); nothing was sent" % (folder / "r.json", reason)
                               for reason in ("Permission denied", "Read-only file system")], str(info.value)


def test_check_no_link_refuses_a_link_and_a_directory(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep")
    os.symlink(str(victim), str(tmp_path / "r.json.lock"))
    (tmp_path / "r.json.journal").mkdir()
    check_no_link(str(tmp_path / "absent"), "report_file")
    with pytest.raises(ValidationError, match=r"^report_file: .*r\.json\.lock is a symbolic link; .*nothing was sent$"):
        check_no_link(str(tmp_path / "r.json.lock"), "report_file")
    with pytest.raises(ValidationError, match=r"^report_file: cannot write .*r\.json\.journal \(it is a directory\)"):
        check_no_link(str(tmp_path / "r.json.journal"), "report_file")


# -- open_in_place: side files written in place --------------------------------------------------------


@pytest.mark.parametrize("mode", ["a", "r+"])
def test_open_in_place_creates_a_private_file(tmp_path, mode):
    path = tmp_path / "side"
    with open_in_place(str(path), mode, "report_file") as stream:
        stream.write("x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == "x"


@pytest.mark.parametrize("mode", ["a", "r+", "r"])
def test_open_in_place_never_follows_a_link(tmp_path, mode):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    victim.chmod(0o640)
    before = victim.stat()
    os.symlink(str(victim), str(tmp_path / "side"))
    with pytest.raises(ValidationError) as info:
        open_in_place(str(tmp_path / "side"), mode, "report_file")
    assert str(info.value) == ("report_file: %s is a symbolic link; it is never followed: remove it or use another "
                               "report_file" % (tmp_path / "side"))
    after = victim.stat()
    assert victim.read_text() == "precious\n"
    assert (after.st_mode, after.st_size, after.st_mtime_ns) == (before.st_mode, before.st_size, before.st_mtime_ns)


def test_open_in_place_refuses_a_dangling_link_without_creating_its_target(tmp_path):
    os.symlink(str(tmp_path / "created-by-us"), str(tmp_path / "side"))
    with pytest.raises(ValidationError, match="is a symbolic link"):
        open_in_place(str(tmp_path / "side"), "a", "report_file")
    assert not (tmp_path / "created-by-us").exists()


def test_open_in_place_refuses_a_hard_link_and_a_fifo(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    os.link(str(victim), str(tmp_path / "hard"))
    with pytest.raises(ValidationError, match=r"^report_file: refused .*hard \(it has other hard links\)"):
        open_in_place(str(tmp_path / "hard"), "a", "report_file")
    assert victim.read_text() == "precious\n"
    os.mkfifo(str(tmp_path / "fifo"))
    with pytest.raises(ValidationError, match=r"fifo \(it is not a regular file\)"):
        open_in_place(str(tmp_path / "fifo"), "r", "report_file")  # would block without O_NONBLOCK


def test_open_in_place_appends_to_an_existing_file(tmp_path):
    path = tmp_path / "journal"
    path.write_text("one\n")
    with open_in_place(str(path), "a", "report_file") as stream:
        stream.write("two\n")
    assert path.read_text() == "one\ntwo\n"


# -- default_backup_file ------------------------------------------------------------------------------


@pytest.mark.parametrize("run_id", ["/../../tmp/pwn", "../../../../etc", "..", "a/b\\c"])
def test_default_backup_file_stays_in_the_backups_folder(monkeypatch, tmp_path, run_id):
    monkeypatch.setenv("HOME", str(tmp_path))
    path = default_backup_file("resolve", run_id)
    folder = tmp_path / ".flowops" / "backups"
    assert os.path.dirname(path) == str(folder)
    assert os.path.realpath(path) == os.path.join(str(folder), os.path.basename(path))
    assert "/" not in os.path.basename(path) and os.path.basename(path).startswith("resolve-")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


# -- the dismissed file is appended in place too --------------------------------------------------------


def test_the_dismissed_file_refuses_a_link_before_and_while_recording(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    os.symlink(str(victim), str(tmp_path / "dismissed.jsonl"))
    store = DismissedErrors(str(tmp_path / "dismissed.jsonl"))
    with pytest.raises(ValidationError, match=r"^dismissed_file: .* is a symbolic link; .*nothing was sent$"):
        store.check_writable()
    with pytest.raises(ValidationError, match=r"^dismissed_file: .* is a symbolic link"):
        store.record([{"errorId": "e1", "_flowId": "f", "_stepId": "s"}], "run-1")
    assert victim.read_text() == "precious\n"


def test_the_dismissed_file_folder_is_made_and_the_file_created_private(tmp_path):
    store = DismissedErrors(str(tmp_path / "new" / "dismissed.jsonl"))
    store.check_writable()
    store.record([{"errorId": "e1", "_flowId": "f", "_stepId": "s"}], "run-1")
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
