"""partners and privacyPolicy are public and come from settings."""

from __future__ import annotations

import json
from typing import Any

import pytest

QUERY = "{ partners { name purpose location } privacyPolicy { version effectiveAt url } }"


async def test_partners_and_policy_are_public(gql) -> None:
    result = await gql(QUERY)
    assert "errors" not in result
    names = [p["name"] for p in result["data"]["partners"]]
    assert "Stripe" in names and "PayPal" in names
    # one probe host per configured region (the test settings serve three)
    assert sum(n.startswith("Probe host") for n in names) == 3
    policy = result["data"]["privacyPolicy"]
    assert policy["version"] and policy["effectiveAt"].startswith("2026-01-01")


class TestOverride:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {
            "partners_json": json.dumps(
                [{"name": "OVH", "purpose": "Hosting", "location": "France"}]
            ),
            "privacy_policy_version": "3.1",
            "privacy_policy_url": "https://hitflow.example/privacy",
        }

    async def test_settings_override_the_lists(self, gql) -> None:
        result = await gql(QUERY)
        assert result["data"]["partners"] == [
            {"name": "OVH", "purpose": "Hosting", "location": "France"}
        ]
        assert result["data"]["privacyPolicy"]["version"] == "3.1"
        assert result["data"]["privacyPolicy"]["url"] == "https://hitflow.example/privacy"
