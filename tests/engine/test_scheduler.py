"""The scheduler: due-set ticks, batches per region, no drift, one leader, rebuild."""

from __future__ import annotations

import asyncio
import pickle

import pytest

from api.core import clock
from api.resources import probe_queue
from api.targets.models import StateTransition, Target, TargetKind
from api.targets.schedule import DUE_KEY, SPECS_KEY, schedule_target, unschedule_target
from tests.factories.accounts import create_account
from tests.factories.targets import create_target
from tests.polling import wait_for
from workers.jobs import scheduler as sched
from workers.jobs.checks import wire_checks
from workers.jobs.scheduler import Scheduler, batch_job_id


async def _queued(redis, region):
    """The queued jobs' arguments, each batch's checks as the probe reads them."""
    jobs = [j.kwargs for j in await redis.queued_jobs(queue_name=probe_queue(region))]
    return [{**kwargs, "checks": wire_checks(kwargs["checks"])} for kwargs in jobs]


async def test_a_tick_enqueues_one_job_per_region_carrying_the_due_checks(settings, resources):
    account = await create_account(settings)
    a = await create_target(account.workspace, interval=30, schedule=resources.redis, regions=[])
    b = await create_target(
        account.workspace, interval=30, regions=["eu-west"], schedule=resources.redis
    )
    scheduler = Scheduler(resources)
    assert await scheduler.tick() == 4  # a: 3 regions, b: 1
    eu = await _queued(resources.redis, "eu-west")
    us = await _queued(resources.redis, "us-east")
    assert len(eu) == 1 and len(us) == 1
    assert sorted(c["spec"]["targetId"] for c in eu[0]["checks"]) == sorted([a.id, b.id])
    assert [c["spec"]["targetId"] for c in us[0]["checks"]] == [a.id]
    # Nothing more is due: the next tick enqueues nothing.
    assert await scheduler.tick() == 0


async def test_next_slot_is_due_plus_interval_not_now_plus_interval(settings, resources):
    account = await create_account(settings)
    target = await create_target(account.workspace, interval=30, regions=[])
    due = clock.now().timestamp() - 0.7  # the tick runs 0.7 s late
    await schedule_target(resources.redis, target)
    await resources.redis.zadd(DUE_KEY, {str(target.id): round(due, 3)})
    await Scheduler(resources).tick()
    assert await resources.redis.zscore(DUE_KEY, str(target.id)) == pytest.approx(
        due + 30, abs=0.002
    )


async def test_missed_slots_are_skipped_not_fired_in_a_burst(settings, resources):
    account = await create_account(settings)
    target = await create_target(account.workspace, interval=10, regions=[])
    now = clock.now().timestamp()
    await schedule_target(resources.redis, target)
    await resources.redis.zadd(DUE_KEY, {str(target.id): now - 95})  # down for 95 s
    assert await Scheduler(resources).tick() == 3
    nxt = await resources.redis.zscore(DUE_KEY, str(target.id))
    assert now < nxt <= now + 10


async def test_the_same_tick_twice_never_duplicates_a_job(settings, resources):
    account = await create_account(settings)
    await create_target(
        account.workspace, interval=30, regions=["eu-west"], schedule=resources.redis
    )
    await Scheduler(resources).tick()
    job_id = (await resources.redis.queued_jobs(queue_name=probe_queue("eu-west")))[0].job_id
    assert job_id.startswith("checks:eu-west:")
    again = await resources.redis.enqueue_job(
        "run_checks",
        region="eu-west",
        checks=[],
        _job_id=job_id,
        _queue_name=probe_queue("eu-west"),
    )
    assert again is None  # arq refuses a second job with that id


async def test_new_targets_are_spread_over_the_first_minute(settings, resources):
    account = await create_account(settings)
    now = clock.now().timestamp()
    for _ in range(60):
        await schedule_target(
            resources.redis, await create_target(account.workspace, interval=300, regions=[])
        )
    scores = [s for _, s in await resources.redis.zrange(DUE_KEY, 0, -1, withscores=True)]
    assert all(now <= s <= now + 61 for s in scores)
    assert max(scores) - min(scores) > 30  # not all in the same second
    assert len({int(s) for s in scores}) > 20


async def test_update_keeps_the_slot_and_unschedule_removes_it(settings, resources):
    account = await create_account(settings)
    target = await create_target(
        account.workspace, interval=30, schedule=resources.redis, regions=[]
    )
    slot = await resources.redis.zscore(DUE_KEY, str(target.id))
    target.config = {"url": "http://127.0.0.1:10/"}
    await target.save()
    await schedule_target(resources.redis, target)
    assert await resources.redis.zscore(DUE_KEY, str(target.id)) == slot
    assert b"127.0.0.1:10" in await resources.redis.hget(SPECS_KEY, str(target.id))
    target.paused = True
    await schedule_target(resources.redis, target)  # paused: taken out
    assert await resources.redis.zscore(DUE_KEY, str(target.id)) is None
    await unschedule_target(resources.redis, target.id)


async def test_spec_in_redis_never_holds_secrets_in_plaintext(settings, resources):
    account = await create_account(settings)
    target = await create_target(
        account.workspace,
        config={
            "url": "https://example.com",
            "basicAuth": {"username": "u", "password": "********"},
        },
        secrets_encrypted=resources.keyring.encrypt_json(
            {"basicAuthPassword": "hunter2-secret", "secretHeaders": {"X-Key": "k-999"}}
        ),
        schedule=resources.redis,
        regions=[],
    )
    await Scheduler(resources).tick()
    raw_jobs = [await resources.redis.get(k) for k in await resources.redis.keys("arq:job:*")]
    dumps = [await resources.redis.hget(SPECS_KEY, str(target.id)), *raw_jobs]
    for blob in dumps:
        assert blob and b"hunter2-secret" not in blob and b"k-999" not in blob
    spec = (await _queued(resources.redis, "eu-west"))[0]["checks"][0]["spec"]
    assert "hunter2-secret" not in pickle.dumps(spec).decode("latin-1")
    from api.targets.probe_contract import open_spec_config

    assert open_spec_config(spec, resources.keyring)["basicAuth"]["password"] == "hunter2-secret"


async def test_rebuild_from_the_database_at_start(settings, resources):
    account = await create_account(settings)
    active = await create_target(account.workspace, interval=30, regions=[])
    paused = await create_target(account.workspace, interval=30, paused=True, regions=[])
    heartbeat = await create_target(
        account.workspace, kind=TargetKind.HEARTBEAT, config={}, regions=[]
    )
    await resources.redis.zadd(DUE_KEY, {"999999": 1.0})  # a deleted target's leftover
    assert await Scheduler(resources).rebuild() == 1
    members = {m.decode() for m in await resources.redis.zrange(DUE_KEY, 0, -1)}
    assert members == {str(active.id)}
    assert str(paused.id) not in members and str(heartbeat.id) not in members


async def test_rebuild_page_by_page_keeps_slots_and_specs(settings, resources, monkeypatch):
    """A leader's rebuild reads the targets a page at a time: every active target of every
    page is scheduled with its spec, a slot already in Redis is kept (no burst, no gap),
    a target paused since is dropped."""
    monkeypatch.setattr(sched, "REBUILD_PAGE", 3)
    account = await create_account(settings)
    targets = [
        await create_target(account.workspace, name=f"t{n}", interval=30, regions=[])
        for n in range(7)
    ]
    kept_slot = clock.now().timestamp() + 12.5
    await resources.redis.zadd(DUE_KEY, {str(targets[4].id): kept_slot})
    await resources.redis.zadd(DUE_KEY, {str(targets[6].id): clock.now().timestamp()})
    await Target.filter(id=targets[6].id).update(paused=True)
    assert await Scheduler(resources).rebuild() == 6
    members = {m.decode() for m in await resources.redis.zrange(DUE_KEY, 0, -1)}
    assert members == {str(t.id) for t in targets[:6]}
    assert await resources.redis.zscore(DUE_KEY, str(targets[4].id)) == pytest.approx(kept_slot)
    for target in targets[:6]:
        assert await resources.redis.hget(SPECS_KEY, str(target.id))
    assert not await resources.redis.hget(SPECS_KEY, str(targets[6].id))


async def test_one_leader_and_a_standby_takes_over_when_the_lock_expires(
    settings, resources, monkeypatch
):
    monkeypatch.setattr(sched, "LOCK_TTL_MS", 400)
    first, second = Scheduler(resources), Scheduler(resources)
    await first.step()
    await second.step()
    assert first.leader and not second.leader
    # The leader dies without releasing the lock: the standby waits for it to expire.
    await asyncio.sleep(0.5)
    await second.step()
    assert second.leader
    await first.step()  # the old leader notices it lost the lock on its next renewal
    first._last_renew = 0
    await first.step()
    assert not first.leader
    await second.stop()
    assert await resources.redis.get(sched.LOCK_KEY) is None


async def test_overdue_heartbeat_goes_down_with_a_transition(settings, resources):
    from datetime import timedelta

    from api.targets.pings import mark_overdue as mark_overdue_heartbeats

    account = await create_account(settings)
    target = await create_target(
        account.workspace,
        kind=TargetKind.HEARTBEAT,
        config={"graceSeconds": 30},
        interval=60,
        status="UP",
        regions=[],
    )
    target.heartbeat_deadline_at = clock.now() + timedelta(seconds=90)
    await target.save()
    assert await mark_overdue_heartbeats(resources) == 0
    clock.advance(timedelta(seconds=95))
    assert await mark_overdue_heartbeats(resources) == 1
    assert (await Target.get(id=target.id)).status.value == "DOWN"
    row = await StateTransition.get(target_id=target.id)
    assert row.to_status.value == "DOWN" and row.regions == ["heartbeat"] and row.cause
    assert await mark_overdue_heartbeats(resources) == 0  # already DOWN: no new row


async def test_scheduler_loop_runs_in_the_core_worker(settings, resources):
    from workers.settings import core_worker

    account = await create_account(settings)
    await create_target(
        account.workspace, interval=30, regions=["eu-west"], schedule=resources.redis
    )
    worker = core_worker(resources)
    task = asyncio.create_task(worker.async_run())
    try:
        await wait_for(lambda: _queued(resources.redis, "eu-west"), timeout=5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await worker.close()
    assert await resources.redis.get(sched.LOCK_KEY) is None  # released on shutdown


def test_batch_job_ids_are_deterministic_and_never_collide_across_batches():
    spec = {"targetId": 1}
    one = [{"spec": spec, "due": 1000}, {"spec": {"targetId": 2}, "due": 1000}]
    other = [{"spec": {"targetId": 3}, "due": 1000}]
    assert batch_job_id("eu-west", one) == batch_job_id("eu-west", list(one))
    assert batch_job_id("eu-west", one) != batch_job_id("eu-west", other)
    assert batch_job_id("eu-west", one) != batch_job_id("us-east", one)


async def test_two_ticks_in_the_same_instant_lose_no_check(settings, resources):
    account = await create_account(settings)
    first = await create_target(account.workspace, interval=30, regions=["eu-west"])
    second = await create_target(account.workspace, interval=30, regions=["eu-west"])
    scheduler = Scheduler(resources)
    await schedule_target(resources.redis, first, spread=False)
    assert await scheduler.tick() == 1
    await schedule_target(resources.redis, second, spread=False)
    assert await scheduler.tick() == 1
    jobs = await _queued(resources.redis, "eu-west")
    assert sorted(c["spec"]["targetId"] for j in jobs for c in j["checks"]) == sorted(
        [first.id, second.id]
    )
