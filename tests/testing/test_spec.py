"""The spec-checked tests helper (``deskpilot.testing.spec``) on a small OpenAPI document of
our own: what it allows, what it reports (with the spec's path and the reason), and the
``http_server`` fixture failing a test whose connector the spec would refuse."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest

from deskpilot.testing import OpenApiSpec, ReceivedRequest, RecordedResponse, RecordedServer

pytest_plugins = ["pytester"]

SPEC = """
openapi: 3.1.0
info: {title: Shop, version: "1"}
paths:
  /v1/items/{item_id}:
    parameters:
      - $ref: '#/components/parameters/ItemId'
    get:
      parameters:
        - {name: expand, in: query, schema: {type: boolean}}
      responses:
        '200':
          content:
            application/json:
              schema: {$ref: '#/components/schemas/ItemResponse'}
    put:
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [item]
              additionalProperties: false
              properties:
                item:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    note: {type: string, nullable: true}
                    size: {type: string, enum: [s, m, l]}
      responses:
        '200': {description: ok}
  /v1/items/count:
    get:
      parameters:
        - {name: q, in: query, required: true, schema: {type: string}}
      responses:
        '200':
          content:
            application/json:
              schema:
                type: object
                properties: {count: {type: integer}}
              example: {count: 3}
  /v1/orders:
    get:
      responses:
        '200':
          content:
            application/json:
              schema: {$ref: '#/components/schemas/OrderList'}
components:
  parameters:
    ItemId: {name: item_id, in: path, required: true, schema: {type: integer}}
  schemas:
    ItemResponse:
      type: object
      properties:
        item:
          type: object
          properties:
            id: {type: integer}
            price: {type: number, nullable: true}
"""


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "shop.openapi.yml"
    path.write_text(SPEC, encoding="utf-8")
    return path


@pytest.fixture
def spec(spec_file: Path) -> OpenApiSpec:
    return OpenApiSpec.load(spec_file, extra_query={"page": {"type": "integer", "minimum": 1}})


def request(method: str, path: str, query: dict[str, str] | None = None, body: bytes = b"") -> Any:
    return ReceivedRequest(method, path, query or {}, {}, body)


def test_a_request_the_spec_allows_has_nothing_to_report(spec: OpenApiSpec) -> None:
    put = request("PUT", "/v1/items/7", body=b'{"item": {"name": "Mug", "note": null}}')
    get = request("GET", "/v1/items/7", {"expand": "true", "page": "2"})
    answer = RecordedResponse(200, {"item": {"id": 7, "price": None}})
    assert spec.check(put, RecordedResponse(200, {})) == []
    assert spec.check(get, answer) == []


def test_each_violation_names_the_operation_in_the_spec_and_the_reason(spec: OpenApiSpec) -> None:
    where = "PUT /v1/items/x (shop.openapi.yml: paths./v1/items/{item_id}.put)"
    body = b'{"item": {"size": "xl"}, "extra": 1}'
    problems = spec.check_request(request("PUT", "/v1/items/x", body=body))
    assert problems == [
        f"{where}: path parameter 'item_id' $: 'x' is not of type 'integer'",
        f"{where}: body $: Additional properties are not allowed ('extra' was unexpected)",
        f"{where}: body $.item: 'name' is a required property",
        f"{where}: body $.item.size: 'xl' is not one of ['s', 'm', 'l']",
    ]


def test_query_parameters_are_declared_typed_and_required(spec: OpenApiSpec) -> None:
    said = spec.check_request(request("GET", "/v1/items/7", {"expand": "yes", "page": "0"}))
    assert [p.split("): ", 1)[1] for p in said] == [
        "query parameter 'expand' $: 'yes' is not of type 'boolean'",
        "query parameter 'page' $: 0 is less than the minimum of 1",
    ]
    said = spec.check_request(request("GET", "/v1/items/count", {"limit": "5"}))
    assert [p.split("): ", 1)[1] for p in said] == [
        "required query parameter 'q' is missing",
        "query parameter 'limit' is not declared by the spec",
    ]


def test_unknown_paths_methods_and_bodies_are_reported(spec: OpenApiSpec) -> None:
    assert spec.check_request(request("GET", "/v2/items")) == [
        "GET /v2/items: no path in shop.openapi.yml matches /v2/items"
    ]
    assert spec.check_request(request("DELETE", "/v1/items/7")) == [
        "DELETE /v1/items/7: /v1/items/{item_id} allows GET, PUT, not DELETE"
    ]
    [problem] = spec.check_request(request("GET", "/v1/items/7", body=b"{}"))
    assert problem.endswith("the spec declares no request body, but one was sent")
    [problem] = spec.check_request(request("PUT", "/v1/items/7"))
    assert problem.endswith("the request body is required but none was sent")


def test_a_literal_path_wins_over_a_template(spec: OpenApiSpec) -> None:
    operation, _ = spec.find("GET", "/v1/items/count")
    assert operation is not None and operation.template == "/v1/items/count"


def test_answers_are_checked_against_the_documented_response(spec: OpenApiSpec) -> None:
    get = request("GET", "/v1/items/7")
    [problem] = spec.check_response(get, RecordedResponse(200, {"item": {"id": "7"}}))
    assert problem == (
        "GET /v1/items/7 (shop.openapi.yml: paths./v1/items/{item_id}.get): "
        "answer HTTP 200 $.item.id: '7' is not of type 'integer'"
    )
    [problem] = spec.check_response(get, RecordedResponse(201, {}))
    assert problem.endswith("answer HTTP 201 is not documented (documented: 200)")
    # Vendors seldom document error bodies per operation: those pass unchecked.
    assert spec.check_response(get, RecordedResponse(404, {"error": "nope"})) == []


def test_a_reference_the_documents_lack_is_reported_until_supplied(spec_file: Path) -> None:
    orders = request("GET", "/v1/orders")
    answer = RecordedResponse(200, {"orders": [{"id": "o_1"}]})
    [problem] = OpenApiSpec.load(spec_file).check_response(orders, answer)
    assert "refers to #/components/schemas/OrderList, which these documents do not define" in (
        problem
    )
    supplied = {
        "schemas": {
            "OrderList": {
                "type": "object",
                "properties": {"orders": {"type": "array", "items": {"type": "object"}}},
            },
            "ItemResponse": {"type": "string"},  # never replaces the vendor's own
        }
    }
    completed = OpenApiSpec.load(spec_file, components=supplied)
    assert completed.check_response(orders, answer) == []
    item = RecordedResponse(200, {"item": {"id": 7}})
    assert completed.check_response(request("GET", "/v1/items/7"), item) == []


def test_examples_come_from_the_spec(spec: OpenApiSpec) -> None:
    example = spec.example("GET", "/v1/items/count")
    assert example == {"count": 3}
    example["count"] = 4  # a copy: the spec keeps its own
    assert spec.example("GET", "/v1/items/count") == {"count": 3}
    with pytest.raises(LookupError, match="no example"):
        spec.example("GET", "/v1/orders")


def test_the_server_refuses_what_the_spec_does_not_allow(spec: OpenApiSpec) -> None:
    with RecordedServer(check=spec) as server:
        server.respond("GET", "/v1/items/7", json={"item": {"id": 7}})
        server.respond("GET", "/v1/items/count", json={"count": "three"})
        good = httpx.get(f"{server.url}/v1/items/7")
        bad = httpx.get(f"{server.url}/v1/items/7?expand=maybe")
        wrong_answer = httpx.get(f"{server.url}/v1/items/count?q=mugs")
    assert good.status_code == 200 and wrong_answer.status_code == 200
    assert bad.status_code == 400 and bad.json()["error"] == "SpecViolation"
    assert len(server.violations) == 2
    assert "'maybe' is not of type 'boolean'" in server.violations[0]
    assert "$.count: 'three' is not of type 'integer'" in server.violations[1]


def test_the_http_server_fixture_fails_a_test_the_spec_refuses(
    pytester: pytest.Pytester, spec_file: Path
) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makeconftest('pytest_plugins = ["deskpilot.testing.pytest_plugin"]')
    pytester.makepyfile(
        test_shop=textwrap.dedent(
            f"""
            import httpx
            from deskpilot.testing import use_openapi_spec

            openapi_spec = use_openapi_spec({str(spec_file)!r})

            def test_good(http_server):
                http_server.respond("GET", "/v1/items/7", json={{"item": {{"id": 7}}}})
                assert httpx.get(http_server.url + "/v1/items/7").status_code == 200

            def test_bad_answer(http_server):
                http_server.respond("GET", "/v1/items/7", json={{"item": {{"id": "7"}}}})
                httpx.get(http_server.url + "/v1/items/7")
            """
        )
    )
    # The snapshot plugin keeps session state that an inner session in this process breaks.
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:textual-snapshot")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*requests or answers the vendor's API spec does not allow:*",
            "*GET /v1/items/7 (shop.openapi.yml: paths./v1/items/{item_id}.get): "
            "answer HTTP 200 $.item.id: '7' is not of type 'integer'*",
        ]
    )


SWAGGER = {
    "swagger": "2.0",
    "basePath": "/api",
    "info": {"title": "Chat", "version": "1"},
    "definitions": {"ok_true": {"type": "boolean", "enum": [True]}},
    "paths": {
        "/chat.post": {
            "post": {
                "parameters": [
                    {"name": "token", "in": "header", "type": "string", "required": True},
                    {"name": "channel", "in": "formData", "type": "string", "required": True},
                    {"name": "blocks", "in": "formData", "type": "string"},
                    {"name": "unfurl", "in": "formData", "type": "boolean"},
                ],
                "responses": {
                    "200": {
                        "schema": {
                            "type": "object",
                            "required": ["ok", "ts"],
                            "properties": {"ok": {"$ref": "#/definitions/ok_true"}},
                        }
                    },
                    "default": {
                        "schema": {
                            "type": "object",
                            "required": ["ok", "error"],
                            "properties": {"error": {"type": "string", "enum": ["no_text"]}},
                        }
                    },
                },
            }
        },
        "/search": {
            "get": {
                "parameters": [
                    {"name": "token", "in": "query", "type": "string", "required": True},
                    {"name": "count", "in": "query", "type": "integer"},
                ],
                "responses": {"200": {"schema": {"type": "object"}}},
            }
        },
    },
}


def test_a_swagger_2_document_is_read_as_openapi_3() -> None:
    spec = OpenApiSpec([("chat.json", SWAGGER)], auth_parameters=["token"])
    form = ReceivedRequest(
        "POST",
        "/api/chat.post",
        {},
        {"content-type": "application/x-www-form-urlencoded"},
        b"channel=C1&unfurl=maybe",
    )
    [problem] = spec.check_request(form)
    assert problem.endswith("body $.unfurl: 'maybe' is not of type 'boolean'")
    # As JSON, a field the form carries as a JSON string may be the structure itself.
    as_json = request("POST", "/api/chat.post", body=b'{"channel": "C1", "blocks": [{"a": 1}]}')
    assert spec.check_request(as_json) == []
    [problem] = spec.check_request(request("POST", "/api/chat.post", body=b'{"blocks": "[]"}'))
    assert problem.endswith("body $: 'channel' is a required property")
    # The credential parameter is the Authorization header's business, not a missing query.
    assert spec.check_request(request("GET", "/api/search", {"count": "2"})) == []
    # An error answered with HTTP 200 matches the documented default answer.
    post = request("POST", "/api/chat.post")
    assert spec.check_response(post, RecordedResponse(200, {"ok": False, "error": "no_text"})) == []
    [problem] = spec.check_response(post, RecordedResponse(200, {"ok": True}))
    assert problem.endswith("answer HTTP 200 $: 'ts' is a required property")


def test_an_operation_the_vendor_deprecated_is_reported_unless_allowed() -> None:
    document = {
        "openapi": "3.0.1",
        "info": {"title": "Tracker", "version": "1"},
        "paths": {
            "/search": {"get": {"deprecated": True, "responses": {"200": {"description": "ok"}}}},
            "/search/jql": {"get": {"responses": {"200": {"description": "ok"}}}},
        },
    }
    old = ReceivedRequest("GET", "/search", {}, {}, b"")
    [problem] = OpenApiSpec([("tracker.json", document)]).check_request(old)
    assert "tracker.json: paths./search.get" in problem and "deprecated" in problem
    assert OpenApiSpec([("tracker.json", document)], allow_deprecated=True).check_request(old) == []
    new = ReceivedRequest("GET", "/search/jql", {}, {}, b"")
    assert OpenApiSpec([("tracker.json", document)]).check_request(new) == []
