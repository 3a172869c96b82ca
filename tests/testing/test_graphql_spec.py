"""The GraphQL spec check: queries and recorded answers against a vendor's schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from graphql import build_schema

from deskpilot.testing import GraphQLSchemaCheck, ReceivedRequest, RecordedResponse

SCHEMA = build_schema(
    """
    enum StateType { started completed }
    type State { name: String! type: StateType! }
    type Issue { id: ID! title: String! state: State }
    type Query { issue(id: String!): Issue! search(term: String!, first: Int): [Issue!]! }
    """
)
CHECK = GraphQLSchemaCheck(SCHEMA, "tiny.graphql")
ISSUE = "query Issue($id: String!) { issue(id: $id) { id title state { name type } } }"


def request(query: str, variables: dict[str, Any], path: str = "/graphql") -> ReceivedRequest:
    body = {"operationName": "Issue", "query": query, "variables": variables}
    return ReceivedRequest("POST", path, {}, {}, json.dumps(body).encode())


def test_a_valid_query_and_answer_pass() -> None:
    sent = request(ISSUE, {"id": "ENG-1"})
    answer = {"issue": {"id": "1", "title": "t", "state": {"name": "Done", "type": "completed"}}}
    assert CHECK.check_request(sent) == []
    assert CHECK.check_response(sent, RecordedResponse(200, {"data": answer})) == []


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        (ISSUE.replace("title", "headline"), {"id": "1"}, "Cannot query field 'headline'"),
        (ISSUE, {}, "non-null type 'String!' to be provided"),
        (ISSUE, {"id": 7}, "String cannot represent a non string value"),
        (ISSUE.replace("$id: String!", "$id: Int!"), {"id": 1}, "Variable '$id' of type 'Int!'"),
        ("query Issue { issue(id: ", {}, "does not parse"),
    ],
)
def test_a_query_the_schema_does_not_allow_is_reported(
    query: str, variables: dict[str, Any], expected: str
) -> None:
    [problem] = CHECK.check_request(request(query, variables))[:1]
    assert problem.startswith("POST /graphql")
    assert expected in problem


def test_an_answer_the_schema_does_not_allow_is_reported() -> None:
    sent = request(ISSUE, {"id": "ENG-1"})
    missing = {"issue": {"id": "1", "state": None}}
    wrong_enum = {"issue": {"id": "1", "title": "t", "state": {"name": "x", "type": "paused"}}}
    [absent] = CHECK.check_response(sent, RecordedResponse(200, {"data": missing}))
    assert "answer issue.title: Cannot return null for non-nullable field Issue.title" in absent
    [enum] = CHECK.check_response(sent, RecordedResponse(200, {"data": wrong_enum}))
    assert "answer issue.state.type" in enum and "paused" in enum
    errors_only = RecordedResponse(200, {"errors": [{"message": "Entity not found"}]})
    assert CHECK.check_response(sent, errors_only) == []


def test_only_the_graphql_endpoint_is_served() -> None:
    [problem] = CHECK.check_request(request(ISSUE, {"id": "1"}, path="/v1/issues"))
    assert "not the GraphQL endpoint" in problem
