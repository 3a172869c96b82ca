"""Spec-checked tests: every request a connector sends in its tests, and every answer the local
server gives back, checked against the vendor's published OpenAPI document.

Recordings written by hand drift from the real service: a query parameter the API does not
have, a body field in the wrong place, a response shape that changed years ago. The vendor's
own specification is the referee. ``OpenApiSpec`` loads one or more OpenAPI 3.x documents (YAML
or JSON), finds the operation a request is for (method and path template), and checks the
path, query and body parameters (required ones present, types and enums right, nothing
undeclared) and the recorded answer's body against the documented response schema. A request
or answer the spec does not allow is reported with the operation's place in the spec and the
reason, e.g.::

    PUT /api/v2/tickets/7 (tickets.openapi.yml: paths./api/v2/tickets/{ticket_id}.put):
    body $.ticket.comment.public: 'yes' is not of type 'boolean'

Connector suites opt in with one line in the test module; every test that uses the
``http_server`` fixture (see ``deskpilot.testing.pytest_plugin``) then fails on a violation::

    openapi_spec = use_openapi_spec(SPECS / "zendesk" / "tickets.openapi.yml", ...)

Vendors' documents are not always complete. What the checker does about it, and why:

* ``components``: some published copies are split per area and lose the shared components
  (Zendesk's split ``tickets.openapi.yml`` refers to ``TicketObject`` but does not define it).
  A ``$ref`` to a missing component is a violation by default (nothing goes unchecked silently);
  supply the missing definitions from the vendor's reference pages with ``components=``. They
  only fill gaps: a component the vendor's document defines is never replaced.
* ``extra_query``: parameters the vendor documents once for every endpoint (pagination,
  side-loading) rather than per operation, as ``{name: JSON schema}``.
* ``operations``: whole operations missing from the copy you have, as an OpenAPI ``paths``
  mapping (from the vendor's reference), so a request to them is checked rather than refused.
* ``nullable: true`` (OpenAPI 3.0) is honoured in 3.1 documents too: vendors mix them.
* ``deprecated: true`` operations (Jira's ``/rest/api/3/search``, "currently being removed"):
  a request to one is a violation, since the vendor has said it is going away; pass
  ``allow_deprecated=True`` to accept them.
* Error answers (4xx) the operation does not document are accepted unchecked (few vendors
  document their error bodies per operation), and so are 429s and 5xx (rate limiters and
  gateways answer those, not the operation); an undocumented success status is a violation.
  A 2xx answer may match the operation's ``default`` answer instead (Slack answers its errors
  with HTTP 200 and ``"ok": false``, documented as the default).
* Swagger 2.0 documents (Slack's) are read as OpenAPI 3: ``basePath`` is the default
  ``path_prefix``, ``formData`` parameters a form (or JSON) body. ``auth_parameters`` names
  parameters that carry the credential, which a connector sends as a header instead.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import yaml
from jsonschema import Draft202012Validator

from deskpilot.testing.http import ReceivedRequest, RecordedResponse

MAX_ERRORS = 5  # per checked value: enough to see the pattern, short enough to read
_DROPPED_KEYS = frozenset(
    {"example", "examples", "readOnly", "writeOnly", "xml", "externalDocs", "discriminator"}
)
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
FORM = "application/x-www-form-urlencoded"
# Swagger 2.0 parameter keys that describe the value, i.e. its schema in OpenAPI 3.
_SWAGGER_SCHEMA_KEYS = frozenset(
    {
        "type",
        "format",
        "items",
        "enum",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "uniqueItems",
        "multipleOf",
        "default",
    }
)


class SpecViolation(AssertionError):
    """Requests or answers the vendor's spec does not allow (one per line)."""


@dataclass
class Operation:
    """One method on one path template of the spec, with what the checker needs of it."""

    method: str
    template: str
    source: str  # the document's file name
    pattern: re.Pattern[str]
    literal_segments: int
    parameters: list[dict[str, Any]] = field(default_factory=list)
    missing_parameters: list[str] = field(default_factory=list)  # $refs not in the documents
    request_body: dict[str, Any] | None = None
    responses: dict[str, Any] = field(default_factory=dict)
    deprecated: bool = False

    @property
    def where(self) -> str:
        return f"{self.source}: paths.{self.template}.{self.method.lower()}"


class OpenApiSpec:
    """The operations of one vendor's OpenAPI documents, ready to check requests and answers.

    ``path_prefix`` is removed from request paths before matching (a spec whose paths are
    relative to a server URL with a path, e.g. ``/rest/api/3``); ``path_suffix`` likewise (an
    API that also answers ``/tickets/7.json`` for ``/tickets/{id}``).
    """

    def __init__(
        self,
        documents: Iterable[tuple[str, Mapping[str, Any]]],
        *,
        components: Mapping[str, Mapping[str, Any]] | None = None,
        extra_query: Mapping[str, Mapping[str, Any]] | None = None,
        operations: Mapping[str, Any] | None = None,
        path_prefix: str | None = None,
        path_suffix: str = "",
        auth_parameters: Iterable[str] = (),
        allow_deprecated: bool = False,
    ) -> None:
        self.allow_deprecated = allow_deprecated
        loaded = [(source, _openapi3(document)) for source, document in documents]
        if path_prefix is None:  # a Swagger 2.0 basePath ("/api"), else none
            path_prefix = next((d.get("x-base-path", "") for _s, d in loaded), "")
        self.path_prefix = path_prefix.rstrip("/")
        self.path_suffix = path_suffix
        self.extra_query = {name: dict(schema) for name, schema in (extra_query or {}).items()}
        self.auth_parameters = frozenset(auth_parameters)
        self.components: dict[str, dict[str, Any]] = {}
        self.operations: list[Operation] = []
        self.titles: list[str] = []
        for _source, document in loaded:
            self._add_components(document.get("components") or {})
        self._add_components(components or {})  # fills gaps only: the vendor's come first
        for source, document in loaded:
            self.titles.append(source)
            self._add_paths(source, document.get("paths") or {})
        if operations:
            self._add_paths("operations given to the checker", operations)
        self._defs = {
            name: _to_json_schema(schema)
            for name, schema in (self.components.get("schemas") or {}).items()
        }

    @classmethod
    def load(cls, *paths: Path | str, **options: Any) -> OpenApiSpec:
        """Read OpenAPI documents (``.yml``/``.yaml``/``.json``); see the class for options."""
        return cls([(Path(p).name, _read_document(str(p))) for p in paths], **options)

    # --- building ----------------------------------------------------------------------------

    def _add_components(self, components: Mapping[str, Any]) -> None:
        for kind, entries in components.items():
            known = self.components.setdefault(kind, {})
            for name, value in (entries or {}).items():
                known.setdefault(name, value)

    def _add_paths(self, source: str, paths: Mapping[str, Any]) -> None:
        taken = {(op.method, op.template) for op in self.operations}
        for template, item in paths.items():
            shared = list(item.get("parameters") or [])
            for method in _METHODS:
                spec = item.get(method)
                if not isinstance(spec, dict) or (method.upper(), template) in taken:
                    continue
                operation = self._operation(source, template, method, spec, shared)
                self.operations.append(operation)

    def _operation(
        self,
        source: str,
        template: str,
        method: str,
        spec: Mapping[str, Any],
        shared: list[Any],
    ) -> Operation:
        segments = [s for s in template.split("/") if s]
        pattern = "^/" + "/".join(
            "[^/]+" if s.startswith("{") and s.endswith("}") else re.escape(s) for s in segments
        )
        operation = Operation(
            method=method.upper(),
            template=template,
            source=source,
            pattern=re.compile(pattern + "/?$"),
            literal_segments=sum(not s.startswith("{") for s in segments),
            deprecated=bool(spec.get("deprecated")),
        )
        by_place: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in [*shared, *(spec.get("parameters") or [])]:  # the operation's own win
            parameter = self._resolve(raw, "parameters")
            if parameter is None:
                operation.missing_parameters.append(str(raw.get("$ref")))
                continue
            by_place[(parameter.get("in", ""), parameter.get("name", ""))] = parameter
        operation.parameters = list(by_place.values())
        body = spec.get("requestBody")
        operation.request_body = self._resolve(body, "requestBodies") if body else None
        operation.responses = {
            str(status): self._resolve(answer, "responses") or {}
            for status, answer in (spec.get("responses") or {}).items()
        }
        return operation

    def _resolve(self, value: Any, kind: str) -> dict[str, Any] | None:
        """A parameter, body or response object with its ``$ref`` followed; None if missing."""
        seen = 0
        while isinstance(value, dict) and "$ref" in value and seen < 10:
            name = _ref_name(value["$ref"], kind)
            value = self.components.get(kind, {}).get(name) if name else None
            seen += 1
        return value if isinstance(value, dict) else None

    # --- finding the operation ---------------------------------------------------------------

    def find(self, method: str, path: str) -> tuple[Operation | None, str]:
        """The operation for a request, or None and why not."""
        path = self._spec_path(path)
        matching = [op for op in self.operations if op.pattern.match(path)]
        if not matching:
            return None, f"no path in {', '.join(self.titles)} matches {path}"
        with_method = [op for op in matching if op.method == method.upper()]
        if not with_method:
            allowed = sorted({op.method for op in matching})
            return None, f"{matching[0].template} allows {', '.join(allowed)}, not {method}"
        # Literal segments beat templates: /tickets/count is not /tickets/{ticket_id}.
        return max(with_method, key=lambda op: op.literal_segments), ""

    def _spec_path(self, path: str) -> str:
        if self.path_prefix and path.startswith(self.path_prefix + "/"):
            path = path[len(self.path_prefix) :]
        if self.path_suffix and path.endswith(self.path_suffix):
            path = path[: -len(self.path_suffix)]
        return path

    # --- checking ----------------------------------------------------------------------------

    def check_request(self, request: ReceivedRequest) -> list[str]:
        """What the spec does not allow about this request (empty: nothing)."""
        said = f"{request.method} {request.path}"
        operation, why = self.find(request.method, request.path)
        if operation is None:
            return [f"{said}: {why}"]
        problems = [
            *self._check_deprecated(operation),
            *self._check_path(operation, request),
            *self._check_query(operation, request),
            *self._check_body(operation, request),
        ]
        return [f"{said} ({operation.where}): {problem}" for problem in problems]

    def check_response(self, request: ReceivedRequest, response: RecordedResponse) -> list[str]:
        """What the spec does not allow about the answer recorded for this request."""
        operation, _why = self.find(request.method, request.path)
        if operation is None:
            return []  # the request is reported already
        where = f"{request.method} {request.path} ({operation.where})"
        status = response.status
        # The answer's own status first, then "default": some APIs answer their errors with
        # HTTP 200 and document them as the default answer (Slack's {"ok": false}).
        documented = [
            operation.responses[key]
            for key in (str(status), f"{status // 100}XX", "default")
            if key in operation.responses
        ]
        if status == 429 or status >= 500:
            return []  # rate limits and outages: the gateway's answers, not the operation's
        if not documented:
            if 200 <= status < 300:
                listed = ", ".join(sorted(operation.responses)) or "none"
                return [f"{where}: answer HTTP {status} is not documented (documented: {listed})"]
            return []
        if response.text is not None or response.json is None:
            return []
        first: list[str] = []
        for answer in documented:
            schema = _json_schema_of(answer.get("content"))
            if schema is None:
                return []
            problems = list(self._validate(schema, response.json, f"answer HTTP {status}"))
            if not problems:
                return []
            first = first or problems
        return [f"{where}: {problem}" for problem in first]

    def check(self, request: ReceivedRequest, response: RecordedResponse) -> list[str]:
        return [*self.check_request(request), *self.check_response(request, response)]

    def _check_deprecated(self, operation: Operation) -> Iterator[str]:
        if operation.deprecated and not self.allow_deprecated:
            yield "the spec marks this operation deprecated (the vendor is removing it)"

    def _check_path(self, operation: Operation, request: ReceivedRequest) -> Iterator[str]:
        values = _path_values(operation.template, self._spec_path(request.path))
        for parameter in operation.parameters:
            if parameter.get("in") != "path":
                continue
            name = parameter.get("name", "")
            if name in values:
                yield from self._check_value(parameter, values[name], f"path parameter '{name}'")

    def _check_query(self, operation: Operation, request: ReceivedRequest) -> Iterator[str]:
        declared = {
            p.get("name"): p
            for p in operation.parameters
            if p.get("in") == "query" and p.get("name") not in self.auth_parameters
        }
        for name, parameter in declared.items():
            if name not in request.query:
                if parameter.get("required"):
                    yield f"required query parameter '{name}' is missing"
                continue
            what = f"query parameter '{name}'"
            yield from self._check_value(parameter, request.query[name], what)
        for name, value in request.query.items():
            if name in declared or name in self.auth_parameters:
                continue
            if name in self.extra_query:
                extra = {"name": name, "schema": self.extra_query[name]}
                yield from self._check_value(extra, value, f"query parameter '{name}'")
                continue
            missing = operation.missing_parameters
            hint = (
                f" (the spec's {', '.join(missing)} are not in these documents: give them with "
                "components=)"
                if missing
                else ""
            )
            yield f"query parameter '{name}' is not declared by the spec{hint}"

    def _check_body(self, operation: Operation, request: ReceivedRequest) -> Iterator[str]:
        body = operation.request_body
        if body is None:
            if request.body:
                yield "the spec declares no request body, but one was sent"
            return
        if not request.body:
            if body.get("required"):
                yield "the request body is required but none was sent"
            return
        sent_as = request.headers.get("content-type", "").split(";")[0].strip()
        if sent_as == FORM:
            schema = _schema_for(body.get("content"), FORM)
            if schema is None:
                yield "the spec takes no form-encoded body here"
                return
            fields = dict(
                parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
            )
            properties = schema.get("properties") or {}
            value: Any = {
                k: _coerce(v, properties.get(k) or {}, self._defs) for k, v in fields.items()
            }
            yield from self._validate(schema, value, "body")
            return
        schema = _json_schema_of(body.get("content"))
        if schema is None:
            return  # not a JSON body: the checker does not read other media types
        try:
            value = json.loads(request.body)
        except ValueError:
            yield "the request body is not JSON"
            return
        yield from self._validate(schema, value, "body")

    def _check_value(self, parameter: Mapping[str, Any], raw: str, what: str) -> Iterator[str]:
        schema = self._parameter_schema(parameter)
        if schema is None:
            return
        yield from self._validate(schema, _coerce(raw, schema, self._defs), what)

    def _parameter_schema(self, parameter: Mapping[str, Any]) -> dict[str, Any] | None:
        schema = parameter.get("schema")
        if schema is None:  # content-encoded parameters: rare, not read here
            return None
        converted: dict[str, Any] = _to_json_schema(schema)
        return converted

    def _validate(self, schema: dict[str, Any], value: Any, what: str) -> Iterator[str]:
        missing = sorted(self._missing_refs(schema))
        if missing:
            yield (
                f"{what}: cannot be checked, the spec refers to {', '.join(missing)}, which these "
                "documents do not define (give them with components=)"
            )
            return
        validator = Draft202012Validator({**schema, "$defs": self._defs})
        errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
        for error in errors[:MAX_ERRORS]:
            place = error.json_path if error.absolute_path else "$"
            yield f"{what} {place}: {_short(error.message)}"
        if len(errors) > MAX_ERRORS:
            yield f"{what}: and {len(errors) - MAX_ERRORS} more"

    def _missing_refs(self, schema: Any) -> set[str]:
        missing: set[str] = set()
        seen: set[str] = set()
        pending = [schema]
        while pending:
            node = pending.pop()
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and ref.startswith("#/$defs/"):
                    name = ref.removeprefix("#/$defs/")
                    if name not in self._defs:
                        missing.add(f"#/components/schemas/{name}")
                    elif name not in seen:
                        seen.add(name)
                        pending.append(self._defs[name])
                pending.extend(v for k, v in node.items() if k != "$ref")
            elif isinstance(node, list):
                pending.extend(node)
        return missing

    # --- examples ----------------------------------------------------------------------------

    def example(self, method: str, template: str, status: str = "200") -> Any:
        """The documented example answer of an operation (a deep copy, to change freely): the
        response's own example, else its first named example, else its schema's example."""
        found = [op for op in self.operations if (op.method, op.template) == (method, template)]
        if not found:
            raise LookupError(f"the spec has no {method} {template}")
        answer = found[0].responses.get(status) or {}
        media = (answer.get("content") or {}).get("application/json") or {}
        candidates: list[Any] = []
        if "example" in media:
            candidates.append(media["example"])
        for example in (media.get("examples") or {}).values():
            resolved = self._resolve(example, "examples")
            if resolved is not None and "value" in resolved:
                candidates.append(resolved["value"])
        schema = media.get("schema") or {}
        while isinstance(schema, dict) and "$ref" in schema:
            name = _ref_name(schema["$ref"], "schemas")
            schema = self.components.get("schemas", {}).get(name or "") or {}
        if isinstance(schema, dict) and "example" in schema:
            candidates.append(schema["example"])
        if not candidates:
            raise LookupError(f"the spec has no example for {method} {template} HTTP {status}")
        return copy.deepcopy(candidates[0])


def use_openapi_spec(*paths: Path | str, **options: Any) -> Any:
    """A pytest fixture named ``openapi_spec`` (assign it to that name in a test module or
    conftest): the ``http_server`` fixture then checks every request and answer against these
    documents and fails the test on a violation. Loaded once per module."""
    import pytest  # the kit needs pytest; DeskPilot at run time never imports this module

    @pytest.fixture(scope="module")
    def openapi_spec() -> OpenApiSpec:
        return OpenApiSpec.load(*paths, **options)

    return openapi_spec


def violations_report(violations: list[str]) -> str:
    listed = "\n".join(f"  - {v}" for v in dict.fromkeys(violations))
    return f"requests or answers the vendor's API spec does not allow:\n{listed}"


# --- helpers ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def _read_document(path: str) -> dict[str, Any]:
    text = Path(path).read_text(encoding="utf-8")
    if path.endswith(".json"):
        data = json.loads(text)
    else:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ten times faster
        data = yaml.load(text, Loader=loader)  # a safe loader: data only
    if not isinstance(data, dict) or "paths" not in data:
        raise ValueError(f"{path} is not an OpenAPI document (no 'paths')")
    return data


def _ref_name(ref: Any, kind: str) -> str | None:
    prefix = f"#/components/{kind}/"
    return ref[len(prefix) :] if isinstance(ref, str) and ref.startswith(prefix) else None


def _to_json_schema(schema: Any) -> Any:
    """An OpenAPI schema as JSON Schema 2020-12: component refs point into ``$defs``,
    ``nullable`` becomes a null type, documentation-only keys go."""
    if isinstance(schema, list):
        return [_to_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROPPED_KEYS or key.startswith("x-") or key == "nullable":
            continue
        if key == "$ref" and isinstance(value, str):
            name = _ref_name(value, "schemas")
            converted[key] = f"#/$defs/{name}" if name else value
        elif key in ("properties", "patternProperties", "$defs"):
            converted[key] = {k: _to_json_schema(v) for k, v in (value or {}).items()}
        else:
            converted[key] = _to_json_schema(value)
    if schema.get("nullable") is True:
        kind = converted.get("type")
        if isinstance(kind, str):
            converted["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            converted["type"] = [*kind, "null"]
        elif kind is None:
            converted = {"anyOf": [converted, {"type": "null"}]}
        if isinstance(converted.get("enum"), list) and None not in converted["enum"]:
            converted["enum"] = [*converted["enum"], None]
    return converted


def _schema_for(content: Any, media: str) -> dict[str, Any] | None:
    entry = (content or {}).get(media) if isinstance(content, dict) else None
    schema = entry.get("schema") if isinstance(entry, dict) else None
    return _to_json_schema(schema) if isinstance(schema, dict) else None


def _json_schema_of(content: Any) -> dict[str, Any] | None:
    if not isinstance(content, dict):
        return None
    for media, entry in content.items():
        if media.split(";")[0].strip().endswith("json") and isinstance(entry, dict):
            schema = entry.get("schema")
            return _to_json_schema(schema) if isinstance(schema, dict) else None
    return None


def _path_values(template: str, path: str) -> dict[str, str]:
    names = [s for s in template.strip("/").split("/")]
    values = path.strip("/").split("/")
    return {
        name[1:-1]: value
        for name, value in zip(names, values, strict=False)
        if name.startswith("{") and name.endswith("}")
    }


def _coerce(raw: str, schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Any:
    """A query or path value (always text on the wire) as the type its schema names, so
    "abc" for an integer is reported and "42" is not."""
    while "$ref" in schema and isinstance(schema["$ref"], str):
        schema = defs.get(schema["$ref"].removeprefix("#/$defs/"), {})
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    converters: list[tuple[str, Callable[[str], Any]]] = [
        ("integer", int),
        ("number", float),
        ("boolean", _boolean),
    ]
    for name, convert in converters:
        if name in kinds:
            try:
                return convert(raw)
            except ValueError:
                return raw
    if "array" in kinds:
        items = schema.get("items") or {}
        return [_coerce(part, items, defs) for part in raw.split(",")] if raw else []
    return raw


def _boolean(raw: str) -> bool:
    if raw in ("true", "false"):
        return raw == "true"
    raise ValueError(raw)


def _short(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


# --- Swagger 2.0 -------------------------------------------------------------------------------


def _openapi3(document: Mapping[str, Any]) -> dict[str, Any]:
    """A Swagger 2.0 document in OpenAPI 3 form (the checker reads only that); an OpenAPI 3
    document as it is. ``basePath`` becomes ``x-base-path`` (the default ``path_prefix``)."""
    if not str(document.get("swagger", "")).startswith("2"):
        return dict(document)
    moved = _swagger_refs(document)
    paths: dict[str, Any] = {}
    for template, item in (moved.get("paths") or {}).items():
        converted: dict[str, Any] = {}
        if item.get("parameters"):
            converted["parameters"] = [_swagger_parameter(p) for p in item["parameters"]]
        for method in _METHODS:
            if isinstance(item.get(method), dict):
                converted[method] = _swagger_operation(item[method], item.get("parameters") or [])
        paths[template] = converted
    return {
        "openapi": "3.0.0 (from Swagger 2.0)",
        "x-base-path": str(moved.get("basePath") or ""),
        "paths": paths,
        "components": {
            "schemas": moved.get("definitions") or {},
            "parameters": {
                name: _swagger_parameter(p) for name, p in (moved.get("parameters") or {}).items()
            },
            "responses": {
                name: _swagger_response(r) for name, r in (moved.get("responses") or {}).items()
            },
        },
    }


def _swagger_refs(value: Any) -> Any:
    if isinstance(value, list):
        return [_swagger_refs(item) for item in value]
    if not isinstance(value, dict):
        return value
    moved = {key: _swagger_refs(item) for key, item in value.items()}
    ref = moved.get("$ref")
    if isinstance(ref, str):
        for old, new in (
            ("#/definitions/", "#/components/schemas/"),
            ("#/parameters/", "#/components/parameters/"),
            ("#/responses/", "#/components/responses/"),
        ):
            if ref.startswith(old):
                moved["$ref"] = new + ref[len(old) :]
    return moved


def _swagger_parameter(parameter: Any) -> Any:
    if not isinstance(parameter, dict) or "$ref" in parameter or "schema" in parameter:
        return parameter
    schema = {k: v for k, v in parameter.items() if k in _SWAGGER_SCHEMA_KEYS}
    kept = {k: v for k, v in parameter.items() if k not in _SWAGGER_SCHEMA_KEYS}
    return {**kept, "schema": schema}


def _swagger_operation(operation: Mapping[str, Any], shared: list[Any]) -> dict[str, Any]:
    converted = {k: v for k, v in operation.items() if k not in ("parameters", "responses")}
    every = [*shared, *(operation.get("parameters") or [])]
    converted["parameters"] = [
        _swagger_parameter(p)
        for p in operation.get("parameters") or []
        if not isinstance(p, dict) or p.get("in") not in ("body", "formData")
    ]
    body = next((p for p in every if isinstance(p, dict) and p.get("in") == "body"), None)
    form = [p for p in every if isinstance(p, dict) and p.get("in") == "formData"]
    if body is not None:
        converted["requestBody"] = {
            "required": bool(body.get("required")),
            "content": {"application/json": {"schema": body.get("schema") or {}}},
        }
    elif form:
        fields = {p["name"]: _swagger_parameter(p)["schema"] for p in form}
        required = [p["name"] for p in form if p.get("required")]
        as_form = {"type": "object", "properties": fields, "required": required}
        # The same fields sent as JSON: a field the form carries as a JSON-encoded string
        # ("blocks", "attachments") is that structure itself in a JSON body.
        as_json = {
            "type": "object",
            "required": required,
            "properties": {name: _json_field(schema) for name, schema in fields.items()},
        }
        converted["requestBody"] = {
            "required": bool(required),
            "content": {FORM: {"schema": as_form}, "application/json": {"schema": as_json}},
        }
    converted["responses"] = {
        str(status): _swagger_response(answer)
        for status, answer in (operation.get("responses") or {}).items()
    }
    return converted


def _json_field(schema: dict[str, Any]) -> dict[str, Any]:
    if schema.get("type") == "string" and "enum" not in schema:
        return {"type": ["string", "array", "object"]}
    return schema


def _swagger_response(answer: Any) -> Any:
    if not isinstance(answer, dict) or "$ref" in answer or "schema" not in answer:
        return answer
    rest = {k: v for k, v in answer.items() if k not in ("schema", "examples")}
    media: dict[str, Any] = {"schema": answer["schema"]}
    example = (answer.get("examples") or {}).get("application/json")
    if example is not None:
        media["example"] = example
    return {**rest, "content": {"application/json": media}}
