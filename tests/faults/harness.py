"""The fault suite's own drivers: real ``ansible-playbook`` runs (foreground or killable) and in-process
``run()`` calls with a real adapter and client against real HTTP.
"""

import base64
import importlib
import os
import signal
import time
from pathlib import Path
from urllib.parse import quote

from ansible_collections.flowops.ipaas.tests import playbook_env
from ansible_collections.flowops.ipaas.tests.playbook_env import BIN, ROOT, Outcome  # pylint: disable=unused-import  # re-exported for the fault tests

MODULES = ("flow_instance_info", "flow_errors_info", "flow_errors_retry", "flow_errors_resolve", "flow_connection_replace")


def token_forms(token):
    """The raw, URL-encoded and base64 forms of a token."""
    return {"raw": token, "url": quote(token, safe=""), "base64": base64.b64encode(token.encode("utf-8")).decode("ascii")}


def task(module, register=None, ignore_errors=False, **args):
    """One playbook task for a flowops.ipaas module."""
    item = {"name": "%s %s" % (module, register or ""), "flowops.ipaas.%s" % module: args}
    if register:
        item["register"] = register
    if ignore_errors:
        item["ignore_errors"] = True
    return item


class Playbook(playbook_env.Playbook):
    """The shared runner, with ``start`` returning a ``Running`` that can kill the whole process group."""

    def run(self, tasks, *, check=False, diff=False, token=None, env=None, verbosity=0, timeout=240):  # pylint: disable=too-many-arguments
        return super().run(tasks, check=check, diff=diff, token=token, env=env, verbosity=verbosity, timeout=timeout,
                           name="fault suite")

    def start(self, tasks, token=None, env=None):
        return Running(*super().start(tasks, token=token, env=env))


class Running:
    """An ansible-playbook process group started by ``Playbook.start``."""

    def __init__(self, proc, log, results):
        self.proc = proc
        self.log = log
        self.results = results

    def kill(self, timeout=10):
        """SIGKILL the whole process group (ansible-playbook, its workers and the module) and wait until it is gone."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout)
        self.log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        raise AssertionError("process group %d still alive after SIGKILL" % self.proc.pid)

    def output(self):
        self.log.flush()
        return Path(self.log.name).read_text(encoding="utf-8")

    def wait(self, timeout=240):
        self.proc.wait(timeout)
        self.log.close()
        return self.proc.returncode


def wait_until(condition, timeout=30.0, interval=0.02, what="condition"):
    """Poll ``condition()`` until it returns something truthy; bounded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out after %.1f s waiting for %s" % (timeout, what))


# -- in-process module runs ------------------------------------------------------------------------


class StubModule:  # pylint: disable=too-few-public-methods
    """What a module's ``run()`` uses of AnsibleModule: params (with the spec's defaults), check mode, diff, warn."""

    def __init__(self, spec, check_mode=False, diff=False, **params):
        unknown = set(params) - set(spec)
        if unknown:
            raise TypeError("unknown options %s" % ", ".join(sorted(unknown)))
        self.params = {name: option.get("default") for name, option in spec.items()}
        self.params.update(params)
        self.check_mode = check_mode
        self._diff = diff
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)


def module_code(name):
    return importlib.import_module("ansible_collections.flowops.ipaas.plugins.modules.%s" % name)


def run_inprocess(name, api_url, token, check_mode=False, setup=None, **params):
    """Call module ``name``'s ``run()`` with a real adapter from ``adapter_from_params`` against ``api_url``.

    ``setup(adapter)`` may adjust the real client before the run (e.g. hook its sleep). Returns
    ``(result, adapter)``; a ``FlowOpsError`` propagates as the module would turn it into ``fail_json``.
    """
    arguments = importlib.import_module("ansible_collections.flowops.ipaas.plugins.module_utils._run.arguments")
    runner = importlib.import_module("ansible_collections.flowops.ipaas.plugins.module_utils._run.runner")
    code = module_code(name)
    module = StubModule(code.ARGUMENT_SPEC, check_mode=check_mode, api_url=api_url, api_token=token, **params)
    adapter = arguments.adapter_from_params(module.params)
    try:
        if setup is not None:
            setup(adapter)
        ctx, collaborators = runner.build_context(module, adapter, getattr(code, "build", None))
        return code.run(ctx, **collaborators), adapter
    finally:
        adapter.client.close()


# -- scenarios and the server's view ------------------------------------------------------------------


def small_scenario(instances=1, steps=2, errors=6, **kwargs):
    """A generated scenario: ``instances`` instances of one abstract flow, every error retryable, none failing
    again and no flow disabled unless asked."""
    scenarios = importlib.import_module("ansible_collections.flowops.ipaas.tests.emulator.celigo.scenario")
    settings = {"instances": instances, "steps": steps, "errors_per_step": errors, "retryable_share": 1.0,
                "fail_again_share": 0.0, "disabled_instances": 0, "seed": 7}
    settings.update(kwargs)
    return scenarios.generate(**settings)


def logged(handle, method=None, path=None):
    """The emulator's request log entries for ``method`` whose path matches the regex ``path`` (searched)."""
    import re  # pylint: disable=import-outside-toplevel
    pattern = re.compile(path) if path else None
    return [entry for entry in handle.requests
            if (method is None or entry["method"] == method) and (pattern is None or pattern.search(entry["path"]))]


def posted_keys(handle, path="/retry"):
    """Every retryDataKey in the retry POSTs the server processed (status 200/204), in order."""
    keys = []
    for entry in logged(handle, "POST", path):
        if entry["status"] in (200, 204):
            keys.extend(entry["body"]["retryDataKeys"])
    return keys


def assert_one_line(message):
    """A failure an operator can read: one non-empty line, no Python traceback."""
    assert isinstance(message, str) and message.strip(), message
    assert "\n" not in message.strip(), "not one line: %r" % message
    assert "Traceback" not in message, message


CRASH_MARKERS = ("Module failed:", "MODULE FAILURE", "Traceback", "Unexpected failure")


def assert_clean_failure(result):
    """A registered task result that failed through the module's own ``fail_json``, with one readable line.

    An exception the module did not handle shows up (ansible-core 2.19) as ``Task failed: Module failed: <repr>``
    or, in older releases, as ``MODULE FAILURE`` with ``module_stderr``: both count as a crash here.
    """
    assert result and result.get("failed") is True, result
    message = result.get("msg", "")
    assert_one_line(message)
    assert not any(marker in message for marker in CRASH_MARKERS), "the module crashed: %s" % message
    assert "module_stderr" not in result, result.get("module_stderr")
