# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One ``RunContext`` per module run: what every layer below a module shares.

A module's ``run(ctx)`` reads its own options from ``ctx.params``; everything below it (targets, retry,
reports, the adapters) gets the context or plain values, never the options dict. The context holds the
adapter, the selection, the fan-out width, the place warnings go, the run id and the ledger of the run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import uuid

from ansible_collections.flowops.ipaas.plugins.module_utils._run.concurrency import fan_out, fan_out_all
from ansible_collections.flowops.ipaas.plugins.module_utils._run.controller import Controller
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import ControllerGone
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils._run.progress import Poller, ProgressFile

# A run id names files (backups) and is matched in reports and journals: a plain name, never a path.
RUN_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")


def checked_run_id(run_id):
    """``run_id`` when it is a plain name (1 to 64 letters, digits, '.', '_' or '-'; not '.' or '..'), else a
    one-line ``ValidationError``; None stays None."""
    if run_id is None:
        return None
    if not RUN_ID_PATTERN.fullmatch(run_id) or run_id in (".", ".."):
        raise ValidationError("run_id: %r is not a plain name; use 1 to 64 letters, digits, '.', '_' or '-'; "
                              "nothing was sent" % (run_id,))
    return run_id


class RunContext:
    """Shared settings and sinks of one module run. ``module`` is an AnsibleModule (or a test stand-in)."""

    def __init__(self, module, adapter):
        self.module = module
        self.params = module.params
        self.adapter = adapter
        self.selection = None  # the module sets its ErrorSelection
        self.concurrency = max(1, int(module.params.get("max_concurrency") or 1))
        self.check_mode = bool(module.check_mode)
        self.diff = bool(getattr(module, "_diff", False))
        self.tmpdir = getattr(module, "tmpdir", None)
        self.run_id = checked_run_id(module.params.get("run_id")) or uuid.uuid4().hex
        self.ledger = None
        self.dismissed = None  # dismissals.dismissed_for() reads it on platforms that resolve locally
        self.warnings = []
        self.controller = Controller()
        self.progress_file = ProgressFile(module.params.get("progress_file"))
        # Run with async, the module is out of ansible-playbook's process tree: the polling play is the controller.
        self.poller = Poller(module.params.get("progress_file"))
        if getattr(adapter, "client", None) is not None:
            adapter.client.stopped = self.controller_gone  # a request waiting out a Retry-After is not re-sent
        adapter.bind(self)

    def warn(self, message):
        """A warning that reaches the task's ``warnings`` (and ``ctx.warnings`` for results that list them); each said once."""
        if message not in self.warnings:
            self.warnings.append(message)
            self.module.warn(message)

    def controller_gone(self):
        """True once ansible-playbook that started this run is gone (killed or cancelled): send nothing more."""
        return self.controller.gone() or self.poller.gone()

    def stop_if_controller_gone(self, done):
        """Raise ``ControllerGone`` (nothing more is sent) once the controller is gone; ``done`` says what was."""
        if self.controller_gone():
            raise ControllerGone("the controller (pid %s) is gone, killed or cancelled: stopped before sending more; %s"
                                 % (self.controller.controller_pid, done))

    def progress(self, phase, done, total, jobs_running=0, final=False):
        """Say how far a long phase is in ``progress_file`` (when the module has one): at most once a second."""
        self.progress_file.update(phase, done, total, jobs_running, final)

    def fan_out(self, func, items):
        """``(item, result, error)`` in input order, at most ``concurrency`` calls at once (see concurrency.py)."""
        return fan_out(func, items, self.concurrency)

    def fan_out_all(self, func, items):
        """``[(item, result)]`` in input order, or the first ``FlowOpsError`` raised."""
        return fan_out_all(func, items, self.concurrency)
