"""Reading check results: scoping, the newest result per target, pages newest first."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from api.auth.principal import Principal
from api.core.errors import Invalid
from api.core.paging import backward, page_size
from api.core.values import aware, db_int
from api.targets.models import CheckResult

_COLUMNS = (
    "id, check_id, target_id, region, checked_at, status, response_time_ms, dns_ms, connect_ms, "
    "tls_ms, first_byte_ms, transfer_ms, http_status, error, certificate_expires_at, in_maintenance"
)


def visible_to(principal: Principal) -> QuerySet[CheckResult]:
    """Results of the targets of the principal's workspaces."""
    return CheckResult.filter(target__workspace_id__in=principal.workspace_ids)


async def latest_results(target_ids: Sequence[int]) -> list[CheckResult | None]:
    """The newest result of each target, in one query (an index seek per target)."""
    ids = [int(i) for i in target_ids]
    if not ids:
        return []
    in_list = ",".join(str(i) for i in ids)  # integers only: safe to inline
    rows: list[CheckResult] = await CheckResult.raw(
        f"SELECT {_COLUMNS} FROM check_results WHERE id IN ("  # noqa: S608 (integer ids only)
        "SELECT (SELECT r.id FROM check_results r WHERE r.target_id = t.id "
        "ORDER BY r.checked_at DESC, r.id DESC LIMIT 1) "
        f"FROM targets t WHERE t.id IN ({in_list}))"
    )
    by_target = {r.target_id: r for r in rows}
    return [by_target.get(i) for i in ids]


def encode_cursor(row: Any) -> str:
    raw = f"r:{row.checked_at.isoformat()}|{row.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str, field: str = "after") -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not raw.startswith("r:"):
            raise ValueError
        at, pk = raw[2:].rsplit("|", 1)
        when, key = datetime.fromisoformat(at), db_int(pk)
        if key is None or when.tzinfo is None:
            raise ValueError
        return when, key
    except (ValueError, UnicodeDecodeError):
        raise Invalid("Malformed cursor.", field=field) from None


@dataclass
class ResultPage:
    rows: list[CheckResult]
    has_next: bool
    total: int
    has_previous: bool = False


async def result_page(
    target_id: int,
    *,
    first: int | None,
    after: str | None,
    since: datetime | None = None,
    until: datetime | None = None,
    region: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> ResultPage:
    """Results of a target, newest first, keyset-paged in SQL on (checked_at, id); a
    backward page (last/before) holds the results just newer than `before`."""
    from_end = backward(first, after, last, before)
    size = page_size(last, field="last") if from_end else page_size(first)
    since, until = aware(since, "since"), aware(until, "until")
    query = CheckResult.filter(target_id=target_id)
    if since is not None:
        query = query.filter(checked_at__gte=since)
    if until is not None:
        query = query.filter(checked_at__lt=until)
    if region:
        query = query.filter(region=region)
    total = await query.count()
    if from_end:
        if before is not None:
            at, pk = decode_cursor(before, "before")
            query = query.filter(Q(checked_at__gt=at) | Q(checked_at=at, id__gt=pk))
        rows = list(await query.order_by("checked_at", "id").limit(size + 1))
        page = rows[:size]
        page.reverse()
        return ResultPage(
            rows=page, has_next=before is not None, total=total, has_previous=len(rows) > size
        )
    if after is not None:
        at, pk = decode_cursor(after)
        query = query.filter(Q(checked_at__lt=at) | Q(checked_at=at, id__lt=pk))
    rows = list(await query.order_by("-checked_at", "-id").limit(size + 1))
    return ResultPage(
        rows=rows[:size], has_next=len(rows) > size, total=total, has_previous=after is not None
    )
