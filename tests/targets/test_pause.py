from __future__ import annotations

from api.targets.models import StateTransition, Target
from api.targets.schedule import DUE_KEY
from tests.factories.accounts import create_account
from tests.targets.helpers import CREATE, PAUSE, RESUME, http_input


async def test_pause_unschedules_and_resume_reschedules(gql, settings, resources) -> None:
    owner = await create_account(settings)
    created = await gql(CREATE, {"input": http_input(owner.workspace_gid)}, token=owner.token)
    target_id = created["data"]["createTarget"]["target"]["id"]
    row = await Target.get()
    assert await resources.redis.zscore(DUE_KEY, str(row.id)) is not None

    paused = await gql(PAUSE, {"id": target_id}, token=owner.token)
    assert paused["data"]["pauseTarget"] == {
        "target": {"id": target_id, "status": "PAUSED"},
        "errors": [],
    }
    assert await resources.redis.zscore(DUE_KEY, str(row.id)) is None
    row = await Target.get()
    assert row.paused and row.status == "PAUSED"
    # Pausing twice is harmless.
    again = await gql(PAUSE, {"id": target_id}, token=owner.token)
    assert again["data"]["pauseTarget"]["target"]["status"] == "PAUSED"

    resumed = await gql(RESUME, {"id": target_id}, token=owner.token)
    assert resumed["data"]["resumeTarget"]["target"]["status"] == "PENDING"
    assert await resources.redis.zscore(DUE_KEY, str(row.id)) is not None
    row = await Target.get()
    assert not row.paused

    transitions = await StateTransition.all().order_by("id").values_list("from_status", "to_status")
    assert [(str(a), str(b)) for a, b in transitions] == [
        ("PENDING", "PAUSED"),
        ("PAUSED", "PENDING"),
    ]


async def test_updating_a_paused_target_keeps_it_unscheduled(gql, settings, resources) -> None:
    owner = await create_account(settings)
    created = await gql(CREATE, {"input": http_input(owner.workspace_gid)}, token=owner.token)
    target_id = created["data"]["createTarget"]["target"]["id"]
    await gql(PAUSE, {"id": target_id}, token=owner.token)
    from tests.targets.helpers import UPDATE

    await gql(UPDATE, {"id": target_id, "input": {"name": "renamed"}}, token=owner.token)
    assert await resources.redis.zcard(DUE_KEY) == 0
