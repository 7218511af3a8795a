"""Badges: a rotatable token, SVG and shields.io JSON, cached, no enumeration, rate-limited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from api.core import clock
from api.core.ids import encode
from api.results.rollups import floor_day, floor_hour
from api.targets.models import ResultRollup, Target, TargetStatus
from api.workspaces.models import Role
from tests.factories.accounts import add_member, create_account, create_pat
from tests.factories.targets import create_target
from tests.statuspages.helpers import announced_transition

ROTATE = """
mutation($id: ID!) { rotateBadgeToken(targetId: $id) {
  token statusUrl uptimeUrl responseUrl shieldsUrl errors { code field }
} }
"""


async def rotate(gql, target: Target, token: str) -> dict:
    return await gql(ROTATE, {"id": encode("Target", target.id)}, token=token)


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


async def issued(gql, target: Target, token: str) -> str:
    result = await rotate(gql, target, token)
    payload = result["data"]["rotateBadgeToken"]
    assert payload["errors"] == [], result
    return payload["token"]


async def test_a_status_badge_turns_red_when_the_target_goes_down(settings, gql, client):
    owner = await create_account(settings)
    target = await create_target(owner.workspace, status=TargetStatus.UP)
    payload = (await rotate(gql, target, owner.token))["data"]["rotateBadgeToken"]
    assert payload["statusUrl"].endswith(f"/badge/{payload['token']}/status.svg")

    up = await client.get(path_of(payload["statusUrl"]))
    assert up.status_code == 200
    assert up.headers["content-type"].startswith("image/svg+xml")
    assert up.headers["cache-control"] == "max-age=60"
    assert "<title>status: up</title>" in up.text and "#4c1" in up.text

    await Target.filter(id=target.id).update(status=TargetStatus.DOWN)
    # Cached for a minute, as the headers promise...
    assert "status: up" in (await client.get(path_of(payload["statusUrl"]))).text
    await clear_badge_cache(client)
    # ...then red.
    down = await client.get(path_of(payload["statusUrl"]))
    assert "<title>status: down</title>" in down.text and "#e05d44" in down.text


async def test_a_cached_status_badge_turns_red_as_soon_as_the_change_is_announced(
    settings, gql, client, resources
):
    owner = await create_account(settings)
    target = await create_target(owner.workspace, status=TargetStatus.UP)
    payload = (await rotate(gql, target, owner.token))["data"]["rotateBadgeToken"]
    assert "status: up" in (await client.get(path_of(payload["statusUrl"]))).text
    # The ingest's way: the transition, then the target_status event. The badge's cached
    # value is stale from that moment (browsers may still keep theirs for max-age).
    await announced_transition(resources, target, TargetStatus.DOWN)
    down = await client.get(path_of(payload["statusUrl"]))
    assert "<title>status: down</title>" in down.text


async def clear_badge_cache(client) -> None:
    redis = client._transport.app.state.resources.redis
    keys = [k async for k in redis.scan_iter("hitflow:badge:*")]
    if keys:
        await redis.delete(*keys)


async def test_uptime_and_response_come_from_the_rollups(settings, gql, client):
    owner = await create_account(settings)
    target = await create_target(owner.workspace, status=TargetStatus.UP)
    hour = floor_hour(clock.now()) - timedelta(hours=1)
    for region, failures in (("eu-west", 1), ("us-east", 0)):
        await ResultRollup.create(
            target=target, region=region, hour=hour, checks=1000, failures=failures,
            sum_ms=120_000.0, timed_checks=1000,
        )  # fmt: skip
    await ResultRollup.create(
        target=target, region="eu-west", span="d", hour=floor_day(clock.now()) - timedelta(days=40),
        checks=1000, failures=1000, sum_ms=0.0, timed_checks=0,
    )  # fmt: skip
    await ResultRollup.create(
        target=target, region="eu-west", span="d", hour=floor_day(clock.now()) - timedelta(days=2),
        checks=1000, failures=0, sum_ms=100_000.0, timed_checks=1000,
    )  # fmt: skip
    token = await issued(gql, target, owner.token)

    day = await client.get(f"/badge/{token}/uptime.svg?period=24h")
    assert "<title>uptime 24h: 99.95%</title>" in day.text
    assert (
        "<title>response 24h: 120 ms</title>"
        in (await client.get(f"/badge/{token}/response.svg")).text
    )
    # 90 days reads the daily rollups: the old all-down day counts, 2000 checks in all.
    quarter = await client.get(f"/badge/{token}/uptime.svg?period=90d")
    assert "<title>uptime 90d: 50.00%</title>" in quarter.text
    assert (
        "<title>uptime 30d: 100%</title>"
        in (await client.get(f"/badge/{token}/uptime.svg?period=30d")).text
    )

    shields = await client.get(f"/badge/{token}/shields.json?kind=uptime&period=24h")
    assert shields.json() == {
        "schemaVersion": 1, "label": "uptime 24h", "message": "99.95%", "color": "brightgreen",
    }  # fmt: skip
    assert (await client.get(f"/badge/{token}/uptime.svg?period=1y")).status_code == 400
    assert (await client.get(f"/badge/{token}/shields.json?kind=secrets")).status_code == 400


async def test_etag_answers_not_modified(settings, gql, client):
    owner = await create_account(settings)
    target = await create_target(owner.workspace, status=TargetStatus.UP)
    token = await issued(gql, target, owner.token)
    first = await client.get(f"/badge/{token}/status.svg")
    again = await client.get(
        f"/badge/{token}/status.svg", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]


async def test_unknown_and_rotated_tokens_look_the_same(settings, gql, client):
    owner = await create_account(settings)
    target = await create_target(owner.workspace, name="Secret project", status=TargetStatus.UP)
    old = await issued(gql, target, owner.token)
    assert (await client.get(f"/badge/{old}/status.svg")).status_code == 200
    new = await issued(gql, target, owner.token)
    assert new != old

    answers = [
        await client.get(f"/badge/{t}/status.svg")
        for t in (old, "hf_bdg_" + "x" * 43, "anything", "hf_bdg_" + "y" * 200)
    ]
    for answer in answers:
        assert answer.status_code == 404
        assert answer.headers["cache-control"] == "max-age=60"
        assert answer.headers["content-type"].startswith("image/svg+xml")
        assert answer.text == answers[0].text  # same body, same shape
        assert "status: unknown" in answer.text and "Secret" not in answer.text
    unknown_json = await client.get(f"/badge/{old}/shields.json")
    assert unknown_json.status_code == 404
    assert unknown_json.json() == {
        "schemaVersion": 1, "label": "status", "message": "unknown", "color": "lightgrey",
    }  # fmt: skip
    assert (await client.get(f"/badge/{new}/status.svg")).status_code == 200


async def test_only_writers_with_targets_write_can_rotate(settings, gql, client):
    owner = await create_account(settings)
    target = await create_target(owner.workspace)
    stranger = await create_account(settings)
    viewer = await create_account(settings)
    await add_member(owner.workspace, viewer.user, Role.VIEWER)
    reader = await create_pat(owner.user, ["targets:read"])

    foreign = await rotate(gql, target, stranger.token)
    assert foreign["data"]["rotateBadgeToken"]["errors"] == [
        {"code": "NOT_FOUND", "field": "targetId"}
    ]
    assert foreign["data"]["rotateBadgeToken"]["token"] is None
    for token, code in (
        (viewer.token, "FORBIDDEN"),
        (reader, "FORBIDDEN"),
        (None, "UNAUTHENTICATED"),
    ):
        refused = await rotate(gql, target, token)
        assert refused["data"] is None or refused["data"]["rotateBadgeToken"] is None
        assert refused["errors"][0]["extensions"]["code"] == code
    from api.badges.models import BadgeToken

    assert await BadgeToken.filter(target_id=target.id).count() == 0


async def test_badge_svg_escapes_text():
    from api.badges.svg import render

    out = render('<script>"x"</script>', "a&b", "red")
    assert "<script>" not in out and "&lt;script&gt;" in out and "a&amp;b" in out
    assert re.search(r'width="\d+"', out)


@pytest.mark.parametrize("settings_overrides", [{"badge_rate_limit_per_minute": 5}])
async def test_a_flood_from_one_ip_is_rate_limited(settings, gql, client):
    owner = await create_account(settings)
    target = await create_target(owner.workspace, status=TargetStatus.UP)
    token = await issued(gql, target, owner.token)
    codes = [(await client.get(f"/badge/{token}/status.svg")).status_code for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]


async def test_badges_read_rollups_not_raw_results(settings, gql, client):
    # Raw results exist but no rollup was built yet: the badge does not scan the results.
    from tests.factories.results import create_result

    owner = await create_account(settings)
    target = await create_target(owner.workspace, status=TargetStatus.UP)
    for _ in range(3):
        await create_result(target, status="DOWN", response_time_ms=50.0)
    token = await issued(gql, target, owner.token)
    assert "uptime 24h: no data" in (await client.get(f"/badge/{token}/uptime.svg")).text
    assert "response 24h: no data" in (await client.get(f"/badge/{token}/response.svg")).text
