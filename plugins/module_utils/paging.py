# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Streaming pagination: RFC 5988 ``Link`` headers and body ``nextPageURL`` style cursors."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from urllib.parse import urlsplit

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError

MAX_PAGES = 100000
_LINK_PART = re.compile(r'<([^>]*)>\s*((?:;\s*[^;,]+)*)')


def next_link(header):
    """The ``rel="next"`` target of a Link header, or None."""
    if not header:
        return None
    for match in _LINK_PART.finditer(header):
        params = match.group(2)
        if re.search(r';\s*rel\s*=\s*"?([^";]*\s)?next(?=[\s";,]|$)', params):
            return match.group(1)
    return None


def strip_prefix(url, prefix):
    """Celigo's nextPageURL is host-relative with an ``/api`` prefix the public API host does not serve."""
    if prefix and url.startswith(prefix + "/"):
        return url[len(prefix):]
    return url


class _PageGuard:
    """Stops runaway paging: a repeated cursor or more than ``max_pages`` pages."""

    def __init__(self, path, max_pages):
        self.path = path
        self.max_pages = max_pages
        self.seen = set()

    def check(self, url):
        if url in self.seen:
            # Only the path: a query could echo anything, the token included.
            raise FlowOpsError("the server returned the same next page twice (%s); stopping to avoid a loop"
                               % urlsplit(url).path,
                               method="GET", path=self.path)
        self.seen.add(url)
        if len(self.seen) > self.max_pages:
            raise FlowOpsError("more than %d pages; stopping" % self.max_pages, method="GET", path=self.path)


def iter_link_pages(client, path, params=None, max_pages=MAX_PAGES):
    """Yield items from a JSON-array listing paged with ``Link: <...>; rel="next"``. A 204 is an empty list."""
    guard = _PageGuard(path, max_pages)
    url = path
    while url:
        response = client.request("GET", url, params=params)
        params = None  # the next link carries the query
        if response.body is None:
            return
        if not isinstance(response.body, list):
            raise FlowOpsError("expected a JSON array, got %s" % type(response.body).__name__, method="GET", path=path)
        yield from response.body
        url = next_link(response.headers.get("Link"))
        if url:
            guard.check(url)


def iter_body_pages(client, path, items_key, next_key="nextPageURL", params=None, prefix="/api", max_pages=MAX_PAGES):
    """Yield items from an object listing paged with a cursor URL in the body (omitted on the last page)."""
    guard = _PageGuard(path, max_pages)
    url = path
    while url:
        response = client.request("GET", url, params=params)
        params = None
        body = response.body
        if body is None:
            return
        items = body.get(items_key) if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise FlowOpsError("expected '%s' to be a list in the response" % items_key, method="GET", path=path)
        yield from items
        url = body.get(next_key)
        if url:
            url = strip_prefix(url, prefix)
            guard.check(url)
