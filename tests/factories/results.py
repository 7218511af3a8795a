"""Check results: rows in the database, and the messages probes hand to the ingest."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

from api.core import clock
from api.targets.models import CheckResult, CheckStatus, Target

_seq = itertools.count(1)


async def create_result(
    target: Target | int,
    *,
    at: datetime | None = None,
    region: str = "eu-west",
    status: CheckStatus | str = CheckStatus.UP,
    check_id: str | None = None,
    **fields: Any,
) -> CheckResult:
    """A stored check result of a target (or its id); other columns by keyword."""
    owner = {"target_id": target} if isinstance(target, int) else {"target": target}
    return await CheckResult.create(
        **owner,
        check_id=check_id or f"chk-{next(_seq)}",
        region=region,
        checked_at=at or clock.now(),
        status=status,
        **fields,
    )


def probe_result(
    target: Any,
    region: str,
    status: str = "UP",
    *,
    due_ms: int | None = None,
    error: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """One result as a probe worker hands it to the ingest (check id = target:region:due)."""
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
