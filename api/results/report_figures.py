"""The figures of an SLA report, and how downtime is counted from hourly failure shares.

Time-based, from rollups: in an hour where a region ran `checks` checks of which
`failures` failed, that region is counted down for failures/checks of the hour's
monitored time (the checks are evenly spaced). The target as a whole (the quorum view)
is down, in that hour, for the share of the k-th most failing of its regions, k being the
number of regions that must agree before the state machine calls it DOWN
(api/targets/state.confirm_regions): exact when the regions see the same outage, which is
what a quorum is for. Hours without a check are not monitored time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from api.results import buckets


@dataclass
class Tally:
    monitored_s: float = 0.0
    down_s: float = 0.0
    histogram: dict[int, int] = field(default_factory=dict)
    incidents: int = 0
    repaired: int = 0
    repair_s: float = 0.0

    def add(self, other: Tally) -> None:
        self.monitored_s += other.monitored_s
        self.down_s += other.down_s
        buckets.merge(self.histogram, other.histogram)
        self.incidents += other.incidents
        self.repaired += other.repaired
        self.repair_s += other.repair_s


@dataclass
class Figures:
    monitored_minutes: float
    uptime_percent: float | None
    downtime_minutes: float
    incidents: int | None
    mttr_minutes: float | None
    mtbf_minutes: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    error_budget_minutes: float
    error_budget_remaining_minutes: float
    error_budget_remaining_percent: float | None


def figures(tally: Tally, objective: float, *, with_incidents: bool) -> Figures:
    monitored, down = tally.monitored_s, min(tally.down_s, tally.monitored_s)
    budget = monitored * (100.0 - objective) / 100.0
    p50, p95, p99 = buckets.percentiles(tally.histogram, (0.5, 0.95, 0.99))
    incidents = tally.incidents if with_incidents else None
    return Figures(
        monitored_minutes=round(monitored / 60, 2),
        uptime_percent=round(100.0 * (monitored - down) / monitored, 4) if monitored else None,
        downtime_minutes=round(down / 60, 2),
        incidents=incidents,
        mttr_minutes=round(tally.repair_s / tally.repaired / 60, 2)
        if with_incidents and tally.repaired
        else None,
        mtbf_minutes=round((monitored - down) / tally.incidents / 60, 2)
        if with_incidents and tally.incidents
        else None,
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p99,
        error_budget_minutes=round(budget / 60, 2),
        error_budget_remaining_minutes=round((budget - down) / 60, 2),
        error_budget_remaining_percent=round(100.0 * (budget - down) / budget, 2)
        if budget
        else None,
    )


def quorum_share(shares: list[float], need: int) -> float:
    """The share of time at least `need` regions were down, from each region's share."""
    if len(shares) < need:
        return 0.0
    return sorted(shares, reverse=True)[need - 1]
