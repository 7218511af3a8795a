"""Incidents, as rows in the database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.core import clock
from api.incidents.models import Incident
from api.targets.models import Target


async def create_incident(
    target: Target,
    *,
    started_at: datetime | None = None,
    resolved_at: datetime | None = None,
    cause: str = "",
    **fields: Any,
) -> Incident:
    """An incident of the target, in the target's workspace (open unless `resolved_at`)."""
    return await Incident.create(
        workspace_id=target.workspace_id,
        target=target,
        started_at=started_at or clock.now(),
        resolved_at=resolved_at,
        cause=cause,
        **fields,
    )
