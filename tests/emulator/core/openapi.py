"""Checks requests and responses against an OpenAPI 3.1 document with jsonschema (Draft 2020-12).

jsonschema and referencing are imported when a validator is built, so the emulator runs without them
when strict validation is off. Operations the document does not describe are not checked.
"""

import json
import re
from urllib.parse import unquote

DOCUMENT_URI = "urn:emulator:openapi"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _escape(token):
    return token.replace("~", "~0").replace("/", "~1")


def _media_type(value):
    return (value or "").split(";")[0].strip().lower()


class OpenAPIValidator:
    def __init__(self, document):
        # pylint: disable=import-outside-toplevel
        from jsonschema import Draft202012Validator, FormatChecker
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        self.document = document
        self._validator_class = Draft202012Validator
        self._registry = Registry().with_resource(DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT202012))
        self._formats = FormatChecker(formats=())
        self._formats.checks("objectId")(lambda value: not isinstance(value, str) or bool(OBJECT_ID.match(value)))
        self._formats.checks("date-time")(lambda value: not isinstance(value, str) or bool(DATE_TIME.match(value)))
        self._schemas = {}
        self._paths = self._compile_paths()

    @classmethod
    def from_file(cls, path):
        with open(path, encoding="utf-8") as handle:
            return cls(json.load(handle))

    def _compile_paths(self):
        compiled = []
        for template, item in self.document.get("paths", {}).items():
            segments = template.strip("/").split("/")
            regex = re.compile("^/" + "/".join(
                "(?P<%s>[^/]+)" % seg[1:-1] if seg.startswith("{") else re.escape(seg) for seg in segments) + "$")
            # Literal segments win over parameters: /v1/flows/updateFlowGrouping is not /v1/flows/{_id}.
            specificity = tuple(1 if seg.startswith("{") else 0 for seg in segments)
            compiled.append((specificity, template, regex, item))
        compiled.sort(key=lambda entry: entry[0])
        return compiled

    def find(self, method, path):
        """``(pointer, operation, path_item, path_params)`` for a documented operation, or None."""
        for dummy, template, regex, item in self._paths:
            match = regex.match(path)
            if match and method.lower() in item:
                pointer = "/paths/%s/%s" % (_escape(template), method.lower())
                return pointer, item[method.lower()], item, {k: unquote(v) for k, v in match.groupdict().items()}
        return None

    def _deref(self, node, pointer):
        while isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/"):
            pointer = node["$ref"][1:]
            node = self.document
            for token in pointer.strip("/").split("/"):
                node = node[token.replace("~1", "/").replace("~0", "~")]
        return node, pointer

    def _errors(self, pointer, instance, label):
        validator = self._schemas.get(pointer)
        if validator is None:
            validator = self._validator_class({"$ref": DOCUMENT_URI + "#" + pointer}, registry=self._registry,
                                              format_checker=self._formats)
            self._schemas[pointer] = validator
        messages = []
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(part) for part in error.absolute_path)
            messages.append("%s%s: %s" % (label, "/" + where if where else "", error.message[:300]))
        return messages

    def check_request(self, method, path, query, headers, body):
        found = self.find(method, path)
        if found is None:
            return []
        pointer, operation, item, path_params = found
        messages = []
        parameters = [(p, "%s/parameters/%d" % (pointer, i)) for i, p in enumerate(operation.get("parameters", []))]
        parameters += [(p, "/paths/%s/parameters/%d" % (pointer.split("/")[2], i))
                       for i, p in enumerate(item.get("parameters", []))]
        for raw, param_pointer in parameters:
            param, param_pointer = self._deref(raw, param_pointer)
            name, where = param.get("name"), param.get("in")
            values = {"path": path_params, "query": {k: v[0] for k, v in query.items()}}.get(where)
            if values is None:
                continue
            if name not in values:
                if param.get("required"):
                    messages.append("request: missing required %s parameter %r" % (where, name))
                continue
            if "schema" in param:
                messages += self._errors(param_pointer + "/schema", values[name], "request %s parameter %r" % (where, name))
        messages += self._check_request_body(operation, pointer, headers, body)
        return messages

    def _check_request_body(self, operation, pointer, headers, body):
        if "requestBody" not in operation:
            return []
        spec, spec_pointer = self._deref(operation["requestBody"], pointer + "/requestBody")
        if not body:
            return ["request: a request body is required"] if spec.get("required") else []
        media = _media_type(headers.get("Content-Type"))
        content = spec.get("content", {})
        if media not in content:
            return ["request: Content-Type %r is not one of %s" % (media, ", ".join(sorted(content)))]
        try:
            instance = json.loads(body)
        except ValueError as exc:
            return ["request: the body is not valid JSON (%s)" % exc]
        if "schema" not in content[media]:
            return []
        return self._errors("%s/content/%s/schema" % (spec_pointer, _escape(media)), instance, "request body")

    def check_response(self, method, path, status, headers, body, content_type="application/json"):
        found = self.find(method, path)
        if found is None:
            return []
        pointer, operation = found[:2]
        responses = operation.get("responses", {})
        key = next((k for k in (str(status), "%dXX" % (status // 100), "default") if k in responses), None)
        if key is None:
            return ["response: status %d is not documented (documented: %s)" % (status, ", ".join(sorted(responses)))]
        spec, spec_pointer = self._deref(responses[key], "%s/responses/%s" % (pointer, key))
        messages = ["response: required header %r is missing" % name
                    for name, header in spec.get("headers", {}).items() if header.get("required") and name not in headers]
        content = spec.get("content")
        if not content:
            if body:
                messages.append("response: status %d is documented without a body but one was sent" % status)
            return messages
        media = _media_type(content_type)
        if media not in content:
            return messages + ["response: Content-Type %r is not one of %s" % (media, ", ".join(sorted(content)))]
        if not body:
            return messages + ["response: status %d is documented with a %s body but none was sent" % (status, media)]
        try:
            instance = json.loads(body)
        except ValueError as exc:
            return messages + ["response: the body is not valid JSON (%s)" % exc]
        if "schema" in content[media]:
            messages += self._errors("%s/content/%s/schema" % (spec_pointer, _escape(media)), instance, "response body")
        return messages
