"""What an alert says, in plain words, built once per delivery from the event."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from api.core.ids import encode
from api.settings import Settings

SEVERITY = {
    "DOWN": "critical",
    "REMINDER": "critical",
    "DEGRADED": "warning",
    "SUMMARY": "warning",
    "UP": "info",
    "TEST": "info",
}


@dataclass(frozen=True)
class Message:
    kind: str  # DOWN UP DEGRADED REMINDER SUMMARY TEST
    title: str
    text: str
    link: str
    severity: str  # critical, warning, info
    dedup_key: str  # shared by every message of one incident (PagerDuty, Opsgenie)
    resolve: bool  # closes the incident on the provider side
    at: datetime
    event_id: int
    target_id: str | None = None  # global id
    target_name: str | None = None
    status: str | None = None
    cause: str | None = None
    regions: list[str] = field(default_factory=list)
    incident_id: str | None = None  # global id
    started_at: datetime | None = None
    # DOWN, REMINDER and UP of an upstream: the dependents attached to its incident (down
    # with it, their own alerts suppressed), those that joined after the first page too.
    affected_targets: list[str] = field(default_factory=list)
    # REMINDER and UP: those of them still DOWN at that moment (on UP, each then gets its
    # own incident, alerted if it stays down past the settle window).
    still_down_targets: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("at", "started_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def duration(delta: timedelta) -> str:
    """Rounded to the nearest unit shown, never down: seconds under a minute, then whole
    minutes (119.9 s is "2 min", 3,599 s is "1 h", 90 min is "1 h 30 min")."""
    total = max(delta.total_seconds(), 0.0)
    seconds = math.floor(total + 0.5)
    if seconds < 60:
        return f"{seconds} s"
    days, rest = divmod(math.floor(total / 60 + 0.5), 1440)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else ""]
    parts.append(f"{minutes} min" if minutes else "")
    return " ".join(p for p in parts if p)


def app_link(settings: Settings, path: str, query: str) -> str:
    """A link for an alert: the web app's page when one is configured (HITFLOW_APP_URL),
    else the API's GraphiQL with the GraphQL query that shows the same thing (a page that
    exists on every instance, `hitflow up` included)."""
    if settings.app_url:
        return f"{settings.app_url}{path}"
    # GraphiQL reads its query from `q` (strawberry would execute a `query` parameter) and
    # decodes with decodeURIComponent, so spaces are %20, not "+".
    return f"{settings.public_url}/graphql?" + urlencode({"q": query}, quote_via=quote)


def build_message(
    settings: Settings,
    *,
    event: Any,
    target: Any | None,
    incident: Any | None,
    channel_name: str = "",
) -> Message:
    """Render one event. `event` is an AlertEvent, `target` a Target, `incident` an Incident."""
    kind = str(event.kind)
    name = target.name if target is not None else "Hitflow"
    target_gid = encode("Target", target.id) if target is not None else None
    link = (
        app_link(
            settings,
            f"/targets/{target_gid}",
            f'{{ target(id: "{target_gid}") {{ name status statusChangedAt'
            " incidents(first: 5) { edges { node { startedAt resolvedAt cause } } } } }",
        )
        if target_gid
        else app_link(settings, "", "{ viewer { workspaces { name } } }")
    )
    regions = list(event.regions or (incident.regions if incident else []))
    cause = event.cause or (incident.cause if incident else None)
    started = incident.started_at if incident else event.at
    where = f"Failing regions: {', '.join(regions)}." if regions else ""
    detail = event.detail or {}
    affected = [str(a.get("name")) for a in detail.get("affected") or []]
    still_down = [str(a.get("name")) for a in detail.get("stillDown") or []]
    recovered = [a for a in affected if a not in still_down]
    if kind == "DOWN":
        title = f"DOWN: {name}"
        lines = [f"{name} is down since {when(started)}.", f"Error: {cause or 'unknown'}.", where]
        if affected:
            title += f" (and {len(affected)} dependent{'s' if len(affected) > 1 else ''})"
            lines.append(
                f"Also down, because they depend on {name} (no separate alerts): "
                f"{', '.join(affected)}."
            )
    elif kind == "UP":
        title = f"UP: {name}"
        lasted = duration(event.at - started)
        lines = [
            f"{name} is back up since {when(event.at)}, after {lasted} down "
            f"(since {when(started)})."
        ]
        if affected:
            lines.append(
                f"Down with it, because they depend on {name} (no separate alerts): "
                f"{', '.join(affected)}."
            )
        if still_down:
            settle = int(settings.dependency_settle_seconds)
            lines.append(
                f"Not back up yet: {', '.join(still_down)}. "
                f"Each is alerted on its own if still down {settle} s from now."
            )
    elif kind == "REMINDER":
        title = f"Still DOWN: {name}"
        lasted = duration(event.at - started)
        lines = [
            f"{name} has been down for {lasted}, since {when(started)}.",
            f"Error: {cause or 'unknown'}.",
            where,
        ]
        if still_down:
            title += f" (and {len(still_down)} dependent{'s' if len(still_down) > 1 else ''})"
            lines.append(
                f"Also down, because they depend on {name} (no separate alerts): "
                f"{', '.join(still_down)}."
            )
        if recovered:
            lines.append(f"Down with it earlier, back up since: {', '.join(recovered)}.")
    elif kind == "DEGRADED":
        title = f"DEGRADED: {name}"
        where = f"Regions: {', '.join(regions)}." if regions else ""
        lines = [f"{name} is degraded since {when(event.at)}: {cause or 'slow responses'}.", where]
    elif kind == "SUMMARY":
        title = f"Flapping: {name}"
        lines = [
            f"{name} changed status {detail.get('count', 'many')} times within an hour.",
            f"Notifications to this channel are paused until {detail.get('until', 'later')}.",
            f"Latest status: {event.status or 'unknown'}.",
        ]
    else:
        title = "Test notification from Hitflow"
        lines = [f'This is a test of the alert channel "{channel_name}". It works.']
    lines.append(link)
    if incident is not None:
        dedup = f"hitflow-incident-{incident.id}"
    else:
        dedup = f"hitflow-event-{event.id}"
    return Message(
        kind=kind,
        title=title,
        text="\n".join(line for line in lines if line),
        link=link,
        severity=SEVERITY.get(kind, "info"),
        dedup_key=dedup,
        resolve=kind == "UP",
        at=event.at,
        event_id=event.id,
        target_id=target_gid,
        target_name=target.name if target is not None else None,
        status=event.status,
        cause=cause,
        regions=regions,
        incident_id=encode("Incident", incident.id) if incident is not None else None,
        started_at=started if incident is not None else None,
        affected_targets=affected if kind in ("DOWN", "REMINDER", "UP") else [],
        still_down_targets=still_down if kind in ("REMINDER", "UP") else [],
    )
