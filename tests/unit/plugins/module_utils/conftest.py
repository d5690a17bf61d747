# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared fakes for the module_utils unit tests.

When ``ansible_collections.flowops.ipaas`` is not importable (plain ``pytest`` from the checkout),
a temporary ``ansible_collections/flowops/ipaas`` symlink to this checkout is put on ``sys.path``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import atexit
import importlib
import json
import os
import shutil
import sys
import tempfile

from http.client import responses as _REASONS

import pytest


def _ensure_collection_importable():
    try:
        importlib.import_module("ansible_collections.flowops.ipaas")
        return
    except ImportError:
        pass
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
    base = tempfile.mkdtemp(prefix="flowops-collections-")
    atexit.register(shutil.rmtree, base, True)
    namespace = os.path.join(base, "ansible_collections", "flowops")
    os.makedirs(namespace)
    os.symlink(root, os.path.join(namespace, "ipaas"), target_is_directory=True)
    sys.path.insert(0, base)
    for name in [n for n in sys.modules if n == "ansible_collections" or n.startswith("ansible_collections.flowops")]:
        del sys.modules[name]
    importlib.invalidate_caches()
    importlib.import_module("ansible_collections.flowops.ipaas")


_ensure_collection_importable()

# pylint: disable=wrong-import-position
from ansible_collections.flowops.ipaas.plugins.module_utils._http.client import Client  # noqa: E402

TOKEN = "tok3n/with+special=chars-0123456789abcdef"
BASE_URL = "https://api.integrator.io"


class FakeRaw:
    """Just enough of ``requests.Response`` for ``Client``."""

    def __init__(self, status=200, body=None, text=None, headers=None, url="", reason=None):
        self.status_code = status
        self.headers = dict(headers or {})
        if text is None:
            text = "" if body is None else json.dumps(body)
        self.text = text
        self.url = url
        self.reason = _REASONS.get(status, "") if reason is None else reason
        self.closed = False

    def close(self):
        self.closed = True


class Script:
    """Stands in for ``session.request``: plays scripted outcomes in order and records every call."""

    def __init__(self, outcomes):
        self.outcomes = list(outcomes)
        self.calls = []
        self.returned = []

    def __call__(self, method, url, **kwargs):
        call = dict(kwargs, method=method, url=url)
        self.calls.append(call)
        if not self.outcomes:
            raise AssertionError("unexpected extra request: %s %s" % (method, url))
        outcome = self.outcomes.pop(0)
        if callable(outcome) and not isinstance(outcome, FakeRaw):
            outcome = outcome(call)
        if isinstance(outcome, BaseException):
            raise outcome
        if not outcome.url:
            outcome.url = url
        self.returned.append(outcome)
        return outcome

    @property
    def urls(self):
        return [call["url"] for call in self.calls]


class Harness:
    def __init__(self):
        self.clients = []

    def client(self, outcomes=(), base_url=BASE_URL, token=TOKEN, **kwargs):
        """A real ``Client`` whose ``session.request`` is a ``Script``; returns (client, script, sleeps)."""
        sleeps = []
        kwargs.setdefault("sleep", sleeps.append)
        client = Client(base_url, token, **kwargs)
        script = Script(outcomes)
        client.session.request = script
        self.clients.append(client)
        return client, script, sleeps

    def close(self):
        for client in self.clients:
            client.close()


@pytest.fixture
def harness():
    made = Harness()
    yield made
    made.close()


@pytest.fixture
def raw():
    """The ``FakeRaw`` class: ``raw(status, body=..., text=..., headers=...)``."""
    return FakeRaw


@pytest.fixture
def token():
    return TOKEN


@pytest.fixture
def base_url():
    return BASE_URL
