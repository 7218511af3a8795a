"""Billing tests run against a local fake Stripe (the SDK pointed at it)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.billing.fake_stripe import PRICES, SECRET_KEY, WEBHOOK_SECRET, FakeStripe
from tests.conftest import free_port


@pytest.fixture
def stripe_port() -> int:
    return free_port()


@pytest.fixture
def settings_overrides(stripe_port: int) -> dict[str, Any]:
    return {
        "stripe_secret_key": SECRET_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_api_base": f"http://127.0.0.1:{stripe_port}",
        "stripe_prices": json.dumps(PRICES),
        "min_interval_seconds": 30,
        "regions": ["eu-west", "us-east", "ap-south", "us-west"],
    }


@pytest_asyncio.fixture
async def fake_stripe(stripe_port: int, client: httpx.AsyncClient) -> AsyncIterator[FakeStripe]:
    fake = FakeStripe(stripe_port, webhook=client)
    await fake.start()
    yield fake
    await fake.stop()
