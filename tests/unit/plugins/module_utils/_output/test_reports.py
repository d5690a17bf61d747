# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report file: valid JSON streamed atomically, clean errors."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._output import reports
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError


def leftovers(directory):
    return sorted(name for name in os.listdir(str(directory)) if name.startswith(".flowops-"))


def test_write_report_is_valid_json(tmp_path):
    target = tmp_path / "report.json"
    header = {"run_id": "r1", "counts": {"retried": 2}}
    keys = [{"retryDataKey": "k1", "action": "retried"}, {"retryDataKey": "k2", "action": "retried"}]
    assert reports.write_report(str(target), header, iter(keys)) == str(target)
    assert json.loads(target.read_text()) == dict(header, keys=keys)
    assert leftovers(tmp_path) == []


def test_write_report_without_keys(tmp_path):
    target = tmp_path / "report.json"
    reports.write_report(str(target), {"run_id": "r1"}, [])
    assert json.loads(target.read_text()) == {"run_id": "r1", "keys": []}


def test_write_report_unwritable_directory(tmp_path):
    with pytest.raises(FlowOpsError) as info:
        reports.write_report(str(tmp_path / "missing" / "report.json"), {"run_id": "r1"}, [])
    assert "cannot write report" in str(info.value)
