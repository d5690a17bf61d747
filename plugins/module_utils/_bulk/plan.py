# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan, then apply exactly the plan: the plan file flow_errors_retry and flow_errors_resolve write in check mode
and check a real run against.

A plan lists every selected key with its flow, step, error id and action. Its ``plan_sha256`` is the SHA-256 of
the keys in canonical order: sorted by ``(_flowId, _stepId, key)``, one line per key
``<_flowId>\\t<_stepId>\\t<key>\\t<errorId>\\t<action>\\n``, UTF-8. The order does not depend on listing order or
concurrency, so the same selection always gives the same hash; the error id and action are in the line, so a
plan whose keys were edited, or whose errors failed again under new ids, hashes differently.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils._output.files import check_writable, utc_now, write_json
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.states import NOT_IN_PLAN

PLAN_SPEC = dict(
    plan_file=dict(type="path"),
    plan_tolerance=dict(type="str", default="exact", choices=["exact", "subset"]),
    plan_sha256=dict(type="str"),
)
PLAN_FORMAT = "flowops.ipaas/plan"
PLAN_VERSION = 1
# A key of the live selection a subset-tolerant run leaves alone: not in the plan, or changed since.
ORDER = "sorted by _flowId, _stepId, key; plan_sha256 = SHA-256 of one line per key: _flowId TAB _stepId TAB key TAB " \
        "errorId TAB action LF"


def canonical(entries):
    """Plan entries (``{"key", "_flowId", "_stepId", "errorId", "action"}``) in the canonical order."""
    return sorted(entries, key=lambda e: (e["_flowId"], e["_stepId"], e["key"]))


def plan_sha256(entries):
    """SHA-256 (hex) over the entries in canonical order (see the module docstring)."""
    digest = hashlib.sha256()
    for entry in canonical(entries):
        line = "\t".join(str(entry[name] if entry[name] is not None else "")
                         for name in ("_flowId", "_stepId", "key", "errorId", "action"))
        digest.update((line + "\n").encode("utf-8"))
    return digest.hexdigest()


def diff(planned, live):
    """``{"added", "removed", "changed"}`` key lists (sorted) between two entry lists: added keys are live and not
    planned, removed keys planned and not live, changed keys in both with another flow, step, error id or action."""
    plan_by_key = dict((e["key"], e) for e in planned)
    live_by_key = dict((e["key"], e) for e in live)
    fields = ("_flowId", "_stepId", "errorId", "action")
    return {
        "added": sorted(set(live_by_key) - set(plan_by_key)),
        "removed": sorted(set(plan_by_key) - set(live_by_key)),
        "changed": sorted(key for key in set(plan_by_key) & set(live_by_key)
                          if any(plan_by_key[key][f] != live_by_key[key][f] for f in fields)),
    }


def count_actions(entries):
    counts = {"selected": len(entries)}
    for entry in entries:
        counts[entry["action"]] = counts.get(entry["action"], 0) + 1
    return counts


def ledger_entries(ledger, key_name, verbs):
    """The ledger's keys as plan entries; ``verbs`` names a pending action (``to_retry`` -> ``retry``)."""
    return [{"key": record[key_name], "_flowId": record["_flowId"], "_stepId": record["_stepId"],
             "errorId": record["errorId"], "action": verbs.get(record["action"], record["action"])}
            for record in ledger.key_records(key_name)]


class PlanOptions:
    """The plan options, typed, and what a plan records: read once from the validated options when the run is built.

    ``recorded`` holds the values of ``option_names`` (the options a plan records and its apply run must repeat: a
    plan made for another selection is refused, not reinterpreted); ``elsewhere`` the other paths the run writes or
    reads, which the plan file must not be.
    """

    ELSEWHERE = ("report_file", "backup_file", "from_backup")

    def __init__(self, path=None, tolerance="exact", expected=None, recorded=None, elsewhere=None):
        self.path = path
        self.tolerance = tolerance or "exact"
        self.expected = (expected or "").strip().lower() or None
        self.recorded = dict(recorded or {})
        self.elsewhere = dict(elsewhere or {})

    @classmethod
    def from_params(cls, params, option_names):
        return cls(params.get("plan_file"), params.get("plan_tolerance"), params.get("plan_sha256"),
                   dict((name, params.get(name)) for name in option_names),
                   dict((name, params.get(name)) for name in cls.ELSEWHERE))


class PlanGate:
    """One module run's plan: writes the plan in check mode, holds a real run to it otherwise.

    ``options`` is the run's ``PlanOptions``; ``module_name`` and ``key_name`` say whose plan it is and which field is
    its key; ``verbs`` maps the ledger's pending action to the plan's action name; ``platform``, ``run_id`` and
    ``check_mode`` are the run's.
    """

    def __init__(self, options, module_name, key_name, verbs, platform, run_id, check_mode=False):
        self.module_name = module_name
        self.key_name = key_name
        self.verbs = verbs
        self.platform = platform
        self.run_id = run_id
        self.check_mode = check_mode
        self.path = options.path
        self.tolerance = options.tolerance
        self.expected = options.expected
        self.recorded = options.recorded
        self.elsewhere = options.elsewhere
        self.plan = None

    @property
    def active(self):
        return bool(self.path)

    def options(self):
        return dict(self.recorded)

    def check(self):
        """Before any request: the options make sense, and a real run's plan is readable, intact and expected."""
        if self.expected and not self.path:
            raise ValidationError("plan_sha256: give plan_file too; the hash pins a plan file")
        if not self.path:
            return
        for option in PlanOptions.ELSEWHERE:
            other = self.elsewhere.get(option)
            if other and os.path.abspath(other) == os.path.abspath(self.path):
                raise ValidationError("plan_file: %s is also %s; use another path" % (self.path, option))
        if self.check_mode:
            check_writable(self.path, "plan_file")
            return
        self.plan = self._load()
        if self.expected and self.expected != self.plan["plan_sha256"]:
            raise ValidationError("plan_sha256: the plan file %s hashes to %s, not the approved %s; nothing was sent"
                                  % (self.path, self.plan["plan_sha256"], self.expected))

    def _load(self):
        path = os.path.abspath(self.path)
        if not os.path.exists(path):
            raise ValidationError("plan_file: %s does not exist; write it with a check-mode run first; nothing was sent"
                                  % path)
        try:
            with open(path) as stream:
                plan = json.load(stream)
        except OSError as exc:
            raise ValidationError("plan_file: cannot read %s (%s); nothing was sent" % (path, exc.strerror or exc))
        except ValueError as exc:
            raise ValidationError("plan_file: cannot read %s (%s); nothing was sent" % (path, exc))
        if not isinstance(plan, dict) or plan.get("format") != PLAN_FORMAT or not isinstance(plan.get("keys"), list):
            raise ValidationError("plan_file: %s is not a flowops.ipaas plan; nothing was sent" % path)
        if plan.get("module") != self.module_name:
            raise ValidationError("plan_file: %s is a plan of %s, not of %s; nothing was sent"
                                  % (path, plan.get("module"), self.module_name))
        if plan.get("platform") != self.platform:
            raise ValidationError("plan_file: %s is a plan for platform '%s', not '%s'; nothing was sent"
                                  % (path, plan.get("platform"), self.platform))
        try:
            recomputed = plan_sha256(plan["keys"])
        except (KeyError, TypeError, AttributeError):
            raise ValidationError("plan_file: %s has a malformed key list; nothing was sent" % path)
        if recomputed != plan.get("plan_sha256"):
            raise ValidationError("plan_file: %s records plan_sha256 %s but its keys hash to %s (the file was changed "
                                  "after it was written); nothing was sent" % (path, plan.get("plan_sha256"), recomputed))
        differing = sorted(name for name, value in self.recorded.items() if plan.get("options", {}).get(name) != value)
        if differing:
            raise ValidationError("plan_file: %s was made with other options (%s differ); apply it with the options it "
                                  "was made with; nothing was sent" % (path, ", ".join(differing)))
        return plan

    def write(self, ledger):
        """Check mode: write the plan of what ``ledger`` holds; returns ``{plan_file, plan_sha256, counts_planned}``."""
        entries = canonical(ledger_entries(ledger, self.key_name, self.verbs))
        plan = {"format": PLAN_FORMAT, "version": PLAN_VERSION, "module": self.module_name,
                "platform": self.platform, "created": utc_now(), "run_id": self.run_id,
                "key_name": self.key_name, "order": ORDER, "options": self.options(),
                "counts": count_actions(entries), "plan_sha256": plan_sha256(entries), "keys": entries}
        return {"plan_file": write_json(self.path, plan), "plan_sha256": plan["plan_sha256"],
                "counts_planned": plan["counts"]}

    def hold_to_plan(self, ledger, pending_action, resumed=()):
        """Real run: compare the live selection in ``ledger`` with the plan before anything is sent.

        ``exact`` refuses any difference. ``subset`` applies the planned keys that are still open as planned and
        leaves every other live key alone (``not_in_plan``); a planned key that cleared meanwhile is just absent.
        ``resumed`` keys were acted on by an earlier run with the same run id (an interrupted apply being resumed):
        they left the selection or changed because of this plan, and are not compared.
        Raises ``ValidationError`` (one line, nothing sent) when the run may not go on; returns what was compared.
        """
        resumed = set(resumed)
        live = [e for e in ledger_entries(ledger, self.key_name, self.verbs) if e["key"] not in resumed]
        found = diff([e for e in self.plan["keys"] if e["key"] not in resumed], live)
        summary = {"plan_file": os.path.abspath(self.path), "plan_sha256": self.plan["plan_sha256"],
                   "tolerance": self.tolerance, "planned": len(self.plan["keys"]),
                   "added": len(found["added"]), "removed": len(found["removed"]), "changed": len(found["changed"])}
        differ = summary["added"] + summary["removed"] + summary["changed"]
        if self.tolerance == "exact" and differ:
            raise ValidationError(
                "plan_file: the live selection differs from the plan in %d keys (%d added, %d removed, %d changed) "
                "since it was written; nothing was sent. Plan again, or use plan_tolerance: subset%s"
                % (differ, summary["added"], summary["removed"], summary["changed"], _examples(found)))
        outside = found["added"] + found["changed"]
        if outside:
            pending = set(ledger.keys(pending_action))
            ledger.set_action([key for key in found["added"] if key in pending], NOT_IN_PLAN,
                              reason="not in the plan (%s): left untouched" % summary["plan_sha256"][:12])
            ledger.set_action([key for key in found["changed"] if key in pending], NOT_IN_PLAN,
                              reason="changed since the plan (%s) was written: left untouched" % summary["plan_sha256"][:12])
        return summary


def _examples(found):
    names = [(label, keys[0]) for label, keys in (("added", found["added"]), ("removed", found["removed"]),
                                                  ("changed", found["changed"])) if keys]
    return " (first %s)" % ", ".join("%s: %s" % pair for pair in names) if names else ""
