"""Fair scheduling of GraphQL operations across callers (docs/security.md, "Limits").

One API process runs one event loop: every operation in flight interleaves with every
other at each await (database, Redis), and its database queries queue behind theirs. A
tenant with many operations in flight therefore slows everyone by as much, even when
each of its operations is refused cheaply.

The gate admits at most HITFLOW_GRAPHQL_MAX_CONCURRENT_OPERATIONS operations at once in
the process (over HTTP, and queries and mutations over websockets), before anything is
resolved (the credential's lookup included). When a slot frees, the caller with the
FEWEST operations already admitted goes next (first come, first served among equals):
a newcomer overtakes the queue of a flooding caller, whose excess requests wait in the
gate at no cost. A request that waits longer than HITFLOW_GRAPHQL_CONCURRENCY_WAIT_SECONDS
is answered RATE_LIMITED (retryAfter 1).

Each caller also has a cost budget (HITFLOW_GRAPHQL_COST_BUDGET_PER_MINUTE): every
operation spends BASE_CHARGE (what any operation costs the server: request, credential,
answer) plus its static cost (api/graphql/cost.py; one refused as too costly spends the
limit, HITFLOW_GRAPHQL_MAX_COST) from a bucket that refills at that rate and holds at
most BURST_SECONDS' worth (a page load's burst, not a minute of flood at once). A caller whose bucket is empty waits for it to refill; if that
would take longer than the wait above, it is answered RATE_LIMITED with the seconds
until it has refilled, after that wait (a flooding client is slowed down, not only
told).

Callers are told apart before authentication by their credential (a digest of the bearer
token or session cookie), else by their IP address; the per-user slots of
api/graphql/cost.py then apply to whoever it turns out to be.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import math
import random
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from api.core.errors import PublicGraphQLError


BASE_CHARGE = 50
BURST_SECONDS = 10


class GateBusy(PublicGraphQLError):
    code = "RATE_LIMITED"

    def __init__(self, wait_seconds: float) -> None:
        super().__init__(
            f"The server is busy with this caller's other operations (waited {wait_seconds:g} s"
            " for a turn, HITFLOW_GRAPHQL_CONCURRENCY_WAIT_SECONDS); retry in 1 s.",
            retryAfter=1,
        )
        self.retry_after = 1


class OverBudget(PublicGraphQLError):
    code = "RATE_LIMITED"

    def __init__(self, retry_after: int, budget: int) -> None:
        super().__init__(
            f"This caller's operations cost more than {budget} a minute "
            f"(HITFLOW_GRAPHQL_COST_BUDGET_PER_MINUTE); retry in {retry_after} s.",
            retryAfter=retry_after,
        )
        self.retry_after = retry_after


@dataclass
class Ticket:
    """One admitted operation: what it cost (set by QueryCost through `charge`)."""

    key: str
    cost: int = 0


_TICKET: ContextVar[Ticket | None] = ContextVar("hitflow_gate_ticket", default=None)


def charge(cost: int) -> None:
    """Spend `cost` from the budget of the caller whose operation runs in this task."""
    ticket = _TICKET.get()
    if ticket is not None:
        ticket.cost += cost


def caller_key(credential: str | None, client_host: str | None) -> str:
    """Who is asking, before authentication: a digest of the credential, else the IP."""
    if credential:
        return "c:" + hashlib.blake2b(credential.encode(), digest_size=12).hexdigest()
    return f"ip:{client_host or 'unknown'}"


class FairGate:
    """At most `slots` operations admitted at once; the least-served caller goes next."""

    def __init__(self, slots: int, wait_seconds: float, budget_per_minute: int = 0) -> None:
        self.slots = slots
        self.wait_seconds = wait_seconds
        self.budget = budget_per_minute  # 0: no cost budget
        self._buckets: dict[str, tuple[float, float]] = {}  # caller -> (level, at)
        self.admitted = 0
        self._held: dict[str, int] = {}  # caller -> operations admitted
        self._waiting: dict[str, deque[tuple[int, asyncio.Future[None]]]] = {}
        self._order = itertools.count()

    def held(self, key: str) -> int:
        return self._held.get(key, 0)

    @asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        """Hold a slot for the block; raises OverBudget when the caller's budget does not
        refill within the wait, GateBusy when no slot came within it."""
        await self._afford(key)
        await self._enter(key)
        ticket = Ticket(key)
        token = _TICKET.set(ticket)
        try:
            yield
        finally:
            _TICKET.reset(token)
            self._spend(key, ticket.cost)
            self._leave(key)

    # --- cost budget ------------------------------------------------------------------

    def level(self, key: str) -> float:
        """The caller's budget left now (a minute's worth when unknown)."""
        full = self.budget * BURST_SECONDS / 60
        level, at = self._buckets.get(key, (full, 0.0))
        now = asyncio.get_running_loop().time()
        return min(full, level + (now - at) * self.budget / 60)

    def _spend(self, key: str, cost: int) -> None:
        if not self.budget:
            return
        level = self.level(key) - BASE_CHARGE - cost
        self._buckets[key] = (level, asyncio.get_running_loop().time())
        if len(self._buckets) > 10_000:  # forget the callers whose bucket is full again
            full = self.budget * BURST_SECONDS / 60
            for other in [k for k in self._buckets if self.level(k) >= full]:
                del self._buckets[other]

    async def _afford(self, key: str) -> None:
        if not self.budget or key not in self._buckets:
            return
        level = self.level(key)
        if level > 0:
            return
        refill = (1 - level) * 60 / self.budget  # seconds until the bucket is positive
        if refill <= self.wait_seconds:
            await asyncio.sleep(refill)
            return
        # Slow the flood down, then answer; the waits are spread (half to all of the
        # wait) so that a flood's parallel clients do not come back all at once.
        await asyncio.sleep(self.wait_seconds * random.uniform(0.5, 1.0))  # noqa: S311
        raise OverBudget(max(1, math.ceil(refill - self.wait_seconds / 2)), self.budget)

    async def _enter(self, key: str) -> None:
        if self.admitted < self.slots and not self._waiting:
            self._admit(key)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, deque()).append((next(self._order), future))
        self._dispatch()
        try:
            if self.wait_seconds <= 0 and not future.done():
                raise TimeoutError
            await asyncio.wait_for(asyncio.shield(future), self.wait_seconds)
        except BaseException as exc:
            if future.done() and not future.cancelled():
                self._leave(key)  # admitted in the meantime: give the slot back
            else:
                future.cancel()
                self._forget(key, future)
            if isinstance(exc, TimeoutError):
                raise GateBusy(self.wait_seconds) from None
            raise

    def _admit(self, key: str) -> None:
        self.admitted += 1
        self._held[key] = self._held.get(key, 0) + 1

    def _leave(self, key: str) -> None:
        self.admitted -= 1
        held = self._held[key] - 1
        if held:
            self._held[key] = held
        else:
            del self._held[key]
        self._dispatch()

    def _forget(self, key: str, future: asyncio.Future[None]) -> None:
        queue = self._waiting.get(key)
        if queue is None:
            return
        for entry in queue:
            if entry[1] is future:
                queue.remove(entry)
                break
        if not queue:
            del self._waiting[key]

    def _dispatch(self) -> None:
        while self.admitted < self.slots and self._waiting:
            key = min(self._waiting, key=lambda k: (self.held(k), self._waiting[k][0][0]))
            queue = self._waiting[key]
            _, future = queue.popleft()
            if not queue:
                del self._waiting[key]
            if future.done():  # cancelled while queued
                continue
            self._admit(key)
            future.set_result(None)

    def stats(self) -> dict[str, Any]:
        return {
            "admitted": self.admitted,
            "waiting": sum(len(q) for q in self._waiting.values()),
            "callers": len(self._held),
        }
