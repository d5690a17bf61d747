# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files written for the operator: atomic, cleaned up, and clean errors."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError
from ansible_collections.flowops.ipaas.plugins.module_utils.files import JsonLinesWriter, write_json


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
