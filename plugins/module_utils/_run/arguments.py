# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options every module shares, and the adapter they build."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import os

from urllib.parse import urlsplit, urlunsplit

from ansible.module_utils.basic import AnsibleFallbackNotFound
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.flowops.ipaas.plugins.module_utils._http.client import Client, LocationParseError, RetryPolicy, parse_url
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import ValidationError, check_range, suggestion
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


# platform takes no ``choices``: it is checked in ``platform_class`` (case-insensitive, with a "did you mean" and the
# environment variable named when the value came from one), as region is in ``region_of``.
CONNECTION_SPEC = dict(
    platform=dict(type="str", default="celigo", fallback=(env_fallback, ["FLOWOPS_PLATFORM"])),
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
    max_pages=dict(type="int", default=10000),
    allow_insecure_http=dict(type="bool", default=False),
)


# option -> the environment variable it falls back to (FLOWOPS_REGION for region, ...).
ENVIRONMENT_VARIABLES = dict((name, spec["fallback"][1][0]) for name, spec in CONNECTION_SPEC.items() if "fallback" in spec)


def environment_source(params, name):
    """The environment variable the value of option ``name`` came from (the fallback, when the value equals it), else None."""
    variable = ENVIRONMENT_VARIABLES.get(name)
    value = params.get(name)
    if variable and value is not None and os.environ.get(variable) == value:
        return variable
    return None


def labelled(params, name):
    """How a message names option ``name``: ``region``, or ``region (from the FLOWOPS_REGION environment variable)``."""
    variable = environment_source(params, name)
    return "%s (from the %s environment variable)" % (name, variable) if variable else name


def platform_class(params):
    """The adapter class ``platform`` names, case-insensitive; an unknown name is refused with a "did you mean"."""
    name = str(params.get("platform") or "celigo")
    adapter_class = ADAPTERS.get(name.strip().lower())
    if adapter_class is None:
        raise ValidationError("%s: '%s' is not a platform%s; use one of %s"
                              % (labelled(params, "platform"), name, suggestion(name, ADAPTERS), ", ".join(sorted(ADAPTERS))))
    return adapter_class


def region_of(adapter_class, params):
    """The region key of ``adapter_class`` that ``region`` names, case-insensitive (``EU`` is ``eu``); None when it
    is not set or api_url is (api_url wins); an unknown region is refused with a "did you mean"."""
    region = params.get("region")
    if not region or params.get("api_url"):
        return None
    known = dict((key.lower(), key) for key in adapter_class.regions)
    if str(region).strip().lower() not in known:
        raise ValidationError("%s: '%s' is not a %s region%s; use one of %s or set api_url"
                              % (labelled(params, "region"), region, adapter_class.name,
                                 suggestion(region, adapter_class.regions), ", ".join(sorted(adapter_class.regions))))
    return known[str(region).strip().lower()]


def _check_range(params, name, low, high=None):
    check_range(name, params[name], low, high)


# The options an adapter keeps (its account scope); the rest configure the client or the run.
ADAPTER_OPTIONS = ("project_id", "account_id")


TOKEN_VARIABLE = "FLOWOPS_API_TOKEN"
MIN_TOKEN_LENGTH = 8


def api_token(params):
    """The token without surrounding whitespace (files and Kubernetes secrets often end in a newline).

    A token with a space, control or non-ASCII character inside, or shorter than ``MIN_TOKEN_LENGTH``, is refused
    in one line naming where it came from, never quoting it: such a value would reach an exception text in
    clear (an invalid header) or make Ansible's ``no_log`` mask that text everywhere.
    """
    raw = params.get("api_token")
    token = (raw or "").strip()
    if not token:
        raise ValidationError("api_token: no API token; set api_token or the %s environment variable" % TOKEN_VARIABLE)
    source = labelled(params, "api_token")
    if not all(33 <= ord(char) <= 126 for char in token):
        raise ValidationError("%s: the token has a space, control or non-ASCII character inside it; set the token "
                              "exactly as the platform issued it" % source)
    if len(token) < MIN_TOKEN_LENGTH:
        raise ValidationError("%s: the token is %d characters long, too short to be an API token (at least %d); "
                              "set the token the platform issued" % (source, len(token), MIN_TOKEN_LENGTH))
    return token


def validate_connection(params, warn=None):
    """Check the connection options before any request; ``warn(message)`` hears what is accepted but unsafe."""
    api_token(params)
    _check_range(params, "timeout", 1, 3600)
    _check_range(params, "max_retries", 0, 20)
    _check_range(params, "retry_after_cap", 0, 3600)
    _check_range(params, "max_concurrency", 1, 64)
    _check_range(params, "max_requests_per_second", 0, 100000)
    _check_range(params, "max_pages", 1, 1000000)
    check_api_url(params, warn or (lambda message: None))


def _is_loopback(host):
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_api_url(params, warn):
    """``api_url`` must be https://, or http:// to a loopback host; plain http elsewhere only with both
    ``validate_certs: false`` and ``allow_insecure_http: true``. ``region`` beside it is ignored: said once."""
    api_url = params.get("api_url")
    if not api_url:
        return
    label = labelled(params, "api_url")
    try:
        parts = parse_url(api_url)
    except (LocationParseError, ValueError):
        raise ValidationError("%s: '%s' is not a URL (a port is 1 to 65535); use https://HOST[:PORT]"
                              % (label, _without_userinfo(api_url)))
    scheme = (parts.scheme or "").lower()
    if scheme not in ("https", "http"):
        raise ValidationError("%s: '%s' must start with https:// (or http:// for an emulator on this machine)"
                              % (label, _without_userinfo(api_url)))
    if parts.auth or "\\" in api_url or "@" in (urlsplit(api_url).netloc or ""):
        raise ValidationError("%s: '%s' has user-info or a backslash; the token is sent as auth_header says: "
                              "give only https://HOST[:PORT]" % (label, _without_userinfo(api_url)))
    if not parts.host or parts.port == 0:
        raise ValidationError("%s: '%s' has no host or port 0; use https://HOST[:PORT]" % (label, api_url))
    if scheme == "http" and not _is_loopback(parts.host):
        if params.get("validate_certs", True) or not params.get("allow_insecure_http"):
            raise ValidationError(
                "%s: '%s' is plain http:// to %s, which is not this machine: the token would travel in clear "
                "text; use https://, or set both validate_certs: false and allow_insecure_http: true for a trusted "
                "test network" % (label, api_url, parts.host))
        warn("api_url: plain http:// to %s (allow_insecure_http): the API token travels in clear text" % parts.host)
    if params.get("region"):
        warn("region '%s' is ignored: api_url is set, and api_url wins (%s)" % (params["region"], api_url))


def _without_userinfo(url):
    """``url`` with anything before an ``@`` in its authority masked: it may hold a password."""
    head, sep, rest = url.partition("://")
    if not sep:
        return url.split("@")[-1]
    authority, slash, path = rest.partition("/")
    return head + sep + authority.rpartition("@")[2] + slash + path


def check_api_url_prefix(adapter_class, api_url, label="api_url"):
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
    raise ValidationError("%s: '%s' %s; use %s" % (label, api_url, problem, urlunsplit(parts._replace(path=path))))


def adapter_from_params(params, warn=None, stopped=None):
    """Validate the connection options and return the platform adapter with its client; ``stopped()`` (optional)
    tells the client when the run must send nothing more."""
    adapter_class = platform_class(params)
    validate_connection(params, warn)
    adapter_class.validate(params)
    check_api_url_prefix(adapter_class, params.get("api_url"), labelled(params, "api_url"))
    base_url = adapter_class.base_url(params.get("api_url"), region_of(adapter_class, params))
    header, prefix = adapter_class.auth(params.get("auth_header"))
    client = Client(
        base_url,
        api_token(params),
        auth_header=header,
        auth_prefix=prefix,
        validate_certs=params["validate_certs"],
        timeout=params["timeout"],
        policy=RetryPolicy(max_retries=params["max_retries"], retry_after_cap=params["retry_after_cap"]),
        max_requests_per_second=params["max_requests_per_second"],
        max_pages=params["max_pages"],
        pool_size=params["max_concurrency"],
        platform=adapter_class.name,
        stopped=stopped,
    )
    return adapter_class(client, dict((name, params.get(name)) for name in ADAPTER_OPTIONS))


def connection_params(given):
    """The connection options outside a module (the inventory plugin, the event source): ``given`` with each option's
    environment variable where it is not set, then its default; values of the wrong type are converted or refused
    in one line naming the option. The same rules as a module's argument spec, so every entry point agrees."""
    params = {}
    for name, spec in CONNECTION_SPEC.items():
        value = given.get(name)
        if value is None and "fallback" in spec:
            try:
                value = spec["fallback"][0](*spec["fallback"][1])
            except AnsibleFallbackNotFound:
                value = None
        if value is None:
            value = spec.get("default")
        params[name] = _converted(name, spec, value)
        if spec.get("choices") and params[name] is not None and params[name] not in spec["choices"]:
            raise ValidationError("%s: '%s' is not one of %s%s" % (
                labelled(params, name), params[name], ", ".join(spec["choices"]), suggestion(params[name], spec["choices"])))
    unknown = not_connection_options(name for name, value in given.items() if value is not None)
    if unknown:
        raise ValidationError(unknown[0])
    params["platform"] = platform_class(params).name
    return params


def not_connection_options(names, prefix=""):
    """One message for each of ``names`` that is not a connection option, sorted: ``<prefix><name>: not a connection
    option (did you mean ...?); use ...``."""
    return ["%s%s: not a connection option%s; use %s" % (prefix, name, suggestion(name, CONNECTION_SPEC),
                                                         ", ".join(sorted(CONNECTION_SPEC)))
            for name in sorted(set(names)) if name not in CONNECTION_SPEC]


def _converted(name, spec, value):
    if value is None:
        return None
    kind = spec.get("type", "str")
    try:
        if kind == "bool":
            return boolean(value, strict=True)
        if kind in ("int", "float") and isinstance(value, bool):
            raise ValueError("a boolean")
        return {"int": int, "float": float, "str": str}[kind](value)
    except (TypeError, ValueError) as exc:
        raise ValidationError("%s: %r is not a valid %s (%s)" % (name, value, kind, exc))
