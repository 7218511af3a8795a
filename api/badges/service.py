"""Badge values: issue and rotate a target's badge token, and compute what a badge says.

A badge never reads the results table: the status comes from the target row, uptime and
response time from the rollups, and each computed value is cached in Redis for
`badge_cache_seconds`, so a popular README costs one Redis GET per view.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from arq.connections import ArqRedis
from tortoise.transactions import in_transaction

from api.auth.principal import Principal
from api.badges.models import BadgeToken
from api.core import clock
from api.core.errors import Forbidden, Invalid, NotFound
from api.core.tokens import BADGE_PREFIX, hash_token, new_token
from api.events import changes_key
from api.results.rollups import floor_hour
from api.results.sql import fetch
from api.settings import Settings
from api.targets import service as targets
from api.targets.models import Target, TargetStatus

KINDS = ("status", "uptime", "response")
PERIODS: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
}
DEFAULT_PERIOD = "24h"
GREEN, YELLOW, ORANGE, RED, GREY = "brightgreen", "yellow", "orange", "red", "lightgrey"
_STATUS = {
    TargetStatus.UP: ("up", GREEN),
    TargetStatus.DEGRADED: ("degraded", YELLOW),
    TargetStatus.DOWN: ("down", RED),
    TargetStatus.PAUSED: ("paused", GREY),
    TargetStatus.PENDING: ("pending", GREY),
}


@dataclass(frozen=True)
class Badge:
    label: str
    message: str
    color: str  # a shields.io color name (svg.py maps it to a hex value)
    found: bool = True


def label_of(kind: str, period: str) -> str:
    return "status" if kind == "status" else f"{kind} {period}"


def unknown(kind: str, period: str) -> Badge:
    """What an unknown or rotated token shows: the same shape as a real badge."""
    return Badge(label_of(kind, period), "unknown", GREY, found=False)


def parse_period(value: str | None) -> str:
    period = value or DEFAULT_PERIOD
    if period not in PERIODS:
        raise Invalid(
            f"period must be one of {', '.join(PERIODS)}, not {period!r}.", field="period"
        )
    return period


# --- tokens -------------------------------------------------------------------------------


async def rotate_token(redis: ArqRedis, principal: Principal, target_id: int) -> str:
    """A new badge token for the target (the old one stops working); returned once."""
    target = await targets.get_visible(principal, target_id)
    if target is None:
        raise NotFound("No target with this id.", field="targetId")
    if not principal.can_write(target.workspace_id):
        raise Forbidden("Your role in this workspace cannot change targets.", role="VIEWER")
    token = new_token(BADGE_PREFIX)
    async with in_transaction():
        old = await BadgeToken.select_for_update().get_or_none(target_id=target.id)
        if old is None:
            await BadgeToken.create(target_id=target.id, token_hash=hash_token(token))
        else:
            await BadgeToken.filter(id=old.id).update(token_hash=hash_token(token))
    if old is not None:
        await redis.delete(*_cache_keys(old.token_hash))
    return token


def badge_url(settings: Settings, token: str, kind: str) -> str:
    if kind == "shields":
        return f"{settings.public_url}/badge/{token}/shields.json"
    return f"{settings.public_url}/badge/{token}/{kind}.svg"


# --- values -------------------------------------------------------------------------------


def _cache_key(token_hash: str, kind: str, period: str) -> str:
    return f"hitflow:badge:{token_hash}:{kind}:{period}"


def _cache_keys(token_hash: str) -> list[str]:
    return [_cache_key(token_hash, k, p) for k in KINDS for p in PERIODS]


async def badge_for(
    redis: ArqRedis, settings: Settings, token: str, kind: str, period: str
) -> Badge:
    """What the badge of `token` says (cached); `unknown` for a token that is not one."""
    if not token.startswith(BADGE_PREFIX) or len(token) > 100:
        return unknown(kind, period)
    token_hash = hash_token(token)
    key = _cache_key(token_hash, kind, period)
    cached = await redis.get(key)
    if cached is not None:
        entry = json.loads(cached)
        workspace_id, tag = entry.pop("workspace", None), entry.pop("tag", None)
        # A status badge is served only while its workspace's change counter (bumped by
        # every target_status / incident event, api/events.py) is the one it was made at:
        # a target going DOWN turns its badge red at once, not a cache period later.
        if workspace_id is None or await _change_tag(redis, workspace_id) == tag:
            return Badge(**entry)
    found = await BadgeToken.filter(token_hash=token_hash).values(
        "target_id", "target__workspace_id"
    )
    if not found:
        return unknown(kind, period)  # not cached: a flood of made-up tokens fills no memory
    entry = {}
    if kind == "status":
        workspace_id = int(found[0]["target__workspace_id"])
        entry = {"workspace": workspace_id, "tag": await _change_tag(redis, workspace_id)}
    badge = await _compute(int(found[0]["target_id"]), kind, period)
    entry |= asdict(badge)
    await redis.set(key, json.dumps(entry), ex=settings.badge_cache_seconds)
    return badge


async def _change_tag(redis: ArqRedis, workspace_id: int) -> str | None:
    value = await redis.get(changes_key(workspace_id))
    return value.decode() if isinstance(value, bytes) else value


async def _compute(target_id: int, kind: str, period: str) -> Badge:
    label = label_of(kind, period)
    rows = await Target.filter(id=target_id).values("status")
    if not rows:
        return unknown(kind, period)
    if kind == "status":
        message, color = _STATUS.get(TargetStatus(rows[0]["status"]), ("unknown", GREY))
        return Badge(label, message, color)
    figures = await _rollup_figures(target_id, PERIODS[period])
    if kind == "uptime":
        if not figures["checks"]:
            return Badge(label, "no data", GREY)
        ratio = 1.0 - figures["failures"] / figures["checks"]
        return Badge(label, _percent(ratio), _uptime_color(ratio))
    if not figures["timed"]:
        return Badge(label, "no data", GREY)
    avg = figures["sum_ms"] / figures["timed"]
    return Badge(label, f"{avg:.0f} ms", _response_color(avg))


async def _rollup_figures(target_id: int, span: timedelta) -> dict[str, Any]:
    """Checks, failures and timings over `span`: hourly rollups up to 7 days, daily beyond
    (whole days, so a 90-day badge reads 90 rows per region, not 2,160)."""
    now = clock.now()
    if span <= timedelta(days=7):
        kind, since = "h", floor_hour(now - span)
    else:
        kind, since = "d", floor_hour(now - span).replace(hour=0)
    rows = await fetch(
        "SELECT SUM(checks) AS checks, SUM(failures) AS failures, SUM(sum_ms) AS sum_ms, "
        "SUM(timed_checks) AS timed FROM result_rollups "
        "WHERE target_id = ? AND span = ? AND hour >= ?",
        [target_id, kind, since],
    )
    row = rows[0] if rows else {}
    return {
        "checks": int(row.get("checks") or 0),
        "failures": int(row.get("failures") or 0),
        "sum_ms": float(row.get("sum_ms") or 0.0),
        "timed": int(row.get("timed") or 0),
    }


def _percent(ratio: float) -> str:
    # Never round a failure up to a perfect 100%.
    if ratio < 1.0:
        return f"{min(ratio * 100, 99.99):.2f}%"
    return "100%"


def _uptime_color(ratio: float) -> str:
    if ratio >= 0.999:
        return GREEN
    if ratio >= 0.99:
        return YELLOW
    if ratio >= 0.95:
        return ORANGE
    return RED


def _response_color(ms: float) -> str:
    if ms < 300:
        return GREEN
    if ms < 1000:
        return YELLOW
    if ms < 3000:
        return ORANGE
    return RED
