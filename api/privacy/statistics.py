"""Anonymous usage statistics: aggregates with no identifiers.

Every bucket records how many distinct workspaces it covers only to decide whether to
publish it: a bucket covering fewer than `statistics_min_workspaces` (k) workspaces
is suppressed, and the workspace count itself is not stored.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import timedelta

from api.core import clock
from api.core.logging import get_logger
from api.privacy.models import UsageStatistic
from api.settings import Settings
from api.targets.models import CheckResult, CheckStatus, Target

log = get_logger(__name__)

UPTIME_BUCKETS = ((100.0, "100"), (99.9, "99.9-100"), (99.0, "99-99.9"), (95.0, "95-99"))


def _uptime_bucket(percent: float) -> str:
    for floor, label in UPTIME_BUCKETS:
        if percent >= floor:
            return label
    return "<95"


async def compute_statistics(settings: Settings) -> dict[str, int]:
    """Compute yesterday's 24 h aggregates and store them (replacing the day's rows)."""
    now = clock.now()
    since = now - timedelta(days=1)
    day = now.date().isoformat()
    k = settings.statistics_min_workspaces
    # metric -> bucket -> (value, workspaces covered)
    out: dict[str, dict[str, tuple[float, set[int]]]] = defaultdict(dict)

    kinds: dict[str, set[int]] = defaultdict(set)
    counts: dict[str, int] = defaultdict(int)
    for kind, ws in await Target.all().values_list("kind", "workspace_id"):
        kinds[str(kind)].add(ws)
        counts[str(kind)] += 1
    for kind, wss in kinds.items():
        out["targets_by_kind"][kind] = (float(counts[kind]), wss)

    rows = await (
        CheckResult.filter(checked_at__gte=since)
        .exclude(status=CheckStatus.INCONCLUSIVE)
        .values_list("region", "response_time_ms", "status", "target_id", "target__workspace_id")
    )
    by_region: dict[str, list[float]] = defaultdict(list)
    region_checks: dict[str, int] = defaultdict(int)
    region_ws: dict[str, set[int]] = defaultdict(set)
    per_target: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    target_ws: dict[int, int] = {}
    for region, ms, status, target_id, ws in rows:
        region_checks[region] += 1
        region_ws[region].add(ws)
        if ms is not None:
            by_region[region].append(float(ms))
        per_target[target_id][0] += 1
        per_target[target_id][1] += 0 if str(status) == CheckStatus.DOWN else 1
        target_ws[target_id] = ws
    for region, n in region_checks.items():
        out["checks_by_region"][region] = (float(n), region_ws[region])
        if by_region[region]:
            out["median_ms_by_region"][region] = (
                round(statistics.median(by_region[region]), 1),
                region_ws[region],
            )
    uptime: dict[str, list[int]] = defaultdict(list)
    for target_id, (total, up) in per_target.items():
        uptime[_uptime_bucket(100.0 * up / total)].append(target_id)
    for bucket, targets in uptime.items():
        out["uptime_distribution"][bucket] = (
            float(len(targets)),
            {target_ws[t] for t in targets},
        )

    kept = suppressed = 0
    await UsageStatistic.filter(day=day).delete()
    for metric, buckets in out.items():
        for bucket, (value, workspaces) in buckets.items():
            if len(workspaces) < k:
                suppressed += 1
                continue
            await UsageStatistic.create(day=day, metric=metric, bucket=bucket, value=value)
            kept += 1
    log.info("statistics_done", day=day, kept=kept, suppressed=suppressed)
    return {"kept": kept, "suppressed": suppressed}


async def latest_statistics() -> list[UsageStatistic]:
    last = await UsageStatistic.all().order_by("-day").first()
    if last is None:
        return []
    return await UsageStatistic.filter(day=last.day).order_by("metric", "bucket")
