# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared pagers (Link header, body next URL, cursor, page number), driven through a real Client with a
scripted transport."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError
from ansible_collections.flowops.ipaas.plugins.module_utils._http.paging import (
    MAX_PAGES, CursorPager, LinkHeaderPager, NextUrlPager, NumberedPager, next_link, strip_prefix,
)

API = "https://api.integrator.io"


def fetcher(client):
    return lambda path, params: client.request("GET", path, params=params)


def iter_link_pages(client, path, params=None, max_pages=MAX_PAGES):
    return LinkHeaderPager().items(fetcher(client), path, params, max_pages=max_pages)


def iter_body_pages(client, path, items_key, params=None):
    return NextUrlPager(items_key).items(fetcher(client), path, params)


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
    assert str(info.value) == "GET /v1/flows: more than 2 pages; stopping (raise max_pages if the listing is really that long)"
    assert len(script.calls) == 2  # the third page is never asked for


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
    # The filters go with every page whose next URL does not carry them itself (as Celigo's web client sends them).
    assert [call["params"] for call in script.calls] == [{"pageSize": 1000}] * 3


def test_body_pages_do_not_repeat_a_filter_the_next_url_carries(harness, raw):
    client, script = harness.client([
        raw(200, {"errors": [1], "nextPageURL": "/api/v1/x?occurredAt_gte=2026-01-01T00%3A00%3A00.000Z&pageToken=A"}),
        raw(200, {"errors": [2]}),
    ])[:2]
    params = {"occurredAt_gte": "2026-01-01T00:00:00.000Z", "source": ["connection"]}
    assert list(iter_body_pages(client, "/v1/x", items_key="errors", params=params)) == [1, 2]
    assert [call["params"] for call in script.calls] == [params, {"source": ["connection"]}]


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


# -- CursorPager ------------------------------------------------------------------------------------


def test_cursor_pages_send_the_cursor_back_until_it_is_empty(harness, raw):
    client, script = harness.client([
        raw(200, {"data": [1, 2], "next": "c2"}),
        raw(200, {"data": [3], "next": "c3"}),
        raw(200, {"data": [4], "next": None}),
    ])[:2]
    pager = CursorPager("data", "next", size_param="limit", size=2)
    assert list(pager.items(fetcher(client), "/v1/flow-runs", {"projectId": "p"})) == [1, 2, 3, 4]
    assert [call["params"] for call in script.calls] == [
        {"projectId": "p", "limit": 2}, {"projectId": "p", "limit": 2, "cursor": "c2"},
        {"projectId": "p", "limit": 2, "cursor": "c3"}]


def test_cursor_pages_read_a_nested_cursor_and_stop_on_an_empty_page(harness, raw):
    client, script = harness.client([
        raw(200, {"result": [1], "result_info": {"cursor": "x"}}),
        raw(200, {"result": [], "result_info": {"cursor": "y"}}),
    ])[:2]
    pager = CursorPager("result", "result_info.cursor")
    assert list(pager.items(fetcher(client), "/w")) == [1]
    assert len(script.calls) == 2


def test_cursor_pages_repeated_cursor_stops_with_an_error(harness, raw):
    client = harness.client([raw(200, {"data": [1], "next": "same"}), raw(200, {"data": [2], "next": "same"})])[0]
    with pytest.raises(FlowOpsError, match="same next page twice"):
        list(CursorPager("data", "next").items(fetcher(client), "/v1/flow-runs"))


def test_cursor_pages_items_must_be_a_list(harness, raw):
    client = harness.client([raw(200, {"data": {"id": 1}})])[0]
    with pytest.raises(FlowOpsError, match="expected 'data' to be a list"):
        list(CursorPager("data", "next").items(fetcher(client), "/v1/flow-runs"))


# -- NumberedPager ----------------------------------------------------------------------------------


def test_numbered_pages_stop_on_a_short_page(harness, raw):
    client, script = harness.client([raw(200, [1, 2]), raw(200, [3])])[:2]
    pager = NumberedPager(None, 2, size_param="page_size")
    assert list(pager.items(fetcher(client), "/api/flow-executions", {"flow_id": "f"})) == [1, 2, 3]
    assert [call["params"] for call in script.calls] == [{"flow_id": "f", "page": 1, "page_size": 2},
                                                         {"flow_id": "f", "page": 2, "page_size": 2}]


def test_numbered_pages_stop_at_the_total_the_body_names(harness, raw):
    client, script = harness.client([raw(200, {"result": [1, 2], "result_info": {"total_pages": 1}})])[:2]
    pager = NumberedPager("result", 2, total_pages_key="result_info.total_pages")
    assert list(pager.items(fetcher(client), "/w")) == [1, 2]
    assert len(script.calls) == 1


def test_numbered_pages_cap(harness, raw):
    client = harness.client([raw(200, [1]), raw(200, [2]), raw(200, [3])])[0]
    with pytest.raises(FlowOpsError, match="more than 2 pages"):
        list(NumberedPager(None, 1, max_pages=2).items(fetcher(client), "/x"))


def test_numbered_pages_bare_array_expected(harness, raw):
    client = harness.client([raw(200, {"items": []})])[0]
    with pytest.raises(FlowOpsError, match="expected a JSON array, got dict"):
        list(NumberedPager(None, 10).items(fetcher(client), "/x"))


# -- the run's page cap (max_pages) and next-page markers that are not strings ------------------------


def _endless_next_url(harness, raw, pages):
    """A server answering every page with a fresh, unique nextPageURL."""
    outcomes = [raw(200, {"errors": [{"n": n}], "nextPageURL": "/api/v1/x?pageToken=t%d" % n}) for n in range(pages)]
    return harness.client(outcomes)[:2]


def test_body_pages_stop_after_max_pages_pages_of_an_endless_chain(harness, raw):
    client, script = _endless_next_url(harness, raw, 5)
    with pytest.raises(FlowOpsError) as info:
        list(NextUrlPager("errors").items(fetcher(client), "/v1/x", max_pages=5))
    assert str(info.value) == "GET /v1/x: more than 5 pages; stopping (raise max_pages if the listing is really that long)"
    assert len(script.calls) == 5


def test_cursor_pages_stop_after_max_pages(harness, raw):
    client, script = harness.client([raw(200, {"data": [n], "next": "c%d" % n}) for n in range(3)])[:2]
    with pytest.raises(FlowOpsError, match=r"^GET /v1/flow-runs: more than 3 pages; stopping \(raise max_pages"):
        list(CursorPager("data", "next").items(fetcher(client), "/v1/flow-runs", max_pages=3))
    assert len(script.calls) == 3


def test_numbered_pages_take_the_smaller_of_the_api_limit_and_max_pages(harness, raw):
    client, script = harness.client([raw(200, [n]) for n in range(4)])[:2]
    with pytest.raises(FlowOpsError) as info:
        list(NumberedPager(None, 1, max_pages=2).items(fetcher(client), "/x", max_pages=10))
    assert str(info.value) == "GET /x: more than 2 pages; stopping (the API serves no more than 2 pages)"
    assert len(script.calls) == 2
    client, script = harness.client([raw(200, [n]) for n in range(4)])[:2]
    with pytest.raises(FlowOpsError, match="more than 3 pages; stopping .raise max_pages"):
        list(NumberedPager(None, 1, max_pages=10).items(fetcher(client), "/x", max_pages=3))
    assert len(script.calls) == 3


def test_a_listing_of_exactly_max_pages_pages_is_read_whole(harness, raw):
    client = harness.client([raw(200, {"errors": [1], "nextPageURL": "/api/v1/x?p=2"}), raw(200, {"errors": [2]})])[0]
    assert list(NextUrlPager("errors").items(fetcher(client), "/v1/x", max_pages=2)) == [1, 2]


def test_without_a_cap_the_default_is_max_pages_default(harness, raw):
    assert MAX_PAGES == 10000
    client = harness.client([raw(200, [1])])[0]
    assert list(LinkHeaderPager().items(fetcher(client), "/v1/flows")) == [1]


@pytest.mark.parametrize("marker, kind", [(7, "int"), (["/api/v1/x?p=2"], "list"), ({"url": "/v1/x"}, "dict"), (True, "bool")])
def test_a_next_page_url_that_is_not_a_string_fails_in_one_line(harness, raw, marker, kind):
    client, script = harness.client([raw(200, {"errors": [1], "nextPageURL": marker})])[:2]
    with pytest.raises(FlowOpsError) as info:
        list(iter_body_pages(client, "/v1/flows/f/s/errors", items_key="errors"))
    assert str(info.value) == "GET /v1/flows/f/s/errors: expected 'nextPageURL' to be a string, got %s" % kind
    assert len(script.calls) == 1


@pytest.mark.parametrize("cursor", [{"a": 1}, ["c2"], 12])
def test_a_cursor_that_is_not_a_string_fails_in_one_line(harness, raw, cursor):
    client, script = harness.client([raw(200, {"result": [1], "result_info": {"cursor": cursor}})])[:2]
    with pytest.raises(FlowOpsError) as info:
        list(CursorPager("result", "result_info.cursor").items(fetcher(client), "/w"))
    assert str(info.value).startswith("GET /w: expected 'result_info.cursor' to be a string, got ")
    assert len(script.calls) == 1


def test_a_malformed_later_page_names_the_listing_not_the_next_url(harness, raw):
    client = harness.client([raw(200, {"errors": [1], "nextPageURL": "/api/v1/x?pageToken=secret"}), raw(200, {"errors": 5})])[0]
    with pytest.raises(FlowOpsError) as info:
        list(iter_body_pages(client, "/v1/x", items_key="errors"))
    assert str(info.value).startswith("GET /v1/x: expected 'errors' to be a list") and "secret" not in str(info.value)
