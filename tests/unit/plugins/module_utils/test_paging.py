# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Link-header and body-cursor paging, driven through a real Client with a scripted transport."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError
from ansible_collections.flowops.ipaas.plugins.module_utils.paging import (
    iter_body_pages, iter_link_pages, next_link, strip_prefix,
)

API = "https://api.integrator.io"


# -- next_link --------------------------------------------------------------------------------------


@pytest.mark.parametrize("header, expected", [
    (None, None),
    ("", None),
    ('<https://a.example/x?page=2>; rel="next"', "https://a.example/x?page=2"),
    ("<https://a.example/x?page=2>; rel=next", "https://a.example/x?page=2"),
    ('<https://a.example/x?page=2>;rel="next"', "https://a.example/x?page=2"),
    ('<https://a.example/x?page=1>; rel="prev", <https://a.example/x?page=3>; rel="next"', "https://a.example/x?page=3"),
    ('<https://a.example/x?page=3>; rel="next", <https://a.example/x?page=9>; rel="last"', "https://a.example/x?page=3"),
    ('<https://a.example/x?page=1>; rel="first", <https://a.example/x?page=9>; rel=last', None),
    ('<https://a.example/x?page=1>; rel="prev"', None),
    ('<https://a.example/x?page=4>; title="p"; rel="next"', "https://a.example/x?page=4"),
    ('<https://a.example/x?page=4>; rel="last next"', "https://a.example/x?page=4"),
    ("</v1/flows?after=abc;x=1>; rel=next", "/v1/flows?after=abc;x=1"),
])
def test_next_link(header, expected):
    assert next_link(header) == expected


@pytest.mark.parametrize("header", [
    '<https://a.example/archive/1>; rel="next-archive"',
    '<https://a.example/x?page=2>; rel="nextpage"',
])
def test_next_link_does_not_take_other_relations_that_start_with_next(header):
    assert next_link(header) is None


# -- iter_link_pages --------------------------------------------------------------------------------


def test_link_pages_are_followed_in_order(harness, raw):
    client, script = harness.client([
        raw(200, [{"_id": 1}, {"_id": 2}], headers={"Link": '<%s/v1/flows?page=2>; rel="next"' % API}),
        raw(200, [{"_id": 3}], headers={"Link": '<%s/v1/flows?page=1>; rel="prev", <%s/v1/flows?page=3>; rel="next"'
                                                % (API, API)}),
        raw(200, [{"_id": 4}], headers={"Link": '<%s/v1/flows?page=2>; rel="prev"' % API}),
    ])[:2]
    items = list(iter_link_pages(client, "/v1/flows", params={"_integrationId": "i1"}))
    assert [item["_id"] for item in items] == [1, 2, 3, 4]
    assert script.urls == [API + "/v1/flows", API + "/v1/flows?page=2", API + "/v1/flows?page=3"]
    assert [call["params"] for call in script.calls] == [{"_integrationId": "i1"}, None, None]


def test_link_pages_204_yields_nothing(harness, raw):
    client, script = harness.client([raw(204, text="")])[:2]
    assert list(iter_link_pages(client, "/v1/flows")) == []
    assert len(script.calls) == 1


def test_link_pages_empty_list(harness, raw):
    client = harness.client([raw(200, [])])[0]
    assert list(iter_link_pages(client, "/v1/flows")) == []


def test_link_pages_non_list_body_fails(harness, raw):
    client = harness.client([raw(200, {"flows": []})])[0]
    with pytest.raises(FlowOpsError) as info:
        list(iter_link_pages(client, "/v1/flows"))
    assert "expected a JSON array, got dict" in str(info.value)
    assert info.value.path == "/v1/flows"


def test_link_pages_repeated_next_stops_with_an_error(harness, raw):
    link = {"Link": '<%s/v1/flows?page=2>; rel="next"' % API}
    client, script = harness.client([raw(200, [1], headers=link), raw(200, [2], headers=link)])[:2]
    seen = []
    with pytest.raises(FlowOpsError) as info:
        for item in iter_link_pages(client, "/v1/flows"):
            seen.append(item)
    assert "same next page twice" in str(info.value)
    assert seen == [1, 2]
    assert len(script.calls) == 2


def test_link_pages_max_pages(harness, raw):
    outcomes = [raw(200, [n], headers={"Link": '<%s/v1/flows?page=%d>; rel="next"' % (API, n + 1)}) for n in range(3)]
    client, script = harness.client(outcomes)[:2]
    with pytest.raises(FlowOpsError) as info:
        list(iter_link_pages(client, "/v1/flows", max_pages=2))
    assert "more than 2 pages" in str(info.value)
    assert len(script.calls) == 3


def test_link_to_another_host_is_refused(harness, raw):
    client, script = harness.client([raw(200, [1], headers={"Link": '<https://evil.example/v1/flows?page=2>; rel="next"'})])[:2]
    with pytest.raises(FlowOpsError) as info:
        list(iter_link_pages(client, "/v1/flows"))
    assert "refusing to send the API token" in str(info.value)
    assert script.urls == [API + "/v1/flows"]


# -- iter_body_pages --------------------------------------------------------------------------------


@pytest.mark.parametrize("url, prefix, expected", [
    ("/api/v1/flows/f/s/errors?pageToken=a", "/api", "/v1/flows/f/s/errors?pageToken=a"),
    ("/v1/flows/f/s/errors?pageToken=a", "/api", "/v1/flows/f/s/errors?pageToken=a"),
    ("/apiv1/flows", "/api", "/apiv1/flows"),
    ("/api/v1/flows", None, "/api/v1/flows"),
    ("/api/v1/flows", "", "/api/v1/flows"),
])
def test_strip_prefix(url, prefix, expected):
    assert strip_prefix(url, prefix) == expected


def test_body_pages_follow_next_page_url_without_the_api_prefix(harness, raw):
    client, script = harness.client([
        raw(200, {"errors": [{"errorId": "e1"}, {"errorId": "e2"}], "nextPageURL": "/api/v1/flows/f/s/errors?pageToken=A"}),
        raw(200, {"errors": [{"errorId": "e3"}], "nextPageURL": "/api/v1/flows/f/s/errors?pageToken=B"}),
        raw(200, {"errors": [{"errorId": "e4"}]}),
    ])[:2]
    items = list(iter_body_pages(client, "/v1/flows/f/s/errors", items_key="errors", params={"pageSize": 1000}))
    assert [item["errorId"] for item in items] == ["e1", "e2", "e3", "e4"]
    assert script.urls == [API + "/v1/flows/f/s/errors", API + "/v1/flows/f/s/errors?pageToken=A",
                           API + "/v1/flows/f/s/errors?pageToken=B"]
    assert [call["params"] for call in script.calls] == [{"pageSize": 1000}, None, None]


@pytest.mark.parametrize("last", [{"errors": []}, {"errors": [], "nextPageURL": None}, {"errors": [], "nextPageURL": ""}])
def test_body_pages_stop_when_the_cursor_is_absent(harness, raw, last):
    client, script = harness.client([raw(200, {"errors": [1], "nextPageURL": "/api/v1/x?p=2"}), raw(200, last)])[:2]
    assert list(iter_body_pages(client, "/v1/x", items_key="errors")) == [1]
    assert len(script.calls) == 2


def test_body_pages_204_yields_nothing(harness, raw):
    client = harness.client([raw(204, text="")])[0]
    assert list(iter_body_pages(client, "/v1/x", items_key="errors")) == []


@pytest.mark.parametrize("body", [{"resolved": []}, {"errors": None}, {"errors": {"a": 1}}, [1, 2]])
def test_body_pages_items_must_be_a_list(harness, raw, body):
    client = harness.client([raw(200, body)])[0]
    with pytest.raises(FlowOpsError) as info:
        list(iter_body_pages(client, "/v1/x", items_key="errors"))
    assert "expected 'errors' to be a list" in str(info.value)


@pytest.mark.parametrize("cursor", ["https://evil.example/api/v1/flows/f/s/errors?p=2",
                                    "http://api.integrator.io/v1/flows/f/s/errors?p=2"])
def test_body_pages_cursor_on_another_host_is_refused(harness, raw, cursor):
    client, script = harness.client([raw(200, {"errors": [1], "nextPageURL": cursor})])[:2]
    with pytest.raises(FlowOpsError) as info:
        list(iter_body_pages(client, "/v1/flows/f/s/errors", items_key="errors"))
    assert "refusing to send the API token" in str(info.value)
    assert len(script.calls) == 1


def test_body_pages_cursor_absolute_on_same_host_is_followed(harness, raw):
    client, script = harness.client([raw(200, {"errors": [1], "nextPageURL": API + "/v1/x?p=2"}),
                                     raw(200, {"errors": [2]})])[:2]
    assert list(iter_body_pages(client, "/v1/x", items_key="errors")) == [1, 2]
    assert script.urls[1] == API + "/v1/x?p=2"


def test_body_pages_loop_is_detected(harness, raw):
    page = {"errors": [1], "nextPageURL": "/api/v1/x?p=2"}
    client, script = harness.client([raw(200, page), raw(200, page), raw(200, page)])[:2]
    with pytest.raises(FlowOpsError) as info:
        list(iter_body_pages(client, "/v1/x", items_key="errors"))
    assert "same next page twice" in str(info.value)
    assert "(/v1/x)" in str(info.value) and "p=2" not in str(info.value)  # the query could echo the token
    assert len(script.calls) == 2


def test_body_pages_are_streamed(harness, raw):
    """The second page is not requested before the first page's items are consumed."""
    client, script = harness.client([raw(200, {"errors": [1, 2], "nextPageURL": "/api/v1/x?p=2"}),
                                     raw(200, {"errors": [3]})])[:2]
    pages = iter_body_pages(client, "/v1/x", items_key="errors")
    assert next(pages) == 1
    assert next(pages) == 2
    assert len(script.calls) == 1
    assert list(pages) == [3]
    assert len(script.calls) == 2
