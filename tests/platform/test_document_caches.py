"""Large documents are not kept in the parse, validation and cost caches: a client
sending distinct large documents (mostly a comment: the token limit does not count
comments) retained ~2 bytes per byte sent, up to hundreds of documents per cache."""

from __future__ import annotations

import gc
import tracemalloc

from tests.factories.accounts import create_account

TRIVIAL = "{ viewer { user { email } } }"


async def test_distinct_large_documents_are_not_retained(client, settings) -> None:
    account = await create_account(settings)
    headers = {"Authorization": f"Bearer {account.token}"}
    size = 100_000

    async def send(first: int, count: int) -> int:
        """Send `count` distinct large documents; the memory traced afterwards."""
        for n in range(first, first + count):
            query = f"{TRIVIAL}\n# {n} " + "a" * size
            response = await client.post("/graphql", json={"query": query}, headers=headers)
            assert response.json()["data"]["viewer"]["user"]["email"] == account.user.email
        gc.collect()
        return tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    try:
        # The last request's objects may still be referenced: compare two later points.
        after_10 = await send(0, 10)
        after_30 = await send(10, 20)
    finally:
        tracemalloc.stop()
    # Before: ~2.2 bytes kept per byte sent (4.4 MB for these 20), by several caches.
    assert after_30 - after_10 < size * 20 / 4, after_30 - after_10
