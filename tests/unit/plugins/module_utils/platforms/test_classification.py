# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""classification.py: the one rule set naming an error's class where the platform does not (first match wins)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.classification import (
    CLASSIFICATIONS, MESSAGE_RULES, NOT_SELECTED_BY_DEFAULT, classify_message)


@pytest.mark.parametrize("text, expected", [
    ("HTTP 429 Too Many Requests", "rate_limit"),
    ("quota exceeded for today", "rate_limit"),
    ("Exceeded CPU time limit", "governance"),
    ("Error: ETIMEDOUT while connecting", "intermittent"),
    ("503 Service Unavailable", "intermittent"),
    ("socket hang up", "intermittent"),
    ("401 Unauthorized", "connection"),
    ("invalid credentials", "connection"),
    ("Payload too large", "too_large"),
    ("record already exists", "duplicate"),
    ("customer 42 not found", "missing"),
    ("SyntaxError: Unexpected token < in JSON", "parse"),
    ("TypeError: cannot read property 'x' of undefined", "value"),
    ("amount is invalid", "value"),
    ("something odd happened", "none"),
    ("", "none"),
    (None, "none"),
])
def test_messages_get_their_classification(text, expected):
    assert classify_message(text) == expected


def test_the_first_rule_that_matches_wins():
    # 429 and "not found" both match: rate_limit comes first in the rules
    assert classify_message("429: resource not found in quota") == "rate_limit"
    # a timeout that mentions credentials is intermittent, not a connection problem
    assert classify_message("timeout while checking credentials") == "intermittent"


def test_every_rule_names_a_known_classification_and_stale_is_never_selected_by_default():
    assert set(name for name, dummy in MESSAGE_RULES) <= set(CLASSIFICATIONS)
    assert "none" in CLASSIFICATIONS and set(NOT_SELECTED_BY_DEFAULT) == {"stale"}
    assert classify_message("stale") == "none"  # stale is the platform's word, never read from a message
