# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Accounting by key: every selected error ends with an action (and, once reconciled, an outcome)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import atexit
import os
import sqlite3
import tempfile
import threading
from datetime import datetime, timezone
from itertools import islice

from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.states import (
    HAS_OUTCOME, SOURCES, IllegalMove, check_action, check_entry, check_outcome,
)

# A run can account for hundreds of thousands of keys: they live in a SQLite file, not in memory,
# so the module's memory does not grow with the number of errors.
_SCHEMA = """
CREATE TABLE entries (key TEXT PRIMARY KEY, seq INTEGER, flow TEXT, step TEXT, error_id TEXT,
                      action TEXT, outcome TEXT, job TEXT, reason TEXT, error_ids TEXT);
CREATE INDEX by_action ON entries (action, flow, step, seq);
"""


_INSERT = "INSERT OR IGNORE INTO entries VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)"
_LISTED_TWICE = object()  # a guarded update that stopped no key but changed fewer rows: a key given twice


class Ledger:
    """What happened to each selected key, with totals per flow and step.

    ``actions`` name what the module did (``retried``, ``resolved``, ``not_retryable`` ...);
    ``outcomes`` what reconciliation found afterwards (``succeeded``, ``failed_again``, ``pending``): both are the
    names the module's ``counts`` always hold. Every name and every move is checked against the state machine
    (states.py): an unknown name or an illegal move raises ``IllegalMove`` and leaves the key as it was.
    Safe to share between threads. ``directory`` is where its file goes (the module's tmpdir).
    """

    def __init__(self, flows, actions, outcomes=(), directory=None, list_error_ids=False):
        for action in actions:
            check_action(action)
        for outcome in outcomes:
            check_outcome(outcome)
        self.flows = dict((flow["_id"], flow) for flow in flows)
        self.actions = tuple(actions)
        self.outcomes = tuple(outcomes)
        self.list_error_ids = list_error_ids  # the report lists every key's errorIds, not only a key listed twice
        # When the listing began (the ledger is made just before it): a pre-send check asks what others did since.
        self.started = datetime.now(timezone.utc)
        self._lock = threading.Lock()
        self._seq = 0
        handle, self._path = tempfile.mkstemp(prefix=".flowops-ledger-", suffix=".sqlite", dir=directory)
        os.close(handle)
        self._db = sqlite3.connect(self._path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.executescript(_SCHEMA)
        atexit.register(self.close)

    def close(self):
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
                if os.path.exists(self._path):
                    os.remove(self._path)

    def _one(self, sql, args=()):
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def _all(self, sql, args=()):
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _write(self, sql, rows):
        """Run ``sql`` once per row; returns how many entries it changed."""
        with self._lock:
            return self._db.executemany(sql, rows).rowcount

    # Recording ------------------------------------------------------------------------------------

    def add(self, flow_id, step_id, key, error_id, action, reason=None):
        """Account for a key the first time it is seen; returns False when it already is (a duplicate).

        A key listed again with the same action keeps every error id it was listed with (a platform may keep a
        key's original error open beside the one its failed retry left, or another actor retried it between two
        pages): ``error_ids`` holds them all, ``error_id`` the one seen last (listings run oldest first, so the newest).
        The key itself is counted, retried and reported once.
        """
        return bool(self.add_listed(flow_id, step_id, key, error_id, action, reason)[0])

    def add_listed(self, flow_id, step_id, key, error_id, action, reason=None):
        """``add``, returning ``(new key, new error id)``: whether the key was new, and whether ``error_id`` was
        recorded now (a new key, or another open error of a known key), not a listing that repeated it. A key
        already accounted for on another flow or step keeps its entry and ids: ``(None, False)``."""
        check_entry(action)
        with self._lock:
            # One statement for a new key (the common case); a duplicate then costs a read and maybe an update.
            self._seq += 1
            if self._db.execute(_INSERT, (key, self._seq, flow_id, step_id, error_id, action, reason, error_id)).rowcount:
                return True, True
            return self._add_known(flow_id, step_id, key, error_id, action)

    def add_many(self, rows, chunk=1000):
        """``add`` for each ``(flow_id, step_id, key, error_id, action, reason)`` of ``rows``, in order, ``chunk`` rows at
        a time (a stream of rows is never held whole): the new keys of a chunk in one statement; a key already accounted
        for (rare) is then handled as ``add`` handles it."""
        rows = iter(rows)
        while True:
            part = list(islice(rows, chunk))  # read outside the lock: the rows may come from a listing still running
            if not part:
                return
            self._add_chunk(part)

    def _add_chunk(self, rows):
        for action in set(row[4] for row in rows):
            check_entry(action)  # before any key is added: an unknown name adds none
        values = []
        with self._lock:
            for flow_id, step_id, key, error_id, action, reason in rows:
                self._seq += 1
                values.append((key, self._seq, flow_id, step_id, error_id, action, reason, error_id))
            if not values or self._db.executemany(_INSERT, values).rowcount == len(values):
                return
            stored = {}
            for start in range(0, len(values), 500):
                part = [value[0] for value in values[start:start + 500]]
                stored.update(self._db.execute("SELECT key, seq FROM entries WHERE key IN (%s)" % ",".join("?" * len(part)),
                                               part).fetchall())
            for value in values:
                if stored.get(value[0]) != value[1]:  # not inserted by this statement: listed before, here or earlier
                    self._add_known(value[2], value[3], value[0], value[4], value[5])

    def _add_known(self, flow_id, step_id, key, error_id, action):
        """A key listed again (the lock held): same flow and step and action, an error id not seen yet is kept beside
        the others. Returns ``add_listed``'s ``(new key, new error id)``."""
        row = self._db.execute("SELECT action, error_ids, flow, step FROM entries WHERE key = ?", (key,)).fetchone()
        if (row[2], row[3]) != (flow_id, step_id):
            return None, False
        if row[0] == action and error_id not in row[1].split(" "):
            self._db.execute("UPDATE entries SET error_id = ?, error_ids = ? WHERE key = ?",
                             (error_id, row[1] + " " + error_id, key))
            return False, True
        return False, False

    def set_action(self, keys, action, job=None, reason=None):
        """Move ``keys`` (a key or a list of them) to ``action``; each must be at an action the machine allows the
        move from. The guard is part of the UPDATE, so the happy path costs nothing more."""
        keys = [keys] if isinstance(keys, str) else keys
        check_action(action)
        sources = tuple(SOURCES[action])
        if not keys:
            return
        if not sources:
            raise IllegalMove("ledger: no key may move to '%s' (an entry action only)" % action)
        stray = self._guarded_update("action = ?, job = COALESCE(?, job), reason = COALESCE(?, reason)",
                                     (action, job, reason), keys, sources)
        if stray is None:
            return
        if stray is _LISTED_TWICE:
            raise IllegalMove("ledger: a key was listed twice in one move to '%s'" % action)
        key, current = stray
        if current is None:
            raise IllegalMove("ledger: key %s is not in the ledger (cannot move it to '%s')" % (key, action))
        raise IllegalMove("ledger: key %s cannot move from '%s' to '%s' (allowed from: %s)"
                          % (key, current, action, ", ".join(sorted(sources))))

    def _guarded_update(self, assignments, values, keys, allowed):
        """``UPDATE entries SET <assignments>`` for each key still at one of the ``allowed`` actions (the guard is part
        of the statement, so the happy path costs nothing more). Returns None when every key was updated, else the
        first key the guard stopped as ``(key, its action or None when not in the ledger)``, or ``_LISTED_TWICE``."""
        guard = ",".join("?" * len(allowed))
        moved = self._write("UPDATE entries SET %s WHERE key = ? AND action IN (%s)" % (assignments, guard),
                            [tuple(values) + (key,) + tuple(allowed) for key in keys])
        if moved == len(keys):
            return None
        for key in keys:
            row = self._one("SELECT action FROM entries WHERE key = ?", (key,))
            if row is None or row[0] not in allowed:
                return key, row[0] if row else None
        return _LISTED_TWICE

    def set_outcome(self, keys, outcome, reason=None):
        """Record what reconciliation found for ``keys`` (and why, e.g. the platform's status); only keys the platform
        took (``retried``) have one."""
        keys = [keys] if isinstance(keys, str) else keys
        check_outcome(outcome)
        allowed = tuple(HAS_OUTCOME)
        stray = self._guarded_update("outcome = ?, reason = COALESCE(?, reason)", (outcome, reason), keys, allowed)
        if stray not in (None, _LISTED_TWICE):
            raise IllegalMove("ledger: key %s at '%s' cannot have the outcome '%s' (only %s keys have one)"
                              % (stray[0], stray[1] or "nowhere", outcome, " or ".join(sorted(allowed))))

    def relabel(self, old_action, new_action, reason):
        """Move every key at ``old_action`` to ``new_action`` (check mode: what would be done)."""
        check_action(new_action)
        if old_action not in SOURCES[new_action]:
            raise IllegalMove("ledger: keys cannot move from '%s' to '%s'" % (old_action, new_action))
        with self._lock:
            self._db.execute("UPDATE entries SET action = ?, reason = ? WHERE action = ?", (new_action, reason, old_action))

    # Reading --------------------------------------------------------------------------------------

    def __len__(self):
        return self._one("SELECT COUNT(*) FROM entries")[0]

    def count(self, action=None, outcome=None):
        if outcome is not None:
            return self._one("SELECT COUNT(*) FROM entries WHERE outcome = ?", (outcome,))[0]
        return self._one("SELECT COUNT(*) FROM entries WHERE action = ?", (action,))[0]

    def keys(self, action=None, outcome=None):
        column, value = ("outcome", outcome) if outcome is not None else ("action", action)
        return [row[0] for row in self._all("SELECT key FROM entries WHERE %s = ? ORDER BY seq" % column, (value,))]

    def missing(self, keys):
        """The given keys that are not in the ledger, sorted."""
        return sorted(key for key in set(keys) if self._one("SELECT 1 FROM entries WHERE key = ?", (key,)) is None)

    def error_ids(self, key):
        """Every error id the key was listed with, oldest first."""
        return self._one("SELECT error_ids FROM entries WHERE key = ?", (key,))[0].split(" ")

    def _column_of(self, column, keys, chunk=500):
        """``[(key, column)]`` of the given keys that are in the ledger: a few queries for a whole batch."""
        keys, rows = list(keys), []
        for start in range(0, len(keys), chunk):
            part = keys[start:start + chunk]
            rows.extend(self._all("SELECT key, %s FROM entries WHERE key IN (%s)" % (column, ",".join("?" * len(part))),
                                  tuple(part)))
        return rows

    def error_ids_of(self, keys):
        """``{key: frozenset(error ids it was listed with)}`` for ``keys``, a few queries for a whole batch."""
        return dict((key, frozenset(ids.split(" "))) for key, ids in self._column_of("error_ids", keys))

    def error_id_of(self, keys):
        """``{key: error id}`` (the error id seen last) for those of ``keys`` in the ledger, in their order: a few queries
        for a whole batch."""
        found = dict(self._column_of("error_id", keys))
        return dict((key, found[key]) for key in keys if key in found)

    def job(self, key):
        return self._one("SELECT job FROM entries WHERE key = ?", (key,))[0]

    def job_of(self, keys):
        """``{key: job id}`` for those of ``keys`` that were given a job: ``job`` for a whole group in a few queries."""
        return dict((key, job) for key, job in self._column_of("job", keys) if job is not None)

    def job_ids(self):
        """Every job id a key of this ledger was given (the run's own jobs so far)."""
        return set(row[0] for row in self._all("SELECT DISTINCT job FROM entries WHERE job IS NOT NULL"))

    def error_counts(self):
        """``counts()`` in error ids rather than keys: a key listed with two open errors counts two."""
        counts = self._empty_counts()
        for action, outcome, number in self._all(
                "SELECT action, outcome, SUM(LENGTH(error_ids) - LENGTH(REPLACE(error_ids, ' ', '')) + 1) FROM entries "
                "GROUP BY action, outcome"):
            self._count_into(counts, action, outcome, number)
        return counts

    def first_reason(self, actions):
        row = self._one("SELECT reason FROM entries WHERE action IN (%s) ORDER BY seq LIMIT 1" % ",".join("?" * len(actions)),
                        tuple(actions))
        return row[0] if row else None

    def groups(self, action):
        """Yield ``((flow_id, step_id), [key, ...])`` for keys with this action, one step at a time."""
        targets = self._all("SELECT flow, step, MIN(seq) AS first FROM entries WHERE action = ? GROUP BY flow, step ORDER BY first",
                            (action,))
        for flow_id, step_id, dummy in targets:
            keys = [row[0] for row in self._all("SELECT key FROM entries WHERE action = ? AND flow = ? AND step = ? ORDER BY seq",
                                                (action, flow_id, step_id))]
            if keys:
                yield (flow_id, step_id), keys

    def _empty_counts(self):
        counts = dict((name, 0) for name in self.actions + self.outcomes)
        counts["selected"] = 0
        return counts

    @staticmethod
    def _count_into(counts, action, outcome, number):
        counts["selected"] += number
        counts[action] = counts.get(action, 0) + number
        if outcome:
            counts[outcome] = counts.get(outcome, 0) + number

    def counts(self):
        counts = self._empty_counts()
        for action, outcome, number in self._all("SELECT action, outcome, COUNT(*) FROM entries GROUP BY action, outcome"):
            self._count_into(counts, action, outcome, number)
        return counts

    def per_flow(self):
        """``{flow_id: {"name", "disabled", "counts", "steps": {step_id: counts}}}`` for flows with selected keys."""
        result = {}
        rows = self._all("SELECT flow, step, action, outcome, COUNT(*) FROM entries GROUP BY flow, step, action, outcome")
        for flow_id, step_id, action, outcome, number in rows:
            flow = self.flows.get(flow_id, {})
            item = result.setdefault(flow_id, {
                "name": flow.get("name"), "disabled": flow.get("disabled", False),
                "counts": self._empty_counts(), "steps": {},
            })
            self._count_into(item["counts"], action, outcome, number)
            self._count_into(item["steps"].setdefault(step_id, self._empty_counts()), action, outcome, number)
        return result

    def key_records(self, key_name, page=1000):
        """Every key with its outcome, for the report file, read a page at a time."""
        last = 0
        while True:
            rows = self._all("SELECT seq, key, error_id, flow, step, action, outcome, job, reason, error_ids FROM entries "
                             "WHERE seq > ? ORDER BY seq LIMIT ?", (last, page))
            if not rows:
                return
            for seq, key, error_id, flow_id, step_id, action, outcome, job, reason, error_ids in rows:
                last = seq
                record = {key_name: key, "errorId": error_id, "_flowId": flow_id, "_stepId": step_id,
                          "action": action, "outcome": outcome, "job": job, "reason": reason}
                if self.list_error_ids or " " in error_ids:  # a key listed with several open errors: every one of them
                    record["errorIds"] = error_ids.split(" ")
                yield record
