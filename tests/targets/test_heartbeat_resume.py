"""Lateness of a heartbeat counts from its stored deadline (api.targets.pings), which a
resume moves: a job paused for days is not DOWN the moment it is resumed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from api.core import clock
from api.targets.models import Target
from api.targets.pings import mark_overdue
from tests.factories.accounts import create_account
from tests.targets.helpers import CREATE, PAUSE, RESUME, http_input


async def test_a_resumed_heartbeat_gets_a_full_period(
    gql: Any, settings: Any, client: Any, resources: Any
) -> None:
    owner = await create_account(settings)
    data = http_input(
        owner.workspace_gid, kind="HEARTBEAT", config={"graceSeconds": 60}, intervalSeconds=3600
    )
    created = (await gql(CREATE, {"input": data}, token=owner.token))["data"]["createTarget"]
    target_id, url = created["target"]["id"], created["target"]["heartbeatUrl"]
    await client.get(urlsplit(url).path)
    await gql(PAUSE, {"id": target_id}, token=owner.token)

    # Given a pause of two days, when the job is resumed...
    clock.advance(timedelta(days=2))
    await gql(RESUME, {"id": target_id}, token=owner.token)

    # ...then it has one interval plus grace from the resume, not from its last ping.
    assert await mark_overdue(resources) == 0
    clock.advance(timedelta(seconds=3600 + 60 - 1))
    assert await mark_overdue(resources) == 0
    clock.advance(timedelta(seconds=2))
    assert await mark_overdue(resources) == 1
    assert (await Target.get()).status == "DOWN"
