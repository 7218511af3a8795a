from __future__ import annotations

from typing import Any

import pytest

from tests.alerting.conftest import receiver  # noqa: F401  (the local webhook receiver)


@pytest.fixture
def settings_overrides(receiver: Any) -> dict[str, Any]:  # noqa: F811
    return {
        "alert_retry_base_seconds": 0.05,
        "alert_retry_max_seconds": 2,
        "alert_http_timeout_seconds": 2,
        # Short in real time (deferred jobs run in burst workers); tests move the clock.
        "dependency_settle_seconds": 1.0,
    }
