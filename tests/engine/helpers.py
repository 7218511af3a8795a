"""Factories and waits for engine tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from api.core import clock
from api.targets.models import Target, TargetKind
from api.targets.schedule import schedule_target


async def create_target(
    workspace: Any,
    *,
    url: str = "http://127.0.0.1:9/",
    kind: TargetKind = TargetKind.HTTP,
    config: dict[str, Any] | None = None,
    interval: int = 1,
    timeout: float = 2.0,
    regions: list[str] | None = None,
    alert_policy: dict[str, Any] | None = None,
    schedule: Any = None,
    **fields: Any,
) -> Target:
    target = await Target.create(
        workspace=workspace,
        name=f"target {url}",
        kind=kind,
        config=config if config is not None else {"url": url},
        interval_seconds=interval,
        timeout_seconds=timeout,
        regions=regions or [],
        alert_policy=alert_policy,
        **fields,
    )
    if schedule is not None:
        await schedule_target(schedule, target, spread=False)
    return target


def result(
    target: Any,
    region: str,
    status: str = "UP",
    *,
    due_ms: int | None = None,
    error: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    due_ms = due_ms if due_ms is not None else int(time.time() * 1000)
    checked = at or clock.now()
    return {
        "check_id": f"{target.id}:{region}:{due_ms}",
        "target_id": target.id,
        "region": region,
        "checked_at": checked.astimezone(UTC).isoformat(),
        "status": status,
        "response_time_ms": 12.5,
        "dns_ms": 0.1,
        "connect_ms": 1.0,
        "tls_ms": None,
        "first_byte_ms": 5.0,
        "transfer_ms": 0.4,
        "http_status": 200 if status != "DOWN" else 500,
        "error": error if error is not None else (None if status == "UP" else f"{status}: test"),
        "certificate_expires_at": None,
    }


async def wait_for(
    predicate: Callable[[], Awaitable[Any]], timeout: float = 10.0, interval: float = 0.05
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)
