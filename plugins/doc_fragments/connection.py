# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Every module of the collection extends this fragment, so the author is named once, here.
    DOCUMENTATION = r"""
author:
  - flowops.ipaas contributors (@flowops)
options:
  platform:
    description:
      - The integration platform to talk to, one of V(celigo), V(activepieces), V(superai) or V(cloudflare)
        (case-insensitive). Another name fails before any request, with the closest one suggested.
      - If not set, the value of the E(FLOWOPS_PLATFORM) environment variable is used. Environment variables that are
        set but empty (as AWX injects unset credential inputs) count as unset, for every option.
    type: str
    default: celigo
  api_url:
    description:
      - Base URL of the platform API, without the C(/v1) path, for example V(https://api.integrator.io).
      - Overrides O(region). Point it at the bundled emulator for offline tries.
      - If not set, the value of the E(FLOWOPS_API_URL) environment variable is used.
    type: str
  region:
    description:
      - Celigo region used when O(api_url) is not set. V(us) is U(https://api.integrator.io),
        V(eu) is U(https://api.eu.integrator.io), V(au) is U(https://api.au.integrator.io),
        V(ca) is U(https://api.ca.integrator.io).
      - Case-insensitive (V(EU) is V(eu)); an unknown region fails before any request, with the closest one suggested
        and, when the value came from E(FLOWOPS_REGION), that variable named.
      - If not set, the value of the E(FLOWOPS_REGION) environment variable is used; without either, the
        platform's first region (V(us) for Celigo; the other platforms have one public host).
    type: str
  api_token:
    description:
      - API token, sent as O(auth_header) says. It is never logged or returned.
      - If not set, the value of the E(FLOWOPS_API_TOKEN) environment variable is used.
    type: str
  auth_header:
    description:
      - "How the token is sent. V(bearer) is C(Authorization: Bearer <token>); V(x-api-key) is C(X-API-Key: <token>),
        for SuperAI service-account keys."
      - A platform that takes only one form refuses the other before any request. Without a value, the platform's
        default (V(bearer) on every platform).
      - If not set, the value of the E(FLOWOPS_AUTH_HEADER) environment variable is used.
    type: str
    choices: [bearer, x-api-key]
  project_id:
    description:
      - Project id, for platforms that scope flows by project (Activepieces).
      - If not set, the value of the E(FLOWOPS_PROJECT_ID) environment variable is used.
    type: str
  account_id:
    description:
      - Account id, for platforms that scope resources by account (Cloudflare).
      - If not set, the value of the E(FLOWOPS_ACCOUNT_ID) environment variable is used.
    type: str
  validate_certs:
    description:
      - Verify the API's TLS certificate. Set to V(false) only for a trusted test host.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for each HTTP response (1 to 3600).
    type: float
    default: 30
  max_retries:
    description:
      - How many times a request is re-sent after HTTP 429, a gateway error (502, 503, 504) or a connection
        failure. GET and PUT are re-sent; a POST is re-sent only when it provably never reached the server.
        HTTP 400, 401, 403, 404, 409 and 422 are never retried.
    type: int
    default: 5
  retry_after_cap:
    description:
      - The longest C(Retry-After) wait, in seconds, the module honours. When the server asks for longer
        the task fails with a clear message instead of sleeping.
    type: int
    default: 120
  max_concurrency:
    description:
      - How many requests one task sends at once when it works on many flows and steps (1 to 64).
    type: int
    default: 8
  max_requests_per_second:
    description:
      - Client-side cap on requests per second for the whole task (every worker thread), to stay under the
        account's API limit. Requests go 1 % under it.
      - Adaptive. An HTTP 429 halves the rate and holds every thread back for its C(Retry-After); the rate then
        climbs back by 5 % of the cap a second, never above it.
      - V(0) means no cap; nothing is paced, and a 429 only holds every thread back for its C(Retry-After).
    type: float
    default: 0
  max_pages:
    description:
      - The most pages any one listing may take (1 to 1000000). A server that keeps handing out new next-page
        links past this fails the task in one line instead of paging on.
    type: int
    default: 10000
    version_added: 1.1.0
  allow_insecure_http:
    description:
      - Allow an O(api_url) starting with C(http://) on a host other than the loopback (V(127.0.0.1), V(::1),
        V(localhost)). The token then travels in clear text; it is refused unless O(validate_certs) is V(false)
        as well, to say twice that this is a trusted test network.
    type: bool
    default: false
    version_added: 1.1.0
requirements:
  - requests
"""
