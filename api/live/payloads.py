"""Build the GraphQL object of a live event, once per event per API process.

A check result is built from the event payload itself (no database read); a target
status change and an incident load their row once, whatever the number of subscribers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from api.incidents.models import Incident as IncidentModel
from api.incidents.types import Incident
from api.results.types import CheckResult
from api.targets.models import Target as TargetModel
from api.targets.models import TargetStatus
from api.targets.types import Target

# An event type -> an async function building the GraphQL object of an event once
# (None = nothing to deliver, e.g. the object was deleted meanwhile).
Converter = Callable[[dict[str, Any]], Awaitable[Any]]

_RESULT_DATETIMES = ("checked_at", "certificate_expires_at")


def _datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def result_namespace(event: dict[str, Any]) -> SimpleNamespace | None:
    """The check result of a check_result event, with the model's attribute names."""
    result = event.get("result")
    if not isinstance(result, dict) or result.get("id") is None:
        return None  # no row id: nothing a client could refer to
    values = dict(result)
    for name in _RESULT_DATETIMES:
        values[name] = _datetime(values.get(name))
    values.setdefault("target_id", event.get("targetId"))
    return SimpleNamespace(**values)


async def check_result(event: dict[str, Any]) -> Any:
    namespace = result_namespace(event)
    return None if namespace is None else CheckResult.from_model(namespace)


async def target_status(event: dict[str, Any]) -> Any:
    target = await TargetModel.get_or_none(
        id=event.get("targetId"), workspace_id=event.get("workspaceId")
    )
    if target is None:
        return None
    # The row is read when the event is delivered, possibly after a later change: the
    # event's own status and time are what this event announces (in order, per target).
    if event.get("status"):
        target.status = TargetStatus(event["status"])
        target.status_changed_at = _datetime(event.get("statusChangedAt"))
    return Target.from_model(target)


async def incident(event: dict[str, Any]) -> Any:
    row = await IncidentModel.get_or_none(
        id=event.get("incidentId"), workspace_id=event.get("workspaceId")
    )
    return None if row is None else Incident.from_model(row)


CONVERTERS: dict[str, Converter] = {
    "check_result": check_result,
    "target_status": target_status,
    "incident": incident,
}
