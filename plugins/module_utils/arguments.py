# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options every module shares, and the adapter they build."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from urllib.parse import urlsplit, urlunsplit

from ansible.module_utils.basic import AnsibleFallbackNotFound

from ansible_collections.flowops.ipaas.plugins.module_utils.client import Client, RetryPolicy
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms import ADAPTERS


def env_fallback(*names):
    """The first of these environment variables that is set and not blank.

    AWX injects every input of a credential type, an unset one as an empty string: that must read as unset.
    """
    for name in names:
        value = os.environ.get(name, "")
        if value.strip():
            return value
    raise AnsibleFallbackNotFound


CONNECTION_SPEC = dict(
    platform=dict(type="str", default="celigo", choices=sorted(ADAPTERS), fallback=(env_fallback, ["FLOWOPS_PLATFORM"])),
    api_url=dict(type="str", fallback=(env_fallback, ["FLOWOPS_API_URL"])),
    region=dict(type="str", fallback=(env_fallback, ["FLOWOPS_REGION"])),
    api_token=dict(type="str", no_log=True, fallback=(env_fallback, ["FLOWOPS_API_TOKEN"])),
    auth_header=dict(type="str", choices=["bearer", "x-api-key"], fallback=(env_fallback, ["FLOWOPS_AUTH_HEADER"])),
    project_id=dict(type="str", fallback=(env_fallback, ["FLOWOPS_PROJECT_ID"])),
    account_id=dict(type="str", fallback=(env_fallback, ["FLOWOPS_ACCOUNT_ID"])),
    validate_certs=dict(type="bool", default=True),
    timeout=dict(type="float", default=30),
    max_retries=dict(type="int", default=5),
    retry_after_cap=dict(type="int", default=120),
    max_concurrency=dict(type="int", default=8),
    max_requests_per_second=dict(type="float", default=0),
)


def _check_range(params, name, low, high=None):
    value = params[name]
    if value < low or (high is not None and value > high):
        bound = "between %s and %s" % (low, high) if high is not None else "at least %s" % low
        raise ValidationError("%s: %s is out of range; use a value %s" % (name, value, bound))


# The options an adapter keeps (its account scope); the rest configure the client or the run.
ADAPTER_OPTIONS = ("project_id", "account_id")


def validate_connection(params):
    if not params.get("api_token"):
        raise ValidationError("api_token: no API token; set api_token or the FLOWOPS_API_TOKEN environment variable")
    _check_range(params, "timeout", 1, 3600)
    _check_range(params, "max_retries", 0, 20)
    _check_range(params, "retry_after_cap", 0, 3600)
    _check_range(params, "max_concurrency", 1, 64)
    _check_range(params, "max_requests_per_second", 0)
    api_url = params.get("api_url")
    if api_url and not api_url.startswith(("https://", "http://")):
        raise ValidationError("api_url: '%s' must start with https:// (or http:// for a local emulator)" % api_url)


def check_api_url_prefix(adapter_class, api_url):
    """Refuse an api_url ending with the path prefix the adapter adds to every path itself (Celigo's /v1,
    SuperAI's /api), or with the default base URL's own path twice (Cloudflare's /client/v4, Activepieces' /api)."""
    if not api_url:
        return
    parts = urlsplit(api_url)
    path = parts.path.rstrip("/")
    prefix = adapter_class.path_prefix
    base_path = urlsplit(next(iter(adapter_class.regions.values()), "")).path.rstrip("/")
    if prefix and path.lower().endswith(prefix.lower()):
        problem, path = "ends with %s, which the module adds itself" % prefix, path[:-len(prefix)]
    elif base_path and path.lower().endswith(base_path.lower() * 2):
        problem, path = "ends with %s twice" % base_path, path[:-len(base_path)]
    else:
        return
    raise ValidationError("api_url: '%s' %s; use %s" % (api_url, problem, urlunsplit(parts._replace(path=path))))


def adapter_from_params(params):
    """Validate the connection options and return the platform adapter with its client."""
    validate_connection(params)
    adapter_class = ADAPTERS[params["platform"]]
    adapter_class.validate(params)
    check_api_url_prefix(adapter_class, params.get("api_url"))
    base_url = adapter_class.base_url(params.get("api_url"), params.get("region"))
    header, prefix = adapter_class.auth(params.get("auth_header"))
    client = Client(
        base_url,
        params["api_token"],
        auth_header=header,
        auth_prefix=prefix,
        validate_certs=params["validate_certs"],
        timeout=params["timeout"],
        policy=RetryPolicy(max_retries=params["max_retries"], retry_after_cap=params["retry_after_cap"]),
        max_requests_per_second=params["max_requests_per_second"],
        pool_size=params["max_concurrency"],
        platform=adapter_class.name,
    )
    return adapter_class(client, dict((name, params.get(name)) for name in ADAPTER_OPTIONS))
