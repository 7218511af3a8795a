"""GraphQL types of check results and statistics."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from api.graphql.context import Info
from api.graphql.nodes import resolve_scoped
from api.graphql.pagination import Connection
from api.graphql.permissions import requires
from api.results import service
from api.results.stats import Figures, Stats
from api.targets.models import CheckStatus

if TYPE_CHECKING:
    from api.targets.types import Target


def _when(value: Any) -> Any:
    """Datetimes pass through; ISO strings (from event payloads) are parsed."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


# strawberry.enum marks the model enum itself as the GraphQL enum (one class, one set of values).
strawberry.enum(CheckStatus, description="The verdict of one check.")


@strawberry.type(description="How long each phase of a check took, in milliseconds.")
class Timings:
    dns_ms: float | None = strawberry.field(description="Name resolution.")
    connect_ms: float | None = strawberry.field(description="TCP connection.")
    tls_ms: float | None = strawberry.field(description="TLS handshake.")
    first_byte_ms: float | None = strawberry.field(description="Request sent to first byte.")
    transfer_ms: float | None = strawberry.field(description="First byte to last byte.")
    total_ms: float = strawberry.field(description="The whole check.")


@strawberry.type(description="One check of a target from one region.")
class CheckResult(relay.Node):
    pk: relay.NodeID[int] = strawberry.field(description="Internal key.")
    region: str = strawberry.field(description="The probe region (or heartbeat).")
    checked_at: datetime = strawberry.field(description="When the check ran.")
    status: CheckStatus = strawberry.field(description="The verdict.")
    response_time_ms: float | None = strawberry.field(description="Total time, in ms.")
    timings: Timings | None = strawberry.field(description="Phase timings, when measured.")
    http_status: int | None = strawberry.field(description="HTTP status code, for HTTP checks.")
    error: str | None = strawberry.field(description="Why the check failed, if it did.")
    certificate_expires_at: datetime | None = strawberry.field(
        description="Expiry of the server certificate, when seen."
    )
    target_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: Any) -> CheckResult:
        """From a CheckResult row or any object with the same attribute names."""
        total = getattr(row, "response_time_ms", None)
        timings = (
            Timings(
                dns_ms=getattr(row, "dns_ms", None),
                connect_ms=getattr(row, "connect_ms", None),
                tls_ms=getattr(row, "tls_ms", None),
                first_byte_ms=getattr(row, "first_byte_ms", None),
                transfer_ms=getattr(row, "transfer_ms", None),
                total_ms=total,
            )
            if total is not None
            else None
        )
        status = getattr(row, "status", "DOWN")
        return cls(
            pk=int(row.id),
            region=row.region,
            checked_at=_when(row.checked_at),
            status=CheckStatus(getattr(status, "value", status)),
            response_time_ms=total,
            timings=timings,
            http_status=getattr(row, "http_status", None),
            error=getattr(row, "error", None),
            certificate_expires_at=_when(getattr(row, "certificate_expires_at", None)),
            target_id=int(row.target_id),
        )

    @strawberry.field(
        description="The checked target (needs the targets:read scope).",
        permission_classes=[requires("targets:read")],
    )
    async def target(
        self, info: Info
    ) -> Annotated[Target, strawberry.lazy("api.targets.types")] | None:
        from api.targets.types import load_target

        return await load_target(info, self.target_id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await resolve_scoped(
            info, node_ids, scope="results:read", query=service.visible_to, to_node=cls.from_model
        )


@strawberry.type(name="CheckResultConnection", description="A page of check results.")
class CheckResultConnection(Connection[CheckResult]):
    pass


@strawberry.type(description="Statistics of a target seen from one region.")
class RegionStats:
    region: str = strawberry.field(description="Region code.")
    uptime_percent: float = strawberry.field(description="Share of checks not DOWN, in %.")
    checks: int = strawberry.field(description="Checks in the window.")
    failures: int = strawberry.field(description="Checks that found the target DOWN.")
    avg_ms: float | None = strawberry.field(description="Mean response time.")
    p50_ms: float | None = strawberry.field(description="Median response time.")
    p95_ms: float | None = strawberry.field(description="95th percentile response time.")
    p99_ms: float | None = strawberry.field(description="99th percentile response time.")


@strawberry.type(description="Statistics of a target over a window (maintenance excluded).")
class TargetStats:
    uptime_percent: float = strawberry.field(description="Share of checks not DOWN, in %.")
    checks: int = strawberry.field(description="Checks in the window.")
    failures: int = strawberry.field(description="Checks that found the target DOWN.")
    avg_ms: float | None = strawberry.field(description="Mean response time.")
    p50_ms: float | None = strawberry.field(description="Median response time.")
    p95_ms: float | None = strawberry.field(description="95th percentile response time.")
    p99_ms: float | None = strawberry.field(description="99th percentile response time.")
    by_region: list[RegionStats] = strawberry.field(description="The same, per region.")

    @classmethod
    def from_stats(cls, stats: Stats) -> TargetStats:
        def parts(f: Figures) -> dict[str, Any]:
            p50, p95, p99 = f.percentiles()
            return {
                "uptime_percent": f.uptime_percent,
                "checks": f.checks,
                "failures": f.failures,
                "avg_ms": f.avg_ms,
                "p50_ms": p50,
                "p95_ms": p95,
                "p99_ms": p99,
            }

        return cls(
            **parts(stats.overall),
            by_region=[RegionStats(region=code, **parts(f)) for code, f in stats.by_region.items()],
        )


RESULTS_READ = requires("results:read")
