"""The plumbing of the long-running commands: shared resources, the API server, signals."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import AsyncIterator, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

import typer

from api.cli.options import FAILED, fail
from api.core.logging import get_logger
from api.settings import Settings

if TYPE_CHECKING:  # imported when a command runs: `hitflow --help` stays quick
    from api.resources import Resources

log = get_logger("hitflow")


def local_url(host: str, port: int) -> str:
    """The URL this machine reaches a server listening on host:port at."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}"


@contextlib.asynccontextmanager
async def runtime(settings: Settings, *, database: bool = True) -> AsyncIterator[Resources]:
    """Redis (embedded when no URL is set), the database and the shared resources."""
    from api.db import close_db, init_db
    from api.redis import EmbeddedRedis
    from api.resources import open_resources

    embedded = None
    url = settings.redis_url
    if url is None:
        if settings.production:
            # Each process would get its own private Redis: queues and live updates would
            # not reach the other processes. Fine for one box, wrong for a deployment.
            log.warning("embedded_redis_in_production", hint="set HITFLOW_REDIS_URL")
        embedded = EmbeddedRedis(settings.data_dir)
        url = embedded.start()
    try:
        if database:
            await init_db(settings)
        resources = await open_resources(settings, url)
        try:
            yield resources
        finally:
            await resources.close()
            if database:
                await close_db()
    finally:
        if embedded:
            embedded.stop()


async def until_signal(tasks: list[asyncio.Task[Any]], servers: Sequence[Any] = ()) -> bool:
    """Run until SIGINT/SIGTERM, or until a component stops on its own (a crash), then stop
    everything cleanly. Returns False after a crash, so the process exits non-zero and a
    supervisor restarts it."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
    crashed = not stop.is_set()
    for task in done:
        if task is not waiter:
            error = None if task.cancelled() else task.exception()
            log.error("process_component_stopped", error=repr(error) if error else "exited")
    log.info("hitflow_stopping")
    # uvicorn drains its connections and runs the lifespan shutdown when asked to exit;
    # cancelling its task instead would abort the lifespan with a traceback.
    for server in servers:
        server.should_exit = True
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(
            asyncio.gather(*tasks[: len(servers)], return_exceptions=True), timeout=10
        )
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    waiter.cancel()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.remove_signal_handler(sig)
    return not crashed


async def close_workers(workers: Sequence[Any]) -> None:
    for w in workers:
        try:
            await w.close()
        except Exception as exc:  # e.g. Redis is gone: nothing left to clean up there
            log.warning("worker_close_failed", error=repr(exc))


def run_loop(main: Coroutine[Any, Any, bool], *, uvloop: bool) -> bool:
    """Run `main` on asyncio's loop, or on uvloop's (HITFLOW_PROBE_UVLOOP/WORKER_UVLOOP)."""
    if uvloop:
        import uvloop as uv

        with asyncio.Runner(loop_factory=uv.new_event_loop) as runner:
            return runner.run(main)
    return asyncio.run(main)


def exit_unless(ok: bool) -> None:
    """A component that crashed makes the process exit 1, so that a supervisor restarts it."""
    if not ok:
        raise typer.Exit(FAILED)


def listen(host: str, port: int) -> socket.socket:
    """Bind the API socket before starting anything, so a busy port fails fast and clearly."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror}")


def api_server(resources: Resources) -> Any:
    """uvicorn serving the app, configured from the settings (signals are left to us)."""
    import uvicorn

    from api.app import create_app
    from api.live.wsprotocol import LeanWebSocketProtocol

    config = uvicorn.Config(
        create_app(resources),
        log_config=None,
        # Our own JSON lines say when the server is up and log each request (with its id);
        # uvicorn's plain-text lines would only repeat them.
        log_level="warning",
        access_log=False,
        proxy_headers=True,
        ws_ping_interval=20,
        ws_max_size=resources.settings.max_body_bytes,  # the body cap, for websocket messages
        # permessage-deflate costs ~100 KB of zlib state per websocket and CPU per
        # message; live payloads are small, so it is off unless enabled by setting.
        ws_per_message_deflate=resources.settings.live_ws_compression,
        ws=LeanWebSocketProtocol,  # uvicorn's websockets-sansio, lighter per idle websocket
        lifespan="on",
    )
    # Any: capture_signals is a method that uvicorn offers no setting for; we replace it.
    server: Any = uvicorn.Server(config)
    # Signals are ours (until_signal stops the workers too): uvicorn must not capture them.
    server.capture_signals = contextlib.nullcontext
    return server
