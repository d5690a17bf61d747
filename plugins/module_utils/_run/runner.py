# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place a module's work is started and a ``FlowOpsError`` becomes ``fail_json``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.flowops.ipaas.plugins.module_utils._run.arguments import CONNECTION_SPEC, adapter_from_params
from ansible_collections.flowops.ipaas.plugins.module_utils._http.client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR, scrub_token
from ansible_collections.flowops.ipaas.plugins.module_utils._run.context import RunContext
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError


def module_spec(*specs):
    """The connection spec merged with a module's own option specs."""
    merged = dict(CONNECTION_SPEC)
    for spec in specs:
        merged.update(spec)
    return merged


def run_module(run, argument_spec, **module_kwargs):
    """Build the module, the adapter and the run's context, and call ``run(ctx)``; exits with its result dict.

    ``run`` may raise ``FlowOpsError``; a ``result`` attached to it (work done before the failure)
    is returned alongside the one-line message so nothing done is left unaccounted for.
    """
    module_kwargs.setdefault("supports_check_mode", True)
    module = AnsibleModule(argument_spec=argument_spec, **module_kwargs)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    adapter = None
    try:
        adapter = adapter_from_params(module.params, module.warn)
        result = run(RunContext(module, adapter))
    except FlowOpsError as exc:
        failure = dict(getattr(exc, "result", None) or {})
        failure.update(exc.to_fail_kwargs())
        module.fail_json(**failure)
    except Exception as exc:  # pylint: disable=broad-except
        # A traceback may quote a request (the token with it): one scrubbed line instead.
        module.fail_json(msg="unexpected error, a bug in flowops.ipaas (please report it with the task): %s: %s"
                         % (type(exc).__name__, scrub_token(str(exc), module.params.get("api_token"))))
    finally:
        if adapter is not None:
            adapter.client.close()
    module.exit_json(**result)
