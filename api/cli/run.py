"""`hitflow up`, `hitflow api`, `hitflow worker` and `hitflow probe`: the processes."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Annotated

import typer

from api.cli import options
from api.cli.options import USAGE, Host, MetricsPort, Port, fail
from api.cli.process import (
    Health,
    api_server,
    close_workers,
    exit_unless,
    freeze_startup_heap,
    listen,
    local_url,
    log,
    run_loop,
    runtime,
    supervise,
    until_signal,
)
from api.resources import Resources
from api.settings import Settings


def register(app: typer.Typer) -> None:
    app.command()(up)
    app.command()(api)
    app.command()(worker)
    app.command()(probe)
    app.command()(health)


def _own_metrics(settings: Settings, port: int | None) -> None:
    if port is not None:
        from api.metrics.own import serve

        try:
            serve(settings.metrics_host, port)
        except OSError as exc:
            fail(f"cannot serve metrics on {settings.metrics_host}:{port}: {exc.strerror or exc}")


def _tracing(settings: Settings, service: str) -> None:
    """OpenTelemetry tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set (api/core/tracing.py)."""
    from api.core import tracing

    try:
        tracing.configure(settings, service)
    except ModuleNotFoundError as exc:
        fail(
            f"OTEL_EXPORTER_OTLP_ENDPOINT is set but {exc.name} is missing: "
            "install the `otel` extra (pip install 'hitflow[otel]') or unset it"
        )


def _flush_traces() -> None:
    from api.core import tracing

    tracing.shutdown()


def _stream_sampler(resources: Resources, port: int | None) -> list[asyncio.Task[None]]:
    """The backlog gauges (results stream, arq queues), refreshed by the process that runs
    the core worker."""
    if port is None:
        return []
    from workers.sampling import sample_backlog

    return [asyncio.create_task(sample_backlog(resources))]


def up(host: Host = "127.0.0.1", port: Port = 8000, metrics_port: MetricsPort = None) -> None:
    """Everything in one process: migrate, embedded Redis, API, core worker, all probes."""
    # Links in e-mails and heartbeat URLs must point at this server unless told otherwise.
    public = {} if os.environ.get("HITFLOW_PUBLIC_URL") else {"public_url": local_url(host, port)}
    settings = options.settings(**public)
    sock = listen(host, port)
    _own_metrics(settings, metrics_port)
    _tracing(settings, "up")

    async def main() -> bool:
        from api.db import migrate
        from workers.settings import core_worker, probe_worker

        await migrate(settings)
        async with runtime(settings) as resources:
            server = api_server(resources)
            workers = [core_worker(resources)] + [
                probe_worker(resources, region) for region in settings.regions
            ]
            health = Health(resources, database=True, ready_file=settings.ready_file)
            tasks = [asyncio.create_task(server.serve(sockets=[sock]))] + [
                asyncio.create_task(supervise(w, health, name=w.queue_name)) for w in workers
            ]
            tasks.append(asyncio.create_task(health.watch()))
            log.info(
                "hitflow_up",
                url=f"http://{host}:{port}/graphql",
                regions=settings.regions,
                smtp="configured" if settings.smtp_url else "none: e-mails go to this log",
                private_networks="allowed: targets on 127.0.0.1 and your LAN can be monitored"
                if settings.probe_allow_private_networks
                else "refused (HITFLOW_PROBE_ALLOW_PRIVATE_NETWORKS=true allows them)",
            )
            samplers = _stream_sampler(resources, metrics_port)
            ok = await until_signal(tasks, servers=(server,))
            for sampler in samplers:
                sampler.cancel()
            await close_workers(workers)
            return ok

    ok = asyncio.run(main())
    _flush_traces()
    exit_unless(ok)


def api(host: Host = "127.0.0.1", port: Port = 8000, metrics_port: MetricsPort = None) -> None:
    """The API server only (stateless; run as many as needed)."""
    settings = options.settings()
    sock = listen(host, port)
    _own_metrics(settings, metrics_port)
    _tracing(settings, "api")

    async def main() -> bool:
        async with runtime(settings) as resources:
            server = api_server(resources)
            task = asyncio.create_task(server.serve(sockets=[sock]))
            log.info("hitflow_api_started", url=f"http://{host}:{port}/graphql")
            return await until_signal([task], servers=(server,))

    ok = asyncio.run(main())
    _flush_traces()
    exit_unless(ok)


def worker(metrics_port: MetricsPort = None) -> None:
    """The core worker: scheduler, ingest, alerting, e-mail and data-lifecycle jobs."""
    settings = options.settings()
    _own_metrics(settings, metrics_port)
    _tracing(settings, "worker")

    async def main() -> bool:
        from workers.settings import core_worker

        async with runtime(settings) as resources:
            w = core_worker(resources)
            freeze_startup_heap()
            health = Health(resources, database=True, ready_file=settings.ready_file)
            tasks = [
                asyncio.create_task(supervise(w, health, name=w.queue_name)),
                asyncio.create_task(health.watch()),
            ]
            log.info("hitflow_worker_started", queue=w.queue_name)
            samplers = _stream_sampler(resources, metrics_port)
            ok = await until_signal(tasks)
            for sampler in samplers:
                sampler.cancel()
            await close_workers([w])
            return ok

    ok = run_loop(main(), uvloop=settings.worker_uvloop)
    _flush_traces()
    exit_unless(ok)


def probe(
    region: Annotated[str, typer.Option(help="Region code to serve.")],
    metrics_port: MetricsPort = None,
) -> None:
    """A probe worker for one region (no database access)."""
    from api.core.regions import REGIONS

    settings = options.settings()
    if region not in REGIONS:
        fail(f"unknown region {region!r}; known: {', '.join(REGIONS)}", USAGE)
    _own_metrics(settings, metrics_port)
    _tracing(settings, "probe")

    async def main() -> bool:
        from workers.settings import probe_worker

        async with runtime(settings, database=False) as resources:
            w = probe_worker(resources, region)
            freeze_startup_heap()
            health = Health(resources, database=False, ready_file=settings.ready_file)
            tasks = [
                asyncio.create_task(supervise(w, health, name=w.queue_name)),
                asyncio.create_task(health.watch()),
            ]
            log.info("hitflow_probe_started", region=region, queue=w.queue_name)
            ok = await until_signal(tasks)
            await close_workers([w])
            return ok

    ok = run_loop(main(), uvloop=settings.probe_uvloop)
    _flush_traces()
    exit_unless(ok)


def health(
    file: Annotated[
        Path | None,
        typer.Option(help="The readiness file of a worker or probe (HITFLOW_READY_FILE)."),
    ] = None,
    max_age: Annotated[
        float, typer.Option(help="Seconds after which an untouched file means not ready.")
    ] = 10.0,
) -> None:
    """Exit 0 if the worker or probe writing the readiness file is ready, 1 if not
    (for a container healthcheck: `hitflow health --file /tmp/hitflow.ready`)."""
    path = file or options.settings().ready_file
    if path is None:
        fail("no readiness file: pass --file or set HITFLOW_READY_FILE", USAGE)
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        fail(f"not ready: {path} is absent (a dependency is down, or the process is not up)")
    if age > max_age:
        fail(f"not ready: {path} not touched for {age:.0f} s (the process is stuck or gone)")
    typer.echo("ready")
