# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place a module's work is started and a ``FlowOpsError`` becomes ``fail_json``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.flowops.ipaas.plugins.module_utils._run.arguments import CONNECTION_SPEC, adapter_from_params
from ansible_collections.flowops.ipaas.plugins.module_utils._http.client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR, scrub_token
from ansible_collections.flowops.ipaas.plugins.module_utils._run.context import RunContext, RunHooks, RunSettings
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError


def module_spec(*specs):
    """The connection spec merged with a module's own option specs."""
    merged = dict(CONNECTION_SPEC)
    for spec in specs:
        merged.update(spec)
    return merged


def run_hooks(module):
    """The hooks of a run (warnings, fan-out, the stop check), made before its adapter so the client gets ``stopped``."""
    return RunHooks(module.warn, module.params.get("max_concurrency"), module.params.get("progress_file"))


def build_context(module, adapter, build=None, hooks=None):
    """The run's one ``RunContext`` and the collaborators its ``run()`` takes, built before any request.

    In this order: the settings read from the validated options (a bad ``run_id`` fails here), the hooks the adapter
    and its client are given (warnings, fan-out, the stop check: callables, not the context), then ``build(settings,
    adapter)``, the module's own builder: a dict of what its run needs, built from the options (typed option objects,
    the plan gate, the replay source, the ledger factory ...). Its ``selection`` and ``dismissed`` go into the context,
    the rest is returned as ``run()``'s keyword arguments. Nothing is added to the context afterwards.
    """
    settings = RunSettings(module)
    if hooks is None:  # an adapter built without the run's hooks (tests): its client learns the stop check here
        hooks = run_hooks(module)
        if getattr(adapter, "client", None) is not None:
            adapter.client.watch(hooks.stopped)
    adapter.bind(warn=hooks.warn, fan_out_all=hooks.fan_out_all)
    collaborators = dict(build(settings, adapter)) if build else {}
    ctx = RunContext(settings, adapter, hooks, selection=collaborators.pop("selection", None),
                     dismissed=collaborators.pop("dismissed", None))
    return ctx, collaborators


def run_module(run, argument_spec, build=None, **module_kwargs):
    """Build the module, the adapter, the run's context and collaborators (``build_context``), and call
    ``run(ctx, **collaborators)``; exits with its result dict.

    ``run`` may raise ``FlowOpsError``; a ``result`` attached to it (work done before the failure)
    is returned alongside the one-line message so nothing done is left unaccounted for.
    """
    module_kwargs.setdefault("supports_check_mode", True)
    module = AnsibleModule(argument_spec=argument_spec, **module_kwargs)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    adapter = None
    try:
        hooks = run_hooks(module)
        # A request waiting out a Retry-After is not re-sent once the run must stop.
        adapter = adapter_from_params(module.params, module.warn, stopped=hooks.stopped)
        ctx, collaborators = build_context(module, adapter, build, hooks)
        result = run(ctx, **collaborators)
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
