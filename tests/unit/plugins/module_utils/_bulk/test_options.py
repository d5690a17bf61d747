# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""options.py: the bulk options retry and resolve share, typed and checked before any request, and batching."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
from types import SimpleNamespace

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.options import BULK_SPEC, BulkOptions, batches
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import ValidationError

ADAPTER = SimpleNamespace(max_retry_batch=1000)


def test_from_params_reads_every_bulk_option_once():
    params = {"batch_size": 50, "max_errors": 9, "skip_disabled": True, "report_file": "/r.json", "run_id": "r1",
              "progress_file": "/p.json", "flow_ids": ["ignored"]}
    options = BulkOptions.from_params(params)
    assert dict((name, getattr(options, name)) for name in BULK_SPEC) == dict((name, params[name]) for name in BULK_SPEC)
    assert BulkOptions.from_params({}).skip_disabled is False


@pytest.mark.parametrize("batch_size, limit, expected", [(None, 1000, 1000), (None, 1, 1), (1, 1000, 1), (1000, 1000, 1000)])
def test_the_batch_size_defaults_to_the_platforms_largest_batch(batch_size, limit, expected):
    assert BulkOptions(batch_size=batch_size).check(SimpleNamespace(max_retry_batch=limit), check_mode=True) == expected


@pytest.mark.parametrize("options, message", [
    (BulkOptions(batch_size=0), "batch_size: 0 is out of range; use a value between 1 and 1000 (the API takes at most 1000 a call)"),
    (BulkOptions(batch_size=1001), "batch_size: 1001 is out of range; use a value between 1 and 1000"),
    (BulkOptions(max_errors=-1), "max_errors: -1 is out of range; use 0 or more"),
])
def test_bad_values_are_refused_naming_the_option(options, message):
    with pytest.raises(ValidationError) as info:
        options.check(ADAPTER, check_mode=True)
    assert str(info.value).startswith(message)


def test_a_real_run_checks_the_report_and_progress_paths_and_check_mode_does_not(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("")
    options = BulkOptions(report_file=str(blocked / "report.json"))
    assert options.check(ADAPTER, check_mode=True) == 1000  # check mode writes neither
    with pytest.raises(ValidationError, match="^report_file: "):
        options.check(ADAPTER, check_mode=False)
    with pytest.raises(ValidationError, match="^progress_file: "):
        BulkOptions(progress_file=str(blocked / "progress.json")).check(ADAPTER, check_mode=False)


def test_a_link_where_the_journal_goes_is_refused(tmp_path):
    report = tmp_path / "report.json"
    os.symlink(str(tmp_path / "elsewhere"), str(report) + ".journal")
    with pytest.raises(ValidationError, match="^report_file: "):
        BulkOptions(report_file=str(report)).check(ADAPTER, check_mode=False)
    assert not (tmp_path / "elsewhere").exists()


def test_max_errors_guards_the_selection_before_any_write():
    BulkOptions(max_errors=None).guard_max_errors(10 ** 6, "retried")
    BulkOptions(max_errors=5).guard_max_errors(5, "retried")
    with pytest.raises(ValidationError) as info:
        BulkOptions(max_errors=5).guard_max_errors(6, "resolved")
    assert str(info.value) == ("max_errors: the selection holds 6 errors, more than max_errors (5); nothing was resolved. "
                               "Narrow the selection or raise max_errors.")


def test_batches_cut_each_step_into_at_most_size_keys_in_order():
    groups = [(("f1", "s1"), ["a", "b", "c"]), (("f2", "s1"), ["d"])]
    assert list(batches(groups, 2)) == [("f1", "s1", ["a", "b"]), ("f1", "s1", ["c"]), ("f2", "s1", ["d"])]
    assert list(batches(groups, 5)) == [("f1", "s1", ["a", "b", "c"]), ("f2", "s1", ["d"])]
    assert list(batches([], 5)) == []
