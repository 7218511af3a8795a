"""A target created without a timeout gets one that fits its interval."""

from __future__ import annotations

import pytest

from tests.factories.accounts import create_account
from tests.targets.helpers import CREATE, http_input


@pytest.mark.parametrize(("interval", "timeout"), [(5, 4.0), (12, 9.6), (60, 10.0), (3600, 10.0)])
async def test_timeout_defaults_to_ten_seconds_or_most_of_a_short_interval(
    gql, settings, interval: int, timeout: float
) -> None:
    owner = await create_account(settings)
    values = http_input(owner.workspace_gid, intervalSeconds=interval)
    del values["timeoutSeconds"]
    result = await gql(CREATE, {"input": values}, token=owner.token)
    payload = result["data"]["createTarget"]
    assert payload["errors"] == []
    assert payload["target"]["timeoutSeconds"] == timeout


async def test_an_explicit_timeout_longer_than_the_interval_is_still_refused(gql, settings) -> None:
    owner = await create_account(settings)
    values = http_input(owner.workspace_gid, intervalSeconds=5, timeoutSeconds=5)
    result = await gql(CREATE, {"input": values}, token=owner.token)
    assert result["data"]["createTarget"]["errors"][0]["field"] == "timeoutSeconds"
