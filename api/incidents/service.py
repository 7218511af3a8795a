"""Incidents from state transitions, and the alert events they raise.

`process_transitions(resources)` is called by the ingest after each batch, and by a
periodic fallback. Each StateTransition is claimed exactly once with a conditional
UPDATE (several core workers may race); transitions of one target are handled in order
under a short Redis lock so that a DOWN is never processed after the UP that follows it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from api import events
from api.auth.principal import Principal
from api.core import clock
from api.core.logging import get_logger
from api.core.orm import column
from api.incidents import dispatch
from api.incidents.models import AlertEvent, EventKind, Incident, IncidentCause
from api.maintenance.service import in_maintenance, mark_results
from api.notifications import delivery
from api.notifications.policy import effective_policy, policy_channels
from api.resources import Resources
from api.statuspages import notices as status_page_notices
from api.targets import dependencies, state
from api.targets.models import StateTransition, Target, TargetStatus

log = get_logger(__name__)
LOCK_MS = 60_000
_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) "
    "else return 0 end"
)


def visible_to(principal: Principal) -> QuerySet[Incident]:
    """The incidents of the principal's workspaces (the only way to read them)."""
    return Incident.filter(workspace_id__in=principal.workspace_ids)


async def process_transitions_serially(resources: Resources) -> int:
    """`process_transitions`, one pass at a time across every core worker: a pass asked
    for while one runs makes the running one go round again (api/incidents/dispatch.py).
    Returns 0 when the pass was left to the one running."""
    return await dispatch.one_pass_at_a_time(
        resources.redis, lambda: process_transitions(resources)
    )


async def process_transitions(resources: Resources, *, max_rounds: int = 20) -> int:
    """Handle every unclaimed transition; return how many this call handled.

    Also flags freshly ingested results taken inside maintenance windows (at most every
    few seconds), since the ingest calls this after each batch.
    """
    if await resources.redis.set("hitflow:alerting:mark-maintenance", "1", nx=True, ex=5):
        await mark_results(clock.now())
    handled = 0
    for _ in range(max_rounds):
        target_ids: set[int] = set(
            await column(StateTransition.filter(claimed_at__isnull=True).limit(1000), "target_id")
        )
        if not target_ids:
            break
        progress = 0
        for target_id in sorted(target_ids):
            progress += await _process_target(resources, target_id)
        handled += progress
        if not progress:
            break  # what is left is held by another worker
    return handled


async def _process_target(resources: Resources, target_id: int) -> int:
    key, token = f"hitflow:alerting:target:{target_id}", secrets.token_hex(8)
    if not await resources.redis.set(key, token, nx=True, px=LOCK_MS):
        return 0
    count = 0
    try:
        pending = await StateTransition.filter(
            target_id=target_id, claimed_at__isnull=True
        ).order_by("id")
        for transition in pending:
            claimed = await StateTransition.filter(
                id=transition.id, claimed_at__isnull=True
            ).update(claimed_at=clock.now())
            if claimed != 1:
                continue
            await handle_transition(resources, transition)
            count += 1
    finally:
        await resources.redis.register_script(_RELEASE)(keys=[key], args=[token])
    return count


async def _open_incident(target_id: int, at: datetime) -> Incident | None:
    """The open incident a transition at `at` belongs to: the latest one begun by then
    (a past outage recorded late must not touch, nor be hidden by, today's incident)."""
    return (
        await Incident.filter(target_id=target_id, resolved_at=None, started_at__lte=at)
        .order_by("-started_at", "-id")
        .first()
    )


async def handle_transition(resources: Resources, transition: StateTransition) -> None:
    target = await Target.get_or_none(id=transition.target_id)
    if target is None:
        return
    to = TargetStatus(transition.to_status)
    incident = await _open_incident(target.id, transition.at)
    if to == TargetStatus.DOWN:
        if incident is not None:
            return  # already open (e.g. DOWN -> DEGRADED -> DOWN is a new incident only once)
        await open_incident(
            resources,
            target,
            at=transition.at,
            cause=transition.cause or "unknown error",
            regions=list(transition.regions or []),
            dedupe_key=f"transition:{transition.id}",
        )
        return
    if incident is not None and to in (TargetStatus.UP, TargetStatus.DEGRADED, TargetStatus.PAUSED):
        incident.resolved_at = transition.at
        await incident.save(update_fields=["resolved_at"])
        await _publish(resources, incident, "resolved")
        silent = to == TargetStatus.PAUSED or incident.notified_at is None
        if not silent and not await in_maintenance(target.id, transition.at):
            await raise_event(
                resources,
                target,
                EventKind.UP,
                f"transition:{transition.id}:up",
                incident=incident,
                at=transition.at,
                status=to.value,
                # read before release_attached: which dependents it leaves DOWN
                detail=await dependents_detail(incident) or None,
            )
        if incident.cause_kind == IncidentCause.DIRECT:
            await release_attached(resources, incident, transition.at)
    if to == TargetStatus.DEGRADED and not await in_maintenance(target.id, transition.at):
        await raise_event(
            resources,
            target,
            EventKind.DEGRADED,
            f"transition:{transition.id}:degraded",
            at=transition.at,
            status=to.value,
            cause=transition.cause or "slow responses",
            regions=list(transition.regions or []),
        )


# --- Opening, with the dependency rule ------------------------------------------------
#
# A target that is part of a dependency graph does not alert at once: its incident is
# held for HITFLOW_DEPENDENCY_SETTLE_SECONDS. Whatever arrives first, at the end of the
# window a dependent whose upstream (direct or transitive) has an open incident is
# attached to that incident's root (cause UPSTREAM, its DOWN recorded as SUPPRESSED),
# and the root alerts once, naming the dependents attached to it. Every step is a
# conditional UPDATE, so several workers may run it side by side.


async def open_incident(
    resources: Resources,
    target: Target,
    *,
    at: datetime,
    cause: str,
    regions: list[str],
    dedupe_key: str,
    opened_at: datetime | None = None,
) -> Incident:
    """`at` is when the target went DOWN; `opened_at`, when later, is when its incident is
    opened (a dependent released by its upstream's recovery): the settle window and the
    maintenance check count from then."""
    graph = await dependencies.workspace_graph(target.workspace_id)
    related = bool(graph.get(target.id)) or any(target.id in ups for ups in graph.values())
    settle = resources.settings.dependency_settle_seconds
    opened = max(at, opened_at) if opened_at is not None else at
    incident = await Incident.create(
        workspace_id=target.workspace_id,
        target_id=target.id,
        started_at=at,
        cause=cause[:2000],
        regions=regions,
        hold_until=opened + timedelta(seconds=settle) if related else None,
    )
    await _publish(resources, incident, "opened")
    maintained = await in_maintenance(target.id, opened)
    if not maintained:  # a page showing the target tells its subscribers (attached or not)
        await status_page_notices.incident_opened(resources, incident)
    if related:
        root = await _upstream_root(graph, target.id)
        if root is not None:
            await _attach(resources, target, incident, root)
            return incident
        await _attach_held_dependents(resources, graph, target.id, incident)
        if incident.hold_until is not None and incident.hold_until > clock.now():
            await dispatch.settle_later(resources.redis, incident.id, settle)
            return incident
    if maintained:
        log.info("incident_held_for_maintenance", incident_id=incident.id)
        return incident  # notified when the window ends, if still open
    await notify_opened(resources, target, incident, dedupe_key)
    return incident


async def _upstream_root(graph: dependencies.Graph, target_id: int) -> Incident | None:
    """The open DIRECT incident of the most upstream target this one depends on, if any."""
    ups = dependencies.closure(graph, target_id)
    if not ups:
        return None
    open_ups = await Incident.filter(target_id__in=list(ups), resolved_at=None).order_by(
        "started_at", "id"
    )
    roots: dict[int, Incident] = {}
    for row in open_ups:
        if row.cause_kind == IncidentCause.DIRECT:
            roots.setdefault(row.target_id, row)
    # Prefer a root whose target depends on no other root's target (the true origin).
    for row in sorted(roots.values(), key=lambda r: (r.started_at, r.id)):
        if not dependencies.closure(graph, row.target_id) & set(roots):
            return row
    attached = next((r for r in open_ups if r.upstream_id is not None), None)
    return await Incident.get_or_none(id=attached.upstream_id) if attached else None


async def _attach(resources: Resources, target: Target, incident: Incident, root: Incident) -> bool:
    """Make a not-yet-alerted incident UPSTREAM of `root`; False if it was taken meanwhile."""
    claimed = await Incident.filter(
        id=incident.id,
        resolved_at=None,
        notified_at=None,
        cause_kind=IncidentCause.DIRECT,
    ).update(cause_kind=IncidentCause.UPSTREAM, upstream_id=root.id, hold_until=None)
    if claimed != 1:
        return False
    incident.cause_kind, incident.upstream_id, incident.hold_until = (
        IncidentCause.UPSTREAM,
        root.id,
        None,
    )
    # What was attached to this one now hangs from the root (attachments are one level).
    await Incident.filter(upstream_id=incident.id).update(upstream_id=root.id)
    await _publish(resources, incident, "attached")
    await _publish(resources, root, "affected")  # its affectedTargets grew
    upstream = await Target.get_or_none(id=root.target_id)
    upstream_name = upstream.name if upstream else "a dependency"
    await raise_event(
        resources,
        target,
        EventKind.DOWN,
        f"incident:{incident.id}:suppressed",
        incident=incident,
        at=incident.started_at,
        status="DOWN",
        detail={"upstreamIncidentId": root.id, "upstreamTarget": upstream_name},
        suppressed=f"Suppressed: {target.name} depends on {upstream_name}, which is down.",
    )
    log.info("incident_attached", incident_id=incident.id, upstream_incident_id=root.id)
    return True


async def _attach_held_dependents(
    resources: Resources, graph: dependencies.Graph, target_id: int, root: Incident
) -> None:
    """Dependents that went down first and are still held join this incident."""
    below = dependencies.closure(dependencies.reverse(graph), target_id)
    if not below:
        return
    held = await Incident.filter(
        target_id__in=list(below),
        resolved_at=None,
        notified_at=None,
        cause_kind=IncidentCause.DIRECT,
    )
    targets = {t.id: t for t in await Target.filter(id__in=[h.target_id for h in held])}
    for row in held:
        if row.target_id in targets:
            await _attach(resources, targets[row.target_id], row, root)


async def release_attached(resources: Resources, root: Incident, at: datetime) -> int:
    """The upstream recovered: each attached dependent still DOWN gets its own DIRECT
    incident from now on (held for the settle window, so one that recovers with its
    upstream is never paged), or joins another upstream that is still down."""
    count = 0
    for row in await Incident.filter(upstream_id=root.id, resolved_at=None):
        target = await Target.get_or_none(id=row.target_id)
        if target is None:
            continue
        graph = await dependencies.workspace_graph(target.workspace_id)
        other = await _upstream_root(graph, target.id)
        if other is not None and other.id != root.id:
            await Incident.filter(id=row.id, upstream_id=root.id).update(upstream_id=other.id)
            continue
        closed = await Incident.filter(id=row.id, resolved_at=None).update(resolved_at=at)
        if closed != 1:
            continue
        row.resolved_at = at
        await _publish(resources, row, "resolved")
        if target.status != TargetStatus.DOWN or target.paused:
            continue
        # Its own outage as it stands now: down since it went DOWN (not since its upstream
        # recovered), with the cause and regions of its latest failing results (those of
        # the attached incident are what it had when it went down).
        verdict = await state.current_verdict(target, list(resources.settings.regions))
        down = verdict if verdict is not None and verdict.status == TargetStatus.DOWN else None
        await open_incident(
            resources,
            target,
            at=min(target.status_changed_at or row.started_at, at),
            cause=(down.cause if down else None) or row.cause,
            regions=down.regions if down else list(row.regions or []),
            dedupe_key=f"incident:{row.id}:released",
            opened_at=at,
        )
        count += 1
    return count


async def notify_opened(
    resources: Resources, target: Target, incident: Incident, dedupe_key: str
) -> None:
    """Alert an incident's opening, once, naming the dependents attached to it."""
    now = clock.now()
    claimed = await Incident.filter(
        id=incident.id, notified_at=None, cause_kind=IncidentCause.DIRECT
    ).update(notified_at=now, last_notified_at=now, hold_until=None)
    if claimed != 1:
        return  # already alerted, or attached to an upstream meanwhile
    incident.notified_at = incident.last_notified_at = now
    affected = await affected_targets(incident.id)
    await raise_event(
        resources,
        target,
        EventKind.DOWN,
        dedupe_key,
        incident=incident,
        at=incident.started_at,
        status="DOWN",
        detail={"affected": affected} if affected else None,
    )


async def affected_targets(incident_id: int) -> list[dict[str, Any]]:
    """The dependents attached to an incident: [{"id": pk, "name": ...}], by name."""
    ids = await column(Incident.filter(upstream_id=incident_id), "target_id")
    rows = await Target.filter(id__in=list(set(ids))).order_by("name").values("id", "name")
    return [{"id": r["id"], "name": r["name"]} for r in rows]


async def dependents_detail(incident: Incident) -> dict[str, Any]:
    """For an upstream's later notices (reminders, recovery): every dependent attached to
    its incident, those that joined after the first page included ("affected"), and
    those of them still DOWN now ("stillDown"); {} when none was attached."""
    rows = await Incident.filter(upstream_id=incident.id).values("target_id", "resolved_at")
    if not rows:
        return {}
    still_open = {r["target_id"] for r in rows if r["resolved_at"] is None}
    targets = (
        await Target.filter(id__in=list({r["target_id"] for r in rows}))
        .order_by("name", "id")
        .values("id", "name", "status", "paused")
    )
    return {
        "affected": [{"id": t["id"], "name": t["name"]} for t in targets],
        "stillDown": [
            {"id": t["id"], "name": t["name"]}
            for t in targets
            if t["id"] in still_open and t["status"] == TargetStatus.DOWN and not t["paused"]
        ],
    }


async def raise_event(
    resources: Resources,
    target: Target,
    kind: EventKind,
    dedupe_key: str,
    *,
    incident: Incident | None = None,
    at: Any = None,
    status: str | None = None,
    cause: str | None = None,
    regions: list[str] | None = None,
    detail: dict[str, Any] | None = None,
    suppressed: str | None = None,
) -> AlertEvent | None:
    """Record the event once (by dedupe key) and notify the channels its policy names
    (or, given a `suppressed` reason, record their deliveries as SUPPRESSED)."""
    event, created = await AlertEvent.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "workspace_id": target.workspace_id,
            "target_id": target.id,
            "incident_id": incident.id if incident else None,
            "kind": kind,
            "at": at or clock.now(),
            "status": status,
            "cause": cause if cause is not None else (incident.cause if incident else None),
            "regions": regions if regions is not None else (incident.regions if incident else []),
            "detail": detail or {},
        },
    )
    if not created:
        return event  # already handled (a retry of the same transition, reminder...)
    policy = await effective_policy(target)
    wanted = {
        EventKind.DOWN: "DOWN" in policy["notifyOn"],
        EventKind.REMINDER: "DOWN" in policy["notifyOn"],
        EventKind.UP: "UP" in policy["notifyOn"],
        EventKind.DEGRADED: "DEGRADED" in policy["notifyOn"]
        or bool(detail and detail.get("certificate")),
    }.get(kind, True)
    if wanted:
        channels = await policy_channels(target.workspace_id, policy)
        if suppressed is not None:
            await delivery.record_suppressed(event, channels, suppressed)
        else:
            await delivery.notify_event(resources, event, channels)
    return event


async def _publish(resources: Resources, incident: Incident, state: str) -> None:
    await events.publish(
        resources.redis,
        "incident",
        workspaceId=incident.workspace_id,
        targetId=incident.target_id,
        incidentId=incident.id,
        state=state,
    )


# --- Periodic work: held-back incidents, reminders, certificates ----------------------


async def notify_after_maintenance(resources: Resources) -> int:
    """Held incidents still open once their hold ends get their notice: opened inside a
    maintenance window that has ended, or past their dependency settle window (then an
    upstream that is down by now takes them as UPSTREAM instead)."""
    count = 0
    now = clock.now()
    # UPSTREAM incidents whose upstream incident was deleted (with its target): their own now.
    await Incident.filter(
        resolved_at=None, cause_kind=IncidentCause.UPSTREAM, upstream_id=None
    ).update(cause_kind=IncidentCause.DIRECT, hold_until=now)
    held = (
        await Incident.filter(resolved_at=None, notified_at=None, cause_kind=IncidentCause.DIRECT)
        .filter(Q(hold_until=None) | Q(hold_until__lte=now))
        .order_by("started_at", "id")
        .limit(500)
    )
    for incident in held:
        target = await Target.get_or_none(id=incident.target_id)
        if target is None:
            continue
        if incident.hold_until is not None:
            graph = await dependencies.workspace_graph(target.workspace_id)
            root = await _upstream_root(graph, target.id)
            if root is not None and root.id != incident.id:
                await _attach(resources, target, incident, root)
                continue
            await _attach_held_dependents(resources, graph, target.id, incident)
        if await in_maintenance(incident.target_id, now):
            continue
        await notify_opened(resources, target, incident, f"incident:{incident.id}:down")
        count += 1
    return count


async def send_reminders(resources: Resources) -> int:
    """Re-notify open incidents every remindEveryMinutes of their policy, outside windows."""
    count = 0
    now = clock.now()
    open_incidents = await Incident.filter(resolved_at=None, notified_at__not_isnull=True).limit(
        1000
    )
    for incident in open_incidents:
        target = await Target.get_or_none(id=incident.target_id)
        if target is None:
            continue
        policy = await effective_policy(target)
        every = policy.get("remindEveryMinutes")
        last = incident.last_notified_at or incident.notified_at
        if not every or last is None or now - last < timedelta(minutes=every):
            continue
        if await in_maintenance(target.id, now):
            continue
        nth = incident.reminders_sent + 1
        claimed = await Incident.filter(id=incident.id, reminders_sent=nth - 1).update(
            reminders_sent=nth, last_notified_at=now
        )
        if claimed != 1:
            continue
        await raise_event(
            resources,
            target,
            EventKind.REMINDER,
            f"incident:{incident.id}:reminder:{nth}",
            incident=incident,
            at=now,
            status="DOWN",
            detail=await dependents_detail(incident) or None,
        )
        count += 1
    return count


async def check_certificates(resources: Resources) -> int:
    """A DEGRADED event when a certificate crosses one of certificateExpiryDays."""
    from api.targets.models import CheckResult

    now = clock.now()
    latest: dict[int, Any] = {}
    rows = (
        await CheckResult.filter(
            certificate_expires_at__not_isnull=True, checked_at__gte=now - timedelta(days=1)
        )
        .order_by("-checked_at")
        .limit(10_000)
        .values("target_id", "certificate_expires_at")
    )
    for row in rows:
        latest.setdefault(row["target_id"], row["certificate_expires_at"])
    count = 0
    for target in await Target.filter(id__in=list(latest), paused=False):
        policy = await effective_policy(target)
        thresholds = sorted(policy.get("certificateExpiryDays") or [])
        expires = latest[target.id]
        days_left = (expires - now).total_seconds() / 86400
        crossed = [d for d in thresholds if days_left <= d]
        if not crossed or await in_maintenance(target.id, now):
            continue
        threshold = crossed[0]
        left = max(int(days_left), 0)
        key = f"cert:{target.id}:{expires.date().isoformat()}:{threshold}"
        if await AlertEvent.filter(dedupe_key=key).exists():
            continue
        event = await raise_event(
            resources,
            target,
            EventKind.DEGRADED,
            key,
            at=now,
            status=target.status,
            cause=f"its TLS certificate expires in {left} days, on {expires:%Y-%m-%d}",
            detail={"certificate": True, "daysLeft": left, "threshold": threshold},
        )
        count += 1 if event else 0
    return count


async def requeue_stale(resources: Resources) -> int:
    """Re-enqueue deliveries left PENDING by a crash (job ids dedupe the live ones)."""
    from api.notifications.models import DeliveryStatus, Notification

    stale = await Notification.filter(
        status=DeliveryStatus.PENDING, created_at__lte=clock.now() - timedelta(minutes=2)
    ).limit(500)
    for notification in stale:
        await delivery.enqueue(resources, notification)
    return len(stale)
