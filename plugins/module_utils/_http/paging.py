# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Streaming pagination: one pager per scheme the platforms use, each with the same loop guard and page cap.

- ``LinkHeaderPager``: a JSON array per page, the next page in an RFC 8288 ``Link: <...>; rel="next"`` header.
- ``NextUrlPager``: an object per page, the next page's URL in a body field (Celigo's ``nextPageURL``).
- ``CursorPager``: an object per page, an opaque cursor in a body field, sent back as a query parameter.
- ``NumberedPager``: ``page``/``per_page`` style, until a short page or the last page the body names.

An adapter declares which pager each listing uses; ``pager.items(fetch, path, params, max_pages)`` yields the items,
where ``fetch(path, params)`` returns a ``client.Response`` (a 204 or empty body is an empty page) and ``max_pages``
is the run's cap (the ``max_pages`` option). A page past the cap, a next page seen before, or a next-page URL or
cursor that is not a string fails in one line naming the listing: ``GET /path: ...``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from urllib.parse import parse_qs, urlsplit

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError

# The max_pages option's default: the most pages one listing may take when the caller names no cap.
MAX_PAGES = 10000
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


def dig(body, field):
    """``body[a][b]...`` for a field given as ``"a.b"``; None where any level is missing or not an object."""
    value = body
    for name in field.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


class _PageGuard:
    """Stops runaway paging: a repeated cursor or page URL, or a page past the cap (checked before it is fetched)."""

    def __init__(self, path, limit):
        self.path = path
        self.max_pages, self.hint = limit
        self.pages = 1  # the first page is fetched before any check
        self.seen = set()

    def check(self, marker, shown=None):
        if marker in self.seen:
            # Only the path for a URL: a query could echo anything, the token included.
            raise FlowOpsError("the server returned the same next page twice (%s); stopping to avoid a loop"
                               % (shown or "a repeated cursor"), method="GET", path=self.path)
        self.seen.add(marker)
        self.next_page()

    def next_page(self):
        if self.pages >= self.max_pages:
            raise FlowOpsError("more than %d pages; stopping (%s)" % (self.max_pages, self.hint), method="GET", path=self.path)
        self.pages += 1


def _items(body, items_key, path):
    """The page's list: the body itself (``items_key`` None) or one of its fields; anything else is an error."""
    items = body if items_key is None else dig(body, items_key)
    if not isinstance(items, list):
        what = "a JSON array" if items_key is None else "'%s' to be a list in the response" % items_key
        raise FlowOpsError("expected %s, got %s" % (what, type(items if items_key else body).__name__),
                           method="GET", path=path)
    return items


def _next_marker(body, key, path):
    """The next-page URL or cursor in ``body[key]``; None on the last page (absent, null or empty)."""
    value = dig(body, key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FlowOpsError("expected '%s' to be a string, got %s" % (key, type(value).__name__), method="GET", path=path)
    return value


class Pager:
    """Base of the four schemes: ``items(fetch, path, params, max_pages)`` yields every item of every page, in order.

    ``items_key`` names the body field holding a page's list (None: the body is the list); ``size_param`` and
    ``size`` ask for that many items a page; ``max_pages`` is the API's own page limit, if it has one. The cap of
    one listing is the smaller of that and the ``max_pages`` the caller passes (the run's option).
    """

    def __init__(self, items_key=None, size=None, size_param=None, max_pages=None):
        self.items_key = items_key
        self.size = size
        self.size_param = size_param
        self.max_pages = max_pages

    def _guard(self, path, max_pages):
        if self.max_pages is not None and (max_pages is None or self.max_pages < max_pages):
            return _PageGuard(path, (self.max_pages, "the API serves no more than %d pages" % self.max_pages))
        return _PageGuard(path, (max_pages or MAX_PAGES, "raise max_pages if the listing is really that long"))

    def _page(self, fetch, url, query, guard):
        """``(response, items)`` of one page; an empty body (a 204) is ``(None, [])``. Errors name the listing's path
        (a next-page URL's query could echo anything)."""
        response = fetch(url, query)
        if response.body is None:
            return None, []
        return response, _items(response.body, self.items_key, guard.path)

    def items(self, fetch, path, params=None, max_pages=None):
        raise NotImplementedError


class LinkHeaderPager(Pager):
    def items(self, fetch, path, params=None, max_pages=None):
        guard = self._guard(path, max_pages)
        url = path
        while url:
            response, items = self._page(fetch, url, params, guard)
            params = None  # the next link carries the query
            yield from items
            url = next_link(response.headers.get("Link")) if response else None
            if url:
                guard.check(url, urlsplit(url).path)


class NextUrlPager(Pager):
    def __init__(self, items_key, next_key="nextPageURL", prefix="/api", max_pages=None):
        super().__init__(items_key, max_pages=max_pages)
        self.next_key = next_key
        self.prefix = prefix

    def items(self, fetch, path, params=None, max_pages=None):
        guard = self._guard(path, max_pages)
        url, query = path, params
        while url:
            response, items = self._page(fetch, url, query, guard)
            yield from items
            url = _next_marker(response.body, self.next_key, path) if response else None
            if url:
                url = strip_prefix(url, self.prefix)
                guard.check(url, urlsplit(url).path)
                query = _missing_params(url, params)


def _missing_params(url, params):
    """The filters a next-page URL does not carry itself (Celigo's web client sends them again with every page)."""
    if not params:
        return None
    present = parse_qs(urlsplit(url).query, keep_blank_values=True)
    return dict((name, value) for name, value in params.items() if name not in present) or None


class CursorPager(Pager):
    """``cursor_key`` names the body field with the next cursor (empty or absent on the last page)."""

    def __init__(self, items_key, cursor_key, cursor_param="cursor", size_param=None, size=None, max_pages=None):
        super().__init__(items_key, size, size_param, max_pages)
        self.cursor_key = cursor_key
        self.cursor_param = cursor_param

    def items(self, fetch, path, params=None, max_pages=None):
        guard = self._guard(path, max_pages)
        query = dict(params or {})
        if self.size_param:
            query[self.size_param] = self.size
        while True:
            response, items = self._page(fetch, path, query, guard)
            yield from items
            cursor = _next_marker(response.body, self.cursor_key, path) if response else None
            if not cursor or not items:
                return
            guard.check(cursor)
            query = dict(query, **{self.cursor_param: cursor})


class NumberedPager(Pager):
    """Pages 1, 2, ... of ``size`` items; stops on a short or empty page, or at ``total_pages_key`` when given."""

    def __init__(self, items_key, size, page_param="page", size_param="per_page", total_pages_key=None, max_pages=None):
        super().__init__(items_key, size, size_param, max_pages)
        self.page_param = page_param
        self.total_pages_key = total_pages_key

    def items(self, fetch, path, params=None, max_pages=None):
        guard = self._guard(path, max_pages)
        page = 1
        while True:
            response, items = self._page(fetch, path, dict(params or {}, **{self.page_param: page, self.size_param: self.size}),
                                         guard)
            yield from items
            total = dig(response.body, self.total_pages_key) if response and self.total_pages_key else None
            last = page >= total if isinstance(total, int) and total > 0 else len(items) < self.size
            if not items or last:
                return
            guard.next_page()
            page += 1
