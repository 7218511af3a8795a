"""Real fixtures: a fresh database per test (SQLite file, or PostgreSQL when
HITFLOW_TEST_DATABASE_URL is set), a real Redis (embedded redis-server, or
HITFLOW_TEST_REDIS_URL), a real SMTP server (aiosmtpd), the ASGI app and an in-process
core worker."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import shutil
import socket
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from tortoise import connections
from tortoise.backends.base.config_generator import generate_config
from tortoise.context import TortoiseContext, tortoise_test_context
from tortoise.warnings import TortoiseLoopSwitchWarning

from api.app import create_app
from api.core import clock
from api.db import MODEL_MODULES
from api.redis import EmbeddedRedis
from api.resources import Resources, open_resources
from api.results.partitions import partition_check_results
from api.settings import Settings

TEST_DATABASE_URL = os.environ.get("HITFLOW_TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("HITFLOW_TEST_REDIS_URL")
TEST_KEY = "q2F0m1pDm7Qh1i2Wm9Z8s7X6c5V4b3N2m1L0k9J8h7g"  # 32 bytes, url-safe base64


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- Redis ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if TEST_REDIS_URL:
        yield TEST_REDIS_URL
        return
    embedded = EmbeddedRedis(tmp_path_factory.mktemp("r"))
    url = embedded.start()
    yield url
    embedded.stop()


# --- SMTP ----------------------------------------------------------------------------


class Mailbox:
    """Collects every message the local SMTP server receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import email
        from email import policy

        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if address in str(m["To"])]

    def bodies(self, address: str) -> list[str]:
        return [m.get_content() for m in self.to(address)]


@pytest.fixture
def smtp() -> Iterator[Any]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.mailbox = mailbox  # type: ignore[attr-defined]
    yield controller
    controller.stop()


@pytest.fixture
def mailbox(smtp: Any) -> Mailbox:
    return smtp.mailbox  # type: ignore[no-any-return]


# --- Settings and database -----------------------------------------------------------


def make_settings(tmp_path: Any, smtp: Any, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "development",
        "data_dir": tmp_path / "var",
        "secret_keys": [TEST_KEY],
        "smtp_url": f"smtp://127.0.0.1:{smtp.port}",
        "public_url": "http://testserver",
        "app_url": "http://app.test",
        "regions": ["eu-west", "us-east", "ap-south"],
        "probe_allow_private_networks": True,
        "min_interval_seconds": 1,
        "argon2_time_cost": 1,
        "argon2_memory_cost_kib": 64,
        "log_json": True,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change settings for its tests."""
    return {}


@pytest.fixture
def settings(tmp_path: Any, smtp: Any, settings_overrides: dict[str, Any]) -> Settings:
    return make_settings(tmp_path, smtp, **settings_overrides)


def admin_dsn() -> str:
    """asyncpg's DSN for the PostgreSQL server of HITFLOW_TEST_DATABASE_URL."""
    assert TEST_DATABASE_URL
    return TEST_DATABASE_URL.replace("postgres://", "postgresql://")


def pg_url(name: str) -> str:
    """The URL of database `name` on the server of HITFLOW_TEST_DATABASE_URL."""
    assert TEST_DATABASE_URL
    parts = urlsplit(TEST_DATABASE_URL.replace("postgresql://", "postgres://"))
    return urlunsplit(parts._replace(path=f"/{name}"))


async def build_test_schema(db_url: str) -> None:
    """Create the database at `db_url` and every table of the models in it: the schema
    each test's database is a copy of (made once per session, see `schema_template`).
    PostgreSQL-only steps on the schema belong here, after generate_schemas."""
    async with schema_built(db_url):
        pass


@contextlib.asynccontextmanager
async def schema_built(db_url: str) -> AsyncIterator[Any]:
    """Tortoise on a new database at `db_url`, with every table of the models; on
    PostgreSQL check_results is then partitioned, as migration 0006_part does, so the
    whole PostgreSQL suite runs on the partitioned table."""
    async with tortoise_test_context(MODEL_MODULES, db_url=db_url) as ctx:
        if not db_url.startswith("sqlite://"):
            await partition_check_results(connections.get("default"))
        yield ctx


async def drop_pg_database(name: str) -> None:
    admin = await asyncpg.connect(admin_dsn())
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The schema, built once per session: a template database on PostgreSQL (each test's
    database is created with CREATE DATABASE ... TEMPLATE), a file on SQLite (copied per
    test). Returns the template's database name, or the SQLite file's path."""
    if TEST_DATABASE_URL:
        name = f"hft_tmpl_{uuid.uuid4().hex[:12]}"
        asyncio.run(build_test_schema(pg_url(name)))
        yield name
        asyncio.run(drop_pg_database(name))
    else:
        path = tmp_path_factory.mktemp("schema") / "template.sqlite3"
        asyncio.run(build_test_schema(f"sqlite://{path}"))
        yield str(path)


async def copy_pg_database(name: str, template: str) -> str:
    admin = await asyncpg.connect(admin_dsn())
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    return name


class PgDatabases:
    """Each test's PostgreSQL database, a copy of the template: the next one is created
    while a test runs, and a test's database is dropped after it, in background threads
    (CREATE DATABASE and DROP DATABASE each wait for the disk: 0.1-3 s)."""

    def __init__(self, template: str) -> None:
        self.template = template
        # Two threads: a copy never waits for a drop (DROP DATABASE waits for a checkpoint).
        self.creator = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        self.dropper = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        self.dropping: list[concurrent.futures.Future[None]] = []
        self.next = self._create()

    def _create(self) -> concurrent.futures.Future[str]:
        name = f"hft_{uuid.uuid4().hex[:12]}"
        return self.creator.submit(asyncio.run, copy_pg_database(name, self.template))

    def take(self) -> str:
        """The name of a new database with the schema, for one test."""
        name = self.next.result()
        self.next = self._create()
        return name

    def drop(self, name: str) -> None:
        self.dropping.append(self.dropper.submit(asyncio.run, drop_pg_database(name)))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.drop(self.next.result())
        self.creator.shutdown(wait=True)
        self.dropper.shutdown(wait=True)
        for future in self.dropping:
            future.result()  # a failed DROP fails the session


@pytest.fixture(scope="session")
def pg_databases(schema_template: str) -> Iterator[PgDatabases | None]:
    if not TEST_DATABASE_URL:
        yield None
        return
    databases = PgDatabases(schema_template)
    yield databases
    databases.close()


@pytest.fixture
def database_location(tmp_path: Any, pg_databases: PgDatabases | None) -> tuple[str, str | None]:
    """Where `db` connects for this test: its URL, and, on the server of
    HITFLOW_TEST_DATABASE_URL, its name (it has the schema already). Overridden with no
    name, `db` creates the database and builds the schema there itself."""
    if pg_databases is None:
        return f"sqlite://{tmp_path}/test.sqlite3", None
    name = pg_databases.take()
    return pg_url(name), name


@pytest_asyncio.fixture
async def db(
    database_location: tuple[str, str | None],
    schema_template: str,
    pg_databases: PgDatabases | None,
) -> AsyncIterator[Any]:
    url, pg_name = database_location
    clock.reset()
    try:
        if pg_name and pg_databases is not None:
            async with connected(url) as ctx:  # a copy of the template, made ahead
                yield ctx
        elif url.startswith("sqlite://") and not TEST_DATABASE_URL:
            shutil.copyfile(schema_template, url.removeprefix("sqlite://"))
            async with connected(url) as ctx:
                yield ctx
        else:
            async with schema_built(url) as ctx:
                yield ctx
    finally:
        clock.reset()
        if pg_name and pg_databases is not None:
            pg_databases.drop(pg_name)


@contextlib.asynccontextmanager
async def connected(db_url: str) -> AsyncIterator[TortoiseContext]:
    """Tortoise on an existing database that already has the schema."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=TortoiseLoopSwitchWarning)
        async with TortoiseContext() as ctx:
            config = generate_config(db_url, app_modules={"models": MODEL_MODULES}, testing=True)
            await ctx.init(config=config)
            yield ctx


@pytest.fixture
def database_url(db: Any, database_location: tuple[str, str | None]) -> str:
    """The URL of this test's database (for subprocesses that need their own connection)."""
    return database_location[0]


# --- Resources, app, client ----------------------------------------------------------


@pytest_asyncio.fixture
async def resources(settings: Settings, redis_url: str, db: Any) -> AsyncIterator[Resources]:
    res = await open_resources(settings, redis_url)
    await res.redis.flushdb()
    yield res
    await res.close()


@pytest_asyncio.fixture
async def app(resources: Resources) -> Any:
    return create_app(resources, start_services=False)


@pytest_asyncio.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


class GraphQLClient:
    """Posts GraphQL documents through the ASGI app, as the SPA would."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=all_headers
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


# --- Workers -------------------------------------------------------------------------


@pytest.fixture
def run_core_jobs(resources: Resources) -> Any:
    """Run the core worker until its queue is empty (burst mode); returns jobs done."""
    from workers.settings import core_worker

    async def run(**overrides: Any) -> int:
        worker = core_worker(resources, burst=True, poll_delay=0.01, **overrides)
        try:
            await worker.async_run()
        finally:
            await worker.close()
        return worker.jobs_complete

    return run
