"""Fair turns and cost budgets between callers (docs/security.md, "Limits").

One API process runs one event loop: every operation in flight interleaves with every
other at each await (database, Redis), and its database queries queue behind theirs. A
tenant with many operations in flight slows everyone by as much, even when each of its
operations is refused cheaply; and a process kept busy by one tenant also loses its
turns on a shared CPU.

Turns. The gate admits at most HITFLOW_GRAPHQL_MAX_CONCURRENT_OPERATIONS operations at
once in the process (HTTP requests, and queries and mutations over websockets), before
anything is resolved (the credential's lookup included). When a slot frees, the caller
with the fewest operations admitted goes next, and among equals the one served least
recently (round-robin; first come, first served within one caller): a newcomer
overtakes a flooding caller's queue, whose excess requests wait at no cost. A request
that gets no turn within HITFLOW_GRAPHQL_GATE_WAIT_SECONDS is answered RATE_LIMITED.

Budget. Each caller spends, per operation, BASE_CHARGE (what any operation costs the
server: request, credential, answer) plus its static cost (api/graphql/cost.py; an
operation refused as too costly spends the limit, HITFLOW_GRAPHQL_MAX_COST) from a
bucket that refills at HITFLOW_GRAPHQL_COST_BUDGET_PER_MINUTE and holds BURST_SECONDS'
worth (a page load's burst, not a minute of flood at once). A caller whose bucket is
empty waits for it to refill; if that would take longer than the gate's wait, it is
answered RATE_LIMITED (retryAfter: until it has refilled) after half to all of that
wait: a flooding client is slowed down, not only told, so that the flood stops costing
the server CPU.

Callers are told apart before authentication by their credential (a digest of the bearer
token or session cookie), else by their IP address; the per-user slots of
api/graphql/cost.py then apply to whoever it turns out to be. A credential that turns
out unknown or revoked spends BAD_CREDENTIAL_CHARGE from its IP address's budget, which every
request from that address must also afford: a flood of invented tokens is slowed like
any other.
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
BAD_CREDENTIAL_CHARGE = 1000  # ~19 in a burst, then 2 a second per address (defaults)
BURST_SECONDS = 10


class GateBusy(PublicGraphQLError):
    code = "RATE_LIMITED"

    def __init__(self, wait_seconds: float) -> None:
        super().__init__(
            f"No turn for this operation within {wait_seconds:g} s "
            "(HITFLOW_GRAPHQL_GATE_WAIT_SECONDS): the server is busy; retry in 1 s.",
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
        self._served: dict[str, int] = {}  # caller -> when last admitted (while known)

    def held(self, key: str) -> int:
        return self._held.get(key, 0)

    @asynccontextmanager
    async def turn(self, key: str, address: str | None = None) -> AsyncIterator[None]:
        """Hold a slot for the block; raises OverBudget when the caller's budget (or the
        budget of its `address`, spent by `bad_credential`) does not refill within the
        wait, GateBusy when no slot came within it."""
        await self._afford(key)
        if address is not None and address != key:
            await self._afford(address)
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
        """The caller's budget left now (a full bucket when unknown)."""
        full = self.budget * BURST_SECONDS / 60
        level, at = self._buckets.get(key, (full, 0.0))
        now = asyncio.get_running_loop().time()
        return min(full, level + (now - at) * self.budget / 60)

    def bad_credential(self, address: str) -> None:
        """A request with an unknown or revoked credential: its address spends
        BAD_CREDENTIAL_CHARGE (inventing a token per request must not buy a budget)."""
        self._spend(address, BAD_CREDENTIAL_CHARGE)

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
        await asyncio.sleep(self.wait_seconds * random.uniform(0.5, 1.0))
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
        self._served[key] = next(self._order)

    def _leave(self, key: str) -> None:
        self.admitted -= 1
        held = self._held[key] - 1
        if held:
            self._held[key] = held
        else:
            del self._held[key]
            if key not in self._waiting:
                self._served.pop(key, None)
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
            if key not in self._held:
                self._served.pop(key, None)

    def _dispatch(self) -> None:
        while self.admitted < self.slots and self._waiting:
            key = min(self._waiting, key=self._priority)
            queue = self._waiting[key]
            _, future = queue.popleft()
            if not queue:
                del self._waiting[key]
            if future.done():  # cancelled while queued
                if key not in self._waiting and key not in self._held:
                    self._served.pop(key, None)
                continue
            self._admit(key)
            future.set_result(None)

    def _priority(self, key: str) -> tuple[int, int, int]:
        """Fewest admitted, then least recently served, then first come."""
        return (self.held(key), self._served.get(key, -1), self._waiting[key][0][0])

    def stats(self) -> dict[str, Any]:
        return {
            "admitted": self.admitted,
            "waiting": sum(len(q) for q in self._waiting.values()),
            "callers": len(self._held),
        }
