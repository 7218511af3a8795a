"""Durations in alert texts are rounded to the nearest unit shown, never down: an outage
of 119.9 s reads "2 min", not "1 min"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from api.notifications.message import build_message, duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (12.4, "12 s"),
        (12.6, "13 s"),
        (59.4, "59 s"),
        (59.6, "1 min"),
        (89.9, "1 min"),
        (90, "2 min"),
        (119.9, "2 min"),
        (150, "3 min"),
        (3_569, "59 min"),
        (3_599, "1 h"),
        (90 * 60, "1 h 30 min"),
        (90 * 60 + 29, "1 h 30 min"),
        (90 * 60 + 31, "1 h 31 min"),
        (86_400 - 10, "1 d"),
        (86_400 + 3_600 + 60, "1 d 1 h 1 min"),
        (-3, "0 s"),
    ],
)
def test_duration_rounds_to_the_nearest_unit(seconds: float, text: str) -> None:
    assert duration(timedelta(seconds=seconds)) == text


def test_the_up_notice_of_a_two_minute_outage_says_two_minutes(settings) -> None:
    started = datetime(2026, 12, 7, 15, 44, 44, 100_000, tzinfo=UTC)
    up = SimpleNamespace(
        id=2,
        kind="UP",
        regions=[],
        cause=None,
        at=started + timedelta(seconds=119.9),
        detail=None,
        status=None,
    )
    incident = SimpleNamespace(id=3, started_at=started, regions=["eu-west"], cause="TIMEOUT")
    target = SimpleNamespace(id=7, name="Shop front")
    message = build_message(settings, event=up, target=target, incident=incident)
    assert "after 2 min down" in message.text
