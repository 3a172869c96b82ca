"""Spec-checked tests for GraphQL APIs: every query a connector sends, and every answer the local
server gives back, checked against the vendor's published schema with graphql-core.

A query written by hand can name a field or an argument the API does not have, give a variable
the wrong type or forget a required one; a recorded answer can lack a non-null field or carry a
value its enum does not allow. The vendor's schema (SDL, e.g. Linear's ``schema.graphql``) is the
referee:

* a request must be a POST of ``{"query", "operationName"?, "variables"?}`` to the endpoint;
  the query must parse and validate against the schema (graphql-core's ``validate``: fields,
  arguments, fragments, variable usage) and its variables must coerce to their declared types;
* a recorded ``data`` answer is executed against the query with the recorded values as the
  resolvers' results, so a missing non-null field, a wrong scalar or an unknown enum value is
  reported. Answers with only ``errors`` (and any non-200 answer) are not checked.

Opt in with one line in a test module; the ``http_server`` fixture then fails the test with the
operation and the reason::

    graphql_schema = use_graphql_schema(SPECS / "linear" / "schema.graphql")
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute_sync,
    get_operation_ast,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values

from deskpilot.testing.http import ReceivedRequest, RecordedResponse

MAX_ERRORS = 5


class GraphQLSchemaCheck:
    """Checks GraphQL requests and answers against a schema (an ``ExchangeCheck`` for
    ``RecordedServer``)."""

    def __init__(self, schema: GraphQLSchema, source: str, endpoint: str = "/graphql") -> None:
        self.schema = schema
        self.source = source
        self.endpoint = endpoint

    @classmethod
    def load(cls, path: Path | str, endpoint: str = "/graphql") -> GraphQLSchemaCheck:
        return cls(_read_schema(str(path)), Path(path).name, endpoint)

    def check_request(self, request: ReceivedRequest) -> list[str]:
        where = f"{request.method} {request.path}"
        if request.method != "POST" or request.path != self.endpoint:
            return [f"{where}: not the GraphQL endpoint (POST {self.endpoint})"]
        parsed = self._parse(request)
        if isinstance(parsed, str):
            return [f"{where}: {parsed}"]
        document, operation, body = parsed
        where = self._where(request, operation)
        problems = [f"{where}: {error.message}" for error in validate(self.schema, document)]
        if problems:
            return problems[:MAX_ERRORS]
        variables = body.get("variables") or {}
        if not isinstance(variables, Mapping):
            return [f"{where}: variables must be an object"]
        coerced = get_variable_values(
            self.schema, operation.variable_definitions or (), dict(variables)
        )
        if isinstance(coerced, list):
            return [f"{where}: {error.message}" for error in coerced[:MAX_ERRORS]]
        return []

    def check_response(self, request: ReceivedRequest, response: RecordedResponse) -> list[str]:
        answer = response.json if response.text is None else None
        if response.status != 200 or not isinstance(answer, Mapping):
            return []
        data = answer.get("data")
        if data is None:
            return []
        parsed = self._parse(request)
        if isinstance(parsed, str):
            return []  # the request was reported already
        document, operation, body = parsed
        where = self._where(request, operation)
        if not isinstance(data, Mapping):
            return [f"{where}: answer: data is not an object"]
        result = execute_sync(
            self.schema,
            document,
            root_value=data,
            variable_values=dict(body.get("variables") or {}),
            operation_name=body.get("operationName"),
            field_resolver=_recorded_value,
        )
        return [
            f"{where}: answer {'.'.join(map(str, error.path or []))}: {error.message}"
            for error in (result.errors or [])[:MAX_ERRORS]
        ]

    def _parse(
        self, request: ReceivedRequest
    ) -> tuple[DocumentNode, OperationDefinitionNode, Mapping[str, Any]] | str:
        try:
            body = request.json()
        except ValueError:
            return "the body is not JSON"
        if not isinstance(body, Mapping) or not isinstance(body.get("query"), str):
            return 'the body has no "query" string'
        try:
            document = parse(body["query"])
        except GraphQLError as error:
            return f"the query does not parse: {error.message}"
        operation = get_operation_ast(document, body.get("operationName"))
        if operation is None:
            return f"no operation named {body.get('operationName')!r} in the query"
        return document, operation, body

    def _where(self, request: ReceivedRequest, operation: OperationDefinitionNode) -> str:
        name = operation.name.value if operation.name else "(anonymous)"
        return (
            f"{request.method} {request.path} ({self.source}: {operation.operation.value} {name})"
        )


def use_graphql_schema(path: Path | str, endpoint: str = "/graphql") -> Any:
    """A pytest fixture named ``graphql_schema`` (assign it to that name in a test module or
    conftest): the ``http_server`` fixture then checks every request and answer against the
    schema and fails the test on a violation. Loaded once per module."""
    import pytest  # the kit needs pytest; DeskPilot at run time never imports this module

    @pytest.fixture(scope="module")
    def graphql_schema() -> GraphQLSchemaCheck:
        return GraphQLSchemaCheck.load(path, endpoint)

    return graphql_schema


def _recorded_value(source: Any, info: GraphQLResolveInfo[Any], **_arguments: Any) -> Any:
    """The recorded answer's value for a field, found by its response key (an alias or the
    field's name), as the real API would have returned it."""
    if isinstance(source, Mapping):
        return source.get(info.path.key)
    return None


@functools.lru_cache(maxsize=8)
def _read_schema(path: str) -> GraphQLSchema:
    return build_schema(Path(path).read_text(encoding="utf-8"))
