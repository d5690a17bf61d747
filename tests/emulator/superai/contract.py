"""Strict validation of SuperAI traffic against superai-contract.json (a hand-written subset of SuperAI's OpenAPI).

The shared ``OpenAPIValidator`` (core/openapi.py) sees the path without the /api prefix and each query value as the
first string sent. SuperAI's contract uses the spec's own paths (they start with /api) and typed query parameters
(integers, booleans, repeated keys for arrays), so this wrapper does what FastAPI does before validating:
it puts the prefix back and parses each documented query value into its declared type.
"""

import os
import threading

from ..core.app import API_PREFIX

CONTRACT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "superai-contract.json")
# pydantic's lax boolean parsing, which FastAPI applies to query parameters.
TRUE, FALSE = ("true", "1", "yes", "on", "t", "y"), ("false", "0", "no", "off", "f", "n")
_SHARED = []
_LOCK = threading.Lock()


def _kind(schema):
    """The declared type of a parameter schema, looking through ``anyOf [X, null]``."""
    for option in schema.get("anyOf", [schema]):
        if option.get("type") not in (None, "null"):
            return option["type"]
    return None


def _parse(kind, values):
    if kind == "array":
        return values
    value = values[0]
    if kind == "integer":
        try:
            return int(value)
        except ValueError:
            return value
    if kind == "boolean" and value.lower() in TRUE + FALSE:
        return value.lower() in TRUE
    return value


class ContractValidator:
    """``check_request`` / ``check_response`` for the core app, over one ``OpenAPIValidator``."""

    def __init__(self, validator):
        self.validator = validator

    def typed_query(self, method, path, query):
        """``{name: [value]}`` as the core validator reads it, each documented value parsed to its declared type."""
        found = self.validator.find(method, path)
        declared = {}
        if found is not None:
            declared = dict((p["name"], _kind(p.get("schema", {}))) for p in found[1].get("parameters", []) if p.get("in") == "query")
        return dict((name, [_parse(declared.get(name), values)]) for name, values in query.items())

    def check_request(self, method, path, query, headers, body):
        path = API_PREFIX + path
        return self.validator.check_request(method, path, self.typed_query(method, path, query), headers, body)

    def check_response(self, method, path, status, headers, body, content_type="application/json"):
        return self.validator.check_response(method, API_PREFIX + path, status, headers, body, content_type)


def contract_validator():
    """One shared validator over superai-contract.json (needs jsonschema and referencing)."""
    with _LOCK:
        if not _SHARED:
            from ..core.openapi import OpenAPIValidator  # pylint: disable=import-outside-toplevel
            _SHARED.append(ContractValidator(OpenAPIValidator.from_file(CONTRACT_PATH)))
        return _SHARED[0]
