"""The kit for connector authors: the recorded local HTTP server and the contract's coverage."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import httpx
import pytest

from deskpilot.connectors import CAPABILITIES
from deskpilot.testing import CONTRACTS, ConnectorContract, RecordedResponse, RecordedServer
from deskpilot.testing.pytest_plugin import http_server

__all__ = ["http_server"]  # the kit's fixture, used here as plugin authors use it


def test_answers_with_the_recorded_response_and_keeps_the_request(
    http_server: RecordedServer,
) -> None:
    http_server.respond("POST", "/v1/refunds", status=201, json={"id": "re_1"})
    response = httpx.post(
        f"{http_server.url}/v1/refunds?expand=charge",
        json={"amount": 500},
        headers={"Idempotency-Key": "key-1"},
    )
    assert (response.status_code, response.json()) == (201, {"id": "re_1"})
    [received] = http_server.received("POST", "/v1/refunds")
    assert received.headers["idempotency-key"] == "key-1"
    assert received.query == {"expand": "charge"}
    assert received.json() == {"amount": 500}


def test_responses_come_in_turn_and_the_last_repeats(http_server: RecordedServer) -> None:
    http_server.respond(
        "GET",
        "/limited",
        status=429,
        headers={"Retry-After": "3"},
        then=[RecordedResponse(200, {"ok": True})],
    )
    with httpx.Client(base_url=http_server.url) as client:
        answers = [client.get("/limited") for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 200, 200]
    assert answers[0].headers["retry-after"] == "3"


def test_the_most_specific_query_wins(http_server: RecordedServer) -> None:
    http_server.respond("GET", "/items", json={"page": 1})
    http_server.respond("GET", "/items", query={"cursor": "c2"}, json={"page": 2})
    with httpx.Client(base_url=http_server.url) as client:
        pages = [client.get("/items").json(), client.get("/items?cursor=c2&limit=5").json()]
    assert pages == [{"page": 1}, {"page": 2}]


def test_an_unrecorded_request_is_a_404_naming_it(http_server: RecordedServer) -> None:
    response = httpx.delete(f"{http_server.url}/nope")
    assert response.status_code == 404
    assert response.json() == {"error": "no recorded response for DELETE /nope"}
    assert [r.method for r in http_server.received()] == ["DELETE"]


def test_routes_load_from_a_recording(http_server: RecordedServer, tmp_path: Path) -> None:
    recording = tmp_path / "api.json"
    routes = [{"method": "get", "path": "/ping", "responses": [{"text": "pong"}]}]
    recording.write_text(json.dumps({"routes": routes}))
    http_server.load(recording)
    assert httpx.get(f"{http_server.url}/ping").text == "pong"


def test_a_bad_recording_names_the_route(tmp_path: Path) -> None:
    recording = tmp_path / "api.json"
    routes = [{"method": "GET", "path": "/a", "responses": [{"status": 200, "body": "x"}]}]
    recording.write_text(json.dumps({"routes": routes}))
    with pytest.raises(ValueError, match=r"api.json: route 1: unknown response keys \['body'\]"):
        RecordedServer().load(recording)


def test_the_server_listens_on_loopback_only() -> None:
    with RecordedServer() as server:
        assert server.url.startswith("http://127.0.0.1:")
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


def test_every_capability_has_its_contract_class() -> None:
    """A new capability ABC without a contract class would let connectors pass untested."""
    assert set(CONTRACTS) == set(CAPABILITIES)
    for capability, contract in CONTRACTS.items():
        assert issubclass(contract, ConnectorContract)
        own = [name for name in vars(contract) if name.startswith("test_")]
        assert own, f"{contract.__name__} has no tests"
        assert all(name.startswith(f"test_{capability}_") for name in own), own


def test_every_capability_method_is_exercised_by_its_contract() -> None:
    """Each method of a capability's ABC is called in that capability's contract tests, so an
    operation added to ``connectors/capabilities.py`` fails here until its contract test is
    written."""
    for capability, abc in CAPABILITIES.items():
        source = inspect.getsource(CONTRACTS[capability])
        methods = [
            name
            for name, member in vars(abc).items()
            if inspect.iscoroutinefunction(member) and not name.startswith("_")
        ]
        assert methods, capability
        untested = [method for method in methods if f".{method}(" not in source]
        assert not untested, f"{capability}: {untested} have no contract test"


def test_the_connector_contract_alone_holds_no_capability_tests() -> None:
    tests = [name for name in vars(ConnectorContract) if name.startswith("test_")]
    assert not [name for name in tests if name.split("_")[1] in CAPABILITIES], tests
