"""The `hitflow` command line."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from typing import Annotated, Any

import typer

from api.core.logging import configure_logging, get_logger
from api.settings import Settings, SettingsError, load_settings

app = typer.Typer(help="Hitflow: uptime and performance monitoring.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff roles.", no_args_is_help=True)
app.add_typer(staff_app, name="staff")
log = get_logger("hitflow")


def _settings(**overrides: Any) -> Settings:
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        typer.echo(f"hitflow: {exc}", err=True)
        raise typer.Exit(2) from None
    configure_logging(settings.log_level, settings.log_json)
    return settings


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}"


@contextlib.asynccontextmanager
async def _runtime(settings: Settings, *, database: bool = True) -> AsyncIterator[Any]:
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


async def _until_signal(tasks: list[asyncio.Task[Any]], servers: tuple[Any, ...] = ()) -> bool:
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


async def _close(workers: list[Any]) -> None:
    for w in workers:
        try:
            await w.close()
        except Exception as exc:  # e.g. Redis is gone: nothing left to clean up there
            log.warning("worker_close_failed", error=repr(exc))


def _exit_unless(ok: bool) -> None:
    if not ok:
        raise typer.Exit(1)


def _listen(host: str, port: int) -> socket.socket:
    """Bind the API socket before starting anything, so a busy port fails fast and clearly."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        typer.echo(f"hitflow: cannot listen on {host}:{port}: {exc.strerror}", err=True)
        raise typer.Exit(1) from None


def _ws_protocol() -> Any:
    try:
        from api.live.wsprotocol import LeanWebSocketProtocol
    except ImportError:
        return "auto"
    return LeanWebSocketProtocol


def _server(resources: Any) -> Any:
    import uvicorn

    from api.app import create_app

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
        ws=_ws_protocol(),  # uvicorn's websockets-sansio, lighter per idle websocket
        lifespan="on",
    )
    server = uvicorn.Server(config)
    # Signals are ours (_until_signal stops the workers too): uvicorn must not capture them.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    return server


@app.command()
def up(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Everything in one process: migrate, embedded Redis, API, core worker, all probes."""
    # Links in e-mails and heartbeat URLs must point at this server unless told otherwise.
    local_url = {} if os.environ.get("HITFLOW_PUBLIC_URL") else {"public_url": _url(host, port)}
    settings = _settings(**local_url)
    sock = _listen(host, port)

    async def main() -> bool:
        from api.db import migrate
        from workers.settings import core_worker, probe_worker

        await migrate(settings)
        async with _runtime(settings) as resources:
            server = _server(resources)
            workers = [core_worker(resources)] + [
                probe_worker(resources, region) for region in settings.regions
            ]
            tasks = [asyncio.create_task(server.serve(sockets=[sock]))] + [
                asyncio.create_task(w.async_run()) for w in workers
            ]
            log.info(
                "hitflow_up",
                url=f"http://{host}:{port}/graphql",
                regions=settings.regions,
                smtp="configured" if settings.smtp_url else "none: e-mails go to this log",
            )
            ok = await _until_signal(tasks, servers=(server,))
            await _close(workers)
            return ok

    _exit_unless(asyncio.run(main()))


@app.command()
def api(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """The API server only (stateless; run as many as needed)."""
    settings = _settings()
    sock = _listen(host, port)

    async def main() -> bool:
        async with _runtime(settings) as resources:
            server = _server(resources)
            task = asyncio.create_task(server.serve(sockets=[sock]))
            log.info("hitflow_api_started", url=f"http://{host}:{port}/graphql")
            return await _until_signal([task], servers=(server,))

    _exit_unless(asyncio.run(main()))


@app.command()
def worker() -> None:
    """The core worker: scheduler, ingest, alerting, e-mail and data-lifecycle jobs."""
    settings = _settings()

    async def main() -> bool:
        from workers.settings import core_worker

        async with _runtime(settings) as resources:
            w = core_worker(resources)
            task = asyncio.create_task(w.async_run())
            log.info("hitflow_worker_started", queue=w.queue_name)
            ok = await _until_signal([task])
            await _close([w])
            return ok

    _exit_unless(asyncio.run(main()))


@app.command()
def probe(region: Annotated[str, typer.Option(help="Region code to serve.")]) -> None:
    """A probe worker for one region (no database access)."""
    settings = _settings()
    from api.core.regions import REGIONS

    if region not in REGIONS:
        typer.echo(f"hitflow: unknown region {region!r}; known: {', '.join(REGIONS)}", err=True)
        raise typer.Exit(2)

    async def main() -> bool:
        from workers.settings import probe_worker

        async with _runtime(settings, database=False) as resources:
            w = probe_worker(resources, region)
            task = asyncio.create_task(w.async_run())
            log.info("hitflow_probe_started", region=region, queue=w.queue_name)
            ok = await _until_signal([task])
            await _close([w])
            return ok

    _exit_unless(asyncio.run(main()))


@app.command()
def migrate() -> None:
    """Apply pending database migrations."""
    settings = _settings()
    from api.db import migrate as run

    asyncio.run(run(settings))
    typer.echo("migrations applied")


@staff_app.command("grant")
def staff_grant(email: str) -> None:
    """Make an existing user staff."""
    settings = _settings()

    address = email.strip().lower()

    async def main() -> int:
        from tortoise.exceptions import OperationalError

        from api.accounts.models import User
        from api.db import close_db, init_db

        await init_db(settings)
        try:
            return await User.filter(email=address).update(is_staff=True)
        except OperationalError as exc:
            typer.echo(f"hitflow: {exc}; has `hitflow migrate` been run?", err=True)
            raise typer.Exit(1) from None
        finally:
            await close_db()

    if asyncio.run(main()) == 0:
        typer.echo(f"hitflow: no user with e-mail {address}", err=True)
        raise typer.Exit(1)
    log.info("staff_granted", email=address)
    typer.echo(f"{address} is now staff")


__import__("api.privacy.cli", fromlist=["register"]).register(app)  # backup, restore, purge


def main() -> None:
    try:
        app()
    except SettingsError as exc:  # pragma: no cover - _settings already reports
        typer.echo(f"hitflow: {exc}", err=True)
        sys.exit(2)
