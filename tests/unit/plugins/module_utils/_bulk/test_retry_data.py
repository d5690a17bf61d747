# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""retry_data: how a patch or a template makes the new data, and how much of it --diff shows."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import sys

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._bulk import retry_data
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError


def new_data(**params):
    return retry_data._NewData(retry_data.RetryDataOptions.from_params(params))  # pylint: disable=protected-access


def test_a_patch_merges_at_the_top_level_and_leaves_the_stored_record_alone():
    stored = {"amount": "12,50", "customer": {"id": 7, "name": "A"}}
    after = new_data(retry_data_patch={"amount": 12.5, "customer": {"id": 8}})("k1", stored, {})
    assert after == {"amount": 12.5, "customer": {"id": 8}}
    assert stored == {"amount": "12,50", "customer": {"id": 7, "name": "A"}}


def test_a_patch_on_data_that_is_not_an_object_names_the_key():
    with pytest.raises(FlowOpsError, match="retry_data_patch: the retry data of key k1 is a array, not an object"):
        new_data(retry_data_patch={"a": 1})("k1", [1, 2], {})


def test_a_template_sees_data_and_error_and_cannot_change_them_in_place():
    make = new_data(retry_data_template="dict(data, amount=data.amount | replace(',', '.') | float, code=error.code)")
    assert make("k1", {"amount": "12,50"}, {"code": "INVALID_FIELD"}) == {"amount": 12.5, "code": "INVALID_FIELD"}
    mutate = new_data(retry_data_template="data.update({'x': 1}) or data")
    with pytest.raises(FlowOpsError, match="^retry_data_template: .*key k1"):
        mutate("k1", {"amount": 1}, {})


@pytest.mark.parametrize("template, fragment", [
    ("data.amount", "must give a dict, gave a string for key k1"),
    ("data.missing", "key k1"),
    ("error.__class__.__mro__", "key k1"),
])
def test_a_template_that_fails_on_a_record_names_the_option_and_the_key(template, fragment):
    with pytest.raises(FlowOpsError) as failure:
        new_data(retry_data_template=template)("k1", {"amount": "1"}, {})
    assert str(failure.value).startswith("retry_data_template: ") and fragment in str(failure.value)
    assert "\n" not in str(failure.value)


@pytest.mark.parametrize("template", ["dict(data,", "data |", ""])
def test_a_template_that_does_not_compile_is_refused_up_front(template):
    with pytest.raises(ValidationError, match="^retry_data_template: "):
        new_data(retry_data_template=template)


def test_without_jinja2_a_template_is_refused_in_one_line_and_a_patch_still_works(monkeypatch):
    for name in ("jinja2", "jinja2.sandbox"):
        monkeypatch.setitem(sys.modules, name, None)  # import fails as if jinja2 were not installed
    with pytest.raises(ValidationError, match="^retry_data_template: needs the jinja2 Python library"):
        new_data(retry_data_template="data")
    assert new_data(retry_data_patch={"a": 1})("k1", {"b": 2}, {}) == {"a": 1, "b": 2}


def test_the_diff_shows_the_first_keys_each_side_capped_and_says_how_many_more():
    big = {"blob": "x" * 5000}
    changes = [(("f", "s", "k%d" % index), big, {"blob": "y"}) for index in range(retry_data.DIFF_MAX_KEYS + 5)]
    entries = retry_data._diff(changes)  # pylint: disable=protected-access
    assert len(entries) == retry_data.DIFF_MAX_KEYS + 1
    assert entries[0]["before_header"] == "retry data f/s/k0"
    assert len(entries[0]["before"]) < retry_data.DIFF_MAX_CHARS + 100 and "more characters" in entries[0]["before"]
    assert json.loads(entries[0]["after"]) == {"blob": "y"}
    assert "5 more keys" in entries[-1]["prepared"]
