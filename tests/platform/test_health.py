"""Health and readiness: /healthz says the process is alive, /readyz that the database
and Redis answer (503 when one does not)."""

from __future__ import annotations

from api.redis import EmbeddedRedis
from api.resources import open_resources
from tests.platform.helpers import app_client


async def test_healthz_and_readyz_when_all_is_up(client) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "redis": "ok"}


async def test_readyz_is_503_when_redis_is_down(settings, db, tmp_path) -> None:
    embedded = EmbeddedRedis(tmp_path / "own-redis")
    resources = await open_resources(settings, embedded.start())
    try:
        async with app_client(resources) as client:
            assert (await client.get("/readyz")).status_code == 200
            embedded.stop()
            response = await client.get("/readyz")
            # The process is alive, it just cannot serve: healthz stays green.
            assert (await client.get("/healthz")).status_code == 200
    finally:
        embedded.stop()
        await resources.close()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["redis"].startswith("error")


async def test_readyz_reports_database_and_redis(client) -> None:
    response = await client.get("/readyz")
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}
