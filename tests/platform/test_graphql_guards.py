"""Query limits and error masking, on a schema with a few test-only fields.

The extra fields exist only in this module's app (the public schema is untouched): a
recursive type to build deep queries, a resolver that fails unexpectedly, and one that
raises a public error.
"""

from __future__ import annotations

from typing import Any
from unittest.mock import ANY

import pytest
import strawberry
import structlog
from tortoise import connections

import api.schema
from api.app import create_app
from api.core.errors import Forbidden
from api.core.logging import configure_logging


@strawberry.type(description="A node that nests without end (test only).")
class Nest:
    value: int = strawberry.field(default=1, description="A number.")

    @strawberry.field(description="The next level.")
    def child(self) -> Nest:
        return Nest()


@strawberry.type
class GuardQuery:
    @strawberry.field(description="Always fails with an unexpected exception.")
    def boom(self) -> int:
        raise RuntimeError("connection to db failed: password=hunter2")

    @strawberry.field(description="Always fails with a public error.")
    def denied(self) -> int:
        raise Forbidden("Missing scope.", scope="targets:write")

    @strawberry.field(description="The root of a deep tree.")
    def nest(self) -> Nest:
        return Nest()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"graphql_max_depth": 4, "graphql_max_aliases": 5, "graphql_max_tokens": 200}


@pytest.fixture
async def app(resources, monkeypatch) -> Any:
    monkeypatch.setattr(api.schema, "QUERIES", (*api.schema.QUERIES, GuardQuery))
    return create_app(resources, start_services=False)


@pytest.fixture
def logs() -> Any:
    """The log entries the app writes, through the real processors (request id, redaction)."""
    capture = structlog.testing.LogCapture()
    configure_logging("INFO", json=True)
    processors = structlog.get_config()["processors"]
    structlog.configure(processors=[*processors[:-1], capture])  # capture instead of print
    yield lambda: list(capture.entries)
    structlog.reset_defaults()


async def post(client, query: str, **headers: str) -> Any:
    return await client.post("/graphql", json={"query": query}, headers=headers)


async def test_unexpected_error_is_masked_with_the_request_id(client, logs) -> None:
    response = await post(client, "{ boom }")
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    request_id = response.headers["x-request-id"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {"code": "INTERNAL", "requestId": request_id}
    assert "hunter2" not in response.text and "RuntimeError" not in response.text

    # The operator finds the cause from the id the user reports.
    lines = [line for line in logs() if line.get("request_id") == request_id]
    events = {line["event"] for line in lines}
    assert {"graphql_unexpected_error", "http_request"} <= events
    failure = next(line for line in lines if line["event"] == "graphql_unexpected_error")
    assert "RuntimeError" in failure["error"]


async def test_public_errors_are_not_masked(client) -> None:
    response = await post(client, "{ denied }")
    (error,) = response.json()["errors"]
    assert error["message"] == "Missing scope."
    assert error["extensions"] == {"code": "FORBIDDEN", "scope": "targets:write"}


async def test_validation_errors_are_not_masked(client) -> None:
    response = await post(client, "{ noSuchField }")
    (error,) = response.json()["errors"]
    assert "noSuchField" in error["message"]


async def test_failure_before_any_resolver_is_masked_too(client, logs, settings) -> None:
    # Given the database breaks (the sessions table is gone), a bearer token cannot be
    # resolved: the answer is the same masked error, never a traceback.
    from tests.factories.accounts import create_account

    account = await create_account(settings)
    await connections.get("default").execute_script("ALTER TABLE sessions RENAME TO gone")
    response = await post(client, "{ __typename }", authorization=f"Bearer {account.token}")
    assert response.status_code == 500
    (error,) = response.json()["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    assert any(
        line["event"] == "graphql_unexpected_error"
        and line["request_id"] == response.headers["x-request-id"]
        for line in logs()
    )
    assert account.token not in response.text


async def test_too_deep_a_query_is_a_graphql_error(client) -> None:
    ok = await post(client, "{ nest { child { child { value } } } }")
    assert ok.json() == {"extensions": ANY, "data": {"nest": {"child": {"child": {"value": 1}}}}}

    response = await post(client, "{ nest { child { child { child { child { value } } } } } }")
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert "exceeds maximum operation depth of 4" in error["message"]


async def test_too_deep_through_fragments_is_caught(client) -> None:
    query = """
      query { nest { ...A } }
      fragment A on Nest { child { ...B } }
      fragment B on Nest { child { ...C } }
      fragment C on Nest { child { child { value } } }
    """
    (error,) = (await post(client, query)).json()["errors"]
    assert "maximum operation depth" in error["message"]


async def test_too_many_aliases_is_a_graphql_error(client) -> None:
    aliases = " ".join(f"a{i}: __typename" for i in range(6))
    response = await post(client, "{ " + aliases + " }")
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert "aliases" in error["message"]


async def test_too_many_tokens_is_a_graphql_error(client) -> None:
    fields = " ".join("__typename" for _ in range(250))
    response = await post(client, "{ " + fields + " }")
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert "token" in error["message"].lower()
    assert response.json().get("data") is None
