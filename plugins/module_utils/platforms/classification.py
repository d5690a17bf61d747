# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared error classifications, and the one rule set that maps a platform's error text onto them.

Celigo classifies its errors itself; the other platforms report a status and a message, which these rules
read (first match wins, ``none`` when nothing fits).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# Celigo's static filter metadata (GET /v1/errors/filterMetadata) lists these classifications; ``stale`` is
# SuperAI's completed execution whose data an upstream edit outdated (ExecutionStatus ``stale``): not a failure.
CLASSIFICATIONS = ("connection", "duplicate", "governance", "intermittent", "missing", "parse", "value",
                   "rate_limit", "too_large", "none", "stale")
# Classifications retry and resolve select only when ``classifications`` names them: re-running or dismissing a
# stale execution is a decision, never part of a default recovery.
NOT_SELECTED_BY_DEFAULT = ("stale",)

MESSAGE_RULES = tuple((name, re.compile(pattern, re.IGNORECASE)) for name, pattern in (
    ("rate_limit", r"\b429\b|too many requests|rate.?limit|quota.?exceeded"),
    ("governance", r"exceeded (cpu|memory|step|the step)|resource limit|limit of \d+ steps|memory limit|log size"),
    ("intermittent", r"timeout|timed? ?out|internal.?error|network connection lost|econnreset|etimedout|econnrefused|"
                     r"socket hang up|\b50[234]\b|temporarily unavailable"),
    ("connection", r"\b40[13]\b|unauthori[sz]ed|forbidden|authentication|credentials"),
    ("too_large", r"\b413\b|too large|exceeds the maximum size"),
    ("duplicate", r"duplicate|already exists"),
    ("missing", r"\b404\b|not found"),
    ("parse", r"^syntaxerror|json|unexpected token"),
    ("value", r"^nonretryableerror|^typeerror|^rangeerror|invalid|validation|required|\bexpected"),
))


def classify_message(text):
    """The classification of an error text (``"<name>: <message>"`` or a bare message); ``none`` when nothing fits."""
    text = text or ""
    return next((label for label, rule in MESSAGE_RULES if rule.search(text)), "none")
