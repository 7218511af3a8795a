"""The figures a workspace's Prometheus scrape shows, read in four queries whatever the
number of targets (targets, region states, latest result per target and region, rollups).

No strawberry, no prometheus_client here: `exposition.py` turns these rows into text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections

from api.auth.principal import Principal
from api.core import clock
from api.core.errors import NotFound
from api.results.service import SEARCH_WINDOWS
from api.results.sql import as_datetime, fetch
from api.targets import service as targets
from api.targets.models import CheckStatus, TargetRegionState

SCOPE = "metrics:read"
WINDOWS: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
PHASES = ("dns", "connect", "tls", "first_byte", "transfer", "total")
_PHASE_COLUMNS = {
    "dns": "dns_ms",
    "connect": "connect_ms",
    "tls": "tls_ms",
    "first_byte": "first_byte_ms",
    "transfer": "transfer_ms",
    "total": "response_time_ms",
}


@dataclass
class RegionFigures:
    up: int | None = None  # 1 UP or DEGRADED, 0 DOWN, None never checked or not judging
    phases_seconds: dict[str, float] = field(default_factory=dict)
    cert_expiry: datetime | None = None
    uptime: dict[str, float] = field(default_factory=dict)  # window -> ratio 0..1


@dataclass
class TargetFigures:
    id: int
    name: str
    kind: str
    status: str
    regions: dict[str, RegionFigures] = field(default_factory=dict)


def _in_list(ids: list[int]) -> str:
    return ",".join("?" for _ in ids)


async def workspace_figures(principal: Principal, workspace_id: int) -> list[TargetFigures]:
    """Figures of the workspace's targets; NotFound unless the principal is a member."""
    if not principal.can_read(workspace_id):
        raise NotFound("No workspace with this id.", field="workspace")
    rows = (
        await targets.visible_to(principal)
        .filter(workspace_id=workspace_id)
        .order_by("id")
        .values("id", "name", "kind", "status")
    )
    out = {
        int(r["id"]): TargetFigures(
            id=int(r["id"]), name=r["name"], kind=str(r["kind"]), status=str(r["status"])
        )
        for r in rows
    }
    if not out:
        return []
    ids = list(out)

    def region(tid: int, name: str) -> RegionFigures:
        return out[tid].regions.setdefault(name, RegionFigures())

    expected: dict[int, set[str]] = {}
    for state in await TargetRegionState.filter(target_id__in=ids).values(
        "target_id", "region", "status", "inconclusive"
    ):
        expected.setdefault(int(state["target_id"]), set()).add(state["region"])
        down = state["status"] == CheckStatus.DOWN
        # A region whose probe could not judge lately has no honest "up" to give: its
        # sample is left out (a DOWN it saw stands, as in the target's state).
        if state["status"] is not None and (down or not state["inconclusive"]):
            region(int(state["target_id"]), state["region"]).up = 0 if down else 1

    marks = _in_list(ids)
    for row in await _latest_per_region(ids, expected):
        figures = region(int(row["target_id"]), row["region"])
        for phase, column in _PHASE_COLUMNS.items():
            if row[column] is not None:
                figures.phases_seconds[phase] = float(row[column]) / 1000.0
        if row["certificate_expires_at"] is not None:
            figures.cert_expiry = as_datetime(row["certificate_expires_at"])

    now = clock.now()
    sums: list[str] = []
    params: list[Any] = []
    for name, span in WINDOWS.items():
        sums.append(
            f"SUM(CASE WHEN hour >= ? THEN checks ELSE 0 END) AS checks_{name}, "
            f"SUM(CASE WHEN hour >= ? THEN failures ELSE 0 END) AS failures_{name}"
        )
        params += [now - span, now - span]
    rollups = await fetch(
        f"SELECT target_id, region, {', '.join(sums)} FROM result_rollups "  # noqa: S608
        f"WHERE span = 'h' AND hour >= ? AND target_id IN ({marks}) GROUP BY target_id, region",
        [*params, now - max(WINDOWS.values()), *ids],
    )
    for row in rollups:
        figures = region(int(row["target_id"]), row["region"])
        for name in WINDOWS:
            checks = int(row[f"checks_{name}"] or 0)
            if checks:
                figures.uptime[name] = 1.0 - int(row[f"failures_{name}"] or 0) / checks
    return list(out.values())


async def _latest_per_region(ids: list[int], expected: dict[int, set[str]]) -> list[dict[str, Any]]:
    """The newest result of each (target, region), searched in the recent windows first
    (partition pruning on PostgreSQL); a target is searched wider while it has no result
    yet or a region of its state has none."""
    columns = ", ".join(_PHASE_COLUMNS.values())
    found: dict[tuple[int, str], dict[str, Any]] = {}
    pending = list(ids)
    now = clock.now()
    for window in SEARCH_WINDOWS:
        if not pending:
            break
        since = None if window is None else now - window
        grouped = pending
        rows: list[dict[str, Any]] = []
        if connections.get("default").capabilities.dialect == "postgres":
            # One index seek (target_id, region, checked_at) per region of the state, in
            # the pruned partitions, instead of grouping the window's rows.
            pairs = [(t, r) for t in pending for r in sorted(expected.get(t, ()))]
            grouped = [t for t in pending if not expected.get(t)]
            if pairs:
                rows += await _newest_of_pairs(pairs, since, columns)
        if grouped:
            marks = _in_list(grouped)
            bound, params = ("", []) if since is None else ("checked_at >= ? AND ", [since])
            rows += await fetch(
                f"SELECT target_id, region, certificate_expires_at, {columns} FROM check_results "  # noqa: S608 (constants and ? params only)
                f"WHERE {bound}id IN (SELECT MAX(id) FROM check_results "
                f"WHERE {bound}target_id IN ({marks}) GROUP BY target_id, region)",
                [*params, *params, *grouped],
            )
        for row in rows:
            found[(int(row["target_id"]), str(row["region"]))] = row
        seen: dict[int, set[str]] = {}
        for tid, name in found:
            seen.setdefault(tid, set()).add(name)
        pending = [t for t in pending if t not in seen or not expected.get(t, set()) <= seen[t]]
    return list(found.values())


async def _newest_of_pairs(
    pairs: list[tuple[int, str]], since: datetime | None, columns: str
) -> list[dict[str, Any]]:
    values = ", ".join("(?::int, ?::text)" for _ in pairs)
    bound = "" if since is None else "AND c.checked_at >= ? "
    return await fetch(
        f"SELECT x.* FROM (VALUES {values}) p(t, r) CROSS JOIN LATERAL ("  # noqa: S608 (constants and ? params only)
        f"SELECT c.target_id, c.region, c.certificate_expires_at, {columns} "
        f"FROM check_results c WHERE c.target_id = p.t AND c.region = p.r {bound}"
        "ORDER BY c.checked_at DESC, c.id DESC LIMIT 1) x",
        [*(v for pair in pairs for v in pair), *([since] if since is not None else [])],
    )
