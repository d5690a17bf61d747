# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""replay.py: a resolve backup read and checked before any request, the flows it names when the task names none (the
task's options left as they are), and every record no open error carries accounted as cannot_retry."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from types import MappingProxyType

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.ledger import Ledger
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.replay import (
    Backup, account_unreplayable, open_backup, selection_options)
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.states import (
    CANNOT_RETRY, NO_KEY, REPLAY_ACTIONS, RETRY_ACTIONS, TO_RETRY)
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import ValidationError


def record(flow, error_id, key=None, step="s1"):
    found = {"_flowId": flow, "_stepId": step, "errorId": error_id}
    if key:
        found["retryDataKey"] = key
    return found


RECORDS = [record("f2", "e1", "k1"), record("f1", "e2", "k2"), record("f2", "e3"), record("f1", "e4", "k4")]


@pytest.fixture
def backup_file(tmp_path):
    path = tmp_path / "backup.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS) + "\n")
    return path


def test_a_backup_is_read_with_its_keys_and_flows_in_first_seen_order(backup_file):
    backup = open_backup(str(backup_file))
    assert backup.records == RECORDS and backup.keys == {"k1", "k2", "k4"}
    assert backup.flow_ids() == ["f2", "f1"]
    assert backup.wants({"retryDataKey": "k2"}) and not backup.wants({"retryDataKey": "k9"}) and not backup.wants({})


def test_no_from_backup_is_no_replay():
    assert open_backup(None) is None and open_backup("") is None


@pytest.mark.parametrize("content, message", [
    (None, "from_backup: cannot read "),
    ("\n\n", "holds no records; nothing was sent"),
    ('{"_flowId": "f1", "_stepId": "s1", "errorId": "e1"}\nnot json\n', "from_backup: line 2 of "),
    ('{"_flowId": "f1", "errorId": "e1"}\n', "from_backup: line 1 of "),
    ('["_flowId"]\n', "is not a backup record (JSON with _flowId, _stepId and errorId); nothing was sent"),
])
def test_a_backup_that_cannot_be_replayed_is_refused_before_any_request(tmp_path, content, message):
    path = tmp_path / "backup.jsonl"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ValidationError) as info:
        Backup(str(path))
    assert message in str(info.value) and str(info.value).startswith("from_backup: ")


def test_the_backup_selects_its_flows_only_when_the_task_names_none(backup_file):
    backup = Backup(str(backup_file))
    params = MappingProxyType({"flow_ids": [], "abstract_flow_id": None, "integration_id": None, "codes": ["x"]})
    options = selection_options(params, backup)
    assert options["flow_ids"] == ["f2", "f1"] and options["codes"] == ["x"]
    assert params["flow_ids"] == []  # the task's options are not rewritten
    for named in ({"flow_ids": ["f9"]}, {"abstract_flow_id": ["a1"]}, {"integration_id": "i1"}):
        given = dict(params, **named)
        assert selection_options(given, backup) is given
    assert selection_options(params, None) is params


def test_every_record_no_open_error_carries_is_cannot_retry_with_the_reason(tmp_path, backup_file):
    ledger = Ledger([{"_id": "f1"}, {"_id": "f2"}], RETRY_ACTIONS + REPLAY_ACTIONS, directory=str(tmp_path))
    ledger.add("f1", "s1", "k2", "e2", TO_RETRY)  # k2 is still open: replayed
    account_unreplayable(ledger, Backup(str(backup_file)), "celigo")
    assert ledger.keys(TO_RETRY) == ["k2"]
    assert sorted(ledger.keys(CANNOT_RETRY)) == ["e3", "k1", "k4"]
    reasons = dict((r["retryDataKey"], r["reason"]) for r in ledger.key_records("retryDataKey"))
    assert reasons["e3"] == NO_KEY
    assert reasons["k1"].startswith("no open error carries this key on celigo now (resolved, deleted or purged)")
