# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One ``RunContext`` per module run, built once by the runner and never changed afterwards.

The runner (runner.py) reads the validated options once into ``RunSettings``, makes the run's ``RunHooks`` (where
warnings go, the fan-out, the stop check: all the adapter and its client may call back), lets the module build its
collaborators (selection, dismissed errors, typed feature options ...) and puts them in one ``RunContext``. Every
one of these refuses a new or changed attribute after ``__init__``; ``params`` is a read-only view of the options.
A module's ``run(ctx, ...)`` reads its own options from ``ctx.params``; everything below it gets the context, typed
option objects or plain values, never the options dict to read or write.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import uuid

from types import MappingProxyType

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


class Frozen:
    """Built once: ``__init__`` sets every attribute (through ``_set``); setting, adding or deleting one afterwards
    raises ``AttributeError``. Subclasses list their attributes in ``__slots__``."""

    __slots__ = ()

    def _set(self, **values):
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError("%s is built once: '%s' cannot be set or added afterwards" % (type(self).__name__, name))

    def __delattr__(self, name):
        raise AttributeError("%s is built once: '%s' cannot be deleted" % (type(self).__name__, name))


class RunSettings(Frozen):
    """What a run is told, read once from the validated options of ``module`` (an AnsibleModule or a stand-in):
    the options (a read-only view), check and diff mode, the module's tmpdir and the run id (made when none is
    given; a bad one is a ``ValidationError``)."""

    __slots__ = ("params", "check_mode", "diff", "tmpdir", "run_id")

    def __init__(self, module):
        params = MappingProxyType(module.params)
        self._set(params=params, check_mode=bool(module.check_mode), diff=bool(getattr(module, "_diff", False)),
                  tmpdir=getattr(module, "tmpdir", None), run_id=checked_run_id(params.get("run_id")) or uuid.uuid4().hex)


class RunHooks(Frozen):
    """What the adapter and its client may call back into a run, and nothing more: ``warn``, ``fan_out_all`` and
    ``stopped``. Made before the context, so the adapter is given these callables instead of the context."""

    __slots__ = ("warnings", "concurrency", "controller", "poller", "_emit")

    def __init__(self, emit, concurrency=1, progress_path=None, controller=None):
        # Run with async, the module is out of ansible-playbook's process tree: the polling play is the controller.
        self._set(warnings=[], concurrency=max(1, int(concurrency or 1)), controller=controller or Controller(),
                  poller=Poller(progress_path), _emit=emit)

    def warn(self, message):
        """``message`` reaches the module once, and ``warnings`` for results that list them."""
        if message not in self.warnings:
            self.warnings.append(message)
            self._emit(message)

    def stopped(self):
        """True once ansible-playbook that started this run is gone (killed or cancelled): send nothing more."""
        return self.controller.gone() or self.poller.gone()

    def fan_out(self, func, items):
        """``(item, result, error)`` in input order, at most ``concurrency`` calls at once (see concurrency.py)."""
        return fan_out(func, items, self.concurrency)

    def fan_out_all(self, func, items):
        """``[(item, result)]`` in input order, or the first ``FlowOpsError`` raised."""
        return fan_out_all(func, items, self.concurrency)


class RunContext(Frozen):
    """Shared settings, collaborators and sinks of one module run; see the module docstring.

    ``selection`` is the run's ``ErrorSelection`` (None for a module without one), ``dismissed`` the errors dismissed
    in the collection's own state (None unless the platform resolves locally), ``ledger`` the run's ledger: None
    until the module has accounted the selected keys and taken ``with_ledger(ledger)``, a new context for the rest.
    """

    __slots__ = ("params", "adapter", "selection", "dismissed", "ledger", "concurrency", "check_mode", "diff", "tmpdir",
                 "run_id", "warnings", "controller", "progress_file", "_hooks")

    def __init__(self, settings, adapter, hooks, selection=None, dismissed=None, ledger=None):
        self._set(params=settings.params, adapter=adapter, selection=selection, dismissed=dismissed, ledger=ledger,
                  concurrency=hooks.concurrency, check_mode=settings.check_mode, diff=settings.diff,
                  tmpdir=settings.tmpdir, run_id=settings.run_id, warnings=hooks.warnings, controller=hooks.controller,
                  progress_file=ProgressFile(settings.params.get("progress_file")), _hooks=hooks)

    def with_ledger(self, ledger):
        """This run's context with its ``ledger``: everything else (progress throttle included) is shared."""
        ctx = object.__new__(RunContext)
        ctx._set(**dict((name, getattr(self, name)) for name in RunContext.__slots__))
        ctx._set(ledger=ledger)
        return ctx

    def warn(self, message):
        """A warning that reaches the task's ``warnings`` (and ``ctx.warnings`` for results that list them); each said once."""
        self._hooks.warn(message)

    def controller_gone(self):
        """True once ansible-playbook that started this run is gone (killed or cancelled): send nothing more."""
        return self._hooks.stopped()

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
        return self._hooks.fan_out(func, items)

    def fan_out_all(self, func, items):
        """``[(item, result)]`` in input order, or the first ``FlowOpsError`` raised."""
        return self._hooks.fan_out_all(func, items)
