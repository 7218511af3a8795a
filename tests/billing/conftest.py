"""Billing tests run against a local fake Stripe (the SDK pointed at it)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.billing import fake_paypal
from tests.billing.fake_paypal import FakePayPal
from tests.billing.fake_stripe import PRICES, SECRET_KEY, WEBHOOK_SECRET, FakeStripe
from tests.conftest import free_port


@pytest.fixture
def stripe_port() -> int:
    return free_port()


@pytest.fixture
def paypal_port() -> int:
    return free_port()


@pytest.fixture
def settings_overrides(stripe_port: int, paypal_port: int) -> dict[str, Any]:
    return {
        "paypal_client_id": fake_paypal.CLIENT_ID,
        "paypal_client_secret": fake_paypal.CLIENT_SECRET,
        "paypal_webhook_id": fake_paypal.WEBHOOK_ID,
        "paypal_api_base": f"http://127.0.0.1:{paypal_port}",
        "paypal_plans": json.dumps(fake_paypal.PLANS),
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


@pytest_asyncio.fixture
async def fake_paypal_server(
    paypal_port: int, client: httpx.AsyncClient
) -> AsyncIterator[FakePayPal]:
    fake = FakePayPal(paypal_port, webhook=client)
    await fake.start()
    yield fake
    await fake.stop()
