# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options: validation messages and the adapter they build."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import requests

from ansible.module_utils.basic import AnsibleFallbackNotFound

from ansible_collections.flowops.ipaas.plugins.module_utils._run.arguments import (
    CONNECTION_SPEC, adapter_from_params, connection_params, env_fallback, not_connection_options, validate_connection,
)
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms import ADAPTERS
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.celigo import CeligoAdapter

TOKEN = "0123456789abcdef0123456789abcdef"


def params(**overrides):
    values = dict((name, spec.get("default")) for name, spec in CONNECTION_SPEC.items())
    values["api_token"] = TOKEN
    values.update(overrides)
    return values


@pytest.fixture
def adapters():
    made = []

    def build(**overrides):
        adapter = adapter_from_params(params(**overrides))
        made.append(adapter)
        return adapter

    yield build
    for adapter in made:
        adapter.client.close()


def test_defaults_validate():
    validate_connection(params())


def test_spec_marks_the_token_no_log():
    assert CONNECTION_SPEC["api_token"]["no_log"] is True
    assert "choices" not in CONNECTION_SPEC["platform"]  # checked by platform_class, with a "did you mean"
    assert "celigo" in ADAPTERS


@pytest.mark.parametrize("token", [None, ""])
def test_missing_token(token):
    with pytest.raises(ValidationError) as info:
        validate_connection(params(api_token=token))
    assert str(info.value).startswith("api_token: no API token")
    assert "FLOWOPS_API_TOKEN" in str(info.value)


@pytest.mark.parametrize("name, value, bound", [
    ("timeout", 0, "between 1 and 3600"),
    ("timeout", 0.5, "between 1 and 3600"),
    ("timeout", 3601, "between 1 and 3600"),
    ("max_retries", -1, "between 0 and 20"),
    ("max_retries", 21, "between 0 and 20"),
    ("retry_after_cap", -1, "between 0 and 3600"),
    ("retry_after_cap", 3601, "between 0 and 3600"),
    ("max_concurrency", 0, "between 1 and 64"),
    ("max_concurrency", 65, "between 1 and 64"),
    ("max_requests_per_second", -0.1, "between 0 and 100000"),
    ("max_pages", 0, "between 1 and 1000000"),
])
def test_out_of_range(name, value, bound):
    with pytest.raises(ValidationError) as info:
        validate_connection(params(**{name: value}))
    assert str(info.value) == "%s: %s is out of range; use a value %s" % (name, value, bound)


@pytest.mark.parametrize("name, value", [
    ("timeout", 1), ("timeout", 3600), ("max_retries", 0), ("max_retries", 20), ("retry_after_cap", 0),
    ("retry_after_cap", 3600), ("max_concurrency", 1), ("max_concurrency", 64), ("max_requests_per_second", 0),
    ("max_requests_per_second", 1000),
])
def test_in_range_boundaries(name, value):
    validate_connection(params(**{name: value}))


@pytest.mark.parametrize("url", ["api.integrator.io", "ftp://api.integrator.io", "//api.integrator.io", "file:///etc"])
def test_bad_api_url_scheme(url):
    with pytest.raises(ValidationError) as info:
        validate_connection(params(api_url=url))
    assert str(info.value) == "api_url: '%s' must start with https:// (or http:// for an emulator on this machine)" % url


@pytest.mark.parametrize("region, url", [("us", "https://api.integrator.io"), ("eu", "https://api.eu.integrator.io")])
def test_region_picks_the_base_url(adapters, region, url):
    adapter = adapters(region=region)
    assert isinstance(adapter, CeligoAdapter)
    assert adapter.client.base_url == url
    assert adapter.client.url_for("/v1/flows") == url + "/v1/flows"


def test_default_region_is_us(adapters):
    assert adapters().client.base_url == "https://api.integrator.io"


def test_api_url_overrides_region(adapters):
    adapter = adapters(region="eu", api_url="http://127.0.0.1:8080/")
    assert adapter.client.base_url == "http://127.0.0.1:8080"


def test_api_url_overrides_even_an_unknown_region(adapters):
    assert adapters(region="mars", api_url="https://emulator.example").client.base_url == "https://emulator.example"


def test_unknown_region():
    with pytest.raises(ValidationError) as info:
        adapter_from_params(params(region="ap"))
    assert str(info.value) == "region: 'ap' is not a celigo region; use one of au, ca, eu, us or set api_url"
    assert (info.value.option, info.value.environment_variable) == ("region", None)


@pytest.mark.parametrize("option, variable, typo, message", [
    ("region", "FLOWOPS_REGION", "euu", "region (from the FLOWOPS_REGION environment variable): 'euu' is not a celigo region "
                                        "(did you mean 'eu'?); use one of au, ca, eu, us or set api_url"),
    ("platform", "FLOWOPS_PLATFORM", "celgio", "platform (from the FLOWOPS_PLATFORM environment variable): 'celgio' is not a "
                                               "platform (did you mean 'celigo'?); use one of activepieces, celigo, cloudflare, superai"),
])
def test_a_typo_from_the_environment_is_refused_with_a_suggestion_naming_the_variable(monkeypatch, option, variable, typo, message):
    monkeypatch.setenv(variable, typo)
    with pytest.raises(ValidationError) as info:
        adapter_from_params(params(**{option: typo}))
    assert str(info.value) == message
    assert info.value.to_fail_kwargs()["option"] == option
    assert info.value.to_fail_kwargs()["environment_variable"] == variable


@pytest.mark.parametrize("region, url", [("EU", "https://api.eu.integrator.io"), (" Au ", "https://api.au.integrator.io"),
                                         ("US", "https://api.integrator.io")])
def test_regions_are_case_insensitive(adapters, region, url):
    assert adapters(region=region).client.base_url == url


@pytest.mark.parametrize("platform, name", [("Celigo", "celigo"), ("CLOUDFLARE", "cloudflare")])
def test_platforms_are_case_insensitive(adapters, platform, name):
    assert adapters(platform=platform, account_id="a1", project_id="p1").name == name


def test_an_api_url_from_the_environment_is_named_so(monkeypatch):
    monkeypatch.setenv("FLOWOPS_API_URL", "ftp://api.integrator.io")
    with pytest.raises(ValidationError) as info:
        validate_connection(params(api_url="ftp://api.integrator.io"))
    assert str(info.value).startswith("api_url (from the FLOWOPS_API_URL environment variable): 'ftp://api.integrator.io' must")
    assert info.value.to_fail_kwargs()["environment_variable"] == "FLOWOPS_API_URL"


@pytest.mark.parametrize("region, url", [("au", "https://api.au.integrator.io"), ("ca", "https://api.ca.integrator.io")])
def test_celigo_au_and_ca_regions(region, url):
    assert adapter_from_params(params(region=region)).client.base_url == url


def test_options_reach_the_client(adapters):
    adapter = adapters(timeout=12.5, max_retries=2, retry_after_cap=45, max_requests_per_second=4, validate_certs=False)
    client = adapter.client
    assert client.timeout == 12.5
    assert client.policy.max_retries == 2
    assert client.policy.retry_after_cap == 45
    assert client.session.verify is False
    assert client._ceiling.interval == pytest.approx(0.25, rel=0.011)  # pylint: disable=protected-access
    prepared = client.session.prepare_request(requests.Request("GET", client.url_for("/v1/flows")))
    assert prepared.headers["Authorization"] == "Bearer " + TOKEN


def test_validation_runs_before_building():
    with pytest.raises(ValidationError) as info:
        adapter_from_params(params(api_token=None, region="nowhere"))
    assert str(info.value).startswith("api_token:")


def test_blank_environment_values_count_as_unset(monkeypatch):
    """AWX injects every credential input, an unset one as an empty string."""
    monkeypatch.setenv("FLOWOPS_PLATFORM", "")
    monkeypatch.setenv("FLOWOPS_REGION", "  ")
    with pytest.raises(AnsibleFallbackNotFound):
        env_fallback("FLOWOPS_PLATFORM")
    with pytest.raises(AnsibleFallbackNotFound):
        env_fallback("FLOWOPS_REGION")
    monkeypatch.setenv("FLOWOPS_REGION", "eu")
    assert env_fallback("FLOWOPS_PLATFORM", "FLOWOPS_REGION") == "eu"


def test_every_connection_option_from_the_environment_uses_the_blank_aware_fallback():
    for name, spec in CONNECTION_SPEC.items():
        if "fallback" in spec:
            assert spec["fallback"][0] is env_fallback, name


def test_auth_header_a_platform_does_not_take_is_refused_in_one_line():
    with pytest.raises(ValidationError) as info:
        adapter_from_params(params(auth_header="x-api-key"))
    assert str(info.value) == "auth_header: platform 'celigo' takes only bearer, not 'x-api-key'"


def test_auth_header_default_is_the_bearer_form(adapters):
    client = adapters().client
    assert client.session.auth.header == "Authorization"
    assert client.session.auth.value == "Bearer " + TOKEN


@pytest.mark.parametrize("platform, api_url, message", [
    ("celigo", "https://api.integrator.io/v1", "ends with /v1, which the module adds itself; use https://api.integrator.io"),
    ("celigo", "https://api.eu.integrator.io/v1/", "ends with /v1, which the module adds itself; use https://api.eu.integrator.io"),
    ("activepieces", "https://ap.example.com/api/v1", "ends with /v1, which the module adds itself; use https://ap.example.com/api"),
    ("activepieces", "https://ap.example.com/api/api", "ends with /api twice; use https://ap.example.com/api"),
    ("cloudflare", "https://api.cloudflare.com/client/v4/client/v4",
     "ends with /client/v4 twice; use https://api.cloudflare.com/client/v4"),
    ("superai", "https://flows.super.ai/api", "ends with /api, which the module adds itself; use https://flows.super.ai"),
])
def test_api_url_ending_with_a_prefix_the_module_adds_is_refused_before_any_request(platform, api_url, message):
    with pytest.raises(ValidationError) as info:
        adapter_from_params(params(platform=platform, api_url=api_url, project_id="p1", account_id="a1"))
    assert str(info.value) == "api_url: '%s' %s" % (api_url, message)


@pytest.mark.parametrize("platform, api_url", [
    ("celigo", "https://api.integrator.io"), ("celigo", "http://127.0.0.1:8080/api"),
    ("activepieces", "https://ap.example.com/api"), ("cloudflare", "https://api.cloudflare.com/client/v4"),
    ("superai", "https://flows.super.ai"), ("superai", "https://flows.super.ai/"),
])
def test_api_urls_without_a_duplicated_prefix_are_taken(adapters, platform, api_url):
    assert adapters(platform=platform, api_url=api_url, project_id="p1", account_id="a1").client.base_url == api_url.rstrip("/")


def test_every_adapter_declares_the_prefix_it_adds():
    assert {name: adapter.path_prefix for name, adapter in ADAPTERS.items()} == {
        "celigo": "/v1", "activepieces": "/v1", "cloudflare": "", "superai": "/api"}


# -- issue #24: numbers, tokens and URLs that must never reach a request ----------------------------


@pytest.mark.parametrize("name", ["timeout", "max_requests_per_second"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_not_a_number_is_refused_for_every_float_option(name, value):
    with pytest.raises(ValidationError) as info:
        validate_connection(params(**{name: value}))
    assert str(info.value) == "%s: %s is not a number; use a finite value" % (name, value)


@pytest.mark.parametrize("raw", [TOKEN + "\n", TOKEN + "\r\n", "  " + TOKEN + "\t"])
def test_surrounding_whitespace_is_stripped_from_the_token(adapters, raw):
    adapter = adapters(api_token=raw)
    prepared = adapter.client.session.prepare_request(requests.Request("GET", adapter.client.url_for("/v1/flows")))
    assert prepared.headers["Authorization"] == "Bearer " + TOKEN


@pytest.mark.parametrize("token, problem", [
    ("abc def-0123456789", "a space, control or non-ASCII character inside it"),
    ("abc\ndef-0123456789", "a space, control or non-ASCII character inside it"),
    ("abc\x00def-0123456789", "a space, control or non-ASCII character inside it"),
    ("t\u00f6ken-0123456789", "a space, control or non-ASCII character inside it"),
    ("x", "1 characters long, too short to be an API token (at least 8)"),
    (" tok1234 ", "7 characters long, too short to be an API token (at least 8)"),
])
def test_a_token_that_cannot_be_one_is_refused_without_quoting_it(monkeypatch, token, problem):
    monkeypatch.delenv("FLOWOPS_API_TOKEN", raising=False)
    with pytest.raises(ValidationError) as info:
        validate_connection(params(api_token=token))
    message = str(info.value)
    assert message.startswith("api_token: the token ") and problem in message, message
    assert "\n" not in message and token.strip() not in message


def test_a_bad_token_from_the_environment_says_so(monkeypatch):
    monkeypatch.setenv("FLOWOPS_API_TOKEN", "short")
    with pytest.raises(ValidationError) as info:
        validate_connection(params(api_token="short"))
    assert str(info.value).startswith("api_token (from the FLOWOPS_API_TOKEN environment variable): the token is 5")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://127.3.4.5", "http://localhost:9", "http://[::1]:80",
                                 "http://LOCALHOST", "https://api.integrator.io"])
def test_http_is_accepted_for_loopback_hosts_only(url):
    warnings = []
    validate_connection(params(api_url=url), warnings.append)
    assert warnings == []


@pytest.mark.parametrize("url", ["http://api.integrator.io", "http://10.0.0.5:8080", "http://127.0.0.1.evil.example"])
@pytest.mark.parametrize("validate_certs, allow", [(True, False), (False, False), (True, True)])
def test_plain_http_elsewhere_needs_both_switches(url, validate_certs, allow):
    with pytest.raises(ValidationError) as info:
        validate_connection(params(api_url=url, validate_certs=validate_certs, allow_insecure_http=allow))
    message = str(info.value)
    assert message.startswith("api_url: '%s' is plain http:// to " % url), message
    assert "validate_certs: false and allow_insecure_http: true" in message


def test_plain_http_elsewhere_with_both_switches_warns():
    warnings = []
    validate_connection(params(api_url="http://api.integrator.io", validate_certs=False, allow_insecure_http=True),
                        warnings.append)
    assert warnings == ["api_url: plain http:// to api.integrator.io (allow_insecure_http): the API token travels in "
                        "clear text"]


@pytest.mark.parametrize("url, problem", [
    ("https://", "has no host"),
    ("https://api.integrator.io:99999", "is not a URL (a port is 1 to 65535)"),
    ("https://api.integrator.io:0", "port 0"),
    ("https://user:secret@api.integrator.io", "has user-info or a backslash"),
    ("https://api.integrator.io\\@evil.example", "has user-info or a backslash"),
])
def test_api_url_without_a_usable_host_or_port_is_refused(url, problem):
    with pytest.raises(ValidationError) as info:
        validate_connection(params(api_url=url))
    message = str(info.value)
    assert message.startswith("api_url: ") and problem in message, message
    assert "secret" not in message


def test_region_beside_api_url_warns_which_wins():
    warnings = []
    validate_connection(params(api_url="https://api.eu.integrator.io", region="us"), warnings.append)
    assert warnings == ["region 'us' is ignored: api_url is set, and api_url wins (https://api.eu.integrator.io)"]


# -- connection options outside a module (inventory plugin, event source) ---------------------------------------


def test_connection_params_take_the_environment_then_the_defaults(monkeypatch):
    monkeypatch.setenv("FLOWOPS_API_TOKEN", TOKEN + "\n")
    monkeypatch.setenv("FLOWOPS_REGION", "")  # AWX injects unset inputs as empty strings: unset
    monkeypatch.setenv("FLOWOPS_PLATFORM", "cloudflare")
    params = connection_params({"timeout": "12.5", "validate_certs": "no", "max_pages": 7, "account_id": "a1"})
    assert params["api_token"] == TOKEN + "\n" and params["region"] is None and params["platform"] == "cloudflare"
    assert (params["timeout"], params["validate_certs"], params["max_pages"], params["account_id"]) == (12.5, False, 7, "a1")
    assert params["max_retries"] == CONNECTION_SPEC["max_retries"]["default"]
    assert set(params) == set(CONNECTION_SPEC)


def test_not_connection_options_names_each_unknown_once_sorted_with_its_prefix():
    use = ", ".join(sorted(CONNECTION_SPEC))
    assert not_connection_options(["region", "regoin", "zz", "regoin", "api_url"], prefix="conn.") == [
        "conn.regoin: not a connection option (did you mean 'region'?); use " + use,
        "conn.zz: not a connection option; use " + use]
    assert not_connection_options(iter(CONNECTION_SPEC)) == []


@pytest.mark.parametrize("given, message", [
    ({"timeout": "soon"}, "timeout: 'soon' is not a valid float"),
    ({"validate_certs": "perhaps"}, "validate_certs: 'perhaps' is not a valid bool"),
    ({"max_pages": True}, "max_pages: True is not a valid int"),
    ({"platform": "zapier"}, "platform: 'zapier' is not a platform; use one of activepieces, celigo, cloudflare, superai"),
    ({"platform": "cloudflair"}, "platform: 'cloudflair' is not a platform (did you mean 'cloudflare'?); use one of "),
    ({"api_tokn": "x"}, "api_tokn: not a connection option (did you mean 'api_token'?); use "),
    ({"auth_header": "bearr"}, "auth_header: 'bearr' is not one of bearer, x-api-key (did you mean 'bearer'?)"),
])
def test_connection_params_refuse_bad_values_in_one_line(monkeypatch, given, message):
    monkeypatch.delenv("FLOWOPS_PLATFORM", raising=False)
    with pytest.raises(ValidationError) as info:
        connection_params(given)
    assert str(info.value).startswith(message), str(info.value)
