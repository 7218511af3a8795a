"""One alerting pass at a time: a pass requested while one runs is never lost, it makes
the running pass go round once more (api/incidents/dispatch.py)."""

from __future__ import annotations

import asyncio

from api.incidents.dispatch import PASS_AGAIN, PASS_LOCK, one_pass_at_a_time
from api.incidents.models import Incident
from api.incidents.service import process_transitions_serially
from api.resources import open_resources
from api.targets.models import StateTransition, TargetStatus
from tests.factories.accounts import create_account
from tests.factories.targets import create_target, transition


async def test_a_request_while_a_pass_runs_is_not_lost(resources, settings, redis_url) -> None:
    other = await open_resources(settings, redis_url)  # a second core worker's connection
    started, release = asyncio.Event(), asyncio.Event()
    committed: list[str] = []  # what was "committed" before each request
    seen: list[list[str]] = []  # what each pass saw

    async def work() -> int:
        seen.append(list(committed))
        if len(seen) == 1:
            started.set()
            await release.wait()
        return 1

    try:
        committed.append("a")
        first = asyncio.create_task(one_pass_at_a_time(resources.redis, work))
        await asyncio.wait_for(started.wait(), 5)
        # Two more requests while the first pass runs, from two workers: neither runs a
        # pass of its own (no overlap), both are answered by the running one.
        committed.append("b")
        assert await one_pass_at_a_time(other.redis, work) == 0
        committed.append("c")
        assert await one_pass_at_a_time(resources.redis, work) == 0
        assert seen == [["a"]]
        release.set()
        assert await asyncio.wait_for(first, 5) == 2
        # The second pass started after both requests: it saw everything committed.
        assert seen == [["a"], ["a", "b", "c"]]
        assert await resources.redis.exists(PASS_LOCK, PASS_AGAIN) == 0
        # Nothing running any more: the next request runs at once.
        committed.append("d")
        assert await one_pass_at_a_time(other.redis, work) == 1
        assert seen[-1] == ["a", "b", "c", "d"]
    finally:
        await other.close()


async def test_a_failed_pass_frees_the_lock(resources) -> None:
    async def broken() -> int:
        raise RuntimeError("database away")

    async def fine() -> int:
        return 3

    try:
        await one_pass_at_a_time(resources.redis, broken)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the failure must reach the job (arq retries it)")
    assert await one_pass_at_a_time(resources.redis, fine) == 3


async def test_concurrent_serial_passes_handle_every_transition_once(
    resources, settings, redis_url
) -> None:
    account = await create_account(settings)
    targets = [
        await create_target(account.workspace, name=f"site {i}", status=TargetStatus.UP)
        for i in range(4)
    ]
    for target in targets[:2]:
        await transition(target, TargetStatus.DOWN, cause="timeout")
    other = await open_resources(settings, redis_url)
    try:

        async def later() -> int:
            # Transitions committed while the passes run, then a request for them.
            await asyncio.sleep(0)
            for target in targets[2:]:
                await transition(target, TargetStatus.DOWN, cause="timeout")
            return await process_transitions_serially(other)

        handled = await asyncio.gather(
            process_transitions_serially(resources),
            process_transitions_serially(other),
            later(),
        )
    finally:
        await other.close()
    assert sum(handled) == 4
    assert await StateTransition.filter(claimed_at__isnull=True).count() == 0
    assert await Incident.all().count() == 4
