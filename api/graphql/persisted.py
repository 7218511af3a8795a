"""Automatic persisted queries (Apollo's protocol) and an optional trusted-document list.

APQ: a client sends `extensions.persistedQuery = {version: 1, sha256Hash}` without the
query; if the server knows the hash it runs the stored document, else it answers
PERSISTED_QUERY_NOT_FOUND and the client sends query + hash once, which is stored (the
hash is checked, so nobody can store a document under another's hash). Stored in Redis
with a TTL and a cap on new documents per hour, so anonymous clients cannot fill it.

Trusted documents (HITFLOW_TRUSTED_DOCUMENTS, a JSON object sha256 -> document, the
manifest first-party apps build with graphql-codegen or Apollo's generator): when set,
anonymous and session (cookie / logIn token) requests may only run those documents;
personal access tokens and OAuth tokens — third-party integrations — stay free.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import AsyncIterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from strawberry.extensions import SchemaExtension

from api.core.errors import PublicGraphQLError

KEY = "hitflow:apq:{}"
COUNT_KEY = "hitflow:apq:new:{}"  # documents stored in one hour
FREE_KINDS = {"pat", "oauth", "client"}  # credentials of integrations: any document


class PersistedQueryNotFound(PublicGraphQLError):
    code = "PERSISTED_QUERY_NOT_FOUND"

    def __init__(self) -> None:
        # Apollo's link retries with the full query when it sees this exact message.
        super().__init__("PersistedQueryNotFound")


class PersistedQueryError(PublicGraphQLError):
    code = "BAD_USER_INPUT"


class DocumentNotTrusted(PublicGraphQLError):
    code = "PERSISTED_QUERY_NOT_SUPPORTED"

    def __init__(self) -> None:
        super().__init__(
            "Only the web and mobile apps' own documents are accepted with a session here: "
            "use a personal access token or OAuth for other queries."
        )


def sha256(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


@lru_cache(maxsize=4)
def trusted_documents(path: Path) -> dict[str, str]:
    data = json.loads(path.read_text())
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ValueError(f"{path}: expected a JSON object of sha256 -> GraphQL document")
    return {k.lower(): v for k, v in data.items()}


class PersistedQueries(SchemaExtension):
    """Fills the query from a hash (APQ) and enforces the trusted list, before parsing."""

    async def on_operation(self) -> AsyncIterator[None]:  # strawberry runs async hooks too
        ctx = self.execution_context
        context = ctx.context
        resources = context.resources
        settings = resources.settings
        extensions = ctx.operation_extensions or {}
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        digest: str | None = None
        if persisted is not None:
            digest = _digest(persisted)
            if ctx.query:
                if sha256(ctx.query) != digest:
                    raise PersistedQueryError("persistedQuery.sha256Hash does not match the query.")
                await _store(resources.redis, settings, digest, ctx.query)
            else:
                stored = await resources.redis.get(KEY.format(digest))
                if stored is None and settings.trusted_documents is not None:
                    stored = trusted_documents(settings.trusted_documents).get(digest)
                if stored is None:
                    raise PersistedQueryNotFound()
                ctx.query = stored.decode() if isinstance(stored, bytes) else stored
        if settings.trusted_documents is not None and context.principal.kind not in FREE_KINDS:
            trusted = trusted_documents(settings.trusted_documents)
            if sha256(ctx.query or "") not in trusted:
                raise DocumentNotTrusted()
        yield


def _digest(persisted: Any) -> str:
    if not isinstance(persisted, dict) or persisted.get("version", 1) != 1:
        raise PersistedQueryError("persistedQuery must be {version: 1, sha256Hash}.")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or len(digest) != 64:
        raise PersistedQueryError("persistedQuery.sha256Hash must be a SHA-256 hex digest.")
    try:
        int(digest, 16)
    except ValueError:
        raise PersistedQueryError(
            "persistedQuery.sha256Hash must be a SHA-256 hex digest."
        ) from None
    return digest.lower()


async def _store(redis: Any, settings: Any, digest: str, query: str) -> None:
    """Keep a document for later hash-only requests, within the hourly cap."""
    if len(query.encode()) > settings.apq_max_document_bytes:
        return  # still executed, just not stored
    key = KEY.format(digest)
    if await redis.expire(key, settings.apq_ttl_seconds):
        return  # known already: its TTL is refreshed
    counter = COUNT_KEY.format(int(time.time()) // 3600)
    stored_this_hour = await redis.incr(counter)
    if stored_this_hour == 1:
        await redis.expire(counter, 3600)
    if stored_this_hour <= settings.apq_max_new_per_hour:
        await redis.set(key, query, ex=settings.apq_ttl_seconds)
