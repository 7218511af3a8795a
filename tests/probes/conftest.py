from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
import trustme

from api.core.crypto import KeyRing
from api.core.netguard import Guard
from tests.conftest import TEST_KEY
from tests.probes.servers import HTTPServer
from workers.probes.base import ProbeContext
from workers.probes.runner import run_check


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def server_context(ca: trustme.CA, days: float = 90) -> ssl.SSLContext:
    now = dt.datetime.now(dt.UTC)
    leaf = ca.issue_cert(
        "localhost",
        "127.0.0.1",
        not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=days),
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(ctx)
    return ctx


@pytest.fixture
def keyring() -> KeyRing:
    import base64

    return KeyRing([base64.urlsafe_b64decode(TEST_KEY + "=")])


@pytest.fixture
def pctx(ca_file: str, keyring: KeyRing) -> ProbeContext:
    """Private networks allowed (the servers are on 127.0.0.1), the test CA trusted."""
    return ProbeContext(guard=Guard(True), keyring=keyring, extra_ca_file=ca_file)


@pytest_asyncio.fixture
async def http_server() -> AsyncIterator[HTTPServer]:
    server = await HTTPServer().start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def https_server(ca: trustme.CA) -> AsyncIterator[HTTPServer]:
    server = await HTTPServer(server_context(ca)).start()
    yield server
    await server.stop()


async def check(
    pctx: ProbeContext, kind: str, config: dict[str, Any], *, timeout: float = 5.0, **spec: Any
) -> dict[str, Any]:
    wire = {"targetId": 42, "kind": kind, "config": config, "timeout": timeout, **spec}
    return await run_check({"spec": wire, "due": 1_700_000_000_000}, "eu-west", pctx)
