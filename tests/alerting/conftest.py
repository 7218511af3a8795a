from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.alerting.receiver import Receiver
from tests.conftest import free_port


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver(free_port())
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def alert_overrides() -> dict[str, Any]:
    """Override in a module for extra settings."""
    return {}


@pytest.fixture
def settings_overrides(receiver: Receiver, alert_overrides: dict[str, Any]) -> dict[str, Any]:
    base = receiver.url
    return {
        "telegram_api_url": f"{base}/telegram",
        "pagerduty_api_url": f"{base}/pagerduty",
        "opsgenie_api_url": f"{base}/opsgenie",
        "twilio_api_url": f"{base}/twilio",
        "pushover_api_url": f"{base}/pushover",
        "alert_retry_base_seconds": 0.05,
        "alert_retry_max_seconds": 2,
        "alert_http_timeout_seconds": 2,
        **alert_overrides,
    }
