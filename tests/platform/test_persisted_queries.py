"""Automatic persisted queries in Apollo's protocol, and the trusted-document list."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from tests.factories.accounts import create_account, create_pat

QUERY = "query Me { viewer { user { email } } }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()


def apq(digest: str = HASH, query: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    if query is not None:
        body["query"] = query
    return body


async def post(client: Any, body: dict[str, Any], token: str) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_unknown_hash_then_registration_then_hash_only(client, settings) -> None:
    owner = await create_account(settings)
    # The first hash-only request is unknown: Apollo's link then sends the query too.
    first = await post(client, apq(), owner.token)
    assert first["errors"][0]["message"] == "PersistedQueryNotFound"
    assert first["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

    registered = await post(client, apq(query=QUERY), owner.token)
    assert registered["data"]["viewer"]["user"]["email"] == owner.user.email

    # From now on the hash alone runs the document, over POST and over GET.
    again = await post(client, apq(), owner.token)
    assert again == registered
    response = await client.get(
        "/graphql",
        params={"extensions": json.dumps(apq()["extensions"])},
        headers={"Authorization": f"Bearer {owner.token}"},
    )
    assert response.json() == registered


async def test_a_query_under_another_hash_is_refused_and_not_stored(client, settings) -> None:
    owner = await create_account(settings)
    other = hashlib.sha256(b"{ __typename }").hexdigest()
    lying = await post(client, apq(digest=other, query=QUERY), owner.token)
    assert lying["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await post(client, apq(digest=other), owner.token))["errors"][0]["extensions"][
        "code"
    ] == "PERSISTED_QUERY_NOT_FOUND"
    bad = await post(client, apq(digest="not-a-hash"), owner.token)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest, tmp_path: Any) -> dict[str, Any]:
    return getattr(request, "param", {})


@pytest.mark.parametrize("settings_overrides", [{"apq_max_new_per_hour": 1}], indirect=True)
async def test_new_documents_are_capped_per_hour(client, settings) -> None:
    owner = await create_account(settings)
    await post(client, apq(query=QUERY), owner.token)
    second = "query Two { viewer { user { id } } }"
    digest = hashlib.sha256(second.encode()).hexdigest()
    ran = await post(client, apq(digest=digest, query=second), owner.token)
    assert "errors" not in ran  # still executed...
    assert (await post(client, apq(digest=digest), owner.token))["errors"][0]["extensions"][
        "code"
    ] == "PERSISTED_QUERY_NOT_FOUND"  # ...but not stored past the cap
    assert "errors" not in await post(client, apq(), owner.token)  # the first one was


async def test_trusted_documents_bind_sessions_not_tokens(
    client, resources, settings, tmp_path
) -> None:
    import dataclasses

    from tests.platform.helpers import app_client

    manifest = tmp_path / "trusted.json"
    manifest.write_text(json.dumps({HASH: QUERY}))
    locked = resources.settings.model_copy(update={"trusted_documents": manifest})
    owner = await create_account(settings)
    pat = await create_pat(owner.user, ["account:read"])
    async with app_client(dataclasses.replace(resources, settings=locked)) as app:
        # A session runs the app's own documents, by hash without registering them...
        listed = await post(app, apq(), owner.token)
        assert listed["data"]["viewer"]["user"]["email"] == owner.user.email
        # ...and nothing else.
        other = await post(app, {"query": "{ viewer { user { id } } }"}, owner.token)
        assert other["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"
        assert other["data"] is None
        # An integration's token stays free to send any document.
        free = await post(app, {"query": "{ viewer { user { id } } }"}, pat)
        assert "errors" not in free
