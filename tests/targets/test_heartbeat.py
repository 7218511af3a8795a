"""Inbound heartbeats: pings by URL (no auth), failure pings, lateness."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from api.core import clock
from api.targets.models import CheckResult, StateTransition, Target
from api.targets.pings import mark_overdue, overdue_heartbeats
from tests.factories.accounts import create_account
from tests.targets.helpers import CREATE, GET, PAUSE, http_input


async def _heartbeat(gql, settings, grace: int = 30) -> tuple[str, str, object]:
    owner = await create_account(settings)
    data = http_input(
        owner.workspace_gid,
        kind="HEARTBEAT",
        name="nightly backup",
        config={"graceSeconds": grace},
        intervalSeconds=3600,
    )
    result = await gql(CREATE, {"input": data}, token=owner.token)
    target = result["data"]["createTarget"]["target"]
    assert result["data"]["createTarget"]["errors"] == []
    return target["id"], target["heartbeatUrl"], owner


async def test_heartbeat_url_is_shown_and_stable(gql, settings) -> None:
    target_id, url, owner = await _heartbeat(gql, settings)
    assert url.startswith("http://testserver/heartbeat/hf_hb_")
    read = await gql(GET, {"id": target_id}, token=owner.token)
    assert read["data"]["target"]["heartbeatUrl"] == url
    assert read["data"]["target"]["regions"] == []
    row = await Target.get()
    token = urlsplit(url).path.rsplit("/", 1)[1]
    assert token not in (row.heartbeat_token_hash or "")
    assert token not in (row.heartbeat_token_encrypted or "")


async def test_get_post_head_pings_record_up(gql, settings, client) -> None:
    _, url, _ = await _heartbeat(gql, settings)
    path = urlsplit(url).path
    get = await client.get(path)
    assert (get.status_code, get.text) == (200, "OK\n")
    post = await client.post(path, content=b"job output")
    assert post.status_code == 200
    head = await client.head(path)
    assert head.status_code == 200 and head.content == b""
    results = await CheckResult.all()
    assert [(r.region, r.status) for r in results] == [("heartbeat", "UP")] * 3
    target = await Target.get()
    assert target.status == "UP"
    assert target.last_heartbeat_at is not None


async def test_fail_ping_makes_the_target_down(gql, settings, client) -> None:
    _, url, _ = await _heartbeat(gql, settings)
    path = urlsplit(url).path
    await client.get(path)
    response = await client.post(path + "/fail")
    assert response.status_code == 200
    target = await Target.get()
    assert target.status == "DOWN"
    last = await CheckResult.all().order_by("-id").first()
    assert last is not None and last.status == "DOWN"
    transitions = await StateTransition.all().order_by("id").values_list("to_status", flat=True)
    assert [str(t) for t in transitions] == ["UP", "DOWN"]
    # The next good ping brings it back.
    await client.get(path)
    assert (await Target.get()).status == "UP"


async def test_unknown_token_is_404(client, db) -> None:
    for path in ("/heartbeat/hf_hb_nope", "/heartbeat/hf_hb_nope/fail", "/heartbeat/whatever"):
        response = await client.get(path)
        assert response.status_code == 404
    assert await CheckResult.all().count() == 0


async def test_paused_heartbeat_ignores_pings(gql, settings, client) -> None:
    target_id, url, owner = await _heartbeat(gql, settings)
    await gql(PAUSE, {"id": target_id}, token=owner.token)
    response = await client.get(urlsplit(url).path)
    assert response.status_code == 200
    assert await CheckResult.all().count() == 0
    assert (await Target.get()).status == "PAUSED"


async def test_late_heartbeat_is_overdue_then_down(gql, settings, client, resources) -> None:
    _, url, _ = await _heartbeat(gql, settings, grace=60)
    await client.get(urlsplit(url).path)
    target = await Target.get()
    assert await overdue_heartbeats(clock.now()) == []
    # Within interval + grace: still fine.
    clock.advance(timedelta(seconds=3600 + 30))
    assert await overdue_heartbeats(clock.now()) == []
    clock.advance(timedelta(seconds=31))
    assert [t.id for t in await overdue_heartbeats(clock.now())] == [target.id]
    assert await mark_overdue(resources) == 1
    assert (await Target.get()).status == "DOWN"
    # The missed ping is a result too, so lastResult agrees with the status.
    latest = await CheckResult.filter(target_id=target.id).order_by("-checked_at").first()
    assert latest is not None and latest.status == "DOWN"
    assert latest.error == "No ping for 3661 s."
    # DOWN targets are not overdue again (one transition per outage).
    assert await overdue_heartbeats(clock.now()) == []


async def test_never_pinged_heartbeat_is_late_after_one_period(gql, settings) -> None:
    await _heartbeat(gql, settings, grace=0)
    assert await overdue_heartbeats(clock.now()) == []
    clock.advance(timedelta(seconds=3601))
    assert len(await overdue_heartbeats(clock.now())) == 1


async def test_pings_are_rate_limited_per_target(gql, settings, client) -> None:
    _, url, _ = await _heartbeat(gql, settings)
    path = urlsplit(url).path
    codes = [(await client.get(path)).status_code for _ in range(61)]
    assert codes[:60] == [200] * 60
    assert codes[60] == 429
    assert await CheckResult.all().count() == 60
