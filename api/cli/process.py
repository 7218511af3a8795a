"""The plumbing of the long-running commands: shared resources, the API server, signals."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Coroutine, Sequence
from pathlib import Path
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
        resources = await _open_when_reachable(settings, url)
        resources.embedded_redis = embedded.process if embedded else None
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
        except asyncio.CancelledError:
            # A job stopped mid-run surfaces here as its task's cancellation (arq gathers
            # them): its batch is re-run from arq's expiring in-progress mark. Only our
            # own cancellation propagates.
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            log.warning("worker_close_cancelled_jobs", queue=getattr(w, "queue_name", None))


def freeze_startup_heap() -> None:
    """Move every object alive now (modules, classes, settings: ~126,000 in a probe) out
    of the garbage collector's reach. Each full collection otherwise walked them all again:
    in `bench/probe_cpu.py` run with a probe's imports (2 x 4,000 checks and as many raw
    GETs), 19 full collections cost 1,054 ms (55 ms each, also a stall of the event loop
    that a check in flight measures as response time); frozen, 39 ms, and the probe's CPU
    per check fell from 0.726 to 0.652 ms. Call it once startup is done.
    Startup objects that die later are not reclaimed (they are few: imports live on)."""
    gc.freeze()


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
    # proto=IPPROTO_TCP, not socket.create_server's 0: asyncio turns Nagle off
    # (TCP_NODELAY) only on sockets whose proto says TCP. With Nagle on, a response
    # written as headers then body waited for the client's delayed ACK: +40 ms each.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if os.name == "posix":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
        return sock
    except OSError as exc:
        sock.close()
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
        # X-Forwarded-* believed only from the configured proxies (HITFLOW_TRUSTED_PROXIES).
        proxy_headers=bool(resources.settings.trusted_proxies),
        forwarded_allow_ips=resources.settings.trusted_proxies or None,
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


# --- surviving the loss of Redis and of the database (docs/operations.md) -------------------

RECONNECT_MIN = 0.1  # seconds between attempts: doubling up to RECONNECT_MAX
RECONNECT_MAX = 1.0  # so a dependency back is noticed within a second


async def _open_when_reachable(settings: Settings, url: str) -> Resources:
    """Open the shared resources once Redis answers: a process started while Redis is
    down (or restarting) waits for it, with backoff and one log line, rather than exit."""
    from redis.asyncio import Redis

    from api.redis import is_unreachable
    from api.resources import open_resources

    delay, waiting = RECONNECT_MIN, False
    while True:
        probe = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            await probe.ping()
            break
        except Exception as exc:
            if not is_unreachable(exc):
                raise
            if not waiting:
                waiting = True
                log.warning("dependency_unavailable", dependency="redis", error=_short(exc))
        finally:
            await probe.aclose()
        await asyncio.sleep(delay)
        delay = min(delay * 2, RECONNECT_MAX)
    if waiting:
        log.info("dependency_available", dependency="redis")
    return await open_resources(settings, url)


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


class Health:
    """What a worker or probe process knows about its dependencies.

    A watcher pings Redis (and the database, for the core worker) every second, logs one
    line per change of state (never one per attempt), and keeps the readiness file
    (HITFLOW_READY_FILE) touched while everything answers, removed while something does
    not; `hitflow health --file F` (compose's healthcheck) reads it.
    """

    INTERVAL = 1.0
    PROBE_TIMEOUT = 2.0

    def __init__(self, resources: Resources, *, database: bool, ready_file: Path | None) -> None:
        self.resources = resources
        self.database = database
        self.ready_file = ready_file
        self.state: dict[str, bool] = {}

    @property
    def ready(self) -> bool:
        return bool(self.state) and all(self.state.values())

    def record(self, dependency: str, ok: bool, error: BaseException | None = None) -> None:
        before = self.state.get(dependency)
        self.state[dependency] = ok
        if before is ok:
            return
        if ok:
            if before is not None:
                log.info("dependency_available", dependency=dependency)
        else:
            log.warning(
                "dependency_unavailable",
                dependency=dependency,
                error=_short(error) if error else "unknown",
            )

    async def probe_once(self) -> bool:
        try:
            await asyncio.wait_for(self.resources.redis.ping(), self.PROBE_TIMEOUT)
            self.record("redis", True)
        except Exception as exc:
            self.record("redis", False, exc)
        if self.database:
            from tortoise import connections

            try:
                query = connections.get("default").execute_query("SELECT 1")
                await asyncio.wait_for(query, self.PROBE_TIMEOUT)
                self.record("database", True)
            except Exception as exc:
                self.record("database", False, exc)
        self._write_ready_file()
        return self.ready

    def _write_ready_file(self) -> None:
        if self.ready_file is None:
            return
        try:
            if self.ready:
                self.ready_file.parent.mkdir(parents=True, exist_ok=True)
                self.ready_file.write_text(f"{int(time.time())}\n")
            else:
                self.ready_file.unlink(missing_ok=True)
        except OSError as exc:  # a readiness file we cannot write must not stop the work
            log.warning("ready_file_not_written", path=str(self.ready_file), error=_short(exc))

    async def watch(self) -> None:
        """Probe every second. Stops (so the process exits 1) if the process's own embedded
        redis-server died: nobody else would restart it."""
        try:
            while True:
                embedded = self.resources.embedded_redis
                if embedded is not None and embedded.poll() is not None:
                    raise RuntimeError("the embedded redis-server stopped")
                await self.probe_once()
                await asyncio.sleep(self.INTERVAL)
        finally:
            if self.ready_file is not None:
                self.ready_file.unlink(missing_ok=True)

    async def redis_back(self) -> None:
        """Return once Redis answers again (tried with backoff up to RECONNECT_MAX)."""
        delay = RECONNECT_MIN
        while True:
            try:
                await asyncio.wait_for(self.resources.redis.ping(), self.PROBE_TIMEOUT)
                self.record("redis", True)
                return
            except Exception as exc:
                self.record("redis", False, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX)


async def supervise(worker: Any, health: Health, *, name: str) -> None:
    """Run an arq worker's loop and restart it when Redis goes away and comes back.

    arq's poll loop raises on any Redis error (a restart, a failover, a network cut); we
    wait for Redis to answer again and re-enter the loop on the same Worker: jobs it was
    running go on in their tasks, and its startup hooks are idempotent (they start the
    scheduler and the ingester once). Any other error is a bug: it stops the process
    (exit 1), for the supervisor (compose, systemd, Kubernetes) to restart it.
    """
    while True:
        try:
            await worker.main()
            return  # a burst worker that drained its queue
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            from api.redis import is_unreachable

            if not is_unreachable(exc):
                raise
            log.warning("worker_loop_interrupted", worker=name, error=_short(exc))
        await health.redis_back()
        log.info("worker_loop_resumed", worker=name)
