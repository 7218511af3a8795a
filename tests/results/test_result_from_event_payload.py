"""The GraphQL CheckResult is built from a live event's payload (plain values, no row)."""

from __future__ import annotations

from types import SimpleNamespace

from api.results.types import CheckResult


def test_check_result_from_an_event_payload() -> None:
    payload = SimpleNamespace(
        id=7,
        target_id=3,
        region="eu-west",
        checked_at="2026-03-01T12:00:00+00:00",
        status="DOWN",
        response_time_ms=None,
        http_status=None,
        error="connection refused",
    )
    result = CheckResult.from_model(payload)
    assert (result.pk, result.target_id, result.status.value, result.timings) == (
        7,
        3,
        "DOWN",
        None,
    )
    assert result.checked_at.year == 2026
