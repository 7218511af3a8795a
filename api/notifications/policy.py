"""Alert policies: which channels a target notifies, on what, and how often.

A policy is stored as camelCase JSON (on Target.alert_policy, or as the workspace default):

    {"channelIds": [int pk, ...], "notifyOn": ["DOWN", "UP"], "remindEveryMinutes": int | None,
     "certificateExpiryDays": [int, ...], "downConfirmRegions": int | None, "retries": int}

`channelIds` null (only in the built-in default) means every channel of the workspace.
`parse_policy` is the one rule for a target's policy and the workspace default alike:
retries 1-10, certificate days 1-365 (at most 10), reminders 1-10080 minutes,
downConfirmRegions 1-20, at most 50 channels of the workspace.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any

from api.core.errors import Invalid, NotFound
from api.core.ids import decode
from api.notifications.models import AlertChannel, WorkspaceAlertDefault

NOTIFY_ON = ("DOWN", "UP", "DEGRADED")
MAX_CHANNELS = 50
FIELD = "alertPolicy"

BUILTIN_DEFAULT: dict[str, Any] = {
    "channelIds": None,
    "notifyOn": ["DOWN", "UP"],
    "remindEveryMinutes": None,
    "certificateExpiryDays": [],
    "downConfirmRegions": None,
    "retries": 1,
}

_SNAKE = {
    "channel_ids": "channelIds",
    "notify_on": "notifyOn",
    "remind_every_minutes": "remindEveryMinutes",
    "certificate_expiry_days": "certificateExpiryDays",
    "down_confirm_regions": "downConfirmRegions",
}


def _value(item: Any) -> Any:
    return item.value if isinstance(item, Enum) else item


def _int(raw: dict[str, Any], key: str, *, low: int, high: int, field: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"{key} must be an integer from {low} to {high}.", field=f"{field}.{key}")
    return value


async def _channel_ids(workspace_id: int, values: Any, field: str) -> list[int]:
    if not isinstance(values, list | tuple):
        raise Invalid("channelIds must be a list of alert channel ids.", field=field)
    if len(values) > MAX_CHANNELS:
        raise Invalid(f"At most {MAX_CHANNELS} channels.", field=field)
    pks: list[int] = []
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool):
            pk = value
        elif isinstance(value, str):
            pk = decode(value, "AlertChannel", field=field)
        else:
            raise NotFound("No AlertChannel with this id.", field=field)
        if pk not in pks:
            pks.append(pk)
    found = set(
        await AlertChannel.filter(workspace_id=workspace_id, id__in=pks).values_list(
            "id", flat=True
        )
    )
    if len(found) != len(pks):
        raise NotFound("No AlertChannel with this id in this workspace.", field=field)
    return pks


async def parse_policy(workspace_id: int, raw: dict[str, Any], *, field: str = FIELD) -> dict:
    """Validate an AlertPolicyInput (camelCase or snake_case keys) into the stored form.

    Raises DomainError subclasses naming the field, e.g. "alertPolicy.channelIds".
    """
    if not isinstance(raw, dict):
        raise Invalid("The alert policy must be an object.", field=field)
    raw = {_SNAKE.get(k, k): v for k, v in raw.items()}
    unknown = set(raw) - set(BUILTIN_DEFAULT)
    if unknown:
        raise Invalid(f"Unknown alert policy key(s): {sorted(unknown)}.", field=field)
    if raw.get("channelIds") is None:
        raise Invalid("channelIds is required.", field=f"{field}.channelIds")
    channel_ids = await _channel_ids(workspace_id, raw["channelIds"], f"{field}.channelIds")

    notify_raw = raw.get("notifyOn")
    notify_on = ["DOWN", "UP"] if notify_raw is None else [str(_value(v)) for v in notify_raw]
    bad = [v for v in notify_on if v not in NOTIFY_ON]
    if bad:
        raise Invalid(
            f"notifyOn accepts {', '.join(NOTIFY_ON)}; got {bad}.", field=f"{field}.notifyOn"
        )
    notify_on = [v for v in NOTIFY_ON if v in notify_on]

    days_raw = raw.get("certificateExpiryDays") or []
    if not isinstance(days_raw, list | tuple) or len(days_raw) > 10:
        raise Invalid("At most 10 day counts.", field=f"{field}.certificateExpiryDays")
    days: list[int] = []
    for day in days_raw:
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 365:
            raise Invalid(
                "Each day count must be from 1 to 365.", field=f"{field}.certificateExpiryDays"
            )
        days.append(day)

    # At least one failed check counts (0 would mean DOWN without any failure).
    retries = _int(raw, "retries", low=1, high=10, field=field)
    return {
        "channelIds": channel_ids,
        "notifyOn": notify_on,
        "remindEveryMinutes": _int(raw, "remindEveryMinutes", low=1, high=10080, field=field),
        "certificateExpiryDays": sorted(set(days), reverse=True),
        "downConfirmRegions": _int(raw, "downConfirmRegions", low=1, high=20, field=field),
        "retries": 1 if retries is None else retries,
    }


async def workspace_default(workspace_id: int) -> dict[str, Any]:
    row = await WorkspaceAlertDefault.get_or_none(workspace_id=workspace_id)
    return {**BUILTIN_DEFAULT, **row.policy} if row else dict(BUILTIN_DEFAULT)


async def set_workspace_default(workspace_id: int, policy: dict[str, Any]) -> None:
    row = await WorkspaceAlertDefault.get_or_none(workspace_id=workspace_id)
    if row is None:
        await WorkspaceAlertDefault.create(workspace_id=workspace_id, policy=policy)
    else:
        row.policy = policy
        await row.save(update_fields=["policy", "updated_at"])


async def effective_policy(target: Any) -> dict[str, Any]:
    """The target's own policy, else its workspace default, else the built-in default."""
    if target.alert_policy:
        return {**BUILTIN_DEFAULT, **target.alert_policy}
    return await workspace_default(target.workspace_id)


async def policy_channels(workspace_id: int, policy: dict[str, Any]) -> list[AlertChannel]:
    """The enabled, confirmed channels a policy notifies (deleted ones simply drop out)."""
    query = AlertChannel.filter(workspace_id=workspace_id, enabled=True, verified=True)
    ids: Iterable[int] | None = policy.get("channelIds")
    if ids is not None:
        query = query.filter(id__in=list(ids))
    return await query.order_by("id")
